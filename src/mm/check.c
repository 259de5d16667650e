// SPDX-License-Identifier: MIT
/*
 * check.c - the invariant checker and the log of runtime findings.
 *
 * memhp_check() stops the world the way a hotplug operation would (device
 * hotplug lock, mem_hotplug_lock for write, every zone lock) and walks
 * sections, pageblocks, free lists and blocks against the invariants listed
 * in docs/semantics.md. Each finding has a rule (enum memhp_rule, check.h)
 * whose name and class are in the table below.
 */
#include "internal.h"

#include <dlfcn.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void violation_log_init(struct violation_log *log)
{
	mutex_init(&log->lock, LOCK_RANK_VIOLATIONS);
	log->total = log->kept = 0;
}

/* Each rule's name and class (check.h lists them). The names are stable:
 * output, scenarios, replay files, docs and tests use them. */
static const struct {
	const char *name;
	enum memhp_rule_class class;
} rules[MEMHP_NR_RULES] = {
#define V MEMHP_RULE_CLASS_VIOLATION
#define K MEMHP_RULE_CLASS_KERNEL
#define B MEMHP_RULE_CLASS_BENIGN
	[MEMHP_RULE_PAGE_CLASS] = { "page-class", V },
	[MEMHP_RULE_BUDDY_SHAPE] = { "buddy-shape", V },
	[MEMHP_RULE_BUDDY_MERGE] = { "buddy-merge", V },
	[MEMHP_RULE_FREE_LIST] = { "free-list", V },
	[MEMHP_RULE_ISOLATE_LIST] = { "isolate-list", V },
	[MEMHP_RULE_PCP_PAGE] = { "pcp-page", V },
	[MEMHP_RULE_COMPOUND] = { "compound", V },
	[MEMHP_RULE_CMA] = { "cma", V },
	[MEMHP_RULE_HWPOISON] = { "hwpoison", V },
	[MEMHP_RULE_MANAGED_PAGES] = { "managed-pages", V },
	[MEMHP_RULE_PRESENT_PAGES] = { "present-pages", V },
	[MEMHP_RULE_NR_FREE_PAGES] = { "nr-free-pages", V },
	[MEMHP_RULE_NR_ISOLATE_PAGEBLOCK] = { "nr-isolate-pageblock", V },
	[MEMHP_RULE_NODE_STAT] = { "node-stat", V },
	[MEMHP_RULE_TOTALRAM] = { "totalram", V },
	[MEMHP_RULE_ZONE_SPAN] = { "zone-span", V },
	[MEMHP_RULE_BLOCK_STATE] = { "block-state", V },
	[MEMHP_RULE_BLOCK_ZONE] = { "block-zone", V },
	[MEMHP_RULE_SECTION_STATE] = { "section-state", V },
	[MEMHP_RULE_MOVABLE_OWNER] = { "movable-owner", V },
	[MEMHP_RULE_PAGEOFFLINE_REFCOUNT] = { "pageoffline-refcount", V },
	[MEMHP_RULE_ALLOC_FROM_ISOLATED] = { "alloc-from-isolated", V },
	[MEMHP_RULE_NOTIFIER_SEQUENCE] = { "notifier-sequence", V },
	[MEMHP_RULE_SLAB] = { "slab", V },
	[MEMHP_RULE_VIRTIO_MEM_STATE] = { "virtio-mem-state", V },
	[MEMHP_RULE_VIRTIO_MEM_CHECK] = { "virtio-mem-check", V },
	[MEMHP_RULE_ACPI_REMOVE_MEMORY] = { "acpi-remove-memory", V },
	[MEMHP_RULE_LUA_THREAD] = { "lua-thread", V },
	[MEMHP_RULE_TORTURE_SELFTEST] = { "torture-selftest", V },
	[MEMHP_RULE_HANG] = { "hang", V },
	[MEMHP_RULE_DATA_LOST] = { "data-lost", V },
	[MEMHP_RULE_UNKNOWN] = { "unknown", V },
	[MEMHP_RULE_BAD_PAGE] = { "bad-page", K },
	[MEMHP_RULE_FAKE_OFFLINE_REFERENCED] = { "fake-offline-referenced", K },
	[MEMHP_RULE_OFFLINE_ISOLATED_PAGES] = { "offline-isolated-pages", K },
	[MEMHP_RULE_WARN] = { "warn", K },
	[MEMHP_RULE_HWPOISON_LEAK] = { "hwpoison-leak", K },
	[MEMHP_RULE_OFFLINE_POISONED_MOVABLE] = { "offline-poisoned-movable", K },
	[MEMHP_RULE_HWPOISON_REUSE] = { "hwpoison-reuse", K },
	[MEMHP_RULE_VIRTIO_MEM_MEMORY_LEFT] = { "virtio-mem-memory-left", K },
	[MEMHP_RULE_BALLOON_PAGE_TYPE] = { "balloon-page-type", K },
	[MEMHP_RULE_VIRTIO_MEM_BROKEN] = { "virtio-mem-broken", B },
	[MEMHP_RULE_MEMHP_NO_MEMORY] = { "memhp-no-memory", B },
	[MEMHP_RULE_HOT_ADD_LEAK] = { "hot-add-leak", B },
	/* Not a kernel rule: a scenario's check that failed is its verdict. */
	[MEMHP_RULE_SCENARIO] = { "scenario", V },
#undef V
#undef K
#undef B
};

const char *memhp_rule_name(enum memhp_rule rule)
{
	return (unsigned)rule < MEMHP_NR_RULES ? rules[rule].name : NULL;
}

int memhp_rule_from_name(const char *name)
{
	for (int i = 0; name && i < MEMHP_NR_RULES; i++)
		if (!strcmp(name, rules[i].name))
			return i;
	return -EINVAL;
}

enum memhp_rule_class memhp_rule_class(enum memhp_rule rule)
{
	return (unsigned)rule < MEMHP_NR_RULES ? rules[rule].class : MEMHP_RULE_CLASS_VIOLATION;
}

static void add_violation(struct memhp_check_report *r, size_t *count, size_t *stored,
			  unsigned long pfn, enum memhp_rule rule, const char *fmt, va_list ap)
{
	if (r && *stored < MEMHP_CHECK_MAX_REPORTED) {
		struct memhp_violation *v = &r->v[(*stored)++];

		v->pfn = pfn;
		v->rule = rule;
		v->name = rules[rule].name;
		vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
	}
	(*count)++;
}

static void vreport(struct memhp_machine *m, unsigned long pfn, enum memhp_rule rule,
		    const char *name, bool bug, const char *fmt, va_list ap)
{
	struct violation_log *log = &m->violations;
	char detail[MEMHP_VIOLATION_DETAIL];
	struct memhp_ev_finding f;

	vsnprintf(detail, sizeof(detail), fmt, ap);
	pthread_mutex_lock(&log->lock);
	if (log->kept < MEMHP_VIOLATION_LOG) {
		struct memhp_violation *v = &log->v[log->kept++];

		v->pfn = pfn;
		v->rule = rule;
		v->name = name;
		v->bug = bug;
		memcpy(v->detail, detail, sizeof(detail));
	}
	log->total++;
	pthread_mutex_unlock(&log->lock);
	mhp_emit(m, MEMHP_EV_FINDING, finding, .rule = rule, .name = name, .pfn = pfn,
		 .detail = detail, .bug = bug);
	f = (struct memhp_ev_finding){
		.rule = rule, .name = name, .pfn = pfn, .detail = detail, .bug = bug
	};
	if (pfn == MEMHP_NO_PFN)
		mhp_log_finding(m, &f, "memhp: %s: %s", name, detail);
	else
		mhp_log_finding(m, &f, "memhp: %s at pfn %#lx: %s", name, pfn, detail);
}

/* A rule out of range is memhp's bug: say so rather than index past the
 * table. */
