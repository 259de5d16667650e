// SPDX-License-Identifier: MIT
/*
 * test_offline.c - offline_pages() and the block state machine.
 *
 * The machine: 512 MiB of boot RAM below 4 GiB; blocks are hot-added at
 * 4 GiB (memory32 onwards), where no zone spans yet.
 */
#include "harness.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define HOT (4 * MEMHP_GiB)
#define B0 32 /* block id at HOT */

static struct memhp_machine *machine_with_blocks(unsigned long nr, enum memhp_online_type type)
{
	struct memhp_machine *m = tm_create(NULL);

	if (!m || tm_add_blocks(m, HOT, nr))
		return NULL;
	for (unsigned long i = 0; i < nr && type != MEMHP_MMOP_OFFLINE; i++)
		if (memhp_block_online(m, B0 + i, type))
			return NULL;
	return m;
}

static void zone(struct memhp_machine *m, enum memhp_zone_type z, struct memhp_zone_info *zi)
{
	memhp_zone_info(m, 0, z, zi);
}

/* Resident host pages of [addr, addr + len), by mincore(). */
static unsigned long resident(void *addr, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = (len + pg - 1) / pg, count = 0;
	unsigned char *vec = calloc(n, 1);

	if (mincore(addr, len, vec)) {
		free(vec);
		return ~0UL;
	}
	for (size_t i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

static void offline_free_block_moves_present_managed_and_memtotal(void)
{
	struct memhp_machine *m = machine_with_blocks(2, MEMHP_MMOP_ONLINE_MOVABLE);
	struct memhp_zone_info before, after;
	struct memhp_meminfo mi0, mi1;

	ASSERT_TRUE(m);
	const unsigned long block = memhp_pages_per_block(m);
	zone(m, MEMHP_ZONE_MOVABLE, &before);
	memhp_meminfo(m, &mi0);
	ASSERT_OK(memhp_block_offline(m, B0 + 1));
	zone(m, MEMHP_ZONE_MOVABLE, &after);
	memhp_meminfo(m, &mi1);

	ASSERT_EQ(before.present_pages - after.present_pages, block);
	ASSERT_EQ(before.managed_pages - after.managed_pages, block);
	ASSERT_EQ(mi0.total_pages - mi1.total_pages, block);
	ASSERT_EQ(mi0.free_pages - mi1.free_pages, block);
	/* The block was at the end of the zone: the span shrinks. */
	ASSERT_EQ(before.spanned_pages - after.spanned_pages, block);
	ASSERT_EQ(after.nr_isolate_pageblock, 0);
}

static void offline_migrates_movable_pages_and_owners_see_new_pfns(void)
{
	struct memhp_machine *m = machine_with_blocks(2, MEMHP_MMOP_ONLINE_MOVABLE);
	struct memhp_data *d;
	unsigned long in_block = 0, verified, slots;

	ASSERT_TRUE(m);
	const unsigned long start = tm_block_pfn(m, B0), end = start + memhp_pages_per_block(m);
	ASSERT_OK(memhp_data_create(m, &d));
	ASSERT_GT(memhp_data_alloc(d, 3 * memhp_pages_per_block(m) / 2, 0), 0);
	slots = memhp_data_nr_slots(d);
	for (unsigned long i = 0; i < slots; i++) {
		unsigned long pfn = memhp_data_pfn(d, i);

		in_block += pfn >= start && pfn < end;
	}
	ASSERT_GT(in_block, 0);

	ASSERT_OK(memhp_block_offline(m, B0));

	ASSERT_EQ(memhp_data_nr_migrated(d), in_block);
	for (unsigned long i = 0; i < slots; i++) {
		unsigned long pfn = memhp_data_pfn(d, i);

		ASSERT_TRUE(pfn < start || pfn >= end);
	}
	ASSERT_EQ(memhp_data_verify(d, &verified), 0);
	ASSERT_EQ(verified, memhp_data_nr_pages(d));
	memhp_data_destroy(d);
}

/* An owner that lets go of each page the moment it has switched to it, as
 * a concurrent free right after the switch would. */
struct eager_owner {
	struct memhp_page *page;     /* its one page */
	struct memhp_page *released; /* the target it let go of */
};

static bool eager_isolate(struct memhp_page *page, void *owner)
{
	return ((struct eager_owner *)owner)->page == page;
}

static int eager_migrate(struct memhp_page *dst, struct memhp_page *src, void *owner)
{
	struct eager_owner *e = owner;

	(void)src;
	e->page = NULL;
	e->released = dst;
	memhp_ClearPageMovable(dst);
	memhp_put_page(dst);
	return 0;
}

static void eager_putback(struct memhp_page *page, void *owner)
{
	(void)page;
	(void)owner;
}

static void migration_never_touches_the_target_after_the_owner_switched(void)
{
	static const struct memhp_movable_operations ops = {
		.name = "eager",
		.isolate_page = eager_isolate,
		.migrate_page = eager_migrate,
		.putback_page = eager_putback,
	};
	struct memhp_machine *m = machine_with_blocks(2, MEMHP_MMOP_ONLINE_MOVABLE);
	struct eager_owner e = { 0 };
	int id;

	ASSERT_TRUE(m);
	const unsigned long start = tm_block_pfn(m, B0);
	id = memhp_register_movable_owner(m, &ops, &e);
	ASSERT_GT(id, 0);
	e.page =
		tm_alloc_in(m, MEMHP_GFP_HIGHUSER_MOVABLE, start, start + memhp_pages_per_block(m));
	ASSERT_TRUE(e.page);
	memhp_SetPageMovable(e.page, id, 0);

	ASSERT_OK(memhp_block_offline(m, B0));

	/* The target went back to the buddy inside the callback; marking it
	 * movable afterwards would leave a free page flagged, or flag the
	 * page of whoever allocated it next. */
	ASSERT_TRUE(e.released);
	ASSERT_EQ(memhp_page_count(e.released), 0);
	ASSERT_TRUE(!memhp_PageMovable(e.released));
	memhp_unregister_movable_owner(m, id);
}

static void offline_fails_ebusy_on_unmovable_page_in_zone_normal_without_any_event(void)
{
	struct memhp_machine *m = machine_with_blocks(1, MEMHP_MMOP_ONLINE_KERNEL);
	AUTO_EVENT_LOG log = { 0 };
	struct memhp_meminfo mi0, mi1;
	struct memhp_zone_info z0, z1;
	struct memhp_page *p;
	char buf[MEMHP_SYSFS_BUF];

	ASSERT_TRUE(m);
	const unsigned long start = tm_block_pfn(m, B0);
	p = tm_alloc_in(m, MEMHP_GFP_KERNEL, start, start + memhp_pages_per_block(m));
	ASSERT_TRUE(p);
	event_log_register(m, &log, 0);
	memhp_meminfo(m, &mi0);
	zone(m, MEMHP_ZONE_NORMAL, &z0);

	ASSERT_ERR(memhp_store_state(m, B0, "offline", 7, false), -EBUSY);

	ASSERT_EQ(log.n, 0); /* isolation failed: no notifier event at all */
	memhp_meminfo(m, &mi1);
	zone(m, MEMHP_ZONE_NORMAL, &z1);
	/* Every free page is back where offlining can tell (it drained the
	 * per-cpu lists into the buddy on its way). */
	ASSERT_EQ(mi1.free_pages + mi1.pcp_pages, mi0.free_pages + mi0.pcp_pages);
	ASSERT_EQ(mi1.total_pages, mi0.total_pages);
	ASSERT_EQ(z1.nr_isolate_pageblock, 0);
	memhp_show_state(m, B0, buf);
	ASSERT_STREQ(buf, "online\n");
	memhp_put_page(p);
	event_log_unregister(&log);
}

static void offline_succeeds_in_zone_movable_with_the_same_unmovable_page_only_if_it_goes(void)
{
	/* In ZONE_MOVABLE isolation does not look at refcounts: an unmovable
	 * page passes it and the loop retries until the page is freed. */
	struct memhp_machine *m = machine_with_blocks(1, MEMHP_MMOP_ONLINE_MOVABLE);
	struct memhp_page *p;

	ASSERT_TRUE(m);
	const unsigned long start = tm_block_pfn(m, B0);
	/* A page in the movable zone that will not move: allocate it movable
	 * and keep it without an owner. */
	p = tm_alloc_in(m, MEMHP_GFP_HIGHUSER_MOVABLE, start, start + memhp_pages_per_block(m));
	ASSERT_TRUE(p);
	memhp_put_page(p);
	ASSERT_OK(memhp_block_offline(m, B0));
}

struct abort_after {
	int rounds;
	int seen;
	struct memhp_task *task;
};

static void abort_event(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct abort_after *a = priv;

	(void)m;
	(void)ev;
	if (++a->seen == a->rounds)
		memhp_task_signal(a->task);
}

static void offline_with_endless_migration_failure_is_aborted_by_a_signal(void)
{
	struct memhp_machine *m = machine_with_blocks(2, MEMHP_MMOP_ONLINE_MOVABLE);
	struct abort_after a = { .rounds = 5, .task = memhp_current_task() };
	AUTO_EVENT_LOG log = { 0 };
	struct memhp_meminfo mi0, mi1;
	struct memhp_zone_info z;
	struct memhp_data *d;
	unsigned long verified;
	char buf[MEMHP_SYSFS_BUF];
	AUTO_REG sub = { 0 };

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_data_create(m, &d));
	ASSERT_GT(memhp_data_alloc(d, memhp_pages_per_block(m) + 100, 0), 0);
	memhp_data_refuse_migration(d, true);
	event_log_register(m, &log, 0);
	ASSERT_OK(tm_event_subscribe(&sub, m, MEMHP_EVENT_BIT(MEMHP_TP_MIGRATE_ROUND_END),
				     abort_event, &a));
	memhp_meminfo(m, &mi0);

	ASSERT_ERR(memhp_store_state(m, B0, "offline\n", 8, false), -EINTR);

	memhp_task_clear_signal(memhp_current_task());
	ASSERT_EQ(a.seen, a.rounds);
	ASSERT_TRUE(event_log_saw(&log, MEMHP_MEM_GOING_OFFLINE));
	ASSERT_TRUE(event_log_saw(&log, MEMHP_MEM_CANCEL_OFFLINE));
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi1.free_pages + mi1.pcp_pages, mi0.free_pages + mi0.pcp_pages);
	ASSERT_EQ(mi1.total_pages, mi0.total_pages);
	zone(m, MEMHP_ZONE_MOVABLE, &z);
	ASSERT_EQ(z.nr_isolate_pageblock, 0);
	memhp_show_state(m, B0, buf);
	ASSERT_STREQ(buf, "online\n");
	ASSERT_EQ(memhp_data_verify(d, &verified), 0);
	ASSERT_EQ(verified, memhp_data_nr_pages(d));
	tm_unregister(&sub);
	event_log_unregister(&log);
	memhp_data_destroy(d);
}

