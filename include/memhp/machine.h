/* SPDX-License-Identifier: MIT */
/*
 * memhp/machine.h - a simulated machine: its configuration, its lifetime and
 * what it looks like from the outside (zones, blocks, meminfo).
 *
 * A machine is one Linux 6.1 guest's worth of memory management: a physical
 * address space backed by real host memory, a sparse memmap, one node with
 * its zones and buddy allocator, memory blocks and the hotplug machinery.
 * Machines share nothing; several can live in one process.
 */
#ifndef MEMHP_MACHINE_H
#define MEMHP_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MEMHP_API __attribute__((visibility("default")))

struct memhp_machine;
struct memhp_page;

/* The page size is fixed: x86_64 with 4 KiB pages is what we model. */
#define MEMHP_PAGE_SHIFT 12
#define MEMHP_PAGE_SIZE (1UL << MEMHP_PAGE_SHIFT)

/* Largest buddy order any configuration may use (Linux: MAX_ORDER - 1). */
#define MEMHP_MAX_ORDER_LIMIT 10
/* The physical address space is limited so that a pfn fits in 32 bits. */
#define MEMHP_MAX_PHYS_SHIFT 44
#define MEMHP_MAX_BOOT_RANGES 8
/* QEMU 7.2's q35 takes at most this many CPUs. */
#define MEMHP_MAX_CPUS 288
/* x86's default SWIOTLB (IO_TLB_DEFAULT_SIZE). */
#define MEMHP_SWIOTLB_SIZE (64ULL << 20)
/* The most NUMA nodes a machine may have (QEMU takes 128; memhp keeps a
 * pageblock's node and zone in five bits). */
#define MEMHP_MAX_NUMNODES 8
#define MEMHP_NUMA_NO_NODE (-1)
/* SLIT distances QEMU reports without -numa dist (include/linux/topology.h). */
#define MEMHP_LOCAL_DISTANCE 10
#define MEMHP_REMOTE_DISTANCE 20

#define MEMHP_KiB (1ULL << 10)
#define MEMHP_MiB (1ULL << 20)
#define MEMHP_GiB (1ULL << 30)
#define MEMHP_TiB (1ULL << 40)

enum memhp_zone_type {
	MEMHP_ZONE_DMA,
	MEMHP_ZONE_DMA32,
	MEMHP_ZONE_NORMAL,
	MEMHP_ZONE_MOVABLE,
	MEMHP_NR_ZONES
};

/* Online types, as include/linux/memory_hotplug.h numbers them (MMOP_*). */
enum memhp_online_type {
	MEMHP_MMOP_OFFLINE = 0,
	MEMHP_MMOP_ONLINE = 1,
	MEMHP_MMOP_ONLINE_KERNEL = 2,
	MEMHP_MMOP_ONLINE_MOVABLE = 3,
};

/* Memory block states (include/linux/memory.h). */
enum memhp_block_state {
	MEMHP_MEM_ONLINE = 1,
	MEMHP_MEM_GOING_OFFLINE = 2,
	MEMHP_MEM_OFFLINE = 4,
};

/*
 * How PageOffline() pages take part in offlining.
 * - MEMHP_PROTOCOL_6_1: the merged 2019 design. A driver drops its reference
 *   in MEM_GOING_OFFLINE; refcount-0 PageOffline pages count as free; a
 *   referenced one makes scan_movable_pages() fail with -EBUSY.
 * - MEMHP_PROTOCOL_2025: PG_offline_skippable (v2 of the 2025 series, on top
 *   of 6.7's accounting): skippable pages keep refcount 1 and are skipped;
 *   offlining leaves them out of the managed-page adjustment.
 */
enum memhp_protocol {
	MEMHP_PROTOCOL_6_1,
	MEMHP_PROTOCOL_2025,
};

/* memory_hotplug.online_policy */
enum memhp_online_policy {
	MEMHP_ONLINE_POLICY_CONTIG_ZONES,
	MEMHP_ONLINE_POLICY_AUTO_MOVABLE,
};

struct memhp_range {
	uint64_t start;
	uint64_t size;
};

/* Words of a CPU bitmap. */
#define MEMHP_CPU_WORDS ((MEMHP_MAX_CPUS + 63) / 64)

