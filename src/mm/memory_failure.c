// SPDX-License-Identifier: MIT
/*
 * memory_failure.c - pages with hardware errors (mm/memory-failure.c):
 * memory_failure(), what a machine check or hard_offline_page does, and
 * soft_offline_page(), what user space does to a page that had corrected
 * errors. Both end with the page poisoned (PG_hwpoison): the allocator
 * never hands it out again, offlining steps over it, and
 * num_poisoned_pages (HardwareCorrupted) counts it until its memmap goes
 * away with its memory (clear_hwpoisoned_pages()).
 *
 * Of the page kinds 6.1 tells apart, memhp has free buddy pages, LRU pages
 * (its LRU movable owners, the checksummed data: anonymous memory), non-LRU
 * movable pages (balloons), and pages memory failure cannot handle: kernel
 * allocations, PG_reserved, PageOffline. There are no hugetlb, THP, KSM,
 * page cache, swap cache, ZONE_DEVICE or SGX pages, no per-cpu lists to
 * drain and no LRU caches to shake, and no hwpoison-inject module, so no
 * filter (Debian builds it as a module; unloaded, it filters nothing).
 */
#include "internal.h"

#include <stdio.h>

/* The kernel's mf_result and the names action_result() prints. */
enum mf_result { MF_IGNORED, MF_FAILED, MF_DELAYED, MF_RECOVERED };

static const char *const action_name[] = {
	[MF_IGNORED] = "Ignored",
	[MF_FAILED] = "Failed",
	[MF_DELAYED] = "Delayed",
	[MF_RECOVERED] = "Recovered",
};

/* The page kinds of 6.1's action_page_types that memhp pages can be. */
enum mf_action_page_type {
	MF_MSG_KERNEL,
	MF_MSG_KERNEL_HIGH_ORDER,
	MF_MSG_UNMAP_FAILED,
	MF_MSG_DIRTY_LRU,
	MF_MSG_CLEAN_LRU,
	MF_MSG_TRUNCATED_LRU,
	MF_MSG_BUDDY,
	MF_MSG_UNKNOWN,
};

static const char *const action_page_types[] = {
	[MF_MSG_KERNEL] = "reserved kernel page",
	[MF_MSG_KERNEL_HIGH_ORDER] = "high-order kernel page",
	[MF_MSG_UNMAP_FAILED] = "unmapping failed page",
	[MF_MSG_DIRTY_LRU] = "dirty LRU page",
	[MF_MSG_CLEAN_LRU] = "clean LRU page",
	[MF_MSG_TRUNCATED_LRU] = "already truncated LRU page",
	[MF_MSG_BUDDY] = "free buddy page",
	[MF_MSG_UNKNOWN] = "unknown page",
};

/* get_any_page() tries this many more times before it gives up on a page
 * that changes under it. */
#define GET_PAGE_PASSES 3

static void num_poisoned_pages_inc(struct memhp_machine *m)
{
	ADD_ONCE(m->num_poisoned_pages, 1);
}

unsigned long memhp_num_poisoned_pages(struct memhp_machine *m)
{
	return (unsigned long)READ_ONCE(m->num_poisoned_pages);
}

/* is_free_buddy_page(): racy without zone->lock, as in the kernel; the
 * callers that act on the answer take the lock and look again. */
static bool is_free_buddy_page(struct memhp_machine *m, unsigned long pfn)
{
	unsigned long head;
	unsigned int order;

	return free_chunk_covering(m, pfn, &head, &order);
}

/* %pGp, in memhp's words: the flags word and the names of the set flags. */
static const char *page_flags_str(const struct memhp_page *page, char *buf, size_t size)
{
	static const char *const names[NR_PAGEFLAGS] = {
		[PG_reserved] = "reserved",
		[PG_lru] = "lru",
		[PG_movable] = "movable",
		[PG_isolated] = "isolated",
		[PG_hwpoison] = "hwpoison",
		[PG_offline_skippable] = "offline_skippable",
		[PG_dirty] = "dirty",
		[PG_vmemmap_self_hosted] = "vmemmap_self_hosted",
		[PG_offline_managed] = "offline_managed",
		[PG_slab] = "slab",
		[PG_lru_pending] = "lru_pending",
	};
	unsigned int flags =
		atomic_load_explicit(&((struct memhp_page *)page)->flags, memory_order_relaxed);
	size_t len = (size_t)snprintf(buf, size, "%#x(", flags);

	for (int f = 0; f < NR_PAGEFLAGS && len < size; f++)
		if (flags & (1u << f))
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
						buf[len - 1] == '(' ? "" : "|", names[f]);
	if (len < size)
		snprintf(buf + len, size - len, ")");
	return buf;
}

