// SPDX-License-Identifier: MIT
/*
 * sweep.c - memhp sweep SCENARIO.lua...: fault injection swept SQLite's
 * way. A first run of each scenario counts how often it reaches each
 * numbered injection point (memhp/alloc.h); then the scenario runs again
 * once per point and call (the 1st, 2nd, ... up to --depth), failing just
 * that one, and then once per pair of points; after each run the machines
 * must be consistent (memhp_check() and the runtime findings, less what
 * the scenario allows and what Linux itself says when a device answers
 * ERROR), no checksummed page may be lost, and an operation in which the
 * fault struck must return what it returned without the fault or the
 * errno 6.1 gives for that failure.
 *
 * Each run is a child process (a crash or a hang is a result, not the
 * end of the sweep): it runs the scenario through memhp run's own code,
 * with --seed 1 --deterministic, so that a run repeats exactly,
 * with run_hooks arming the faults on every machine the scenario makes.
 * The scenario's own expectations are not judged: a fault is meant to
 * change what happens.
 */
#include "cli.h"
#include "run.h"
#include "run_util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <memhp/check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Calls of each point failed in turn, pairs of points, by default. */
#define SWEEP_DEFAULT_DEPTH 2
#define SWEEP_DEFAULT_PAIRS 32
/* A run that takes longer than this is a hang (offlining retries for
 * ever on a page nobody will let go of). */
#define SWEEP_DEFAULT_TIMEOUT_S 30
/* Top-level operations of a run whose results are compared. */
#define SWEEP_MAX_OPS 4096
#define SWEEP_DETAIL 200
#define SWEEP_PATH 4096
/* The child's output kept for a failing run. */
#define SWEEP_TAIL_LINES 12
#define SWEEP_LINE 512
#define SWEEP_MAX_ERRNOS 3

static const char sweep_usage[] =
	"usage: memhp sweep [OPTIONS] SCENARIO.lua...\n"
	"\n"
	"Fault injection, SQLite's way: run each scenario once to count how often it\n"
	"reaches each numbered injection point, then again failing point 1, 2, ... N\n"
	"in turn (its 1st, 2nd ... call, up to --depth), then pairs of points. After\n"
	"each run the machines must be consistent, no checksummed page lost, and an\n"
	"operation the fault struck must return what it did without it or 6.1's errno.\n"
	"Exit status: 0 all consistent, 1 not, 2 bad usage.\n"
	"\n"
	"options:\n"
	"  --depth K       fail each point's first K calls, one run each (default 2)\n"
	"  --pairs N       then at most N pairs of points, first calls (default 32)\n"
	"  --points LIST   only these points (names or numbers, comma-separated)\n"
	"  --timeout S     a run longer than S seconds is a hang (default 30)\n"
	"  --list          list the injection points and exit\n"
	"  -v, --verbose   one line per run\n"
	"  -h, --help      this help\n";

/* The errnos 6.1 gives the caller of the operation in which each point's
 * failure happens (none: its failure must not change the outcome). */
static const int linux_errnos[MEMHP_NR_FAULTS][SWEEP_MAX_ERRNOS] = {
	[MEMHP_FAULT_MIGRATION] = { -EBUSY },
	[MEMHP_FAULT_ALLOC] = { -ENOMEM, -EBUSY },
	[MEMHP_FAULT_MEMMAP_META] = { -ENOMEM },
	[MEMHP_FAULT_RESOURCE_ALLOC] = { -EEXIST, -EBUSY },
	[MEMHP_FAULT_OFFLINE_REMOVE_ALLOC] = { -ENOMEM },
	[MEMHP_FAULT_MIGRATE_LIST] = { -ENOMEM, -EBUSY },
	[MEMHP_FAULT_SLAB_META] = { -ENOMEM },
	[MEMHP_FAULT_NOTIFY_GOING_ONLINE] = { -ENOMEM },
	[MEMHP_FAULT_NOTIFY_GOING_OFFLINE] = { -EBUSY },
	[MEMHP_FAULT_MIGRATE_ISOLATE] = { -EBUSY },
	[MEMHP_FAULT_MIGRATE_TARGET] = { -ENOMEM, -EBUSY },
	[MEMHP_FAULT_HOST_POPULATE] = { -ENOMEM },
	[MEMHP_FAULT_HOST_VMEMMAP] = { -ENOMEM },
};

