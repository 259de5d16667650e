// SPDX-License-Identifier: MIT
/*
 * test_numa.c - NUMA nodes: boot RAM by node, zonelists in 6.1's node
 * order with fallback to other nodes, node_states and the node files, the
 * hugetlb pool across nodes, memory groups and the zone choice rules that
 * depend on the node (auto_movable_numa_aware, movable_node), and the
 * node counters: each page counted on its node, moved with it, summed.
 *
 * The machine: 1 GiB of boot RAM below 4 GiB in two nodes of 512 MiB
 * (blocks 0-3 node 0, 4-7 node 1), CPU 0 on node 0 and CPU 1 on node 1,
 * and blocks hot-added at 4 GiB (memory32 onwards).
 */
#include "harness.h"

#include <memhp/fs.h>
#include <memhp/shmem.h>

#include <stdlib.h>
#include <sys/stat.h>

#define HOT (4 * MEMHP_GiB)
#define B0 32
#define NODES "/sys/devices/system/node"
#define BIG 65536
#define NELEMS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void config(struct memhp_config *cfg, unsigned int nr_nodes)
{
	tm_config(cfg);
	memhp_config_init(cfg, MEMHP_GiB);
	cfg->phys_size = 64 * MEMHP_GiB;
	cfg->kaslr = false;
	cfg->check_after_ops = true;
	cfg->nr_cpus = nr_nodes;
	cfg->nr_nodes = nr_nodes;
	for (unsigned int n = 0; n < nr_nodes; n++) {
		cfg->nodes[n].mem_size = MEMHP_GiB / nr_nodes;
		cfg->nodes[n].cpus[0] = 1ULL << n;
	}
}

static struct memhp_machine *two_nodes(void)
{
	struct memhp_config cfg;

	config(&cfg, 2);
	return tm_create(&cfg);
}

static void fs_cleanup(struct memhp_fs **fs)
{
	memhp_fs_destroy(*fs);
}
#define AUTO_FS __attribute__((cleanup(fs_cleanup))) struct memhp_fs

static struct memhp_fs *fs_of(struct memhp_machine *m)
{
	struct memhp_fs *fs = NULL;

	if (m && memhp_fs_create(m, &fs))
		return NULL;
	return fs;
}

