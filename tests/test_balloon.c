// SPDX-License-Identifier: MIT
/*
 * test_balloon.c - the balloon drivers of Linux 6.1 and what offlining does
 * with their pages.
 *
 * The machine: 512 MiB of boot RAM below 4 GiB; blocks hot-added at 4 GiB
 * (memory32 onwards), all added before any goes online so that their
 * memmaps come from boot memory and the blocks start out empty.
 */
#include "harness.h"

#include "../src/mm/internal.h"

/* Every free page: MemFree and the per-cpu lists, which it leaves out. */
#define FREE_PAGES(mi) ((mi).free_pages + (mi).pcp_pages)

#include <pthread.h>
#include <stdlib.h>

#define HOT (4 * MEMHP_GiB)
#define B0 32		/* block id at HOT */
#define NR_BALLOON 1000 /* pages a test balloons: spans pageblocks */
#define HUGE 512	/* frames of a 2 MiB page */
#define MAX_EVENTS 8192

/* ---- Helpers ------------------------------------------------------------ */

static unsigned long contig_target(struct memhp_machine *m, struct memhp_balloon *b,
				   unsigned long id);

static struct memhp_machine *machine(unsigned long nr_blocks)
{
	struct memhp_machine *m = tm_create(NULL);

	if (m && nr_blocks && tm_add_blocks(m, HOT, nr_blocks))
		return NULL;
	return m;
}

static unsigned long block_start(struct memhp_machine *m, unsigned long id)
{
	return tm_block_pfn(m, id);
}

static bool in_block(struct memhp_machine *m, unsigned long pfn, unsigned long id)
{
	return pfn >= block_start(m, id) && pfn < block_start(m, id) + memhp_pages_per_block(m);
}

static unsigned long managed(struct memhp_machine *m, enum memhp_zone_type z)
{
	struct memhp_zone_info zi;

	memhp_zone_info(m, 0, z, &zi);
	return zi.managed_pages;
}

static struct memhp_balloon_stats stats(struct memhp_balloon *b)
{
	struct memhp_balloon_stats st;

	memhp_balloon_stats(b, &st);
	return st;
}

/* The host's pfns, into a buffer the caller frees. The host may hold
 * more by the second call (another thread inflating): the first count. */
static unsigned long *host_pfns(struct memhp_balloon *b, unsigned long *nr)
{
	unsigned long total = memhp_balloon_host_pfns(b, NULL, 0), now;
	unsigned long *v = calloc(total + 1, sizeof(*v));

	now = v ? memhp_balloon_host_pfns(b, v, total) : 0;
	*nr = now < total ? now : total;
	return v;
}

/*
 * Every page the host holds is a ballooned page in the guest: PageOffline,
 * referenced once, movable or not as the kind says, and in block @id when
 * @id >= 0. With as many host pfns as pages in the balloon, the two views
 * are the same set.
 */
static bool host_and_guest_agree(struct memhp_machine *m, struct memhp_balloon *b, bool movable,
				 long id)
{
	unsigned long nr, *pfns = host_pfns(b, &nr);
	bool ok = pfns && nr == stats(b).pages;

	for (unsigned long i = 0; ok && i < nr; i++) {
		struct memhp_page *p = memhp_pfn_to_online_page(m, pfns[i]);

		ok = p && memhp_PageOffline(p) && memhp_page_count(p) == 1 &&
		     memhp_PageMovable(p) == movable &&
		     (id < 0 || in_block(m, pfns[i], (unsigned long)id));
	}
	free(pfns);
	return ok;
}

/* What one offline attempt looked like from the tracer. */
struct trace_rec {
	char reason[64];     /* why offline_pages() failed */
	int rounds;	     /* migrate_pages() calls */
	int nr;		     /* balloon requests seen */
	char op[MAX_EVENTS]; /* 'i'nflate, 'd'eflate, 'r'efuse */
	unsigned long pfn[MAX_EVENTS];
	long pages[MAX_EVENTS];
	struct memhp_balloon *b; /* if set: read its state from the tracer */
	unsigned long seen_host_pages;
};

static void rec_event(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	static const char ops[] = { [MEMHP_BALLOON_REQ_INFLATE] = 'i',
				    [MEMHP_BALLOON_REQ_DEFLATE] = 'd',
				    [MEMHP_BALLOON_REQ_REFUSE] = 'r' };
	struct trace_rec *t = priv;

	(void)m;
	switch (ev->type) {
	case MEMHP_TP_OP_END:
		if (ev->op.op == MEMHP_OP_OFFLINE_PAGES && ev->op.reason)
			snprintf(t->reason, sizeof(t->reason), "%s", ev->op.reason);
		break;
	case MEMHP_TP_MIGRATE_ROUND_END:
		t->rounds++;
		break;
	case MEMHP_EV_BALLOON:
		if (t->nr == MAX_EVENTS)
			break;
		if (t->b) {
			struct memhp_balloon_stats st;

			/* Allowed with the balloon locked: stats, host view. */
			memhp_balloon_stats(t->b, &st);
			t->seen_host_pages = st.host_pages;
			memhp_balloon_host_has(t->b, ev->balloon.start_pfn);
		}
		t->op[t->nr] = ops[ev->balloon.request];
		t->pfn[t->nr] = ev->balloon.start_pfn;
		t->pages[t->nr++] = (long)ev->balloon.nr_pages;
		break;
	default:
		break;
	}
}

static struct trace_rec *trace_start(struct memhp_machine *m)
{
	static struct trace_rec t;

	memset(&t, 0, sizeof(t));
	memhp_event_subscribe(m,
			      MEMHP_EVENT_BIT(MEMHP_TP_OP_END) |
				      MEMHP_EVENT_BIT(MEMHP_TP_MIGRATE_ROUND_END) |
				      MEMHP_EVENT_BIT(MEMHP_EV_BALLOON),
			      rec_event, &t);
	return &t;
}

static void trace_stop(struct memhp_machine *m, struct trace_rec *t)
{
	memhp_event_unsubscribe(m, rec_event, t);
}

/* ---- virtio-balloon: accounting ---------------------------------------------- */

static void balloon_pages_are_excluded_from_memtotal_as_virtio_balloon_does(void)
{
	struct memhp_machine *m = machine(0);
	struct memhp_meminfo mi0, mi1;
	struct memhp_balloon *b;

	ASSERT_TRUE(m);
	memhp_meminfo(m, &mi0);
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_VIRTIO, &b));

	ASSERT_EQ(memhp_balloon_inflate(b, NR_BALLOON), NR_BALLOON);

	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi0.total_pages - mi1.total_pages, NR_BALLOON);
	ASSERT_EQ(FREE_PAGES(mi0) - FREE_PAGES(mi1), NR_BALLOON);
	ASSERT_EQ(mi1.offline_pages, NR_BALLOON);
	ASSERT_EQ(mi1.present_pages, mi0.present_pages);
	ASSERT_EQ(stats(b).host_pages, NR_BALLOON);
	/* One request per VIRTIO_BALLOON_ARRAY_PFNS_MAX (256) pages. */
	ASSERT_EQ(stats(b).host_requests, (NR_BALLOON + 255) / 256);
	ASSERT_TRUE(host_and_guest_agree(m, b, true, -1));
	ASSERT_EQ(memhp_check(m, NULL), 0);
	memhp_balloon_destroy(b);
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi1.total_pages, mi0.total_pages);
	ASSERT_EQ(mi1.offline_pages, 0);
}

