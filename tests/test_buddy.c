// SPDX-License-Identifier: MIT
/*
 * test_buddy.c - the page allocator: orders, merging, zones and gfp flags,
 * migratetype fallback, freeing.
 */
#include "harness.h"

#include <stdlib.h>

#define HOT (4 * MEMHP_GiB)
#define B0 32

struct snapshot {
	unsigned long chunks[MEMHP_NR_ZONES][MEMHP_MAX_ORDER_LIMIT + 1];
};

static void snap(struct memhp_machine *m, struct snapshot *s)
{
	for (int z = 0; z < MEMHP_NR_ZONES; z++)
		for (unsigned int o = 0; o <= memhp_max_order(m); o++)
			s->chunks[z][o] =
				memhp_zone_nr_free_chunks(m, 0, (enum memhp_zone_type)z, o, -1);
}

static unsigned long zone_free(struct memhp_machine *m, enum memhp_zone_type z)
{
	struct memhp_zone_info zi;

	memhp_zone_info(m, 0, z, &zi);
	return zi.nr_free_pages;
}

static struct memhp_machine *with_movable_block(void)
{
	struct memhp_machine *m = tm_create(NULL);

	if (!m || tm_add_blocks(m, HOT, 1) || memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE))
		return NULL;
	return m;
}

static void freeing_every_order_merges_back_to_the_same_free_lists(void)
{
	struct memhp_machine *m = with_movable_block();
	struct memhp_page *pages[MEMHP_MAX_ORDER_LIMIT + 1];
	struct snapshot a, b;
	struct memhp_meminfo mi0, mi1;

	ASSERT_TRUE(m);
	memhp_drain_all_pages(m);
	snap(m, &a);
	memhp_meminfo(m, &mi0);
	for (unsigned int o = 0; o <= memhp_max_order(m); o++) {
		pages[o] = memhp_alloc_pages(m, MEMHP_GFP_HIGHUSER_MOVABLE, o);
		ASSERT_TRUE(pages[o]);
		ASSERT_EQ(memhp_page_to_pfn(pages[o]) & ((1UL << o) - 1), 0);
		ASSERT_EQ(memhp_page_count(pages[o]), 1);
	}
	/* Refills of the per-cpu lists took whole batches out of MemFree:
	 * count the pages waiting there as the free pages they are. */
	memhp_meminfo(m, &mi1);
	ASSERT_EQ((mi0.free_pages + mi0.pcp_pages) - (mi1.free_pages + mi1.pcp_pages),
		  (2UL << memhp_max_order(m)) - 1);
	for (unsigned int o = 0; o <= memhp_max_order(m); o++)
		memhp_free_pages(pages[o], o);
	memhp_drain_all_pages(m);
	snap(m, &b);
	ASSERT_TRUE(!memcmp(&a, &b, sizeof(a)));
}

static void orders_above_the_maximum_are_refused(void)
{
	struct memhp_machine *m = tm_create(NULL);

	ASSERT_TRUE(m);
	ASSERT_TRUE(!memhp_alloc_pages(m, MEMHP_GFP_KERNEL, memhp_max_order(m) + 1));
}

static void gfp_kernel_never_comes_from_zone_movable(void)
{
	struct memhp_machine *m = with_movable_block();
	struct memhp_kalloc *k;
	unsigned long movable_free;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_kalloc_create(m, &k));
	movable_free = zone_free(m, MEMHP_ZONE_MOVABLE);
	/* Exhaust every kernel zone: the next one fails rather than take
	 * ZONE_MOVABLE memory. */
	ASSERT_GT(memhp_kalloc_alloc(k, ~0UL >> 1, MEMHP_GFP_KERNEL), 0);
	ASSERT_TRUE(!memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0));
	ASSERT_EQ(zone_free(m, MEMHP_ZONE_MOVABLE), movable_free);
	ASSERT_EQ(zone_free(m, MEMHP_ZONE_NORMAL) + zone_free(m, MEMHP_ZONE_DMA32) +
			  zone_free(m, MEMHP_ZONE_DMA),
		  0);
	memhp_kalloc_destroy(k);
}

static void highuser_movable_prefers_zone_movable(void)
{
	struct memhp_machine *m = with_movable_block();
	struct memhp_page *p;

	ASSERT_TRUE(m);
	p = memhp_alloc_pages(m, MEMHP_GFP_HIGHUSER_MOVABLE, 0);
	ASSERT_TRUE(p);
	ASSERT_EQ(memhp_page_zonenum(p), MEMHP_ZONE_MOVABLE);
	memhp_put_page(p);
}

