// SPDX-License-Identifier: MIT
/*
 * demo.c - memhp demo: what memhp is for, in a few seconds, with no files.
 *
 * A 4 GiB x86_64 guest gets a virtio-mem device where QEMU would put it,
 * plugs 4 GiB (auto-onlined to ZONE_MOVABLE), fills memory with checksummed
 * data and kernel allocations, and unplugs down to 1 GiB while speculative
 * PFN walkers take references on whatever pages they find: once under the
 * PageOffline protocol of Linux 6.1, once under the 2025 proposal. It
 * prints a summarised timeline, then side by side: meminfo and the host's
 * RSS before and after, what the checkers found, the block table.
 *
 * The driver runs in sync mode: its work runs on this thread when the demo
 * asks, so the timeline nests it under the step that caused it, and only
 * the walkers (and the device's own thread) race.
 */
#include "cli.h"
#include "det.h"
#include "run.h"
#include "run_util.h"
#include "timeline.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <memhp/virtio_mem.h>
#include <memhp/virtio_mem_driver.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* QEMU puts device memory above high RAM (pc_memory_init()): at 4 GiB plus
 * the RAM above 4 GiB, rounded up to 1 GiB. */
#define DEMO_HIGH_RAM_START (4 * MEMHP_GiB)
#define DEMO_DEVICE_MEMORY_ALIGN MEMHP_GiB
#define DEMO_DEVICE_ID "vm0"
/* Walkers: two threads, each holding a reference for this many spins
 * (tens of microseconds), long enough to meet the driver now and then. */
#define DEMO_WALKER_THREADS 2
#define DEMO_WALKER_HOLD_SPINS 20000
/* Retry-timer firings the demo lets pass before it reports a shortfall. */
#define DEMO_MAX_RETRIES 4
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

/* What a run does: the full demo, and --quick for tests. */
struct demo_plan {
	uint64_t ram;	     /* boot RAM */
	uint64_t region;     /* the device's memory backend */
	uint64_t plug;	     /* requested size, first */
	uint64_t unplug_to;  /* requested size, then */
	uint64_t data;	     /* checksummed data allocated */
	uint64_t data_freed; /* ... of which this much is freed again */
	uint64_t kernel;     /* kernel allocations */
};

static const struct demo_plan full_plan = {
	.ram = 4 * MEMHP_GiB,
	.region = 8 * MEMHP_GiB,
	.plug = 4 * MEMHP_GiB,
	.unplug_to = 1 * MEMHP_GiB,
	.data = 512 * MEMHP_MiB,
	.data_freed = 256 * MEMHP_MiB,
	.kernel = 64 * MEMHP_MiB,
};

static const struct demo_plan quick_plan = {
	.ram = 1 * MEMHP_GiB,
	.region = 2 * MEMHP_GiB,
	.plug = 1 * MEMHP_GiB,
	.unplug_to = 256 * MEMHP_MiB,
	.data = 128 * MEMHP_MiB,
	.data_freed = 64 * MEMHP_MiB,
	.kernel = 16 * MEMHP_MiB,
};

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
	"  -h, --help            this help\n";

struct demo_args {
	const struct demo_plan *plan;
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
	const struct demo_plan *plan;
	enum memhp_protocol protocol;
	const char *tag;
	int pid;
	uint64_t seed;
	struct timeline *tl;
	pthread_t thread;
	struct memhp_task *task;

