// SPDX-License-Identifier: MIT
/*
 * test_events.c - typed events and tracepoints (memhp/events.h): what their
 * payloads carry, and the subscriber list: no limit, each subscriber its
 * types, safe while events fire on other threads. Run under `make
 * SAN=thread` too. The grace-period test reads the list's counters, so it
 * includes the core's internal header.
 */
#include "harness.h"

#include "../src/mm/internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#define HOT (4 * MEMHP_GiB)
#define B0 32
#define MAX_RECORDED 64
#define TEXT 160

/* What a subscriber saw, strings copied: theirs live only for the call. */
struct recorder {
	int n;
	struct memhp_event ev[MAX_RECORDED];
	char text[MAX_RECORDED][TEXT];	    /* a finding's detail, a log line */
	char name[MAX_RECORDED][TEXT];	    /* a finding's rule's name (a line's finding's) */
	char reason[MAX_RECORDED][TEXT];    /* an offline's failure reason */
	enum memhp_rule rule[MAX_RECORDED]; /* a line's finding's */
};

static void record(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct recorder *r = priv;
	int i = r->n;

	(void)m;
	if (i == MAX_RECORDED)
		return;
	r->ev[i] = *ev;
	if (ev->type == MEMHP_EV_FINDING) {
		snprintf(r->name[i], TEXT, "%s", ev->finding.name);
		snprintf(r->text[i], TEXT, "%s", ev->finding.detail);
	} else if (ev->type == MEMHP_TP_PRINTK) {
		snprintf(r->text[i], TEXT, "%s", ev->printk.text);
		if (ev->printk.finding) {
			r->rule[i] = ev->printk.finding->rule;
			snprintf(r->name[i], TEXT, "%s", ev->printk.finding->name);
		}
	} else if (ev->type == MEMHP_TP_OP_END && ev->op.reason) {
		snprintf(r->reason[i], TEXT, "%s", ev->op.reason);
	}
	r->n++;
}

static struct memhp_machine *with_block(void)
{
	struct memhp_machine *m = tm_create(NULL);

	if (m && tm_add_blocks(m, HOT, 1))
		return NULL;
	return m;
}

/* ---- Payloads ----------------------------------------------------------------------- */

#define BLOCK_EVENTS                                                                    \
	(MEMHP_EVENT_BIT(MEMHP_EV_BLOCK_ADD) | MEMHP_EVENT_BIT(MEMHP_EV_BLOCK_REMOVE) | \
	 MEMHP_EVENT_BIT(MEMHP_EV_BLOCK_ONLINE) | MEMHP_EVENT_BIT(MEMHP_EV_BLOCK_OFFLINE))

static void block_events_carry_the_block_its_zone_and_node(void)
{
	struct memhp_machine *m = tm_create(NULL);
	static struct recorder r;
	const struct memhp_ev_block *b = &r.ev[0].block;

	ASSERT_TRUE(m);
	r.n = 0;
	ASSERT_OK(memhp_event_subscribe(m, BLOCK_EVENTS, record, &r));
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_block_offline(m, B0));
	ASSERT_OK(memhp_remove_memory(m, HOT, memhp_block_size(m)));
	ASSERT_OK(memhp_event_unsubscribe(m, record, &r));
	ASSERT_EQ(r.n, 4);
	ASSERT_EQ(r.ev[0].type, MEMHP_EV_BLOCK_ADD);
	ASSERT_EQ(r.ev[1].type, MEMHP_EV_BLOCK_ONLINE);
	ASSERT_EQ(r.ev[2].type, MEMHP_EV_BLOCK_OFFLINE);
	ASSERT_EQ(r.ev[3].type, MEMHP_EV_BLOCK_REMOVE);
	for (int i = 0; i < 4; i++) {
		b = &r.ev[i].block;
		ASSERT_EQ(b->id, B0);
		ASSERT_EQ(b->start_pfn, HOT >> MEMHP_PAGE_SHIFT);
		ASSERT_EQ(b->nr_pages, memhp_pages_per_block(m));
		ASSERT_EQ(b->nid, 0);
	}
	/* Online: the zone it went to; offline: the one it left. */
	ASSERT_EQ(r.ev[0].block.zone, -1);
	ASSERT_EQ(r.ev[1].block.zone, MEMHP_ZONE_MOVABLE);
	ASSERT_EQ(r.ev[2].block.zone, MEMHP_ZONE_MOVABLE);
	ASSERT_EQ(r.ev[3].block.zone, -1);
}

