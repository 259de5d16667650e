// SPDX-License-Identifier: MIT
/*
 * test_check.c - the checker must find what is wrong. Each test breaks one
 * invariant by hand (white-box), asks memhp_check() for its rule, and
 * repairs the damage.
 */
#include "harness.h"

#include "../src/mm/internal.h"

#define HOT (4 * MEMHP_GiB)
#define B0 32

static bool found(struct memhp_machine *m, enum memhp_rule rule)
{
	static struct memhp_check_report r;
	memhp_check(m, &r);
	for (size_t i = 0; i < r.shown; i++)
		if (r.v[i].rule == rule)
			return true;
	return false;
}

static void a_clean_machine_has_no_violations(void)
{
	struct memhp_machine *m = tm_create(NULL);

	ASSERT_TRUE(m);
	ASSERT_EQ(memhp_check(m, NULL), 0);
}

static void a_wrong_nr_free_pages_counter_is_found(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct zone *z;

	ASSERT_TRUE(m);
	z = &m->node.node_zones[ZONE_DMA32];
	ADD_ONCE(z->vm_nr_free_pages, 1);
	ASSERT_TRUE(found(m, MEMHP_RULE_NR_FREE_PAGES));
	ADD_ONCE(z->vm_nr_free_pages, -1);
	ASSERT_EQ(memhp_check(m, NULL), 0);
}

static void a_referenced_free_chunk_is_found(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_page *head = NULL;

	ASSERT_TRUE(m);
	for (unsigned long pfn = 0; pfn < m->max_pfn && !head; pfn++)
		if (pfn_online(m, pfn) && PageBuddy(pfn_to_page(m, pfn)))
			head = pfn_to_page(m, pfn);
	ASSERT_TRUE(head);
	set_page_count(head, 1);
	ASSERT_TRUE(found(m, MEMHP_RULE_PAGE_CLASS));
	set_page_count(head, 0);
}

static void a_pageoffline_page_at_refcount_0_outside_going_offline_is_found(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_page *p;

	ASSERT_TRUE(m);
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p);
	memhp_SetPageOffline(p);
	memhp_adjust_managed_page_count(p, -1);
	ASSERT_EQ(memhp_check(m, NULL), 0); /* a driver-owned PageOffline page */
	memhp_page_ref_dec_and_test(p);
	ASSERT_TRUE(found(m, MEMHP_RULE_PAGEOFFLINE_REFCOUNT));
	memhp_page_ref_inc(p);
	memhp_ClearPageOffline(p);
	memhp_adjust_managed_page_count(p, 1);
	memhp_put_page(p);
}

static void managed_pages_that_drift_are_found(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_page *p;

	ASSERT_TRUE(m);
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p);
	/* A driver that marks PageOffline but forgets the accounting. */
	memhp_SetPageOffline(p);
	ASSERT_TRUE(found(m, MEMHP_RULE_MANAGED_PAGES));
	memhp_ClearPageOffline(p);
	memhp_put_page(p);
}

/* The managed-pages finding of @m's zone @zone, parsed; false if none. */
struct managed_mix {
	long managed;
	unsigned long shown, buddy, unref, offline, in_use;
};

static bool managed_finding(struct memhp_machine *m, const char *zone, struct managed_mix *x)
{
	static struct memhp_check_report r;
	char name[16];

	memhp_check(m, &r);
	for (size_t i = 0; i < r.shown; i++)
		if (r.v[i].rule == MEMHP_RULE_MANAGED_PAGES &&
		    sscanf(r.v[i].detail,
			   "%15s managed %ld, memmap %lu: buddy %lu, refcount 0 %lu, offline %lu, "
			   "in use %lu",
			   name, &x->managed, &x->shown, &x->buddy, &x->unref, &x->offline,
			   &x->in_use) == 7 &&
		    !strcmp(name, zone))
			return true;
	return false;
}

/*
 * The campaigns' managed-pages findings were one page off and never
 * replayed: one occurrence must say which kind of page is the odd one. A
 * page in use whose managed count a driver took away shows as one more in
 * use; freed, it moves to the free side, and the kinds always add up.
 */
