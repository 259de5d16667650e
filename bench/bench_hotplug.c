// SPDX-License-Identifier: MIT
/*
 * bench_hotplug.c - how fast the core does the things that matter.
 *
 *   bench_hotplug [descriptor|free-block|migrate|scaling|vmem|create|all] [--quick]
 *                 [--size GiB]... [--checker on|off] [--phases] [--threads 1|2]
 *
 * Every number is reported next to a baseline measured in the same run,
 * because these machines are noisy: a ratio survives, an absolute number
 * does not. Results go to docs/performance.md with the command line.
 *
 *   descriptor  bytes per page descriptor, against Linux's struct page
 *   free-block  offline + online of a free 128 MiB block; baseline: one
 *               memset of the block's descriptors (the least any per-page
 *               scheme must do)
 *   migrate     offline of a block half full of movable pages; baseline:
 *               memcpy of the same bytes between warm buffers; wall and
 *               the thread's CPU time (a busy host preempts the thread
 *               for milliseconds at a time: CPU time leaves that out)
 *   scaling     per-block offline + online cost as the machine grows from
 *               1 GiB to 1 TiB of online memory; baseline: the 1 GiB cost
 *   vmem        virtio-mem end to end (driver, device requests, online,
 *               offline, add, remove, discard): plug from 0 to SIZE and
 *               unplug back to 0 of free movable memory, with the checker
 *               after every operation off and on; baseline: a memset of
 *               16 bytes per page (--size GiB, repeatable; --checker on|off;
 *               --phases: where an unplug spends its time)
 *   create      a machine with SIZE of virtio-mem plugged and online: time
 *               and peak RSS (run it on its own)
 *   migrate --threads 2: two machines migrating at once
 */
#include <memhp/memhp.h>
#include <memhp/virtio_mem.h>
#include <memhp/virtio_mem_driver.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#define LINUX_STRUCT_PAGE_SIZE 64
#define DESCRIPTOR_SIZE 16 /* _Static_assert'ed in the core */
#define REPEATS 15
#define QUICK_REPEATS 3
#define HOT_BASE (4 * MEMHP_GiB)
/* Room for the hot-added blocks, and small enough for valgrind. */
#define SMALL_PHYS (8 * MEMHP_GiB)
/* virtio-mem: the device region starts here, the device block is QEMU's
 * default, and the address space leaves room for 1 TiB of it. */
#define VMEM_ADDR (128 * MEMHP_GiB)
#define VMEM_BLOCK (2 * MEMHP_MiB)
#define VMEM_PHYS (2 * MEMHP_TiB)
#define VMEM_MAX_SIZES 8
#define VMEM_REPEATS 3
#define MIGRATE_MAX_THREADS 2

static int repeats = REPEATS;

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* The calling thread's CPU time, its page faults included: what a run
 * costs when other jobs take the cores away from it now and then. */
static double cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* Wall and CPU time of one stretch. */
struct span {
	double wall, cpu;
};

static struct span span_begin(void)
{
	return (struct span){ now_ns(), cpu_ns() };
}

static struct span span_end(struct span s)
{
	return (struct span){ now_ns() - s.wall, cpu_ns() - s.cpu };
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* Medians of wall and CPU times, each on its own. */
static struct span span_median(struct span *v, int n)
{
	double w[REPEATS], c[REPEATS];

	for (int i = 0; i < n; i++) {
		w[i] = v[i].wall;
		c[i] = v[i].cpu;
	}
	return (struct span){ median(w, n), median(c, n) };
}

static struct memhp_machine *machine(uint64_t boot_ram, uint64_t phys)
{
	struct memhp_config cfg;
	struct memhp_machine *m;

