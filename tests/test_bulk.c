// SPDX-License-Identifier: MIT
/*
 * test_bulk.c - the bulk paths give the machine the per-page paths give.
 *
 * Two machines from one config and seed run the same virtio-mem story:
 * one takes the bulk paths (no PFN walker), the other is told of a PFN
 * walker before anything happens and so takes the per-page paths
 * throughout. After every step their memmaps (every descriptor, byte for
 * byte), free lists, zone counters, meminfo and driver state must be the
 * same, and each machine must have taken the path it was meant to.
 */
#include "harness.h"

#include "../src/mm/internal.h"

#include <stdlib.h>

#include <memhp/virtio_mem.h>
#include <memhp/virtio_mem_driver.h>

#define DEV_ADDR (4 * MEMHP_GiB)
#define DEV_SIZE (2 * MEMHP_GiB)
#define SB (2 * MEMHP_MiB)
#define BLOCK (128 * MEMHP_MiB)

struct twin {
	struct memhp_machine *m;
	struct memhp_vmem_dev *dev;
	struct memhp_vmem_drv *drv;
};

static void twin_down(void *arg)
{
	struct twin *t = arg;

	if (t->drv)
		EXPECT_EQ(memhp_vmem_drv_check(t->drv), 0);
	memhp_vmem_drv_remove(t->drv);
	memhp_vmem_dev_destroy(t->dev);
	t->drv = NULL;
	t->dev = NULL;
}

static bool twin_up(struct twin *t, enum memhp_protocol proto, bool walker)
{
	struct memhp_config cfg;
	struct memhp_vmem_dev_config dc = {
		.id = "vm0",
		.addr = DEV_ADDR,
		.region_size = DEV_SIZE,
		.block_size = SB,
	};
	struct memhp_vmem_drv_params p;

	tm_config(&cfg);
	cfg.auto_online_blocks = MEMHP_MMOP_ONLINE_MOVABLE;
	cfg.protocol = proto;
	t->m = tm_create(&cfg);
	if (!t->m)
		return false;
	if (walker)
		memhp_note_pfn_walker(t->m);
	tm_defer(twin_down, t);
	tm_expect_violations(t->m, MEMHP_RULE_VIRTIO_MEM_MEMORY_LEFT);
	if (memhp_vmem_dev_create(t->m, &dc, &t->dev))
		return false;
	memhp_vmem_drv_params_init(&p);
	p.sync = true;
	if (memhp_vmem_drv_probe(t->m, t->dev, &p, &t->drv))
		return false;
	memhp_vmem_drv_process(t->drv);
	return true;
}

static void resize(struct twin *t, uint64_t size)
{
	struct memhp_vmem_drv_info info;

	memhp_vmem_dev_set_requested_size(t->dev, size);
	memhp_vmem_dev_flush(t->dev);
	memhp_vmem_drv_process(t->drv);
	memhp_vmem_drv_info(t->drv, &info);
	EXPECT_EQ(info.plugged_size, size);
}

/* Every descriptor of every present section, the free lists, the zones,
 * meminfo and the checker's findings: the same on both machines. */
