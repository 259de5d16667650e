// SPDX-License-Identifier: MIT
/*
 * pcp.c - per-cpu page lists, the watermarks they are sized from, and the
 * per-cpu LRU add caches (mm/page_alloc.c, mm/swap.c).
 *
 * Every zone has one struct per_cpu_pages per simulated CPU. Order-0..3
 * pages and pageblock-order pages (THP) are freed onto the freeing CPU's
 * list and allocated from it, refilled from and spilled to the buddy a
 * batch at a time. A page on a per-cpu list is free (refcount 0, no type)
 * but not in the buddy: NR_FREE_PAGES does not count it, PageBuddy() is
 * false, test_pages_isolated() fails on it. Isolation must therefore drain
 * the lists (drain_all_pages()), and offlining disables them for its whole
 * run (zone_pcp_disable()), because a free that read its pageblock's type
 * before the isolation can still put the page on a list after the drain.
 *
 * CPUs: each thread runs on one simulated CPU, the next one round robin
 * when it first allocates or frees, or the one memhp_set_current_cpu()
 * pins it to; the machine's nr_cpus folds it onto its own CPUs. Several
 * threads on one CPU are fine: the list's lock (spinlock.h) is taken with
 * trylock where 6.1 takes pcp->lock with pcp_spin_trylock(), so a thread
 * that finds it held goes to the buddy, as an interrupted CPU does.
 *
 * Lock order: pcp_batch_high_lock, pcpu_drain_mutex, pcp->lock,
 * zone->lock.
 */
#include "internal.h"

#include <stdlib.h>

/* ---- CPUs -------------------------------------------------------------- */

static _Thread_local int task_cpu = -1;
static _Atomic unsigned int next_cpu;

int memhp_set_current_cpu(int cpu)
{
	int old = task_cpu;

	if (cpu < 0 || cpu >= MEMHP_MAX_CPUS)
		return -EINVAL;
	task_cpu = cpu;
	return old;
}

static unsigned int raw_smp_processor_id(void)
{
	if (unlikely(task_cpu < 0))
		task_cpu = (int)(atomic_fetch_add_explicit(&next_cpu, 1, memory_order_relaxed) %
				 MEMHP_MAX_CPUS);
	return (unsigned int)task_cpu;
}

int memhp_current_cpu(struct memhp_machine *m)
{
	return (int)(raw_smp_processor_id() % m->nr_cpus);
}

int numa_node_id(struct memhp_machine *m)
{
	return m->cpu_to_node[memhp_current_cpu(m)];
}

static inline struct per_cpu_pages *this_cpu_pcp(struct memhp_machine *m, struct zone *zone)
{
	return &zone->per_cpu_pageset[raw_smp_processor_id() % m->nr_cpus];
}

/* ---- List helpers --------------------------------------------------------- */

/*
 * A page on a per-cpu list: refcount 0, no type, and page->order holding
 * PCP_PAGE_MARK, its order and the pageblock type it was freed from (what
 * 6.1 keeps in page->index, get_pcppage_migratetype()). Linked by pfn
 * through the same fields as a free chunk.
 */
static inline void set_pcp_page(struct memhp_page *page, unsigned int order, int mt)
{
	atomic_store_explicit(&page->order,
			      (uint8_t)(PCP_PAGE_MARK | order | (unsigned)mt << BUDDY_LIST_SHIFT),
			      memory_order_relaxed);
}

static inline void clear_pcp_page(struct memhp_page *page)
{
	atomic_store_explicit(&page->order, 0, memory_order_relaxed);
}

static inline int get_pcppage_migratetype(const struct memhp_page *page)
{
	return (atomic_load_explicit(&((struct memhp_page *)page)->order, memory_order_relaxed) >>
		BUDDY_LIST_SHIFT) &
	       PB_MT_MASK;
}