static void a_managed_count_that_drifts_says_which_kind_of_page(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct managed_mix a, b;
	struct memhp_page *p;

	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_MANAGED_PAGES);
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p);
	memhp_adjust_managed_page_count(p, -1);
	ASSERT_TRUE(managed_finding(m, memhp_zone_name(memhp_page_zonenum(p)), &a));
	ASSERT_EQ(a.shown, (unsigned long)a.managed + 1);
	ASSERT_EQ(a.buddy + a.unref + a.offline + a.in_use, a.shown);
	memhp_put_page(p);
	ASSERT_TRUE(managed_finding(m, memhp_zone_name(memhp_page_zonenum(p)), &b));
	ASSERT_EQ(b.in_use, a.in_use - 1);
	ASSERT_EQ(b.buddy + b.unref, a.buddy + a.unref + 1);
	memhp_adjust_managed_page_count(p, 1);
	ASSERT_EQ(memhp_check(m, NULL), 0);
}

/* The first managed-pages finding of @m that names a page: its pfn. */
static unsigned long managed_page_finding(struct memhp_machine *m, char *detail, size_t size)
{
	static struct memhp_check_report r;

	memhp_check(m, &r);
	for (size_t i = 0; i < r.shown; i++)
		if (r.v[i].rule == MEMHP_RULE_MANAGED_PAGES && r.v[i].pfn != MEMHP_NO_PFN) {
			snprintf(detail, size, "%s", r.v[i].detail);
			return r.v[i].pfn;
		}
	return MEMHP_NO_PFN;
}

/*
 * The kinds say by how much a zone's count is off, not where: the managed
 * ledger (a bit per page, changed with the count) names the page, in use
 * while its count was taken, free once it was put.
 */
static void a_drifted_managed_count_names_the_page_it_is_off_by(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_page *p;
	unsigned long pfn;
	char detail[MEMHP_VIOLATION_DETAIL];

	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_MANAGED_PAGES);
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p);
	pfn = memhp_page_to_pfn(p);
	ASSERT_EQ(managed_page_finding(m, detail, sizeof(detail)), MEMHP_NO_PFN);
	memhp_adjust_managed_page_count(p, -1);
	ASSERT_EQ(managed_page_finding(m, detail, sizeof(detail)), pfn);
	ASSERT_TRUE(strstr(detail, "(in use, refcount 1"));
	ASSERT_TRUE(strstr(detail, "is a managed page; managed_pages does not count it"));
	memhp_put_page(p);
	ASSERT_EQ(managed_page_finding(m, detail, sizeof(detail)), pfn);
	ASSERT_TRUE(strstr(detail, "(free in the buddy, refcount 0") ||
		    strstr(detail, "(free on a per-cpu list, refcount 0"));
	memhp_adjust_managed_page_count(p, 1);
	ASSERT_EQ(memhp_check(m, NULL), 0);
}

/*
 * A bit is not a count: a page can end with a stale bit while every zone's
 * count is right (virtio-mem's fake-online frees before it counts, and a
 * balloon may take a page in between). The ledger's odd pages are only
 * named beside a count that is off, never on their own.
 */
static void a_stale_ledger_bit_alone_is_no_finding(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_page *p;
	unsigned long pfn;

	ASSERT_TRUE(m);
	ASSERT_TRUE(m->managed_ledger);
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p);
	pfn = memhp_page_to_pfn(p);
	managed_ledger_update(m, pfn, 1, false, NULL);
	ASSERT_EQ(memhp_check(m, NULL), 0);
	managed_ledger_update(m, pfn, 1, true, NULL);
	memhp_put_page(p);
}

static void a_corrupt_free_list_is_found(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct zone *z;
	unsigned long n;

	ASSERT_TRUE(m);
	z = &m->node.node_zones[ZONE_DMA32];
	n = z->free_area[m->max_order].nr_free_mt[MIGRATE_MOVABLE];
	z->free_area[m->max_order].nr_free_mt[MIGRATE_MOVABLE] = n + 1;
	ASSERT_TRUE(found(m, MEMHP_RULE_FREE_LIST));
	z->free_area[m->max_order].nr_free_mt[MIGRATE_MOVABLE] = n;
}

static void an_isolated_pageblock_counter_off_by_one_is_found(void)
{
	struct memhp_machine *m = tm_create(NULL);

	ASSERT_TRUE(m);
	m->node.node_zones[ZONE_DMA32].nr_isolate_pageblock++;
	ASSERT_TRUE(found(m, MEMHP_RULE_NR_ISOLATE_PAGEBLOCK));
	m->node.node_zones[ZONE_DMA32].nr_isolate_pageblock--;
}

static void an_offline_block_with_an_online_section_is_found(void)
{
	struct memhp_machine *m = tm_create(NULL);
	const unsigned long pfn = HOT >> MEMHP_PAGE_SHIFT;

	ASSERT_TRUE(m);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	online_mem_sections(m, pfn, pfn + m->pages_per_section);
	ASSERT_TRUE(found(m, MEMHP_RULE_SECTION_STATE));
	offline_mem_sections(m, pfn, pfn + m->pages_per_section);
}

