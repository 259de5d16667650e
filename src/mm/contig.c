// SPDX-License-Identifier: MIT
/*
 * contig.c - alloc_contig_range() and free_contig_range() (mm/page_alloc.c).
 *
 * The unplug path of virtio-mem: isolate a range, migrate what is movable
 * out of it, and take it off the buddy as pages with refcount 1. Unlike
 * offlining, this isolates without MEMORY_OFFLINE: a PageOffline page that
 * still has a reference is unmovable here (outside ZONE_MOVABLE), and a
 * refcount-0 one does not count as free.
 */
#include "internal.h"

#include <stdio.h>

/*
 * isolate_freepages_range(): take every free chunk of [start, end) off the
 * buddy, in one go under zone->lock. Returns the end of the last chunk, or
 * 0 if a page of the range is not free (nothing taken then).
 */
static unsigned long isolate_freepages_range(struct memhp_machine *m, struct zone *zone,
					     unsigned long start, unsigned long end)
{
	unsigned long pfn, outer_end;

	pthread_mutex_lock(&zone->lock);
	for (pfn = start; pfn < end;) {
		struct memhp_page *page = pfn_to_page(m, pfn);

		if (!PageBuddy(page)) {
			pthread_mutex_unlock(&zone->lock);
			return 0;
		}
		pfn += 1UL << buddy_order(page);
	}
	outer_end = pfn;
	for (pfn = start; pfn < end;) {
		unsigned int order = buddy_order(pfn_to_page(m, pfn));

		__isolate_free_page(m, zone, pfn, order);
		pfn += 1UL << order;
	}
	pthread_mutex_unlock(&zone->lock);

	/*
	 * split_map_pages(): every page its own order-0 allocation: no flags
	 * but PG_hwpoison (6.1 checks no page here: test_pages_isolated()
	 * stepped over a poisoned page inside a free chunk, and the caller
	 * gets it poisoned), no owner, refcount 1. The pages are off the
	 * buddy with refcount 0, so nobody else writes them: one store per
	 * word, the owner first and the count last (released), as the
	 * field-by-field stores did.
	 */
	for (pfn = start; pfn < outer_end; pfn++) {
		struct memhp_page *page = pfn_to_page(m, pfn);
		const uint64_t w0 = page_raw0(page);
		const uint64_t w1 = atomic_load_explicit(&page->raw[1], memory_order_relaxed);

		atomic_store_explicit(&page->raw[1], w1 & ~RAW1_OWNER_MASK, memory_order_relaxed);
		atomic_store_explicit(
			&page->raw[0],
			(w0 & (RAW0_TYPE_MASK | RAW0_ORDER_MASK | RAW0_FLAG(PG_hwpoison))) |
				RAW0_COUNT(1),
			memory_order_release);
	}
	return outer_end;
}

/*
 * alloc_contig_range() with the pageblocks' @migratetype: MIGRATE_MOVABLE,
 * or MIGRATE_CMA for cma_alloc() (only that isolates CMA pageblocks, and
 * they get it back after).
 */