	struct memhp_machine *m;
	struct memhp_vmem_dev *dev;
	struct memhp_vmem_drv *drv;
	struct memhp_data *data;
	struct memhp_kalloc *kalloc;
	struct memhp_walkers *walkers;
	uint64_t addr;
	uint64_t block_size; /* memory blocks, for the table after teardown */
	bool tracing;

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
	uint64_t plugged_before, plugged_after, requested;
	uint64_t rss_before, rss_after;
	unsigned long online_before, online_after;
	unsigned long migrated_before, migrated, data_pages, verified, lost;
	struct memhp_walker_stats walk;
	struct memhp_check_report *check;
	size_t check_nr, drv_check_nr;
	struct memhp_vmem_drv_info info;
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

/* "memory48" or "memory48-79" */
static const char *fmt_blocks(long first, long last, char *buf, size_t len)
{
	if (first == last)
		snprintf(buf, len, "memory%ld", first);
	else
		snprintf(buf, len, "memory%ld-%ld", first, last);
	return buf;
}

static const char *fmt_zones(unsigned int mask, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int z = 0; z < MEMHP_NR_ZONES; z++)
		if (mask & (1u << z))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? "+" : "",
				 memhp_zone_name((enum memhp_zone_type)z));
	return buf;
}

/* "24 ACK" or "23 ACK, 1 BUSY" */
static const char *fmt_responses(const unsigned long *resp, char *buf, size_t len)
{
	static const char *const names[DEMO_NR_VMEM_TYPES] = { "ACK", "NACK", "BUSY", "ERROR" };

	buf[0] = '\0';
	for (int t = 0; t < DEMO_NR_VMEM_TYPES; t++)
		if (resp[t])
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%lu %s",
				 buf[0] ? ", " : "", resp[t], names[t]);
	if (!buf[0])
		snprintf(buf, len, "no answer");
	return buf;
}

/* ---- Steps ---------------------------------------------------------------------------------- */

static uint64_t dev_plugged(struct demo_run *dr)
{
	struct memhp_virtio_mem_config c;

	memhp_vmem_dev_read_config(dr->dev, &c);
	return c.plugged_size;
}

static unsigned long online_device_blocks(struct demo_run *dr)
{
	const uint64_t bs = memhp_block_size(dr->m);
	unsigned long n = 0;

	for (uint64_t a = dr->addr; a < dr->addr + dr->plan->region; a += bs) {
		struct memhp_block_info bi;

		if (!memhp_block_info(dr->m, memhp_phys_to_block_id(dr->m, a), &bi) &&
		    bi.state == MEMHP_MEM_ONLINE)
			n++;
	}
	return n;
}

static uint64_t device_rss(struct demo_run *dr)
{
	return (uint64_t)memhp_host_resident(dr->m, dr->addr, dr->plan->region) * MEMHP_PAGE_SIZE;
}

/*
 * qom-set vm0 requested-size: the device tells the driver (a config-change
 * interrupt from its own thread), the driver's work runs here. When it
 * cannot finish it arms its retry timer: let driver time pass, as a guest
 * left alone would, a few times.
 */
static int resize(struct demo_run *dr, uint64_t size)
{
	char sz[RUN_SIZE_STR], err[RUN_SIZE_STR];
	int rc;

	rc = memhp_vmem_dev_set_requested_size(dr->dev, size);
	if (rc)
		return rc;
	memhp_vmem_drv_process(dr->drv);
	for (int retry = 0; retry < DEMO_MAX_RETRIES; retry++) {
		memhp_vmem_drv_info(dr->drv, &dr->info);
		if (dr->info.plugged_size == size || !dr->info.timer_armed || dr->info.broken ||
		    interrupted())
			break;
		note(dr, "the driver stopped at %s (%s); its retry timer fires in %" PRIu64 " s",
		     run_fmt_size(dr->info.plugged_size, sz), run_errno_str(dr->info.last_rc, err),
		     (dr->info.timer_due_ms - dr->info.now_ms) / 1000);
		memhp_vmem_drv_advance(dr->drv, dr->info.timer_due_ms - dr->info.now_ms);
		memhp_vmem_drv_process(dr->drv);
	}
	memhp_vmem_drv_info(dr->drv, &dr->info);
	return 0;
}

