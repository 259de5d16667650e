// SPDX-License-Identifier: MIT
/*
 * balloon_pinned.c - the balloons whose pages offlining cannot move in
 * 6.1: Xen (drivers/xen/balloon.c), Hyper-V (drivers/hv/hv_balloon.c) and
 * the 2 MiB pages of VMware (drivers/misc/vmw_balloon.c, whose 4 KiB pages
 * use balloon compaction and do migrate).
 *
 * None of them drops its page references in MEM_GOING_OFFLINE, so a block
 * holding one of their pages does not go offline. An inflated page passes
 * isolation (PageOffline is skipped when offlining) and then stops
 * scan_movable_pages() with -EBUSY, "unmovable page", before anything is
 * migrated at a higher pfn. A hot-added page the host never backed still
 * has PG_reserved from memmap init, which has_unmovable_pages() checks
 * before anything else, even in ZONE_MOVABLE: isolation fails, no notifier
 * hears of it.
 */
#include "balloon_internal.h"

#include <stdlib.h>

/* Pages per reservation hypercall: a page of xen_pfn_t (frame_list). */
#define XEN_BALLOON_BATCH (MEMHP_PAGE_SIZE / sizeof(uint64_t))
/* The unit Hyper-V hot-adds in: 128 MiB (HA_CHUNK). */
#define HV_HA_CHUNK_PAGES ((128 * MEMHP_MiB) >> MEMHP_PAGE_SHIFT)
/* Page ranges that fit in one balloon response: a 4 KiB message with a
 * 16-byte header and 8-byte ranges. */
#define HV_MAX_RANGES_PER_RESPONSE 510
/* Pages per unballoon request memhp's host sends. */
#define HV_UNBALLOON_BATCH 512
/* Pages per lock or unlock batch: a page of 8-byte entries. */
#define VMW_BALLOON_BATCH_MAX_PAGES (MEMHP_PAGE_SIZE / sizeof(uint64_t))
/* Refused pages that make inflation fall back to the next smaller size. */
#define VMW_BALLOON_MAX_REFUSED 16

/* ---- Pinned pages on b->pages ------------------------------------------ */

/*
 * Make room to track @nr pages of 2^@order at @pfns in the host's record,
 * and @nr_slots slots, so that nothing fails once pages are marked.
 * Returns 0 or -ENOMEM.
 */
static int balloon_reserve(struct memhp_balloon *b, const uint32_t *pfns, unsigned long nr,
			   unsigned int order, unsigned long nr_slots)
{
	int ret;

	lockdep_assert_held(&b->balloon_lock);
	ret = balloon_host_prepare(b, pfns, nr, order);

	if (!ret) {
		pthread_mutex_lock(&b->pages_lock);
		ret = bslot_reserve(b, nr_slots);
		pthread_mutex_unlock(&b->pages_lock);
	}
	return ret;
}

/* DIV_ROUND_UP() that cannot overflow for "everything" (~0UL). */
static unsigned long div_round_up(unsigned long n, unsigned long d)
{
	return n / d + (n % d != 0);
}

/* balloon_append() of Xen, and Hyper-V's marking: PageOffline, newest
 * first on b->pages. Slots must have been reserved. */
static void pinned_append(struct memhp_balloon *b, unsigned long pfn, unsigned long nr)
{
	pthread_mutex_lock(&b->pages_lock);
	for (unsigned long i = 0; i < nr; i++) {
		long idx = bslot_alloc(b, pfn + i, 0);

		balloon_mark_offline(b, balloon_page(b, pfn + i));
		blist_add(b, &b->pages, (uint32_t)idx);
	}
	pthread_mutex_unlock(&b->pages_lock);
	atomic_fetch_add(&b->nr_pages, nr);
}

/* balloon_retrieve(): up to @nr pages off the head, PageOffline cleared. */
static unsigned long pinned_retrieve(struct memhp_balloon *b, uint32_t *pfns, unsigned long nr)
{
	unsigned long n = 0;

	pthread_mutex_lock(&b->pages_lock);
	while (n < nr && b->pages.head != BALLOON_NIL) {
		uint32_t idx = b->pages.head;

		pfns[n] = b->slots[idx].pfn;
		blist_del(b, &b->pages, idx);
		bslot_free(b, idx);
		balloon_mark_online(b, balloon_page(b, pfns[n]));
		n++;
	}
	pthread_mutex_unlock(&b->pages_lock);
	atomic_fetch_sub(&b->nr_pages, n);
	return n;
}

