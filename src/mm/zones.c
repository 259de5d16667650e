// SPDX-License-Identifier: MIT
/*
 * zones.c - zones, the node, and which zone a block goes to.
 *
 * Zone choice follows zone_for_pfn_range() of 6.1 for all three online
 * types and both online policies (contig-zones, auto-movable). Spans grow
 * when a range moves in and shrink only at the edges when it leaves, as
 * shrink_zone_span() does; nothing rescans a whole zone per operation.
 */
#include "internal.h"

static const char *const zone_names[MAX_NR_ZONES] = { "DMA", "DMA32", "Normal", "Movable" };

const char *memhp_zone_name(enum memhp_zone_type zone)
{
	return (unsigned)zone < MAX_NR_ZONES ? zone_names[zone] : NULL;
}

void zones_init(struct memhp_machine *m)
{
	struct pglist_data *pgdat = &m->node;

	pgdat->node_id = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &pgdat->node_zones[z];

		pthread_mutex_init(&zone->lock, NULL);
		buddy_init_zone(zone);
		zone->zone_pgdat = pgdat;
		zone->idx = (enum memhp_zone_type)z;
		zone->name = zone_names[z];
	}
}

void zones_destroy(struct memhp_machine *m)
{
	for (int z = 0; z < MAX_NR_ZONES; z++)
		pthread_mutex_destroy(&m->node.node_zones[z].lock);
}

bool zone_intersects(const struct zone *zone, unsigned long start, unsigned long nr)
{
	if (zone_is_empty(zone))
		return false;
	if (start >= zone_end_pfn(zone) ||
	    start + nr <= READ_ONCE(((struct zone *)zone)->zone_start_pfn))
		return false;
	return true;
}

struct zone *default_kernel_zone_for_pfn(struct memhp_machine *m, int nid, unsigned long start_pfn,
					 unsigned long nr_pages)
{
	struct pglist_data *pgdat = &m->node;

	(void)nid;
	for (int zid = 0; zid < ZONE_NORMAL; zid++) {
		struct zone *zone = &pgdat->node_zones[zid];

		if (zone_intersects(zone, start_pfn, nr_pages))
			return zone;
	}
	return &pgdat->node_zones[ZONE_NORMAL];
}

static struct zone *default_zone_for_pfn(struct memhp_machine *m, int nid, unsigned long start_pfn,
					 unsigned long nr_pages)
{
	struct zone *kernel_zone = default_kernel_zone_for_pfn(m, nid, start_pfn, nr_pages);
	struct zone *movable_zone = &m->node.node_zones[ZONE_MOVABLE];
	bool in_kernel = zone_intersects(kernel_zone, start_pfn, nr_pages);
	bool in_movable = zone_intersects(movable_zone, start_pfn, nr_pages);

	/* Exactly one intersects: that one. Neither or both: the kernel zone,
	 * unless movable_node asks for ZONE_MOVABLE. */
	if (in_kernel ^ in_movable)
		return in_kernel ? kernel_zone : movable_zone;
	return m->cfg.movable_node ? movable_zone : kernel_zone;
}

/* ---- auto-movable (memory_hotplug.online_policy=auto-movable) ------------ */

struct auto_movable_stats {
	unsigned long kernel_early_pages;
	unsigned long movable_pages;
};

struct auto_movable_group_stats {
	unsigned long movable_pages;
	unsigned long req_kernel_early_pages;
};

static void auto_movable_stats_account_zone(struct auto_movable_stats *stats, struct zone *zone)
{
	if (zone->idx == ZONE_MOVABLE)
		stats->movable_pages += READ_ONCE(zone->present_pages);
	else
		stats->kernel_early_pages += READ_ONCE(zone->present_early_pages);
}

