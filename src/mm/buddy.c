// SPDX-License-Identifier: MIT
/*
 * buddy.c - the page allocator (mm/page_alloc.c).
 *
 * Free lists per zone, order and migratetype, linked through the free
 * pages' descriptors by pfn. A chunk's head is PageBuddy with its order;
 * the low four bits of page->order hold the order and the high four the
 * list it is on, so a chunk can be unlinked without searching.
 *
 * Orders 0-3 and pageblock order go through the per-cpu lists (pcp.c)
 * on their way in and out. Deliberate simplifications (docs/semantics.md):
 * watermarks are computed but nothing waits on them, no reserves or
 * reclaim, no highatomic reserve, no shuffling.
 */
#include "internal.h"

#include <stdio.h>

static inline void set_buddy(struct memhp_page *page, unsigned int order, int mt)
{
	atomic_store_explicit(&page->order, (uint8_t)(order | (unsigned)mt << BUDDY_LIST_SHIFT),
			      memory_order_relaxed);
	atomic_store_explicit(&page->type, PGTY_BUDDY, memory_order_release);
}

#define order_of(page) buddy_order(page)

/*
 * NR_FREE_PAGES follows the free lists: every chunk added to or taken off
 * a list other than ISOLATE moves the counter, so the counter is the sum
 * of those lists by construction. 6.1 instead adjusts it by the pageblock
 * type in the callers, and drifts when a chunk sits on a list that is not
 * its pageblock's (docs/semantics.md, "NR_FREE_PAGES"); 6.10 moved to
 * this scheme.
 */
static inline void __mod_zone_freepage_state(struct zone *zone, long nr, int mt)
{
	if (mt != MIGRATE_ISOLATE)
		ADD_ONCE(zone->vm_nr_free_pages, nr);
	if (mt == MIGRATE_CMA)
		ADD_ONCE(zone->vm_nr_free_cma_pages, nr);
}

void add_to_free_list(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
		      unsigned int order, int mt, bool tail)
{
	struct free_area *area = &zone->free_area[order];
	struct free_list *list = &area->free_list[mt];
	struct memhp_page *page = pfn_to_page(m, pfn);

	if (list->head == PFN_NIL) {
		set_buddy_link(page, next, PFN_NIL);
		set_buddy_link(page, prev, PFN_NIL);
		list->head = list->tail = (uint32_t)pfn;
	} else if (tail) {
		set_buddy_link(page, next, PFN_NIL);
		set_buddy_link(page, prev, list->tail);
		set_buddy_link(pfn_to_page(m, list->tail), next, (uint32_t)pfn);
		list->tail = (uint32_t)pfn;
	} else {
		set_buddy_link(page, prev, PFN_NIL);
		set_buddy_link(page, next, list->head);
		set_buddy_link(pfn_to_page(m, list->head), prev, (uint32_t)pfn);
		list->head = (uint32_t)pfn;
	}
	set_buddy(page, order, mt);
	area->nr_free++;
	area->nr_free_mt[mt]++;
	__mod_zone_freepage_state(zone, 1L << order, mt);
}

static void unlink_free(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
			unsigned int order)
{
	struct memhp_page *page = pfn_to_page(m, pfn);
	int mt = buddy_list(page);
	struct free_area *area = &zone->free_area[order];
	struct free_list *list = &area->free_list[mt];

	if (page->buddy.prev == PFN_NIL)
		list->head = page->buddy.next;
	else
		set_buddy_link(pfn_to_page(m, page->buddy.prev), next, page->buddy.next);
	if (page->buddy.next == PFN_NIL)
		list->tail = page->buddy.prev;
	else
		set_buddy_link(pfn_to_page(m, page->buddy.next), prev, page->buddy.prev);
	area->nr_free--;
	area->nr_free_mt[mt]--;
	__mod_zone_freepage_state(zone, -(1L << order), mt);
}

void del_page_from_free_list(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
			     unsigned int order)
{
	struct memhp_page *page = pfn_to_page(m, pfn);

	unlink_free(m, zone, pfn, order);
	atomic_store_explicit(&page->type, PGTY_NONE, memory_order_release);
	atomic_store_explicit(&page->order, 0, memory_order_relaxed);
	set_buddy_link(page, next, 0);
	set_buddy_link(page, prev, 0);
}

static void move_to_free_list(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
			      unsigned int order, int mt)
{
	unlink_free(m, zone, pfn, order);
	add_to_free_list(m, zone, pfn, order, mt, true);
}

/* page_is_buddy(): is @buddy_pfn the head of a free chunk of @order that may
 * merge with its neighbour? Both sit in the same max-order block, hence in
 * one section, which is present. */
static inline bool page_is_buddy(struct memhp_machine *m, struct zone *zone,
				 unsigned long buddy_pfn, unsigned int order)
{
	struct memhp_page *buddy = pfn_to_page(m, buddy_pfn);

	return PageBuddy(buddy) && order_of(buddy) == order && pfn_zone(m, buddy_pfn) == zone;
}

static bool buddy_merge_likely(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
			       unsigned long buddy_pfn, unsigned int order)
{
	unsigned long combined, higher_buddy;

	if (order + 1 >= m->max_order)
		return false;
	combined = buddy_pfn & pfn;
	higher_buddy = combined ^ (1UL << (order + 1));
	return page_is_buddy(m, zone, higher_buddy, order + 1);
}

/*
 * Free a chunk into @zone, merging with free buddies. At pageblock order
 * and above, chunks of pageblocks with different types merge only when
 * both are mergeable (UNMOVABLE/MOVABLE/RECLAIMABLE), so an isolated
 * pageblock never merges with a non-isolated one.
 */