struct sweep_plan {
	int point[2]; /* -1: none */
	long skip[2];
	bool count;	     /* the first run: count calls, fail nothing */
	const int *base_ret; /* the first run's operation results */
	unsigned long base_nr;
};

/* What a child reports through its pipe. */
struct sweep_result {
	bool finished, ran;
	unsigned long calls[MEMHP_NR_FAULTS];
	unsigned long hits, bad, lost, verified, errno_bad;
	char detail[SWEEP_DETAIL];
	unsigned long nr_ops;
	int ret[SWEEP_MAX_OPS];
};

/* The child's state (one run per process). */
static struct sweep_plan plan;
static struct sweep_result result;
static int result_fd = -1;
static struct memhp_machine *traced[RUN_MAX_MACHINES];
static int nr_traced;
static pthread_t scenario_thread;
static int depth;
static unsigned long hits_before;
/* A fault struck an earlier operation: from then on the run is not the
 * first run's any more, and their results cannot be compared. */
static bool diverged;

static unsigned long hits_now(void)
{
	unsigned long n = 0;

	for (int i = 0; i < nr_traced; i++)
		for (int p = 0; p < 2; p++)
			if (plan.point[p] >= 0)
				n += memhp_fault_hits(traced[i], (enum memhp_fault)plan.point[p]);
	return n;
}

static bool errno_allowed(int ret)
{
	for (int p = 0; p < 2; p++)
		for (int i = 0; plan.point[p] >= 0 && i < SWEEP_MAX_ERRNOS; i++)
			if (linux_errnos[plan.point[p]][i] == ret)
				return true;
	return false;
}

/* Top-level operations on the scenario's thread: their results, and the
 * errno of one a fault struck. */
static void sweep_event(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	const struct memhp_tp_op *op = &ev->op;
	unsigned long i;

	(void)m;
	(void)priv;
	if (!pthread_equal(pthread_self(), scenario_thread))
		return;
	if (ev->type == MEMHP_TP_OP_BEGIN) {
		if (!depth++) {
			/* A fault that struck outside any operation (in the
			 * sysfs layer, say) has changed the run too. */
			if (hits_now() != hits_before)
				diverged = true;
			hits_before = hits_now();
		}
		return;
	}
	if (ev->type != MEMHP_TP_OP_END || --depth)
		return;
	i = result.nr_ops++;
	if (i < SWEEP_MAX_OPS)
		result.ret[i] = op->ret;
	if (plan.count || hits_now() == hits_before || diverged) {
		hits_before = hits_now();
		return;
	}
	hits_before = hits_now();
	diverged = true;
	if (!op->ret || (i < plan.base_nr && plan.base_ret[i] == op->ret))
		return;
	if (errno_allowed(op->ret))
		return;
	if (!result.errno_bad++)
		snprintf(result.detail, sizeof(result.detail),
			 "%s returned %s where it returned %s without the fault, and 6.1 gives "
			 "%s for it",
			 memhp_op_name(op->op), run_errno_name(op->ret),
			 i >= plan.base_nr  ? "(not reached)"
			 : plan.base_ret[i] ? run_errno_name(plan.base_ret[i])
					    : "0",
			 plan.point[0] >= 0 && linux_errnos[plan.point[0]][0]
				 ? run_errno_name(linux_errnos[plan.point[0]][0])
				 : "no error");
}

static void on_machine(struct memhp_machine *m, void *priv)
{
	(void)priv;
	if (nr_traced < RUN_MAX_MACHINES)
		traced[nr_traced++] = m;
	memhp_event_subscribe(m,
			      MEMHP_EVENT_BIT(MEMHP_TP_OP_BEGIN) | MEMHP_EVENT_BIT(MEMHP_TP_OP_END),
			      sweep_event, NULL);
	if (plan.count) {
		/* Never fail, only count: an armed point counts its calls. */
		for (int p = 0; p < MEMHP_NR_FAULTS; p++)
			memhp_fault_arm(m, (enum memhp_fault)p, LONG_MAX, 1);
		return;
	}
	for (int p = 0; p < 2; p++)
		if (plan.point[p] >= 0)
			memhp_fault_arm(m, (enum memhp_fault)plan.point[p], plan.skip[p], 1);
}

