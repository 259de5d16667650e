// SPDX-License-Identifier: MIT
/*
 * timeline.c - the run's timeline: a function_graph-style listing on
 * stdout, the Chrome trace-event file, and the progress bar.
 *
 * Trace hooks run on the thread doing the work, with hotplug locks held, so
 * everything here is short and takes only the timeline's own lock. Per-thread
 * state (nesting depth, the span waiting to be printed) lives in thread-local
 * storage: a thread only ever formats its own events.
 */
#include "timeline.h"
#include "run_util.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Deepest nesting of spans on one thread (call > op > phase > ...). */
#define TL_MAX_DEPTH 32
/* One printed line, before the duration column. */
#define TL_LINE 256
/* "memory123456-123457" */
#define TL_BLOCKS_STR 48
/* Text is padded to this column so durations line up. */
#define TL_DUR_COL 78
/* Migration rounds printed per migrate phase; the rest are summed up. */
#define TL_ROUNDS_SHOWN 3
/* test_pages_isolated() spans of one offline kept for the trace file. */
#define TL_TESTS_KEPT 16
/* Kernel messages of one kind shown per operation, as printk's ratelimit
 * (DEFAULT_RATELIMIT_BURST) would let through; kinds told apart at once. */
#define TL_PRINTK_BURST 10
#define TL_PRINTK_KINDS 8
#define TL_PRINTK_SAMPLE 80
/* Events kept for the trace file: an endless offline must not eat the host. */
#define TL_MAX_EVENTS (1UL << 20)
#define TL_INITIAL_EVENTS 1024
/* Room kept at the end for the ends of spans already begun. */
#define TL_END_RESERVE 4096
/* What a timeline listens to: all but the pageblocks, one each, far too
 * many to read and no step of their own. */
#define TL_EVENTS                                                           \
	(MEMHP_EVENTS_ALL & ~MEMHP_EVENT_BIT(MEMHP_TP_PAGEBLOCK_ISOLATED) & \
	 ~MEMHP_EVENT_BIT(MEMHP_TP_PAGEBLOCK_UNISOLATED))
/* Machines one timeline listens to. */
#define TL_MAX_MACHINES 16
/* Thread names kept at first; the table doubles as threads come. */
#define TL_INITIAL_THREADS 16
/* Buckets of the string table (names repeat: intern them). */
#define TL_STR_BUCKETS 1024
/* The progress bar: shown once an operation has run this long, redrawn at
 * this interval, this many cells wide. */
#define TL_PROGRESS_DELAY_NS (300 * 1000000ULL)
#define TL_PROGRESS_REFRESH_NS (100 * 1000000ULL)
#define TL_PROGRESS_CELLS 30
/* The thread tl_register_scenario_thread() names: the first one seen. */
#define TL_SCENARIO_TID 1
/* In logical time each event advances the clock by this much (1 us). */
#define TL_LOGICAL_TICK_NS 1000
#define NS_PER_MS 1000000.0
#define NS_PER_US 1000.0

enum tl_kind {
	TL_OP,
	TL_PHASE,
	TL_NOTIFY,
	TL_ROUND,
	TL_MESSAGE,
	TL_INSTANT,
	TL_CALL,
	TL_NOTE,
	TL_FAIL,
	TL_NR_KINDS
};

static const char *const kind_cat[TL_NR_KINDS] = {
	[TL_OP] = "hotplug",	[TL_PHASE] = "phase",	 [TL_NOTIFY] = "notifier",
	[TL_ROUND] = "migrate", [TL_MESSAGE] = "printk", [TL_INSTANT] = "event",
	[TL_CALL] = "scenario", [TL_NOTE] = "scenario",	 [TL_FAIL] = "expect",
};

struct tl_event {
	uint64_t ts;
	const char *name;   /* interned */
	const char *detail; /* interned, or NULL */
	const char *text;   /* an instant in words, as the timeline prints it; or NULL */
	/* A machine's event (TL_OP to TL_INSTANT), its strings interned; the
	 * trace file's arguments come from it. */
	struct memhp_event ev;
	uint16_t pid, tid;
	char ph; /* 'B', 'E' or 'i' */
	uint8_t kind;
};

struct tl_str {
	struct tl_str *next;
	char s[];
};

struct tl_machine {
	struct timeline *tl;
	struct memhp_machine *m;
	int pid;
	uint64_t block_size;
};

struct timeline {
	struct tl_options opt;
	uint64_t generation;
	pthread_mutex_t lock;
	uint64_t t0;
	uint64_t seq; /* logical clock */
	uint64_t last_ts;
	unsigned int next_tid;

	struct tl_event *ev;
	size_t nr_ev, cap_ev;
	unsigned long dropped;
	struct tl_str *strs[TL_STR_BUCKETS];

	struct tl_machine machines[TL_MAX_MACHINES];

	/* Each thread's name when first seen (its pthread name), by tid. */
	char (*thread_names)[MEMHP_THREAD_NAME_LEN];
	size_t nr_thread_names;
	/* The column header goes before the first line. */
	bool header_printed;
	/*
	 * A begin line is held back until we know whether the span has
	 * children: a span without any prints as one line, as function_graph
	 * prints a leaf function. One at most, whatever its thread: any other
	 * line prints it first, so that lines come out in the order of their
	 * events (a device's answer after the call that caused it).
	 */
	struct {
		bool active;
		unsigned int tid;
		int depth;
		uint64_t ts;
		char text[TL_LINE];
	} pending;

	/* The progress bar: the outermost long operation of any thread. */
	pthread_t progress_thread;
	pthread_cond_t progress_cond;
	bool progress_running, progress_stop, bar_visible;
	struct {
		bool active;
		unsigned int tid;
		int nesting; /* operations inside the shown one */
		uint64_t t0;
		char what[TL_LINE / 2];
		const char *phase;
		unsigned long start_pfn, nr_pages, cur_pfn, rounds, migrated;
	} op;
};

struct tl_thread {
	/* The timeline's generation, not its address: a new timeline may
	 * reuse a freed one's. */
	uint64_t owner;
	unsigned int tid;
	int depth;
	uint64_t begin_ts[TL_MAX_DEPTH];
	/* Begins not kept for the trace file: their ends are not kept either. */
	unsigned int dropped_open;
	/* Kernel messages of the current operation, by kind. */
	struct {
		uint64_t kind;
		unsigned long shown, hidden;
		char sample[TL_PRINTK_SAMPLE];
	} printk[TL_PRINTK_KINDS];
	int nr_printk;
	/* Migration rounds of the current migrate phase. */
	unsigned long rounds, hidden_rounds, hidden_moved, hidden_failed;
	/* test_pages_isolated() calls of the current migrate phase. */
	unsigned long tests;
};

static _Thread_local struct tl_thread self;
static _Atomic uint64_t generations;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Remember the calling thread's name for its track in the trace file.
 * Caller holds tl->lock. */