static bool same_memmap(struct memhp_machine *ma, struct memhp_machine *mb, const char *step)
{
	struct memhp_meminfo mia, mib;
	bool same = true;

	for (unsigned long nr = 0; nr < ma->nr_sections; nr++) {
		unsigned long pfn = section_nr_to_pfn(ma, nr);
		bool present = pfn_valid_m(ma, pfn);

		if (present != pfn_valid_m(mb, pfn) ||
		    section_flag(ma, nr, SECTION_IS_ONLINE) !=
			    section_flag(mb, nr, SECTION_IS_ONLINE)) {
			test_fail(__FILE__, __LINE__, "%s: section %lu differs", step, nr);
			return false;
		}
		if (!present)
			continue;
		for (unsigned long i = 0; i < ma->pages_per_section; i++) {
			const struct memhp_page *pa = pfn_to_page(ma, pfn + i),
						*pb = pfn_to_page(mb, pfn + i);

			if (memcmp(pa, pb, sizeof(*pa))) {
				test_fail(__FILE__, __LINE__,
					  "%s: pfn %#lx: %016llx %016llx vs %016llx %016llx", step,
					  pfn + i, (unsigned long long)pa->raw[0],
					  (unsigned long long)pa->raw[1],
					  (unsigned long long)pb->raw[0],
					  (unsigned long long)pb->raw[1]);
				return false;
			}
		}
		for (unsigned long pb = 0; pb < ma->pages_per_section; pb += ma->pageblock_nr_pages)
			same &= EXPECT_EQ(ma->pageblock_flags[pfn_to_pageblock(ma, pfn + pb)],
					  mb->pageblock_flags[pfn_to_pageblock(mb, pfn + pb)]);
	}
	for (int z = 0; z < MEMHP_NR_ZONES; z++) {
		struct memhp_zone_info za, zb;

		memhp_zone_info(ma, 0, (enum memhp_zone_type)z, &za);
		memhp_zone_info(mb, 0, (enum memhp_zone_type)z, &zb);
		same &= EXPECT_EQ(za.zone_start_pfn, zb.zone_start_pfn);
		same &= EXPECT_EQ(za.spanned_pages, zb.spanned_pages);
		same &= EXPECT_EQ(za.present_pages, zb.present_pages);
		same &= EXPECT_EQ(za.managed_pages, zb.managed_pages);
		same &= EXPECT_EQ(za.nr_free_pages, zb.nr_free_pages);
		same &= EXPECT_EQ(za.nr_isolate_pageblock, zb.nr_isolate_pageblock);
		for (unsigned int o = 0; o <= memhp_max_order(ma); o++)
			for (int mt = 0; mt < MEMHP_MIGRATE_TYPES; mt++) {
				struct free_list *la =
					&ma->node.node_zones[z].free_area[o].free_list[mt];
				struct free_list *lb =
					&mb->node.node_zones[z].free_area[o].free_list[mt];

				same &= EXPECT_EQ(la->head, lb->head);
				same &= EXPECT_EQ(la->tail, lb->tail);
				same &= EXPECT_EQ(memhp_zone_nr_free_chunks(
							  ma, 0, (enum memhp_zone_type)z, o, mt),
						  memhp_zone_nr_free_chunks(
							  mb, 0, (enum memhp_zone_type)z, o, mt));
			}
	}
	memhp_meminfo(ma, &mia);
	memhp_meminfo(mb, &mib);
	same &= EXPECT_TRUE(!memcmp(&mia, &mib, sizeof(mia)));
	same &= EXPECT_EQ(memhp_violations(ma, NULL), memhp_violations(mb, NULL));
	if (!same)
		test_fail(__FILE__, __LINE__, "%s: the machines differ", step);
	return same;
}

/* The same memmap, and the driver's view. */
static bool same_machine(struct twin *a, struct twin *b, const char *step)
{
	struct memhp_vmem_drv_info ia, ib;
	bool same = same_memmap(a->m, b->m, step);

	if (!same)
		return false;
	memhp_vmem_drv_info(a->drv, &ia);
	memhp_vmem_drv_info(b->drv, &ib);
	same &= EXPECT_EQ(ia.plugged_size, ib.plugged_size);
	same &= EXPECT_EQ(ia.next_id, ib.next_id);
	for (int s = 0; s < MEMHP_VMEM_SBM_NR_STATES; s++)
		same &= EXPECT_EQ(ia.count[s], ib.count[s]);
	if (!same)
		test_fail(__FILE__, __LINE__, "%s: the machines differ", step);
	return same;
}

static int veto_going_offline(struct memhp_notifier_block *nb, unsigned long action, void *arg)
{
	(void)nb;
	(void)arg;
	return action == MEMHP_MEM_GOING_OFFLINE ? memhp_notifier_from_errno(-EBUSY)
						 : MEMHP_NOTIFY_OK;
}

/*
 * Plug into a partly plugged block and out of it again, have an offline
 * cancelled after the driver let go of its pages, unplug online memory
 * whole blocks and sub-blocks at a time: every range primitive on both
 * paths, in the order the driver uses them.
 */