static void deflate_returns_pages_and_managed_count(void)
{
	struct memhp_machine *m = machine(0);
	struct memhp_meminfo mi0, mi1, mi2;
	struct memhp_balloon *b;
	unsigned long nr, *pfns;

	ASSERT_TRUE(m);
	memhp_meminfo(m, &mi0);
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_VIRTIO, &b));
	ASSERT_EQ(memhp_balloon_inflate(b, NR_BALLOON), NR_BALLOON);
	memhp_meminfo(m, &mi1);
	pfns = host_pfns(b, &nr);
	ASSERT_TRUE(pfns);

	ASSERT_EQ(memhp_balloon_deflate(b, NR_BALLOON / 4), NR_BALLOON / 4);

	memhp_meminfo(m, &mi2);
	ASSERT_EQ(mi2.total_pages - mi1.total_pages, NR_BALLOON / 4);
	ASSERT_EQ(FREE_PAGES(mi2) - FREE_PAGES(mi1), NR_BALLOON / 4);
	ASSERT_EQ(mi2.offline_pages, NR_BALLOON - NR_BALLOON / 4);
	ASSERT_EQ(stats(b).pages, NR_BALLOON - NR_BALLOON / 4);
	ASSERT_TRUE(host_and_guest_agree(m, b, true, -1));
	/* The pages the host gave back are plain free pages again. */
	for (unsigned long i = 0; i < nr; i++) {
		struct memhp_page *p = memhp_pfn_to_online_page(m, pfns[i]);

		if (memhp_balloon_host_has(b, pfns[i]))
			continue;
		ASSERT_TRUE(!memhp_PageOffline(p) && !memhp_PageMovable(p) &&
			    memhp_page_count(p) == 0);
	}
	free(pfns);

	/* Asking for more than it holds deflates what it holds. */
	ASSERT_EQ(memhp_balloon_deflate(b, 10 * NR_BALLOON), NR_BALLOON - NR_BALLOON / 4);
	ASSERT_EQ(memhp_balloon_deflate(b, 1), 0);
	memhp_meminfo(m, &mi2);
	ASSERT_EQ(mi2.total_pages, mi0.total_pages);
	ASSERT_EQ(FREE_PAGES(mi2), FREE_PAGES(mi0));
	ASSERT_EQ(stats(b).host_pages, 0);
	memhp_balloon_destroy(b);
}

static void inflate_stops_when_the_allocator_runs_dry(void)
{
	struct memhp_machine *m = machine(0);
	struct memhp_meminfo mi0, mi1;
	struct memhp_balloon *b;
	long got;

	ASSERT_TRUE(m);
	memhp_meminfo(m, &mi0);
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_VIRTIO, &b));

	got = memhp_balloon_inflate(b, ~0UL);

	/* "Out of puff": everything free went, nothing more. */
	ASSERT_EQ(got, FREE_PAGES(mi0));
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(FREE_PAGES(mi1), 0);
	ASSERT_EQ(memhp_balloon_inflate(b, 1), 0);
	ASSERT_EQ(memhp_check(m, NULL), 0);
	memhp_balloon_destroy(b);
}

/* ---- virtio-balloon: offlining ------------------------------------------------- */

static void offline_migrates_compaction_balloon_pages_and_host_follows(void)
{
	struct memhp_machine *m = machine(2);
	struct memhp_balloon *b;
	struct trace_rec *t;
	unsigned long movable;

	ASSERT_TRUE(m);
	const unsigned long block = memhp_pages_per_block(m);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_VIRTIO, &b));
	/* GFP_HIGHUSER_MOVABLE: ZONE_MOVABLE first, so all of them in B0. */
	ASSERT_EQ(memhp_balloon_inflate(b, NR_BALLOON), NR_BALLOON);
	ASSERT_TRUE(host_and_guest_agree(m, b, true, B0));
	ASSERT_OK(memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE));
	t = trace_start(m);
	t->b = b;

	ASSERT_OK(memhp_block_offline(m, B0));

	trace_stop(m, t);
	ASSERT_EQ(t->seen_host_pages, NR_BALLOON);
	ASSERT_EQ(stats(b).migrated, NR_BALLOON);
	ASSERT_EQ(stats(b).pages, NR_BALLOON);
	ASSERT_EQ(stats(b).isolated, 0);
	ASSERT_TRUE(host_and_guest_agree(m, b, true, B0 + 1));
	/* Per page, the host hears "inflate the new one", then "deflate the
	 * old one". */
	ASSERT_EQ(t->nr, 2 * NR_BALLOON);
	for (int i = 0; i < t->nr; i += 2) {
		ASSERT_TRUE(t->op[i] == 'i' && t->op[i + 1] == 'd');
		ASSERT_TRUE(in_block(m, t->pfn[i], B0 + 1) && in_block(m, t->pfn[i + 1], B0));
		ASSERT_EQ(t->pages[i], 1);
	}
	/* Same zone: the balloon's managed pages stay out of ZONE_MOVABLE. */
	movable = managed(m, MEMHP_ZONE_MOVABLE);
	ASSERT_EQ(movable, block - NR_BALLOON);
	memhp_balloon_destroy(b);
	ASSERT_EQ(managed(m, MEMHP_ZONE_MOVABLE), block);
}

/* At the host's "inflate the new page" during a migration both pages are
 * PageOffline: could the checker look now? */
static void half_migrated_event(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	int *seen = priv;

	if (ev->balloon.request != MEMHP_BALLOON_REQ_INFLATE)
		return;
	if (!pthread_rwlock_tryrdlock(&m->page_offline_rwsem)) {
		pthread_rwlock_unlock(&m->page_offline_rwsem);
		seen[0]++;
	} else {
		seen[1]++;
	}
}

/*
 * Found by memhp torture (seed 210, 2025): the checker, run by another
 * thread's hotplug operation, saw a balloon page half migrated (both pages
 * PageOffline) and reported managed-pages off by one. alloc_contig_range()
 * migrates without the hotplug lock, so the balloon's migration must hold
 * page_offline_begin() as every other PageOffline change does.
 */