static void name_thread(struct timeline *tl, unsigned int tid)
{
	if (tid >= tl->nr_thread_names) {
		size_t nr = tl->nr_thread_names ? tl->nr_thread_names * 2 : TL_INITIAL_THREADS;
		char(*n)[MEMHP_THREAD_NAME_LEN];

		while (nr <= tid)
			nr *= 2;
		n = realloc(tl->thread_names, nr * sizeof(*n));
		if (!n)
			return;
		memset(n + tl->nr_thread_names, 0, (nr - tl->nr_thread_names) * sizeof(*n));
		tl->thread_names = n;
		tl->nr_thread_names = nr;
	}
	if (pthread_getname_np(pthread_self(), tl->thread_names[tid], MEMHP_THREAD_NAME_LEN))
		tl->thread_names[tid][0] = '\0';
}

static struct tl_thread *thread_state(struct timeline *tl)
{
	if (self.owner != tl->generation) {
		memset(&self, 0, sizeof(self));
		self.owner = tl->generation;
		self.tid = ++tl->next_tid;
		name_thread(tl, self.tid);
	}
	return &self;
}

/* Caller holds tl->lock. Never goes backwards, so every track is monotonic. */
static uint64_t now(struct timeline *tl)
{
	uint64_t t = tl->opt.logical_time ? ++tl->seq * TL_LOGICAL_TICK_NS : mono_ns() - tl->t0;

	if (t < tl->last_ts)
		t = tl->last_ts;
	tl->last_ts = t;
	return t;
}

static const char *intern(struct timeline *tl, const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	struct tl_str *e;
	size_t len;

	if (!s)
		return NULL;
	for (const char *p = s; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (e = tl->strs[h % TL_STR_BUCKETS]; e; e = e->next)
		if (!strcmp(e->s, s))
			return e->s;
	len = strlen(s) + 1;
	e = malloc(sizeof(*e) + len);
	if (!e)
		return "?";
	memcpy(e->s, s, len);
	e->next = tl->strs[h % TL_STR_BUCKETS];
	tl->strs[h % TL_STR_BUCKETS] = e;
	return e->s;
}

/* The strings of an event kept for the trace file: theirs live only for
 * the call. */
static void intern_event(struct timeline *tl, struct memhp_event *ev)
{
	switch (ev->type) {
	case MEMHP_EV_FINDING:
		ev->finding.name = intern(tl, ev->finding.name);
		ev->finding.detail = intern(tl, ev->finding.detail);
		break;
	case MEMHP_EV_VMEM_BLOCK_STATE:
		ev->vmem_block.state_name = intern(tl, ev->vmem_block.state_name);
		break;
	case MEMHP_EV_UEVENT_WRITTEN:
		ev->uevent.devpath = intern(tl, ev->uevent.devpath);
		break;
	case MEMHP_EV_INSTANT:
		ev->instant.name = intern(tl, ev->instant.name);
		break;
	case MEMHP_TP_PRINTK:
		/* The line is the event's detail. */
		ev->printk.text = NULL;
		ev->printk.finding = NULL;
		break;
	default:
		break;
	}
}

/*
 * Once the timeline is full only the ends of spans whose beginning was kept
 * still go in (there is room reserved for them), so every kept B has its E
 * and no E lacks its B.
 */
static void keep(struct timeline *tl, struct tl_thread *th, const struct tl_event *e)
{
	bool full = tl->nr_ev >= TL_MAX_EVENTS - TL_END_RESERVE;

	if (!tl->opt.keep_events)
		return;
	if (e->ph == 'E' && th->dropped_open) {
		th->dropped_open--;
		tl->dropped++;
		return;
	}
	if (full && (e->ph != 'E' || tl->nr_ev >= TL_MAX_EVENTS)) {
		if (e->ph == 'B')
			th->dropped_open++;
		tl->dropped++;
		return;
	}
	if (tl->nr_ev == tl->cap_ev) {
		size_t cap = tl->cap_ev ? tl->cap_ev * 2 : TL_INITIAL_EVENTS;
		struct tl_event *n = realloc(tl->ev, cap * sizeof(*n));

		if (!n) {
			if (e->ph == 'B')
				th->dropped_open++;
			tl->dropped++;
			return;
		}
		tl->ev = n;
		tl->cap_ev = cap;
	}
	tl->ev[tl->nr_ev] = *e;
	tl->ev[tl->nr_ev].name = intern(tl, e->name);
	tl->ev[tl->nr_ev].detail = intern(tl, e->detail);
	tl->ev[tl->nr_ev].text = intern(tl, e->text);
	intern_event(tl, &tl->ev[tl->nr_ev].ev);
	tl->nr_ev++;
}

/* ---- The progress bar ------------------------------------------------------------- */

/* Caller holds tl->lock. */
static void bar_clear(struct timeline *tl)
{
	if (tl->bar_visible) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		tl->bar_visible = false;
	}
}

static void bar_draw(struct timeline *tl)
{
	uint64_t elapsed = mono_ns() - tl->op.t0;
	unsigned int filled = 0, pct = 0;
	char cells[TL_PROGRESS_CELLS + 1];

	if (tl->op.nr_pages && tl->op.cur_pfn > tl->op.start_pfn) {
		unsigned long done = tl->op.cur_pfn - tl->op.start_pfn;

		pct = (unsigned int)(done * 100 / tl->op.nr_pages);
		filled = (unsigned int)(done * TL_PROGRESS_CELLS / tl->op.nr_pages);
	}
	for (unsigned int i = 0; i < TL_PROGRESS_CELLS; i++)
		cells[i] = i < filled ? '#' : '.';
	cells[TL_PROGRESS_CELLS] = '\0';
	fprintf(stderr, "\r\033[K%s %s [%s] %3u%%  round %lu  %lu migrated  %.1f s  (^C aborts)",
		tl->op.what, tl->op.phase ? tl->op.phase : "", cells, pct, tl->op.rounds,
		tl->op.migrated, (double)elapsed / 1e9);
	fflush(stderr);
	tl->bar_visible = true;
}

static void *progress_main(void *arg)
{
	struct timeline *tl = arg;

	pthread_mutex_lock(&tl->lock);
	while (!tl->progress_stop) {
		struct timespec deadline;
		uint64_t t;

		clock_gettime(CLOCK_MONOTONIC, &deadline);
		t = (uint64_t)deadline.tv_nsec + TL_PROGRESS_REFRESH_NS;
		deadline.tv_sec += (time_t)(t / 1000000000ULL);
		deadline.tv_nsec = (long)(t % 1000000000ULL);
		pthread_cond_timedwait(&tl->progress_cond, &tl->lock, &deadline);
		if (tl->progress_stop)
			break;
		if (tl->op.active && mono_ns() - tl->op.t0 >= TL_PROGRESS_DELAY_NS)
			bar_draw(tl);
	}
	bar_clear(tl);
	pthread_mutex_unlock(&tl->lock);
	return NULL;
}

/* ---- Printing --------------------------------------------------------------------- */

/* Whether an event of @th at @depth is printed (see tl_options.max_depth). */
static bool visible(const struct timeline *tl, const struct tl_thread *th, int depth)
{
	return !tl->opt.max_depth || (depth < tl->opt.max_depth && th->tid == TL_SCENARIO_TID);
}