static void same_story(enum memhp_protocol proto)
{
	/* The harness takes the twins down after the test returns. */
	static struct twin a, b;
	struct twin *twins[] = { &a, &b };
	struct memhp_notifier_block veto[2] = { { .notifier_call = veto_going_offline },
						{ .notifier_call = veto_going_offline } };
	/* The block that ends up partly plugged: its unplugged sub-blocks are
	 * PageOffline, and offlining it makes the driver drop its refs. */
	const unsigned long partial = (DEV_ADDR + 8 * BLOCK) / BLOCK;
	unsigned long bulk;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ASSERT_TRUE(twin_up(&a, proto, false));
	ASSERT_TRUE(twin_up(&b, proto, true));
	ASSERT_FALSE(memhp_machine_has_pfn_walkers(a.m));
	ASSERT_TRUE(memhp_machine_has_pfn_walkers(b.m));

	for (int i = 0; i < 2; i++)
		resize(twins[i], 8 * BLOCK + 3 * SB);
	ASSERT_TRUE(same_machine(&a, &b, "plugged 1 GiB + 6 MiB"));

	for (int i = 0; i < 2; i++)
		resize(twins[i], 8 * BLOCK + 35 * SB);
	ASSERT_TRUE(same_machine(&a, &b, "plugged into the partial block"));

	bulk = atomic_load(&a.m->nr_bulk_updates);
	for (int i = 0; i < 2; i++) {
		ASSERT_OK(memhp_register_memory_notifier(twins[i]->m, &veto[i]));
		EXPECT_ERR(memhp_block_offline(twins[i]->m, partial), -EBUSY);
		memhp_unregister_memory_notifier(twins[i]->m, &veto[i]);
	}
	/* Under 6.1 the driver let go of each unplugged sub-block's pages
	 * and took them back; under 2025 it keeps its references. */
	if (proto == MEMHP_PROTOCOL_6_1)
		EXPECT_EQ(atomic_load(&a.m->nr_bulk_updates), bulk + 2 * (64 - 35));
	else
		EXPECT_EQ(atomic_load(&a.m->nr_bulk_updates), bulk);
	ASSERT_TRUE(same_machine(&a, &b, "an offline cancelled"));

	for (int i = 0; i < 2; i++)
		resize(twins[i], 3 * BLOCK + 5 * SB);
	ASSERT_TRUE(same_machine(&a, &b, "unplugged to 390 MiB"));

	for (int i = 0; i < 2; i++)
		resize(twins[i], 0);
	ASSERT_TRUE(same_machine(&a, &b, "unplugged to 0"));

	/* Each took its own path: a only bulk, b never. */
	EXPECT_TRUE(atomic_load(&a.m->nr_bulk_updates) > 0);
	EXPECT_EQ(atomic_load(&b.m->nr_bulk_updates), 0);
}

static void bulk_and_per_page_paths_give_the_same_machine_6_1(void)
{
	same_story(MEMHP_PROTOCOL_6_1);
}

static void bulk_and_per_page_paths_give_the_same_machine_2025(void)
{
	same_story(MEMHP_PROTOCOL_2025);
}

/* A walker noted while no bulk update runs: from then on, per page. */
static void a_pfn_walker_turns_the_bulk_paths_off_for_good(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_page *page;
	unsigned long before;

	ASSERT_TRUE(m);
	ASSERT_OK(tm_add_blocks(m, 4 * MEMHP_GiB, 1));
	ASSERT_OK(memhp_block_online(m, 32, MEMHP_MMOP_ONLINE_MOVABLE));
	page = tm_alloc_in(m, MEMHP_GFP_HIGHUSER_MOVABLE, tm_block_pfn(m, 32), tm_block_pfn(m, 33));
	ASSERT_TRUE(page);
	before = atomic_load(&m->nr_bulk_updates);
	memhp_page_ref_inc_range(m, memhp_page_to_pfn(page), 1);
	EXPECT_EQ(atomic_load(&m->nr_bulk_updates), before + 1);
	EXPECT_EQ(memhp_page_count(page), 2);
	/* A walker's speculative reference: the machine leaves bulk. */
	EXPECT_TRUE(memhp_get_page_unless_zero(page));
	EXPECT_TRUE(memhp_machine_has_pfn_walkers(m));
	memhp_page_ref_dec_range(m, memhp_page_to_pfn(page), 2 - 1, NULL, NULL);
	EXPECT_EQ(atomic_load(&m->nr_bulk_updates), before + 1);
	EXPECT_EQ(memhp_page_count(page), 2);
	memhp_put_page(page);
	memhp_put_page(page);
}

/* ---- Migration ---------------------------------------------------------------- */

#define MIG_FIRST_BLOCK 32 /* 4 GiB */
#define MIG_BLOCKS 4

