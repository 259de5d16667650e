// SPDX-License-Identifier: MIT
/*
 * hotplug.c - onlining, offlining, adding and removing memory
 * (mm/memory_hotplug.c).
 *
 * online_pages() and offline_pages() follow 6.1 step by step; the comments
 * say why a step sits where it does, since that order is most of what the
 * PageOffline protocol relies on.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

void mem_hotplug_begin(struct memhp_machine *m)
{
	pthread_rwlock_wrlock(&m->mem_hotplug_lock);
	atomic_fetch_add(&m->hotplug_ops, 1);
}

void mem_hotplug_done(struct memhp_machine *m)
{
	pthread_rwlock_unlock(&m->mem_hotplug_lock);
}

void memhp_get_online_mems(struct memhp_machine *m)
{
	pthread_rwlock_rdlock(&m->mem_hotplug_lock);
}

void memhp_put_online_mems(struct memhp_machine *m)
{
	pthread_rwlock_unlock(&m->mem_hotplug_lock);
}

void memhp_lock_device_hotplug(struct memhp_machine *m)
{
	pthread_mutex_lock(&m->device_hotplug_lock);
}

void memhp_unlock_device_hotplug(struct memhp_machine *m)
{
	pthread_mutex_unlock(&m->device_hotplug_lock);
}

/* ---- Onlining ---------------------------------------------------------- */

static void node_states_check_changes_online(struct memhp_machine *m, struct zone *zone,
					     struct memhp_memory_notify *arg)
{
	struct pglist_data *pgdat = zone->zone_pgdat;

	(void)m;
	arg->status_change_nid = MEMHP_NUMA_NO_NODE;
	arg->status_change_nid_normal = MEMHP_NUMA_NO_NODE;
	if (!pgdat->n_memory)
		arg->status_change_nid = pgdat->node_id;
	if (zone->idx <= ZONE_NORMAL && !pgdat->n_normal_memory)
		arg->status_change_nid_normal = pgdat->node_id;
}

static void node_states_set_node(struct pglist_data *pgdat, struct memhp_memory_notify *arg)
{
	if (arg->status_change_nid_normal >= 0)
		pgdat->n_normal_memory = true;
	if (arg->status_change_nid >= 0)
		pgdat->n_memory = true;
}

/*
 * Hand [pfn, pfn + nr) to the online_page callback in naturally aligned
 * chunks of at most max_order (smaller ones first when the range starts
 * after memmap_on_memory pages), then mark the sections online.
 */
static void online_pages_range(struct memhp_machine *m, unsigned long start, unsigned long nr)
{
	const unsigned long end = start + nr;

	for (unsigned long pfn = start; pfn < end;) {
		unsigned int order = MIN(m->max_order, (unsigned)__builtin_ctzl(pfn));

		online_page_callback(m, pfn, order);
		pfn += 1UL << order;
	}
	online_mem_sections(m, start, end);
}

/*
 * Returns 0, -EINVAL (misaligned range), or the errno a MEM_GOING_ONLINE
 * notifier returned.
 */
int online_pages(struct memhp_machine *m, unsigned long pfn, unsigned long nr_pages,
		 struct zone *zone, struct memory_group *group)
{
	struct memhp_memory_notify arg;
	bool need_zonelists_rebuild;
	int ret;

	lockdep_assert_held_write(&m->mem_hotplug_lock);
	if (!nr_pages || !pageblock_aligned(m, pfn) ||
	    !IS_ALIGNED(pfn + nr_pages, m->pages_per_section)) {
		memhp_report(m, pfn, MEMHP_RULE_WARN, "online_pages: misaligned range");
		return -EINVAL;
	}
	trace_op_begin(m, MEMHP_OP_ONLINE_PAGES, pfn, nr_pages, zone->idx);

	/* Every page refcount 1 and PG_reserved, every pageblock ISOLATE:
	 * nothing can be allocated from here until the very end. */
	move_pfn_range_to_zone(m, zone, pfn, nr_pages, MIGRATE_ISOLATE, true);