static void the_checker_never_sees_a_balloon_page_half_migrated(void)
{
	struct memhp_machine *m = machine(2);
	struct memhp_balloon *b;
	int seen[2] = { 0, 0 };
	unsigned long start;
	AUTO_REG sub = { 0 };

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_VIRTIO, &b));
	ASSERT_EQ(memhp_balloon_inflate(b, NR_BALLOON), NR_BALLOON);
	ASSERT_OK(memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE));
	start = contig_target(m, b, B0);
	ASSERT_OK(tm_event_subscribe(&sub, m, MEMHP_EVENT_BIT(MEMHP_EV_BALLOON),
				     half_migrated_event, seen));
	ASSERT_OK(memhp_alloc_contig_range(m, start, start + memhp_pageblock_nr_pages(m),
					   MEMHP_GFP_KERNEL));
	tm_unregister(&sub);
	memhp_free_contig_range(m, start, memhp_pageblock_nr_pages(m));
	ASSERT_GT(seen[0] + seen[1], 0);
	ASSERT_EQ(seen[0], 0);
	memhp_balloon_destroy(b);
}

static void migration_to_another_zone_moves_the_managed_page_with_it(void)
{
	struct memhp_machine *m = machine(1);
	struct memhp_meminfo mi0, mi1;
	struct memhp_balloon *b;
	unsigned long dma32;

	ASSERT_TRUE(m);
	memhp_meminfo(m, &mi0);
	dma32 = managed(m, MEMHP_ZONE_DMA32);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_VIRTIO, &b));
	ASSERT_EQ(memhp_balloon_inflate(b, NR_BALLOON), NR_BALLOON);

	/* ZONE_MOVABLE has nothing else: the targets come from DMA32. */
	ASSERT_OK(memhp_block_offline(m, B0));

	ASSERT_EQ(stats(b).migrated, NR_BALLOON);
	ASSERT_EQ(dma32 - managed(m, MEMHP_ZONE_DMA32), NR_BALLOON);
	ASSERT_EQ(managed(m, MEMHP_ZONE_MOVABLE), 0);
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi0.total_pages - mi1.total_pages, NR_BALLOON);
	ASSERT_TRUE(host_and_guest_agree(m, b, true, -1));
	memhp_balloon_destroy(b);
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi1.total_pages, mi0.total_pages);
}

/*
 * A zone is a node's: offlining a block of node 0 migrates to node 1 first
 * (do_migrate_range() leaves the page's own node out), here from one
 * ZONE_MOVABLE to the other. Moving the managed page only when the zone
 * type differed left node 0's count short by the balloon and node 1's
 * over by as much.
 */
static void migration_to_the_same_zone_of_another_node_moves_the_managed_page_with_it(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct memhp_balloon *b;
	struct memhp_zone_info z0, z1;
	uint64_t bs;

	tm_config(&cfg);
	memhp_config_init(&cfg, MEMHP_GiB);
	cfg.phys_size = 64 * MEMHP_GiB;
	cfg.check_after_ops = true;
	cfg.nr_nodes = cfg.nr_cpus = 2;
	for (unsigned int n = 0; n < 2; n++) {
		cfg.nodes[n].mem_size = MEMHP_GiB / 2;
		cfg.nodes[n].cpus[0] = 1ULL << n;
	}
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	bs = memhp_block_size(m);
	ASSERT_OK(memhp_add_memory(m, 0, HOT, bs, MEMHP_MHP_NONE));
	ASSERT_OK(memhp_add_memory(m, 1, HOT + bs, bs, MEMHP_MHP_NONE));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_VIRTIO, &b));
	ASSERT_EQ(memhp_balloon_inflate(b, NR_BALLOON), NR_BALLOON);
	ASSERT_TRUE(host_and_guest_agree(m, b, true, B0));
	ASSERT_OK(memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE));

	ASSERT_OK(memhp_block_offline(m, B0));

	ASSERT_EQ(stats(b).migrated, NR_BALLOON);
	ASSERT_TRUE(host_and_guest_agree(m, b, true, B0 + 1));
	memhp_zone_info(m, 0, MEMHP_ZONE_MOVABLE, &z0);
	memhp_zone_info(m, 1, MEMHP_ZONE_MOVABLE, &z1);
	ASSERT_EQ(z0.managed_pages, 0);
	ASSERT_EQ(z1.managed_pages, memhp_pages_per_block(m) - NR_BALLOON);
	ASSERT_EQ(memhp_check(m, NULL), 0);
	memhp_balloon_destroy(b);
}

static void offline_fails_ebusy_on_balloon_without_compaction(void)
{
	struct memhp_machine *m = machine(1);
	AUTO_EVENT_LOG log = { 0 };
	struct memhp_meminfo mi0, mi1;
	struct memhp_balloon *b;
	struct trace_rec *t;
	char buf[MEMHP_SYSFS_BUF];

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_KERNEL));
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_VIRTIO_NO_COMPACTION, &b));
	/* GFP_HIGHUSER: ZONE_NORMAL, which is B0. */
	ASSERT_EQ(memhp_balloon_inflate(b, NR_BALLOON), NR_BALLOON);
	ASSERT_TRUE(host_and_guest_agree(m, b, false, B0));
	memhp_meminfo(m, &mi0);
	event_log_register(m, &log, 0);
	t = trace_start(m);

	ASSERT_ERR(memhp_store_state(m, B0, "offline", 7, false), -EBUSY);

	trace_stop(m, t);
	/* Isolation skipped the PageOffline pages; scan_movable_pages() then
	 * met a referenced one that is not movable. */
	ASSERT_STREQ(t->reason, "unmovable page");
	ASSERT_EQ(t->rounds, 0);
	ASSERT_EQ(log.n, 2);
	ASSERT_EQ(log.events[0], MEMHP_MEM_GOING_OFFLINE);
	ASSERT_EQ(log.events[1], MEMHP_MEM_CANCEL_OFFLINE);
	memhp_show_state(m, B0, buf);
	ASSERT_STREQ(buf, "online\n");
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi1.total_pages, mi0.total_pages);
	ASSERT_EQ(FREE_PAGES(mi1), FREE_PAGES(mi0));
	ASSERT_TRUE(host_and_guest_agree(m, b, false, B0));
	event_log_unregister(&log);

	/* Deflated, the block goes. */
	ASSERT_EQ(memhp_balloon_deflate(b, NR_BALLOON), NR_BALLOON);
	ASSERT_OK(memhp_block_offline(m, B0));
	memhp_balloon_destroy(b);
}

static void balloon_without_compaction_never_takes_zone_movable_pages(void)
{
	struct memhp_machine *m = machine(1);
	struct memhp_balloon *b;
	const unsigned long movable0 = 0;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_VIRTIO_NO_COMPACTION, &b));

	ASSERT_EQ(memhp_balloon_inflate(b, NR_BALLOON), NR_BALLOON);

	/* The imbalance memory-hotplug.rst warns of: the pages come from
	 * the kernel zones, ZONE_MOVABLE stays whole and offlinable. */
	ASSERT_TRUE(host_and_guest_agree(m, b, false, -1));
	ASSERT_EQ(managed(m, MEMHP_ZONE_MOVABLE), memhp_pages_per_block(m) - movable0);
	ASSERT_OK(memhp_block_offline(m, B0));
	ASSERT_EQ(stats(b).pages, NR_BALLOON);
	memhp_balloon_destroy(b);
}