	memhp_config_init(&cfg, boot_ram);
	cfg.phys_size = phys;
	if (memhp_machine_create(&cfg, &m)) {
		fprintf(stderr, "bench: cannot create a machine: %s\n", memhp_config_error());
		exit(1);
	}
	return m;
}

static void bench_descriptor(void)
{
	printf("descriptor: %d bytes per 4 KiB page (Linux: %d) = %.2f%% of memory "
	       "(Linux: %.2f%%); ratio %.2fx smaller\n",
	       DESCRIPTOR_SIZE, LINUX_STRUCT_PAGE_SIZE, 100.0 * DESCRIPTOR_SIZE / 4096,
	       100.0 * LINUX_STRUCT_PAGE_SIZE / 4096,
	       (double)LINUX_STRUCT_PAGE_SIZE / DESCRIPTOR_SIZE);
}

static void bench_free_block(void)
{
	struct memhp_machine *m = machine(1 * MEMHP_GiB, SMALL_PHYS);
	const unsigned long id = HOT_BASE / (128 * MEMHP_MiB);
	const size_t desc_bytes = memhp_pages_per_block(m) * DESCRIPTOR_SIZE;
	double off[REPEATS], on[REPEATS], base[REPEATS], t0;
	char *buf = malloc(desc_bytes);

	memhp_add_memory(m, 0, HOT_BASE, memhp_block_size(m), 0);
	memhp_block_online(m, id, MEMHP_MMOP_ONLINE_MOVABLE);
	memset(buf, 1, desc_bytes);
	for (int i = 0; i < repeats; i++) {
		t0 = now_ns();
		if (memhp_block_offline(m, id))
			exit(1);
		off[i] = now_ns() - t0;
		t0 = now_ns();
		if (memhp_block_online(m, id, MEMHP_MMOP_ONLINE_MOVABLE))
			exit(1);
		on[i] = now_ns() - t0;
		t0 = now_ns();
		memset(buf, i, desc_bytes);
		__asm__ volatile("" ::"r"(buf) : "memory");
		base[i] = now_ns() - t0;
	}
	{
		double o = median(off, repeats), n = median(on, repeats), b = median(base, repeats);
		double gib = (double)memhp_block_size(m) / MEMHP_GiB;

		printf("free-block: offline %.1f us (%.0f GiB/s), online %.1f us (%.0f GiB/s), "
		       "offline+online %.1f us; baseline memset of %zu KiB of descriptors %.1f us; "
		       "ratio %.1fx the baseline\n",
		       o / 1e3, gib / (o / 1e9), n / 1e3, gib / (n / 1e9), (o + n) / 1e3,
		       desc_bytes >> 10, b / 1e3, (o + n) / b);
	}
	free(buf);
	memhp_machine_destroy(m);
}

struct migrate_run {
	double mig, cpy;	 /* medians of wall time, ns */
	double mig_cpu, cpy_cpu; /* medians of the thread's CPU time, ns */
	unsigned long moved;
};

/* One thread's offline of a block half full of data, on its own machine,
 * and its memcpy of the same bytes, each repetition one after the other. */
static void *migrate_thread(void *arg)
{
	struct migrate_run *run = arg;
	struct memhp_machine *m = machine(1 * MEMHP_GiB, SMALL_PHYS);
	const unsigned long id = HOT_BASE / (128 * MEMHP_MiB);
	const unsigned long half = memhp_pages_per_block(m) / 2;
	struct span mig[REPEATS], cpy[REPEATS], t;
	unsigned long moved = 0;
	struct memhp_data *d;
	size_t bytes = half * MEMHP_PAGE_SIZE;
	char *src = malloc(bytes), *dst = malloc(bytes);

	memhp_add_memory(m, 0, HOT_BASE, 2 * memhp_block_size(m), 0);
	memhp_block_online(m, id + 1, MEMHP_MMOP_ONLINE_MOVABLE);
	memhp_data_create(m, &d);
	/* Warm every page of the target block once: a guest that has run for
	 * a while has touched its memory; the first touch of host memory is
	 * the host's cost, not the algorithm's. */
	memhp_data_free(d, memhp_data_alloc(d, ~0UL >> 1, 0));
	memset(src, 1, bytes);
	memset(dst, 2, bytes);
	for (int i = 0; i < repeats; i++) {
		unsigned long before;

		memhp_block_online(m, id, MEMHP_MMOP_ONLINE_MOVABLE);
		/* Fill both blocks, then empty the neighbour (the targets) and
		 * every other page of the victim: half of it holds data. */
		memhp_data_alloc(d, 4 * half, 0);
		memhp_data_free_range(d, (id + 1) * 2 * half, (id + 2) * 2 * half, ~0UL);
		memhp_data_free_range(d, id * 2 * half, (id + 1) * 2 * half, half);
		before = memhp_data_nr_migrated(d);
		t = span_begin();
		if (memhp_block_offline(m, id)) {
			fprintf(stderr, "bench: offline failed\n");
			exit(1);
		}
		mig[i] = span_end(t);
		moved = memhp_data_nr_migrated(d) - before;
		memhp_data_free(d, ~0UL >> 1);
		t = span_begin();
		memcpy(dst, src, moved * MEMHP_PAGE_SIZE);
		__asm__ volatile("" ::"r"(dst) : "memory");
		cpy[i] = span_end(t);
	}
	{
		struct span mm = span_median(mig, repeats), cm = span_median(cpy, repeats);

		run->mig = mm.wall;
		run->cpy = cm.wall;
		run->mig_cpu = mm.cpu;
		run->cpy_cpu = cm.cpu;
	}
	run->moved = moved;
	if (memhp_data_verify(d, NULL))
		fprintf(stderr, "bench: checksum mismatch!\n");
	memhp_data_destroy(d);
	free(src);
	free(dst);
	memhp_machine_destroy(m);
	return NULL;
}

/*
 * @threads threads at once, each migrating on its own machine and copying
 * with memcpy in turn: with two, they share the memory bus and the cores
 * as two guests' offlines would.
 */
static void bench_migrate(int threads)
{
	struct migrate_run run[MIGRATE_MAX_THREADS] = { 0 };
	pthread_t tid[MIGRATE_MAX_THREADS];

	for (int i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, migrate_thread, &run[i]);
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	for (int i = 0; i < threads; i++) {
		double t = run[i].mig, c = run[i].cpy;
		double gib = (double)run[i].moved * MEMHP_PAGE_SIZE / MEMHP_GiB;

		printf("migrate: %d thread%s, #%d: offline moved %lu pages (%.0f MiB) in %.2f ms = "
		       "%.1f GiB/s; baseline memcpy %.1f GiB/s; ratio %.2f of memcpy (CPU time: "
		       "%.2f ms, memcpy %.2f ms, ratio %.2f)\n",
		       threads, threads > 1 ? "s" : "", i, run[i].moved, gib * 1024, t / 1e6,
		       gib / (t / 1e9), gib / (c / 1e9), c / t, run[i].mig_cpu / 1e6,
		       run[i].cpy_cpu / 1e6, run[i].cpy_cpu / run[i].mig_cpu);
	}
}

/* Grow a machine to @online bytes of hot-added online memory, then time
 * offline + online of a block in its middle. */
static double per_block_cost(uint64_t online)
{
	/* The memmap of hot-added memory is charged to boot memory: 1 TiB
	 * needs 16 GiB of it. Untouched simulated memory costs no host RAM. */
	uint64_t boot = online / 64 + 2 * MEMHP_GiB;
	struct memhp_machine *m = machine(boot, 2 * MEMHP_TiB);
	const uint64_t base = 64 * MEMHP_GiB;
	const unsigned long nr = (unsigned long)(online / (128 * MEMHP_MiB));
	const unsigned long first = (unsigned long)(base / (128 * MEMHP_MiB));
	const unsigned long victim = first + nr / 2;
	double v[REPEATS], t0;

	if (memhp_add_memory(m, 0, base, online, 0)) {
		fprintf(stderr, "bench: cannot add %llu bytes\n", (unsigned long long)online);
		exit(1);
	}
	for (unsigned long i = 0; i < nr; i++)
		memhp_block_online(m, first + i, MEMHP_MMOP_ONLINE_MOVABLE);
	for (int i = 0; i < repeats; i++) {
		t0 = now_ns();
		if (memhp_block_offline(m, victim) ||
		    memhp_block_online(m, victim, MEMHP_MMOP_ONLINE_MOVABLE))
			exit(1);
		v[i] = now_ns() - t0;
	}
	memhp_machine_destroy(m);
	return median(v, repeats);
}

static void bench_scaling(bool quick)
{
	const uint64_t sizes[] = { 1 * MEMHP_GiB, 16 * MEMHP_GiB, 256 * MEMHP_GiB, 1 * MEMHP_TiB };
	const int n = quick ? 3 : 4;
	double base = 0;

	for (int i = 0; i < n; i++) {
		double c = per_block_cost(sizes[i]);

		if (!i)
			base = c;
		printf("scaling: %5llu GiB online: offline+online of one block %.1f us; "
		       "ratio %.2f of the 1 GiB cost\n",
		       (unsigned long long)(sizes[i] / MEMHP_GiB), c / 1e3, c / base);
	}
}

/* ---- virtio-mem end to end ------------------------------------------------ */

struct vmem_rig {
	struct memhp_machine *m;
	struct memhp_vmem_dev *dev;
	struct memhp_vmem_drv *drv;
};

/*
 * A guest with @size of virtio-mem region, auto_online_blocks
 * online_movable, a sync driver (its work runs on this thread when asked,
 * as the Lua scenarios run it), the checker after every operation if
 * @check. Boot memory is sized to pay for the memmap of all of it (64
 * bytes per page charged to the simulated kernel). No guest kernel model
 * (memhp_guest_create() is not called): the C API's default.
 */
static void vmem_rig_up(struct vmem_rig *r, uint64_t size, bool check)
{
	struct memhp_config cfg;
	struct memhp_vmem_dev_config dc = {
		.id = "vm0",
		.addr = VMEM_ADDR,
		.region_size = size,
		.block_size = VMEM_BLOCK,
	};
	struct memhp_vmem_drv_params p;

	memhp_config_init(&cfg, size / 64 + 2 * MEMHP_GiB);
	cfg.phys_size = VMEM_PHYS;
	cfg.auto_online_blocks = MEMHP_MMOP_ONLINE_MOVABLE;
	cfg.check_after_ops = check;
	if (memhp_machine_create(&cfg, &r->m)) {
		fprintf(stderr, "bench: cannot create a machine: %s\n", memhp_config_error());
		exit(1);
	}
	if (memhp_vmem_dev_create(r->m, &dc, &r->dev)) {
		fprintf(stderr, "bench: cannot create the virtio-mem device\n");
		exit(1);
	}
	memhp_vmem_drv_params_init(&p);
	p.sync = true;
	if (memhp_vmem_drv_probe(r->m, r->dev, &p, &r->drv)) {
		fprintf(stderr, "bench: cannot probe the virtio-mem driver\n");
		exit(1);
	}
	memhp_vmem_drv_process(r->drv);
}

static void vmem_rig_down(struct vmem_rig *r)
{
	memhp_vmem_drv_remove(r->drv);
	memhp_vmem_dev_destroy(r->dev);
	memhp_machine_destroy(r->m);
}

/*
 * --phases: where an unplug spends its time, by the trace event that
 * opened each stretch on this thread (the tracer costs a clock read per
 * event; the shares, not the total, are what it is for).
 */
#define PHASE_SLOTS 64
static struct {
	pthread_t self;
	double last;
	const char *label;
	int kind;
	struct {
		const char *name;
		int kind;
		double ns;
		unsigned long n;
	} slot[PHASE_SLOTS];
} phases;

static void phase_event(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	double now = now_ns();
	int i;

	(void)m;
	(void)priv;
	if (!pthread_equal(pthread_self(), phases.self))
		return;
	for (i = 0; i < PHASE_SLOTS && phases.slot[i].name; i++)
		if (phases.slot[i].name == phases.label && phases.slot[i].kind == phases.kind)
			break;
	if (phases.label && i < PHASE_SLOTS) {
		phases.slot[i].name = phases.label;
		phases.slot[i].kind = phases.kind;
		phases.slot[i].ns += now - phases.last;
		phases.slot[i].n++;
	}
	phases.label = ev->type == MEMHP_TP_PRINTK ? "printk" : memhp_event_name(ev);
	phases.kind = ev->type;
	phases.last = now_ns();
}

static void phases_print(double total)
{
	static const char *const kinds[MEMHP_NR_EVENT_TYPES] = {
		[MEMHP_TP_OP_BEGIN] = "begin",
		[MEMHP_TP_OP_END] = "end",
		[MEMHP_TP_PHASE_BEGIN] = "phase",
		[MEMHP_TP_PHASE_END] = "phase end",
		[MEMHP_TP_NOTIFY_BEGIN] = "notify begin",
		[MEMHP_TP_NOTIFY_END] = "notify",
		[MEMHP_TP_MIGRATE_ROUND_BEGIN] = "round begin",
		[MEMHP_TP_MIGRATE_ROUND_END] = "round",
		[MEMHP_TP_PAGEBLOCK_ISOLATED] = "isolated",
		[MEMHP_TP_PAGEBLOCK_UNISOLATED] = "unisolated",
		[MEMHP_TP_PRINTK] = "message",
	};

	for (int i = 0; i < PHASE_SLOTS && phases.slot[i].name; i++)
		if (phases.slot[i].ns > total / 100)
			printf("vmem: phases: after %-12s %-32s %8.1f ms %5.1f%% (%lu)\n",
			       kinds[phases.slot[i].kind] ? kinds[phases.slot[i].kind] : "instant",
			       phases.slot[i].name, phases.slot[i].ns / 1e6,
			       100 * phases.slot[i].ns / total, phases.slot[i].n);
}

/* Ask for @size and let the driver work until it has it. */
static struct span vmem_resize(struct vmem_rig *r, uint64_t size)
{
	struct memhp_vmem_drv_info info;
	struct span t = span_begin();

