/* SPDX-License-Identifier: MIT */
/*
 * src/mm/internal.h - what the mm core's files share and nobody else sees.
 *
 * Names follow the kernel where the concept is the same. Internal functions
 * used across files carry a mhp_ or kernel-style name; they are hidden from
 * the shared library and localized in the static one.
 */
#ifndef MEMHP_MM_INTERNAL_H
#define MEMHP_MM_INTERNAL_H

#include "../lib/lockdep.h"

#include <memhp/hugetlb.h>
#include <memhp/memhp.h>
#include <memhp/sysctl.h>

#include "spinlock.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

/* ---- Small helpers -------------------------------------------------------- */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define CLAMP(v, lo, hi) MIN(MAX(v, lo), hi)
#define IS_ALIGNED(x, a) (((x) & ((typeof(x))(a)-1)) == 0)
#define ALIGN_DOWN(x, a) ((x) & ~((typeof(x))(a)-1))
#define ALIGN_UP(x, a) ALIGN_DOWN((x) + (a)-1, (a))
#define BITS_PER_WORD 64 /* bits of a uint64_t bitmap word */
#define BITS_TO_WORDS(n) (((n) + BITS_PER_WORD - 1) / BITS_PER_WORD)
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Relaxed atomics for counters that readers look at without a lock. */
#define READ_ONCE(x) atomic_load_explicit(&(x), memory_order_relaxed)
#define WRITE_ONCE(x, v) atomic_store_explicit(&(x), (v), memory_order_relaxed)
#define ADD_ONCE(x, v) atomic_fetch_add_explicit(&(x), (v), memory_order_relaxed)

#define PFN_NIL UINT32_MAX

/* ---- struct memhp_page: 16 bytes ------------------------------------------
 *
 * Linux needs 64 bytes; we keep only what hotplug, the buddy and migration
 * look at. refcount, flags, type and order are atomics because PFN walkers
 * read them without locks; the union is protected by zone->lock while the
 * page is free (list links) and by a held reference while it is owned.
 */
enum pageflags {
	PG_reserved,
	PG_lru,
	PG_movable,  /* non-LRU movable (the mapping bit in Linux) */
	PG_isolated, /* movable page isolated for migration */
	PG_hwpoison,
	PG_offline_skippable,
	PG_dirty,
	PG_vmemmap_self_hosted,
	PG_offline_managed,  /* PageOffline, yet still in managed_pages */
	PG_slab,	     /* every page of a slab (no compound pages here) */
	PG_lru_pending,	     /* in a CPU's LRU add batch (swap.c) */
	PG_head,	     /* first page of a compound page; order in page->order */
	PG_tail,	     /* other pages of it; m.private is how far the head is */
	PG_hugetlb,	     /* head of a hugetlb page (PageHuge) */
	PG_hpage_migratable, /* HPageMigratable: in use, may be isolated */
	PG_hpage_temporary,  /* HPageTemporary: a migration target, freed after */
	NR_PAGEFLAGS
};

enum page_type {
	PGTY_NONE = 0,
	PGTY_BUDDY,
	PGTY_OFFLINE,
	PGTY_TABLE, /* PageTable: a page-table page */
};

struct memhp_page {
	union {
		struct {
			_Atomic uint32_t refcount;
			_Atomic uint16_t flags;
			_Atomic uint8_t type;
			_Atomic uint8_t order; /* buddy order while PageBuddy */
			union {
				struct { /* free: links by pfn, under zone->lock */
					uint32_t next;
					uint32_t prev;
				} buddy;
				struct { /* movable: who owns it */
					_Atomic uint32_t private;
					_Atomic uint16_t owner;
					uint16_t unused;
				} m;
			};
		};
		/* The whole descriptor as two words, for (re)initialising the
		 * memmap two stores per page. */
		_Atomic uint64_t raw[2];
	};
};
_Static_assert(sizeof(struct memhp_page) == 16, "page descriptor grew");
_Static_assert(NR_PAGEFLAGS <= 16, "page flags outgrew their 16 bits");

/* raw[0] of a page as __init_single_page() leaves it for hotplug: refcount
 * 1, PG_reserved, no type (refcount is the low half on little endian). */
#define PAGE_RAW0_FRESH (1ULL | (uint64_t)(1u << 0 /* PG_reserved */) << 32)

/* page->order of a free chunk's head: the order in the low four bits, the
 * free list (migratetype) it is on in the high four. */
#define BUDDY_ORDER_MASK 0x0fu
#define BUDDY_LIST_SHIFT 4

/* page->order of a page on a per-cpu list (pcp.c): this bit, the order in
 * the low four bits and its pageblock's type when it was freed in bits 4-6;
 * the page has no type and refcount 0, as a free chunk's tails do. */
#define PCP_PAGE_MARK 0x80u

#define PAGE_RAW0_FLAGS_SHIFT 32
#define PAGE_RAW0_TYPE_SHIFT 48
_Static_assert(PG_reserved == 0, "PAGE_RAW0_FRESH encodes PG_reserved as bit 0 of the flags");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "raw descriptor words assume little endian");

/*
 * raw[0] in one load, for loops over many pages: the fields decode as the
 * accessors below read them one at a time (refcount in the low half, then
 * flags, type, order). One load sees them all at one instant, which is one
 * of the outcomes the separate loads could have seen.
 */
#define RAW0_REFCOUNT_MASK 0xffffffffULL
#define RAW0_ORDER_SHIFT 56
#define RAW0_FLAG(f) ((uint64_t)(1u << (f)) << PAGE_RAW0_FLAGS_SHIFT)
#define RAW0_TYPE_MASK (0xffULL << PAGE_RAW0_TYPE_SHIFT)
#define RAW0_TYPE(t) ((uint64_t)(t) << PAGE_RAW0_TYPE_SHIFT)
#define RAW0_ORDER_MASK (0xffULL << RAW0_ORDER_SHIFT)
#define RAW0_COUNT(c) ((uint64_t)(uint32_t)(c))
/* raw[1] of an owned page: m.private (low half) and m.owner. */
#define RAW1_OWNER_MASK 0x0000ffffffffffffULL

static inline uint64_t page_raw0(const struct memhp_page *p)
{
	return atomic_load_explicit(&((struct memhp_page *)p)->raw[0], memory_order_acquire);
}

/*
 * How many descriptors from @page on (at most @max) have raw[0] == @w.
 * Loops over a range treat pages with equal first words alike, and most
 * ranges are long runs of them (a free block's tails, a driver's
 * PageOffline pages): once one page is classified, the loop runs over its
 * like at memory speed instead of classifying each.
 */
static inline unsigned long raw0_run(const struct memhp_page *page, unsigned long max, uint64_t w)
{
	struct memhp_page *p = (struct memhp_page *)page;
	unsigned long n = 0;

	while (n < max && atomic_load_explicit(&p[n].raw[0], memory_order_relaxed) == w)
		n++;
	return n;
}

static inline uint32_t raw0_count(uint64_t w)
{
	return (uint32_t)w;
}

static inline unsigned int raw0_type(uint64_t w)
{
	return (unsigned int)(w >> PAGE_RAW0_TYPE_SHIFT) & 0xffu;
}

static inline unsigned int raw0_order(uint64_t w)
{
	return (unsigned int)(w >> RAW0_ORDER_SHIFT) & BUDDY_ORDER_MASK;
}

static inline unsigned int raw0_order_byte(uint64_t w)
{
	return (unsigned int)(w >> RAW0_ORDER_SHIFT) & 0xffu;
}

static inline bool raw0_flag(uint64_t w, int flag)
{
	return w & RAW0_FLAG(flag);
}

static inline void page_set_raw(struct memhp_page *p, uint64_t w0, uint64_t w1)
{
	atomic_store_explicit(&p->raw[0], w0, memory_order_relaxed);
	atomic_store_explicit(&p->raw[1], w1, memory_order_relaxed);
}

static inline bool test_page_flag(const struct memhp_page *p, int flag)
{
	return atomic_load_explicit(&((struct memhp_page *)p)->flags, memory_order_relaxed) &
	       (1u << flag);
}