void __free_one_page(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
		     unsigned int order, int migratetype, bool to_tail)
{
	unsigned long buddy_pfn = pfn;

	lockdep_assert_held(&zone->lock);
	while (order < m->max_order) {
		buddy_pfn = pfn ^ (1UL << order);
		if (!page_is_buddy(m, zone, buddy_pfn, order))
			break;
		if (order >= m->pageblock_order) {
			int buddy_mt = get_pfnblock_migratetype(m, buddy_pfn);

			if (migratetype != buddy_mt && (!migratetype_is_mergeable(migratetype) ||
							!migratetype_is_mergeable(buddy_mt)))
				break;
		}
		del_page_from_free_list(m, zone, buddy_pfn, order);
		pfn &= buddy_pfn;
		order++;
	}
	if (!to_tail)
		to_tail = buddy_merge_likely(m, zone, pfn, buddy_pfn, order);
	add_to_free_list(m, zone, pfn, order, migratetype, to_tail);
}

void free_one_page(struct memhp_machine *m, unsigned long pfn, unsigned int order, bool to_tail)
{
	struct zone *zone = pfn_zone(m, pfn);

	mod_vmstat(m, MEMHP_PGFREE, 1L << order);
	pthread_mutex_lock(&zone->lock);
	__free_one_page(m, zone, pfn, order, get_pfnblock_migratetype(m, pfn), to_tail);
	pthread_mutex_unlock(&zone->lock);
}

/*
 * free_pages_prepare(): a page must be clean when its last reference goes.
 * A typed, reserved or still-owned page is a "bad page": reported, its type
 * reset and the page leaked, as 6.1 does. An order-0 HWPoison page is never
 * freed: it stays out of the buddy with refcount 0. A higher-order free
 * looks at PG_hwpoison on no page and clears the PAGE_FLAGS_CHECK_AT_PREP
 * flags, which leave it out: a poisoned page of a non-compound allocation
 * goes to the buddy still poisoned, and check_new_pages() keeps it from
 * being handed out again.
 * Returns whether the chunk may go to the buddy.
 */
static bool free_pages_prepare(struct memhp_machine *m, struct memhp_page *page, unsigned int order)
{
	bool bad = false;

	/* __free_pages() of a compound page: its own order, its parts go. */
	if (unlikely(PageHead(page)) && !test_page_flag(page, PG_hugetlb) &&
	    compound_order(page) == order)
		destroy_compound_page(m, page);

	if (PageHWPoison(page) && !order)
		return false;
	for (unsigned long i = 0; i < (1UL << order); i++) {
		struct memhp_page *p = page + i;
		const char *why = NULL;
		uint16_t flags = atomic_load_explicit(&p->flags, memory_order_relaxed);

		if (page_type(p) == PGTY_OFFLINE)
			why = "freeing a PageOffline page";
		else if (page_type(p) != PGTY_NONE)
			why = "freeing a typed page";
		else if (i && page_count(p))
			why = "nonzero _refcount";
		else if (flags & ((1u << PG_reserved) | (1u << PG_lru) | (1u << PG_movable) |
				  (1u << PG_isolated) | (1u << PG_slab) | (1u << PG_lru_pending) |
				  (1u << PG_head) | (1u << PG_tail) | (1u << PG_hugetlb)))
			why = "PAGE_FLAGS_CHECK_AT_FREE flag(s) set";
		if (why) {
			report_bad_page(m, p, why);
			bad = true;
			continue;
		}
		atomic_store_explicit(&p->flags, flags & (1u << PG_hwpoison), memory_order_relaxed);
		set_page_owner(p, 0, 0);
	}
	return !bad;
}

/* free_the_page(): through this CPU's list if the order goes there. */
void free_the_page(struct memhp_machine *m, struct memhp_page *page, unsigned int order)
{
	if (!free_pages_prepare(m, page, order))
		return;
	if (pcp_allowed_order(m, order))
		free_unref_page(m, page_to_pfn_m(m, page), order);
	else
		free_one_page(m, page_to_pfn_m(m, page), order, false);
}

/*
 * free_unref_page_list() for up to MIGRATE_BATCH order-0 pages whose last
 * reference is gone (the bulk path of migration: its sources). Each is
 * checked as free_the_page() checks it. Those of isolated pageblocks,
 * which 6.1 frees one by one with free_one_page(), go to the buddy under
 * one zone->lock per run of a zone: nobody can take a zone's lock between
 * two of them and tell. The others go through free_unref_page() at once.
 */
void free_unref_page_list(struct memhp_machine *m, const unsigned long *pfns, unsigned int nr)
{
	unsigned long isolated[MIGRATE_BATCH];
	unsigned int nr_isolated = 0;
	struct zone *locked = NULL;

	/* The checks first: a bad page is reported outside any zone lock. */
	for (unsigned int i = 0; i < nr; i++) {
		const unsigned long pfn = pfns[i];
		int mt;

		if (!free_pages_prepare(m, pfn_to_page(m, pfn), 0))
			continue;
		mt = get_pfnblock_migratetype(m, pfn);
		if (mt == MIGRATE_ISOLATE && nr_isolated < MIGRATE_BATCH)
			isolated[nr_isolated++] = pfn;
		else
			free_unref_page_commit_prepared(m, pfn, 0, mt);
	}
	for (unsigned int i = 0; i < nr_isolated; i++) {
		const unsigned long pfn = isolated[i];
		struct zone *zone = pfn_zone(m, pfn);

		if (zone != locked) {
			if (locked)
				pthread_mutex_unlock(&locked->lock);
			pthread_mutex_lock(&zone->lock);
			locked = zone;
		}
		/* Read again under the lock, as free_one_page() does. */
		__free_one_page(m, zone, pfn, 0, get_pfnblock_migratetype(m, pfn), false);
	}
	if (locked)
		pthread_mutex_unlock(&locked->lock);
	if (nr_isolated)
		mod_vmstat(m, MEMHP_PGFREE, nr_isolated);
}

static bool range_misaligned(struct memhp_machine *m, const struct memhp_page *page,
			     unsigned int order)
{
	return order > m->max_order || (page_to_pfn_m(m, page) & ((1UL << order) - 1));
}