/*
 * One NUMA node (QEMU's -numa node,nodeid=N,memdev=ID,cpus=LIST): the boot
 * RAM it has and the CPUs it holds. Nodes take the boot RAM in address
 * order, node 0 first (the SRAT QEMU builds); each node's share must end
 * on a section boundary (memhp keeps one node per section).
 */
struct memhp_node_config {
	uint64_t mem_size; /* 0: a memoryless node */
	/* The node's CPUs (bit c: CPU c). CPUs no node names are node 0's,
	 * as QEMU 7.2 places them on a q35 guest with one socket. */
	uint64_t cpus[MEMHP_CPU_WORDS];
	/* distance[n]: the SLIT entry to node n; 0 is QEMU's default
	 * (MEMHP_LOCAL_DISTANCE to itself, MEMHP_REMOTE_DISTANCE otherwise). */
	uint8_t distance[MEMHP_MAX_NUMNODES];
};

/* transparent_hugepage= (struct memhp_config, memhp/sysctl.h). Declared
 * here, not inside the struct, where C++ would scope it to the struct. */
enum memhp_thp_mode {
	MEMHP_THP_ALWAYS,
	MEMHP_THP_MADVISE,
	MEMHP_THP_NEVER,
};

struct memhp_config {
	/* Geometry. Sizes are powers of two; block_size is a multiple of
	 * section_size; section_size >= 2 MiB. */
	uint64_t section_size;	      /* default 128 MiB (SECTION_SIZE_BITS 27) */
	uint64_t block_size;	      /* memory_block_size_bytes(), default 128 MiB */
	unsigned int pageblock_order; /* default 9 (2 MiB) */
	/* The largest buddy order, default 10; clamped to fit a section. */
	unsigned int max_order;
	/* Address space [0, phys_size), default 1 TiB: reserved, not
	 * touched. A ThreadSanitizer build of the program has less free
	 * address space than that at times (its shadow takes most of it),
	 * and memhp_machine_create() then fails with -ENOMEM: ask for what
	 * the machine will use. */
	uint64_t phys_size;

	/* Boot memory: present and online when the machine is created. */
	struct memhp_range boot[MEMHP_MAX_BOOT_RANGES];
	unsigned int nr_boot;
	/* NUMA nodes: 0 or 1 is one node with all boot RAM and every CPU;
	 * up to MEMHP_MAX_NUMNODES, each as nodes[] says. */
	unsigned int nr_nodes;
	struct memhp_node_config nodes[MEMHP_MAX_NUMNODES];
	uint64_t dma_limit;   /* ZONE_DMA below this (0: no ZONE_DMA) */
	uint64_t dma32_limit; /* ZONE_DMA32 below this (0: none) */
	/* What the booted kernel keeps for itself (memblock reservations):
	 * its image at kernel_start (the span from its text to the end of its
	 * bss; the init sections between are freed after boot, as Debian's
	 * 6.1 image lays them out), the first MiB, and the boot memmap. With
	 * kaslr (Debian's default), the image goes to a random 2 MiB-aligned
	 * slot of RAM from kernel_start up, drawn from the seed, and
	 * memhp_machine_config() shows where. */
	uint64_t kernel_start;
	uint64_t kernel_size;
	bool kaslr;
	bool reserve_low_1m;
	/* The SWIOTLB bounce buffer, reserved below 4 GiB at the top of low
	 * RAM: x86 sets up 64 MiB whenever memory can reach above 4 GiB (RAM
	 * there, or room for hot-plugged memory), none otherwise. */
	uint64_t swiotlb_size; /* MEMHP_SWIOTLB_SIZE or 0 */
	/* The rest of what early boot reserves (page tables of the direct map,
	 * the first per-cpu chunk, ACPI tables ...), at the top of RAM below
	 * the memmap: a fixed part and a part per GiB of RAM. */
	uint64_t early_reserved;
	uint64_t early_reserved_per_gib;
	/* Bytes of memmap charged per page of memory (sizeof(struct page) in
	 * the kernel we model): hot-added memory costs this much kernel memory
	 * unless memmap_on_memory places it in the block itself. */
	unsigned int struct_page_size;