static void put_pfns(struct memhp_balloon *b, const uint32_t *pfns, unsigned long nr)
{
	for (unsigned long i = 0; i < nr; i++)
		memhp_put_page(balloon_page(b, pfns[i]));
}

/* ---- Xen ------------------------------------------------------------------ */

/*
 * decrease_reservation(), a batch at a time: allocate (unmovable, so never
 * from ZONE_MOVABLE), take out of managed_pages, append, hand the frames
 * to the hypervisor. A failed allocation ends it (BP_EAGAIN; the balloon
 * thread would try again later). Returns the pages inflated, or -ENOMEM
 * if none could be tracked.
 */
static long xen_inflate(struct memhp_balloon *b, unsigned long nr_pages)
{
	uint32_t pfns[XEN_BALLOON_BATCH];
	unsigned long done = 0;
	bool eagain = false, untracked = false;

	while (done < nr_pages && !eagain && !untracked) {
		unsigned long want = nr_pages - done, got = 0;

		if (want > XEN_BALLOON_BATCH)
			want = XEN_BALLOON_BATCH;
		balloon_begin_update(b);
		for (; got < want; got++) {
			struct memhp_page *page = memhp_alloc_pages(b->m, b->ops->gfp, 0);

			if (!page) {
				eagain = true;
				break;
			}
			pfns[got] = (uint32_t)memhp_page_to_pfn(page);
		}
		if (got && balloon_reserve(b, pfns, got, 0, got)) {
			untracked = true;
			put_pfns(b, pfns, got);
			got = 0;
		}
		for (unsigned long i = 0; i < got; i++) {
			memhp_adjust_managed_page_count(balloon_page(b, pfns[i]), -1);
			pinned_append(b, pfns[i], 1);
		}
		if (got)
			balloon_tell_host(b, HOST_INFLATE, pfns, got, 0);
		balloon_end_update(b);
		done += got;
	}
	return done || !untracked ? (long)done : -ENOMEM;
}

/*
 * increase_reservation(): the hypervisor populates the frames at the head
 * of the list, which go back through free_reserved_page(): PG_reserved
 * cleared (hot-added pages still had it), freed, managed again. Returns the
 * pages deflated.
 */
static long xen_deflate(struct memhp_balloon *b, unsigned long nr_pages)
{
	uint32_t pfns[XEN_BALLOON_BATCH];
	unsigned long done = 0;

	while (done < nr_pages) {
		unsigned long want = nr_pages - done, n;

		if (want > XEN_BALLOON_BATCH)
			want = XEN_BALLOON_BATCH;
		balloon_begin_update(b);
		n = pinned_retrieve(b, pfns, want);
		if (n)
			balloon_tell_host(b, HOST_DEFLATE, pfns, n, 0);
		for (unsigned long i = 0; i < n; i++) {
			struct memhp_page *page = balloon_page(b, pfns[i]);

			memhp_ClearPageReserved(page);
			memhp_adjust_managed_page_count(page, 1);
			memhp_put_page(page);
		}
		balloon_end_update(b);
		done += n;
		if (n < want)
			break;
	}
	return (long)done;
}

/*
 * xen_online_page(): every page of any range being onlined goes into the
 * balloon, not the buddy: it keeps the refcount and PG_reserved memmap
 * init gave it and is not managed; only deflation makes it RAM.
 */
static void xen_online_page(struct memhp_page *page, unsigned int order, void *priv)
{
	struct memhp_balloon *b = priv;
	const unsigned long pfn = memhp_page_to_pfn(page), nr = 1UL << order;
	int ret;

	pthread_mutex_lock(&b->balloon_lock);
	pthread_mutex_lock(&b->pages_lock);
	ret = bslot_reserve(b, nr);
	pthread_mutex_unlock(&b->pages_lock);
	if (!ret)
		pinned_append(b, pfn, nr);
	pthread_mutex_unlock(&b->balloon_lock);
	/* Left as they are, the pages stay reserved and unused: still safe.
	 * Linux threads them on a list and cannot fail here; memhp's array
	 * can, which is memhp's limit, not the kernel's WARN. */
	if (ret)
		memhp_report(b->m, pfn, MEMHP_RULE_MEMHP_NO_MEMORY,
			     "xen balloon: no memory to track onlined pages");
}

/* xen_memory_notifier() only wakes the balloon thread on MEM_ONLINE, which
 * memhp has not: it does nothing for offlining. */