static void vreport_rule(struct memhp_machine *m, unsigned long pfn, enum memhp_rule rule, bool bug,
			 const char *fmt, va_list ap)
{
	if ((unsigned)rule >= MEMHP_NR_RULES)
		rule = MEMHP_RULE_UNKNOWN;
	vreport(m, pfn, rule, rules[rule].name, bug, fmt, ap);
}

void memhp_report(struct memhp_machine *m, unsigned long pfn, enum memhp_rule rule, const char *fmt,
		  ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport_rule(m, pfn, rule, false, fmt, ap);
	va_end(ap);
}

void memhp_report_bug(struct memhp_machine *m, unsigned long pfn, enum memhp_rule rule,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport_rule(m, pfn, rule, true, fmt, ap);
	va_end(ap);
}

void memhp_report_named(struct memhp_machine *m, unsigned long pfn, const char *name,
			const char *fmt, ...)
{
	int rule = memhp_rule_from_name(name);
	va_list ap;

	va_start(ap, fmt);
	if (rule >= 0)
		vreport(m, pfn, (enum memhp_rule)rule, rules[rule].name, false, fmt, ap);
	else
		vreport(m, pfn, MEMHP_RULE_SCENARIO, name ? name : rules[MEMHP_RULE_SCENARIO].name,
			false, fmt, ap);
	va_end(ap);
}

size_t memhp_violations(struct memhp_machine *m, struct memhp_check_report *r)
{
	struct violation_log *log = &m->violations;
	size_t total;

	pthread_mutex_lock(&log->lock);
	total = log->total;
	if (r) {
		r->nr = total;
		r->shown = MIN(log->kept, (size_t)MEMHP_CHECK_MAX_REPORTED);
		memcpy(r->v, log->v, r->shown * sizeof(r->v[0]));
	}
	pthread_mutex_unlock(&log->lock);
	return total;
}

void memhp_violations_clear(struct memhp_machine *m)
{
	pthread_mutex_lock(&m->violations.lock);
	m->violations.total = m->violations.kept = 0;
	pthread_mutex_unlock(&m->violations.lock);
}

void memhp_print_report(FILE *f, const struct memhp_check_report *r)
{
	size_t shown = r->shown;

	for (size_t i = 0; i < shown; i++) {
		if (r->v[i].pfn == MEMHP_NO_PFN)
			fprintf(f, "  %-24s %s\n", r->v[i].name, r->v[i].detail);
		else
			fprintf(f, "  %-24s pfn %#lx: %s\n", r->v[i].name, r->v[i].pfn,
				r->v[i].detail);
	}
	if (r->nr > shown)
		fprintf(f, "  ... and %zu more\n", r->nr - shown);
}

/* ---- The walk --------------------------------------------------------------- */

/* A broken invariant tends to break everywhere at once; keep the report
 * readable by storing only the first few findings of each rule. */
#define CHECK_REPORT_PER_RULE 8
/* Pages of one zone a managed-pages finding names at most, and the ledger's
 * last changes it names for each. */
#define CHECK_LEDGER_NAMED 4
#define CHECK_LEDGER_CHANGES 2

/* Per-zone counts are kept by node and zone. */
#define NR_ZSLOTS (MEMHP_MAX_NUMNODES * MAX_NR_ZONES)
#define ZSLOT(zone) (zone_to_nid(zone) * MAX_NR_ZONES + (int)(zone)->idx)

struct checker {
	struct memhp_machine *m;
	struct memhp_check_report *r;
	/* The sections and blocks walked: all of them, or what an operation
	 * touched. Only a whole walk can check the counters. */
	unsigned long first_section, end_section;
	bool whole;
	size_t n, stored;
	unsigned int rule_count[MEMHP_NR_RULES];
	/* Per zone, what the memmap walk counted. */
	unsigned long present[NR_ZSLOTS];
	unsigned long managed[NR_ZSLOTS];
	/* What the managed pages are, said when the count is off: free in
	 * the buddy, refcount 0 outside it (per-cpu lists), PageOffline
	 * pages their owner left managed; the rest is in use. */
	unsigned long managed_buddy[NR_ZSLOTS], managed_unref[NR_ZSLOTS],
		managed_offline[NR_ZSLOTS];
	/* Pages the walk counted as managed, in all zones: each step's share
	 * is held against the managed ledger's bits. The first pages whose
	 * bit disagrees, per zone, are named if the zone's count is off. */
	unsigned long counted;
	unsigned long ledger_odd[NR_ZSLOTS][CHECK_LEDGER_NAMED];
	unsigned int nr_ledger_odd[NR_ZSLOTS];
	unsigned long free_nonisolate[NR_ZSLOTS];
	unsigned long isolate_pageblocks[NR_ZSLOTS];
	unsigned long chunks[NR_ZSLOTS][NR_ORDERS][MIGRATE_TYPES];
	/* PG_hwpoison pages in every present memmap, online or not. */
	unsigned long hwpoison;
	/* Heads of per-cpu list pages the memmap walk met. */
	unsigned long pcp_heads;
	/* Hugetlb heads per hstate, and those free in their pool. */
	unsigned long huge[MEMHP_HUGETLB_MAX_HSTATES], huge_free[MEMHP_HUGETLB_MAX_HSTATES];
	/* Pages in LRU add batches, read before the zone locks. */
	uint32_t *batched;
	size_t nr_batched;
	/* Free pages on CMA lists, and CMA pageblocks, per zone. */
	unsigned long free_cma[NR_ZSLOTS], cma_pageblocks[NR_ZSLOTS];
};

