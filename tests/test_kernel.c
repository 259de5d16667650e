// SPDX-License-Identifier: MIT
/*
 * test_kernel.c - the guest kernel's own memory: slab caches, page tables,
 * kernel stacks. Expected slab geometries are what Linux 6.1's
 * /proc/slabinfo shows for these object sizes.
 */
#include "harness.h"

#include <stdlib.h>

#define HOT (4 * MEMHP_GiB)
#define B0 32

static struct memhp_machine *with_block(enum memhp_online_type type, unsigned int nr_cpus)
{
	struct memhp_config cfg;
	struct memhp_machine *m;

	tm_config(&cfg);
	cfg.nr_cpus = nr_cpus;
	m = tm_create(&cfg);
	if (!m || tm_add_blocks(m, HOT, 1) || memhp_block_online(m, B0, type))
		return NULL;
	return m;
}

static bool in_block(struct memhp_machine *m, uint64_t phys)
{
	unsigned long pfn = (unsigned long)(phys >> MEMHP_PAGE_SHIFT), start = tm_block_pfn(m, B0);

	return pfn >= start && pfn < start + memhp_pages_per_block(m);
}

static struct memhp_slabinfo slabinfo_of(struct memhp_machine *m, const char *name)
{
	struct memhp_slabinfo info = { 0 };

	for (unsigned int i = 0; !memhp_slabinfo(m, i, &info); i++)
		if (!strcmp(info.name, name))
			return info;
	memset(&info, 0, sizeof(info));
	return info;
}

struct geometry {
	const char *name;
	unsigned int size, nr_cpus, objperslab, pagesperslab;
};

/* /proc/slabinfo of 6.1 guests with 1 and 4 CPUs. */
static const struct geometry slub_geometries[] = {
	{ "kmalloc-64", 64, 1, 64, 1 },	  { "kmalloc-1k", 1024, 1, 8, 2 },
	{ "kmalloc-1k", 1024, 4, 16, 4 }, { "kmalloc-4k", 4096, 1, 8, 8 },
	{ "kmalloc-8k", 8192, 1, 4, 8 },  { "task_struct", 9792, 1, 3, 8 },
	{ "kmalloc-256", 256, 1, 16, 1 }, { "kmalloc-512", 512, 4, 16, 2 },
};

static void slab_orders_follow_slub_calculate_order(void)
{
	for (size_t i = 0; i < sizeof(slub_geometries) / sizeof(slub_geometries[0]); i++) {
		const struct geometry *e = &slub_geometries[i];
		struct memhp_config cfg;
		struct memhp_machine *m;
		struct memhp_kmem_cache *c;
		struct memhp_slabinfo info;

		tm_config(&cfg);
		cfg.nr_cpus = e->nr_cpus;
		m = tm_create(&cfg);
		ASSERT_TRUE(m);
		ASSERT_OK(memhp_kmem_cache_create(m, e->name, e->size, 0, &c));
		info = slabinfo_of(m, e->name);
		EXPECT_EQ(info.objperslab, e->objperslab);
		EXPECT_EQ(info.pagesperslab, e->pagesperslab);
		if (test_failed())
			printf("# %s with %u CPUs\n", e->name, e->nr_cpus);
		memhp_kmem_cache_destroy(c);
	}
}