static bool auto_movable_can_online_movable(struct memhp_machine *m, int nid,
					    struct memory_group *group, unsigned long nr_pages)
{
	const unsigned long ratio = READ_ONCE(m->auto_movable_ratio);
	struct auto_movable_group_stats group_stats = { 0 };
	struct auto_movable_stats stats = { 0 };
	unsigned long kernel_early_pages, movable_pages;

	(void)nid; /* one node: the system-wide and the per-node sums agree */
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &m->node.node_zones[z];

		if (populated_zone(zone))
			auto_movable_stats_account_zone(&stats, zone);
	}
	kernel_early_pages = stats.kernel_early_pages;
	movable_pages = stats.movable_pages;

	/* Kernel memory inside a dynamic group allows more movable memory in
	 * that group: take every dynamic group's needs out of the sums. */
	for (int i = 0; ratio && i < MEMHP_MAX_MEMORY_GROUPS; i++) {
		struct memory_group *g = &m->groups[i];
		long pages;

		if (!g->used || !g->is_dynamic)
			continue;
		pages = (long)(READ_ONCE(g->present_movable_pages) * 100 / ratio);
		pages -= (long)READ_ONCE(g->present_kernel_pages);
		if (pages > 0)
			group_stats.req_kernel_early_pages += (unsigned long)pages;
		group_stats.movable_pages += READ_ONCE(g->present_movable_pages);
	}
	if (kernel_early_pages <= group_stats.req_kernel_early_pages)
		return false;
	kernel_early_pages -= group_stats.req_kernel_early_pages;
	movable_pages -= group_stats.movable_pages;
	if (group && group->is_dynamic)
		kernel_early_pages += READ_ONCE(group->present_kernel_pages);

	movable_pages += nr_pages;
	return movable_pages <= ratio * kernel_early_pages / 100;
}

static struct zone *auto_movable_zone_for_pfn(struct memhp_machine *m, int nid,
					      struct memory_group *group, unsigned long pfn,
					      unsigned long nr_pages)
{
	unsigned long online_pages = 0, max_pages, end_pfn;

	if (!READ_ONCE(m->auto_movable_ratio))
		goto kernel_zone;

	if (group && !group->is_dynamic) {
		max_pages = group->max_pages;
		online_pages = READ_ONCE(group->present_movable_pages);
		if (READ_ONCE(group->present_kernel_pages))
			goto kernel_zone;
	} else if (!group || group->unit_pages == nr_pages) {
		max_pages = nr_pages;
	} else {
		max_pages = group->unit_pages;
		pfn = ALIGN_DOWN(pfn, group->unit_pages);
		end_pfn = pfn + group->unit_pages;
		for (; pfn < end_pfn; pfn += m->pages_per_section) {
			if (!pfn_online(m, pfn))
				continue;
			if (pfn_zone(m, pfn)->idx != ZONE_MOVABLE)
				goto kernel_zone;
			online_pages += m->pages_per_section;
		}
	}

	nr_pages = max_pages - online_pages;
	if (!auto_movable_can_online_movable(m, MEMHP_NUMA_NO_NODE, group, nr_pages))
		goto kernel_zone;
	if (READ_ONCE(m->auto_movable_numa_aware) &&
	    !auto_movable_can_online_movable(m, nid, group, nr_pages))
		goto kernel_zone;
	return &m->node.node_zones[ZONE_MOVABLE];
kernel_zone:
	return default_kernel_zone_for_pfn(m, nid, pfn, nr_pages);
}

struct zone *zone_for_pfn_range(struct memhp_machine *m, int online_type, int nid,
				struct memory_group *group, unsigned long start_pfn,
				unsigned long nr_pages)
{
	if (online_type == MEMHP_MMOP_ONLINE_KERNEL)
		return default_kernel_zone_for_pfn(m, nid, start_pfn, nr_pages);
	if (online_type == MEMHP_MMOP_ONLINE_MOVABLE)
		return &m->node.node_zones[ZONE_MOVABLE];
	if (READ_ONCE(m->online_policy) == MEMHP_ONLINE_POLICY_AUTO_MOVABLE)
		return auto_movable_zone_for_pfn(m, nid, group, start_pfn, nr_pages);
	return default_zone_for_pfn(m, nid, start_pfn, nr_pages);
}

