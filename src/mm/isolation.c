// SPDX-License-Identifier: MIT
/*
 * isolation.c - pageblock isolation (mm/page_isolation.c).
 *
 * An isolated pageblock (MIGRATE_ISOLATE) hands out nothing: its free
 * chunks sit on the ISOLATE lists, pages freed into it stay there, and
 * MemFree no longer counts them. Offlining and alloc_contig_range()
 * isolate first, then migrate, then test that what is left is free.
 *
 * The PageOffline rules live here in two of their four places:
 * has_unmovable_pages() lets PageOffline pages through isolation when
 * offlining, and __test_page_isolated_in_pageblock() counts refcount-0
 * PageOffline pages (6.1) or skippable ones (2025) as free.
 */
#include "internal.h"

#define NO_PFN (~0UL)

/*
 * __first_valid_page(): the first pfn of [pfn, pfn + nr) whose section is
 * online, or NO_PFN. Sections are at least a pageblock, so this steps by
 * section.
 */
static unsigned long first_valid_pfn(struct memhp_machine *m, unsigned long pfn, unsigned long nr)
{
	unsigned long end = pfn + nr;

	while (pfn < end) {
		if (pfn_online(m, pfn))
			return pfn;
		pfn = ALIGN_DOWN(pfn, m->pages_per_section) + m->pages_per_section;
	}
	return NO_PFN;
}

/*
 * has_unmovable_pages(): the first page of [start, end) (one pageblock)
 * that would keep the pageblock from being isolated, or NO_PFN. The order
 * of the checks is 6.1's and it matters: PG_reserved beats everything, even
 * in ZONE_MOVABLE, where nothing else is checked; PageOffline pages pass
 * when offlining (6.1) or when skippable (2025).
 */
static unsigned long has_unmovable_pages(struct memhp_machine *m, unsigned long start,
					 unsigned long end, int migratetype, int flags,
					 bool *maybe_free)
{
	const bool movable_zone = pfn_zone(m, start)->idx == ZONE_MOVABLE;
	const bool skippable_rule = m->cfg.protocol == MEMHP_PROTOCOL_2025;

	*maybe_free = true;
	/* A CMA pageblock is isolated only by alloc_contig_range() on behalf
	 * of CMA (cma_alloc()); to anyone else, offlining included, it is
	 * unmovable as a whole. */
	if (get_pfnblock_migratetype(m, start) == MIGRATE_CMA)
		return migratetype == MIGRATE_CMA ? NO_PFN : start;

	*maybe_free = false;
	for (unsigned long pfn = start; pfn < end;) {
		/* One load per page: this loop meets every page of a block. */
		const struct memhp_page *page = pfn_to_page(m, pfn);
		const uint64_t w = page_raw0(page);
		unsigned long head;
		unsigned int order;

		/* What move_freepages_block() would look at again: a free
		 * chunk, a page on a per-cpu list or a free chunk's tail. */
		if (raw0_type(w) == PGTY_BUDDY || !raw0_count(w))
			*maybe_free = true;
		if (raw0_type(w) == PGTY_BUDDY) {
			/* Free chunks are never reserved: skip them whole. */
			pfn += 1UL << raw0_order(w);
			continue;
		}
		if (raw0_flag(w, PG_reserved))
			return pfn;
		if (movable_zone) {
			pfn += 1 + raw0_run(page + 1, end - pfn - 1, w);
			continue;
		}
		/*
		 * A compound page answers for all its pages: a hugetlb page
		 * can be migrated (x86 migrates both sizes), a THP if its head
		 * is on the LRU. Only what is pinned fails later.
		 */
		if (raw0_flag(w, PG_head) || raw0_flag(w, PG_tail)) {
			struct memhp_page *chead = compound_head((struct memhp_page *)page);
			const uint64_t hw = page_raw0(chead);

			if (!raw0_flag(hw, PG_hugetlb) && !raw0_flag(hw, PG_lru) &&
			    !raw0_flag(hw, PG_movable))
				return pfn;
			pfn = page_to_pfn_m(m, chead) +
			      (1UL << (raw0_order_byte(hw) & COMPOUND_ORDER_MASK));
			continue;
		}
		if (!raw0_count(w)) {
			/* A tail of a free chunk that began before @start: the
			 * kernel steps through it page by page, in ZONE_MOVABLE
			 * or not, and finds nothing. */
			if (free_chunk_covering(m, pfn, &head, &order)) {
				pfn = head + (1UL << order);
				continue;
			}
		} else if (!((flags & MEMORY_OFFLINE) && raw0_flag(w, PG_hwpoison)) &&
			   !((flags & MEMORY_OFFLINE) && raw0_type(w) == PGTY_OFFLINE &&
			     (!skippable_rule || raw0_flag(w, PG_offline_skippable))) &&
			   !raw0_flag(w, PG_movable) && !raw0_flag(w, PG_lru)) {
			return pfn;
		}
		/* Movable, or let through: so are the pages just like it. A
		 * refcount-0 page outside a free chunk is one of those too. */
		pfn += 1 + raw0_run(page + 1, end - pfn - 1, w);
	}
	return NO_PFN;
}