static int setup(struct demo_run *dr)
{
	const struct demo_plan *p = dr->plan;
	struct memhp_config cfg;
	struct memhp_vmem_dev_config dc = { 0 };
	struct memhp_vmem_drv_params params;
	char a[RUN_SIZE_STR], b[RUN_SIZE_STR];
	int rc;

	memhp_config_init(&cfg, p->ram);
	dr->addr = 0;
	for (unsigned int i = 0; i < cfg.nr_boot; i++)
		if (cfg.boot[i].start >= DEMO_HIGH_RAM_START)
			dr->addr += cfg.boot[i].size;
	dr->addr = (DEMO_HIGH_RAM_START + dr->addr + DEMO_DEVICE_MEMORY_ALIGN - 1) &
		   ~(DEMO_DEVICE_MEMORY_ALIGN - 1);
	/* The guest's address space ends with the device region: nothing is
	 * pluggable beyond, and the walkers look only where memory can be. */
	cfg.phys_size = dr->addr + p->region;
	cfg.auto_online_blocks = MEMHP_MMOP_ONLINE_MOVABLE;
	cfg.protocol = dr->protocol;
	cfg.seed = dr->seed;
	/* The checker runs at the end of each step instead: after every one of
	 * the driver's hundreds of operations it would cost seconds. */
	cfg.check_after_ops = false;
	rc = memhp_machine_create(&cfg, &dr->m);
	if (rc) {
		fprintf(stderr, "memhp demo: cannot create the machine: %s\n",
			*memhp_config_error() ? memhp_config_error() : strerror(-rc));
		return rc;
	}
	if (tl_attach(dr->tl, dr->m, dr->pid) ||
	    memhp_event_subscribe(dr->m, DEMO_EVENTS, demo_event, dr)) {
		fprintf(stderr, "memhp demo: cannot trace the machine\n");
		return -ENOSPC;
	}
	dr->tracing = true;
	dr->block_size = memhp_block_size(dr->m);

	dc.id = DEMO_DEVICE_ID;
	dc.addr = dr->addr;
	dc.region_size = p->region;
	dc.block_size = MEMHP_VIRTIO_MEM_DEFAULT_BLOCK_SIZE;
	dc.flavor = MEMHP_VMEM_QEMU;
	rc = memhp_vmem_dev_create(dr->m, &dc, &dr->dev);
	if (rc) {
		fprintf(stderr, "memhp demo: cannot create the virtio-mem device: %s\n",
			strerror(-rc));
		return rc;
	}
	memhp_vmem_drv_params_init(&params);
	params.sync = true;
	begin(dr, "virtio_mem probe %s", DEMO_DEVICE_ID);
	rc = memhp_vmem_drv_probe(dr->m, dr->dev, &params, &dr->drv);
	if (rc) {
		char err[RUN_SIZE_STR];

		end(dr, "%s", run_errno_str(rc, err));
		fprintf(stderr, "memhp demo: the virtio-mem driver did not probe: %s\n",
			strerror(-rc));
		return rc;
	}
	memhp_vmem_drv_process(dr->drv);
	memhp_vmem_drv_info(dr->drv, &dr->info);
	end(dr, "%s, %s sub-blocks, %s memory blocks",
	    dr->info.sbm ? "Sub-Block Mode" : "Big Block Mode",
	    run_fmt_size(dr->info.sbm ? dr->info.sb_size : dr->info.bb_size, a),
	    run_fmt_size(memhp_block_size(dr->m), b));
	return 0;
}

static int plug(struct demo_run *dr)
{
	char sz[RUN_SIZE_STR], blocks[DEMO_CELL], zones[DEMO_CELL], resp[DEMO_CELL];
	int rc;

	begin(dr, "qom-set %s requested-size %s", DEMO_DEVICE_ID, run_fmt_size(dr->plan->plug, sz));
	rc = resize(dr, dr->plan->plug);
	if (rc) {
		end(dr, "%s", run_errno_str(rc, sz));
		return rc;
	}
	note(dr, "%lu PLUG requests (%s); %s added, onlined to %s by auto_online_blocks",
	     dr->step.requests[MEMHP_VIRTIO_MEM_REQ_PLUG],
	     fmt_responses(dr->step.responses, resp, sizeof(resp)),
	     dr->step.first_added < 0 ? "nothing"
				      : fmt_blocks(dr->step.first_added, dr->step.last_added,
						   blocks, sizeof(blocks)),
	     dr->step.online_zones ? fmt_zones(dr->step.online_zones, zones, sizeof(zones))
				   : "no zone");
	end(dr, "plugged %s", run_fmt_size(dr->info.plugged_size, sz));
	return 0;
}

