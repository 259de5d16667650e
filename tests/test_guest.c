// SPDX-License-Identifier: MIT
/*
 * test_guest.c - the guest kernel at work (memhp/guest.h): what a booted
 * Linux holds, what an idle one and its programs allocate, and where.
 * Time is advanced by hand, so every run is the same.
 */
#include "harness.h"

#define HOT (4 * MEMHP_GiB)
#define B0 32
#define KB_PER_PAGE ((long)(MEMHP_PAGE_SIZE / 1024))

static struct memhp_machine *machine(uint64_t ram, uint64_t seed)
{
	struct memhp_config cfg;

	tm_config(&cfg);
	memhp_config_init(&cfg, ram);
	cfg.phys_size = 64 * MEMHP_GiB;
	cfg.check_after_ops = true;
	cfg.kaslr = false;
	cfg.seed = seed;
	return tm_create(&cfg);
}

static long slab_kb(struct memhp_machine *m)
{
	return (memhp_vmstat(m, MEMHP_NR_SLAB_RECLAIMABLE) +
		memhp_vmstat(m, MEMHP_NR_SLAB_UNRECLAIMABLE)) *
	       KB_PER_PAGE;
}

/* Every free page: on the free lists or the per-cpu lists. */
static unsigned long memfree(struct memhp_machine *m)
{
	return tm_free_pages(m);
}

static void a_booted_guest_holds_what_its_config_says(void)
{
	struct memhp_machine *m = machine(1 * MEMHP_GiB, 1);
	struct memhp_guest_config cfg;
	struct memhp_guest *g;
	/* A slab of the largest order may overshoot a target. */
	const long slack_kb = 8 * KB_PER_PAGE;
	long sr, su;

	ASSERT_TRUE(m);
	memhp_guest_config_init(&cfg);
	ASSERT_OK(memhp_guest_create(m, &cfg, &g));
	sr = memhp_vmstat(m, MEMHP_NR_SLAB_RECLAIMABLE) * KB_PER_PAGE;
	su = memhp_vmstat(m, MEMHP_NR_SLAB_UNRECLAIMABLE) * KB_PER_PAGE;

	EXPECT_TRUE(sr >= (long)cfg.boot_sreclaimable_kb);
	EXPECT_TRUE(sr <= (long)cfg.boot_sreclaimable_kb + slack_kb);
	EXPECT_TRUE(su >= (long)cfg.boot_sunreclaim_kb);
	EXPECT_TRUE(su <= (long)cfg.boot_sunreclaim_kb + slack_kb);
	EXPECT_EQ(memhp_vmstat(m, MEMHP_NR_KERNEL_STACK),
		  (long)(cfg.boot_kernel_stack_kb / 16 * 16));
	EXPECT_EQ(memhp_vmstat(m, MEMHP_NR_PAGE_TABLE_PAGES) * KB_PER_PAGE,
		  (long)cfg.boot_page_tables_kb);
	ASSERT_TRUE(memhp_machine_guest(m) == g);
}

static void a_quiet_guest_is_a_clean_room(void)
{
	struct memhp_machine *m = machine(512 * MEMHP_MiB, 1);
	struct memhp_guest_config cfg;
	struct memhp_guest *g;
	unsigned long before;

	ASSERT_TRUE(m);
	before = memfree(m);
	memhp_guest_config_quiet(&cfg);
	ASSERT_OK(memhp_guest_create(m, &cfg, &g));
	memhp_guest_advance(g, 60 * 1000);
	/* The caches exist, but hold no slab. */
	ASSERT_EQ(memfree(m), before);
	ASSERT_EQ(slab_kb(m), 0);
}

/* Two machines from one seed, driven alike, are alike page for page. */
static void the_same_seed_gives_the_same_machine(void)
{
	struct memhp_machine *a = machine(512 * MEMHP_MiB, 7), *b = machine(512 * MEMHP_MiB, 7);
	struct memhp_guest *ga, *gb;

	ASSERT_TRUE(a && b);
	ASSERT_OK(memhp_guest_create(a, NULL, &ga));
	ASSERT_OK(memhp_guest_create(b, NULL, &gb));
	memhp_guest_advance(ga, 30 * 1000);
	memhp_guest_advance(gb, 30 * 1000);
	for (unsigned long pfn = 0; pfn < memhp_max_pfn(a); pfn++) {
		struct memhp_page *pa = memhp_pfn_to_online_page(a, pfn);
		struct memhp_page *pb = memhp_pfn_to_online_page(b, pfn);

		ASSERT_EQ(!pa, !pb);
		if (!pa)
			continue;
		if (memhp_PageBuddy(pa) != memhp_PageBuddy(pb) ||
		    memhp_PageSlab(pa) != memhp_PageSlab(pb) ||
		    memhp_page_count(pa) != memhp_page_count(pb)) {
			test_fail(__FILE__, __LINE__, "pfn %#lx differs", pfn);
			return;
		}
	}
	for (int i = 0; i < MEMHP_NR_VMSTAT_ITEMS; i++)
		EXPECT_EQ(memhp_vmstat(a, i), memhp_vmstat(b, i));
}