static void judge(struct run *r, int i, const struct memhp_check_report *rep)
{
	size_t shown =
		rep->shown < MEMHP_CHECK_MAX_REPORTED ? rep->shown : MEMHP_CHECK_MAX_REPORTED;

	for (size_t j = 0; j < shown; j++) {
		const struct memhp_violation *v = &rep->v[j];

		/* Said, and nothing is left inconsistent (MEMHP_RULE_CLASS_BENIGN):
		 * 6.1's virtio-mem marks a device that answered ERROR broken;
		 * memhp's own bookkeeping could not grow where Linux needs none
		 * (a Xen balloon's record of onlined pages). */
		if (memhp_rule_class(v->rule) == MEMHP_RULE_CLASS_BENIGN || lapi_allowed(r, i, v))
			continue;
		if (!result.bad++)
			snprintf(result.detail, sizeof(result.detail), "machine %d: %s: %s", i + 1,
				 v->name, v->detail);
	}
}

/* What machine @i says, at the end of the run or as the scenario
 * destroys it. */
static void take_machine(struct run *r, int i)
{
	struct memhp_machine *m = lapi_machine(r, i);
	struct memhp_check_report *rep;

	if (!m)
		return; /* taken when it was destroyed */
	for (int p = 0; p < MEMHP_NR_FAULTS; p++) {
		unsigned long c = memhp_fault_calls(m, (enum memhp_fault)p);

		if (c > result.calls[p])
			result.calls[p] = c;
	}
	result.lost += lapi_data_lost(r, i, &result.verified);
	rep = malloc(sizeof(*rep));
	if (rep) {
		memhp_violations(m, rep);
		judge(r, i, rep);
		memhp_check(m, rep);
		judge(r, i, rep);
	}
	free(rep);
}

static void on_machine_destroyed(struct run *r, int i, void *priv)
{
	(void)priv;
	take_machine(r, i);
}

static void on_finished(struct run *r, unsigned long violations, bool ran, void *priv)
{
	(void)violations;
	(void)priv;
	result.finished = true;
	result.ran = ran;
	for (int i = 0; i < r->nr_machines; i++)
		take_machine(r, i);
	result.hits = hits_now();
	if (result_fd >= 0 && write(result_fd, &result, sizeof(result)) != sizeof(result))
		result_fd = -1;
}

static const struct run_hooks hooks = { .machine_created = on_machine,
					.finished = on_finished,
					.machine_destroyed = on_machine_destroyed };

/* ---- The parent ------------------------------------------------------------------------------ */

enum outcome { SW_OK, SW_BAD, SW_LOST, SW_ERRNO, SW_CRASH, SW_HANG, SW_NO_RESULT };

static const char *const outcome_names[] = {
	[SW_OK] = "consistent",
	[SW_BAD] = "inconsistent",
	[SW_LOST] = "data lost",
	[SW_ERRNO] = "not 6.1's errno",
	[SW_CRASH] = "crashed",
	[SW_HANG] = "hung",
	[SW_NO_RESULT] = "did not finish",
};

struct sweep_args {
	unsigned int depth, pairs, timeout;
	bool verbose, list;
	bool only[MEMHP_NR_FAULTS];
	bool have_only;
};

/* Run @script once under @plan in a child; its output goes to @log. */
static enum outcome run_child(const char *script, const struct sweep_args *a, const char *log,
			      struct sweep_result *res, int *sig)
{
	int fds[2], status;
	pid_t pid;
	ssize_t got;

	memset(res, 0, sizeof(*res));
	*sig = 0;
	fflush(stdout);
	fflush(stderr);
	if (pipe(fds))
		return SW_NO_RESULT;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return SW_NO_RESULT;
	}
	if (!pid) {
		/* Deterministic: a point and call fail the same way every time,
		 * walkers and device threads included. */
		char *argv[] = {
			"run", (char *)script, "-q", "--seed", "1", "--deterministic", NULL
		};
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		close(fds[0]);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		result_fd = fds[1];
		scenario_thread = pthread_self();
		run_hooks = &hooks;
		alarm(a->timeout);
		cmd_run(6, argv);
		_exit(0);
	}
	close(fds[1]);
	got = read(fds[0], res, sizeof(*res));
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status)) {
		*sig = WTERMSIG(status);
		return *sig == SIGALRM ? SW_HANG : SW_CRASH;
	}
	if (got != (ssize_t)sizeof(*res) || !res->finished)
		return SW_NO_RESULT;
	if (res->bad)
		return SW_BAD;
	if (res->lost)
		return SW_LOST;
	if (res->errno_bad)
		return SW_ERRNO;
	return SW_OK;
}