	arg.start_pfn = pfn;
	arg.nr_pages = nr_pages;
	node_states_check_changes_online(m, zone, &arg);
	ret = memhp_notifier_to_errno(memory_notify(m, MEMHP_MEM_GOING_ONLINE, &arg));
	if (ret)
		goto failed_addition;

	/* Count the isolated pageblocks before the sections go online, so that
	 * undo_isolate_page_range() below balances. */
	pthread_mutex_lock(&zone->lock);
	zone->nr_isolate_pageblock += nr_pages / m->pageblock_nr_pages;
	pthread_mutex_unlock(&zone->lock);

	/* An unpopulated zone is in no zonelist: it gets in once the pages
	 * are there, with per-cpu lists of its own. */
	need_zonelists_rebuild = !populated_zone(zone);
	if (need_zonelists_rebuild)
		setup_zone_pageset(m, zone);
	trace_phase_begin(m, MEMHP_PHASE_ONLINE_PAGE_CALLBACK, pfn, nr_pages);
	online_pages_range(m, pfn, nr_pages);
	trace_phase_end(m, MEMHP_PHASE_ONLINE_PAGE_CALLBACK, pfn, nr_pages, 0, 0);
	adjust_present_page_count(m, pfn, group, (long)nr_pages);
	node_states_set_node(zone->zone_pgdat, &arg);
	if (need_zonelists_rebuild)
		build_all_zonelists(m, false);

	/* Only now may the onlined pages be allocated. */
	undo_isolate_page_range(m, pfn, pfn + nr_pages, MIGRATE_MOVABLE);
	/* The watermarks and reserves follow the zones' new sizes, and
	 * with them every per-cpu list's high and batch. */
	init_per_zone_wmark_min(m);

	memory_notify(m, MEMHP_MEM_ONLINE, &arg);
	trace_op_end(m, MEMHP_OP_ONLINE_PAGES, pfn, nr_pages, zone->idx, 0, 0);
	return 0;

failed_addition:
	mhp_log(m, KERN_DEBUG, "online_pages [mem %#010llx-%#010llx] failed",
		(unsigned long long)PFN_PHYS(pfn),
		(unsigned long long)PFN_PHYS(pfn + nr_pages) - 1);
	memory_notify(m, MEMHP_MEM_CANCEL_ONLINE, &arg);
	remove_pfn_range_from_zone(m, zone, pfn, nr_pages);
	trace_op_end(m, MEMHP_OP_ONLINE_PAGES, pfn, nr_pages, zone->idx, 0, ret);
	return ret;
}

/* ---- Offlining ---------------------------------------------------------- */

static void node_states_check_changes_offline(struct zone *zone, unsigned long nr_pages,
					      struct memhp_memory_notify *arg)
{
	struct pglist_data *pgdat = zone->zone_pgdat;
	unsigned long present = 0;

	arg->status_change_nid = MEMHP_NUMA_NO_NODE;
	arg->status_change_nid_normal = MEMHP_NUMA_NO_NODE;
	for (int z = 0; z <= ZONE_NORMAL; z++)
		present += READ_ONCE(pgdat->node_zones[z].present_pages);
	if (zone->idx <= ZONE_NORMAL && nr_pages >= present)
		arg->status_change_nid_normal = pgdat->node_id;
	present += READ_ONCE(pgdat->node_zones[ZONE_MOVABLE].present_pages);
	if (nr_pages >= present)
		arg->status_change_nid = pgdat->node_id;
}

static void node_states_clear_node(struct pglist_data *pgdat, struct memhp_memory_notify *arg)
{
	if (arg->status_change_nid_normal >= 0)
		pgdat->n_normal_memory = false;
	if (arg->status_change_nid >= 0)
		pgdat->n_memory = false;
}

