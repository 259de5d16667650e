// SPDX-License-Identifier: MIT
/*
 * test_notifier.c - the memory notifier chain and the online_page callback.
 */
#include "harness.h"

#include <pthread.h>

#define HOT (4 * MEMHP_GiB)
#define B0 32

static struct memhp_machine *with_blocks(unsigned long nr)
{
	struct memhp_machine *m = tm_create(NULL);

	if (!m || tm_add_blocks(m, HOT, nr))
		return NULL;
	return m;
}

struct order {
	struct memhp_notifier_block nb;
	int *log, *n, id;
};

static int order_cb(struct memhp_notifier_block *nb, unsigned long action, void *data)
{
	struct order *o = nb->priv;

	(void)data;
	if (action == MEMHP_MEM_GOING_ONLINE)
		o->log[(*o->n)++] = o->id;
	return MEMHP_NOTIFY_OK;
}

static void unregister_all(void *arg)
{
	struct tm_reg *reg = arg;

	for (int i = 0; i < 4; i++)
		tm_unregister(&reg[i]);
}

static void notifiers_run_by_priority_then_in_registration_order(void)
{
	struct memhp_machine *m = with_blocks(1);
	int log[4], n = 0;
	struct order o[4] = {
		{ .nb.priority = 0, .id = 0 },
		{ .nb.priority = 10, .id = 1 },
		{ .nb.priority = 0, .id = 2 },
		{ .nb.priority = -5, .id = 3 },
	};

	struct tm_reg reg[4] = { 0 };
	TM_CLEANUP(unregister_all, reg);

	ASSERT_TRUE(m);
	for (int i = 0; i < 4; i++) {
		o[i].nb.notifier_call = order_cb;
		o[i].nb.priv = &o[i];
		o[i].log = log;
		o[i].n = &n;
		ASSERT_OK(tm_register_notifier(&reg[i], m, &o[i].nb));
	}
	ASSERT_ERR(memhp_register_memory_notifier(m, &o[0].nb), -EEXIST);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE));
	ASSERT_EQ(n, 4);
	ASSERT_EQ(log[0], 1);
	ASSERT_EQ(log[1], 0);
	ASSERT_EQ(log[2], 2);
	ASSERT_EQ(log[3], 3);
}

static void notifier_errno_encoding_round_trips(void)
{
	const int errs[] = { -EPERM, -ENOMEM, -EBUSY, -EINVAL, -4095 };

	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		ASSERT_EQ(memhp_notifier_to_errno(memhp_notifier_from_errno(errs[i])), errs[i]);
	ASSERT_EQ(memhp_notifier_to_errno(MEMHP_NOTIFY_OK), 0);
	ASSERT_EQ(memhp_notifier_to_errno(MEMHP_NOTIFY_DONE), 0);
	ASSERT_EQ(memhp_notifier_to_errno(MEMHP_NOTIFY_BAD), -EPERM);
	ASSERT_EQ(memhp_notifier_to_errno(MEMHP_NOTIFY_STOP), 0);
	ASSERT_EQ(memhp_notifier_from_errno(0), MEMHP_NOTIFY_OK);
}

static void notify_stop_ends_the_chain_without_an_error(void)
{
	struct memhp_machine *m = with_blocks(1);
	AUTO_EVENT_LOG stop = { .veto_on = MEMHP_MEM_GOING_ONLINE, .veto_ret = MEMHP_NOTIFY_STOP };
	AUTO_EVENT_LOG later = { 0 };

	ASSERT_TRUE(m);
	event_log_register(m, &stop, 1);
	event_log_register(m, &later, 0);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_TRUE(!event_log_saw(&later, MEMHP_MEM_GOING_ONLINE));
	ASSERT_TRUE(event_log_saw(&later, MEMHP_MEM_ONLINE));
	event_log_unregister(&stop);
	event_log_unregister(&later);
}