	memhp_vmem_dev_set_requested_size(r->dev, size);
	memhp_vmem_dev_flush(r->dev);
	memhp_vmem_drv_process(r->drv);
	t = span_end(t);
	memhp_vmem_drv_info(r->drv, &info);
	if (info.plugged_size != size) {
		fprintf(stderr, "bench: plugged %llu MiB, wanted %llu MiB (last rc %d)\n",
			(unsigned long long)(info.plugged_size >> 20),
			(unsigned long long)(size >> 20), info.last_rc);
		exit(1);
	}
	return t;
}

/* The least any scheme must do: write 16 bytes for every page once. Cold:
 * into fresh host memory, as a plug must (the host faults it in); warm:
 * again, as an unplug finds it. */
static void descriptor_memset(uint64_t size, struct span *cold, struct span *warm)
{
	const size_t bytes = (size_t)(size / MEMHP_PAGE_SIZE) * DESCRIPTOR_SIZE;
	char *buf = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct span t;

	if (buf == MAP_FAILED) {
		fprintf(stderr, "bench: cannot map %zu bytes\n", bytes);
		exit(1);
	}
	t = span_begin();
	memset(buf, 1, bytes);
	__asm__ volatile("" ::"r"(buf) : "memory");
	*cold = span_end(t);
	t = span_begin();
	memset(buf, 2, bytes);
	__asm__ volatile("" ::"r"(buf) : "memory");
	*warm = span_end(t);
	munmap(buf, bytes);
}

static double gib_per_s(uint64_t size, double ns)
{
	return (double)size / MEMHP_GiB / (ns / 1e9);
}

/*
 * Plug @size of virtio-mem from 0 and unplug it back to 0, with the
 * checker off and on, against a memset of the descriptors in the same run.
 * Each size runs once per repetition (a 1 TiB run takes seconds).
 */
static void bench_vmem(const uint64_t *sizes, int nr_sizes, int reps, int only_check,
		       bool show_phases)
{
	printf("vmem: virtio-mem SBM, %llu MiB device blocks, auto_online_blocks=online_movable, "
	       "sync driver, guest kernel model off; median of %d; ms wall/CPU; ratios of CPU "
	       "times (memset: 16 B per page, cold into fresh memory for plug, warm for "
	       "unplug)\n",
	       (unsigned long long)(VMEM_BLOCK >> 20), reps);
	printf("vmem: %8s %7s %15s %15s %10s %10s %15s %15s %9s %9s\n", "size", "checker", "plug",
	       "unplug", "plug GiB/s", "unpl GiB/s", "memset cold", "memset warm", "plug/mset",
	       "unpl/mset");
	for (int i = 0; i < nr_sizes; i++) {
		struct span plug[2][REPEATS], unplug[2][REPEATS], replug[2][REPEATS];
		struct span cold[REPEATS], warm[REPEATS];
		struct span c, w, p[2], u[2], rp[2];

		for (int k = 0; k < reps; k++) {
			descriptor_memset(sizes[i], &cold[k], &warm[k]);
			for (int check = 0; check < 2; check++) {
				struct vmem_rig r;

				if (only_check >= 0 && check != only_check) {
					plug[check][k] = unplug[check][k] = replug[check][k] =
						(struct span){ 0, 0 };
					continue;
				}
				vmem_rig_up(&r, sizes[i], check);
				plug[check][k] = vmem_resize(&r, sizes[i]);
				if (show_phases) {
					memset(&phases, 0, sizeof(phases));
					phases.self = pthread_self();
					/* All of them: the device then answers
					 * on its own thread, as a traced run. */
					memhp_event_subscribe(r.m, MEMHP_EVENTS_ALL, phase_event,
							      NULL);
				}
				unplug[check][k] = vmem_resize(&r, 0);
				if (show_phases) {
					memhp_event_unsubscribe(r.m, phase_event, NULL);
					phases_print(unplug[check][k].wall);
				}
				/* The same size again: the removed sections'
				 * descriptors are still on the host. */
				replug[check][k] = vmem_resize(&r, sizes[i]);
				vmem_rig_down(&r);
			}
		}
		c = span_median(cold, reps);
		w = span_median(warm, reps);
		for (int check = 0; check < 2; check++) {
			p[check] = span_median(plug[check], reps);
			u[check] = span_median(unplug[check], reps);
			rp[check] = span_median(replug[check], reps);
			if (only_check >= 0 && check != only_check)
				continue;
			printf("vmem: %5llu GiB %7s %7.1f/%7.1f %7.1f/%7.1f %10.0f %10.0f "
			       "%7.1f/%7.1f %7.1f/%7.1f %8.2fx %8.2fx\n",
			       (unsigned long long)(sizes[i] / MEMHP_GiB), check ? "on" : "off",
			       p[check].wall / 1e6, p[check].cpu / 1e6, u[check].wall / 1e6,
			       u[check].cpu / 1e6, gib_per_s(sizes[i], p[check].wall),
			       gib_per_s(sizes[i], u[check].wall), c.wall / 1e6, c.cpu / 1e6,
			       w.wall / 1e6, w.cpu / 1e6, p[check].cpu / c.cpu,
			       u[check].cpu / w.cpu);
			printf("vmem: %5llu GiB %7s replug after the unplug: %.1f/%.1f ms, %.0f "
			       "GiB/s, "
			       "%.2fx the first plug (CPU)\n",
			       (unsigned long long)(sizes[i] / MEMHP_GiB), check ? "on" : "off",
			       rp[check].wall / 1e6, rp[check].cpu / 1e6,
			       gib_per_s(sizes[i], rp[check].wall), rp[check].cpu / p[check].cpu);
		}
		if (only_check < 0)
			printf("vmem: %5llu GiB checker on/off (CPU): plug %.2fx, unplug %.2fx; "
			       "(wall): plug %.2fx, unplug %.2fx\n",
			       (unsigned long long)(sizes[i] / MEMHP_GiB), p[1].cpu / p[0].cpu,
			       u[1].cpu / u[0].cpu, p[1].wall / p[0].wall, u[1].wall / u[0].wall);
	}
}

/* The process's peak resident set (VmHWM), in KiB. */
static long vm_hwm_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6))
			kib = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kib;
}