static const char *rd(struct memhp_fs *fs, const char *path)
{
	static char buf[BIG];
	ssize_t n = memhp_fs_read(fs, path, buf, sizeof(buf) - 1);

	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static long long printk_find(struct memhp_machine *m, const char *text,
			     struct memhp_printk_record *out)
{
	struct memhp_printk_record *r = malloc(sizeof(*r));
	long long found = -1;

	for (uint64_t seq = memhp_printk_first_seq(m); r && !memhp_printk_read(m, seq, r);
	     seq = r->seq + 1)
		if (!strcmp(r->text, text)) {
			found = (long long)r->seq;
			*out = *r;
		}
	free(r);
	return found;
}

static bool exists(struct memhp_fs *fs, const char *path)
{
	struct memhp_fs_attr a;

	return !memhp_fs_resolve(fs, path, false, &a);
}

/* ---- Configuration --------------------------------------------------------------- */

static void config_refuses_nodes_whose_memory_is_not_the_boot_ram(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;

	config(&cfg, 2);
	cfg.nodes[1].mem_size = 256 * MEMHP_MiB;
	ASSERT_ERR(memhp_machine_create(&cfg, &m), -EINVAL);
	ASSERT_TRUE(strstr(memhp_config_error(), "total memory for NUMA nodes (0x30000000) should "
						 "equal RAM size (0x40000000)"));
}

static void config_refuses_a_node_boundary_inside_a_memory_block(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;

	config(&cfg, 2);
	cfg.nodes[0].mem_size = 448 * MEMHP_MiB;
	cfg.nodes[1].mem_size = 576 * MEMHP_MiB;
	ASSERT_ERR(memhp_machine_create(&cfg, &m), -EINVAL);
	ASSERT_TRUE(strstr(memhp_config_error(), "inside a memory block"));
}

static void config_refuses_a_cpu_on_two_nodes(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;

	config(&cfg, 2);
	cfg.nodes[1].cpus[0] |= 1;
	ASSERT_ERR(memhp_machine_create(&cfg, &m), -EINVAL);
}

/* ---- Boot ------------------------------------------------------------------------ */

static void boot_ram_goes_to_the_nodes_in_address_order(void)
{
	struct memhp_machine *m = two_nodes();
	struct memhp_zone_info zi;
	struct memhp_block_info bi;
	struct memhp_node_info n0, n1;

	ASSERT_TRUE(m);
	for (unsigned long id = 0; id < 8; id++) {
		ASSERT_OK(memhp_block_info(m, id, &bi));
		ASSERT_EQ(bi.nid, id < 4 ? 0 : 1);
	}
	ASSERT_OK(memhp_node_info(m, 0, &n0));
	ASSERT_OK(memhp_node_info(m, 1, &n1));
	ASSERT_EQ(n1.node_start_pfn, 512 * MEMHP_MiB / MEMHP_PAGE_SIZE);
	ASSERT_TRUE(n0.node_start_pfn + n0.node_spanned_pages <= n1.node_start_pfn);
	/* Node 1 is all DMA32; ZONE_DMA (below 16 MiB) is node 0's only. */
	ASSERT_OK(memhp_zone_info(m, 1, MEMHP_ZONE_DMA, &zi));
	ASSERT_EQ(zi.present_pages, 0);
	ASSERT_OK(memhp_zone_info(m, 1, MEMHP_ZONE_DMA32, &zi));
	/* ... less the 128 KiB q35's firmware keeps at the top of low RAM. */
	ASSERT_EQ(zi.present_pages, (512 * MEMHP_MiB - 128 * MEMHP_KiB) / MEMHP_PAGE_SIZE);
	ASSERT_OK(memhp_zone_info(m, 0, MEMHP_ZONE_DMA, &zi));
	ASSERT_GT(zi.present_pages, 0);
	ASSERT_EQ(memhp_cpu_to_node(m, 1), 1);
	ASSERT_EQ(memhp_cpu_to_node(m, 0), 0);
}

/* ---- Zonelists ------------------------------------------------------------------------ */

static void zonelist_orders_the_other_nodes_by_distance(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct memhp_node_info ni;

	config(&cfg, 4);
	/* From node 0: node 3 at 15, node 1 at 30, node 2 at 20. */
	cfg.nodes[0].distance[3] = 15;
	cfg.nodes[0].distance[1] = 30;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	ASSERT_OK(memhp_node_info(m, 0, &ni));
	ASSERT_EQ(ni.nr_node_order, 4);
	ASSERT_EQ(ni.node_order[0], 0);
	ASSERT_EQ(ni.node_order[1], 3);
	ASSERT_EQ(ni.node_order[2], 2);
	ASSERT_EQ(ni.node_order[3], 1);
	/* At equal distance a node above comes before one below
	 * (find_next_best_node()'s penalty): node 2 tries 3, then 0, 1. */
	ASSERT_OK(memhp_node_info(m, 2, &ni));
	ASSERT_EQ(ni.node_order[0], 2);
	ASSERT_EQ(ni.node_order[1], 3);
	ASSERT_EQ(memhp_node_distance(m, 0, 3), 15);
	ASSERT_EQ(memhp_node_distance(m, 3, 0), 20);
}

/*
 * slit_valid(): a table with a remote distance of 10 (QEMU takes
 * "-numa dist,src=0,dst=1,val=10") is set aside whole, and the nodes keep
 * the default distances; a sane table orders the zonelists.
 */
static void set_distances(struct memhp_config *cfg, unsigned int remote)
{
	for (int from = 0; from < 4; from++)
		for (int to = 0; to < 4; to++)
			cfg->nodes[from].distance[to] =
				from == to ? MEMHP_LOCAL_DISTANCE
				: (from == 2 && to == 0) || (from == 0 && to == 2) ? 15
										   : remote;
}

static void a_slit_linux_finds_invalid_is_not_used(void)
{
	static const char line[] = "ACPI: SLIT table looks invalid. Not used.";
	struct memhp_config cfg;
	struct memhp_machine *bad, *good;
	struct memhp_printk_record r;
	struct memhp_node_info ni;

	config(&cfg, 4);
	set_distances(&cfg, MEMHP_LOCAL_DISTANCE);
	bad = tm_create(&cfg);
	ASSERT_TRUE(bad);
	set_distances(&cfg, 30);
	good = tm_create(&cfg);
	ASSERT_TRUE(good);

	ASSERT_TRUE(printk_find(bad, line, &r) >= 0);
	ASSERT_EQ(memhp_node_distance(bad, 2, 0), MEMHP_REMOTE_DISTANCE);
	ASSERT_EQ(memhp_node_distance(bad, 0, 1), MEMHP_REMOTE_DISTANCE);
	/* Without a table node 2 tries node 3 first (above it, no penalty). */
	ASSERT_OK(memhp_node_info(bad, 2, &ni));
	ASSERT_EQ(ni.node_order[1], 3);

	ASSERT_TRUE(printk_find(good, line, &r) < 0);
	ASSERT_EQ(memhp_node_distance(good, 2, 0), 15);
	ASSERT_OK(memhp_node_info(good, 2, &ni));
	ASSERT_EQ(ni.node_order[1], 0);
}

/*
 * Allocate order-0 pages preferring @nid until one comes from another
 * node; returns how many came from @nid before that, the foreign node in
 * *@other. Everything is freed again.
 */
static unsigned long fill_node(struct memhp_machine *m, int nid, memhp_gfp_t gfp, int *other)
{
	size_t cap = 1 << 20, n = 0;
	struct memhp_page **pages = malloc(cap * sizeof(*pages));
	unsigned long local = 0;

	*other = -1;
	while (pages && n < cap) {
		struct memhp_page *p = memhp_alloc_pages_node(m, nid, gfp, 0);

		if (!p)
			break;
		pages[n++] = p;
		if (memhp_page_to_nid(p) != nid) {
			*other = memhp_page_to_nid(p);
			break;
		}
		local++;
	}
	while (n)
		memhp_free_pages(pages[--n], 0);
	free(pages);
	return local;
}

static void gfp_kernel_falls_back_to_the_nearest_node_when_its_own_is_full(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct memhp_zone_info zi;
	unsigned long free1;
	int other;

	config(&cfg, 4);
	cfg.nodes[1].distance[3] = 12;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	ASSERT_OK(memhp_zone_info(m, 1, MEMHP_ZONE_DMA32, &zi));
	free1 = zi.nr_free_pages;
	/* Every free page of node 1 first (some sit on per-cpu lists), then
	 * node 3, its nearest. */
	ASSERT_TRUE(fill_node(m, 1, MEMHP_GFP_KERNEL, &other) >= free1);
	ASSERT_EQ(other, 3);
}

static void an_allocation_without_a_node_prefers_the_node_of_its_cpu(void)
{
	struct memhp_machine *m = two_nodes();
	struct memhp_page *p;
	int old;

	ASSERT_TRUE(m);
	old = memhp_set_current_cpu(1);
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p);
	ASSERT_EQ(memhp_page_to_nid(p), 1);
	memhp_free_pages(p, 0);
	memhp_set_current_cpu(0);
	p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(p);
	ASSERT_EQ(memhp_page_to_nid(p), 0);
	memhp_free_pages(p, 0);
	memhp_set_current_cpu(old < 0 ? 0 : old);
}