/* ---- Getting hold of the page ------------------------------------------------ */

/*
 * HWPoisonHandlable(): memory failure knows what to do with LRU pages and
 * free buddy pages; soft offlining can also migrate non-LRU movable pages.
 * Kernel allocations, PG_reserved and PageOffline pages are none of these.
 */
static bool hwpoison_handlable(struct memhp_machine *m, struct memhp_page *page, bool soft)
{
	if (soft && __PageMovable(page))
		return true;
	return PageLRU(page) || is_free_buddy_page(m, page_to_pfn_m(m, page));
}

/* __get_hwpoison_page(): 1 with a reference taken, 0 for a page with no
 * reference to take, -EBUSY for a page we cannot handle (no reference is
 * taken on those, so as not to race with whoever owns them). */
static int __get_hwpoison_page(struct memhp_machine *m, struct memhp_page *page, bool soft)
{
	if (!hwpoison_handlable(m, page, soft))
		return -EBUSY;
	return memhp_get_page_unless_zero(page) ? 1 : 0;
}

/*
 * get_any_page(). Returns 1 (an LRU or movable page, referenced), 0 (a
 * free buddy page), -EBUSY (it kept being allocated under us), -EIO (a
 * page memory failure cannot handle: "unhandlable page").
 */
static int get_any_page(struct memhp_machine *m, struct memhp_page *page, bool soft)
{
	unsigned long pfn = page_to_pfn_m(m, page);
	int ret, pass = 0;

try_again:
	ret = __get_hwpoison_page(m, page, soft);
	if (!ret) {
		if (page_count(page)) {
			/* Allocated between the two looks. */
			if (pass++ < GET_PAGE_PASSES)
				goto try_again;
			ret = -EBUSY;
		} else if (!is_free_buddy_page(m, pfn)) {
			/* On its way to the buddy. */
			if (pass++ < GET_PAGE_PASSES)
				goto try_again;
			ret = -EIO;
		}
	} else if (ret == -EBUSY) {
		/* shake_page(): a page still in a CPU's LRU add batch becomes
		 * an LRU page once the batches drain. */
		if (pass++ < GET_PAGE_PASSES) {
			lru_add_drain_all(m);
			goto try_again;
		}
		ret = -EIO;
	} else if (!hwpoison_handlable(m, page, soft)) {
		/* Referenced, but turned into something we cannot handle. */
		memhp_put_page(page);
		if (pass++ < GET_PAGE_PASSES) {
			lru_add_drain_all(m);
			goto try_again;
		}
		ret = -EIO;
	}
	if (ret == -EIO)
		mhp_log(m, KERN_ERR, "Memory failure: %#lx: unhandlable page.", pfn);
	return ret;
}

/*
 * get_hwpoison_page(): get_any_page() with the zone's per-cpu lists
 * drained and kept empty (zone_pcp_disable()), so that a free page on a
 * CPU's list is back in the buddy, where it is seen as free and taken off.
 * Without it, a memory failure on such a page found it neither free nor
 * anyone's ("unknown page"), and left it poisoned on the list, to be
 * handed out. Returns what get_any_page() does. Caller holds
 * get_online_mems(): the zone stays.
 */
static int get_hwpoison_page(struct memhp_machine *m, struct memhp_page *page, bool soft)
{
	struct zone *zone = pfn_zone(m, page_to_pfn_m(m, page));
	int ret;

	zone_pcp_disable(m, zone);
	ret = get_any_page(m, page, soft);
	zone_pcp_enable(m, zone);
	return ret;
}

/*
 * page_handle_poison(): poison a page soft offlining is done with. A free
 * page must first come off the buddy (false if it was allocated
 * meanwhile); @release drops the reference migration left on the source,
 * which frees nothing since the page is poisoned by then. Either way the
 * page ends with one reference, the one that keeps it from ever being
 * freed.
 */
static bool page_handle_poison(struct memhp_machine *m, struct memhp_page *page, bool free_page,
			       bool release)
{
	/* __page_handle_poison(): a free page may be on a per-cpu list;
	 * drain_all_pages() puts it back in the buddy to be taken off. */
	if (free_page) {
		drain_all_pages(m, pfn_zone(m, page_to_pfn_m(m, page)));
		if (!take_page_off_buddy(m, page_to_pfn_m(m, page)))
			return false;
	}
	set_page_flag(page, PG_hwpoison);
	if (release)
		memhp_put_page(page);
	memhp_page_ref_inc(page);
	num_poisoned_pages_inc(m);
	return true;
}

