// SPDX-License-Identifier: MIT
/*
 * test_pageoffline.c - the PageOffline rules, under both protocols.
 *
 * A small driver lives in this file, built the way virtio-mem keeps
 * unplugged memory: its online_page callback keeps a range of a block back
 * as PageOffline (PG_reserved cleared, refcount 1, not managed). Under the
 * 6.1 protocol its notifier drops the references and gives the pages back
 * to the managed count in MEM_GOING_OFFLINE and undoes both in
 * MEM_CANCEL_OFFLINE, guarded by a hotplug_active flag; under the 2025
 * protocol it marks the pages skippable and does nothing in the notifier.
 */
#include "harness.h"

#include <string.h>

#include <stdlib.h>

#define HOT (4 * MEMHP_GiB)
#define B0 32
#define KEEP 2048 /* pages kept back: two max-order chunks */

struct fake_driver {
	struct memhp_machine *m;
	struct memhp_notifier_block nb;
	unsigned long start, nr; /* the range it keeps PageOffline */
	bool drops_refs;	 /* takes part in the 6.1 protocol */
	bool hotplug_active;
	int not_zero;		 /* dec_and_test that did not reach 0 */
	int going_offline_count; /* refcount seen in GOING_OFFLINE */
	int going_offline_refcount;
};

static void fd_online_page(struct memhp_page *page, unsigned int order, void *priv)
{
	struct fake_driver *fd = priv;
	unsigned long pfn = memhp_page_to_pfn(page);

	if (pfn < fd->start || pfn >= fd->start + fd->nr) {
		memhp_generic_online_page(page, order);
		return;
	}
	memhp_page_offline_begin(fd->m);
	for (unsigned long i = 0; i < (1UL << order); i++) {
		struct memhp_page *p = memhp_pfn_to_page(fd->m, pfn + i);

		memhp_SetPageOffline(p);
		memhp_ClearPageReserved(p);
		if (memhp_machine_protocol(fd->m) == MEMHP_PROTOCOL_2025)
			memhp_SetPageOfflineSkippable(p);
	}
	memhp_page_offline_end(fd->m);
}

static bool fd_owns(struct fake_driver *fd, const struct memhp_memory_notify *arg)
{
	return fd->start >= arg->start_pfn && fd->start + fd->nr <= arg->start_pfn + arg->nr_pages;
}

static int fd_notifier(struct memhp_notifier_block *nb, unsigned long action, void *data)
{
	struct fake_driver *fd = nb->priv;
	struct memhp_memory_notify *arg = data;

	if (!fd_owns(fd, arg))
		return MEMHP_NOTIFY_DONE;
	switch (action) {
	case MEMHP_MEM_GOING_OFFLINE:
		fd->hotplug_active = true;
		fd->going_offline_refcount = memhp_page_count(memhp_pfn_to_page(fd->m, fd->start));
		fd->going_offline_count++;
		if (!fd->drops_refs)
			break;
		memhp_adjust_managed_page_count(memhp_pfn_to_page(fd->m, fd->start), (long)fd->nr);
		for (unsigned long i = 0; i < fd->nr; i++) {
			struct memhp_page *p = memhp_pfn_to_page(fd->m, fd->start + i);

			if (!memhp_page_ref_dec_and_test(p)) {
				fd->not_zero++;
				memhp_report(fd->m, fd->start + i,
					     MEMHP_RULE_FAKE_OFFLINE_REFERENCED,
					     "fake-offline page referenced");
			}
		}
		break;
	case MEMHP_MEM_CANCEL_OFFLINE:
		if (!fd->hotplug_active)
			break;
		if (fd->drops_refs) {
			memhp_adjust_managed_page_count(memhp_pfn_to_page(fd->m, fd->start),
							-(long)fd->nr);
			for (unsigned long i = 0; i < fd->nr; i++)
				memhp_page_ref_inc(memhp_pfn_to_page(fd->m, fd->start + i));
		}
		fd->hotplug_active = false;
		break;
	case MEMHP_MEM_OFFLINE:
		fd->hotplug_active = false;
		break;
	}
	return MEMHP_NOTIFY_OK;
}

static void fd_init(struct fake_driver *fd, struct memhp_machine *m, bool drops_refs)
{
	fd->m = m;
	fd->start = B0 * memhp_pages_per_block(m);
	fd->nr = KEEP;
	fd->drops_refs = drops_refs;
	fd->nb.notifier_call = fd_notifier;
	fd->nb.priv = fd;
	memhp_set_online_page_callback(m, fd_online_page, fd);
	memhp_register_memory_notifier(m, &fd->nb);
}