static void gfp_movable_uses_the_local_movable_zone_before_a_remote_one(void)
{
	struct memhp_machine *m = two_nodes();
	struct memhp_page *p;

	ASSERT_TRUE(m);
	/* ZONE_MOVABLE on node 1 only; node 0 has none. */
	ASSERT_OK(memhp_add_memory(m, 1, HOT, memhp_block_size(m), 0));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	p = memhp_alloc_pages_node(m, 1, MEMHP_GFP_HIGHUSER_MOVABLE, 0);
	ASSERT_TRUE(p);
	ASSERT_EQ(memhp_page_zonenum(p), MEMHP_ZONE_MOVABLE);
	memhp_free_pages(p, 0);
	/* From node 0 its own DMA32 comes first, ahead of node 1's Movable. */
	p = memhp_alloc_pages_node(m, 0, MEMHP_GFP_HIGHUSER_MOVABLE, 0);
	ASSERT_TRUE(p);
	ASSERT_EQ(memhp_page_to_nid(p), 0);
	memhp_free_pages(p, 0);
}

/* ---- Node states and files ---------------------------------------------------------------- */

static void node_files_show_each_nodes_memory_cpus_and_distances(void)
{
	struct memhp_machine *m = two_nodes();
	AUTO_FS *fs = fs_of(m);
	const char *mi;

	ASSERT_TRUE(fs);
	/* Linux 6.1, two nodes with a CPU and 1 GiB each (case m). */
	ASSERT_STREQ(rd(fs, NODES "/possible"), "0-1\n");
	ASSERT_STREQ(rd(fs, NODES "/online"), "0-1\n");
	ASSERT_STREQ(rd(fs, NODES "/has_memory"), "0-1\n");
	ASSERT_STREQ(rd(fs, NODES "/has_normal_memory"), "0-1\n");
	ASSERT_STREQ(rd(fs, NODES "/has_cpu"), "0-1\n");
	ASSERT_STREQ(rd(fs, NODES "/node0/distance"), "10 20\n");
	ASSERT_STREQ(rd(fs, NODES "/node1/distance"), "20 10\n");
	ASSERT_STREQ(rd(fs, NODES "/node1/cpulist"), "1\n");
	ASSERT_STREQ(rd(fs, NODES "/node1/cpumap"), "2\n");
	ASSERT_TRUE(exists(fs, NODES "/node0/memory3"));
	ASSERT_FALSE(exists(fs, NODES "/node0/memory4"));
	ASSERT_TRUE(exists(fs, NODES "/node1/memory4"));
	ASSERT_FALSE(exists(fs, NODES "/node1/cpu0"));
	ASSERT_TRUE(exists(fs, NODES "/node0/cpu0"));
	mi = rd(fs, NODES "/node1/meminfo");
	/* Node 1's own 512 MiB, less what boot reserved there. */
	ASSERT_TRUE(!strncmp(mi, "Node 1 MemTotal:", 16));
	{
		unsigned long kb = strtoul(mi + 16, NULL, 10);
		struct memhp_zone_info zi;

		ASSERT_OK(memhp_zone_info(m, 1, MEMHP_ZONE_DMA32, &zi));
		ASSERT_EQ(kb, zi.managed_pages * 4);
		ASSERT_TRUE(kb <= 512 * 1024);
	}
	ASSERT_TRUE(strstr(rd(fs, "/proc/zoneinfo"), "Node 1, zone    DMA32"));
	ASSERT_TRUE(strstr(rd(fs, "/proc/buddyinfo"), "Node 1, zone    DMA32"));
}