/* ---- Soft offline ------------------------------------------------------------ */

/*
 * isolate_page(): isolate an LRU or movable page for migration. The
 * reference get_hwpoison_page() took becomes the isolation's, or is
 * dropped if isolation fails.
 */
static bool isolate_page(struct memhp_machine *m, struct memhp_page *page)
{
	if (!isolate_movable_page(m, page))
		return true;
	memhp_put_page(page);
	return false;
}

/*
 * soft_offline_in_use_page(): migrate the page's contents to a new page,
 * switch its owner over, and poison the old one. memhp has no page cache,
 * so there is never a clean page to invalidate instead. Returns 0, -EBUSY
 * (isolation or migration failed), -ENOMEM (no target).
 */
static int soft_offline_in_use_page(struct memhp_machine *m, struct memhp_page *page)
{
	unsigned long pfn = page_to_pfn_m(m, page), migrated = 0;
	char flags[96];
	long ret;

	if (PageHWPoison(page)) {
		memhp_put_page(page);
		mhp_log(m, KERN_INFO, "Memory failure: soft offline: %#lx page already poisoned",
			pfn);
		return 0;
	}
	if (!isolate_page(m, page)) {
		mhp_log(m, KERN_INFO,
			"Memory failure: soft offline: %#lx: page isolation failed, page count %d, "
			"type %s",
			pfn, page_count(page), page_flags_str(page, flags, sizeof(flags)));
		return -EBUSY;
	}
	/* alloc_migration_target() with GFP_USER | __GFP_MOVABLE, and
	 * __GFP_HIGHMEM for a source in ZONE_MOVABLE. */
	ret = migrate_pages(m, &pfn, 1, MR_MEMORY_FAILURE, &migrated);
	if (!ret) {
		if (!page_handle_poison(m, page, false, true))
			ret = -EBUSY;
		return (int)ret;
	}
	mhp_log(m, KERN_INFO,
		"Memory failure: soft offline: %#lx: page migration failed %ld, type %s", pfn, ret,
		page_flags_str(page, flags, sizeof(flags)));
	return ret > 0 ? -EBUSY : (int)ret;
}

static int soft_offline_page(struct memhp_machine *m, unsigned long pfn)
{
	struct memhp_page *page;
	bool try_again = true;
	int ret;

	if (!pfn_valid_m(m, pfn))
		return -ENXIO;
	/* Only online pages: not one of a present block that is offline. */
	page = memhp_pfn_to_online_page(m, pfn);
	if (!page)
		return -EIO;

	pthread_mutex_lock(&m->mf_mutex);
	if (PageHWPoison(page)) {
		mhp_log(m, KERN_INFO,
			"Memory failure: soft_offline_page: %#lx page already poisoned", pfn);
		pthread_mutex_unlock(&m->mf_mutex);
		return 0;
	}
retry:
	/* Only finding the page is done with memory hotplug held off, as in
	 * 6.1: a page we hold a reference on, or a free page we take off the
	 * buddy under zone->lock, cannot be offlined under us. */
	memhp_get_online_mems(m);
	ret = get_hwpoison_page(m, page, true);
	memhp_put_online_mems(m);

	if (ret > 0) {
		ret = soft_offline_in_use_page(m, page);
	} else if (ret == 0) {
		if (!page_handle_poison(m, page, true, false)) {
			/* Allocated since we looked: look once more. */
			if (try_again) {
				try_again = false;
				goto retry;
			}
			ret = -EBUSY;
		}
	}
	pthread_mutex_unlock(&m->mf_mutex);
	return ret;
}

int memhp_soft_offline_page(struct memhp_machine *m, unsigned long pfn)
{
	int ret;

	memhp_note_pfn_walker(m);
	trace_op_begin(m, MEMHP_OP_SOFT_OFFLINE_PAGE, pfn, 1, -1);
	ret = soft_offline_page(m, pfn);
	trace_op_end(m, MEMHP_OP_SOFT_OFFLINE_PAGE, pfn, 1, -1, 0, ret);
	return ret;
}

/* ---- Memory failure ------------------------------------------------------------ */

/* action_result(): every outcome counts the page as poisoned, whatever
 * became of it. */
static void action_result(struct memhp_machine *m, unsigned long pfn, enum mf_action_page_type type,
			  enum mf_result result)
{
	num_poisoned_pages_inc(m);
	mhp_log(m, KERN_ERR, "Memory failure: %#lx: recovery action for %s: %s", pfn,
		action_page_types[type], action_name[result]);
}

