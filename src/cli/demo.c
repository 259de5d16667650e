// SPDX-License-Identifier: MIT
/*
 * demo.c - memhp demo: what memhp is for, in a few seconds, with no files.
 *
 * What happens is a scenario, demo.lua, built into the program (--print
 * shows it): a 4 GiB x86_64 guest with a virtio-mem device plugs 4 GiB,
 * fills memory and unplugs down to 1 GiB while speculative PFN walkers
 * race, once under the PageOffline protocol of Linux 6.1, once under the
 * 2025 proposal, each in a run of its own. This file is its host: it gives
 * the scenario the steps of a summarised timeline and counts what the
 * driver's work did in each, interrupts an offline that a leaked page
 * would make retry forever, and prints the report side by side: meminfo
 * and the host's RSS before and after, what the checkers found, the block
 * table.
 */
#include "cli.h"
#include "det.h"
#include "lua_api.h"
#include "run.h"
#include "run_util.h"
#include "timeline.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <lauxlib.h>
#include <lualib.h>
#include <memhp/virtio_mem.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The scenario, built into the program from src/cli/demo.lua. */
extern const char demo_lua[];

/* The summary shows the demo's steps and what they say, not the hundreds
 * of operations inside them (those go to --trace). */
#define DEMO_SUMMARY_DEPTH 1
/* Distinct finding rules counted per run, rows in a block table. */
#define DEMO_MAX_RULES 16
#define DEMO_MAX_ROWS 24
/* Text of one table cell, one summary line, one finding sample. */
#define DEMO_CELL 160
#define DEMO_LINE 256
#define DEMO_SAMPLE 96
#define DEMO_RULE 32
/* Distinct errnos counted per operation in a step. */
#define DEMO_MAX_ERRNOS 4
/* Blocks named in a summary line; the rest are counted. */
#define DEMO_MAX_NAMED 4
/* Columns of the side-by-side report. */
#define DEMO_LABEL_W 28
#define DEMO_CELL_W 36
#define DEMO_PATH_MAX 4096
#define DEMO_NR_PROTOCOLS 2
/* virtio-mem request types (PLUG..STATE), response types (ACK..ERROR). */
#define DEMO_NR_VMEM_TYPES (MEMHP_VIRTIO_MEM_REQ_STATE + 1)

static const char demo_usage[] =
	"usage: memhp demo [OPTIONS]\n"
	"\n"
	"A 4 GiB x86_64 guest with a virtio-mem device plugs 4 GiB, fills memory\n"
	"with checksummed data and kernel allocations, then unplugs down to 1 GiB\n"
	"while speculative PFN walkers race: under Linux 6.1's PageOffline protocol\n"
	"and under the 2025 proposal, side by side. Needs no files.\n"
	"Exit status: 0 if no data was lost, 1 if some was (or the demo could not be\n"
	"made), 2 on bad usage, 3 if a file it was asked for (--svg, --trace) cannot\n"
	"be written, 130 if ^C stopped it. What the checkers find is reported, not an\n"
	"error. A first ^C stops the demo after the step it lands in (an offline backs\n"
	"out) and reports what ran; a second exits at once.\n"
	"\n"
	"options:\n"
	"  --seed N              seed every random choice (default: a random seed,\n"
	"                        printed first); the walkers' timing is not replayed\n"
	"                        unless --deterministic\n"
	"  --deterministic       memhp's threads take turns at defined points in an\n"
	"                        order drawn from the seed, on a virtual clock: the\n"
	"                        same seed prints the same output, races included\n"
	"  --protocol 6.1|2025   run only one protocol\n"
	"  --quick               a 1 GiB guest plugging 1 GiB, down to 256 MiB\n"
	"  --trace FILE          write the timeline as a Chrome trace-event JSON file\n"
	"  --svg FILE            draw the memory map at the end (with both\n"
	"                        protocols, 2025 goes to FILE-2.svg)\n"
	"  --print               print the scenario the demo runs (demo.lua), to\n"
	"                        read or copy, and exit\n"
	"  -h, --help            this help\n";

struct demo_args {
	bool quick, print;
	bool described;		       /* the scenario's plan is printed (demo.begin{}) */
	struct run_common_args common; /* .protocol -1: both */
};

/* One kind of finding during a run (a rule, and what it means there), how
 * often, and an example. */
struct demo_rule {
	char rule[DEMO_RULE];
	int meaning;
	unsigned long n;
	char sample[DEMO_SAMPLE];
};

/* What the driver's work did during one step: the summary lines. */
enum demo_op { OP_ADD, OP_ONLINE, OP_OFFLINE, OP_REMOVE, OP_CONTIG, DEMO_NR_OPS };

/* The row of a hotplug operation, or -1 for one the summary leaves out. */
static int demo_op_of(enum memhp_op op)
{
	switch (op) {
	case MEMHP_OP_ADD_MEMORY:
		return OP_ADD;
	case MEMHP_OP_ONLINE_PAGES:
		return OP_ONLINE;
	case MEMHP_OP_OFFLINE_PAGES:
		return OP_OFFLINE;
	case MEMHP_OP_REMOVE_MEMORY:
		return OP_REMOVE;
	case MEMHP_OP_ALLOC_CONTIG_RANGE:
		return OP_CONTIG;
	default:
		return -1;
	}
}

struct demo_step {
	unsigned long ops[DEMO_NR_OPS], failed[DEMO_NR_OPS];
	/* The failures of each operation, by errno. */
	struct {
		int err;
		unsigned long n;
	} errs[DEMO_NR_OPS][DEMO_MAX_ERRNOS];
	unsigned long requests[DEMO_NR_VMEM_TYPES], responses[DEMO_NR_VMEM_TYPES];
	long first_added, last_added;
	unsigned int online_zones; /* bit per zone */
	/* Offlines the demo had to interrupt, and the first few blocks. */
	unsigned long interrupted;
	long interrupted_blocks[DEMO_MAX_NAMED];
};

/* A row of the block table: consecutive blocks that look alike. */
struct demo_row {
	unsigned long first, last;
	uint64_t start;
	char state[16], zone[24], driver[48];
};

struct demo_run {
	struct demo_args *args;
	enum memhp_protocol protocol;
	const char *tag;
	int pid;
	uint64_t seed;
	struct timeline *tl;
	pthread_t thread;
	struct memhp_task *task;

	struct memhp_machine *m; /* the scenario's, once it made it */
	uint64_t block_size;	 /* memory blocks, for the table after teardown */