static void fail(struct checker *c, unsigned long pfn, enum memhp_rule rule, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fail(struct checker *c, unsigned long pfn, enum memhp_rule rule, const char *fmt, ...)
{
	va_list ap;

	if (c->rule_count[rule]++ >= CHECK_REPORT_PER_RULE) {
		c->n++;
		return;
	}
	va_start(ap, fmt);
	add_violation(c->r, &c->n, &c->stored, pfn, rule, fmt, ap);
	va_end(ap);
}

/* Is @pfn memory (not a hole)? Hot-added sections have no holes. */
static bool pfn_is_ram(struct memhp_machine *m, unsigned long pfn)
{
	if (!section_flag(m, pfn_to_section_nr(m, pfn), SECTION_IS_EARLY))
		return true;
	for (unsigned int i = 0; i < m->cfg.nr_boot; i++)
		if (pfn >= PHYS_PFN(m->cfg.boot[i].start) &&
		    pfn < PHYS_PFN(m->cfg.boot[i].start + m->cfg.boot[i].size))
			return true;
	return false;
}

/* Is all of section @nr memory? Hot-added sections are; boot sections
 * unless a hole or the end of RAM falls inside. */
static bool section_is_ram(struct memhp_machine *m, unsigned long nr)
{
	const uint64_t s = PFN_PHYS(section_nr_to_pfn(m, nr)),
		       e = PFN_PHYS(section_nr_to_pfn(m, nr + 1));

	if (!section_flag(m, nr, SECTION_IS_EARLY))
		return true;
	for (unsigned int i = 0; i < m->cfg.nr_boot; i++)
		if (m->cfg.boot[i].start <= s && e <= m->cfg.boot[i].start + m->cfg.boot[i].size)
			return true;
	return false;
}

/*
 * What a walk of the free lists checks, for one chunk: its neighbours on
 * its list point back at it. A range check cannot walk whole lists (they
 * run through the machine), so it checks the links of the chunks it meets.
 */
static void check_chunk_links(struct checker *c, struct zone *zone, unsigned long pfn,
			      unsigned int order, int list)
{
	struct memhp_machine *m = c->m;
	const struct free_list *fl = &zone->free_area[order].free_list[list];
	struct memhp_page *page = pfn_to_page(m, pfn);
	uint32_t prev = page->buddy.prev, next = page->buddy.next;
	bool ok = true;

	if (prev == PFN_NIL)
		ok = fl->head == pfn;
	else
		ok = prev < m->max_pfn && pfn_online(m, prev) && PageBuddy(pfn_to_page(m, prev)) &&
		     pfn_to_page(m, prev)->buddy.next == pfn;
	if (ok && next == PFN_NIL)
		ok = fl->tail == pfn;
	else if (ok)
		ok = next < m->max_pfn && pfn_online(m, next) && PageBuddy(pfn_to_page(m, next)) &&
		     pfn_to_page(m, next)->buddy.prev == pfn;
	if (!ok)
		fail(c, pfn, MEMHP_RULE_FREE_LIST,
		     "%s order-%u %s chunk is not linked into its list", zone->name, order,
		     memhp_migratetype_name(list));
}

/* Are the tails of the free chunk at @head refcount 0 and untyped, and no
 * page of it PG_hwpoison (legal, but counted page by page)? */
static bool chunk_pages_clean(const struct memhp_page *head, unsigned int order)
{
	const uint64_t tail_bad = RAW0_REFCOUNT_MASK | RAW0_TYPE_MASK | RAW0_FLAG(PG_hwpoison);
	uint64_t bad = page_raw0(head) & RAW0_FLAG(PG_hwpoison);

	for (unsigned long i = 1; i < (1UL << order); i++)
		bad |= atomic_load_explicit(&((struct memhp_page *)head)[i].raw[0],
					    memory_order_relaxed) &
		       tail_bad;
	return !bad;
}

static void check_free_chunk(struct checker *c, unsigned long pfn, struct memhp_page *page)
{
	struct memhp_machine *m = c->m;
	unsigned int order = buddy_order(page);
	int list = buddy_list(page);
	struct zone *zone = pfn_zone(m, pfn);
	unsigned long end = pfn + (1UL << order);
	bool isolated = false, nonisolated = false;

	if (order > m->max_order || (pfn & ((1UL << order) - 1))) {
		fail(c, pfn, MEMHP_RULE_BUDDY_SHAPE, "order-%u chunk misaligned or too large",
		     order);
		return;
	}
	if (pfn_to_section_nr(m, pfn) != pfn_to_section_nr(m, end - 1))
		fail(c, pfn, MEMHP_RULE_BUDDY_SHAPE, "order-%u chunk crosses a section", order);
	if (page_count(page))
		fail(c, pfn, MEMHP_RULE_PAGE_CLASS, "free chunk head has refcount %d",
		     page_count(page));
	if (list < 0 || list >= MIGRATE_TYPES) {
		fail(c, pfn, MEMHP_RULE_FREE_LIST, "chunk on unknown list %d", list);
		return;
	}
	/* The usual case first: every tail free and untyped, no page
	 * poisoned, in one pass; the page by page walk below says which
	 * page is not. */
	if (unlikely(!chunk_pages_clean(page, order))) {
		for (unsigned long p = pfn + 1; p < end; p++) {
			struct memhp_page *t = pfn_to_page(m, p);

			if (page_count(t) || page_type(t) != PGTY_NONE) {
				fail(c, p, MEMHP_RULE_PAGE_CLASS,
				     "page inside a free chunk is not free");
				break;
			}
		}
		/* A poisoned page may sit in a free chunk, as in 6.1: the
		 * allocator's check_new_pages() never hands it out. Counted. */
		for (unsigned long p = pfn; p < end; p++)
			if (PageHWPoison(pfn_to_page(m, p)))
				c->hwpoison++;
	}
	for (unsigned long p = pfn; p < end; p += m->pageblock_nr_pages) {
		if (pfn_zone(m, p) != zone)
			fail(c, p, MEMHP_RULE_BUDDY_SHAPE, "free chunk spans zones");
		if (is_migrate_isolate_pfn(m, p))
			isolated = true;
		else
			nonisolated = true;
	}
	if (isolated && nonisolated)
		fail(c, pfn, MEMHP_RULE_BUDDY_MERGE,
		     "free chunk merges isolated and non-isolated pageblocks");
	if (isolated && list != MIGRATE_ISOLATE)
		fail(c, pfn, MEMHP_RULE_ISOLATE_LIST,
		     "free chunk of an isolated pageblock is on the %s list",
		     memhp_migratetype_name(list));
	if (!isolated && (list == MIGRATE_CMA) != (get_pfnblock_migratetype(m, pfn) == MIGRATE_CMA))
		fail(c, pfn, MEMHP_RULE_CMA, "free chunk of a %s pageblock is on the %s list",
		     memhp_migratetype_name(get_pfnblock_migratetype(m, pfn)),
		     memhp_migratetype_name(list));
	if (list == MIGRATE_CMA)
		c->free_cma[ZSLOT(zone)] += 1UL << order;
	if (!isolated && list == MIGRATE_ISOLATE)
		fail(c, pfn, MEMHP_RULE_ISOLATE_LIST,
		     "free chunk on the Isolate list outside isolation");
	if (!c->whole)
		check_chunk_links(c, zone, pfn, order, list);
	c->chunks[ZSLOT(zone)][order][list]++;
	if (list != MIGRATE_ISOLATE)
		c->free_nonisolate[ZSLOT(zone)] += 1UL << order;
	c->managed[ZSLOT(zone)] += 1UL << order;
	c->counted += 1UL << order;
	c->managed_buddy[ZSLOT(zone)] += 1UL << order;
	c->present[ZSLOT(zone)] += 1UL << order;
}

/*
 * A huge page is whole: a head of a sane order, naturally aligned, whose
 * every tail says it belongs to it, is free of references and types, and
 * lies in the head's zone; a hugetlb head is of one of the hstates, free
 * (refcount 0, on its pool's free list) or in use (referenced).
 */
static void check_compound_head(struct checker *c, unsigned long pfn, struct memhp_page *head)
{
	struct memhp_machine *m = c->m;
	const unsigned int order = compound_order(head);
	const unsigned long nr = 1UL << order;
	const bool hugetlb = test_page_flag(head, PG_hugetlb);
	struct zone *zone = pfn_zone(m, pfn);

	if (!order || (pfn & (nr - 1)) || pfn + nr > m->max_pfn) {
		fail(c, pfn, MEMHP_RULE_COMPOUND,
		     "compound head of order %u is not naturally aligned", order);
		return;
	}
	if (hugetlb) {
		int h = -1;

		for (int i = 0; i < m->nr_hstates; i++)
			if (m->hstates[i].order == order)
				h = i;
		if (h < 0)
			fail(c, pfn, MEMHP_RULE_COMPOUND, "hugetlb page of order %u has no hstate",
			     order);
		else {
			c->huge[h]++;
			if (!page_count(head)) {
				c->huge_free[h]++;
				if (!(atomic_load_explicit(&head->order, memory_order_relaxed) &
				      HUGETLB_FREED_MARK))
					fail(c, pfn, MEMHP_RULE_COMPOUND,
					     "hugetlb page with refcount 0 is not in its pool");
			}
		}
	} else if (!page_count(head)) {
		fail(c, pfn, MEMHP_RULE_COMPOUND, "THP head with refcount 0");
	}
	for (unsigned long i = 1; i < nr; i++) {
		struct memhp_page *t = head + i;
		const uint64_t w = page_raw0(t);

		if (!pfn_online(m, pfn + i) || !raw0_flag(w, PG_tail) ||
		    atomic_load_explicit(&t->m.private, memory_order_relaxed) != i ||
		    raw0_count(w) || raw0_type(w) || raw0_flag(w, PG_head) ||
		    pfn_zone(m, pfn + i) != zone) {
			fail(c, pfn + i, MEMHP_RULE_COMPOUND,
			     "page %lu of the order-%u %s at %#lx is not a tail of it", i, order,
			     hugetlb ? "hugetlb page" : "THP", pfn);
			return;
		}
	}
}

static void check_page(struct checker *c, unsigned long pfn, struct memhp_page *page)
{
	struct memhp_machine *m = c->m;
	struct zone *zone = pfn_zone(m, pfn);
	int count = page_count(page);
	bool reserved = PageReserved(page);

	if (!pfn_is_ram(m, pfn)) {
		if (!reserved)
			fail(c, pfn, MEMHP_RULE_PAGE_CLASS, "a hole page is not PG_reserved");
		return;
	}
	c->present[ZSLOT(zone)]++;
	if (PagePcp(page))
		c->pcp_heads++;
	if (PageHead(page))
		check_compound_head(c, pfn, page);
	else if (PageTail(page) && PageHead(compound_head(page)) &&
		 (unsigned long)(page - compound_head(page)) >=
			 1UL << compound_order(compound_head(page)))
		fail(c, pfn, MEMHP_RULE_COMPOUND, "tail page beyond its head's order");
	else if (PageTail(page) && !PageHead(compound_head(page)))
		fail(c, pfn, MEMHP_RULE_COMPOUND, "tail page whose head is not a compound head");
	/* Poisoned pages are neither free nor leaked: they stay in the managed
	 * count (6.1 never takes them out), as whatever else they are; here
	 * they are only counted, against num_poisoned_pages. */
	if (PageHWPoison(page))
		c->hwpoison++;
	if (PageOffline(page)) {
		/* Owners that left the page in managed_pages say so; such a
		 * page may also be the refcount-0 tail of a non-compound
		 * allocation (vmw_balloon's 2 MiB pages). */
		const bool managed = PageOfflineManaged(page);

		if (m->cfg.protocol == MEMHP_PROTOCOL_6_1 && count == 0 && !managed)
			fail(c, pfn, MEMHP_RULE_PAGEOFFLINE_REFCOUNT,
			     "PageOffline page with refcount 0 outside MEM_GOING_OFFLINE");
		/* The driver's reference must be there; a speculative one
		 * (a PFN walker, compaction's scanner) may come on top at any
		 * moment, and only __offline_isolated_pages() minds it. */
		if (m->cfg.protocol == MEMHP_PROTOCOL_2025 && PageOfflineSkippable(page) &&
		    count < 1)
			fail(c, pfn, MEMHP_RULE_PAGEOFFLINE_REFCOUNT,
			     "skippable PageOffline page with refcount %d, not 1", count);
		if (managed) {
			c->managed[ZSLOT(zone)]++;
			c->counted++;
			c->managed_offline[ZSLOT(zone)]++;
		}
		/* Reserved PageOffline pages (hv_balloon) are legal, only
		 * unofflinable. */
		return;
	}
	if (test_page_flag(page, PG_vmemmap_self_hosted))
		return;
	if (reserved) {
		if (!count)
			fail(c, pfn, MEMHP_RULE_PAGE_CLASS, "PG_reserved page with refcount 0");
		return;
	}
	if ((PageLRU(page) || __PageMovable(page)) && !count)
		fail(c, pfn, MEMHP_RULE_PAGE_CLASS, "movable page with refcount 0");
	if (PageLRU(page) || __PageMovable(page)) {
		int owner = page_owner_id(page);

		if (owner <= 0 || owner >= MEMHP_MAX_MOVABLE_OWNERS ||
		    !atomic_load(&m->owners[owner].ops))
			fail(c, pfn, MEMHP_RULE_MOVABLE_OWNER,
			     "movable page without a registered owner");
	}
	c->managed[ZSLOT(zone)]++;
	c->counted++;
	if (!count)
		c->managed_unref[ZSLOT(zone)]++;
}

/*
 * check_page() on @page and on the pages after it, up to @end, whose first
 * word is the same, when check_page() found nothing wrong with it and
 * would find the same for them: it looks at nothing else for a page that
 * is RAM (its whole section is), not movable (whose owner is in the
 * second word) and in the same pageblock, hence zone. Returns how many pages were checked.
 */
static unsigned long check_pages(struct checker *c, unsigned long pfn, struct memhp_page *page,
				 unsigned long end)
{
	struct memhp_machine *m = c->m;
	const size_t found = c->n;
	const unsigned long pb_end =
		MIN(end, ALIGN_DOWN(pfn, m->pageblock_nr_pages) + m->pageblock_nr_pages);
	const uint64_t w = page_raw0(page);
	unsigned long like;
	struct zone *zone;

	check_page(c, pfn, page);
	if (c->n != found || raw0_flag(w, PG_lru) || raw0_flag(w, PG_movable) ||
	    !section_is_ram(m, pfn_to_section_nr(m, pfn)))
		return 1;
	like = raw0_run(page + 1, pb_end - pfn - 1, w);
	if (!like)
		return 1;
	/* What check_page() counts for each of them. */
	zone = pfn_zone(m, pfn);
	c->present[ZSLOT(zone)] += like;
	if (!raw0_type(w) && !raw0_flag(w, PG_head) && (raw0_order_byte(w) & PCP_PAGE_MARK))
		c->pcp_heads += like;
	if (raw0_flag(w, PG_hwpoison))
		c->hwpoison += like;
	if (raw0_type(w) == PGTY_OFFLINE) {
		if (raw0_flag(w, PG_offline_managed)) {
			c->managed[ZSLOT(zone)] += like;
			c->counted += like;
			c->managed_offline[ZSLOT(zone)] += like;
		}
	} else if (!raw0_flag(w, PG_vmemmap_self_hosted) && !raw0_flag(w, PG_reserved)) {
		c->managed[ZSLOT(zone)] += like;
		c->counted += like;
		if (!raw0_count(w))
			c->managed_unref[ZSLOT(zone)] += like;
	}
	return 1 + like;
}

/* ---- The managed ledger ---------------------------------------------------------------------- */

/* The ledger's last changes, a ring: who changed which pages' bits. */
#define LEDGER_HISTORY 4096

struct ledger_change {
	unsigned long pfn, nr;
	const void *site; /* the caller's caller: the driver, or NULL (offline) */
	unsigned long seq;
	bool counted;
	char comm[MEMHP_THREAD_NAME_LEN];
};

struct ledger_history {
	pthread_mutex_t lock;
	unsigned long seq;
	struct ledger_change ring[LEDGER_HISTORY];
};

int managed_ledger_init(struct memhp_machine *m)
{
	if (!m->cfg.check_after_ops)
		return 0;
	/* Untouched words cost nothing: a sparse machine pays for what is
	 * ever counted. */
	m->managed_ledger = calloc(BITS_TO_WORDS(m->max_pfn), sizeof(*m->managed_ledger));
	m->managed_history = calloc(1, sizeof(*m->managed_history));
	if (!m->managed_ledger || !m->managed_history)
		return -ENOMEM;
	pthread_mutex_init(&m->managed_history->lock, NULL);
	return 0;
}

void managed_ledger_destroy(struct memhp_machine *m)
{
	if (m->managed_history)
		pthread_mutex_destroy(&m->managed_history->lock);
	free(m->managed_history);
	free((void *)m->managed_ledger);
}

static void ledger_remember(struct memhp_machine *m, unsigned long pfn, unsigned long nr,
			    bool counted, const void *site)
{
	struct ledger_history *h = m->managed_history;
	struct ledger_change *c;

	pthread_mutex_lock(&h->lock);
	c = &h->ring[h->seq % LEDGER_HISTORY];
	*c = (struct ledger_change){
		.pfn = pfn, .nr = nr, .site = site, .seq = ++h->seq, .counted = counted
	};
	pthread_getname_np(pthread_self(), c->comm, sizeof(c->comm));
	pthread_mutex_unlock(&h->lock);
}

/* Bits [@bit, @bit + @n) of a word. */
static inline uint64_t word_mask(unsigned int bit, unsigned int n)
{
	return (n == BITS_PER_WORD ? ~0ULL : ((1ULL << n) - 1)) << bit;
}

/*
 * Whoever changes a zone's managed_pages says which pages the change is
 * about: [@pfn, +@nr) are now @counted, or no longer. Under the same
 * locks as the count, so the checker sees both or neither.
 */
void managed_ledger_update(struct memhp_machine *m, unsigned long pfn, unsigned long nr,
			   bool counted, const void *site)
{
	_Atomic uint64_t *l = m->managed_ledger;

	if (!l || pfn >= m->max_pfn)
		return;
	nr = MIN(nr, m->max_pfn - pfn);
	ledger_remember(m, pfn, nr, counted, site);
	while (nr) {
		const unsigned int bit = pfn % BITS_PER_WORD;
		const unsigned int n = (unsigned int)MIN(nr, (unsigned long)(BITS_PER_WORD - bit));
		const uint64_t mask = word_mask(bit, n);

		if (counted)
			atomic_fetch_or_explicit(&l[pfn / BITS_PER_WORD], mask,
						 memory_order_relaxed);
		else
			atomic_fetch_and_explicit(&l[pfn / BITS_PER_WORD], ~mask,
						  memory_order_relaxed);
		pfn += n;
		nr -= n;
	}
}

/* The first page of [@pfn, +@nr) whose bit is not @want, a word at a time;
 * @pfn + @nr if none. */
static unsigned long managed_ledger_other(const struct memhp_machine *m, unsigned long pfn,
					  unsigned long nr, bool want)
{
	const unsigned long end = pfn + nr;

	while (pfn < end) {
		const unsigned int bit = pfn % BITS_PER_WORD;
		const unsigned int n =
			(unsigned int)MIN(end - pfn, (unsigned long)(BITS_PER_WORD - bit));
		const uint64_t mask = word_mask(bit, n);
		uint64_t w = atomic_load_explicit(&m->managed_ledger[pfn / BITS_PER_WORD],
						  memory_order_relaxed);
		uint64_t odd = (want ? ~w : w) & mask;

		if (odd)
			return pfn - bit + (unsigned long)__builtin_ctzll(odd);
		pfn += n;
	}
	return end;
}

/*
 * The walk counted @counted of the @nr alike pages at @pfn as managed
 * (all or none): in the ledger, every one of them must be, or none. The
 * ledger is a bit, not a count, so a page freed before its count is raised
 * (virtio-mem's fake-online, as 6.1 orders it) and taken meanwhile by
 * someone who lowers it ends with a stale bit while every zone's count is
 * right: the pages found odd are only named beside a count that is off.
 */
static void check_managed_ledger(struct checker *c, unsigned long pfn, unsigned long nr,
				 unsigned long counted)
{
	struct memhp_machine *m = c->m;
	unsigned long p;
	int z;

	if (!m->managed_ledger)
		return;
	p = managed_ledger_other(m, pfn, nr, counted != 0);
	if (p == pfn + nr)
		return;
	z = ZSLOT(pfn_zone(m, p));
	if (c->nr_ledger_odd[z] < CHECK_LEDGER_NAMED)
		c->ledger_odd[z][c->nr_ledger_odd[z]++] = p;
}

/*
 * The last changes of the ledger that were about @pfn, newest first, each
 * a finding: what it did, on which thread, from where (an offset into the
 * program, for addr2line -f -e; 0: offline_pages()).
 */
static void name_ledger_changes(struct checker *c, unsigned long pfn)
{
	struct ledger_history *h = c->m->managed_history;
	unsigned int named = 0;

	pthread_mutex_lock(&h->lock);
	for (unsigned long i = 0; i < LEDGER_HISTORY && i < h->seq && named < CHECK_LEDGER_CHANGES;
	     i++) {
		const struct ledger_change *x = &h->ring[(h->seq - 1 - i) % LEDGER_HISTORY];
		Dl_info info = { 0 };

		if (pfn < x->pfn || pfn >= x->pfn + x->nr)
			continue;
		if (x->site)
			dladdr(x->site, &info);
		fail(c, pfn, MEMHP_RULE_MANAGED_PAGES,
		     "ledger change %lu of %lu: %s%lu pages at %#lx, thread \"%s\", from %s+%#lx",
		     x->seq, h->seq, x->counted ? "+" : "-", x->nr, x->pfn, x->comm,
		     info.dli_fname ? strrchr(info.dli_fname, '/')
					      ? strrchr(info.dli_fname, '/') + 1
					      : info.dli_fname
				    : "?",
		     x->site ? (unsigned long)((const char *)x->site - (const char *)info.dli_fbase)
			     : 0UL);
		named++;
	}
	pthread_mutex_unlock(&h->lock);
}

/* A page the ledger disagrees on, and what it is, as one finding. */
static void name_ledger_page(struct checker *c, unsigned long pfn)
{
	const struct memhp_page *page = pfn_to_page(c->m, pfn);
	const bool counted = managed_ledger_other(c->m, pfn, 1, true) != pfn;

	fail(c, pfn, MEMHP_RULE_MANAGED_PAGES,
	     "%s page (%s, refcount %d%s%s%s%s) is %s managed page; managed_pages %s it",
	     pfn_zone(c->m, pfn)->name,
	     PageBuddy(page)	     ? "free in the buddy"
	     : PagePcp(page)	     ? "free on a per-cpu list"
	     : PageOffline(page)     ? "PageOffline"
	     : PageReserved(page)    ? "PG_reserved"
	     : page_count(page) == 0 ? "unreferenced"
				     : "in use",
	     page_count(page), PageHWPoison(page) ? ", hwpoison" : "",
	     PageLRU(page) || __PageMovable(page) ? ", movable" : "",
	     test_page_flag(page, PG_dirty) ? ", dirty" : "",
	     PageOffline(page) && PageOfflineManaged(page) ? ", left managed" : "",
	     counted ? "not a" : "a", counted ? "counts" : "does not count");
	name_ledger_changes(c, pfn);
}

static void check_memmap(struct checker *c)
{
	struct memhp_machine *m = c->m;

	for (unsigned long nr = c->first_section; nr < c->end_section; nr++) {
		unsigned long start = section_nr_to_pfn(m, nr), end = start + m->pages_per_section;
		struct memory_block *mem = find_memory_block_by_id(m, pfn_to_block_id(m, start));
		bool online = section_flag(m, nr, SECTION_IS_ONLINE);

		if (!section_flag(m, nr, SECTION_MARKED_PRESENT)) {
			if (online)
				fail(c, start, MEMHP_RULE_SECTION_STATE,
				     "section online but not present");
			continue;
		}
		if (!mem && !section_flag(m, nr, SECTION_ADD_FAILED))
			fail(c, start, MEMHP_RULE_SECTION_STATE,
			     "present section without a memory block");
		if (!online) {
			/* Offlining keeps PG_hwpoison; onlining re-initialises
			 * the memmap and forgets it. */
			for (unsigned long pfn = start; pfn < end; pfn++)
				if (PageHWPoison(pfn_to_page(m, pfn)))
					c->hwpoison++;
			continue;
		}
		for (unsigned long pb = start; pb < end; pb += m->pageblock_nr_pages) {
			struct zone *zone = pfn_zone(m, pb);

			if (is_migrate_isolate_pfn(m, pb))
				c->isolate_pageblocks[ZSLOT(zone)]++;
			if (get_pfnblock_migratetype(m, pb) == MIGRATE_CMA) {
				c->cma_pageblocks[ZSLOT(zone)]++;
				if (pb < m->cma.base_pfn || pb >= m->cma.base_pfn + m->cma.count)
					fail(c, pb, MEMHP_RULE_CMA,
					     "a CMA pageblock outside the CMA area");
			}
			if (!zone_spans_pfn(zone, pb) && pfn_is_ram(m, pb))
				fail(c, pb, MEMHP_RULE_ZONE_SPAN,
				     "online pageblock outside the %s span", zone->name);
		}
		for (unsigned long pfn = start; pfn < end;) {
			struct memhp_page *page = pfn_to_page(m, pfn);
			const unsigned long counted = c->counted;
			unsigned long step;

			if (PageBuddy(page)) {
				check_free_chunk(c, pfn, page);
				step = 1UL << MIN(buddy_order(page), m->max_order);
			} else {
				step = check_pages(c, pfn, page, end);
			}
			check_managed_ledger(c, pfn, step, c->counted - counted);
			pfn += step;
		}
	}
}

static void check_free_lists(struct checker *c)
{
	struct memhp_machine *m = c->m;

	for_each_zone(m, zone)
	{
		const int z = ZSLOT(zone);

		for (unsigned int o = 0; o <= m->max_order; o++) {
			unsigned long total = 0;

			for (int t = 0; t < MIGRATE_TYPES; t++) {
				unsigned long n = 0, limit = m->max_pfn + 1;
				uint32_t prev = PFN_NIL;

				for (uint32_t pfn = zone->free_area[o].free_list[t].head;
				     pfn != PFN_NIL && n < limit; n++) {
					struct memhp_page *p = pfn_to_page(m, pfn);

					if (!pfn_online(m, pfn) || !PageBuddy(p) ||
					    buddy_order(p) != o || buddy_list(p) != t ||
					    p->buddy.prev != prev) {
						fail(c, pfn, MEMHP_RULE_FREE_LIST,
						     "%s order-%u %s list holds a page that is "
						     "not a chunk of it",
						     zone->name, o, memhp_migratetype_name(t));
						break;
					}
					prev = pfn;
					pfn = p->buddy.next;
				}
				if (zone->free_area[o].free_list[t].tail != prev && n < limit &&
				    zone->free_area[o].nr_free_mt[t] == n)
					fail(c, MEMHP_NO_PFN, MEMHP_RULE_FREE_LIST,
					     "%s order-%u %s list tail", zone->name, o,
					     memhp_migratetype_name(t));
				if (n != zone->free_area[o].nr_free_mt[t] ||
				    n != c->chunks[z][o][t])
					fail(c, MEMHP_NO_PFN, MEMHP_RULE_FREE_LIST,
					     "%s order-%u %s: %lu linked, %lu counted, %lu in the "
					     "memmap",
					     zone->name, o, memhp_migratetype_name(t), n,
					     zone->free_area[o].nr_free_mt[t], c->chunks[z][o][t]);
				total += n;
			}
			if (total != zone->free_area[o].nr_free)
				fail(c, MEMHP_NO_PFN, MEMHP_RULE_FREE_LIST,
				     "%s order-%u nr_free %lu, %lu linked", zone->name, o,
				     zone->free_area[o].nr_free, total);
		}
	}
}

struct pcp_entry {
	unsigned long pfn;
	unsigned int order;
};

static int pcp_entry_cmp(const void *a, const void *b)
{
	const struct pcp_entry *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

/*
 * Every page on a per-cpu list is free exactly once: refcount 0 and no
 * type on all its pages, marked as a per-cpu page of the list's order,
 * in the list's zone, on no other list and in no buddy chunk; each
 * list's count is what it holds, and every marked page the memmap walk
 * met is on a list.
 */
static void check_pcp(struct checker *c)
{
	struct memhp_machine *m = c->m;
	struct pcp_entry *e = NULL;
	size_t n = 0, cap = 0;

	for_each_zone(m, zone)
	{
		lockdep_assert_held(&zone->lock);
		for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++) {
			struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];
			long pages = 0;

			lockdep_assert_held(&pcp->lock);
			for (unsigned int i = 0; i < NR_PCP_LISTS; i++) {
				unsigned int order = i >= NR_LOWORDER_PCP_LISTS
							     ? m->pageblock_order
							     : i / MIGRATE_PCPTYPES;
				unsigned long limit = m->max_pfn + 1, steps = 0;
				uint32_t prev = PFN_NIL;

				for (uint32_t pfn = pcp->lists[i].head; pfn != PFN_NIL;
				     pfn = pfn_to_page(m, pfn)->buddy.next) {
					struct memhp_page *p;

					if (++steps > limit || pfn >= m->max_pfn ||
					    !pfn_online(m, pfn)) {
						fail(c, pfn, MEMHP_RULE_PCP_PAGE,
						     "%s cpu%u list %u runs outside online memory",
						     zone->name, cpu, i);
						break;
					}
					p = pfn_to_page(m, pfn);
					if (p->buddy.prev != prev)
						fail(c, pfn, MEMHP_RULE_PCP_PAGE,
						     "%s cpu%u list %u is not linked back",
						     zone->name, cpu, i);
					prev = pfn;
					if (!PagePcp(p) || pcp_page_order(p) != order ||
					    (pfn & ((1UL << order) - 1)) ||
					    pfn_zone(m, pfn) != zone) {
						/* Its links mean nothing: stop this list. */
						fail(c, pfn, MEMHP_RULE_PCP_PAGE,
						     "page on the %s cpu%u order-%u list is not a "
						     "per-cpu page of it",
						     zone->name, cpu, order);
						break;
					}
					/* A poisoned page may be here (a chunk freed
					 * whole, as in 6.1): rmqueue_pcplist() names
					 * it when it hands it out. */
					for (unsigned long t = 0; t < (1UL << order); t++)
						if (page_count(p + t) || page_type(p + t)) {
							fail(c, pfn + t, MEMHP_RULE_PCP_PAGE,
							     "page on a per-cpu list is not free "
							     "(refcount %d, type %d)",
							     page_count(p + t), page_type(p + t));
							break;
						}
					if (n == cap) {
						struct pcp_entry *ne;

						cap = cap ? 2 * cap : 256;
						ne = realloc(e, cap * sizeof(*e));
						if (!ne) {
							free(e);
							return;
						}
						e = ne;
					}
					e[n].pfn = pfn;
					e[n++].order = order;
					pages += 1L << order;
				}
				if (pcp->lists[i].tail != prev)
					fail(c, MEMHP_NO_PFN, MEMHP_RULE_PCP_PAGE,
					     "%s cpu%u list %u: tail is not the last page",
					     zone->name, cpu, i);
			}
			if (pages != READ_ONCE(pcp->count))
				fail(c, MEMHP_NO_PFN, MEMHP_RULE_PCP_PAGE,
				     "%s cpu%u counts %d pages, its lists hold %ld", zone->name,
				     cpu, READ_ONCE(pcp->count), pages);
		}
	}
	if (n)
		qsort(e, n, sizeof(*e), pcp_entry_cmp);
	for (size_t i = 0; i < n; i++) {
		unsigned long head;
		unsigned int order;

		if (i && e[i - 1].pfn + (1UL << e[i - 1].order) > e[i].pfn)
			fail(c, e[i].pfn, MEMHP_RULE_PCP_PAGE,
			     "page is on two per-cpu lists at once");
		if (free_chunk_covering(m, e[i].pfn, &head, &order))
			fail(c, e[i].pfn, MEMHP_RULE_PCP_PAGE,
			     "page on a per-cpu list is also in the buddy (order-%u chunk at %#lx)",
			     order, head);
	}
	if (n != c->pcp_heads)
		fail(c, MEMHP_NO_PFN, MEMHP_RULE_PCP_PAGE,
		     "%lu pages are marked per-cpu, %zu are on per-cpu lists", c->pcp_heads, n);
	free(e);
}