static inline unsigned int order_to_pindex(struct memhp_machine *m, int mt, unsigned int order)
{
	if (order > PAGE_ALLOC_COSTLY_ORDER) {
		(void)m;
		return NR_LOWORDER_PCP_LISTS + (mt == MIGRATE_MOVABLE);
	}
	return MIGRATE_PCPTYPES * order + (unsigned)mt;
}

static inline unsigned int pindex_to_order(struct memhp_machine *m, unsigned int pindex)
{
	return pindex >= NR_LOWORDER_PCP_LISTS ? m->pageblock_order : pindex / MIGRATE_PCPTYPES;
}

bool pcp_allowed_order(const struct memhp_machine *m, unsigned int order)
{
	return order <= PAGE_ALLOC_COSTLY_ORDER || order == m->pageblock_order;
}

/* list_add(): at the head, where allocation takes from. */
static void pcp_list_add(struct memhp_machine *m, struct free_list *list, unsigned long pfn)
{
	struct memhp_page *page = pfn_to_page(m, pfn);

	set_buddy_link(page, prev, PFN_NIL);
	set_buddy_link(page, next, list->head);
	if (list->head == PFN_NIL)
		list->tail = (uint32_t)pfn;
	else
		set_buddy_link(pfn_to_page(m, list->head), prev, (uint32_t)pfn);
	list->head = (uint32_t)pfn;
}

/* list_add_tail(): rmqueue_bulk() keeps its pages in pfn order. */
static void pcp_list_add_tail(struct memhp_machine *m, struct free_list *list, unsigned long pfn)
{
	struct memhp_page *page = pfn_to_page(m, pfn);

	set_buddy_link(page, next, PFN_NIL);
	set_buddy_link(page, prev, list->tail);
	if (list->tail == PFN_NIL)
		list->head = (uint32_t)pfn;
	else
		set_buddy_link(pfn_to_page(m, list->tail), next, (uint32_t)pfn);
	list->tail = (uint32_t)pfn;
}

static void pcp_list_del(struct memhp_machine *m, struct free_list *list, unsigned long pfn)
{
	struct memhp_page *page = pfn_to_page(m, pfn);

	if (page->buddy.prev == PFN_NIL)
		list->head = page->buddy.next;
	else
		set_buddy_link(pfn_to_page(m, page->buddy.prev), next, page->buddy.next);
	if (page->buddy.next == PFN_NIL)
		list->tail = page->buddy.prev;
	else
		set_buddy_link(pfn_to_page(m, page->buddy.next), prev, page->buddy.prev);
	set_buddy_link(page, next, 0);
	set_buddy_link(page, prev, 0);
}

/* ---- Spilling to and refilling from the buddy ----------------------------- */

/*
 * free_pcppages_bulk(): give @count pages of @pcp back to the buddy, the
 * oldest first, taking the lists round robin from the one after @pindex.
 * A page whose pageblock was isolated since it was freed goes to the
 * ISOLATE list: that is what makes a drain after isolation work. Caller
 * holds pcp->lock.
 */
static void free_pcppages_bulk(struct memhp_machine *m, struct zone *zone, int count,
			       struct per_cpu_pages *pcp, int pindex)
{
	int min_pindex = 0, max_pindex = NR_PCP_LISTS - 1;
	bool isolated_pageblocks;

	count = MIN(count, READ_ONCE(pcp->count));
	pindex = pindex - 1;
	pthread_mutex_lock(&zone->lock);
	isolated_pageblocks = zone->nr_isolate_pageblock != 0;
	while (count > 0) {
		struct free_list *list;
		unsigned int order;
		int nr_pages;

		for (;;) {
			if (++pindex > max_pindex)
				pindex = min_pindex;
			list = &pcp->lists[pindex];
			if (list->head != PFN_NIL)
				break;
			if (pindex == max_pindex)
				max_pindex--;
			if (pindex == min_pindex)
				min_pindex++;
		}
		order = pindex_to_order(m, (unsigned)pindex);
		nr_pages = 1 << order;
		do {
			unsigned long pfn = list->tail;
			struct memhp_page *page = pfn_to_page(m, pfn);
			int mt = get_pcppage_migratetype(page);

			pcp_list_del(m, list, pfn);
			clear_pcp_page(page);
			count -= nr_pages;
			ADD_ONCE(pcp->count, -nr_pages);
			if (unlikely(isolated_pageblocks))
				mt = get_pfnblock_migratetype(m, pfn);
			__free_one_page(m, zone, pfn, order, mt, false);
		} while (count > 0 && list->head != PFN_NIL);
	}
	pthread_mutex_unlock(&zone->lock);
}