/* 6.1 lets a poisoned page into a free chunk (a higher-order free keeps
 * PG_hwpoison) and keeps it from being handed out at allocation: legal,
 * but it counts against num_poisoned_pages like any other. */
static void a_poisoned_page_on_a_free_list_is_legal_but_counted(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_page *head = NULL;

	ASSERT_TRUE(m);
	for (unsigned long pfn = 0; pfn < m->max_pfn && !head; pfn++)
		if (pfn_online(m, pfn) && PageBuddy(pfn_to_page(m, pfn)) &&
		    buddy_order(pfn_to_page(m, pfn)) > 1)
			head = pfn_to_page(m, pfn);
	ASSERT_TRUE(head);
	set_page_flag(head + 1, PG_hwpoison);
	ASSERT_TRUE(found(m, MEMHP_RULE_HWPOISON)); /* nobody counted it */
	ADD_ONCE(m->num_poisoned_pages, 1);
	ASSERT_EQ(memhp_check(m, NULL), 0);
	clear_page_flag(head + 1, PG_hwpoison);
	ADD_ONCE(m->num_poisoned_pages, -1);
}

static void a_poisoned_page_nobody_counted_is_found(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_page *p;

	ASSERT_TRUE(m);
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p);
	ASSERT_ERR(memhp_memory_failure(m, memhp_page_to_pfn(p)), -EBUSY);
	ASSERT_EQ(memhp_check(m, NULL), 0); /* poisoned and counted */
	ADD_ONCE(m->num_poisoned_pages, -1);
	ASSERT_TRUE(found(m, MEMHP_RULE_HWPOISON));
	ADD_ONCE(m->num_poisoned_pages, 1);
	/* More counted than in sight is 6.1 (a re-onlined block forgets its
	 * flags), not a violation. */
	clear_page_flag(p, PG_hwpoison);
	ASSERT_EQ(memhp_check(m, NULL), 0);
	memhp_put_page(p);
}

static void a_page_cache_counter_below_zero_is_found(void)
{
	struct memhp_machine *m = tm_create(NULL);

	ASSERT_TRUE(m);
	memhp_mod_node_page_state(m, 0, MEMHP_NR_SHMEM, -1);
	ASSERT_TRUE(found(m, MEMHP_RULE_NODE_STAT));
	/* Readers see 0, as the kernel's clamp has it. */
	ASSERT_EQ(memhp_node_page_state(m, 0, MEMHP_NR_SHMEM), 0);
	memhp_mod_node_page_state(m, 0, MEMHP_NR_SHMEM, 1);
	ASSERT_EQ(memhp_check(m, NULL), 0);
}

static void handing_out_a_page_of_an_isolated_pageblock_is_reported(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_page *p;

	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_ALLOC_FROM_ISOLATED);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	/* Isolate without moving the free chunks: the bug the allocator's
	 * check exists for. */
	for (unsigned long pfn = B0 * m->pages_per_block; pfn < (B0 + 1) * m->pages_per_block;
	     pfn += m->pageblock_nr_pages)
		set_pageblock_migratetype(m, pfn, MIGRATE_ISOLATE);
	p = memhp_alloc_pages(m, MEMHP_GFP_HIGHUSER_MOVABLE, 0);
	ASSERT_TRUE(p);
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_ALLOC_FROM_ISOLATED), 1);
	for (unsigned long pfn = B0 * m->pages_per_block; pfn < (B0 + 1) * m->pages_per_block;
	     pfn += m->pageblock_nr_pages)
		set_pageblock_migratetype(m, pfn, MIGRATE_MOVABLE);
	memhp_put_page(p);
}

static void check_after_ops_logs_what_an_operation_broke(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct memhp_page *p;

	tm_config(&cfg);
	cfg.check_after_ops_whole = true;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_MANAGED_PAGES);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p);
	memhp_SetPageOffline(p); /* forgot the accounting */
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_GT(tm_violations(m, MEMHP_RULE_MANAGED_PAGES), 0);
	memhp_ClearPageOffline(p);
	memhp_put_page(p);
}

/* A free page of block @id made to look referenced; returns its pfn. */
static unsigned long break_a_free_page(struct memhp_machine *m, unsigned long id)
{
	for (unsigned long pfn = id * m->pages_per_block; pfn < (id + 1) * m->pages_per_block;
	     pfn++)
		if (PageBuddy(pfn_to_page(m, pfn))) {
			set_page_count(pfn_to_page(m, pfn + 1), 1);
			return pfn + 1;
		}
	return 0;
}