static void a_finding_carries_its_rule_pfn_and_detail_and_its_log_line_points_at_it(void)
{
	struct memhp_machine *m = tm_create(NULL);
	static struct recorder r;

	ASSERT_TRUE(m);
	r.n = 0;
	tm_expect_violations(m, MEMHP_RULE_WARN);
	ASSERT_OK(memhp_event_subscribe(
		m, MEMHP_EVENT_BIT(MEMHP_EV_FINDING) | MEMHP_EVENT_BIT(MEMHP_TP_PRINTK), record,
		&r));
	memhp_report(m, 0x1234, MEMHP_RULE_WARN, "what it saw: %d", 7);
	memhp_report(m, MEMHP_NO_PFN, MEMHP_RULE_WARN, "about no page");
	ASSERT_OK(memhp_event_unsubscribe(m, record, &r));
	ASSERT_EQ(r.n, 4);
	ASSERT_EQ(r.ev[0].type, MEMHP_EV_FINDING);
	ASSERT_EQ(r.ev[0].finding.rule, MEMHP_RULE_WARN);
	ASSERT_STREQ(r.name[0], "warn");
	ASSERT_EQ(r.ev[0].finding.pfn, 0x1234);
	ASSERT_STREQ(r.text[0], "what it saw: 7");
	/* The kernel-log line comes next and says which finding it tells of. */
	ASSERT_EQ(r.ev[1].type, MEMHP_TP_PRINTK);
	ASSERT_EQ(r.ev[1].printk.level, MEMHP_KERN_ERR);
	ASSERT_EQ(r.rule[1], MEMHP_RULE_WARN);
	ASSERT_STREQ(r.name[1], "warn");
	ASSERT_STREQ(r.text[1], "memhp: warn at pfn 0x1234: what it saw: 7");
	ASSERT_EQ(r.ev[2].finding.pfn, MEMHP_NO_PFN);
	ASSERT_STREQ(r.text[3], "memhp: warn: about no page");
}

static void a_plain_log_line_points_at_no_finding(void)
{
	struct memhp_machine *m = with_block();
	static struct recorder r;

	ASSERT_TRUE(m);
	r.n = 0;
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_event_subscribe(m, MEMHP_EVENT_BIT(MEMHP_TP_PRINTK), record, &r));
	ASSERT_OK(memhp_block_offline(m, B0));
	ASSERT_OK(memhp_event_unsubscribe(m, record, &r));
	ASSERT_GT(r.n, 0);
	for (int i = 0; i < r.n; i++)
		ASSERT_TRUE(!r.ev[i].printk.finding);
}

static void offline_pages_ends_with_its_zone_rounds_and_failure_reason(void)
{
	struct memhp_machine *m = with_block();
	struct event_log veto = { .veto_on = MEMHP_MEM_GOING_OFFLINE };
	static struct recorder r;

	ASSERT_TRUE(m);
	r.n = 0;
	veto.veto_ret = memhp_notifier_from_errno(-EBUSY);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	event_log_register(m, &veto, 0);
	ASSERT_OK(memhp_event_subscribe(m, MEMHP_EVENT_BIT(MEMHP_TP_OP_END), record, &r));
	ASSERT_ERR(memhp_block_offline(m, B0), -EBUSY);
	memhp_unregister_memory_notifier(m, &veto.nb);
	ASSERT_OK(memhp_block_offline(m, B0));
	ASSERT_OK(memhp_event_unsubscribe(m, record, &r));
	ASSERT_EQ(r.n, 2);
	ASSERT_EQ(r.ev[0].op.op, MEMHP_OP_OFFLINE_PAGES);
	ASSERT_ERR(r.ev[0].op.ret, -EBUSY);
	ASSERT_EQ(r.ev[0].op.zone, MEMHP_ZONE_MOVABLE);
	ASSERT_STREQ(r.reason[0], "notifier failure");
	ASSERT_OK(r.ev[1].op.ret);
	ASSERT_TRUE(!r.ev[1].op.reason);
	/* An empty block: one test_pages_isolated() that passes, no retry. */
	ASSERT_EQ(r.ev[1].op.rounds, 0);
}

