// SPDX-License-Identifier: MIT
/*
 * test_cma.c - a CMA area (cma=): MIGRATE_CMA pageblocks only movable
 * allocations use, cma_alloc() through alloc_contig_range(), CmaTotal and
 * CmaFree, and what a CMA area does to offlining. Debian's 6.1 has no
 * CONFIG_CMA, so these rules come from mm/cma.c, mm/page_alloc.c and
 * mm/page_isolation.c of 6.1 rather than from a guest.
 */
#include "harness.h"

#include "../src/mm/internal.h"

#include <stdlib.h>

/* Small enough that the tests which fill the machine with checksummed
 * data stay quick under ThreadSanitizer. */
#define RAM_MIB 384 /* memory0-2, the last half */
#define CMA_MIB 32
#define CMA_BASE_MIB 128 /* all of memory1 */
#define CMA_MOST_MIB 256 /* two thirds of RAM */

static struct memhp_machine *machine_cma(uint64_t size, uint64_t base)
{
	struct memhp_config cfg;

	memhp_config_init(&cfg, RAM_MIB * MEMHP_MiB);
	cfg.phys_size = 64 * MEMHP_GiB;
	cfg.kaslr = false;
	cfg.check_after_ops = true;
	cfg.cma_size = size;
	cfg.cma_base = base;
	return tm_create(&cfg);
}

static struct memhp_cma_info cma(struct memhp_machine *m)
{
	struct memhp_cma_info ci;

	memhp_cma_info(m, &ci);
	return ci;
}

static bool in_area(struct memhp_machine *m, unsigned long pfn)
{
	struct memhp_cma_info ci = cma(m);

	return pfn >= ci.base_pfn && pfn < ci.base_pfn + ci.count;
}

static void destroy_data(void *d)
{
	memhp_data_destroy(d);
}

/* cma_declare_contiguous_nid(): top-down below the end of RAM, 4 MiB
 * aligned; cma_activate_area(): every pageblock MIGRATE_CMA, every page
 * free and managed. */
static void the_area_is_reserved_at_the_top_and_freed_as_cma_pageblocks(void)
{
	struct memhp_machine *m = machine_cma(CMA_MIB * MEMHP_MiB, 0);
	struct memhp_machine *plain = machine_cma(0, 0);
	struct memhp_meminfo mi, mi_plain;
	struct memhp_cma_info ci;

	ASSERT_TRUE(m && plain);
	ci = cma(m);
	ASSERT_EQ(ci.count, CMA_MIB * MEMHP_MiB / MEMHP_PAGE_SIZE);
	ASSERT_EQ(ci.base_pfn % 1024, 0);
	/* The top of the 1 GiB of RAM, less the 128 KiB firmware keeps. */
	ASSERT_EQ(ci.base_pfn + ci.count, (RAM_MIB * MEMHP_MiB - 4 * MEMHP_MiB) / MEMHP_PAGE_SIZE);
	ASSERT_EQ(ci.free_pages, ci.count);
	for (unsigned long pfn = ci.base_pfn; pfn < ci.base_pfn + ci.count; pfn += 512)
		ASSERT_EQ(memhp_pfn_migratetype(m, pfn), MEMHP_MIGRATE_CMA);
	ASSERT_EQ(memhp_cma_info(plain, &ci), -ENOENT);
	/* Managed: MemTotal is what it is without the area. */
	memhp_meminfo(m, &mi);
	memhp_meminfo(plain, &mi_plain);
	ASSERT_EQ(mi.total_pages, mi_plain.total_pages);
}

/* Only movable allocations may take CMA pages: a kernel allocation never
 * gets one, even when nothing else is left. */