/*
 * A guest that has run a while has data all over ZONE_MOVABLE, not packed
 * at its low end, where freshly onlined memory (freed to the tail of the
 * free lists) puts the first allocations. Scatter it: take every free
 * max-order chunk of ZONE_MOVABLE and give them back in a random order, so
 * that the data lands in random chunks. The chunks are never written and
 * cost the host nothing.
 */
static void scatter_movable(struct demo_run *dr)
{
	const unsigned int order = memhp_max_order(dr->m);
	struct memhp_zone_info zi;
	struct memhp_page **chunks;
	size_t n = 0, cap;

	memhp_zone_info(dr->m, 0, MEMHP_ZONE_MOVABLE, &zi);
	cap = zi.nr_free_pages >> order;
	chunks = calloc(cap + 1, sizeof(*chunks));
	if (!chunks)
		return;
	while (n < cap) {
		struct memhp_page *page =
			memhp_alloc_pages(dr->m, MEMHP_GFP_HIGHUSER_MOVABLE, order);

		if (!page)
			break;
		if (memhp_page_zonenum(page) != MEMHP_ZONE_MOVABLE) {
			memhp_free_pages(page, order);
			break;
		}
		chunks[n++] = page;
	}
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(memhp_random(dr->m) % i);
		struct memhp_page *t = chunks[i - 1];

		chunks[i - 1] = chunks[j];
		chunks[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		memhp_free_pages(chunks[i], order);
	free(chunks);
}

static int fill(struct demo_run *dr)
{
	const struct demo_plan *p = dr->plan;
	char a[RUN_SIZE_STR], b[RUN_SIZE_STR], c[RUN_SIZE_STR];
	unsigned long got, in_device = 0, slots;
	const unsigned long dev_first = (unsigned long)(dr->addr >> MEMHP_PAGE_SHIFT);
	const unsigned long dev_end = (unsigned long)((dr->addr + p->region) >> MEMHP_PAGE_SHIFT);
	int rc;

	begin(dr, "fill memory");
	rc = memhp_data_create(dr->m, &dr->data);
	if (!rc)
		rc = memhp_kalloc_create(dr->m, &dr->kalloc);
	if (rc) {
		end(dr, "%s", run_errno_str(rc, a));
		fprintf(stderr, "memhp demo: cannot create the workloads: %s\n", strerror(-rc));
		return rc;
	}
	scatter_movable(dr);
	got = memhp_data_alloc(dr->data, (unsigned long)(p->data / MEMHP_PAGE_SIZE), 0);
	memhp_data_free(dr->data, (unsigned long)(p->data_freed / MEMHP_PAGE_SIZE));
	slots = memhp_data_nr_slots(dr->data);
	for (unsigned long i = 0; i < slots; i++) {
		unsigned long pfn = memhp_data_pfn(dr->data, i);

		in_device += pfn != MEMHP_NO_PFN && pfn >= dev_first && pfn < dev_end;
	}
	note(dr,
	     "%s of checksummed data written, scattered over ZONE_MOVABLE; %s of it freed again",
	     run_fmt_size((uint64_t)got * MEMHP_PAGE_SIZE, a), run_fmt_size(p->data_freed, b));
	note(dr,
	     "%lu data pages left, %lu of them in the device's memory; freed pages stay "
	     "resident on the host",
	     memhp_data_nr_pages(dr->data), in_device);
	got = memhp_kalloc_alloc(dr->kalloc, (unsigned long)(p->kernel / MEMHP_PAGE_SIZE),
				 MEMHP_GFP_KERNEL);
	note(dr, "%s of kernel allocations (GFP_KERNEL): never in ZONE_MOVABLE",
	     run_fmt_size((uint64_t)got * MEMHP_PAGE_SIZE, c));
	dr->data_pages = memhp_data_nr_pages(dr->data);
	end(dr, "%s in use", run_fmt_size((uint64_t)(dr->data_pages + got) * MEMHP_PAGE_SIZE, a));
	return 0;
}

/* "" or "; 2 failed (1 -EBUSY, 1 -EINTR)" */
static const char *fmt_failures(const struct demo_step *st, enum demo_op op, char *buf, size_t len)
{
	char err[RUN_SIZE_STR];

	buf[0] = '\0';
	if (!st->failed[op])
		return buf;
	snprintf(buf, len, "; %lu failed (", st->failed[op]);
	for (int i = 0; i < DEMO_MAX_ERRNOS && st->errs[op][i].n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%lu %s", i ? ", " : "",
			 st->errs[op][i].n, run_errno_str(st->errs[op][i].err, err));
	snprintf(buf + strlen(buf), len - strlen(buf), ")");
	return buf;
}

static void unplug_summary(struct demo_run *dr)
{
	const struct demo_step *st = &dr->step;
	const uint64_t gone = dr->plugged_before - dev_plugged(dr);
	char sz[RUN_SIZE_STR], fails[DEMO_CELL], resp[DEMO_CELL];

	note(dr, "%lu UNPLUG requests (%s): %s, %" PRIu64 " device blocks, given back to the host",
	     st->requests[MEMHP_VIRTIO_MEM_REQ_UNPLUG],
	     fmt_responses(st->responses, resp, sizeof(resp)), run_fmt_size(gone, sz),
	     (uint64_t)(gone / MEMHP_VIRTIO_MEM_DEFAULT_BLOCK_SIZE));
	note(dr, "alloc_contig_range: %lu ranges taken%s; %lu data pages migrated out of the way",
	     st->ops[OP_CONTIG] - st->failed[OP_CONTIG],
	     fmt_failures(st, OP_CONTIG, fails, sizeof(fails)),
	     memhp_data_nr_migrated(dr->data) - dr->migrated_before);
	note(dr, "offline_pages: %lu blocks offlined, %lu removed%s",
	     st->ops[OP_OFFLINE] - st->failed[OP_OFFLINE],
	     st->ops[OP_REMOVE] - st->failed[OP_REMOVE],
	     fmt_failures(st, OP_OFFLINE, fails, sizeof(fails)));
	if (st->failed[OP_OFFLINE] > st->interrupted)
		note(dr, "an offline that fails leaves its block online with every sub-block "
			 "unplugged (fake-offline)");
	if (st->interrupted) {
		char blocks[DEMO_CELL] = "";

		for (unsigned long i = 0; i < st->interrupted && i < DEMO_MAX_NAMED; i++)
			snprintf(blocks + strlen(blocks), sizeof(blocks) - strlen(blocks), "%s%ld",
				 i ? ", memory" : "memory", st->interrupted_blocks[i]);
		if (st->interrupted > DEMO_MAX_NAMED)
			snprintf(blocks + strlen(blocks), sizeof(blocks) - strlen(blocks), ", ...");
		note(dr,
		     "%s: a page freed under the driver made offline_pages retry forever (in "
		     "Linux the worker spins): the demo interrupted %s (-EINTR)",
		     blocks, st->interrupted == 1 ? "it" : "each");
	}
}

static int unplug(struct demo_run *dr)
{
	char sz[RUN_SIZE_STR];
	int rc;

	dr->plugged_before = dev_plugged(dr);
	memhp_meminfo(dr->m, &dr->mi_before);
	dr->rss_before = device_rss(dr);
	dr->online_before = online_device_blocks(dr);
	dr->requested = dr->plan->unplug_to;
	dr->migrated_before = memhp_data_nr_migrated(dr->data);

	rc = memhp_walkers_start(dr->m, DEMO_WALKER_THREADS, DEMO_WALKER_HOLD_SPINS, &dr->walkers);
	if (rc) {
		fprintf(stderr, "memhp demo: cannot start the walkers: %s\n", strerror(-rc));
		return rc;
	}
	note(dr,
	     "%d PFN walkers start: pfn_to_online_page(), get_page_unless_zero(), a moment, "
	     "put_page()",
	     DEMO_WALKER_THREADS);
	begin(dr, "qom-set %s requested-size %s", DEMO_DEVICE_ID,
	      run_fmt_size(dr->plan->unplug_to, sz));
	rc = resize(dr, dr->plan->unplug_to);
	if (rc) {
		end(dr, "%s", run_errno_str(rc, sz));
		return rc;
	}
	unplug_summary(dr);
	end(dr, "plugged %s", run_fmt_size(dr->info.plugged_size, sz));
	memhp_walkers_stop(dr->walkers, &dr->walk);
	dr->walkers = NULL;
	note(dr, "walkers stopped: %lu references taken, %lu of them on PageOffline pages",
	     dr->walk.refs, dr->walk.offline_refs);

	dr->plugged_after = dev_plugged(dr);
	memhp_meminfo(dr->m, &dr->mi_after);
	dr->rss_after = device_rss(dr);
	dr->online_after = online_device_blocks(dr);
	dr->migrated = memhp_data_nr_migrated(dr->data) - dr->migrated_before;
	return 0;
}

static void verify(struct demo_run *dr)
{
	unsigned long bad = memhp_data_verify(dr->data, &dr->verified);

	/* Lost: a page whose bytes changed, or one the owner no longer has. */
	dr->lost = bad + (dr->verified < dr->data_pages ? dr->data_pages - dr->verified : 0);
	begin(dr, "check");
	note(dr, "data: %lu pages verified against their checksums, %lu lost", dr->verified,
	     dr->lost);
	dr->check = calloc(1, sizeof(*dr->check));
	if (dr->check)
		dr->check_nr = memhp_check(dr->m, dr->check);
	/* It logs what it finds, so the count of findings includes it. */
	dr->drv_check_nr = memhp_vmem_drv_check(dr->drv);
	note(dr, "invariant checker: %zu violation%s; virtio-mem driver check: %zu finding%s",
	     dr->check_nr, dr->check_nr == 1 ? "" : "s", dr->drv_check_nr,
	     dr->drv_check_nr == 1 ? "" : "s");
	end(dr, "%s", dr->lost ? "DATA LOST" : "nothing lost");
}

/* ---- The block table -------------------------------------------------------------------- */

static void driver_state(struct demo_run *dr, unsigned long id, char *buf, size_t len)
{
	int s = memhp_vmem_drv_block_state(dr->drv, id);
	const uint64_t start = (uint64_t)id * memhp_block_size(dr->m);
	const uint64_t per = memhp_block_size(dr->m) / MEMHP_VIRTIO_MEM_DEFAULT_BLOCK_SIZE;
	uint64_t plugged = 0;

	buf[0] = '\0';
	if (s < 0 || start < dr->addr || start >= dr->addr + dr->plan->region)
		return;
	snprintf(buf, len, "%s",
		 dr->info.sbm ? memhp_vmem_sbm_state_name(s) : memhp_vmem_bbm_state_name(s));
	if (!strstr(buf, "PARTIAL"))
		return;
	for (uint64_t i = 0; i < per; i++)
		plugged += memhp_vmem_dev_block_plugged(
			dr->dev, (start - dr->addr) / MEMHP_VIRTIO_MEM_DEFAULT_BLOCK_SIZE + i);
	snprintf(buf + strlen(buf), len - strlen(buf), " %" PRIu64 "/%" PRIu64, plugged, per);
}

/*
 * lsmem's ZONES column from valid_zones: lsmem reads each name, whatever
 * its case, and prints its own spelling ("none" is "None"), joined by '/'.
 */
static void lsmem_zones(const char *valid_zones, char *buf, size_t len)
{
	static const char *const names[] = { "None",	"DMA",	   "DMA32", "Normal",
					     "Highmem", "Movable", "Device" };
	const char *p = valid_zones;

	buf[0] = '\0';
	while (*p) {
		size_t n = strcspn(p, " ");
		const char *name = NULL;

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i]) == n && !strncasecmp(names[i], p, n))
				name = names[i];
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%.*s", buf[0] ? "/" : "",
			 name ? (int)strlen(name) : (int)n, name ? name : p);
		p += n;
		p += strspn(p, " ");
	}
}

