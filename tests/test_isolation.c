// SPDX-License-Identifier: MIT
/*
 * test_isolation.c - pageblock isolation and alloc_contig_range().
 *
 * White-box where it has to be: start_isolate_page_range() is internal,
 * so these tests include the core's internal header.
 */
#include "harness.h"

#include "../src/mm/internal.h"

#define HOT (4 * MEMHP_GiB)
#define B0 32

int alloc_contig_range_rc(struct memhp_machine *m, unsigned long start, unsigned long end);

static struct memhp_machine *with_block(enum memhp_online_type type)
{
	struct memhp_machine *m = tm_create(NULL);

	if (!m || tm_add_blocks(m, HOT, 1) || memhp_block_online(m, B0, type))
		return NULL;
	return m;
}

/* Free pages, in the buddy or on per-cpu lists: what the allocator can
 * hand out, whichever list a page waits on. */
static unsigned long memfree(struct memhp_machine *m)
{
	struct memhp_meminfo mi;

	memhp_meminfo(m, &mi);
	return mi.free_pages + mi.pcp_pages;
}

static void isolating_free_pageblocks_hides_them_from_memfree_until_undone(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_MOVABLE);
	unsigned long before;

	ASSERT_TRUE(m);
	const unsigned long start = tm_block_pfn(m, B0), pb = memhp_pageblock_nr_pages(m);
	before = memfree(m);
	ASSERT_OK(start_isolate_page_range(m, start, start + 4 * pb, MIGRATE_MOVABLE,
					   MEMORY_OFFLINE, MEMHP_GFP_USER));
	ASSERT_EQ(before - memfree(m), 4 * pb);
	ASSERT_EQ(memhp_pfn_migratetype(m, start), MEMHP_MIGRATE_ISOLATE);
	ASSERT_EQ(memhp_pfn_migratetype(m, start + 4 * pb), MEMHP_MIGRATE_MOVABLE);
	undo_isolate_page_range(m, start, start + 4 * pb, MIGRATE_MOVABLE);
	ASSERT_EQ(memfree(m), before);
}

static void pages_freed_into_an_isolated_pageblock_stay_out_of_memfree(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_MOVABLE);
	struct memhp_page *p;
	unsigned long before;

	ASSERT_TRUE(m);
	const unsigned long start = tm_block_pfn(m, B0), pb = memhp_pageblock_nr_pages(m);
	p = tm_alloc_in(m, MEMHP_GFP_HIGHUSER_MOVABLE, start, start + pb);
	ASSERT_TRUE(p);
	ASSERT_OK(start_isolate_page_range(m, start, start + pb, MIGRATE_MOVABLE, MEMORY_OFFLINE,
					   MEMHP_GFP_USER));
	/* What tm_alloc_in() freed went onto a per-cpu list: every user of
	 * isolation drains them into the ISOLATE lists. */
	drain_all_pages(m, NULL);
	before = memfree(m);
	memhp_put_page(p);
	ASSERT_EQ(memfree(m), before);
	/* Merged on the ISOLATE list: the whole pageblock is free again. */
	ASSERT_OK(test_pages_isolated(m, start, start + pb, 0));
	undo_isolate_page_range(m, start, start + pb, MIGRATE_MOVABLE);
	ASSERT_EQ(memfree(m), before + pb);
}

/*
 * Undoing isolation pageblock by pageblock leaves a window: in 6.1 a
 * max-order chunk whose head pageblock is already back on the Movable list
 * still covers the next, isolated pageblock. An allocation in that window
 * splits the chunk and puts the isolated half on the Movable list, where
 * MemFree already counts it; 6.1 counts it a second time when that
 * pageblock's isolation is undone (MemFree drifts up by a pageblock, fixed
 * upstream in 6.10). memhp splits the chunk when the first pageblock goes
 * back (6.10's rule), so the allocation gets the Movable half, and it
 * accounts by the list a chunk is on, so MemFree never drifts.
 */