/* Let go of the machine; nothing if fd_init() did not run or this did. */
static void fd_exit(struct fake_driver *fd)
{
	if (!fd->nb.notifier_call)
		return;
	memhp_unregister_memory_notifier(fd->m, &fd->nb);
	memhp_restore_online_page_callback(fd->m, fd_online_page);
	fd->nb.notifier_call = NULL;
}

/* A fake driver on the test's stack, let go of however the test ends. */
#define AUTO_FAKE_DRIVER __attribute__((cleanup(fd_exit))) struct fake_driver

static struct memhp_machine *machine(enum memhp_protocol protocol)
{
	struct memhp_config cfg;
	struct memhp_machine *m;

	tm_config(&cfg);
	cfg.protocol = protocol;
	m = tm_create(&cfg);
	if (m && tm_add_blocks(m, HOT, 2))
		return NULL;
	return m;
}

static unsigned long zone_managed(struct memhp_machine *m, enum memhp_zone_type z)
{
	struct memhp_zone_info zi;

	memhp_zone_info(m, 0, z, &zi);
	return zi.managed_pages;
}

static bool range_is_offline_with_count(struct memhp_machine *m, unsigned long start,
					unsigned long nr, int count)
{
	for (unsigned long i = 0; i < nr; i++) {
		struct memhp_page *p = memhp_pfn_to_online_page(m, start + i);

		if (!p || !memhp_PageOffline(p) || memhp_PageReserved(p) || memhp_PageBuddy(p) ||
		    memhp_page_count(p) != count)
			return false;
	}
	return true;
}

/* ---- Onlining ------------------------------------------------------------------------ */

static void online_page_callback_keeps_pages_back_as_pageoffline(void)
{
	struct memhp_machine *m = machine(MEMHP_PROTOCOL_6_1);
	AUTO_FAKE_DRIVER fd = { 0 };
	struct memhp_zone_info zi;
	unsigned long managed0;

	ASSERT_TRUE(m);
	fd_init(&fd, m, true);
	managed0 = zone_managed(m, MEMHP_ZONE_MOVABLE);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_TRUE(range_is_offline_with_count(m, fd.start, KEEP, 1));
	memhp_zone_info(m, 0, MEMHP_ZONE_MOVABLE, &zi);
	/* Present counts every page, managed only those the buddy got. */
	ASSERT_EQ(zi.present_pages, memhp_pages_per_block(m));
	ASSERT_EQ(zi.managed_pages - managed0, memhp_pages_per_block(m) - KEEP);
	ASSERT_TRUE(!memhp_PageOffline(memhp_pfn_to_page(m, fd.start + KEEP)));

	/* Offline and online again: the callback marks them again. */
	ASSERT_OK(memhp_block_offline(m, B0));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_TRUE(range_is_offline_with_count(m, fd.start, KEEP, 1));
	ASSERT_EQ(zone_managed(m, MEMHP_ZONE_MOVABLE) - managed0, memhp_pages_per_block(m) - KEEP);
	fd_exit(&fd);
}

static void set_online_page_callback_refuses_a_second_callback(void)
{
	struct memhp_machine *m = machine(MEMHP_PROTOCOL_6_1);
	AUTO_FAKE_DRIVER fd = { 0 };

	ASSERT_TRUE(m);
	fd_init(&fd, m, true);
	ASSERT_ERR(memhp_set_online_page_callback(m, fd_online_page, &fd), -EINVAL);
	ASSERT_ERR(memhp_restore_online_page_callback(m, NULL), -EINVAL);
	fd_exit(&fd);
	ASSERT_ERR(memhp_restore_online_page_callback(m, fd_online_page), -EINVAL);
	/* With the generic callback back, nothing is kept. */
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_TRUE(!memhp_PageOffline(memhp_pfn_to_page(m, fd.start)));
}

/* ---- 6.1 ---------------------------------------------------------------------------------- */

static void offline_succeeds_when_the_driver_drops_its_references_in_going_offline(void)
{
	struct memhp_machine *m = machine(MEMHP_PROTOCOL_6_1);
	AUTO_FAKE_DRIVER fd = { 0 };
	struct memhp_meminfo mi0, mi1;
	unsigned long managed0;

	ASSERT_TRUE(m);
	fd_init(&fd, m, true);
	managed0 = zone_managed(m, MEMHP_ZONE_MOVABLE);
	memhp_meminfo(m, &mi0);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));

	ASSERT_OK(memhp_block_offline(m, B0));

	ASSERT_EQ(fd.going_offline_refcount, 1);
	ASSERT_EQ(fd.not_zero, 0);
	/* 6.1 subtracts the whole block; the driver had added its pages back
	 * in MEM_GOING_OFFLINE, so nothing drifts. */
	ASSERT_EQ(zone_managed(m, MEMHP_ZONE_MOVABLE), managed0);
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi1.total_pages, mi0.total_pages);
	fd_exit(&fd);
}