static void collect_rows(struct demo_run *dr)
{
	for (long id = memhp_next_block(dr->m, 0); id >= 0;
	     id = memhp_next_block(dr->m, (unsigned long)id + 1)) {
		struct memhp_block_info bi;
		struct demo_row r = { .first = (unsigned long)id, .last = (unsigned long)id };
		char buf[MEMHP_SYSFS_BUF];
		ssize_t n;

		if (memhp_block_info(dr->m, (unsigned long)id, &bi))
			continue;
		r.start = bi.start;
		snprintf(r.state, sizeof(r.state), "%s",
			 bi.state == MEMHP_MEM_ONLINE	 ? "online"
			 : bi.state == MEMHP_MEM_OFFLINE ? "offline"
							 : "going-offline");
		n = memhp_show_valid_zones(dr->m, (unsigned long)id, buf);
		if (n > 0 && buf[n - 1] == '\n')
			buf[n - 1] = '\0';
		lsmem_zones(n > 0 ? buf : "?", r.zone, sizeof(r.zone));
		driver_state(dr, (unsigned long)id, r.driver, sizeof(r.driver));
		if (dr->nr_rows) {
			struct demo_row *prev = &dr->rows[dr->nr_rows - 1];

			if (prev->last + 1 == r.first && !strcmp(prev->state, r.state) &&
			    !strcmp(prev->zone, r.zone) && !strcmp(prev->driver, r.driver)) {
				prev->last = r.last;
				continue;
			}
		}
		if (dr->nr_rows == DEMO_MAX_ROWS) {
			dr->rows_left_out++;
			continue;
		}
		dr->rows[dr->nr_rows++] = r;
	}
}

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

