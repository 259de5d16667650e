/* SPDX-License-Identifier: MIT */
/*
 * src/cli/torture.h - memhp torture: random operations against machines
 * with everything running at once, the checker after every operation.
 *
 * torture.c drives the campaign (seeds, shards, progress, the verdict);
 * torture_ops.c is one run: the machine, its devices and workloads, the
 * operations and their log; torture_replay.c reads and writes replay
 * files and shrinks them.
 */
#ifndef MEMHP_CLI_TORTURE_H
#define MEMHP_CLI_TORTURE_H

#include <memhp/memhp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Operations in one run: a fresh machine every this many, so that a run
 * is short to replay and to shrink, and poisoned pages, vetoes and broken
 * devices do not pile up for ever. */
#define TORTURE_RUN_OPS 400
/* The operation log's tail printed on a violation. */
#define TORTURE_LOG_TAIL 20
/* The longest line of the operation log and of a replay file. */
#define TORTURE_LINE 256
/* The longest word of a replay file's line; the detail kept of a finding. */
#define TORTURE_WORD 32
#define TORTURE_DETAIL 160
/* Findings under the first one's rule a report goes on with. */
#define TORTURE_MORE 6

/* What an operation does (the replay file names them). */
enum t_kind {
	T_STORE_STATE,	   /* a: block, b: value (t_state_values) */
	T_STORE_ONLINE,	   /* a: block, b: 0 or 1 */
	T_ADD_MEMORY,	   /* a: start, b: size */
	T_REMOVE_MEMORY,   /* a: start, b: size */
	T_OFFLINE_REMOVE,  /* a: start, b: size */
	T_VMEM_RESIZE,	   /* a: device, b: requested size */
	T_VMEM_TIMER,	   /* a: device, b: ms of driver time */
	T_BALLOON_INFLATE, /* a: pages */
	T_BALLOON_DEFLATE, /* a: pages */
	T_BALLOON_HOT_ADD, /* a: start, b: size (Xen, Hyper-V) */
	T_BALLOON_GRANT,   /* a: pages (Hyper-V) */
	T_CONTIG,	   /* a: start pfn, b: pages: alloc_contig_range and free it */
	T_MEMORY_FAILURE,  /* a: pfn */
	T_SOFT_OFFLINE,	   /* a: pfn */
	T_FAULT,	   /* a: point, b: skip, c: times */
	T_DATA_ALLOC,	   /* a: pages */
	T_DATA_FREE,	   /* a: pages */
	T_KALLOC_ALLOC,	   /* a: pages */
	T_KALLOC_FREE,	   /* a: pages */
	T_GUEST_ADVANCE,   /* a: ms */
	T_AUTO_ONLINE,	   /* a: value (t_state_values) */
	T_VERIFY,	   /* verify every data page */
	T_CHECK,	   /* the whole checker */
	/* Never drawn: a replay file written by hand uses it to log a
	 * violation ("torture-selftest") and so test the reporting, replay
	 * and shrinking machinery itself; with a = 1, it instead takes a page
	 * out of managed_pages for good (a counter the checker finds off). */
	T_SELFTEST,
	T_NR_KINDS
};

struct t_op {
	enum t_kind kind;
	uint64_t a, b, c;
};

/* How one run is set up, all of it drawn from its seed. */
struct t_setup {
	uint64_t seed;
	enum memhp_protocol protocol;
	unsigned int threads; /* allocation threads */
	unsigned int walkers; /* walker threads */
	/* Under the deterministic scheduler (det.h): the run repeats exactly
	 * from its seed and operations, threads and all. */
	bool deterministic;
	/* The seed of the deterministic schedule (0: the run's seed), so that
	 * one operation list can be tried under many schedules. */
	uint64_t schedule;
	/* An operation running longer than this is stuck (0: the default,
	 * TORTURE_WATCHDOG_S). Not part of a replay file: it is the host's
	 * speed, not the run's. */
	unsigned int watchdog_s;
};

/* Seconds an operation may take before the watchdog calls it stuck. A
 * sanitizer build on a busy host needs more (--watchdog). */
#define TORTURE_WATCHDOG_S 10

/* What a run found. */
struct t_result {
	unsigned long ops;	 /* operations done */
	unsigned long failed_op; /* 1-based number of the operation after which it was seen */
	bool violation;		 /* memhp broke: stop the campaign */
	bool tainted;		 /* the kernel would have WARNed or said Bad page */
	enum memhp_rule rule;	 /* of the violation or taint */
	char detail[TORTURE_DETAIL];
	/* What the same look said next under the same rule: the pages a
	 * managed-pages finding names, and who last changed their count. */
	char more[TORTURE_MORE][TORTURE_DETAIL];
	unsigned int nr_more;
	/* The last operations with their results, oldest first. */
	char tail[TORTURE_LOG_TAIL][TORTURE_LINE];
	unsigned int nr_tail;
	unsigned long verified, lost, hwpoisoned; /* data pages at the last verify */
	/* Kernel findings that leave nothing inconsistent (a device marked
	 * broken): counted, the run goes on. */
	unsigned long findings;
	/* A counter found off (managed-pages, say) is looked at again once
	 * the run's own threads have stopped: off still (a count really
	 * lost) or not (a moment the checker should not have seen). */
	enum { T_RECHECK_NONE, T_RECHECK_GONE, T_RECHECK_STAYS } recheck;
	char recheck_detail[TORTURE_DETAIL];
};

/* One run: set up from @s, then the operations of @ops (replay) or, when
 * @ops is NULL, @nr new ones drawn from the seed into @out_ops (which has
 * room for @nr). @log (may be NULL) receives the operation log. Stops at
 * the first violation or taint. Returns 0, or -errno when the run could
 * not be set up. */
int t_run(const struct t_setup *s, const struct t_op *ops, unsigned long nr, struct t_op *out_ops,
	  FILE *log, struct t_result *res);

/* "store_state", ...; and back: -1 if unknown. */
const char *t_kind_name(enum t_kind k);
int t_kind_from_name(const char *name);
/* One operation as the log and the replay file write it. */
void t_format_op(const struct t_op *op, char *buf, size_t len);
/* Parse what t_format_op() wrote. 0 or -EINVAL. */
int t_parse_op(const char *line, struct t_op *op);

/* Replay files: the setup and the operations. Writing: 0 or fopen()'s
 * and fclose()'s -errno. Reading: 0, -EINVAL (not a replay file, or a
 * line it cannot parse), -ENOMEM, or fopen()'s -errno; *@ops is malloc()ed. */
int t_write_replay(const char *path, const struct t_setup *s, const struct t_op *ops,
		   unsigned long nr, const struct t_result *res);
int t_read_replay(const char *path, struct t_setup *s, struct t_op **ops, unsigned long *nr);
/*
 * Delta debugging (Zeller's ddmin) over @ops: the fewest operations that
 * still end in a violation of @rule, trying each candidate @tries times
 * (threads race: a candidate may fail only sometimes), within @budget_ms.
 * Returns the new count; @ops is rewritten in place.
 */
unsigned long t_shrink(const struct t_setup *s, struct t_op *ops, unsigned long nr,
		       enum memhp_rule rule, unsigned int tries, uint64_t budget_ms,
		       unsigned long *tests);

#endif