/*
 * rmqueue_bulk(): take @count chunks of @order off the buddy under one
 * zone->lock and put them at the tail of @list. NR_FREE_PAGES falls with
 * them (the free lists keep it). A chunk that holds a poisoned page is
 * left off both (check_pcp_refill(), as 6.1 without CONFIG_DEBUG_VM).
 * Returns how many it put on @list.
 */
static int rmqueue_bulk(struct memhp_machine *m, struct zone *zone, unsigned int order, int count,
			struct free_list *list, int mt, unsigned int alloc_flags)
{
	unsigned long isolated = PFN_NIL, leaked = PFN_NIL, poisoned = PFN_NIL;
	int i, added = 0;

	pthread_mutex_lock(&zone->lock);
	for (i = 0; i < count; i++) {
		unsigned long pfn = __rmqueue(m, zone, order, mt, alloc_flags), bad;

		if (pfn == PFN_NIL)
			break;
		bad = check_new_pages(m, pfn, order);
		if (unlikely(bad != PFN_NIL)) {
			if (order && leaked == PFN_NIL) {
				leaked = pfn;
				poisoned = bad;
			}
			continue;
		}
		added++;
		/* The buddy never hands out an isolated pageblock's pages. */
		if (isolated == PFN_NIL && is_migrate_isolate_pfn(m, pfn))
			isolated = pfn;
		/* A page from a CMA list remembers it (goes back there). */
		set_pcp_page(pfn_to_page(m, pfn), order,
			     get_pfnblock_migratetype(m, pfn) == MIGRATE_CMA ? MIGRATE_CMA : mt);
		pcp_list_add_tail(m, list, pfn);
	}
	pthread_mutex_unlock(&zone->lock);
	if (isolated != PFN_NIL)
		check_not_isolated(m, isolated, order);
	if (leaked != PFN_NIL)
		report_hwpoison_leak(m, leaked, poisoned, order);
	return added;
}

/* ---- Allocation and freeing ----------------------------------------------- */

/*
 * rmqueue_pcplist(): a chunk of @order from this CPU's list, refilled with
 * a batch from the buddy when empty. PFN_NIL when the list is held by
 * someone else (the caller then goes to the buddy) or the buddy has
 * nothing.
 */