/* Hotplugged memory never has holes; boot memory may. */
static unsigned long count_system_ram_pages(struct memhp_machine *m, unsigned long start,
					    unsigned long nr)
{
	unsigned long count = 0;
	uint64_t s = PFN_PHYS(start), e = PFN_PHYS(start + nr);
	struct memory_block *mem = find_memory_block_by_id(m, pfn_to_block_id(m, start));

	if (!mem || !mem->early)
		return nr;
	for (unsigned int i = 0; i < m->cfg.nr_boot; i++) {
		uint64_t rs = m->cfg.boot[i].start, re = rs + m->cfg.boot[i].size;
		uint64_t lo = MAX(rs, s), hi = MIN(re, e);

		if (hi > lo)
			count += PHYS_PFN(hi) - PHYS_PFN(lo);
	}
	return count;
}

/*
 * offline_pages(): isolate, tell the notifiers, then migrate and test
 * until the range is free, a page is definitely unmovable (-EBUSY), or the
 * task has a signal pending (-EINTR). There is no timeout, as in 6.1.
 * Returns 0, -EINVAL, -EBUSY, -EINTR, or a MEM_GOING_OFFLINE notifier's
 * errno.
 */
int offline_pages(struct memhp_machine *m, unsigned long start_pfn, unsigned long nr_pages,
		  struct zone *zone, struct memory_group *group)
{
	const unsigned long end_pfn = start_pfn + nr_pages;
	struct memhp_memory_notify arg = { .status_change_nid = MEMHP_NUMA_NO_NODE,
					   .status_change_nid_normal = MEMHP_NUMA_NO_NODE };
	unsigned long pfn, managed, rounds = 0, migrated = 0;
	bool livelock_reported = false;
	const char *reason;
	int ret;

	lockdep_assert_held_write(&m->mem_hotplug_lock);
	if (!nr_pages || !pageblock_aligned(m, start_pfn) ||
	    !IS_ALIGNED(start_pfn + nr_pages, m->pages_per_section)) {
		memhp_report(m, start_pfn, MEMHP_RULE_WARN, "offline_pages: misaligned range");
		return -EINVAL;
	}
	trace_op_begin(m, MEMHP_OP_OFFLINE_PAGES, start_pfn, nr_pages, zone->idx);

	if (count_system_ram_pages(m, start_pfn, nr_pages) != nr_pages) {
		ret = -EINVAL;
		reason = "memory holes";
		goto failed_removal;
	}
	if (pfn_zone(m, start_pfn) != zone || pfn_zone(m, end_pfn - 1) != zone) {
		ret = -EINVAL;
		reason = "multizone range";
		goto failed_removal;
	}

	/*
	 * No page may sit on a per-cpu list while its pageblock is isolated:
	 * a free that read the pageblock's type before the isolation could
	 * otherwise put it there after any drain. Disabled lists spill every
	 * free at once, with the type read again then.
	 */
	zone_pcp_disable(m, zone);
	lru_cache_disable(m);

	trace_phase_begin(m, MEMHP_PHASE_ISOLATE, start_pfn, nr_pages);
	ret = start_isolate_page_range(m, start_pfn, end_pfn, MIGRATE_MOVABLE,
				       MEMORY_OFFLINE | REPORT_FAILURE,
				       MEMHP_GFP_USER | MEMHP___GFP_MOVABLE);
	trace_phase_end(m, MEMHP_PHASE_ISOLATE, start_pfn, nr_pages, 0, ret);
	if (ret) {
		reason = "failure to isolate range";
		goto failed_removal_pcplists_disabled;
	}

	arg.start_pfn = start_pfn;
	arg.nr_pages = nr_pages;
	node_states_check_changes_offline(zone, nr_pages, &arg);

	ret = memhp_notifier_to_errno(memory_notify(m, MEMHP_MEM_GOING_OFFLINE, &arg));
	if (ret) {
		reason = "notifier failure";
		goto failed_removal_isolated;
	}