	/* Counted by the trace hook: the current step (this thread only) and
	 * the findings of the whole run (any thread, under @lock). */
	struct demo_step step;
	pthread_mutex_t lock;
	struct demo_rule rules[DEMO_MAX_RULES];
	int nr_rules;
	unsigned long nr_findings;
	/* The range offline_pages() is working on, and whether the guard in
	 * count_finding() interrupted it; under @guard_lock, so that its signal
	 * never outlives the offline it was meant for. */
	pthread_mutex_t guard_lock;
	unsigned long off_start, off_end;
	bool signalled;

	/* Results. */
	struct memhp_meminfo mi_before, mi_after;
	uint64_t plug, plugged_before, plugged_after, requested;
	uint64_t rss_before, rss_after;
	unsigned long online_before, online_after;
	unsigned long migrated, verified, lost;
	struct memhp_walker_stats walk;
	struct memhp_check_report *check;
	size_t check_nr, drv_check_nr;
	struct demo_row rows[DEMO_MAX_ROWS];
	int nr_rows;
	unsigned long rows_left_out;
	double seconds;
	bool ok;	/* it got through the unplug: there is something to report */
	bool cut_short; /* a ^C came before the unplug */
};

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *protocol_label(enum memhp_protocol p)
{
	return p == MEMHP_PROTOCOL_2025 ? "2025" : "6.1";
}

static const char *protocol_title(enum memhp_protocol p)
{
	return p == MEMHP_PROTOCOL_2025 ? "2025 proposal" : "Linux 6.1";
}

/* ---- ^C ------------------------------------------------------------------------------ */

/*
 * The first ^C stops the demo after the step it lands in (an offline backs
 * out with -EINTR, everything restored) and prints the summary of what ran;
 * a second exits at once. The handler only raises flags.
 */
static atomic_int demo_interrupts;
static pthread_t demo_thread;
static struct memhp_task *demo_task;

static void on_sigint(int sig)
{
	static const char twice[] = "\nmemhp demo: interrupted twice: exiting now\n";

	(void)sig;
	/* The demo's thread is the one whose offline must see it. */
	if (!pthread_equal(pthread_self(), demo_thread)) {
		pthread_kill(demo_thread, SIGINT);
		return;
	}
	if (atomic_fetch_add(&demo_interrupts, 1)) {
		if (write(STDERR_FILENO, twice, sizeof(twice) - 1) < 0) {
			/* Nothing left to tell. */
		}
		_exit(RUN_EXIT_INTERRUPTED);
	}
	memhp_task_signal(demo_task);
}

static bool interrupted(void)
{
	return atomic_load(&demo_interrupts) != 0;
}

/* ---- Counting what happens ------------------------------------------------------------ */

static void guard(struct demo_run *dr, const char *rule, unsigned long pfn)
{
	/*
	 * A page a walker freed under the driver is neither free nor
	 * PageOffline: offline_pages() would retry forever, as the 2019 report
	 * says; in Linux the virtio-mem worker, a kworker no signal reaches,
	 * would spin there for good. The demo has to go on: it raises the
	 * signal a task would get, and offline_pages() backs out with -EINTR.
	 */
	if (strcmp(rule, "bad-page"))
		return;
	pthread_mutex_lock(&dr->guard_lock);
	if (pfn >= dr->off_start && pfn < dr->off_end && !dr->signalled) {
		dr->signalled = true;
		memhp_task_signal(dr->task);
	}
	pthread_mutex_unlock(&dr->guard_lock);
}

/* What each kind of finding means, in one line; @detail tells apart two
 * meanings of one rule. The enum names the rows, in order. */
enum demo_meaning {
	MEANING_FAKE_OFFLINE_REFERENCED,
	MEANING_PUT_AFTER_REMOVAL,
	MEANING_RACE_2019,
	MEANING_ISOLATED_BUG,
	MEANING_ISOLATED_WARN,
	MEANING_LEAKED_SUB_BLOCK,
	DEMO_NR_MEANINGS
};

static const struct {
	const char *rule, *detail, *meaning;
} meanings[] = {
	{ "fake-offline-referenced", NULL,
	  "the driver's put in MEM_GOING_OFFLINE did not reach 0: a walker held a reference "
	  "(6.1's WARN)" },
	{ "bad-page", "underflow",
	  "a walker's put_page() came after its memory was removed: the memmap was gone "
	  "(memhp zeroes it; Linux frees it)" },
	{ "bad-page", NULL,
	  "the 2019 race: a walker's put_page() freed a PageOffline page the driver had let "
	  "go of: Bad page state, the page leaks" },
	{ "offline-isolated-pages", "BUG",
	  "a page freed under the driver was neither free nor PageOffline as its section went "
	  "offline: 6.1 would BUG() there" },
	{ "offline-isolated-pages", NULL,
	  "a skippable PageOffline page still had a walker's reference as its section went "
	  "offline: the proposal's WARN, offlining goes on" },
	{ "virtio-mem-check", NULL,
	  "an unplugged sub-block of an online block has a page that is not fake-offline any "
	  "more: the leaked page" },
};
_Static_assert(sizeof(meanings) / sizeof(meanings[0]) == DEMO_NR_MEANINGS,
	       "a meaning for every enum demo_meaning");

static int meaning_of(const char *rule, const char *line)
{
	for (size_t i = 0; i < sizeof(meanings) / sizeof(meanings[0]); i++)
		if (!strcmp(meanings[i].rule, rule) &&
		    (!meanings[i].detail || strstr(line, meanings[i].detail)))
			return (int)i;
	return -1;
}

/* Count a finding under its rule and meaning. */
static void count_finding(struct demo_run *dr, const struct memhp_ev_finding *f)
{
	int meaning = meaning_of(f->rule, f->detail), i;

	pthread_mutex_lock(&dr->lock);
	dr->nr_findings++;
	for (i = 0; i < dr->nr_rules; i++)
		if (!strcmp(dr->rules[i].rule, f->rule) && dr->rules[i].meaning == meaning)
			break;
	if (i < DEMO_MAX_RULES) {
		if (i == dr->nr_rules) {
			snprintf(dr->rules[i].rule, sizeof(dr->rules[i].rule), "%s", f->rule);
			dr->rules[i].meaning = meaning;
			/* As the kernel log has it, without "memhp: ". */
			if (f->pfn == MEMHP_NO_PFN)
				snprintf(dr->rules[i].sample, sizeof(dr->rules[i].sample), "%s: %s",
					 f->rule, f->detail);
			else
				snprintf(dr->rules[i].sample, sizeof(dr->rules[i].sample),
					 "%s at pfn %#lx: %s", f->rule, f->pfn, f->detail);
			dr->nr_rules++;
		}
		dr->rules[i].n++;
	}
	pthread_mutex_unlock(&dr->lock);
}