/* Where a line that always prints goes: no deeper than the summary shows. */
static int clamp_depth(const struct timeline *tl, int depth)
{
	return tl->opt.max_depth && depth > tl->opt.max_depth ? tl->opt.max_depth : depth;
}

/* ftrace prints a header over its columns: so does the timeline. */
static void print_header(struct timeline *tl, FILE *f)
{
	int len;

	tl->header_printed = true;
	if (tl->opt.logical_time) {
		fprintf(f, "%-9s %3s  %s\n", "#   event", "tid", "what");
		return;
	}
	len = fprintf(f, "%-9s %3s  %s", "# time ms", "tid", "what");
	fprintf(f, "%*s%12s\n", len < TL_DUR_COL ? TL_DUR_COL - len : 1, "", "duration");
}

static void print_line(struct timeline *tl, unsigned int tid, uint64_t ts, int depth,
		       const char *text, int64_t dur_ns)
{
	FILE *f = tl->opt.out;
	int indent = depth * 2, len;

	if (!f)
		return;
	bar_clear(tl);
	if (!tl->header_printed)
		print_header(tl, f);
	if (tl->opt.logical_time)
		len = fprintf(f, "%9" PRIu64 " %3u  %*s%s", ts / TL_LOGICAL_TICK_NS, tid, indent,
			      "", text);
	else
		len = fprintf(f, "%9.3f %3u  %*s%s", (double)ts / NS_PER_MS, tid, indent, "", text);
	if (dur_ns >= 0 && !tl->opt.logical_time)
		fprintf(f, "%*s%9.3f ms", len < TL_DUR_COL ? TL_DUR_COL - len : 1, "",
			(double)dur_ns / NS_PER_MS);
	fputc('\n', f);
	fflush(f);
}

/* Print the held-back begin line: a line follows, of its span or not. */
static void flush_pending(struct timeline *tl)
{
	if (!tl->pending.active)
		return;
	tl->pending.active = false;
	strncat(tl->pending.text, " {", sizeof(tl->pending.text) - strlen(tl->pending.text) - 1);
	print_line(tl, tl->pending.tid, tl->pending.ts, tl->pending.depth, tl->pending.text, -1);
}

static void print_hidden_printk(struct timeline *tl, struct tl_thread *th, uint64_t ts);

static void span_begin(struct timeline *tl, struct tl_thread *th, uint64_t ts, const char *text)
{
	/* A span nobody sees must not print, or hold back, its parent's line. */
	bool shown = visible(tl, th, th->depth);

	if (shown) {
		flush_pending(tl);
		tl->pending.active = true;
		tl->pending.tid = th->tid;
		tl->pending.ts = ts;
		tl->pending.depth = th->depth;
		snprintf(tl->pending.text, sizeof(tl->pending.text), "%s", text);
		/* In a summary the kernel's messages are ratelimited per shown
		 * span: the operations inside are not shown. */
		if (tl->opt.max_depth)
			th->nr_printk = 0;
	}
	if (th->depth < TL_MAX_DEPTH)
		th->begin_ts[th->depth] = ts;
	th->depth++;
}

static void span_end(struct timeline *tl, struct tl_thread *th, uint64_t ts, const char *result)
{
	char line[TL_LINE + RUN_ERR_MAX];
	int64_t dur;

	if (tl->opt.max_depth && th->depth > 0 && visible(tl, th, th->depth - 1))
		print_hidden_printk(tl, th, ts);
	if (th->depth > 0)
		th->depth--;
	if (!visible(tl, th, th->depth))
		return;
	dur = th->depth < TL_MAX_DEPTH ? (int64_t)(ts - th->begin_ts[th->depth]) : -1;
	if (tl->pending.active && tl->pending.tid == th->tid && tl->pending.depth == th->depth) {
		tl->pending.active = false;
		if (result)
			snprintf(line, sizeof(line), "%s = %s", tl->pending.text, result);
		else
			snprintf(line, sizeof(line), "%s", tl->pending.text);
		print_line(tl, th->tid, tl->pending.ts, th->depth, line, dur);
		return;
	}
	flush_pending(tl);
	snprintf(line, sizeof(line), result ? "} = %s" : "}", result);
	print_line(tl, th->tid, ts, th->depth, line, dur);
}

static void leaf(struct timeline *tl, struct tl_thread *th, uint64_t ts, const char *text)
{
	if (!visible(tl, th, th->depth))
		return;
	flush_pending(tl);
	print_line(tl, th->tid, ts, th->depth, text, -1);
}

/* A finding or a note: printed whatever the depth. */
static void always_leaf(struct timeline *tl, struct tl_thread *th, uint64_t ts, const char *text)
{
	flush_pending(tl);
	print_line(tl, th->tid, ts, clamp_depth(tl, th->depth), text, -1);
}

/* "memory32" or "memory32-35" for the blocks a pfn range touches. */
static void fmt_blocks(const struct tl_machine *tm, unsigned long pfn, unsigned long nr, char *buf,
		       size_t len)
{
	uint64_t first = (uint64_t)pfn * MEMHP_PAGE_SIZE / tm->block_size;
	uint64_t last = ((uint64_t)(pfn + (nr ? nr : 1)) * MEMHP_PAGE_SIZE - 1) / tm->block_size;

	if (first == last)
		snprintf(buf, len, "memory%" PRIu64, first);
	else
		snprintf(buf, len, "memory%" PRIu64 "-%" PRIu64, first, last);
}

static void fmt_op(const struct tl_machine *tm, const struct memhp_tp_op *op, char *buf, size_t len)
{
	char range[RUN_RANGE_STR], blocks[TL_BLOCKS_STR], size[RUN_SIZE_STR];
	uint64_t start = (uint64_t)op->start_pfn * MEMHP_PAGE_SIZE;
	uint64_t bytes = (uint64_t)op->nr_pages * MEMHP_PAGE_SIZE;
	const char *name = memhp_op_name(op->op);

	fmt_blocks(tm, op->start_pfn, op->nr_pages, blocks, sizeof(blocks));
	run_fmt_range(start, bytes, range);
	run_fmt_size(bytes, size);
	if (op->zone >= 0)
		snprintf(buf, len, "%s %s %s %s %s", name, blocks, range, size,
			 memhp_zone_name((enum memhp_zone_type)op->zone));
	else
		snprintf(buf, len, "%s %s %s %s", name, blocks, range, size);
}

