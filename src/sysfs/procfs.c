// SPDX-License-Identifier: MIT
/*
 * procfs.c - /proc/meminfo, /proc/zoneinfo, /proc/buddyinfo,
 * /proc/pagetypeinfo (fs/proc/meminfo.c, mm/vmstat.c) and the node files
 * that print the same counters (drivers/base/node.c).
 *
 * The layout is that of Debian's 6.1 amd64 kernel (CONFIG_ZSWAP,
 * CONFIG_MEMORY_FAILURE, CONFIG_TRANSPARENT_HUGEPAGE, CONFIG_HUGETLB_PAGE,
 * CONFIG_NUMA, CONFIG_ZONE_DEVICE, CONFIG_ZSMALLOC=m, no CMA, no HIGHMEM)
 * in a QEMU guest with one CPU and no 1 GiB pages. A counter memhp has no
 * source for (page cache, LRU lists, slab, swap, per-cpu lists, events,
 * watermarks) prints 0; docs/sysfs.md lists them all.
 */
#include "internal.h"

#include <limits.h>
#include <stdio.h>

/* ZONE_DEVICE exists in the kernel (CONFIG_ZONE_DEVICE) but never has
 * pages in a memhp machine: it is printed, empty. */
#define NR_KERNEL_ZONES (MEMHP_NR_ZONES + 1)
#define ZONE_DEVICE_NAME "Device"
/* VMALLOC_END - VMALLOC_START with 4-level paging, in kB (a 5-level kernel
 * on a CPU without LA57, such as QEMU's default). */
#define VMALLOC_TOTAL_KB 34359738367ULL
#define HPAGE_2M_KB 2048UL
/* The direct map: the ISA range is mapped with 4 KiB pages, the rest in
 * 2 MiB pages where alignment allows (init_mem_mapping()). */
#define ISA_END (1 * MEMHP_MiB)
#define PMD_SIZE (2 * MEMHP_MiB)
/* pagetypeinfo stops counting a free list here and prints ">". */
#define PAGETYPEINFO_FREECOUNT_CAP 100000UL

#define K(pages) ((unsigned long long)(pages) << (MEMHP_PAGE_SHIFT - 10))

static const char *const zone_stat_names[] = {
	"nr_free_pages",
	"nr_zone_inactive_anon",
	"nr_zone_active_anon",
	"nr_zone_inactive_file",
	"nr_zone_active_file",
	"nr_zone_unevictable",
	"nr_zone_write_pending",
	"nr_mlock",
	"nr_bounce",
	"nr_zspages",
	"nr_free_cma",
};

static const char *const numa_stat_names[] = {
	"numa_hit", "numa_miss", "numa_foreign", "numa_interleave", "numa_local", "numa_other",
};

static const char *const node_stat_names[] = {
	"nr_inactive_anon",
	"nr_active_anon",
	"nr_inactive_file",
	"nr_active_file",
	"nr_unevictable",
	"nr_slab_reclaimable",
	"nr_slab_unreclaimable",
	"nr_isolated_anon",
	"nr_isolated_file",
	"workingset_nodes",
	"workingset_refault_anon",
	"workingset_refault_file",
	"workingset_activate_anon",
	"workingset_activate_file",
	"workingset_restore_anon",
	"workingset_restore_file",
	"workingset_nodereclaim",
	"nr_anon_pages",
	"nr_mapped",
	"nr_file_pages",
	"nr_dirty",
	"nr_writeback",
	"nr_writeback_temp",
	"nr_shmem",
	"nr_shmem_hugepages",
	"nr_shmem_pmdmapped",
	"nr_file_hugepages",
	"nr_file_pmdmapped",
	"nr_anon_transparent_hugepages",
	"nr_vmscan_write",
	"nr_vmscan_immediate_reclaim",
	"nr_dirtied",
	"nr_written",
	"nr_throttled_written",
	"nr_kernel_misc_reclaimable",
	"nr_foll_pin_acquired",
	"nr_foll_pin_released",
	"nr_kernel_stack",
	"nr_page_table_pages",
	"nr_sec_page_table_pages",
	"nr_swapcached",
	"pgpromote_success",
	"pgpromote_candidate",
};

static const char *const migratetype_names[MEMHP_MIGRATE_TYPES] = {
	"Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA", "Isolate",
};

/* CMA is a migratetype only in kernels built with CONFIG_CMA: a machine
 * with a CMA area stands for one, any other for Debian's, which has none. */
static bool skip_mt(struct memhp_fs *fs, int mt)
{
	return mt == MEMHP_MIGRATE_CMA && !memhp_machine_config(fs->m)->cma_size;
}

/* The node counters memhp keeps, by their place in node_stat_names:
 * the vmstat item of the same name, or 0. */