static void offline_retries_injected_migration_failures_until_they_stop(void)
{
	struct memhp_machine *m = machine_with_blocks(2, MEMHP_MMOP_ONLINE_MOVABLE);
	struct memhp_data *d;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_data_create(m, &d));
	ASSERT_GT(memhp_data_alloc(d, memhp_pages_per_block(m) + 100, 0), 0);
	memhp_fault_set(m, MEMHP_FAULT_MIGRATION, 25);
	ASSERT_OK(memhp_block_offline(m, B0));
	ASSERT_EQ(memhp_fault_hits(m, MEMHP_FAULT_MIGRATION), 25);
	ASSERT_EQ(memhp_data_verify(d, NULL), 0);
	memhp_data_destroy(d);
}

/* ---- The state machine and its two files ---------------------------------------- */

static void state_write_of_the_current_state_is_einval(void)
{
	struct memhp_machine *m = machine_with_blocks(1, MEMHP_MMOP_OFFLINE);

	ASSERT_TRUE(m);
	ASSERT_ERR(memhp_store_state(m, B0, "offline", 7, false), -EINVAL);
	ASSERT_ERR(memhp_store_state(m, B0, "online", 6, false), 6);
	ASSERT_ERR(memhp_store_state(m, B0, "online", 6, false), -EINVAL);
	ASSERT_ERR(memhp_store_state(m, B0, "online_movable", 14, false), -EINVAL);
}

