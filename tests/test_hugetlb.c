// SPDX-License-Identifier: MIT
/*
 * test_hugetlb.c - compound pages: hugetlb pools and what offlining and
 * alloc_contig_range() do with their pages, gigantic pages, THPs migrated
 * whole or split, and the checker's rule that a huge page is whole.
 *
 * Linux's answers come from a Debian 6.1 guest under QEMU
 * (tests/guest/alloc.sh; docs/linux-comparison.md, case h).
 */
#include "harness.h"

#include "../src/mm/internal.h"

#include <stdlib.h>

#define HOT (4 * MEMHP_GiB)
#define B0 32
#define HUGE_PAGES_PER_BLOCK 64 /* 2 MiB pages in a 128 MiB block */

struct hp {
	unsigned long total, free, surplus;
};

static struct hp pool(struct memhp_machine *m, int hstate)
{
	struct memhp_hugetlb_info hi;

	memhp_hugetlb_info(m, hstate, MEMHP_NUMA_NO_NODE, &hi);
	return (struct hp){ hi.nr_hugepages, hi.free_hugepages, hi.surplus_hugepages };
}

/* Huge page heads in block @id. */
static unsigned long huge_in_block(struct memhp_machine *m, unsigned long id)
{
	unsigned long n = 0;

	for (unsigned long pfn = tm_block_pfn(m, id); pfn < tm_block_pfn(m, id + 1); pfn += 512) {
		struct memhp_page *p = memhp_pfn_to_online_page(m, pfn);

		n += p && memhp_PageHuge(p) && memhp_PageHead(p);
	}
	return n;
}

/* A 1 GiB guest with @blocks hot-added blocks onlined @type. */
static struct memhp_machine *machine_blocks(unsigned long blocks, int type, bool gigantic)
{
	struct memhp_config cfg;
	struct memhp_machine *m;

	memhp_config_init(&cfg, 1 * MEMHP_GiB);
	cfg.phys_size = 64 * MEMHP_GiB;
	cfg.kaslr = false;
	cfg.check_after_ops = true;
	cfg.hugetlb_gigantic = gigantic;
	m = tm_create(&cfg);
	if (!m || tm_add_blocks(m, HOT, blocks))
		return NULL;
	for (unsigned long id = B0; id < B0 + blocks; id++)
		if (memhp_block_online(m, id, type))
			return NULL;
	return m;
}

static void destroy_file(void *f)
{
	memhp_hugetlbfs_destroy(f);
}

/* ---- The pool ------------------------------------------------------------ */

/* GFP_HIGHUSER_MOVABLE: a Debian guest with a 1 GiB DIMM online_movable
 * put 60 of 64 pages in its first block, 4 in the second. */
static void nr_hugepages_grows_the_pool_from_zone_movable_first(void)
{
	struct memhp_machine *m = machine_blocks(8, MEMHP_MMOP_ONLINE_MOVABLE, false);
	unsigned long in_movable = 0;

	ASSERT_TRUE(m);
	ASSERT_EQ(memhp_hugetlb_nr_hstates(m), 1);
	ASSERT_EQ(memhp_hugetlb_hstate(m, 2048), 0);
	ASSERT_OK(memhp_hugetlb_set_nr(m, 0, MEMHP_NUMA_NO_NODE, 64));
	ASSERT_EQ(pool(m, 0).total, 64);
	ASSERT_EQ(pool(m, 0).free, 64);
	for (unsigned long id = B0; id < B0 + 8; id++)
		in_movable += huge_in_block(m, id);
	ASSERT_EQ(in_movable, 64);
	ASSERT_EQ(huge_in_block(m, B0), HUGE_PAGES_PER_BLOCK);
	ASSERT_OK(memhp_hugetlb_set_nr(m, 0, MEMHP_NUMA_NO_NODE, 0));
	ASSERT_EQ(pool(m, 0).total, 0);
}