/* ---- The subscriber list ------------------------------------------------------------ */

#define MANY_SUBSCRIBERS 100

struct ordered {
	_Atomic int *clock;
	int seen_at, calls;
};

static void note_order(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct ordered *o = priv;

	(void)m;
	(void)ev;
	o->seen_at = atomic_fetch_add(o->clock, 1);
	o->calls++;
}

static void subscribers_have_no_limit_and_are_called_in_subscription_order(void)
{
	struct memhp_machine *m = tm_create(NULL);
	static struct ordered o[MANY_SUBSCRIBERS];
	_Atomic int clock = 0;

	ASSERT_TRUE(m);
	for (int i = 0; i < MANY_SUBSCRIBERS; i++) {
		o[i] = (struct ordered){ .clock = &clock };
		ASSERT_OK(memhp_event_subscribe(m, MEMHP_EVENT_BIT(MEMHP_EV_INSTANT), note_order,
						&o[i]));
	}
	memhp_trace_instant(m, "once", 0, 0);
	for (int i = 0; i < MANY_SUBSCRIBERS; i++) {
		ASSERT_EQ(o[i].calls, 1);
		ASSERT_EQ(o[i].seen_at, i);
		ASSERT_OK(memhp_event_unsubscribe(m, note_order, &o[i]));
	}
}

static void count_calls(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	(void)m;
	(void)ev;
	atomic_fetch_add((_Atomic unsigned long *)priv, 1);
}

static void a_subscriber_gets_only_the_types_it_asked_for(void)
{
	struct memhp_machine *m = with_block();
	_Atomic unsigned long calls = 0;

	ASSERT_TRUE(m);
	ASSERT_FALSE(memhp_event_enabled(m, MEMHP_EV_INSTANT));
	ASSERT_OK(memhp_event_subscribe(m, MEMHP_EVENT_BIT(MEMHP_EV_INSTANT), count_calls,
					(void *)&calls));
	ASSERT_TRUE(memhp_event_enabled(m, MEMHP_EV_INSTANT));
	ASSERT_FALSE(memhp_event_enabled(m, MEMHP_TP_OP_BEGIN));
	/* Dozens of events and tracepoints, none of them an instant. */
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_block_offline(m, B0));
	ASSERT_EQ(atomic_load(&calls), 0);
	memhp_trace_instant(m, "one", 1, 2);
	ASSERT_EQ(atomic_load(&calls), 1);
	ASSERT_OK(memhp_event_unsubscribe(m, count_calls, (void *)&calls));
	ASSERT_FALSE(memhp_event_enabled(m, MEMHP_EV_INSTANT));
	memhp_trace_instant(m, "none", 1, 2);
	ASSERT_EQ(atomic_load(&calls), 1);
}

static void subscribing_checks_its_arguments(void)
{
	struct memhp_machine *m = tm_create(NULL);
	_Atomic unsigned long calls = 0, other = 0;
	void *priv = (void *)&calls;

	ASSERT_TRUE(m);
	ASSERT_ERR(memhp_event_subscribe(m, 0, count_calls, priv), -EINVAL);
	ASSERT_ERR(memhp_event_subscribe(m, 1ULL << 63, count_calls, priv), -EINVAL);
	ASSERT_ERR(memhp_event_subscribe(m, MEMHP_EVENTS_ALL, NULL, priv), -EINVAL);
	ASSERT_ERR(memhp_event_unsubscribe(m, count_calls, priv), -ENOENT);
	ASSERT_OK(memhp_event_subscribe(m, MEMHP_EVENTS_TP, count_calls, priv));
	ASSERT_ERR(memhp_event_subscribe(m, MEMHP_EVENTS_EV, count_calls, priv), -EEXIST);
	/* Another priv is another subscriber. */
	ASSERT_OK(memhp_event_subscribe(m, MEMHP_EVENTS_EV, count_calls, (void *)&other));
	ASSERT_OK(memhp_event_unsubscribe(m, count_calls, (void *)&other));
	ASSERT_OK(memhp_event_unsubscribe(m, count_calls, priv));
	ASSERT_ERR(memhp_event_unsubscribe(m, count_calls, priv), -ENOENT);
}

struct reentrant {
	struct memhp_machine *m;
	int calls, unsubscribed, subscribed;
	_Atomic unsigned long late_calls;
};