static void online_write_of_the_current_value_succeeds(void)
{
	struct memhp_machine *m = machine_with_blocks(1, MEMHP_MMOP_OFFLINE);
	char buf[MEMHP_SYSFS_BUF];

	ASSERT_TRUE(m);
	ASSERT_ERR(memhp_store_online(m, B0, "0", 1, false), 1);
	ASSERT_ERR(memhp_store_online(m, B0, "1\n", 2, false), 2);
	ASSERT_ERR(memhp_store_online(m, B0, "1", 1, false), 1);
	memhp_show_online(m, B0, buf, false);
	ASSERT_STREQ(buf, "1\n");
	ASSERT_ERR(memhp_store_online(m, B0, "off", 3, false), 3);
	memhp_show_online(m, B0, buf, false);
	ASSERT_STREQ(buf, "0\n");
}

static void online_write_of_1_uses_the_plain_online_type(void)
{
	struct memhp_machine *m = machine_with_blocks(2, MEMHP_MMOP_OFFLINE);
	struct memhp_block_info bi;

	ASSERT_TRUE(m);
	/* auto_online_blocks does not matter for the online file... */
	ASSERT_ERR(memhp_store_auto_online_blocks(m, "online_movable", 14), 14);
	ASSERT_ERR(memhp_store_online(m, B0, "1", 1, false), 1);
	memhp_block_info(m, B0, &bi);
	/* ...MMOP_ONLINE with contig-zones picks the kernel zone when no zone
	 * spans the block. */
	ASSERT_EQ(bi.zone, MEMHP_ZONE_NORMAL);
	ASSERT_ERR(memhp_store_state(m, B0 + 1, "online_movable", 14, false), 14);
	memhp_block_info(m, B0 + 1, &bi);
	ASSERT_EQ(bi.zone, MEMHP_ZONE_MOVABLE);
}