static void update_progress(struct timeline *tl, struct tl_thread *th, const struct tl_machine *tm,
			    const struct memhp_event *ev)
{
	if (!tl->opt.progress)
		return;
	switch (ev->type) {
	case MEMHP_TP_OP_BEGIN:
		if (tl->op.active) {
			tl->op.nesting += tl->op.tid == th->tid;
			return;
		}
		tl->op.active = true;
		tl->op.nesting = 0;
		tl->op.tid = th->tid;
		tl->op.t0 = mono_ns();
		{
			char blocks[TL_BLOCKS_STR];

			fmt_blocks(tm, ev->op.start_pfn, ev->op.nr_pages, blocks, sizeof(blocks));
			snprintf(tl->op.what, sizeof(tl->op.what), "%s %s",
				 memhp_op_name(ev->op.op), blocks);
		}
		tl->op.phase = NULL;
		tl->op.start_pfn = tl->op.cur_pfn = ev->op.start_pfn;
		tl->op.nr_pages = ev->op.nr_pages;
		tl->op.rounds = tl->op.migrated = 0;
		break;
	case MEMHP_TP_OP_END:
		if (tl->op.active && tl->op.tid == th->tid && !tl->op.nesting--) {
			tl->op.active = false;
			bar_clear(tl);
		}
		break;
	case MEMHP_TP_PHASE_BEGIN:
		if (tl->op.active && tl->op.tid == th->tid)
			tl->op.phase = memhp_phase_name(ev->phase.phase);
		break;
	case MEMHP_TP_MIGRATE_ROUND_END:
		if (tl->op.active && tl->op.tid == th->tid) {
			tl->op.cur_pfn = ev->round.from_pfn;
			tl->op.rounds++;
			tl->op.migrated += ev->round.pages_moved;
		}
		break;
	default:
		break;
	}
}

/* The virtio-mem request and response types, as the spec names them. */
static const char *const vmem_requests[] = { "PLUG", "UNPLUG", "UNPLUG_ALL", "STATE" };
static const char *const vmem_responses[] = { "ACK", "NACK", "BUSY", "ERROR" };
#define TL_NR_VMEM_TYPES 4

/* An instant that has nothing to say but numbers: its name, and them. */
static void fmt_plain(const char *name, unsigned long pfn, long arg, char *text, size_t len)
{
	if (!pfn && !arg)
		snprintf(text, len, "%s", name);
	else
		snprintf(text, len, "%s pfn %#lx arg %ld", name, pfn, arg);
}

static const char *vmem_request_name(unsigned int type)
{
	return type < TL_NR_VMEM_TYPES ? vmem_requests[type] : "?";
}

static const char *vmem_response_name(unsigned int type)
{
	return type < TL_NR_VMEM_TYPES ? vmem_responses[type] : "?";
}

/* An instant in words: the core's block events, and what the virtio-mem
 * driver and device say (a request's type, an answer, a block's state). */
static void fmt_instant(const struct memhp_event *ev, char *text, size_t len)
{
	const char *name = memhp_event_name(ev);
	char err[RUN_SIZE_STR];

	switch (ev->type) {
	case MEMHP_EV_BLOCK_ADD:
	case MEMHP_EV_BLOCK_REMOVE:
	case MEMHP_EV_BLOCK_ONLINE:
	case MEMHP_EV_BLOCK_OFFLINE:
		snprintf(text, len, "%s memory%lu", name, ev->block.id);
		break;
	case MEMHP_EV_VMEM_REQUEST:
		snprintf(text, len, "virtio_mem: %s request at %#llx",
			 vmem_request_name(ev->vmem_request.type),
			 (unsigned long long)ev->vmem_request.addr);
		break;
	case MEMHP_EV_VMEM_RESPONSE:
		snprintf(text, len, "virtio_mem: %s", vmem_response_name(ev->vmem_request.resp));
		break;
	case MEMHP_EV_VMEM_DEVICE_ANSWER:
		snprintf(text, len, "%s at %#llx -> %s", name,
			 (unsigned long long)ev->vmem_request.addr,
			 vmem_response_name(ev->vmem_request.resp));
		break;
	case MEMHP_EV_VMEM_REQUESTED_SIZE:
		snprintf(text, len, "%s %llu MiB", name,
			 (unsigned long long)(ev->vmem_size.requested_size / MEMHP_MiB));
		break;
	case MEMHP_EV_VMEM_WORK_DONE:
		snprintf(text, len, "%s = %s", name, run_errno_str(ev->vmem_work.ret, err));
		break;
	case MEMHP_EV_VMEM_BLOCK_STATE:
		/* The driver's state for a memory or big block. */
		snprintf(text, len, "virtio_mem: block %lu -> %s", ev->vmem_block.id, name);
		break;
	case MEMHP_EV_VMEM_ONLINING_DENIED:
		fmt_plain(name, ev->vmem_block.start_pfn, (long)ev->vmem_block.id, text, len);
		break;
	case MEMHP_EV_VMEM_ADD_MEMORY_FAILED:
		fmt_plain(name, (unsigned long)(ev->vmem_work.addr >> MEMHP_PAGE_SHIFT),
			  ev->vmem_work.ret, text, len);
		break;
	case MEMHP_EV_VMEM_PROBE_PROBLEM:
		fmt_plain(name, 0, ev->vmem_probe.ret, text, len);
		break;
	case MEMHP_TP_DRAIN_ALL_PAGES:
		/* Pages the per-cpu lists gave back to the buddy. */
		snprintf(text, len, "drain_all_pages: %lu page%s from per-cpu lists",
			 ev->drain.nr_pages, ev->drain.nr_pages == 1 ? "" : "s");
		break;
	case MEMHP_EV_BALLOON:
		/* A balloon's request to its host: the first pfn and how many. */
		snprintf(text, len, "%s: %lu page%s from pfn %#lx", name, ev->balloon.nr_pages,
			 ev->balloon.nr_pages == 1 ? "" : "s", ev->balloon.start_pfn);
		break;
	case MEMHP_EV_NOTIFIER_ERROR_INJECTED:
		fmt_plain(name, ev->inject.start_pfn, ev->inject.err, text, len);
		break;
	case MEMHP_EV_UEVENT_WRITTEN:
		fmt_plain(name, 0, ev->uevent.action, text, len);
		break;
	case MEMHP_EV_INSTANT:
		fmt_plain(name, ev->instant.pfn, ev->instant.arg, text, len);
		break;
	default:
		snprintf(text, len, "%s", name);
		break;
	}
}

static void print_hidden_rounds(struct timeline *tl, struct tl_thread *th, uint64_t ts)
{
	char line[TL_LINE];

	if (!th->hidden_rounds)
		return;
	snprintf(line, sizeof(line),
		 "... %lu more migrate_pages rounds: %lu pages moved, %lu failed",
		 th->hidden_rounds, th->hidden_moved, th->hidden_failed);
	leaf(tl, th, ts, line);
	th->hidden_rounds = th->hidden_moved = th->hidden_failed = 0;
}

/* Messages that differ only in numbers are of one kind: "migrating pfn
 * 100000 failed" and "migrating pfn 100001 failed" are. */
static uint64_t printk_kind(const char *msg)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *msg; msg++)
		if (!isxdigit((unsigned char)*msg))
			h = (h ^ (unsigned char)*msg) * 1099511628211ULL;
	return h;
}

/* Returns true if @msg may be shown; counts it as hidden otherwise. */
static bool printk_ratelimit(struct tl_thread *th, const char *msg)
{
	uint64_t kind = printk_kind(msg);
	int i;

	for (i = 0; i < th->nr_printk; i++)
		if (th->printk[i].kind == kind)
			break;
	if (i == th->nr_printk) {
		if (i == TL_PRINTK_KINDS)
			return true;
		th->nr_printk++;
		th->printk[i].kind = kind;
		th->printk[i].shown = th->printk[i].hidden = 0;
		snprintf(th->printk[i].sample, sizeof(th->printk[i].sample), "%s", msg);
	}
	if (th->printk[i].shown < TL_PRINTK_BURST) {
		th->printk[i].shown++;
		return true;
	}
	th->printk[i].hidden++;
	return false;
}