static void unsubscribe_self(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct reentrant *r = priv;

	(void)ev;
	r->calls++;
	r->unsubscribed = memhp_event_unsubscribe(m, unsubscribe_self, priv);
}

static void unsubscribing_from_inside_a_subscriber_is_edeadlk(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct reentrant r = { .m = m };

	ASSERT_TRUE(m);
	ASSERT_OK(
		memhp_event_subscribe(m, MEMHP_EVENT_BIT(MEMHP_EV_INSTANT), unsubscribe_self, &r));
	memhp_trace_instant(m, "first", 0, 0);
	ASSERT_ERR(r.unsubscribed, -EDEADLK);
	/* Nothing changed: it still hears, and may leave from outside. */
	memhp_trace_instant(m, "second", 0, 0);
	ASSERT_EQ(r.calls, 2);
	ASSERT_OK(memhp_event_unsubscribe(m, unsubscribe_self, &r));
}

static void subscribe_another(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct reentrant *r = priv;

	(void)ev;
	if (!r->calls++)
		r->subscribed = memhp_event_subscribe(m, MEMHP_EVENT_BIT(MEMHP_EV_INSTANT),
						      count_calls, (void *)&r->late_calls);
}

static void a_subscriber_may_subscribe_another_which_hears_the_next_event(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct reentrant r = { .m = m };

	ASSERT_TRUE(m);
	ASSERT_OK(
		memhp_event_subscribe(m, MEMHP_EVENT_BIT(MEMHP_EV_INSTANT), subscribe_another, &r));
	memhp_trace_instant(m, "first", 0, 0);
	ASSERT_OK(r.subscribed);
	ASSERT_EQ(atomic_load(&r.late_calls), 0);
	memhp_trace_instant(m, "second", 0, 0);
	ASSERT_EQ(atomic_load(&r.late_calls), 1);
	ASSERT_OK(memhp_event_unsubscribe(m, subscribe_another, &r));
	ASSERT_OK(memhp_event_unsubscribe(m, count_calls, (void *)&r.late_calls));
}

static void emit_from_inside(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	int *depth = priv;

	if (ev->instant.arg < 3) {
		++*depth;
		memhp_trace_instant(m, "nested", 0, ev->instant.arg + 1);
	}
}

static void a_subscriber_may_emit_events_itself(void)
{
	struct memhp_machine *m = tm_create(NULL);
	int depth = 0;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_event_subscribe(m, MEMHP_EVENT_BIT(MEMHP_EV_INSTANT), emit_from_inside,
					&depth));
	memhp_trace_instant(m, "outer", 0, 0);
	ASSERT_OK(memhp_event_unsubscribe(m, emit_from_inside, &depth));
	ASSERT_EQ(depth, 3);
}

/* ---- Threads ------------------------------------------------------------------------ */

struct in_flight {
	struct memhp_machine *m;
	_Atomic bool entered, release, finished, unsubscribed;
	int ret;
};

/* Holds the emitting thread inside the call until released. */
static void hold(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct in_flight *f = priv;

	(void)m;
	(void)ev;
	atomic_store(&f->entered, true);
	while (!atomic_load(&f->release))
		sched_yield();
	atomic_store(&f->finished, atomic_load(&f->unsubscribed) ? false : true);
}

static void *emit_once(void *arg)
{
	struct in_flight *f = arg;

	memhp_trace_instant(f->m, "held", 0, 0);
	return NULL;
}

static void *unsubscribe_hold(void *arg)
{
	struct in_flight *f = arg;

	f->ret = memhp_event_unsubscribe(f->m, hold, f);
	atomic_store(&f->unsubscribed, true);
	return NULL;
}

static void unsubscribe_waits_for_a_call_in_progress_on_another_thread(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct in_flight f = { .m = m };
	pthread_t emitter, leaver;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_event_subscribe(m, MEMHP_EVENT_BIT(MEMHP_EV_INSTANT), hold, &f));
	ASSERT_OK(pthread_create(&emitter, NULL, emit_once, &f));
	while (!atomic_load(&f.entered))
		sched_yield();
	ASSERT_OK(pthread_create(&leaver, NULL, unsubscribe_hold, &f));
	/* The leaver is waiting for the grace period (or, wrongly, done). */
	while (!atomic_load(&m->events.waiting) && !atomic_load(&f.unsubscribed))
		sched_yield();
	EXPECT_TRUE(!atomic_load(&f.unsubscribed));
	atomic_store(&f.release, true);
	pthread_join(emitter, NULL);
	pthread_join(leaver, NULL);
	ASSERT_OK(f.ret);
	/* The call ended before the unsubscribe returned. */
	ASSERT_TRUE(atomic_load(&f.finished));
	ASSERT_FALSE(memhp_event_enabled(m, MEMHP_EV_INSTANT));
}