	trace_phase_begin(m, MEMHP_PHASE_MIGRATE, start_pfn, nr_pages);
	do {
		pfn = start_pfn;
		do {
			unsigned long moved = 0;

			if (memhp_signal_pending()) {
				ret = -EINTR;
				reason = "signal backoff";
				trace_phase_end(m, MEMHP_PHASE_MIGRATE, start_pfn, nr_pages,
						migrated, ret);
				goto failed_removal_isolated;
			}
			ret = scan_movable_pages(m, pfn, end_pfn, &pfn);
			if (!ret && !livelock_reported && PageHWPoison(pfn_to_page(m, pfn)) &&
			    !PageLRU(pfn_to_page(m, pfn))) {
				/*
				 * do_migrate_range() steps over a poisoned page and
				 * the next scan starts at it again: a poisoned page
				 * that stays movable (a balloon page memory_failure()
				 * left to its owner) keeps 6.1 in this loop until a
				 * signal. Linux says nothing; memhp says it once.
				 */
				livelock_reported = true;
				memhp_report(m, pfn, MEMHP_RULE_OFFLINE_POISONED_MOVABLE,
					     "offline_pages: a poisoned movable page is never "
					     "migrated: offlining retries until a signal");
			}
			if (!ret) {
				int rc;

				mhp_emit(m, MEMHP_TP_MIGRATE_ROUND_BEGIN, round, .from_pfn = pfn,
					 .nr_pages = end_pfn - pfn);
				/* Failures are not fatal: the loop comes back. */
				rc = migrate_movable_range(m, pfn, end_pfn, true, 1, &moved);

				migrated += moved;
				mhp_emit(m, MEMHP_TP_MIGRATE_ROUND_END, round, .from_pfn = pfn,
					 .nr_pages = end_pfn - pfn, .pages_moved = moved,
					 .ret = rc);
				rounds++;
			}
		} while (!ret);

		if (ret != -ENOENT) {
			reason = "unmovable page";
			trace_phase_end(m, MEMHP_PHASE_MIGRATE, start_pfn, nr_pages, migrated, ret);
			goto failed_removal_isolated;
		}
		/* Free huge pages go back to the buddy now, so that the
		 * pool's counts are right when the memory goes; one in use
		 * that could not be migrated fails the offline. */
		ret = dissolve_free_huge_pages(m, start_pfn, end_pfn);
		if (ret) {
			reason = "failure to dissolve huge pages";
			trace_phase_end(m, MEMHP_PHASE_MIGRATE, start_pfn, nr_pages, migrated, ret);
			goto failed_removal_isolated;
		}
		trace_phase_begin(m, MEMHP_PHASE_TEST_PAGES_ISOLATED, start_pfn, nr_pages);
		ret = test_pages_isolated(m, start_pfn, end_pfn, MEMORY_OFFLINE);
		trace_phase_end(m, MEMHP_PHASE_TEST_PAGES_ISOLATED, start_pfn, nr_pages, 0, ret);
		if (ret)
			rounds++;
	} while (ret);
	trace_phase_end(m, MEMHP_PHASE_MIGRATE, start_pfn, nr_pages, migrated, 0);

	/* The sections go offline and the free pages leave the buddy. */
	managed = __offline_isolated_pages(m, start_pfn, end_pfn);
	mhp_log(m, KERN_DEBUG, "Offlined Pages %ld", (long)nr_pages);

	/* The pageblocks keep their stale ISOLATE type; onlining resets them. */
	pthread_mutex_lock(&zone->lock);
	zone->nr_isolate_pageblock -= nr_pages / m->pageblock_nr_pages;
	pthread_mutex_unlock(&zone->lock);

	lru_cache_enable(m);
	zone_pcp_enable(m, zone);

	/*
	 * 6.1 takes the whole range out of the managed pages: drivers that
	 * keep PageOffline pages gave theirs back in MEM_GOING_OFFLINE. Since
	 * 6.7 (and so under the 2025 protocol) PageOffline pages are left out
	 * of the subtraction instead.
	 */
	if (m->cfg.protocol == MEMHP_PROTOCOL_6_1)
		managed = nr_pages;
	adjust_managed_page_count(m, zone, -(long)managed);
	managed_ledger_update(m, start_pfn, nr_pages, false, NULL);
	adjust_present_page_count(m, start_pfn, group, -(long)nr_pages);
	init_per_zone_wmark_min(m);
	if (!populated_zone(zone)) {
		zone_pcp_reset(m, zone);
		build_all_zonelists(m, false);
	}