static void print_hidden_printk(struct timeline *tl, struct tl_thread *th, uint64_t ts)
{
	char line[TL_LINE];

	for (int i = 0; i < th->nr_printk; i++) {
		if (!th->printk[i].hidden)
			continue;
		snprintf(line, sizeof(line), "... %lu more like \"%s\" (ratelimited)",
			 th->printk[i].hidden, th->printk[i].sample);
		always_leaf(tl, th, ts, line);
		th->printk[i].hidden = 0;
	}
}

/* test_pages_isolated(), inside offline_pages()'s migrate phase. */
static bool is_test_phase(const struct memhp_event *ev)
{
	return (ev->type == MEMHP_TP_PHASE_BEGIN || ev->type == MEMHP_TP_PHASE_END) &&
	       ev->phase.phase == MEMHP_PHASE_TEST_PAGES_ISOLATED;
}

/* The line a finding prints: memhp_report()'s, without "memhp: ". */
static void fmt_finding(const struct memhp_ev_finding *f, char *text, size_t len)
{
	if (f->pfn == MEMHP_NO_PFN)
		snprintf(text, len, "!! %s: %s", f->name, f->detail);
	else
		snprintf(text, len, "!! %s at pfn %#lx: %s", f->name, f->pfn, f->detail);
}

/* What a span ended with: its errno, and for an offline its rounds, for
 * its migration the pages it moved. */
static void fmt_span_result(const struct memhp_event *ev, char *res, size_t len)
{
	char err[RUN_SIZE_STR];

	if (ev->type == MEMHP_TP_OP_END) {
		run_errno_str(ev->op.ret, err);
		if (ev->op.op == MEMHP_OP_OFFLINE_PAGES)
			snprintf(res, len, "%s (%lu round%s)", err, ev->op.rounds,
				 ev->op.rounds == 1 ? "" : "s");
		else
			snprintf(res, len, "%s", err);
	} else {
		run_errno_str(ev->phase.ret, err);
		if (ev->phase.phase == MEMHP_PHASE_MIGRATE)
			snprintf(res, len, "%s (%lu pages moved)", err, ev->phase.pages_moved);
		else
			snprintf(res, len, "%s", err);
	}
}

static void tl_event_cb(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct tl_machine *tm = priv;
	struct timeline *tl = tm->tl;
	struct tl_event e = { .name = memhp_event_name(ev), .ev = *ev, .pid = (uint16_t)tm->pid };
	char text[TL_LINE], res[RUN_SIZE_STR * 2], err[RUN_SIZE_STR];
	struct tl_thread *th;
	const struct memhp_ev_finding *finding;

	(void)m;
	pthread_mutex_lock(&tl->lock);
	th = thread_state(tl);
	e.tid = (uint16_t)th->tid;
	e.ts = now(tl);
	if (is_test_phase(ev)) {
		/* A span in the trace only, and only the first few of an
		 * offline that retries (for ever, if a page never frees). */
		if (ev->type == MEMHP_TP_PHASE_BEGIN)
			th->tests++;
		if (th->tests <= TL_TESTS_KEPT) {
			e.ph = ev->type == MEMHP_TP_PHASE_BEGIN ? 'B' : 'E';
			e.kind = TL_PHASE;
			keep(tl, th, &e);
		}
		pthread_mutex_unlock(&tl->lock);
		return;
	}
	update_progress(tl, th, tm, ev);
	switch (ev->type) {
	case MEMHP_TP_OP_BEGIN:
		e.ph = 'B';
		e.kind = TL_OP;
		fmt_op(tm, &ev->op, text, sizeof(text));
		if (!tl->opt.max_depth)
			th->nr_printk = 0;
		e.detail = text;
		span_begin(tl, th, e.ts, text);
		break;
	case MEMHP_TP_PHASE_BEGIN:
		e.ph = 'B';
		e.kind = TL_PHASE;
		snprintf(text, sizeof(text), "%s", e.name);
		if (ev->phase.phase == MEMHP_PHASE_MIGRATE)
			th->rounds = th->tests = 0;
		e.detail = text;
		span_begin(tl, th, e.ts, text);
		break;
	case MEMHP_TP_OP_END:
	case MEMHP_TP_PHASE_END:
		e.ph = 'E';
		e.kind = ev->type == MEMHP_TP_OP_END ? TL_OP : TL_PHASE;
		fmt_span_result(ev, res, sizeof(res));
		if (ev->type == MEMHP_TP_PHASE_END && ev->phase.phase == MEMHP_PHASE_MIGRATE)
			print_hidden_rounds(tl, th, e.ts);
		if (!tl->opt.max_depth)
			print_hidden_printk(tl, th, e.ts);
		span_end(tl, th, e.ts, res);
		break;
	case MEMHP_TP_NOTIFY_BEGIN:
		/* The text shows a notification as one line when it is done;
		 * the trace gets its span. */
		e.ph = 'B';
		e.kind = TL_NOTIFY;
		break;
	case MEMHP_TP_NOTIFY_END:
		e.ph = 'E';
		e.kind = TL_NOTIFY;
		snprintf(text, sizeof(text), "%s = %s", e.name, run_errno_str(ev->notify.ret, err));
		leaf(tl, th, e.ts, text);
		break;
	case MEMHP_TP_MIGRATE_ROUND_BEGIN:
		e.ph = 'B';
		e.kind = TL_ROUND;
		break;
	case MEMHP_TP_MIGRATE_ROUND_END:
		e.ph = 'E';
		e.kind = TL_ROUND;
		if (++th->rounds <= TL_ROUNDS_SHOWN) {
			snprintf(text, sizeof(text), "migrate_pages from pfn %#lx: %lu moved, %s%s",
				 ev->round.from_pfn, ev->round.pages_moved,
				 run_errno_str(ev->round.ret, err),
				 th->rounds == TL_ROUNDS_SHOWN ? " (further rounds summed up)"
							       : "");
			leaf(tl, th, e.ts, text);
		} else {
			th->hidden_rounds++;
			th->hidden_moved += ev->round.pages_moved;
			th->hidden_failed += ev->round.ret != 0;
		}
		break;
	case MEMHP_EV_FINDING:
		/* In the trace file only: its kernel-log line is what prints. */
		e.ph = 'i';
		e.kind = TL_INSTANT;
		e.detail = "violation";
		if (ev->finding.pfn != MEMHP_NO_PFN) {
			snprintf(text, sizeof(text), "%s at pfn %#lx", ev->finding.name,
				 ev->finding.pfn);
			e.text = text;
		}
		break;
	case MEMHP_TP_PRINTK:
		e.ph = 'i';
		e.kind = TL_MESSAGE;
		finding = ev->printk.finding;
		/* A message that will not print is not ratelimited either: the
		 * trace file keeps it. */
		if ((finding || visible(tl, th, th->depth)) &&
		    !printk_ratelimit(th, ev->printk.text)) {
			pthread_mutex_unlock(&tl->lock);
			return;
		}
		if (finding)
			fmt_finding(finding, text, sizeof(text));
		else
			snprintf(text, sizeof(text), "kernel: %s", ev->printk.text);
		e.detail = ev->printk.text;
		e.name = "printk";
		if (finding)
			always_leaf(tl, th, e.ts, text);
		else
			leaf(tl, th, e.ts, text);
		break;
	default:
		e.ph = 'i';
		e.kind = TL_INSTANT;
		fmt_instant(ev, text, sizeof(text));
		e.text = text;
		leaf(tl, th, e.ts, text);
		break;
	}
	keep(tl, th, &e);
	pthread_mutex_unlock(&tl->lock);
}

