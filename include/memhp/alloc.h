/* SPDX-License-Identifier: MIT */
/*
 * memhp/alloc.h - the page allocator, contiguous ranges and movable pages.
 */
#ifndef MEMHP_ALLOC_H
#define MEMHP_ALLOC_H

#include <memhp/page.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * gfp flags: the zone modifiers and mobility hints that matter here.
 * GFP_KERNEL allocations are unmovable and never come from ZONE_MOVABLE;
 * __GFP_MOVABLE ones may, and land on MIGRATE_MOVABLE pageblocks.
 */
typedef unsigned int memhp_gfp_t;
#define MEMHP___GFP_DMA (1u << 0)
#define MEMHP___GFP_HIGHMEM (1u << 1)
#define MEMHP___GFP_DMA32 (1u << 2)
#define MEMHP___GFP_MOVABLE (1u << 3)
#define MEMHP___GFP_RECLAIMABLE (1u << 4)
#define MEMHP___GFP_ZERO (1u << 8)
#define MEMHP_GFP_KERNEL 0u
#define MEMHP_GFP_USER 0u
/* ZONE_MOVABLE is reachable only with __GFP_HIGHMEM and __GFP_MOVABLE. */
#define MEMHP_GFP_HIGHUSER_MOVABLE (MEMHP___GFP_HIGHMEM | MEMHP___GFP_MOVABLE)

/*
 * Allocate 2^order pages (order 0..max_order). The first page holds the
 * reference (refcount 1), the others are refcount 0, as for a non-compound
 * allocation. NULL when no zone the gfp allows has a free chunk (memhp has
 * no reclaim and no watermarks: see docs/semantics.md).
 */
MEMHP_API struct memhp_page *memhp_alloc_pages(struct memhp_machine *m, memhp_gfp_t gfp,
					       unsigned int order);
MEMHP_API struct memhp_page *memhp_alloc_pages_node(struct memhp_machine *m, int nid,
						    memhp_gfp_t gfp, unsigned int order);
/*
 * __free_pages(): drop the reference; the last one frees the chunk. A free
 * that memhp_free_pages_check() refuses frees nothing and logs a bad-page
 * finding, where Linux would corrupt its free lists or BUG.
 */
MEMHP_API void memhp_free_pages(struct memhp_page *page, unsigned int order);
/*
 * Could memhp_free_pages(@page, @order) free what an allocation handed out?
 * 0 if so; -EINVAL: @order is above max_order or @page is not aligned to it;
 * -ENOENT: @page has no reference left (freed already); -EBUSY: a page of
 * the range is free in the buddy (an allocation freed with a larger order
 * than it was made with).
 */
MEMHP_API int memhp_free_pages_check(struct memhp_page *page, unsigned int order);

/* Change the zone's managed pages and totalram by @count. */
MEMHP_API void memhp_adjust_managed_page_count(struct memhp_page *page, long count);
/*
 * The default online_page callback: hand 2^order pages to the buddy. A range
 * that memhp_online_pages_check() refuses is left alone, with a bad-page
 * finding.
 */
MEMHP_API void memhp_generic_online_page(struct memhp_page *page, unsigned int order);
/*
 * Are these 2^order pages being onlined, so that memhp_generic_online_page()
 * may hand them to the buddy? 0 if so; -EINVAL: @order is above max_order or
 * @page is not aligned to it; -EBUSY: a page of the range has no reference,
 * which onlining leaves on every page: it is in the buddy already, or the
 * tail of an allocation.
 */
MEMHP_API int memhp_online_pages_check(struct memhp_page *page, unsigned int order);

/* ---- Per-cpu lists (docs/semantics.md, "Per-cpu lists") -----------------
 *
 * Every zone keeps a list of free pages per simulated CPU (config nr_cpus):
 * order 0 to 3 and pageblock-order frees go onto the freeing CPU's list and
 * allocations of those orders come from it, refilled from the buddy and
 * spilled back a batch at a time. Pages there are free but not in the
 * buddy: MemFree does not count them and isolation must drain them.
 */