static unsigned long node_stat(struct memhp_fs *fs, int nid, size_t i)
{
	for (int item = 0; item < MEMHP_NR_VMSTAT_ITEMS; item++)
		if (!strcmp(node_stat_names[i], memhp_vmstat_name((enum memhp_vmstat_item)item)))
			return memhp_node_page_state(fs->m, nid, (enum memhp_vmstat_item)item);
	return 0;
}

/* Online nodes (for_each_online_pgdat()), which zoneinfo, buddyinfo and
 * pagetypeinfo walk. */
static bool node_is_online(struct memhp_fs *fs, int nid)
{
	struct memhp_node_info ni;

	return !memhp_node_info(fs->m, nid, &ni) && ni.online;
}

/* One snapshot of the zones, so a file adds up within itself. */
struct zones {
	struct memhp_zone_info z[NR_KERNEL_ZONES];
	unsigned long lowmem_reserve[NR_KERNEL_ZONES][NR_KERNEL_ZONES];
	unsigned long wmark[NR_KERNEL_ZONES][MEMHP_NR_WMARK];
	unsigned long managed, free, totalreserve, wmark_low;
	/* Node counters (pages; kernel_stack_kb in KiB). */
	unsigned long anon, slab_reclaimable, slab_unreclaimable, kernel_stack_kb, page_tables;
};

static const char *zone_name(int z)
{
	return z < MEMHP_NR_ZONES ? memhp_zone_name((enum memhp_zone_type)z) : ZONE_DEVICE_NAME;
}

/* A counter that cannot be negative, though a racy sum of relaxed
 * updates may pass below 0 for a moment. */
static unsigned long vm_pages(struct memhp_fs *fs, enum memhp_vmstat_item item)
{
	long v = memhp_vmstat(fs->m, item);

	return v > 0 ? (unsigned long)v : 0;
}

/* A node counter of node @nid, or with MEMHP_NUMA_NO_NODE the sum over
 * the nodes (global_node_page_state()), as /proc/meminfo shows it. */
static unsigned long node_pages(struct memhp_fs *fs, int nid, enum memhp_vmstat_item item)
{
	return nid < 0 ? vm_pages(fs, item) : memhp_node_page_state(fs->m, nid, item);
}

/* A vm sysctl's value, 0 if memhp has no such one. */
static long sysctl_value(struct memhp_fs *fs, const char *name)
{
	int i = memhp_sysctl_vm_lookup(name);

	return i < 0 ? 0 : memhp_sysctl_vm_value(fs->m, (unsigned int)i, 0);
}

/* The zones of node @nid; the sums (managed, free, the low watermarks,
 * the reserve) are the node's, or with MEMHP_NUMA_NO_NODE the machine's
 * (and z[] node 0's). */
static void zones_read(struct memhp_fs *fs, int nid, struct zones *zs)
{
	const int first = nid < 0 ? 0 : nid;
	const int last = nid < 0 ? memhp_nr_node_ids(fs->m) - 1 : nid;

	memset(zs, 0, sizeof(*zs));
	for (int n = last; n >= first; n--)
		for (int z = 0; z < MEMHP_NR_ZONES; z++) {
			memhp_zone_info(fs->m, n, (enum memhp_zone_type)z, &zs->z[z]);
			zs->managed += zs->z[z].managed_pages;
			zs->free += zs->z[z].nr_free_pages;
			zs->wmark_low += memhp_zone_watermark(fs->m, n, (enum memhp_zone_type)z,
							      MEMHP_WMARK_LOW);
		}
	zs->z[MEMHP_NR_ZONES].name = ZONE_DEVICE_NAME;
	zs->anon = node_pages(fs, nid, MEMHP_NR_ANON_PAGES);
	zs->slab_reclaimable = node_pages(fs, nid, MEMHP_NR_SLAB_RECLAIMABLE);
	zs->slab_unreclaimable = node_pages(fs, nid, MEMHP_NR_SLAB_UNRECLAIMABLE);
	zs->kernel_stack_kb = node_pages(fs, nid, MEMHP_NR_KERNEL_STACK);
	zs->page_tables = node_pages(fs, nid, MEMHP_NR_PAGE_TABLE_PAGES);
	for (int i = 0; i < MEMHP_NR_ZONES; i++) {
		for (int j = 0; j < NR_KERNEL_ZONES; j++)
			zs->lowmem_reserve[i][j] = memhp_zone_lowmem_reserve(
				fs->m, first, (enum memhp_zone_type)i, (unsigned int)j);
		for (int w = 0; w < MEMHP_NR_WMARK; w++)
			zs->wmark[i][w] = memhp_zone_watermark(
				fs->m, first, (enum memhp_zone_type)i, (enum memhp_wmark)w);
	}
	zs->totalreserve = memhp_totalreserve_pages(fs->m);
}

static bool populated(const struct zones *zs, int z)
{
	return zs->z[z].present_pages != 0;
}

/* MemAvailable: si_mem_available() with no page cache: what is free
 * beyond the reserves, and the reclaimable slab less the part that must
 * stay (half of it, at most the low watermarks). */