/* ---- Spans and counters ------------------------------------------------------ */

static void resize_zone_range(struct zone *zone, unsigned long start, unsigned long nr)
{
	unsigned long old_end = zone_end_pfn(zone);

	if (zone_is_empty(zone) || start < READ_ONCE(zone->zone_start_pfn))
		WRITE_ONCE(zone->zone_start_pfn, start);
	WRITE_ONCE(zone->spanned_pages, MAX(start + nr, old_end) - READ_ONCE(zone->zone_start_pfn));
}

static void resize_pgdat_range(struct pglist_data *pgdat, unsigned long start, unsigned long nr)
{
	unsigned long old_end =
		READ_ONCE(pgdat->node_start_pfn) + READ_ONCE(pgdat->node_spanned_pages);

	if (!READ_ONCE(pgdat->node_spanned_pages) || start < READ_ONCE(pgdat->node_start_pfn))
		WRITE_ONCE(pgdat->node_start_pfn, start);
	WRITE_ONCE(pgdat->node_spanned_pages,
		   MAX(start + nr, old_end) - READ_ONCE(pgdat->node_start_pfn));
}

/*
 * Associate [start, start + nr) with @zone: spans grow, every descriptor is
 * initialised (refcount 1, PG_reserved) and every pageblock gets
 * @migratetype (ISOLATE for onlining, UNMOVABLE for vmemmap pages).
 * @init_memmap false leaves the descriptors to the caller (see
 * online_pages_range()).
 */
void move_pfn_range_to_zone(struct memhp_machine *m, struct zone *zone, unsigned long start,
			    unsigned long nr, int migratetype, bool init_memmap)
{
	pthread_mutex_lock(&zone->lock);
	resize_zone_range(zone, start, nr);
	resize_pgdat_range(zone->zone_pgdat, start, nr);
	pthread_mutex_unlock(&zone->lock);
	if (init_memmap)
		memmap_init_range(m, start, nr, zone->idx, migratetype);
	else
		for (unsigned long pfn = start; pfn < start + nr; pfn += m->pageblock_nr_pages) {
			set_pageblock_zone(m, pfn, zone->idx);
			set_pageblock_migratetype(m, pfn, migratetype);
		}
}

/*
 * The first (or last) online pfn of @zone in [start, end): walked by
 * pageblock, whole sections at a time where a section is offline.
 */
static unsigned long find_smallest_zone_pfn(struct memhp_machine *m, struct zone *zone,
					    unsigned long start, unsigned long end)
{
	while (start < end) {
		if (!pfn_online(m, start)) {
			start = ALIGN_DOWN(start, m->pages_per_section) + m->pages_per_section;
			continue;
		}
		if (pfn_zone(m, start) == zone)
			return start;
		start += m->pageblock_nr_pages;
	}
	return 0;
}

static unsigned long find_biggest_zone_pfn(struct memhp_machine *m, struct zone *zone,
					   unsigned long start, unsigned long end)
{
	while (end > start) {
		unsigned long pfn = end - 1;

		if (!pfn_online(m, pfn)) {
			end = ALIGN_DOWN(pfn, m->pages_per_section);
			continue;
		}
		if (pfn_zone(m, pfn) == zone)
			return pfn;
		end = ALIGN_DOWN(pfn, m->pageblock_nr_pages);
	}
	return 0;
}