static int xen_memory_notifier(struct memhp_notifier_block *nb, unsigned long action, void *data)
{
	(void)nb;
	(void)action;
	(void)data;
	return MEMHP_NOTIFY_OK;
}

/*
 * reserve_additional_memory(): the range is added with nothing behind it
 * on the host; onlining puts its pages into the balloon and deflation
 * populates them. Returns 0, -EINVAL (misaligned, @nr_backed not 0), -E2BIG
 * (beyond the address space), -ENOMEM, or add_memory()'s error.
 */
int balloon_xen_hot_add(struct memhp_balloon *b, uint64_t start, uint64_t size,
			unsigned long nr_backed)
{
	const unsigned long pfn = (unsigned long)(start >> MEMHP_PAGE_SHIFT);
	const unsigned long nr = (unsigned long)(size >> MEMHP_PAGE_SHIFT);
	int ret;

	if (nr_backed || !size || (start | size) & (MEMHP_PAGE_SIZE - 1))
		return -EINVAL;
	if (pfn + nr > memhp_max_pfn(b->m) || pfn + nr < pfn)
		return -E2BIG;
	/* The record is made ready first and filled only once the range is
	 * ours: a range already present (-EEXIST) must not be touched. */
	ret = balloon_host_prepare_range(b, pfn, nr);
	if (ret)
		return ret;
	/* Not under balloon_lock: auto-onlining calls xen_online_page(). */
	ret = memhp_add_memory(b->m, 0, start, size, MEMHP_MHP_MERGE_RESOURCE);
	if (ret) {
		/* reserve_additional_memory() */
		memhp_printk(b->m, MEMHP_KERN_WARNING,
			     "xen:balloon: Cannot add additional memory (%i)", ret);
		return ret;
	}
	balloon_host_take(b, pfn, nr);
	memhp_host_discard(b->m, start, size, false);
	atomic_fetch_add(&b->hot_added, nr);
	return 0;
}

const struct balloon_kind_ops xen_balloon_ops = {
	.name = "xen",
	.compaction = false,
	.adjust_managed = true,
	.gfp = BALLOON_GFP_HIGHUSER,
	.online_page = xen_online_page,
	.notifier = xen_memory_notifier,
	/* balloon_init(), with the driver's pr_fmt. */
	.init_message = "xen:balloon: Initialising balloon driver",
	.inflate = xen_inflate,
	.deflate = xen_deflate,
};

/* ---- Hyper-V -------------------------------------------------------------- */

/*
 * alloc_balloon_pages(): up to @nr_pages in units of @unit pages, as many
 * units as one response holds. A 2 MiB unit is split so each page has its
 * own reference and can be given back alone. Every page is PageOffline and
 * out of managed_pages. Returns the pages ballooned.
 */
static unsigned long hv_alloc_balloon_pages(struct memhp_balloon *b, unsigned long nr_pages,
					    unsigned long unit)
{
	const unsigned int order = unit == 1 ? 0 : BALLOON_2M_ORDER;
	uint32_t starts[HV_MAX_RANGES_PER_RESPONSE];
	unsigned long i;

	balloon_begin_update(b);
	for (i = 0; i < nr_pages / unit && i < HV_MAX_RANGES_PER_RESPONSE; i++) {
		struct memhp_page *page = memhp_alloc_pages(b->m, b->ops->gfp, order);
		uint32_t pfn;

		if (!page)
			break;
		pfn = (uint32_t)memhp_page_to_pfn(page);
		if (balloon_reserve(b, &pfn, 1, order, unit)) {
			memhp_free_pages(page, order);
			break;
		}
		/* split_page(): the tails get their own reference. */
		for (unsigned long j = 1; j < unit; j++)
			memhp_page_ref_inc(balloon_page(b, pfn + j));
		memhp_adjust_managed_page_count(page, -(long)unit);
		pinned_append(b, pfn, unit);
		starts[i] = pfn;
	}
	if (i)
		balloon_tell_host(b, HOST_INFLATE, starts, i, order);
	balloon_end_update(b);
	return i * unit;
}

/*
 * balloon_up(): 2 MiB units while they come, then single pages, one
 * response after the other until the request is met or nothing more can
 * be allocated. memhp has no balloon floor (compute_balloon_floor()).
 * Returns the pages inflated.
 */