static void offline_fails_ebusy_on_referenced_pageoffline_and_cancel_reaches_all(void)
{
	struct memhp_machine *m = machine(MEMHP_PROTOCOL_6_1);
	AUTO_FAKE_DRIVER fd = { 0 };
	AUTO_EVENT_LOG before = { 0 }, after = { 0 };
	struct memhp_meminfo mi0, mi1;
	char buf[MEMHP_SYSFS_BUF];

	ASSERT_TRUE(m);
	fd_init(&fd, m, false); /* keeps pages back but never lets go */
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	event_log_register(m, &before, 10);
	event_log_register(m, &after, -10);
	memhp_meminfo(m, &mi0);

	ASSERT_ERR(memhp_store_state(m, B0, "offline", 7, false), -EBUSY);

	/* Isolation let the PageOffline pages through; scan_movable_pages()
	 * then refused them after MEM_GOING_OFFLINE. */
	ASSERT_EQ(before.n, 2);
	ASSERT_EQ(before.events[0], MEMHP_MEM_GOING_OFFLINE);
	ASSERT_EQ(before.events[1], MEMHP_MEM_CANCEL_OFFLINE);
	ASSERT_EQ(after.n, 2);
	ASSERT_EQ(after.events[1], MEMHP_MEM_CANCEL_OFFLINE);
	ASSERT_TRUE(range_is_offline_with_count(m, fd.start, KEEP, 1));
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi1.free_pages, mi0.free_pages);
	ASSERT_EQ(mi1.total_pages, mi0.total_pages);
	memhp_show_state(m, B0, buf);
	ASSERT_STREQ(buf, "online\n");
	event_log_unregister(&before);
	event_log_unregister(&after);
	fd_exit(&fd);
}

static void pageoffline_page_in_zone_normal_also_passes_isolation(void)
{
	struct memhp_machine *m = machine(MEMHP_PROTOCOL_6_1);
	AUTO_FAKE_DRIVER fd = { 0 };
	AUTO_EVENT_LOG log = { 0 };

	ASSERT_TRUE(m);
	fd_init(&fd, m, false);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_KERNEL));
	event_log_register(m, &log, 0);
	ASSERT_ERR(memhp_block_offline(m, B0), -EBUSY);
	ASSERT_TRUE(event_log_saw(&log, MEMHP_MEM_GOING_OFFLINE));
	event_log_unregister(&log);
	fd_exit(&fd);
}

static void cancel_offline_reaches_notifiers_that_never_saw_going_offline(void)
{
	struct memhp_machine *m = machine(MEMHP_PROTOCOL_6_1);
	AUTO_FAKE_DRIVER fd = { 0 };
	AUTO_EVENT_LOG veto = { .veto_on = MEMHP_MEM_GOING_OFFLINE,
				.veto_ret = memhp_notifier_from_errno(-ENOMEM) };
	AUTO_EVENT_LOG low = { 0 };
	unsigned long managed;

	ASSERT_TRUE(m);
	fd_init(&fd, m, true); /* priority 0, after the veto */
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	event_log_register(m, &veto, 100);
	event_log_register(m, &low, -100);
	managed = zone_managed(m, MEMHP_ZONE_MOVABLE);

	ASSERT_ERR(memhp_block_offline(m, B0), -ENOMEM);

	ASSERT_EQ(low.n, 1);
	ASSERT_EQ(low.events[0], MEMHP_MEM_CANCEL_OFFLINE);
	ASSERT_EQ(fd.going_offline_count, 0);
	/* The driver's guard kept it from "restoring" what it never dropped. */
	ASSERT_TRUE(range_is_offline_with_count(m, fd.start, KEEP, 1));
	ASSERT_EQ(zone_managed(m, MEMHP_ZONE_MOVABLE), managed);
	event_log_unregister(&veto);
	event_log_unregister(&low);
	fd_exit(&fd);
}