static void a_node_without_boot_memory_or_cpus_comes_online_when_memory_is_added(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct memhp_printk_record r;

	config(&cfg, 3);
	cfg.nr_cpus = 2;
	cfg.nodes[2].cpus[0] = 0;
	cfg.nodes[0].mem_size = cfg.nodes[1].mem_size = 512 * MEMHP_MiB;
	cfg.nodes[2].mem_size = 0;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	{
		AUTO_FS *fs = fs_of(m);

		ASSERT_TRUE(fs);
		ASSERT_STREQ(rd(fs, NODES "/possible"), "0-2\n");
		ASSERT_STREQ(rd(fs, NODES "/online"), "0-1\n");
		ASSERT_FALSE(exists(fs, NODES "/node2"));
		ASSERT_OK(memhp_add_memory(m, 2, HOT, memhp_block_size(m), 0));
		ASSERT_STREQ(rd(fs, NODES "/online"), "0-2\n");
		/* Memory, once its block is online. */
		ASSERT_STREQ(rd(fs, NODES "/has_memory"), "0-1\n");
		ASSERT_TRUE(exists(fs, NODES "/node2/memory32"));
		ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
		ASSERT_STREQ(rd(fs, NODES "/has_memory"), "0-2\n");
		ASSERT_STREQ(rd(fs, NODES "/has_normal_memory"), "0-1\n");
	}
	/* __try_online_node() built the new node's zonelist alone (it was
	 * not online yet): itself, then the nodes with memory. Once its
	 * memory is online every zonelist is rebuilt, and node 0 takes the
	 * node without CPUs before node 1 at the same distance
	 * (find_next_best_node() prefers headless nodes). */
	ASSERT_TRUE(printk_find(m, "Fallback order for Node 2: 2 0 1 ", &r) >= 0);
	ASSERT_TRUE(printk_find(m, "Fallback order for Node 0: 0 2 1 ", &r) >= 0);
}

static void the_zonelist_rebuild_prints_each_nodes_fallback_order(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_printk_record r;

	ASSERT_TRUE(m);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	/* Linux 6.1, case g: "Fallback order for Node 0: 0 " before "Built
	 * 1 zonelists". */
	ASSERT_TRUE(printk_find(m, "Fallback order for Node 0: 0 ", &r) >= 0);
	ASSERT_EQ(r.level, MEMHP_KERN_INFO);
}

/* ---- Zone choice ----------------------------------------------------------------------- */

/* auto-movable on a machine whose node 1 has 128 MiB of kernel memory;
 * returns the zone of the fourth hot-added node 1 block onlined "online". */
static int fourth_block_zone(bool numa_aware)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct memhp_block_info bi;

	config(&cfg, 2);
	cfg.nodes[0].mem_size = 896 * MEMHP_MiB;
	cfg.nodes[1].mem_size = 128 * MEMHP_MiB;
	cfg.online_policy = MEMHP_ONLINE_POLICY_AUTO_MOVABLE;
	cfg.auto_movable_numa_aware = numa_aware;
	m = tm_create(&cfg);
	if (!m)
		return -1;
	for (unsigned long i = 0; i < 4; i++) {
		if (memhp_add_memory(m, 1, HOT + i * memhp_block_size(m), memhp_block_size(m), 0) ||
		    memhp_block_online(m, B0 + i, MEMHP_MMOP_ONLINE))
			return -1;
	}
	if (memhp_block_info(m, B0 + 3, &bi))
		return -1;
	return bi.zone;
}

static void auto_movable_numa_aware_uses_the_nodes_own_ratio(void)
{
	/* Node 1: 128 MiB of boot memory allows 301% of it movable, about
	 * 385 MiB: three blocks, not four. The machine's 1 GiB would allow
	 * them all. */
	ASSERT_EQ(fourth_block_zone(true), MEMHP_ZONE_NORMAL);
	ASSERT_EQ(fourth_block_zone(false), MEMHP_ZONE_MOVABLE);
}

static void movable_node_onlines_a_nodes_hot_added_memory_movable(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct memhp_block_info bi;

	config(&cfg, 2);
	cfg.movable_node = true;
	m = tm_create(&cfg);
	ASSERT_TRUE(m);
	ASSERT_OK(memhp_add_memory(m, 1, HOT, memhp_block_size(m), 0));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE));
	ASSERT_OK(memhp_block_info(m, B0, &bi));
	ASSERT_EQ(bi.zone, MEMHP_ZONE_MOVABLE);
	ASSERT_EQ(bi.nid, 1);
}

static void a_memory_group_puts_its_blocks_on_its_node(void)
{
	struct memhp_machine *m = two_nodes();
	struct memhp_block_info bi;
	int sg, dg;

	ASSERT_TRUE(m);
	/* Static (a DIMM's, by its ACPI node), dynamic (virtio-mem's). */
	sg = memhp_memory_group_register_static(m, 1, memhp_pages_per_block(m));
	dg = memhp_memory_group_register_dynamic(m, 0, memhp_pages_per_block(m));
	ASSERT_TRUE(sg >= 0 && dg >= 0);
	ASSERT_OK(memhp_add_memory(m, sg, HOT, memhp_block_size(m), MEMHP_MHP_NID_IS_MGID));
	ASSERT_OK(memhp_add_memory(m, dg, HOT + memhp_block_size(m), memhp_block_size(m),
				   MEMHP_MHP_NID_IS_MGID));
	ASSERT_OK(memhp_block_info(m, B0, &bi));
	ASSERT_EQ(bi.nid, 1);
	ASSERT_EQ(bi.group, sg);
	ASSERT_OK(memhp_block_info(m, B0 + 1, &bi));
	ASSERT_EQ(bi.nid, 0);
	ASSERT_ERR(memhp_memory_group_register_static(m, 2, 1), -EINVAL);
	ASSERT_ERR(memhp_add_memory(m, 2, HOT + 2 * memhp_block_size(m), memhp_block_size(m), 0),
		   -EINVAL);
}