int alloc_contig_range(struct memhp_machine *m, unsigned long start, unsigned long end,
		       int migratetype, memhp_gfp_t gfp)
{
	unsigned long outer_start, outer_end;
	struct zone *zone;
	unsigned int order;
	int ret;

	if (start >= end || end > m->max_pfn || !pfn_online(m, start) || !pfn_online(m, end - 1))
		return -EINVAL;
	zone = pfn_zone(m, start);
	if (pfn_zone(m, end - 1) != zone)
		return -EINVAL;

	trace_op_begin(m, MEMHP_OP_ALLOC_CONTIG_RANGE, start, end - start, -1);
	ADD_ONCE(m->contig_in_flight, 1);
	ret = start_isolate_page_range(m, start, end, migratetype, 0, gfp);
	if (ret)
		goto out;

	/* Pages freed onto per-cpu lists before the isolation go back to the
	 * buddy, onto the ISOLATE lists. Unlike offlining, nothing disables
	 * the lists: a free that read its pageblock's type before the
	 * isolation can still put its page on a list after this, and then
	 * test_pages_isolated() fails (docs/semantics.md, "Per-cpu lists"). */
	drain_all_pages(m, zone);

	/* __alloc_contig_migrate_range() runs with the LRU caches off. */
	lru_cache_disable(m);
	ret = migrate_movable_range(m, start, end, false, CONTIG_MIGRATE_TRIES, NULL);
	lru_cache_enable(m);
	if (ret && ret != -EBUSY)
		goto done;
	ret = 0;

	/* The range may start inside a bigger free chunk: take it whole and
	 * give back the part before @start. */
	order = 0;
	outer_start = start;
	while (!PageBuddy(pfn_to_page(m, outer_start))) {
		if (++order > m->max_order) {
			outer_start = start;
			break;
		}
		outer_start &= ~0UL << order;
	}
	if (outer_start != start) {
		order = buddy_order(pfn_to_page(m, outer_start));
		if (outer_start + (1UL << order) <= start)
			outer_start = start;
	}
	if (test_pages_isolated(m, outer_start, end, 0)) {
		ret = -EBUSY;
		goto done;
	}
	outer_end = isolate_freepages_range(m, zone, outer_start, end);
	if (!outer_end) {
		ret = -EBUSY;
		goto done;
	}
	if (start != outer_start)
		memhp_free_contig_range(m, outer_start, start - outer_start);
	if (end != outer_end)
		memhp_free_contig_range(m, end, outer_end - end);
	undo_isolate_allocated_range(m, start, end, migratetype);
	goto out;
done:
	undo_isolate_page_range(m, start, end, migratetype);
out:
	ADD_ONCE(m->contig_in_flight, -1);
	trace_op_end(m, MEMHP_OP_ALLOC_CONTIG_RANGE, start, end - start, -1, 0, ret);
	return ret;
}

int memhp_alloc_contig_range(struct memhp_machine *m, unsigned long start, unsigned long end,
			     memhp_gfp_t gfp)
{
	return alloc_contig_range(m, start, end, MIGRATE_MOVABLE, gfp);
}

void memhp_free_contig_range(struct memhp_machine *m, unsigned long pfn, unsigned long nr_pages)
{
	unsigned long count = 0;

	for (; nr_pages--; pfn++) {
		struct memhp_page *page = pfn_to_page(m, pfn);

		count += page_count(page) != 1;
		memhp_free_pages(page, 0);
	}
	if (count)
		memhp_report(m, pfn, MEMHP_RULE_WARN,
			     "free_contig_range: %lu pages are still in use", count);
}

/* pfn_range_valid_contig(): every page online, in @zone, not reserved and
 * not a hugetlb page. */
static bool pfn_range_valid_contig(struct memhp_machine *m, struct zone *zone, unsigned long start,
				   unsigned long nr_pages)
{
	for (unsigned long pfn = start; pfn < start + nr_pages; pfn++) {
		struct memhp_page *page;

		if (!pfn_online(m, pfn))
			return false;
		page = pfn_to_page(m, pfn);
		if (pfn_zone(m, pfn) != zone || PageReserved(page) || PageHuge(page))
			return false;
	}
	return true;
}

/*
 * alloc_contig_pages(): the first @nr_pages-aligned range of a zone @gfp
 * may use (highest first, as the zonelist goes) that alloc_contig_range()
 * can take. NULL if none.
 */
struct memhp_page *alloc_contig_pages(struct memhp_machine *m, unsigned long nr_pages,
				      memhp_gfp_t gfp, int nid)
{
	const int highest = (gfp & MEMHP___GFP_MOVABLE) && (gfp & MEMHP___GFP_HIGHMEM)
				    ? ZONE_MOVABLE
				    : ZONE_NORMAL;

	struct zone *zonelist[MAX_ZONELIST];
	int nr = node_zonelist_mask(m, nid, highest,
				    (gfp & __GFP_THISNODE) && nid >= 0 ? 1u << nid : 0, zonelist);

	for (int i = 0; i < nr; i++) {
		struct zone *zone = zonelist[i];
		unsigned long pfn;

		if (!populated_zone(zone))
			continue;
		pfn = ALIGN_UP(READ_ONCE(zone->zone_start_pfn), nr_pages);
		while (pfn + nr_pages <= zone_end_pfn(zone)) {
			if (pfn_range_valid_contig(m, zone, pfn, nr_pages) &&
			    !memhp_alloc_contig_range(m, pfn, pfn + nr_pages, gfp))
				return pfn_to_page(m, pfn);
			pfn += nr_pages;
		}
	}
	return NULL;
}
