// SPDX-License-Identifier: MIT
/*
 * memmap.c - sections, the sparse memmap and the page primitives.
 *
 * A section gets descriptors when it is added (sparse_add_section()) and
 * loses them when removed. Hot-added sections also cost the simulated
 * kernel its memmap (sizeof(struct page) per page, 64 bytes in the kernel we
 * model): those pages are real GFP_KERNEL allocations from the buddy,
 * pinned until the section goes away, unless memmap_on_memory puts them in
 * the block itself.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

/* The kernel's: a task's name is at most 15 bytes. */
#define TASK_COMM_LEN 16

/* ---- Sections ---------------------------------------------------------- */

/* x86 maps the vmemmap with PMD (2 MiB) pages when it can. */
#define VMEMMAP_PMD_ORDER 9

static void uncharge_memmap(struct memhp_machine *m, struct mem_section *ms)
{
	for (unsigned int i = 0; i < ms->nr_memmap_chunks; i++)
		memhp_free_pages(pfn_to_page(m, ms->memmap_chunks[i]), ms->memmap_chunk_orders[i]);
	free(ms->memmap_chunks);
	free(ms->memmap_chunk_orders);
	ms->memmap_chunks = NULL;
	ms->memmap_chunk_orders = NULL;
	ms->nr_memmap_chunks = 0;
}

/*
 * vmemmap_populate(): the memmap of a hot-added section comes from kernel
 * memory of the node, in PMD-sized (order-9) blocks when the buddy has
 * them, else page by page, as x86's vmemmap_populate_hugepages() falls back
 * to base pages. Returns 0 or -ENOMEM (nothing kept).
 */
static int charge_memmap(struct memhp_machine *m, struct mem_section *ms, int nid)
{
	unsigned long pages = m->memmap_pages_per_section, done = 0;
	unsigned int big = 0;

	if (!pages)
		return 0;
	while ((1UL << (big + 1)) <= pages && big + 1 <= MIN(m->max_order, VMEMMAP_PMD_ORDER))
		big++;
	ms->memmap_chunks = calloc(pages, sizeof(*ms->memmap_chunks));
	ms->memmap_chunk_orders = calloc(pages, 1);
	if (!ms->memmap_chunks || !ms->memmap_chunk_orders ||
	    mhp_should_fail(m, MEMHP_FAULT_MEMMAP_META))
		goto nomem;
	while (done < pages) {
		unsigned int order = pages - done >= (1UL << big) ? big : 0;
		struct memhp_page *p = __alloc_pages_exact(m, nid, MEMHP_GFP_KERNEL, order);

		if (!p && order) {
			big = 0;
			continue;
		}
		if (!p)
			goto nomem;
		ms->memmap_chunks[ms->nr_memmap_chunks] = (uint32_t)page_to_pfn_m(m, p);
		ms->memmap_chunk_orders[ms->nr_memmap_chunks++] = (uint8_t)order;
		done += 1UL << order;
	}
	return 0;
nomem:
	uncharge_memmap(m, ms);
	return -ENOMEM;
}

/*
 * Give section @nr a memmap and mark it present, not online. @charge: take
 * the memmap from kernel memory (hot-add without memmap_on_memory).
 * Returns 0, -EEXIST, -ENOMEM.
 */
int sparse_add_section(struct memhp_machine *m, unsigned long nr, int nid, bool early)
{
	struct mem_section *ms = &m->sections[nr];
	unsigned long pfn = section_nr_to_pfn(m, nr);
	int ret;

	if (atomic_load(&ms->flags) & SECTION_MARKED_PRESENT)
		return -EEXIST;
	if (ms->memmap_kept) {
		ms->memmap_kept = false;
	} else {
		ret = vmemmap_populate(m, pfn, m->pages_per_section);
		if (ret)
			return ret;
	}
	ms->nid = (int8_t)nid;
	atomic_store_explicit(&ms->flags,
			      SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP |
				      (early ? SECTION_IS_EARLY : 0),
			      memory_order_release);
	return 0;
}

/* Charge the memmap of a hot-added section to kernel memory. */
int sparse_charge_section(struct memhp_machine *m, unsigned long nr, int nid)
{
	return charge_memmap(m, &m->sections[nr], nid);
}