/*
 * CMA pages never hold unmovable data: every page of the area in use is
 * movable (an LRU or movable owner's, on its way to the LRU, or part of a
 * movable compound page) or was handed out by cma_alloc(); the area's
 * pageblocks are CMA (or isolated by cma_alloc() right now), and the
 * counters agree with the lists. Whole checks only.
 */
static void check_cma(struct checker *c)
{
	struct memhp_machine *m = c->m;
	const struct cma *cma = &m->cma;

	for_each_zone(m, zone)
	{
		const int z = ZSLOT(zone);

		if ((unsigned long)READ_ONCE(zone->vm_nr_free_cma_pages) != c->free_cma[z])
			fail(c, MEMHP_NO_PFN, MEMHP_RULE_CMA,
			     "%s NR_FREE_CMA_PAGES %ld, the CMA lists hold %lu", zone->name,
			     (long)READ_ONCE(zone->vm_nr_free_cma_pages), c->free_cma[z]);
		if (READ_ONCE(zone->cma_pages) < c->cma_pageblocks[z] * m->pageblock_nr_pages)
			fail(c, MEMHP_NO_PFN, MEMHP_RULE_CMA,
			     "%s counts %lu CMA pages, has %lu in CMA pageblocks", zone->name,
			     READ_ONCE(zone->cma_pages),
			     c->cma_pageblocks[z] * m->pageblock_nr_pages);
	}
	for (unsigned long pfn = cma->base_pfn; pfn < cma->base_pfn + cma->count;) {
		struct memhp_page *page = pfn_to_page(m, pfn);
		const int mt = get_pfnblock_migratetype(m, pfn);
		struct memhp_page *head;

		if (pageblock_aligned(m, pfn) && mt != MIGRATE_CMA && mt != MIGRATE_ISOLATE)
			fail(c, pfn, MEMHP_RULE_CMA, "a pageblock of the CMA area is %s",
			     memhp_migratetype_name(mt));
		if (PageBuddy(page)) {
			pfn += 1UL << buddy_order(page);
			continue;
		}
		if (PagePcp(page)) {
			pfn += 1UL << pcp_page_order(page);
			continue;
		}
		head = compound_head(page);
		if (PageHead(head)) {
			const bool movable = test_page_flag(head, PG_hugetlb) ||
					     test_page_flag(head, PG_lru) ||
					     test_page_flag(head, PG_movable) ||
					     test_page_flag(head, PG_isolated);

			if (!movable && !cma_page_allocated(m, pfn))
				fail(c, pfn, MEMHP_RULE_CMA,
				     "an unmovable compound page in the CMA area");
			pfn = page_to_pfn_m(m, head) + (1UL << compound_order(head));
			continue;
		}
		if (page_count(page) && !cma_page_allocated(m, pfn) && !PageLRU(page) &&
		    !__PageMovable(page) && !PageIsolated(page) &&
		    !test_page_flag(page, PG_lru_pending) && !PageHWPoison(page)) {
			bool batched = false;

			for (size_t i = 0; i < c->nr_batched && !batched; i++)
				batched = c->batched[i] == pfn;
			if (batched) {
				pfn++;
				continue;
			}
			fail(c, pfn, MEMHP_RULE_CMA,
			     "an unmovable page in the CMA area (refcount %d)", page_count(page));
		}
		pfn++;
	}
}