static void a_later_veto_restores_the_driver_references_and_managed_count_exactly(void)
{
	struct memhp_machine *m = machine(MEMHP_PROTOCOL_6_1);
	AUTO_FAKE_DRIVER fd = { 0 };
	AUTO_EVENT_LOG veto = { .veto_on = MEMHP_MEM_GOING_OFFLINE, .veto_ret = MEMHP_NOTIFY_BAD };
	unsigned long managed;

	ASSERT_TRUE(m);
	fd_init(&fd, m, true);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	event_log_register(m, &veto, -100); /* after the driver */
	managed = zone_managed(m, MEMHP_ZONE_MOVABLE);

	ASSERT_ERR(memhp_block_offline(m, B0), -EPERM); /* NOTIFY_BAD */

	ASSERT_EQ(fd.going_offline_count, 1);
	ASSERT_TRUE(range_is_offline_with_count(m, fd.start, KEEP, 1));
	ASSERT_EQ(zone_managed(m, MEMHP_ZONE_MOVABLE), managed);
	event_log_unregister(&veto);
	fd_exit(&fd);
}

static void going_online_veto_returns_the_errno_and_leaves_the_block_offline(void)
{
	struct memhp_machine *m = machine(MEMHP_PROTOCOL_6_1);
	AUTO_EVENT_LOG veto = { .veto_on = MEMHP_MEM_GOING_ONLINE,
				.veto_ret = memhp_notifier_from_errno(-ENOSPC) };
	AUTO_EVENT_LOG low = { 0 };
	struct memhp_zone_info zi;
	struct memhp_meminfo mi0, mi1;
	char buf[MEMHP_SYSFS_BUF];

	ASSERT_TRUE(m);
	event_log_register(m, &veto, 10);
	event_log_register(m, &low, 0);
	memhp_meminfo(m, &mi0);
	ASSERT_ERR(memhp_store_state(m, B0, "online_movable", 14, false), -ENOSPC);
	ASSERT_EQ(low.n, 1);
	ASSERT_EQ(low.events[0], MEMHP_MEM_CANCEL_ONLINE);
	memhp_show_state(m, B0, buf);
	ASSERT_STREQ(buf, "offline\n");
	memhp_zone_info(m, 0, MEMHP_ZONE_MOVABLE, &zi);
	ASSERT_EQ(zi.spanned_pages, 0);
	ASSERT_EQ(zi.present_pages, 0);
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi1.total_pages, mi0.total_pages);
	ASSERT_TRUE(!memhp_pfn_to_online_page(m, tm_block_pfn(m, B0)));
	event_log_unregister(&veto);
	event_log_unregister(&low);
}

/* A walker that grabs a reference at the wrong moment. */
struct stray {
	struct memhp_notifier_block nb;
	struct memhp_page *page;
	bool put_in_going_offline;
};

static int stray_notifier(struct memhp_notifier_block *nb, unsigned long action, void *data)
{
	struct stray *s = nb->priv;

	(void)data;
	if (action == MEMHP_MEM_GOING_OFFLINE && s->put_in_going_offline && s->page) {
		memhp_put_page(s->page);
		s->page = NULL;
	}
	return MEMHP_NOTIFY_OK;
}

static void speculative_reference_keeps_6_1_offline_from_finishing(void)
{
	struct memhp_machine *m = machine(MEMHP_PROTOCOL_6_1);
	AUTO_FAKE_DRIVER fd = { 0 };
	struct memhp_page *p;

	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_FAKE_OFFLINE_REFERENCED);
	fd_init(&fd, m, true);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	p = memhp_pfn_to_online_page(m, fd.start + 5);
	ASSERT_TRUE(memhp_get_page_unless_zero(p)); /* the walker */

	ASSERT_ERR(memhp_block_offline(m, B0), -EBUSY);

	ASSERT_EQ(fd.not_zero, 1);
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_FAKE_OFFLINE_REFERENCED), 1);
	ASSERT_EQ(memhp_page_count(p), 2); /* driver's again, and the walker's */
	memhp_put_page(p);
	ASSERT_TRUE(range_is_offline_with_count(m, fd.start, KEEP, 1));
	/* Without the walker, offlining goes through. */
	ASSERT_OK(memhp_block_offline(m, B0));
	fd_exit(&fd);
}