int memhp_free_pages_check(struct memhp_page *page, unsigned int order)
{
	struct memhp_machine *m = page_machine(page);

	/* Past max_order or misaligned, the range may leave its section:
	 * not even its descriptors can be looked at. */
	if (range_misaligned(m, page, order))
		return -EINVAL;
	if (!page_count(page))
		return -ENOENT;
	/* Ranges of 2^order pages nest or miss each other: a free chunk
	 * (in the buddy or on a per-cpu list) that overlaps this one without
	 * holding its (referenced) head has its own head inside it. */
	for (unsigned long i = 1; i < (1UL << order); i++)
		if (PageBuddy(page + i) || PagePcp(page + i))
			return -EBUSY;
	return 0;
}

/* What memhp_free_pages_check() and memhp_online_pages_check() found. */
static const char *range_problem(int err)
{
	switch (err) {
	case -EINVAL:
		return "order above max_order or a pfn not aligned to it";
	case -ENOENT:
		return "no reference left (freed already)";
	default:
		return "a page of the range is free or in use already";
	}
}

int memhp_free_pages_prepare(struct memhp_page *page, unsigned int order,
			     struct memhp_free_prepared *fp)
{
	struct memhp_machine *m = page_machine(page);
	int err = memhp_free_pages_check(page, order);

	fp->pending = false;
	if (err || !pcp_allowed_order(m, order))
		return -EINVAL;
	if (page_count(page) != 1)
		return -EBUSY;
	if (!memhp_page_ref_dec_and_test(page))
		return -EBUSY;
	if (!free_pages_prepare(m, page, order))
		return -EIO;
	fp->pfn = page_to_pfn_m(m, page);
	fp->order = order;
	fp->migratetype = get_pfnblock_migratetype(m, fp->pfn);
	fp->pending = true;
	return 0;
}

void memhp_free_pages_commit(struct memhp_machine *m, struct memhp_free_prepared *fp)
{
	if (!fp->pending)
		return;
	fp->pending = false;
	free_unref_page_commit_prepared(m, fp->pfn, fp->order, fp->migratetype);
}

void memhp_free_pages(struct memhp_page *page, unsigned int order)
{
	struct memhp_machine *m = page_machine(page);
	int err = memhp_free_pages_check(page, order);

	/* Linux would corrupt its free lists here, or BUG: report it and
	 * free nothing, so that the machine stays checkable. */
	if (err) {
		memhp_report(m, page_to_pfn_m(m, page), MEMHP_RULE_BAD_PAGE,
			     "Bad page state: __free_pages(order %u): %s: nothing freed", order,
			     range_problem(err));
		return;
	}
	if (memhp_page_ref_dec_and_test(page)) {
		free_the_page(m, page, order);
	} else {
		/* Someone holds a speculative reference on the first page: free
		 * the rest now, the first page goes with the last put. */
		while (order-- > 0)
			free_the_page(m, page + (1UL << order), order);
	}
}

/*
 * __free_pages_core(): hand freshly onlined or boot pages to the buddy.
 * Every page loses PG_reserved and its reference; the chunk counts as
 * managed. The pageblocks' type decides the list (ISOLATE while onlining,
 * so MemFree only grows when isolation is undone).
 */
void __free_pages_core(struct memhp_machine *m, unsigned long pfn, unsigned int order)
{
	struct memhp_page *page = pfn_to_page(m, pfn);
	struct zone *zone = pfn_zone(m, pfn);
	bool bad = false;

	/* One load and one store per page: refcount 0, no flags but
	 * HWPoison, and nothing typed. A poisoned page of a higher-order
	 * chunk goes to the buddy with the chunk, as in 6.1 (free_pages_prepare()
	 * leaves PG_hwpoison alone); check_new_pages() keeps it from being
	 * handed out. An order-0 one stays out of the buddy below. */
	const uint64_t keep = (uint64_t)(1u << PG_hwpoison) << PAGE_RAW0_FLAGS_SHIFT;

	for (unsigned long i = 0; i < (1UL << order); i++) {
		struct memhp_page *p = page + i;
		uint64_t w = atomic_load_explicit(&p->raw[0], memory_order_relaxed);

		if (unlikely((w >> PAGE_RAW0_TYPE_SHIFT) & 0xff)) {
			set_page_count(p, 0);
			report_bad_page(m, p, "onlining a page that has a type");
			bad = true;
			continue;
		}
		atomic_store_explicit(&p->raw[0], w & keep, memory_order_relaxed);
	}
	ADD_ONCE(zone->managed_pages, 1L << order);
	managed_ledger_update(m, pfn, 1UL << order, true, __builtin_return_address(0));
	/* 6.1's __free_pages_ok() asks free_pages_prepare(), which keeps an
	 * order-0 HWPoison page out of the buddy (onlined page by page, as
	 * hv_balloon brings pages online, a poisoned one stays out). */
	if (!bad && !(order == 0 && PageHWPoison(page)))
		free_one_page(m, pfn, order, true);
}

int memhp_online_pages_check(struct memhp_page *page, unsigned int order)
{
	struct memhp_machine *m = page_machine(page);

	if (range_misaligned(m, page, order))
		return -EINVAL;
	/* move_pfn_range_to_zone() leaves refcount 1 on every page (a driver
	 * that kept pages back may have cleared PG_reserved, as virtio-mem
	 * does): a page without a reference is in the buddy already, or the
	 * tail of an allocation. */
	for (unsigned long i = 0; i < (1UL << order); i++)
		if (!page_count(page + i))
			return -EBUSY;
	return 0;
}

void memhp_generic_online_page(struct memhp_page *page, unsigned int order)
{
	struct memhp_machine *m = page_machine(page);
	int err = memhp_online_pages_check(page, order);

	if (err) {
		memhp_report(m, page_to_pfn_m(m, page), MEMHP_RULE_BAD_PAGE,
			     "Bad page state: onlining order %u: %s: nothing onlined", order,
			     range_problem(err));
		return;
	}
	__free_pages_core(m, page_to_pfn_m(m, page), order);
	ADD_ONCE(m->totalram_pages, 1L << order);
}