/*
 * The simulated CPU the calling thread runs on: until it is pinned with
 * memhp_set_current_cpu(), each thread gets the next CPU round robin the
 * first time it allocates or frees. A machine folds the number onto its
 * own nr_cpus. memhp_set_current_cpu() returns the previous pin (-1:
 * none yet), or -EINVAL for a CPU at or above MEMHP_MAX_CPUS.
 */
MEMHP_API int memhp_set_current_cpu(int cpu);
MEMHP_API int memhp_current_cpu(struct memhp_machine *m);

struct memhp_pcp_info {
	int count; /* pages on the lists */
	int high;  /* spilled to the buddy when count reaches this */
	int batch; /* refilled and spilled this many at a time */
};
/* The lists of @cpu in zone @zone, as /proc/zoneinfo's pagesets show them.
 * 0, or -EINVAL (no such node, zone or CPU). */
MEMHP_API int memhp_zone_pcp(struct memhp_machine *m, int nid, enum memhp_zone_type zone, int cpu,
			     struct memhp_pcp_info *pi);
/* Is @page the first page of a free chunk on a per-cpu list? (Its other
 * pages are refcount 0 and untyped, as a free chunk's tails are.) */
MEMHP_API bool memhp_page_on_pcp_list(const struct memhp_page *page);
/* drain_all_pages(NULL): every CPU's lists back into the buddy. */
MEMHP_API void memhp_drain_all_pages(struct memhp_machine *m);
/*
 * The LRU add caches: a page an LRU owner makes movable waits in its CPU's
 * batch (15 pages, with a reference of the batch's) and becomes PageLRU,
 * and so migratable, when the batch fills or is drained; offlining and
 * alloc_contig_range() drain and bypass them (lru_cache_disable()).
 * memhp_lru_add_drain_all() drains every CPU's batch (lru_add_drain_all());
 * memhp_lru_add_pending() says how many pages @cpu's batch holds.
 */
MEMHP_API void memhp_lru_add_drain_all(struct memhp_machine *m);
MEMHP_API unsigned int memhp_lru_add_pending(struct memhp_machine *m, int cpu);
/* vm.min_free_kbytes as the machine computed it (watermarks are computed
 * as 6.1 does, and size the lists; allocations do not wait on them). */
MEMHP_API int memhp_min_free_kbytes(struct memhp_machine *m);

/*
 * A free cut in two where 6.1's free_unref_page() can be preempted: after
 * it read the pageblock's migratetype, before it put the page on a per-cpu
 * list. For tests and scenarios that must act in that window.
 * memhp_free_pages_prepare() drops the last reference of @page (which must
 * be its only one), checks the pages as a free does and records the
 * pageblock's type in @fp; the pages are then free and on no list.
 * Returns 0, -EINVAL (an order the per-cpu lists do not take, or
 * memhp_free_pages_check() refuses the free), -EBUSY (@page has more than
 * one reference: nothing done), -EIO (a bad page: reported, nothing to
 * commit). memhp_free_pages_commit() finishes it: the page goes onto the
 * calling thread's CPU's list with the type read then, or to the buddy if
 * that list is busy or the type was ISOLATE.
 */
struct memhp_free_prepared {
	unsigned long pfn;
	unsigned int order;
	int migratetype;
	bool pending;
};
MEMHP_API int memhp_free_pages_prepare(struct memhp_page *page, unsigned int order,
				       struct memhp_free_prepared *fp);
MEMHP_API void memhp_free_pages_commit(struct memhp_machine *m, struct memhp_free_prepared *fp);

/* ---- CMA (docs/semantics.md, "CMA") ---------------------------------------
 *
 * The global area of config cma_size/cma_base (cma=): MIGRATE_CMA
 * pageblocks that only movable allocations may use, so that cma_alloc()
 * can take any range of it back with alloc_contig_range().
 */