/* Returns 0, or -EBUSY (already isolated, or an unmovable page). */
static int set_migratetype_isolate(struct memhp_machine *m, unsigned long pfn, int migratetype,
				   int flags, unsigned long start, unsigned long end)
{
	struct zone *zone = pfn_zone(m, pfn);
	const unsigned long pb_start = ALIGN_DOWN(pfn, m->pageblock_nr_pages);
	const unsigned long pb_end = pb_start + m->pageblock_nr_pages;
	unsigned long unmovable;
	bool maybe_free;

	pthread_mutex_lock(&zone->lock);
	if (is_migrate_isolate_pfn(m, pfn)) {
		pthread_mutex_unlock(&zone->lock);
		return -EBUSY;
	}
	unmovable = has_unmovable_pages(m, MAX(pfn, start), MIN(pb_end, end), migratetype, flags,
					&maybe_free);
	if (unmovable == NO_PFN) {
		/* A scan of the whole pageblock that met no free page spares
		 * move_freepages_block() its own: under zone->lock none can
		 * appear in between (a freed page only reaches the buddy under
		 * it), so there is nothing to move. */
		if (!maybe_free && MAX(pfn, start) == pb_start && MIN(pb_end, end) == pb_end)
			set_pageblock_migratetype(m, pb_start, MIGRATE_ISOLATE);
		else
			move_freepages_block_isolate(m, zone, pfn, MIGRATE_ISOLATE);
		zone->nr_isolate_pageblock++;
		pthread_mutex_unlock(&zone->lock);
		mhp_emit(m, MEMHP_TP_PAGEBLOCK_ISOLATED, pageblock,
			 .start_pfn = ALIGN_DOWN(pfn, m->pageblock_nr_pages),
			 .nr_pages = m->pageblock_nr_pages);
		return 0;
	}
	pthread_mutex_unlock(&zone->lock);
	if (flags & REPORT_FAILURE) {
		struct memhp_page *p = pfn_to_page(m, unmovable);

		mhp_log(m, KERN_WARNING, "page:%#lx refcount:%d%s%s%s%s: unmovable page", unmovable,
			page_count(p), PageReserved(p) ? " reserved" : "",
			PageOffline(p) ? " PageOffline" : "",
			PageOfflineSkippable(p) ? " skippable" : "",
			PageHWPoison(p) ? " hwpoison" : "");
	}
	return -EBUSY;
}

/*
 * @allocated: every page of the pageblock is the caller's, with a
 * reference (alloc_contig_range() that took the range): none is free, so
 * there is nothing to move back and no chunk to merge, and the scan that
 * would find that out is left out.
 */
