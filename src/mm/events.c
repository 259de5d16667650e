// SPDX-License-Identifier: MIT
/*
 * events.c - the machine's events and tracepoints: who subscribes, and
 * delivering each to them (include/memhp/events.h).
 *
 * Emitting must be cheap and must never wait: events fire under zone->lock,
 * from walker threads, from inside other subscribers. Subscribing and
 * unsubscribing are rare and may wait. So the subscribers are a list read
 * the way the kernel reads an RCU list under SRCU: an emitter enters a
 * read-side section (one atomic increment of one of two counters), walks
 * the list without a lock and calls each subscriber; a writer edits the
 * list under a mutex, and before it frees a subscriber it unlinked it waits
 * for a grace period, until every emitter that could still see it has left
 * (both counters, flipping between them so that new emitters do not starve
 * it). A subscriber may subscribe others (no waiting) but not unsubscribe
 * (that would wait for itself).
 */
#include "internal.h"

#include <memhp/virtio_mem.h>
#include <stdlib.h>

_Static_assert(MEMHP_NR_EVENT_TYPES <= 64, "an event type is a bit of a 64-bit mask");

struct event_sub {
	struct event_sub *_Atomic next;
	memhp_event_fn fn;
	void *priv;
	uint64_t types;
	unsigned long since; /* e->gen when it subscribed */
};

/* The event lists this thread is delivering from, innermost first: a
 * subscriber that unsubscribes is told -EDEADLK instead of hanging. */
struct dispatch_frame {
	const struct mhp_events *events;
	const struct dispatch_frame *up;
};
static _Thread_local const struct dispatch_frame *dispatching;

void mhp_events_init(struct mhp_events *e)
{
	pthread_mutex_init(&e->lock, NULL);
	pthread_mutex_init(&e->gp_lock, NULL);
	pthread_mutex_init(&e->wait_lock, NULL);
	pthread_cond_init(&e->drained, NULL);
}

/* Nobody emits any more; subscribers left behind are let go. */
void mhp_events_destroy(struct mhp_events *e)
{
	struct event_sub *s = atomic_load(&e->head);

	while (s) {
		struct event_sub *next = atomic_load(&s->next);

		free(s);
		s = next;
	}
	pthread_cond_destroy(&e->drained);
	pthread_mutex_destroy(&e->wait_lock);
	pthread_mutex_destroy(&e->gp_lock);
	pthread_mutex_destroy(&e->lock);
}

/* The union of what subscribers want: emitters test it first. Caller holds
 * e->lock. */
static void update_types(struct mhp_events *e)
{
	uint64_t types = 0;

	for (struct event_sub *s = atomic_load(&e->head); s; s = atomic_load(&s->next))
		types |= s->types;
	atomic_store_explicit(&e->types, types, memory_order_release);
}

int memhp_event_subscribe(struct memhp_machine *m, uint64_t types, memhp_event_fn fn, void *priv)
{
	struct mhp_events *e = &m->events;
	struct event_sub *s, *_Atomic *link;

	if (!fn || !(types & MEMHP_EVENTS_ALL))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fn = fn;
	s->priv = priv;
	s->types = types & MEMHP_EVENTS_ALL;
	pthread_mutex_lock(&e->lock);
	/* Events already being delivered do not reach it. */
	s->since = atomic_fetch_add(&e->gen, 1) + 1;
	for (link = &e->head; atomic_load(link); link = &atomic_load(link)->next) {
		struct event_sub *t = atomic_load(link);

		if (t->fn == fn && t->priv == priv) {
			pthread_mutex_unlock(&e->lock);
			free(s);
			return -EEXIST;
		}
	}
	/* Emitters walking the list see the new one whole, or not at all. */
	atomic_store_explicit(link, s, memory_order_release);
	update_types(e);
	pthread_mutex_unlock(&e->lock);
	return 0;
}

/* Wait until no emitter is counted in e->readers[@idx]. */
static void wait_for_readers(struct mhp_events *e, unsigned int idx)
{
	if (!atomic_load(&e->readers[idx]))
		return;
	pthread_mutex_lock(&e->wait_lock);
	atomic_fetch_add(&e->waiting, 1);
	while (atomic_load(&e->readers[idx]))
		pthread_cond_wait(&e->drained, &e->wait_lock);
	atomic_fetch_sub(&e->waiting, 1);
	pthread_mutex_unlock(&e->wait_lock);
}

/*
 * synchronize_srcu(): every emitter that began before this call has ended.
 * New emitters count in the other counter after each flip, so each
 * counter drains; an emitter that read the index before a flip and
 * counted itself after it sees the list as edited already (all of it
 * sequentially consistent).
 */