static void memfree_does_not_drift_when_an_allocation_splits_a_half_unisolated_chunk(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_MOVABLE);
	struct memhp_page *p;
	unsigned long before, pfn;

	ASSERT_TRUE(m);
	const unsigned long start = tm_block_pfn(m, B0), pb = memhp_pageblock_nr_pages(m);
	const unsigned long end = start + memhp_pages_per_block(m);
	before = memfree(m);
	ASSERT_OK(start_isolate_page_range(m, start, end, MIGRATE_MOVABLE, MEMORY_OFFLINE,
					   MEMHP_GFP_USER));
	undo_isolate_page_range(m, start, start + pb, MIGRATE_MOVABLE);
	p = memhp_alloc_pages(m, MEMHP_GFP_HIGHUSER_MOVABLE, 0);
	ASSERT_TRUE(p);
	pfn = memhp_page_to_pfn(p);
	/* The only free Movable pages of ZONE_MOVABLE are the first pageblock,
	 * split off the chunk that also covers the still-isolated second. */
	ASSERT_TRUE(pfn >= start && pfn < start + pb);
	undo_isolate_page_range(m, start + pb, end, MIGRATE_MOVABLE);
	ASSERT_EQ(memfree(m), before - 1);
	memhp_put_page(p);
	ASSERT_EQ(memfree(m), before);
}

/*
 * Offlining isolates a block's first and last pageblock before the ones
 * between. The last pageblock is the upper half of a max-order free chunk
 * whose head lies in the pageblock before it, still Movable. 6.1 leaves
 * that chunk on the Movable list; an allocation in the window splits it
 * and hands out the isolated half, page by page, until offlining ends.
 * memhp splits such a chunk when the pageblock is isolated, as 6.10's
 * move_freepages_block_isolate() does (docs/semantics.md).
 */
#define WINDOW_MAX_HELD 64

struct isolation_window {
	struct memhp_machine *m;
	unsigned long start, end, pb;
	bool done;
	unsigned long found_last; /* order-9 pages the window gave out of the last pageblock */
	unsigned long got;	  /* order-9 pages it gave at all */
};

static void allocate_in_the_window(struct memhp_machine *m, const struct memhp_event *ev,
				   void *priv)
{
	struct isolation_window *w = priv;
	struct memhp_page *held[WINDOW_MAX_HELD], *half[2], *over_last = NULL;
	unsigned int n = 0;

	if (w->done || ev->pageblock.start_pfn != w->end - w->pb)
		return;
	w->done = true;
	/* Take every max-order chunk still allocatable in the block but
	 * the one over the last pageblock, then split that one. */
	while (n < WINDOW_MAX_HELD) {
		struct memhp_page *p =
			memhp_alloc_pages(m, MEMHP_GFP_HIGHUSER_MOVABLE, memhp_max_order(m));
		unsigned long pfn = p ? memhp_page_to_pfn(p) : 0;

		if (!p)
			break;
		if (pfn == w->end - 2 * w->pb) {
			over_last = p;
			continue;
		}
		held[n++] = p;
		if (pfn < w->start || pfn >= w->end)
			break;
	}
	if (over_last)
		memhp_free_pages(over_last, memhp_max_order(m));
	for (int i = 0; i < 2; i++) {
		half[i] = memhp_alloc_pages(m, MEMHP_GFP_HIGHUSER_MOVABLE, m->pageblock_order);
		if (!half[i])
			continue;
		w->got++;
		w->found_last += memhp_page_to_pfn(half[i]) >= w->end - w->pb &&
				 memhp_page_to_pfn(half[i]) < w->end;
	}
	for (int i = 0; i < 2; i++)
		if (half[i])
			memhp_free_pages(half[i], m->pageblock_order);
	while (n)
		memhp_free_pages(held[--n], memhp_max_order(m));
}

static void offlining_never_hands_out_the_last_pageblock_of_a_block(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_MOVABLE);
	static struct isolation_window w;

	ASSERT_TRUE(m);
	ASSERT_EQ(memhp_max_order(m), m->pageblock_order + 1);
	w = (struct isolation_window){ .m = m,
				       .start = tm_block_pfn(m, B0),
				       .end = tm_block_pfn(m, B0) + memhp_pages_per_block(m),
				       .pb = memhp_pageblock_nr_pages(m) };
	ASSERT_OK(memhp_event_subscribe(m, MEMHP_EVENT_BIT(MEMHP_TP_PAGEBLOCK_ISOLATED),
					allocate_in_the_window, &w));
	ASSERT_OK(memhp_block_offline(m, B0));
	memhp_event_unsubscribe(m, allocate_in_the_window, &w);
	ASSERT_TRUE(w.done);
	ASSERT_GT(w.got, 0);
	EXPECT_EQ(w.found_last, 0);
	EXPECT_EQ(tm_violations(m, MEMHP_RULE_ALLOC_FROM_ISOLATED), 0);
}