	/* Policy (sysfs / module parameters, all changeable later). */
	enum memhp_online_type auto_online_blocks;
	enum memhp_online_policy online_policy;
	unsigned int auto_movable_ratio;
	bool auto_movable_numa_aware;
	bool movable_node;
	bool memmap_on_memory; /* boot parameter: fixed for the machine */
	enum memhp_protocol protocol;
	/* CPUs of the guest (QEMU's -smp; 0 means 1, QEMU's default): what
	 * SLUB sizes its slabs for and per-cpu kernel memory multiplies by. */
	unsigned int nr_cpus;
	/* transparent_hugepage= on the command line: whether khugepaged runs
	 * and raises min_free_kbytes (memhp/sysctl.h). 0 is Debian's 6.1
	 * default (CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS). */
	enum memhp_thp_mode transparent_hugepage;
	/* The CPU has 1 GiB pages (pdpe1gb: QEMU's -cpu max, not its default
	 * qemu64): hugetlb gets a 1 GiB hstate besides the 2 MiB one. */
	bool hugetlb_gigantic;
	/* cma=SIZE[@BASE]: a kernel built with CONFIG_CMA (Debian's is not)
	 * reserving a global CMA area of cma_size bytes at boot, at cma_base or
	 * top-down below the end of RAM, 4 MiB aligned; 0: none. */
	uint64_t cma_size;
	uint64_t cma_base;

	/* Debugging: check after every hotplug operation and log each
	 * violation (see memhp/check.h): what the operation touched, and the
	 * whole machine as often as that keeps the cost at most about twice
	 * the walk of what was touched. */
	bool check_after_ops;
	/* ... the whole machine after every operation instead: quadratic in
	 * the machine's size, for debugging the checker. */
	bool check_after_ops_whole;
	/* Seed for every random choice the library makes. */
	uint64_t seed;
	/* Create the machine even if the host (or the memory cgroup the
	 * process is in) has less memory left than it needs at creation:
	 * its memmap, 4 MiB a GiB of boot RAM. Also set by the environment
	 * variable MEMHP_IGNORE_HOST_MEMORY (any value but 0). */
	bool ignore_host_memory;
	/* Back guest memory with the host's transparent huge pages where it
	 * can (madvise(MADV_HUGEPAGE)), as QEMU does for guest RAM: one host
	 * fault per 2 MiB instead of 512, and the host's RSS moves in 2 MiB
	 * steps where the guest's memory is only partly used. Default on. */
	bool host_huge_pages;
};

#define MEMHP_IGNORE_HOST_MEMORY_ENV "MEMHP_IGNORE_HOST_MEMORY"

/*
 * Fill @cfg with the defaults: an x86_64 QEMU q35 guest with @ram_size bytes
 * of boot memory (RAM below 4 GiB is capped at 2 GiB once the guest has 2.75
 * GiB or more, as q35 does; the rest starts at 4 GiB), 128 MiB sections and
 * blocks, a 1 TiB physical address space, auto_online_blocks "offline"
 * (Debian's 6.1: CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE is not set), the 6.1
 * PageOffline protocol.
 */
MEMHP_API void memhp_config_init(struct memhp_config *cfg, uint64_t ram_size);

/*
 * Create a machine from @cfg. Boot memory is added and onlined as at boot.
 * Returns 0, or -EINVAL (bad geometry), -ENOMEM (host memory or address
 * space; refused before anything is allocated when the host or the
 * process's memory cgroup has less left than the machine needs, unless
 * cfg->ignore_host_memory). memhp_config_error() says why for -EINVAL,
 * and how much is needed and left for that -ENOMEM (empty otherwise).
 */
MEMHP_API int memhp_machine_create(const struct memhp_config *cfg, struct memhp_machine **out);
MEMHP_API void memhp_machine_destroy(struct memhp_machine *m);
/* Why the last memhp_machine_create() on this thread returned -EINVAL. */
MEMHP_API const char *memhp_config_error(void);

MEMHP_API const struct memhp_config *memhp_machine_config(const struct memhp_machine *m);
MEMHP_API enum memhp_protocol memhp_machine_protocol(const struct memhp_machine *m);