static void synchronize_events(struct mhp_events *e)
{
	/* Nobody emitting now: whoever counts itself from here on reads the
	 * list after the edit (the usual case, and no lock taken). */
	if (!atomic_load(&e->readers[0]) && !atomic_load(&e->readers[1]))
		return;
	pthread_mutex_lock(&e->gp_lock);
	for (int i = 0; i < 2; i++)
		wait_for_readers(e, atomic_fetch_add(&e->gp_idx, 1) & 1);
	pthread_mutex_unlock(&e->gp_lock);
}

static bool dispatching_from(const struct mhp_events *e)
{
	for (const struct dispatch_frame *f = dispatching; f; f = f->up)
		if (f->events == e)
			return true;
	return false;
}

int memhp_event_unsubscribe(struct memhp_machine *m, memhp_event_fn fn, void *priv)
{
	struct mhp_events *e = &m->events;
	struct event_sub *s = NULL, *_Atomic * link;

	if (dispatching_from(e))
		return -EDEADLK;
	pthread_mutex_lock(&e->lock);
	for (link = &e->head; atomic_load(link); link = &atomic_load(link)->next) {
		s = atomic_load(link);
		if (s->fn == fn && s->priv == priv)
			break;
		s = NULL;
	}
	if (s) {
		/* An emitter standing on @s still finds its way on. */
		atomic_store(link, atomic_load(&s->next));
		update_types(e);
	}
	pthread_mutex_unlock(&e->lock);
	if (!s)
		return -ENOENT;
	synchronize_events(e);
	free(s);
	return 0;
}

bool memhp_event_enabled(struct memhp_machine *m, enum memhp_event_type type)
{
	return mhp_event_enabled(m, type);
}

void mhp_event_emit(struct memhp_machine *m, const struct memhp_event *ev)
{
	struct mhp_events *e = &m->events;
	const uint64_t bit = MEMHP_EVENT_BIT(ev->type);
	struct dispatch_frame frame = { e, dispatching };
	unsigned int idx = atomic_load_explicit(&e->gp_idx, memory_order_relaxed) & 1;
	unsigned long gen;

	/* srcu_read_lock(): sequentially consistent, so that this count and
	 * a writer's edit of the list are seen in one order by both. */
	atomic_fetch_add(&e->readers[idx], 1);
	gen = atomic_load(&e->gen);
	dispatching = &frame;
	for (struct event_sub *s = atomic_load(&e->head); s;
	     s = atomic_load_explicit(&s->next, memory_order_acquire))
		if ((s->types & bit) && s->since <= gen)
			s->fn(m, ev, s->priv);
	dispatching = frame.up;
	if (atomic_fetch_sub(&e->readers[idx], 1) == 1 && atomic_load(&e->waiting)) {
		pthread_mutex_lock(&e->wait_lock);
		pthread_cond_broadcast(&e->drained);
		pthread_mutex_unlock(&e->wait_lock);
	}
}

void memhp_event_emit(struct memhp_machine *m, const struct memhp_event *ev)
{
	if ((unsigned int)ev->type < MEMHP_NR_EVENT_TYPES && mhp_event_enabled(m, ev->type))
		mhp_event_emit(m, ev);
}

void memhp_trace_instant(struct memhp_machine *m, const char *name, unsigned long pfn, long arg)
{
	mhp_emit(m, MEMHP_EV_INSTANT, instant, .name = name, .pfn = pfn, .arg = arg);
}

/* ---- Names, for people -------------------------------------------------------------- */

static const char *const op_names[MEMHP_NR_OPS] = {
	[MEMHP_OP_ONLINE_PAGES] = "online_pages",
	[MEMHP_OP_OFFLINE_PAGES] = "offline_pages",
	[MEMHP_OP_ADD_MEMORY] = "add_memory",
	[MEMHP_OP_REMOVE_MEMORY] = "remove_memory",
	[MEMHP_OP_ALLOC_CONTIG_RANGE] = "alloc_contig_range",
	[MEMHP_OP_CMA_ALLOC] = "cma_alloc",
	[MEMHP_OP_SOFT_OFFLINE_PAGE] = "soft_offline_page",
	[MEMHP_OP_MEMORY_FAILURE] = "memory_failure",
};

static const char *const phase_names[MEMHP_NR_PHASES] = {
	[MEMHP_PHASE_ONLINE_PAGE_CALLBACK] = "online_page_callback",
	[MEMHP_PHASE_ISOLATE] = "isolate",
	[MEMHP_PHASE_MIGRATE] = "migrate",
	[MEMHP_PHASE_TEST_PAGES_ISOLATED] = "test_pages_isolated",
};

/* The device's answers, by request type, as its trace names them. */
static const char *const device_answer_names[MEMHP_VIRTIO_MEM_NR_REQ_TYPES] = {
	[MEMHP_VIRTIO_MEM_REQ_PLUG] = "virtio-mem plug",
	[MEMHP_VIRTIO_MEM_REQ_UNPLUG] = "virtio-mem unplug",
	[MEMHP_VIRTIO_MEM_REQ_UNPLUG_ALL] = "virtio-mem unplug-all",
	[MEMHP_VIRTIO_MEM_REQ_STATE] = "virtio-mem state",
};

