/* SPDX-License-Identifier: MIT */
/*
 * src/drivers/balloon_internal.h - what balloon.c (the common part, balloon
 * compaction and virtio-balloon) and balloon_pinned.c (Xen, Hyper-V,
 * VMware) share.
 *
 * Locks, outer to inner: the core's hotplug locks (held around the
 * online_page callback, the notifier and migration; inflation and
 * deflation take mem_hotplug_lock for read), balloon_lock, then pages_lock,
 * then host_lock. Nothing here calls into hotplug with balloon_lock held:
 * onlining would call back into the driver.
 */
#ifndef MEMHP_DRIVERS_BALLOON_INTERNAL_H
#define MEMHP_DRIVERS_BALLOON_INTERNAL_H

#include "../lib/lockdep.h"

#include <memhp/balloon.h>
#include <memhp/memhp.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#define BALLOON_NIL UINT32_MAX

/* vmw_balloon's 2 MiB pages (VMW_BALLOON_2M_ORDER); Hyper-V allocates in
 * the same unit (PAGES_IN_2M) before splitting. */
#define BALLOON_2M_ORDER 9
#define BALLOON_2M_PAGES (1UL << BALLOON_2M_ORDER)

/* GFP_HIGHUSER: user pages, not movable; never from ZONE_MOVABLE. */
#define BALLOON_GFP_HIGHUSER (MEMHP_GFP_USER | MEMHP___GFP_HIGHMEM)

/*
 * A page (4 KiB or 2 MiB) the balloon holds, or a free slot. A slot is
 * LISTED on pages or huge_pages, ISOLATED while migration holds its page,
 * or DROPPED when VMware deflated the page during a migration that then
 * failed: the putback lets it go. prev and next link slots by index; next
 * also chains the free slots.
 */
enum bslot_state {
	BSLOT_FREE,
	BSLOT_LISTED,
	BSLOT_ISOLATED,
	BSLOT_DROPPED,
};

struct bslot {
	uint32_t pfn;
	uint8_t order;
	uint8_t state;
	uint32_t prev, next;
};

/* A list of slots, newest first, as list_add() keeps balloon lists. */
struct blist {
	uint32_t head;
	unsigned long nr;
};

/* The host's record: one bit per pfn it holds, a bitmap per section made
 * when first needed. */
struct host_view {
	unsigned long pages_per_chunk;
	unsigned long nr_chunks;
	uint64_t **bits;
	unsigned long count;
};

/* A Hyper-V hot-add region (struct hv_hotadd_state without the gap list:
 * the host backs a region from its start, in order). */
struct hv_region {
	unsigned long start_pfn;
	unsigned long end_pfn;	       /* hot-added so far */
	unsigned long covered_end_pfn; /* backed by the host below this */
};

#define HV_MAX_REGIONS MEMHP_BALLOON_MAX_HOT_ADDS

struct memhp_balloon;

struct balloon_kind_ops {
	const char *name;
	bool compaction;			  /* 4 KiB pages are movable (balloon_mops) */
	bool adjust_managed;			  /* takes its pages out of managed_pages */
	memhp_gfp_t gfp;			  /* for 4 KiB pages */
	memhp_online_page_callback_t online_page; /* NULL: none */
	memhp_notifier_fn notifier;		  /* NULL: none */
	const char *init_message;		  /* what its init prints (KERN_INFO), or NULL */
	long (*inflate)(struct memhp_balloon *b, unsigned long nr_pages);
	long (*deflate)(struct memhp_balloon *b, unsigned long nr_pages);
	/* Called with balloon_lock held and the slot of @src isolated. */
	int (*migratepage)(struct memhp_balloon *b, struct memhp_page *dst, struct memhp_page *src,
			   uint32_t idx);
};

struct memhp_balloon {
	struct memhp_machine *m;
	enum memhp_balloon_kind kind;
	const struct balloon_kind_ops *ops;
	int owner_id; /* compaction kinds; 0 otherwise */
	struct memhp_notifier_block nb;
	bool callback_installed, notifier_registered;

	struct mutex balloon_lock; /* inflate, deflate, migrate, regions */
	struct mutex pages_lock;   /* slots, lists, isolated */
	struct mutex host_lock;	   /* host view, refusals */

	struct bslot *slots;
	unsigned long nr_slots, cap;
	uint32_t free_slots;	 /* head of the free-slot chain */
	struct blist pages;	 /* 4 KiB pages: balloon_dev_info.pages */
	struct blist huge_pages; /* VMware 2 MiB pages */
	unsigned long isolated;	 /* balloon_dev_info.isolated_pages */

	struct host_view host;
	long refuse; /* VMware: refusals to come, -1 all */

	struct hv_region regions[HV_MAX_REGIONS]; /* Hyper-V */
	unsigned int nr_regions;
	/* Hyper-V num_pages_onlined: changed under balloon_lock, read without. */
	_Atomic unsigned long onlined;

	_Atomic unsigned long nr_pages, nr_huge, migrated, refused, host_requests, hot_added;