static unsigned long mem_available(const struct zones *zs)
{
	long avail = (long)zs->free - (long)zs->totalreserve;

	avail += (long)(zs->slab_reclaimable - MIN(zs->slab_reclaimable / 2, zs->wmark_low));
	return avail > 0 ? (unsigned long)avail : 0;
}

/* The direct map's 4 KiB and 2 MiB pages for [start, end). */
static void direct_map_range(uint64_t start, uint64_t end, uint64_t *k4, uint64_t *m2)
{
	uint64_t head, tail;

	if (start < ISA_END) {
		start = ISA_END; /* counted with the ISA range */
		if (end <= start)
			return;
	}
	head = MIN(end, (start + PMD_SIZE - 1) & ~(PMD_SIZE - 1));
	tail = MAX(head, end & ~(PMD_SIZE - 1));
	*k4 += (head - start) + (end - tail);
	*m2 += tail - head;
}

static void direct_map(struct memhp_fs *fs, uint64_t *k4, uint64_t *m2)
{
	const struct memhp_config *cfg = memhp_machine_config(fs->m);
	uint64_t bs = memhp_block_size(fs->m);
	struct memhp_block_info info;

	*k4 = ISA_END;
	*m2 = 0;
	for (long id = memhp_next_block(fs->m, 0); id >= 0;
	     id = memhp_next_block(fs->m, (unsigned long)id + 1)) {
		if (memhp_block_info(fs->m, (unsigned long)id, &info))
			continue;
		if (!info.boot) {
			direct_map_range(info.start, info.start + bs, k4, m2);
			continue;
		}
		for (unsigned int i = 0; i < cfg->nr_boot; i++) {
			uint64_t s = MAX(cfg->boot[i].start, info.start);
			uint64_t e = MIN(cfg->boot[i].start + cfg->boot[i].size, info.start + bs);

			if (e > s)
				direct_map_range(s, e, k4, m2);
		}
	}
}

static void kb(struct fs_buf *b, const char *label, unsigned long long pages)
{
	buf_printf(b, "%s%8llu kB\n", label, K(pages));
}