/* The pools' counts are the hugetlb pages in the memmap, and each free
 * list holds exactly the free ones. */
static void check_hugetlb(struct checker *c)
{
	struct memhp_machine *m = c->m;

	lockdep_assert_held(&m->hugetlb_lock);
	for (int i = 0; i < m->nr_hstates; i++) {
		struct hstate *h = &m->hstates[i];
		unsigned long linked = 0, limit = m->max_pfn;

		if (h->nr_huge_pages != c->huge[i] || h->free_huge_pages != c->huge_free[i])
			fail(c, MEMHP_NO_PFN, MEMHP_RULE_COMPOUND,
			     "hstate order %u counts %lu pages, %lu free; the memmap has %lu, %lu "
			     "free",
			     h->order, h->nr_huge_pages, h->free_huge_pages, c->huge[i],
			     c->huge_free[i]);
		for (int n = 0; n < MEMHP_MAX_NUMNODES; n++)
			for (uint32_t pfn = h->hugepage_freelists[n].head; pfn != PFN_NIL;
			     pfn = pfn_to_page(m, pfn)->buddy.next) {
				struct memhp_page *p = pfn_to_page(m, pfn);

				if (++linked > limit || !pfn_online(m, pfn) || !PageHead(p) ||
				    !test_page_flag(p, PG_hugetlb) || page_count(p) ||
				    compound_order(p) != h->order) {
					fail(c, pfn, MEMHP_RULE_COMPOUND,
					     "the order-%u pool's free list holds a page that is "
					     "not a free huge page of it",
					     h->order);
					break;
				}
			}
		if (linked != h->free_huge_pages)
			fail(c, MEMHP_NO_PFN, MEMHP_RULE_COMPOUND,
			     "hstate order %u: %lu free, %lu on its free lists", h->order,
			     h->free_huge_pages, linked);
	}
}