struct going {
	struct memhp_notifier_block nb;
	char state[MEMHP_SYSFS_BUF], zones[MEMHP_SYSFS_BUF];
	struct memhp_machine *m;
};

static int going_cb(struct memhp_notifier_block *nb, unsigned long action, void *data)
{
	struct going *g = nb->priv;

	(void)data;
	if (action == MEMHP_MEM_GOING_OFFLINE) {
		memhp_show_state(g->m, B0, g->state);
		memhp_show_valid_zones(g->m, B0, g->zones);
	}
	return MEMHP_NOTIFY_OK;
}

static void state_reads_going_offline_while_offline_runs(void)
{
	struct memhp_machine *m = machine_with_blocks(1, MEMHP_MMOP_ONLINE_MOVABLE);
	struct going g = { .m = m };
	AUTO_REG notifier = { 0 };

	ASSERT_TRUE(m);
	g.nb.notifier_call = going_cb;
	g.nb.priv = &g;
	tm_register_notifier(&notifier, m, &g.nb);
	ASSERT_OK(memhp_block_offline(m, B0));
	ASSERT_STREQ(g.state, "going-offline\n");
	/* While going offline, valid_zones shows the offline form. */
	ASSERT_STREQ(g.zones, "Movable Normal\n");
	tm_unregister(&notifier);
}

static void valid_zones_strings_match_6_1(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	char buf[MEMHP_SYSFS_BUF];

	tm_config(&cfg);
	/* Boot memory up to 512 MiB, the rest of the low 4 GiB free to add. */
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	ASSERT_OK(tm_add_blocks(m, HOT, 3));
	ASSERT_OK(tm_add_blocks(m, 1 * MEMHP_GiB, 1));

	memhp_show_valid_zones(m, 0, buf);
	ASSERT_STREQ(buf, "none\n"); /* memory0: DMA and DMA32 */
	memhp_show_valid_zones(m, 1, buf);
	ASSERT_STREQ(buf, "DMA32\n");
	/* Below 4 GiB but outside DMA32's span: 6.1 offers Normal first. */
	memhp_show_valid_zones(m, 8, buf);
	ASSERT_STREQ(buf, "Normal Movable\n");
	memhp_show_valid_zones(m, B0, buf); /* nothing spans it yet */
	ASSERT_STREQ(buf, "Normal Movable\n");
	ASSERT_OK(memhp_block_offline(m, 1)); /* a boot block, inside DMA32 */
	memhp_show_valid_zones(m, 1, buf);
	ASSERT_STREQ(buf, "DMA32 Movable\n");
	ASSERT_OK(memhp_block_online(m, 1, MEMHP_MMOP_ONLINE));
	memhp_show_valid_zones(m, 1, buf);
	ASSERT_STREQ(buf, "DMA32\n");

	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_block_online(m, B0 + 2, MEMHP_MMOP_ONLINE_MOVABLE));
	memhp_show_valid_zones(m, B0, buf);
	ASSERT_STREQ(buf, "Movable\n");
	memhp_show_valid_zones(m, B0 + 1, buf); /* inside Movable's span */
	ASSERT_STREQ(buf, "Movable Normal\n");
	ASSERT_OK(memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_KERNEL));
	memhp_show_valid_zones(m, B0 + 1, buf);
	ASSERT_STREQ(buf, "Normal\n");
}

