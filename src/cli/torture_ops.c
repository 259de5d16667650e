// SPDX-License-Identifier: MIT
/*
 * torture_ops.c - one torture run: a machine with two virtio-mem devices
 * (or a Xen or Hyper-V balloon), a balloon, checksummed data, kernel
 * allocations and the guest kernel, allocation threads and PFN walkers
 * racing the operations, and after each operation a look at what the
 * checker and the kernel's own complaints say.
 *
 * Operations are drawn from the run's seed with arguments that are
 * concrete (block 37, pfn 0x4a2f1), so that the log is a program: a
 * replay executes it against a machine set up from the same seed, and
 * the shrinker can drop any of its lines. An operation whose argument no
 * longer makes sense (the block went away) just returns its errno.
 *
 * Findings are of two kinds. What memhp_check() and the checker after
 * every operation find, and what only a bug of memhp can cause
 * (alloc-from-isolated, notifier-sequence, the driver's state), is a
 * violation: the campaign stops there. What Linux itself would print — a
 * WARN, "Bad page state", virtio-mem's "fake-offline page referenced" or
 * "marking device broken" — is the kernel's finding, faithfully modelled
 * (the 2019 race under 6.1, a device answering ERROR): the run ends
 * there, tainted as Linux would be, since everything after it may be a
 * consequence, and the next seed starts.
 */
#include "det.h"
#include "run_util.h"
#include "torture.h"

#include <errno.h>
#include <inttypes.h>
#include <memhp/balloon.h>
#include <memhp/guest.h>
#include <memhp/virtio_mem.h>
#include <memhp/virtio_mem_driver.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The machine: 1 GiB of boot RAM, hot-pluggable DIMM space from 4 GiB,
 * then the two virtio-mem regions, each where QEMU would put one. */
#define T_RAM (1 * MEMHP_GiB)
#define T_PHYS_SIZE (16 * MEMHP_GiB)
#define T_DIMM_START (4 * MEMHP_GiB)
#define T_DIMM_SIZE (4 * MEMHP_GiB)
#define T_VMEM_START (8 * MEMHP_GiB)
#define T_VMEM_REGION (1 * MEMHP_GiB)
#define T_VMEM_STRIDE (2 * MEMHP_GiB)
#define T_MAX_VMEM 2
/* add_memory() takes at most this many blocks at once. */
#define T_ADD_MAX_BLOCKS 2
/* Workloads stay below these shares of boot RAM, so that the machine
 * runs full but not starved (1/N). */
#define T_DATA_SHARE 4
#define T_KALLOC_SHARE 32
/* The most pages one step of a thread or an operation allocates or frees. */
#define T_THREAD_BATCH 32
#define T_OP_BATCH 512
#define T_KALLOC_BATCH 8
#define T_BALLOON_BATCH 4096
#define T_CONTIG_PAGEBLOCKS 4
#define T_GUEST_MS 2000
#define T_TIMER_MS 300000
/* An armed fault lets at most this many attempts through and fails at
 * most this many. */
#define T_FAULT_SKIP 16
#define T_FAULT_TIMES 3
/* Verify every data page and run the whole checker this often, besides
 * the operations that do it and the end of the run. */
#define T_VERIFY_EVERY 32
#define T_CHECK_EVERY 16
/* A walker holds its reference this many spins: long enough to meet the
 * driver now and then, short enough that the 2019 race stays rare. */
#define T_WALKER_HOLD 200
#define T_MAX_THREADS 16
/* Offlines in progress at once (one per thread that can offline). */
#define T_MAX_INFLIGHT 8
/* An operation that takes longer than this is stuck: offline_pages()
 * retries for ever by design (a leaked page); the watchdog interrupts it
 * as a signal would and the run reports a hang. */
#define T_WATCHDOG_TICK_MS 250
#define T_NS_PER_MS 1000000ULL
/* How often a run draws each setup: memmap_on_memory one run in this
 * many, a Xen or Hyper-V balloon (instead of virtio-mem) one in this many,
 * a boot block for a block operation one in this many. */
#define T_MEMMAP_ON_MEMORY_ONE_IN 4
#define T_PINNED_BALLOON_ONE_IN 4
#define T_BOOT_BLOCK_ONE_IN 8
/* Blocks a block operation chooses among: the first this many present. */
#define T_PICK_BLOCKS 64
/* An allocation thread's steps: data alloc (twice as likely), data free,
 * kernel alloc, kernel free. */
#define T_THREAD_STEPS 5

static const char *const state_values[] = { "online", "online_kernel", "online_movable",
					    "offline" };
#define T_NR_STATE_VALUES (sizeof(state_values) / sizeof(state_values[0]))