static void print_tail(const char *log)
{
	char lines[SWEEP_TAIL_LINES][SWEEP_LINE], line[SWEEP_LINE];
	unsigned long n = 0;
	FILE *f = fopen(log, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		snprintf(lines[n++ % SWEEP_TAIL_LINES], SWEEP_LINE, "%s", line);
	fclose(f);
	for (unsigned long i = n > SWEEP_TAIL_LINES ? n - SWEEP_TAIL_LINES : 0; i < n; i++)
		printf("      | %s", lines[i % SWEEP_TAIL_LINES]);
}

/* One run failing @p (and @q, unless -1) at their calls @kp and @kq. */
static bool sweep_one(const char *script, const struct sweep_args *a, const char *log,
		      const struct sweep_result *base, int p, long kp, int q, long kq,
		      unsigned long *runs, unsigned long *failed)
{
	static struct sweep_result res;
	enum outcome o;
	char what[SWEEP_DETAIL];
	int sig;

	plan = (struct sweep_plan){ { p, q },
				    { kp, kq },
				    false,
				    base->ret,
				    base->nr_ops < SWEEP_MAX_OPS ? base->nr_ops : SWEEP_MAX_OPS };
	o = run_child(script, a, log, &res, &sig);
	(*runs)++;
	if (q < 0)
		snprintf(what, sizeof(what), "point %d (%s), call %ld", p + 1,
			 memhp_fault_name((enum memhp_fault)p), kp + 1);
	else
		snprintf(what, sizeof(what), "points %d (%s) and %d (%s), first calls", p + 1,
			 memhp_fault_name((enum memhp_fault)p), q + 1,
			 memhp_fault_name((enum memhp_fault)q));
	if (o == SW_OK) {
		if (a->verbose)
			printf("    %s: %s%s\n", what, outcome_names[o],
			       res.hits ? "" : " (the fault did not strike)");
		return true;
	}
	(*failed)++;
	printf("    %s: %s", what, outcome_names[o]);
	if (sig)
		printf(" (signal %d)", sig);
	if (o == SW_BAD || o == SW_ERRNO)
		printf(": %s", res.detail);
	if (o == SW_LOST)
		printf(": %lu of %lu pages", res.lost, res.lost + res.verified);
	printf("\n");
	print_tail(log);
	return false;
}

static int sweep_script(const char *script, const struct sweep_args *a, const char *log,
			unsigned long *total_runs, unsigned long *total_failed)
{
	static struct sweep_result base;
	unsigned long runs = 0, failed = 0, pairs = 0;
	int reached[MEMHP_NR_FAULTS], nr_reached = 0, sig;
	enum outcome o;

	plan = (struct sweep_plan){ { -1, -1 }, { 0, 0 }, true, NULL, 0 };
	o = run_child(script, a, log, &base, &sig);
	runs++;
	if (o != SW_OK) {
		printf("%s: the run without faults is already %s%s%s\n", script, outcome_names[o],
		       base.detail[0] ? ": " : "", base.detail);
		print_tail(log);
		*total_runs += runs;
		(*total_failed)++;
		return -1;
	}
	for (int p = 0; p < MEMHP_NR_FAULTS; p++)
		if (base.calls[p] && (!a->have_only || a->only[p]))
			reached[nr_reached++] = p;
	printf("%s: %d of %d points reached:", script, nr_reached, MEMHP_NR_FAULTS);
	for (int i = 0; i < nr_reached; i++)
		printf(" %d", reached[i] + 1);
	printf("\n");
	fflush(stdout);
	for (int i = 0; i < nr_reached; i++) {
		const int p = reached[i];
		const unsigned long calls = base.calls[p] < a->depth ? base.calls[p] : a->depth;

		for (unsigned long k = 0; k < calls; k++)
			sweep_one(script, a, log, &base, p, (long)k, -1, 0, &runs, &failed);
	}
	for (int i = 0; i < nr_reached && pairs < a->pairs; i++)
		for (int j = i + 1; j < nr_reached && pairs < a->pairs; j++, pairs++)
			sweep_one(script, a, log, &base, reached[i], 0, reached[j], 0, &runs,
				  &failed);
	printf("%s: %lu runs (%lu single, %lu pairs): %s\n", script, runs, runs - 1 - pairs, pairs,
	       failed ? "FAILED" : "every one consistent, nothing lost, 6.1's errnos");
	*total_runs += runs;
	*total_failed += failed;
	return failed ? -1 : 0;
}

static int parse_points(const char *list, struct sweep_args *a)
{
	char buf[SWEEP_LINE], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		long n = strtol(tok, &end, 10);
		int p = *end ? memhp_fault_by_name(tok) : (int)n - 1;

		if (p < 0 || p >= MEMHP_NR_FAULTS)
			return -1;
		a->only[p] = true;
	}
	a->have_only = true;
	return 0;
}