static inline void set_page_flag(struct memhp_page *p, int flag)
{
	atomic_fetch_or_explicit(&p->flags, (uint16_t)(1u << flag), memory_order_relaxed);
}

static inline void clear_page_flag(struct memhp_page *p, int flag)
{
	atomic_fetch_and_explicit(&p->flags, (uint16_t) ~(1u << flag), memory_order_relaxed);
}

static inline bool test_and_set_page_flag(struct memhp_page *p, int flag)
{
	return atomic_fetch_or_explicit(&p->flags, (uint16_t)(1u << flag), memory_order_acq_rel) &
	       (1u << flag);
}

static inline int page_type(const struct memhp_page *p)
{
	return atomic_load_explicit(&((struct memhp_page *)p)->type, memory_order_acquire);
}

static inline bool PageBuddy(const struct memhp_page *p)
{
	return page_type(p) == PGTY_BUDDY;
}

static inline bool PageOffline(const struct memhp_page *p)
{
	return page_type(p) == PGTY_OFFLINE;
}

static inline unsigned int buddy_order(const struct memhp_page *p)
{
	return atomic_load_explicit(&((struct memhp_page *)p)->order, memory_order_relaxed) &
	       BUDDY_ORDER_MASK;
}

static inline int buddy_list(const struct memhp_page *p)
{
	return atomic_load_explicit(&((struct memhp_page *)p)->order, memory_order_relaxed) >>
	       BUDDY_LIST_SHIFT;
}

/* On a per-cpu list: free, but not in the buddy. (A compound head uses
 * the same bit for HPageFreed.) */
static inline bool PagePcp(const struct memhp_page *p)
{
	return !page_type(p) && !test_page_flag(p, PG_head) &&
	       (atomic_load_explicit(&((struct memhp_page *)p)->order, memory_order_relaxed) &
		PCP_PAGE_MARK);
}

/* ---- Compound pages (compound.c) -------------------------------------------
 *
 * The head is PG_head with its order in page->order (the whole byte but its
 * top bit: gigantic pages are order 18); every other page is PG_tail with
 * refcount 0 and its distance from the head in m.private. The head holds the
 * references. A hugetlb page's head is also PG_hugetlb; a free one in its
 * pool has HUGETLB_FREED_MARK in page->order and is linked through its
 * buddy fields.
 */
#define COMPOUND_ORDER_MASK 0x7fu
#define HUGETLB_FREED_MARK 0x80u

#define PageHead(p) test_page_flag(p, PG_head)
#define PageTail(p) test_page_flag(p, PG_tail)

static inline bool PageCompound(const struct memhp_page *p)
{
	return atomic_load_explicit(&((struct memhp_page *)p)->flags, memory_order_relaxed) &
	       ((1u << PG_head) | (1u << PG_tail));
}

static inline unsigned int compound_order(const struct memhp_page *head)
{
	return atomic_load_explicit(&((struct memhp_page *)head)->order, memory_order_relaxed) &
	       COMPOUND_ORDER_MASK;
}

static inline unsigned int pcp_page_order(const struct memhp_page *p)
{
	return atomic_load_explicit(&((struct memhp_page *)p)->order, memory_order_relaxed) &
	       BUDDY_ORDER_MASK;
}

static inline int page_count(const struct memhp_page *p)
{
	return (int)atomic_load_explicit(&((struct memhp_page *)p)->refcount, memory_order_acquire);
}

static inline void set_page_count(struct memhp_page *p, int v)
{
	atomic_store_explicit(&p->refcount, (uint32_t)v, memory_order_release);
}

/*
 * A free page's list links share its descriptor with the owner that
 * lock-free readers (kpageflags, walkers) load: they are written as
 * relaxed atomics (a plain store on x86), so such a reader racing with a
 * free is a stale value, not a data race. Reads are under the list's lock.
 */
#define set_buddy_link(page, field, v) \
	__atomic_store_n(&(page)->buddy.field, (uint32_t)(v), __ATOMIC_RELAXED)

static inline int page_owner_id(const struct memhp_page *p)
{
	return atomic_load_explicit(&((struct memhp_page *)p)->m.owner, memory_order_relaxed);
}

static inline uint32_t page_private(const struct memhp_page *p)
{
	return atomic_load_explicit(&((struct memhp_page *)p)->m.private, memory_order_relaxed);
}

static inline void set_page_owner(struct memhp_page *p, int owner, uint32_t private)
{
	atomic_store_explicit(&p->m.private, private, memory_order_relaxed);
	atomic_store_explicit(&p->m.owner, (uint16_t)owner, memory_order_relaxed);
}

#define PageReserved(p) test_page_flag(p, PG_reserved)
#define PageLRU(p) test_page_flag(p, PG_lru)
#define __PageMovable(p) test_page_flag(p, PG_movable)
#define PageIsolated(p) test_page_flag(p, PG_isolated)
#define PageHWPoison(p) test_page_flag(p, PG_hwpoison)
#define PageOfflineSkippable(p) test_page_flag(p, PG_offline_skippable)
#define PageOfflineManaged(p) test_page_flag(p, PG_offline_managed)
#define PageSlab(p) test_page_flag(p, PG_slab)

/* The head of a compound page, from any of its pages (itself otherwise). */
static inline struct memhp_page *compound_head(struct memhp_page *p)
{
	if (unlikely(PageTail(p)))
		return p - atomic_load_explicit(&p->m.private, memory_order_relaxed);
	return p;
}

/* ---- Sections ---------------------------------------------------------- */

#define SECTION_MARKED_PRESENT (1u << 0)
#define SECTION_HAS_MEM_MAP (1u << 1)
#define SECTION_IS_ONLINE (1u << 2)
#define SECTION_IS_EARLY (1u << 3)
/* Left present by a hot-add that failed at a later section: 6.1's
 * __add_pages() does not undo the sections before the one that failed. */
#define SECTION_ADD_FAILED (1u << 4)

struct mem_section {
	_Atomic uint8_t flags;
	int8_t nid;
	/* The kernel pages that hold this section's memmap in the kernel we
	 * model (its vmemmap); freed when the section goes away. */
	unsigned int nr_memmap_chunks;
	uint32_t *memmap_chunks; /* pfn of each chunk */
	uint8_t *memmap_chunk_orders;
	/* memhp's own: the section is gone but the host still holds its
	 * descriptors, zeroed and charged to host_budget, for the next
	 * sparse_add_section() of it (sparse_remove_section()). Under
	 * mem_hotplug_lock. */
	bool memmap_kept;
};

/* ---- Zones and the node ------------------------------------------------ */

#define NR_ORDERS (MEMHP_MAX_ORDER_LIMIT + 1)
#define MIGRATE_UNMOVABLE MEMHP_MIGRATE_UNMOVABLE
#define MIGRATE_MOVABLE MEMHP_MIGRATE_MOVABLE
#define MIGRATE_RECLAIMABLE MEMHP_MIGRATE_RECLAIMABLE
#define MIGRATE_PCPTYPES MEMHP_MIGRATE_HIGHATOMIC
#define MIGRATE_HIGHATOMIC MEMHP_MIGRATE_HIGHATOMIC
#define MIGRATE_CMA MEMHP_MIGRATE_CMA
#define MIGRATE_ISOLATE MEMHP_MIGRATE_ISOLATE
#define MIGRATE_TYPES MEMHP_MIGRATE_TYPES

#define ZONE_DMA MEMHP_ZONE_DMA
#define ZONE_DMA32 MEMHP_ZONE_DMA32
#define ZONE_NORMAL MEMHP_ZONE_NORMAL
#define ZONE_MOVABLE MEMHP_ZONE_MOVABLE
#define MAX_NR_ZONES MEMHP_NR_ZONES

/* The watermarks zoneinfo shows (6.1 also has WMARK_PROMO, for memory
 * tiering, which it does not print), and the lowmem reserves, one per
 * zone and one for ZONE_DEVICE, which memhp never fills. */
enum zone_watermarks {
	WMARK_MIN = MEMHP_WMARK_MIN,
	WMARK_LOW = MEMHP_WMARK_LOW,
	WMARK_HIGH = MEMHP_WMARK_HIGH,
	NR_WMARK = MEMHP_NR_WMARK
};
#define NR_RESERVE_ZONES (MAX_NR_ZONES + 1)