/* ---- The scenario's own events ------------------------------------------------------ */

void tl_register_scenario_thread(struct timeline *tl)
{
	pthread_mutex_lock(&tl->lock);
	thread_state(tl);
	pthread_mutex_unlock(&tl->lock);
}

void tl_call_begin(struct timeline *tl, int pid, const char *where, const char *what)
{
	char text[TL_LINE];
	struct tl_thread *th;
	struct tl_event e = {
		.ph = 'B', .kind = TL_CALL, .name = what, .detail = where, .pid = (uint16_t)pid
	};

	pthread_mutex_lock(&tl->lock);
	th = thread_state(tl);
	e.tid = (uint16_t)th->tid;
	e.ts = now(tl);
	snprintf(text, sizeof(text), "%s  %s", where, what);
	span_begin(tl, th, e.ts, text);
	keep(tl, th, &e);
	pthread_mutex_unlock(&tl->lock);
}

void tl_call_end(struct timeline *tl, int pid, const char *result)
{
	struct tl_thread *th;
	struct tl_event e = {
		.ph = 'E', .kind = TL_CALL, .name = "", .detail = result, .pid = (uint16_t)pid
	};

	pthread_mutex_lock(&tl->lock);
	th = thread_state(tl);
	e.tid = (uint16_t)th->tid;
	e.ts = now(tl);
	span_end(tl, th, e.ts, result);
	keep(tl, th, &e);
	pthread_mutex_unlock(&tl->lock);
}

static void instant(struct timeline *tl, int pid, enum tl_kind kind, const char *name,
		    const char *detail, const char *text)
{
	struct tl_thread *th;
	struct tl_event e = { .ph = 'i',
			      .kind = (uint8_t)kind,
			      .name = name,
			      .detail = detail,
			      .pid = (uint16_t)pid };

	pthread_mutex_lock(&tl->lock);
	th = thread_state(tl);
	e.tid = (uint16_t)th->tid;
	e.ts = now(tl);
	always_leaf(tl, th, e.ts, text);
	keep(tl, th, &e);
	pthread_mutex_unlock(&tl->lock);
}

void tl_note(struct timeline *tl, int pid, const char *name, const char *text)
{
	instant(tl, pid, TL_NOTE, name, text, text);
}

void tl_fail(struct timeline *tl, int pid, const char *where, const char *text)
{
	char line[TL_LINE];

	snprintf(line, sizeof(line), "FAIL %s %s", where, text);
	instant(tl, pid, TL_FAIL, "expectation failed", line, line);
}

/* ---- Set-up ------------------------------------------------------------------------- */

struct timeline *tl_create(const struct tl_options *opt)
{
	struct timeline *tl = calloc(1, sizeof(*tl));

	if (!tl)
		return NULL;
	tl->opt = *opt;
	tl->generation = atomic_fetch_add(&generations, 1) + 1;
	pthread_mutex_init(&tl->lock, NULL);
	tl->t0 = mono_ns();
	if (opt->progress) {
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&tl->progress_cond, &ca);
		pthread_condattr_destroy(&ca);
		tl->progress_running =
			!pthread_create(&tl->progress_thread, NULL, progress_main, tl);
	}
	return tl;
}

void tl_destroy(struct timeline *tl)
{
	if (!tl)
		return;
	/* A span that never ended (an interrupted run) still shows it began. */
	pthread_mutex_lock(&tl->lock);
	flush_pending(tl);
	pthread_mutex_unlock(&tl->lock);
	if (tl->progress_running) {
		pthread_mutex_lock(&tl->lock);
		tl->progress_stop = true;
		pthread_cond_signal(&tl->progress_cond);
		pthread_mutex_unlock(&tl->lock);
		pthread_join(tl->progress_thread, NULL);
	}
	if (tl->opt.progress)
		pthread_cond_destroy(&tl->progress_cond);
	for (size_t b = 0; b < TL_STR_BUCKETS; b++) {
		while (tl->strs[b]) {
			struct tl_str *n = tl->strs[b]->next;

			free(tl->strs[b]);
			tl->strs[b] = n;
		}
	}
	free(tl->ev);
	free(tl->thread_names);
	pthread_mutex_destroy(&tl->lock);
	free(tl);
}

/*
 * What @tl listens to. A summary that keeps no trace never shows the
 * virtio-mem device's answers: they come from the device's thread, and a
 * summary prints only the scenario's. Listening to them would cost more
 * than the lines: the device answers on its own thread whenever anyone
 * listens (memhp_vmem_dev_request()), two wake-ups a request, and under
 * `memhp demo` those were a tenth of the unplug's wall time.
 */
static uint64_t tl_events(const struct timeline *tl)
{
	if (tl->opt.max_depth && !tl->opt.keep_events)
		return TL_EVENTS & ~MEMHP_EVENT_BIT(MEMHP_EV_VMEM_DEVICE_ANSWER);
	return TL_EVENTS;
}

int tl_attach(struct timeline *tl, struct memhp_machine *m, int pid)
{
	for (int i = 0; i < TL_MAX_MACHINES; i++) {
		struct tl_machine *tm = &tl->machines[i];
		int ret;

		if (tm->m)
			continue;
		tm->tl = tl;
		tm->m = m;
		tm->pid = pid;
		tm->block_size = memhp_block_size(m);
		ret = memhp_event_subscribe(m, tl_events(tl), tl_event_cb, tm);
		if (ret)
			tm->m = NULL;
		return ret;
	}
	return -ENOSPC;
}

void tl_detach(struct timeline *tl, struct memhp_machine *m)
{
	for (int i = 0; i < TL_MAX_MACHINES; i++) {
		if (tl->machines[i].m == m) {
			memhp_event_unsubscribe(m, tl_event_cb, &tl->machines[i]);
			tl->machines[i].m = NULL;
		}
	}
}

unsigned long tl_dropped(struct timeline *tl)
{
	unsigned long n;

	pthread_mutex_lock(&tl->lock);
	n = tl->dropped;
	pthread_mutex_unlock(&tl->lock);
	return n;
}

/* ---- The Chrome trace-event file ------------------------------------------------------ */

static json_t *hex(unsigned long long v)
{
	char buf[RUN_SIZE_STR];

	snprintf(buf, sizeof(buf), "%#llx", v);
	return json_string(buf);
}

static json_t *errno_json(long err)
{
	char buf[RUN_SIZE_STR];

	return json_string(run_errno_str(err, buf));
}