void adjust_managed_page_count(struct memhp_machine *m, struct zone *zone, long count)
{
	ADD_ONCE(zone->managed_pages, count);
	ADD_ONCE(m->totalram_pages, count);
}

void memhp_adjust_managed_page_count(struct memhp_page *page, long count)
{
	struct memhp_machine *m = page_machine(page);
	const unsigned long pfn = page_to_pfn_m(m, page);

	/* Drivers count what they take or give back from @page on. */
	managed_ledger_update(m, pfn, count < 0 ? (unsigned long)-count : (unsigned long)count,
			      count > 0, __builtin_return_address(0));
	adjust_managed_page_count(m, pfn_zone(m, pfn), count);
}

/*
 * Move every free chunk whose head lies in @pfn's pageblock to the @mt
 * lists; count the movable pages met on the way. Returns the pages moved.
 * Chunks are walked by their heads: a pfn inside a chunk that started in an
 * earlier pageblock is skipped in one step (the kernel walks those page by
 * page and finds nothing either).
 */
unsigned long move_freepages_block(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
				   int mt, unsigned long *num_movable)
{
	unsigned long start = ALIGN_DOWN(pfn, m->pageblock_nr_pages);
	unsigned long end = start + m->pageblock_nr_pages;
	unsigned long moved = 0, head;
	unsigned int order;

	if (num_movable)
		*num_movable = 0;
	if (!zone_spans_pfn(zone, start))
		start = pfn;
	if (!zone_spans_pfn(zone, end - 1))
		return 0;

	for (pfn = start; pfn < end;) {
		/* One load per page: isolation meets every page of a block. */
		const struct memhp_page *page = pfn_to_page(m, pfn);
		const uint64_t w = page_raw0(page);
		unsigned long like;

		if (raw0_type(w) == PGTY_BUDDY) {
			order = raw0_order(w);
			move_to_free_list(m, zone, pfn, order, mt);
			pfn += 1UL << order;
			moved += 1UL << order;
			continue;
		}
		if (!raw0_count(w) && free_chunk_covering(m, pfn, &head, &order)) {
			pfn = head + (1UL << order);
			continue;
		}
		/* An allocated page, and every page just like it. */
		like = 1 + raw0_run(page + 1, end - pfn - 1, w);
		if (num_movable && (raw0_flag(w, PG_lru) || raw0_flag(w, PG_movable)))
			*num_movable += like;
		pfn += like;
	}
	return moved;
}

/*
 * Free a chunk larger than a pageblock again one pageblock at a time, each
 * piece to the list of its own pageblock's type. Pieces of one type merge
 * back; an isolated piece never merges with a non-isolated one.
 * The caller has taken the chunk off its list.
 */
static void split_large_buddy(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
			      unsigned int order)
{
	const unsigned long end = pfn + (1UL << order);

	lockdep_assert_held(&zone->lock);
	for (; pfn < end; pfn += m->pageblock_nr_pages)
		__free_one_page(m, zone, pfn, m->pageblock_order, get_pfnblock_migratetype(m, pfn),
				false);
}

/*
 * move_freepages_block_isolate(): make @pfn's pageblock @mt and move its
 * free pages to the @mt lists. A free chunk larger than a pageblock that
 * covers it, starting here or in an earlier pageblock, is split into
 * pageblocks first, so that no chunk ever spans an isolated and a
 * non-isolated pageblock. 6.1 moves only the chunks that start in the
 * pageblock: when the pageblock is the tail of a larger chunk, its pages
 * stay allocatable from the old list while it is isolated. This is
 * 6.10's version (docs/semantics.md, "Isolating the tail of a free
 * chunk").
 */
void move_freepages_block_isolate(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
				  int mt)
{
	const unsigned long start = ALIGN_DOWN(pfn, m->pageblock_nr_pages);
	unsigned long head;
	unsigned int order;

	lockdep_assert_held(&zone->lock);
	if (free_chunk_covering(m, start, &head, &order) && order > m->pageblock_order) {
		del_page_from_free_list(m, zone, head, order);
		set_pageblock_migratetype(m, start, mt);
		split_large_buddy(m, zone, head, order);
		return;
	}
	set_pageblock_migratetype(m, start, mt);
	move_freepages_block(m, zone, start, mt, NULL);
}

/*
 * is_free_buddy_page() that also says which chunk: the head and order of
 * the free chunk that covers @pfn. Caller holds zone->lock or knows the
 * chunk cannot change (an isolated pageblock).
 */
bool free_chunk_covering(struct memhp_machine *m, unsigned long pfn, unsigned long *head,
			 unsigned int *order)
{
	for (unsigned int o = 0; o <= m->max_order; o++) {
		unsigned long h = pfn & ~((1UL << o) - 1);
		struct memhp_page *p = pfn_to_page(m, h);

		if (PageBuddy(p) && order_of(p) >= o) {
			if (h + (1UL << order_of(p)) <= pfn)
				return false;
			*head = h;
			*order = order_of(p);
			return true;
		}
	}
	return false;
}

/* ---- Allocation -------------------------------------------------------------- */

#define ALLOC_NOFRAGMENT 0x1
#define ALLOC_CMA 0x2 /* a movable allocation may use CMA pageblocks */

static const int fallbacks[MIGRATE_TYPES][3] = {
	[MIGRATE_UNMOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE, MIGRATE_TYPES },
	[MIGRATE_MOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE, MIGRATE_TYPES },
	[MIGRATE_RECLAIMABLE] = { MIGRATE_UNMOVABLE, MIGRATE_MOVABLE, MIGRATE_TYPES },
};

/* Split a chunk of @high down to @low, giving back the upper halves. */
static void expand(struct memhp_machine *m, struct zone *zone, unsigned long pfn, unsigned int low,
		   unsigned int high, int mt)
{
	unsigned long size = 1UL << high;

	while (high > low) {
		high--;
		size >>= 1;
		add_to_free_list(m, zone, pfn + size, high, mt, false);
	}
}