/* Geometry helpers. */
MEMHP_API uint64_t memhp_block_size(const struct memhp_machine *m);
MEMHP_API unsigned long memhp_pages_per_block(const struct memhp_machine *m);
MEMHP_API unsigned long memhp_pages_per_section(const struct memhp_machine *m);
MEMHP_API unsigned long memhp_pageblock_nr_pages(const struct memhp_machine *m);
MEMHP_API unsigned int memhp_max_order(const struct memhp_machine *m);
MEMHP_API unsigned long memhp_max_pfn(const struct memhp_machine *m);
/* Host address of the byte at physical address 0 (the whole space is one
 * mapping; only present memory is accessible). */
MEMHP_API void *memhp_phys_base(const struct memhp_machine *m);

/* ---- Host memory ------------------------------------------------------
 *
 * What backs the physical address space on the host. Device models use
 * these: a virtio-mem device discards the blocks it unplugs so the host's
 * RSS really falls.
 */

/* Make [start, start + size) accessible (page aligned). 0, -EINVAL, -ENOMEM. */
MEMHP_API int memhp_host_populate(struct memhp_machine *m, uint64_t start, uint64_t size);
/* Give the host memory of [start, start + size) back (contents read as
 * zeroes afterwards); @inaccessible also makes any access fault.
 * 0 or -EINVAL. */
MEMHP_API int memhp_host_discard(struct memhp_machine *m, uint64_t start, uint64_t size,
				 bool inaccessible);
/*
 * A device model owns the host memory of [start, start + size) (a VMM's
 * memory backend): from now on, the guest adding or removing memory there
 * leaves its host mapping alone, only the device changes it, as on a real
 * VMM. Returns 0, -EINVAL, -EBUSY (overlaps a claim), -ENOSPC.
 */
#define MEMHP_MAX_HOST_CLAIMS 16
MEMHP_API int memhp_host_claim(struct memhp_machine *m, uint64_t start, uint64_t size);
MEMHP_API void memhp_host_unclaim(struct memhp_machine *m, uint64_t start, uint64_t size);
/*
 * Fault in the host memory behind @pages, which the caller is about to
 * write, in one madvise(MADV_POPULATE_WRITE) per run of adjacent pages
 * instead of one host page fault per page as they are written: ~40% less
 * CPU on a Linux host. A hint: nothing changes for the guest, and a host
 * that cannot (before Linux 5.14) faults the pages in as they are written.
 */
MEMHP_API void memhp_host_prefault(struct memhp_page **pages, size_t nr);
/* Host pages of [start, start + size) that are resident (mincore). */
MEMHP_API unsigned long memhp_host_resident(struct memhp_machine *m, uint64_t start, uint64_t size);

/* ---- NUMA nodes --------------------------------------------------------
 *
 * Nodes 0 .. memhp_nr_node_ids() - 1 are possible; a node is online when it
 * has boot memory or CPUs, or once memory is added to it (6.1's
 * __try_online_node() from add_memory()).
 */
MEMHP_API int memhp_nr_node_ids(const struct memhp_machine *m);

struct memhp_node_info {
	bool online;
	bool has_memory;	/* N_MEMORY: present pages in any zone */
	bool has_normal_memory; /* N_NORMAL_MEMORY: in ZONE_NORMAL or below */
	bool has_cpu;		/* N_CPU */
	unsigned long node_start_pfn, node_spanned_pages, node_present_pages;
	unsigned int nr_cpus;
	uint64_t cpus[MEMHP_CPU_WORDS];
	/* The zonelist's node order (build_zonelists()): itself first, then
	 * the other nodes with memory, nearest first. */
	int node_order[MEMHP_MAX_NUMNODES];
	int nr_node_order;
};
/* 0, or -EINVAL for a node that is not possible. */
MEMHP_API int memhp_node_info(struct memhp_machine *m, int nid, struct memhp_node_info *ni);
/* node_distance(): the SLIT entry, or -1 when either node is not possible. */
MEMHP_API int memhp_node_distance(const struct memhp_machine *m, int from, int to);
/* cpu_to_node() of a guest CPU; MEMHP_NUMA_NO_NODE out of range. */
MEMHP_API int memhp_cpu_to_node(const struct memhp_machine *m, int cpu);

/* ---- Zones and meminfo ---------------------------------------------- */