/* The mix: how often each operation is drawn, out of the sum. */
static const struct {
	const char *name;
	unsigned int weight;
} kinds[T_NR_KINDS] = {
	[T_STORE_STATE] = { "store_state", 26 },
	[T_STORE_ONLINE] = { "store_online", 6 },
	[T_ADD_MEMORY] = { "add_memory", 6 },
	[T_REMOVE_MEMORY] = { "remove_memory", 4 },
	[T_OFFLINE_REMOVE] = { "offline_and_remove", 3 },
	[T_VMEM_RESIZE] = { "vmem_resize", 8 },
	[T_VMEM_TIMER] = { "vmem_timer", 3 },
	[T_BALLOON_INFLATE] = { "balloon_inflate", 5 },
	[T_BALLOON_DEFLATE] = { "balloon_deflate", 5 },
	[T_BALLOON_HOT_ADD] = { "balloon_hot_add", 2 },
	[T_BALLOON_GRANT] = { "balloon_grant", 2 },
	[T_CONTIG] = { "contig", 4 },
	[T_MEMORY_FAILURE] = { "memory_failure", 1 },
	[T_SOFT_OFFLINE] = { "soft_offline", 3 },
	[T_FAULT] = { "fault", 4 },
	[T_DATA_ALLOC] = { "data_alloc", 3 },
	[T_DATA_FREE] = { "data_free", 3 },
	[T_KALLOC_ALLOC] = { "kalloc_alloc", 1 },
	[T_KALLOC_FREE] = { "kalloc_free", 1 },
	[T_GUEST_ADVANCE] = { "guest_advance", 3 },
	[T_AUTO_ONLINE] = { "auto_online", 1 },
	[T_VERIFY] = { "verify", 2 },
	[T_CHECK] = { "check", 2 },
	[T_SELFTEST] = { "selftest", 0 },
};

const char *t_kind_name(enum t_kind k)
{
	return (unsigned)k < T_NR_KINDS ? kinds[k].name : "?";
}

int t_kind_from_name(const char *name)
{
	for (int k = 0; k < T_NR_KINDS; k++)
		if (!strcmp(name, kinds[k].name))
			return k;
	return -1;
}

void t_format_op(const struct t_op *op, char *buf, size_t len)
{
	snprintf(buf, len, "%s %#" PRIx64 " %#" PRIx64 " %#" PRIx64, t_kind_name(op->kind), op->a,
		 op->b, op->c);
}

int t_parse_op(const char *line, struct t_op *op)
{
	char name[TORTURE_WORD];
	unsigned long long a, b, c;
	int k;

	if (sscanf(line, "%31s %llx %llx %llx", name, &a, &b, &c) != 4)
		return -EINVAL;
	k = t_kind_from_name(name);
	if (k < 0)
		return -EINVAL;
	*op = (struct t_op){ (enum t_kind)k, a, b, c };
	return 0;
}

/* xorshift64*: each stream of a run has its own, from the seed. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint64_t stream(uint64_t seed, uint64_t which)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ULL + which * 0xbf58476d1ce4e5b9ULL;

	return s ? s : 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct t_vmem {
	struct memhp_vmem_dev *dev;
	struct memhp_vmem_drv *drv;
	uint64_t addr, region, block;
	bool sync;
};

struct t_thread {
	struct t_ctx *c;
	pthread_t thread;
	uint64_t rng;
};

struct t_ctx {
	/* The look that made the first finding is over: later looks add
	 * nothing to what the report says of it. */
	bool judged;
	const struct t_setup *s;
	struct memhp_machine *m;
	uint64_t rng;
	struct t_vmem vmem[T_MAX_VMEM];
	unsigned int nr_vmem;
	struct memhp_balloon *balloon;
	enum memhp_balloon_kind bkind;
	struct memhp_data *data;
	struct memhp_kalloc *kalloc;
	struct memhp_guest *guest;
	struct memhp_walkers *walkers;
	struct t_thread threads[T_MAX_THREADS];
	unsigned int nr_threads;
	_Atomic bool stop;
	unsigned long data_cap, kalloc_cap;
	bool memmap_on_memory;

	/* Offlines in progress, so that they can be interrupted (a kernel
	 * finding was logged, or the watchdog fired). */
	pthread_mutex_t lock;
	struct {
		struct memhp_task *task;
		bool signalled;
	} inflight[T_MAX_INFLIGHT];
	_Atomic bool kernel_finding;

	/* The watchdog. */
	pthread_t watchdog;
	pthread_cond_t wd_cond;
	bool wd_quit, wd_started;
	_Atomic uint64_t op_started_ns; /* 0: no operation running */
	_Atomic bool hang;

	struct memhp_check_report rep;
	struct memhp_check_report check_rep; /* the whole checker's, in judge() */
	struct t_result *res;
};

/* ---- Interrupting offlines ------------------------------------------------------------- */

/* Raise the signal of every offline in progress: it returns -EINTR with
 * everything restored. Caller holds c->lock. */
static void interrupt_offlines(struct t_ctx *c)
{
	for (int i = 0; i < T_MAX_INFLIGHT; i++)
		if (c->inflight[i].task && !c->inflight[i].signalled) {
			c->inflight[i].signalled = true;
			memhp_task_signal(c->inflight[i].task);
		}
}