struct memhp_cma_info {
	unsigned long base_pfn;	  /* the area */
	unsigned long count;	  /* its pages: CmaTotal */
	unsigned long free_pages; /* NR_FREE_CMA_PAGES: CmaFree */
	unsigned long allocated;  /* pages cma_alloc() handed out */
};
/* 0, or -ENOENT (the machine has no CMA area; @ci is zeroed). */
MEMHP_API int memhp_cma_info(struct memhp_machine *m, struct memhp_cma_info *ci);
/*
 * cma_alloc(): @count pages of the area, the first aligned to 2^@align_order
 * pages within it, migrating what is in the way. Returns the first pfn,
 * -EINVAL (no area, or a count it cannot hold), -ENOMEM (no free range of
 * the area is that large), -EBUSY (every free range had something that
 * could not be migrated), or another alloc_contig_range() error.
 */
MEMHP_API long memhp_cma_alloc(struct memhp_machine *m, unsigned long count,
			       unsigned int align_order);
/* cma_release(): 0, or -EINVAL (not a range cma_alloc() handed out). */
MEMHP_API int memhp_cma_release(struct memhp_machine *m, unsigned long pfn, unsigned long count);

/*
 * alloc_contig_range(): isolate the pageblocks of [start, end), migrate
 * what is movable, take the free pages off the buddy and hand the whole
 * range to the caller, every page with refcount 1. Returns 0, -EBUSY (an
 * unmovable page, or migration failed), -EINTR (signal), -EINVAL, with
 * everything restored on failure.
 */
MEMHP_API int memhp_alloc_contig_range(struct memhp_machine *m, unsigned long start,
				       unsigned long end, memhp_gfp_t gfp);
/* Put every page of the range (free_contig_range()). */
MEMHP_API void memhp_free_contig_range(struct memhp_machine *m, unsigned long pfn,
				       unsigned long nr_pages);

/* ---- Movable pages and their owners -------------------------------------
 *
 * A movable page belongs to an owner that knows how to let it go: the
 * movable_operations of 6.1 (balloon_mops, address_space operations). When
 * memhp migrates a page it allocates the target, copies the 4 KiB, links
 * the target to the same owner with the same @cookie, and asks the
 * owner to switch over. An owner registered with @lru set behaves like the
 * LRU (anonymous memory): PageLRU instead of __PageMovable.
 */
struct memhp_movable_operations {
	const char *name;
	bool lru;
	/* Take the page off the owner's lists; a reference is held. */
	bool (*isolate_page)(struct memhp_page *page, void *owner);
	/* Switch from @src to @dst (contents already copied). Return 0, or
	 * -EAGAIN to be retried, or another errno to fail this round. */
	int (*migrate_page)(struct memhp_page *dst, struct memhp_page *src, void *owner);
	/* Migration failed: take the isolated page back. */
	void (*putback_page)(struct memhp_page *page, void *owner);
	/*
	 * A hardware memory error hit the page (memhp_memory_failure()): its
	 * contents are gone. Asked of LRU owners only, whose pages stand for
	 * user memory, as the kernel unmaps only those (try_to_unmap() with
	 * TTU_HWPOISON in hwpoison_user_mappings()). Let go of the page the
	 * way a poison entry replaces a mapping: remember that the data is
	 * lost (a process gets SIGBUS when it touches the address), set
	 * PG_dirty (memhp_SetPageDirty()) if the contents had been written,
	 * unlink the page (memhp_ClearPageMovable()) and drop the owner's
	 * reference. The caller holds a reference. Return 0, -ENOENT if the
	 * page is no longer the owner's, or another errno if it cannot be let
	 * go now (isolated for migration, say). NULL: the owner cannot unmap.
	 */
	int (*unmap_poisoned)(struct memhp_page *page, void *owner);
	/*
	 * A THP of the owner's (a compound page it made movable, see
	 * memhp/hugetlb.h) is being split into its 2^@order base pages because
	 * no 2 MiB migration target could be had (split_huge_page()). Return 0
	 * to let it happen: page i then has the owner's id and cookie
	 * private + i, and is isolated for migration with a reference of the
	 * owner's and one of the isolation's, as the head was; an owner that
	 * gives its THPs 2^order consecutive cookies knows each page again.
	 * Return an errno to refuse; NULL: never split (the THP fails as a
	 * whole).
	 */
	int (*split_page)(struct memhp_page *head, unsigned int order, void *owner);
};