/*
 * The node counters are kept by their owners, which work while the
 * checker runs, so only what holds at every instant is checked: a page
 * is counted before it can be uncounted, and a counter below zero is a
 * page uncounted twice.
 */
static void check_node_stat(struct checker *c)
{
	/* Each node on its own: a page uncounted on another node than the
	 * one it was counted on takes one below zero while the sum holds. */
	for (int nid = 0; nid < c->m->nr_node_ids; nid++)
		for (int i = MEMHP_NR_SLAB_RECLAIMABLE; i <= MEMHP_NR_PAGE_TABLE_PAGES; i++) {
			long v = READ_ONCE(
				c->m->node_data[nid].vm_stat[i - MEMHP_NR_SLAB_RECLAIMABLE]);

			if (v < 0)
				fail(c, MEMHP_NO_PFN, MEMHP_RULE_NODE_STAT, "node %d %s is %ld",
				     nid, memhp_vmstat_name((enum memhp_vmstat_item)i), v);
		}
}

static void check_counters(struct checker *c)
{
	struct memhp_machine *m = c->m;
	long total_managed = 0;

	for_each_zone(m, zone)
	{
		const int z = ZSLOT(zone);
		long managed = READ_ONCE(zone->managed_pages);

		total_managed += managed;
		if (zone->nr_isolate_pageblock != c->isolate_pageblocks[z])
			fail(c, MEMHP_NO_PFN, MEMHP_RULE_NR_ISOLATE_PAGEBLOCK,
			     "%s counts %lu isolated pageblocks, %lu are", zone->name,
			     zone->nr_isolate_pageblock, c->isolate_pageblocks[z]);
		if ((unsigned long)READ_ONCE(zone->vm_nr_free_pages) != c->free_nonisolate[z])
			fail(c, MEMHP_NO_PFN, MEMHP_RULE_NR_FREE_PAGES,
			     "%s NR_FREE_PAGES %ld, free pages outside isolation %lu", zone->name,
			     (long)READ_ONCE(zone->vm_nr_free_pages), c->free_nonisolate[z]);
		/* One occurrence must say which kind of page is one too many or
		 * too few: these findings have been racy and unreplayable. */
		if ((unsigned long)managed != c->managed[z])
			for (unsigned int i = 0; i < c->nr_ledger_odd[z]; i++)
				name_ledger_page(c, c->ledger_odd[z][i]);
		if ((unsigned long)managed != c->managed[z])
			fail(c, MEMHP_NO_PFN, MEMHP_RULE_MANAGED_PAGES,
			     "%s managed %ld, memmap %lu: buddy %lu, refcount 0 %lu, offline %lu, "
			     "in use %lu",
			     zone->name, managed, c->managed[z], c->managed_buddy[z],
			     c->managed_unref[z], c->managed_offline[z],
			     c->managed[z] - c->managed_buddy[z] - c->managed_unref[z] -
				     c->managed_offline[z]);
		if (READ_ONCE(zone->present_pages) != c->present[z])
			fail(c, MEMHP_NO_PFN, MEMHP_RULE_PRESENT_PAGES,
			     "%s present %lu, online RAM %lu", zone->name,
			     READ_ONCE(zone->present_pages), c->present[z]);
	}
	if (READ_ONCE(m->totalram_pages) != total_managed)
		fail(c, MEMHP_NO_PFN, MEMHP_RULE_TOTALRAM, "totalram %ld, zones manage %ld",
		     (long)READ_ONCE(m->totalram_pages), total_managed);
	/*
	 * Every page memory failure or soft offlining poisoned is counted, and
	 * stops counting only when its memmap goes. The count may exceed the
	 * poisoned pages in sight: 6.1 forgets PG_hwpoison without uncounting
	 * it when a block is onlined again.
	 */
	if (c->hwpoison > (unsigned long)MAX(READ_ONCE(m->num_poisoned_pages), 0L))
		fail(c, MEMHP_NO_PFN, MEMHP_RULE_HWPOISON,
		     "%lu pages are PG_hwpoison, num_poisoned_pages is %ld", c->hwpoison,
		     (long)READ_ONCE(m->num_poisoned_pages));
	check_node_stat(c);
}