static void going_online_notify_bad_is_eperm(void)
{
	struct memhp_machine *m = with_blocks(1);
	AUTO_EVENT_LOG bad = { .veto_on = MEMHP_MEM_GOING_ONLINE, .veto_ret = MEMHP_NOTIFY_BAD };

	ASSERT_TRUE(m);
	event_log_register(m, &bad, 0);
	ASSERT_ERR(memhp_store_state(m, B0, "online", 6, false), -EPERM);
	event_log_unregister(&bad);
}

static void mem_online_and_mem_offline_return_values_are_ignored(void)
{
	struct memhp_machine *m = with_blocks(1);
	AUTO_EVENT_LOG a = { .veto_on = MEMHP_MEM_ONLINE, .veto_ret = MEMHP_NOTIFY_BAD };
	AUTO_EVENT_LOG b = { .veto_on = MEMHP_MEM_OFFLINE, .veto_ret = MEMHP_NOTIFY_BAD };
	struct memhp_block_info bi;

	ASSERT_TRUE(m);
	event_log_register(m, &a, 0);
	event_log_register(m, &b, 0);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_block_offline(m, B0));
	memhp_block_info(m, B0, &bi);
	ASSERT_EQ(bi.state, MEMHP_MEM_OFFLINE);
	event_log_unregister(&a);
	event_log_unregister(&b);
}

struct payload {
	struct memhp_notifier_block nb;
	struct memhp_memory_notify seen[8];
	unsigned long action[8];
	int n;
};

static int payload_cb(struct memhp_notifier_block *nb, unsigned long action, void *data)
{
	struct payload *p = nb->priv;

	if (p->n < 8) {
		p->seen[p->n] = *(struct memhp_memory_notify *)data;
		p->action[p->n++] = action;
	}
	return MEMHP_NOTIFY_OK;
}

static void memory_notify_carries_the_range_without_memmap_pages(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct payload p = { 0 };
	const unsigned long vmemmap = 512;
	AUTO_REG notifier = { 0 };

	tm_config(&cfg);
	cfg.memmap_on_memory = true;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	ASSERT_OK(memhp_add_memory(m, 0, HOT, memhp_block_size(m), MEMHP_MHP_MEMMAP_ON_MEMORY));
	p.nb.notifier_call = payload_cb;
	p.nb.priv = &p;
	tm_register_notifier(&notifier, m, &p.nb);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_EQ(p.n, 2);
	ASSERT_EQ(p.action[0], MEMHP_MEM_GOING_ONLINE);
	ASSERT_EQ(p.seen[0].start_pfn, tm_block_pfn(m, B0) + vmemmap);
	ASSERT_EQ(p.seen[0].nr_pages, memhp_pages_per_block(m) - vmemmap);
	/* The node already has normal memory from boot. */
	ASSERT_EQ(p.seen[0].status_change_nid, MEMHP_NUMA_NO_NODE);
	ASSERT_EQ(p.seen[0].status_change_nid_normal, MEMHP_NUMA_NO_NODE);
	tm_unregister(&notifier);
}

struct chunks {
	int calls;
	unsigned int orders[64];
	bool all_fresh;
};

static void record_chunks(struct memhp_page *page, unsigned int order, void *priv)
{
	struct chunks *c = priv;

	if (c->calls < 64)
		c->orders[c->calls] = order;
	c->calls++;
	for (unsigned long i = 0; i < (1UL << order); i++) {
		struct memhp_page *p =
			memhp_pfn_to_page(memhp_page_machine(page), memhp_page_to_pfn(page) + i);

		if (memhp_page_count(p) != 1 || !memhp_PageReserved(p))
			c->all_fresh = false;
	}
	memhp_generic_online_page(page, order);
}