static void stray_put_to_zero_on_a_fake_offline_page_is_reported_6_1(void)
{
	struct memhp_machine *m = machine(MEMHP_PROTOCOL_6_1);
	AUTO_FAKE_DRIVER fd = { 0 };
	struct stray s = { .put_in_going_offline = true };
	AUTO_REG notifier = { 0 };

	ASSERT_TRUE(m);
	/* The page gets freed under the driver: the machine stays broken,
	 * which is the point of the 2019 discussion. */
	tm_skip_final_check(m);
	fd_init(&fd, m, true);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	s.page = memhp_pfn_to_online_page(m, fd.start + 9);
	ASSERT_TRUE(memhp_get_page_unless_zero(s.page));
	s.nb.notifier_call = stray_notifier;
	s.nb.priv = &s;
	s.nb.priority = -1; /* after the driver dropped its reference */
	tm_register_notifier(&notifier, m, &s.nb);

	/* The page is neither free nor PageOffline any more: the offline
	 * loop could never finish. A pending signal ends it at once. */
	memhp_task_signal(memhp_current_task());
	ASSERT_ERR(memhp_block_offline(m, B0), -EINTR);
	memhp_task_clear_signal(memhp_current_task());

	ASSERT_EQ(tm_violations(m, MEMHP_RULE_FAKE_OFFLINE_REFERENCED), 1);
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_BAD_PAGE), 1);
	/* and the checker sees the damage: the cancel took the page back,
	 * typeless since Bad page state, so a page in use that no count
	 * holds, the campaigns' open managed-pages finding to the letter */
	{
		static struct memhp_check_report r;
		bool named = false;

		ASSERT_TRUE(memhp_check(m, &r) > 0);
		for (size_t i = 0; i < r.shown; i++)
			named |= r.v[i].rule == MEMHP_RULE_MANAGED_PAGES &&
				 r.v[i].pfn == fd.start + 9 &&
				 strstr(r.v[i].detail, "(in use, refcount 1) is a managed page; "
						       "managed_pages does not count it");
		ASSERT_TRUE(named);
	}
	tm_unregister(&notifier);
	fd_exit(&fd);
}

struct late_ref {
	struct memhp_page *page;
	bool taken;
};

/* Right after the migrate/test loop, before __offline_isolated_pages(). */
static void take_ref_after_test(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct late_ref *l = priv;

	(void)m;
	if (ev->phase.phase == MEMHP_PHASE_MIGRATE && !ev->phase.ret && !l->taken) {
		memhp_page_ref_inc(l->page);
		l->taken = true;
	}
}

/* Deviation: where 6.1 BUG()s, memhp reports and carries on. */
static void a_reference_taken_after_the_isolation_test_is_reported_where_6_1_would_bug(void)
{
	struct memhp_machine *m = machine(MEMHP_PROTOCOL_6_1);
	AUTO_FAKE_DRIVER fd = { 0 };
	struct late_ref l = { 0 };
	AUTO_REG sub = { 0 };

	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_OFFLINE_ISOLATED_PAGES);
	fd_init(&fd, m, true);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	l.page = memhp_pfn_to_page(m, fd.start);
	ASSERT_OK(tm_event_subscribe(&sub, m, MEMHP_EVENT_BIT(MEMHP_TP_PHASE_END),
				     take_ref_after_test, &l));
	ASSERT_OK(memhp_block_offline(m, B0));
	ASSERT_TRUE(l.taken);
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_OFFLINE_ISOLATED_PAGES), 1);
	tm_unregister(&sub);
	fd_exit(&fd);
}

/*
 * vmw_balloon keeps its PageOffline pages in managed_pages, and the tails of
 * its non-compound 2 MiB pages have refcount 0: legal in 6.1 once the owner
 * says so with PG_offline_managed, a finding without it.
 */
static void pageoffline_pages_left_in_managed_pages_need_the_managed_flag(void)
{
	struct memhp_machine *m = machine(MEMHP_PROTOCOL_6_1);
	static struct memhp_check_report r;
	struct memhp_page *page, *tail;
	bool managed_rule = false, refcount_rule = false;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_KERNEL));
	page = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 1); /* tail: refcount 0 */
	ASSERT_TRUE(page);
	tail = memhp_pfn_to_page(m, memhp_page_to_pfn(page) + 1);
	ASSERT_OK(memhp_SetPageOffline(page));
	ASSERT_OK(memhp_SetPageOffline(tail));

	ASSERT_GT(memhp_check(m, &r), 0);
	for (size_t i = 0; i < r.shown; i++) {
		managed_rule |= r.v[i].rule == MEMHP_RULE_MANAGED_PAGES;
		refcount_rule |= r.v[i].rule == MEMHP_RULE_PAGEOFFLINE_REFCOUNT;
	}
	ASSERT_TRUE(managed_rule && refcount_rule);

	memhp_SetPageOfflineManaged(page);
	memhp_SetPageOfflineManaged(tail);
	ASSERT_TRUE(memhp_PageOfflineManaged(tail));
	ASSERT_EQ(memhp_check(m, NULL), 0);

	ASSERT_OK(memhp_ClearPageOffline(page));
	ASSERT_OK(memhp_ClearPageOffline(tail));
	memhp_free_pages(page, 1); /* freeing clears the flag */
	ASSERT_TRUE(!memhp_PageOfflineManaged(tail));
}