static void isolating_an_isolated_pageblock_is_ebusy(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_MOVABLE);

	ASSERT_TRUE(m);
	const unsigned long start = tm_block_pfn(m, B0), pb = memhp_pageblock_nr_pages(m);
	ASSERT_OK(start_isolate_page_range(m, start, start + pb, MIGRATE_MOVABLE, 0, 0));
	ASSERT_ERR(start_isolate_page_range(m, start, start + pb, MIGRATE_MOVABLE, 0, 0), -EBUSY);
	ASSERT_ERR(alloc_contig_range_rc(m, start, start + pb), -EBUSY);
	undo_isolate_page_range(m, start, start + pb, MIGRATE_MOVABLE);
}

static void reserved_page_fails_isolation_even_in_zone_movable(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_MOVABLE);
	struct memhp_page *p;
	unsigned long before;

	ASSERT_TRUE(m);
	const unsigned long start = tm_block_pfn(m, B0), pb = memhp_pageblock_nr_pages(m);
	p = tm_alloc_in(m, MEMHP_GFP_HIGHUSER_MOVABLE, start + 2 * pb, start + 3 * pb);
	ASSERT_TRUE(p);
	memhp_SetPageReserved(p);
	before = memfree(m);
	/* The failing pageblock is the third: the first two must be undone. */
	ASSERT_ERR(start_isolate_page_range(m, start, start + 4 * pb, MIGRATE_MOVABLE,
					    MEMORY_OFFLINE, 0),
		   -EBUSY);
	ASSERT_EQ(memfree(m), before);
	ASSERT_EQ(memhp_pfn_migratetype(m, start), MEMHP_MIGRATE_MOVABLE);
	memhp_ClearPageReserved(p);
	memhp_put_page(p);
}

static void unmovable_page_passes_isolation_in_zone_movable_but_not_in_zone_normal(void)
{
	struct memhp_machine *m = tm_create(NULL);
	unsigned long mv, nm;
	struct memhp_page *a, *b;

	ASSERT_TRUE(m);
	const unsigned long pb = memhp_pageblock_nr_pages(m);
	ASSERT_OK(tm_add_blocks(m, HOT, 2));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_KERNEL));
	mv = tm_block_pfn(m, B0);
	nm = tm_block_pfn(m, B0 + 1);
	a = tm_alloc_in(m, MEMHP_GFP_HIGHUSER_MOVABLE, mv, mv + pb); /* no owner */
	b = tm_alloc_in(m, MEMHP_GFP_KERNEL, nm, nm + memhp_pages_per_block(m));
	ASSERT_TRUE(a && b);
	nm = ALIGN_DOWN(memhp_page_to_pfn(b), pb);
	ASSERT_OK(start_isolate_page_range(m, mv, mv + pb, MIGRATE_MOVABLE, MEMORY_OFFLINE, 0));
	ASSERT_ERR(start_isolate_page_range(m, nm, nm + pb, MIGRATE_MOVABLE, MEMORY_OFFLINE, 0),
		   -EBUSY);
	/* ...and the isolated one is not free: the offline test says so. */
	ASSERT_ERR(test_pages_isolated(m, mv, mv + pb, MEMORY_OFFLINE), -EBUSY);
	undo_isolate_page_range(m, mv, mv + pb, MIGRATE_MOVABLE);
	memhp_put_page(a);
	memhp_put_page(b);
}