static void a_program_holds_a_stack_page_tables_and_slab_until_it_exits(void)
{
	struct memhp_machine *m = machine(512 * MEMHP_MiB, 1);
	struct memhp_guest_config cfg;
	struct memhp_guest_task *t;
	struct memhp_guest *g;
	unsigned long before;
	long slab;

	ASSERT_TRUE(m);
	memhp_guest_config_quiet(&cfg);
	ASSERT_OK(memhp_guest_create(m, &cfg, &g));
	before = memfree(m);
	t = memhp_guest_fork(g, 3, 5, 0);
	ASSERT_TRUE(t);
	EXPECT_EQ(memhp_vmstat(m, MEMHP_NR_KERNEL_STACK), 3 * 16);
	EXPECT_EQ(memhp_vmstat(m, MEMHP_NR_PAGE_TABLE_PAGES), 5);
	slab = slab_kb(m);
	/* Three task_structs alone fill an order-3 slab. */
	EXPECT_TRUE(slab >= 8 * KB_PER_PAGE);
	memhp_guest_exit(t);
	EXPECT_EQ(memhp_vmstat(m, MEMHP_NR_KERNEL_STACK), 0);
	EXPECT_EQ(memhp_vmstat(m, MEMHP_NR_PAGE_TABLE_PAGES), 0);
	/* The slabs stay, empty, as SLUB keeps them (min_partial), and two
	 * of the three stacks wait in the cache for the next fork (one CPU,
	 * NR_CACHED_STACKS 2): allocated, but no longer KernelStack. */
	EXPECT_EQ(slab_kb(m), slab);
	EXPECT_EQ(before - memfree(m), slab / KB_PER_PAGE + 2 * MEMHP_THREAD_STACK_PAGES);
}

/*
 * A fork refused for memory gives back everything it took, whichever of
 * its allocations failed. Found by tests/linux-cases.sh case n (a 256 MiB
 * guest whose 16 GiB hot-add ate its free memory): a thread stack that
 * failed at its third page had put its first two back but kept pointing
 * at them, and the fork's undo freed them again (SIGSEGV in memhp shell).
 * Each allocation of the fork fails in turn here.
 */
#define FORK_ALLOCS_MAX 64
#define FORK_THREADS 4

static void a_fork_that_runs_out_of_memory_anywhere_gives_everything_back(void)
{
	struct memhp_machine *m = machine(512 * MEMHP_MiB, 1);
	struct memhp_guest_config cfg;
	struct memhp_guest *g;
	unsigned long refused = 0;

	ASSERT_TRUE(m);
	memhp_guest_config_quiet(&cfg);
	ASSERT_OK(memhp_guest_create(m, &cfg, &g));
	for (long skip = 0; skip < FORK_ALLOCS_MAX; skip++) {
		struct memhp_guest_task *t;

		memhp_fault_arm(m, MEMHP_FAULT_ALLOC, skip, 1);
		/* More threads than the stack cache holds (two): stacks
		 * are allocated too, not only taken from it. */
		t = memhp_guest_fork(g, FORK_THREADS, 3, 0);
		memhp_fault_set(m, MEMHP_FAULT_ALLOC, 0);
		if (!t) {
			refused++;
			EXPECT_EQ(memhp_vmstat(m, MEMHP_NR_KERNEL_STACK), 0);
			EXPECT_EQ(memhp_vmstat(m, MEMHP_NR_PAGE_TABLE_PAGES), 0);
			ASSERT_EQ(memhp_check(m, NULL), 0);
			continue;
		}
		memhp_guest_exit(t);
	}
	/* Every failure point of a fork was met, stacks' pages included. */
	ASSERT_GT(refused, 2 * MEMHP_THREAD_STACK_PAGES);
}