/* The pool grows until the buddy has no 2 MiB chunk left, and the write
 * still succeeds with what it got. */
static void nr_hugepages_stops_at_what_the_buddy_can_give(void)
{
	struct memhp_machine *m = machine_blocks(1, MEMHP_MMOP_ONLINE_MOVABLE, false);
	unsigned long total;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_hugetlb_set_nr(m, 0, MEMHP_NUMA_NO_NODE, 100000));
	total = pool(m, 0).total;
	ASSERT_TRUE(total >= HUGE_PAGES_PER_BLOCK && total < 100000);
	ASSERT_OK(memhp_hugetlb_set_nr(m, 0, MEMHP_NUMA_NO_NODE, 0));
	ASSERT_EQ(pool(m, 0).total, 0);
}

/* Shrinking below what is in use makes the rest surplus; they go to the
 * buddy when freed. */
static void shrinking_below_the_pages_in_use_makes_them_surplus(void)
{
	struct memhp_machine *m = machine_blocks(1, MEMHP_MMOP_ONLINE_MOVABLE, false);
	struct memhp_hugetlbfs *f;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_hugetlb_set_nr(m, 0, MEMHP_NUMA_NO_NODE, 8));
	ASSERT_OK(memhp_hugetlbfs_create(m, 0, &f));
	tm_defer(destroy_file, f);
	ASSERT_EQ(memhp_hugetlbfs_fallocate(f, 6), 6);
	ASSERT_EQ(pool(m, 0).free, 2);
	ASSERT_OK(memhp_hugetlb_set_nr(m, 0, MEMHP_NUMA_NO_NODE, 2));
	ASSERT_EQ(pool(m, 0).total, 6);
	ASSERT_EQ(pool(m, 0).free, 0);
	ASSERT_EQ(pool(m, 0).surplus, 4);
	memhp_hugetlbfs_truncate(f, 6);
	ASSERT_EQ(pool(m, 0).total, 2);
	ASSERT_EQ(pool(m, 0).surplus, 0);
	ASSERT_EQ(pool(m, 0).free, 2);
}

/* A file takes what the pool has free, then ENOSPC (the guest's
 * fallocate of 16 MiB on a pool of 4 pages took 4). */
static void a_file_takes_pool_pages_until_enospc(void)
{
	struct memhp_machine *m = machine_blocks(1, MEMHP_MMOP_ONLINE_MOVABLE, false);
	struct memhp_hugetlbfs *f;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_hugetlb_set_nr(m, 0, MEMHP_NUMA_NO_NODE, 4));
	ASSERT_OK(memhp_hugetlbfs_create(m, 0, &f));
	tm_defer(destroy_file, f);
	ASSERT_EQ(memhp_hugetlbfs_fallocate(f, 8), 4);
	ASSERT_EQ(memhp_hugetlbfs_fallocate(f, 1), -ENOSPC);
	ASSERT_EQ(pool(m, 0).free, 0);
	/* With overcommit a file may take surplus pages from the buddy. */
	ASSERT_OK(memhp_hugetlb_set_overcommit(m, 0, 2));
	ASSERT_EQ(memhp_hugetlbfs_fallocate(f, 4), 2);
	ASSERT_EQ(pool(m, 0).surplus, 2);
	ASSERT_EQ(memhp_hugetlbfs_verify(f), 0);
}

/* ---- Offlining ----------------------------------------------------------- */

/* dissolve_free_huge_pages(): the guest offlined a block holding 60 free
 * huge pages of a pool of 64, and the pool was 4 afterwards. */
static void offline_dissolves_free_huge_pages_and_the_pool_shrinks(void)
{
	struct memhp_machine *m = machine_blocks(2, MEMHP_MMOP_ONLINE_MOVABLE, false);
	unsigned long in_b0;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_hugetlb_set_nr(m, 0, MEMHP_NUMA_NO_NODE, 80));
	in_b0 = huge_in_block(m, B0);
	ASSERT_GT(in_b0, 0);
	ASSERT_OK(memhp_block_offline(m, B0));
	ASSERT_EQ(pool(m, 0).total, 80 - in_b0);
	ASSERT_EQ(pool(m, 0).free, 80 - in_b0);
}