struct free_list {
	uint32_t head;
	uint32_t tail;
};

struct free_area {
	struct free_list free_list[MIGRATE_TYPES];
	unsigned long nr_free;
	unsigned long nr_free_mt[MIGRATE_TYPES]; /* chunks per list */
};

/* Per-cpu lists (pcp.c), as 6.1 sizes them. */
#define PAGE_ALLOC_COSTLY_ORDER 3
#define NR_LOWORDER_PCP_LISTS (MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1))
#define NR_PCP_THP 2 /* pageblock order: movable and the rest */
#define NR_PCP_LISTS (NR_LOWORDER_PCP_LISTS + NR_PCP_THP)
#define PCP_BATCH_SCALE_MAX 5 /* CONFIG_PCP_BATCH_SCALE_MAX of Debian's 6.1 */
#define BOOT_PAGESET_HIGH 0
#define BOOT_PAGESET_BATCH 1

struct per_cpu_pages {
	spinlock_t lock;   /* pcp->lock, a spinlock as in 6.1: see spinlock.h */
	_Atomic int count; /* pages on the lists, read racily by drains */
	_Atomic int high, batch;
	short free_factor; /* under lock */
	struct free_list lists[NR_PCP_LISTS];
};

struct pglist_data;

struct zone {
	struct mutex lock;
	struct free_area free_area[NR_ORDERS];
	unsigned long nr_isolate_pageblock; /* under lock */

	/* Span: written under lock by hotplug, read lock-free. */
	_Atomic unsigned long zone_start_pfn;
	_Atomic unsigned long spanned_pages;
	/* Written under the hotplug lock, read lock-free. */
	_Atomic unsigned long present_pages;
	_Atomic unsigned long present_early_pages;
	_Atomic long managed_pages;
	/* watermark.c writes them under vm.wmark_lock; read lock-free. */
	_Atomic unsigned long watermark[NR_WMARK];
	_Atomic long lowmem_reserve[NR_RESERVE_ZONES];
	_Atomic long vm_nr_free_pages;	   /* NR_FREE_PAGES */
	_Atomic long vm_nr_free_cma_pages; /* NR_FREE_CMA_PAGES: of the CMA lists */
	_Atomic unsigned long cma_pages;   /* pages of CMA areas (cma.c) */

	struct pglist_data *zone_pgdat;
	enum memhp_zone_type idx;
	const char *name;

	/* One per simulated CPU (pcp.c); pageset_high and pageset_batch
	 * under the machine's pcp_batch_high_lock. */
	struct per_cpu_pages *per_cpu_pageset;
	int pageset_high, pageset_batch;
	/* Set once zone_pcp_disable() has drained every list, cleared by
	 * zone_pcp_enable(): only then is a page on a list a bug. */
	_Atomic bool pcp_drained_disabled;
};

static inline unsigned long zone_end_pfn(const struct zone *z)
{
	return READ_ONCE(((struct zone *)z)->zone_start_pfn) +
	       READ_ONCE(((struct zone *)z)->spanned_pages);
}

static inline bool zone_is_empty(const struct zone *z)
{
	return READ_ONCE(((struct zone *)z)->spanned_pages) == 0;
}

static inline bool populated_zone(const struct zone *z)
{
	return READ_ONCE(((struct zone *)z)->present_pages) != 0;
}

static inline unsigned long min_wmark_pages(const struct zone *z)
{
	return READ_ONCE(((struct zone *)z)->watermark[WMARK_MIN]);
}

static inline unsigned long low_wmark_pages(const struct zone *z)
{
	return READ_ONCE(((struct zone *)z)->watermark[WMARK_LOW]);
}

static inline unsigned long high_wmark_pages(const struct zone *z)
{
	return READ_ONCE(((struct zone *)z)->watermark[WMARK_HIGH]);
}

static inline bool zone_spans_pfn(const struct zone *z, unsigned long pfn)
{
	return READ_ONCE(((struct zone *)z)->zone_start_pfn) <= pfn && pfn < zone_end_pfn(z);
}

/* Linux's MAX_NUMNODES on Debian's 6.1 (NODES_SHIFT 10): the weight
 * find_next_best_node() gives a distance against the load of a node. */
#define LINUX_MAX_NUMNODES 1024

/* The node counters: MEMHP_NR_SLAB_RECLAIMABLE .. MEMHP_NR_PAGE_TABLE_PAGES
 * of enum memhp_vmstat_item, kept in each pglist_data. */
#define NR_VM_NODE_STAT_ITEMS (MEMHP_NR_PAGE_TABLE_PAGES - MEMHP_NR_SLAB_RECLAIMABLE + 1)

static inline bool is_node_stat_item(enum memhp_vmstat_item item)
{
	return item >= MEMHP_NR_SLAB_RECLAIMABLE && item <= MEMHP_NR_PAGE_TABLE_PAGES;
}

struct pglist_data {
	struct zone node_zones[MAX_NR_ZONES];
	int node_id;
	_Atomic unsigned long node_start_pfn;
	_Atomic unsigned long node_spanned_pages;
	_Atomic unsigned long node_present_pages;
	/* node_states[]: written under mem_hotplug_lock, read lock-free. */
	_Atomic bool n_memory, n_normal_memory, n_online;
	/* The zonelist (build_zonelists()): the nodes an allocation that
	 * prefers this one tries, itself first, then by distance; rebuilt
	 * under mem_hotplug_lock, read lock-free by allocators. */
	_Atomic int8_t node_order[MEMHP_MAX_NUMNODES];
	_Atomic int nr_node_order;
	/* vm_stat[]: the node counters (vmstat.c), what node_page_state()
	 * reads; 6.1 batches them per cpu, a relaxed atomic is enough here. */
	_Atomic long vm_stat[NR_VM_NODE_STAT_ITEMS];
};

/* Every zone of every possible node, node by node, DMA first. */
#define for_each_zone(m, var) \
	for (struct zone *var = &(m)->node_data[0].node_zones[0]; var; var = next_zone(m, var))

/* A zonelist's zones, at most. */
#define MAX_ZONELIST (MEMHP_MAX_NUMNODES * MAX_NR_ZONES)

static inline int zone_to_nid(const struct zone *zone)
{
	return zone->zone_pgdat->node_id;
}

/* ---- Memory blocks and groups ---------------------------------------- */

struct memory_group {
	bool used;
	bool is_dynamic;
	int nid;
	unsigned long max_pages;  /* static */
	unsigned long unit_pages; /* dynamic */
	_Atomic unsigned long present_kernel_pages;
	_Atomic unsigned long present_movable_pages;
	unsigned long nr_blocks;
};

#define MEMHP_MAX_MEMORY_GROUPS 64

/*
 * Blocks are never freed while the machine lives: lock-free readers (sysfs
 * show functions) may look at a block being removed; they see !present.
 */
struct memory_block {
	/* Fixed for the slot when the machine is created. */
	unsigned long id;
	unsigned long start_section_nr;
	_Atomic bool present;
	/* Odd while add or remove rewrite the block: memhp_block_info()
	 * retries, so it never returns half of one and half of another. */
	_Atomic unsigned int seq;
	_Atomic int state;	  /* MEM_ONLINE, MEM_GOING_OFFLINE, MEM_OFFLINE */
	int online_type;	  /* under device_hotplug_lock */
	_Atomic bool dev_offline; /* dev->offline */
	/* Written under device_hotplug_lock by add and remove, read by
	 * lock-free sysfs readers too. */
	_Atomic int nid;
	_Atomic(struct zone *) zone;
	_Atomic unsigned long nr_vmemmap_pages;
	_Atomic(struct memory_group *) group;
	_Atomic bool early;
	struct mutex dev_lock; /* device_lock(&mem->dev) */
};

/* ---- Resources (/proc/iomem) ----------------------------------------- */