static long hv_inflate(struct memhp_balloon *b, unsigned long nr_pages)
{
	unsigned long unit = BALLOON_2M_PAGES, ballooned = 0, done = 0;

	for (;;) {
		nr_pages -= ballooned;
		ballooned = hv_alloc_balloon_pages(b, nr_pages, unit);
		done += ballooned;
		if (unit != 1 && !ballooned) {
			unit = 1;
			continue;
		}
		if (!ballooned || ballooned == nr_pages)
			break;
	}
	return (long)done;
}

/* balloon_down(): the host names ranges to give back; memhp's host takes
 * the most recently ballooned pages. free_balloon_pages() for each.
 * Returns the pages deflated. */
static long hv_deflate(struct memhp_balloon *b, unsigned long nr_pages)
{
	uint32_t pfns[HV_UNBALLOON_BATCH];
	unsigned long done = 0;

	while (done < nr_pages) {
		unsigned long want = nr_pages - done, n;

		if (want > HV_UNBALLOON_BATCH)
			want = HV_UNBALLOON_BATCH;
		balloon_begin_update(b);
		n = pinned_retrieve(b, pfns, want);
		if (n)
			balloon_tell_host(b, HOST_DEFLATE, pfns, n, 0);
		for (unsigned long i = 0; i < n; i++) {
			struct memhp_page *page = balloon_page(b, pfns[i]);

			memhp_put_page(page);
			memhp_adjust_managed_page_count(page, 1);
		}
		balloon_end_update(b);
		done += n;
		if (n < want)
			break;
	}
	return (long)done;
}

/*
 * hv_page_online_one(): a page the host backs goes to the buddy and counts
 * as onlined; one it does not stays PageOffline, with the PG_reserved and
 * reference of memmap init.
 */
static void hv_page_online_one(struct memhp_balloon *b, const struct hv_region *r,
			       struct memhp_page *page)
{
	lockdep_assert_held(&b->balloon_lock);
	if (memhp_page_to_pfn(page) >= r->covered_end_pfn) {
		if (!memhp_PageOffline(page))
			balloon_mark_offline(b, page);
		return;
	}
	if (memhp_PageOffline(page))
		balloon_mark_online(b, page);
	memhp_generic_online_page(page, 0);
	atomic_fetch_add(&b->onlined, 1);
}

/* hv_online_page(): a range outside every hot-add region is left alone,
 * reserved and unused, as 6.1 does. */
static void hv_online_page(struct memhp_page *page, unsigned int order, void *priv)
{
	struct memhp_balloon *b = priv;
	const unsigned long pfn = memhp_page_to_pfn(page), nr = 1UL << order;

	pthread_mutex_lock(&b->balloon_lock);
	for (unsigned int i = 0; i < b->nr_regions; i++) {
		const struct hv_region *r = &b->regions[i];

		if (pfn < r->start_pfn || pfn + nr > r->end_pfn)
			continue;
		for (unsigned long j = 0; j < nr; j++)
			hv_page_online_one(b, r, balloon_page(b, pfn + j));
		break;
	}
	pthread_mutex_unlock(&b->balloon_lock);
}

/*
 * hv_memory_notifier(): MEM_ONLINE and MEM_CANCEL_ONLINE only end the
 * hot-add's wait for onlining (memhp's hot-add does not wait); MEM_OFFLINE
 * forgets the backed pages of the range. Nothing for GOING_OFFLINE or
 * CANCEL_OFFLINE: the driver never lets go of a reference.
 */
static int hv_memory_notifier(struct memhp_notifier_block *nb, unsigned long action, void *data)
{
	struct memhp_balloon *b = nb->priv;
	const struct memhp_memory_notify *arg = data;
	const unsigned long start = arg->start_pfn, end = start + arg->nr_pages;
	unsigned long backed = 0;

	if (action != MEMHP_MEM_OFFLINE)
		return MEMHP_NOTIFY_OK;
	pthread_mutex_lock(&b->balloon_lock);
	for (unsigned int i = 0; i < b->nr_regions; i++) {
		const struct hv_region *r = &b->regions[i];
		unsigned long lo = start > r->start_pfn ? start : r->start_pfn;
		unsigned long hi = end < r->covered_end_pfn ? end : r->covered_end_pfn;

		if (lo < hi)
			backed += hi - lo;
	}
	if (backed <= atomic_load(&b->onlined)) {
		atomic_fetch_sub(&b->onlined, backed);
	} else {
		/* WARN_ON_ONCE: more offlined than was onlined. */
		memhp_report(b->m, start, MEMHP_RULE_WARN,
			     "hv_balloon: offlining %lu backed pages, %lu onlined", backed,
			     atomic_load(&b->onlined));
		atomic_store(&b->onlined, 0);
	}
	pthread_mutex_unlock(&b->balloon_lock);
	return MEMHP_NOTIFY_OK;
}