/*
 * An instant's arguments, each named for what it is and in its unit, as
 * fmt_instant() words them: "block", "addr", "requested_size", "ret".
 * Only an instant memhp does not know (a scenario's own) keeps a bare
 * "arg".
 */
static void instant_args(json_t *a, const struct tl_event *e)
{
	const struct memhp_event *ev = &e->ev;
	char buf[RUN_SIZE_STR + TL_BLOCKS_STR];

	json_object_set_new(a, "event", json_string(e->name));
	switch (ev->type) {
	case MEMHP_EV_FINDING:
		json_object_set_new(a, "rule", json_string(ev->finding.name));
		if (ev->finding.pfn != MEMHP_NO_PFN)
			json_object_set_new(a, "pfn", hex(ev->finding.pfn));
		break;
	case MEMHP_EV_BLOCK_ADD:
	case MEMHP_EV_BLOCK_REMOVE:
	case MEMHP_EV_BLOCK_ONLINE:
	case MEMHP_EV_BLOCK_OFFLINE:
		snprintf(buf, sizeof(buf), "memory%lu", ev->block.id);
		json_object_set_new(a, "block", json_string(buf));
		json_object_set_new(a, "start_pfn", hex(ev->block.start_pfn));
		break;
	case MEMHP_EV_VMEM_ONLINING_DENIED:
		snprintf(buf, sizeof(buf), "memory%lu", ev->vmem_block.id);
		json_object_set_new(a, "block", json_string(buf));
		json_object_set_new(a, "start_pfn", hex(ev->vmem_block.start_pfn));
		break;
	case MEMHP_EV_VMEM_REQUEST:
		json_object_set_new(a, "type",
				    json_string(vmem_request_name(ev->vmem_request.type)));
		json_object_set_new(a, "addr", hex(ev->vmem_request.addr));
		break;
	case MEMHP_EV_VMEM_RESPONSE:
		json_object_set_new(a, "type",
				    json_string(vmem_response_name(ev->vmem_request.resp)));
		json_object_set_new(a, "addr", hex(ev->vmem_request.addr));
		break;
	case MEMHP_EV_VMEM_DEVICE_ANSWER:
		json_object_set_new(a, "addr", hex(ev->vmem_request.addr));
		json_object_set_new(a, "response",
				    json_string(vmem_response_name(ev->vmem_request.resp)));
		break;
	case MEMHP_EV_VMEM_REQUESTED_SIZE:
		/* In whole MiB, as the timeline prints it. */
		json_object_set_new(
			a, "requested_size",
			json_string(run_fmt_size(
				ev->vmem_size.requested_size / MEMHP_MiB * MEMHP_MiB, buf)));
		break;
	case MEMHP_EV_VMEM_WORK_DONE:
		json_object_set_new(a, "ret", errno_json(ev->vmem_work.ret));
		break;
	case MEMHP_EV_VMEM_PROBE_PROBLEM:
		if (ev->vmem_probe.problem == MEMHP_VMEM_PROBE_REGION_BUSY)
			json_object_set_new(a, "ret", errno_json(ev->vmem_probe.ret));
		break;
	case MEMHP_EV_VMEM_ADD_MEMORY_FAILED:
		json_object_set_new(a, "addr", hex(ev->vmem_work.addr));
		json_object_set_new(a, "ret", errno_json(ev->vmem_work.ret));
		break;
	case MEMHP_EV_NOTIFIER_ERROR_INJECTED:
		json_object_set_new(a, "start_pfn", hex(ev->inject.start_pfn));
		json_object_set_new(a, "ret", errno_json(ev->inject.err));
		break;
	case MEMHP_TP_DRAIN_ALL_PAGES:
		json_object_set_new(a, "nr_pages", json_integer((json_int_t)ev->drain.nr_pages));
		break;
	case MEMHP_EV_BALLOON:
		json_object_set_new(a, "start_pfn", hex(ev->balloon.start_pfn));
		json_object_set_new(a, "nr_pages", json_integer((json_int_t)ev->balloon.nr_pages));
		break;
	case MEMHP_EV_VMEM_BLOCK_STATE:
		/* The driver's state of a memory block (SBM) or big block (BBM). */
		json_object_set_new(a, "block_id", json_integer((json_int_t)ev->vmem_block.id));
		json_object_set_new(a, "state", json_string(ev->vmem_block.state_name));
		json_object_set_new(a, "start_pfn", hex(ev->vmem_block.start_pfn));
		break;
	case MEMHP_EV_UEVENT_WRITTEN:
		if (ev->uevent.action) {
			json_object_set_new(a, "pfn", hex(0));
			json_object_set_new(a, "arg", json_integer(ev->uevent.action));
		}
		break;
	case MEMHP_EV_INSTANT:
		if (ev->instant.pfn || ev->instant.arg) {
			json_object_set_new(a, "pfn", hex(ev->instant.pfn));
			json_object_set_new(a, "arg", json_integer(ev->instant.arg));
		}
		break;
	default:
		break;
	}
}

/* Where a span of the core begins, and how big it is. */
static void span_range(const struct memhp_event *ev, unsigned long *pfn, unsigned long *nr)
{
	switch (ev->type) {
	case MEMHP_TP_OP_BEGIN:
	case MEMHP_TP_OP_END:
		*pfn = ev->op.start_pfn;
		*nr = ev->op.nr_pages;
		break;
	case MEMHP_TP_PHASE_BEGIN:
	case MEMHP_TP_PHASE_END:
		*pfn = ev->phase.start_pfn;
		*nr = ev->phase.nr_pages;
		break;
	default:
		*pfn = *nr = 0;
		break;
	}
}

static json_t *event_args(const struct tl_event *e)
{
	const struct memhp_event *ev = &e->ev;
	char buf[RUN_RANGE_STR];
	unsigned long pfn, nr;
	json_t *a = json_object();

	switch (e->kind) {
	case TL_OP:
	case TL_PHASE:
		if (e->ph == 'B') {
			span_range(ev, &pfn, &nr);
			json_object_set_new(a, "start_pfn", hex(pfn));
			json_object_set_new(a, "nr_pages", json_integer((json_int_t)nr));
			json_object_set_new(
				a, "size",
				json_string(run_fmt_size((uint64_t)nr * MEMHP_PAGE_SIZE, buf)));
			if (e->detail)
				json_object_set_new(a, "what", json_string(e->detail));
		} else if (ev->type == MEMHP_TP_OP_END) {
			json_object_set_new(a, "ret", errno_json(ev->op.ret));
			if (ev->op.op == MEMHP_OP_OFFLINE_PAGES)
				json_object_set_new(a, "rounds",
						    json_integer((json_int_t)ev->op.rounds));
		} else {
			json_object_set_new(a, "ret", errno_json(ev->phase.ret));
			if (ev->phase.phase == MEMHP_PHASE_MIGRATE)
				json_object_set_new(
					a, "pages_moved",
					json_integer((json_int_t)ev->phase.pages_moved));
		}
		break;
	case TL_NOTIFY:
		json_object_set_new(a, "ret", errno_json(ev->notify.ret));
		json_object_set_new(a, "range",
				    json_string(run_fmt_range(
					    (uint64_t)ev->notify.start_pfn * MEMHP_PAGE_SIZE,
					    (uint64_t)ev->notify.nr_pages * MEMHP_PAGE_SIZE, buf)));
		break;
	case TL_ROUND:
		json_object_set_new(a, "from_pfn", hex(ev->round.from_pfn));
		json_object_set_new(a, "pages_moved",
				    json_integer((json_int_t)ev->round.pages_moved));
		json_object_set_new(a, "ret", errno_json(ev->round.ret));
		break;
	case TL_INSTANT:
		instant_args(a, e);
		break;
	case TL_CALL:
		if (e->detail)
			json_object_set_new(a, e->ph == 'B' ? "where" : "result",
					    json_string(e->detail));
		break;
	default:
		if (e->detail)
			json_object_set_new(a, "text", json_string(e->detail));
		break;
	}
	return a;
}