/* What the demo needs of a run's events: findings (the guard acts on them,
 * the summary counts them as the kernel log shows them, in its order), the
 * driver's operations and its requests to the device. */
#define DEMO_EVENTS                                                              \
	(MEMHP_EVENT_BIT(MEMHP_EV_FINDING) | MEMHP_EVENT_BIT(MEMHP_TP_PRINTK) |  \
	 MEMHP_EVENT_BIT(MEMHP_TP_OP_BEGIN) | MEMHP_EVENT_BIT(MEMHP_TP_OP_END) | \
	 MEMHP_EVENT_BIT(MEMHP_EV_VMEM_REQUEST) | MEMHP_EVENT_BIT(MEMHP_EV_VMEM_RESPONSE))

static void demo_event(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct demo_run *dr = priv;
	struct demo_step *st = &dr->step;
	const struct memhp_tp_op *o = &ev->op;
	int op;

	(void)m;
	if (ev->type == MEMHP_EV_FINDING) {
		guard(dr, ev->finding.rule, ev->finding.pfn);
		return;
	}
	if (ev->type == MEMHP_TP_PRINTK) {
		if (ev->printk.finding)
			count_finding(dr, ev->printk.finding);
		return;
	}
	/* Only the driver's work on this thread makes up a step. */
	if (!pthread_equal(pthread_self(), dr->thread))
		return;
	switch (ev->type) {
	case MEMHP_TP_OP_BEGIN:
		if (o->op == MEMHP_OP_OFFLINE_PAGES) {
			pthread_mutex_lock(&dr->guard_lock);
			dr->off_start = o->start_pfn;
			dr->off_end = o->start_pfn + o->nr_pages;
			pthread_mutex_unlock(&dr->guard_lock);
		} else if (o->op == MEMHP_OP_ONLINE_PAGES && o->zone >= 0 &&
			   o->zone < MEMHP_NR_ZONES) {
			st->online_zones |= 1u << o->zone;
		} else if (o->op == MEMHP_OP_ADD_MEMORY) {
			long id = (long)(o->start_pfn / memhp_pages_per_block(dr->m));

			if (st->first_added < 0 || id < st->first_added)
				st->first_added = id;
			id += (long)(o->nr_pages / memhp_pages_per_block(dr->m)) - 1;
			if (id > st->last_added)
				st->last_added = id;
		}
		break;
	case MEMHP_TP_OP_END:
		op = demo_op_of(o->op);
		if (op == OP_OFFLINE) {
			pthread_mutex_lock(&dr->guard_lock);
			dr->off_start = dr->off_end = 0;
			if (dr->signalled) {
				/* Everything after must not see it (unless a ^C
				 * came too: that one stays). It may have come too
				 * late to matter: offlining had finished. */
				if (!interrupted())
					memhp_task_clear_signal(dr->task);
				dr->signalled = false;
				if (o->ret == -EINTR && st->interrupted++ < DEMO_MAX_NAMED)
					st->interrupted_blocks[st->interrupted - 1] =
						(long)(o->start_pfn / memhp_pages_per_block(dr->m));
			}
			pthread_mutex_unlock(&dr->guard_lock);
		}
		if (op < 0)
			break;
		st->ops[op]++;
		if (o->ret) {
			st->failed[op]++;
			for (int i = 0; i < DEMO_MAX_ERRNOS; i++) {
				if (st->errs[op][i].n && st->errs[op][i].err != o->ret)
					continue;
				st->errs[op][i].err = o->ret;
				st->errs[op][i].n++;
				break;
			}
		}
		break;
	case MEMHP_EV_VMEM_REQUEST:
		if (ev->vmem_request.type < DEMO_NR_VMEM_TYPES)
			st->requests[ev->vmem_request.type]++;
		break;
	case MEMHP_EV_VMEM_RESPONSE:
		if (ev->vmem_request.resp < DEMO_NR_VMEM_TYPES)
			st->responses[ev->vmem_request.resp]++;
		break;
	default:
		break;
	}
}

static void step_reset(struct demo_run *dr)
{
	memset(&dr->step, 0, sizeof(dr->step));
	dr->step.first_added = -1;
	dr->step.last_added = -1;
}

/* ---- The timeline ------------------------------------------------------------------------ */