static unsigned long __rmqueue_smallest(struct memhp_machine *m, struct zone *zone,
					unsigned int order, int mt)
{
	for (unsigned int o = order; o <= m->max_order; o++) {
		uint32_t pfn = zone->free_area[o].free_list[mt].head;

		if (pfn == PFN_NIL)
			continue;
		del_page_from_free_list(m, zone, pfn, o);
		expand(m, zone, pfn, order, o, mt);
		return pfn;
	}
	return PFN_NIL;
}

static bool can_steal_fallback(const struct memhp_machine *m, unsigned int order, int start_mt)
{
	if (order >= m->pageblock_order)
		return true;
	return order >= m->pageblock_order / 2 || start_mt == MIGRATE_RECLAIMABLE ||
	       start_mt == MIGRATE_UNMOVABLE;
}

static int find_suitable_fallback(const struct memhp_machine *m, struct free_area *area,
				  unsigned int order, int mt, bool *can_steal)
{
	if (area->nr_free == 0)
		return -1;
	*can_steal = false;
	for (int i = 0; fallbacks[mt][i] != MIGRATE_TYPES; i++) {
		int fmt = fallbacks[mt][i];

		if (area->free_list[fmt].head == PFN_NIL)
			continue;
		if (can_steal_fallback(m, order, mt))
			*can_steal = true;
		return fmt;
	}
	return -1;
}

static void change_pageblock_range(struct memhp_machine *m, unsigned long pfn, unsigned int order,
				   int mt)
{
	unsigned long nr = MAX(1UL << order, m->pageblock_nr_pages);

	for (unsigned long p = pfn; p < pfn + nr; p += m->pageblock_nr_pages)
		set_pageblock_migratetype(m, p, mt);
}

static void steal_suitable_fallback(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
				    int start_type, bool whole_block)
{
	struct memhp_page *page = pfn_to_page(m, pfn);
	unsigned int current_order = order_of(page);
	unsigned long free_pages, movable_pages, alike_pages;
	int old_block_type = get_pfnblock_migratetype(m, pfn);

	if (old_block_type == MIGRATE_HIGHATOMIC)
		goto single_page;
	if (current_order >= m->pageblock_order) {
		change_pageblock_range(m, pfn, current_order, start_type);
		goto single_page;
	}
	if (!whole_block)
		goto single_page;

	free_pages = move_freepages_block(m, zone, pfn, start_type, &movable_pages);
	if (start_type == MIGRATE_MOVABLE)
		alike_pages = movable_pages;
	else if (old_block_type == MIGRATE_MOVABLE)
		alike_pages = m->pageblock_nr_pages - (free_pages + movable_pages);
	else
		alike_pages = 0;
	if (!free_pages)
		goto single_page;
	if (free_pages + alike_pages >= (1UL << (m->pageblock_order - 1)))
		set_pageblock_migratetype(m, pfn, start_type);
	return;

single_page:
	move_to_free_list(m, zone, pfn, current_order, start_type);
}

static bool __rmqueue_fallback(struct memhp_machine *m, struct zone *zone, unsigned int order,
			       int start_mt, unsigned int alloc_flags)
{
	unsigned int min_order = order;
	int current_order, fallback_mt = -1;
	bool can_steal = false;

	if (order < m->pageblock_order && (alloc_flags & ALLOC_NOFRAGMENT))
		min_order = m->pageblock_order;

	for (current_order = (int)m->max_order; current_order >= (int)min_order; current_order--) {
		fallback_mt = find_suitable_fallback(m, &zone->free_area[current_order],
						     (unsigned)current_order, start_mt, &can_steal);
		if (fallback_mt == -1)
			continue;
		if (!can_steal && start_mt == MIGRATE_MOVABLE && current_order > (int)order)
			goto find_smallest;
		goto do_steal;
	}
	return false;

find_smallest:
	for (current_order = (int)order; current_order <= (int)m->max_order; current_order++) {
		fallback_mt = find_suitable_fallback(m, &zone->free_area[current_order],
						     (unsigned)current_order, start_mt, &can_steal);
		if (fallback_mt != -1)
			break;
	}
	if (fallback_mt == -1)
		return false;
do_steal:
	steal_suitable_fallback(m, zone, zone->free_area[current_order].free_list[fallback_mt].head,
				start_mt, can_steal);
	return true;
}

/*
 * __rmqueue(). A movable allocation on a machine with CMA (ALLOC_CMA) takes
 * from the CMA lists first while they hold more than half the zone's free
 * pages, and after its own lists otherwise; nothing else ever does, and
 * no fallback steals a CMA pageblock.
 */
unsigned long __rmqueue(struct memhp_machine *m, struct zone *zone, unsigned int order, int mt,
			unsigned int alloc_flags)
{
	unsigned long pfn;

	if ((alloc_flags & ALLOC_CMA) &&
	    READ_ONCE(zone->vm_nr_free_cma_pages) > READ_ONCE(zone->vm_nr_free_pages) / 2) {
		pfn = __rmqueue_smallest(m, zone, order, MIGRATE_CMA);
		if (pfn != PFN_NIL)
			return pfn;
	}
	for (;;) {
		pfn = __rmqueue_smallest(m, zone, order, mt);
		if (pfn != PFN_NIL)
			return pfn;
		if (alloc_flags & ALLOC_CMA) {
			pfn = __rmqueue_smallest(m, zone, order, MIGRATE_CMA);
			if (pfn != PFN_NIL)
				return pfn;
		}
		if (!__rmqueue_fallback(m, zone, order, mt, alloc_flags))
			return PFN_NIL;
	}
}

static int gfp_migratetype(memhp_gfp_t gfp)
{
	if (gfp & MEMHP___GFP_MOVABLE)
		return MIGRATE_MOVABLE;
	if (gfp & MEMHP___GFP_RECLAIMABLE)
		return MIGRATE_RECLAIMABLE;
	return MIGRATE_UNMOVABLE;
}