#define T_EVENTS                                                                  \
	(MEMHP_EVENT_BIT(MEMHP_EV_FINDING) | MEMHP_EVENT_BIT(MEMHP_TP_OP_BEGIN) | \
	 MEMHP_EVENT_BIT(MEMHP_TP_OP_END))

static void t_event(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct t_ctx *c = priv;
	struct memhp_task *task;

	(void)m;
	switch (ev->type) {
	case MEMHP_EV_FINDING:
		/* A kernel finding taints the run; a violation is judged
		 * after the operation, a benign one only counted. */
		if (memhp_rule_class(ev->finding.rule) != MEMHP_RULE_CLASS_KERNEL)
			return;
		atomic_store(&c->kernel_finding, true);
		/* After Bad page state an offline of that page's block would
		 * retry for ever (in Linux the worker spins): end it. */
		pthread_mutex_lock(&c->lock);
		interrupt_offlines(c);
		pthread_mutex_unlock(&c->lock);
		return;
	case MEMHP_TP_OP_BEGIN:
	case MEMHP_TP_OP_END:
		if (ev->op.op != MEMHP_OP_OFFLINE_PAGES)
			return;
		break;
	default:
		return;
	}
	task = memhp_current_task();
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < T_MAX_INFLIGHT; i++) {
		if (ev->type == MEMHP_TP_OP_BEGIN && !c->inflight[i].task) {
			c->inflight[i].task = task;
			c->inflight[i].signalled = false;
			/* Raised before it began: the run is ending anyway. */
			if (atomic_load(&c->kernel_finding) || atomic_load(&c->hang))
				interrupt_offlines(c);
			break;
		}
		if (ev->type == MEMHP_TP_OP_END && c->inflight[i].task == task) {
			/* Our signal must not outlive the offline it was for. */
			if (c->inflight[i].signalled)
				memhp_task_clear_signal(task);
			c->inflight[i].task = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
}

static void *watchdog_main(void *arg)
{
	struct t_ctx *c = arg;

	pthread_mutex_lock(&c->lock);
	while (!c->wd_quit) {
		struct timespec ts;
		uint64_t started = atomic_load(&c->op_started_ns), now = now_ns();
		const uint64_t limit_ms =
			1000ULL * (c->s->watchdog_s ? c->s->watchdog_s : TORTURE_WATCHDOG_S);

		if (started && now - started > limit_ms * T_NS_PER_MS && !atomic_load(&c->hang)) {
			atomic_store(&c->hang, true);
			interrupt_offlines(c);
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += (long)(T_WATCHDOG_TICK_MS * T_NS_PER_MS);
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&c->wd_cond, &c->lock, &ts);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* ---- Allocation threads -------------------------------------------------------------------- */

static void *alloc_main(void *arg)
{
	struct t_thread *t = arg;
	struct t_ctx *c = t->c;

	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		uint64_t r = rnd(&t->rng);
		unsigned long n = 1 + (unsigned long)(r >> 8) % T_THREAD_BATCH;

		switch (r % T_THREAD_STEPS) {
		case 0:
		case 1:
			if (memhp_data_nr_pages(c->data) < c->data_cap)
				memhp_data_alloc(c->data, n, 0);
			break;
		case 2:
			memhp_data_free(c->data, n);
			break;
		case 3:
			if (memhp_kalloc_nr_pages(c->kalloc) < c->kalloc_cap)
				memhp_kalloc_alloc(c->kalloc, n % T_KALLOC_BATCH + 1,
						   MEMHP_GFP_KERNEL);
			break;
		default:
			memhp_kalloc_free(c->kalloc, n % T_KALLOC_BATCH + 1);
			break;
		}
		/* Let the operations through on a busy host: the point is
		 * to interleave with them, not to starve them. */
		sched_yield();
	}
	return NULL;
}

/* ---- Setting a run up ---------------------------------------------------------------------- */

static int setup_vmem(struct t_ctx *c, uint64_t *r)
{
	static const enum memhp_vmem_flavor flavors[] = { MEMHP_VMEM_QEMU,
							  MEMHP_VMEM_CLOUD_HYPERVISOR,
							  MEMHP_VMEM_FIRECRACKER };

	for (unsigned int i = 0; i < T_MAX_VMEM; i++) {
		struct t_vmem *v = &c->vmem[c->nr_vmem];
		struct memhp_vmem_dev_config dc = { 0 };
		struct memhp_vmem_drv_params p;
		char id[8];
		int rc;

		snprintf(id, sizeof(id), "vm%u", i);
		dc.id = id;
		dc.addr = T_VMEM_START + i * T_VMEM_STRIDE;
		dc.region_size = T_VMEM_REGION;
		dc.flavor = flavors[rnd(r) % (sizeof(flavors) / sizeof(flavors[0]))];
		dc.block_size = 0; /* the flavor's default: 2 MiB */
		dc.unplugged_inaccessible = rnd(r) & 1;
		rc = memhp_vmem_dev_create(c->m, &dc, &v->dev);
		if (rc)
			return rc;
		memhp_vmem_drv_params_init(&p);
		/* The first device in Sub-Block Mode, the second in Big Block
		 * Mode (6.1's force_bbm), whatever their flavors. */
		p.force_bbm = i == 1;
		v->sync = rnd(r) & 1;
		p.sync = v->sync;
		rc = memhp_vmem_drv_probe(c->m, v->dev, &p, &v->drv);
		if (rc) {
			memhp_vmem_dev_destroy(v->dev);
			v->dev = NULL;
			return rc;
		}
		v->addr = dc.addr;
		v->region = dc.region_size;
		v->block = memhp_vmem_dev_get_config(v->dev)->block_size;
		c->nr_vmem++;
		if (v->sync)
			memhp_vmem_drv_process(v->drv);
	}
	return 0;
}

static int setup(struct t_ctx *c)
{
	const struct t_setup *s = c->s;
	uint64_t r = stream(s->seed, 1);
	struct memhp_config cfg;
	int rc;

	memhp_config_init(&cfg, T_RAM);
	cfg.phys_size = T_PHYS_SIZE;
	cfg.protocol = s->protocol;
	cfg.seed = s->seed;
	cfg.check_after_ops = true;
	cfg.memmap_on_memory = !(rnd(&r) % T_MEMMAP_ON_MEMORY_ONE_IN);
	cfg.auto_online_blocks =
		(enum memhp_online_type)(rnd(&r) % (MEMHP_MMOP_ONLINE_MOVABLE + 1));
	c->memmap_on_memory = cfg.memmap_on_memory;
	rc = memhp_machine_create(&cfg, &c->m);
	if (rc)
		return rc;
	pthread_mutex_init(&c->lock, NULL);
	rc = memhp_event_subscribe(c->m, T_EVENTS, t_event, c);
	if (!rc)
		rc = memhp_guest_create(c->m, NULL, &c->guest);
	if (rc)
		return rc;
	/* One run in four has a Xen or Hyper-V balloon, whose online_page
	 * callback excludes virtio-mem's; the others both virtio-mem
	 * devices and a balloon without a callback. */
	if (!(rnd(&r) % T_PINNED_BALLOON_ONE_IN)) {
		c->bkind = rnd(&r) & 1 ? MEMHP_BALLOON_XEN : MEMHP_BALLOON_HYPERV;
	} else {
		static const enum memhp_balloon_kind plain[] = { MEMHP_BALLOON_VIRTIO,
								 MEMHP_BALLOON_VIRTIO_NO_COMPACTION,
								 MEMHP_BALLOON_VMWARE,
								 MEMHP_BALLOON_VMWARE_4K };

		c->bkind = plain[rnd(&r) % (sizeof(plain) / sizeof(plain[0]))];
		rc = setup_vmem(c, &r);
		if (rc)
			return rc;
	}
	rc = memhp_balloon_create(c->m, c->bkind, &c->balloon);
	if (!rc)
		rc = memhp_data_create(c->m, &c->data);
	if (!rc)
		rc = memhp_kalloc_create(c->m, &c->kalloc);
	if (rc)
		return rc;
	c->data_cap = (unsigned long)(T_RAM / MEMHP_PAGE_SIZE / T_DATA_SHARE);
	c->kalloc_cap = (unsigned long)(T_RAM / MEMHP_PAGE_SIZE / T_KALLOC_SHARE);
	c->rng = stream(s->seed, 2);

	pthread_cond_init(&c->wd_cond, NULL);
	if (pthread_create(&c->watchdog, NULL, watchdog_main, c))
		return -EAGAIN;
	c->wd_started = true;
	if (s->walkers) {
		rc = memhp_walkers_start(c->m, s->walkers, T_WALKER_HOLD, &c->walkers);
		if (rc)
			return rc;
	}
	for (unsigned int i = 0; i < s->threads && i < T_MAX_THREADS; i++) {
		struct t_thread *t = &c->threads[i];

		t->c = c;
		t->rng = stream(s->seed, 16 + i);
		if (pthread_create(&t->thread, NULL, alloc_main, t))
			return -EAGAIN;
		c->nr_threads++;
	}
	return 0;
}

/* Stop everything that runs by itself; the machine stays. */
static void quiesce(struct t_ctx *c)
{
	atomic_store(&c->stop, true);
	for (unsigned int i = 0; i < c->nr_threads; i++)
		pthread_join(c->threads[i].thread, NULL);
	c->nr_threads = 0;
	if (c->walkers)
		memhp_walkers_stop(c->walkers, NULL);
	c->walkers = NULL;
	for (unsigned int i = 0; i < c->nr_vmem; i++)
		if (!c->vmem[i].sync)
			memhp_vmem_drv_wait_idle(c->vmem[i].drv);
}

static void teardown(struct t_ctx *c)
{
	quiesce(c);
	if (c->wd_started) {
		pthread_mutex_lock(&c->lock);
		c->wd_quit = true;
		pthread_cond_signal(&c->wd_cond);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->watchdog, NULL);
		pthread_cond_destroy(&c->wd_cond);
	}
	if (c->m)
		memhp_event_unsubscribe(c->m, t_event, c);
	for (unsigned int i = 0; i < c->nr_vmem; i++) {
		memhp_vmem_drv_remove(c->vmem[i].drv);
		memhp_vmem_dev_destroy(c->vmem[i].dev);
	}
	if (c->balloon)
		memhp_balloon_destroy(c->balloon);
	if (c->data)
		memhp_data_destroy(c->data);
	if (c->kalloc)
		memhp_kalloc_destroy(c->kalloc);
	if (c->guest)
		memhp_guest_destroy(c->guest);
	if (c->m) {
		memhp_machine_destroy(c->m);
		pthread_mutex_destroy(&c->lock);
	}
}

/* ---- Drawing an operation ------------------------------------------------------------------- */

/* A block that exists now, preferring hot-added ones (boot blocks mostly
 * say -EBUSY or -EINVAL). ~0UL when there is none. */
static unsigned long pick_block(struct t_ctx *c)
{
	const unsigned long boot_end = memhp_phys_to_block_id(c->m, T_DIMM_START);
	unsigned long ids[T_PICK_BLOCKS], n = 0;
	bool hotplugged = rnd(&c->rng) % T_BOOT_BLOCK_ONE_IN;

	for (long id = memhp_next_block(c->m, hotplugged ? boot_end : 0);
	     id >= 0 && n < T_PICK_BLOCKS; id = memhp_next_block(c->m, (unsigned long)id + 1))
		ids[n++] = (unsigned long)id;
	if (!n && hotplugged)
		for (long id = memhp_next_block(c->m, 0); id >= 0 && n < T_PICK_BLOCKS;
		     id = memhp_next_block(c->m, (unsigned long)id + 1))
			ids[n++] = (unsigned long)id;
	return n ? ids[rnd(&c->rng) % n] : ~0UL;
}

/* A pfn of a block that exists, anywhere in it. */
static uint64_t pick_pfn(struct t_ctx *c)
{
	unsigned long id = pick_block(c);

	if (id == ~0UL)
		return 0;
	return (uint64_t)id * memhp_pages_per_block(c->m) +
	       rnd(&c->rng) % memhp_pages_per_block(c->m);
}

static enum t_kind pick_kind(struct t_ctx *c)
{
	unsigned int total = 0, x;

	for (int k = 0; k < T_NR_KINDS; k++)
		total += kinds[k].weight;
	x = (unsigned int)(rnd(&c->rng) % total);
	for (int k = 0; k < T_NR_KINDS; k++) {
		if (x < kinds[k].weight)
			return (enum t_kind)k;
		x -= kinds[k].weight;
	}
	return T_CHECK;
}

static void draw(struct t_ctx *c, struct t_op *op)
{
	const uint64_t bs = memhp_block_size(c->m);
	uint64_t r;

	memset(op, 0, sizeof(*op));
	op->kind = pick_kind(c);
	r = rnd(&c->rng);
	switch (op->kind) {
	case T_STORE_STATE:
		op->a = pick_block(c);
		op->b = r % T_NR_STATE_VALUES;
		break;
	case T_STORE_ONLINE:
		op->a = pick_block(c);
		op->b = r & 1;
		break;
	case T_ADD_MEMORY:
	case T_REMOVE_MEMORY:
	case T_OFFLINE_REMOVE:
	case T_BALLOON_HOT_ADD:
		/* Inside the DIMM space: add_memory() and remove_memory() are
		 * a driver's calls on its own memory, never on a virtio-mem
		 * device's (no user can make a kernel do that). */
		op->b = bs * (1 + r % T_ADD_MAX_BLOCKS);
		op->a = T_DIMM_START + (rnd(&c->rng) % ((T_DIMM_SIZE - op->b) / bs + 1)) * bs;
		op->c = rnd(&c->rng) & 1; /* add_memory: MHP_MEMMAP_ON_MEMORY */
		break;
	case T_VMEM_RESIZE:
		op->a = r % T_MAX_VMEM;
		if (op->a < c->nr_vmem) {
			const struct t_vmem *v = &c->vmem[op->a];
			const uint64_t blocks = v->region / v->block;

			/* Whole memory blocks half of the time, any block count
			 * else: Sub-Block Mode's partial blocks. */
			op->b = rnd(&c->rng) & 1 ? (rnd(&c->rng) % (v->region / bs + 1)) * bs
						 : (rnd(&c->rng) % (blocks + 1)) * v->block;
		}
		break;
	case T_VMEM_TIMER:
		op->a = r % T_MAX_VMEM;
		op->b = rnd(&c->rng) % T_TIMER_MS;
		break;
	case T_BALLOON_INFLATE:
	case T_BALLOON_DEFLATE:
	case T_BALLOON_GRANT:
		op->a = 1 + r % T_BALLOON_BATCH;
		break;
	case T_CONTIG: {
		const uint64_t pb = memhp_pageblock_nr_pages(c->m);

		op->a = pick_pfn(c) / pb * pb;
		op->b = pb * (1 + r % T_CONTIG_PAGEBLOCKS);
		break;
	}
	case T_MEMORY_FAILURE:
	case T_SOFT_OFFLINE:
		op->a = pick_pfn(c);
		break;
	case T_FAULT:
		op->a = r % MEMHP_NR_FAULTS;
		op->b = rnd(&c->rng) % (T_FAULT_SKIP + 1);
		op->c = 1 + rnd(&c->rng) % T_FAULT_TIMES;
		break;
	case T_DATA_ALLOC:
	case T_DATA_FREE:
		op->a = 1 + r % T_OP_BATCH;
		break;
	case T_KALLOC_ALLOC:
	case T_KALLOC_FREE:
		op->a = 1 + r % T_KALLOC_BATCH;
		break;
	case T_GUEST_ADVANCE:
		op->a = 1 + r % T_GUEST_MS;
		break;
	case T_AUTO_ONLINE:
		op->a = r % T_NR_STATE_VALUES;
		break;
	default:
		break;
	}
}

/* ---- Doing it ---------------------------------------------------------------------------------- */

static struct t_vmem *vmem_of(struct t_ctx *c, uint64_t i)
{
	return i < c->nr_vmem ? &c->vmem[i] : NULL;
}

/* Verify the data: 0, or the pages memhp lost (a violation). */
static unsigned long verify(struct t_ctx *c)
{
	struct memhp_data_report r;

	memhp_data_verify_report(c->data, &r);
	c->res->verified = r.verified;
	c->res->lost = r.corrupted;
	c->res->hwpoisoned = r.hwpoisoned;
	return r.corrupted;
}

/* Do @op; returns what the call returned (an errno, a count, 0). */
static long execute(struct t_ctx *c, const struct t_op *op)
{
	struct memhp_machine *m = c->m;
	struct t_vmem *v;

	switch (op->kind) {
	case T_STORE_STATE: {
		const char *val = state_values[op->b % T_NR_STATE_VALUES];

		return memhp_store_state(m, (unsigned long)op->a, val, strlen(val), false);
	}
	case T_STORE_ONLINE:
		return memhp_store_online(m, (unsigned long)op->a, op->b ? "1" : "0", 1, false);
	case T_ADD_MEMORY:
		return memhp_add_memory(m, 0, op->a, op->b,
					op->c && c->memmap_on_memory ? MEMHP_MHP_MEMMAP_ON_MEMORY
								     : MEMHP_MHP_NONE);
	case T_REMOVE_MEMORY:
		return memhp_remove_memory(m, op->a, op->b);
	case T_OFFLINE_REMOVE:
		return memhp_offline_and_remove_memory(m, op->a, op->b);
	case T_VMEM_RESIZE: {
		int rc;

		v = vmem_of(c, op->a);
		if (!v)
			return -ENODEV;
		rc = memhp_vmem_dev_set_requested_size(v->dev, op->b);
		if (rc)
			return rc;
		memhp_vmem_dev_flush(v->dev);
		return v->sync ? (long)memhp_vmem_drv_process(v->drv) : 0;
	}
	case T_VMEM_TIMER:
		v = vmem_of(c, op->a);
		if (!v)
			return -ENODEV;
		memhp_vmem_drv_advance(v->drv, op->b);
		return v->sync ? (long)memhp_vmem_drv_process(v->drv) : 0;
	case T_BALLOON_INFLATE:
		return memhp_balloon_inflate(c->balloon, (unsigned long)op->a);
	case T_BALLOON_DEFLATE:
		return memhp_balloon_deflate(c->balloon, (unsigned long)op->a);
	case T_BALLOON_HOT_ADD:
		return memhp_balloon_hot_add(c->balloon, op->a, op->b, 0);
	case T_BALLOON_GRANT:
		return memhp_balloon_host_grant(c->balloon, (unsigned long)op->a);
	case T_CONTIG: {
		int rc = memhp_alloc_contig_range(m, (unsigned long)op->a,
						  (unsigned long)(op->a + op->b), MEMHP_GFP_KERNEL);

		if (!rc)
			memhp_free_contig_range(m, (unsigned long)op->a, (unsigned long)op->b);
		return rc;
	}
	case T_MEMORY_FAILURE:
		return memhp_memory_failure(m, (unsigned long)op->a);
	case T_SOFT_OFFLINE:
		return memhp_soft_offline_page(m, (unsigned long)op->a);
	case T_FAULT:
		if (op->a >= MEMHP_NR_FAULTS)
			return -EINVAL;
		memhp_fault_arm(m, (enum memhp_fault)op->a, (long)op->b, (long)op->c);
		return 0;
	case T_DATA_ALLOC:
		if (memhp_data_nr_pages(c->data) >= c->data_cap)
			return 0;
		return (long)memhp_data_alloc(c->data, (unsigned long)op->a, 0);
	case T_DATA_FREE:
		return (long)memhp_data_free(c->data, (unsigned long)op->a);
	case T_KALLOC_ALLOC:
		return (long)memhp_kalloc_alloc(c->kalloc, (unsigned long)op->a, MEMHP_GFP_KERNEL);
	case T_KALLOC_FREE:
		return (long)memhp_kalloc_free(c->kalloc, (unsigned long)op->a);
	case T_GUEST_ADVANCE:
		memhp_guest_advance(c->guest, (unsigned long)op->a);
		return 0;
	case T_AUTO_ONLINE: {
		const char *val = state_values[op->a % T_NR_STATE_VALUES];

		return memhp_store_auto_online_blocks(m, val, strlen(val));
	}
	case T_VERIFY:
		return -(long)verify(c);
	case T_CHECK:
		return -(long)memhp_check(m, NULL);
	case T_SELFTEST:
		if (op->a == 1) {
			struct memhp_page *p = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);

			if (!p)
				return -ENOMEM;
			memhp_adjust_managed_page_count(p, -1);
			return 0;
		}
		memhp_report(m, MEMHP_NO_PFN, MEMHP_RULE_TORTURE_SELFTEST,
			     "a violation a replay file asked for");
		return 0;
	default:
		return -EINVAL;
	}
}

