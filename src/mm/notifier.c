// SPDX-License-Identifier: MIT
/*
 * notifier.c - the memory notifier chain (kernel/notifier.c,
 * drivers/base/memory.c) and the online_page callback.
 */
#include "internal.h"

void notifier_head_init(struct notifier_head *nh)
{
	init_rwsem(&nh->rwsem, LOCK_RANK_NOTIFIER);
	nh->head = NULL;
}

void notifier_head_destroy(struct notifier_head *nh)
{
	pthread_rwlock_destroy(&nh->rwsem);
}

int memhp_register_memory_notifier(struct memhp_machine *m, struct memhp_notifier_block *n)
{
	struct memhp_notifier_block **nl;

	pthread_rwlock_wrlock(&m->memory_chain.rwsem);
	for (nl = &m->memory_chain.head; *nl; nl = &(*nl)->next) {
		if (*nl == n) {
			pthread_rwlock_unlock(&m->memory_chain.rwsem);
			return -EEXIST;
		}
	}
	/* Higher priority first; a newcomer goes after its equals. */
	for (nl = &m->memory_chain.head; *nl; nl = &(*nl)->next)
		if (n->priority > (*nl)->priority)
			break;
	n->next = *nl;
	*nl = n;
	pthread_rwlock_unlock(&m->memory_chain.rwsem);
	return 0;
}

void memhp_unregister_memory_notifier(struct memhp_machine *m, struct memhp_notifier_block *n)
{
	pthread_rwlock_wrlock(&m->memory_chain.rwsem);
	for (struct memhp_notifier_block **nl = &m->memory_chain.head; *nl; nl = &(*nl)->next) {
		if (*nl == n) {
			*nl = n->next;
			break;
		}
	}
	pthread_rwlock_unlock(&m->memory_chain.rwsem);
}

static const struct {
	unsigned long action;
	const char *name;
} memory_events[] = {
	{ MEMHP_MEM_ONLINE, "MEM_ONLINE" },
	{ MEMHP_MEM_GOING_OFFLINE, "MEM_GOING_OFFLINE" },
	{ MEMHP_MEM_OFFLINE, "MEM_OFFLINE" },
	{ MEMHP_MEM_GOING_ONLINE, "MEM_GOING_ONLINE" },
	{ MEMHP_MEM_CANCEL_ONLINE, "MEM_CANCEL_ONLINE" },
	{ MEMHP_MEM_CANCEL_OFFLINE, "MEM_CANCEL_OFFLINE" },
};

const char *memhp_memory_event_name(unsigned long action)
{
	for (size_t i = 0; i < ARRAY_SIZE(memory_events); i++)
		if (memory_events[i].action == action)
			return memory_events[i].name;
	return NULL;
}

/*
 * blocking_notifier_call_chain(): every callback in priority order until
 * one returns a value with NOTIFY_STOP_MASK. Returns the last value.
 */
/*
 * The event-order invariants (kernel-core.md §8, 16 and 17): a GOING_*
 * event is followed by exactly one of its outcome or its CANCEL_*, for the
 * same range, before anything else happens; when MEM_CANCEL_OFFLINE goes
 * out the range is no longer isolated, and when MEM_ONLINE goes out it is
 * allocatable, unless an alloc_contig_range() elsewhere is isolating part
 * of it. A violation can only be a bug in memhp itself.
 */
static void check_event_order(struct memhp_machine *m, unsigned long action,
			      const struct memhp_memory_notify *arg)
{
	const char *name = memhp_memory_event_name(action);
	unsigned long expect_a = 0, expect_b = 0;

	switch (m->notify_pending) {
	case MEMHP_MEM_GOING_ONLINE:
		expect_a = MEMHP_MEM_ONLINE;
		expect_b = MEMHP_MEM_CANCEL_ONLINE;
		break;
	case MEMHP_MEM_GOING_OFFLINE:
		expect_a = MEMHP_MEM_OFFLINE;
		expect_b = MEMHP_MEM_CANCEL_OFFLINE;
		break;
	}
	if (m->notify_pending) {
		if ((action != expect_a && action != expect_b) ||
		    arg->start_pfn != m->notify_start || arg->nr_pages != m->notify_nr)
			memhp_report(m, arg->start_pfn, MEMHP_RULE_NOTIFIER_SEQUENCE,
				     "%s after %s for another range or without its outcome", name,
				     memhp_memory_event_name(m->notify_pending));
		m->notify_pending = 0;
	} else if (action != MEMHP_MEM_GOING_ONLINE && action != MEMHP_MEM_GOING_OFFLINE) {
		memhp_report(m, arg->start_pfn, MEMHP_RULE_NOTIFIER_SEQUENCE,
			     "%s without a MEM_GOING_*", name);
	}
	if (action == MEMHP_MEM_GOING_ONLINE || action == MEMHP_MEM_GOING_OFFLINE) {
		m->notify_pending = action;
		m->notify_start = arg->start_pfn;
		m->notify_nr = arg->nr_pages;
	}
	/* alloc_contig_range() (virtio-mem unplugging part of a block) may
	 * isolate pageblocks of the range at any time, its own business: the
	 * rule can be checked only while none is in flight. */
	if ((action == MEMHP_MEM_CANCEL_OFFLINE || action == MEMHP_MEM_ONLINE) &&
	    !READ_ONCE(m->contig_in_flight)) {
		for (unsigned long pfn = arg->start_pfn; pfn < arg->start_pfn + arg->nr_pages;
		     pfn += m->pageblock_nr_pages) {
			if (pfn_online(m, pfn) && is_migrate_isolate_pfn(m, pfn)) {
				memhp_report(m, pfn, MEMHP_RULE_NOTIFIER_SEQUENCE,
					     "%s while the range is still isolated", name);
				break;
			}
		}
	}
}

