// SPDX-License-Identifier: MIT
/*
 * test_memmap.c - descriptors, sections and the page primitives.
 */
#include "harness.h"

#include "../src/mm/internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define HOT (4 * MEMHP_GiB)
#define B0 32

static unsigned long memfree(struct memhp_machine *m)
{
	struct memhp_meminfo mi;

	memhp_meminfo(m, &mi);
	return mi.free_pages;
}

static void a_descriptor_is_sixteen_bytes(void)
{
	ASSERT_EQ(sizeof(struct memhp_page), 16);
}

static void get_page_unless_zero_fails_on_a_free_page(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_page *p;

	ASSERT_TRUE(m);
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p);
	ASSERT_TRUE(memhp_get_page_unless_zero(p));
	ASSERT_EQ(memhp_page_count(p), 2);
	memhp_put_page(p);
	memhp_put_page(p);
	ASSERT_EQ(memhp_page_count(p), 0);
	ASSERT_TRUE(!memhp_get_page_unless_zero(p));
	ASSERT_EQ(memhp_page_count(p), 0);
}

static void the_last_put_frees_the_page_into_the_buddy(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_meminfo mi0, mi1;
	struct memhp_page *p;
	unsigned long before;

	ASSERT_TRUE(m);
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p);
	before = memfree(m);
	memhp_get_page(p);
	memhp_put_page(p);
	ASSERT_EQ(memfree(m), before);
	/* The last put frees it onto this CPU's list: free, not yet in the
	 * buddy, not in MemFree; a drain takes it there. */
	memhp_meminfo(m, &mi0);
	memhp_put_page(p);
	memhp_meminfo(m, &mi1);
	ASSERT_TRUE(memhp_page_count(p) == 0 && !memhp_PageBuddy(p));
	ASSERT_EQ(mi1.free_pages, mi0.free_pages);
	ASSERT_EQ(mi1.pcp_pages, mi0.pcp_pages + 1);
	memhp_drain_all_pages(m);
	memhp_meminfo(m, &mi0);
	ASSERT_EQ(mi0.pcp_pages, 0);
	ASSERT_EQ(mi0.free_pages, mi1.free_pages + mi1.pcp_pages);
}

static void the_last_put_of_a_pageoffline_page_is_a_bad_page_that_leaks(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_page *p;
	unsigned long before;

	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_BAD_PAGE);
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p);
	ASSERT_OK(memhp_SetPageOffline(p));
	before = memfree(m);
	memhp_put_page(p);
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_BAD_PAGE), 1);
	ASSERT_EQ(memfree(m), before);				   /* not given to the buddy */
	ASSERT_TRUE(!memhp_PageOffline(p) && !memhp_PageBuddy(p)); /* type reset */
}

static void freeing_a_page_that_still_belongs_to_an_owner_is_a_bad_page(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_data *d;
	struct memhp_page *p;

	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_BAD_PAGE);
	tm_skip_final_check(m); /* the leaked page keeps its owner, as in 6.1 */
	ASSERT_OK(memhp_data_create(m, &d));
	p = memhp_alloc_pages(m, MEMHP_GFP_HIGHUSER_MOVABLE, 0);
	ASSERT_TRUE(p);
	memhp_SetPageMovable(p, 1, 0);
	memhp_put_page(p);
	/* The LRU add batch still holds the page; the drain's put is the
	 * last one. */
	memhp_lru_add_drain_all(m);
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_BAD_PAGE), 1);
	memhp_data_destroy(d);
}

/*
 * Linux VM_BUG_ON_PAGE()s there; memhp reports it, keeps the count at zero,
 * and the finding says in its type that Linux would BUG (the demo tells it
 * from a Bad page state, which only prints, by that and not by the text).
 */
static void a_refcount_underflow_is_reported_as_a_bug_not_wrapped(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_check_report r;
	struct memhp_page *p;

	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_BAD_PAGE);
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p);
	memhp_put_page(p);
	ASSERT_TRUE(!memhp_page_ref_dec_and_test(p));
	ASSERT_EQ(memhp_page_count(p), 0);
	ASSERT_EQ(memhp_violations(m, &r), 1);
	ASSERT_EQ(r.v[0].rule, MEMHP_RULE_BAD_PAGE);
	ASSERT_TRUE(r.v[0].bug, "VM_BUG_ON_PAGE(page_ref_count(page) == 0)");
	memhp_report(m, MEMHP_NO_PFN, MEMHP_RULE_BAD_PAGE, "a print");
	ASSERT_EQ(memhp_violations(m, &r), 2);
	ASSERT_TRUE(!r.v[1].bug);
}