/*
 * A block onlined to ZONE_NORMAL, the guest's only Normal memory, is the
 * first place every kernel allocation looks. Linux 6.1: the program that
 * writes "offline" was started after the online, so its top-level page
 * tables (no flags, refcount 1) and its PMD/PTE pages are at the block's
 * first pfns, and the offline fails with -EBUSY (25 of 25 runs; the
 * dumped page was the block's first or second pfn). Blocks onlined after
 * it stay free and go offline (63 of 63).
 */
static void the_first_normal_block_holds_the_page_tables_of_what_runs_next(void)
{
	struct memhp_machine *m = machine(1 * MEMHP_GiB, 1);
	struct memhp_guest_task *writer;
	struct memhp_guest *g;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_guest_create(m, NULL, &g));
	ASSERT_OK(tm_add_blocks(m, HOT, 2));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_KERNEL));
	writer = memhp_guest_fork(g, 1, 5, 0);
	ASSERT_TRUE(writer);
	ASSERT_ERR(memhp_block_offline(m, B0), -EBUSY);
	ASSERT_OK(memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_KERNEL));
	ASSERT_OK(memhp_block_offline(m, B0 + 1));
	memhp_guest_exit(writer);
}

static void kernel_memory_never_lands_in_zone_movable(void)
{
	struct memhp_machine *m = machine(1 * MEMHP_GiB, 1);
	struct memhp_guest_task *t[16];
	struct memhp_guest *g;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_guest_create(m, NULL, &g));
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	for (int i = 0; i < 16; i++)
		ASSERT_TRUE((t[i] = memhp_guest_fork(g, 2, 8, 0)));
	for (int i = 0; i < 64; i++)
		memhp_guest_file_created(g);
	memhp_guest_advance(g, 10 * 60 * 1000);
	ASSERT_OK(memhp_block_offline(m, B0));
	for (int i = 0; i < 16; i++)
		memhp_guest_exit(t[i]);
}

/* A program's anonymous memory is movable, ZONE_MOVABLE first: offlining
 * its block migrates it with its bytes, and the exit gives it back. */
static void a_programs_anonymous_memory_is_movable_and_survives_offlining(void)
{
	struct memhp_machine *m = machine(1 * MEMHP_GiB, 1);
	struct memhp_guest_config cfg;
	struct memhp_guest_stats st;
	struct memhp_guest_task *t;
	struct memhp_guest *g;
	struct memhp_meminfo mi;

	ASSERT_TRUE(m);
	memhp_guest_config_quiet(&cfg);
	ASSERT_OK(memhp_guest_create(m, &cfg, &g));
	ASSERT_OK(tm_add_blocks(m, HOT, 2));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	t = memhp_guest_fork(g, 1, 3, 512);
	ASSERT_TRUE(t);
	ASSERT_EQ(memhp_vmstat(m, MEMHP_NR_ANON_PAGES), 512);
	memhp_meminfo(m, &mi);
	ASSERT_EQ(mi.movable_pages, 512);
	ASSERT_OK(memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_block_offline(m, B0));
	memhp_guest_stats(g, &st);
	ASSERT_EQ(st.anon_pages, 512);
	ASSERT_EQ(st.anon_corrupted, 0);
	memhp_guest_exit(t);
	ASSERT_EQ(memhp_vmstat(m, MEMHP_NR_ANON_PAGES), 0);
	ASSERT_OK(memhp_block_offline(m, B0 + 1));
}

static void long_lived_objects_make_an_idle_guest_grow(void)
{
	struct memhp_machine *m = machine(1 * MEMHP_GiB, 1);
	struct memhp_guest_config cfg;
	struct memhp_guest_stats st0, st1;
	struct memhp_guest *g;

	ASSERT_TRUE(m);
	memhp_guest_config_init(&cfg);
	cfg.idle_long_lived_ppm = 0;
	ASSERT_OK(memhp_guest_create(m, &cfg, &g));
	memhp_guest_advance(g, 10 * 60 * 1000);
	memhp_guest_stats(g, &st0);
	memhp_guest_advance(g, 10 * 60 * 1000);
	memhp_guest_stats(g, &st1);
	/* Without long-lived objects, what lives is what the lifetimes keep:
	 * it does not grow from one ten minutes to the next by more than the
	 * noise of the churn. */
	EXPECT_TRUE(st1.live_objects < st0.live_objects + st0.live_objects / 10);
	EXPECT_TRUE(st1.allocated > st0.allocated);
	EXPECT_EQ(st1.elapsed_ms, 20 * 60 * 1000);
}