/* ---- 2025: PG_offline_skippable ---------------------------------------------------------- */

static void skippable_pages_with_refcount_1_are_skipped_2025(void)
{
	struct memhp_machine *m = machine(MEMHP_PROTOCOL_2025);
	AUTO_FAKE_DRIVER fd = { 0 };
	struct memhp_meminfo mi0, mi1;
	unsigned long managed0;

	ASSERT_TRUE(m);
	fd_init(&fd, m, false); /* no notifier work at all */
	managed0 = zone_managed(m, MEMHP_ZONE_MOVABLE);
	memhp_meminfo(m, &mi0);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_TRUE(range_is_offline_with_count(m, fd.start, KEEP, 1));

	ASSERT_OK(memhp_block_offline(m, B0));

	ASSERT_EQ(fd.going_offline_refcount, 1);
	/* Offlining left the PageOffline pages out of the managed count. */
	ASSERT_EQ(zone_managed(m, MEMHP_ZONE_MOVABLE), managed0);
	memhp_meminfo(m, &mi1);
	ASSERT_EQ(mi1.total_pages, mi0.total_pages);
	fd_exit(&fd);
}

static void pageoffline_without_the_flag_is_ebusy_2025(void)
{
	struct memhp_machine *m = machine(MEMHP_PROTOCOL_2025);
	AUTO_EVENT_LOG log = { 0 };
	struct memhp_page *normal_page, *movable_page;

	ASSERT_TRUE(m);
	const unsigned long b0 = tm_block_pfn(m, B0), b1 = tm_block_pfn(m, B0 + 1);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_KERNEL));
	ASSERT_OK(memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE));
	normal_page = tm_alloc_in(m, MEMHP_GFP_KERNEL, b0, b0 + memhp_pages_per_block(m));
	movable_page =
		tm_alloc_in(m, MEMHP_GFP_HIGHUSER_MOVABLE, b1, b1 + memhp_pages_per_block(m));
	ASSERT_TRUE(normal_page && movable_page);
	ASSERT_OK(memhp_SetPageOffline(normal_page));
	ASSERT_OK(memhp_SetPageOffline(movable_page));
	memhp_adjust_managed_page_count(normal_page, -1);
	memhp_adjust_managed_page_count(movable_page, -1);
	event_log_register(m, &log, 0);

	/* Outside ZONE_MOVABLE the check moved into isolation: no events. */
	ASSERT_ERR(memhp_block_offline(m, B0), -EBUSY);
	ASSERT_EQ(log.n, 0);
	/* In ZONE_MOVABLE isolation passes; scan_movable_pages() refuses. */
	ASSERT_ERR(memhp_block_offline(m, B0 + 1), -EBUSY);
	ASSERT_EQ(log.n, 2);

	/* Marked skippable, both go. */
	memhp_SetPageOfflineSkippable(normal_page);
	memhp_SetPageOfflineSkippable(movable_page);
	ASSERT_OK(memhp_block_offline(m, B0));
	ASSERT_OK(memhp_block_offline(m, B0 + 1));
	event_log_unregister(&log);
}

static void stray_reference_is_only_a_warning_under_2025(void)
{
	struct memhp_machine *m = machine(MEMHP_PROTOCOL_2025);
	AUTO_FAKE_DRIVER fd = { 0 };
	struct memhp_page *p;

	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_OFFLINE_ISOLATED_PAGES);
	fd_init(&fd, m, false);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	p = memhp_pfn_to_online_page(m, fd.start + 9);
	ASSERT_TRUE(memhp_get_page_unless_zero(p));

	ASSERT_OK(memhp_block_offline(m, B0));

	ASSERT_EQ(tm_violations(m, MEMHP_RULE_OFFLINE_ISOLATED_PAGES), 1); /* WARN_ON_ONCE */
	memhp_put_page(p); /* back to 1: nothing is freed */
	ASSERT_EQ(memhp_page_count(p), 1);
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_BAD_PAGE), 0);
	fd_exit(&fd);
}

/*
 * The 2025 proposal's WARN is only a warning: the offline completes with
 * the walker's reference held. When the block comes back, the online's
 * memmap_init_range() sets every refcount to 1 again, the driver re-marks
 * the page, and the walker's put_page() takes the driver's reference:
 * the page is freed (Bad page state), as in Linux with the proposal. The
 * same race scenarios/race-2019-search.lua finds by searching seeds.
 */