static void a_page_gets_a_type_only_if_it_has_none(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_page *buddy = NULL;

	ASSERT_TRUE(m);
	for (unsigned long pfn = 0; pfn < memhp_max_pfn(m) && !buddy; pfn++) {
		struct memhp_page *p = memhp_pfn_to_online_page(m, pfn);

		if (p && memhp_PageBuddy(p))
			buddy = p;
	}
	ASSERT_TRUE(buddy);
	ASSERT_ERR(memhp_SetPageOffline(buddy), -EINVAL);
	ASSERT_ERR(memhp_ClearPageOffline(buddy), -EINVAL);
	ASSERT_TRUE(memhp_PageBuddy(buddy));
}

static void pfn_to_online_page_sees_only_online_sections(void)
{
	struct memhp_machine *m = tm_create(NULL);
	const unsigned long pfn = (HOT >> MEMHP_PAGE_SHIFT) + 17;

	ASSERT_TRUE(m);
	ASSERT_TRUE(!memhp_pfn_valid(m, pfn));
	ASSERT_TRUE(!memhp_pfn_to_online_page(m, pfn));
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_TRUE(memhp_pfn_valid(m, pfn));
	ASSERT_TRUE(!memhp_pfn_to_online_page(m, pfn));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_TRUE(memhp_pfn_to_online_page(m, pfn) == memhp_pfn_to_page(m, pfn));
	ASSERT_TRUE(!memhp_pfn_to_online_page(m, memhp_max_pfn(m)));
	ASSERT_TRUE(!memhp_pfn_to_page(m, memhp_max_pfn(m) + 5));
}

static void a_descriptor_finds_its_own_machine(void)
{
	struct memhp_machine *a = tm_create(NULL), *b = tm_create(NULL);
	struct memhp_page *pa, *pb;

	ASSERT_TRUE(a && b);
	pa = memhp_alloc_pages(a, MEMHP_GFP_KERNEL, 0);
	pb = memhp_alloc_pages(b, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(pa && pb);
	ASSERT_TRUE(memhp_page_machine(pa) == a);
	ASSERT_TRUE(memhp_page_machine(pb) == b);
	ASSERT_EQ(memhp_page_to_pfn(pa), memhp_page_to_pfn(pb)); /* same allocator */
	ASSERT_TRUE(memhp_page_address(pa) != memhp_page_address(pb));
	memhp_put_page(pa);
	memhp_put_page(pb);
}

static void page_contents_are_real_host_memory(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_page *p;
	uint8_t *phys;

	ASSERT_TRUE(m);
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p);
	phys = (uint8_t *)memhp_phys_base(m) + (memhp_page_to_pfn(p) << MEMHP_PAGE_SHIFT);
	memset(memhp_page_address(p), 0x77, MEMHP_PAGE_SIZE);
	ASSERT_EQ(phys[MEMHP_PAGE_SIZE - 1], 0x77);
	ASSERT_EQ(memhp_host_resident(m, memhp_page_to_pfn(p) << MEMHP_PAGE_SHIFT, MEMHP_PAGE_SIZE),
		  1);
	memhp_put_page(p);
}

/* Whether this host's kernel has MADV_POPULATE_WRITE (5.14). */
static bool host_can_populate_write(void)
{
#ifdef MADV_POPULATE_WRITE
	void *p = mmap(NULL, MEMHP_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	bool ok = p != MAP_FAILED && !madvise(p, MEMHP_PAGE_SIZE, MADV_POPULATE_WRITE);

	if (p != MAP_FAILED)
		munmap(p, MEMHP_PAGE_SIZE);
	return ok;
#else
	return false;
#endif
}

static void prefaulting_makes_just_the_given_pages_resident(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct memhp_page *head, *pages[3];
	unsigned long pfn;
	uint64_t start;

	/* Page by page: without the host's huge pages, which would make the
	 * whole 2 MiB around them resident. */
	tm_config(&cfg);
	cfg.host_huge_pages = false;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	head = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 2);
	ASSERT_TRUE(head);
	pfn = memhp_page_to_pfn(head);
	start = (uint64_t)pfn << MEMHP_PAGE_SHIFT;
	ASSERT_EQ(memhp_host_resident(m, start, 4 * MEMHP_PAGE_SIZE), 0);
	/* Out of order, one run of three; the fourth page is not asked for. */
	pages[0] = memhp_pfn_to_page(m, pfn + 2);
	pages[1] = memhp_pfn_to_page(m, pfn);
	pages[2] = memhp_pfn_to_page(m, pfn + 1);
	memhp_host_prefault(pages, 3);
	ASSERT_EQ(memhp_host_resident(m, start, 3 * MEMHP_PAGE_SIZE),
		  host_can_populate_write() ? 3 : 0);
	ASSERT_EQ(memhp_host_resident(m, start + 3 * MEMHP_PAGE_SIZE, MEMHP_PAGE_SIZE), 0);
	memhp_free_pages(head, 2);
}