/* A machine with MIG_BLOCKS movable blocks, most of them full of data. */
static struct memhp_data *mig_machine(struct memhp_machine **mp, bool walker)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_data *d;

	*mp = m;
	if (!m)
		return NULL;
	if (walker)
		memhp_note_pfn_walker(m);
	if (tm_add_blocks(m, MIG_FIRST_BLOCK * memhp_block_size(m), MIG_BLOCKS))
		return NULL;
	for (int i = 0; i < MIG_BLOCKS; i++)
		if (memhp_block_online(m, MIG_FIRST_BLOCK + i, MEMHP_MMOP_ONLINE_MOVABLE))
			return NULL;
	if (memhp_data_create(m, &d))
		return NULL;
	if (memhp_data_alloc(d, 5 * memhp_pages_per_block(m) / 2, 0) == 0)
		return NULL;
	return d;
}

/* The memmaps, where every page of data is now, what it holds, and the
 * counters migration moves: the same on both machines. */
static bool same_data(struct memhp_machine *ma, struct memhp_data *da, struct memhp_machine *mb,
		      struct memhp_data *db, const char *step)
{
	static const enum memhp_vmstat_item items[] = {
		MEMHP_PGMIGRATE_SUCCESS, MEMHP_PGMIGRATE_FAIL,	MEMHP_PGFREE,
		MEMHP_PGALLOC_NORMAL,	 MEMHP_PGALLOC_MOVABLE,
	};
	bool same = same_memmap(ma, mb, step);

	same &= EXPECT_EQ(memhp_data_nr_slots(da), memhp_data_nr_slots(db));
	same &= EXPECT_EQ(memhp_data_nr_migrated(da), memhp_data_nr_migrated(db));
	for (unsigned long i = 0; same && i < memhp_data_nr_slots(da); i++)
		same &= EXPECT_EQ(memhp_data_pfn(da, i), memhp_data_pfn(db, i));
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		same &= EXPECT_EQ(memhp_vmstat(ma, items[i]), memhp_vmstat(mb, items[i]));
	same &= EXPECT_EQ(memhp_data_verify(da, NULL), 0);
	same &= EXPECT_EQ(memhp_data_verify(db, NULL), 0);
	if (!same)
		test_fail(__FILE__, __LINE__, "%s: the machines differ", step);
	return same;
}

/*
 * Migration's bulk path (a batch of targets, the copies, the switches,
 * the sources freed under one zone lock) leaves the machine the per-page
 * path leaves: offlining a block half full of data (the zone's per-cpu
 * lists disabled), offlining with targets and migrations failing on
 * their Nth attempt, and alloc_contig_range() (the per-cpu lists in use).
 */
static void migration_bulk_and_per_page_paths_give_the_same_machine(void)
{
	struct memhp_machine *m[2];
	struct memhp_data *d[2];
	unsigned long bulk, contig;

	for (int i = 0; i < 2; i++) {
		d[i] = mig_machine(&m[i], i == 1);
		ASSERT_TRUE(d[i]);
	}
	ASSERT_TRUE(same_data(m[0], d[0], m[1], d[1], "filled"));
	bulk = atomic_load(&m[0]->nr_bulk_updates);

	for (int i = 0; i < 2; i++) {
		const unsigned long start = tm_block_pfn(m[i], MIG_FIRST_BLOCK);

		ASSERT_GT(memhp_data_free_range(d[i], start, start + memhp_pages_per_block(m[i]),
						memhp_pages_per_block(m[i]) / 2),
			  0);
		ASSERT_OK(memhp_block_offline(m[i], MIG_FIRST_BLOCK));
	}
	ASSERT_GT(memhp_data_nr_migrated(d[0]), MIGRATE_BATCH);
	ASSERT_TRUE(same_data(m[0], d[0], m[1], d[1], "offlined a block half full"));

	for (int i = 0; i < 2; i++) {
		memhp_fault_arm(m[i], MEMHP_FAULT_MIGRATE_TARGET, 100, 3);
		memhp_fault_arm(m[i], MEMHP_FAULT_MIGRATION, 45, 5);
		ASSERT_OK(memhp_block_offline(m[i], MIG_FIRST_BLOCK + 1));
		EXPECT_EQ(memhp_fault_hits(m[i], MEMHP_FAULT_MIGRATE_TARGET), 3);
		EXPECT_EQ(memhp_fault_hits(m[i], MEMHP_FAULT_MIGRATION), 5);
		memhp_fault_set(m[i], MEMHP_FAULT_MIGRATE_TARGET, 0);
		memhp_fault_set(m[i], MEMHP_FAULT_MIGRATION, 0);
	}
	ASSERT_TRUE(same_data(m[0], d[0], m[1], d[1], "offlined a full block, faults injected"));

	contig = tm_block_pfn(m[0], MIG_FIRST_BLOCK + 2);
	for (int i = 0; i < 2; i++)
		ASSERT_OK(memhp_alloc_contig_range(m[i], contig, contig + 1024,
						   MEMHP_GFP_HIGHUSER_MOVABLE));
	ASSERT_TRUE(same_data(m[0], d[0], m[1], d[1], "alloc_contig_range"));
	for (int i = 0; i < 2; i++)
		memhp_free_contig_range(m[i], contig, 1024);
	ASSERT_TRUE(same_data(m[0], d[0], m[1], d[1], "free_contig_range"));

	/* Each took its own path: a in batches, b never. */
	EXPECT_TRUE(atomic_load(&m[0]->nr_bulk_updates) > bulk);
	EXPECT_EQ(atomic_load(&m[1]->nr_bulk_updates), 0);
	for (int i = 0; i < 2; i++)
		memhp_data_destroy(d[i]);
}