/* ---- One protocol ------------------------------------------------------------------------- */

static void teardown(struct demo_run *dr)
{
	if (dr->walkers)
		memhp_walkers_stop(dr->walkers, NULL);
	/* What the driver says as it goes (memory left added) is not the demo's. */
	if (dr->tracing) {
		memhp_event_unsubscribe(dr->m, demo_event, dr);
		tl_detach(dr->tl, dr->m);
	}
	if (dr->drv)
		memhp_vmem_drv_remove(dr->drv);
	if (dr->dev)
		memhp_vmem_dev_destroy(dr->dev);
	if (dr->data)
		memhp_data_destroy(dr->data);
	if (dr->kalloc)
		memhp_kalloc_destroy(dr->kalloc);
	if (dr->m)
		memhp_machine_destroy(dr->m);
	dr->walkers = NULL;
	dr->drv = NULL;
	dr->dev = NULL;
	dr->data = NULL;
	dr->kalloc = NULL;
	dr->m = NULL;
}

static int run_protocol(struct demo_run *dr, const struct demo_args *a)
{
	char path[DEMO_PATH_MAX], title[DEMO_LINE];
	double t0 = mono_s();
	int rc;

	printf("\n== %s: %s ==\n", protocol_title(dr->protocol),
	       dr->protocol == MEMHP_PROTOCOL_2025
		       ? "PageOffline pages keep refcount 1 and are skipped (PG_offline_skippable)"
		       : "the driver drops its PageOffline references in MEM_GOING_OFFLINE");
	fflush(stdout);
	/* After a ^C, the step it landed in ends and no other starts. */
	rc = setup(dr);
	if (!rc && !interrupted())
		rc = plug(dr);
	if (!rc && !interrupted())
		rc = fill(dr);
	if (!rc && !interrupted())
		rc = unplug(dr);
	else if (!rc)
		dr->cut_short = true;
	/* What follows is the demo's bookkeeping: no signal is for it. */
	memhp_task_clear_signal(dr->task);
	if (!rc && !dr->cut_short) {
		verify(dr);
		collect_rows(dr);
		dr->ok = true;
	}
	if (!rc && dr->ok && a->common.svg) {
		run_svg_path(a->common.svg, dr->pid, path, sizeof(path));
		snprintf(title, sizeof(title), "memhp demo, %s, seed %" PRIu64,
			 protocol_title(dr->protocol), dr->seed);
		if (!svg_write(dr->m, path, title))
			printf("memory map (%s): %s\n", protocol_title(dr->protocol), path);
		else
			rc = -EIO;
	}
	teardown(dr);
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
	ROW("requested size", fmt_change(r->plan->plug, r->requested, cell, DEMO_CELL));
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

enum { OPT_QUICK = RUN_OPT_OWN };

/* --quick, the option memhp run does not have. */
static int demo_opt(int c, const char *arg, void *priv)
{
	struct demo_args *a = priv;

	(void)arg;
	if (c != OPT_QUICK)
		return -1;
	a->plan = &quick_plan;
	return 0;
}

static int parse_args(int argc, char **argv, struct demo_args *a)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, OPT_QUICK },
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
	a->plan = &full_plan;
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

