// SPDX-License-Identifier: MIT
/*
 * torture.c - memhp torture: a campaign of random operations, seed after
 * seed, with the checker after every operation; on a violation, the seed,
 * the operation, the log's tail, a replay file and a shrunk one.
 *
 * A campaign is the runs r = 0, 1, 2, ... with seeds S + r; --shard I/N
 * takes the runs with r % N == I, so that N processes anywhere (GNU
 * parallel, a CI matrix, a Slurm array) share one campaign without
 * talking to each other, and a seed names the same run in every shard.
 */
#include "torture.h"
#include "cli.h"
#include "run.h"
#include "run_util.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define T_DEFAULT_OPS 4000
#define T_DEFAULT_THREADS 2
#define T_DEFAULT_WALKERS 2
#define T_MAX_ARG_THREADS 16
/* The shrinker: tries per candidate (threads race, so a candidate may
 * fail only some of the time) and how long it may take. */
#define T_SHRINK_TRIES 3
#define T_SHRINK_BUDGET_MS (5 * 60 * 1000)
#define T_PATH 4096
#define T_BAR_WIDTH 30
/* How often the progress line is redrawn. */
#define T_PROGRESS_MS 200
/* How often a campaign whose output is not a terminal (a shard's log)
 * says how far it got, so that a shard that never reaches its summary (a
 * sanitizer's report ends it, a batch system's time limit kills it) still
 * tells how many operations it ran. */
#define T_LOG_PROGRESS_MS (60 * 1000)
/* Distinct kernel findings counted in the summary. */
#define T_MAX_TAINT_RULES 16

static const char torture_usage[] =
	"usage: memhp torture [OPTIONS]\n"
	"\n"
	"Random operations against fresh machines, seed after seed: online and\n"
	"offline through the sysfs store functions, add and remove memory,\n"
	"virtio-mem resizes (Sub-Block and Big Block Mode, QEMU, Cloud Hypervisor\n"
	"and Firecracker devices), balloons, memory failure, soft offline, notifier\n"
	"vetoes and faults armed at random, while allocation threads and PFN\n"
	"walkers run. The checker runs after every operation; data is verified.\n"
	"Exit status: 0 no violation, 1 a violation (or a replay that fails),\n"
	"2 bad usage.\n"
	"\n"
	"options:\n"
	"  --ops N             operations in all (default 4000), or\n"
	"  --seconds N         run for N seconds\n"
	"  --seed S            the campaign's first seed (default: random, printed)\n"
	"  --protocol P        6.1, 2025 or both (default: both, each seed twice)\n"
	"  --threads K         allocation threads per machine (default 2)\n"
	"  --walkers K         PFN walker threads per machine (default 2)\n"
	"  --run-ops N         operations per machine before a fresh one (default 400)\n"
	"  --shard I/N         only runs r with r % N == I (0 <= I < N)\n"
	"  --out DIR           where replay files go (default .)\n"
	"  --replay FILE       run a replay file's operations again\n"
	"  --shrink            with --replay: write the fewest operations that still\n"
	"                      fail to FILE.min (a failing campaign always shrinks)\n"
	"  --no-shrink         do not shrink a failing campaign's replay\n"
	"  --log FILE          every operation with its result, to FILE\n"
	"  --deterministic     threads take turns by the seed on a virtual clock: a\n"
	"                      run and its replay are the same, races included\n"
	"  --schedule S        with --replay: run it deterministically under the\n"
	"                      schedule of seed S instead of its own\n"
	"  --watchdog S        an operation longer than S seconds is stuck (default\n"
	"                      10; sanitizer builds on a busy host need more)\n"
	"  --keep-going        after a violation, write its replay and go on with\n"
	"                      the next run (no shrinking; for long campaigns)\n"
	"  -q, --quiet         only the verdict\n"
	"  -h, --help          this help\n";