/* gfp_zone(): ZONE_MOVABLE needs __GFP_HIGHMEM and __GFP_MOVABLE together. */
static int gfp_zone(memhp_gfp_t gfp)
{
	if (gfp & MEMHP___GFP_DMA)
		return ZONE_DMA;
	if (gfp & MEMHP___GFP_DMA32)
		return ZONE_DMA32;
	if ((gfp & MEMHP___GFP_MOVABLE) && (gfp & MEMHP___GFP_HIGHMEM))
		return ZONE_MOVABLE;
	return ZONE_NORMAL;
}

/* The kernel's check that nothing ever comes out of an isolated pageblock. */
void check_not_isolated(struct memhp_machine *m, unsigned long pfn, unsigned int order)
{
	unsigned long end = pfn + (1UL << order);

	for (unsigned long p = pfn; p < end; p += m->pageblock_nr_pages)
		if (is_migrate_isolate_pfn(m, p))
			memhp_report(m, p, MEMHP_RULE_ALLOC_FROM_ISOLATED,
				     "order-%u allocation at pfn %#lx handed out a page of an "
				     "isolated pageblock",
				     order, pfn);
}

/*
 * check_new_pages(): a poisoned page may sit in a free chunk (a higher-order
 * free, or a memory failure that hit a page on its way to the buddy);
 * 6.1's allocator is the gatekeeper, in rmqueue_buddy() and when it refills
 * a per-cpu list. A block that holds one is not handed out and does not go
 * back either: it stays off the free lists, refcount 0, and the allocation
 * takes another. Linux says nothing; for an order above 0 the block's good
 * pages are lost with it, and an offline of their memory block can then
 * never finish, so memhp reports those (`hwpoison-leak`), as the cause of
 * what follows. Caller holds zone->lock. Returns the first poisoned pfn of
 * the block, or PFN_NIL if it may be handed out.
 */
unsigned long check_new_pages(struct memhp_machine *m, unsigned long pfn, unsigned int order)
{
	const struct memhp_page *page = pfn_to_page(m, pfn);

	for (unsigned long i = 0; i < (1UL << order); i++)
		if (unlikely(PageHWPoison(&page[i])))
			return pfn + i;
	return PFN_NIL;
}

/* What check_new_pages() cost an allocation of @order > 0; called without
 * zone->lock. */
void report_hwpoison_leak(struct memhp_machine *m, unsigned long pfn, unsigned long poisoned,
			  unsigned int order)
{
	memhp_report(m, pfn, MEMHP_RULE_HWPOISON_LEAK,
		     "check_new_pages: order-%u allocation met poisoned page %#lx: the %lu pages "
		     "at %#lx leave the buddy for good",
		     order, poisoned, 1UL << order, pfn);
}

/* How many leaked blocks one allocation names; it leaks as many as it meets. */
#define LEAKS_REPORTED 4

static void prep_new_page(struct memhp_machine *m, unsigned long pfn, unsigned int order,
			  memhp_gfp_t gfp)
{
	struct memhp_page *page = pfn_to_page(m, pfn);

	/* Only a per-cpu list hands out a poisoned page (rmqueue_pcplist());
	 * like 6.1's post_alloc_hook(), this leaves PG_hwpoison alone. */
	for (unsigned long i = 0; i < (1UL << order); i++) {
		uint16_t flags = atomic_load_explicit(&page[i].flags, memory_order_relaxed);

		atomic_store_explicit(&page[i].flags, flags & (1u << PG_hwpoison),
				      memory_order_relaxed);
		set_page_owner(&page[i], 0, 0);
	}
	set_page_count(page, 1);
	if (order && (gfp & MEMHP___GFP_COMP))
		prep_compound_page(m, page, order);
	if (gfp & MEMHP___GFP_ZERO)
		memset(m->phys + PFN_PHYS(pfn), 0, MEMHP_PAGE_SIZE << order);
}

/*
 * rmqueue(): from this CPU's list for the orders it keeps, else (or when
 * the list is busy or the buddy had nothing for it) from the buddy. A
 * block check_new_pages() refuses stays off the lists, and the buddy is
 * asked again (rmqueue_buddy()).
 */
static unsigned long rmqueue(struct memhp_machine *m, struct zone *zone, unsigned int order, int mt,
			     unsigned int alloc_flags)
{
	unsigned long pfn = PFN_NIL, leaked[LEAKS_REPORTED], poisoned[LEAKS_REPORTED];
	int nr_leaked = 0;

	/* A page from a per-cpu list may belong to a pageblock isolated
	 * since it got there: 6.1's window between isolating and draining
	 * (rmqueue_pcplist() says when that is a bug). */
	if (likely(pcp_allowed_order(m, order)))
		pfn = rmqueue_pcplist(m, zone, order, mt, alloc_flags);
	if (pfn != PFN_NIL)
		return pfn;
	pthread_mutex_lock(&zone->lock);
	for (;;) {
		unsigned long bad;

		pfn = __rmqueue(m, zone, order, mt, alloc_flags);
		if (pfn == PFN_NIL)
			break;
		bad = check_new_pages(m, pfn, order);
		if (likely(bad == PFN_NIL))
			break;
		if (order && nr_leaked < LEAKS_REPORTED) {
			leaked[nr_leaked] = pfn;
			poisoned[nr_leaked++] = bad;
		}
	}
	if (pfn != PFN_NIL)
		check_not_isolated(m, pfn, order);
	pthread_mutex_unlock(&zone->lock);
	for (int i = 0; i < nr_leaked; i++)
		report_hwpoison_leak(m, leaked[i], poisoned[i], order);
	return pfn;
}