/*
 * After an operation the checker looks at what it touched, at once; what
 * broke elsewhere is found by the whole-machine check that comes once the
 * ranges checked add up to the machine's present memory.
 */
static void check_after_ops_sees_the_touched_block_at_once_and_the_rest_in_time(void)
{
	struct memhp_machine *m = tm_create(NULL);
	unsigned long here, there, ops = 0, present_blocks;
	struct memhp_meminfo mi;

	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_PAGE_CLASS);
	ASSERT_OK(tm_add_blocks(m, HOT, 3));
	for (unsigned long id = B0; id < B0 + 3; id++)
		ASSERT_OK(memhp_block_online(m, id, MEMHP_MMOP_ONLINE_MOVABLE));
	memhp_meminfo(m, &mi);
	present_blocks = mi.present_pages / m->pages_per_block + 1;
	/* Start counting from a whole check. */
	ASSERT_EQ(memhp_check(m, NULL), 0);
	here = break_a_free_page(m, B0);
	there = break_a_free_page(m, B0 + 2);
	ASSERT_TRUE(here && there);
	/* Onlining an online block changes nothing, but touches it. */
	ASSERT_EQ(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE), 1);
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_PAGE_CLASS), 1);
	set_page_count(pfn_to_page(m, here), 0);
	/* Operations on B0 + 1 only: the page broken in B0 + 2 shows up
	 * within a machine's worth of them. */
	while (tm_violations(m, MEMHP_RULE_PAGE_CLASS) < 2 && ops < present_blocks) {
		ASSERT_OK(memhp_block_offline(m, B0 + 1));
		ASSERT_OK(memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE));
		ops += 2;
	}
	EXPECT_EQ(tm_violations(m, MEMHP_RULE_PAGE_CLASS), 2);
	EXPECT_TRUE(ops > 0);
	set_page_count(pfn_to_page(m, there), 0);
}

static void notifier_events_out_of_order_are_reported(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_memory_notify arg = { .start_pfn = 0x100000, .nr_pages = 32768 };

	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_NOTIFIER_SEQUENCE);
	memory_notify(m, MEMHP_MEM_GOING_OFFLINE, &arg);
	memory_notify(m, MEMHP_MEM_ONLINE, &arg); /* not its outcome */
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_NOTIFIER_SEQUENCE), 1);
	memory_notify(m, MEMHP_MEM_OFFLINE, &arg); /* nothing pending */
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_NOTIFIER_SEQUENCE), 2);
	/* A real offline and online produce none. */
	ASSERT_OK(tm_add_blocks(m, 4 * MEMHP_GiB, 1));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_block_offline(m, B0));
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_NOTIFIER_SEQUENCE), 2);
}

/* ---- The rules' table ---------------------------------------------------------- */

/* Output, scenarios, replay files and docs name rules: each name must be
 * one rule's only, and read back as that rule. */
static void every_rule_has_one_name_that_reads_back_as_it(void)
{
	for (int r = 0; r < MEMHP_NR_RULES; r++) {
		const char *name = memhp_rule_name((enum memhp_rule)r);

		ASSERT_TRUE(name && name[0], "rule %d has no name", r);
		EXPECT_EQ(memhp_rule_from_name(name), r, "%s", name);
		for (int o = 0; o < r; o++)
			EXPECT_TRUE(strcmp(name, memhp_rule_name((enum memhp_rule)o)),
				    "rules %d and %d are both %s", o, r, name);
	}
	/* The names output has always had. */
	ASSERT_STREQ(memhp_rule_name(MEMHP_RULE_BAD_PAGE), "bad-page");
	ASSERT_STREQ(memhp_rule_name(MEMHP_RULE_FAKE_OFFLINE_REFERENCED),
		     "fake-offline-referenced");
	ASSERT_STREQ(memhp_rule_name(MEMHP_RULE_NR_ISOLATE_PAGEBLOCK), "nr-isolate-pageblock");
	ASSERT_TRUE(!memhp_rule_name(MEMHP_NR_RULES));
}

static void a_rule_name_memhp_does_not_know_is_einval(void)
{
	ASSERT_ERR(memhp_rule_from_name("no-such-rule"), -EINVAL);
	ASSERT_ERR(memhp_rule_from_name("Bad-Page"), -EINVAL);
	ASSERT_ERR(memhp_rule_from_name("bad-page "), -EINVAL);
	ASSERT_ERR(memhp_rule_from_name(""), -EINVAL);
	ASSERT_ERR(memhp_rule_from_name(NULL), -EINVAL);
}