#define MEMHP_MAX_MOVABLE_OWNERS 64
/* Returns the owner id (> 0), or -ENOSPC. */
MEMHP_API int memhp_register_movable_owner(struct memhp_machine *m,
					   const struct memhp_movable_operations *ops, void *owner);
MEMHP_API void memhp_unregister_movable_owner(struct memhp_machine *m, int owner_id);

/* Make @page movable for owner @owner_id, with a cookie the owner chooses
 * (__SetPageMovable). The owner holds a reference to it. */
MEMHP_API void memhp_SetPageMovable(struct memhp_page *page, int owner_id, uint32_t cookie);
MEMHP_API void memhp_ClearPageMovable(struct memhp_page *page);
MEMHP_API int memhp_page_owner(const struct memhp_page *page);
MEMHP_API uint32_t memhp_page_private(const struct memhp_page *page);

/* ---- Memory failure (mm/memory-failure.c) ---------------------------------
 *
 * A page with a hardware error is poisoned (PG_hwpoison) and never handed
 * out again; num_poisoned_pages counts such pages (HardwareCorrupted in
 * /proc/meminfo) and stays in the managed count, as in 6.1. These are the
 * two calls /sys/devices/system/memory/{soft,hard}_offline_page make; both
 * print the kernel's "Memory failure: ..." lines through the tracers and
 * serialise on the machine's mf_mutex. docs/semantics.md has the rules.
 */

/*
 * soft_offline_page(pfn, 0): take a page that is still good but had
 * corrected errors out of use, losing nothing. A free page is taken off
 * the buddy; an LRU or movable page is migrated and its owner switched to
 * the copy; the old page is poisoned with one reference, as
 * page_handle_poison() leaves it. Returns 0 (also when it was already
 * poisoned), -ENXIO (no memmap), -EIO (not online, or a page memory
 * failure cannot handle: kernel, PageOffline, reserved), -EBUSY (isolation
 * or migration failed, or the free page was allocated meanwhile), -ENOMEM
 * (no migration target).
 */
MEMHP_API int memhp_soft_offline_page(struct memhp_machine *m, unsigned long pfn);

/*
 * memory_failure(pfn, MF_SW_SIMULATED), what hard_offline_page does: the
 * page's contents are gone. The page is poisoned whatever its kind and
 * keeps any reference memory_failure() takes. A free page is taken off the
 * buddy ("free buddy page: Recovered"); an LRU owner's page is unmapped
 * through ->unmap_poisoned ("dirty LRU page: Recovered"); anything else is
 * left to its user ("unknown page: Ignored"). Returns 0, -ENXIO (not
 * online: "memory outside kernel control"), -EHWPOISON (already poisoned),
 * -EBUSY (ignored or failed).
 */
MEMHP_API int memhp_memory_failure(struct memhp_machine *m, unsigned long pfn);

/* num_poisoned_pages: pages memory failure and soft offlining poisoned,
 * less those whose memmap went away with their memory. */
MEMHP_API unsigned long memhp_num_poisoned_pages(struct memhp_machine *m);

/* ---- Fault injection -------------------------------------------------
 *
 * Every place where the core, a driver or the device model can fail has a
 * number here: an injection point. Arming one makes the code take its
 * error path as if the resource had run out or the peer had refused,
 * exactly where Linux (or QEMU) has that error path. `memhp sweep` fails
 * them one by one and in pairs, SQLite-style; `memhp torture` arms them
 * at random. The numbering is stable: new points go before
 * MEMHP_NR_FAULTS, never between (tools print "point N" = value + 1).
 * docs/reliability.md lists each with the errno that must reach the caller.
 */