/*
 * __alloc_pages() without reclaim: the zonelist of @nid (NUMA_NO_NODE: the
 * calling CPU's node) walked in order, the preferred node's zones from the
 * highest @gfp allows down, then the other nodes' nearest first, skipping
 * nodes not in @nodemask (0: every node) and, with __GFP_THISNODE, every
 * node but @nid. memhp checks no watermarks (buddy.c's header), so a zone
 * is passed over only when it has nothing of the order.
 */
struct memhp_page *__alloc_pages_nodemask(struct memhp_machine *m, int nid, unsigned int nodemask,
					  memhp_gfp_t gfp, unsigned int order)
{
	struct zone *zonelist[MAX_ZONELIST];
	int highest = gfp_zone(gfp), mt = gfp_migratetype(gfp), nr;
	unsigned int alloc_flags = 0;
	bool drained = false;
	struct zone *preferred;

	mhp_sched_point();
	if (order > m->max_order)
		return NULL;
	if (mhp_should_fail(m, MEMHP_FAULT_ALLOC))
		return NULL;
	if (nid == MEMHP_NUMA_NO_NODE)
		nid = numa_node_id(m);
	if (gfp & __GFP_THISNODE)
		nodemask = 1u << nid;
	nr = node_zonelist_mask(m, nid, highest, nodemask, zonelist);
	if (!nr)
		return NULL;
	preferred = zonelist[0];
	/* alloc_flags_nofragment(): a ZONE_NORMAL allocation first tries not
	 * to fragment other pageblock types when ZONE_DMA32 lies below (a
	 * machine with a DMA32 limit is a kernel with CONFIG_ZONE_DMA32).
	 * With one node online 6.1 assumes the DMA32 zone is populated if
	 * Normal is, and does not look; with several it asks whether the
	 * preferred node's is. */
	if (preferred->idx == ZONE_NORMAL && m->cfg.dma32_limit &&
	    (m->nr_node_ids == 1 || nr_online_nodes(m) == 1 ||
	     populated_zone(&preferred->zone_pgdat->node_zones[ZONE_DMA32])))
		alloc_flags |= ALLOC_NOFRAGMENT;
	/* gfp_to_alloc_flags_cma(): movable allocations may use CMA. */
	if (mt == MIGRATE_MOVABLE && m->cfg.cma_size)
		alloc_flags |= ALLOC_CMA;

retry:
	for (int i = 0; i < nr; i++) {
		struct zone *zone = zonelist[i];
		unsigned long pfn;

		/* get_page_from_freelist(): before it leaves the preferred
		 * node, an allocation that avoids fragmenting gives that up
		 * and tries its own node once more; local memory, even
		 * fragmented, beats remote memory. */
		if ((alloc_flags & ALLOC_NOFRAGMENT) &&
		    zone_to_nid(zone) != zone_to_nid(preferred)) {
			alloc_flags &= ~ALLOC_NOFRAGMENT;
			goto retry;
		}
		pfn = rmqueue(m, zone, order, mt, alloc_flags);
		if (pfn != PFN_NIL) {
			mod_vmstat(m, MEMHP_PGALLOC_DMA + zone->idx, 1L << order);
			prep_new_page(m, pfn, order, gfp);
			return pfn_to_page(m, pfn);
		}
	}
	if (alloc_flags & ALLOC_NOFRAGMENT) {
		alloc_flags &= ~ALLOC_NOFRAGMENT;
		goto retry;
	}
	/* The slow path's last resort before it would reclaim
	 * (__alloc_pages_direct_reclaim()): other CPUs' lists may hold what
	 * this one lacks. */
	if (!drained) {
		drain_all_pages(m, NULL);
		drained = true;
		goto retry;
	}
	return NULL;
}

struct memhp_page *__alloc_pages_exact(struct memhp_machine *m, int nid, memhp_gfp_t gfp,
				       unsigned int order)
{
	return __alloc_pages_nodemask(m, nid, 0, gfp, order);
}

struct memhp_page *memhp_alloc_pages_node(struct memhp_machine *m, int nid, memhp_gfp_t gfp,
					  unsigned int order)
{
	if (nid != MEMHP_NUMA_NO_NODE && (nid < 0 || nid >= m->nr_node_ids))
		return NULL;
	return __alloc_pages_exact(m, nid, gfp, order);
}

struct memhp_page *memhp_alloc_pages(struct memhp_machine *m, memhp_gfp_t gfp, unsigned int order)
{
	return __alloc_pages_exact(m, MEMHP_NUMA_NO_NODE, gfp, order);
}

/*
 * alloc_migration_target() for memory offlining: GFP_USER | __GFP_MOVABLE,
 * plus __GFP_HIGHMEM when the source is in ZONE_MOVABLE, so a target may
 * come from ZONE_MOVABLE only if the source did. do_migrate_range()
 * prefers the source's node @nid but leaves it out of the nodemask while
 * any other node has memory: what leaves a node being offlined goes to
 * the nearest other node first.
 */
struct memhp_page *alloc_migration_target(struct memhp_machine *m, int src_zone, int nid,
					  unsigned int nodemask)
{
	memhp_gfp_t gfp = MEMHP_GFP_USER | MEMHP___GFP_MOVABLE;

	if (src_zone == ZONE_MOVABLE)
		gfp |= MEMHP___GFP_HIGHMEM;
	return __alloc_pages_nodemask(m, nid, nodemask, gfp, 0);
}

/* ---- Helpers for isolation and offlining ------------------------------------- */

/*
 * break_down_buddy_pages(): split the free chunk of @high at @pfn down to
 * order 0 around @target, giving every half that does not hold @target
 * back to the @mt list; @target itself stays out. The caller has taken
 * the chunk off its list.
 */
static void break_down_buddy_pages(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
				   unsigned long target, unsigned int high, int mt)
{
	lockdep_assert_held(&zone->lock);
	while (high > 0) {
		unsigned long half = 1UL << --high;

		if (target >= pfn + half) {
			add_to_free_list(m, zone, pfn, high, mt, false);
			pfn += half;
		} else {
			add_to_free_list(m, zone, pfn + half, high, mt, false);
		}
	}
}