/*
 * What a stale PFN walker reads once a section is gone: descriptors of
 * zeroes, refcount 0, so its get_page_unless_zero() fails, as it would on
 * memory the host had taken back. Atomic stores because such a walker may
 * be reading them now.
 */
static void memmap_zero_range(struct memhp_machine *m, unsigned long pfn, unsigned long nr)
{
	for (struct memhp_page *p = pfn_to_page(m, pfn), *end = p + nr; p < end; p++)
		page_set_raw(p, 0, 0);
}

/*
 * Take section @nr away with its memmap. Its poisoned pages stop counting
 * first (clear_hwpoisoned_pages()), except the first @map_offset, which
 * hold a memmap_on_memory block's own memmap, as 6.1 leaves them out.
 */
void sparse_remove_section(struct memhp_machine *m, unsigned long nr, unsigned long map_offset)
{
	struct mem_section *ms = &m->sections[nr];
	unsigned long pfn = section_nr_to_pfn(m, nr);

	clear_hwpoisoned_pages(m, pfn + map_offset, m->pages_per_section - map_offset);
	atomic_store_explicit(&ms->flags, 0, memory_order_release);
	memmap_zero_range(m, pfn, m->pages_per_section);
	ms->memmap_kept = true;
	uncharge_memmap(m, ms);
}

/*
 * The host memory of removed sections' descriptors goes back to the host
 * only when a section that never had any needs the room (vmemmap_populate()
 * found host_budget short). Returns whether anything went back.
 */
bool vmemmap_reclaim_kept(struct memhp_machine *m)
{
	bool any = false;

	for (unsigned long nr = 0; nr < m->nr_sections; nr++) {
		if (!m->sections[nr].memmap_kept)
			continue;
		vmemmap_depopulate(m, section_nr_to_pfn(m, nr), m->pages_per_section);
		m->sections[nr].memmap_kept = false;
		any = true;
	}
	return any;
}

void online_mem_sections(struct memhp_machine *m, unsigned long start, unsigned long end)
{
	for (unsigned long nr = pfn_to_section_nr(m, start); nr < pfn_to_section_nr(m, end - 1) + 1;
	     nr++)
		atomic_fetch_or_explicit(&m->sections[nr].flags, SECTION_IS_ONLINE,
					 memory_order_release);
}

void offline_mem_sections(struct memhp_machine *m, unsigned long start, unsigned long end)
{
	for (unsigned long nr = pfn_to_section_nr(m, start); nr < pfn_to_section_nr(m, end - 1) + 1;
	     nr++)
		atomic_fetch_and_explicit(&m->sections[nr].flags, (uint8_t)~SECTION_IS_ONLINE,
					  memory_order_release);
}

/* ---- memmap initialisation ---------------------------------------------- */

/*
 * The state __init_single_page() plus MEMINIT_HOTPLUG leave: refcount 1, no
 * type, PG_reserved. Two 64-bit stores per descriptor, atomic so that a
 * stale walker's speculative get_page_unless_zero() is a race the kernel
 * has too, not undefined behaviour.
 */
void memmap_init_page(struct memhp_page *page)
{
	page_set_raw(page, PAGE_RAW0_FRESH, 0);
}

/*
 * memmap_init_range() for hotplug: every page initialised, every pageblock
 * of the range in @zone with @migratetype.
 */
void memmap_init_range(struct memhp_machine *m, unsigned long start, unsigned long nr,
		       const struct zone *zone, int migratetype)
{
	struct memhp_page *page = pfn_to_page(m, start);

	for (unsigned long i = 0; i < nr; i++)
		page_set_raw(&page[i], PAGE_RAW0_FRESH, 0);
	for (unsigned long pfn = start; pfn < start + nr; pfn += m->pageblock_nr_pages) {
		set_pageblock_zone(m, pfn, zone);
		set_pageblock_migratetype(m, pfn, migratetype);
	}
}

/* ---- Page primitives ------------------------------------------------------- */

bool memhp_pfn_valid(struct memhp_machine *m, unsigned long pfn)
{
	return pfn_valid_m(m, pfn);
}

struct memhp_page *memhp_pfn_to_page(struct memhp_machine *m, unsigned long pfn)
{
	return pfn_valid_m(m, pfn) ? pfn_to_page(m, pfn) : NULL;
}