static void kernel_allocations_never_get_cma_pages(void)
{
	struct memhp_machine *m = machine_cma(CMA_MIB * MEMHP_MiB, 0);
	struct memhp_kalloc *k;
	struct memhp_page *p;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_kalloc_create(m, &k));
	ASSERT_GT(memhp_kalloc_alloc(k, ~0UL >> 1, MEMHP_GFP_KERNEL), 0);
	ASSERT_TRUE(!memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0));
	ASSERT_EQ(cma(m).free_pages, cma(m).count);
	/* A movable allocation still can. */
	p = memhp_alloc_pages(m, MEMHP_GFP_HIGHUSER_MOVABLE, 0);
	ASSERT_TRUE(p && in_area(m, memhp_page_to_pfn(p)));
	memhp_put_page(p);
	memhp_kalloc_destroy(k);
}

/* __rmqueue(): a movable allocation takes from the CMA lists while they
 * hold more than half of the zone's free pages. */
static void movable_allocations_use_cma_once_it_is_half_the_free_memory(void)
{
	struct memhp_machine *m = machine_cma(CMA_MOST_MIB * MEMHP_MiB, 0);
	struct memhp_data *d;
	unsigned long in = 0;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_data_create(m, &d));
	tm_defer(destroy_data, d);
	ASSERT_EQ(memhp_data_alloc(d, 1024, 0), 1024);
	for (unsigned long i = 0; i < 1024; i++)
		in += in_area(m, memhp_data_pfn(d, i));
	ASSERT_EQ(in, 1024);
}

/* cma_alloc() takes a range back from movable data by migrating it. */
static void cma_alloc_migrates_movable_data_out_of_its_range(void)
{
	struct memhp_machine *m = machine_cma(CMA_MIB * MEMHP_MiB, 0);
	struct memhp_cma_info ci;
	struct memhp_data *d;
	unsigned long in = 0;
	long pfn;

	ASSERT_TRUE(m);
	ci = cma(m);
	ASSERT_OK(memhp_data_create(m, &d));
	tm_defer(destroy_data, d);
	/* Enough to fill the rest of memory and spill into the area. */
	ASSERT_GT(memhp_data_alloc(d, tm_free_pages(m) - ci.count / 2, 0), 0);
	for (unsigned long i = 0; i < memhp_data_nr_slots(d); i++)
		in += in_area(m, memhp_data_pfn(d, i));
	ASSERT_GT(in, 0);
	pfn = memhp_cma_alloc(m, ci.count / 4, 9);
	ASSERT_GT(pfn, 0);
	ASSERT_TRUE(in_area(m, (unsigned long)pfn));
	ASSERT_GT(memhp_data_nr_migrated(d), 0);
	ASSERT_EQ(memhp_data_verify(d, NULL), 0);
	ASSERT_EQ(cma(m).allocated, ci.count / 4);
	for (unsigned long i = 0; i < memhp_data_nr_slots(d); i++) {
		unsigned long p = memhp_data_pfn(d, i);

		ASSERT_TRUE(p < (unsigned long)pfn || p >= (unsigned long)pfn + ci.count / 4);
	}
	ASSERT_OK(memhp_cma_release(m, (unsigned long)pfn, ci.count / 4));
	ASSERT_EQ(cma(m).allocated, 0);
	ASSERT_ERR(memhp_cma_release(m, (unsigned long)pfn, 1), -EINVAL);
}

/* A page that refuses migration makes its range busy; cma_alloc() tries
 * the next one, and gives -EBUSY when every range had one. */
static void cma_alloc_skips_busy_ranges_and_fails_ebusy_when_all_are(void)
{
	struct memhp_machine *m = machine_cma(CMA_MIB * MEMHP_MiB, 0);
	struct memhp_cma_info ci;
	struct memhp_data *d;
	long pfn;

	ASSERT_TRUE(m);
	ci = cma(m);
	ASSERT_OK(memhp_data_create(m, &d));
	tm_defer(destroy_data, d);
	ASSERT_GT(memhp_data_alloc(d, tm_free_pages(m) - ci.count / 2, 0), 0);
	memhp_data_refuse_migration(d, true);
	pfn = memhp_cma_alloc(m, 1, 0);
	/* Some free page of the area is still there to be had. */
	ASSERT_GT(pfn, 0);
	ASSERT_OK(memhp_cma_release(m, (unsigned long)pfn, 1));
	ASSERT_ERR(memhp_cma_alloc(m, ci.count, 0), -EBUSY);
	ASSERT_ERR(memhp_cma_alloc(m, ci.count + 1, 0), -EINVAL);
	memhp_data_refuse_migration(d, false);
	ASSERT_EQ(memhp_data_verify(d, NULL), 0);
}