/*
 * create: a machine with @size of virtio-mem plugged and online, from
 * nothing: machine, device, driver, plug. Run it alone (nothing else in
 * the process), so that VmHWM is the machine's.
 */
static void bench_create(uint64_t size)
{
	struct vmem_rig r;
	struct span t = span_begin();

	vmem_rig_up(&r, size, false);
	vmem_resize(&r, size);
	t = span_end(t);
	printf("create: %llu GiB of virtio-mem plugged and online (checker off, guest kernel "
	       "model off): %.2f s wall, %.2f s CPU; peak RSS (VmHWM) %.2f GiB; memmap alone "
	       "%.2f GiB\n",
	       (unsigned long long)(size / MEMHP_GiB), t.wall / 1e9, t.cpu / 1e9,
	       (double)vm_hwm_kib() / (1024 * 1024),
	       (double)(size / MEMHP_PAGE_SIZE) * DESCRIPTOR_SIZE / MEMHP_GiB);
	vmem_rig_down(&r);
}

static const char usage[] =
	"usage: bench_hotplug [BENCHMARK] [--quick] [--size GiB]... [--checker on|off]\n"
	"                     [--phases] [--threads 1|2]\n"
	"\n"
	"How fast the core does what matters, each number next to a baseline measured\n"
	"in the same run. BENCHMARK (default all):\n"
	"  descriptor   bytes per page descriptor, against Linux's struct page\n"
	"  free-block   offline + online of a free 128 MiB block\n"
	"  migrate      offline of a block half full of movable pages\n"
	"  scaling      per-block offline + online cost, 1 GiB to 1 TiB online\n"
	"  vmem         virtio-mem plug to SIZE, unplug back to 0, plug again\n"
	"  create       a machine with SIZE of virtio-mem plugged (run it alone)\n"
	"  all          all of them but create\n"
	"\n"
	"options:\n"
	"  --quick             fewer repeats and sizes\n"
	"  --size GiB          vmem and create: the size (repeatable)\n"
	"  --checker on|off    vmem: only with the checker after each operation on, or off\n"
	"  --phases            vmem: where an unplug spends its time\n"
	"  --threads 1|2       migrate: 2 runs two machines migrating at once\n"
	"  -h, --help          this help\n"
	"\n"
	"docs/performance.md has the results and the command lines.\n";