static void failed_isolation_turns_unmovable_pageblocks_movable_again(void)
{
	/* The failure path resets isolated pageblocks to MOVABLE whatever
	 * they were (kernel-core.md §9.9). */
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_KERNEL);
	struct memhp_page *k, *r;
	unsigned long kpb;

	ASSERT_TRUE(m);
	const unsigned long start = tm_block_pfn(m, B0), pb = memhp_pageblock_nr_pages(m);
	k = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0); /* steals a pageblock */
	ASSERT_TRUE(k && memhp_page_zonenum(k) == MEMHP_ZONE_NORMAL);
	kpb = ALIGN_DOWN(memhp_page_to_pfn(k), pb);
	ASSERT_EQ(memhp_pfn_migratetype(m, kpb), MEMHP_MIGRATE_UNMOVABLE);
	memhp_put_page(k); /* the pageblock stays UNMOVABLE, now free */
	r = tm_alloc_in(m, MEMHP_GFP_HIGHUSER_MOVABLE, kpb + pb, kpb + 2 * pb);
	ASSERT_TRUE(r);
	memhp_SetPageReserved(r);
	ASSERT_ERR(
		start_isolate_page_range(m, kpb, kpb + 2 * pb, MIGRATE_MOVABLE, MEMORY_OFFLINE, 0),
		-EBUSY);
	ASSERT_EQ(memhp_pfn_migratetype(m, kpb), MEMHP_MIGRATE_MOVABLE);
	memhp_ClearPageReserved(r);
	memhp_put_page(r);
	(void)start;
}

/* ---- alloc_contig_range ------------------------------------------------------------ */

int alloc_contig_range_rc(struct memhp_machine *m, unsigned long start, unsigned long end)
{
	int ret = memhp_alloc_contig_range(m, start, end, MEMHP_GFP_KERNEL);

	if (!ret)
		memhp_free_contig_range(m, start, end - start);
	return ret;
}

static void alloc_contig_range_takes_a_range_and_splits_chunks_at_its_edges(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_MOVABLE);
	/* An odd pageblock: the order-10 chunk that covers it starts before. */
	unsigned long before = 0, free0;

	ASSERT_TRUE(m);
	const unsigned long pb = memhp_pageblock_nr_pages(m);
	const unsigned long start = tm_block_pfn(m, B0) + 3 * pb;
	before = memhp_zone_nr_free_chunks(m, 0, MEMHP_ZONE_MOVABLE, memhp_max_order(m), -1);
	free0 = memfree(m);
	ASSERT_OK(memhp_alloc_contig_range(m, start, start + pb, MEMHP_GFP_KERNEL));
	ASSERT_EQ(free0 - memfree(m), pb);
	for (unsigned long i = 0; i < pb; i++) {
		struct memhp_page *p = memhp_pfn_to_page(m, start + i);

		ASSERT_EQ(memhp_page_count(p), 1);
		ASSERT_TRUE(!memhp_PageBuddy(p));
	}
	/* The other half of the old chunk went back free. */
	ASSERT_TRUE(memhp_PageBuddy(memhp_pfn_to_page(m, start - pb)));
	ASSERT_EQ(memhp_pfn_migratetype(m, start), MEMHP_MIGRATE_MOVABLE);
	memhp_free_contig_range(m, start, pb);
	ASSERT_EQ(memfree(m), free0);
	/* Freed page by page, they wait on a per-cpu list until drained. */
	memhp_drain_all_pages(m);
	ASSERT_EQ(memhp_zone_nr_free_chunks(m, 0, MEMHP_ZONE_MOVABLE, memhp_max_order(m), -1),
		  before);
}

/*
 * After taking a range, alloc_contig_range() gives its pageblocks back
 * without looking for free pages in those wholly inside it (every page
 * there is the caller's); a pageblock the range only partly covers still
 * has free pages, which must leave the ISOLATE lists with it.
 */