/*
 * take_page_off_buddy(): take the single page @pfn out of the free chunk
 * that holds it, so that it can be poisoned. The rest of the chunk goes
 * back to the free lists in pieces, on the list of the chunk's pageblock;
 * the page keeps refcount 0 and no type. NR_FREE_PAGES drops by that one
 * page unless the pageblock is isolated (its pages were not counted). The
 * managed count does not change: 6.1 leaves poisoned pages in it.
 * Returns false if no free chunk holds @pfn (it was allocated meanwhile).
 */
bool take_page_off_buddy(struct memhp_machine *m, unsigned long pfn)
{
	struct zone *zone = pfn_zone(m, pfn);
	unsigned long head;
	unsigned int order;
	bool ret = false;

	pthread_mutex_lock(&zone->lock);
	if (free_chunk_covering(m, pfn, &head, &order)) {
		int mt = get_pfnblock_migratetype(m, head);

		del_page_from_free_list(m, zone, head, order);
		break_down_buddy_pages(m, zone, head, pfn, order, mt);
		ret = true;
	}
	pthread_mutex_unlock(&zone->lock);
	return ret;
}

/* __isolate_free_page() for unset_migratetype_isolate(): no watermarks here. */
bool __isolate_free_page(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
			 unsigned int order)
{
	del_page_from_free_list(m, zone, pfn, order);
	return true;
}

void __putback_isolated_page(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
			     unsigned int order, int mt)
{
	__free_one_page(m, zone, pfn, order, mt, true);
}

/*
 * Take the free chunks of an isolated range off the buddy; PageOffline and
 * HWPoison pages are skipped. Anything else is what the kernel BUG()s on;
 * here it is reported and skipped. The sections go offline first.
 * Returns the pages that were neither PageOffline nor HWPoison-skipped
 * (a poisoned skippable page counts as PageOffline), which is what 6.7+
 * subtracts from managed pages (the 2025 protocol).
 */
unsigned long __offline_isolated_pages(struct memhp_machine *m, unsigned long start,
				       unsigned long end)
{
	struct zone *zone = pfn_zone(m, start);
	const bool skippable = m->cfg.protocol == MEMHP_PROTOCOL_2025;
	unsigned long pfn = start, already_offline = 0;

	offline_mem_sections(m, start, end);
	pthread_mutex_lock(&zone->lock);
	while (pfn < end) {
		struct memhp_page *page = pfn_to_page(m, pfn);
		const uint64_t w = page_raw0(page);

		if (raw0_type(w) != PGTY_BUDDY && raw0_flag(w, PG_hwpoison)) {
			/* A skippable page a memory failure poisoned is still
			 * its driver's and was never managed: upstream tests
			 * HWPoison first and takes it out of managed_pages a
			 * second time (docs/semantics.md, Deviations). */
			if (skippable && raw0_type(w) == PGTY_OFFLINE &&
			    raw0_flag(w, PG_offline_skippable))
				already_offline++;
			pfn++;
			continue;
		}
		/* What drivers leave here: their PageOffline pages, let go of
		 * as the protocol wants, nothing to report; runs of them. */
		if (raw0_type(w) == PGTY_OFFLINE &&
		    (skippable ? raw0_flag(w, PG_offline_skippable) && raw0_count(w) == 1
			       : !raw0_count(w))) {
			unsigned long like = 1 + raw0_run(page + 1, end - pfn - 1, w);

			already_offline += like;
			pfn += like;
			continue;
		}
		if (raw0_type(w) == PGTY_OFFLINE) {
			if (skippable) {
				if (!PageOfflineSkippable(page))
					memhp_report(m, pfn, MEMHP_RULE_OFFLINE_ISOLATED_PAGES,
						     "PageOffline page not skippable at "
						     "__offline_isolated_pages");
				if (page_count(page) != 1)
					memhp_report(m, pfn, MEMHP_RULE_OFFLINE_ISOLATED_PAGES,
						     "skippable PageOffline page has refcount %d, "
						     "not 1",
						     page_count(page));
			} else if (page_count(page)) {
				memhp_report_bug(m, pfn, MEMHP_RULE_OFFLINE_ISOLATED_PAGES,
						 "PageOffline page with refcount %d at "
						 "__offline_isolated_pages (kernel: BUG)",
						 page_count(page));
			}
			already_offline++;
			pfn++;
			continue;
		}
		if (!PageBuddy(page) || page_count(page)) {
			memhp_report_bug(m, pfn, MEMHP_RULE_OFFLINE_ISOLATED_PAGES,
					 "page neither free nor PageOffline at "
					 "__offline_isolated_pages (kernel: BUG)");
			pfn++;
			continue;
		}
		{
			unsigned int order = order_of(page);

			del_page_from_free_list(m, zone, pfn, order);
			pfn += 1UL << order;
		}
	}
	pthread_mutex_unlock(&zone->lock);
	return end - start - already_offline;
}

void buddy_init_zone(struct zone *zone)
{
	for (unsigned int o = 0; o < NR_ORDERS; o++)
		for (int t = 0; t < MIGRATE_TYPES; t++)
			zone->free_area[o].free_list[t].head =
				zone->free_area[o].free_list[t].tail = PFN_NIL;
}

unsigned long memhp_zone_nr_free_chunks(struct memhp_machine *m, int nid, enum memhp_zone_type zid,
					unsigned int order, int migratetype)
{
	struct zone *zone;
	unsigned long n;

	if (nid < 0 || nid >= m->nr_node_ids || (unsigned)zid >= MAX_NR_ZONES ||
	    order > m->max_order || migratetype >= MIGRATE_TYPES)
		return 0;
	zone = &NODE_DATA_M(m, nid)->node_zones[zid];
	pthread_mutex_lock(&zone->lock);
	n = migratetype < 0 ? zone->free_area[order].nr_free
			    : zone->free_area[order].nr_free_mt[migratetype];
	pthread_mutex_unlock(&zone->lock);
	return n;
}