static void a_slab_stays_while_one_of_its_objects_lives(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_KERNEL, 1);
	struct memhp_kmem_cache *c;
	uint64_t objs[64];
	long before;

	ASSERT_TRUE(m);
	before = memhp_vmstat(m, MEMHP_NR_SLAB_UNRECLAIMABLE);
	ASSERT_OK(memhp_kmem_cache_create(m, "kmalloc-64", 64, 0, &c));
	for (int i = 0; i < 64; i++) {
		objs[i] = memhp_kmem_cache_alloc(c);
		ASSERT_TRUE(objs[i]);
	}
	/* One order-0 slab holds the 64 of them. */
	ASSERT_EQ(memhp_vmstat(m, MEMHP_NR_SLAB_UNRECLAIMABLE) - before, 1);
	ASSERT_TRUE(memhp_PageSlab(memhp_pfn_to_page(m, objs[0] >> MEMHP_PAGE_SHIFT)));
	for (int i = 1; i < 64; i++)
		memhp_kmem_cache_free(c, objs[i]);
	ASSERT_EQ(memhp_kmem_cache_shrink(c), 0);
	ASSERT_EQ(memhp_vmstat(m, MEMHP_NR_SLAB_UNRECLAIMABLE) - before, 1);
	ASSERT_ERR(memhp_block_offline(m, B0), -EBUSY);
	memhp_kmem_cache_free(c, objs[0]);
	/* Empty, but kept: the cache has fewer than min_partial slabs. */
	ASSERT_EQ(memhp_vmstat(m, MEMHP_NR_SLAB_UNRECLAIMABLE) - before, 1);
	ASSERT_EQ(memhp_kmem_cache_shrink(c), 1);
	ASSERT_EQ(memhp_vmstat(m, MEMHP_NR_SLAB_UNRECLAIMABLE), before);
	ASSERT_FALSE(memhp_PageSlab(memhp_pfn_to_page(m, objs[0] >> MEMHP_PAGE_SHIFT)));
	ASSERT_OK(memhp_block_offline(m, B0));
	memhp_kmem_cache_destroy(c);
}

/* SLUB keeps an empty slab only while the cache has fewer than
 * min_partial (5 for small objects) partial slabs, itself included. */
#define SMALL_MIN_PARTIAL 5

static void empty_slabs_beyond_min_partial_go_back_to_the_buddy(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_KERNEL, 1);
	struct memhp_kmem_cache *c;
	enum { NR_SLABS = 8, PER_SLAB = 64 };
	static uint64_t objs[NR_SLABS * PER_SLAB];
	long before;

	ASSERT_TRUE(m);
	before = memhp_vmstat(m, MEMHP_NR_SLAB_UNRECLAIMABLE);
	ASSERT_OK(memhp_kmem_cache_create(m, "kmalloc-64", 64, 0, &c));
	for (int i = 0; i < NR_SLABS * PER_SLAB; i++)
		ASSERT_TRUE((objs[i] = memhp_kmem_cache_alloc(c)));
	ASSERT_EQ(memhp_vmstat(m, MEMHP_NR_SLAB_UNRECLAIMABLE) - before, NR_SLABS);
	for (int i = 0; i < NR_SLABS * PER_SLAB; i++)
		memhp_kmem_cache_free(c, objs[i]);
	ASSERT_EQ(memhp_vmstat(m, MEMHP_NR_SLAB_UNRECLAIMABLE) - before, SMALL_MIN_PARTIAL - 1);
	ASSERT_EQ(memhp_kmem_cache_destroy(c), 0);
	ASSERT_EQ(memhp_vmstat(m, MEMHP_NR_SLAB_UNRECLAIMABLE), before);
}

static void slab_pages_come_from_the_highest_kernel_zone(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_KERNEL, 1);
	struct memhp_kmem_cache *c;
	uint64_t obj;
	struct memhp_block_info info;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_block_info(m, B0, &info));
	ASSERT_EQ(info.zone, MEMHP_ZONE_NORMAL);
	ASSERT_OK(memhp_kmem_cache_create(m, "kmalloc-128", 128, 0, &c));
	obj = memhp_kmem_cache_alloc(c);
	/* The block is the only ZONE_NORMAL memory: the zonelist's first. */
	ASSERT_TRUE(in_block(m, obj));
	memhp_kmem_cache_free(c, obj);
	memhp_kmem_cache_destroy(c);
}

static void slab_never_comes_from_zone_movable(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_MOVABLE, 1);
	struct memhp_kmem_cache *c;
	uint64_t obj;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_kmem_cache_create(m, "kmalloc-128", 128, 0, &c));
	obj = memhp_kmem_cache_alloc(c);
	ASSERT_TRUE(obj);
	ASSERT_FALSE(in_block(m, obj));
	ASSERT_OK(memhp_block_offline(m, B0));
	memhp_kmem_cache_free(c, obj);
	memhp_kmem_cache_destroy(c);
}

