// SPDX-License-Identifier: MIT
/*
 * vmstat.c - the counters of /proc/vmstat that the machine keeps
 * (mm/vmstat.c). 6.1 keeps them per cpu and folds them on read; one
 * relaxed atomic per machine (events) or per node (node counters, in the
 * pglist_data as 6.1's vm_stat[]) is enough here.
 */
#include "internal.h"

_Static_assert(MEMHP_PGALLOC_MOVABLE - MEMHP_PGALLOC_DMA == ZONE_MOVABLE - ZONE_DMA,
	       "pgalloc_* follow the zones");

static const char *const vmstat_names[MEMHP_NR_VMSTAT_ITEMS] = {
	[MEMHP_NR_FREE_PAGES] = "nr_free_pages",
	[MEMHP_NR_SLAB_RECLAIMABLE] = "nr_slab_reclaimable",
	[MEMHP_NR_SLAB_UNRECLAIMABLE] = "nr_slab_unreclaimable",
	[MEMHP_NR_ANON_PAGES] = "nr_anon_pages",
	[MEMHP_NR_FILE_PAGES] = "nr_file_pages",
	[MEMHP_NR_SHMEM] = "nr_shmem",
	[MEMHP_NR_KERNEL_STACK] = "nr_kernel_stack",
	[MEMHP_NR_PAGE_TABLE_PAGES] = "nr_page_table_pages",
	[MEMHP_PGALLOC_DMA] = "pgalloc_dma",
	[MEMHP_PGALLOC_DMA32] = "pgalloc_dma32",
	[MEMHP_PGALLOC_NORMAL] = "pgalloc_normal",
	[MEMHP_PGALLOC_MOVABLE] = "pgalloc_movable",
	[MEMHP_PGFREE] = "pgfree",
	[MEMHP_DROP_PAGECACHE] = "drop_pagecache",
	[MEMHP_DROP_SLAB] = "drop_slab",
	[MEMHP_PGMIGRATE_SUCCESS] = "pgmigrate_success",
	[MEMHP_PGMIGRATE_FAIL] = "pgmigrate_fail",
	[MEMHP_BALLOON_INFLATE] = "balloon_inflate",
	[MEMHP_BALLOON_DEFLATE] = "balloon_deflate",
	[MEMHP_BALLOON_MIGRATE] = "balloon_migrate",
};

const char *memhp_vmstat_name(enum memhp_vmstat_item item)
{
	return (unsigned)item < MEMHP_NR_VMSTAT_ITEMS ? vmstat_names[item] : NULL;
}

/*
 * global_node_page_state(): 6.1 keeps a machine-wide copy of every node
 * counter beside the nodes'; the sum over the nodes is the same number
 * and costs the writers nothing.
 */
static long node_stat_sum(struct memhp_machine *m, enum memhp_vmstat_item item)
{
	long sum = 0;

	for (int nid = 0; nid < m->nr_node_ids; nid++)
		sum += READ_ONCE(m->node_data[nid].vm_stat[item - MEMHP_NR_SLAB_RECLAIMABLE]);
	return sum;
}

long memhp_vmstat(struct memhp_machine *m, enum memhp_vmstat_item item)
{
	long sum = 0;

	if ((unsigned)item >= MEMHP_NR_VMSTAT_ITEMS)
		return 0;
	if (is_node_stat_item(item))
		return node_stat_sum(m, item);
	if (item != MEMHP_NR_FREE_PAGES)
		return READ_ONCE(m->vmstat[item]);
	for_each_zone(m, zone) sum += READ_ONCE(zone->vm_nr_free_pages);
	return sum;
}

/* A node counter changed without a page to say on which node goes to
 * node 0, the one node every machine has; memhp_mod_node_page_state()
 * names the node. */
void memhp_mod_vmstat(struct memhp_machine *m, enum memhp_vmstat_item item, long delta)
{
	if ((unsigned)item >= MEMHP_NR_VMSTAT_ITEMS || item == MEMHP_NR_FREE_PAGES)
		return;
	if (is_node_stat_item(item))
		mod_node_page_state(m, 0, item, delta);
	else
		mod_vmstat(m, item, delta);
}

static bool node_item(struct memhp_machine *m, int nid, enum memhp_vmstat_item item)
{
	return nid >= 0 && nid < m->nr_node_ids && is_node_stat_item(item);
}

void memhp_mod_node_page_state(struct memhp_machine *m, int nid, enum memhp_vmstat_item item,
			       long delta)
{
	if (node_item(m, nid, item))
		mod_node_page_state(m, nid, item, delta);
}

unsigned long memhp_node_page_state(struct memhp_machine *m, int nid, enum memhp_vmstat_item item)
{
	long v;

	if (!node_item(m, nid, item))
		return 0;
	v = READ_ONCE(m->node_data[nid].vm_stat[item - MEMHP_NR_SLAB_RECLAIMABLE]);
	return v > 0 ? (unsigned long)v : 0;
}