/* ---- Judging ------------------------------------------------------------------------------------- */

static void found(struct t_ctx *c, enum memhp_rule rule, const char *detail)
{
	struct t_result *res = c->res;

	/* The first finding decides: after a kernel finding (the 2019 race's
	 * "fake-offline page referenced", say) what the checker says next
	 * may be its consequence, as Linux's taint says of what follows. */
	if (res->violation || res->tainted) {
		if (rule == res->rule && res->nr_more < TORTURE_MORE && !c->judged)
			snprintf(res->more[res->nr_more++], sizeof(res->more[0]), "%s", detail);
		return;
	}
	res->violation = memhp_rule_class(rule) == MEMHP_RULE_CLASS_VIOLATION;
	res->tainted = !res->violation;
	res->rule = rule;
	snprintf(res->detail, sizeof(res->detail), "%s", detail);
}

/* Look at what the checker and the kernel said so far, oldest first:
 * the runtime log, then (@whole) the checker's walk. */
static void judge_report(struct t_ctx *c, const struct memhp_check_report *rep)
{
	size_t shown =
		rep->shown < MEMHP_CHECK_MAX_REPORTED ? rep->shown : MEMHP_CHECK_MAX_REPORTED;
	char detail[TORTURE_DETAIL];

	for (size_t i = 0; i < shown; i++) {
		const struct memhp_violation *v = &rep->v[i];

		if (memhp_rule_class(v->rule) == MEMHP_RULE_CLASS_BENIGN) {
			c->res->findings++;
			continue;
		}
		if (v->pfn == MEMHP_NO_PFN)
			snprintf(detail, sizeof(detail), "%s", v->detail);
		else
			snprintf(detail, sizeof(detail), "pfn %#lx: %s", v->pfn, v->detail);
		found(c, v->rule, detail);
	}
	if (rep->nr > shown)
		found(c, MEMHP_RULE_UNKNOWN, "a finding the report did not keep");
	/* Only the look that found the first finding goes on about it. */
	if (c->res->violation || c->res->tainted)
		c->judged = true;
}