unsigned long rmqueue_pcplist(struct memhp_machine *m, struct zone *zone, unsigned int order,
			      int mt, unsigned int alloc_flags)
{
	struct per_cpu_pages *pcp = this_cpu_pcp(m, zone);
	struct free_list *list;
	bool refilled = false;
	unsigned long pfn;

	if (!spin_trylock(&pcp->lock))
		return PFN_NIL;
	/* An allocation halves the batch a run of frees grew (nr_pcp_free()). */
	pcp->free_factor >>= 1;
	list = &pcp->lists[order_to_pindex(m, mt, order)];
	if (list->head == PFN_NIL) {
		int batch = READ_ONCE(pcp->batch), alloced;

		/* A batch of 1 (small zones, a disabled list) stores nothing. */
		if (batch > 1)
			batch = MAX(batch >> order, 2);
		alloced = rmqueue_bulk(m, zone, order, batch, list, mt, alloc_flags);
		ADD_ONCE(pcp->count, alloced << order);
		refilled = true;
		if (list->head == PFN_NIL) {
			spin_unlock(&pcp->lock);
			return PFN_NIL;
		}
	}
	pfn = list->head;
	pcp_list_del(m, list, pfn);
	clear_pcp_page(pfn_to_page(m, pfn));
	ADD_ONCE(pcp->count, -(1 << order));
	/*
	 * A page of a pageblock isolated after it came onto the list is
	 * 6.1's known window (start_isolate_page_range()'s comment): between
	 * an isolation and its drain, or after a free that read the type
	 * before both. alloc_contig_range() fails on it, harmlessly. Once
	 * zone_pcp_disable() has drained the lists (offlining), the window is
	 * closed, and such a page is a bug. Not before that drain is done:
	 * high reads 0 from its first step, while pages that came onto a list
	 * earlier still wait for it, and alloc_contig_range()'s own drain of
	 * the pageblock it has just isolated queues behind it (torture seed
	 * 1400744). Nor a page this call just took from the buddy:
	 * rmqueue_bulk() checked it under zone->lock, and an isolation since
	 * it let go of that lock finds the page allocated, as in 6.1 (the
	 * offline migrates it; test_concurrency 1 under load, torture seed
	 * 1100130).
	 */
	if (!refilled && READ_ONCE(zone->pcp_drained_disabled))
		check_not_isolated(m, pfn, order);
	spin_unlock(&pcp->lock);
	/*
	 * A chunk freed whole with a poisoned page in it (a memory failure on
	 * the tail of a high-order allocation) came onto the list flag and
	 * all. 6.1 without CONFIG_DEBUG_VM checks a list's pages only when it
	 * refills it (check_new_pcp() runs with debug_pagealloc alone), so it
	 * hands the page out again, PG_hwpoison kept. So does memhp, and says
	 * so: the new owner may touch memory known to be bad.
	 */
	if (unlikely(check_new_pages(m, pfn, order) != PFN_NIL))
		memhp_report(m, check_new_pages(m, pfn, order), MEMHP_RULE_HWPOISON_REUSE,
			     "rmqueue_pcplist: an order-%u allocation at %#lx hands out a "
			     "poisoned page from a per-cpu list",
			     order, pfn);
	return pfn;
}

/* nr_pcp_free(): how many pages a list that reached @high spills. */
static int nr_pcp_free(struct per_cpu_pages *pcp, int high, int batch, bool free_high)
{
	int min_nr_free, max_nr_free;

	if (unlikely(free_high))
		return READ_ONCE(pcp->count);
	/* A disabled list (zone_pcp_disable()) or a boot pageset. */
	if (unlikely(high < batch))
		return 1;
	min_nr_free = batch;
	max_nr_free = high - batch;
	/* Frees without allocations in between spill more each time. */
	batch <<= pcp->free_factor;
	if (batch < max_nr_free && pcp->free_factor < PCP_BATCH_SCALE_MAX)
		pcp->free_factor++;
	return MAX(min_nr_free, MIN(batch, max_nr_free));
}

/* nr_pcp_high(): reclaim never runs here, so only free_high lowers it. */
static int nr_pcp_high(struct per_cpu_pages *pcp, bool free_high)
{
	int high = READ_ONCE(pcp->high);

	if (unlikely(!high || free_high))
		return 0;
	return high;
}

static void free_unref_page_commit(struct memhp_machine *m, struct zone *zone,
				   struct per_cpu_pages *pcp, unsigned long pfn, int mt, int pcpmt,
				   unsigned int order)
{
	unsigned int pindex = order_to_pindex(m, pcpmt, order);
	bool free_high;
	int high;

	mod_vmstat(m, MEMHP_PGFREE, 1L << order);
	set_pcp_page(pfn_to_page(m, pfn), order, mt);
	pcp_list_add(m, &pcp->lists[pindex], pfn);
	ADD_ONCE(pcp->count, 1 << order);

	/* High-order pages freed in a row would fragment: keep few. */
	free_high = pcp->free_factor && order && order <= PAGE_ALLOC_COSTLY_ORDER;
	high = nr_pcp_high(pcp, free_high);
	if (READ_ONCE(pcp->count) >= high)
		free_pcppages_bulk(m, zone,
				   nr_pcp_free(pcp, high, READ_ONCE(pcp->batch), free_high), pcp,
				   (int)pindex);
}