static void note(struct demo_run *dr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct demo_run *dr, const char *fmt, ...)
{
	char line[DEMO_LINE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	tl_note(dr->tl, dr->pid, "demo", line);
}

static void begin(struct demo_run *dr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void begin(struct demo_run *dr, const char *fmt, ...)
{
	char what[DEMO_LINE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	step_reset(dr);
	tl_call_begin(dr->tl, dr->pid, dr->tag, what);
}

static void end(struct demo_run *dr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void end(struct demo_run *dr, const char *fmt, ...)
{
	char res[DEMO_LINE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res, sizeof(res), fmt, ap);
	va_end(ap);
	tl_call_end(dr->tl, dr->pid, res);
}

/* ---- The block table -------------------------------------------------------------------- */

static void print_rows(struct demo_run *dr)
{
	const uint64_t bs = dr->block_size;
	char ids[DEMO_CELL], sz[RUN_SIZE_STR];

	printf("\n%s: memory blocks at the end (lsmem), the device's blocks with the driver's "
	       "state:\n",
	       protocol_title(dr->protocol));
	printf("  %-37s %9s  %-8s %-15s %-9s %s\n", "RANGE", "SIZE", "STATE", "ZONES", "BLOCK",
	       "VIRTIO-MEM");
	for (int i = 0; i < dr->nr_rows; i++) {
		const struct demo_row *r = &dr->rows[i];
		const uint64_t size = (uint64_t)(r->last - r->first + 1) * bs;

		if (r->first == r->last)
			snprintf(ids, sizeof(ids), "%lu", r->first);
		else
			snprintf(ids, sizeof(ids), "%lu-%lu", r->first, r->last);
		printf("  0x%016" PRIx64 "-0x%016" PRIx64 " %9s  %-8s %-15s %-9s %s\n", r->start,
		       r->start + size - 1, run_fmt_size(size, sz), r->state, r->zone, ids,
		       r->driver);
	}
	if (dr->rows_left_out)
		printf("  ... and %lu more blocks\n", dr->rows_left_out);
}

/* ---- The scenario's host ------------------------------------------------------------------ */

/* The run the scenario is in: one at a time, on this thread. */
static struct demo_run *host_run;

static struct demo_run *host(lua_State *L)
{
	if (!host_run)
		luaL_error(L, "demo: no protocol is running");
	return host_run;
}

/* A whole number of the table at @t, or an error that names it. */
static lua_Integer field_int(lua_State *L, int t, const char *k)
{
	lua_Integer v;
	int ok;

	lua_getfield(L, t, k);
	v = lua_tointegerx(L, -1, &ok);
	lua_pop(L, 1);
	if (!ok)
		luaL_error(L, "demo: %s must be a whole number", k);
	return v;
}

/* The first demo.begin{} prints what the demo does, from the scenario's
 * own plan; every one opens its protocol's section. */
static int h_begin(lua_State *L)
{
	struct demo_run *dr = host(L);
	struct demo_args *a = dr->args;
	char ram[RUN_SIZE_STR], region[RUN_SIZE_STR], range[RUN_RANGE_STR], plug[RUN_SIZE_STR],
		to[RUN_SIZE_STR];
	uint64_t addr, size;

	luaL_checktype(L, 1, LUA_TTABLE);
	addr = (uint64_t)field_int(L, 1, "addr");
	size = (uint64_t)field_int(L, 1, "region");
	dr->plug = (uint64_t)field_int(L, 1, "plug");
	if (!a->described) {
		a->described = true;
		printf("A %s x86_64 guest (QEMU q35) with a virtio-mem device (QEMU): %s region "
		       "at\n%s, 2 MiB blocks; auto_online_blocks=online_movable.\n",
		       run_fmt_size((uint64_t)field_int(L, 1, "ram"), ram),
		       run_fmt_size(size, region), run_fmt_range(addr, size, range));
		printf("Plug %s, fill memory, unplug down to %s while %d PFN walkers take "
		       "speculative\nreferences: %s.\n",
		       run_fmt_size(dr->plug, plug),
		       run_fmt_size((uint64_t)field_int(L, 1, "unplug_to"), to),
		       (int)field_int(L, 1, "walkers"),
		       a->common.protocol < 0 ? "under Linux 6.1 and under the 2025 proposal"
		       : a->common.protocol == MEMHP_PROTOCOL_2025 ? "under the 2025 proposal"
								   : "under Linux 6.1");
	}
	printf("\n== %s: %s ==\n", protocol_title(dr->protocol),
	       dr->protocol == MEMHP_PROTOCOL_2025
		       ? "PageOffline pages keep refcount 1 and are skipped (PG_offline_skippable)"
		       : "the driver drops its PageOffline references in MEM_GOING_OFFLINE");
	fflush(stdout);
	return 0;
}

static int h_step(lua_State *L)
{
	begin(host(L), "%s", luaL_checkstring(L, 1));
	return 0;
}

static int h_step_end(lua_State *L)
{
	end(host(L), "%s", luaL_checkstring(L, 1));
	return 0;
}

static int h_note(lua_State *L)
{
	note(host(L), "%s", luaL_checkstring(L, 1));
	return 0;
}

static int h_interrupted(lua_State *L)
{
	lua_pushboolean(L, interrupted());
	return 1;
}

/* What the driver's work did during the current step. */
static int h_counts(lua_State *L)
{
	static const char *const ops[DEMO_NR_OPS] = { "add_memory", "online_pages", "offline_pages",
						      "remove_memory", "alloc_contig_range" };
	static const char *const types[DEMO_NR_VMEM_TYPES] = { "PLUG", "UNPLUG", "UNPLUG_ALL",
							       "STATE" };
	static const char *const resps[DEMO_NR_VMEM_TYPES] = { "ACK", "NACK", "BUSY", "ERROR" };
	const struct demo_step *st = &host(L)->step;
	int n = 0;

	lua_createtable(L, 0, 8);
	lua_createtable(L, 0, DEMO_NR_OPS);
	for (int op = 0; op < DEMO_NR_OPS; op++) {
		lua_createtable(L, 0, 3);
		lapi_set_int(L, "n", (lua_Integer)st->ops[op]);
		lapi_set_int(L, "failed", (lua_Integer)st->failed[op]);
		lua_newtable(L);
		for (int i = 0; i < DEMO_MAX_ERRNOS && st->errs[op][i].n; i++) {
			lua_createtable(L, 0, 2);
			lapi_set_int(L, "err", st->errs[op][i].err);
			lapi_set_int(L, "n", (lua_Integer)st->errs[op][i].n);
			lua_rawseti(L, -2, i + 1);
		}
		lua_setfield(L, -2, "errs");
		lua_setfield(L, -2, ops[op]);
	}
	lua_setfield(L, -2, "ops");
	lua_createtable(L, 0, DEMO_NR_VMEM_TYPES);
	for (int i = 0; i < DEMO_NR_VMEM_TYPES; i++)
		lapi_set_int(L, types[i], (lua_Integer)st->requests[i]);
	lua_setfield(L, -2, "requests");
	lua_createtable(L, 0, DEMO_NR_VMEM_TYPES);
	for (int i = 0; i < DEMO_NR_VMEM_TYPES; i++)
		lapi_set_int(L, resps[i], (lua_Integer)st->responses[i]);
	lua_setfield(L, -2, "responses");
	if (st->first_added >= 0) {
		lapi_set_int(L, "first_added", st->first_added);
		lapi_set_int(L, "last_added", st->last_added);
	}
	lua_newtable(L);
	for (int z = 0; z < MEMHP_NR_ZONES; z++)
		if (st->online_zones & (1u << z)) {
			lua_pushstring(L, memhp_zone_name((enum memhp_zone_type)z));
			lua_rawseti(L, -2, ++n);
		}
	lua_setfield(L, -2, "zones");
	lua_newtable(L);
	for (unsigned long i = 0; i < st->interrupted && i < DEMO_MAX_NAMED; i++) {
		lua_pushinteger(L, st->interrupted_blocks[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "interrupted_named");
	lapi_set_int(L, "interrupted", (lua_Integer)st->interrupted);
	return 1;
}

/* demo.check(m): the invariant checker, its report kept for the summary. */
static int h_check(lua_State *L)
{
	struct demo_run *dr = host(L);

	if (lapi_lm_machine(lapi_check_machine(L, 1)) != dr->m)
		return luaL_error(L, "demo.check: the report is of the scenario's first machine");
	if (!dr->check)
		dr->check = calloc(1, sizeof(*dr->check));
	if (dr->check)
		dr->check_nr = memhp_check(dr->m, dr->check);
	lua_pushinteger(L, (lua_Integer)dr->check_nr);
	return 1;
}

static const luaL_Reg host_functions[] = {
	{ "begin", h_begin },
	{ "step", h_step },
	{ "step_end", h_step_end },
	{ "note", h_note },
	{ "interrupted", h_interrupted },
	{ "counts", h_counts },
	{ "check", h_check },
	{ NULL, NULL },
};

/* The scenario's machine: the demo counts what happens on it. */
static void host_machine_created(struct memhp_machine *m, void *priv)
{
	struct demo_run *dr = priv;

	if (dr->m)
		return;
	/* Set before the first event can come: demo_event() reads both. */
	dr->m = m;
	dr->block_size = memhp_block_size(m);
	if (memhp_event_subscribe(m, DEMO_EVENTS, demo_event, dr))
		fprintf(stderr, "memhp demo: cannot trace the machine: its steps go uncounted\n");
}

static int get_int(lua_State *L, int t, const char *k, lua_Integer *v)
{
	int ok;

	lua_getfield(L, t, k);
	*v = lua_tointegerx(L, -1, &ok);
	lua_pop(L, 1);
	return ok ? 0 : -1;
}

#define GET(t, k, dst)                         \
	do {                                   \
		lua_Integer v_;                \
		if (get_int(L, (t), (k), &v_)) \
			bad = k;               \
		(dst) = (__typeof__(dst))v_;   \
	} while (0)

/* What the scenario returned: the results the report shows. */
static int take_results(lua_State *L, struct demo_run *dr)
{
	const char *bad = NULL;
	int t = lua_gettop(L);

	if (!lua_istable(L, t))
		return -1;
	lua_getfield(L, t, "cut_short");
	dr->cut_short = lua_toboolean(L, -1);
	lua_getfield(L, t, "ok");
	dr->ok = lua_toboolean(L, -1);
	lua_pop(L, 2);
	if (!dr->ok)
		return 0;
	GET(t, "plugged_before", dr->plugged_before);
	GET(t, "plugged_after", dr->plugged_after);
	GET(t, "requested", dr->requested);
	GET(t, "rss_before", dr->rss_before);
	GET(t, "rss_after", dr->rss_after);
	GET(t, "online_before", dr->online_before);
	GET(t, "online_after", dr->online_after);
	GET(t, "migrated", dr->migrated);
	GET(t, "verified", dr->verified);
	GET(t, "lost", dr->lost);
	GET(t, "drv_check_nr", dr->drv_check_nr);
	lua_getfield(L, t, "mi_before");
	lua_getfield(L, t, "mi_after");
	lua_getfield(L, t, "walk");
	if (!lua_istable(L, -3) || !lua_istable(L, -2) || !lua_istable(L, -1))
		return -1;
	GET(t + 1, "total_pages", dr->mi_before.total_pages);
	GET(t + 1, "free_pages", dr->mi_before.free_pages);
	GET(t + 2, "total_pages", dr->mi_after.total_pages);
	GET(t + 2, "free_pages", dr->mi_after.free_pages);
	GET(t + 3, "refs", dr->walk.refs);
	GET(t + 3, "offline_refs", dr->walk.offline_refs);
	lua_settop(L, t);
	lua_getfield(L, t, "rows");
	for (lua_Integer i = 1; lua_istable(L, t + 1) && lua_rawgeti(L, t + 1, i) == LUA_TTABLE;
	     i++) {
		struct demo_row *r = &dr->rows[dr->nr_rows];

		if (dr->nr_rows == DEMO_MAX_ROWS) {
			lua_Integer first, last;

			GET(t + 2, "first", first);
			GET(t + 2, "last", last);
			dr->rows_left_out += (unsigned long)(last - first + 1);
			lua_pop(L, 1);
			continue;
		}
		GET(t + 2, "first", r->first);
		GET(t + 2, "last", r->last);
		GET(t + 2, "start", r->start);
		lua_getfield(L, t + 2, "state");
		lua_getfield(L, t + 2, "zone");
		lua_getfield(L, t + 2, "driver");
		snprintf(r->state, sizeof(r->state), "%s", luaL_optstring(L, -3, "?"));
		snprintf(r->zone, sizeof(r->zone), "%s", luaL_optstring(L, -2, "?"));
		snprintf(r->driver, sizeof(r->driver), "%s", luaL_optstring(L, -1, ""));
		lua_pop(L, 4);
		dr->nr_rows++;
	}
	lua_settop(L, t);
	if (bad) {
		fprintf(stderr, "memhp demo: the scenario's results have no %s\n", bad);
		return -1;
	}
	return 0;
}

#undef GET

static int traceback(lua_State *L)
{
	luaL_traceback(L, L, lua_tostring(L, 1), 1);
	return 1;
}

/* Run the scenario for one protocol, in a run of its own. */
static int run_scenario(struct demo_run *dr)
{
	static const struct run_hooks hooks_template = { .machine_created = host_machine_created };
	struct run_hooks hooks = hooks_template;
	struct run r = { 0 };
	lua_State *L;
	int rc = 0;

	r.script = "demo.lua";
	r.seed = dr->seed;
	r.protocol = RUN_PROTOCOL_SCRIPT;
	r.thread = dr->thread;
	r.task = dr->task;
	r.tl = dr->tl;
	r.summary = true;
	r.index_base = dr->pid - 1;
	r.L = L = luaL_newstate();
	if (!L) {
		fprintf(stderr, "memhp demo: out of memory\n");
		return -ENOMEM;
	}
	luaL_openlibs(L);
	lapi_open(&r);
	luaL_newlib(L, host_functions);
	lua_pushstring(L, protocol_label(dr->protocol));
	lua_setfield(L, -2, "protocol");
	lua_pushboolean(L, dr->args->quick);
	lua_setfield(L, -2, "quick");
	lua_setglobal(L, "demo");
	hooks.priv = dr;
	run_hooks = &hooks;
	host_run = dr;

	lua_pushcfunction(L, traceback);
	if (luaL_loadbufferx(L, demo_lua, strlen(demo_lua), "@demo.lua", "t") ||
	    lua_pcall(L, 0, 1, 1)) {
		fprintf(stderr, "memhp demo: %s\n", lua_tostring(L, -1));
		rc = -EINVAL;
	} else if (take_results(L, dr)) {
		fprintf(stderr, "memhp demo: the scenario returned no results\n");
		rc = -EINVAL;
	}
	/* What follows is the demo's bookkeeping: no signal is for it. */
	memhp_task_clear_signal(dr->task);
	if (!rc && dr->ok && dr->args->common.svg) {
		char path[DEMO_PATH_MAX], title[DEMO_LINE];

		run_svg_path(dr->args->common.svg, dr->pid, path, sizeof(path));
		snprintf(title, sizeof(title), "memhp demo, %s, seed %" PRIu64,
			 protocol_title(dr->protocol), dr->seed);
		if (!svg_write(dr->m, path, title))
			printf("memory map (%s): %s\n", protocol_title(dr->protocol), path);
		else
			rc = -EIO;
	}
	/* What the driver says as it goes (memory left added) is not the demo's. */
	if (dr->m)
		memhp_event_unsubscribe(dr->m, demo_event, dr);
	lapi_end(&r);
	lua_close(L);
	lapi_teardown(&r);
	host_run = NULL;
	run_hooks = NULL;
	dr->m = NULL;
	return rc;
}

static int run_protocol(struct demo_run *dr)
{
	double t0 = mono_s();
	int rc = run_scenario(dr);

	dr->seconds = mono_s() - t0;
	return rc;
}

/* ---- The report ----------------------------------------------------------------------------- */

static void print_row(const char *label, char cells[][DEMO_CELL], int n)
{
	/* A cell may hold several lines: the row is as tall as its tallest. */
	const char *next[DEMO_NR_PROTOCOLS];
	bool more = true;

	for (int i = 0; i < n; i++)
		next[i] = cells[i];
	for (int line = 0; more; line++) {
		more = false;
		printf("%-*s", DEMO_LABEL_W, line ? "" : label);
		for (int i = 0; i < n; i++) {
			size_t len = next[i] ? strcspn(next[i], "\n") : 0;

			printf("%s%-*.*s", i ? "  " : "", DEMO_CELL_W, (int)len,
			       next[i] ? next[i] : "");
			if (next[i])
				next[i] = next[i][len] ? next[i] + len + 1 : NULL;
			more |= next[i] != NULL;
		}
		printf("\n");
	}
}

static const char *fmt_change(uint64_t before, uint64_t after, char *buf, size_t len)
{
	char a[RUN_SIZE_STR], b[RUN_SIZE_STR], d[RUN_SIZE_STR];

	if (after == before) {
		snprintf(buf, len, "%s (unchanged)", run_fmt_size(before, a));
		return buf;
	}
	snprintf(buf, len, "%s -> %s (%c%s)", run_fmt_size(before, a), run_fmt_size(after, b),
		 after < before ? '-' : '+',
		 run_fmt_size(after < before ? before - after : after - before, d));
	return buf;
}

static void findings_cell(struct demo_run *dr, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int i = 0; i < dr->nr_rules; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s x%lu", i ? "\n" : "",
			 dr->rules[i].rule, dr->rules[i].n);
	if (!buf[0])
		snprintf(buf, len, "none");
}

static void checker_cell(struct demo_run *dr, char *buf, size_t len)
{
	const struct memhp_check_report *r = dr->check;
	size_t shown;

	if (!r) {
		snprintf(buf, len, "(out of memory)");
		return;
	}
	snprintf(buf, len, "%zu violation%s", dr->check_nr, dr->check_nr == 1 ? "" : "s");
	shown = r->shown < MEMHP_CHECK_MAX_REPORTED ? r->shown : MEMHP_CHECK_MAX_REPORTED;
	/* One line per rule, however often it broke. */
	for (size_t i = 0; i < shown; i++) {
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			seen |= !strcmp(r->v[j].rule, r->v[i].rule);
		if (!seen)
			snprintf(buf + strlen(buf), len - strlen(buf), "\n%s", r->v[i].rule);
	}
}

static bool meanings_header(bool *header)
{
	if (!*header)
		printf("\nWhat the findings mean:\n");
	*header = true;
	return true;
}

/* The checker's rules, each with its first violation. */
static void print_check_meanings(struct demo_run *dr, bool *header)
{
	const struct memhp_check_report *r = dr->check;
	size_t shown;

	if (!r || !dr->check_nr)
		return;
	shown = r->shown < MEMHP_CHECK_MAX_REPORTED ? r->shown : MEMHP_CHECK_MAX_REPORTED;
	for (size_t i = 0; i < shown; i++) {
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			seen |= !strcmp(r->v[j].rule, r->v[i].rule);
		if (seen)
			continue;
		meanings_header(header);
		printf("  %s, invariant checker, %s: %s\n    e.g. %s\n",
		       protocol_title(dr->protocol), r->v[i].rule,
		       !strcmp(r->v[i].rule, "managed-pages")
			       ? "the leaked page is no longer PageOffline: the zone's managed "
				 "count and the memmap disagree"
			       : "what the race left behind does not add up",
		       r->v[i].detail);
	}
}

static void print_meanings(struct demo_run **runs, int n)
{
	bool header = false;

	for (int i = 0; i < n; i++) {
		for (int j = 0; j < runs[i]->nr_rules; j++) {
			const struct demo_rule *r = &runs[i]->rules[j];

			meanings_header(&header);
			printf("  %s, %s: %s\n", protocol_title(runs[i]->protocol), r->rule,
			       r->meaning >= 0 ? meanings[r->meaning].meaning
					       : "see docs/semantics.md, Invariants");
			printf("    e.g. %s\n", r->sample);
		}
		print_check_meanings(runs[i], &header);
	}
	if (!header)
		printf("\nNo findings: this time no walker's reference met the driver's. Run again "
		       "(another seed) to see the race.\n");
}

/* ---- What the report means -------------------------------------------------------------- */

static unsigned long rule_count(const struct demo_run *dr, int meaning)
{
	unsigned long n = 0;

	for (int i = 0; i < dr->nr_rules; i++)
		if (dr->rules[i].meaning == meaning)
			n += dr->rules[i].n;
	return n;
}

/* Blocks the table shows in a partial driver state. */
static unsigned long partial_blocks(const struct demo_run *dr)
{
	unsigned long n = 0;

	for (int i = 0; i < dr->nr_rows; i++)
		if (strstr(dr->rows[i].driver, "PARTIAL"))
			n += dr->rows[i].last - dr->rows[i].first + 1;
	return n;
}

/* Findings next to "0 violations" look like a contradiction: they are not. */
static void print_findings_note(struct demo_run **runs, int n)
{
	for (int i = 0; i < n; i++) {
		if (!runs[i]->nr_findings || runs[i]->check_nr)
			continue;
		printf("\nFindings are events: each WARN or Bad page state as it fired during the "
		       "run.\nThe invariant checker judges the state at the end; a run has "
		       "findings and 0 violations\nwhen what they were about was gone by then (its "
		       "memory removed, the reference\ndropped, the page leaked out of every "
		       "count).\n");
		return;
	}
}

/* The driver's PARTIAL states, in words, when the table shows one. */
static void print_partial_note(struct demo_run **runs, int n)
{
	for (int i = 0; i < n; i++) {
		const uint64_t per = runs[i]->block_size / MEMHP_VIRTIO_MEM_DEFAULT_BLOCK_SIZE;

		if (!partial_blocks(runs[i]))
			continue;
		printf("\nMOVABLE_PARTIAL N/%" PRIu64
		       ": the driver's state for an online ZONE_MOVABLE "
		       "block with N of its\n%" PRIu64 " sub-blocks plugged; the others' pages are "
		       "fake-offline (PageOffline, their memory\ngiven back to the host). The "
		       "block "
		       "stays online until all of it can go: its offline\nfailed or was "
		       "interrupted, or the requested size ends inside it.\n",
		       per, per);
		return;
	}
}

/* One line per protocol: what it did, and what came of it. */
static void conclusion_line(const struct demo_run *r)
{
	const unsigned long race = rule_count(r, MEANING_RACE_2019),
			    referenced = rule_count(r, MEANING_FAKE_OFFLINE_REFERENCED),
			    warned = rule_count(r, MEANING_ISOLATED_WARN) +
				     rule_count(r, MEANING_ISOLATED_BUG),
			    late = rule_count(r, MEANING_PUT_AFTER_REMOVAL),
			    partial = partial_blocks(r);
	char what[DEMO_LINE] = "", a[RUN_SIZE_STR], b[RUN_SIZE_STR];

#define ADD(...) snprintf(what + strlen(what), sizeof(what) - strlen(what), __VA_ARGS__)
	if (referenced)
		ADD("; %lu of its puts met a walker's reference", referenced);
	if (race)
		ADD("%s %lu page%s a walker freed under the driver leaked", referenced ? "," : ";",
		    race, race == 1 ? "" : "s");
	if (warned)
		ADD("; %lu walker reference%s only warned", warned, warned == 1 ? "" : "s");
	if (late)
		ADD("; %lu late put_page()%s hit removed memory", late, late == 1 ? "" : "s");
	if (partial)
		ADD("; %lu block%s stayed online, partly unplugged", partial,
		    partial == 1 ? "" : "s");
	if (!what[0])
		ADD("; no walker met the driver");
#undef ADD
	printf("  %s: %s%s; %s%s%s.\n", protocol_title(r->protocol),
	       r->protocol == MEMHP_PROTOCOL_2025
		       ? "pages kept their reference, offlining skipped them"
		       : "the driver dropped its pages' references before offlining",
	       what, run_fmt_size(r->plugged_after, a),
	       r->plugged_after == r->requested ? " plugged as requested" : " plugged, not ",
	       r->plugged_after == r->requested ? "" : run_fmt_size(r->requested, b));
}

static void print_conclusion(struct demo_run **runs, int n)
{
	printf("\nIn short:\n");
	for (int i = 0; i < n; i++)
		conclusion_line(runs[i]);
}

static void report(struct demo_run **runs, int n)
{
	char c[DEMO_NR_PROTOCOLS][DEMO_CELL];

#define ROW(label, ...)                                \
	do {                                           \
		for (int i_ = 0; i_ < n; i_++) {       \
			struct demo_run *r = runs[i_]; \
			char *cell = c[i_];            \
			(void)r;                       \
			__VA_ARGS__;                   \
		}                                      \
		print_row(label, c, n);                \
	} while (0)

	printf("\n");
	ROW("", snprintf(cell, DEMO_CELL, "%s", protocol_title(r->protocol)));
	ROW("", snprintf(cell, DEMO_CELL, "before unplug -> after"));
	ROW("requested size", fmt_change(r->plug, r->requested, cell, DEMO_CELL));
	ROW("plugged size (device)",
	    fmt_change(r->plugged_before, r->plugged_after, cell, DEMO_CELL));
	ROW("MemTotal",
	    fmt_change((uint64_t)r->mi_before.total_pages * MEMHP_PAGE_SIZE,
		       (uint64_t)r->mi_after.total_pages * MEMHP_PAGE_SIZE, cell, DEMO_CELL));
	ROW("MemFree",
	    fmt_change((uint64_t)r->mi_before.free_pages * MEMHP_PAGE_SIZE,
		       (uint64_t)r->mi_after.free_pages * MEMHP_PAGE_SIZE, cell, DEMO_CELL));
	ROW("host RSS of the region", fmt_change(r->rss_before, r->rss_after, cell, DEMO_CELL));
	ROW("online blocks in it",
	    snprintf(cell, DEMO_CELL, "%lu -> %lu", r->online_before, r->online_after));
	ROW("data pages migrated", snprintf(cell, DEMO_CELL, "%lu", r->migrated));
	ROW("walker references", snprintf(cell, DEMO_CELL, "%lu, %lu on PageOffline", r->walk.refs,
					  r->walk.offline_refs));
	ROW("findings during the run", findings_cell(r, cell, DEMO_CELL));
	ROW("invariant checker", checker_cell(r, cell, DEMO_CELL));
	ROW("virtio-mem driver check", snprintf(cell, DEMO_CELL, "%zu finding%s", r->drv_check_nr,
						r->drv_check_nr == 1 ? "" : "s"));
	ROW("checksummed data",
	    snprintf(cell, DEMO_CELL, "%lu pages verified, %lu lost", r->verified, r->lost));
	ROW("time", snprintf(cell, DEMO_CELL, "%.1f s", r->seconds));
#undef ROW
	print_findings_note(runs, n);

	for (int i = 0; i < n; i++)
		print_rows(runs[i]);
	print_partial_note(runs, n);
	print_meanings(runs, n);
	print_conclusion(runs, n);
}

/* ---- The command ---------------------------------------------------------------------------- */

enum { OPT_QUICK = RUN_OPT_OWN, OPT_PRINT };

/* --quick and --print, the options memhp run does not have. */
static int demo_opt(int c, const char *arg, void *priv)
{
	struct demo_args *a = priv;

	(void)arg;
	if (c == OPT_QUICK)
		a->quick = true;
	else if (c == OPT_PRINT)
		a->print = true;
	else
		return -1;
	return 0;
}

static int parse_args(int argc, char **argv, struct demo_args *a)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, OPT_QUICK },
		{ "print", no_argument, NULL, OPT_PRINT },
		{ NULL, 0, NULL, 0 },
	};
	const struct run_cmd cmd = {
		.prog = "memhp demo",
		.usage = demo_usage,
		.help_lead = "\n",
		.shortopts = ":h",
		.longopts = longopts,
		.own = demo_opt,
		.priv = a,
	};
	int ret;

	memset(a, 0, sizeof(*a));
	a->common.protocol = -1;
	ret = run_getopt(argc, argv, &cmd, &a->common);
	if (ret)
		return ret;
	if (optind < argc) {
		fprintf(stderr, "memhp demo: unexpected argument '%s': the demo needs no files\n",
			argv[optind]);
		return -1;
	}
	return 0;
}

int cmd_demo(int argc, char **argv)
{
	struct demo_args a;
	struct demo_run runs[DEMO_NR_PROTOCOLS], *done[DEMO_NR_PROTOCOLS];
	struct tl_options to = { 0 };
	struct timeline *tl;
	struct sigaction sa = { 0 }, old_sa;
	uint64_t seed;
	unsigned long lost = 0;
	int n = 0, nd = 0, ret, status = RUN_EXIT_OK;
	bool io_error = false;

	ret = parse_args(argc, argv, &a);
	if (ret)
		return ret > 0 ? RUN_EXIT_OK : RUN_EXIT_USAGE;
	if (a.print) {
		fputs(demo_lua, stdout);
		return fflush(stdout) ? RUN_EXIT_IO : RUN_EXIT_OK;
	}
	/* Before the demo runs: a typo in a path is worth a second, not a run. */
	for (int i = 0; i < 2; i++) {
		const char *opt = i ? "--trace" : "--svg",
			   *path = i ? a.common.trace : a.common.svg;
		int err = path ? run_check_output(path) : 0;

		if (err) {
			fprintf(stderr, "memhp demo: %s %s: cannot write it: %s\n", opt, path,
				strerror(-err));
			return RUN_EXIT_IO;
		}
	}
	seed = a.common.have_seed ? a.common.seed : run_random_seed();
	/* From here on, with --deterministic, threads take turns by the seed
	 * and the clock is virtual: the timeline's origin too. */
	if (a.common.deterministic && det_start(seed)) {
		fprintf(stderr, "memhp demo: cannot start the deterministic scheduler\n");
		return RUN_EXIT_FAILED;
	}
	to.out = stdout;
	to.progress = isatty(STDERR_FILENO);
	to.keep_events = a.common.trace != NULL;
	to.max_depth = DEMO_SUMMARY_DEPTH;
	tl = tl_create(&to);
	if (!tl) {
		fprintf(stderr, "memhp demo: out of memory\n");
		if (a.common.deterministic)
			det_stop(NULL);
		return RUN_EXIT_FAILED;
	}
	tl_register_scenario_thread(tl);
	demo_thread = pthread_self();
	demo_task = memhp_current_task();
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, &old_sa);
	/* The seed comes first: whatever happens next, the run can be replayed.
	 * What the demo does, the scenario says (demo.begin{}). */
	printf("memhp demo: seed %" PRIu64 "%s%s%s\n", seed,
	       a.common.have_seed	? ""
	       : a.common.deterministic ? " (random: --seed replays it)"
					: " (random: --seed replays the single-threaded parts)",
	       a.quick ? ", --quick" : "", a.common.deterministic ? ", --deterministic" : "");
	fflush(stdout);

	for (int p = MEMHP_PROTOCOL_6_1; p <= MEMHP_PROTOCOL_2025; p++) {
		struct demo_run *dr = &runs[n];

		if (a.common.protocol >= 0 && a.common.protocol != p)
			continue;
		if (interrupted()) {
			printf("\n== %s: not run (^C) ==\n",
			       protocol_title((enum memhp_protocol)p));
			continue;
		}
		memset(dr, 0, sizeof(*dr));
		dr->args = &a;
		dr->protocol = (enum memhp_protocol)p;
		dr->tag = protocol_label(dr->protocol);
		dr->pid = n + 1;
		dr->seed = seed;
		dr->tl = tl;
		dr->thread = pthread_self();
		dr->task = memhp_current_task();
		pthread_mutex_init(&dr->lock, NULL);
		pthread_mutex_init(&dr->guard_lock, NULL);
		ret = run_protocol(dr);
		if (ret == -EIO)
			io_error = true;
		else if (ret)
			status = RUN_EXIT_FAILED;
		if (dr->ok)
			done[nd++] = dr;
		n++;
	}
	if (a.common.deterministic) {
		struct det_stats st;

		det_stop(&st);
		printf("\ndeterministic: %lu scheduling points, %lu thread switches, %u threads\n",
		       st.points, st.switches, st.threads);
	}
	if (nd)
		report(done, nd);
	for (int i = 0; i < nd; i++)
		lost += done[i]->lost;

	if (a.common.trace) {
		char name[DEMO_LINE] = "memhp demo (";

		/* Each protocol is a process of the trace: say which is which. */
		for (int i = 0; i < n; i++)
			snprintf(name + strlen(name), sizeof(name) - strlen(name), "%s%d: %s",
				 i ? ", " : "", runs[i].pid, protocol_label(runs[i].protocol));
		snprintf(name + strlen(name), sizeof(name) - strlen(name), ")");
		if (tl_write_chrome(tl, a.common.trace, name))
			io_error = true;
		else
			printf("\ntrace: %s (open it in https://ui.perfetto.dev)\n",
			       a.common.trace);
	}
	tl_destroy(tl);
	printf("\n");
	for (int i = 0; i < nd; i++)
		printf("%s: %lu pages verified, %lu lost.%s", protocol_title(done[i]->protocol),
		       done[i]->verified, done[i]->lost, i + 1 < nd ? "  " : "\n");
	for (int i = 0; i < n; i++)
		if (runs[i].cut_short)
			printf("%s: a ^C came before the unplug: nothing to compare.\n",
			       protocol_title(runs[i].protocol));
	if (interrupted()) {
		printf("INTERRUPTED: the demo stopped after the step ^C landed in; above is what "
		       "ran.\n");
		status = RUN_EXIT_INTERRUPTED;
	}
	sigaction(SIGINT, &old_sa, NULL);
	if (lost)
		status = RUN_EXIT_FAILED;
	if (io_error && status == RUN_EXIT_OK)
		status = RUN_EXIT_IO;
	for (int i = 0; i < n; i++) {
		free(runs[i].check);
		pthread_mutex_destroy(&runs[i].lock);
		pthread_mutex_destroy(&runs[i].guard_lock);
	}
	fflush(stdout);
	return status;
}
