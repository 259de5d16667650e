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
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MEMHP_NO_PFN (~0UL)
#define MEMHP_VIOLATION_DETAIL 120

struct memhp_violation {
	unsigned long pfn; /* MEMHP_NO_PFN when not about a page */
	const char *rule;  /* a stable short name, e.g. "bad-page" */
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

/* Log a finding (drivers use it for their WARNs). */
MEMHP_API void memhp_report(struct memhp_machine *m, unsigned long pfn, const char *rule,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

MEMHP_API void memhp_print_report(FILE *f, const struct memhp_check_report *r);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_CHECK_H */