static void offline_of_a_multizone_boot_block_is_einval(void)
{
	struct memhp_machine *m = tm_create(NULL);

	ASSERT_TRUE(m);
	ASSERT_ERR(memhp_store_state(m, 0, "offline", 7, false), -EINVAL);
}

static void offline_of_a_boot_block_with_a_hole_is_einval(void)
{
	struct memhp_machine *m = tm_create(NULL);

	ASSERT_TRUE(m);
	/* q35 keeps the last 128 KiB below 512 MiB for firmware. */
	ASSERT_ERR(memhp_store_state(m, 3, "offline", 7, false), -EINVAL);
}

static void offline_of_the_block_holding_the_boot_memmap_is_ebusy(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;

	tm_config(&cfg);
	memhp_config_init(&cfg, 4 * MEMHP_GiB);
	cfg.phys_size = 64 * MEMHP_GiB;
	cfg.check_after_ops = true;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	/* memblock put the boot memmap at the top of RAM: memory47 (6 GiB). */
	ASSERT_ERR(memhp_store_state(m, 47, "offline", 7, false), -EBUSY);
	ASSERT_ERR(memhp_store_state(m, 46, "offline", 7, false), 7);
}

/* ---- Adding and removing ---------------------------------------------------------- */

static void remove_of_an_online_block_is_ebusy(void)
{
	struct memhp_machine *m = machine_with_blocks(1, MEMHP_MMOP_ONLINE_MOVABLE);

	ASSERT_TRUE(m);
	ASSERT_ERR(memhp_remove_memory(m, HOT, memhp_block_size(m)), -EBUSY);
	ASSERT_EQ(memhp_nr_blocks(m), 5);
}

/* Deviation: 6.1 BUG()s on these; memhp refuses them (docs/semantics.md). */
static void remove_of_a_misaligned_or_absent_range_is_einval_where_6_1_would_bug(void)
{
	struct memhp_machine *m = machine_with_blocks(1, MEMHP_MMOP_OFFLINE);

	ASSERT_TRUE(m);
	ASSERT_ERR(memhp_remove_memory(m, HOT + 4096, memhp_block_size(m)), -EINVAL);
	ASSERT_ERR(memhp_remove_memory(m, HOT, memhp_block_size(m) / 2), -EINVAL);
	ASSERT_ERR(memhp_remove_memory(m, HOT, 2 * memhp_block_size(m)), -EINVAL);
	ASSERT_EQ(memhp_nr_blocks(m), 5);
	ASSERT_OK(memhp_remove_memory(m, HOT, memhp_block_size(m)));
}

static void remove_after_offline_frees_memmap_and_host_memory(void)
{
	struct memhp_machine *m = machine_with_blocks(1, MEMHP_MMOP_ONLINE_MOVABLE);
	struct memhp_page *first;
	struct memhp_meminfo mi0, mi1;
	unsigned long touched;

	ASSERT_TRUE(m);
	const unsigned long pfn = tm_block_pfn(m, B0);
	uint8_t *host = (uint8_t *)memhp_phys_base(m) + HOT;
	memhp_meminfo(m, &mi0);
	memset(host, 0x5a, memhp_block_size(m)); /* the guest used it all */
	touched = resident(host, memhp_block_size(m));
	ASSERT_EQ(touched, memhp_block_size(m) / (unsigned long)sysconf(_SC_PAGESIZE));
	first = memhp_pfn_to_page(m, pfn);
	ASSERT_TRUE(first);

	ASSERT_OK(memhp_block_offline(m, B0));
	ASSERT_OK(memhp_remove_memory(m, HOT, memhp_block_size(m)));

	ASSERT_EQ(resident(host, memhp_block_size(m)), 0);
	/* The block's descriptors read as zeroes: a stale walker gets no
	 * reference. (The host keeps them for the next hot-add of the
	 * section: test_host_memory.) */
	ASSERT_EQ(memhp_page_count(first), 0);
	ASSERT_FALSE(memhp_get_page_unless_zero(first));
	ASSERT_FALSE(memhp_PageOffline(first));
	ASSERT_TRUE(!memhp_pfn_valid(m, pfn));
	ASSERT_TRUE(!memhp_pfn_to_online_page(m, pfn));
	ASSERT_EQ(memhp_nr_blocks(m), 4);
	memhp_meminfo(m, &mi1);
	/* The memmap the kernel had charged for the section is free again. */
	ASSERT_EQ(mi1.free_pages + mi1.pcp_pages -
			  (mi0.free_pages + mi0.pcp_pages - memhp_pages_per_block(m)),
		  memhp_pages_per_block(m) * 64 / MEMHP_PAGE_SIZE);
}