/* ---- Xen ----------------------------------------------------------------------- */

static void xen_like_balloon_makes_offline_fail_fast_with_ebusy(void)
{
	struct memhp_machine *m = machine(1);
	AUTO_EVENT_LOG log = { 0 };
	struct memhp_balloon *b;
	struct trace_rec *t;
	unsigned long normal, nr, *pfns;

	ASSERT_TRUE(m);
	/* Onlined before the balloon exists, so it is ordinary RAM. */
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_KERNEL));
	normal = managed(m, MEMHP_ZONE_NORMAL);
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_XEN, &b));
	ASSERT_EQ(memhp_balloon_inflate(b, NR_BALLOON), NR_BALLOON);
	ASSERT_EQ(normal - managed(m, MEMHP_ZONE_NORMAL), NR_BALLOON);
	/* One reservation hypercall per 512 frames. */
	ASSERT_EQ(stats(b).host_requests, 2);
	ASSERT_TRUE(host_and_guest_agree(m, b, false, B0));
	pfns = host_pfns(b, &nr);
	ASSERT_TRUE(pfns && nr);
	ASSERT_TRUE(!memhp_PageReserved(memhp_pfn_to_page(m, pfns[0])));
	free(pfns);
	event_log_register(m, &log, 0);
	t = trace_start(m);

	ASSERT_ERR(memhp_block_offline(m, B0), -EBUSY);

	trace_stop(m, t);
	ASSERT_STREQ(t->reason, "unmovable page");
	ASSERT_EQ(t->rounds, 0); /* nothing was migrated first */
	/* The notifier heard it all and could not help. */
	ASSERT_EQ(log.n, 2);
	ASSERT_EQ(log.events[0], MEMHP_MEM_GOING_OFFLINE);
	ASSERT_EQ(log.events[1], MEMHP_MEM_CANCEL_OFFLINE);
	ASSERT_TRUE(host_and_guest_agree(m, b, false, B0));
	event_log_unregister(&log);
	memhp_balloon_destroy(b);
	ASSERT_EQ(managed(m, MEMHP_ZONE_NORMAL), normal);
}

static void xen_online_page_puts_hot_added_memory_in_the_balloon_reserved(void)
{
	struct memhp_machine *m = machine(0);
	AUTO_EVENT_LOG log = { 0 };
	struct memhp_meminfo mi0, mi1;
	struct memhp_zone_info zi;
	struct memhp_balloon *b;
	struct trace_rec *t;

	ASSERT_TRUE(m);
	const unsigned long block = memhp_pages_per_block(m), start = block_start(m, B0);
	memhp_meminfo(m, &mi0);
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_XEN, &b));
	ASSERT_OK(memhp_balloon_hot_add(b, HOT, memhp_block_size(m), 0));
	ASSERT_EQ(stats(b).hot_added, block);
	ASSERT_EQ(stats(b).host_pages, block); /* nothing behind it yet */

	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));

	/* Every page went to the balloon: PageOffline, still PG_reserved,
	 * refcount 1 from memmap init, not managed. */
	for (unsigned long pfn = start; pfn < start + block; pfn++) {
		struct memhp_page *p = memhp_pfn_to_online_page(m, pfn);

		ASSERT_TRUE(memhp_PageOffline(p) && memhp_PageReserved(p) &&
			    memhp_page_count(p) == 1);
	}
	memhp_zone_info(m, 0, MEMHP_ZONE_MOVABLE, &zi);
	ASSERT_EQ(zi.present_pages, block);
	ASSERT_EQ(zi.managed_pages, 0);
	ASSERT_EQ(stats(b).pages, block);
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi1.total_pages, mi0.total_pages);

	/* PG_reserved stops isolation, even in ZONE_MOVABLE: no event. */
	event_log_register(m, &log, 0);
	t = trace_start(m);
	ASSERT_ERR(memhp_block_offline(m, B0), -EBUSY);
	trace_stop(m, t);
	ASSERT_STREQ(t->reason, "failure to isolate range");
	ASSERT_EQ(log.n, 0);
	event_log_unregister(&log);

	/* Deflating populates them: free_reserved_page() makes them RAM. */
	ASSERT_EQ(memhp_balloon_deflate(b, block), block);
	ASSERT_EQ(managed(m, MEMHP_ZONE_MOVABLE), block);
	ASSERT_EQ(stats(b).host_pages, 0);
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi1.total_pages - mi0.total_pages, block);
	ASSERT_OK(memhp_block_offline(m, B0));
	memhp_balloon_destroy(b);
}

/* ---- Hyper-V ------------------------------------------------------------------- */

/*
 * Found by memhp torture (seed 2116): memory_failure() poisons an unbacked
 * Hyper-V page (PageOffline: "unknown page: Ignored"); when the host
 * grants it, hv_bring_pgs_online() onlines it page by page, and 6.1's
 * free_pages_prepare() keeps an order-0 poisoned page out of the buddy.
 * memhp freed it into the buddy, where the checker found it in a free
 * chunk.
 */
static void a_poisoned_page_the_host_grants_stays_out_of_the_buddy(void)
{
	struct memhp_machine *m = machine(0);
	struct memhp_balloon *b;
	struct memhp_page *p;

	ASSERT_TRUE(m);
	const unsigned long block = memhp_pages_per_block(m), start = block_start(m, B0);
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_HYPERV, &b));
	ASSERT_OK(memhp_balloon_hot_add(b, HOT, memhp_block_size(m), 0));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_ERR(memhp_memory_failure(m, start + 9), -EBUSY);
	ASSERT_EQ(memhp_balloon_host_grant(b, block), (long)block);
	p = memhp_pfn_to_page(m, start + 9);
	ASSERT_TRUE(memhp_PageHWPoison(p) && !memhp_PageBuddy(p));
	ASSERT_EQ(memhp_page_count(p), 0);
	ASSERT_EQ(memhp_check(m, NULL), 0);
	memhp_balloon_destroy(b);
}