struct memhp_page *memhp_pfn_to_online_page(struct memhp_machine *m, unsigned long pfn)
{
	return pfn_online(m, pfn) ? pfn_to_page(m, pfn) : NULL;
}

unsigned long memhp_page_to_pfn(const struct memhp_page *page)
{
	return page_to_pfn_m(page_machine(page), page);
}

struct memhp_machine *memhp_page_machine(const struct memhp_page *page)
{
	return page_machine(page);
}

void *memhp_page_address(const struct memhp_page *page)
{
	struct memhp_machine *m = page_machine(page);

	return m->phys + PFN_PHYS(page_to_pfn_m(m, page));
}

enum memhp_zone_type memhp_page_zonenum(const struct memhp_page *page)
{
	struct memhp_machine *m = page_machine(page);

	return pfn_zone(m, page_to_pfn_m(m, page))->idx;
}

int memhp_page_to_nid(const struct memhp_page *page)
{
	struct memhp_machine *m = page_machine(page);

	return m->sections[pfn_to_section_nr(m, page_to_pfn_m(m, page))].nid;
}

int memhp_page_count(const struct memhp_page *page)
{
	return page_count(page);
}

/*
 * get_page() and get_page_unless_zero() on a page found by pfn are what PFN
 * walkers do: from the first one on, the machine takes its per-page paths.
 */
void memhp_get_page(struct memhp_page *page)
{
	memhp_note_pfn_walker(page_machine(page));
	mhp_sched_point();
	atomic_fetch_add_explicit(&page->refcount, 1, memory_order_relaxed);
}

bool get_page_unless_zero(struct memhp_page *page)
{
	uint32_t c;

	mhp_sched_point();
	c = atomic_load_explicit(&page->refcount, memory_order_relaxed);
	do {
		if (!c)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(
		&page->refcount, &c, c + 1, memory_order_acq_rel, memory_order_relaxed));
	return true;
}

bool memhp_get_page_unless_zero(struct memhp_page *page)
{
	memhp_note_pfn_walker(page_machine(page));
	return get_page_unless_zero(page);
}

void memhp_page_ref_inc(struct memhp_page *page)
{
	mhp_sched_point();
	atomic_fetch_add_explicit(&page->refcount, 1, memory_order_relaxed);
}

bool memhp_page_ref_dec_and_test(struct memhp_page *page)
{
	uint32_t c;

	mhp_sched_point();
	c = atomic_load_explicit(&page->refcount, memory_order_relaxed);
	do {
		if (unlikely(!c)) {
			/* The kernel's VM_BUG_ON_PAGE(page_ref_count(page) == 0):
			 * reported, and the count stays at zero. */
			struct memhp_machine *m = page_machine(page);

			memhp_report_bug(m, page_to_pfn_m(m, page), MEMHP_RULE_BAD_PAGE,
					 "page refcount underflow");
			return false;
		}
	} while (!atomic_compare_exchange_weak_explicit(
		&page->refcount, &c, c - 1, memory_order_acq_rel, memory_order_relaxed));
	return c == 1;
}

/* put_page(): a compound page's references are its head's, and its last
 * one frees it whole (a hugetlb page to its pool). */
void memhp_put_page(struct memhp_page *page)
{
	if (unlikely(PageTail(page)))
		page = compound_head(page);
	/* A hugetlb page drops its count under hugetlb_lock (free_huge_page()). */
	if (unlikely(PageHead(page)) && test_page_flag(page, PG_hugetlb)) {
		free_huge_page(page_machine(page), page);
		return;
	}
	if (memhp_page_ref_dec_and_test(page)) {
		if (unlikely(PageHead(page)))
			free_compound_page(page_machine(page), page);
		else
			free_the_page(page_machine(page), page, 0);
	}
}

bool memhp_PageBuddy(const struct memhp_page *page)
{
	return PageBuddy(page);
}

bool memhp_PageOffline(const struct memhp_page *page)
{
	return PageOffline(page);
}

int memhp_SetPageOffline(struct memhp_page *page)
{
	uint8_t none = PGTY_NONE;

	if (!atomic_compare_exchange_strong(&page->type, &none, PGTY_OFFLINE))
		return -EINVAL;
	return 0;
}