FS_SHOW(show_meminfo)
{
	struct zones zs;
	uint64_t k4, m2;
	/* Two counters read one after the other: Cached, which includes
	 * Shmem, is never shown below it when a page comes or goes between. */
	unsigned long shmem = vm_pages(fs, MEMHP_NR_SHMEM);
	unsigned long file = vm_pages(fs, MEMHP_NR_FILE_PAGES);

	const long overcommit_ratio = sysctl_value(fs, "overcommit_ratio");
	const unsigned long overcommit_kbytes =
		(unsigned long)MAX(sysctl_value(fs, "overcommit_kbytes"), 0L);

	zones_read(fs, MEMHP_NUMA_NO_NODE, &zs);
	kb(b, "MemTotal:       ", zs.managed);
	kb(b, "MemFree:        ", zs.free);
	/* si_mem_available() counts the file LRU; shmem is swap-backed and
	 * sits on the anon LRU, so it adds nothing. */
	kb(b, "MemAvailable:   ", mem_available(&zs));
	kb(b, "Buffers:        ", 0);
	/* NR_FILE_PAGES less the swap cache and buffers, which memhp has not. */
	kb(b, "Cached:         ", MAX(file, shmem));
	kb(b, "SwapCached:     ", 0);
	kb(b, "Active:         ", 0);
	kb(b, "Inactive:       ", zs.anon);
	kb(b, "Active(anon):   ", 0);
	kb(b, "Inactive(anon): ", zs.anon);
	kb(b, "Active(file):   ", 0);
	kb(b, "Inactive(file): ", 0);
	kb(b, "Unevictable:    ", 0);
	kb(b, "Mlocked:        ", 0);
	kb(b, "SwapTotal:      ", 0);
	kb(b, "SwapFree:       ", 0);
	buf_printf(b, "Zswap:          %8lu kB\n", 0UL);
	buf_printf(b, "Zswapped:       %8lu kB\n", 0UL);
	kb(b, "Dirty:          ", 0);
	kb(b, "Writeback:      ", 0);
	kb(b, "AnonPages:      ", zs.anon);
	kb(b, "Mapped:         ", 0);
	kb(b, "Shmem:          ", shmem);
	kb(b, "KReclaimable:   ", zs.slab_reclaimable);
	kb(b, "Slab:           ", zs.slab_reclaimable + zs.slab_unreclaimable);
	kb(b, "SReclaimable:   ", zs.slab_reclaimable);
	kb(b, "SUnreclaim:     ", zs.slab_unreclaimable);
	buf_printf(b, "KernelStack:    %8lu kB\n", zs.kernel_stack_kb);
	kb(b, "PageTables:     ", zs.page_tables);
	kb(b, "SecPageTables:  ", 0);
	kb(b, "NFS_Unstable:   ", 0);
	kb(b, "Bounce:         ", 0);
	kb(b, "WritebackTmp:   ", 0);
	/* vm_commit_limit(): overcommit_ratio percent of RAM, no swap. */
	/* vm_commit_limit(): overcommit_kbytes if set, else the ratio. */
	if (overcommit_kbytes)
		kb(b, "CommitLimit:    ", overcommit_kbytes >> (MEMHP_PAGE_SHIFT - 10));
	else
		kb(b, "CommitLimit:    ", zs.managed * (unsigned long)overcommit_ratio / 100);
	kb(b, "Committed_AS:   ", 0);
	buf_printf(b, "VmallocTotal:   %8llu kB\n", VMALLOC_TOTAL_KB);
	kb(b, "VmallocUsed:    ", 0);
	kb(b, "VmallocChunk:   ", 0);
	kb(b, "Percpu:         ", 0);
	/* num_poisoned_pages, in kB with its own narrower field. */
	buf_printf(b, "HardwareCorrupted: %5llu kB\n", K(memhp_num_poisoned_pages(fs->m)));
	kb(b, "AnonHugePages:  ", 0);
	kb(b, "ShmemHugePages: ", 0);
	kb(b, "ShmemPmdMapped: ", 0);
	kb(b, "FileHugePages:  ", 0);
	kb(b, "FilePmdMapped:  ", 0);
	/* A kernel with CONFIG_CMA (a machine given cma=) shows its area. */
	if (memhp_machine_config(fs->m)->cma_size) {
		struct memhp_cma_info ci;

		memhp_cma_info(fs->m, &ci);
		kb(b, "CmaTotal:       ", ci.count);
		kb(b, "CmaFree:        ", ci.free_pages);
	}
	{
		/* hugetlb_report_meminfo(): the default (2 MiB) hstate's
		 * counts, and every hstate's pages in Hugetlb. */
		struct memhp_hugetlb_info hi = { 0 };
		unsigned long hugetlb_kb = 0;

		for (int h = memhp_hugetlb_nr_hstates(fs->m) - 1; h >= 0; h--) {
			memhp_hugetlb_info(fs->m, h, MEMHP_NUMA_NO_NODE, &hi);
			hugetlb_kb += hi.nr_hugepages * hi.page_size_kb;
		}
		buf_printf(b,
			   "HugePages_Total:   %5lu\n"
			   "HugePages_Free:    %5lu\n"
			   "HugePages_Rsvd:    %5lu\n"
			   "HugePages_Surp:    %5lu\n"
			   "Hugepagesize:   %8lu kB\n",
			   hi.nr_hugepages, hi.free_hugepages, hi.resv_hugepages,
			   hi.surplus_hugepages, HPAGE_2M_KB);
		buf_printf(b, "Hugetlb:        %8lu kB\n", hugetlb_kb);
	}
	direct_map(fs, &k4, &m2);
	buf_printf(b, "DirectMap4k:    %8llu kB\n", (unsigned long long)(k4 >> 10));
	buf_printf(b, "DirectMap2M:    %8llu kB\n", (unsigned long long)(m2 >> 10));
	return 0;
}

static void print_stats(struct fs_buf *b, const char *const *names, size_t n, unsigned long first)
{
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "\n      %-12s %lu", names[i], i ? 0UL : first);
}

static void zoneinfo_node(struct memhp_fs *fs, struct fs_buf *b, int nid)
{
	struct zones zs;
	int first = -1;

	zones_read(fs, nid, &zs);
	for (int z = 0; z < NR_KERNEL_ZONES; z++) {
		if (first < 0 && populated(&zs, z))
			first = z;
	}
	for (int z = 0; z < NR_KERNEL_ZONES; z++) {
		const struct memhp_zone_info *zi = &zs.z[z];

		buf_printf(b, "Node %d, zone %8s", nid, zone_name(z));
		if (z == first) {
			buf_puts(b, "\n  per-node stats");
			for (size_t i = 0; i < ARRAY_SIZE(node_stat_names); i++)
				buf_printf(b, "\n      %-12s %lu", node_stat_names[i],
					   node_stat(fs, nid, i));
		}
		buf_printf(b,
			   "\n  pages free     %lu"
			   "\n        boost    %lu"
			   "\n        min      %lu"
			   "\n        low      %lu"
			   "\n        high     %lu"
			   "\n        spanned  %lu"
			   "\n        present  %lu"
			   "\n        managed  %lu"
			   "\n        cma      %lu",
			   zi->nr_free_pages, 0UL, zs.wmark[z][MEMHP_WMARK_MIN],
			   zs.wmark[z][MEMHP_WMARK_LOW], zs.wmark[z][MEMHP_WMARK_HIGH],
			   zi->spanned_pages, zi->present_pages, zi->managed_pages, zi->cma_pages);
		buf_printf(b, "\n        protection: (%ld", (long)zs.lowmem_reserve[z][0]);
		for (int j = 1; j < NR_KERNEL_ZONES; j++)
			buf_printf(b, ", %ld", (long)zs.lowmem_reserve[z][j]);
		buf_puts(b, ")");
		if (!populated(&zs, z)) {
			buf_puts(b, "\n");
			continue;
		}
		print_stats(b, zone_stat_names, ARRAY_SIZE(zone_stat_names), zi->nr_free_pages);
		print_stats(b, numa_stat_names, ARRAY_SIZE(numa_stat_names), 0);
		buf_puts(b, "\n  pagesets");
		/* Every CPU's lists, each followed by its stat threshold, as
		 * zoneinfo_show_print() does (no per-cpu vmstat here: 0). */
		for (unsigned int cpu = 0; cpu < memhp_machine_config(fs->m)->nr_cpus; cpu++) {
			struct memhp_pcp_info pi = { 0, 0, 0 };

			memhp_zone_pcp(fs->m, nid, (enum memhp_zone_type)z, (int)cpu, &pi);
			buf_printf(b,
				   "\n    cpu: %u"
				   "\n              count: %i"
				   "\n              high:  %i"
				   "\n              batch: %i",
				   cpu, pi.count, pi.high, pi.batch);
			buf_printf(b, "\n  vm stats threshold: %d", 0);
		}
		buf_printf(b,
			   "\n  node_unreclaimable:  %u"
			   "\n  start_pfn:           %lu",
			   0U, zi->zone_start_pfn);
		buf_puts(b, "\n");
	}
}