/* The counters the checker's whole walk adds up and compares. */
static bool counter_rule(enum memhp_rule rule)
{
	return rule == MEMHP_RULE_MANAGED_PAGES || rule == MEMHP_RULE_PRESENT_PAGES ||
	       rule == MEMHP_RULE_NR_FREE_PAGES || rule == MEMHP_RULE_TOTALRAM ||
	       rule == MEMHP_RULE_NR_ISOLATE_PAGEBLOCK;
}

/*
 * A counter found off while the run's threads (walkers, allocators, the
 * drivers' workers) were at work: walk again once they have stopped.
 * The open managed-pages findings never replayed; this tells a count
 * really lost from a moment the checker should not have been let see.
 */
static void recheck(struct t_ctx *c)
{
	struct t_result *res = c->res;

	if (!res->violation || !counter_rule(res->rule))
		return;
	quiesce(c);
	res->recheck = T_RECHECK_GONE;
	memhp_check(c->m, &c->rep);
	for (size_t i = 0; i < c->rep.shown && i < MEMHP_CHECK_MAX_REPORTED; i++)
		if (c->rep.v[i].rule == res->rule) {
			res->recheck = T_RECHECK_STAYS;
			if (c->rep.v[i].pfn == MEMHP_NO_PFN)
				snprintf(res->recheck_detail, sizeof(res->recheck_detail), "%s",
					 c->rep.v[i].detail);
			else
				snprintf(res->recheck_detail, sizeof(res->recheck_detail),
					 "pfn %#lx: %s", c->rep.v[i].pfn, c->rep.v[i].detail);
			break;
		}
}