static void print_header(const struct demo_args *a, uint64_t seed)
{
	const struct demo_plan *p = a->plan;
	struct memhp_config cfg;
	uint64_t high = 0, addr;
	char ram[RUN_SIZE_STR], region[RUN_SIZE_STR], range[RUN_RANGE_STR], plug[RUN_SIZE_STR],
		to[RUN_SIZE_STR];

	memhp_config_init(&cfg, p->ram);
	for (unsigned int i = 0; i < cfg.nr_boot; i++)
		if (cfg.boot[i].start >= DEMO_HIGH_RAM_START)
			high += cfg.boot[i].size;
	addr = (DEMO_HIGH_RAM_START + high + DEMO_DEVICE_MEMORY_ALIGN - 1) &
	       ~(DEMO_DEVICE_MEMORY_ALIGN - 1);
	printf("memhp demo: seed %" PRIu64 "%s%s%s\n", seed,
	       a->common.have_seed	 ? ""
	       : a->common.deterministic ? " (random: --seed replays it)"
					 : " (random: --seed replays the single-threaded parts)",
	       p == &quick_plan ? ", --quick" : "",
	       a->common.deterministic ? ", --deterministic" : "");
	printf("A %s x86_64 guest (QEMU q35) with a virtio-mem device (QEMU): %s region at\n"
	       "%s, 2 MiB blocks; auto_online_blocks=online_movable.\n",
	       run_fmt_size(p->ram, ram), run_fmt_size(p->region, region),
	       run_fmt_range(addr, p->region, range));
	printf("Plug %s, fill memory, unplug down to %s while %d PFN walkers take speculative\n"
	       "references: %s.\n",
	       run_fmt_size(p->plug, plug), run_fmt_size(p->unplug_to, to), DEMO_WALKER_THREADS,
	       a->common.protocol < 0 ? "under Linux 6.1 and under the 2025 proposal"
	       : a->common.protocol == MEMHP_PROTOCOL_2025 ? "under the 2025 proposal"
							   : "under Linux 6.1");
	fflush(stdout);
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
	/* The seed comes first: whatever happens next, the run can be replayed. */
	print_header(&a, seed);

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
		dr->plan = a.plan;
		dr->protocol = (enum memhp_protocol)p;
		dr->tag = protocol_label(dr->protocol);
		dr->pid = n + 1;
		dr->seed = seed;
		dr->tl = tl;
		dr->thread = pthread_self();
		dr->task = memhp_current_task();
		pthread_mutex_init(&dr->lock, NULL);
		pthread_mutex_init(&dr->guard_lock, NULL);
		ret = run_protocol(dr, &a);
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