/*
 * hv_mem_hot_add(): add the region chunk by chunk; before each, record how
 * far the host backs it, since auto-onlining calls hv_online_page() from
 * inside add_memory(). A failed chunk ends it, the chunks before it stay.
 * Returns 0, -EINVAL (misaligned, too many backed pages), -E2BIG, -ENOSPC
 * (HV_MAX_REGIONS regions), -ENOMEM, or add_memory()'s error.
 */
int balloon_hv_hot_add(struct memhp_balloon *b, uint64_t start, uint64_t size,
		       unsigned long nr_backed)
{
	const uint64_t chunk = (uint64_t)HV_HA_CHUNK_PAGES << MEMHP_PAGE_SHIFT;
	const unsigned long pfn = (unsigned long)(start >> MEMHP_PAGE_SHIFT);
	const unsigned long nr = (unsigned long)(size >> MEMHP_PAGE_SHIFT);
	struct hv_region *r;
	int ret = 0;

	if (!size || start % chunk || size % chunk || nr_backed > nr)
		return -EINVAL;
	if (pfn + nr > memhp_max_pfn(b->m) || pfn + nr < pfn)
		return -E2BIG;
	ret = balloon_host_prepare_range(b, pfn, nr);
	if (ret)
		return ret;
	pthread_mutex_lock(&b->balloon_lock);
	for (unsigned int i = 0; i < b->nr_regions; i++)
		if (pfn < b->regions[i].end_pfn && b->regions[i].start_pfn < pfn + nr)
			ret = -EEXIST; /* as add_memory() would say */
	if (!ret && b->nr_regions == HV_MAX_REGIONS)
		ret = -ENOSPC;
	if (ret) {
		pthread_mutex_unlock(&b->balloon_lock);
		return ret;
	}
	/* Regions are never removed, so @r stays valid unlocked. */
	r = &b->regions[b->nr_regions++];
	*r = (struct hv_region){ pfn, pfn, pfn };
	pthread_mutex_unlock(&b->balloon_lock);

	for (unsigned long done = 0; done < nr; done += HV_HA_CHUNK_PAGES) {
		const unsigned long chunk_end = pfn + done + HV_HA_CHUNK_PAGES;

		pthread_mutex_lock(&b->balloon_lock);
		r->end_pfn = chunk_end;
		r->covered_end_pfn =
			pfn + (nr_backed < done + HV_HA_CHUNK_PAGES ? nr_backed
								    : done + HV_HA_CHUNK_PAGES);
		pthread_mutex_unlock(&b->balloon_lock);
		ret = memhp_add_memory(b->m, 0, start + ((uint64_t)done << MEMHP_PAGE_SHIFT), chunk,
				       MEMHP_MHP_MERGE_RESOURCE);
		if (ret) {
			/* hv_mem_hot_add() */
			memhp_printk(b->m, MEMHP_KERN_ERR,
				     "hv_balloon: hot_add memory failed error is %d", ret);
			pthread_mutex_lock(&b->balloon_lock);
			r->end_pfn = pfn + done;
			if (r->covered_end_pfn > r->end_pfn)
				r->covered_end_pfn = r->end_pfn;
			pthread_mutex_unlock(&b->balloon_lock);
			break;
		}
		atomic_fetch_add(&b->hot_added, HV_HA_CHUNK_PAGES);
		if (pfn + nr_backed < chunk_end) {
			unsigned long from =
				pfn + nr_backed > pfn + done ? pfn + nr_backed : pfn + done;

			/* Prepared above: cannot fail. The host's memory of
			 * what it does not back goes. */
			balloon_host_take(b, from, chunk_end - from);
			memhp_host_discard(b->m, (uint64_t)from << MEMHP_PAGE_SHIFT,
					   (uint64_t)(chunk_end - from) << MEMHP_PAGE_SHIFT, false);
		}
	}
	return ret;
}

/*
 * handle_pg_range() for memory already hot-added: the host backs the next
 * @nr_pages pages of the regions, in order. Pages of online sections come
 * online one by one now (hv_bring_pgs_online()); the others when their
 * block is onlined. mem_hotplug_lock keeps onlining and offlining out
 * meanwhile, so a section's state cannot change under us. Returns the
 * pages granted.
 */