/*
 * The second half of free_unref_page(): the page goes onto this CPU's list
 * with the type free_unref_page_prepare() read, or, when the list is held
 * by someone else, to the buddy with its pageblock's type now. An ISOLATE
 * type never goes onto a list; HIGHATOMIC and CMA go onto the MOVABLE one.
 */
void free_unref_page_commit_prepared(struct memhp_machine *m, unsigned long pfn, unsigned int order,
				     int mt)
{
	struct zone *zone = pfn_zone(m, pfn);
	struct per_cpu_pages *pcp;
	int pcpmt = mt;

	if (unlikely(mt >= MIGRATE_PCPTYPES)) {
		if (unlikely(mt == MIGRATE_ISOLATE)) {
			free_one_page(m, pfn, order, false);
			return;
		}
		pcpmt = MIGRATE_MOVABLE;
	}
	pcp = this_cpu_pcp(m, zone);
	if (!spin_trylock(&pcp->lock)) {
		free_one_page(m, pfn, order, false);
		return;
	}
	free_unref_page_commit(m, zone, pcp, pfn, mt, pcpmt, order);
	spin_unlock(&pcp->lock);
}

/*
 * free_unref_page(): the page's pageblock type is read first (6.1's
 * free_unref_page_prepare()), the list taken after. Between the two the
 * freeing task can be preempted; memhp_free_pages_prepare() and
 * memhp_free_pages_commit() let a test or a scenario act exactly there.
 */
void free_unref_page(struct memhp_machine *m, unsigned long pfn, unsigned int order)
{
	free_unref_page_commit_prepared(m, pfn, order, get_pfnblock_migratetype(m, pfn));
}

/* ---- Draining ----------------------------------------------------------------- */

/* Returns the pages it gave back. */
static unsigned long drain_pages_zone(struct memhp_machine *m, unsigned int cpu, struct zone *zone)
{
	struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];
	unsigned long drained = 0;
	int count;

	do {
		spin_lock(&pcp->lock);
		count = READ_ONCE(pcp->count);
		if (count) {
			int to_drain = MIN(count, READ_ONCE(pcp->batch) << PCP_BATCH_SCALE_MAX);

			free_pcppages_bulk(m, zone, to_drain, pcp, 0);
			count -= to_drain;
			drained += (unsigned long)to_drain;
		}
		spin_unlock(&pcp->lock);
	} while (count);
	return drained;
}

/*
 * __drain_all_pages(): spill every CPU's list of @zone (NULL: of every
 * populated zone). Without @force_all_cpus a CPU whose count reads 0 is
 * skipped, which can miss a free that has put its page on the list but
 * not yet counted it; zone_pcp_disable() forces. Tracers see an instant
 * "drain_all_pages" with the pages it gave back, when there were any.
 */
static void __drain_all_pages(struct memhp_machine *m, struct zone *zone, bool force_all_cpus)
{
	unsigned long drained = 0;

	/* A drain already running for everything is enough for another one
	 * for everything; one for a zone must see its own through. */
	if (pthread_mutex_trylock(&m->pcpu_drain_mutex)) {
		if (!zone)
			return;
		pthread_mutex_lock(&m->pcpu_drain_mutex);
	}
	for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++) {
		for_each_zone(m, zz)
		{
			if (zone ? zz != zone : !populated_zone(zz))
				continue;
			if (force_all_cpus || READ_ONCE(zz->per_cpu_pageset[cpu].count))
				drained += drain_pages_zone(m, cpu, zz);
		}
	}
	pthread_mutex_unlock(&m->pcpu_drain_mutex);
	if (drained)
		mhp_emit(m, MEMHP_TP_DRAIN_ALL_PAGES, drain, .nr_pages = drained);
}

void drain_all_pages(struct memhp_machine *m, struct zone *zone)
{
	__drain_all_pages(m, zone, false);
}

