/* SPDX-License-Identifier: MIT */
/*
 * memhp/check.h - the invariant checker.
 *
 * Two kinds of findings end up here:
 * - what memhp_check() finds when it walks the machine against the
 *   invariants of docs/semantics.md (kernel-core.md §8): page classes, buddy
 *   shape, free lists, counters, block and section state;
 * - what the code reports as it runs where Linux would BUG(), WARN() or
 *   print "Bad page state": a PageOffline page freed by a stray put_page(),
 *   a page handed out from an isolated pageblock, a driver's "fake-offline
 *   page referenced", a referenced PageOffline page at
 *   __offline_isolated_pages(). These are logged in the machine.
 */
#ifndef MEMHP_CHECK_H
#define MEMHP_CHECK_H

#include <memhp/machine.h>
#include <stdbool.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MEMHP_NO_PFN (~0UL)
#define MEMHP_VIOLATION_DETAIL 120

/*
 * Why a finding was reported: one value per rule. Each has a stable name,
 * what output, scenarios (m:allow("bad-page")), replay files and the docs
 * say, and a class (enum memhp_rule_class). Code compares the values;
 * names are for people and for reading what people wrote. Across versions
 * only the names are stable: store a name, not a number.
 */
enum memhp_rule {
	/* The checker's invariants (memhp_check(); docs/semantics.md has each). */
	MEMHP_RULE_PAGE_CLASS,		 /* "page-class" */
	MEMHP_RULE_BUDDY_SHAPE,		 /* "buddy-shape" */
	MEMHP_RULE_BUDDY_MERGE,		 /* "buddy-merge" */
	MEMHP_RULE_FREE_LIST,		 /* "free-list" */
	MEMHP_RULE_ISOLATE_LIST,	 /* "isolate-list" */
	MEMHP_RULE_PCP_PAGE,		 /* "pcp-page" */
	MEMHP_RULE_COMPOUND,		 /* "compound" */
	MEMHP_RULE_CMA,			 /* "cma" */
	MEMHP_RULE_HWPOISON,		 /* "hwpoison" */
	MEMHP_RULE_MANAGED_PAGES,	 /* "managed-pages" */
	MEMHP_RULE_PRESENT_PAGES,	 /* "present-pages" */
	MEMHP_RULE_NR_FREE_PAGES,	 /* "nr-free-pages" */
	MEMHP_RULE_NR_ISOLATE_PAGEBLOCK, /* "nr-isolate-pageblock" */
	MEMHP_RULE_NODE_STAT,		 /* "node-stat" */
	MEMHP_RULE_TOTALRAM,		 /* "totalram" */
	MEMHP_RULE_ZONE_SPAN,		 /* "zone-span" */
	MEMHP_RULE_BLOCK_STATE,		 /* "block-state" */
	MEMHP_RULE_BLOCK_ZONE,		 /* "block-zone" */
	MEMHP_RULE_SECTION_STATE,	 /* "section-state" */
	MEMHP_RULE_MOVABLE_OWNER,	 /* "movable-owner" */
	MEMHP_RULE_PAGEOFFLINE_REFCOUNT, /* "pageoffline-refcount" */
	/* memhp's own, reported as they happen. */
	MEMHP_RULE_ALLOC_FROM_ISOLATED, /* "alloc-from-isolated": a page of an isolated pageblock */
	MEMHP_RULE_NOTIFIER_SEQUENCE,	/* "notifier-sequence": a MEM_* out of its order */
	MEMHP_RULE_SLAB,		/* "slab": kmem_cache_free() of no live object */
	MEMHP_RULE_VIRTIO_MEM_STATE,	/* "virtio-mem-state": where 6.1's driver BUG()s */
	MEMHP_RULE_VIRTIO_MEM_CHECK,	/* "virtio-mem-check": memhp_vmem_drv_check() */
	MEMHP_RULE_ACPI_REMOVE_MEMORY,	/* "acpi-remove-memory": a DIMM's removal failed */
	MEMHP_RULE_LUA_THREAD,		/* "lua-thread": a Lua hook off the script's thread */
	MEMHP_RULE_TORTURE_SELFTEST,	/* "torture-selftest": a replay file asked for it */
	/* What memhp torture judges by itself; never reported. */
	MEMHP_RULE_HANG,      /* "hang": an operation outlived the watchdog */
	MEMHP_RULE_DATA_LOST, /* "data-lost": checksummed data corrupted */
	MEMHP_RULE_UNKNOWN,   /* "unknown": a finding the report did not keep */
	/* What Linux itself would print or do. */
	MEMHP_RULE_BAD_PAGE,		     /* "bad-page": Bad page state */
	MEMHP_RULE_FAKE_OFFLINE_REFERENCED,  /* "fake-offline-referenced": virtio-mem's WARN */
	MEMHP_RULE_OFFLINE_ISOLATED_PAGES,   /* "offline-isolated-pages": its BUG or WARN */
	MEMHP_RULE_WARN,		     /* "warn": a WARN_ON() */
	MEMHP_RULE_HWPOISON_LEAK,	     /* "hwpoison-leak": good pages lost with poison */
	MEMHP_RULE_OFFLINE_POISONED_MOVABLE, /* "offline-poisoned-movable": retries for ever */
	MEMHP_RULE_HWPOISON_REUSE,	     /* "hwpoison-reuse": a poisoned page handed out */
	MEMHP_RULE_VIRTIO_MEM_MEMORY_LEFT,   /* "virtio-mem-memory-left": removed, memory left */
	MEMHP_RULE_BALLOON_PAGE_TYPE,	     /* "balloon-page-type": a balloon page's type */
	MEMHP_RULE_VIRTIO_MEM_BROKEN,	     /* "virtio-mem-broken": the device said ERROR */
	MEMHP_RULE_MEMHP_NO_MEMORY,	     /* "memhp-no-memory": bookkeeping Linux has not */
	MEMHP_RULE_HOT_ADD_LEAK,	     /* "hot-add-leak": a failed hot-add kept sections */
	/* A scenario's own: memhp_report_named() of a name memhp does not know. */
	MEMHP_RULE_SCENARIO, /* "scenario"; its findings carry the scenario's name */
	MEMHP_NR_RULES
};