long balloon_hv_host_grant(struct memhp_balloon *b, unsigned long nr_pages)
{
	unsigned long granted = 0;

	memhp_get_online_mems(b->m);
	pthread_mutex_lock(&b->balloon_lock);
	for (unsigned int i = 0; i < b->nr_regions && granted < nr_pages; i++) {
		struct hv_region *r = &b->regions[i];

		while (r->covered_end_pfn < r->end_pfn && granted < nr_pages) {
			const unsigned long pfn = r->covered_end_pfn++;
			struct memhp_page *page = memhp_pfn_to_online_page(b->m, pfn);

			balloon_host_release(b, pfn, 1);
			if (page)
				hv_page_online_one(b, r, page);
			granted++;
		}
	}
	pthread_mutex_unlock(&b->balloon_lock);
	memhp_put_online_mems(b->m);
	return (long)granted;
}

const struct balloon_kind_ops hv_balloon_ops = {
	.name = "hyperv",
	.compaction = false,
	.adjust_managed = true,
	.gfp = BALLOON_GFP_HIGHUSER,
	.online_page = hv_online_page,
	.notifier = hv_memory_notifier,
	.inflate = hv_inflate,
	.deflate = hv_deflate,
};

/* ---- VMware ---------------------------------------------------------------- */

struct pfn_stack {
	uint32_t *v;
	unsigned long nr, cap;
};