static void movable_without_highmem_stays_out_of_zone_movable(void)
{
	/* gfp_zone(): ZONE_MOVABLE needs __GFP_HIGHMEM with __GFP_MOVABLE;
	 * the offline migration target of a kernel-zone page is such a gfp. */
	struct memhp_machine *m = with_movable_block();
	struct memhp_page *p;

	ASSERT_TRUE(m);
	p = memhp_alloc_pages(m, MEMHP_GFP_USER | MEMHP___GFP_MOVABLE, 0);
	ASSERT_TRUE(p);
	ASSERT_NE(memhp_page_zonenum(p), MEMHP_ZONE_MOVABLE);
	ASSERT_EQ(memhp_pfn_migratetype(m, memhp_page_to_pfn(p)), MEMHP_MIGRATE_MOVABLE);
	memhp_put_page(p);
}

static void gfp_dma_comes_from_zone_dma_and_dma32_from_below_4g(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_page *p, *q;

	ASSERT_TRUE(m);
	p = memhp_alloc_pages(m, MEMHP___GFP_DMA, 0);
	q = memhp_alloc_pages(m, MEMHP___GFP_DMA32, 0);
	ASSERT_TRUE(p && q);
	ASSERT_EQ(memhp_page_zonenum(p), MEMHP_ZONE_DMA);
	ASSERT_TRUE(memhp_page_to_pfn(p) < (16 * MEMHP_MiB >> MEMHP_PAGE_SHIFT));
	ASSERT_TRUE(memhp_page_zonenum(q) <= MEMHP_ZONE_DMA32);
	memhp_put_page(p);
	memhp_put_page(q);
}

static void an_unmovable_allocation_claims_a_whole_movable_pageblock(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_page *p;
	unsigned long pfn;

	ASSERT_TRUE(m);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_KERNEL));
	/* Onlining left every pageblock MOVABLE. */
	ASSERT_EQ(memhp_pfn_migratetype(m, tm_block_pfn(m, B0)), MEMHP_MIGRATE_MOVABLE);
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p);
	pfn = memhp_page_to_pfn(p);
	ASSERT_EQ(memhp_page_zonenum(p), MEMHP_ZONE_NORMAL);
	/* It fell back to a MOVABLE chunk of pageblock order or more and stole
	 * the pageblock (steal_suitable_fallback). */
	ASSERT_EQ(memhp_pfn_migratetype(m, pfn), MEMHP_MIGRATE_UNMOVABLE);
	memhp_put_page(p);
}

static void freeing_with_a_speculative_reference_frees_the_rest_now_and_the_head_later(void)
{
	struct memhp_machine *m = with_movable_block();
	struct memhp_page *p;
	struct memhp_meminfo mi0, mi1, mi2;

	ASSERT_TRUE(m);
	p = memhp_alloc_pages(m, MEMHP_GFP_HIGHUSER_MOVABLE, 3);
	ASSERT_TRUE(p);
	memhp_meminfo(m, &mi0);
	ASSERT_TRUE(memhp_get_page_unless_zero(p)); /* a walker */
	memhp_free_pages(p, 3);
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi1.free_pages + mi1.pcp_pages - mi0.free_pages - mi0.pcp_pages, 7);
	memhp_put_page(p);
	memhp_meminfo(m, &mi2);
	ASSERT_EQ(mi2.free_pages + mi2.pcp_pages - mi0.free_pages - mi0.pcp_pages, 8);
}

/* Linux corrupts its free lists on these (or BUGs); memhp frees nothing and
 * says bad-page, so the machine stays checkable. */
static void a_free_with_the_wrong_order_or_twice_frees_nothing(void)
{
	struct memhp_machine *m = with_movable_block();
	struct memhp_page *p, *odd = NULL, *held[4];
	struct memhp_meminfo mi0, mi1;
	int n = 0;

	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_BAD_PAGE);
	p = memhp_alloc_pages(m, MEMHP_GFP_HIGHUSER_MOVABLE, 0);
	ASSERT_TRUE(p);
	while (!odd && n < 4) {
		held[n] = memhp_alloc_pages(m, MEMHP_GFP_HIGHUSER_MOVABLE, 0);
		ASSERT_TRUE(held[n]);
		if (memhp_page_to_pfn(held[n]) & 1)
			odd = held[n];
		n++;
	}
	ASSERT_TRUE(odd);
	memhp_meminfo(m, &mi0);

	/* An order-0 page freed as order 5: its buddies are free already. */
	ASSERT_ERR(memhp_free_pages_check(p, 5), -EBUSY);
	memhp_free_pages(p, 5);
	ASSERT_ERR(memhp_free_pages_check(p, memhp_max_order(m) + 1), -EINVAL);
	memhp_free_pages(p, memhp_max_order(m) + 1);
	ASSERT_ERR(memhp_free_pages_check(odd, 1), -EINVAL);
	memhp_free_pages(odd, 1);
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi1.free_pages, mi0.free_pages);
	ASSERT_EQ(memhp_page_count(p), 1);
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_BAD_PAGE), 3);
	ASSERT_EQ(memhp_check(m, NULL), 0);

	ASSERT_OK(memhp_free_pages_check(p, 0));
	memhp_free_pages(p, 0);
	ASSERT_ERR(memhp_free_pages_check(p, 0), -ENOENT);
	memhp_free_pages(p, 0);
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_BAD_PAGE), 4);
	for (int i = 0; i < n; i++)
		memhp_free_pages(held[i], 0);
	ASSERT_EQ(memhp_check(m, NULL), 0);
}