/* ---- Offlining and hugetlb ----------------------------------------------------------------- */

static void nr_hugepages_grows_round_robin_over_the_nodes(void)
{
	struct memhp_machine *m = two_nodes();
	struct memhp_hugetlb_info h0, h1;

	ASSERT_TRUE(m);
	/* Linux 6.1, case m: 64 pages, 32 on each node. */
	ASSERT_OK(memhp_hugetlb_set_nr(m, 0, MEMHP_NUMA_NO_NODE, 64));
	ASSERT_OK(memhp_hugetlb_info(m, 0, 0, &h0));
	ASSERT_OK(memhp_hugetlb_info(m, 0, 1, &h1));
	ASSERT_EQ(h0.nr_hugepages, 32);
	ASSERT_EQ(h1.nr_hugepages, 32);
	/* Per node: only that node's pool moves. */
	ASSERT_OK(memhp_hugetlb_set_nr(m, 0, 1, 40));
	ASSERT_OK(memhp_hugetlb_info(m, 0, 0, &h0));
	ASSERT_OK(memhp_hugetlb_info(m, 0, 1, &h1));
	ASSERT_EQ(h0.nr_hugepages, 32);
	ASSERT_EQ(h1.nr_hugepages, 40);
	ASSERT_OK(memhp_hugetlb_set_nr(m, 0, MEMHP_NUMA_NO_NODE, 0));
}

static void offlining_migrates_to_another_node_first(void)
{
	struct memhp_machine *m = two_nodes();
	struct memhp_data *d;
	const unsigned long nr = 64;
	unsigned long verified = 0;

	ASSERT_TRUE(m);
	memhp_set_current_cpu(0);
	/* Movable memory on both nodes: node 0's block at 4 GiB, node 1's
	 * next to it. The data starts in node 0's ZONE_MOVABLE, its first
	 * choice; offlining sends it to node 1, though node 0 has room. */
	ASSERT_OK(memhp_add_memory(m, 0, HOT, memhp_block_size(m), 0));
	ASSERT_OK(memhp_add_memory(m, 1, HOT + memhp_block_size(m), memhp_block_size(m), 0));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_data_create(m, &d));
	ASSERT_EQ(memhp_data_alloc(d, nr, MEMHP_GFP_HIGHUSER_MOVABLE), nr);
	for (unsigned long i = 0; i < nr; i++)
		ASSERT_EQ(memhp_data_pfn(d, i) / memhp_pages_per_block(m), B0);
	ASSERT_OK(memhp_block_offline(m, B0));
	for (unsigned long i = 0; i < nr; i++)
		ASSERT_EQ(memhp_page_to_nid(memhp_pfn_to_online_page(m, memhp_data_pfn(d, i))), 1);
	ASSERT_EQ(memhp_data_verify(d, &verified), 0);
	ASSERT_EQ(verified, nr);
	memhp_data_destroy(d);
}

/* ---- Node counters ------------------------------------------------------------------------ */

/* The number after @key in file @path, where @key starts a line or
 * follows a space ("Node 1 AnonPages:"); -1 if it is not there. */
static long fs_value(struct memhp_fs *fs, const char *path, const char *key)
{
	const char *buf = rd(fs, path), *p = buf;
	size_t len = strlen(key);

	while ((p = strstr(p, key))) {
		if (p == buf || p[-1] == '\n' || p[-1] == ' ')
			return strtol(p + len, NULL, 10);
		p += len;
	}
	return -1;
}

static unsigned long stat_of(struct memhp_machine *m, int nid, enum memhp_vmstat_item item)
{
	return memhp_node_page_state(m, nid, item);
}

static int obj_nid(struct memhp_machine *m, uint64_t obj)
{
	return memhp_page_to_nid(memhp_pfn_to_online_page(m, obj >> MEMHP_PAGE_SHIFT));
}

static unsigned long cache_pages(struct memhp_machine *m, const char *name)
{
	struct memhp_slabinfo si;

	for (unsigned int i = 0; !memhp_slabinfo(m, i, &si); i++)
		if (!strcmp(si.name, name))
			return si.num_slabs * si.pagesperslab;
	return 0;
}