static void hyperv_like_unbacked_pages_fail_isolation_even_in_zone_movable(void)
{
	struct memhp_machine *m = machine(0);
	AUTO_EVENT_LOG log = { 0 };
	struct memhp_balloon *b;
	struct trace_rec *t;

	ASSERT_TRUE(m);
	const unsigned long block = memhp_pages_per_block(m), start = block_start(m, B0);
	const unsigned long backed = block / 2;
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_HYPERV, &b));
	ASSERT_OK(memhp_balloon_hot_add(b, HOT, memhp_block_size(m), backed));
	ASSERT_EQ(stats(b).host_pages, block - backed);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));

	for (unsigned long pfn = start + backed; pfn < start + block; pfn++) {
		struct memhp_page *p = memhp_pfn_to_online_page(m, pfn);

		ASSERT_TRUE(memhp_PageOffline(p) && memhp_PageReserved(p) &&
			    memhp_page_count(p) == 1);
	}
	ASSERT_TRUE(!memhp_PageOffline(memhp_pfn_to_online_page(m, start + backed - 1)));
	ASSERT_EQ(managed(m, MEMHP_ZONE_MOVABLE), backed);
	ASSERT_EQ(stats(b).onlined, backed);
	event_log_register(m, &log, 0);
	t = trace_start(m);

	ASSERT_ERR(memhp_block_offline(m, B0), -EBUSY);

	trace_stop(m, t);
	/* has_unmovable_pages() checks PG_reserved before it trusts
	 * ZONE_MOVABLE: isolation fails and no notifier hears of it. */
	ASSERT_STREQ(t->reason, "failure to isolate range");
	ASSERT_EQ(log.n, 0);
	ASSERT_EQ(t->rounds, 0);
	ASSERT_EQ(stats(b).onlined, backed);
	event_log_unregister(&log);
	memhp_balloon_destroy(b);
	/* Destroying is the host backing everything. */
	ASSERT_EQ(managed(m, MEMHP_ZONE_MOVABLE), block);
}

static void hyperv_host_grants_bring_pages_online_one_by_one(void)
{
	struct memhp_machine *m = machine(0);
	struct memhp_meminfo mi0, mi1;
	struct memhp_balloon *b;

	ASSERT_TRUE(m);
	const unsigned long block = memhp_pages_per_block(m), start = block_start(m, B0);
	const unsigned long backed = block - 3;
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_HYPERV, &b));
	ASSERT_OK(memhp_balloon_hot_add(b, HOT, memhp_block_size(m), backed));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	memhp_meminfo(m, &mi0);

	ASSERT_EQ(memhp_balloon_host_grant(b, 1), 1);

	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi1.total_pages - mi0.total_pages, 1);
	ASSERT_EQ(FREE_PAGES(mi1) - FREE_PAGES(mi0), 1);
	ASSERT_EQ(stats(b).onlined, backed + 1);
	ASSERT_EQ(stats(b).host_pages, 2);
	ASSERT_TRUE(!memhp_PageOffline(memhp_pfn_to_online_page(m, start + backed)));
	ASSERT_TRUE(memhp_PageOffline(memhp_pfn_to_online_page(m, start + backed + 1)));
	ASSERT_ERR(memhp_block_offline(m, B0), -EBUSY);

	/* More than the regions hold: what is left. */
	ASSERT_EQ(memhp_balloon_host_grant(b, 10), 2);
	ASSERT_EQ(stats(b).onlined, block);
	ASSERT_EQ(managed(m, MEMHP_ZONE_MOVABLE), block);

	/* Fully backed, the block is ordinary memory. MEM_OFFLINE takes its
	 * backed pages off num_pages_onlined; onlining again counts them. */
	ASSERT_OK(memhp_block_offline(m, B0));
	ASSERT_EQ(stats(b).onlined, 0);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_EQ(stats(b).onlined, block);
	ASSERT_EQ(managed(m, MEMHP_ZONE_MOVABLE), block);
	memhp_balloon_destroy(b);
}

static void hyperv_grant_to_an_offline_block_waits_for_onlining(void)
{
	struct memhp_machine *m = machine(0);
	struct memhp_balloon *b;

	ASSERT_TRUE(m);
	const unsigned long block = memhp_pages_per_block(m);
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_HYPERV, &b));
	ASSERT_OK(memhp_balloon_hot_add(b, HOT, memhp_block_size(m), 0));
	ASSERT_EQ(memhp_balloon_host_grant(b, block / 4), block / 4);
	ASSERT_EQ(stats(b).onlined, 0);

	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));

	ASSERT_EQ(stats(b).onlined, block / 4);
	ASSERT_EQ(managed(m, MEMHP_ZONE_MOVABLE), block / 4);
	memhp_balloon_destroy(b);
}

static void auto_onlined_hot_add_already_knows_what_the_host_backs(void)
{
	struct memhp_machine *m = machine(0);
	struct memhp_balloon *hv, *xen;
	struct memhp_block_info info;

	ASSERT_TRUE(m);
	const unsigned long block = memhp_pages_per_block(m), start = block_start(m, B0);
	ASSERT_EQ(memhp_store_auto_online_blocks(m, "online_movable", 14), 14);
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_HYPERV, &hv));

	/* add_memory() onlines the chunk and calls hv_online_page() before
	 * it returns: the backing was recorded first. */
	ASSERT_OK(memhp_balloon_hot_add(hv, HOT, memhp_block_size(m), 100));

	ASSERT_OK(memhp_block_info(m, B0, &info));
	ASSERT_TRUE(info.online);
	ASSERT_EQ(stats(hv).onlined, 100);
	ASSERT_TRUE(!memhp_PageOffline(memhp_pfn_to_online_page(m, start + 99)));
	ASSERT_TRUE(memhp_PageOffline(memhp_pfn_to_online_page(m, start + 100)));
	memhp_balloon_destroy(hv);

	/* Xen: every onlined page lands in the balloon. */
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_XEN, &xen));
	ASSERT_OK(memhp_balloon_hot_add(xen, HOT + memhp_block_size(m), memhp_block_size(m), 0));
	ASSERT_EQ(stats(xen).pages, block);
	ASSERT_EQ(memhp_balloon_deflate(xen, block), block);
	memhp_balloon_destroy(xen);
}

static void hyperv_online_page_leaves_ranges_outside_its_regions_reserved(void)
{
	struct memhp_machine *m = machine(1);
	struct memhp_zone_info zi;
	struct memhp_balloon *b;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_HYPERV, &b));

	/* Memory hv_balloon did not add: hv_online_page() finds no region
	 * and does nothing, so the pages keep memmap init's state. */
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));

	memhp_zone_info(m, 0, MEMHP_ZONE_MOVABLE, &zi);
	ASSERT_EQ(zi.present_pages, memhp_pages_per_block(m));
	ASSERT_EQ(zi.managed_pages, 0);
	ASSERT_TRUE(memhp_PageReserved(memhp_pfn_to_online_page(m, block_start(m, B0))));
	ASSERT_TRUE(!memhp_PageOffline(memhp_pfn_to_online_page(m, block_start(m, B0))));
	ASSERT_ERR(memhp_block_offline(m, B0), -EBUSY);
	memhp_balloon_destroy(b);
	/* Kept back for good, and consistent: reserved, not managed. */
	ASSERT_EQ(memhp_check(m, NULL), 0);
}