static void online_page_callback_gets_max_order_chunks_of_fresh_pages(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct chunks c = { .all_fresh = true };

	tm_config(&cfg);
	cfg.memmap_on_memory = true;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	ASSERT_OK(memhp_add_memory(m, 0, HOT, memhp_block_size(m), MEMHP_MHP_MEMMAP_ON_MEMORY));
	ASSERT_OK(memhp_add_memory(m, 0, HOT + memhp_block_size(m), memhp_block_size(m), 0));
	ASSERT_OK(memhp_set_online_page_callback(m, record_chunks, &c));
	ASSERT_OK(memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_EQ(c.calls, 32);
	for (int i = 0; i < 32; i++)
		ASSERT_EQ(c.orders[i], 10);
	ASSERT_TRUE(c.all_fresh);
	/* After 512 memmap pages the first chunk is a pageblock: order 9. */
	c.calls = 0;
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_EQ(c.calls, 32);
	ASSERT_EQ(c.orders[0], 9);
	ASSERT_EQ(c.orders[1], 10);
	ASSERT_OK(memhp_restore_online_page_callback(m, record_chunks));
}

struct grabber {
	unsigned long start, end;
	int tries, inside;
};

/* Hand the chunk to the buddy, then try to allocate from it at once. */
static void online_then_grab(struct memhp_page *page, unsigned int order, void *priv)
{
	struct grabber *g = priv;
	struct memhp_machine *m = memhp_page_machine(page);
	struct memhp_page *p;

	memhp_generic_online_page(page, order);
	p = memhp_alloc_pages(m, MEMHP_GFP_HIGHUSER_MOVABLE, 0);
	g->tries++;
	if (p) {
		unsigned long pfn = memhp_page_to_pfn(p);

		g->inside += pfn >= g->start && pfn < g->end;
		memhp_put_page(p);
	}
}

static void no_page_is_allocatable_before_online_pages_finishes(void)
{
	struct memhp_machine *m = with_blocks(2);
	struct grabber g;
	struct memhp_kalloc *k;

	ASSERT_TRUE(m);
	g = (struct grabber){ .start = tm_block_pfn(m, B0 + 1), .end = tm_block_pfn(m, B0 + 2) };
	/* ZONE_MOVABLE exists and is full, so the allocator would love to use
	 * the new block if it could. */
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_kalloc_create(m, &k));
	ASSERT_EQ(memhp_kalloc_alloc(k, memhp_pages_per_block(m), MEMHP_GFP_HIGHUSER_MOVABLE),
		  memhp_pages_per_block(m));
	ASSERT_OK(memhp_set_online_page_callback(m, online_then_grab, &g));
	ASSERT_OK(memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_restore_online_page_callback(m, online_then_grab));
	ASSERT_EQ(g.tries, 32);
	ASSERT_EQ(g.inside, 0);
	/* Once online_pages() is done, they are. */
	{
		struct memhp_page *p = memhp_alloc_pages(m, MEMHP_GFP_HIGHUSER_MOVABLE, 0);

		ASSERT_TRUE(p);
		ASSERT_TRUE(memhp_page_to_pfn(p) >= g.start && memhp_page_to_pfn(p) < g.end);
		memhp_put_page(p);
	}
	memhp_kalloc_destroy(k);
}

/*
 * An alloc_contig_range() elsewhere (virtio-mem unplugging part of a block)
 * may isolate a pageblock of a range whose offline is being cancelled, in
 * the window between the offline's undo and MEM_CANCEL_OFFLINE. The
 * pageblock is isolated when the cancel goes out, and that is no bug.
 */
struct contig_race {
	struct memhp_machine *m;
	unsigned long offline_end, contig_pfn, pb;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool started, isolated, cancelled;
	int contig_ret;
	struct memhp_notifier_block nb;
};

static void *contig_thread(void *arg)
{
	struct contig_race *r = arg;

	r->contig_ret = memhp_alloc_contig_range(r->m, r->contig_pfn, r->contig_pfn + r->pb,
						 MEMHP_GFP_KERNEL);
	if (!r->contig_ret)
		memhp_free_contig_range(r->m, r->contig_pfn, r->pb);
	return NULL;
}