static void slab_pages_count_on_the_node_they_came_from(void)
{
	struct memhp_machine *m = two_nodes();
	struct memhp_kmem_cache *c;
	uint64_t obj[256];
	unsigned long r0, u0, r1, u1, pages;

	ASSERT_TRUE(m);
	/* A reclaimable cache filled from CPU 1: its slabs are node 1's
	 * (account_slab() on slab_pgdat()), and node 0 sees none of them. */
	memhp_set_current_cpu(1);
	ASSERT_OK(memhp_kmem_cache_create(m, "nodestat", 512, MEMHP_SLAB_RECLAIM_ACCOUNT, &c));
	r0 = stat_of(m, 0, MEMHP_NR_SLAB_RECLAIMABLE);
	u0 = stat_of(m, 0, MEMHP_NR_SLAB_UNRECLAIMABLE);
	r1 = stat_of(m, 1, MEMHP_NR_SLAB_RECLAIMABLE);
	u1 = stat_of(m, 1, MEMHP_NR_SLAB_UNRECLAIMABLE);
	for (int i = 0; i < NELEMS(obj); i++) {
		obj[i] = memhp_kmem_cache_alloc(c);
		ASSERT_TRUE(obj[i]);
		ASSERT_EQ(obj_nid(m, obj[i]), 1);
	}
	pages = cache_pages(m, "nodestat");
	ASSERT_TRUE(pages >= NELEMS(obj) * 512 / MEMHP_PAGE_SIZE);
	ASSERT_EQ(stat_of(m, 1, MEMHP_NR_SLAB_RECLAIMABLE), r1 + pages);
	ASSERT_EQ(stat_of(m, 1, MEMHP_NR_SLAB_UNRECLAIMABLE), u1);
	ASSERT_EQ(stat_of(m, 0, MEMHP_NR_SLAB_RECLAIMABLE), r0);
	ASSERT_EQ(stat_of(m, 0, MEMHP_NR_SLAB_UNRECLAIMABLE), u0);
	/* discard_slab() takes them off the node they were counted on. */
	memhp_set_current_cpu(0);
	for (int i = 0; i < NELEMS(obj); i++)
		memhp_kmem_cache_free(c, obj[i]);
	ASSERT_EQ(memhp_kmem_cache_destroy(c), 0);
	ASSERT_EQ(stat_of(m, 1, MEMHP_NR_SLAB_RECLAIMABLE), r1);
	ASSERT_EQ(stat_of(m, 0, MEMHP_NR_SLAB_RECLAIMABLE), r0);
}

static void page_tables_and_kernel_stacks_count_on_their_node(void)
{
	struct memhp_machine *m = two_nodes();
	struct memhp_thread_stack st;
	struct memhp_page *pte;
	unsigned long pt[2], ks[2], want[2] = { 0, 0 };

	ASSERT_TRUE(m);
	for (int n = 0; n < 2; n++) {
		pt[n] = stat_of(m, n, MEMHP_NR_PAGE_TABLE_PAGES);
		ks[n] = stat_of(m, n, MEMHP_NR_KERNEL_STACK);
	}
	memhp_set_current_cpu(1);
	pte = memhp_pte_alloc_one(m);
	ASSERT_TRUE(pte);
	ASSERT_EQ(memhp_page_to_nid(pte), 1);
	ASSERT_EQ(stat_of(m, 1, MEMHP_NR_PAGE_TABLE_PAGES), pt[1] + 1);
	ASSERT_EQ(stat_of(m, 0, MEMHP_NR_PAGE_TABLE_PAGES), pt[0]);
	/* A vmalloc'ed stack: 4 KiB of NR_KERNEL_STACK_KB on each page's own
	 * node (account_kernel_stack()). */
	ASSERT_OK(memhp_alloc_thread_stack(m, &st));
	for (int i = 0; i < MEMHP_THREAD_STACK_PAGES; i++)
		want[memhp_page_to_nid(st.pages[i])] += MEMHP_PAGE_SIZE / 1024;
	ASSERT_TRUE(want[1] > 0);
	ASSERT_EQ(stat_of(m, 0, MEMHP_NR_KERNEL_STACK), ks[0] + want[0]);
	ASSERT_EQ(stat_of(m, 1, MEMHP_NR_KERNEL_STACK), ks[1] + want[1]);
	memhp_set_current_cpu(0);
	memhp_free_thread_stack(m, &st);
	memhp_pte_free(pte);
	for (int n = 0; n < 2; n++) {
		ASSERT_EQ(stat_of(m, n, MEMHP_NR_PAGE_TABLE_PAGES), pt[n]);
		ASSERT_EQ(stat_of(m, n, MEMHP_NR_KERNEL_STACK), ks[n]);
	}
}

/* Movable memory on both nodes, node 0's block (B0) first: what node 0
 * allocates movable lands there, and offlining it migrates to node 1. */
static struct memhp_machine *movable_on_both_nodes(void)
{
	struct memhp_machine *m = two_nodes();

	if (!m || memhp_add_memory(m, 0, HOT, memhp_block_size(m), 0) ||
	    memhp_add_memory(m, 1, HOT + memhp_block_size(m), memhp_block_size(m), 0) ||
	    memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE) ||
	    memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE))
		return NULL;
	memhp_set_current_cpu(0);
	return m;
}