	node_states_clear_node(zone->zone_pgdat, &arg);
	memory_notify(m, MEMHP_MEM_OFFLINE, &arg);
	remove_pfn_range_from_zone(m, zone, start_pfn, nr_pages);
	trace_op_end(m, MEMHP_OP_OFFLINE_PAGES, start_pfn, nr_pages, zone->idx, rounds, 0);
	return 0;

failed_removal_isolated:
	/* The free pages are back in the allocator before the drivers hear
	 * of the cancel. */
	undo_isolate_page_range(m, start_pfn, end_pfn, MIGRATE_MOVABLE);
	memory_notify(m, MEMHP_MEM_CANCEL_OFFLINE, &arg);
failed_removal_pcplists_disabled:
	lru_cache_enable(m);
	zone_pcp_enable(m, zone);
failed_removal:
	mhp_log(m, KERN_DEBUG, "memory offlining [mem %#010llx-%#010llx] failed due to %s",
		(unsigned long long)PFN_PHYS(start_pfn), (unsigned long long)PFN_PHYS(end_pfn) - 1,
		reason);
	mhp_emit(m, MEMHP_TP_OP_END, op, .op = MEMHP_OP_OFFLINE_PAGES, .start_pfn = start_pfn,
		 .nr_pages = nr_pages, .zone = zone->idx, .rounds = rounds, .ret = ret,
		 .reason = reason);
	return ret;
}

/* ---- Adding memory -------------------------------------------------------------- */

static int check_hotplug_memory_range(struct memhp_machine *m, uint64_t start, uint64_t size)
{
	uint64_t block = memhp_block_size(m);

	if (!size || !IS_ALIGNED(start, block) || !IS_ALIGNED(size, block)) {
		mhp_log(m, KERN_ERR,
			"Block size [%#llx] unaligned hotplug range: start %#llx, size %#llx",
			(unsigned long long)block, (unsigned long long)start,
			(unsigned long long)size);
		return -EINVAL;
	}
	return 0;
}

static unsigned long memory_block_memmap_pages(struct memhp_machine *m)
{
	return m->pages_per_block * m->cfg.struct_page_size / MEMHP_PAGE_SIZE;
}

/* mhp_supports_memmap_on_memory() */
static bool mhp_supports_memmap_on_memory(struct memhp_machine *m, uint64_t size)
{
	unsigned long vmemmap_size = memory_block_memmap_pages(m) * MEMHP_PAGE_SIZE;
	const uint64_t pmd_size = 2 * MEMHP_MiB;

	return m->cfg.memmap_on_memory && size == memhp_block_size(m) &&
	       IS_ALIGNED(vmemmap_size, pmd_size) &&
	       IS_ALIGNED((unsigned long)PHYS_PFN(size - vmemmap_size), m->pageblock_nr_pages);
}

bool memhp_mhp_supports_memmap_on_memory(struct memhp_machine *m, uint64_t size)
{
	return mhp_supports_memmap_on_memory(m, size);
}

/* @nr_vmemmap: memmap_on_memory pages at the start of the range
 * (vmem_altmap_offset()), which the first section's removal skips. */
static void arch_remove_memory(struct memhp_machine *m, uint64_t start, uint64_t size,
			       unsigned long nr_vmemmap)
{
	unsigned long first = pfn_to_section_nr(m, PHYS_PFN(start));
	unsigned long last = pfn_to_section_nr(m, PHYS_PFN(start + size) - 1);

	for (unsigned long nr = first; nr <= last; nr++)
		sparse_remove_section(m, nr, nr == first ? nr_vmemmap : 0);
	physmem_discard(m, start, size);
}