static void hot_add_charges_the_memmap_to_kernel_memory(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_meminfo mi0, mi1;

	ASSERT_TRUE(m);
	memhp_meminfo(m, &mi0);
	ASSERT_OK(tm_add_blocks(m, HOT, 2));
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi0.free_pages - mi1.free_pages,
		  2 * memhp_pages_per_block(m) * 64 / MEMHP_PAGE_SIZE);
	ASSERT_EQ(mi0.total_pages, mi1.total_pages);
}

/*
 * A hot-add that runs out of kernel memory for its memmap part of the way
 * fails with -ENOMEM, and 6.1 keeps the sections it had added: __add_pages()
 * breaks out of its loop, x86's add_pages() WARNs once, nothing undoes them.
 * Their memmap stays allocated, their pfns valid, with no memory block; the
 * range answers -EEXIST from then on.
 */
static void a_hot_add_out_of_memmap_memory_leaves_its_first_sections_as_6_1_does(void)
{
	struct memhp_machine *m = tm_create(NULL);
	const unsigned long section_memmap =
		memhp_machine_config(m)->section_size / MEMHP_PAGE_SIZE * 64 / MEMHP_PAGE_SIZE;
	const unsigned long hot_pfn = HOT / MEMHP_PAGE_SIZE;
	const size_t boot_blocks = memhp_nr_blocks(m);
	struct memhp_meminfo mi0, mi1;

	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_HOT_ADD_LEAK);
	memhp_meminfo(m, &mi0);
	/* 32 GiB of memmap is 512 MiB: more than this 512 MiB machine has. */
	ASSERT_ERR(memhp_add_memory(m, 0, HOT, 32 * MEMHP_GiB, 0), -ENOMEM);
	memhp_meminfo(m, &mi1);
	ASSERT_TRUE(mi0.free_pages - mi1.free_pages >= section_memmap,
		    "the sections added before the failure keep their memmap");
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_HOT_ADD_LEAK), 1);
	ASSERT_TRUE(memhp_pfn_valid(m, hot_pfn));
	ASSERT_TRUE(!memhp_pfn_to_online_page(m, hot_pfn));
	ASSERT_EQ(memhp_nr_blocks(m), boot_blocks);
	ASSERT_ERR(memhp_add_memory(m, 0, HOT, memhp_block_size(m), 0), -EEXIST);

	/* The WARN is a WARN_ON_ONCE. */
	ASSERT_ERR(memhp_add_memory(m, 0, 40 * MEMHP_GiB, 16 * MEMHP_GiB, 0), -ENOMEM);
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_HOT_ADD_LEAK), 1);
}