static void migration_moves_anon_counts_to_the_target_node(void)
{
	struct memhp_machine *m = movable_on_both_nodes();
	struct memhp_data *d;
	const unsigned long nr = 64;
	unsigned long a0, a1;

	ASSERT_TRUE(m);
	a0 = stat_of(m, 0, MEMHP_NR_ANON_PAGES);
	a1 = stat_of(m, 1, MEMHP_NR_ANON_PAGES);
	ASSERT_OK(memhp_data_create(m, &d));
	ASSERT_EQ(memhp_data_alloc(d, nr, MEMHP_GFP_HIGHUSER_MOVABLE), nr);
	ASSERT_EQ(stat_of(m, 0, MEMHP_NR_ANON_PAGES), a0 + nr);
	ASSERT_EQ(stat_of(m, 1, MEMHP_NR_ANON_PAGES), a1);
	/* The rmap moves with the page: page_remove_rmap() on the source,
	 * page_add_anon_rmap() on the target. */
	ASSERT_OK(memhp_block_offline(m, B0));
	for (unsigned long i = 0; i < nr; i++)
		ASSERT_EQ(memhp_page_to_nid(memhp_pfn_to_online_page(m, memhp_data_pfn(d, i))), 1);
	ASSERT_EQ(stat_of(m, 0, MEMHP_NR_ANON_PAGES), a0);
	ASSERT_EQ(stat_of(m, 1, MEMHP_NR_ANON_PAGES), a1 + nr);
	/* Freed from the node they are on now. */
	ASSERT_EQ(memhp_data_free(d, nr), nr);
	ASSERT_EQ(stat_of(m, 1, MEMHP_NR_ANON_PAGES), a1);
	ASSERT_EQ(stat_of(m, 0, MEMHP_NR_ANON_PAGES), a0);
	memhp_data_destroy(d);
}

static void destroy_sb(void *arg)
{
	memhp_shmem_destroy(arg);
}

static void migration_moves_file_and_shmem_counts_to_the_target_node(void)
{
	struct memhp_machine *m = movable_on_both_nodes();
	struct memhp_shmem_options o;
	struct memhp_shmem_attr a;
	struct memhp_shmem *sb;
	const size_t len = 256 * 1024;
	const unsigned long nr = len / MEMHP_PAGE_SIZE;
	unsigned long f[2], sh[2];
	char *buf = calloc(1, len);

	ASSERT_TRUE(m);
	ASSERT_TRUE(buf);
	memset(buf, 0x5a, len);
	memhp_shmem_options_init(m, &o);
	ASSERT_OK(memhp_shmem_create(m, &o, &sb));
	tm_defer(destroy_sb, sb);
	for (int n = 0; n < 2; n++) {
		f[n] = stat_of(m, n, MEMHP_NR_FILE_PAGES);
		sh[n] = stat_of(m, n, MEMHP_NR_SHMEM);
	}
	ASSERT_OK(memhp_shmem_mknod(sb, MEMHP_SHMEM_ROOT_INO, "f", S_IFREG | 0644, 0, 0, 0, &a));
	ASSERT_EQ(memhp_shmem_write(sb, a.ino, buf, len, 0), (ssize_t)len);
	free(buf);
	/* shmem_add_to_page_cache() counts on node 0, where the pages are. */
	ASSERT_EQ(stat_of(m, 0, MEMHP_NR_FILE_PAGES), f[0] + nr);
	ASSERT_EQ(stat_of(m, 0, MEMHP_NR_SHMEM), sh[0] + nr);
	ASSERT_EQ(stat_of(m, 1, MEMHP_NR_SHMEM), sh[1]);
	/* folio_migrate_mapping(): both counts follow the page to node 1. */
	ASSERT_OK(memhp_block_offline(m, B0));
	ASSERT_EQ(stat_of(m, 0, MEMHP_NR_FILE_PAGES), f[0]);
	ASSERT_EQ(stat_of(m, 0, MEMHP_NR_SHMEM), sh[0]);
	ASSERT_EQ(stat_of(m, 1, MEMHP_NR_FILE_PAGES), f[1] + nr);
	ASSERT_EQ(stat_of(m, 1, MEMHP_NR_SHMEM), sh[1] + nr);
	/* The file lets go of them on node 1, where they now are. */
	ASSERT_OK(memhp_shmem_unlink(sb, MEMHP_SHMEM_ROOT_INO, "f"));
	memhp_shmem_forget(sb, a.ino, 1);
	ASSERT_EQ(stat_of(m, 1, MEMHP_NR_FILE_PAGES), f[1]);
	ASSERT_EQ(stat_of(m, 1, MEMHP_NR_SHMEM), sh[1]);
	ASSERT_EQ(stat_of(m, 0, MEMHP_NR_SHMEM), sh[0]);
}