static void reclaimable_caches_fill_reclaimable_pageblocks(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_KERNEL, 1);
	struct memhp_kmem_cache *c;
	uint64_t obj;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_kmem_cache_create(m, "dentry", 192, MEMHP_SLAB_RECLAIM_ACCOUNT, &c));
	obj = memhp_kmem_cache_alloc(c);
	ASSERT_TRUE(obj);
	ASSERT_EQ(memhp_pfn_migratetype(m, obj >> MEMHP_PAGE_SHIFT), MEMHP_MIGRATE_RECLAIMABLE);
	ASSERT_EQ(memhp_vmstat(m, MEMHP_NR_SLAB_RECLAIMABLE), 1);
	/* Reclaimable or not, offlining cannot reclaim it: unmovable. */
	ASSERT_ERR(memhp_block_offline(m, B0), -EBUSY);
	memhp_kmem_cache_free(c, obj);
	memhp_kmem_cache_destroy(c);
}

/* The value of "Label:" in a /proc/meminfo-like text, in kB. */
static long meminfo_kb(struct memhp_fs *fs, const char *label)
{
	static char buf[8192];
	ssize_t n = memhp_fs_read(fs, "/proc/meminfo", buf, sizeof(buf) - 1);
	const char *p;

	if (n < 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, label);
	return p ? strtol(p + strlen(label), NULL, 10) : -1;
}

static void meminfo_shows_slab_page_tables_and_kernel_stacks(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_KERNEL, 1);
	const long kb_per_page = MEMHP_PAGE_SIZE / 1024;
	struct memhp_kmem_cache *r, *u;
	struct memhp_thread_stack st;
	struct memhp_page *pt;
	struct memhp_fs *fs;
	uint64_t a, b;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_fs_create(m, &fs));
	ASSERT_OK(memhp_kmem_cache_create(m, "dentry", 192, MEMHP_SLAB_RECLAIM_ACCOUNT, &r));
	ASSERT_OK(memhp_kmem_cache_create(m, "kmalloc-4k", 4096, 0, &u));
	ASSERT_TRUE((a = memhp_kmem_cache_alloc(r)));
	ASSERT_TRUE((b = memhp_kmem_cache_alloc(u)));
	ASSERT_TRUE((pt = memhp_pte_alloc_one(m)));
	ASSERT_OK(memhp_alloc_thread_stack(m, &st));
	EXPECT_EQ(meminfo_kb(fs, "SReclaimable:"), 1 * kb_per_page);
	/* kmalloc-4k: order-3 slabs. */
	EXPECT_EQ(meminfo_kb(fs, "SUnreclaim:"), 8 * kb_per_page);
	EXPECT_EQ(meminfo_kb(fs, "Slab:"), 9 * kb_per_page);
	EXPECT_EQ(meminfo_kb(fs, "KReclaimable:"), 1 * kb_per_page);
	EXPECT_EQ(meminfo_kb(fs, "PageTables:"), 1 * kb_per_page);
	EXPECT_EQ(meminfo_kb(fs, "KernelStack:"), 16);
	memhp_free_thread_stack(m, &st);
	memhp_pte_free(pt);
	memhp_kmem_cache_free(r, a);
	memhp_kmem_cache_free(u, b);
	memhp_kmem_cache_destroy(r);
	memhp_kmem_cache_destroy(u);
	EXPECT_EQ(meminfo_kb(fs, "Slab:"), 0);
	EXPECT_EQ(meminfo_kb(fs, "PageTables:"), 0);
	EXPECT_EQ(meminfo_kb(fs, "KernelStack:"), 0);
	memhp_fs_destroy(fs);
}