void memhp_drain_all_pages(struct memhp_machine *m)
{
	__drain_all_pages(m, NULL, false);
}

/* ---- high and batch ------------------------------------------------------------- */

static unsigned long rounddown_pow_of_two(unsigned long n)
{
	return n ? 1UL << (63 - __builtin_clzl(n)) : 0;
}

/* zone_batchsize(): about 0.1% of the zone or 1 MiB, whichever is smaller,
 * a quarter of it, then the 2^n - 1 at or below one and a half times that. */
static int zone_batchsize(struct zone *zone)
{
	long batch = MIN(READ_ONCE(zone->managed_pages) >> 10, (long)(MEMHP_MiB / MEMHP_PAGE_SIZE));

	batch /= 4;
	if (batch < 1)
		batch = 1;
	return (int)rounddown_pow_of_two((unsigned long)(batch + batch / 2)) - 1;
}

/* zone_highsize(): the low watermark split over the CPUs of the zone's
 * node (all of them for a node without CPUs), at least four batches. */
static int zone_highsize(struct memhp_machine *m, struct zone *zone, int batch, int cpu_online)
{
	unsigned long total_pages = low_wmark_pages(zone);
	unsigned int nr_split_cpus = (unsigned)cpu_online;

	for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++)
		nr_split_cpus += m->cpu_to_node[cpu] == zone_to_nid(zone);
	if (!nr_split_cpus)
		nr_split_cpus = m->nr_cpus;
	int high = (int)(total_pages / nr_split_cpus);

	return MAX(high, batch << 2);
}

static void __zone_set_pageset_high_and_batch(struct memhp_machine *m, struct zone *zone, int high,
					      int batch)
{
	for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++) {
		WRITE_ONCE(zone->per_cpu_pageset[cpu].batch, batch);
		WRITE_ONCE(zone->per_cpu_pageset[cpu].high, high);
	}
}

/* zone_set_pageset_high_and_batch(). */
static void zone_set_pageset_high_and_batch(struct memhp_machine *m, struct zone *zone,
					    int cpu_online)
{
	int new_batch = MAX(1, zone_batchsize(zone));
	int new_high = zone_highsize(m, zone, new_batch, cpu_online);

	lockdep_assert_held(&m->pcp_batch_high_lock);
	if (zone->pageset_high == new_high && zone->pageset_batch == new_batch)
		return;
	zone->pageset_high = new_high;
	zone->pageset_batch = new_batch;
	__zone_set_pageset_high_and_batch(m, zone, new_high, new_batch);
}

/* zone_pcp_update(): after the watermarks changed (watermark.c). */
void zone_pcp_update(struct memhp_machine *m, struct zone *zone, int cpu_online)
{
	pthread_mutex_lock(&m->pcp_batch_high_lock);
	zone_set_pageset_high_and_batch(m, zone, cpu_online);
	pthread_mutex_unlock(&m->pcp_batch_high_lock);
}

/*
 * setup_zone_pageset() for a zone that gets its first pages: boot values
 * (high 0, batch 1: nothing stays on a list), then its own.
 */
void setup_zone_pageset(struct memhp_machine *m, struct zone *zone)
{
	lockdep_assert_held_write(&m->mem_hotplug_lock);
	pthread_mutex_lock(&m->pcp_batch_high_lock);
	zone->pageset_high = BOOT_PAGESET_HIGH;
	zone->pageset_batch = BOOT_PAGESET_BATCH;
	for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++) {
		struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];

		spin_lock(&pcp->lock);
		pcp->free_factor = 0;
		spin_unlock(&pcp->lock);
	}
	__zone_set_pageset_high_and_batch(m, zone, BOOT_PAGESET_HIGH, BOOT_PAGESET_BATCH);
	zone_set_pageset_high_and_batch(m, zone, 0);
	pthread_mutex_unlock(&m->pcp_batch_high_lock);
}