#define IORESOURCE_SYSTEM_RAM (1u << 0)
#define IORESOURCE_BUSY (1u << 1)
#define IORESOURCE_SYSRAM_DRIVER_MANAGED (1u << 2)
#define IORESOURCE_EXCLUSIVE (1u << 3)

/* "System RAM (virtio_mem)" and the like fit. */
#define RESOURCE_NAME_MAX 48

struct resource {
	uint64_t start, end; /* inclusive, as the kernel keeps them */
	char name[RESOURCE_NAME_MAX];
	unsigned int flags;
	struct resource *parent, *child, *sibling;
	struct resource *prev; /* the sibling before, NULL for the first child */
};

/* /sys/firmware/memmap entries, in number order; under resource_lock. */
#define FIRMWARE_MAP_MIN_ENTRIES 16
struct firmware_map {
	struct memhp_firmware_map_entry *e;
	size_t nr, cap;
	unsigned int next_nr; /* map_entries_nr: numbers are never reused */
};

/* ---- Hugetlb (hugetlb.c) --------------------------------------------------- */

struct hstate {
	unsigned int order;
	bool gigantic; /* above the buddy's max order: alloc_contig_pages() */
	/* Under hugetlb_lock. */
	unsigned long max_huge_pages, nr_huge_pages, free_huge_pages, resv_huge_pages,
		surplus_huge_pages, nr_overcommit_huge_pages;
	unsigned long nr_huge_pages_node[MEMHP_MAX_NUMNODES];
	unsigned long free_huge_pages_node[MEMHP_MAX_NUMNODES];
	unsigned long surplus_huge_pages_node[MEMHP_MAX_NUMNODES];
	struct free_list hugepage_freelists[MEMHP_MAX_NUMNODES]; /* heads, LIFO */
	int next_nid_to_alloc, next_nid_to_free;
	struct mutex resize_lock; /* one nr_hugepages write at a time */
};

/* ---- CMA (cma.c) ----------------------------------------------------------- */

struct cma {
	unsigned long base_pfn, count; /* 0 pages: no area */
	struct mutex lock;	       /* the bitmap */
	uint64_t *bitmap;	       /* a bit per page: handed out by cma_alloc() */
};

/* ---- Movable owners ------------------------------------------------------ */

struct movable_owner {
	_Atomic(const struct memhp_movable_operations *) ops;
	void *owner;
};

/* ---- Notifiers ----------------------------------------------------------- */

struct notifier_head {
	struct rw_semaphore rwsem;
	struct memhp_notifier_block *head;
};

/* ---- Violations ------------------------------------------------------------ */

#define MEMHP_VIOLATION_LOG 256

struct violation_log {
	struct mutex lock;
	size_t total;
	size_t kept;
	struct memhp_violation v[MEMHP_VIOLATION_LOG];
};

/* ---- The vm sysctls (sysctl.c) and the watermarks (watermark.c) ----------- */

/* Slots for the sysctls that only keep a value (sysctl.c's table). */
#define VM_SYSCTL_PLAIN_MAX 48

/* Their values, read lock-free; writers hold wmark_lock. */
struct vm_sysctls {
	struct mutex wmark_lock;
	_Atomic long min_free_kbytes;
	_Atomic long user_min_free_kbytes; /* -1 until the user writes one */
	_Atomic long watermark_scale_factor;
	_Atomic long lowmem_reserve_ratio[NR_RESERVE_ZONES];
	_Atomic unsigned long totalreserve_pages;
	_Atomic int thp_mode;	 /* enum memhp_thp_mode, at run time */
	bool khugepaged_running; /* khugepaged_thread; under wmark_lock */
	bool thp_small_system;	 /* hugepage_init() cleared THP's flags */
	/* The sysctls that only keep their value: sysctl.c's table. */
	_Atomic long plain[VM_SYSCTL_PLAIN_MAX];
	bool drop_caches_quiet; /* after a write with bit 4; under wmark_lock */
	struct memhp_notifier_block reserve_nb;
};

void setup_per_zone_wmarks(struct memhp_machine *m);
void init_per_zone_wmark_min(struct memhp_machine *m);
void watermark_init(struct memhp_machine *m);
void watermark_set_min_free_kbytes(struct memhp_machine *m, long kbytes);
void watermark_update_lowmem_reserve(struct memhp_machine *m);
/* At machine creation, after boot memory is free: the defaults, the
 * reserves and their notifier, then init_per_zone_wmark_min(). Returns 0
 * or -ENOMEM. */
int vm_sysctls_init(struct memhp_machine *m);
void vm_sysctls_destroy(struct memhp_machine *m);

/* ---- The machine ------------------------------------------------------------ */

/* A machine's subscribers to its events (events.c). */
struct event_sub;
struct mhp_events {
	_Atomic uint64_t types; /* what any subscriber wants: emitters test it first */
	struct event_sub *_Atomic head;
	_Atomic unsigned long gen; /* subscriptions so far */
	pthread_mutex_t lock;	   /* edits of the list */
	/* The grace periods: emitters count themselves in readers[gp_idx & 1]. */
	_Atomic unsigned long readers[2];
	_Atomic unsigned int gp_idx;
	pthread_mutex_t gp_lock; /* one grace period at a time */
	pthread_mutex_t wait_lock;
	pthread_cond_t drained;
	_Atomic unsigned int waiting;
};

struct memhp_machine {
	struct memhp_config cfg;

	/* Geometry, derived from cfg. */
	unsigned int section_shift; /* PFN_SECTION_SHIFT */
	unsigned long pages_per_section;
	unsigned long sections_per_block;
	unsigned long pages_per_block;
	unsigned int pageblock_order;
	unsigned long pageblock_nr_pages;
	unsigned int max_order; /* MAX_ORDER - 1 */
	unsigned long max_pfn;	/* end of the address space */
	unsigned long nr_sections;
	unsigned long nr_block_ids;
	unsigned long memmap_pages_per_section; /* charged kernel pages */

	/* Physical memory: one reservation; present ranges are read-write. */
	uint8_t *phys;
	size_t phys_len;

	/* The vmemmap: a reservation aligned so that a descriptor finds its
	 * machine by masking (the first page holds a back pointer). */
	void *vmemmap_area;
	size_t vmemmap_area_len;
	struct memhp_page *vmemmap; /* pfn 0 */
	/* Bytes of descriptors the host can still fault in for this machine
	 * (host_memory.c): what it had left at creation, less what
	 * vmemmap_populate() took since; INT64_MAX when not counted. */
	_Atomic int64_t host_budget;

	struct mem_section *sections;
	_Atomic uint8_t *pageblock_flags; /* migratetype | zone << 4 */

	/* NODE_DATA(): the possible nodes, 0 .. nr_node_ids - 1 (one unless
	 * cfg.nr_nodes says more). */
	union {
		struct pglist_data node_data[MEMHP_MAX_NUMNODES];
		struct pglist_data node; /* node 0 (white-box tests) */
	};
	int nr_node_ids;
	int cpu_to_node[MEMHP_MAX_CPUS]; /* fixed at creation */
	_Atomic long totalram_pages;
	unsigned int nr_cpus; /* cfg.nr_cpus, at least 1 */
	/* pcp.c: zone_pcp_disable() holds pcp_batch_high_lock until
	 * zone_pcp_enable(); one drain of every zone at a time. */
	struct mutex pcp_batch_high_lock;
	struct mutex pcpu_drain_mutex;
	/* hugetlb.c: the hstates, 2 MiB first; hugetlb_lock is innermost
	 * but for nothing: no allocation or free runs under it. */
	struct cma cma;
	struct hstate hstates[MEMHP_HUGETLB_MAX_HSTATES];
	int nr_hstates;
	struct mutex hugetlb_lock;
	/* swap.c: the LRU add batch of each CPU, and lru_cache_disable(). */
	struct lru_add_batch *lru_add;
	_Atomic int lru_disable_count;
	int policy_zone; /* under mem_hotplug_lock; never goes down */
	/* x86's add_pages() WARN_ON_ONCE(): said once per boot; under
	 * mem_hotplug_lock. */
	bool add_pages_warned;

	struct memory_block *blocks; /* by id */
	_Atomic unsigned long nr_present_blocks;
	struct memory_group groups[MEMHP_MAX_MEMORY_GROUPS];