/* An address of boot RAM in every test machine, away from the holes below
 * 1 MiB. */
#define BOOT_RAM_INSIDE (64 * MEMHP_MiB)

/* THPeligible of the host mapping that holds @addr in /proc/self/smaps,
 * or -1 if it is not found. */
static int thp_eligible(const void *addr)
{
	char line[256];
	FILE *f = fopen("/proc/self/smaps", "r");
	bool in = false;
	int v = -1;

	if (!f)
		return -1;
	while (v < 0 && fgets(line, sizeof(line), f)) {
		unsigned long start, end;

		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') &&
		    strchr(line, '-') < strchr(line, ' '))
			in = start <= (unsigned long)addr && (unsigned long)addr < end;
		else if (in)
			sscanf(line, "THPeligible: %d", &v);
	}
	fclose(f);
	return v;
}

/* QEMU asks for huge pages for guest RAM: so does a machine, unless told
 * not to. Where the host hands them out only on request ("madvise"), the
 * request is what makes its memory eligible. */
static void guest_memory_asks_the_host_for_huge_pages_as_qemu_does(void)
{
	char mode[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	struct memhp_config cfg;
	struct memhp_machine *m;

	if (!f || !fgets(mode, sizeof(mode), f) || !strstr(mode, "[madvise]")) {
		if (f)
			fclose(f);
		SKIP("the host's THP mode is not madvise: %s", mode);
	}
	fclose(f);
	m = tm_create(NULL);
	ASSERT_TRUE(m);
	ASSERT_EQ(thp_eligible(m->phys + BOOT_RAM_INSIDE), 1);
	tm_config(&cfg);
	cfg.host_huge_pages = false;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	ASSERT_EQ(thp_eligible(m->phys + BOOT_RAM_INSIDE), 0);
}

static void bad_configurations_are_refused_with_a_reason(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;

	tm_config(&cfg);
	cfg.section_size = 3 * MEMHP_MiB;
	ASSERT_ERR(memhp_machine_create(&cfg, &m), -EINVAL);
	ASSERT_TRUE(strstr(memhp_config_error(), "section size"));
	tm_config(&cfg);
	cfg.block_size = 64 * MEMHP_MiB;
	ASSERT_ERR(memhp_machine_create(&cfg, &m), -EINVAL);
	tm_config(&cfg);
	cfg.pageblock_order = 11;
	ASSERT_ERR(memhp_machine_create(&cfg, &m), -EINVAL);
	tm_config(&cfg);
	cfg.boot[0].start = cfg.phys_size;
	ASSERT_ERR(memhp_machine_create(&cfg, &m), -EINVAL);
	tm_config(&cfg);
	cfg.phys_size = 1ULL << 45;
	ASSERT_ERR(memhp_machine_create(&cfg, &m), -EINVAL);
}

static void small_sections_clamp_the_largest_buddy_order(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;

	tm_config(&cfg);
	cfg.section_size = 2 * MEMHP_MiB;
	cfg.block_size = 2 * MEMHP_MiB;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	ASSERT_EQ(memhp_max_order(m), 9);
	ASSERT_OK(memhp_add_memory(m, 0, HOT, 4 * MEMHP_MiB, 0));
	ASSERT_OK(memhp_block_online(m, HOT / (2 * MEMHP_MiB), MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_block_offline(m, HOT / (2 * MEMHP_MiB)));
}

RUN_TESTS(T(a_descriptor_is_sixteen_bytes), T(get_page_unless_zero_fails_on_a_free_page),
	  T(the_last_put_frees_the_page_into_the_buddy),
	  T(the_last_put_of_a_pageoffline_page_is_a_bad_page_that_leaks),
	  T(freeing_a_page_that_still_belongs_to_an_owner_is_a_bad_page),
	  T(a_refcount_underflow_is_reported_as_a_bug_not_wrapped),
	  T(a_page_gets_a_type_only_if_it_has_none),
	  T(pfn_to_online_page_sees_only_online_sections), T(a_descriptor_finds_its_own_machine),
	  T(page_contents_are_real_host_memory), T(prefaulting_makes_just_the_given_pages_resident),
	  T(guest_memory_asks_the_host_for_huge_pages_as_qemu_does),
	  T(bad_configurations_are_refused_with_a_reason),
	  T(small_sections_clamp_the_largest_buddy_order))