static int dump_event(FILE *f, json_t *obj, bool *first)
{
	char *s = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);

	json_decref(obj);
	if (!s)
		return -ENOMEM;
	fprintf(f, "%s\n%s", *first ? "" : ",", s);
	*first = false;
	free(s);
	return 0;
}

static json_t *chrome_event(const char *name, const char *cat, char ph, uint64_t ts, int pid,
			    int tid)
{
	char p[2] = { ph, '\0' };

	return json_pack("{s:s, s:s, s:s, s:f, s:i, s:i}", "name", name, "cat", cat, "ph", p, "ts",
			 (double)ts / NS_PER_US, "pid", pid, "tid", tid);
}

/*
 * A track's name: "scenario" for the thread that runs it, what memhp named
 * its own threads ("walker 1"; "vmem-dev vm0" is "virtio-mem device vm0"),
 * and "thread N" for a thread nobody named (it has the program's name).
 * Caller holds tl->lock.
 */
static void track_name(const struct timeline *tl, unsigned int tid, char *buf, size_t len)
{
	static const struct {
		const char *prefix, *label;
	} known[] = {
		{ "vmem-wq ", "virtio-mem driver worker " },
		{ "vmem-dev ", "virtio-mem device " },
	};
	const char *name = tid < tl->nr_thread_names ? tl->thread_names[tid] : "";

	if (tid == TL_SCENARIO_TID) {
		snprintf(buf, len, "scenario");
		return;
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		size_t n = strlen(known[i].prefix);

		if (!strncmp(name, known[i].prefix, n)) {
			snprintf(buf, len, "%s%s", known[i].label, name + n);
			return;
		}
	}
	if (!name[0] || !strncmp(name, program_invocation_short_name, MEMHP_THREAD_NAME_LEN - 1))
		snprintf(buf, len, "thread %u", tid);
	else
		snprintf(buf, len, "%s", name);
}

/* A begin still open at the end (an interrupted run) gets its end here so
 * that the viewers draw it; the tracks stay balanced. */
struct open_span {
	uint16_t pid, tid;
	const char *name;
	const char *cat;
};

int tl_write_chrome(struct timeline *tl, const char *path, const char *process_name)
{
	struct open_span *open;
	size_t nr_open = 0;
	bool first = true, seen_pid[TL_MAX_MACHINES + 1] = { 0 };
	bool *seen; /* [pid][tid]: a track with events, the only ones named */
	unsigned int nr_tids;
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (!f) {
		ret = -errno;
		fprintf(stderr, "%s: cannot write the trace to %s: %s\n", run_prog, path,
			strerror(errno));
		return ret;
	}
	pthread_mutex_lock(&tl->lock);
	open = calloc(tl->nr_ev + 1, sizeof(*open));
	nr_tids = tl->next_tid + 1;
	seen = calloc((size_t)(TL_MAX_MACHINES + 1) * nr_tids, sizeof(*seen));
	if (!seen) {
		free(open);
		open = NULL;
	}
	fputs("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[", f);
	for (size_t i = 0; i < tl->nr_ev && open && !ret; i++) {
		const struct tl_event *e = &tl->ev[i];
		/* An instant is named for what it says: "virtio_mem: block 39
		 * -> OFFLINE", not "OFFLINE". */
		const char *name = e->ph == 'i' && e->text ? e->text : e->name;
		json_t *obj;

		if (e->pid <= TL_MAX_MACHINES) {
			seen_pid[e->pid] = true;
			if (e->tid < nr_tids)
				seen[e->pid * nr_tids + e->tid] = true;
		}
		if (e->ph == 'B') {
			open[nr_open++] =
				(struct open_span){ e->pid, e->tid, e->name, kind_cat[e->kind] };
		} else if (e->ph == 'E') {
			/* An E closes the innermost B of its track. */
			for (size_t j = nr_open; j-- > 0;) {
				if (open[j].pid == e->pid && open[j].tid == e->tid) {
					name = open[j].name;
					memmove(&open[j], &open[j + 1],
						(nr_open - j - 1) * sizeof(*open));
					nr_open--;
					break;
				}
			}
		}
		obj = chrome_event(name, kind_cat[e->kind], e->ph, e->ts, e->pid, e->tid);
		if (e->ph == 'i')
			json_object_set_new(obj, "s", json_string("t"));
		json_object_set_new(obj, "args", event_args(e));
		ret = dump_event(f, obj, &first);
	}
	while (nr_open && !ret) {
		const struct open_span *o = &open[--nr_open];
		json_t *obj = chrome_event(o->name, o->cat, 'E', tl->last_ts, o->pid, o->tid);

		json_object_set_new(obj, "args", json_pack("{s:s}", "ret", "unfinished"));
		ret = dump_event(f, obj, &first);
	}
	/* Names for the processes (machines) and their tracks (threads). */
	for (int pid = 0; pid <= TL_MAX_MACHINES && !ret; pid++) {
		char name[TL_LINE];

		if (!seen_pid[pid])
			continue;
		snprintf(name, sizeof(name), "%s: machine %d", process_name, pid);
		ret = dump_event(f,
				 json_pack("{s:s, s:s, s:i, s:i, s:{s:s}}", "name", "process_name",
					   "ph", "M", "pid", pid, "tid", 0, "args", "name", name),
				 &first);
		for (unsigned int tid = 1; tid < nr_tids && !ret; tid++) {
			if (!seen[pid * nr_tids + tid])
				continue;
			track_name(tl, tid, name, sizeof(name));
			ret = dump_event(f,
					 json_pack("{s:s, s:s, s:i, s:i, s:{s:s}}", "name",
						   "thread_name", "ph", "M", "pid", pid, "tid",
						   (int)tid, "args", "name", name),
					 &first);
		}
	}
	fprintf(f, "\n],\"otherData\":{\"generator\":\"memhp %s\",\"dropped_events\":%lu}}\n",
		memhp_version(), tl->dropped);
	pthread_mutex_unlock(&tl->lock);
	if (!open)
		ret = -ENOMEM;
	free(open);
	free(seen);
	if (fclose(f) && !ret)
		ret = -errno;
	if (ret)
		fprintf(stderr, "%s: writing the trace to %s failed: %s\n", run_prog, path,
			strerror(-ret));
	return ret;
}