	/* Locks, outer to inner. */
	struct mutex device_hotplug_lock;
	/* One memory failure or soft offline at a time (mm/memory-failure.c);
	 * the checker takes it too, so it never sees a page poisoned and not
	 * yet counted. */
	struct mutex mf_mutex;
	struct rw_semaphore mem_hotplug_lock;
	struct mutex online_page_callback_lock;
	struct rw_semaphore page_offline_rwsem;
	struct mutex resource_lock;
	struct mutex misc_lock; /* owners, rng, faults */

	struct notifier_head memory_chain;
	memhp_online_page_callback_t online_page_callback; /* NULL: generic */
	void *online_page_callback_priv;

	struct movable_owner owners[MEMHP_MAX_MOVABLE_OWNERS];

	struct resource iomem;
	struct firmware_map firmware_map;
	/* The resource last added or next to the one last released, under
	 * resource_lock: drivers add their blocks upwards and remove them
	 * downwards, and searching the siblings from the first for each
	 * made a terabyte of 128 MiB blocks quadratic. */
	struct resource *resource_hint;

	/* Policy knobs that sysfs writes change at run time. */
	_Atomic int auto_online_blocks;
	_Atomic int online_policy;
	_Atomic unsigned int auto_movable_ratio;
	_Atomic bool auto_movable_numa_aware;

	/* Fault injection. */
	_Atomic long fault_remaining[MEMHP_NR_FAULTS];
	_Atomic unsigned long fault_hits[MEMHP_NR_FAULTS];
	/* Attempts to let through before failing, and attempts seen while
	 * armed (memhp_fault_arm()). */
	_Atomic long fault_skip[MEMHP_NR_FAULTS];
	_Atomic unsigned long fault_calls[MEMHP_NR_FAULTS];

	struct {
		uint64_t start, end;
	} host_claims[MEMHP_MAX_HOST_CLAIMS]; /* under misc_lock */

	struct {
		const void *key;
		void *data;
		void (*destroy)(void *data);
	} attached[MEMHP_MAX_ATTACHMENTS]; /* under misc_lock */

	struct mhp_events events;

	uint64_t rng[4];
	struct {
		uint64_t begin_ns;
		unsigned int printed;
	} ratelimit; /* under misc_lock */

	/* Slab caches, in creation order (slab.c), for /proc/slabinfo. */
	struct mutex slab_caches_lock;
	struct memhp_kmem_cache *slab_caches;

	struct vm_sysctls vm;

	/* /proc/vmstat's events (vmstat.c); NR_FREE_PAGES lives in the
	 * zones, the node counters in the pglist_data (their slots here
	 * stay 0). */
	_Atomic long vmstat[MEMHP_NR_VMSTAT_ITEMS];

	/* x86's max_pfn: one past the highest pfn memory was ever added at
	 * (kpageflags.c). */
	_Atomic unsigned long kernel_max_pfn;

	/* num_poisoned_pages: one global counter in 6.1, one per machine here. */
	_Atomic long num_poisoned_pages;

	struct violation_log violations;
	struct printk_ring *printk; /* the kernel log (printk.c) */
	/* The event in flight (MEM_GOING_ONLINE or MEM_GOING_OFFLINE) and its
	 * range, for the event-order invariants; under mem_hotplug_lock. */
	unsigned long notify_pending;
	unsigned long notify_start, notify_nr;
	/* Pages checked by range since the last whole check (check.c);
	 * under device_hotplug_lock. */
	unsigned long check_debt;
	/* With config.check_after_ops, one bit per pfn: the page is in its
	 * zone's managed_pages. Every change of the count changes the bits
	 * of the pages it is about, so the checker can name the page a drifted
	 * count is off by (check.c, managed_ledger_*). NULL without. */
	_Atomic uint64_t *managed_ledger;
	/* The last changes of the ledger, for a finding to say who last
	 * changed a page's bit (check.c). */
	struct ledger_history *managed_history;
	/* alloc_contig_range() calls between their isolation and its undo:
	 * pageblocks they isolate may sit in a range whose offline is being
	 * cancelled, which is no bug of the offline's. */
	_Atomic long contig_in_flight;
	/* Set while __offline_isolated_pages() runs, so a "bad page" free can be
	 * told from other frees. */
	_Atomic unsigned long hotplug_ops;
	/*
	 * Bulk updates of the memmap (memmap.c): they write a range of pages
	 * with plain stores, which is only the same as the per-page atomics
	 * while nobody else writes those descriptors. pfn_walkers is set for
	 * good once code that takes references on pages it does not own has
	 * run on the machine (memhp_note_pfn_walker()); bulk_lock is held for
	 * reading by a bulk update and for writing while the flag is set, so
	 * that no bulk update is still running once a walker starts.
	 */
	_Atomic bool pfn_walkers;
	struct rw_semaphore bulk_lock;
	_Atomic unsigned long nr_bulk_updates; /* for the tests */
};

/* The zone after @zone: the node's next, else the next node's first. */
static inline struct zone *next_zone(const struct memhp_machine *m, struct zone *zone)
{
	const struct pglist_data *pgdat = zone->zone_pgdat;

	if (zone < &pgdat->node_zones[MAX_NR_ZONES - 1])
		return zone + 1;
	if (pgdat->node_id + 1 < m->nr_node_ids)
		return (struct zone *)&m->node_data[pgdat->node_id + 1].node_zones[0];
	return NULL;
}

/* ---- Geometry helpers ------------------------------------------------------ */

static inline unsigned long pfn_to_section_nr(const struct memhp_machine *m, unsigned long pfn)
{
	return pfn >> m->section_shift;
}

static inline unsigned long section_nr_to_pfn(const struct memhp_machine *m, unsigned long nr)
{
	return nr << m->section_shift;
}

static inline unsigned long pfn_to_block_id(const struct memhp_machine *m, unsigned long pfn)
{
	return pfn / m->pages_per_block;
}

static inline uint64_t PFN_PHYS(unsigned long pfn)
{
	return (uint64_t)pfn << MEMHP_PAGE_SHIFT;
}

static inline unsigned long PHYS_PFN(uint64_t phys)
{
	return (unsigned long)(phys >> MEMHP_PAGE_SHIFT);
}

static inline struct memhp_page *pfn_to_page(const struct memhp_machine *m, unsigned long pfn)
{
	return m->vmemmap + pfn;
}

static inline unsigned long page_to_pfn_m(const struct memhp_machine *m,
					  const struct memhp_page *page)
{
	return (unsigned long)(page - m->vmemmap);
}

static inline bool section_flag(const struct memhp_machine *m, unsigned long nr, unsigned f)
{
	return atomic_load_explicit(&m->sections[nr].flags, memory_order_acquire) & f;
}

static inline bool pfn_valid_m(const struct memhp_machine *m, unsigned long pfn)
{
	return pfn < m->max_pfn &&
	       section_flag(m, pfn_to_section_nr(m, pfn), SECTION_MARKED_PRESENT);
}

static inline bool pfn_online(const struct memhp_machine *m, unsigned long pfn)
{
	return pfn < m->max_pfn && section_flag(m, pfn_to_section_nr(m, pfn), SECTION_IS_ONLINE);
}

/* Pageblock flags: bits 0-2 migratetype, bits 3-7 the zone as node *
 * MAX_NR_ZONES + zone index (what page_zone() finds in page->flags). */
#define PB_MT_MASK 0x7u
#define PB_ZONE_SHIFT 3
_Static_assert(MEMHP_MAX_NUMNODES *MAX_NR_ZONES <= (0xff >> PB_ZONE_SHIFT) + 1,
	       "a pageblock's zone slot outgrew its 5 bits");

static inline unsigned long pfn_to_pageblock(const struct memhp_machine *m, unsigned long pfn)
{
	return pfn >> m->pageblock_order;
}

static inline int get_pfnblock_migratetype(const struct memhp_machine *m, unsigned long pfn)
{
	return atomic_load_explicit(&m->pageblock_flags[pfn_to_pageblock(m, pfn)],
				    memory_order_relaxed) &
	       PB_MT_MASK;
}