/* Returns 0, -ENOMEM (no host memory, or no kernel memory for the memmap). */
static int arch_add_memory(struct memhp_machine *m, int nid, uint64_t start, uint64_t size,
			   bool memmap_on_memory)
{
	unsigned long first = pfn_to_section_nr(m, PHYS_PFN(start));
	unsigned long last = pfn_to_section_nr(m, PHYS_PFN(start + size) - 1);
	unsigned long nr;
	int ret;

	ret = physmem_populate(m, start, size);
	if (ret)
		return ret;
	for (nr = first; nr <= last; nr++) {
		ret = sparse_add_section(m, nr, nid, false);
		if (ret)
			break;
		if (!memmap_on_memory) {
			ret = sparse_charge_section(m, nr, nid);
			if (ret) {
				sparse_remove_section(m, nr, 0);
				break;
			}
		}
	}
	if (ret) {
		/* __add_pages() breaks out of its loop and nothing undoes the
		 * sections before: x86's add_pages() WARNs once and the caller
		 * only releases the resource. They stay present with their
		 * memmap (kernel memory that never comes back) and no memory
		 * block; adding the range again meets them: -EEXIST. */
		for (unsigned long s = first; s < nr; s++)
			atomic_fetch_or_explicit(&m->sections[s].flags, SECTION_ADD_FAILED,
						 memory_order_relaxed);
		if (nr > first && !m->add_pages_warned) {
			m->add_pages_warned = true;
			memhp_report(
				m, section_nr_to_pfn(m, first), MEMHP_RULE_HOT_ADD_LEAK,
				"add_pages: __add_pages() returned %d after %lu of %lu sections",
				ret, nr - first, last - first + 1);
		}
		physmem_discard(m, start, size);
	}
	return ret;
}

static int add_memory_resource(struct memhp_machine *m, int nid, uint64_t start, uint64_t size,
			       unsigned int mhp_flags)
{
	struct memory_group *group = NULL;
	unsigned long nr_vmemmap = 0;
	bool new_node;
	int ret;

	ret = check_hotplug_memory_range(m, start, size);
	if (ret)
		return ret;
	if (mhp_flags & MEMHP_MHP_NID_IS_MGID) {
		group = memory_group_find_by_id(m, nid);
		if (!group)
			return -EINVAL;
		nid = group->nid;
	}
	if (nid < 0 || nid >= m->nr_node_ids)
		return -EINVAL;

	mem_hotplug_begin(m);
	trace_op_begin(m, MEMHP_OP_ADD_MEMORY, PHYS_PFN(start), PHYS_PFN(size), -1);
	/* __try_online_node(): a node that was only possible gets its
	 * zonelist now, and comes online once its memory is added. */
	new_node = !node_online(m, nid);
	if (new_node)
		__build_all_zonelists(m, nid, false);
	if (mhp_flags & MEMHP_MHP_MEMMAP_ON_MEMORY) {
		if (!mhp_supports_memmap_on_memory(m, size)) {
			ret = -EINVAL;
			goto out;
		}
		nr_vmemmap = memory_block_memmap_pages(m);
	}
	ret = arch_add_memory(m, nid, start, size, nr_vmemmap != 0);
	if (ret)
		goto out;
	kpage_memory_added(m, start, size);
	ret = create_memory_block_devices(m, start, size, nr_vmemmap, group, nid);
	if (ret) {
		arch_remove_memory(m, start, size, nr_vmemmap);
		goto out;
	}
	if (new_node)
		WRITE_ONCE(NODE_DATA_M(m, nid)->n_online, true);
out:
	trace_op_end(m, MEMHP_OP_ADD_MEMORY, PHYS_PFN(start), PHYS_PFN(size), -1, 0, ret);
	mem_hotplug_done(m);
	if (ret)
		return ret;

	/* Online what was added, per auto_online_blocks. Failures are silent:
	 * add_memory() still returns 0. */
	if (READ_ONCE(m->auto_online_blocks) != MEMHP_MMOP_OFFLINE) {
		int type = READ_ONCE(m->auto_online_blocks);

		for (uint64_t a = start; a < start + size; a += memhp_block_size(m)) {
			struct memory_block *mem =
				find_memory_block_by_id(m, memhp_phys_to_block_id(m, a));

			mem->online_type = type;
			device_online(m, mem);
		}
	}
	return 0;
}