static void page_table_pages_are_typed_and_pin_their_block(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_KERNEL, 1);
	struct memhp_page *pt;

	ASSERT_TRUE(m);
	pt = memhp_pte_alloc_one(m);
	ASSERT_TRUE(pt);
	ASSERT_TRUE(memhp_PageTable(pt));
	ASSERT_TRUE(in_block(m, (uint64_t)memhp_page_to_pfn(pt) << MEMHP_PAGE_SHIFT));
	ASSERT_EQ(memhp_vmstat(m, MEMHP_NR_PAGE_TABLE_PAGES), 1);
	ASSERT_ERR(memhp_block_offline(m, B0), -EBUSY);
	memhp_pte_free(pt);
	ASSERT_EQ(memhp_vmstat(m, MEMHP_NR_PAGE_TABLE_PAGES), 0);
	ASSERT_OK(memhp_block_offline(m, B0));
}

static void a_kernel_stack_is_four_pages_counted_in_kib(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_KERNEL, 1);
	struct memhp_thread_stack st;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_alloc_thread_stack(m, &st));
	for (int i = 0; i < MEMHP_THREAD_STACK_PAGES; i++)
		ASSERT_EQ(memhp_page_count(st.pages[i]), 1);
	ASSERT_EQ(memhp_vmstat(m, MEMHP_NR_KERNEL_STACK), 16);
	memhp_free_thread_stack(m, &st);
	ASSERT_EQ(memhp_vmstat(m, MEMHP_NR_KERNEL_STACK), 0);
}

static void freeing_what_is_not_an_object_is_reported_not_a_crash(void)
{
	struct memhp_machine *m = with_block(MEMHP_MMOP_ONLINE_KERNEL, 1);
	struct memhp_kmem_cache *c, *other;
	uint64_t obj;

	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_SLAB);
	ASSERT_OK(memhp_kmem_cache_create(m, "kmalloc-64", 64, 0, &c));
	ASSERT_OK(memhp_kmem_cache_create(m, "kmalloc-128", 128, 0, &other));
	obj = memhp_kmem_cache_alloc(c);
	ASSERT_TRUE(obj);
	memhp_kmem_cache_free(c, obj + 1);			 /* inside an object */
	memhp_kmem_cache_free(other, obj);			 /* the wrong cache */
	memhp_kmem_cache_free(c, HOT + memhp_block_size(m) / 2); /* not a slab page */
	memhp_kmem_cache_free(c, memhp_max_pfn(m) * 4096ULL);	 /* nothing there */
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_SLAB), 4);
	memhp_kmem_cache_free(c, obj);
	memhp_kmem_cache_free(c, obj); /* twice */
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_SLAB), 5);
	memhp_kmem_cache_destroy(c);
	memhp_kmem_cache_destroy(other);
}

static void bad_cache_parameters_are_einval(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_kmem_cache *c;

	ASSERT_TRUE(m);
	ASSERT_ERR(memhp_kmem_cache_create(m, "x", 0, 0, &c), -EINVAL);
	ASSERT_ERR(memhp_kmem_cache_create(m, "", 64, 0, &c), -EINVAL);
	ASSERT_ERR(memhp_kmem_cache_create(m, "x", 64, 0x100, &c), -EINVAL);
	ASSERT_ERR(memhp_kmem_cache_create(m, "x", 8 * MEMHP_MiB, 0, &c), -EINVAL);
}

RUN_TESTS(T(slab_orders_follow_slub_calculate_order),
	  T(a_slab_stays_while_one_of_its_objects_lives),
	  T(empty_slabs_beyond_min_partial_go_back_to_the_buddy),
	  T(slab_pages_come_from_the_highest_kernel_zone), T(slab_never_comes_from_zone_movable),
	  T(reclaimable_caches_fill_reclaimable_pageblocks),
	  T(meminfo_shows_slab_page_tables_and_kernel_stacks),
	  T(page_table_pages_are_typed_and_pin_their_block),
	  T(a_kernel_stack_is_four_pages_counted_in_kib),
	  T(freeing_what_is_not_an_object_is_reported_not_a_crash),
	  T(bad_cache_parameters_are_einval))