static const char *const benchmarks[] = { "descriptor", "free-block", "migrate", "scaling",
					  "vmem",	"create",     "all",	 NULL };

/* Says what is wrong; returns 2, the exit status of bad usage. */
static int bad_usage(const char *fmt, const char *arg)
{
	fputs("bench_hotplug: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	static const uint64_t default_vmem_sizes[] = { 16 * MEMHP_GiB, 64 * MEMHP_GiB,
						       256 * MEMHP_GiB, 1 * MEMHP_TiB };
	uint64_t vmem_sizes[VMEM_MAX_SIZES];
	int nr_vmem_sizes = 0;
	const char *what = "all";
	bool quick = false;
	int only_check = -1;
	bool show_phases = false;
	int threads = 1;

	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];
		bool takes_value = !strcmp(opt, "--threads") || !strcmp(opt, "--checker") ||
				   !strcmp(opt, "--size");
		char *end;

		if (takes_value && i + 1 == argc)
			return bad_usage("%s needs a value", opt);
		if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(opt, "--quick")) {
			quick = true;
		} else if (!strcmp(opt, "--threads")) {
			if (strcmp(argv[++i], "1") && strcmp(argv[i], "2"))
				return bad_usage("--threads %s: 1 or 2", argv[i]);
			threads = !strcmp(argv[i], "2") ? MIGRATE_MAX_THREADS : 1;
		} else if (!strcmp(opt, "--phases")) {
			show_phases = true;
		} else if (!strcmp(opt, "--checker")) {
			if (strcmp(argv[++i], "on") && strcmp(argv[i], "off"))
				return bad_usage("--checker %s: on or off", argv[i]);
			only_check = !strcmp(argv[i], "on");
		} else if (!strcmp(opt, "--size")) {
			uint64_t gib = strtoull(argv[++i], &end, 0);

			if (!*argv[i] || *end || !gib || gib > MEMHP_TiB / MEMHP_GiB * 64)
				return bad_usage("--size %s: a number of GiB", argv[i]);
			if (nr_vmem_sizes == VMEM_MAX_SIZES)
				return bad_usage("--size %s: too many sizes", argv[i]);
			vmem_sizes[nr_vmem_sizes++] = gib * MEMHP_GiB;
		} else if (opt[0] == '-') {
			return bad_usage("unknown option '%s' (bench_hotplug --help lists them)",
					 opt);
		} else {
			bool known = false;

			for (const char *const *b = benchmarks; *b; b++)
				known |= !strcmp(*b, opt);
			if (!known)
				return bad_usage("unknown benchmark '%s' (bench_hotplug --help "
						 "lists them)",
						 opt);
			what = opt;
		}
	}
	if (quick)
		repeats = QUICK_REPEATS;
	if (!nr_vmem_sizes) {
		nr_vmem_sizes = quick ? 3 : 4;
		memcpy(vmem_sizes, default_vmem_sizes, sizeof(default_vmem_sizes));
	}
	if (!strcmp(what, "descriptor") || !strcmp(what, "all"))
		bench_descriptor();
	if (!strcmp(what, "free-block") || !strcmp(what, "all"))
		bench_free_block();
	if (!strcmp(what, "migrate") || !strcmp(what, "all"))
		bench_migrate(threads);
	if (!strcmp(what, "scaling") || !strcmp(what, "all"))
		bench_scaling(quick);
	if (!strcmp(what, "create"))
		bench_create(vmem_sizes[nr_vmem_sizes - 1]);
	if (!strcmp(what, "vmem") || !strcmp(what, "all"))
		bench_vmem(vmem_sizes, nr_vmem_sizes, quick ? 1 : VMEM_REPEATS, only_check,
			   show_phases);
	return 0;
}