static void wait_for(struct contig_race *r, bool *flag)
{
	pthread_mutex_lock(&r->lock);
	while (!*flag)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

static void set_flag(struct contig_race *r, bool *flag)
{
	pthread_mutex_lock(&r->lock);
	*flag = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void contig_race_event(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct contig_race *r = priv;

	(void)m;
	/* The offline has given its last pageblock back: start the other
	 * isolation, and let the cancel go out only once it holds. */
	if (ev->type == MEMHP_TP_PAGEBLOCK_UNISOLATED &&
	    ev->pageblock.start_pfn == r->offline_end - r->pb && !r->started) {
		r->started = true;
		pthread_create(&r->thread, NULL, contig_thread, r);
		wait_for(r, &r->isolated);
	}
	/* The contig thread's isolation: hold it until the cancel is out. */
	if (ev->type == MEMHP_TP_PAGEBLOCK_ISOLATED && ev->pageblock.start_pfn == r->contig_pfn &&
	    r->started && !r->isolated) {
		set_flag(r, &r->isolated);
		wait_for(r, &r->cancelled);
	}
}

static int veto_then_see_cancel(struct memhp_notifier_block *nb, unsigned long action, void *data)
{
	struct contig_race *r = nb->priv;

	(void)data;
	if (action == MEMHP_MEM_GOING_OFFLINE)
		return memhp_notifier_from_errno(-EBUSY);
	if (action == MEMHP_MEM_CANCEL_OFFLINE)
		set_flag(r, &r->cancelled);
	return MEMHP_NOTIFY_OK;
}

static void cancel_offline_tolerates_a_concurrent_alloc_contig_range_isolation(void)
{
	struct memhp_machine *m = with_blocks(1);
	static struct contig_race r;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	r = (struct contig_race){ .m = m,
				  .pb = memhp_pageblock_nr_pages(m),
				  .contig_pfn = tm_block_pfn(m, B0),
				  .offline_end = tm_block_pfn(m, B0) + memhp_pages_per_block(m) };
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.cond, NULL);
	r.nb = (struct memhp_notifier_block){ .notifier_call = veto_then_see_cancel, .priv = &r };
	ASSERT_OK(memhp_register_memory_notifier(m, &r.nb));
	ASSERT_OK(memhp_event_subscribe(m,
					MEMHP_EVENT_BIT(MEMHP_TP_PAGEBLOCK_ISOLATED) |
						MEMHP_EVENT_BIT(MEMHP_TP_PAGEBLOCK_UNISOLATED),
					contig_race_event, &r));
	ASSERT_ERR(memhp_block_offline(m, B0), -EBUSY);
	memhp_event_unsubscribe(m, contig_race_event, &r);
	ASSERT_TRUE(r.started);
	pthread_join(r.thread, NULL);
	memhp_unregister_memory_notifier(m, &r.nb);
	EXPECT_TRUE(r.isolated && r.cancelled);
	EXPECT_EQ(r.contig_ret, 0);
	EXPECT_EQ(tm_violations(m, MEMHP_RULE_NOTIFIER_SEQUENCE), 0);
	pthread_cond_destroy(&r.cond);
	pthread_mutex_destroy(&r.lock);
}

RUN_TESTS(T(notifiers_run_by_priority_then_in_registration_order),
	  T(notifier_errno_encoding_round_trips), T(notify_stop_ends_the_chain_without_an_error),
	  T(going_online_notify_bad_is_eperm),
	  T(mem_online_and_mem_offline_return_values_are_ignored),
	  T(memory_notify_carries_the_range_without_memmap_pages),
	  T(online_page_callback_gets_max_order_chunks_of_fresh_pages),
	  T(no_page_is_allocatable_before_online_pages_finishes),
	  T(cancel_offline_tolerates_a_concurrent_alloc_contig_range_isolation))
