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
/* Distinct finding rules counted per run. */
#define DEMO_MAX_RULES 16
/* Nesting of the tables a run's results may have (the report's rows). */
#define DEMO_RESULT_DEPTH 8
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
	enum memhp_rule rule;
	char name[DEMO_RULE]; /* the finding's, as printed */
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
	lua_State *report;	 /* where its results go (demo.runs[pid]) */

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

	/* Results: the scenario's go to @report whole; these the host needs. */
	unsigned long verified, lost;
	struct memhp_check_report *check;
	size_t check_nr;
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

static void guard(struct demo_run *dr, enum memhp_rule rule, unsigned long pfn)
{
	/*
	 * A page a walker freed under the driver is neither free nor
	 * PageOffline: offline_pages() would retry forever, as the 2019 report
	 * says; in Linux the virtio-mem worker, a kworker no signal reaches,
	 * would spin there for good. The demo has to go on: it raises the
	 * signal a task would get, and offline_pages() backs out with -EINTR.
	 */
	if (rule != MEMHP_RULE_BAD_PAGE)
		return;
	pthread_mutex_lock(&dr->guard_lock);
	if (pfn >= dr->off_start && pfn < dr->off_end && !dr->signalled) {
		dr->signalled = true;
		memhp_task_signal(dr->task);
	}
	pthread_mutex_unlock(&dr->guard_lock);
}

/* The kinds of finding the report tells apart (demo.lua says what each
 * means); whether Linux would BUG() tells apart two kinds of one rule. */
static const struct {
	enum memhp_rule rule;
	bool bug;
	const char *kind;
} meanings[] = {
	{ MEMHP_RULE_FAKE_OFFLINE_REFERENCED, false, "fake-offline-referenced" },
	/* A late put_page() of removed memory: VM_BUG_ON_PAGE() underflow. */
	{ MEMHP_RULE_BAD_PAGE, true, "put-after-removal" },
	{ MEMHP_RULE_BAD_PAGE, false, "race-2019" },
	{ MEMHP_RULE_OFFLINE_ISOLATED_PAGES, true, "isolated-bug" },
	{ MEMHP_RULE_OFFLINE_ISOLATED_PAGES, false, "isolated-warn" },
	{ MEMHP_RULE_VIRTIO_MEM_CHECK, false, "leaked-sub-block" },
};

static int meaning_of(const struct memhp_ev_finding *f)
{
	for (size_t i = 0; i < sizeof(meanings) / sizeof(meanings[0]); i++)
		if (meanings[i].rule == f->rule && meanings[i].bug == f->bug)
			return (int)i;
	return -1;
}