/* register_memory_resource(): -E2BIG beyond the address space, else
 * -EEXIST whatever made __request_region() fail: 6.1 turns its NULL into
 * -EEXIST, an overlap and a failed kzalloc alike. */
static int register_memory_resource(struct memhp_machine *m, uint64_t start, uint64_t size,
				    const char *name, unsigned int flags)
{
	if (start + size < start || start + size > PFN_PHYS(m->max_pfn)) {
		mhp_log(m, KERN_WARNING,
			"Hotplug memory [%#llx-%#llx] exceeds maximum addressable range",
			(unsigned long long)start, (unsigned long long)(start + size));
		return -E2BIG;
	}
	return request_mem_region(m, start, size, name,
				  flags | IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY)
		       ? -EEXIST
		       : 0;
}

static int __add_memory(struct memhp_machine *m, int nid, uint64_t start, uint64_t size,
			const char *name, unsigned int res_flags, unsigned int mhp_flags)
{
	int ret;

	ret = register_memory_resource(m, start, size, name, res_flags);
	if (ret)
		return ret;
	ret = add_memory_resource(m, nid, start, size, mhp_flags);
	if (ret) {
		release_mem_region(m, start, size);
		return ret;
	}
	/* firmware_map_add_hotplug(): plain System RAM only, not memory a
	 * driver manages. Out of memory for the entry leaves it out. */
	if (!strcmp(name, "System RAM"))
		firmware_map_add(m, start, size, "System RAM");
	return 0;
}

int memhp_add_memory(struct memhp_machine *m, int nid, uint64_t start, uint64_t size,
		     unsigned int mhp_flags)
{
	int ret;

	memhp_lock_device_hotplug(m);
	ret = __add_memory(m, nid, start, size, "System RAM", 0, mhp_flags);
	check_after_op(m, "add_memory", PHYS_PFN(start), PHYS_PFN(size));
	memhp_unlock_device_hotplug(m);
	return ret;
}

int memhp_add_memory_driver_managed(struct memhp_machine *m, int nid, uint64_t start, uint64_t size,
				    const char *resource_name, unsigned int mhp_flags)
{
	size_t len;
	int ret;

	if (!resource_name || strncmp(resource_name, "System RAM (", 12) ||
	    (len = strlen(resource_name)) < 14 || resource_name[len - 1] != ')')
		return -EINVAL;
	memhp_lock_device_hotplug(m);
	ret = __add_memory(m, nid, start, size, resource_name, IORESOURCE_SYSRAM_DRIVER_MANAGED,
			   mhp_flags);
	check_after_op(m, "add_memory_driver_managed", PHYS_PFN(start), PHYS_PFN(size));
	memhp_unlock_device_hotplug(m);
	return ret;
}

/* ---- Removing memory -------------------------------------------------------------- */