/*
 * try_to_unmap() with TTU_HWPOISON, memhp's way: the page's owner lets go
 * of it as a poison entry would replace its mappings. Returns 0, -ENOENT
 * (nobody owns the page any more: torn down meanwhile), -EBUSY (the owner
 * cannot unmap, or not now).
 */
int unmap_poisoned_page(struct memhp_machine *m, struct memhp_page *page)
{
	const struct memhp_movable_operations *ops;
	void *owner;
	int ret;

	ops = owner_ops(m, page_owner_id(page), &owner);
	if (!ops)
		return -ENOENT;
	if (!ops->unmap_poisoned)
		return -EBUSY;
	ret = ops->unmap_poisoned(page, owner);
	return ret == -ENOENT ? -ENOENT : ret ? -EBUSY : 0;
}

/*
 * hwpoison_user_mappings(): take an LRU page away from its user. The
 * kernel unmaps it and, the data being dirty, kills the processes that
 * asked to be told early (none by default, nor with MF_SW_SIMULATED; the
 * others get SIGBUS when they touch the address). memhp asks the owner.
 * Returns true if the page is no longer mapped; *truncated if nobody owned
 * it any more.
 */
static bool hwpoison_user_mappings(struct memhp_machine *m, struct memhp_page *page,
				   unsigned long pfn, bool *truncated)
{
	int ret = unmap_poisoned_page(m, page);

	*truncated = ret == -ENOENT;
	if (ret && !*truncated) {
		mhp_log(m, KERN_ERR, "Memory failure: %#lx: failed to unmap page", pfn);
		return false;
	}
	return true;
}

/* The page states identify_page_state() matches, first match wins: the
 * rows of 6.1's error_states[] that memhp pages can meet. */
#define MF_RESERVED (1u << PG_reserved)
#define MF_LRU (1u << PG_lru)
#define MF_DIRTY (1u << PG_dirty)

static const struct page_state {
	unsigned int mask, res;
	enum mf_action_page_type type;
} error_states[] = {
	{ MF_RESERVED, MF_RESERVED, MF_MSG_KERNEL },
	{ MF_LRU | MF_DIRTY, MF_LRU | MF_DIRTY, MF_MSG_DIRTY_LRU },
	{ MF_LRU | MF_DIRTY, MF_LRU, MF_MSG_CLEAN_LRU },
	{ 0, 0, MF_MSG_UNKNOWN }, /* the catch-all, last */
};

static const struct page_state *match_state(unsigned int flags)
{
	const struct page_state *ps = error_states;

	while ((flags & ps->mask) != ps->res)
		ps++;
	return ps;
}

/*
 * identify_page_state() and page_action(): what the page is decides what
 * is done. The current flags first; if they say nothing (the owner has
 * already taken an unmapped page off its LRU), the flags from before the
 * unmap, with the dirty bit the unmap may have set. Returns 0 if the page
 * was recovered, else -EBUSY.
 */
static int identify_page_state(struct memhp_machine *m, unsigned long pfn, struct memhp_page *page,
			       unsigned int page_flags)
{
	unsigned int flags = atomic_load_explicit(&page->flags, memory_order_relaxed);
	const struct page_state *ps = match_state(flags);
	enum mf_result result;

	page_flags |= flags & MF_DIRTY;
	if (!ps->mask)
		ps = match_state(page_flags);
	switch (ps->type) {
	case MF_MSG_KERNEL:
		/* me_kernel(): nothing to do but hope. */
		result = MF_IGNORED;
		break;
	case MF_MSG_DIRTY_LRU:
	case MF_MSG_CLEAN_LRU:
		/*
		 * me_pagecache_dirty() and me_pagecache_clean(): off the LRU
		 * (the owner did that as it unmapped), and for anonymous memory,
		 * which is all memhp's LRU owners have, that is all: the only
		 * reference left is ours.
		 */
		result = MF_RECOVERED;
		break;
	default:
		/* me_unknown() */
		mhp_log(m, KERN_ERR, "Memory failure: %#lx: Unknown page state", pfn);
		result = MF_FAILED;
		break;
	}
	action_result(m, pfn, ps->type, result);
	return result == MF_RECOVERED || result == MF_DELAYED ? 0 : -EBUSY;
}

/*
 * memory_failure(pfn, MF_SW_SIMULATED). 6.1 looks up the page without
 * mem_hotplug_lock; memhp holds it for reading throughout, so that the
 * memmap it writes PG_hwpoison into cannot be removed meanwhile (a memory
 * failure waits for an offline in progress, as no kernel one would).
 */