static void add_memory_rejects_bad_ranges_with_the_kernel_errnos(void)
{
	struct memhp_machine *m = tm_create(NULL);
	const uint64_t bs = 128 * MEMHP_MiB;

	ASSERT_TRUE(m);
	ASSERT_ERR(memhp_add_memory(m, 0, HOT + 4096, bs, 0), -EINVAL);
	ASSERT_ERR(memhp_add_memory(m, 0, HOT, bs / 2, 0), -EINVAL);
	ASSERT_ERR(memhp_add_memory(m, 0, HOT, 0, 0), -EINVAL);
	ASSERT_ERR(memhp_add_memory(m, 0, 64 * MEMHP_GiB, bs, 0), -E2BIG);
	ASSERT_ERR(memhp_add_memory(m, 0, 0, bs, 0), -EEXIST); /* boot RAM */
	ASSERT_OK(memhp_add_memory(m, 0, HOT, bs, 0));
	ASSERT_ERR(memhp_add_memory(m, 0, HOT, 2 * bs, 0), -EEXIST);
	ASSERT_ERR(memhp_add_memory(m, 1, HOT + bs, bs, 0), -EINVAL); /* no node 1 */
	ASSERT_ERR(memhp_add_memory_driver_managed(m, 0, HOT + bs, bs, "virtio_mem", 0), -EINVAL);
	ASSERT_ERR(memhp_add_memory_driver_managed(m, 0, HOT + bs, bs, "System RAM (x", 0),
		   -EINVAL);
	ASSERT_OK(
		memhp_add_memory_driver_managed(m, 0, HOT + bs, bs, "System RAM (virtio_mem)", 0));
	ASSERT_ERR(memhp_add_memory(m, 0, HOT + bs, bs, MEMHP_MHP_MEMMAP_ON_MEMORY), -EEXIST);
	/* memmap_on_memory is off for this machine. */
	ASSERT_ERR(memhp_add_memory(m, 0, HOT + 2 * bs, bs, MEMHP_MHP_MEMMAP_ON_MEMORY), -EINVAL);
	ASSERT_EQ(memhp_nr_blocks(m), 6);
}

static void auto_online_blocks_onlines_added_memory_with_its_type(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct memhp_block_info bi;

	tm_config(&cfg);
	cfg.auto_online_blocks = MEMHP_MMOP_ONLINE_MOVABLE;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	ASSERT_OK(tm_add_blocks(m, HOT, 2));
	for (int i = 0; i < 2; i++) {
		memhp_block_info(m, B0 + i, &bi);
		ASSERT_EQ(bi.state, MEMHP_MEM_ONLINE);
		ASSERT_EQ(bi.zone, MEMHP_ZONE_MOVABLE);
	}
	ASSERT_ERR(memhp_store_auto_online_blocks(m, "offline\n", 8), 8);
	ASSERT_OK(tm_add_blocks(m, HOT + 2 * memhp_block_size(m), 1));
	memhp_block_info(m, B0 + 2, &bi);
	ASSERT_EQ(bi.state, MEMHP_MEM_OFFLINE);
}

static void auto_online_failure_is_silent_and_add_memory_succeeds(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	AUTO_EVENT_LOG log = { .veto_on = MEMHP_MEM_GOING_ONLINE, .veto_ret = MEMHP_NOTIFY_BAD };
	struct memhp_block_info bi;

	tm_config(&cfg);
	cfg.auto_online_blocks = MEMHP_MMOP_ONLINE;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	event_log_register(m, &log, 0);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	memhp_block_info(m, B0, &bi);
	ASSERT_EQ(bi.state, MEMHP_MEM_OFFLINE);
	ASSERT_TRUE(event_log_saw(&log, MEMHP_MEM_CANCEL_ONLINE));
	event_log_unregister(&log);
}

static void offline_and_remove_memory_reonlines_with_the_old_zone_on_failure(void)
{
	struct memhp_machine *m = machine_with_blocks(2, MEMHP_MMOP_ONLINE_MOVABLE);
	struct memhp_block_info bi;
	struct memhp_page *p;

	ASSERT_TRUE(m);
	const unsigned long second = tm_block_pfn(m, B0 + 1);
	/* A page in the second block that a driver keeps PG_reserved and
	 * unmanaged (as hv_balloon does): isolation fails there, even in
	 * ZONE_MOVABLE. */
	p = tm_alloc_in(m, MEMHP_GFP_HIGHUSER_MOVABLE, second, second + memhp_pages_per_block(m));
	ASSERT_TRUE(p);
	memhp_SetPageReserved(p);
	memhp_adjust_managed_page_count(p, -1);

	ASSERT_ERR(memhp_offline_and_remove_memory(m, HOT, 2 * memhp_block_size(m)), -EBUSY);
	memhp_block_info(m, B0, &bi);
	ASSERT_EQ(bi.state, MEMHP_MEM_ONLINE);
	ASSERT_EQ(bi.zone, MEMHP_ZONE_MOVABLE);
	memhp_ClearPageReserved(p);
	memhp_adjust_managed_page_count(p, 1);
	memhp_put_page(p);
	ASSERT_OK(memhp_offline_and_remove_memory(m, HOT, 2 * memhp_block_size(m)));
	ASSERT_EQ(memhp_nr_blocks(m), 4);
	ASSERT_ERR(memhp_offline_and_remove_memory(m, HOT + 4096, memhp_block_size(m)), -EINVAL);
}