static int try_remove_memory(struct memhp_machine *m, uint64_t start, uint64_t size)
{
	unsigned long first, last, nr_vmemmap = 0;
	bool has_vmemmap = false;

	/* 6.1 BUG()s on a misaligned range; memhp refuses it instead. */
	if (check_hotplug_memory_range(m, start, size))
		return -EINVAL;
	first = memhp_phys_to_block_id(m, start);
	last = memhp_phys_to_block_id(m, start + size - 1);
	for (unsigned long id = first; id <= last; id++) {
		struct memory_block *mem = find_memory_block_by_id(m, id);

		/* The kernel would trip over sections that are not there;
		 * memhp refuses the range. */
		if (!mem)
			return -EINVAL;
		if (atomic_load(&mem->state) != MEMHP_MEM_OFFLINE) {
			mhp_log(m, KERN_WARNING,
				"removing memory fails, because memory [%#llx-%#llx] is onlined",
				(unsigned long long)PFN_PHYS(id * m->pages_per_block),
				(unsigned long long)PFN_PHYS((id + 1) * m->pages_per_block) - 1);
			return -EBUSY;
		}
		if (mem->nr_vmemmap_pages) {
			has_vmemmap = true;
			nr_vmemmap = mem->nr_vmemmap_pages;
		}
	}
	if (has_vmemmap && size != memhp_block_size(m)) {
		mhp_log(m, KERN_WARNING, "Refuse to remove %#llx - %#llx,wrong granularity",
			(unsigned long long)start, (unsigned long long)(start + size - 1));
		return -EINVAL;
	}

	remove_memory_block_devices(m, start, size);
	mem_hotplug_begin(m);
	trace_op_begin(m, MEMHP_OP_REMOVE_MEMORY, PHYS_PFN(start), PHYS_PFN(size), -1);
	arch_remove_memory(m, start, size, nr_vmemmap);
	firmware_map_remove(m, start, size, "System RAM");
	release_mem_region(m, start, size);
	trace_op_end(m, MEMHP_OP_REMOVE_MEMORY, PHYS_PFN(start), PHYS_PFN(size), -1, 0, 0);
	mem_hotplug_done(m);
	return 0;
}

int memhp_remove_memory(struct memhp_machine *m, uint64_t start, uint64_t size)
{
	int ret;

	memhp_lock_device_hotplug(m);
	ret = try_remove_memory(m, start, size);
	check_after_op(m, "remove_memory", PHYS_PFN(start), PHYS_PFN(size));
	memhp_unlock_device_hotplug(m);
	return ret;
}

int memhp_offline_and_remove_memory(struct memhp_machine *m, uint64_t start, uint64_t size)
{
	const unsigned long nr_blocks = size / memhp_block_size(m);
	unsigned long first;
	uint8_t *online_types;
	int rc = 0;

	if (!size || !IS_ALIGNED(start, memhp_block_size(m)) ||
	    !IS_ALIGNED(size, memhp_block_size(m)) || start + size > PFN_PHYS(m->max_pfn))
		return -EINVAL;
	online_types =
		mhp_should_fail(m, MEMHP_FAULT_OFFLINE_REMOVE_ALLOC) ? NULL : calloc(nr_blocks, 1);
	if (!online_types)
		return -ENOMEM;
	first = memhp_phys_to_block_id(m, start);

	memhp_lock_device_hotplug(m);
	for (unsigned long i = 0; i < nr_blocks && !rc; i++) {
		struct memory_block *mem = find_memory_block_by_id(m, first + i);
		struct zone *zone;

		if (!mem)
			continue;
		zone = atomic_load(&mem->zone);
		rc = device_offline(m, mem);
		if (rc < 0)
			break;
		if (rc == 0)
			online_types[i] = zone && zone->idx == ZONE_MOVABLE
						  ? MEMHP_MMOP_ONLINE_MOVABLE
						  : MEMHP_MMOP_ONLINE_KERNEL;
		rc = 0;
	}
	if (!rc) {
		rc = try_remove_memory(m, start, size);
		if (rc)
			mhp_log(m, KERN_ERR, "Failed to remove memory: %d", rc);
	}
	if (rc) {
		for (unsigned long i = 0; i < nr_blocks; i++) {
			struct memory_block *mem = find_memory_block_by_id(m, first + i);

			if (!mem || online_types[i] == MEMHP_MMOP_OFFLINE)
				continue;
			mem->online_type = online_types[i];
			if (device_online(m, mem) < 0)
				mhp_log(m, KERN_WARNING, "Failed to re-online memory: %d", rc);
		}
	}
	check_after_op(m, "offline_and_remove_memory", PHYS_PFN(start), PHYS_PFN(size));
	memhp_unlock_device_hotplug(m);
	free(online_types);
	return rc;
}
