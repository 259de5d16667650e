// SPDX-License-Identifier: MIT
/*
 * test_faults.c - the numbered injection points: each fails where Linux
 * has the error path, the machine stays consistent (the harness checks it
 * after every test), and the caller gets 6.1's errno.
 */
#include "harness.h"

#include <malloc.h>
#include <memhp/kernel.h>
#include <memhp/notifier.h>

#define HOT (4 * MEMHP_GiB)
#define B0 32
/* What glibc fills fresh and freed heap memory with (mallopt(M_PERTURB)):
 * anything but zero, so that a field nobody set reads as garbage. */
#define HEAP_PERTURB 0xa5
#define SLAB_OBJECT_SIZE 256

/* More data pages than the migration list's first allocation holds (256
 * pfns), so that isolating them has to grow it. */
#define DATA_PAGES 1024

static void every_point_has_a_stable_name_and_number(void)
{
	ASSERT_EQ(MEMHP_FAULT_MIGRATION, 0);
	ASSERT_EQ(MEMHP_FAULT_ALLOC, 1);
	for (int i = 0; i < MEMHP_NR_FAULTS; i++) {
		const char *name = memhp_fault_name((enum memhp_fault)i);

		ASSERT_TRUE(name && memhp_fault_what((enum memhp_fault)i));
		ASSERT_EQ(memhp_fault_by_name(name), i);
	}
	ASSERT_TRUE(memhp_fault_name(MEMHP_NR_FAULTS) == NULL);
	ASSERT_EQ(memhp_fault_by_name("no-such-point"), -ENOENT);
}

static void an_armed_point_lets_skip_attempts_through_and_counts_them(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_page *p[3];

	ASSERT_TRUE(m);
	memhp_fault_arm(m, MEMHP_FAULT_ALLOC, 2, 1);
	p[0] = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	p[1] = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	p[2] = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p[0] && p[1]);
	ASSERT_TRUE(p[2] == NULL);
	ASSERT_EQ(memhp_fault_hits(m, MEMHP_FAULT_ALLOC), 1);
	ASSERT_EQ(memhp_fault_calls(m, MEMHP_FAULT_ALLOC), 3);
	p[2] = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p[2]);
	for (int i = 0; i < 3; i++)
		memhp_free_pages(p[i], 0);
}

/* 6.1's register_memory_resource() turns any failure of
 * __request_region() into -EEXIST, a failed kzalloc included. */
static void a_failed_iomem_claim_is_eexist_as_in_6_1(void)
{
	struct memhp_machine *m = tm_create(NULL);
	unsigned long blocks;

	ASSERT_TRUE(m);
	blocks = memhp_nr_blocks(m);
	memhp_fault_set(m, MEMHP_FAULT_RESOURCE_ALLOC, 1);
	ASSERT_ERR(memhp_add_memory(m, 0, HOT, memhp_block_size(m), 0), -EEXIST);
	ASSERT_EQ(memhp_nr_blocks(m), blocks);
	ASSERT_FALSE(memhp_range_has_system_ram(m, HOT, memhp_block_size(m)));
	ASSERT_OK(memhp_add_memory(m, 0, HOT, memhp_block_size(m), 0));
}

static void each_failure_of_hot_add_is_enomem_and_leaves_nothing(void)
{
	/* The host's failures first: after a failure of the memmap's
	 * bookkeeping the section's descriptors stay on the host for its next
	 * hot-add, which then asks the host for nothing. */
	static const enum memhp_fault points[] = { MEMHP_FAULT_HOST_VMEMMAP,
						   MEMHP_FAULT_HOST_POPULATE,
						   MEMHP_FAULT_MEMMAP_META };
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_meminfo before, after;

	ASSERT_TRUE(m);
	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		memhp_meminfo(m, &before);
		memhp_fault_set(m, points[i], 1);
		ASSERT_ERR(memhp_add_memory(m, 0, HOT, memhp_block_size(m), 0), -ENOMEM);
		ASSERT_EQ(memhp_fault_hits(m, points[i]), 1);
		memhp_meminfo(m, &after);
		ASSERT_EQ(after.present_pages, before.present_pages);
		ASSERT_EQ(after.free_pages, before.free_pages);
		ASSERT_FALSE(memhp_range_has_system_ram(m, HOT, memhp_block_size(m)));
		ASSERT_EQ(memhp_check(m, NULL), 0);
	}
	ASSERT_OK(memhp_add_memory(m, 0, HOT, memhp_block_size(m), 0));
}

static void notifier_vetoes_give_6_1s_errnos_and_ignored_events_change_nothing(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_block_info bi;

	ASSERT_TRUE(m);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	memhp_fault_set(m, MEMHP_FAULT_NOTIFY_GOING_ONLINE, 1);
	ASSERT_ERR(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE), -ENOMEM);
	ASSERT_OK(memhp_block_info(m, B0, &bi));
	ASSERT_EQ(bi.state, MEMHP_MEM_OFFLINE);
	/* MEM_ONLINE's and MEM_CANCEL_*'s return values are ignored. */
	memhp_fault_set(m, MEMHP_FAULT_NOTIFY_ONLINE, 1);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_EQ(memhp_fault_hits(m, MEMHP_FAULT_NOTIFY_ONLINE), 1);
	memhp_fault_set(m, MEMHP_FAULT_NOTIFY_GOING_OFFLINE, 1);
	memhp_fault_set(m, MEMHP_FAULT_NOTIFY_CANCEL_OFFLINE, 1);
	ASSERT_ERR(memhp_block_offline(m, B0), -EBUSY);
	ASSERT_EQ(memhp_fault_hits(m, MEMHP_FAULT_NOTIFY_CANCEL_OFFLINE), 1);
	ASSERT_OK(memhp_block_info(m, B0, &bi));
	ASSERT_EQ(bi.state, MEMHP_MEM_ONLINE);
	memhp_fault_set(m, MEMHP_FAULT_NOTIFY_OFFLINE, 1);
	ASSERT_OK(memhp_block_offline(m, B0));
}