static void __unset_migratetype_isolate(struct memhp_machine *m, unsigned long pfn, int migratetype,
					bool allocated)
{
	struct zone *zone = pfn_zone(m, pfn);
	struct memhp_page *page = pfn_to_page(m, pfn);
	bool isolated_page = false;
	unsigned int order = 0;

	pthread_mutex_lock(&zone->lock);
	if (!is_migrate_isolate_pfn(m, pfn))
		goto out;
	if (allocated) {
		set_pageblock_migratetype(m, pfn, migratetype);
		goto unisolated;
	}

	/*
	 * A free chunk of pageblock order or more could not merge with its
	 * buddy while isolated; take it off and free it again after the type
	 * change so it can.
	 */
	if (PageBuddy(page)) {
		order = buddy_order(page);
		if (order >= m->pageblock_order && order < m->max_order) {
			unsigned long buddy_pfn = pfn ^ (1UL << order);
			struct memhp_page *buddy = pfn_to_page(m, buddy_pfn);

			if (PageBuddy(buddy) && buddy_order(buddy) == order &&
			    pfn_zone(m, buddy_pfn) == zone && !is_migrate_isolate_pfn(m, buddy_pfn))
				isolated_page = __isolate_free_page(m, zone, pfn, order);
		}
	}
	if (!isolated_page) {
		move_freepages_block_isolate(m, zone, pfn, migratetype);
	} else {
		set_pageblock_migratetype(m, pfn, migratetype);
		__putback_isolated_page(m, zone, pfn, order, migratetype);
	}
unisolated:
	zone->nr_isolate_pageblock--;
	pthread_mutex_unlock(&zone->lock);
	mhp_emit(m, MEMHP_TP_PAGEBLOCK_UNISOLATED, pageblock,
		 .start_pfn = ALIGN_DOWN(pfn, m->pageblock_nr_pages),
		 .nr_pages = m->pageblock_nr_pages, .migratetype = migratetype);
	return;
out:
	pthread_mutex_unlock(&zone->lock);
}

static void unset_migratetype_isolate(struct memhp_machine *m, unsigned long pfn, int migratetype)
{
	__unset_migratetype_isolate(m, pfn, migratetype, false);
}

/*
 * Isolate the pageblock on one side of @boundary. 6.1 then splits any free
 * chunk that crosses the boundary; here set_migratetype_isolate() has
 * already split every chunk larger than the pageblock (6.10's rule), so no
 * free chunk crosses it. memhp has no compound pages, so the kernel's
 * migration of a compound page across the boundary has nothing to do.
 */
static int isolate_single_pageblock(struct memhp_machine *m, unsigned long boundary, int flags,
				    bool isolate_before, bool skip_isolation, int migratetype)
{
	unsigned long isolate_pb = isolate_before ? boundary - m->pageblock_nr_pages : boundary;

	if (skip_isolation)
		return 0;
	return set_migratetype_isolate(m, isolate_pb, migratetype, flags, isolate_pb,
				       isolate_pb + m->pageblock_nr_pages);
}

/*
 * start_isolate_page_range(): isolate every pageblock of [start, end).
 * Returns 0, or -EBUSY with nothing left isolated.
 */
int start_isolate_page_range(struct memhp_machine *m, unsigned long start, unsigned long end,
			     int migratetype, int flags, memhp_gfp_t gfp)
{
	unsigned long isolate_start = ALIGN_DOWN(start, m->pageblock_nr_pages);
	unsigned long isolate_end = ALIGN_UP(end, m->pageblock_nr_pages);
	bool skip_isolation = false;
	int ret;

	(void)gfp;
	ret = isolate_single_pageblock(m, isolate_start, flags, false, skip_isolation, migratetype);
	if (ret)
		return ret;
	if (isolate_start == isolate_end - m->pageblock_nr_pages)
		skip_isolation = true;
	ret = isolate_single_pageblock(m, isolate_end, flags, true, skip_isolation, migratetype);
	if (ret) {
		unset_migratetype_isolate(m, isolate_start, migratetype);
		return ret;
	}

	for (unsigned long pfn = isolate_start + m->pageblock_nr_pages;
	     pfn < isolate_end - m->pageblock_nr_pages; pfn += m->pageblock_nr_pages) {
		unsigned long valid = first_valid_pfn(m, pfn, m->pageblock_nr_pages);

		if (valid != NO_PFN &&
		    set_migratetype_isolate(m, valid, migratetype, flags, start, end)) {
			undo_isolate_page_range(m, isolate_start, pfn, migratetype);
			unset_migratetype_isolate(m, isolate_end - m->pageblock_nr_pages,
						  migratetype);
			return -EBUSY;
		}
	}
	return 0;
}