#define EMITTERS 2
#define CHURN_ROUNDS 2000

struct race {
	struct memhp_machine *m;
	_Atomic bool stop;
	_Atomic unsigned long emitted[EMITTERS];
	_Atomic unsigned long heard; /* by the subscriber there throughout */
};

struct emitter_arg {
	struct race *r;
	int i;
};

static void *emit_until_stopped(void *arg)
{
	struct emitter_arg *a = arg;

	while (!atomic_load(&a->r->stop)) {
		memhp_trace_instant(a->r->m, "race", (unsigned long)a->i, 0);
		atomic_fetch_add(&a->r->emitted[a->i], 1);
	}
	return NULL;
}

/* A subscriber whose data is freed as soon as it has left: a call after
 * the unsubscribe returned is a use after free (ASan) or a race (TSan). */
static void touch(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	(void)m;
	(void)ev;
	atomic_fetch_add((_Atomic unsigned long *)priv, 1);
}

static void subscribers_come_and_go_while_threads_emit(void)
{
	struct memhp_machine *m = tm_create(NULL);
	static struct race r;
	struct emitter_arg args[EMITTERS];
	pthread_t t[EMITTERS];
	unsigned long total = 0;

	ASSERT_TRUE(m);
	r = (struct race){ .m = m };
	ASSERT_OK(memhp_event_subscribe(m, MEMHP_EVENT_BIT(MEMHP_EV_INSTANT), count_calls,
					(void *)&r.heard));
	for (int i = 0; i < EMITTERS; i++) {
		args[i] = (struct emitter_arg){ &r, i };
		ASSERT_OK(pthread_create(&t[i], NULL, emit_until_stopped, &args[i]));
	}
	/* Both emitting before subscribers come and go. */
	for (int i = 0; i < EMITTERS; i++)
		while (!atomic_load(&r.emitted[i]))
			sched_yield();
	for (int i = 0; i < CHURN_ROUNDS; i++) {
		_Atomic unsigned long *calls = calloc(1, sizeof(*calls));

		if (!calls)
			break;
		EXPECT_ERR(memhp_event_subscribe(m, MEMHP_EVENT_BIT(MEMHP_EV_INSTANT), touch,
						 (void *)calls),
			   0);
		/* Heard once: leave while the emitters are at it. */
		while (!atomic_load(calls))
			sched_yield();
		EXPECT_ERR(memhp_event_unsubscribe(m, touch, (void *)calls), 0);
		free((void *)calls);
	}
	atomic_store(&r.stop, true);
	for (int i = 0; i < EMITTERS; i++) {
		pthread_join(t[i], NULL);
		total += atomic_load(&r.emitted[i]);
	}
	ASSERT_OK(memhp_event_unsubscribe(m, count_calls, (void *)&r.heard));
	/* The one there throughout heard every event. */
	ASSERT_EQ(atomic_load(&r.heard), total);
	printf("# %lu events while %d subscribers came and went\n", total, CHURN_ROUNDS);
}

RUN_TESTS(T(block_events_carry_the_block_its_zone_and_node),
	  T(a_finding_carries_its_rule_pfn_and_detail_and_its_log_line_points_at_it),
	  T(a_plain_log_line_points_at_no_finding),
	  T(offline_pages_ends_with_its_zone_rounds_and_failure_reason),
	  T(subscribers_have_no_limit_and_are_called_in_subscription_order),
	  T(a_subscriber_gets_only_the_types_it_asked_for), T(subscribing_checks_its_arguments),
	  T(unsubscribing_from_inside_a_subscriber_is_edeadlk),
	  T(a_subscriber_may_subscribe_another_which_hears_the_next_event),
	  T(a_subscriber_may_emit_events_itself),
	  T(unsubscribe_waits_for_a_call_in_progress_on_another_thread),
	  T(subscribers_come_and_go_while_threads_emit))