static void shrink_zone_span(struct memhp_machine *m, struct zone *zone, unsigned long start,
			     unsigned long end)
{
	unsigned long pfn;

	if (READ_ONCE(zone->zone_start_pfn) == start) {
		pfn = find_smallest_zone_pfn(m, zone, end, zone_end_pfn(zone));
		if (pfn) {
			WRITE_ONCE(zone->spanned_pages, zone_end_pfn(zone) - pfn);
			WRITE_ONCE(zone->zone_start_pfn, pfn);
		} else {
			WRITE_ONCE(zone->zone_start_pfn, 0);
			WRITE_ONCE(zone->spanned_pages, 0);
		}
	} else if (zone_end_pfn(zone) == end) {
		pfn = find_biggest_zone_pfn(m, zone, READ_ONCE(zone->zone_start_pfn), start);
		if (pfn) {
			WRITE_ONCE(zone->spanned_pages, pfn - READ_ONCE(zone->zone_start_pfn) + 1);
		} else {
			WRITE_ONCE(zone->zone_start_pfn, 0);
			WRITE_ONCE(zone->spanned_pages, 0);
		}
	}
}

static void update_pgdat_span(struct pglist_data *pgdat)
{
	unsigned long node_start = 0, node_end = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &pgdat->node_zones[z];
		unsigned long end = zone_end_pfn(zone);

		if (!READ_ONCE(zone->spanned_pages))
			continue;
		if (!node_end) {
			node_start = READ_ONCE(zone->zone_start_pfn);
			node_end = end;
			continue;
		}
		node_end = MAX(node_end, end);
		node_start = MIN(node_start, READ_ONCE(zone->zone_start_pfn));
	}
	WRITE_ONCE(pgdat->node_start_pfn, node_start);
	WRITE_ONCE(pgdat->node_spanned_pages, node_end - node_start);
}

void remove_pfn_range_from_zone(struct memhp_machine *m, struct zone *zone, unsigned long start,
				unsigned long nr)
{
	pthread_mutex_lock(&zone->lock);
	shrink_zone_span(m, zone, start, start + nr);
	update_pgdat_span(zone->zone_pgdat);
	pthread_mutex_unlock(&zone->lock);
}

void adjust_present_page_count(struct memhp_machine *m, unsigned long pfn,
			       struct memory_group *group, long nr_pages)
{
	struct zone *zone = pfn_zone(m, pfn);
	const bool movable = zone->idx == ZONE_MOVABLE;

	if (section_flag(m, pfn_to_section_nr(m, pfn), SECTION_IS_EARLY))
		ADD_ONCE(zone->present_early_pages, (unsigned long)nr_pages);
	ADD_ONCE(zone->present_pages, (unsigned long)nr_pages);
	ADD_ONCE(zone->zone_pgdat->node_present_pages, (unsigned long)nr_pages);
	if (group && movable)
		ADD_ONCE(group->present_movable_pages, (unsigned long)nr_pages);
	else if (group)
		ADD_ONCE(group->present_kernel_pages, (unsigned long)nr_pages);
}

/*
 * build_all_zonelists(NULL) as hotplug calls it when a zone gains its first
 * present pages or loses its last: the zonelists themselves are implicit
 * in memhp (every allocation walks the zones), what is left is what it
 * prints and policy_zone, the highest zone other than ZONE_MOVABLE that
 * ever had managed pages. Total pages is nr_free_zone_pages() of
 * GFP_HIGHUSER_MOVABLE: every zone's managed pages less its high watermark,
 * as they were before the online or offline that calls this recomputes
 * them (init_per_zone_wmark_min() comes later). Caller holds
 * mem_hotplug_lock, or is booting the machine (@boot).
 */
void build_all_zonelists(struct memhp_machine *m, bool boot)
{
	long total = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++) {
		long managed = READ_ONCE(m->node.node_zones[z].managed_pages);
		long high = (long)high_wmark_pages(&m->node.node_zones[z]);

		if (managed > high)
			total += managed - high;
		if (managed > 0 && z != ZONE_MOVABLE && z > m->policy_zone)
			m->policy_zone = z;
	}
	/* At boot 6.1 prints estimates taken before memblock frees its pages,
	 * which memhp does not reproduce: it keeps quiet. */
	if (boot)
		return;
	/* Grouping by mobility needs a pageblock of each migratetype. */
	memhp_printk(m, KERN_INFO, "Built %u zonelists, mobility grouping %s.  Total pages: %ld",
		     MEMHP_MAX_NUMNODES,
		     total < (long)(m->pageblock_nr_pages * (MIGRATE_TYPES - !m->cfg.cma_size))
			     ? "off"
			     : "on",
		     total);
	memhp_printk(m, KERN_INFO, "Policy zone: %s", zone_names[m->policy_zone]);
}