static inline void set_pageblock_migratetype(struct memhp_machine *m, unsigned long pfn, int mt)
{
	_Atomic uint8_t *f = &m->pageblock_flags[pfn_to_pageblock(m, pfn)];
	uint8_t old = atomic_load_explicit(f, memory_order_relaxed);

	atomic_store_explicit(f, (uint8_t)((old & ~PB_MT_MASK) | (unsigned)mt),
			      memory_order_relaxed);
}

static inline bool is_migrate_isolate_pfn(const struct memhp_machine *m, unsigned long pfn)
{
	return get_pfnblock_migratetype(m, pfn) == MIGRATE_ISOLATE;
}

static inline struct zone *pfn_zone(struct memhp_machine *m, unsigned long pfn)
{
	unsigned z = atomic_load_explicit(&m->pageblock_flags[pfn_to_pageblock(m, pfn)],
					  memory_order_relaxed) >>
		     PB_ZONE_SHIFT;
	return &m->node_data[z / MAX_NR_ZONES].node_zones[z % MAX_NR_ZONES];
}

static inline int pfn_to_nid(struct memhp_machine *m, unsigned long pfn)
{
	return zone_to_nid(pfn_zone(m, pfn));
}

static inline struct pglist_data *NODE_DATA_M(struct memhp_machine *m, int nid)
{
	return &m->node_data[nid];
}

static inline void set_pageblock_zone(struct memhp_machine *m, unsigned long pfn,
				      const struct zone *zone)
{
	_Atomic uint8_t *f = &m->pageblock_flags[pfn_to_pageblock(m, pfn)];
	uint8_t old = atomic_load_explicit(f, memory_order_relaxed);
	unsigned slot = (unsigned)(zone_to_nid(zone) * MAX_NR_ZONES + (int)zone->idx);

	atomic_store_explicit(f, (uint8_t)((old & PB_MT_MASK) | slot << PB_ZONE_SHIFT),
			      memory_order_relaxed);
}

static inline bool pageblock_aligned(const struct memhp_machine *m, unsigned long pfn)
{
	return IS_ALIGNED(pfn, m->pageblock_nr_pages);
}

static inline bool migratetype_is_mergeable(int mt)
{
	return mt < MIGRATE_PCPTYPES;
}

/* physmem.c: the machine whose memmap holds @page. */
struct memhp_machine *page_machine(const struct memhp_page *page);

/* fault.c: is this call of fault point @fault one that fails? */
bool mhp_should_fail(struct memhp_machine *m, enum memhp_fault fault);

/*
 * A scheduling point (memhp_set_sched_hook()): each refcount operation and
 * allocation calls it, so that a deterministic scheduler may switch
 * threads there. Off, it is one relaxed load and a branch never taken.
 */
extern void (*_Atomic mhp_sched_hook)(void);
static inline void mhp_sched_point(void)
{
	void (*hook)(void) = atomic_load_explicit(&mhp_sched_hook, memory_order_relaxed);

	if (__builtin_expect(hook != NULL, 0))
		hook();
}
/* events.c: events and tracepoints (memhp/events.h). */
void mhp_events_init(struct mhp_events *e);
void mhp_events_destroy(struct mhp_events *e);
/* Deliver @ev to its subscribers; callers test mhp_event_enabled() first. */
void mhp_event_emit(struct memhp_machine *m, const struct memhp_event *ev);
static inline bool mhp_event_enabled(struct memhp_machine *m, enum memhp_event_type type)
{
	return atomic_load_explicit(&m->events.types, memory_order_relaxed) & MEMHP_EVENT_BIT(type);
}
/*
 * Emit an event of @ev_type with the payload .@member = { designated
 * initializers }; with nobody subscribed to @ev_type, one relaxed load and
 * the payload is never built:
 *   mhp_emit(m, MEMHP_TP_DRAIN_ALL_PAGES, drain, .nr_pages = drained);
 */
#define mhp_emit(m, ev_type, member, ...)                                                         \
	do {                                                                                      \
		struct memhp_machine *m_ = (m);                                                   \
		if (mhp_event_enabled(m_, (ev_type)))                                             \
			mhp_event_emit(m_,                                                        \
				       &(const struct memhp_event){ .type = (ev_type),            \
								    .member = { __VA_ARGS__ } }); \
	} while (0)
/* The tracepoints of a hotplug operation and of its phases. */
static inline void trace_op_begin(struct memhp_machine *m, enum memhp_op op, unsigned long pfn,
				  unsigned long nr_pages, int zone)
{
	mhp_emit(m, MEMHP_TP_OP_BEGIN, op, .op = op, .start_pfn = pfn, .nr_pages = nr_pages,
		 .zone = zone);
}
static inline void trace_op_end(struct memhp_machine *m, enum memhp_op op, unsigned long pfn,
				unsigned long nr_pages, int zone, unsigned long rounds, int ret)
{
	mhp_emit(m, MEMHP_TP_OP_END, op, .op = op, .start_pfn = pfn, .nr_pages = nr_pages,
		 .zone = zone, .rounds = rounds, .ret = ret);
}
static inline void trace_phase_begin(struct memhp_machine *m, enum memhp_phase phase,
				     unsigned long pfn, unsigned long nr_pages)
{
	mhp_emit(m, MEMHP_TP_PHASE_BEGIN, phase, .phase = phase, .start_pfn = pfn,
		 .nr_pages = nr_pages);
}
static inline void trace_phase_end(struct memhp_machine *m, enum memhp_phase phase,
				   unsigned long pfn, unsigned long nr_pages,
				   unsigned long pages_moved, int ret)
{
	mhp_emit(m, MEMHP_TP_PHASE_END, phase, .phase = phase, .start_pfn = pfn,
		 .nr_pages = nr_pages, .pages_moved = pages_moved, .ret = ret);
}

/* __ratelimit() with DEFAULT_RATELIMIT_{INTERVAL,BURST}: true while fewer
 * than the burst were printed in the current interval. */
bool mhp_ratelimit(struct memhp_machine *m);

/* printk.c: the kernel log. */
#define KERN_EMERG MEMHP_KERN_EMERG
#define KERN_ALERT MEMHP_KERN_ALERT
#define KERN_CRIT MEMHP_KERN_CRIT
#define KERN_ERR MEMHP_KERN_ERR
#define KERN_WARNING MEMHP_KERN_WARNING
#define KERN_NOTICE MEMHP_KERN_NOTICE
#define KERN_INFO MEMHP_KERN_INFO
#define KERN_DEBUG MEMHP_KERN_DEBUG
struct printk_ring;
int printk_init(struct memhp_machine *m);
void printk_destroy(struct memhp_machine *m);
/* Timelines have always seen a kernel-log line cut this short; the ring
 * keeps up to MEMHP_LOG_LINE_MAX. */
#define MHP_LOG_LINE_MAX 256
/*
 * A line of the core, at the level 6.1 prints it with (pr_debug() lines at
 * KERN_DEBUG): into the ring, and to subscribers as a MEMHP_TP_PRINTK.
 */