/* One in-use page, free pages outside: it moves to the pool page at the
 * head of the free list, and the page it leaves is dissolved. */
static void offline_migrates_an_in_use_huge_page_into_the_pool(void)
{
	struct memhp_machine *m = machine_blocks(2, MEMHP_MMOP_ONLINE_MOVABLE, false);
	struct memhp_hugetlbfs *f;
	unsigned long src, dst;

	ASSERT_TRUE(m);
	/* 64 pages fill the first block, the 65th is alone in the second
	 * and, freed last, first on the free list: the file takes it. */
	ASSERT_OK(memhp_hugetlb_set_nr(m, 0, MEMHP_NUMA_NO_NODE, HUGE_PAGES_PER_BLOCK + 1));
	ASSERT_EQ(huge_in_block(m, B0 + 1), 1);
	ASSERT_OK(memhp_hugetlbfs_create(m, 0, &f));
	tm_defer(destroy_file, f);
	ASSERT_EQ(memhp_hugetlbfs_fallocate(f, 1), 1);
	src = memhp_hugetlbfs_pfn(f, 0);
	ASSERT_EQ(src / memhp_pages_per_block(m), B0 + 1);
	ASSERT_OK(memhp_block_offline(m, B0 + 1));
	dst = memhp_hugetlbfs_pfn(f, 0);
	ASSERT_EQ(dst / memhp_pages_per_block(m), B0);
	ASSERT_EQ(memhp_hugetlbfs_nr_migrated(f), 1);
	ASSERT_EQ(memhp_hugetlbfs_verify(f), 0);
	/* The target came from the pool; the page it left was dissolved. */
	ASSERT_EQ(pool(m, 0).total, HUGE_PAGES_PER_BLOCK);
	ASSERT_EQ(pool(m, 0).free, HUGE_PAGES_PER_BLOCK - 1);
}

/* No free page in the pool: the target is a temporary page from the
 * buddy, and the page left behind takes over its temporary status and
 * goes to the buddy: the pool keeps its size. */
static void with_no_free_pool_page_the_target_is_temporary(void)
{
	struct memhp_machine *m = machine_blocks(2, MEMHP_MMOP_ONLINE_MOVABLE, false);
	struct memhp_hugetlbfs *f;
	unsigned long src;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_hugetlb_set_nr(m, 0, MEMHP_NUMA_NO_NODE, 2));
	ASSERT_OK(memhp_hugetlbfs_create(m, 0, &f));
	tm_defer(destroy_file, f);
	ASSERT_EQ(memhp_hugetlbfs_fallocate(f, 2), 2);
	src = memhp_hugetlbfs_pfn(f, 0);
	ASSERT_OK(memhp_block_offline(m, src / memhp_pages_per_block(m)));
	ASSERT_EQ(memhp_hugetlbfs_verify(f), 0);
	ASSERT_EQ(pool(m, 0).total, 2);
	ASSERT_EQ(pool(m, 0).free, 0);
	ASSERT_EQ(pool(m, 0).surplus, 0);
}

struct stop_after {
	int rounds, seen;
	struct memhp_task *task;
};

static void stop_event(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct stop_after *s = priv;

	(void)m;
	(void)ev;
	if (++s->seen == s->rounds)
		memhp_task_signal(s->task);
}

/*
 * 6.1's dequeue_huge_page_node_exact() hands out the free page at the head
 * of the list, wherever it lies, and a migrated page's old home goes back
 * to the head. Two in-use pages in a block: the first moves out and its
 * old page is next; the second moves into it, inside the block; the next
 * round finds it there and moves it back: offlining never ends. The
 * Debian guest's offline of such a block ran until its 60 s timeout.
 */