/* zoneinfo_show(): every zone of each online node. */
FS_SHOW(show_zoneinfo)
{
	for (int nid = 0; nid < memhp_nr_node_ids(fs->m); nid++)
		if (node_is_online(fs, nid))
			zoneinfo_node(fs, b, nid);
	return 0;
}

FS_SHOW(show_buddyinfo)
{
	unsigned int max_order = memhp_max_order(fs->m);
	struct zones zs;

	for (int nid = 0; nid < memhp_nr_node_ids(fs->m); nid++) {
		if (!node_is_online(fs, nid))
			continue;
		zones_read(fs, nid, &zs);
		for (int z = 0; z < MEMHP_NR_ZONES; z++) {
			if (!populated(&zs, z))
				continue;
			buf_printf(b, "Node %d, zone %8s ", nid, zone_name(z));
			for (unsigned int o = 0; o <= max_order; o++)
				buf_printf(b, "%6lu ",
					   memhp_zone_nr_free_chunks(
						   fs->m, nid, (enum memhp_zone_type)z, o, -1));
			buf_puts(b, "\n");
		}
	}
	return 0;
}

static unsigned int ilog2_ul(unsigned long v)
{
	return (unsigned int)(8 * sizeof(v) - 1 - (unsigned)__builtin_clzl(v));
}

static void pagetypeinfo_node(struct memhp_fs *fs, struct fs_buf *b, int nid)
{
	unsigned long pb = memhp_pageblock_nr_pages(fs->m);
	unsigned int max_order = memhp_max_order(fs->m);
	struct zones zs;

	zones_read(fs, nid, &zs);
	/* A node without memory prints nothing at all. */
	if (!zs.z[0].present_pages && !zs.z[1].present_pages && !zs.z[2].present_pages &&
	    !zs.z[3].present_pages)
		return;
	buf_printf(b, "Page block order: %u\n", ilog2_ul(pb));
	buf_printf(b, "Pages per block:  %lu\n", pb);
	buf_puts(b, "\n");
	buf_printf(b, "%-43s ", "Free pages count per migrate type at order");
	for (unsigned int o = 0; o <= max_order; o++)
		buf_printf(b, "%6u ", o);
	buf_puts(b, "\n");
	for (int z = 0; z < MEMHP_NR_ZONES; z++) {
		if (!populated(&zs, z))
			continue;
		for (int mt = 0; mt < MEMHP_MIGRATE_TYPES; mt++) {
			if (skip_mt(fs, mt))
				continue;
			buf_printf(b, "Node %4d, zone %8s, type %12s ", nid, zone_name(z),
				   migratetype_names[mt]);
			for (unsigned int o = 0; o <= max_order; o++) {
				unsigned long n = memhp_zone_nr_free_chunks(
					fs->m, nid, (enum memhp_zone_type)z, o, mt);
				bool over = n >= PAGETYPEINFO_FREECOUNT_CAP;

				buf_printf(b, "%s%6lu ", over ? ">" : "",
					   over ? PAGETYPEINFO_FREECOUNT_CAP : n);
			}
			buf_puts(b, "\n");
		}
	}
	buf_printf(b, "\n%-23s", "Number of blocks type ");
	for (int mt = 0; mt < MEMHP_MIGRATE_TYPES; mt++)
		if (!skip_mt(fs, mt))
			buf_printf(b, "%12s ", migratetype_names[mt]);
	buf_puts(b, "\n");
	for (int z = 0; z < MEMHP_NR_ZONES; z++) {
		const struct memhp_zone_info *zi = &zs.z[z];
		unsigned long count[MEMHP_MIGRATE_TYPES] = { 0 };

		if (!populated(&zs, z))
			continue;
		for (unsigned long pfn = zi->zone_start_pfn;
		     pfn < zi->zone_start_pfn + zi->spanned_pages; pfn += pb) {
			struct memhp_page *page = memhp_pfn_to_online_page(fs->m, pfn);
			int mt;

			if (!page || memhp_page_zonenum(page) != (enum memhp_zone_type)z)
				continue;
			mt = memhp_pfn_migratetype(fs->m, pfn);
			if (mt >= 0 && mt < MEMHP_MIGRATE_TYPES)
				count[mt]++;
		}
		buf_printf(b, "Node %d, zone %8s ", nid, zone_name(z));
		for (int mt = 0; mt < MEMHP_MIGRATE_TYPES; mt++)
			if (!skip_mt(fs, mt))
				buf_printf(b, "%12lu ", count[mt]);
		buf_puts(b, "\n");
	}
}