static void alloc_contig_range_gives_back_the_free_pages_of_partly_taken_pageblocks(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_MOVABLE);
	const unsigned long pb = memhp_pageblock_nr_pages(m);
	const unsigned long start = tm_block_pfn(m, B0) + 2 * pb + 100;
	const unsigned long end = start + 3 * pb;
	struct memhp_zone_info z;
	unsigned long free0;

	ASSERT_TRUE(m);
	free0 = memfree(m);
	ASSERT_OK(memhp_alloc_contig_range(m, start, end, MEMHP_GFP_KERNEL));
	ASSERT_EQ(free0 - memfree(m), end - start);
	memhp_zone_info(m, 0, MEMHP_ZONE_MOVABLE, &z);
	ASSERT_EQ(z.nr_isolate_pageblock, 0);
	for (unsigned int o = 0; o <= memhp_max_order(m); o++)
		ASSERT_EQ(memhp_zone_nr_free_chunks(m, 0, MEMHP_ZONE_MOVABLE, o,
						    MEMHP_MIGRATE_ISOLATE),
			  0);
	for (unsigned long pfn = ALIGN_DOWN(start, pb); pfn < ALIGN_UP(end, pb); pfn += pb)
		ASSERT_EQ(memhp_pfn_migratetype(m, pfn), MEMHP_MIGRATE_MOVABLE);
	/* The partly taken pageblocks' free pages are allocatable again. */
	ASSERT_TRUE(memhp_PageBuddy(memhp_pfn_to_page(m, start - 100)));
	ASSERT_TRUE(memhp_PageBuddy(memhp_pfn_to_page(m, end)));
	memhp_free_contig_range(m, start, end - start);
	ASSERT_EQ(memfree(m), free0);
}

static void alloc_contig_range_migrates_movable_pages_out(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_MOVABLE);
	struct memhp_data *d;

	ASSERT_TRUE(m);
	const unsigned long start = tm_block_pfn(m, B0), pb = memhp_pageblock_nr_pages(m);
	ASSERT_OK(memhp_data_create(m, &d));
	ASSERT_EQ(memhp_data_alloc(d, 2 * pb, 0), 2 * pb);
	ASSERT_OK(memhp_alloc_contig_range(m, start, start + 2 * pb, MEMHP_GFP_KERNEL));
	ASSERT_GT(memhp_data_nr_migrated(d), 0);
	for (unsigned long i = 0; i < memhp_data_nr_slots(d); i++) {
		unsigned long pfn = memhp_data_pfn(d, i);

		ASSERT_TRUE(pfn < start || pfn >= start + 2 * pb);
	}
	ASSERT_EQ(memhp_data_verify(d, NULL), 0);
	memhp_free_contig_range(m, start, 2 * pb);
	memhp_data_destroy(d);
}

static void alloc_contig_range_fails_ebusy_on_an_unmovable_page_and_restores_all(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_KERNEL);
	struct memhp_page *k;
	unsigned long kpb, free0;

	ASSERT_TRUE(m);
	const unsigned long start = tm_block_pfn(m, B0), pb = memhp_pageblock_nr_pages(m);
	k = tm_alloc_in(m, MEMHP_GFP_KERNEL, start, start + memhp_pages_per_block(m));
	ASSERT_TRUE(k);
	kpb = ALIGN_DOWN(memhp_page_to_pfn(k), pb);
	free0 = memfree(m);
	ASSERT_ERR(memhp_alloc_contig_range(m, kpb, kpb + pb, MEMHP_GFP_KERNEL), -EBUSY);
	ASSERT_EQ(memfree(m), free0);
	ASSERT_NE(memhp_pfn_migratetype(m, kpb), MEMHP_MIGRATE_ISOLATE);
	memhp_put_page(k);
}

static void alloc_contig_range_treats_pageoffline_as_no_offlining_would(void)
{
	/* Flags 0, not MEMORY_OFFLINE: a referenced PageOffline page is
	 * unmovable outside ZONE_MOVABLE, a refcount-0 one is not free. */
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_KERNEL);
	struct memhp_page *p;
	unsigned long ppb;

	ASSERT_TRUE(m);
	const unsigned long start = tm_block_pfn(m, B0), pb = memhp_pageblock_nr_pages(m);
	p = tm_alloc_in(m, MEMHP_GFP_KERNEL, start, start + memhp_pages_per_block(m));
	ASSERT_TRUE(p);
	ppb = ALIGN_DOWN(memhp_page_to_pfn(p), pb);
	ASSERT_OK(memhp_SetPageOffline(p));
	ASSERT_ERR(memhp_alloc_contig_range(m, ppb, ppb + pb, MEMHP_GFP_KERNEL), -EBUSY);
	/* The same page lets offlining's isolation through. */
	ASSERT_OK(start_isolate_page_range(m, ppb, ppb + pb, MIGRATE_MOVABLE, MEMORY_OFFLINE, 0));
	drain_all_pages(m, NULL); /* what tm_alloc_in() freed */
	ASSERT_ERR(test_pages_isolated(m, ppb, ppb + pb, MEMORY_OFFLINE), -EBUSY);
	memhp_page_ref_dec_and_test(p); /* a driver letting go: refcount 0 */
	ASSERT_OK(test_pages_isolated(m, ppb, ppb + pb, MEMORY_OFFLINE));
	ASSERT_ERR(test_pages_isolated(m, ppb, ppb + pb, 0), -EBUSY);
	memhp_page_ref_inc(p);
	undo_isolate_page_range(m, ppb, ppb + pb, MIGRATE_MOVABLE);
	memhp_ClearPageOffline(p);
	memhp_put_page(p);
}