static int memory_failure(struct memhp_machine *m, unsigned long pfn)
{
	struct memhp_page *p;
	unsigned int page_flags;
	bool retry = true, truncated;
	int res;

	pthread_mutex_lock(&m->mf_mutex);
	memhp_get_online_mems(m);
	p = memhp_pfn_to_online_page(m, pfn);
	if (!p) {
		/* arch_memory_failure(): no SGX pages; get_dev_pagemap(): no
		 * ZONE_DEVICE memory. Offline memory is in nobody's hands. */
		mhp_log(m, KERN_ERR, "Memory failure: %#lx: memory outside kernel control", pfn);
		res = -ENXIO;
		goto unlock;
	}

try_again:
	/* The page is poisoned before anything else: whatever follows, the
	 * allocator must never hand it out again. */
	if (test_and_set_page_flag(p, PG_hwpoison)) {
		mhp_log(m, KERN_ERR, "Memory failure: %#lx: already hardware poisoned", pfn);
		res = -EHWPOISON;
		goto unlock;
	}

	res = get_hwpoison_page(m, p, false);
	if (!res) {
		if (is_free_buddy_page(m, pfn)) {
			enum mf_result result;

			if (take_page_off_buddy(m, pfn)) {
				memhp_page_ref_inc(p);
				result = MF_RECOVERED;
			} else if (retry) {
				/* Allocated since we looked: start over. */
				clear_page_flag(p, PG_hwpoison);
				retry = false;
				goto try_again;
			} else {
				result = MF_FAILED;
			}
			action_result(m, pfn, MF_MSG_BUDDY, result);
			res = result == MF_RECOVERED ? 0 : -EBUSY;
		} else {
			action_result(m, pfn, MF_MSG_KERNEL_HIGH_ORDER, MF_IGNORED);
			res = -EBUSY;
		}
		goto unlock;
	} else if (res < 0) {
		/* Unhandlable: a kernel, reserved or PageOffline page keeps
		 * PG_hwpoison and its user keeps the page. */
		action_result(m, pfn, MF_MSG_UNKNOWN, MF_IGNORED);
		res = -EBUSY;
		goto unlock;
	}

	/*
	 * We hold a reference on an LRU page. No THP to split, no page lock:
	 * the owner serialises against migration and freeing itself. The
	 * flags are kept from before the unmap, which changes them.
	 */
	page_flags = atomic_load_explicit(&p->flags, memory_order_relaxed);
	if (!PageLRU(p))
		goto identify_page_state;
	if (!hwpoison_user_mappings(m, p, pfn, &truncated)) {
		action_result(m, pfn, MF_MSG_UNMAP_FAILED, MF_IGNORED);
		res = -EBUSY;
		goto unlock;
	}
	if (truncated) {
		/* Freed by its owner after we took our reference. */
		action_result(m, pfn, MF_MSG_TRUNCATED_LRU, MF_IGNORED);
		res = -EBUSY;
		goto unlock;
	}

identify_page_state:
	res = identify_page_state(m, pfn, p, page_flags);
unlock:
	memhp_put_online_mems(m);
	pthread_mutex_unlock(&m->mf_mutex);
	return res;
}

int memhp_memory_failure(struct memhp_machine *m, unsigned long pfn)
{
	int ret;

	/* It writes PG_hwpoison into a page that is not its own. */
	memhp_note_pfn_walker(m);
	trace_op_begin(m, MEMHP_OP_MEMORY_FAILURE, pfn, 1, -1);
	ret = memory_failure(m, pfn);
	trace_op_end(m, MEMHP_OP_MEMORY_FAILURE, pfn, 1, -1, 0, ret);
	return ret;
}

/* ---- Memory going away ------------------------------------------------------- */

/*
 * clear_hwpoisoned_pages(): the memmap of [pfn, pfn + nr_pages) is about to
 * go with its section: its poisoned pages stop counting. Pages onlined
 * again since they were poisoned have lost PG_hwpoison to the memmap's
 * re-initialisation and are not found here: 6.1 keeps counting those.
 */
void clear_hwpoisoned_pages(struct memhp_machine *m, unsigned long pfn, unsigned long nr_pages)
{
	long total = 0;

	if (!READ_ONCE(m->num_poisoned_pages))
		return;
	for (unsigned long i = 0; i < nr_pages; i++) {
		struct memhp_page *page = pfn_to_page(m, pfn + i);

		if (PageHWPoison(page)) {
			clear_page_flag(page, PG_hwpoison);
			total++;
		}
	}
	if (total)
		ADD_ONCE(m->num_poisoned_pages, -total);
}