int memhp_ClearPageOffline(struct memhp_page *page)
{
	uint8_t off = PGTY_OFFLINE;

	if (!atomic_compare_exchange_strong(&page->type, &off, PGTY_NONE))
		return -EINVAL;
	return 0;
}

bool memhp_PageOfflineSkippable(const struct memhp_page *page)
{
	return PageOfflineSkippable(page);
}

void memhp_SetPageOfflineSkippable(struct memhp_page *page)
{
	set_page_flag(page, PG_offline_skippable);
}

void memhp_ClearPageOfflineSkippable(struct memhp_page *page)
{
	clear_page_flag(page, PG_offline_skippable);
}

bool memhp_PageOfflineManaged(const struct memhp_page *page)
{
	return PageOfflineManaged(page);
}

void memhp_SetPageOfflineManaged(struct memhp_page *page)
{
	set_page_flag(page, PG_offline_managed);
}

void memhp_ClearPageOfflineManaged(struct memhp_page *page)
{
	clear_page_flag(page, PG_offline_managed);
}

bool memhp_PageReserved(const struct memhp_page *page)
{
	return PageReserved(page);
}

void memhp_SetPageReserved(struct memhp_page *page)
{
	set_page_flag(page, PG_reserved);
}

void memhp_ClearPageReserved(struct memhp_page *page)
{
	clear_page_flag(page, PG_reserved);
}

bool memhp_PageHWPoison(const struct memhp_page *page)
{
	return PageHWPoison(page);
}

void memhp_SetPageHWPoison(struct memhp_page *page)
{
	memhp_note_pfn_walker(page_machine(page));
	set_page_flag(page, PG_hwpoison);
}

bool memhp_PageDirty(const struct memhp_page *page)
{
	return test_page_flag(page, PG_dirty);
}

void memhp_SetPageDirty(struct memhp_page *page)
{
	set_page_flag(page, PG_dirty);
}

void memhp_ClearPageDirty(struct memhp_page *page)
{
	clear_page_flag(page, PG_dirty);
}

bool memhp_PageLRU(const struct memhp_page *page)
{
	return PageLRU(page);
}

bool memhp_PageMovable(const struct memhp_page *page)
{
	return __PageMovable(page);
}

bool memhp_PageIsolated(const struct memhp_page *page)
{
	return PageIsolated(page);
}

bool memhp_PageVmemmapSelfHosted(const struct memhp_page *page)
{
	return test_page_flag(page, PG_vmemmap_self_hosted);
}

void memhp_page_offline_begin(struct memhp_machine *m)
{
	pthread_rwlock_wrlock(&m->page_offline_rwsem);
}

void memhp_page_offline_end(struct memhp_machine *m)
{
	pthread_rwlock_unlock(&m->page_offline_rwsem);
}

void memhp_page_offline_freeze(struct memhp_machine *m)
{
	pthread_rwlock_rdlock(&m->page_offline_rwsem);
}

void memhp_page_offline_thaw(struct memhp_machine *m)
{
	pthread_rwlock_unlock(&m->page_offline_rwsem);
}

/* ---- Bulk paths --------------------------------------------------------------
 *
 * Drivers mark and unmark whole ranges of their own pages (virtio-mem
 * fake-offlines 128 MiB at a time). Done page by page, every descriptor
 * takes a locked read-modify-write; done in bulk, one load and one plain
 * store. The two give the same memmap as long as nobody else writes those
 * descriptors meanwhile: the pages are the caller's (it holds their
 * references, or they are PageOffline and its own), so the only other
 * writers are PFN walkers taking speculative references and memory
 * failure setting PG_hwpoison. Neither can run during a bulk update
 * (bulk_lock), and once either has run on the machine every range takes
 * the per-page path for good. docs/semantics.md, "Bulk paths".
 */

void memhp_note_pfn_walker(struct memhp_machine *m)
{
	if (likely(atomic_load_explicit(&m->pfn_walkers, memory_order_acquire)))
		return;
	/* Wait for the bulk updates in flight: none starts after this. */
	pthread_rwlock_wrlock(&m->bulk_lock);
	atomic_store_explicit(&m->pfn_walkers, true, memory_order_release);
	pthread_rwlock_unlock(&m->bulk_lock);
}