static void alloc_contig_range_gives_up_after_five_rounds_of_failed_migration(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_MOVABLE);
	struct memhp_data *d;

	ASSERT_TRUE(m);
	const unsigned long start = tm_block_pfn(m, B0), pb = memhp_pageblock_nr_pages(m);
	ASSERT_OK(memhp_data_create(m, &d));
	ASSERT_EQ(memhp_data_alloc(d, pb, 0), pb);
	memhp_fault_set(m, MEMHP_FAULT_MIGRATION, -1);
	ASSERT_ERR(memhp_alloc_contig_range(m, start, start + pb, MEMHP_GFP_KERNEL), -EBUSY);
	/* 5 rounds x 10 passes, at least, for the first page. */
	ASSERT_TRUE(memhp_fault_hits(m, MEMHP_FAULT_MIGRATION) >= 50);
	memhp_fault_set(m, MEMHP_FAULT_MIGRATION, 0);
	ASSERT_EQ(memhp_data_verify(d, NULL), 0);
	memhp_data_destroy(d);
}

static void alloc_contig_range_returns_eintr_when_a_signal_is_pending(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_MOVABLE);
	struct memhp_data *d;
	unsigned long free0;

	ASSERT_TRUE(m);
	const unsigned long start = tm_block_pfn(m, B0), pb = memhp_pageblock_nr_pages(m);
	ASSERT_OK(memhp_data_create(m, &d));
	ASSERT_EQ(memhp_data_alloc(d, pb, 0), pb);
	free0 = memfree(m);
	memhp_task_signal(memhp_current_task());
	ASSERT_ERR(memhp_alloc_contig_range(m, start, start + pb, MEMHP_GFP_KERNEL), -EINTR);
	memhp_task_clear_signal(memhp_current_task());
	ASSERT_EQ(memfree(m), free0);
	ASSERT_EQ(memhp_data_verify(d, NULL), 0);
	memhp_data_destroy(d);
}

static void alloc_contig_range_rejects_bad_ranges(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_MOVABLE);

	ASSERT_TRUE(m);
	const unsigned long start = tm_block_pfn(m, B0);
	ASSERT_ERR(memhp_alloc_contig_range(m, start, start, 0), -EINVAL);
	ASSERT_ERR(memhp_alloc_contig_range(m, start + memhp_pages_per_block(m),
					    start + memhp_pages_per_block(m) + 512, 0),
		   -EINVAL);
	ASSERT_ERR(memhp_alloc_contig_range(m, memhp_max_pfn(m), memhp_max_pfn(m) + 1, 0), -EINVAL);
}

/* A poisoned page keeps the reference memory_failure() took; offlining
 * steps over it. If a rule forgot to, the offline would retry for ever:
 * the guard interrupts it after this many failed tests instead. */
#define HWPOISON_GUARD_TESTS 100

struct test_guard {
	int failed;
	struct memhp_task *task;
};

static void guard_event(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct test_guard *g = priv;

	(void)m;
	if (ev->phase.phase == MEMHP_PHASE_TEST_PAGES_ISOLATED && ev->phase.ret &&
	    ++g->failed == HWPOISON_GUARD_TESTS)
		memhp_task_signal(g->task);
}

/* A kernel page hit by a memory failure: poisoned, and still its user's
 * (memory failure cannot handle it: -EBUSY, "unknown page: Ignored"). */
static struct memhp_page *poisoned_kernel_page(struct memhp_machine *m)
{
	const unsigned long start = tm_block_pfn(m, B0);
	struct memhp_page *k =
		tm_alloc_in(m, MEMHP_GFP_KERNEL, start, start + memhp_pages_per_block(m));