static void offline_and_remove_without_memory_is_enomem_and_changes_nothing(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_block_info bi;

	ASSERT_TRUE(m);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	memhp_fault_set(m, MEMHP_FAULT_OFFLINE_REMOVE_ALLOC, 1);
	ASSERT_ERR(memhp_offline_and_remove_memory(m, HOT, memhp_block_size(m)), -ENOMEM);
	ASSERT_OK(memhp_block_info(m, B0, &bi));
	ASSERT_EQ(bi.state, MEMHP_MEM_ONLINE);
	ASSERT_OK(memhp_offline_and_remove_memory(m, HOT, memhp_block_size(m)));
}

/*
 * Found by memhp torture (seed 1, 6.1): when the list of isolated pages
 * could not grow, the pages already on it stayed isolated, each with an
 * extra reference; every later isolation of them failed and offlining the
 * block retried for ever.
 */
static void a_failed_migration_list_puts_back_every_isolated_page(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_data *d;
	unsigned long verified = 0;
	int rc;

	ASSERT_TRUE(m);
	const unsigned long start = tm_block_pfn(m, B0);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_data_create(m, &d));
	ASSERT_EQ(memhp_data_alloc(d, DATA_PAGES, 0), DATA_PAGES);
	/* The first allocation of the list passes, its first growth fails. */
	memhp_fault_arm(m, MEMHP_FAULT_MIGRATE_LIST, 1, 1);
	rc = memhp_alloc_contig_range(m, start, start + memhp_pages_per_block(m), MEMHP_GFP_KERNEL);
	ASSERT_TRUE(rc == -ENOMEM || rc == -EBUSY);
	ASSERT_EQ(memhp_fault_hits(m, MEMHP_FAULT_MIGRATE_LIST), 1);
	/* Nothing was left isolated: the same range migrates now. */
	ASSERT_OK(memhp_alloc_contig_range(m, start, start + memhp_pages_per_block(m),
					   MEMHP_GFP_KERNEL));
	memhp_free_contig_range(m, start, memhp_pages_per_block(m));
	ASSERT_EQ(memhp_data_verify(d, &verified), 0);
	ASSERT_EQ(verified, DATA_PAGES);
	memhp_data_destroy(d);
}

/*
 * Found by memhp torture under UBSan (seed 2116): when a new slab's
 * bookkeeping could not be allocated, its slot went back to the free list
 * uninitialised, and destroying the cache read it as a slab ("load of
 * value 190, which is not a valid value for type _Bool").
 */
static void a_slab_whose_bookkeeping_failed_leaves_no_half_slab(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_kmem_cache *c;

	ASSERT_TRUE(m);
	mallopt(M_PERTURB, HEAP_PERTURB);
	ASSERT_OK(memhp_kmem_cache_create(m, "torture", SLAB_OBJECT_SIZE, 0, &c));
	memhp_fault_set(m, MEMHP_FAULT_SLAB_META, 1);
	ASSERT_EQ(memhp_kmem_cache_alloc(c), 0);
	ASSERT_EQ(memhp_fault_hits(m, MEMHP_FAULT_SLAB_META), 1);
	ASSERT_EQ(memhp_kmem_cache_destroy(c), 0);
	mallopt(M_PERTURB, 0);
	ASSERT_EQ(memhp_check(m, NULL), 0);
}

static void a_migration_step_failing_once_does_not_stop_offlining(void)
{
	static const enum memhp_fault points[] = { MEMHP_FAULT_MIGRATE_ISOLATE,
						   MEMHP_FAULT_MIGRATE_TARGET,
						   MEMHP_FAULT_MIGRATION };
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_data *d;
	unsigned long verified = 0;

	ASSERT_TRUE(m);
	ASSERT_OK(tm_add_blocks(m, HOT, 2));
	ASSERT_OK(memhp_data_create(m, &d));
	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		const unsigned long id = B0 + (i & 1);

		ASSERT_OK(memhp_block_online(m, id, MEMHP_MMOP_ONLINE_MOVABLE));
		memhp_data_alloc(d, DATA_PAGES, 0);
		memhp_fault_set(m, points[i], 1);
		ASSERT_OK(memhp_block_offline(m, id));
		ASSERT_EQ(memhp_fault_hits(m, points[i]), 1);
	}
	ASSERT_EQ(memhp_data_verify(d, &verified), 0);
	ASSERT_EQ(verified, memhp_data_nr_pages(d));
	memhp_data_destroy(d);
}

RUN_TESTS(T(every_point_has_a_stable_name_and_number),
	  T(an_armed_point_lets_skip_attempts_through_and_counts_them),
	  T(a_failed_iomem_claim_is_eexist_as_in_6_1),
	  T(each_failure_of_hot_add_is_enomem_and_leaves_nothing),
	  T(notifier_vetoes_give_6_1s_errnos_and_ignored_events_change_nothing),
	  T(offline_and_remove_without_memory_is_enomem_and_changes_nothing),
	  T(a_failed_migration_list_puts_back_every_isolated_page),
	  T(a_slab_whose_bookkeeping_failed_leaves_no_half_slab),
	  T(a_migration_step_failing_once_does_not_stop_offlining))