static void in_use_huge_pages_ping_pong_inside_the_block_until_a_signal(void)
{
	struct memhp_machine *m = machine_blocks(2, MEMHP_MMOP_ONLINE_MOVABLE, false);
	struct stop_after s = { .rounds = 20, .task = memhp_current_task() };
	struct memhp_hugetlbfs *f;
	unsigned long blk;
	AUTO_REG sub = { 0 };

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_hugetlb_set_nr(m, 0, MEMHP_NUMA_NO_NODE, 2));
	ASSERT_OK(memhp_hugetlbfs_create(m, 0, &f));
	tm_defer(destroy_file, f);
	ASSERT_EQ(memhp_hugetlbfs_fallocate(f, 2), 2);
	blk = memhp_hugetlbfs_pfn(f, 0) / memhp_pages_per_block(m);
	ASSERT_EQ(memhp_hugetlbfs_pfn(f, 1) / memhp_pages_per_block(m), blk);
	/* Free pages elsewhere: the first target lies outside the block. */
	ASSERT_OK(memhp_hugetlb_set_nr(m, 0, MEMHP_NUMA_NO_NODE, 10));
	ASSERT_OK(tm_event_subscribe(&sub, m, MEMHP_EVENT_BIT(MEMHP_TP_MIGRATE_ROUND_END),
				     stop_event, &s));
	ASSERT_ERR(memhp_block_offline(m, blk), -EINTR);
	tm_unregister(&sub);
	memhp_task_clear_signal(memhp_current_task());
	ASSERT_EQ(s.seen, s.rounds);
	ASSERT_GT(memhp_hugetlbfs_nr_migrated(f), 10);
	ASSERT_EQ(memhp_hugetlbfs_verify(f), 0);
	ASSERT_EQ(pool(m, 0).total, 10);
}

/* A huge page that cannot move (pinned) keeps the offline retrying. */
static void a_pinned_huge_page_keeps_offline_retrying(void)
{
	struct memhp_machine *m = machine_blocks(2, MEMHP_MMOP_ONLINE_MOVABLE, false);
	struct stop_after s = { .rounds = 5, .task = memhp_current_task() };
	struct memhp_hugetlbfs *f;
	unsigned long blk;
	AUTO_REG sub = { 0 };

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_hugetlb_set_nr(m, 0, MEMHP_NUMA_NO_NODE, 1));
	ASSERT_OK(memhp_hugetlbfs_create(m, 0, &f));
	tm_defer(destroy_file, f);
	ASSERT_EQ(memhp_hugetlbfs_fallocate(f, 1), 1);
	memhp_hugetlbfs_pin(f, 0, true);
	blk = memhp_hugetlbfs_pfn(f, 0) / memhp_pages_per_block(m);
	ASSERT_OK(tm_event_subscribe(&sub, m, MEMHP_EVENT_BIT(MEMHP_TP_MIGRATE_ROUND_END),
				     stop_event, &s));
	ASSERT_ERR(memhp_block_offline(m, blk), -EINTR);
	tm_unregister(&sub);
	memhp_task_clear_signal(memhp_current_task());
	memhp_hugetlbfs_pin(f, 0, false);
	{
		struct memhp_block_info bi;

		ASSERT_OK(memhp_block_info(m, blk, &bi));
		ASSERT_EQ(bi.state, MEMHP_MEM_ONLINE);
	}
	ASSERT_OK(memhp_block_offline(m, blk));
	ASSERT_EQ(memhp_hugetlbfs_verify(f), 0);
}

/* ---- alloc_contig_range() ---------------------------------------------------- */

/* isolate_or_dissolve_huge_page(): a free huge page in the range is
 * replaced by a fresh one elsewhere (alloc_and_dissolve_huge_page()), an
 * in-use one migrated: the pool keeps its size, unlike with offlining. */