/* Room for @nr more entries. Returns 0 or -ENOMEM. */
static int pfn_stack_reserve(struct pfn_stack *s, unsigned long nr)
{
	while (s->cap - s->nr < nr) {
		unsigned long ncap = s->cap ? s->cap * 2 : VMW_BALLOON_BATCH_MAX_PAGES;
		uint32_t *nv = realloc(s->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = ncap;
	}
	return 0;
}

/* Returns 0 or -ENOMEM. */
static int pfn_stack_push(struct pfn_stack *s, uint32_t pfn)
{
	if (pfn_stack_reserve(s, 1))
		return -ENOMEM;
	s->v[s->nr++] = pfn;
	return 0;
}

static unsigned int vmw_max_order(const struct memhp_balloon *b)
{
	return b->kind == MEMHP_BALLOON_VMWARE ? BALLOON_2M_ORDER : 0;
}

/* vmballoon_enqueue_page_list() for 2 MiB pages: all 512 frames
 * PageOffline on a private list, out of reach of compaction. vmw_balloon
 * leaves managed_pages alone, so the frames say so. */
static void vmw_enqueue_huge(struct memhp_balloon *b, uint32_t pfn)
{
	long idx;

	pthread_mutex_lock(&b->pages_lock);
	idx = bslot_alloc(b, pfn, BALLOON_2M_ORDER);
	for (unsigned long i = 0; i < BALLOON_2M_PAGES; i++) {
		struct memhp_page *page = balloon_page(b, pfn + i);

		memhp_SetPageOfflineManaged(page);
		balloon_mark_offline(b, page);
	}
	blist_add(b, &b->huge_pages, (uint32_t)idx);
	pthread_mutex_unlock(&b->pages_lock);
	atomic_fetch_add(&b->nr_huge, BALLOON_2M_PAGES);
	/* vmw_balloon counts its 2 MiB pages in 4 KiB units. */
	memhp_mod_vmstat(b->m, MEMHP_BALLOON_INFLATE, BALLOON_2M_PAGES);
}

static unsigned long vmw_dequeue_huge(struct memhp_balloon *b, uint32_t *pfns, unsigned long nr)
{
	unsigned long n = 0;

	pthread_mutex_lock(&b->pages_lock);
	while (n < nr && b->huge_pages.head != BALLOON_NIL) {
		uint32_t idx = b->huge_pages.head;

		pfns[n] = b->slots[idx].pfn;
		blist_del(b, &b->huge_pages, idx);
		bslot_free(b, idx);
		for (unsigned long i = 0; i < BALLOON_2M_PAGES; i++) {
			struct memhp_page *page = balloon_page(b, pfns[n] + i);

			balloon_mark_online(b, page);
			memhp_ClearPageOfflineManaged(page);
		}
		n++;
	}
	pthread_mutex_unlock(&b->pages_lock);
	atomic_fetch_sub(&b->nr_huge, n * BALLOON_2M_PAGES);
	memhp_mod_vmstat(b->m, MEMHP_BALLOON_DEFLATE, (long)(n * BALLOON_2M_PAGES));
	return n;
}

/* The host answers a lock batch page by page: @pfns keeps the accepted
 * ones, the refused go to @refused (room reserved). Returns how many were
 * accepted. */
static unsigned long vmw_lock(struct memhp_balloon *b, uint32_t *pfns, unsigned long nr,
			      struct pfn_stack *refused)
{
	unsigned long kept = 0, nr_refused = 0;

	for (unsigned long i = 0; i < nr; i++) {
		if (balloon_host_refuses(b)) {
			refused->v[refused->nr++] = pfns[i];
			nr_refused++;
			continue;
		}
		pfns[kept++] = pfns[i];
	}
	if (nr_refused) {
		atomic_fetch_add(&b->refused, nr_refused);
		balloon_event(b, MEMHP_BALLOON_REQ_REFUSE, refused->v[refused->nr - nr_refused],
			      nr_refused);
	}
	return kept;
}

/*
 * vmballoon_inflate(): 2 MiB pages while the host takes them and the
 * allocator has them, rounded up to whole pages; then 4 KiB pages, first
 * from the refused 2 MiB pages split up (vmballoon_split_refused_pages()).
 * Too many refusals or a failed allocation move to the smaller size or, at
 * 4 KiB, end inflation. What stays refused or unused is freed at the end.
 * Returns the frames inflated, or -ENOMEM if none could be tracked.
 */
static long vmw_inflate(struct memhp_balloon *b, unsigned long nr_pages)
{
	uint32_t pfns[VMW_BALLOON_BATCH_MAX_PAGES];
	struct pfn_stack refused = { 0 }, prealloc = { 0 };
	unsigned int order = vmw_max_order(b);
	unsigned long done = 0;
	bool untracked = false;

	/* Refused and split pages wait across batches, allocated and not
	 * movable: no offline may start meanwhile (see virtio_inflate()). */
	memhp_get_online_mems(b->m);
	while (done < nr_pages && !untracked) {
		const unsigned long frames = 1UL << order;
		unsigned long want = div_round_up(nr_pages - done, frames), got = 0, kept;
		bool alloc_error = false;

		if (want > VMW_BALLOON_BATCH_MAX_PAGES)
			want = VMW_BALLOON_BATCH_MAX_PAGES;
		for (; got < want; got++) {
			struct memhp_page *page;

			if (!order && prealloc.nr) {
				pfns[got] = prealloc.v[--prealloc.nr];
				continue;
			}
			page = order ? memhp_alloc_pages(b->m, MEMHP___GFP_HIGHMEM, order)
				     : memhp_alloc_pages(b->m, b->ops->gfp, 0);
			if (!page) {
				alloc_error = true;
				break;
			}
			pfns[got] = (uint32_t)memhp_page_to_pfn(page);
		}

		pthread_mutex_lock(&b->balloon_lock);
		if (got && (balloon_reserve(b, pfns, got, order, got) ||
			    pfn_stack_reserve(&refused, got))) {
			pthread_mutex_unlock(&b->balloon_lock);
			for (unsigned long i = 0; i < got; i++)
				memhp_free_pages(balloon_page(b, pfns[i]), order);
			untracked = true;
			break;
		}
		kept = got ? vmw_lock(b, pfns, got, &refused) : 0;
		for (unsigned long i = 0; i < kept; i++) {
			if (order)
				vmw_enqueue_huge(b, pfns[i]);
			else
				balloon_page_enqueue(b, balloon_page(b, pfns[i]));
		}
		atomic_fetch_add(&b->nr_pages, kept * frames);
		if (got)
			balloon_tell_host(b, HOST_INFLATE, pfns, kept, order);
		pthread_mutex_unlock(&b->balloon_lock);
		done += kept * frames;

		if (alloc_error || refused.nr >= VMW_BALLOON_MAX_REFUSED) {
			if (!order)
				break;
			/* split_page() each refused 2 MiB page into 4 KiB
			 * candidates with their own references. */
			for (unsigned long i = 0; i < refused.nr; i++)
				for (unsigned long j = 0; j < BALLOON_2M_PAGES; j++) {
					if (j)
						memhp_page_ref_inc(
							balloon_page(b, refused.v[i] + j));
					if (pfn_stack_push(&prealloc, (uint32_t)(refused.v[i] + j)))
						memhp_put_page(balloon_page(b, refused.v[i] + j));
				}
			refused.nr = 0;
			order = 0;
		}
	}
	/* vmballoon_release_refused_pages() and the unused candidates. */
	for (unsigned long i = 0; i < refused.nr; i++)
		memhp_free_pages(balloon_page(b, refused.v[i]), order);
	for (unsigned long i = 0; i < prealloc.nr; i++)
		memhp_put_page(balloon_page(b, prealloc.v[i]));
	memhp_put_online_mems(b->m);
	free(refused.v);
	free(prealloc.v);
	return done || !untracked ? (long)done : -ENOMEM;
}

/*
 * vmballoon_deflate(): 4 KiB pages first, then whole 2 MiB pages once the
 * small ones run out, until @nr_pages frames were tried. The host is told
 * before the pages are freed. vmw_balloon gives back no managed pages: it
 * never took any. Returns the frames deflated.
 */
static long vmw_deflate(struct memhp_balloon *b, unsigned long nr_pages)
{
	uint32_t pfns[VMW_BALLOON_BATCH_MAX_PAGES];
	const unsigned int max_order = vmw_max_order(b);
	unsigned int order = 0;
	unsigned long tried = 0, done = 0;

	balloon_begin_update(b);
	while (tried < nr_pages) {
		const unsigned long frames = 1UL << order;
		unsigned long want = div_round_up(nr_pages - tried, frames), n;

		if (want > VMW_BALLOON_BATCH_MAX_PAGES)
			want = VMW_BALLOON_BATCH_MAX_PAGES;
		n = order ? vmw_dequeue_huge(b, pfns, want)
			  : balloon_page_list_dequeue(b, pfns, want);
		tried += n * frames;
		if (n)
			balloon_tell_host(b, HOST_DEFLATE, pfns, n, order);
		atomic_fetch_sub(&b->nr_pages, n * frames);
		done += n * frames;
		for (unsigned long i = 0; i < n; i++)
			memhp_free_pages(balloon_page(b, pfns[i]), order);
		if (n < want) {
			if (order == max_order)
				break;
			order = max_order;
		}
	}
	balloon_end_update(b);
	return (long)done;
}

/*
 * vmballoon_migratepage(): deflate the old page first (a host with enough
 * memory might refuse the new page otherwise), then inflate the new one.
 * If the host refuses it, the balloon is one page smaller and the old page
 * goes back to the buddy through the putback: -EBUSY, no retry.
 * Returns 0, -EAGAIN (the host's record cannot grow) or -EBUSY.
 */
static int vmw_migratepage(struct memhp_balloon *b, struct memhp_page *dst, struct memhp_page *src,
			   uint32_t idx)
{
	uint32_t new_pfn = (uint32_t)memhp_page_to_pfn(dst);
	uint32_t old_pfn = (uint32_t)memhp_page_to_pfn(src);

	if (balloon_host_prepare(b, &new_pfn, 1, 0))
		return -EAGAIN;
	balloon_tell_host(b, HOST_DEFLATE, &old_pfn, 1, 0);
	balloon_mark_online(b, src);
	memhp_ClearPageOfflineManaged(src);
	if (balloon_host_refuses(b)) {
		pthread_mutex_lock(&b->pages_lock);
		b->slots[idx].state = BSLOT_DROPPED;
		b->isolated--;
		pthread_mutex_unlock(&b->pages_lock);
		atomic_fetch_sub(&b->nr_pages, 1);
		atomic_fetch_add(&b->refused, 1);
		atomic_fetch_add(&b->host_requests, 1);
		balloon_event(b, MEMHP_BALLOON_REQ_REFUSE, new_pfn, 1);
		return -EBUSY;
	}
	balloon_tell_host(b, HOST_INFLATE, &new_pfn, 1, 0);
	memhp_SetPageOfflineManaged(dst);
	balloon_mark_offline(b, dst);
	balloon_page_migrated(b, idx, dst);
	return 0;
}

const struct balloon_kind_ops vmw_balloon_ops = {
	.name = "vmware",
	.compaction = true,
	.adjust_managed = false,
	.gfp = MEMHP_GFP_HIGHUSER_MOVABLE,
	.inflate = vmw_inflate,
	.deflate = vmw_deflate,
	.migratepage = vmw_migratepage,
};

const struct balloon_kind_ops vmw_balloon_4k_ops = {
	.name = "vmware-4k",
	.compaction = true,
	.adjust_managed = false,
	.gfp = MEMHP_GFP_HIGHUSER_MOVABLE,
	.inflate = vmw_inflate,
	.deflate = vmw_deflate,
	.migratepage = vmw_migratepage,
};