/*
 * An owner refusing the switch in the middle of a batch: both paths have
 * taken the batch's targets before, and give the refused one back at the
 * same point, so the machines stay the same.
 */
static void migration_refused_mid_batch_leaves_the_same_machine_on_both_paths(void)
{
	struct memhp_machine *m[2];
	struct memhp_data *d[2];
	unsigned long contig = 0;

	for (int i = 0; i < 2; i++) {
		d[i] = mig_machine(&m[i], i == 1);
		ASSERT_TRUE(d[i]);
		contig = tm_block_pfn(m[i], MIG_FIRST_BLOCK + 1);
		memhp_data_refuse_migration(d[i], true);
		EXPECT_ERR(memhp_alloc_contig_range(m[i], contig, contig + 1024,
						    MEMHP_GFP_HIGHUSER_MOVABLE),
			   -EBUSY);
		memhp_data_refuse_migration(d[i], false);
	}
	EXPECT_EQ(memhp_vmstat(m[0], MEMHP_PGMIGRATE_SUCCESS), 0);
	ASSERT_TRUE(same_data(m[0], d[0], m[1], d[1], "alloc_contig_range refused"));
	for (int i = 0; i < 2; i++)
		ASSERT_OK(memhp_alloc_contig_range(m[i], contig, contig + 1024,
						   MEMHP_GFP_HIGHUSER_MOVABLE));
	ASSERT_GT(memhp_vmstat(m[0], MEMHP_PGMIGRATE_SUCCESS), MIGRATE_BATCH);
	ASSERT_TRUE(same_data(m[0], d[0], m[1], d[1], "then let through"));
	for (int i = 0; i < 2; i++) {
		memhp_free_contig_range(m[i], contig, 1024);
		memhp_data_destroy(d[i]);
	}
}

/* An owner of a few pages that refuses its first page for good and
 * notes, at each switch, how many pages the machine had handed out. */
#define BATCH_OWNER_PAGES (MIGRATE_BATCH + 8)
struct batch_owner {
	struct memhp_machine *m;
	struct memhp_page *page[BATCH_OWNER_PAGES];
	struct memhp_page *target[BATCH_OWNER_PAGES];
	long allocated_at[BATCH_OWNER_PAGES];
	long allocated_before;
};

static long pages_allocated(struct memhp_machine *m)
{
	return memhp_vmstat(m, MEMHP_PGALLOC_NORMAL) + memhp_vmstat(m, MEMHP_PGALLOC_MOVABLE);
}

static bool batch_isolate(struct memhp_page *page, void *owner)
{
	return ((struct batch_owner *)owner)->page[memhp_page_private(page)] == page;
}

static int batch_migrate(struct memhp_page *dst, struct memhp_page *src, void *owner)
{
	struct batch_owner *b = owner;
	uint32_t i = memhp_page_private(src);

	/* The first attempt: alloc_contig_range() tries again. */
	if (!b->target[i]) {
		b->allocated_at[i] = pages_allocated(b->m) - b->allocated_before;
		b->target[i] = dst;
	}
	if (i == 0)
		return -EBUSY;
	b->page[i] = dst;
	return 0;
}