static void hyperv_inflated_pages_make_offline_fail_in_scan_movable_pages(void)
{
	struct memhp_machine *m = machine(1);
	struct memhp_balloon *b;
	struct trace_rec *t;
	unsigned long normal, nr, *pfns;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_KERNEL));
	normal = managed(m, MEMHP_ZONE_NORMAL);
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_HYPERV, &b));

	/* Two 2 MiB units, split, then single pages for the rest. */
	ASSERT_EQ(memhp_balloon_inflate(b, 2 * HUGE + 7), 2 * HUGE + 7);

	ASSERT_EQ(normal - managed(m, MEMHP_ZONE_NORMAL), 2 * HUGE + 7);
	ASSERT_TRUE(host_and_guest_agree(m, b, false, B0)); /* each refcount 1 */
	pfns = host_pfns(b, &nr);
	ASSERT_TRUE(pfns && nr == 2 * HUGE + 7);
	ASSERT_EQ(pfns[0] % HUGE, 0);
	ASSERT_EQ(pfns[HUGE - 1], pfns[0] + HUGE - 1);
	free(pfns);
	t = trace_start(m);
	ASSERT_ERR(memhp_block_offline(m, B0), -EBUSY);
	trace_stop(m, t);
	ASSERT_STREQ(t->reason, "unmovable page");
	ASSERT_EQ(t->rounds, 0);
	memhp_balloon_destroy(b);
	ASSERT_EQ(managed(m, MEMHP_ZONE_NORMAL), normal);
}

/* ---- VMware -------------------------------------------------------------------- */

static void vmware_2m_page_head_refcount_makes_offline_ebusy(void)
{
	struct memhp_machine *m = machine(1);
	struct memhp_meminfo mi0, mi1;
	struct memhp_balloon *b;
	struct trace_rec *t;
	unsigned long nr, *pfns;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_KERNEL));
	memhp_meminfo(m, &mi0);
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_VMWARE, &b));

	/* Whole 2 MiB pages: one frame more than two pages takes three. */
	ASSERT_EQ(memhp_balloon_inflate(b, 2 * HUGE + 1), 3 * HUGE);

	ASSERT_EQ(stats(b).huge_pages, 3 * HUGE);
	pfns = host_pfns(b, &nr);
	ASSERT_TRUE(pfns && nr == 3 * HUGE);
	for (unsigned long i = 0; i < nr; i++) {
		struct memhp_page *p = memhp_pfn_to_online_page(m, pfns[i]);
		const bool head = pfns[i] % HUGE == 0;

		ASSERT_TRUE(in_block(m, pfns[i], B0));
		ASSERT_TRUE(memhp_PageOffline(p) && !memhp_PageMovable(p));
		ASSERT_EQ(memhp_page_count(p), head ? 1 : 0);
		ASSERT_TRUE(memhp_PageOfflineManaged(p));
	}
	free(pfns);
	/* vmw_balloon never touches managed_pages: MemTotal stays. */
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi1.total_pages, mi0.total_pages);
	ASSERT_EQ(FREE_PAGES(mi0) - FREE_PAGES(mi1), 3 * HUGE);
	ASSERT_EQ(memhp_check(m, NULL), 0);
	t = trace_start(m);

	ASSERT_ERR(memhp_block_offline(m, B0), -EBUSY);

	trace_stop(m, t);
	/* The refcount-0 tails alone would pass as free; the head does not. */
	ASSERT_STREQ(t->reason, "unmovable page");
	ASSERT_EQ(t->rounds, 0);

	/* Deflating gives back whole pages. */
	ASSERT_EQ(memhp_balloon_deflate(b, 1), HUGE);
	ASSERT_EQ(stats(b).pages, 2 * HUGE);
	memhp_balloon_destroy(b);
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(FREE_PAGES(mi1), FREE_PAGES(mi0));
	ASSERT_OK(memhp_block_offline(m, B0));
}

static void vmware_4k_pages_migrate_deflating_the_old_page_first(void)
{
	struct memhp_machine *m = machine(2);
	struct memhp_meminfo mi0, mi1;
	struct memhp_balloon *b;
	struct trace_rec *t;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_VMWARE_4K, &b));
	ASSERT_EQ(memhp_balloon_inflate(b, NR_BALLOON), NR_BALLOON);
	ASSERT_TRUE(host_and_guest_agree(m, b, true, B0));
	ASSERT_OK(memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE));
	memhp_meminfo(m, &mi0);
	t = trace_start(m);

	ASSERT_OK(memhp_block_offline(m, B0));

	trace_stop(m, t);
	ASSERT_EQ(stats(b).migrated, NR_BALLOON);
	ASSERT_TRUE(host_and_guest_agree(m, b, true, B0 + 1));
	/* The other order than virtio-balloon: deflate old, inflate new. */
	ASSERT_EQ(t->nr, 2 * NR_BALLOON);
	for (int i = 0; i < t->nr; i += 2) {
		ASSERT_TRUE(t->op[i] == 'd' && t->op[i + 1] == 'i');
		ASSERT_TRUE(in_block(m, t->pfn[i], B0) && in_block(m, t->pfn[i + 1], B0 + 1));
	}
	/* The pages were managed all along: the offline took the whole block
	 * and nothing else. */
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi0.total_pages - mi1.total_pages, memhp_pages_per_block(m));
	memhp_balloon_destroy(b);
}

static void vmware_refused_new_page_shrinks_the_balloon_and_frees_the_old_one(void)
{
	struct memhp_machine *m = machine(2);
	struct memhp_balloon *b;
	struct trace_rec *t;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_VMWARE_4K, &b));
	ASSERT_EQ(memhp_balloon_inflate(b, NR_BALLOON), NR_BALLOON);
	ASSERT_OK(memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_balloon_host_refuse(b, 1));
	t = trace_start(m);

	ASSERT_OK(memhp_block_offline(m, B0));

	trace_stop(m, t);
	/* The first page was deflated, its replacement refused: -EBUSY for
	 * it, no retry; the old page went back to the (isolated) block. */
	ASSERT_TRUE(t->nr >= 2 && t->op[0] == 'd' && t->op[1] == 'r');
	ASSERT_EQ(stats(b).refused, 1);
	ASSERT_EQ(stats(b).migrated, NR_BALLOON - 1);
	ASSERT_EQ(stats(b).pages, NR_BALLOON - 1);
	ASSERT_EQ(stats(b).isolated, 0);
	ASSERT_TRUE(host_and_guest_agree(m, b, true, B0 + 1));
	memhp_balloon_destroy(b);
}