struct memhp_zone_info {
	const char *name; /* "DMA", "DMA32", "Normal", "Movable" */
	int nid;
	enum memhp_zone_type idx;
	unsigned long zone_start_pfn;
	unsigned long spanned_pages;
	unsigned long present_pages;
	unsigned long present_early_pages;
	unsigned long managed_pages;
	unsigned long nr_free_pages; /* NR_FREE_PAGES */
	unsigned long nr_isolate_pageblock;
	unsigned long cma_pages;
	/* Watermarks as 6.1 computes them (pcp.c); nothing waits on them. */
	unsigned long watermark_min, watermark_low, watermark_high;
	/* Pages on the per-cpu lists of every CPU: free, not in nr_free_pages. */
	unsigned long nr_pcp_pages;
};

MEMHP_API int memhp_zone_info(struct memhp_machine *m, int nid, enum memhp_zone_type zone,
			      struct memhp_zone_info *zi);
MEMHP_API const char *memhp_zone_name(enum memhp_zone_type zone);

/* Free chunks of @order on the @migratetype free list (buddyinfo and
 * pagetypeinfo). @migratetype < 0 sums all lists. */
MEMHP_API unsigned long memhp_zone_nr_free_chunks(struct memhp_machine *m, int nid,
						  enum memhp_zone_type zone, unsigned int order,
						  int migratetype);

struct memhp_meminfo {
	unsigned long total_pages;   /* MemTotal: totalram_pages() */
	unsigned long free_pages;    /* MemFree: NR_FREE_PAGES */
	unsigned long present_pages; /* sum of zone present_pages */
	unsigned long spanned_pages;
	unsigned long reserved_pages; /* present - managed */
	unsigned long offline_pages;  /* PageOffline, by a memmap walk */
	unsigned long
		movable_pages; /* allocated LRU/movable pages (and LRU-bound ones in an add batch) */
	unsigned long kernel_pages;   /* allocated, neither free nor movable */
	unsigned long hwpoison_pages; /* HardwareCorrupted: num_poisoned_pages */
	unsigned long shmem_pages;    /* Shmem: NR_SHMEM (tmpfs, memhp/shmem.h) */
	/* Free pages on the per-cpu lists, which MemFree leaves out:
	 * free_pages + pcp_pages is every free page. */
	unsigned long pcp_pages;
};
MEMHP_API void memhp_meminfo(struct memhp_machine *m, struct memhp_meminfo *mi);

/*
 * The /proc/vmstat counters the machine keeps, in 6.1's order there
 * (mm/vmstat.c vmstat_text); what the model has no mechanism for is not
 * listed rather than shown as 0. Node counters first (pages, except
 * NR_KERNEL_STACK in KiB as 6.1 keeps it), then events.
 */
enum memhp_vmstat_item {
	MEMHP_NR_FREE_PAGES,
	MEMHP_NR_SLAB_RECLAIMABLE,
	MEMHP_NR_SLAB_UNRECLAIMABLE,
	MEMHP_NR_ANON_PAGES, /* movable data that stands for anonymous memory */
	MEMHP_NR_FILE_PAGES,
	MEMHP_NR_SHMEM,
	MEMHP_NR_KERNEL_STACK, /* KiB */
	MEMHP_NR_PAGE_TABLE_PAGES,
	MEMHP_PGALLOC_DMA, /* one per zone, in zone order */
	MEMHP_PGALLOC_DMA32,
	MEMHP_PGALLOC_NORMAL,
	MEMHP_PGALLOC_MOVABLE,
	MEMHP_PGFREE,
	MEMHP_DROP_PAGECACHE,
	MEMHP_DROP_SLAB,
	MEMHP_PGMIGRATE_SUCCESS,
	MEMHP_PGMIGRATE_FAIL,
	MEMHP_BALLOON_INFLATE,
	MEMHP_BALLOON_DEFLATE,
	MEMHP_BALLOON_MIGRATE,
	MEMHP_NR_VMSTAT_ITEMS
};
/* "nr_free_pages", ...; NULL out of range. */
MEMHP_API const char *memhp_vmstat_name(enum memhp_vmstat_item item);
/* The counter now (racy, as /proc/vmstat is); 0 out of range. A node
 * counter reads as the sum over the nodes (global_node_page_state()). */