/* ---- Reading ------------------------------------------------------------------- */

int memhp_zone_info(struct memhp_machine *m, int nid, enum memhp_zone_type zid,
		    struct memhp_zone_info *zi)
{
	struct zone *zone;

	if (nid != 0 || (unsigned)zid >= MAX_NR_ZONES)
		return -EINVAL;
	zone = &m->node.node_zones[zid];
	zi->name = zone->name;
	zi->nid = nid;
	zi->idx = zid;
	zi->zone_start_pfn = READ_ONCE(zone->zone_start_pfn);
	zi->spanned_pages = READ_ONCE(zone->spanned_pages);
	zi->present_pages = READ_ONCE(zone->present_pages);
	zi->present_early_pages = READ_ONCE(zone->present_early_pages);
	zi->managed_pages = (unsigned long)READ_ONCE(zone->managed_pages);
	zi->nr_free_pages = (unsigned long)READ_ONCE(zone->vm_nr_free_pages);
	pthread_mutex_lock(&zone->lock);
	zi->nr_isolate_pageblock = zone->nr_isolate_pageblock;
	pthread_mutex_unlock(&zone->lock);
	zi->cma_pages = READ_ONCE(zone->cma_pages);
	zi->watermark_min = min_wmark_pages(zone);
	zi->watermark_low = low_wmark_pages(zone);
	zi->watermark_high = high_wmark_pages(zone);
	zi->nr_pcp_pages = 0;
	for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++)
		zi->nr_pcp_pages += (unsigned long)READ_ONCE(zone->per_cpu_pageset[cpu].count);
	return 0;
}

void memhp_meminfo(struct memhp_machine *m, struct memhp_meminfo *mi)
{
	memset(mi, 0, sizeof(*mi));
	mi->total_pages = (unsigned long)READ_ONCE(m->totalram_pages);
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &m->node.node_zones[z];

		mi->free_pages += (unsigned long)READ_ONCE(zone->vm_nr_free_pages);
		for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++)
			mi->pcp_pages += (unsigned long)READ_ONCE(zone->per_cpu_pageset[cpu].count);
		mi->present_pages += READ_ONCE(zone->present_pages);
		mi->spanned_pages += READ_ONCE(zone->spanned_pages);
	}
	mi->reserved_pages = mi->present_pages - mi->total_pages;
	mi->hwpoison_pages = memhp_num_poisoned_pages(m);
	mi->shmem_pages = memhp_node_page_state(m, 0, MEMHP_NR_SHMEM);

	/* A lock-free memmap walk for the page classes, chunk by chunk. */
	for (unsigned long nr = 0; nr < m->nr_sections; nr++) {
		unsigned long pfn = section_nr_to_pfn(m, nr), end = pfn + m->pages_per_section;

		if (!section_flag(m, nr, SECTION_IS_ONLINE))
			continue;
		while (pfn < end) {
			struct memhp_page *p = pfn_to_page(m, pfn);

			if (PageBuddy(p)) {
				pfn += 1UL << buddy_order(p);
				continue;
			}
			if (PageOffline(p))
				mi->offline_pages++;
			else if (page_count(p) && (PageLRU(p) || __PageMovable(p) ||
						   test_page_flag(p, PG_lru_pending)))
				mi->movable_pages++;
			else if (page_count(p) && !PageReserved(p))
				mi->kernel_pages++;
			pfn++;
		}
	}
}