static void a_reference_held_across_offline_and_online_frees_the_page_2025(void)
{
	struct memhp_machine *m = machine(MEMHP_PROTOCOL_2025);
	AUTO_FAKE_DRIVER fd = { 0 };
	struct memhp_page *p;

	ASSERT_TRUE(m);
	tm_expect_violations(m, MEMHP_RULE_OFFLINE_ISOLATED_PAGES);
	tm_expect_violations(m, MEMHP_RULE_BAD_PAGE);
	tm_skip_final_check(m); /* broken on purpose: a freed driver page */
	fd_init(&fd, m, false);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	p = memhp_pfn_to_online_page(m, fd.start + 9);
	ASSERT_TRUE(memhp_get_page_unless_zero(p));
	ASSERT_OK(memhp_block_offline(m, B0));
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_OFFLINE_ISOLATED_PAGES), 1);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_EQ(memhp_page_count(p), 1); /* the walker's reference is gone */
	memhp_put_page(p);
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_BAD_PAGE), 1);
}

/*
 * The walker need not be early enough for the WARN: one that looked the
 * page up while the block was online and takes its reference after the
 * offline passed it gets it, since the page keeps refcount 1 on the
 * offline memmap. Nothing warns; the re-online's put frees the page all
 * the same. Under 6.1 the driver's pages sit at refcount 0 once offline,
 * and the same late get_page_unless_zero() fails.
 */
static void late_reference(enum memhp_protocol protocol)
{
	struct memhp_machine *m = machine(protocol);
	AUTO_FAKE_DRIVER fd = { 0 };
	struct memhp_page *p;
	const bool v2025 = protocol == MEMHP_PROTOCOL_2025;

	ASSERT_TRUE(m);
	if (v2025) {
		tm_expect_violations(m, MEMHP_RULE_BAD_PAGE);
		tm_skip_final_check(m);
	}
	fd_init(&fd, m, !v2025);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	p = memhp_pfn_to_online_page(m, fd.start + 9);
	ASSERT_TRUE(p);
	ASSERT_OK(memhp_block_offline(m, B0));
	ASSERT_FALSE(memhp_pfn_to_online_page(m, fd.start + 9));
	if (!v2025) {
		ASSERT_FALSE(memhp_get_page_unless_zero(p));
		return;
	}
	ASSERT_TRUE(memhp_get_page_unless_zero(p));
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_OFFLINE_ISOLATED_PAGES), 0);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	memhp_put_page(p);
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_BAD_PAGE), 1);
}

static void a_late_reference_on_the_offline_memmap_frees_the_page_2025(void)
{
	late_reference(MEMHP_PROTOCOL_2025);
}

static void a_late_reference_finds_refcount_0_on_the_offline_memmap_6_1(void)
{
	late_reference(MEMHP_PROTOCOL_6_1);
}

/*
 * Found by memhp torture (seed 101, 2025): the checker after an operation
 * called a skippable PageOffline page with a walker's reference on it
 * broken (refcount 2, not 1). A speculative reference is legal there.
 */
static void a_speculative_reference_on_a_skippable_page_breaks_no_invariant_2025(void)
{
	struct memhp_machine *m = machine(MEMHP_PROTOCOL_2025);
	AUTO_FAKE_DRIVER fd = { 0 };
	struct memhp_page *p;

	ASSERT_TRUE(m);
	fd_init(&fd, m, false);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	p = memhp_pfn_to_online_page(m, fd.start + 9);
	ASSERT_TRUE(memhp_get_page_unless_zero(p));
	ASSERT_EQ(memhp_page_count(p), 2);
	ASSERT_EQ(memhp_check(m, NULL), 0);
	memhp_put_page(p);
	fd_exit(&fd);
}

/*
 * Found by memhp torture (seeds 2067, 4020, 6047, 6117, 2025): a memory
 * failure on an unplugged page poisons it and leaves it to its driver
 * (-EBUSY, "unknown page"). Offlining the block later steps over it by its
 * PG_hwpoison, not as PageOffline. Upstream's __offline_isolated_pages()
 * tests HWPoison first and counts only the PageOffline branch in
 * already_offline, so the page, never managed since its driver kept it,
 * left managed_pages a second time. memhp counts it as offline already
 * (docs/semantics.md, Deviations); under 6.1 the driver gave it back in
 * MEM_GOING_OFFLINE and the whole range is subtracted: right either way.
 */