MEMHP_API long memhp_vmstat(struct memhp_machine *m, enum memhp_vmstat_item item);
/* count_vm_events() for code built on the API (drivers, workloads);
 * out-of-range items and MEMHP_NR_FREE_PAGES, which the free lists keep,
 * are ignored. A node counter goes to node 0: code that has the page uses
 * memhp_mod_node_page_state() with its node, as 6.1 does. */
MEMHP_API void memhp_mod_vmstat(struct memhp_machine *m, enum memhp_vmstat_item item, long delta);
/*
 * The node counters among them (MEMHP_NR_SLAB_RECLAIMABLE ..
 * MEMHP_NR_PAGE_TABLE_PAGES), kept per node by the users of memory on the
 * node of the page they count (memhp_page_to_nid()); migration moves a
 * page's count to the target's node. The page cache
 * of tmpfs (memhp/shmem.h) adds a page to NR_FILE_PAGES and NR_SHMEM as it
 * joins a file and takes it off as it leaves the file, as
 * shmem_add_to_page_cache() and filemap_unaccount_folio() do. A poisoned
 * page stays counted until its file lets go of it, as in 6.1.
 * mod_node_page_state(): add @delta to @item of node @nid (others: ignored).
 */
MEMHP_API void memhp_mod_node_page_state(struct memhp_machine *m, int nid,
					 enum memhp_vmstat_item item, long delta);
/* node_page_state(): the counter, 0 if it is below 0 (as the kernel reads
 * its per-cpu-skewed counters; the checker reports it, rule "node-stat"). */
MEMHP_API unsigned long memhp_node_page_state(struct memhp_machine *m, int nid,
					      enum memhp_vmstat_item item);

/* ---- Per-thread pending signal ---------------------------------------
 *
 * offline_pages() retries until it succeeds, meets a definitely unmovable
 * page, or its task has a signal pending. memhp gives every thread such a
 * flag. Raising it is async-signal-safe, so a SIGINT handler or another
 * thread can abort a running offline, which then returns -EINTR with
 * everything restored. Like a real signal, it stays pending until the
 * thread clears it.
 */
struct memhp_task;
MEMHP_API struct memhp_task *memhp_current_task(void);
MEMHP_API void memhp_task_signal(struct memhp_task *task);
MEMHP_API void memhp_task_clear_signal(struct memhp_task *task);
MEMHP_API bool memhp_signal_pending(void);

/*
 * memhp's own threads carry names (pthread_setname_np(), what top, gdb and
 * "Bad page state in process" show): "walker N" for PFN walkers,
 * "vmem-wq ID" for a virtio-mem driver's worker, "vmem-dev ID" for a
 * virtio-mem device, "guest-kernel" for the guest's background work. A
 * name has at most MEMHP_THREAD_NAME_LEN - 1 characters (ID is cut).
 */
#define MEMHP_THREAD_NAME_LEN 16

/* Tracing: typed events and tracepoints are in memhp/events.h. */

/*
 * Per-machine data for code built on the API (device models, drivers):
 * @data lives as long as the machine, found by @key (any unique address),
 * and @destroy(@data) runs when the machine is destroyed. Returns 0,
 * -EEXIST (the key is taken), -ENOSPC (MEMHP_MAX_ATTACHMENTS in use).
 */
#define MEMHP_MAX_ATTACHMENTS 16
MEMHP_API int memhp_machine_attach(struct memhp_machine *m, const void *key, void *data,
				   void (*destroy)(void *data));
MEMHP_API void *memhp_machine_attached(struct memhp_machine *m, const void *key);
/* Forget @key without calling its destructor; returns its data. */
MEMHP_API void *memhp_machine_detach(struct memhp_machine *m, const void *key);

/*
 * Deterministic scheduling: @hook runs at every scheduling point of the
 * library (each page refcount operation and each page allocation), on the
 * thread that reaches it, so that a scheduler that lets one thread run at
 * a time (memhp demo --deterministic) can switch threads there. NULL (the
 * default) turns it off. Process-wide: it applies to every machine.
 */
MEMHP_API void memhp_set_sched_hook(void (*hook)(void));

/* The library's random generator (xoshiro256**, seeded from the config). */
MEMHP_API uint64_t memhp_random(struct memhp_machine *m);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_MACHINE_H */