struct torture_args {
	unsigned long ops, run_ops;
	uint64_t seconds, seed, schedule;
	bool have_seed, quiet, shrink, no_shrink, keep_going, deterministic;
	int protocol; /* -1: both */
	unsigned int threads, walkers, shard, nr_shards, watchdog;
	const char *out, *replay, *log;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *proto_name(enum memhp_protocol p)
{
	return p == MEMHP_PROTOCOL_2025 ? "2025" : "6.1";
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > max || *s == '-')
		return -1;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct torture_args *a)
{
	enum {
		O_OPS = 256,
		O_SECONDS,
		O_SEED,
		O_PROTOCOL,
		O_THREADS,
		O_WALKERS,
		O_RUN_OPS,
		O_SHARD,
		O_OUT,
		O_REPLAY,
		O_SHRINK,
		O_NO_SHRINK,
		O_LOG,
		O_KEEP_GOING,
		O_DETERMINISTIC,
		O_WATCHDOG,
		O_SCHEDULE
	};
	static const struct option longopts[] = {
		{ "ops", required_argument, NULL, O_OPS },
		{ "seconds", required_argument, NULL, O_SECONDS },
		{ "seed", required_argument, NULL, O_SEED },
		{ "protocol", required_argument, NULL, O_PROTOCOL },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "walkers", required_argument, NULL, O_WALKERS },
		{ "run-ops", required_argument, NULL, O_RUN_OPS },
		{ "shard", required_argument, NULL, O_SHARD },
		{ "out", required_argument, NULL, O_OUT },
		{ "replay", required_argument, NULL, O_REPLAY },
		{ "shrink", no_argument, NULL, O_SHRINK },
		{ "no-shrink", no_argument, NULL, O_NO_SHRINK },
		{ "log", required_argument, NULL, O_LOG },
		{ "keep-going", no_argument, NULL, O_KEEP_GOING },
		{ "deterministic", no_argument, NULL, O_DETERMINISTIC },
		{ "watchdog", required_argument, NULL, O_WATCHDOG },
		{ "schedule", required_argument, NULL, O_SCHEDULE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c;

	memset(a, 0, sizeof(*a));
	a->protocol = -1;
	a->threads = T_DEFAULT_THREADS;
	a->walkers = T_DEFAULT_WALKERS;
	a->run_ops = TORTURE_RUN_OPS;
	a->nr_shards = 1;
	a->out = ".";
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
		switch (c) {
		case O_OPS:
			if (parse_uint(optarg, ULONG_MAX, &a->ops) || !a->ops)
				goto bad;
			break;
		case O_SECONDS:
			if (parse_uint(optarg, ULONG_MAX / 1000, &v) || !v)
				goto bad;
			a->seconds = v;
			break;
		case O_SEED:
			if (run_parse_seed(optarg, &a->seed))
				goto bad;
			a->have_seed = true;
			break;
		case O_PROTOCOL:
			if (!strcmp(optarg, "both"))
				a->protocol = -1;
			else if (run_parse_protocol(optarg, &a->protocol))
				goto bad;
			break;
		case O_THREADS:
		case O_WALKERS:
			if (parse_uint(optarg, T_MAX_ARG_THREADS, &v))
				goto bad;
			*(c == O_THREADS ? &a->threads : &a->walkers) = (unsigned int)v;
			break;
		case O_RUN_OPS:
			if (parse_uint(optarg, ULONG_MAX, &a->run_ops) || !a->run_ops)
				goto bad;
			break;
		case O_SHARD: {
			unsigned int i, n;
			char tail;

			if (sscanf(optarg, "%u/%u%c", &i, &n, &tail) != 2 || !n || i >= n)
				goto bad;
			a->shard = i;
			a->nr_shards = n;
			break;
		}
		case O_OUT:
			a->out = optarg;
			break;
		case O_REPLAY:
			a->replay = optarg;
			break;
		case O_SHRINK:
			a->shrink = true;
			break;
		case O_NO_SHRINK:
			a->no_shrink = true;
			break;
		case O_LOG:
			a->log = optarg;
			break;
		case O_DETERMINISTIC:
			a->deterministic = true;
			break;
		case O_SCHEDULE:
			if (run_parse_seed(optarg, &a->schedule) || !a->schedule)
				goto bad;
			break;
		case O_WATCHDOG:
			if (parse_uint(optarg, UINT_MAX, &v) || !v)
				goto bad;
			a->watchdog = (unsigned int)v;
			break;
		case O_KEEP_GOING:
			a->keep_going = true;
			a->no_shrink = true;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'h':
			fputs(torture_usage, stdout);
			return 1;
		case ':':
			fprintf(stderr, "memhp torture: %s needs a value\n", argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr,
				"memhp torture: unknown option '%s' (memhp torture --help lists "
				"them)\n",
				argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "memhp torture: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (a->ops && a->seconds) {
		fprintf(stderr, "memhp torture: --ops and --seconds: one or the other\n");
		return -1;
	}
	if (a->schedule && !a->replay) {
		fprintf(stderr, "memhp torture: --schedule tries a --replay FILE under another "
				"schedule\n");
		return -1;
	}
	if (a->shrink && !a->replay) {
		fprintf(stderr, "memhp torture: --shrink shrinks a --replay FILE\n");
		return -1;
	}
	if (!a->ops && !a->seconds)
		a->ops = T_DEFAULT_OPS;
	return 0;
bad:
	fprintf(stderr, "memhp torture: bad value '%s' for %s\n", optarg, argv[optind - 1]);
	return -1;
}

/* ---- Reporting -------------------------------------------------------------------------------- */

static void print_finding(FILE *f, const struct t_setup *s, const struct t_result *res,
			  unsigned long campaign_op)
{
	fprintf(f,
		"\nmemhp torture: %s: seed %" PRIu64 ", protocol %s, operation %lu of the run "
		"(%lu of the campaign)\n  %s: %s\n",
		res->violation ? "VIOLATION" : "kernel finding", s->seed, proto_name(s->protocol),
		res->failed_op, campaign_op, memhp_rule_name(res->rule), res->detail);
	for (unsigned int i = 0; i < res->nr_more; i++)
		fprintf(f, "    and %s\n", res->more[i]);
	fprintf(f, "  data: %lu pages verified, %lu lost, %lu hwpoisoned\n", res->verified,
		res->lost, res->hwpoisoned);
	if (res->recheck == T_RECHECK_STAYS)
		fprintf(f, "  with the run's threads stopped, still: %s\n", res->recheck_detail);
	else if (res->recheck == T_RECHECK_GONE)
		fprintf(f, "  with the run's threads stopped, gone: a moment the checker saw\n");
	fprintf(f, "  the last operations:\n");
	for (unsigned int i = 0; i < res->nr_tail; i++)
		fprintf(f, "  %s\n", res->tail[i]);
}

static void progress(const struct torture_args *a, uint64_t t0, unsigned long ops,
		     unsigned long runs, unsigned long tainted, bool done)
{
	double elapsed = (double)(mono_ms() - t0) / 1000.0, frac;
	int fill;

	frac = a->seconds ? elapsed / (double)a->seconds : (double)ops / (double)a->ops;
	if (frac > 1)
		frac = 1;
	fill = (int)(frac * T_BAR_WIDTH);
	fprintf(stderr, "\r[%.*s%*s] %3d%%  %lu ops  %.0f ops/s  %lu runs  %lu tainted", fill,
		"##############################", T_BAR_WIDTH - fill, "", (int)(frac * 100), ops,
		elapsed > 0 ? (double)ops / elapsed : 0.0, runs, tainted);
	if (done)
		fputc('\n', stderr);
}

/* Write the replay and, unless told not to, a shrunk one beside it. */
static void save_failure(const struct torture_args *a, const struct t_setup *s, struct t_op *ops,
			 const struct t_result *res)
{
	char path[T_PATH], min[T_PATH + sizeof(".min")];
	unsigned long nr = res->failed_op, tests = 0, left;

	snprintf(path, sizeof(path), "%s/torture-%" PRIu64 "-%s.replay", a->out, s->seed,
		 proto_name(s->protocol));
	if (t_write_replay(path, s, ops, nr, res)) {
		fprintf(stderr, "memhp torture: cannot write %s: %s\n", path, strerror(errno));
		return;
	}
	printf("  replay: memhp torture --replay %s\n", path);
	if (a->no_shrink || !res->violation)
		return;
	printf("  shrinking %lu operations (ddmin, %d tries per candidate) ...\n", nr,
	       T_SHRINK_TRIES);
	fflush(stdout);
	left = t_shrink(s, ops, nr, res->rule, s->deterministic ? 1 : T_SHRINK_TRIES,
			T_SHRINK_BUDGET_MS, &tests);
	snprintf(min, sizeof(min), "%s.min", path);
	if (!t_write_replay(min, s, ops, left, res))
		printf("  shrunk to %lu operation%s in %lu runs: memhp torture --replay %s\n", left,
		       left == 1 ? "" : "s", tests, min);
}

/* ---- --replay ----------------------------------------------------------------------------------- */

static int do_replay(const struct torture_args *a)
{
	struct t_setup s;
	struct t_op *ops;
	struct t_result res;
	unsigned long nr;
	int rc = t_read_replay(a->replay, &s, &ops, &nr);

	s.watchdog_s = a->watchdog;
	/* --deterministic or --schedule: the operations of the file under
	 * the deterministic scheduler, with its schedule or another one. */
	if (a->deterministic || a->schedule)
		s.deterministic = true;
	if (a->schedule)
		s.schedule = a->schedule;
	if (rc) {
		fprintf(stderr, "memhp torture: %s: %s\n", a->replay,
			rc == -EINVAL ? "not a torture replay file" : strerror(-rc));
		return RUN_EXIT_USAGE;
	}
	printf("memhp torture: replaying %s: seed %" PRIu64 ", protocol %s, %lu operations, %u "
	       "threads, %u walkers\n",
	       a->replay, s.seed, proto_name(s.protocol), nr, s.threads, s.walkers);
	fflush(stdout);
	rc = t_run(&s, ops, nr, NULL, a->quiet ? NULL : stdout, &res);
	if (rc) {
		fprintf(stderr, "memhp torture: cannot set the machine up: %s\n", strerror(-rc));
		free(ops);
		return RUN_EXIT_FAILED;
	}
	if (res.violation || res.tainted) {
		print_finding(stdout, &s, &res, res.failed_op);
		if (a->shrink && res.violation) {
			char min[T_PATH + sizeof(".min")];
			unsigned long tests = 0;
			unsigned long left = t_shrink(&s, ops, res.failed_op, res.rule,
						      s.deterministic ? 1 : T_SHRINK_TRIES,
						      T_SHRINK_BUDGET_MS, &tests);

			snprintf(min, sizeof(min), "%s.min", a->replay);
			if (!t_write_replay(min, &s, ops, left, &res))
				printf("  shrunk to %lu operation%s in %lu runs: memhp torture "
				       "--replay %s\n",
				       left, left == 1 ? "" : "s", tests, min);
		}
	} else {
		printf("memhp torture: the replay ran %lu operations without a finding\n", res.ops);
	}
	free(ops);
	return res.violation ? RUN_EXIT_FAILED : RUN_EXIT_OK;
}

/* ---- The campaign ------------------------------------------------------------------------------- */

/* SIGINT or SIGTERM: the campaign stops after the run in progress and
 * prints its summary; a second one kills it (SA_RESETHAND). */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static void catch_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal, .sa_flags = SA_RESETHAND };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int cmd_torture(int argc, char **argv)
{
	struct torture_args a;
	struct t_op *ops;
	FILE *log = NULL;
	uint64_t t0, last_draw = 0, last_note;
	unsigned long done = 0, runs = 0, tainted = 0, verified = 0, hwpoisoned = 0, benign = 0,
		      violations = 0;
	struct {
		enum memhp_rule rule;
		unsigned long n;
		/* The first one's seed, protocol and detail. */
		struct t_setup first;
		char detail[TORTURE_DETAIL];
	} taints[T_MAX_TAINT_RULES];
	int nr_taints = 0, status = RUN_EXIT_OK, rc;
	bool tty, to_file;

	rc = parse_args(argc, argv, &a);
	if (rc)
		return rc > 0 ? RUN_EXIT_OK : RUN_EXIT_USAGE;
	if (a.replay)
		return do_replay(&a);
	if (!a.have_seed)
		a.seed = run_random_seed();
	if (a.log && !(log = fopen(a.log, "w"))) {
		fprintf(stderr, "memhp torture: --log %s: %s\n", a.log, strerror(errno));
		return RUN_EXIT_USAGE;
	}
	ops = calloc(a.run_ops, sizeof(*ops));
	if (!ops) {
		fprintf(stderr, "memhp torture: out of memory\n");
		return RUN_EXIT_FAILED;
	}
	tty = !a.quiet && isatty(STDERR_FILENO);
	to_file = !a.quiet && !isatty(STDOUT_FILENO);
	catch_stop_signals();
	/* The seed comes first: whatever happens next, the campaign can be
	 * run again. */
	printf("memhp torture: seed %" PRIu64 "%s, protocol %s, shard %u/%u, %u threads, %u "
	       "walkers, %lu operations per machine, %s%lu %s\n",
	       a.seed, a.have_seed ? "" : " (random: --seed runs it again)",
	       a.protocol < 0 ? "both" : proto_name((enum memhp_protocol)a.protocol), a.shard,
	       a.nr_shards, a.threads, a.walkers, a.run_ops, a.seconds ? "" : "",
	       a.seconds ? a.seconds : a.ops, a.seconds ? "seconds" : "operations");
	fflush(stdout);
	t0 = last_note = mono_ms();
	for (uint64_t r = a.shard;; r += a.nr_shards) {
		for (int p = MEMHP_PROTOCOL_6_1; p <= MEMHP_PROTOCOL_2025; p++) {
			struct t_setup s = { .seed = a.seed + r,
					     .protocol = (enum memhp_protocol)p,
					     .threads = a.threads,
					     .walkers = a.walkers,
					     .deterministic = a.deterministic,
					     .watchdog_s = a.watchdog };
			struct t_result res;
			unsigned long n = a.run_ops;

			if (a.protocol >= 0 && a.protocol != p)
				continue;
			if (stop_signal)
				goto out;
			if (a.ops && done >= a.ops)
				goto out;
			if (a.seconds && mono_ms() - t0 >= a.seconds * 1000)
				goto out;
			if (a.ops && a.ops - done < n)
				n = a.ops - done;
			if (log)
				fprintf(log, "# seed %" PRIu64 " protocol %s\n", s.seed,
					proto_name(s.protocol));
			rc = t_run(&s, NULL, n, ops, log, &res);
			if (rc) {
				fprintf(stderr,
					"\nmemhp torture: seed %" PRIu64
					": cannot set the machine up: %s\n",
					s.seed, strerror(-rc));
				status = RUN_EXIT_FAILED;
				goto out;
			}
			done += res.ops;
			runs++;
			verified += res.verified;
			hwpoisoned += res.hwpoisoned;
			benign += res.findings;
			if (res.tainted) {
				int i;

				tainted++;
				for (i = 0; i < nr_taints; i++)
					if (taints[i].rule == res.rule)
						break;
				if (i == nr_taints && nr_taints < T_MAX_TAINT_RULES) {
					taints[i].rule = res.rule;
					taints[i].n = 0;
					snprintf(taints[i].detail, TORTURE_DETAIL, "%s",
						 res.detail);
					taints[i].first = s;
					nr_taints++;
				}
				if (i < nr_taints)
					taints[i].n++;
			}
			if (res.violation) {
				if (tty)
					progress(&a, t0, done, runs, tainted, true);
				print_finding(stdout, &s, &res, done);
				save_failure(&a, &s, ops, &res);
				/* A campaign's output is a file: a finding must
				 * be there even if the campaign is killed later. */
				fflush(stdout);
				status = RUN_EXIT_FAILED;
				violations++;
				if (!a.keep_going)
					goto out;
			}
			if (tty && mono_ms() - last_draw >= T_PROGRESS_MS) {
				last_draw = mono_ms();
				progress(&a, t0, done, runs, tainted, false);
			}
			if (to_file && mono_ms() - last_note >= T_LOG_PROGRESS_MS) {
				last_note = mono_ms();
				printf("memhp torture: so far %lu operations in %lu runs, %.0f s; "
				       "%lu "
				       "violations; %lu runs tainted\n",
				       done, runs, (double)(last_note - t0) / 1000.0, violations,
				       tainted);
				fflush(stdout);
			}
		}
	}
out:
	if (tty)
		progress(&a, t0, done, runs, tainted, true);
	{
		double secs = (double)(mono_ms() - t0) / 1000.0;

		printf("memhp torture: %lu operations in %lu runs, %.1f s, %.0f ops/s; %lu "
		       "violation%s%s; %lu data pages verified at the ends of runs, 0 lost%s; %lu "
		       "runs tainted by a kernel finding",
		       done, runs, secs, secs > 0 ? (double)done / secs : 0.0, violations,
		       violations == 1 ? "" : "s",
		       status == RUN_EXIT_OK || a.keep_going ? "" : " (stopped there)", verified,
		       status == RUN_EXIT_OK ? "" : " in the other runs", tainted);
		for (int i = 0; i < nr_taints; i++)
			printf("%s%s x%lu", i ? ", " : " (", memhp_rule_name(taints[i].rule),
			       taints[i].n);
		printf("%s; %lu benign kernel findings (virtio-mem-broken); %lu data pages "
		       "taken by memory_failure%s%s\n",
		       nr_taints ? ")" : "", benign, hwpoisoned, stop_signal ? "; stopped by " : "",
		       !stop_signal	       ? ""
		       : stop_signal == SIGINT ? "SIGINT"
					       : "SIGTERM");
		/* What the kernel said, once per rule, with a seed that says it. */
		for (int i = 0; i < nr_taints && !a.quiet; i++)
			printf("  %s, first in seed %" PRIu64 " (%s): %s\n",
			       memhp_rule_name(taints[i].rule), taints[i].first.seed,
			       proto_name(taints[i].first.protocol), taints[i].detail);
	}
	free(ops);
	if (log)
		fclose(log);
	fflush(stdout);
	return status;
}