static void alloc_contig_range_replaces_free_huge_pages_and_the_pool_keeps_its_size(void)
{
	struct memhp_machine *m = machine_blocks(2, MEMHP_MMOP_ONLINE_MOVABLE, false);
	unsigned long pfn = 0;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_hugetlb_set_nr(m, 0, MEMHP_NUMA_NO_NODE, 4));
	for (unsigned long p = tm_block_pfn(m, B0); p < tm_block_pfn(m, B0 + 2); p += 512)
		if (memhp_PageHuge(memhp_pfn_to_page(m, p))) {
			pfn = p;
			break;
		}
	ASSERT_NE(pfn, 0);
	ASSERT_OK(memhp_alloc_contig_range(m, pfn, pfn + 512, MEMHP_GFP_KERNEL));
	ASSERT_EQ(pool(m, 0).total, 4);
	ASSERT_EQ(pool(m, 0).free, 4);
	ASSERT_FALSE(memhp_PageHuge(memhp_pfn_to_page(m, pfn)));
	memhp_free_contig_range(m, pfn, 512);
}

/* ---- Gigantic pages -------------------------------------------------------- */

/* hugepage_movable_supported() is false for 1 GiB pages: GFP_HIGHUSER,
 * never ZONE_MOVABLE. The guest's write of 1 with its DIMM online_movable
 * gave 0. */
static void gigantic_pages_never_come_from_zone_movable(void)
{
	struct memhp_machine *m = machine_blocks(16, MEMHP_MMOP_ONLINE_MOVABLE, true);
	int h;

	ASSERT_TRUE(m);
	h = memhp_hugetlb_hstate(m, 1048576);
	ASSERT_EQ(h, 1);
	ASSERT_OK(memhp_hugetlb_set_nr(m, h, MEMHP_NUMA_NO_NODE, 1));
	ASSERT_EQ(pool(m, h).total, 0);
	/* Never surplus either. */
	ASSERT_ERR(memhp_hugetlb_set_overcommit(m, h, 1), -EINVAL);
}

/* In ZONE_NORMAL, alloc_contig_pages() takes a free aligned GiB. Offlining
 * one of its blocks dissolves it; a file's one cannot be migrated
 * (alloc_migrate_huge_page() never makes gigantic pages) and keeps the
 * offline retrying. */
static void a_gigantic_page_in_zone_normal_is_dissolved_or_pins_its_blocks(void)
{
	struct memhp_machine *m = machine_blocks(8, MEMHP_MMOP_ONLINE_KERNEL, true);
	struct stop_after s = { .rounds = 3, .task = memhp_current_task() };
	struct memhp_hugetlbfs *f;
	unsigned long head;
	int h;
	AUTO_REG sub = { 0 };

	ASSERT_TRUE(m);
	h = memhp_hugetlb_hstate(m, 1048576);
	ASSERT_OK(memhp_hugetlb_set_nr(m, h, MEMHP_NUMA_NO_NODE, 1));
	ASSERT_EQ(pool(m, h).total, 1);
	ASSERT_OK(memhp_hugetlbfs_create(m, h, &f));
	tm_defer(destroy_file, f);
	ASSERT_EQ(memhp_hugetlbfs_fallocate(f, 1), 1);
	head = memhp_hugetlbfs_pfn(f, 0);
	ASSERT_EQ(head, tm_block_pfn(m, B0));
	ASSERT_OK(tm_event_subscribe(&sub, m, MEMHP_EVENT_BIT(MEMHP_TP_MIGRATE_ROUND_END),
				     stop_event, &s));
	ASSERT_ERR(memhp_block_offline(m, B0 + 3), -EINTR);
	tm_unregister(&sub);
	memhp_task_clear_signal(memhp_current_task());
	memhp_hugetlbfs_truncate(f, 1);
	ASSERT_EQ(pool(m, h).free, 1);
	ASSERT_OK(memhp_block_offline(m, B0 + 3));
	ASSERT_EQ(pool(m, h).total, 0);
}