static void __undo_isolate_page_range(struct memhp_machine *m, unsigned long start,
				      unsigned long end, int migratetype, bool allocated)
{
	unsigned long isolate_start = ALIGN_DOWN(start, m->pageblock_nr_pages);
	unsigned long isolate_end = ALIGN_UP(end, m->pageblock_nr_pages);

	for (unsigned long pfn = isolate_start; pfn < isolate_end; pfn += m->pageblock_nr_pages) {
		unsigned long valid = first_valid_pfn(m, pfn, m->pageblock_nr_pages);

		if (valid == NO_PFN || !is_migrate_isolate_pfn(m, valid))
			continue;
		/* Only a pageblock wholly inside the range is wholly the
		 * caller's. */
		__unset_migratetype_isolate(m, valid, migratetype,
					    allocated && pfn >= start &&
						    pfn + m->pageblock_nr_pages <= end &&
						    valid == pfn);
	}
}

void undo_isolate_page_range(struct memhp_machine *m, unsigned long start, unsigned long end,
			     int migratetype)
{
	__undo_isolate_page_range(m, start, end, migratetype, false);
}

void undo_isolate_allocated_range(struct memhp_machine *m, unsigned long start, unsigned long end,
				  int migratetype)
{
	__undo_isolate_page_range(m, start, end, migratetype, true);
}

/*
 * Walk [pfn, end) while every page is free, HWPoison or (when offlining) a
 * PageOffline page its driver let go of: refcount 0 in 6.1, skippable in
 * 2025. Returns where the walk stopped. Caller holds zone->lock.
 */
static unsigned long __test_page_isolated_in_pageblock(struct memhp_machine *m, unsigned long pfn,
						       unsigned long end, int flags)
{
	const bool skippable_rule = m->cfg.protocol == MEMHP_PROTOCOL_2025;

	while (pfn < end) {
		const struct memhp_page *page = pfn_to_page(m, pfn);
		const uint64_t w = page_raw0(page);

		if (raw0_type(w) == PGTY_BUDDY)
			pfn += 1UL << raw0_order(w);
		else if (((flags & MEMORY_OFFLINE) && raw0_flag(w, PG_hwpoison)) ||
			 ((flags & MEMORY_OFFLINE) && raw0_type(w) == PGTY_OFFLINE &&
			  (skippable_rule ? raw0_flag(w, PG_offline_skippable) : !raw0_count(w))))
			pfn += 1 + raw0_run(page + 1, end - pfn - 1, w);
		else
			break;
	}
	return pfn;
}

/* Returns 0 if [start, end) is isolated and free, else -EBUSY. */
int test_pages_isolated(struct memhp_machine *m, unsigned long start, unsigned long end,
			int isol_flags)
{
	unsigned long pfn, first;
	struct zone *zone;

	for (pfn = start; pfn < end; pfn += m->pageblock_nr_pages) {
		unsigned long valid = first_valid_pfn(m, pfn, m->pageblock_nr_pages);

		if (valid != NO_PFN && !is_migrate_isolate_pfn(m, valid))
			return -EBUSY;
	}
	first = first_valid_pfn(m, start, end - start);
	if (first == NO_PFN)
		return -EBUSY;
	zone = pfn_zone(m, first);
	pthread_mutex_lock(&zone->lock);
	pfn = __test_page_isolated_in_pageblock(m, start, end, isol_flags);
	pthread_mutex_unlock(&zone->lock);
	return pfn < end ? -EBUSY : 0;
}