static const char *const probe_problems[MEMHP_NR_VMEM_PROBE_PROBLEMS] = {
	[MEMHP_VMEM_PROBE_UNALIGNED] =
		"virtio_mem: the region's alignment makes some memory unusable",
	[MEMHP_VMEM_PROBE_BBM_NOT_POW2] = "virtio_mem: bbm_block_size is not a power of 2",
	[MEMHP_VMEM_PROBE_BBM_TOO_SMALL] = "virtio_mem: bbm_block_size is too small",
	[MEMHP_VMEM_PROBE_REGION_BUSY] = "virtio_mem: could not reserve device region",
};

static const char *const balloon_requests[] = {
	[MEMHP_BALLOON_REQ_INFLATE] = "balloon-inflate",
	[MEMHP_BALLOON_REQ_DEFLATE] = "balloon-deflate",
	[MEMHP_BALLOON_REQ_REFUSE] = "balloon-refuse",
};

static const char *const fixed_names[MEMHP_NR_EVENT_TYPES] = {
	[MEMHP_EV_BLOCK_ADD] = "memory_block_add",
	[MEMHP_EV_BLOCK_REMOVE] = "memory_block_remove",
	[MEMHP_EV_BLOCK_ONLINE] = "uevent online",
	[MEMHP_EV_BLOCK_OFFLINE] = "uevent offline",
	[MEMHP_EV_VMEM_REQUEST] = "virtio_mem: request",
	[MEMHP_EV_VMEM_RESPONSE] = "virtio_mem: response",
	[MEMHP_EV_VMEM_REQUESTED_SIZE] = "virtio_mem: requested size",
	[MEMHP_EV_VMEM_WORK_DONE] = "virtio_mem: work done",
	[MEMHP_EV_VMEM_ONLINING_DENIED] = "virtio_mem: memory block onlining denied",
	[MEMHP_EV_VMEM_ADD_MEMORY_FAILED] = "virtio_mem: adding memory failed",
	[MEMHP_EV_VMEM_CONFIG_CHANGED] = "virtio-mem config-changed",
	[MEMHP_TP_MIGRATE_ROUND_BEGIN] = "migrate_pages",
	[MEMHP_TP_MIGRATE_ROUND_END] = "migrate_pages",
	[MEMHP_TP_PAGEBLOCK_ISOLATED] = "set_migratetype_isolate",
	[MEMHP_TP_PAGEBLOCK_UNISOLATED] = "unset_migratetype_isolate",
	[MEMHP_TP_DRAIN_ALL_PAGES] = "drain_all_pages",
	[MEMHP_TP_PRINTK] = "printk",
};

#define NAME_IN(table, i) \
	((size_t)(i) < sizeof(table) / sizeof((table)[0]) && (table)[i] ? (table)[i] : "?")

const char *memhp_op_name(enum memhp_op op)
{
	return NAME_IN(op_names, op);
}

const char *memhp_phase_name(enum memhp_phase phase)
{
	return NAME_IN(phase_names, phase);
}

const char *memhp_event_name(const struct memhp_event *ev)
{
	switch (ev->type) {
	case MEMHP_EV_FINDING:
		return ev->finding.name;
	case MEMHP_EV_VMEM_BLOCK_STATE:
		return ev->vmem_block.state_name;
	case MEMHP_EV_VMEM_PROBE_PROBLEM:
		return NAME_IN(probe_problems, ev->vmem_probe.problem);
	case MEMHP_EV_VMEM_DEVICE_ANSWER:
		return NAME_IN(device_answer_names, ev->vmem_request.type);
	case MEMHP_EV_BALLOON:
		return NAME_IN(balloon_requests, ev->balloon.request);
	case MEMHP_EV_NOTIFIER_ERROR_INJECTED:
		return ev->inject.action == MEMHP_MEM_GOING_ONLINE
			       ? "notifier-error-inject MEM_GOING_ONLINE"
			       : "notifier-error-inject MEM_GOING_OFFLINE";
	case MEMHP_EV_UEVENT_WRITTEN:
		return ev->uevent.devpath;
	case MEMHP_EV_INSTANT:
		return ev->instant.name ? ev->instant.name : "";
	case MEMHP_TP_OP_BEGIN:
	case MEMHP_TP_OP_END:
		return memhp_op_name(ev->op.op);
	case MEMHP_TP_PHASE_BEGIN:
	case MEMHP_TP_PHASE_END:
		return memhp_phase_name(ev->phase.phase);
	case MEMHP_TP_NOTIFY_BEGIN:
	case MEMHP_TP_NOTIFY_END:
		return memhp_memory_event_name(ev->notify.action);
	default:
		return NAME_IN(fixed_names, ev->type);
	}
}