	/* virtio: out of managed_pages (no DEFLATE_ON_OOM), and the device
	 * the requests go to (memhp_balloon_set_host()), or NULL. */
	bool adjust_managed;
	memhp_balloon_tell_fn tell;
	void *tell_priv;
};

/* ---- balloon.c: slots, lists, the host ------------------------------------ */

/* Under pages_lock. bslot_alloc() returns the slot index or -ENOMEM. */
long bslot_alloc(struct memhp_balloon *b, unsigned long pfn, unsigned int order);
/* Room for @nr more slots, so that the next @nr allocations cannot fail.
 * Returns 0 or -ENOMEM. */
int bslot_reserve(struct memhp_balloon *b, unsigned long nr);
void bslot_free(struct memhp_balloon *b, uint32_t idx);
void blist_add(struct memhp_balloon *b, struct blist *l, uint32_t idx);
void blist_del(struct memhp_balloon *b, struct blist *l, uint32_t idx);

enum host_op { HOST_INFLATE, HOST_DEFLATE };
/* Make room in the host's record for @nr pages of 2^@order at @pfns, so
 * that telling the host cannot fail later. Returns 0 or -ENOMEM. */
int balloon_host_prepare(struct memhp_balloon *b, const uint32_t *pfns, unsigned long nr,
			 unsigned int order);
/*
 * Tell the host that the guest gives up (@op HOST_INFLATE) or takes back
 * (HOST_DEFLATE) @nr pages of 2^@order at @pfns: one request. Inflated
 * memory is discarded on the host. Inflating needs balloon_host_prepare().
 */
void balloon_tell_host(struct memhp_balloon *b, enum host_op op, const uint32_t *pfns,
		       unsigned long nr, unsigned int order);
/* A balloon's request to its host, for whoever watches (MEMHP_EV_BALLOON). */
void balloon_event(struct memhp_balloon *b, enum memhp_balloon_request request,
		   unsigned long start_pfn, unsigned long nr_pages);
/* The host takes or gives back a range it never had backed (Xen and
 * Hyper-V hot-add, Hyper-V grants), without a balloon request and without
 * touching host memory. Preparing and taking return 0, -ENOMEM or -EINVAL
 * (beyond the address space); taking a prepared range cannot fail. */
int balloon_host_prepare_range(struct memhp_balloon *b, unsigned long pfn, unsigned long nr);
int balloon_host_take(struct memhp_balloon *b, unsigned long pfn, unsigned long nr);
void balloon_host_release(struct memhp_balloon *b, unsigned long pfn, unsigned long nr);
/* VMware: does the host refuse the next page? */
bool balloon_host_refuses(struct memhp_balloon *b);

/*
 * Inflation and deflation change a page's type and managed_pages in two
 * steps; mem_hotplug_lock for read around them keeps memhp_check(), which
 * takes it for write, from seeing one without the other (Linux has no
 * such checker to hide from). Then balloon_lock.
 */
void balloon_begin_update(struct memhp_balloon *b);
void balloon_end_update(struct memhp_balloon *b);

struct memhp_page *balloon_page(struct memhp_balloon *b, unsigned long pfn);
/* __SetPageOffline() on a page that must have no type: a failure is a bug,
 * reported as the kernel's VM_BUG_ON would. */
void balloon_mark_offline(struct memhp_balloon *b, struct memhp_page *page);
void balloon_mark_online(struct memhp_balloon *b, struct memhp_page *page);

/* ---- balloon.c: balloon compaction (mm/balloon_compaction.c) -------------- */

/* balloon_page_enqueue(): PageOffline, movable if the kind compacts, on
 * b->pages. Returns 0 or -ENOMEM. */
int balloon_page_enqueue(struct memhp_balloon *b, struct memhp_page *page);
/* balloon_page_list_dequeue(): up to @nr pages off b->pages, finalized
 * (neither movable nor PageOffline); their pfns into @pfns. */
unsigned long balloon_page_list_dequeue(struct memhp_balloon *b, uint32_t *pfns, unsigned long nr);
/* Put the migration's outcome into the lists: @idx now holds @dst. */
void balloon_page_migrated(struct memhp_balloon *b, uint32_t idx, struct memhp_page *dst);

/* ---- balloon_pinned.c -------------------------------------------------- */

extern const struct balloon_kind_ops xen_balloon_ops;
extern const struct balloon_kind_ops hv_balloon_ops;
extern const struct balloon_kind_ops vmw_balloon_ops;
extern const struct balloon_kind_ops vmw_balloon_4k_ops;

int balloon_xen_hot_add(struct memhp_balloon *b, uint64_t start, uint64_t size,
			unsigned long nr_backed);
int balloon_hv_hot_add(struct memhp_balloon *b, uint64_t start, uint64_t size,
		       unsigned long nr_backed);
long balloon_hv_host_grant(struct memhp_balloon *b, unsigned long nr_pages);

#endif /* MEMHP_DRIVERS_BALLOON_INTERNAL_H */