static void memmap_on_memory_accounts_vmemmap_pages_as_present_not_managed(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct memhp_zone_info z0, z1, z2;
	struct memhp_meminfo mi0, mi1;
	struct memhp_block_info bi;
	const unsigned long vmemmap = 128 * MEMHP_MiB / MEMHP_PAGE_SIZE * 64 / MEMHP_PAGE_SIZE;
	struct memhp_page *p;

	tm_config(&cfg);
	cfg.memmap_on_memory = true;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	zone(m, MEMHP_ZONE_MOVABLE, &z0);
	memhp_meminfo(m, &mi0);
	ASSERT_OK(memhp_add_memory(m, 0, HOT, memhp_block_size(m), MEMHP_MHP_MEMMAP_ON_MEMORY));
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi1.free_pages, mi0.free_pages); /* nothing charged to the kernel */
	memhp_block_info(m, B0, &bi);
	ASSERT_EQ(bi.nr_vmemmap_pages, vmemmap);

	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	zone(m, MEMHP_ZONE_MOVABLE, &z1);
	ASSERT_EQ(z1.present_pages - z0.present_pages, memhp_pages_per_block(m));
	ASSERT_EQ(z1.managed_pages - z0.managed_pages, memhp_pages_per_block(m) - vmemmap);
	ASSERT_EQ(z1.spanned_pages, memhp_pages_per_block(m));
	p = memhp_pfn_to_online_page(m, tm_block_pfn(m, B0));
	ASSERT_TRUE(p && memhp_PageVmemmapSelfHosted(p));
	ASSERT_TRUE(!memhp_PageBuddy(p));

	ASSERT_OK(memhp_block_offline(m, B0));
	zone(m, MEMHP_ZONE_MOVABLE, &z2);
	ASSERT_EQ(z2.present_pages, z0.present_pages);
	ASSERT_EQ(z2.managed_pages, z0.managed_pages);
	ASSERT_EQ(z2.spanned_pages, 0);
	/* memmap_on_memory memory goes away one block at a time. */
	ASSERT_OK(memhp_remove_memory(m, HOT, memhp_block_size(m)));
}

RUN_TESTS(T(offline_free_block_moves_present_managed_and_memtotal),
	  T(offline_migrates_movable_pages_and_owners_see_new_pfns),
	  T(migration_never_touches_the_target_after_the_owner_switched),
	  T(offline_fails_ebusy_on_unmovable_page_in_zone_normal_without_any_event),
	  T(offline_succeeds_in_zone_movable_with_the_same_unmovable_page_only_if_it_goes),
	  T(offline_with_endless_migration_failure_is_aborted_by_a_signal),
	  T(offline_retries_injected_migration_failures_until_they_stop),
	  T(state_write_of_the_current_state_is_einval),
	  T(online_write_of_the_current_value_succeeds),
	  T(online_write_of_1_uses_the_plain_online_type),
	  T(state_reads_going_offline_while_offline_runs), T(valid_zones_strings_match_6_1),
	  T(offline_of_a_multizone_boot_block_is_einval),
	  T(offline_of_a_boot_block_with_a_hole_is_einval),
	  T(offline_of_the_block_holding_the_boot_memmap_is_ebusy),
	  T(remove_of_an_online_block_is_ebusy),
	  T(remove_of_a_misaligned_or_absent_range_is_einval_where_6_1_would_bug),
	  T(remove_after_offline_frees_memmap_and_host_memory),
	  T(hot_add_charges_the_memmap_to_kernel_memory),
	  T(add_memory_rejects_bad_ranges_with_the_kernel_errnos),
	  T(a_hot_add_out_of_memmap_memory_leaves_its_first_sections_as_6_1_does),
	  T(auto_online_blocks_onlines_added_memory_with_its_type),
	  T(auto_online_failure_is_silent_and_add_memory_succeeds),
	  T(offline_and_remove_memory_reonlines_with_the_old_zone_on_failure),
	  T(memmap_on_memory_accounts_vmemmap_pages_as_present_not_managed))