static void batch_putback(struct memhp_page *page, void *owner)
{
	(void)page;
	(void)owner;
}

/*
 * A deliberate difference from 6.1 (docs/semantics.md, "Deviations"): the
 * targets of a batch of base pages are all taken before the first page is
 * copied and switched, as Linux 6.3's migrate_pages_batch() takes them,
 * on both paths; 6.1 takes one, moves its page, then takes the next. So
 * a refused target goes back after the batch's later targets were taken,
 * and the next page does not get it back, as it would under 6.1.
 */
static void migration_takes_a_batch_of_targets_before_the_first_switch(void)
{
	static const struct memhp_movable_operations ops = {
		.name = "batch",
		.isolate_page = batch_isolate,
		.migrate_page = batch_migrate,
		.putback_page = batch_putback,
	};

	for (int walker = 0; walker < 2; walker++) {
		struct memhp_machine *m = tm_create(NULL);
		struct batch_owner b = { .m = m };
		unsigned long start, end, n = 0, nr_held = 0;
		struct memhp_page **held;
		int id;

		ASSERT_TRUE(m);
		if (walker)
			memhp_note_pfn_walker(m);
		ASSERT_OK(tm_add_blocks(m, MIG_FIRST_BLOCK * memhp_block_size(m), 2));
		for (int i = 0; i < 2; i++)
			ASSERT_OK(memhp_block_online(m, MIG_FIRST_BLOCK + i,
						     MEMHP_MMOP_ONLINE_MOVABLE));
		start = tm_block_pfn(m, MIG_FIRST_BLOCK);
		end = start + memhp_pages_per_block(m);
		id = memhp_register_movable_owner(m, &ops, &b);
		ASSERT_GT(id, 0);
		held = calloc(2 * memhp_pages_per_block(m), sizeof(*held));
		ASSERT_TRUE(held);
		while (n < BATCH_OWNER_PAGES) {
			struct memhp_page *p = memhp_alloc_pages(m, MEMHP_GFP_HIGHUSER_MOVABLE, 0);
			unsigned long pfn;

			ASSERT_TRUE(p);
			pfn = memhp_page_to_pfn(p);
			if (pfn < start || pfn >= end) {
				held[nr_held++] = p;
				continue;
			}
			b.page[n] = p;
			memhp_SetPageMovable(p, id, (uint32_t)n);
			n++;
		}
		for (unsigned long i = 0; i < nr_held; i++)
			memhp_put_page(held[i]);
		free(held);
		b.allocated_before = pages_allocated(m);

		/* The first page is refused for good: offlining cannot finish;
		 * alloc_contig_range() of the block gives up. */
		EXPECT_ERR(memhp_alloc_contig_range(m, start, end, MEMHP_GFP_HIGHUSER_MOVABLE),
			   -EBUSY);

		EXPECT_EQ(b.allocated_at[0], MIGRATE_BATCH);
		EXPECT_EQ(b.allocated_at[1], MIGRATE_BATCH);
		EXPECT_TRUE(b.target[1] != b.target[0]);
		/* The pages after the first batch: their own batch. */
		EXPECT_EQ(b.allocated_at[MIGRATE_BATCH], BATCH_OWNER_PAGES);
		for (int i = 1; i < BATCH_OWNER_PAGES; i++)
			EXPECT_EQ(memhp_page_owner(b.page[i]), id);
		memhp_ClearPageMovable(b.page[0]);
		memhp_put_page(b.page[0]);
		for (int i = 1; i < BATCH_OWNER_PAGES; i++) {
			memhp_ClearPageMovable(b.page[i]);
			memhp_put_page(b.page[i]);
		}
		memhp_unregister_movable_owner(m, id);
	}
}

RUN_TESTS(T(bulk_and_per_page_paths_give_the_same_machine_6_1),
	  T(bulk_and_per_page_paths_give_the_same_machine_2025),
	  T(a_pfn_walker_turns_the_bulk_paths_off_for_good),
	  T(migration_bulk_and_per_page_paths_give_the_same_machine),
	  T(migration_refused_mid_batch_leaves_the_same_machine_on_both_paths),
	  T(migration_takes_a_batch_of_targets_before_the_first_switch))