/*
 * The injection point of each event, and the errno its notifier fails with:
 * what 6.1's notifiers give for GOING_ONLINE (slab, kasan: -ENOMEM) and
 * GOING_OFFLINE (a driver that cannot let go: -EBUSY).
 */
static int notify_fault(struct memhp_machine *m, unsigned long action)
{
	static const struct {
		unsigned long action;
		enum memhp_fault fault;
		int err;
	} points[] = {
		{ MEMHP_MEM_GOING_ONLINE, MEMHP_FAULT_NOTIFY_GOING_ONLINE, -ENOMEM },
		{ MEMHP_MEM_ONLINE, MEMHP_FAULT_NOTIFY_ONLINE, -ENOMEM },
		{ MEMHP_MEM_CANCEL_ONLINE, MEMHP_FAULT_NOTIFY_CANCEL_ONLINE, -ENOMEM },
		{ MEMHP_MEM_GOING_OFFLINE, MEMHP_FAULT_NOTIFY_GOING_OFFLINE, -EBUSY },
		{ MEMHP_MEM_OFFLINE, MEMHP_FAULT_NOTIFY_OFFLINE, -EBUSY },
		{ MEMHP_MEM_CANCEL_OFFLINE, MEMHP_FAULT_NOTIFY_CANCEL_OFFLINE, -EBUSY },
	};

	for (size_t i = 0; i < ARRAY_SIZE(points); i++)
		if (points[i].action == action)
			return mhp_should_fail(m, points[i].fault) ? points[i].err : 0;
	return 0;
}

int memory_notify(struct memhp_machine *m, unsigned long action, struct memhp_memory_notify *arg)
{
	int ret = MEMHP_NOTIFY_DONE;
	const int injected = notify_fault(m, action);

	check_event_order(m, action, arg);

	mhp_emit(m, MEMHP_TP_NOTIFY_BEGIN, notify, .action = action, .start_pfn = arg->start_pfn,
		 .nr_pages = arg->nr_pages);
	/* An injected veto of GOING_* comes from the first notifier: no other
	 * one sees the event; any other event still reaches every notifier. */
	if (injected && (action == MEMHP_MEM_GOING_ONLINE || action == MEMHP_MEM_GOING_OFFLINE)) {
		ret = memhp_notifier_from_errno(injected);
		mhp_emit(m, MEMHP_TP_NOTIFY_END, notify, .action = action,
			 .start_pfn = arg->start_pfn, .nr_pages = arg->nr_pages, .ret = injected);
		return ret;
	}
	pthread_rwlock_rdlock(&m->memory_chain.rwsem);
	for (struct memhp_notifier_block *nb = m->memory_chain.head; nb; nb = nb->next) {
		ret = nb->notifier_call(nb, action, arg);
		if (ret & MEMHP_NOTIFY_STOP_MASK)
			break;
	}
	pthread_rwlock_unlock(&m->memory_chain.rwsem);
	if (injected)
		ret = memhp_notifier_from_errno(injected);
	mhp_emit(m, MEMHP_TP_NOTIFY_END, notify, .action = action, .start_pfn = arg->start_pfn,
		 .nr_pages = arg->nr_pages, .ret = memhp_notifier_to_errno(ret));
	return ret;
}

int memhp_set_online_page_callback(struct memhp_machine *m, memhp_online_page_callback_t cb,
				   void *priv)
{
	int rc = -EINVAL;

	if (!cb)
		return -EINVAL;
	memhp_get_online_mems(m);
	pthread_mutex_lock(&m->online_page_callback_lock);
	if (!m->online_page_callback) {
		m->online_page_callback = cb;
		m->online_page_callback_priv = priv;
		rc = 0;
	}
	pthread_mutex_unlock(&m->online_page_callback_lock);
	memhp_put_online_mems(m);
	return rc;
}

int memhp_restore_online_page_callback(struct memhp_machine *m, memhp_online_page_callback_t cb)
{
	int rc = -EINVAL;

	memhp_get_online_mems(m);
	pthread_mutex_lock(&m->online_page_callback_lock);
	if (cb && m->online_page_callback == cb) {
		m->online_page_callback = NULL;
		m->online_page_callback_priv = NULL;
		rc = 0;
	}
	pthread_mutex_unlock(&m->online_page_callback_lock);
	memhp_put_online_mems(m);
	return rc;
}

/* (*online_page_callback)(page, order). Called with mem_hotplug_lock held
 * for write, so the callback cannot change underneath. */
void online_page_callback(struct memhp_machine *m, unsigned long pfn, unsigned int order)
{
	lockdep_assert_held_write(&m->mem_hotplug_lock);
	if (m->online_page_callback)
		m->online_page_callback(pfn_to_page(m, pfn), order, m->online_page_callback_priv);
	else
		memhp_generic_online_page(pfn_to_page(m, pfn), order);
}