/* What memhp torture and sweep do with a finding comes from its class:
 * a violation stops a campaign, a kernel finding taints the run, a benign
 * one is counted. */
static void a_rules_class_says_violation_kernel_finding_or_benign(void)
{
	ASSERT_EQ(memhp_rule_class(MEMHP_RULE_ALLOC_FROM_ISOLATED), MEMHP_RULE_CLASS_VIOLATION);
	ASSERT_EQ(memhp_rule_class(MEMHP_RULE_PAGE_CLASS), MEMHP_RULE_CLASS_VIOLATION);
	ASSERT_EQ(memhp_rule_class(MEMHP_RULE_TORTURE_SELFTEST), MEMHP_RULE_CLASS_VIOLATION);
	ASSERT_EQ(memhp_rule_class(MEMHP_RULE_FAKE_OFFLINE_REFERENCED), MEMHP_RULE_CLASS_KERNEL);
	ASSERT_EQ(memhp_rule_class(MEMHP_RULE_BAD_PAGE), MEMHP_RULE_CLASS_KERNEL);
	ASSERT_EQ(memhp_rule_class(MEMHP_RULE_HWPOISON_REUSE), MEMHP_RULE_CLASS_KERNEL);
	ASSERT_EQ(memhp_rule_class(MEMHP_RULE_VIRTIO_MEM_BROKEN), MEMHP_RULE_CLASS_BENIGN);
	ASSERT_EQ(memhp_rule_class(MEMHP_RULE_MEMHP_NO_MEMORY), MEMHP_RULE_CLASS_BENIGN);
	/* A failed hot-add's kept sections are consistent: torture goes on. */
	ASSERT_EQ(memhp_rule_class(MEMHP_RULE_HOT_ADD_LEAK), MEMHP_RULE_CLASS_BENIGN);
	/* A scenario's own check that failed is the scenario's verdict. */
	ASSERT_EQ(memhp_rule_class(MEMHP_RULE_SCENARIO), MEMHP_RULE_CLASS_VIOLATION);
}

/* m:report(): a name memhp knows is its rule; any other is the scenario's
 * own, and prints as the scenario wrote it. */
static void a_finding_a_scenario_names_is_its_rule_or_the_scenarios_own(void)
{
	static struct memhp_check_report r;
	struct memhp_machine *m = tm_create(NULL);

	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_FAKE_OFFLINE_REFERENCED);
	tm_expect_violations(m, MEMHP_RULE_SCENARIO);
	memhp_report_named(m, 0x1234, "fake-offline-referenced", "fake-offline page referenced");
	memhp_report_named(m, MEMHP_NO_PFN, "canary", "the scenario's own");
	ASSERT_EQ(memhp_violations(m, &r), 2);
	ASSERT_EQ(r.v[0].rule, MEMHP_RULE_FAKE_OFFLINE_REFERENCED);
	ASSERT_STREQ(r.v[0].name, "fake-offline-referenced");
	ASSERT_EQ(r.v[1].rule, MEMHP_RULE_SCENARIO);
	ASSERT_STREQ(r.v[1].name, "canary");
}

RUN_TESTS(T(a_clean_machine_has_no_violations), T(a_wrong_nr_free_pages_counter_is_found),
	  T(a_referenced_free_chunk_is_found),
	  T(a_pageoffline_page_at_refcount_0_outside_going_offline_is_found),
	  T(managed_pages_that_drift_are_found),
	  T(a_managed_count_that_drifts_says_which_kind_of_page),
	  T(a_drifted_managed_count_names_the_page_it_is_off_by),
	  T(a_stale_ledger_bit_alone_is_no_finding), T(a_corrupt_free_list_is_found),
	  T(an_isolated_pageblock_counter_off_by_one_is_found),
	  T(an_offline_block_with_an_online_section_is_found),
	  T(a_poisoned_page_on_a_free_list_is_legal_but_counted),
	  T(a_poisoned_page_nobody_counted_is_found), T(a_page_cache_counter_below_zero_is_found),
	  T(handing_out_a_page_of_an_isolated_pageblock_is_reported),
	  T(check_after_ops_logs_what_an_operation_broke),
	  T(check_after_ops_sees_the_touched_block_at_once_and_the_rest_in_time),
	  T(notifier_events_out_of_order_are_reported),
	  T(every_rule_has_one_name_that_reads_back_as_it),
	  T(a_rule_name_memhp_does_not_know_is_einval),
	  T(a_rules_class_says_violation_kernel_finding_or_benign),
	  T(a_finding_a_scenario_names_is_its_rule_or_the_scenarios_own))