/* ---- THP ------------------------------------------------------------------------ */

static void destroy_thp(void *t)
{
	memhp_thp_destroy(t);
}

/* A THP goes to a new 2 MiB page as one: 1 migration, still huge. */
static void offline_migrates_a_thp_whole(void)
{
	struct memhp_machine *m = machine_blocks(2, MEMHP_MMOP_ONLINE_MOVABLE, false);
	struct memhp_thp *t;
	unsigned long blk;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_thp_create(m, &t));
	tm_defer(destroy_thp, t);
	ASSERT_EQ(memhp_thp_alloc(t, 2), 2);
	ASSERT_EQ(memhp_thp_nr_huge(t), 2);
	ASSERT_TRUE(memhp_PageTransHuge(memhp_pfn_to_page(m, memhp_thp_pfn(t, 0))));
	ASSERT_TRUE(memhp_PageLRU(memhp_pfn_to_page(m, memhp_thp_pfn(t, 0))));
	blk = memhp_thp_pfn(t, 0) / memhp_pages_per_block(m);
	ASSERT_OK(memhp_block_offline(m, blk));
	ASSERT_EQ(memhp_thp_nr_huge(t), 2);
	ASSERT_EQ(memhp_thp_nr_split(t), 0);
	ASSERT_EQ(memhp_thp_nr_migrated(t), 2);
	ASSERT_NE(memhp_thp_pfn(t, 0) / memhp_pages_per_block(m), blk);
	ASSERT_EQ(memhp_thp_verify(t), 0);
}

/* In a kernel zone a THP not on the LRU is unmovable to isolation
 * (has_unmovable_pages()), the whole of it. */
static void a_thp_off_the_lru_fails_isolation_in_zone_normal(void)
{
	struct memhp_machine *m = machine_blocks(1, MEMHP_MMOP_ONLINE_KERNEL, false);
	struct memhp_page *p;
	unsigned long pfn;

	ASSERT_TRUE(m);
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL | MEMHP___GFP_COMP, 9);
	ASSERT_TRUE(p);
	pfn = memhp_page_to_pfn(p);
	ASSERT_TRUE(memhp_PageHead(p) && memhp_PageTail(memhp_pfn_to_page(m, pfn + 100)));
	ASSERT_EQ(memhp_compound_order(memhp_pfn_to_page(m, pfn + 100)), 9);
	ASSERT_ERR(memhp_alloc_contig_range(m, pfn, pfn + 512, MEMHP_GFP_KERNEL), -EBUSY);
	/* A put on a tail is a put on the head: the last one frees all 512. */
	memhp_put_page(memhp_pfn_to_page(m, pfn + 7));
	ASSERT_EQ(memhp_page_count(p), 0);
	ASSERT_FALSE(memhp_PageHead(p));
}

/*
 * No 2 MiB target anywhere: migrate_pages() gets -ENOMEM for the THP,
 * splits it (try_split_folio()) and moves its 512 pages one by one into
 * the scattered free pages there are.
 */
