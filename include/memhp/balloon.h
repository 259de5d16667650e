/* SPDX-License-Identifier: MIT */
/*
 * memhp/balloon.h - the balloon drivers of Linux 6.1 that mark the pages
 * they take PageOffline(), built on the public API only.
 *
 * A balloon takes pages away from the guest and gives them to its host;
 * deflating gives them back. Each kind below is one 6.1 driver as far as
 * memory hot(un)plug can tell: how its pages look in the memmap (type,
 * refcount, PG_reserved, movable or not), what it does to managed_pages
 * and MemTotal, and whether it helps offlining (notifier, online_page
 * callback, migration). The host side is a record of the pfns the
 * hypervisor holds, with no real protocol: see docs/balloons.md.
 *
 * Every function is thread-safe. Sizes are in 4 KiB pages (frames).
 * Each request to the host is also a trace instant ("balloon-inflate",
 * "balloon-deflate", "balloon-refuse": pfn of the first page, number of
 * pages), emitted with the balloon locked: a tracer may read the stats and
 * the host's view, not inflate or deflate.
 */
#ifndef MEMHP_BALLOON_H
#define MEMHP_BALLOON_H

#include <memhp/alloc.h>

#ifdef __cplusplus
extern "C" {
#endif

enum memhp_balloon_kind {
	/* drivers/virtio/virtio_balloon.c with CONFIG_BALLOON_COMPACTION and
	 * without VIRTIO_BALLOON_F_DEFLATE_ON_OOM: PageOffline and movable
	 * pages, out of managed_pages; offlining migrates them. */
	MEMHP_BALLOON_VIRTIO,
	/* The same with CONFIG_BALLOON_COMPACTION=n: PageOffline, not movable,
	 * never from ZONE_MOVABLE; offlining fails with -EBUSY. */
	MEMHP_BALLOON_VIRTIO_NO_COMPACTION,
	/* drivers/xen/balloon.c with memory hotplug: PageOffline, refcount 1,
	 * no help from its notifier; its online_page callback puts every
	 * onlined page into the balloon (PG_reserved kept). */
	MEMHP_BALLOON_XEN,
	/* drivers/hv/hv_balloon.c: like Xen for inflated pages; hot-added
	 * memory the host has not backed stays PageOffline and PG_reserved
	 * until the host grants it. */
	MEMHP_BALLOON_HYPERV,
	/* drivers/misc/vmw_balloon.c with a host that takes 2 MiB pages:
	 * non-compound order-9 pages, all 512 PageOffline, head refcount 1,
	 * tails 0, not movable; 4 KiB pages as a fallback, movable. Pages stay
	 * in managed_pages. */
	MEMHP_BALLOON_VMWARE,
	/* vmw_balloon with a host that takes 4 KiB pages only. */
	MEMHP_BALLOON_VMWARE_4K,
	MEMHP_NR_BALLOON_KINDS
};

/* "virtio", "virtio-no-compaction", "xen", "hyperv", "vmware",
 * "vmware-4k"; NULL for anything else. */
MEMHP_API const char *memhp_balloon_kind_name(enum memhp_balloon_kind kind);

struct memhp_balloon;

/*
 * Create a balloon of @kind in @m, empty. Xen and Hyper-V install their
 * online_page callback and a memory notifier, as their drivers do at load.
 * Returns 0, or -EINVAL (unknown kind, or another online_page callback is
 * installed: 6.1's drivers ignore that error and run without the callback,
 * memhp refuses), -ENOSPC (too many movable owners), -ENOMEM.
 */
MEMHP_API int memhp_balloon_create(struct memhp_machine *m, enum memhp_balloon_kind kind,
				   struct memhp_balloon **out);
/*
 * Give everything back, as if the host asked for all of it: the balloon
 * deflates, Hyper-V's host backs what it had not, Xen's populates its
 * hot-added pages; then the callback and notifier go. No offlining or
 * alloc_contig_range() may be running on the balloon's pages.
 */
MEMHP_API void memhp_balloon_destroy(struct memhp_balloon *b);
MEMHP_API enum memhp_balloon_kind memhp_balloon_kind(const struct memhp_balloon *b);

/*
 * Inflate by @nr_pages, in the driver's batches, until the allocator has
 * nothing left ("Out of puff"). VMware inflates in whole 2 MiB pages while
 * it can, so it may take up to 511 pages more than asked.
 * Returns the pages inflated (possibly fewer than asked), or -ENOMEM when
 * the balloon could not track a single one.
 */
MEMHP_API long memhp_balloon_inflate(struct memhp_balloon *b, unsigned long nr_pages);
/*
 * Deflate by @nr_pages: the host is told, then the pages go back to the
 * buddy (and to managed_pages where the driver took them out). Pages
 * isolated for migration at that moment are skipped. VMware deflates
 * 4 KiB pages first, then whole 2 MiB pages. Returns the pages deflated.
 */
MEMHP_API long memhp_balloon_deflate(struct memhp_balloon *b, unsigned long nr_pages);

struct memhp_balloon_stats {
	unsigned long pages;	     /* frames in the balloon */
	unsigned long huge_pages;    /* ... of them in 2 MiB pages (VMware) */
	unsigned long isolated;	     /* isolated for migration right now */
	unsigned long migrated;	     /* BALLOON_MIGRATE events */
	unsigned long refused;	     /* pages the host refused (VMware) */
	unsigned long host_pages;    /* frames the host holds (ballooned or unbacked) */
	unsigned long host_requests; /* inflate/deflate requests sent */
	unsigned long hot_added;     /* frames hot-added (Xen, Hyper-V) */
	unsigned long onlined;	     /* Hyper-V num_pages_onlined */
};
MEMHP_API void memhp_balloon_stats(struct memhp_balloon *b, struct memhp_balloon_stats *st);

/*
 * A virtio balloon with a device behind it (memhp/virtio_balloon.h): each
 * inflate or deflate request goes to @fn (4 KiB pfns, at most 256, as one
 * buffer of the device's queue), which gives the host memory back; without
 * it the balloon discards inflated memory itself. Called with the
 * balloon's lock held: @fn must not call into the balloon.
 * Returns 0, -EOPNOTSUPP (not a virtio kind), -EBUSY (the balloon is not
 * empty).
 */
typedef void (*memhp_balloon_tell_fn)(void *priv, bool deflate, const uint32_t *pfns,
				      unsigned long nr);
MEMHP_API int memhp_balloon_set_host(struct memhp_balloon *b, memhp_balloon_tell_fn fn, void *priv);
/*
 * VIRTIO_BALLOON_F_DEFLATE_ON_OOM negotiated: inflated pages stay in
 * managed_pages (MemTotal does not fall), so the OOM notifier can give
 * them back. Returns 0, -EOPNOTSUPP (not a virtio kind), -EBUSY (not
 * empty).
 */
MEMHP_API int memhp_balloon_set_deflate_on_oom(struct memhp_balloon *b, bool on);

/* The host's view: does the host hold @pfn (ballooned, or not backed)? */
MEMHP_API bool memhp_balloon_host_has(struct memhp_balloon *b, unsigned long pfn);
/* The pfns the host holds, ascending, up to @max into @pfns; returns how
 * many it holds in all. */
MEMHP_API unsigned long memhp_balloon_host_pfns(struct memhp_balloon *b, unsigned long *pfns,
						unsigned long max);

/*
 * Xen and Hyper-V: hot-add [start, start + size) for the host, which backs
 * only the first @nr_backed pages (Xen: none, they come with deflation).
 * The range must be whole memory blocks, as add_memory() wants; Hyper-V
 * adds in 128 MiB chunks (HA_CHUNK), so it must be made of those too. The
 * blocks are added offline unless auto_online_blocks says otherwise; when
 * they go online the balloon's callback decides each page's fate.
 * Returns 0, -EOPNOTSUPP (another kind), -EINVAL (misaligned, @nr_backed
 * too large, or not 0 for Xen), -E2BIG (beyond the address space),
 * -EEXIST (already present), -ENOSPC (Hyper-V: MEMHP_BALLOON_MAX_HOT_ADDS
 * made), -ENOMEM, or
 * another error of add_memory(). A Hyper-V chunk that fails ends the
 * hot-add; the chunks before it stay.
 */
#define MEMHP_BALLOON_MAX_HOT_ADDS 64
MEMHP_API int memhp_balloon_hot_add(struct memhp_balloon *b, uint64_t start, uint64_t size,
				    unsigned long nr_backed);
/*
 * Hyper-V: the host backs @nr_pages more pages of the hot-added regions,
 * in address order. Those in online sections come online one by one
 * (hv_bring_pgs_online()); the others when their block is onlined.
 * Returns the pages granted, or -EOPNOTSUPP (another kind).
 */
MEMHP_API long memhp_balloon_host_grant(struct memhp_balloon *b, unsigned long nr_pages);
/*
 * VMware: the host refuses the next @times pages it is asked to lock
 * (-1: all of them, 0: stop refusing). Returns 0 or -EOPNOTSUPP.
 */
MEMHP_API int memhp_balloon_host_refuse(struct memhp_balloon *b, long times);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_BALLOON_H */