void mhp_log(struct memhp_machine *m, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void mhp_vlog(struct memhp_machine *m, int level, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* The line of a finding, at KERN_ERR: its MEMHP_TP_PRINTK points at @finding. */
void mhp_log_finding(struct memhp_machine *m, const struct memhp_ev_finding *finding,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* host_memory.c: the host memory a machine needs at creation (its bytes;
 * *@ram gets the boot RAM), and whether the host has it: 0 and the
 * descriptors' budget in *@budget, or -ENOMEM with the reason in @msg.
 * mhp_host_root prefixes the files read. */
extern const char *mhp_host_root;
uint64_t mhp_host_memory_need(const struct memhp_config *cfg, uint64_t *ram);
int mhp_host_memory_check(const struct memhp_config *cfg, int64_t *budget, char *msg, size_t len);

/* physmem.c: the host memory behind physical addresses. */
int physmem_reserve(struct memhp_machine *m);
void physmem_release(struct memhp_machine *m);
int physmem_populate(struct memhp_machine *m, uint64_t start, uint64_t size);
void physmem_discard(struct memhp_machine *m, uint64_t start, uint64_t size);
int vmemmap_reserve(struct memhp_machine *m);
void vmemmap_release(struct memhp_machine *m);
int vmemmap_populate(struct memhp_machine *m, unsigned long pfn, unsigned long nr);
void vmemmap_depopulate(struct memhp_machine *m, unsigned long pfn, unsigned long nr);
bool vmemmap_reclaim_kept(struct memhp_machine *m);

/* memmap.c */
int sparse_add_section(struct memhp_machine *m, unsigned long nr, int nid, bool early);
int sparse_charge_section(struct memhp_machine *m, unsigned long nr, int nid);
void sparse_remove_section(struct memhp_machine *m, unsigned long nr, unsigned long map_offset);
void online_mem_sections(struct memhp_machine *m, unsigned long start, unsigned long end);
void offline_mem_sections(struct memhp_machine *m, unsigned long start, unsigned long end);
void memmap_init_range(struct memhp_machine *m, unsigned long start, unsigned long nr,
		       const struct zone *zone, int migratetype);
void memmap_init_page(struct memhp_page *page);
/* get_page_unless_zero() for the core's own users (migration of movable
 * pages it isolated): not a PFN walker's. */
bool get_page_unless_zero(struct memhp_page *page);
bool memmap_bulk_begin(struct memhp_machine *m);
void memmap_bulk_end(struct memhp_machine *m);
void report_bad_page(struct memhp_machine *m, struct memhp_page *page, const char *reason);

/* buddy.c */
void __free_one_page(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
		     unsigned int order, int migratetype, bool to_tail);
void free_one_page(struct memhp_machine *m, unsigned long pfn, unsigned int order, bool to_tail);
void free_unref_page_list(struct memhp_machine *m, const unsigned long *pfns, unsigned int nr);
void __free_pages_core(struct memhp_machine *m, unsigned long pfn, unsigned int order);
void free_the_page(struct memhp_machine *m, struct memhp_page *page, unsigned int order);
void del_page_from_free_list(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
			     unsigned int order);
void add_to_free_list(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
		      unsigned int order, int mt, bool tail);
unsigned long move_freepages_block(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
				   int mt, unsigned long *num_movable);
void move_freepages_block_isolate(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
				  int mt);
bool free_chunk_covering(struct memhp_machine *m, unsigned long pfn, unsigned long *head,
			 unsigned int *order);
unsigned long __offline_isolated_pages(struct memhp_machine *m, unsigned long start,
				       unsigned long end);
bool __isolate_free_page(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
			 unsigned int order);
bool take_page_off_buddy(struct memhp_machine *m, unsigned long pfn);
void __putback_isolated_page(struct memhp_machine *m, struct zone *zone, unsigned long pfn,
			     unsigned int order, int mt);
struct memhp_page *alloc_migration_target(struct memhp_machine *m, int src_zone, int nid,
					  unsigned int nodemask);
/* Internal gfp bit: only @nid's zones (no fallback to other nodes). */
#define __GFP_THISNODE (1u << 15)
struct memhp_page *__alloc_pages_nodemask(struct memhp_machine *m, int nid, unsigned int nodemask,
					  memhp_gfp_t gfp, unsigned int order);
struct memhp_page *__alloc_pages_exact(struct memhp_machine *m, int nid, memhp_gfp_t gfp,
				       unsigned int order);
void adjust_managed_page_count(struct memhp_machine *m, struct zone *zone, long count);
int managed_ledger_init(struct memhp_machine *m);
void managed_ledger_update(struct memhp_machine *m, unsigned long pfn, unsigned long nr,
			   bool counted, const void *site);
void managed_ledger_destroy(struct memhp_machine *m);
void buddy_init_zone(struct zone *zone);
unsigned long __rmqueue(struct memhp_machine *m, struct zone *zone, unsigned int order, int mt,
			unsigned int alloc_flags);
void check_not_isolated(struct memhp_machine *m, unsigned long pfn, unsigned int order);
/* The allocator's gatekeeper against PG_hwpoison (buddy.c): the first
 * poisoned pfn of a block taken off the free lists, or PFN_NIL. */
unsigned long check_new_pages(struct memhp_machine *m, unsigned long pfn, unsigned int order);
void report_hwpoison_leak(struct memhp_machine *m, unsigned long pfn, unsigned long poisoned,
			  unsigned int order);

/* pcp.c */
int pcp_init(struct memhp_machine *m);
void pcp_destroy(struct memhp_machine *m);
bool pcp_allowed_order(const struct memhp_machine *m, unsigned int order);
unsigned long rmqueue_pcplist(struct memhp_machine *m, struct zone *zone, unsigned int order,
			      int mt, unsigned int alloc_flags);
void free_unref_page(struct memhp_machine *m, unsigned long pfn, unsigned int order);
void free_unref_page_commit_prepared(struct memhp_machine *m, unsigned long pfn, unsigned int order,
				     int mt);
void drain_all_pages(struct memhp_machine *m, struct zone *zone);
void zone_pcp_disable(struct memhp_machine *m, struct zone *zone);
void zone_pcp_enable(struct memhp_machine *m, struct zone *zone);
void setup_zone_pageset(struct memhp_machine *m, struct zone *zone);
void zone_pcp_reset(struct memhp_machine *m, struct zone *zone);
void zone_pcp_update(struct memhp_machine *m, struct zone *zone, int cpu_online);

/* compound.c */
void prep_compound_page(struct memhp_machine *m, struct memhp_page *head, unsigned int order);
void destroy_compound_page(struct memhp_machine *m, struct memhp_page *head);
void free_compound_page(struct memhp_machine *m, struct memhp_page *head);
int split_huge_page(struct memhp_machine *m, struct memhp_page *head);

/* hugetlb.c */
int hugetlb_init(struct memhp_machine *m);
void hugetlb_destroy(struct memhp_machine *m);
static inline bool PageHuge(struct memhp_page *p)
{
	return PageCompound(p) && test_page_flag(compound_head(p), PG_hugetlb);
}
struct hstate *page_hstate(struct memhp_machine *m, struct memhp_page *head);
void free_huge_page(struct memhp_machine *m, struct memhp_page *head);
int dissolve_free_huge_pages(struct memhp_machine *m, unsigned long start, unsigned long end);
int isolate_hugetlb(struct memhp_machine *m, struct memhp_page *head);
void putback_hugetlb(struct memhp_machine *m, struct memhp_page *head);
struct memhp_page *alloc_huge_page_nodemask(struct memhp_machine *m, struct hstate *h, int nid,
					    unsigned int nodemask);
void move_hugetlb_state(struct memhp_machine *m, struct memhp_page *old, struct memhp_page *new);
int isolate_or_dissolve_huge_page(struct memhp_machine *m, struct memhp_page *page, bool *isolated);

/* cma.c */
unsigned long cma_declare_contiguous(struct memhp_machine *m, uint8_t *reserved);
int cma_activate_area(struct memhp_machine *m);
void cma_destroy(struct memhp_machine *m);
bool cma_page_allocated(struct memhp_machine *m, unsigned long pfn);

/* contig.c */
int alloc_contig_range(struct memhp_machine *m, unsigned long start, unsigned long end,
		       int migratetype, memhp_gfp_t gfp);
struct memhp_page *alloc_contig_pages(struct memhp_machine *m, unsigned long nr_pages,
				      memhp_gfp_t gfp, int nid);

/* swap.c */
int lru_cache_init(struct memhp_machine *m);
void lru_cache_destroy(struct memhp_machine *m);
void folio_add_lru(struct memhp_machine *m, struct memhp_page *page);
void lru_add_drain_all(struct memhp_machine *m);
bool lru_cache_disabled(struct memhp_machine *m);
#define LRU_ADD_BATCH_MAX 15
size_t lru_add_batched(struct memhp_machine *m, uint32_t *out);
void lru_cache_disable(struct memhp_machine *m);
void lru_cache_enable(struct memhp_machine *m);

/* zones.c */
void zones_init(struct memhp_machine *m);
void zones_destroy(struct memhp_machine *m);
struct zone *zone_for_pfn_range(struct memhp_machine *m, int online_type, int nid,
				struct memory_group *group, unsigned long start_pfn,
				unsigned long nr_pages);
struct zone *default_kernel_zone_for_pfn(struct memhp_machine *m, int nid, unsigned long start_pfn,
					 unsigned long nr_pages);
void move_pfn_range_to_zone(struct memhp_machine *m, struct zone *zone, unsigned long start,
			    unsigned long nr_pages, int migratetype, bool init_memmap);
void remove_pfn_range_from_zone(struct memhp_machine *m, struct zone *zone, unsigned long start,
				unsigned long nr_pages);
void adjust_present_page_count(struct memhp_machine *m, unsigned long pfn,
			       struct memory_group *group, long nr_pages);
bool zone_intersects(const struct zone *zone, unsigned long start, unsigned long nr);
void build_all_zonelists(struct memhp_machine *m, bool boot);
void __build_all_zonelists(struct memhp_machine *m, int self, bool boot);
bool node_online(struct memhp_machine *m, int nid);
/*
 * node_zonelist() as an allocation walks it: the populated zones of each
 * node in @nid's order (NUMA_NO_NODE: the calling CPU's node), from
 * @highest_zoneidx down within each. Nodes left out of @nodemask (a bit
 * per node; 0 is all) are skipped. Fills @out (MAX_ZONELIST entries);
 * returns how many.
 */
int node_zonelist_mask(struct memhp_machine *m, int nid, int highest_zoneidx, unsigned int nodemask,
		       struct zone **out);
#define node_zonelist(m, nid, highest, out) node_zonelist_mask(m, nid, highest, 0, out)
int nr_online_nodes(struct memhp_machine *m);
/* numa_node_id(): the node of the CPU the calling thread runs on. */
int numa_node_id(struct memhp_machine *m);

/* isolation.c */
#define MEMORY_OFFLINE 0x1
#define REPORT_FAILURE 0x2
int start_isolate_page_range(struct memhp_machine *m, unsigned long start, unsigned long end,
			     int migratetype, int flags, memhp_gfp_t gfp);
void undo_isolate_page_range(struct memhp_machine *m, unsigned long start, unsigned long end,
			     int migratetype);
/* The same after alloc_contig_range() took [start, end): every page of it
 * is the caller's, so the pageblocks wholly inside have nothing free to
 * move back (the scans that would find that out are left out). */
void undo_isolate_allocated_range(struct memhp_machine *m, unsigned long start, unsigned long end,
				  int migratetype);
int test_pages_isolated(struct memhp_machine *m, unsigned long start, unsigned long end,
			int isol_flags);

/* migration.c */
#define CONTIG_MIGRATE_TRIES 5
/* Why pages move; only what changes how memhp migrates is told apart. */
/* migrate_pages()'s bulk path moves up to this many base pages at a time. */
#define MIGRATE_BATCH 32
enum migrate_reason {
	MR_CONTIG_RANGE,
	MR_MEMORY_HOTPLUG,
	MR_MEMORY_FAILURE, /* soft offline: the source keeps the isolation's reference */
};
const struct memhp_movable_operations *owner_ops(struct memhp_machine *m, int id, void **owner);
int isolate_movable_page(struct memhp_machine *m, struct memhp_page *page);
void putback_movable_page(struct memhp_machine *m, struct memhp_page *page);
long migrate_pages(struct memhp_machine *m, unsigned long *pfns, unsigned long nr,
		   enum migrate_reason reason, unsigned long *nr_migrated);
int scan_movable_pages(struct memhp_machine *m, unsigned long start, unsigned long end,
		       unsigned long *movable_pfn);
int do_migrate_range(struct memhp_machine *m, unsigned long start, unsigned long end,
		     unsigned long *nr_migrated);
int migrate_movable_range(struct memhp_machine *m, unsigned long start, unsigned long end,
			  bool offlining, unsigned int max_tries, unsigned long *nr_migrated);

/* notifier.c */
void notifier_head_init(struct notifier_head *nh);
void notifier_head_destroy(struct notifier_head *nh);
int memory_notify(struct memhp_machine *m, unsigned long action, struct memhp_memory_notify *arg);
void online_page_callback(struct memhp_machine *m, unsigned long pfn, unsigned int order);

/* hotplug.c */
int online_pages(struct memhp_machine *m, unsigned long pfn, unsigned long nr_pages,
		 struct zone *zone, struct memory_group *group);
int offline_pages(struct memhp_machine *m, unsigned long start_pfn, unsigned long nr_pages,
		  struct zone *zone, struct memory_group *group);
void mem_hotplug_begin(struct memhp_machine *m);
void mem_hotplug_done(struct memhp_machine *m);

/* boot.c: check @cfg and derive its geometry, then whether the host has the
 * memory it needs (*@budget: the descriptors' budget); the reason is in
 * memhp_config_error(). Returns 0, -EINVAL or -ENOMEM. */
int mhp_config_check(struct memhp_config *cfg, int64_t *budget);
int add_boot_memory(struct memhp_machine *m);
/* The boot log's memory lines, as 6.1 prints them. */
void print_boot_memory(struct memhp_machine *m);
void acpi_numa_slit_init(struct memhp_machine *m);

/* memory_block.c */
int create_memory_block_devices(struct memhp_machine *m, uint64_t start, uint64_t size,
				unsigned long vmemmap_pages, struct memory_group *group, int nid);
void remove_memory_block_devices(struct memhp_machine *m, uint64_t start, uint64_t size);
int add_boot_memory_block(struct memhp_machine *m, unsigned long id);
int device_online(struct memhp_machine *m, struct memory_block *mem);
int device_offline(struct memhp_machine *m, struct memory_block *mem);
struct memory_block *find_memory_block_by_id(struct memhp_machine *m, unsigned long id);
struct memory_group *memory_group_find_by_id(struct memhp_machine *m, int mgid);
void memory_blocks_destroy(struct memhp_machine *m);

/* resource.c */
void resource_init(struct memhp_machine *m);
void resource_destroy(struct memhp_machine *m);
int request_mem_region(struct memhp_machine *m, uint64_t start, uint64_t size, const char *name,
		       unsigned int flags);
int release_mem_region(struct memhp_machine *m, uint64_t start, uint64_t size);
int insert_resource(struct memhp_machine *m, uint64_t start, uint64_t size, const char *name,
		    unsigned int flags);
int firmware_map_add(struct memhp_machine *m, uint64_t start, uint64_t size, const char *type);
int firmware_map_remove(struct memhp_machine *m, uint64_t start, uint64_t size, const char *type);

/* memory_failure.c */
int unmap_poisoned_page(struct memhp_machine *m, struct memhp_page *page);
void clear_hwpoisoned_pages(struct memhp_machine *m, unsigned long pfn, unsigned long nr_pages);

/* kpageflags.c */
void kpage_memory_added(struct memhp_machine *m, uint64_t start, uint64_t size);

/* slab.c */
void slab_destroy_all(struct memhp_machine *m);

/* vmstat.c */
static inline void mod_vmstat(struct memhp_machine *m, enum memhp_vmstat_item item, long delta)
{
	ADD_ONCE(m->vmstat[item], delta);
}

/* mod_node_page_state(): a node counter of node @nid, which the caller
 * takes from the page it counts. */
static inline void mod_node_page_state(struct memhp_machine *m, int nid,
				       enum memhp_vmstat_item item, long delta)
{
	ADD_ONCE(m->node_data[nid].vm_stat[item - MEMHP_NR_SLAB_RECLAIMABLE], delta);
}

/* mod_lruvec_page_state() without memcgs: on the node of @page. */
static inline void mod_page_state(struct memhp_machine *m, struct memhp_page *page,
				  enum memhp_vmstat_item item, long delta)
{
	mod_node_page_state(m, pfn_to_nid(m, page_to_pfn_m(m, page)), item, delta);
}

/* check.c */
void violation_log_init(struct violation_log *log);
void check_after_op(struct memhp_machine *m, const char *op, unsigned long start_pfn,
		    unsigned long nr_pages);

#endif /* MEMHP_MM_INTERNAL_H */