/* has_unmovable_pages(): to anyone but CMA, a CMA pageblock is unmovable:
 * a block that holds one cannot be offlined. The same block of a machine
 * without the area goes offline. */
static void a_block_with_cma_pageblocks_cannot_be_offlined(void)
{
	struct memhp_machine *m = machine_cma(CMA_MIB * MEMHP_MiB, CMA_BASE_MIB * MEMHP_MiB);
	struct memhp_machine *plain = machine_cma(0, 0);
	const unsigned long id = CMA_BASE_MIB * MEMHP_MiB / (128 * MEMHP_MiB);

	ASSERT_TRUE(m && plain);
	ASSERT_EQ(cma(m).base_pfn, CMA_BASE_MIB * MEMHP_MiB / MEMHP_PAGE_SIZE);
	ASSERT_ERR(memhp_block_offline(m, id), -EBUSY);
	ASSERT_EQ(memhp_pfn_migratetype(m, cma(m).base_pfn), MEMHP_MIGRATE_CMA);
	ASSERT_OK(memhp_block_offline(plain, id));
	/* virtio-mem's alloc_contig_range() is refused the same way. */
	ASSERT_ERR(memhp_alloc_contig_range(m, cma(m).base_pfn, cma(m).base_pfn + 512,
					    MEMHP_GFP_KERNEL),
		   -EBUSY);
}

/* A base the area cannot have is reported and the machine boots without. */
static void an_area_that_does_not_fit_is_reported_and_left_out(void)
{
	struct memhp_machine *m = machine_cma(CMA_MIB * MEMHP_MiB, CMA_BASE_MIB * MEMHP_MiB + 4096);
	struct memhp_cma_info ci;

	ASSERT_TRUE(m);
	ASSERT_ERR(memhp_cma_info(m, &ci), -ENOENT);
	ASSERT_ERR(memhp_cma_alloc(m, 1, 0), -EINVAL);
}

static size_t rule_count(struct memhp_machine *m, enum memhp_rule rule)
{
	struct memhp_check_report *r = calloc(1, sizeof(*r));
	size_t n = 0;

	if (!r)
		return 0;
	memhp_check(m, r);
	for (size_t i = 0; i < r->shown; i++)
		n += r->v[i].rule == rule;
	free(r);
	return n;
}

/* The checker: an unmovable page in the area, which only a broken
 * allocator could put there. */
static void an_unmovable_page_in_the_cma_area_is_found(void)
{
	struct memhp_machine *m = machine_cma(CMA_MIB * MEMHP_MiB, 0);
	long pfn;

	ASSERT_TRUE(m);
	tm_skip_final_check(m);
	pfn = memhp_cma_alloc(m, 1, 0);
	ASSERT_GT(pfn, 0);
	ASSERT_EQ(rule_count(m, MEMHP_RULE_CMA), 0);
	/* Forget that cma_alloc() handed it out: a kernel page it is now. */
	pthread_mutex_lock(&m->cma.lock);
	m->cma.bitmap[0] = 0;
	pthread_mutex_unlock(&m->cma.lock);
	ASSERT_GT(rule_count(m, MEMHP_RULE_CMA), 0);
}

RUN_TESTS(T(the_area_is_reserved_at_the_top_and_freed_as_cma_pageblocks),
	  T(kernel_allocations_never_get_cma_pages),
	  T(movable_allocations_use_cma_once_it_is_half_the_free_memory),
	  T(cma_alloc_migrates_movable_data_out_of_its_range),
	  T(cma_alloc_skips_busy_ranges_and_fails_ebusy_when_all_are),
	  T(a_block_with_cma_pageblocks_cannot_be_offlined),
	  T(an_area_that_does_not_fit_is_reported_and_left_out),
	  T(an_unmovable_page_in_the_cma_area_is_found))