bool memhp_machine_has_pfn_walkers(struct memhp_machine *m)
{
	return atomic_load_explicit(&m->pfn_walkers, memory_order_acquire);
}

/* Returns true with bulk_lock held for reading when the bulk path may run;
 * false (nothing held) when the per-page path must. */
bool memmap_bulk_begin(struct memhp_machine *m)
{
	if (atomic_load_explicit(&m->pfn_walkers, memory_order_acquire))
		return false;
	pthread_rwlock_rdlock(&m->bulk_lock);
	if (atomic_load_explicit(&m->pfn_walkers, memory_order_acquire)) {
		pthread_rwlock_unlock(&m->bulk_lock);
		return false;
	}
	ADD_ONCE(m->nr_bulk_updates, 1);
	return true;
}

void memmap_bulk_end(struct memhp_machine *m)
{
	pthread_rwlock_unlock(&m->bulk_lock);
}

static bool range_valid(struct memhp_machine *m, unsigned long pfn, unsigned long nr)
{
	return pfn + nr >= pfn && pfn + nr <= m->max_pfn && nr && pfn_valid_m(m, pfn) &&
	       pfn_valid_m(m, pfn + nr - 1);
}

unsigned long memhp_SetPageOffline_range(struct memhp_machine *m, unsigned long pfn,
					 unsigned long nr, unsigned int flags)
{
	const bool skippable = flags & MEMHP_PAGE_OFFLINE_SKIPPABLE;
	const bool unused = flags & MEMHP_PAGE_OFFLINE_UNUSED;
	struct memhp_page *page;
	unsigned long refused = 0;

	if (!range_valid(m, pfn, nr))
		return 0;
	page = pfn_to_page(m, pfn);
	if (memmap_bulk_begin(m)) {
		const uint64_t set = (skippable ? RAW0_FLAG(PG_offline_skippable) : 0) |
				     (unused ? RAW0_FLAG(PG_dirty) : 0);
		const uint64_t clear = unused ? RAW0_FLAG(PG_reserved) : 0;

		for (unsigned long i = 0; i < nr; i++) {
			uint64_t w = atomic_load_explicit(&page[i].raw[0], memory_order_relaxed);
			uint64_t n = (w | set) & ~clear;

			if (likely(!(w & RAW0_TYPE_MASK)))
				n |= RAW0_TYPE(PGTY_OFFLINE);
			else
				refused++;
			atomic_store_explicit(&page[i].raw[0], n, memory_order_relaxed);
		}
		memmap_bulk_end(m);
		return refused;
	}
	for (unsigned long i = 0; i < nr; i++) {
		refused += memhp_SetPageOffline(&page[i]) != 0;
		if (skippable)
			memhp_SetPageOfflineSkippable(&page[i]);
		if (unused) {
			memhp_SetPageDirty(&page[i]);
			memhp_ClearPageReserved(&page[i]);
		}
	}
	return refused;
}

unsigned long memhp_ClearPageOffline_range(struct memhp_machine *m, unsigned long pfn,
					   unsigned long nr, unsigned int flags)
{
	const bool unused = flags & MEMHP_PAGE_OFFLINE_UNUSED;
	struct memhp_page *page;
	unsigned long refused = 0;

	if (!range_valid(m, pfn, nr))
		return 0;
	page = pfn_to_page(m, pfn);
	if (memmap_bulk_begin(m)) {
		const uint64_t clear =
			RAW0_FLAG(PG_offline_skippable) | (unused ? RAW0_FLAG(PG_dirty) : 0);

		for (unsigned long i = 0; i < nr; i++) {
			uint64_t w = atomic_load_explicit(&page[i].raw[0], memory_order_relaxed);
			uint64_t n = w & ~clear;

			if (likely((w & RAW0_TYPE_MASK) == RAW0_TYPE(PGTY_OFFLINE)))
				n &= ~RAW0_TYPE_MASK;
			else
				refused++;
			atomic_store_explicit(&page[i].raw[0], n, memory_order_relaxed);
		}
		memmap_bulk_end(m);
		return refused;
	}
	for (unsigned long i = 0; i < nr; i++) {
		memhp_ClearPageOfflineSkippable(&page[i]);
		refused += memhp_ClearPageOffline(&page[i]) != 0;
		if (unused)
			memhp_ClearPageDirty(&page[i]);
	}
	return refused;
}