/* zone_pcp_reset(): a zone without pages goes back to the boot pageset. */
void zone_pcp_reset(struct memhp_machine *m, struct zone *zone)
{
	pthread_mutex_lock(&m->pcp_batch_high_lock);
	zone->pageset_high = BOOT_PAGESET_HIGH;
	zone->pageset_batch = BOOT_PAGESET_BATCH;
	__zone_set_pageset_high_and_batch(m, zone, BOOT_PAGESET_HIGH, BOOT_PAGESET_BATCH);
	pthread_mutex_unlock(&m->pcp_batch_high_lock);
}

/*
 * zone_pcp_disable(): high 0 and batch 1 on every CPU, then a drain that
 * misses none. A free racing with it either finished before the drain,
 * which takes its page, or sees high 0 and spills at once; the spill
 * reads the pageblock's type again, so an isolated one gets its page on
 * the ISOLATE list. Holds pcp_batch_high_lock until zone_pcp_enable().
 */
void zone_pcp_disable(struct memhp_machine *m, struct zone *zone)
{
	pthread_mutex_lock(&m->pcp_batch_high_lock);
	__zone_set_pageset_high_and_batch(m, zone, 0, 1);
	__drain_all_pages(m, zone, true);
	WRITE_ONCE(zone->pcp_drained_disabled, true);
}

void zone_pcp_enable(struct memhp_machine *m, struct zone *zone)
{
	WRITE_ONCE(zone->pcp_drained_disabled, false);
	__zone_set_pageset_high_and_batch(m, zone, zone->pageset_high, zone->pageset_batch);
	pthread_mutex_unlock(&m->pcp_batch_high_lock);
}

/* ---- Setup and reading ------------------------------------------------------------ */

int pcp_init(struct memhp_machine *m)
{
	mutex_init(&m->pcp_batch_high_lock, LOCK_RANK_PCP_BATCH_HIGH);
	mutex_init(&m->pcpu_drain_mutex, LOCK_RANK_PCPU_DRAIN);
	for_each_zone(m, zone)
	{
		zone->per_cpu_pageset = calloc(m->nr_cpus, sizeof(*zone->per_cpu_pageset));
		if (!zone->per_cpu_pageset)
			return -ENOMEM;
		for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++) {
			struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];

			spin_lock_init(&pcp->lock, LOCK_RANK_PCP);
			for (int i = 0; i < NR_PCP_LISTS; i++)
				pcp->lists[i].head = pcp->lists[i].tail = PFN_NIL;
			pcp->high = BOOT_PAGESET_HIGH;
			pcp->batch = BOOT_PAGESET_BATCH;
		}
		zone->pageset_high = BOOT_PAGESET_HIGH;
		zone->pageset_batch = BOOT_PAGESET_BATCH;
	}
	return 0;
}

void pcp_destroy(struct memhp_machine *m)
{
	for_each_zone(m, zone)
	{
		if (!zone->per_cpu_pageset)
			continue;
		free(zone->per_cpu_pageset);
		zone->per_cpu_pageset = NULL;
	}
	pthread_mutex_destroy(&m->pcpu_drain_mutex);
	pthread_mutex_destroy(&m->pcp_batch_high_lock);
}

int memhp_zone_pcp(struct memhp_machine *m, int nid, enum memhp_zone_type zid, int cpu,
		   struct memhp_pcp_info *pi)
{
	struct per_cpu_pages *pcp;

	if (nid < 0 || nid >= m->nr_node_ids || (unsigned)zid >= MAX_NR_ZONES || cpu < 0 ||
	    (unsigned)cpu >= m->nr_cpus)
		return -EINVAL;
	pcp = &NODE_DATA_M(m, nid)->node_zones[zid].per_cpu_pageset[cpu];
	pi->count = READ_ONCE(pcp->count);
	pi->high = READ_ONCE(pcp->high);
	pi->batch = READ_ONCE(pcp->batch);
	return 0;
}

bool memhp_page_on_pcp_list(const struct memhp_page *page)
{
	return PagePcp(page);
}