/* The runtime log: what the kernel and the checker after each operation
 * said since the last look. */
static void judge_log(struct t_ctx *c)
{
	if (memhp_violations(c->m, &c->rep)) {
		judge_report(c, &c->rep);
		/* What is left is benign and counted: the next look must see
		 * only what is new. */
		if (!c->res->violation && !c->res->tainted)
			memhp_violations_clear(c->m);
	}
}

static bool judge(struct t_ctx *c, bool whole)
{
	judge_log(c);
	if (whole && !c->res->violation && !c->res->tainted) {
		const size_t n = memhp_check(c->m, &c->check_rep);

		/*
		 * What the log got while the checker waited for its locks came
		 * first, and may be the cause of what the walk found: a driver
		 * WARNs in MEM_GOING_OFFLINE (a walker holds one of its pages),
		 * the walker's put frees the page (Bad page state), and the
		 * offline's cancel leaves it a page in use that no count holds,
		 * all before the walk, which needs mem_hotplug_lock.
		 */
		judge_log(c);
		if (n)
			judge_report(c, &c->check_rep);
	}
	if (atomic_load(&c->hang))
		found(c, MEMHP_RULE_HANG,
		      "an operation ran past the watchdog and was interrupted (-EINTR)");
	return c->res->violation || c->res->tainted;
}