/* pagetypeinfo_show(): the whole report again for each node with memory. */
FS_SHOW(show_pagetypeinfo)
{
	for (int nid = 0; nid < memhp_nr_node_ids(fs->m); nid++)
		pagetypeinfo_node(fs, b, nid);
	return 0;
}

/* ---- /sys/devices/system/node/nodeN --------------------------------------------------- */

FS_SHOW(show_node_meminfo)
{
	int nid = r->nid;
	struct zones zs;
	unsigned long shmem = memhp_node_page_state(fs->m, nid, MEMHP_NR_SHMEM);
	unsigned long file = MAX(memhp_node_page_state(fs->m, nid, MEMHP_NR_FILE_PAGES), shmem);

	zones_read(fs, nid, &zs);
	buf_printf(b,
		   "Node %d MemTotal:       %8llu kB\n"
		   "Node %d MemFree:        %8llu kB\n"
		   "Node %d MemUsed:        %8llu kB\n",
		   nid, K(zs.managed), nid, K(zs.free), nid, K(zs.managed - zs.free));
	const struct {
		const char *label;
		unsigned long long kb;
	} lines[] = {
		{ "SwapCached:     ", 0 },
		{ "Active:         ", 0 },
		{ "Inactive:       ", K(zs.anon) },
		{ "Active(anon):   ", 0 },
		{ "Inactive(anon): ", K(zs.anon) },
		{ "Active(file):   ", 0 },
		{ "Inactive(file): ", 0 },
		{ "Unevictable:    ", 0 },
		{ "Mlocked:        ", 0 },
		{ "Dirty:          ", 0 },
		{ "Writeback:      ", 0 },
		{ "FilePages:      ", K(file) },
		{ "Mapped:         ", 0 },
		{ "AnonPages:      ", K(zs.anon) },
		{ "Shmem:          ", K(shmem) },
		{ "KernelStack:    ", zs.kernel_stack_kb },
		{ "PageTables:     ", K(zs.page_tables) },
		{ "SecPageTables:  ", 0 },
		{ "NFS_Unstable:   ", 0 },
		{ "Bounce:         ", 0 },
		{ "WritebackTmp:   ", 0 },
		{ "KReclaimable:   ", K(zs.slab_reclaimable) },
		{ "Slab:           ", K(zs.slab_reclaimable + zs.slab_unreclaimable) },
		{ "SReclaimable:   ", K(zs.slab_reclaimable) },
		{ "SUnreclaim:     ", K(zs.slab_unreclaimable) },
		{ "AnonHugePages:  ", 0 },
		{ "ShmemHugePages: ", 0 },
		{ "ShmemPmdMapped: ", 0 },
		/* sic: 6.1 lost a space in these two */
		{ "FileHugePages: ", 0 },
		{ "FilePmdMapped: ", 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
		buf_printf(b, "Node %d %s%8llu kB\n", nid, lines[i].label, lines[i].kb);
	{
		struct memhp_hugetlb_info hi = { 0 };

		memhp_hugetlb_info(fs->m, 0, nid, &hi);
		buf_printf(b,
			   "Node %d HugePages_Total: %5lu\n"
			   "Node %d HugePages_Free:  %5lu\n"
			   "Node %d HugePages_Surp:  %5lu\n",
			   nid, hi.nr_hugepages, nid, hi.free_hugepages, nid, hi.surplus_hugepages);
	}
	return 0;
}

FS_SHOW(show_node_numastat)
{
	buf_printf(b,
		   "numa_hit %lu\n"
		   "numa_miss %lu\n"
		   "numa_foreign %lu\n"
		   "interleave_hit %lu\n"
		   "local_node %lu\n"
		   "other_node %lu\n",
		   0UL, 0UL, 0UL, 0UL, 0UL, 0UL);
	return 0;
}

FS_SHOW(show_node_vmstat)
{
	struct zones zs;

	zones_read(fs, r->nid, &zs);
	for (size_t i = 0; i < ARRAY_SIZE(zone_stat_names); i++)
		buf_printf(b, "%s %lu\n", zone_stat_names[i], i ? 0UL : zs.free);
	for (size_t i = 0; i < ARRAY_SIZE(numa_stat_names); i++)
		buf_printf(b, "%s %lu\n", numa_stat_names[i], 0UL);
	for (size_t i = 0; i < ARRAY_SIZE(node_stat_names); i++)
		buf_printf(b, "%s %lu\n", node_stat_names[i], node_stat(fs, r->nid, i));
	return 0;
}

/* ---- /proc/iomem (kernel/resource.c) ------------------------------------------------- */

/* r_show(): iomem_resource ends far above 0x10000, so every address has at
 * least 8 digits. */
#define IOMEM_ADDR_WIDTH 8

struct iomem_show {
	struct fs_buf *b;
	bool admin;
};

static void iomem_line(const struct memhp_resource *r, void *priv)
{
	struct iomem_show *is = priv;
	/* Without CAP_SYS_ADMIN every range reads 0, as since 4.17. */
	unsigned long long start = is->admin ? r->start : 0, end = is->admin ? r->end : 0;

	buf_printf(is->b, "%*s%0*llx-%0*llx : %s\n", (int)r->depth * 2, "", IOMEM_ADDR_WIDTH, start,
		   IOMEM_ADDR_WIDTH, end, r->name);
}

FS_SHOW(show_iomem)
{
	struct iomem_show is = { .b = b, .admin = b->admin };

	memhp_walk_iomem(fs->m, iomem_line, &is);
	return 0;
}

/* ---- /proc/vmstat (mm/vmstat.c) --------------------------------------------------------- */

/* vmstat_show(): "name value" in vmstat_text order; only the counters the
 * machine keeps are listed (docs/sysfs.md). */
FS_SHOW(show_vmstat)
{
	for (int i = 0; i < MEMHP_NR_VMSTAT_ITEMS; i++) {
		long v = memhp_vmstat(fs->m, (enum memhp_vmstat_item)i);

		buf_printf(b, "%s %lu\n", memhp_vmstat_name((enum memhp_vmstat_item)i),
			   v > 0 ? (unsigned long)v : 0UL);
	}
	return 0;
}

/* ---- /proc/slabinfo (mm/slab_common.c, SLUB) ------------------------------------------------ */

/* SLUB has no per-cpu array caches: its tunables and shared counts are 0. */
#define SLUB_TUNABLE 0U

FS_SHOW(show_slabinfo)
{
	struct memhp_slabinfo si;
	unsigned int n = 0;

	buf_puts(b, "slabinfo - version: 2.1\n");
	buf_puts(b, "# name            <active_objs> <num_objs> <objsize> <objperslab> "
		    "<pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata "
		    "<active_slabs> <num_slabs> <sharedavail>\n");
	while (!memhp_slabinfo(fs->m, n, &si))
		n++;
	/* slab_caches has the newest cache first (create_cache()'s list_add). */
	while (n--) {
		if (memhp_slabinfo(fs->m, n, &si))
			continue;
		buf_printf(b, "%-17s %6lu %6lu %6u %4u %4d", si.name, si.active_objs, si.num_objs,
			   si.objsize, si.objperslab, (int)si.pagesperslab);
		buf_printf(b, " : tunables %4u %4u %4u", SLUB_TUNABLE, SLUB_TUNABLE, SLUB_TUNABLE);
		buf_printf(b, " : slabdata %6lu %6lu %6lu\n", si.active_slabs, si.num_slabs, 0UL);
	}
	return 0;
}

/* ---- /proc/cmdline (fs/proc/cmdline.c) --------------------------------------------------- */

/* How Debian 12's installer boots its 6.1 kernel from GRUB in a QEMU guest
 * with a virtio disk; the ABI is the last one the changelog of the
 * linux-source-6.1 package memhp's formats are checked against names. */
#define CMDLINE_BOOT "BOOT_IMAGE=/boot/vmlinuz-6.1.0-38-amd64 root=/dev/vda1 ro quiet"
#define DEFAULT_AUTO_MOVABLE_RATIO 301

/*
 * The command line that gives the machine its boot-time settings: the
 * memory_hotplug ones (memhp_default_state, movable_node,
 * memory_hotplug.*) and, as kmod passes "module.param" on to a module it
 * loads, virtio_mem's non-default parameters.
 */
FS_SHOW(show_cmdline)
{
	const struct memhp_config *cfg = memhp_machine_config(fs->m);
	struct memhp_vmem_drv_desc d;
	long vm = memhp_vmem_drv_next(fs->m, 0);

	buf_puts(b, CMDLINE_BOOT);
	if (!cfg->kaslr)
		buf_puts(b, " nokaslr");
	if (cfg->auto_online_blocks != MEMHP_MMOP_OFFLINE)
		buf_printf(b, " memhp_default_state=%s",
			   memhp_online_type_to_str(cfg->auto_online_blocks));
	if (cfg->movable_node)
		buf_puts(b, " movable_node");
	if (cfg->transparent_hugepage == MEMHP_THP_MADVISE)
		buf_puts(b, " transparent_hugepage=madvise");
	else if (cfg->transparent_hugepage == MEMHP_THP_NEVER)
		buf_puts(b, " transparent_hugepage=never");
	if (cfg->memmap_on_memory)
		buf_puts(b, " memory_hotplug.memmap_on_memory=1");
	if (cfg->online_policy == MEMHP_ONLINE_POLICY_AUTO_MOVABLE)
		buf_puts(b, " memory_hotplug.online_policy=auto-movable");
	if (cfg->auto_movable_ratio != DEFAULT_AUTO_MOVABLE_RATIO)
		buf_printf(b, " memory_hotplug.auto_movable_ratio=%u", cfg->auto_movable_ratio);
	if (!cfg->auto_movable_numa_aware)
		buf_puts(b, " memory_hotplug.auto_movable_numa_aware=0");
	if (vm >= 0 && !memhp_vmem_drv_describe(fs->m, (unsigned long)vm, &d)) {
		if (d.params.force_bbm)
			buf_puts(b, " virtio_mem.force_bbm=1");
		if (d.params.bbm_block_size)
			buf_printf(b, " virtio_mem.bbm_block_size=%llu",
				   (unsigned long long)d.params.bbm_block_size);
		if (!d.params.bbm_safe_unplug)
			buf_puts(b, " virtio_mem.bbm_safe_unplug=0");
	}
	buf_puts(b, "\n");
	return 0;
}

/* ---- /proc/kpageflags, /proc/kpagecount (fs/proc/page.c) ----------------------------------- */

#define KPMSIZE sizeof(uint64_t)
/* Flags filled per call to the core: a few pages of stack. */
#define KPAGE_BATCH 512

/* kpageflags_read(), kpagecount_read(): 8 bytes per pfn, read where the
 * reader reads: -EINVAL unless offset and size are multiples of 8; 0 past
 * the last pfn. */
static ssize_t kpage_read(struct memhp_fs *fs, void *buf, size_t size, uint64_t off,
			  size_t (*fill)(struct memhp_machine *, unsigned long, uint64_t *, size_t))
{
	uint64_t tmp[KPAGE_BATCH];
	unsigned long pfn = (unsigned long)(off / KPMSIZE);
	size_t done = 0;

	if (off % KPMSIZE || size % KPMSIZE)
		return -EINVAL;
	while (done < size) {
		size_t want = MIN((size - done) / KPMSIZE, (size_t)KPAGE_BATCH);
		size_t got = fill(fs->m, pfn, tmp, want);

		memcpy((char *)buf + done, tmp, got * KPMSIZE);
		done += got * KPMSIZE;
		pfn += got;
		if (got < want)
			break;
	}
	return (ssize_t)done;
}

ssize_t pread_kpageflags(struct memhp_fs *fs, const struct fs_ref *r, void *buf, size_t size,
			 uint64_t off)
{
	(void)r;
	return kpage_read(fs, buf, size, off, memhp_kpageflags);
}

ssize_t pread_kpagecount(struct memhp_fs *fs, const struct fs_ref *r, void *buf, size_t size,
			 uint64_t off)
{
	(void)r;
	return kpage_read(fs, buf, size, off, memhp_kpagecount);
}

/* ---- /proc/swaps (mm/swapfile.c), /proc/pressure/memory (kernel/sched/psi.c) --------- */

FS_SHOW(show_swaps)
{
	buf_puts(b, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	return 0;
}

/* memhp has no reclaim, so nothing ever stalls on memory: every average
 * and total is 0, as in an idle guest. */
FS_SHOW(show_pressure_memory)
{
	for (int full = 0; full < 2; full++)
		buf_printf(b, "%s avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
			   full ? "full" : "some");
	return 0;
}

/* A trigger ("some 150000 1000000") would want poll(2) on the file, which
 * the FUSE front end does not deliver: refused, as a kernel with PSI
 * disabled refuses it (docs/semantics.md). */
FS_STORE(store_pressure_memory)
{
	return -EOPNOTSUPP;
}

/* ---- /proc/sys/vm (memhp/sysctl.h) ------------------------------------------------- */

FS_SHOW(show_sysctl_vm)
{
	char text[MEMHP_SYSCTL_TEXT_MAX];
	ssize_t n = memhp_sysctl_vm_read(fs->m, (unsigned int)MIN(r->id, (unsigned long)UINT_MAX),
					 text, sizeof(text));

	if (n < 0)
		return (int)n;
	buf_puts(b, text);
	return 0;
}