static void a_thp_is_split_when_no_2m_target_can_be_had(void)
{
	struct memhp_machine *m = machine_blocks(2, MEMHP_MMOP_ONLINE_MOVABLE, false);
	struct memhp_page **held;
	unsigned long n = 0, cap, blk;
	struct memhp_thp *t;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_thp_create(m, &t));
	tm_defer(destroy_thp, t);
	ASSERT_EQ(memhp_thp_alloc(t, 1), 1);
	blk = memhp_thp_pfn(t, 0) / memhp_pages_per_block(m);
	/* Take every free page of the machine, then give back those of the
	 * THP's block (isolated while it goes: no target there) and every
	 * other one elsewhere: plenty of order-0 pages, no two of them
	 * buddies. */
	cap = tm_free_pages(m) + 1;
	held = calloc(cap, sizeof(*held));
	ASSERT_TRUE(held);
	tm_defer(free, held);
	while (n < cap && (held[n] = memhp_alloc_pages(m, MEMHP_GFP_HIGHUSER_MOVABLE, 0)))
		n++;
	for (unsigned long i = 0; i < n; i++) {
		unsigned long pfn = memhp_page_to_pfn(held[i]);

		if (pfn % 2 || pfn / memhp_pages_per_block(m) == blk) {
			memhp_put_page(held[i]);
			held[i] = NULL;
		}
	}
	ASSERT_OK(memhp_block_offline(m, blk));
	ASSERT_EQ(memhp_thp_nr_split(t), 1);
	ASSERT_EQ(memhp_thp_nr_huge(t), 0);
	ASSERT_EQ(memhp_thp_verify(t), 0);
	for (unsigned long i = 0; i < n; i++)
		if (held[i])
			memhp_put_page(held[i]);
}

/* ---- The checker ---------------------------------------------------------------- */

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

static void a_tail_that_is_not_its_heads_is_found(void)
{
	struct memhp_machine *m = machine_blocks(1, MEMHP_MMOP_ONLINE_MOVABLE, false);
	struct memhp_page *head;

	ASSERT_TRUE(m);
	tm_skip_final_check(m);
	ASSERT_OK(memhp_hugetlb_set_nr(m, 0, MEMHP_NUMA_NO_NODE, 1));
	head = memhp_pfn_to_page(m, tm_block_pfn(m, B0));
	ASSERT_TRUE(memhp_PageHuge(head) && memhp_PageHead(head));
	ASSERT_EQ(rule_count(m, MEMHP_RULE_COMPOUND), 0);
	clear_page_flag(head + 100, PG_tail);
	ASSERT_GT(rule_count(m, MEMHP_RULE_COMPOUND), 0);
}

static void a_pool_count_that_disagrees_with_the_memmap_is_found(void)
{
	struct memhp_machine *m = machine_blocks(1, MEMHP_MMOP_ONLINE_MOVABLE, false);

	ASSERT_TRUE(m);
	tm_skip_final_check(m);
	ASSERT_OK(memhp_hugetlb_set_nr(m, 0, MEMHP_NUMA_NO_NODE, 2));
	pthread_mutex_lock(&m->hugetlb_lock);
	m->hstates[0].nr_huge_pages++;
	pthread_mutex_unlock(&m->hugetlb_lock);
	ASSERT_GT(rule_count(m, MEMHP_RULE_COMPOUND), 0);
}

RUN_TESTS(T(nr_hugepages_grows_the_pool_from_zone_movable_first),
	  T(nr_hugepages_stops_at_what_the_buddy_can_give),
	  T(shrinking_below_the_pages_in_use_makes_them_surplus),
	  T(a_file_takes_pool_pages_until_enospc),
	  T(offline_dissolves_free_huge_pages_and_the_pool_shrinks),
	  T(offline_migrates_an_in_use_huge_page_into_the_pool),
	  T(with_no_free_pool_page_the_target_is_temporary),
	  T(in_use_huge_pages_ping_pong_inside_the_block_until_a_signal),
	  T(a_pinned_huge_page_keeps_offline_retrying),
	  T(alloc_contig_range_replaces_free_huge_pages_and_the_pool_keeps_its_size),
	  T(gigantic_pages_never_come_from_zone_movable),
	  T(a_gigantic_page_in_zone_normal_is_dissolved_or_pins_its_blocks),
	  T(offline_migrates_a_thp_whole), T(a_thp_off_the_lru_fails_isolation_in_zone_normal),
	  T(a_thp_is_split_when_no_2m_target_can_be_had), T(a_tail_that_is_not_its_heads_is_found),
	  T(a_pool_count_that_disagrees_with_the_memmap_is_found))