static void log_op(struct t_ctx *c, FILE *log, unsigned long n, const struct t_op *op, long ret,
		   double ms)
{
	struct t_result *res = c->res;
	char text[TORTURE_LINE / 2], err[RUN_SIZE_STR];
	char *line;

	t_format_op(op, text, sizeof(text));
	if (res->nr_tail == TORTURE_LOG_TAIL) {
		memmove(res->tail[0], res->tail[1], sizeof(res->tail[0]) * (TORTURE_LOG_TAIL - 1));
		res->nr_tail--;
	}
	line = res->tail[res->nr_tail++];
	if (ret < 0)
		snprintf(line, TORTURE_LINE, "%6lu  %-48s = %s  %.3f ms", n, text,
			 run_errno_str(ret, err), ms);
	else
		snprintf(line, TORTURE_LINE, "%6lu  %-48s = %ld  %.3f ms", n, text, ret, ms);
	if (log)
		fprintf(log, "%s\n", line);
}

int t_run(const struct t_setup *s, const struct t_op *ops, unsigned long nr, struct t_op *out_ops,
	  FILE *log, struct t_result *res)
{
	struct t_ctx *c = calloc(1, sizeof(*c));
	int rc;

	memset(res, 0, sizeof(*res));
	if (!c)
		return -ENOMEM;
	c->s = s;
	c->res = res;
	/* The seed of the schedule is the run's: a replay repeats it. */
	if (s->deterministic && det_start(s->schedule ? s->schedule : s->seed)) {
		free(c);
		return -EALREADY;
	}
	rc = setup(c);
	if (rc) {
		teardown(c);
		if (s->deterministic)
			det_stop(NULL);
		free(c);
		return rc;
	}
	for (unsigned long i = 0; i < nr; i++) {
		struct t_op op;
		uint64_t t0;
		long ret;

		if (ops)
			op = ops[i];
		else
			draw(c, &op);
		if (out_ops)
			out_ops[i] = op;
		t0 = now_ns();
		atomic_store(&c->op_started_ns, t0);
		ret = execute(c, &op);
		atomic_store(&c->op_started_ns, 0);
		res->ops++;
		log_op(c, log, i + 1, &op, ret, (double)(now_ns() - t0) / 1e6);
		if (op.kind == T_VERIFY && ret < 0)
			found(c, MEMHP_RULE_DATA_LOST, "checksummed data pages were corrupted");
		if (!((i + 1) % T_VERIFY_EVERY) && verify(c))
			found(c, MEMHP_RULE_DATA_LOST, "checksummed data pages were corrupted");
		/* What the driver holds, while it works: a lost page is found
		 * at the operation that lost it. */
		for (unsigned int v = 0; v < c->nr_vmem; v++)
			memhp_vmem_drv_check_fake_offline(c->vmem[v].drv);
		if (judge(c, !((i + 1) % T_CHECK_EVERY))) {
			res->failed_op = i + 1;
			break;
		}
	}
	if (!res->violation && !res->tainted) {
		/* The end: nothing runs by itself any more, the driver's
		 * bookkeeping must match the device and the memmap. */
		atomic_store(&c->op_started_ns, now_ns());
		quiesce(c);
		atomic_store(&c->op_started_ns, 0);
		for (unsigned int i = 0; i < c->nr_vmem; i++)
			memhp_vmem_drv_check(c->vmem[i].drv);
		if (verify(c))
			found(c, MEMHP_RULE_DATA_LOST, "checksummed data pages were corrupted");
		if (judge(c, true))
			res->failed_op = res->ops;
	} else {
		recheck(c);
		if (!res->verified)
			verify(c);
	}
	teardown(c);
	if (s->deterministic)
		det_stop(NULL);
	free(c);
	return 0;
}
