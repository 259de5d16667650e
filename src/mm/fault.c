// SPDX-License-Identifier: MIT
/*
 * fault.c - the numbered fault injection points (enum memhp_fault) and
 * the scheduling hook a deterministic scheduler installs.
 *
 * Disarmed, a fault point costs one relaxed load and a scheduling point
 * one more: both sit on the allocator's and the refcount's fast paths.
 */
#include "internal.h"

void (*_Atomic mhp_sched_hook)(void);

void memhp_set_sched_hook(void (*hook)(void))
{
	atomic_store(&mhp_sched_hook, hook);
}

/* The points' names and what failing each means (alloc.h lists them). */
static const struct {
	const char *name, *what;
} fault_points[MEMHP_NR_FAULTS] = {
	[MEMHP_FAULT_MIGRATION] = { "migration", "the owner refuses a page migration (-EAGAIN)" },
	[MEMHP_FAULT_ALLOC] = { "alloc", "a page allocation fails" },
	[MEMHP_FAULT_MEMMAP_META] = { "memmap-meta",
				      "the memmap bookkeeping of a hot-added section" },
	[MEMHP_FAULT_RESOURCE_ALLOC] = { "resource-alloc",
					 "an iomem resource (__request_region's kzalloc)" },
	[MEMHP_FAULT_OFFLINE_REMOVE_ALLOC] = { "offline-remove-alloc",
					       "offline_and_remove_memory()'s online_types" },
	[MEMHP_FAULT_MIGRATE_LIST] = { "migrate-list", "the list of pages isolated for migration" },
	[MEMHP_FAULT_SLAB_META] = { "slab-meta", "a new slab's bookkeeping" },
	[MEMHP_FAULT_NOTIFY_GOING_ONLINE] = { "notify-going-online",
					      "a notifier vetoes MEM_GOING_ONLINE (-ENOMEM)" },
	[MEMHP_FAULT_NOTIFY_ONLINE] = { "notify-online", "a notifier fails MEM_ONLINE" },
	[MEMHP_FAULT_NOTIFY_CANCEL_ONLINE] = { "notify-cancel-online",
					       "a notifier fails MEM_CANCEL_ONLINE" },
	[MEMHP_FAULT_NOTIFY_GOING_OFFLINE] = { "notify-going-offline",
					       "a notifier vetoes MEM_GOING_OFFLINE (-EBUSY)" },
	[MEMHP_FAULT_NOTIFY_OFFLINE] = { "notify-offline", "a notifier fails MEM_OFFLINE" },
	[MEMHP_FAULT_NOTIFY_CANCEL_OFFLINE] = { "notify-cancel-offline",
						"a notifier fails MEM_CANCEL_OFFLINE" },
	[MEMHP_FAULT_MIGRATE_ISOLATE] = { "migrate-isolate",
					  "the owner will not let a page be isolated" },
	[MEMHP_FAULT_MIGRATE_TARGET] = { "migrate-target", "no migration target page" },
	[MEMHP_FAULT_HOST_POPULATE] = { "host-populate", "the host's mprotect() of guest memory" },
	[MEMHP_FAULT_HOST_VMEMMAP] = { "host-vmemmap", "the host's mprotect() of the memmap" },
	[MEMHP_FAULT_HOST_DISCARD] = { "host-discard", "the host's madvise(MADV_DONTNEED)" },
	[MEMHP_FAULT_VMEM_REPLY_BUSY] = { "vmem-reply-busy", "the virtio-mem device answers BUSY" },
	[MEMHP_FAULT_VMEM_REPLY_ERROR] = { "vmem-reply-error",
					   "the virtio-mem device answers ERROR" },
	[MEMHP_FAULT_VMEM_REPLY_NACK] = { "vmem-reply-nack", "the virtio-mem device answers NACK" },
	[MEMHP_FAULT_VMEM_DRV_ALLOC] = { "vmem-drv-alloc",
					 "the virtio-mem driver's per-block state arrays" },
	[MEMHP_FAULT_BALLOON_ALLOC] = { "balloon-alloc", "a balloon's record of its pages" },
};

const char *memhp_fault_name(enum memhp_fault fault)
{
	return (unsigned)fault < MEMHP_NR_FAULTS ? fault_points[fault].name : NULL;
}

const char *memhp_fault_what(enum memhp_fault fault)
{
	return (unsigned)fault < MEMHP_NR_FAULTS ? fault_points[fault].what : NULL;
}

int memhp_fault_by_name(const char *name)
{
	for (int i = 0; i < MEMHP_NR_FAULTS; i++)
		if (name && !strcmp(name, fault_points[i].name))
			return i;
	return -ENOENT;
}

void memhp_fault_arm(struct memhp_machine *m, enum memhp_fault fault, long skip, long times)
{
	if ((unsigned)fault >= MEMHP_NR_FAULTS)
		return;
	/* Skip first: an attempt that sees the new count must see its skip. */
	atomic_store(&m->fault_skip[fault], skip > 0 ? skip : 0);
	atomic_store(&m->fault_remaining[fault], times);
}

void memhp_fault_set(struct memhp_machine *m, enum memhp_fault fault, long times)
{
	memhp_fault_arm(m, fault, 0, times);
}

unsigned long memhp_fault_hits(struct memhp_machine *m, enum memhp_fault fault)
{
	return (unsigned)fault < MEMHP_NR_FAULTS ? atomic_load(&m->fault_hits[fault]) : 0;
}

unsigned long memhp_fault_calls(struct memhp_machine *m, enum memhp_fault fault)
{
	return (unsigned)fault < MEMHP_NR_FAULTS ? atomic_load(&m->fault_calls[fault]) : 0;
}

bool mhp_should_fail(struct memhp_machine *m, enum memhp_fault fault)
{
	long left = atomic_load_explicit(&m->fault_remaining[fault], memory_order_relaxed);
	long skip;

	/* The hot path: a point nobody armed. */
	if (left == 0)
		return false;
	atomic_fetch_add(&m->fault_calls[fault], 1);
	skip = atomic_load(&m->fault_skip[fault]);
	while (skip > 0)
		if (atomic_compare_exchange_weak(&m->fault_skip[fault], &skip, skip - 1))
			return false;
	for (;;) {
		if (left == 0)
			return false;
		if (left < 0)
			break;
		if (atomic_compare_exchange_weak(&m->fault_remaining[fault], &left, left - 1))
			break;
	}
	atomic_fetch_add(&m->fault_hits[fault], 1);
	return true;
}

bool memhp_should_fail(struct memhp_machine *m, enum memhp_fault fault)
{
	return (unsigned)fault < MEMHP_NR_FAULTS && mhp_should_fail(m, fault);
}