enum memhp_fault {
	MEMHP_FAULT_MIGRATION, /* a page migration fails with -EAGAIN */
	MEMHP_FAULT_ALLOC,     /* an allocation fails */
	/* Memory of memhp's own (kmalloc of metadata in Linux). */
	MEMHP_FAULT_MEMMAP_META,	  /* the vmemmap's bookkeeping of a hot-added section */
	MEMHP_FAULT_RESOURCE_ALLOC,	  /* an iomem resource (__request_region's kzalloc) */
	MEMHP_FAULT_OFFLINE_REMOVE_ALLOC, /* offline_and_remove_memory()'s online_types */
	MEMHP_FAULT_MIGRATE_LIST,	  /* the list of pages isolated for migration */
	MEMHP_FAULT_SLAB_META,		  /* a new slab's bookkeeping */
	/* Each notifier call: a notifier answers NOTIFY_BAD. GOING_* are vetoed
	 * by the first notifier, so the chain does not run; the others run the
	 * chain and then see a failing return value, which 6.1 ignores. */
	MEMHP_FAULT_NOTIFY_GOING_ONLINE,
	MEMHP_FAULT_NOTIFY_ONLINE,
	MEMHP_FAULT_NOTIFY_CANCEL_ONLINE,
	MEMHP_FAULT_NOTIFY_GOING_OFFLINE,
	MEMHP_FAULT_NOTIFY_OFFLINE,
	MEMHP_FAULT_NOTIFY_CANCEL_OFFLINE,
	/* Each migration step. */
	MEMHP_FAULT_MIGRATE_ISOLATE, /* the owner will not let the page be isolated */
	MEMHP_FAULT_MIGRATE_TARGET,  /* no target page (alloc_migration_target()) */
	/* The host (physmem.c). */
	MEMHP_FAULT_HOST_POPULATE, /* mprotect() of guest memory fails */
	MEMHP_FAULT_HOST_VMEMMAP,  /* mprotect() of the memmap fails */
	MEMHP_FAULT_HOST_DISCARD,  /* madvise(MADV_DONTNEED) fails */
	/* The virtio-mem device: its reply to a PLUG, UNPLUG or UNPLUG_ALL. */
	MEMHP_FAULT_VMEM_REPLY_BUSY,
	MEMHP_FAULT_VMEM_REPLY_ERROR,
	MEMHP_FAULT_VMEM_REPLY_NACK,
	/* The drivers' memory of their own. */
	MEMHP_FAULT_VMEM_DRV_ALLOC, /* virtio-mem: its per-block state arrays */
	MEMHP_FAULT_BALLOON_ALLOC,  /* a balloon: where it tracks its pages */
	MEMHP_NR_FAULTS
};
/* Fail the next @times attempts (-1: forever, 0: stop failing). */
MEMHP_API void memhp_fault_set(struct memhp_machine *m, enum memhp_fault fault, long times);
/*
 * Let the next @skip attempts through, then fail @times (-1: forever):
 * what a sweep needs to fail the Nth call of a point. While a point is
 * armed (either call), its attempts are counted (memhp_fault_calls());
 * a disarmed point costs one relaxed load.
 */
MEMHP_API void memhp_fault_arm(struct memhp_machine *m, enum memhp_fault fault, long skip,
			       long times);
MEMHP_API unsigned long memhp_fault_hits(struct memhp_machine *m, enum memhp_fault fault);
/* Attempts seen while the point was armed (passed or failed). */
MEMHP_API unsigned long memhp_fault_calls(struct memhp_machine *m, enum memhp_fault fault);
/*
 * Should this attempt fail? For drivers and device models, which are
 * built on the public API: they call it where their point is. Counts the
 * attempt and the hit.
 */
MEMHP_API bool memhp_should_fail(struct memhp_machine *m, enum memhp_fault fault);
/* "migration", "alloc", "memmap-meta", ...: a stable short name; NULL out
 * of range. */
MEMHP_API const char *memhp_fault_name(enum memhp_fault fault);
/* One line: where the point is and what failing it means. */
MEMHP_API const char *memhp_fault_what(enum memhp_fault fault);
/* The point whose name is @name, or -ENOENT. */
MEMHP_API int memhp_fault_by_name(const char *name);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_ALLOC_H */