static void vmware_refused_2m_pages_are_split_into_4k_balloon_pages(void)
{
	struct memhp_machine *m = machine(1);
	struct memhp_meminfo mi0, mi1;
	struct memhp_balloon *b;
	struct memhp_balloon_stats st;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_KERNEL));
	memhp_meminfo(m, &mi0);
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_VMWARE, &b));
	ASSERT_OK(memhp_balloon_host_refuse(b, 16)); /* VMW_BALLOON_MAX_REFUSED */

	ASSERT_EQ(memhp_balloon_inflate(b, 20 * HUGE), 20 * HUGE);

	/* One batch of 20: 16 refused, 4 taken; the 16 are split and their
	 * 8192 frames inflated as movable 4 KiB pages. */
	st = stats(b);
	ASSERT_EQ(st.refused, 16);
	ASSERT_EQ(st.huge_pages, 4 * HUGE);
	ASSERT_EQ(st.pages, 20 * HUGE);
	ASSERT_TRUE(
		memhp_PageMovable(memhp_pfn_to_online_page(m, block_start(m, B0) + 1)) ||
		memhp_PageMovable(memhp_pfn_to_online_page(m, block_start(m, B0) + 4 * HUGE + 1)));
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(FREE_PAGES(mi0) - FREE_PAGES(mi1), 20 * HUGE);
	ASSERT_EQ(mi1.offline_pages, 20 * HUGE);
	ASSERT_EQ(memhp_check(m, NULL), 0);

	/* Deflation starts with the 4 KiB pages. */
	ASSERT_EQ(memhp_balloon_deflate(b, 16 * HUGE), 16 * HUGE);
	ASSERT_EQ(stats(b).huge_pages, 4 * HUGE);
	memhp_balloon_destroy(b);
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(FREE_PAGES(mi1), FREE_PAGES(mi0));
}

static void vmware_host_refusing_everything_leaves_nothing_allocated(void)
{
	struct memhp_machine *m = machine(1);
	struct memhp_meminfo mi0, mi1;
	struct memhp_balloon *b;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_KERNEL));
	memhp_meminfo(m, &mi0);
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_VMWARE, &b));
	ASSERT_OK(memhp_balloon_host_refuse(b, -1));

	ASSERT_EQ(memhp_balloon_inflate(b, 4 * HUGE), 0);

	ASSERT_GT(stats(b).refused, 0);
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(FREE_PAGES(mi1), FREE_PAGES(mi0));
	memhp_balloon_destroy(b);
}

/* ---- Creation, bad input, teardown ------------------------------------------------ */

static void only_one_balloon_may_own_the_online_page_callback(void)
{
	struct memhp_machine *m = machine(0);
	struct memhp_balloon *xen, *hv = NULL, *virtio;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_XEN, &xen));
	ASSERT_ERR(memhp_balloon_create(m, MEMHP_BALLOON_HYPERV, &hv), -EINVAL);
	ASSERT_TRUE(!hv);
	/* No callback, no conflict. */
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_VIRTIO, &virtio));
	memhp_balloon_destroy(xen);
	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_HYPERV, &hv));
	memhp_balloon_destroy(hv);
	memhp_balloon_destroy(virtio);
}

static void bad_input_gets_the_kernel_errno(void)
{
	struct memhp_machine *m = machine(0);
	const uint64_t chunk = 128 * MEMHP_MiB;
	struct memhp_balloon *b = NULL, *hv, *xen;

	ASSERT_TRUE(m);
	ASSERT_ERR(memhp_balloon_create(m, MEMHP_NR_BALLOON_KINDS, &b), -EINVAL);
	ASSERT_ERR(memhp_balloon_create(m, (enum memhp_balloon_kind) - 1, &b), -EINVAL);
	ASSERT_ERR(memhp_balloon_create(NULL, MEMHP_BALLOON_VIRTIO, &b), -EINVAL);
	ASSERT_ERR(memhp_balloon_create(m, MEMHP_BALLOON_VIRTIO, NULL), -EINVAL);
	ASSERT_TRUE(!memhp_balloon_kind_name(MEMHP_NR_BALLOON_KINDS));
	ASSERT_STREQ(memhp_balloon_kind_name(MEMHP_BALLOON_VMWARE_4K), "vmware-4k");
	ASSERT_ERR(memhp_balloon_inflate(NULL, 1), -EINVAL);
	ASSERT_ERR(memhp_balloon_deflate(NULL, 1), -EINVAL);
	memhp_balloon_destroy(NULL);

	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_VIRTIO, &b));
	ASSERT_EQ(memhp_balloon_kind(b), MEMHP_BALLOON_VIRTIO);
	ASSERT_EQ(memhp_balloon_inflate(b, 0), 0);
	ASSERT_ERR(memhp_balloon_hot_add(b, HOT, chunk, 0), -EOPNOTSUPP);
	ASSERT_ERR(memhp_balloon_host_grant(b, 1), -EOPNOTSUPP);
	ASSERT_ERR(memhp_balloon_host_refuse(b, 1), -EOPNOTSUPP);
	ASSERT_TRUE(!memhp_balloon_host_has(b, 0));
	memhp_balloon_destroy(b);

	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_VMWARE, &b));
	ASSERT_ERR(memhp_balloon_host_refuse(b, -2), -EINVAL);
	memhp_balloon_destroy(b);

	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_HYPERV, &hv));
	ASSERT_ERR(memhp_balloon_hot_add(hv, HOT + MEMHP_MiB, chunk, 0), -EINVAL);
	ASSERT_ERR(memhp_balloon_hot_add(hv, HOT, chunk / 2, 0), -EINVAL);
	ASSERT_ERR(memhp_balloon_hot_add(hv, HOT, 0, 0), -EINVAL);
	ASSERT_ERR(memhp_balloon_hot_add(hv, HOT, chunk, (chunk >> MEMHP_PAGE_SHIFT) + 1), -EINVAL);
	ASSERT_ERR(memhp_balloon_hot_add(hv, 1024 * MEMHP_GiB, chunk, 0), -E2BIG);
	ASSERT_ERR(memhp_balloon_hot_add(hv, 0, chunk, 0), -EEXIST); /* boot memory */
	ASSERT_OK(memhp_balloon_hot_add(hv, HOT, chunk, 10));
	ASSERT_ERR(memhp_balloon_hot_add(hv, HOT, chunk, 0), -EEXIST);
	ASSERT_EQ(stats(hv).host_pages, (chunk >> MEMHP_PAGE_SHIFT) - 10);
	memhp_balloon_destroy(hv);

	ASSERT_OK(memhp_balloon_create(m, MEMHP_BALLOON_XEN, &xen));
	ASSERT_ERR(memhp_balloon_hot_add(xen, HOT + chunk, chunk, 1), -EINVAL);
	ASSERT_ERR(memhp_balloon_hot_add(xen, HOT + chunk + 4096, chunk, 0), -EINVAL);
	ASSERT_ERR(memhp_balloon_host_grant(xen, 1), -EOPNOTSUPP);
	ASSERT_ERR(memhp_balloon_hot_add(xen, HOT, chunk, 0), -EEXIST);
	ASSERT_EQ(stats(xen).host_pages, 0);
	memhp_balloon_destroy(xen);
}