static void check_blocks(struct checker *c)
{
	struct memhp_machine *m = c->m;

	for (unsigned long id = c->first_section / m->sections_per_block;
	     id < c->end_section / m->sections_per_block; id++) {
		struct memory_block *mem = find_memory_block_by_id(m, id);
		unsigned long start = id * m->pages_per_block;
		int state;
		struct zone *zone;

		if (!mem)
			continue;
		state = atomic_load(&mem->state);
		zone = atomic_load(&mem->zone);
		if (state != MEMHP_MEM_ONLINE && state != MEMHP_MEM_OFFLINE)
			fail(c, start, MEMHP_RULE_BLOCK_STATE, "memory%lu is %d between operations",
			     id, state);
		if (atomic_load(&mem->dev_offline) != (state == MEMHP_MEM_OFFLINE))
			fail(c, start, MEMHP_RULE_BLOCK_STATE,
			     "memory%lu: online file disagrees with state", id);
		if (state == MEMHP_MEM_OFFLINE && zone)
			fail(c, start, MEMHP_RULE_BLOCK_STATE, "offline memory%lu has a zone", id);
		if (state == MEMHP_MEM_ONLINE && !zone && !mem->early)
			fail(c, start, MEMHP_RULE_BLOCK_STATE,
			     "hot-added online memory%lu has no zone", id);
		for (unsigned long s = 0; s < m->sections_per_block; s++) {
			unsigned long nr = mem->start_section_nr + s;
			bool online = section_flag(m, nr, SECTION_IS_ONLINE);

			/* A boot block may have sections without memory. */
			if (state == MEMHP_MEM_ONLINE && !online &&
			    section_flag(m, nr, SECTION_MARKED_PRESENT))
				fail(c, section_nr_to_pfn(m, nr), MEMHP_RULE_SECTION_STATE,
				     "section of online memory%lu is offline", id);
			if (state == MEMHP_MEM_OFFLINE && online &&
			    mem->nr_vmemmap_pages < (s + 1) * m->pages_per_section)
				fail(c, section_nr_to_pfn(m, nr), MEMHP_RULE_SECTION_STATE,
				     "section of offline memory%lu is online", id);
		}
		if (state == MEMHP_MEM_ONLINE && zone)
			for (unsigned long pb = start; pb < start + m->pages_per_block;
			     pb += m->pageblock_nr_pages)
				if (pfn_is_ram(m, pb) && pfn_zone(m, pb) != zone) {
					fail(c, pb, MEMHP_RULE_BLOCK_ZONE,
					     "memory%lu: pageblock not in %s", id, zone->name);
					break;
				}
	}
}