	if (k && memhp_memory_failure(m, memhp_page_to_pfn(k)) != -EBUSY)
		return NULL;
	return k;
}

static void offline_skips_a_referenced_hwpoison_page_in_zone_normal(void)
{
	static struct test_guard g;
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_KERNEL);
	struct memhp_page *k;

	ASSERT_TRUE(m);
	k = poisoned_kernel_page(m);
	ASSERT_TRUE(k);
	ASSERT_EQ(memhp_page_count(k), 1);
	g = (struct test_guard){ .task = memhp_current_task() };
	ASSERT_OK(memhp_event_subscribe(m, MEMHP_EVENT_BIT(MEMHP_TP_PHASE_END), guard_event, &g));
	/* has_unmovable_pages(), test_pages_isolated() and
	 * __offline_isolated_pages() all step over it. */
	ASSERT_OK(memhp_block_offline(m, B0));
	memhp_event_unsubscribe(m, guard_event, &g);
	memhp_task_clear_signal(memhp_current_task());
	ASSERT_EQ(g.failed, 0);
	ASSERT_OK(memhp_remove_memory(m, HOT, memhp_block_size(m)));
}

static void only_offlining_skips_hwpoison_pages(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_KERNEL);
	struct memhp_page *k;
	unsigned long kpb;

	ASSERT_TRUE(m);
	const unsigned long pb = memhp_pageblock_nr_pages(m);
	k = poisoned_kernel_page(m);
	ASSERT_TRUE(k);
	kpb = ALIGN_DOWN(memhp_page_to_pfn(k), pb);
	/* alloc_contig_range() isolates without MEMORY_OFFLINE: the page is
	 * what it is, an unmovable kernel page. */
	ASSERT_ERR(start_isolate_page_range(m, kpb, kpb + pb, MIGRATE_MOVABLE, 0, 0), -EBUSY);
	ASSERT_ERR(memhp_alloc_contig_range(m, kpb, kpb + pb, MEMHP_GFP_KERNEL), -EBUSY);
	ASSERT_OK(start_isolate_page_range(m, kpb, kpb + pb, MIGRATE_MOVABLE, MEMORY_OFFLINE, 0));
	drain_all_pages(m, NULL); /* what tm_alloc_in() freed */
	ASSERT_ERR(test_pages_isolated(m, kpb, kpb + pb, 0), -EBUSY);
	ASSERT_OK(test_pages_isolated(m, kpb, kpb + pb, MEMORY_OFFLINE));
	undo_isolate_page_range(m, kpb, kpb + pb, MIGRATE_MOVABLE);
}

RUN_TESTS(T(isolating_free_pageblocks_hides_them_from_memfree_until_undone),
	  T(pages_freed_into_an_isolated_pageblock_stay_out_of_memfree),
	  T(memfree_does_not_drift_when_an_allocation_splits_a_half_unisolated_chunk),
	  T(offlining_never_hands_out_the_last_pageblock_of_a_block),
	  T(isolating_an_isolated_pageblock_is_ebusy),
	  T(reserved_page_fails_isolation_even_in_zone_movable),
	  T(unmovable_page_passes_isolation_in_zone_movable_but_not_in_zone_normal),
	  T(failed_isolation_turns_unmovable_pageblocks_movable_again),
	  T(alloc_contig_range_takes_a_range_and_splits_chunks_at_its_edges),
	  T(alloc_contig_range_gives_back_the_free_pages_of_partly_taken_pageblocks),
	  T(alloc_contig_range_migrates_movable_pages_out),
	  T(alloc_contig_range_fails_ebusy_on_an_unmovable_page_and_restores_all),
	  T(alloc_contig_range_treats_pageoffline_as_no_offlining_would),
	  T(alloc_contig_range_gives_up_after_five_rounds_of_failed_migration),
	  T(alloc_contig_range_returns_eintr_when_a_signal_is_pending),
	  T(alloc_contig_range_rejects_bad_ranges),
	  T(offline_skips_a_referenced_hwpoison_page_in_zone_normal),
	  T(only_offlining_skips_hwpoison_pages))