static void destroy_gives_everything_back_for_every_kind(void)
{
	struct memhp_machine *m = machine(1);
	struct memhp_meminfo mi0, mi1;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_KERNEL));
	memhp_meminfo(m, &mi0);
	for (int k = 0; k < MEMHP_NR_BALLOON_KINDS; k++) {
		struct memhp_balloon *b;

		const char *kind = memhp_balloon_kind_name(k);

		ASSERT_OK(memhp_balloon_create(m, (enum memhp_balloon_kind)k, &b), "kind %s", kind);
		ASSERT_GT(memhp_balloon_inflate(b, 3 * HUGE + 5), 0, "kind %s", kind);
		memhp_balloon_destroy(b);
		memhp_meminfo(m, &mi1);
		EXPECT_EQ(FREE_PAGES(mi1), FREE_PAGES(mi0), "kind %s", kind);
		EXPECT_EQ(mi1.total_pages, mi0.total_pages, "kind %s", kind);
		EXPECT_EQ(mi1.offline_pages, 0, "kind %s", kind);
	}
}

/* ---- Concurrency ------------------------------------------------------------------ */

#define CHURN_ROUNDS 200
#define CHURN_PAGES 64
#define CONTIG_PAGES 2048 /* four pageblocks */

struct churn {
	struct memhp_balloon *b;
	long inflated, deflated;
};

static void *churn_thread(void *arg)
{
	struct churn *c = arg;

	for (int i = 0; i < CHURN_ROUNDS; i++) {
		c->inflated += memhp_balloon_inflate(c->b, CHURN_PAGES);
		c->deflated += memhp_balloon_deflate(c->b, CHURN_PAGES / 2);
	}
	return NULL;
}

/* A range of @id that holds a balloon page, if there is one. */
static unsigned long contig_target(struct memhp_machine *m, struct memhp_balloon *b,
				   unsigned long id)
{
	unsigned long nr, *pfns = host_pfns(b, &nr), target = block_start(m, id);

	for (unsigned long i = 0; pfns && i < nr; i++)
		if (in_block(m, pfns[i], id) &&
		    pfns[i] < block_start(m, id) + memhp_pages_per_block(m) - CONTIG_PAGES) {
			target = pfns[i] & ~(memhp_pageblock_nr_pages(m) - 1);
			break;
		}
	free(pfns);
	return target;
}

static void inflate_and_deflate_race_safely_with_offline_migration(void)
{
	unsigned long contig_migrations = 0;

	static const enum memhp_balloon_kind kinds[] = { MEMHP_BALLOON_VIRTIO,
							 MEMHP_BALLOON_VMWARE_4K };
	struct memhp_machine *m = machine(2);

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE));
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct churn c = { 0 };
		pthread_t th;

		ASSERT_OK(memhp_balloon_create(m, kinds[k], &c.b));
		ASSERT_EQ(memhp_balloon_inflate(c.b, NR_BALLOON), NR_BALLOON);
		ASSERT_OK(pthread_create(&th, NULL, churn_thread, &c));
		/* Back and forth while the other thread works the balloon:
		 * every offline has to migrate; the balloon changes between
		 * the steps. */
		for (int i = 0; i < 4; i++) {
			unsigned long id = B0 + (unsigned long)(i & 1);
			unsigned long other =
				contig_target(m, c.b, B0 + 1 - (unsigned long)(i & 1));
			unsigned long migrated = stats(c.b).migrated;
			int ret;

			ASSERT_OK(memhp_block_offline(m, id));
			ASSERT_OK(memhp_block_online(m, id, MEMHP_MMOP_ONLINE_MOVABLE));
			/* alloc_contig_range() migrates without the hotplug
			 * locks: here the balloon may really be busy. */
			ret = memhp_alloc_contig_range(m, other, other + CONTIG_PAGES,
						       MEMHP_GFP_HIGHUSER_MOVABLE);
			ASSERT_TRUE(ret == 0 || ret == -EBUSY);
			if (!ret)
				memhp_free_contig_range(m, other, CONTIG_PAGES);
			contig_migrations += stats(c.b).migrated - migrated;
		}
		pthread_join(th, NULL);
		ASSERT_EQ(stats(c.b).pages, NR_BALLOON + c.inflated - c.deflated);
		ASSERT_EQ(stats(c.b).isolated, 0);
		ASSERT_TRUE(host_and_guest_agree(m, c.b, true, -1));
		ASSERT_EQ(memhp_check(m, NULL), 0);
		memhp_balloon_destroy(c.b);
	}
	/* The contiguous allocations did take balloon pages along. */
	ASSERT_GT(contig_migrations, 0);
}

RUN_TESTS(T(balloon_pages_are_excluded_from_memtotal_as_virtio_balloon_does),
	  T(deflate_returns_pages_and_managed_count), T(inflate_stops_when_the_allocator_runs_dry),
	  T(offline_migrates_compaction_balloon_pages_and_host_follows),
	  T(the_checker_never_sees_a_balloon_page_half_migrated),
	  T(a_poisoned_page_the_host_grants_stays_out_of_the_buddy),
	  T(migration_to_another_zone_moves_the_managed_page_with_it),
	  T(migration_to_the_same_zone_of_another_node_moves_the_managed_page_with_it),
	  T(offline_fails_ebusy_on_balloon_without_compaction),
	  T(balloon_without_compaction_never_takes_zone_movable_pages),
	  T(xen_like_balloon_makes_offline_fail_fast_with_ebusy),
	  T(xen_online_page_puts_hot_added_memory_in_the_balloon_reserved),
	  T(hyperv_like_unbacked_pages_fail_isolation_even_in_zone_movable),
	  T(hyperv_host_grants_bring_pages_online_one_by_one),
	  T(hyperv_grant_to_an_offline_block_waits_for_onlining),
	  T(auto_onlined_hot_add_already_knows_what_the_host_backs),
	  T(hyperv_online_page_leaves_ranges_outside_its_regions_reserved),
	  T(hyperv_inflated_pages_make_offline_fail_in_scan_movable_pages),
	  T(vmware_2m_page_head_refcount_makes_offline_ebusy),
	  T(vmware_4k_pages_migrate_deflating_the_old_page_first),
	  T(vmware_refused_new_page_shrinks_the_balloon_and_frees_the_old_one),
	  T(vmware_refused_2m_pages_are_split_into_4k_balloon_pages),
	  T(vmware_host_refusing_everything_leaves_nothing_allocated),
	  T(only_one_balloon_may_own_the_online_page_callback), T(bad_input_gets_the_kernel_errno),
	  T(destroy_gives_everything_back_for_every_kind),
	  T(inflate_and_deflate_race_safely_with_offline_migration))