int cmd_sweep(int argc, char **argv)
{
	enum { O_DEPTH = 256, O_PAIRS, O_POINTS, O_TIMEOUT, O_LIST };
	static const struct option longopts[] = {
		{ "depth", required_argument, NULL, O_DEPTH },
		{ "pairs", required_argument, NULL, O_PAIRS },
		{ "points", required_argument, NULL, O_POINTS },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "list", no_argument, NULL, O_LIST },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sweep_args a = { .depth = SWEEP_DEFAULT_DEPTH,
				.pairs = SWEEP_DEFAULT_PAIRS,
				.timeout = SWEEP_DEFAULT_TIMEOUT_S };
	char log[SWEEP_PATH];
	unsigned long runs = 0, failed = 0;
	int c, fd, status = RUN_EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
		char *end;
		unsigned long v = 0;

		if (c == O_DEPTH || c == O_PAIRS || c == O_TIMEOUT) {
			v = strtoul(optarg, &end, 10);
			if (*end || end == optarg || v > UINT_MAX || *optarg == '-') {
				fprintf(stderr, "memhp sweep: bad value '%s' for %s\n", optarg,
					argv[optind - 1]);
				return RUN_EXIT_USAGE;
			}
		}
		switch (c) {
		case O_DEPTH:
			a.depth = (unsigned int)v;
			break;
		case O_PAIRS:
			a.pairs = (unsigned int)v;
			break;
		case O_TIMEOUT:
			a.timeout = v ? (unsigned int)v : SWEEP_DEFAULT_TIMEOUT_S;
			break;
		case O_POINTS:
			if (parse_points(optarg, &a)) {
				fprintf(stderr, "memhp sweep: unknown point in '%s' (--list)\n",
					optarg);
				return RUN_EXIT_USAGE;
			}
			break;
		case O_LIST:
			a.list = true;
			break;
		case 'v':
			a.verbose = true;
			break;
		case 'h':
			fputs(sweep_usage, stdout);
			return RUN_EXIT_OK;
		case ':':
			fprintf(stderr, "memhp sweep: %s needs a value\n", argv[optind - 1]);
			return RUN_EXIT_USAGE;
		default:
			fprintf(stderr, "memhp sweep: unknown option '%s'\n", argv[optind - 1]);
			return RUN_EXIT_USAGE;
		}
	}
	if (a.list) {
		for (int p = 0; p < MEMHP_NR_FAULTS; p++) {
			printf("%2d  %-22s %s; 6.1 gives", p + 1,
			       memhp_fault_name((enum memhp_fault)p),
			       memhp_fault_what((enum memhp_fault)p));
			if (!linux_errnos[p][0])
				printf(" the same result as without it");
			for (int i = 0; i < SWEEP_MAX_ERRNOS && linux_errnos[p][i]; i++)
				printf("%s %s", i ? " or" : "", run_errno_name(linux_errnos[p][i]));
			printf("\n");
		}
		return RUN_EXIT_OK;
	}
	if (optind >= argc) {
		fprintf(stderr, "memhp sweep: which scenarios? (memhp sweep SCENARIO.lua...)\n");
		return RUN_EXIT_USAGE;
	}
	snprintf(log, sizeof(log), "%s/memhp-sweep.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(log);
	if (fd < 0) {
		fprintf(stderr, "memhp sweep: cannot make a log file: %s\n", strerror(errno));
		return RUN_EXIT_FAILED;
	}
	close(fd);
	for (int i = optind; i < argc; i++) {
		if (access(argv[i], R_OK)) {
			fprintf(stderr, "memhp sweep: cannot read %s: %s\n", argv[i],
				strerror(errno));
			status = RUN_EXIT_USAGE;
			continue;
		}
		if (sweep_script(argv[i], &a, log, &runs, &failed))
			status = RUN_EXIT_FAILED;
	}
	unlink(log);
	printf("memhp sweep: %d scenario%s, %lu runs, %lu not consistent\n", argc - optind,
	       argc - optind == 1 ? "" : "s", runs, failed);
	return status;
}
