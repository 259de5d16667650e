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
	for (int nid = 0; nid < m->nr_node_ids; nid++) {
		struct pglist_data *pgdat = NODE_DATA_M(m, nid);

		pgdat->node_id = nid;
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];

			mutex_init(&zone->lock, LOCK_RANK_ZONE);
			buddy_init_zone(zone);
			zone->zone_pgdat = pgdat;
			zone->idx = (enum memhp_zone_type)z;
			zone->name = zone_names[z];
		}
		/* Until the first build: the node alone. */
		WRITE_ONCE(pgdat->node_order[0], (int8_t)nid);
		WRITE_ONCE(pgdat->nr_node_order, 1);
	}
}

void zones_destroy(struct memhp_machine *m)
{
	for_each_zone(m, zone) pthread_mutex_destroy(&zone->lock);
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
	struct pglist_data *pgdat = NODE_DATA_M(m, nid);

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
	struct zone *movable_zone = &NODE_DATA_M(m, nid)->node_zones[ZONE_MOVABLE];
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

	/* NUMA_NO_NODE: the whole machine; else the node's zones only. */
	for_each_zone(m, zone) if ((nid == MEMHP_NUMA_NO_NODE || zone_to_nid(zone) == nid) &&
				   populated_zone(zone))
		auto_movable_stats_account_zone(&stats, zone);
	kernel_early_pages = stats.kernel_early_pages;
	movable_pages = stats.movable_pages;

	/* Kernel memory inside a dynamic group allows more movable memory in
	 * that group: take the needs of every other dynamic group (of the
	 * node, when asked about one) out of the sums
	 * (walk_dynamic_memory_groups() with @group excluded). */
	for (int i = 0; ratio && i < MEMHP_MAX_MEMORY_GROUPS; i++) {
		struct memory_group *g = &m->groups[i];
		long pages;

		if (!g->used || !g->is_dynamic || g == group)
			continue;
		if (nid != MEMHP_NUMA_NO_NODE && g->nid != nid)
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
	return &NODE_DATA_M(m, nid)->node_zones[ZONE_MOVABLE];
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
		return &NODE_DATA_M(m, nid)->node_zones[ZONE_MOVABLE];
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
		memmap_init_range(m, start, nr, zone, migratetype);
	else
		for (unsigned long pfn = start; pfn < start + nr; pfn += m->pageblock_nr_pages) {
			set_pageblock_zone(m, pfn, zone);
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

/* ---- Nodes and zonelists ----------------------------------------------------- */

int memhp_nr_node_ids(const struct memhp_machine *m)
{
	return m->nr_node_ids;
}

int memhp_node_distance(const struct memhp_machine *m, int from, int to)
{
	int d;

	if (from < 0 || to < 0 || from >= m->nr_node_ids || to >= m->nr_node_ids)
		return -1;
	d = m->cfg.nr_nodes > 1 ? m->cfg.nodes[from].distance[to] : 0;
	if (d)
		return d;
	return from == to ? MEMHP_LOCAL_DISTANCE : MEMHP_REMOTE_DISTANCE;
}

int memhp_cpu_to_node(const struct memhp_machine *m, int cpu)
{
	if (cpu < 0 || (unsigned)cpu >= m->nr_cpus)
		return MEMHP_NUMA_NO_NODE;
	return m->cpu_to_node[cpu];
}

static bool node_has_cpus(const struct memhp_machine *m, int nid)
{
	for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++)
		if (m->cpu_to_node[cpu] == nid)
			return true;
	return false;
}

bool node_online(struct memhp_machine *m, int nid)
{
	return nid >= 0 && nid < m->nr_node_ids && READ_ONCE(NODE_DATA_M(m, nid)->n_online);
}

int nr_online_nodes(struct memhp_machine *m)
{
	int n = 0;

	for (int nid = 0; nid < m->nr_node_ids; nid++)
		n += node_online(m, nid);
	return n;
}

/*
 * find_next_best_node(): the node itself first; then, of the nodes with
 * memory not taken yet, the one with the least distance, a node above
 * @node before one below it at the same distance, a node without CPUs
 * before one with CPUs, and the least loaded of those.
 */
static int find_next_best_node(struct memhp_machine *m, int node, bool *used, const int *load)
{
	int best = MEMHP_NUMA_NO_NODE, min_val = INT32_MAX;

	if (!used[node]) {
		used[node] = true;
		return node;
	}
	for (int n = 0; n < m->nr_node_ids; n++) {
		int val;

		if (used[n] || !READ_ONCE(NODE_DATA_M(m, n)->n_memory))
			continue;
		val = memhp_node_distance(m, node, n);
		val += n < node;
		if (node_has_cpus(m, n))
			val += 1; /* PENALTY_FOR_NODE_WITH_CPUS */
		val = val * LINUX_MAX_NUMNODES + load[n];
		if (val < min_val) {
			min_val = val;
			best = n;
		}
	}
	if (best >= 0)
		used[best] = true;
	return best;
}

/*
 * build_zonelists(): @pgdat's node order. The first node of each new
 * distance gets a load, so that nodes at equal distance take turns as the
 * first fallback of the nodes that follow. Prints the order as 6.1 does.
 */
static void build_zonelists(struct memhp_machine *m, struct pglist_data *pgdat, int *load,
			    bool boot)
{
	bool used[MEMHP_MAX_NUMNODES] = { false };
	int local = pgdat->node_id, prev = local, node, nr = 0;
	char line[32 + MEMHP_MAX_NUMNODES * 4];
	size_t len;

	while ((node = find_next_best_node(m, local, used, load)) >= 0) {
		if (memhp_node_distance(m, local, node) != memhp_node_distance(m, local, prev))
			load[node]++;
		WRITE_ONCE(pgdat->node_order[nr++], (int8_t)node);
		prev = node;
	}
	WRITE_ONCE(pgdat->nr_node_order, nr);
	len = (size_t)snprintf(line, sizeof(line), "Fallback order for Node %d: ", local);
	for (int i = 0; i < nr && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%d ",
					(int)READ_ONCE(pgdat->node_order[i]));
	if (!boot)
		memhp_printk(m, KERN_INFO, "%s", line);
}

/*
 * build_all_zonelists(): every possible node's zonelist (@self >= 0: only
 * that node's, as for a node that comes online with hot-added memory), and
 * what it prints. policy_zone is the highest zone other than ZONE_MOVABLE
 * that ever had managed pages. Total pages is nr_free_zone_pages() of
 * GFP_HIGHUSER_MOVABLE: every zone's managed pages less its high watermark,
 * as they were before the online or offline that calls this recomputes
 * them (init_per_zone_wmark_min() comes later). @boot: the machine is
 * being created, by one thread, without the hotplug locks.
 */
void __build_all_zonelists(struct memhp_machine *m, int self, bool boot)
{
	int load[MEMHP_MAX_NUMNODES] = { 0 };
	long total = 0;

	if (!boot)
		lockdep_assert_held_write(&m->mem_hotplug_lock);
	if (self >= 0 && !node_online(m, self))
		build_zonelists(m, NODE_DATA_M(m, self), load, boot);
	else
		for (int nid = 0; nid < m->nr_node_ids; nid++)
			build_zonelists(m, NODE_DATA_M(m, nid), load, boot);

	for_each_zone(m, zone)
	{
		long managed = READ_ONCE(zone->managed_pages);
		long high = (long)high_wmark_pages(zone);

		if (managed > high)
			total += managed - high;
		if (managed > 0 && zone->idx != ZONE_MOVABLE && (int)zone->idx > m->policy_zone)
			m->policy_zone = zone->idx;
	}
	/* At boot 6.1 prints estimates taken before memblock frees its pages,
	 * which memhp does not reproduce: it keeps quiet. */
	if (boot)
		return;
	/* Grouping by mobility needs a pageblock of each migratetype. */
	memhp_printk(m, KERN_INFO, "Built %d zonelists, mobility grouping %s.  Total pages: %ld",
		     nr_online_nodes(m),
		     total < (long)(m->pageblock_nr_pages * (MIGRATE_TYPES - !m->cfg.cma_size))
			     ? "off"
			     : "on",
		     total);
	memhp_printk(m, KERN_INFO, "Policy zone: %s", zone_names[m->policy_zone]);
}

void build_all_zonelists(struct memhp_machine *m, bool boot)
{
	__build_all_zonelists(m, MEMHP_NUMA_NO_NODE, boot);
}

int node_zonelist_mask(struct memhp_machine *m, int nid, int highest_zoneidx, unsigned int nodemask,
		       struct zone **out)
{
	struct pglist_data *pgdat;
	int nr = 0, nr_order;

	if (nid == MEMHP_NUMA_NO_NODE)
		nid = numa_node_id(m);
	pgdat = NODE_DATA_M(m, nid);
	nr_order = READ_ONCE(pgdat->nr_node_order);
	for (int i = 0; i < nr_order; i++) {
		int n = READ_ONCE(pgdat->node_order[i]);

		if (nodemask && !(nodemask & (1u << n)))
			continue;
		for (int z = highest_zoneidx; z >= 0; z--) {
			struct zone *zone = &NODE_DATA_M(m, n)->node_zones[z];

			if (populated_zone(zone))
				out[nr++] = zone;
		}
	}
	return nr;
}

int memhp_node_info(struct memhp_machine *m, int nid, struct memhp_node_info *ni)
{
	struct pglist_data *pgdat;

	if (nid < 0 || nid >= m->nr_node_ids)
		return -EINVAL;
	pgdat = NODE_DATA_M(m, nid);
	memset(ni, 0, sizeof(*ni));
	ni->online = READ_ONCE(pgdat->n_online);
	ni->has_memory = READ_ONCE(pgdat->n_memory);
	ni->has_normal_memory = READ_ONCE(pgdat->n_normal_memory);
	ni->node_start_pfn = READ_ONCE(pgdat->node_start_pfn);
	ni->node_spanned_pages = READ_ONCE(pgdat->node_spanned_pages);
	ni->node_present_pages = READ_ONCE(pgdat->node_present_pages);
	for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++)
		if (m->cpu_to_node[cpu] == nid) {
			ni->cpus[cpu / 64] |= 1ULL << (cpu % 64);
			ni->nr_cpus++;
		}
	ni->has_cpu = ni->nr_cpus > 0;
	ni->nr_node_order = READ_ONCE(pgdat->nr_node_order);
	for (int i = 0; i < ni->nr_node_order; i++)
		ni->node_order[i] = READ_ONCE(pgdat->node_order[i]);
	return 0;
}

/* ---- Reading ------------------------------------------------------------------- */

int memhp_zone_info(struct memhp_machine *m, int nid, enum memhp_zone_type zid,
		    struct memhp_zone_info *zi)
{
	struct zone *zone;

	if (nid < 0 || nid >= m->nr_node_ids || (unsigned)zid >= MAX_NR_ZONES)
		return -EINVAL;
	zone = &NODE_DATA_M(m, nid)->node_zones[zid];
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
	long shmem;

	memset(mi, 0, sizeof(*mi));
	mi->total_pages = (unsigned long)READ_ONCE(m->totalram_pages);
	for_each_zone(m, zone)
	{
		mi->free_pages += (unsigned long)READ_ONCE(zone->vm_nr_free_pages);
		for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++)
			mi->pcp_pages += (unsigned long)READ_ONCE(zone->per_cpu_pageset[cpu].count);
		mi->present_pages += READ_ONCE(zone->present_pages);
		mi->spanned_pages += READ_ONCE(zone->spanned_pages);
	}
	mi->reserved_pages = mi->present_pages - mi->total_pages;
	mi->hwpoison_pages = memhp_num_poisoned_pages(m);
	/* The sum over the nodes, 0 below 0 as global_node_page_state(). */
	shmem = memhp_vmstat(m, MEMHP_NR_SHMEM);
	mi->shmem_pages = shmem > 0 ? (unsigned long)shmem : 0;

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