void memhp_page_ref_dec_range(struct memhp_machine *m, unsigned long pfn, unsigned long nr,
			      memhp_page_fn still_referenced, void *priv)
{
	struct memhp_page *page;

	if (!range_valid(m, pfn, nr))
		return;
	page = pfn_to_page(m, pfn);
	if (memmap_bulk_begin(m)) {
		for (unsigned long i = 0; i < nr; i++) {
			uint64_t w = atomic_load_explicit(&page[i].raw[0], memory_order_relaxed);

			/* The last reference: the count goes to 0, nothing else
			 * changes. Any other count takes the per-page path,
			 * which reports an underflow as it always does. */
			if (likely((w & RAW0_REFCOUNT_MASK) == 1)) {
				atomic_store_explicit(&page[i].raw[0], w - 1, memory_order_relaxed);
				continue;
			}
			if (!memhp_page_ref_dec_and_test(&page[i]) && still_referenced)
				still_referenced(&page[i], priv);
		}
		memmap_bulk_end(m);
		return;
	}
	for (unsigned long i = 0; i < nr; i++)
		if (!memhp_page_ref_dec_and_test(&page[i]) && still_referenced)
			still_referenced(&page[i], priv);
}

void memhp_page_ref_inc_range(struct memhp_machine *m, unsigned long pfn, unsigned long nr)
{
	struct memhp_page *page;

	if (!range_valid(m, pfn, nr))
		return;
	page = pfn_to_page(m, pfn);
	if (memmap_bulk_begin(m)) {
		for (unsigned long i = 0; i < nr; i++) {
			uint64_t w = atomic_load_explicit(&page[i].raw[0], memory_order_relaxed);

			/* A count that would carry into the flags takes the
			 * atomic path, which wraps it as the kernel's would. */
			if (likely((w & RAW0_REFCOUNT_MASK) != RAW0_REFCOUNT_MASK))
				atomic_store_explicit(&page[i].raw[0], w + 1, memory_order_relaxed);
			else
				memhp_page_ref_inc(&page[i]);
		}
		memmap_bulk_end(m);
		return;
	}
	for (unsigned long i = 0; i < nr; i++)
		memhp_page_ref_inc(&page[i]);
}

static const char *const migratetype_names[MIGRATE_TYPES] = {
	"Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA", "Isolate",
};

const char *memhp_migratetype_name(int migratetype)
{
	if (migratetype < 0 || migratetype >= MIGRATE_TYPES)
		return NULL;
	return migratetype_names[migratetype];
}

int memhp_pfn_migratetype(struct memhp_machine *m, unsigned long pfn)
{
	if (!pfn_valid_m(m, pfn))
		return -EINVAL;
	return get_pfnblock_migratetype(m, pfn);
}

/*
 * bad_page(): the kernel prints "BUG: Bad page state", resets the page's
 * type (so it cannot look like a buddy page) and leaks it. We do the same
 * and log the finding.
 */
void report_bad_page(struct memhp_machine *m, struct memhp_page *page, const char *reason)
{
	unsigned long pfn = page_to_pfn_m(m, page);
	int type = page_type(page);
	char comm[TASK_COMM_LEN] = "memhp";

	/* bad_page()'s first line names current->comm: here the thread's. */
	pthread_getname_np(pthread_self(), comm, sizeof(comm));
	memhp_printk(m, KERN_ALERT, "BUG: Bad page state in process %s  pfn:%05lx", comm, pfn);

	memhp_report(m, pfn, MEMHP_RULE_BAD_PAGE, "Bad page state: %s (refcount %d, %s%s%s)",
		     reason, page_count(page),
		     type == PGTY_OFFLINE ? "PageOffline"
		     : type == PGTY_BUDDY ? "PageBuddy"
					  : "no type",
		     PageReserved(page) ? ", PG_reserved" : "",
		     __PageMovable(page) || PageLRU(page) ? ", movable" : "");
	atomic_store_explicit(&page->type, PGTY_NONE, memory_order_release);
}