/* The totals a range walk can still check: totalram against the zones'
 * managed counters, which needs no walk. */
static void check_totals(struct checker *c)
{
	struct memhp_machine *m = c->m;
	long total_managed = 0;

	for_each_zone(m, zone) total_managed += READ_ONCE(zone->managed_pages);
	if (READ_ONCE(m->totalram_pages) != total_managed)
		fail(c, MEMHP_NO_PFN, MEMHP_RULE_TOTALRAM, "totalram %ld, zones manage %ld",
		     (long)READ_ONCE(m->totalram_pages), total_managed);
}

/*
 * Walk the sections [first_section, end_section) (all of them: @whole),
 * or just check what an operation touched.
 */
static size_t check_locked(struct memhp_machine *m, struct memhp_check_report *r,
			   unsigned long first_section, unsigned long end_section)
{
	struct checker *c = calloc(1, sizeof(*c));
	size_t n;

	lockdep_assert_held(&m->device_hotplug_lock);
	if (!c)
		return 0;
	c->m = m;
	c->r = r;
	/* Whole blocks, so that a block's sections are all seen. */
	c->first_section = ALIGN_DOWN(first_section, m->sections_per_block);
	c->end_section = MIN(ALIGN_UP(end_section, m->sections_per_block), m->nr_sections);
	c->whole = !c->first_section && c->end_section == m->nr_sections;
	/* A page is poisoned a moment before it is counted: wait for that. */
	pthread_mutex_lock(&m->mf_mutex);
	pthread_rwlock_wrlock(&m->mem_hotplug_lock);
	/* Drivers mark pages PageOffline and move them out of the managed
	 * count inside page_offline_begin()/end(): never look at half of it. */
	pthread_rwlock_rdlock(&m->page_offline_rwsem);
	/* The LRU add batches come first: draining one frees pages. */
	c->batched =
		m->cma.count ? malloc(m->nr_cpus * LRU_ADD_BATCH_MAX * sizeof(*c->batched)) : NULL;
	if (c->batched)
		c->nr_batched = lru_add_batched(m, c->batched);
	/* The per-cpu lists come before the zone locks, as in a spill. */
	for_each_zone(m, zone) for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++)
		spin_lock(&zone->per_cpu_pageset[cpu].lock);
	for_each_zone(m, zone) pthread_mutex_lock(&zone->lock);
	check_memmap(c);
	if (c->whole) {
		check_free_lists(c);
		check_counters(c);
		check_pcp(c);
		check_cma(c);
		pthread_mutex_lock(&m->hugetlb_lock);
		check_hugetlb(c);
		pthread_mutex_unlock(&m->hugetlb_lock);
	} else {
		check_totals(c);
	}
	check_blocks(c);
	for_each_zone(m, zone) pthread_mutex_unlock(&zone->lock);
	for_each_zone(m, zone) for (unsigned int cpu = m->nr_cpus; cpu-- > 0;)
		spin_unlock(&zone->per_cpu_pageset[cpu].lock);
	pthread_rwlock_unlock(&m->page_offline_rwsem);
	pthread_rwlock_unlock(&m->mem_hotplug_lock);
	pthread_mutex_unlock(&m->mf_mutex);
	n = c->n;
	if (r) {
		r->nr = n;
		r->shown = c->stored;
	}
	free(c->batched);
	free(c);
	return n;
}

size_t memhp_check(struct memhp_machine *m, struct memhp_check_report *r)
{
	size_t n;

	memhp_lock_device_hotplug(m);
	n = check_locked(m, r, 0, m->nr_sections);
	m->check_debt = 0;
	memhp_unlock_device_hotplug(m);
	return n;
}

/*
 * With config.check_after_ops, every violation the checker finds after an
 * operation goes to the runtime log. It checks the sections the operation
 * touched, [@start_pfn, +@nr_pages), and the whole machine once the ranges
 * checked since the last whole check add up to the machine's present
 * memory: the counters and free lists are then never more than one
 * machine's worth of operations unchecked, and checking costs at most
 * about twice a walk of what the operations touched, at any size
 * (config.check_after_ops_whole: the whole machine every time).
 */
void check_after_op(struct memhp_machine *m, const char *op, unsigned long start_pfn,
		    unsigned long nr_pages)
{
	struct memhp_check_report *r;
	unsigned long first = 0, end = m->nr_sections, present = 0;
	size_t n;

	lockdep_assert_held(&m->device_hotplug_lock);
	if (!m->cfg.check_after_ops)
		return;
	for_each_zone(m, zone) present += READ_ONCE(zone->present_pages);
	m->check_debt += nr_pages;
	if (!m->cfg.check_after_ops_whole && m->check_debt < present && nr_pages) {
		first = pfn_to_section_nr(m, start_pfn);
		end = pfn_to_section_nr(m, start_pfn + nr_pages - 1) + 1;
	} else {
		m->check_debt = 0;
	}
	r = malloc(sizeof(*r));
	if (!r)
		return;
	n = check_locked(m, r, first, end);
	for (size_t i = 0; n && i < r->shown; i++)
		memhp_report(m, r->v[i].pfn, r->v[i].rule, "after %s: %s", op, r->v[i].detail);
	free(r);
}