static void proc_meminfo_is_the_sum_of_the_nodes(void)
{
	static const char *const mi_keys[] = { "AnonPages:",	"Shmem:",	 "KernelStack:",
					       "PageTables:",	"SReclaimable:", "SUnreclaim:",
					       "KReclaimable:", "Slab:" };
	static const char *const vm_keys[] = { "nr_slab_reclaimable ",
					       "nr_slab_unreclaimable ",
					       "nr_anon_pages ",
					       "nr_file_pages ",
					       "nr_shmem ",
					       "nr_kernel_stack ",
					       "nr_page_table_pages " };
	struct memhp_machine *m = two_nodes();
	AUTO_FS *fs = fs_of(m);
	struct memhp_data *d0, *d1;
	long anon0, anon1;

	ASSERT_TRUE(fs);
	anon0 = fs_value(fs, NODES "/node0/meminfo", "AnonPages:");
	anon1 = fs_value(fs, NODES "/node1/meminfo", "AnonPages:");
	ASSERT_TRUE(anon0 >= 0 && anon1 >= 0);
	/* 32 pages from CPU 0 on node 0, 48 from CPU 1 on node 1. */
	ASSERT_OK(memhp_data_create(m, &d0));
	ASSERT_OK(memhp_data_create(m, &d1));
	memhp_set_current_cpu(0);
	ASSERT_EQ(memhp_data_alloc(d0, 32, MEMHP_GFP_HIGHUSER_MOVABLE), 32);
	memhp_set_current_cpu(1);
	ASSERT_EQ(memhp_data_alloc(d1, 48, MEMHP_GFP_HIGHUSER_MOVABLE), 48);
	memhp_set_current_cpu(0);
	ASSERT_EQ(fs_value(fs, NODES "/node0/meminfo", "AnonPages:"), anon0 + 32 * 4);
	ASSERT_EQ(fs_value(fs, NODES "/node1/meminfo", "AnonPages:"), anon1 + 48 * 4);
	ASSERT_EQ(fs_value(fs, NODES "/node1/vmstat", "nr_anon_pages "), anon1 / 4 + 48);
	/* si_meminfo() and global_node_page_state(): every node's, summed. */
	for (int i = 0; i < NELEMS(mi_keys); i++) {
		long n0 = fs_value(fs, NODES "/node0/meminfo", mi_keys[i]);
		long n1 = fs_value(fs, NODES "/node1/meminfo", mi_keys[i]);

		ASSERT_TRUE(n0 >= 0 && n1 >= 0);
		ASSERT_EQ(fs_value(fs, "/proc/meminfo", mi_keys[i]), n0 + n1);
	}
	for (int i = 0; i < NELEMS(vm_keys); i++) {
		long n0 = fs_value(fs, NODES "/node0/vmstat", vm_keys[i]);
		long n1 = fs_value(fs, NODES "/node1/vmstat", vm_keys[i]);

		ASSERT_TRUE(n0 >= 0 && n1 >= 0);
		ASSERT_EQ(fs_value(fs, "/proc/vmstat", vm_keys[i]), n0 + n1);
	}
	memhp_data_destroy(d0);
	memhp_data_destroy(d1);
}

static void a_node_counter_below_zero_is_found_though_the_sum_holds(void)
{
	struct memhp_machine *m = two_nodes();
	static struct memhp_check_report r;
	bool found = false;

	ASSERT_TRUE(m);
	/* A page counted on node 0 and uncounted on node 1: the machine's
	 * sum is right, node 1's counter is not. */
	memhp_mod_node_page_state(m, 0, MEMHP_NR_ANON_PAGES, 1);
	memhp_mod_node_page_state(m, 1, MEMHP_NR_ANON_PAGES, -1);
	memhp_check(m, &r);
	for (size_t i = 0; i < r.shown; i++)
		found |= r.v[i].rule == MEMHP_RULE_NODE_STAT;
	ASSERT_TRUE(found);
	memhp_mod_node_page_state(m, 1, MEMHP_NR_ANON_PAGES, 1);
	memhp_mod_node_page_state(m, 0, MEMHP_NR_ANON_PAGES, -1);
	ASSERT_EQ(memhp_check(m, NULL), 0);
}

RUN_TESTS(T(config_refuses_nodes_whose_memory_is_not_the_boot_ram),
	  T(config_refuses_a_node_boundary_inside_a_memory_block),
	  T(config_refuses_a_cpu_on_two_nodes), T(boot_ram_goes_to_the_nodes_in_address_order),
	  T(zonelist_orders_the_other_nodes_by_distance), T(a_slit_linux_finds_invalid_is_not_used),
	  T(gfp_kernel_falls_back_to_the_nearest_node_when_its_own_is_full),
	  T(an_allocation_without_a_node_prefers_the_node_of_its_cpu),
	  T(gfp_movable_uses_the_local_movable_zone_before_a_remote_one),
	  T(node_files_show_each_nodes_memory_cpus_and_distances),
	  T(a_node_without_boot_memory_or_cpus_comes_online_when_memory_is_added),
	  T(the_zonelist_rebuild_prints_each_nodes_fallback_order),
	  T(auto_movable_numa_aware_uses_the_nodes_own_ratio),
	  T(movable_node_onlines_a_nodes_hot_added_memory_movable),
	  T(a_memory_group_puts_its_blocks_on_its_node),
	  T(nr_hugepages_grows_round_robin_over_the_nodes),
	  T(offlining_migrates_to_another_node_first),
	  T(slab_pages_count_on_the_node_they_came_from),
	  T(page_tables_and_kernel_stacks_count_on_their_node),
	  T(migration_moves_anon_counts_to_the_target_node),
	  T(migration_moves_file_and_shmem_counts_to_the_target_node),
	  T(proc_meminfo_is_the_sum_of_the_nodes),
	  T(a_node_counter_below_zero_is_found_though_the_sum_holds))