static void onlining_pages_that_are_not_being_onlined_onlines_nothing(void)
{
	struct memhp_machine *m = with_movable_block();
	unsigned long pfn;
	struct memhp_page *p, *tail;
	struct memhp_meminfo mi0, mi1;

	ASSERT_TRUE(m);
	pfn = tm_block_pfn(m, B0);
	tm_expect_violations(m, MEMHP_RULE_BAD_PAGE);
	p = memhp_alloc_pages(m, MEMHP_GFP_HIGHUSER_MOVABLE, 1);
	ASSERT_TRUE(p);
	memhp_meminfo(m, &mi0);
	/* The last page of the block with a max-order range: it would run
	 * into memory that is not there (a fault, before this check). */
	ASSERT_ERR(
		memhp_online_pages_check(memhp_pfn_to_page(m, pfn + memhp_pages_per_block(m) - 1),
					 memhp_max_order(m)),
		-EINVAL);
	/* A free chunk, and the tail of an allocation. */
	ASSERT_ERR(memhp_online_pages_check(memhp_pfn_to_page(m, pfn + 2048), 0), -EBUSY);
	memhp_generic_online_page(memhp_pfn_to_page(m, pfn + 2048), 0);
	tail = memhp_pfn_to_page(m, memhp_page_to_pfn(p) + 1);
	ASSERT_ERR(memhp_online_pages_check(tail, 0), -EBUSY);
	memhp_generic_online_page(tail, 0);
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi1.free_pages, mi0.free_pages);
	ASSERT_EQ(mi1.total_pages, mi0.total_pages);
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_BAD_PAGE), 2);
	memhp_free_pages(p, 1);
	ASSERT_EQ(memhp_check(m, NULL), 0);
}

static void gfp_zero_clears_the_contents(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_page *p;
	unsigned char *c;

	ASSERT_TRUE(m);
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p);
	memset(memhp_page_address(p), 0xab, MEMHP_PAGE_SIZE);
	memhp_put_page(p);
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL | MEMHP___GFP_ZERO, 0);
	ASSERT_TRUE(p);
	c = memhp_page_address(p);
	for (size_t i = 0; i < MEMHP_PAGE_SIZE; i++)
		ASSERT_EQ(c[i], 0);
	memhp_put_page(p);
}

static void injected_allocation_failures_fail_exactly_that_many(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_page *p;

	ASSERT_TRUE(m);
	memhp_fault_set(m, MEMHP_FAULT_ALLOC, 2);
	ASSERT_TRUE(!memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0));
	ASSERT_TRUE(!memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0));
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p);
	ASSERT_EQ(memhp_fault_hits(m, MEMHP_FAULT_ALLOC), 2);
	memhp_put_page(p);
}

static void hot_add_fails_enomem_without_kernel_memory_for_the_memmap(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_kalloc *k;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_kalloc_create(m, &k));
	ASSERT_GT(memhp_kalloc_alloc(k, ~0UL >> 1, MEMHP_GFP_KERNEL), 0);
	ASSERT_ERR(tm_add_blocks(m, HOT, 1), -ENOMEM);
	ASSERT_EQ(memhp_nr_blocks(m), 4);
	memhp_kalloc_free(k, 1024);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	memhp_kalloc_destroy(k);
}

RUN_TESTS(T(freeing_every_order_merges_back_to_the_same_free_lists),
	  T(orders_above_the_maximum_are_refused), T(gfp_kernel_never_comes_from_zone_movable),
	  T(highuser_movable_prefers_zone_movable),
	  T(movable_without_highmem_stays_out_of_zone_movable),
	  T(gfp_dma_comes_from_zone_dma_and_dma32_from_below_4g),
	  T(an_unmovable_allocation_claims_a_whole_movable_pageblock),
	  T(freeing_with_a_speculative_reference_frees_the_rest_now_and_the_head_later),
	  T(a_free_with_the_wrong_order_or_twice_frees_nothing),
	  T(onlining_pages_that_are_not_being_onlined_onlines_nothing),
	  T(gfp_zero_clears_the_contents), T(injected_allocation_failures_fail_exactly_that_many),
	  T(hot_add_fails_enomem_without_kernel_memory_for_the_memmap))