static void a_guest_that_does_not_fit_is_enomem_and_leaves_nothing(void)
{
	struct memhp_machine *m = machine(32 * MEMHP_MiB, 1);
	struct memhp_guest *g;
	unsigned long before;

	ASSERT_TRUE(m);
	before = memfree(m);
	ASSERT_ERR(memhp_guest_create(m, NULL, &g), -ENOMEM);
	ASSERT_EQ(memfree(m), before);
	ASSERT_TRUE(!memhp_machine_guest(m));
}

static void bad_config_is_einval_and_a_second_guest_eexist(void)
{
	struct memhp_machine *m = machine(512 * MEMHP_MiB, 1);
	struct memhp_guest_config cfg;
	struct memhp_guest *g, *g2;

	ASSERT_TRUE(m);
	memhp_guest_config_quiet(&cfg);
	cfg.lifetime_min_ms = 0;
	ASSERT_ERR(memhp_guest_create(m, &cfg, &g), -EINVAL);
	memhp_guest_config_quiet(&cfg);
	cfg.lifetime_max_ms = cfg.lifetime_min_ms - 1;
	ASSERT_ERR(memhp_guest_create(m, &cfg, &g), -EINVAL);
	memhp_guest_config_quiet(&cfg);
	cfg.idle_long_lived_ppm = 1000001;
	ASSERT_ERR(memhp_guest_create(m, &cfg, &g), -EINVAL);
	memhp_guest_config_quiet(&cfg);
	ASSERT_OK(memhp_guest_create(m, &cfg, &g));
	ASSERT_ERR(memhp_guest_create(m, &cfg, &g2), -EEXIST);
}

static void destroying_the_guest_gives_every_page_back(void)
{
	struct memhp_machine *m = machine(512 * MEMHP_MiB, 3);
	struct memhp_guest *g;
	unsigned long before;

	ASSERT_TRUE(m);
	before = memfree(m);
	ASSERT_OK(memhp_guest_create(m, NULL, &g));
	memhp_guest_advance(g, 5000);
	ASSERT_TRUE(memhp_guest_fork(g, 1, 2, 0));
	memhp_guest_file_created(g);
	ASSERT_TRUE(memfree(m) < before);
	memhp_guest_destroy(g);
	ASSERT_EQ(memfree(m), before);
	ASSERT_EQ(slab_kb(m), 0);
	ASSERT_EQ(memhp_vmstat(m, MEMHP_NR_KERNEL_STACK), 0);
	ASSERT_EQ(memhp_vmstat(m, MEMHP_NR_PAGE_TABLE_PAGES), 0);
}

/* g:advance(math.maxinteger) ran for ever where ^C could not reach it
 * (fuzz_lua_api, tests/fuzz/regress_fuzz_lua_api/guest-advance-for-ever):
 * the task signal stops the ticks. Without it this test would not end. */
static void advancing_stops_at_the_task_signal(void)
{
	struct memhp_machine *m = machine(1 * MEMHP_GiB, 1);
	struct memhp_guest_config cfg;
	struct memhp_guest *g;

	ASSERT_TRUE(m);
	memhp_guest_config_init(&cfg);
	ASSERT_OK(memhp_guest_create(m, &cfg, &g));
	memhp_task_signal(memhp_current_task());
	memhp_guest_advance(g, ~0UL);
	memhp_task_clear_signal(memhp_current_task());
	memhp_guest_advance(g, 100);
}

RUN_TESTS(T(a_booted_guest_holds_what_its_config_says), T(a_quiet_guest_is_a_clean_room),
	  T(advancing_stops_at_the_task_signal), T(the_same_seed_gives_the_same_machine),
	  T(a_program_holds_a_stack_page_tables_and_slab_until_it_exits),
	  T(a_fork_that_runs_out_of_memory_anywhere_gives_everything_back),
	  T(the_first_normal_block_holds_the_page_tables_of_what_runs_next),
	  T(kernel_memory_never_lands_in_zone_movable),
	  T(a_programs_anonymous_memory_is_movable_and_survives_offlining),
	  T(long_lived_objects_make_an_idle_guest_grow),
	  T(a_guest_that_does_not_fit_is_enomem_and_leaves_nothing),
	  T(bad_config_is_einval_and_a_second_guest_eexist),
	  T(destroying_the_guest_gives_every_page_back))