/* What a finding of a rule says about the run. */
enum memhp_rule_class {
	/* memhp broke an invariant of its own (or a scenario's check failed):
	 * a bug to fix, and a torture campaign stops. */
	MEMHP_RULE_CLASS_VIOLATION,
	/* What Linux itself prints (WARN, Bad page state, dev_err) or does
	 * silently that keeps a block from going offline or hands a poisoned
	 * page out: the kernel's finding; it taints a torture run. */
	MEMHP_RULE_CLASS_KERNEL,
	/* A kernel finding that leaves nothing inconsistent behind (6.1's
	 * driver gives up on a device that answered ERROR and says so):
	 * counted, and the run goes on. */
	MEMHP_RULE_CLASS_BENIGN,
};

/* "bad-page", "page-class", ...: the rule's stable name; NULL out of range. */
MEMHP_API const char *memhp_rule_name(enum memhp_rule rule);
/* The rule named @name (what a user wrote), or -EINVAL for a name memhp
 * does not know ("scenario" is MEMHP_RULE_SCENARIO's own). */
MEMHP_API int memhp_rule_from_name(const char *name);
/* The class of @rule; out of range, MEMHP_RULE_CLASS_VIOLATION. */
MEMHP_API enum memhp_rule_class memhp_rule_class(enum memhp_rule rule);

struct memhp_violation {
	unsigned long pfn; /* MEMHP_NO_PFN when not about a page */
	enum memhp_rule rule;
	/* The rule's name, to print: memhp_rule_name(rule), or for
	 * MEMHP_RULE_SCENARIO the name the scenario gave. */
	const char *name;
	/* Linux would BUG() here (VM_BUG_ON_PAGE() too) and stop, where the
	 * rule's other findings only print: memhp reports and goes on. */
	bool bug;
	char detail[MEMHP_VIOLATION_DETAIL];
};

/* How many violations a report keeps; the count goes on beyond. */
#define MEMHP_CHECK_MAX_REPORTED 64

struct memhp_check_report {
	size_t nr; /* violations found in all */
	/* How many of them v[] holds: the first few of each rule. */
	size_t shown;
	struct memhp_violation v[MEMHP_CHECK_MAX_REPORTED];
};

/*
 * Walk everything and check every invariant that applies, waiting for any
 * hotplug operation to finish first. Returns the number of violations
 * (0: all good); @r, if given, receives them.
 */
MEMHP_API size_t memhp_check(struct memhp_machine *m, struct memhp_check_report *r);

/* Runtime findings logged so far (oldest first), and how many in all. */
MEMHP_API size_t memhp_violations(struct memhp_machine *m, struct memhp_check_report *r);
MEMHP_API void memhp_violations_clear(struct memhp_machine *m);

/* Log a finding of @rule (drivers use it for their WARNs), tell the
 * event subscribers (MEMHP_EV_FINDING) and print it to the kernel log. */
MEMHP_API void memhp_report(struct memhp_machine *m, unsigned long pfn, enum memhp_rule rule,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same for a place where Linux would BUG(): the finding says so in its
 * typed @bug, for consumers that tell the two apart. */
MEMHP_API void memhp_report_bug(struct memhp_machine *m, unsigned long pfn, enum memhp_rule rule,
				const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/*
 * The same for a rule given by name, as a scenario gives it (Lua's
 * m:report()): a name memhp_rule_from_name() knows is that rule; any other
 * is MEMHP_RULE_SCENARIO under @name, which must stay valid as long as
 * the machine keeps its findings (until memhp_violations_clear() or the
 * machine's end).
 */
MEMHP_API void memhp_report_named(struct memhp_machine *m, unsigned long pfn, const char *name,
				  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

MEMHP_API void memhp_print_report(FILE *f, const struct memhp_check_report *r);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_CHECK_H */