/* Count a finding under its rule and meaning. */
static void count_finding(struct demo_run *dr, const struct memhp_ev_finding *f)
{
	int meaning = meaning_of(f), i;

	pthread_mutex_lock(&dr->lock);
	dr->nr_findings++;
	for (i = 0; i < dr->nr_rules; i++)
		if (dr->rules[i].rule == f->rule && dr->rules[i].meaning == meaning)
			break;
	if (i < DEMO_MAX_RULES) {
		if (i == dr->nr_rules) {
			dr->rules[i].rule = f->rule;
			snprintf(dr->rules[i].name, sizeof(dr->rules[i].name), "%s", f->name);
			dr->rules[i].meaning = meaning;
			/* As the kernel log has it, without "memhp: ". */
			if (f->pfn == MEMHP_NO_PFN)
				snprintf(dr->rules[i].sample, sizeof(dr->rules[i].sample), "%s: %s",
					 f->name, f->detail);
			else
				snprintf(dr->rules[i].sample, sizeof(dr->rules[i].sample),
					 "%s at pfn %#lx: %s", f->name, f->pfn, f->detail);
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
	if (!a->described) {
		a->described = true;
		printf("A %s x86_64 guest (QEMU q35) with a virtio-mem device (QEMU): %s region "
		       "at\n%s, 2 MiB blocks; auto_online_blocks=online_movable.\n",
		       run_fmt_size((uint64_t)field_int(L, 1, "ram"), ram),
		       run_fmt_size(size, region), run_fmt_range(addr, size, range));
		printf("Plug %s, fill memory, unplug down to %s while %d PFN walkers take "
		       "speculative\nreferences: %s.\n",
		       run_fmt_size((uint64_t)field_int(L, 1, "plug"), plug),
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
	/* Set before the first event can come: demo_event() reads it. */
	dr->m = m;
	if (memhp_event_subscribe(m, DEMO_EVENTS, demo_event, dr))
		fprintf(stderr, "memhp demo: cannot trace the machine: its steps go uncounted\n");
}

/*
 * Copy the value at @idx of @from onto @to's stack: a run's results outlive
 * its Lua state in the report's. Tables are copied whole, to a depth (the
 * scenario's are trees); what cannot cross (a function, an object) is nil.
 */
static void copy_value(lua_State *from, int idx, lua_State *to, int depth)
{
	size_t len;
	const char *s;

	idx = lua_absindex(from, idx);
	luaL_checkstack(to, 3, "demo: copying the results");
	switch (lua_type(from, idx)) {
	case LUA_TBOOLEAN:
		lua_pushboolean(to, lua_toboolean(from, idx));
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(from, idx))
			lua_pushinteger(to, lua_tointeger(from, idx));
		else
			lua_pushnumber(to, lua_tonumber(from, idx));
		break;
	case LUA_TSTRING:
		s = lua_tolstring(from, idx, &len);
		lua_pushlstring(to, s, len);
		break;
	case LUA_TTABLE:
		if (depth == DEMO_RESULT_DEPTH) {
			lua_pushnil(to);
			break;
		}
		lua_newtable(to);
		luaL_checkstack(from, 2, "demo: copying the results");
		lua_pushnil(from);
		while (lua_next(from, idx)) {
			copy_value(from, -2, to, depth + 1);
			copy_value(from, -1, to, depth + 1);
			if (lua_isnil(to, -2))
				lua_pop(to, 2);
			else
				lua_rawset(to, -3);
			lua_pop(from, 1);
		}
		break;
	default:
		lua_pushnil(to);
		break;
	}
}

/* What the scenario returned: into the report's demo.runs, and what the
 * host itself needs of it. */
static int take_results(lua_State *L, struct demo_run *dr)
{
	lua_Integer v;
	int ok;

	if (!lua_istable(L, -1))
		return -1;
	lua_getfield(L, -1, "cut_short");
	dr->cut_short = lua_toboolean(L, -1);
	lua_getfield(L, -2, "ok");
	dr->ok = lua_toboolean(L, -1);
	lua_pop(L, 2);
	if (!dr->ok)
		return 0;
	lua_getfield(L, -1, "verified");
	v = lua_tointegerx(L, -1, &ok);
	dr->verified = (unsigned long)v;
	lua_getfield(L, -2, "lost");
	v = lua_tointegerx(L, -1, ok ? &ok : NULL);
	dr->lost = (unsigned long)v;
	lua_pop(L, 2);
	if (!ok)
		return -1;
	lua_getglobal(dr->report, "demo");
	lua_getfield(dr->report, -1, "runs");
	copy_value(L, -1, dr->report, 0);
	lua_rawseti(dr->report, -2, dr->pid);
	lua_pop(dr->report, 2);
	return 0;
}

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

/* ---- The report ---------------------------------------------------------------------------- */

/* What only the host saw of a run, into its results in the report's
 * demo.runs: the protocol, the findings, the checker's report, the time. */
static void add_host_results(const struct demo_run *dr)
{
	lua_State *L = dr->report;

	lua_getglobal(L, "demo");
	lua_getfield(L, -1, "runs");
	if (lua_rawgeti(L, -1, dr->pid) != LUA_TTABLE) {
		lua_pop(L, 3);
		return;
	}
	lapi_set_str(L, "title", protocol_title(dr->protocol));
	lapi_set_str(L, "protocol", protocol_label(dr->protocol));
	lua_pushnumber(L, dr->seconds);
	lua_setfield(L, -2, "seconds");
	lapi_set_int(L, "nr_findings", (lua_Integer)dr->nr_findings);
	lua_createtable(L, dr->nr_rules, 0);
	for (int i = 0; i < dr->nr_rules; i++) {
		const struct demo_rule *f = &dr->rules[i];

		lua_createtable(L, 0, 4);
		lapi_set_str(L, "rule", f->name);
		if (f->meaning >= 0)
			lapi_set_str(L, "kind", meanings[f->meaning].kind);
		lapi_set_int(L, "n", (lua_Integer)f->n);
		lapi_set_str(L, "sample", f->sample);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, "rules");
	if (dr->check) {
		const size_t shown = dr->check->shown < MEMHP_CHECK_MAX_REPORTED
					     ? dr->check->shown
					     : MEMHP_CHECK_MAX_REPORTED;

		lua_createtable(L, 0, 2);
		lapi_set_int(L, "nr", (lua_Integer)dr->check_nr);
		lua_createtable(L, (int)shown, 0);
		for (size_t i = 0; i < shown; i++) {
			lua_createtable(L, 0, 2);
			lapi_set_str(L, "rule", dr->check->v[i].name);
			lapi_set_str(L, "detail", dr->check->v[i].detail);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		lua_setfield(L, -2, "list");
		lua_setfield(L, -2, "check");
	}
	lua_pop(L, 3);
}

/* The Lua state the report runs in: it collects each run's results first. */
static int report_open(struct run *r, struct timeline *tl, uint64_t seed)
{
	r->script = "demo.lua";
	r->seed = seed;
	r->protocol = RUN_PROTOCOL_SCRIPT;
	r->thread = pthread_self();
	r->task = memhp_current_task();
	r->tl = tl;
	r->summary = true;
	r->L = luaL_newstate();
	if (!r->L)
		return -ENOMEM;
	luaL_openlibs(r->L);
	lapi_open(r);
	lua_createtable(r->L, 0, 1);
	lua_newtable(r->L);
	lua_setfield(r->L, -2, "runs");
	lua_setglobal(r->L, "demo");
	return 0;
}

static void report_close(struct run *r)
{
	lapi_end(r);
	lua_close(r->L);
	lapi_teardown(r);
}

/* The scenario once more, with demo.runs the results of the runs that got
 * through, in order: it prints the report. */
static int report(struct run *r, struct demo_run **runs, int n)
{
	lua_State *L = r->L;
	int rc = 0;

	lua_getglobal(L, "demo");
	lua_getfield(L, -1, "runs");
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		lua_rawgeti(L, -2, runs[i]->pid);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -3, "runs");
	lua_pop(L, 2);
	lua_pushcfunction(L, traceback);
	if (luaL_loadbufferx(L, demo_lua, strlen(demo_lua), "@demo.lua", "t") ||
	    lua_pcall(L, 0, 0, -2)) {
		fprintf(stderr, "memhp demo: %s\n", lua_tostring(L, -1));
		rc = -EINVAL;
	}
	lua_settop(L, 0);
	fflush(stdout);
	return rc;
}

/* One protocol: its run, timed with its teardown (as the report says), and
 * what the host saw of it beside its results. */
static int run_protocol(struct demo_run *dr)
{
	double t0 = mono_s();
	int rc = run_scenario(dr);

	dr->seconds = mono_s() - t0;
	if (dr->ok)
		add_host_results(dr);
	return rc;
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
	struct run rep = { 0 }; /* the report's Lua state */
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
	if (!tl || report_open(&rep, tl, seed)) {
		fprintf(stderr, "memhp demo: out of memory\n");
		tl_destroy(tl);
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
		dr->report = rep.L;
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
	if (nd && report(&rep, done, nd))
		status = RUN_EXIT_FAILED;
	report_close(&rep);
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