static void poisoned_pageoffline_page(enum memhp_protocol protocol)
{
	struct memhp_machine *m = machine(protocol);
	struct fake_driver fd = { 0 };
	unsigned long managed0;

	ASSERT_TRUE(m);
	fd_init(&fd, m, protocol == MEMHP_PROTOCOL_6_1);
	managed0 = zone_managed(m, MEMHP_ZONE_MOVABLE);
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_ERR(memhp_memory_failure(m, fd.start + 9), -EBUSY);
	ASSERT_TRUE(memhp_PageHWPoison(memhp_pfn_to_page(m, fd.start + 9)));
	ASSERT_TRUE(memhp_PageOffline(memhp_pfn_to_page(m, fd.start + 9)));

	ASSERT_OK(memhp_block_offline(m, B0));

	ASSERT_EQ(zone_managed(m, MEMHP_ZONE_MOVABLE), managed0);
	ASSERT_EQ(memhp_check(m, NULL), 0);
	fd_exit(&fd);
}

static void offlining_counts_a_poisoned_skippable_page_as_offline_already_2025(void)
{
	poisoned_pageoffline_page(MEMHP_PROTOCOL_2025);
}

static void offlining_subtracts_a_poisoned_fake_offline_page_once_6_1(void)
{
	poisoned_pageoffline_page(MEMHP_PROTOCOL_6_1);
}

struct outcome {
	unsigned long managed[MEMHP_NR_ZONES], present[MEMHP_NR_ZONES], free_pages, total;
	int ret;
};

static void scenario(enum memhp_protocol protocol, struct outcome *o)
{
	struct memhp_machine *m = machine(protocol);
	AUTO_FAKE_DRIVER fd = { 0 };
	struct memhp_meminfo mi;

	if (!m)
		return;
	fd_init(&fd, m, protocol == MEMHP_PROTOCOL_6_1);
	memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE);
	memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE);
	o->ret = memhp_block_offline(m, B0);
	o->ret |= memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE);
	o->ret |= memhp_block_offline(m, B0);
	for (int z = 0; z < MEMHP_NR_ZONES; z++) {
		struct memhp_zone_info zi;

		memhp_zone_info(m, 0, (enum memhp_zone_type)z, &zi);
		o->managed[z] = zi.managed_pages;
		o->present[z] = zi.present_pages;
	}
	memhp_meminfo(m, &mi);
	o->free_pages = mi.free_pages;
	o->total = mi.total_pages;
	fd_exit(&fd);
}

static void the_same_scenario_ends_in_the_same_state_under_both_protocols(void)
{
	struct outcome a = { 0 }, b = { 0 };

	scenario(MEMHP_PROTOCOL_6_1, &a);
	scenario(MEMHP_PROTOCOL_2025, &b);
	ASSERT_EQ(a.ret, 0);
	ASSERT_EQ(b.ret, 0);
	ASSERT_TRUE(!memcmp(&a, &b, sizeof(a)));
	ASSERT_GT(a.total, 0);
}

RUN_TESTS(T(online_page_callback_keeps_pages_back_as_pageoffline),
	  T(set_online_page_callback_refuses_a_second_callback),
	  T(offline_succeeds_when_the_driver_drops_its_references_in_going_offline),
	  T(offline_fails_ebusy_on_referenced_pageoffline_and_cancel_reaches_all),
	  T(pageoffline_page_in_zone_normal_also_passes_isolation),
	  T(cancel_offline_reaches_notifiers_that_never_saw_going_offline),
	  T(a_later_veto_restores_the_driver_references_and_managed_count_exactly),
	  T(going_online_veto_returns_the_errno_and_leaves_the_block_offline),
	  T(speculative_reference_keeps_6_1_offline_from_finishing),
	  T(stray_put_to_zero_on_a_fake_offline_page_is_reported_6_1),
	  T(a_reference_taken_after_the_isolation_test_is_reported_where_6_1_would_bug),
	  T(pageoffline_pages_left_in_managed_pages_need_the_managed_flag),
	  T(skippable_pages_with_refcount_1_are_skipped_2025),
	  T(pageoffline_without_the_flag_is_ebusy_2025),
	  T(stray_reference_is_only_a_warning_under_2025),
	  T(a_speculative_reference_on_a_skippable_page_breaks_no_invariant_2025),
	  T(a_reference_held_across_offline_and_online_frees_the_page_2025),
	  T(a_late_reference_on_the_offline_memmap_frees_the_page_2025),
	  T(a_late_reference_finds_refcount_0_on_the_offline_memmap_6_1),
	  T(offlining_counts_a_poisoned_skippable_page_as_offline_already_2025),
	  T(offlining_subtracts_a_poisoned_fake_offline_page_once_6_1),
	  T(the_same_scenario_ends_in_the_same_state_under_both_protocols))
