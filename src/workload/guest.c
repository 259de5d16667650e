// SPDX-License-Identifier: MIT
/*
 * guest.c - the guest kernel at work (memhp/guest.h): boot allocations,
 * an idle system's slab churn, programs and files.
 *
 * Built on the public API only (memhp/kernel.h), as the rest of a kernel
 * is built on the allocators. Objects whose time has come are freed in
 * expiry order from a min-heap; long-lived ones stay until the guest goes.
 */
#include "workload.h"

#include <memhp/guest.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- The caches ---------------------------------------------------------
 *
 * Object sizes as a Debian 6.1 amd64 guest's /proc/slabinfo shows them.
 * idle_weight is the share of an idle system's allocations the cache gets.
 */
enum guest_cache {
	GC_KMALLOC_32,
	GC_KMALLOC_64,
	GC_KMALLOC_128,
	GC_KMALLOC_192,
	GC_KMALLOC_256,
	GC_KMALLOC_512,
	GC_KMALLOC_1K,
	GC_KMALLOC_2K,
	GC_KMALLOC_4K,
	GC_KMALLOC_8K,
	GC_DENTRY,
	GC_INODE,
	GC_RADIX_TREE_NODE,
	GC_KERNFS_NODE,
	GC_TASK_STRUCT,
	GC_MM_STRUCT,
	GC_VM_AREA_STRUCT,
	GC_ANON_VMA,
	GC_ANON_VMA_CHAIN,
	GC_FILES_CACHE,
	GC_SIGNAL_CACHE,
	GC_SIGHAND_CACHE,
	GC_CRED_JAR,
	GC_PID,
	GC_FILP,
	GC_SKBUFF_HEAD,
	NR_GUEST_CACHES
};

static const struct guest_cache_def {
	const char *name;
	unsigned int size;
	bool reclaimable;
	unsigned int idle_weight;
} cache_defs[NR_GUEST_CACHES] = {
	[GC_KMALLOC_32] = { "kmalloc-32", 32, false, 14 },
	[GC_KMALLOC_64] = { "kmalloc-64", 64, false, 16 },
	[GC_KMALLOC_128] = { "kmalloc-128", 128, false, 8 },
	[GC_KMALLOC_192] = { "kmalloc-192", 192, false, 6 },
	[GC_KMALLOC_256] = { "kmalloc-256", 256, false, 6 },
	[GC_KMALLOC_512] = { "kmalloc-512", 512, false, 6 },
	[GC_KMALLOC_1K] = { "kmalloc-1k", 1024, false, 4 },
	[GC_KMALLOC_2K] = { "kmalloc-2k", 2048, false, 2 },
	[GC_KMALLOC_4K] = { "kmalloc-4k", 4096, false, 2 },
	[GC_KMALLOC_8K] = { "kmalloc-8k", 8192, false, 1 },
	[GC_DENTRY] = { "dentry", 192, true, 8 },
	[GC_INODE] = { "inode_cache", 600, true, 2 },
	[GC_RADIX_TREE_NODE] = { "radix_tree_node", 576, true, 3 },
	[GC_KERNFS_NODE] = { "kernfs_node_cache", 128, false, 2 },
	[GC_TASK_STRUCT] = { "task_struct", 9792, false, 0 },
	[GC_MM_STRUCT] = { "mm_struct", 1152, false, 0 },
	[GC_VM_AREA_STRUCT] = { "vm_area_struct", 200, false, 6 },
	[GC_ANON_VMA] = { "anon_vma", 104, false, 2 },
	[GC_ANON_VMA_CHAIN] = { "anon_vma_chain", 64, false, 3 },
	[GC_FILES_CACHE] = { "files_cache", 704, false, 0 },
	[GC_SIGNAL_CACHE] = { "signal_cache", 1152, false, 0 },
	[GC_SIGHAND_CACHE] = { "sighand_cache", 2112, false, 0 },
	[GC_CRED_JAR] = { "cred_jar", 192, false, 1 },
	[GC_PID] = { "pid", 128, false, 0 },
	[GC_FILP] = { "filp", 256, false, 6 },
	[GC_SKBUFF_HEAD] = { "skbuff_head_cache", 256, false, 4 },
};

/* What one fork + exec of a dynamically linked program holds until it
 * exits, beyond its stack and page tables: objects per cache. */
static const struct {
	enum guest_cache cache;
	unsigned int nr;
} fork_objects[] = {
	{ GC_MM_STRUCT, 1 },	   { GC_SIGNAL_CACHE, 1 },
	{ GC_SIGHAND_CACHE, 1 },   { GC_FILES_CACHE, 1 },
	{ GC_CRED_JAR, 1 },	   { GC_PID, 1 },
	{ GC_VM_AREA_STRUCT, 16 }, { GC_ANON_VMA, 4 },
	{ GC_ANON_VMA_CHAIN, 8 },  { GC_FILP, 3 },
	{ GC_KMALLOC_64, 2 },	   { GC_KMALLOC_512, 1 },
};
/* Per thread: the task_struct (the stack is counted apart). */
#define FORK_OBJECTS_MAX 64

/* A boot's objects, by cache, for what the config asks in KiB: the
 * reclaimable part in dentries, inodes and radix tree nodes, the rest in
 * the unreclaimable caches by their idle weights. */

/* ---- Time-ordered objects ---------------------------------------------- */

struct timed_obj {
	uint64_t expires_ms;
	uint64_t addr;
	uint8_t cache;
};

struct obj_vec {
	struct {
		uint64_t addr;
		uint8_t cache;
	} * v;
	unsigned long nr, cap;
};

/* x86_64's pgd_alloc() and pud_alloc_one(): a page each, from the page
 * allocator without a page-table constructor, so they carry no flag and
 * do not count in PageTables (the PMD and PTE pages do). */
#define TOP_LEVEL_TABLES 2
/* NR_CACHED_STACKS: freed stacks kernel/fork.c keeps per CPU for the next
 * fork. */
#define NR_CACHED_STACKS 2

struct memhp_guest_task {
	struct memhp_guest *g;
	struct memhp_guest_task *prev, *next;
	struct memhp_page *top_tables[TOP_LEVEL_TABLES];
	unsigned int threads;
	struct memhp_thread_stack *stacks;
	uint64_t *task_structs;
	struct memhp_page **page_tables;
	unsigned long nr_page_tables;
	uint32_t *anon_slots; /* in g->anon */
	unsigned long nr_anon;
	uint64_t objs[FORK_OBJECTS_MAX];
	uint8_t obj_cache[FORK_OBJECTS_MAX];
	unsigned int nr_objs;
};

struct memhp_guest {
	struct memhp_machine *m;
	struct memhp_guest_config cfg;
	struct memhp_kmem_cache *caches[NR_GUEST_CACHES];
	struct memhp_data *anon; /* the programs' anonymous memory */
	unsigned int idle_weight_total;

	pthread_mutex_t lock; /* everything below */
	uint64_t rng[4];
	uint64_t now_ms;
	double pending_objects; /* fractions carried from one step to the next */
	double pending_tasks;
	struct timed_obj *heap;
	unsigned long heap_nr, heap_cap;
	struct obj_vec forever;
	struct obj_vec files;
	struct memhp_guest_task *tasks; /* running programs */
	/* Freed stacks kept for the next fork, as the vmalloc'd stacks of
	 * exited tasks are: their pages stay allocated, counted nowhere. */
	struct memhp_thread_stack *stack_cache;
	unsigned int nr_cached_stacks, max_cached_stacks;
	/* Background programs and when they end. */
	struct {
		struct memhp_guest_task *t;
		uint64_t ends_ms;
	} * bg;
	unsigned long bg_nr, bg_cap;
	unsigned long nr_tasks;
	unsigned long nr_anon;
	unsigned long long allocated;
	unsigned long alloc_failures;

	pthread_t thread;
	bool running;
	_Atomic bool stop;
	pthread_mutex_t wait_lock;
	pthread_cond_t wait_cond;
};

/* The key under which the machine finds its guest. */
static const char guest_key;

/* Bounds of the config; limits a user could mistype past. */
#define GUEST_MAX_OBJECTS_PER_SEC 10000000u
#define GUEST_MAX_TASKS_PER_MIN 60000u
#define GUEST_PPM 1000000u
#define GUEST_MAX_CHURN 100u
#define GUEST_MAX_TICK_MS 1000u
/* A small daemon's page tables: top level, and one table at each level
 * for its text, heap and stack. */
#define BACKGROUND_TASK_PAGE_TABLES 4
/* ... and its anonymous memory: a busybox program's, as measured. */
#define BACKGROUND_TASK_ANON_PAGES 13
/* Dentry + inode per file. */
#define GUEST_FILE_OBJECTS 2

void memhp_guest_config_init(struct memhp_guest_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	/* A Debian 6.1 guest booted under QEMU into a small userland, as
	 * measured (docs/linux-comparison.md, case d). */
	cfg->boot_sreclaimable_kb = 8760;
	cfg->boot_sunreclaim_kb = 6160;
	cfg->boot_kernel_stack_kb = 760;
	cfg->boot_page_tables_kb = 80;
	cfg->boot_anon_kb = 180;
	cfg->boot_churn = 3;
	/* Idle, the same guest's MemFree does not move for 31 s and its slab
	 * grows by a page or so: the churn is served by partial slabs. */
	cfg->idle_objects_per_sec = 200;
	cfg->idle_long_lived_ppm = 500;
	cfg->background_tasks_per_min = 1;
	cfg->background_task_ms = 200;
	cfg->lifetime_min_ms = 1;
	cfg->lifetime_max_ms = 120 * 1000;
	cfg->tick_ms = 10;
}

void memhp_guest_config_quiet(struct memhp_guest_config *cfg)
{
	memhp_guest_config_init(cfg);
	cfg->boot_sreclaimable_kb = cfg->boot_sunreclaim_kb = 0;
	cfg->boot_kernel_stack_kb = cfg->boot_page_tables_kb = 0;
	cfg->boot_anon_kb = 0;
	cfg->idle_objects_per_sec = 0;
	cfg->background_tasks_per_min = 0;
}

static int config_check(const struct memhp_guest_config *c)
{
	if (c->idle_objects_per_sec > GUEST_MAX_OBJECTS_PER_SEC ||
	    c->idle_long_lived_ppm > GUEST_PPM ||
	    c->background_tasks_per_min > GUEST_MAX_TASKS_PER_MIN ||
	    c->boot_churn > GUEST_MAX_CHURN || !c->lifetime_min_ms ||
	    c->lifetime_max_ms < c->lifetime_min_ms || !c->tick_ms ||
	    c->tick_ms > GUEST_MAX_TICK_MS)
		return -EINVAL;
	return 0;
}

/* ---- Randomness (xoshiro256**, the guest's own stream) -------------------- */

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t next_u64(struct memhp_guest *g)
{
	uint64_t *s = g->rng, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

/* Uniform in [0, 1). */
static double next_unit(struct memhp_guest *g)
{
	return (double)(next_u64(g) >> 11) * 0x1.0p-53;
}

static enum guest_cache pick_idle_cache(struct memhp_guest *g)
{
	unsigned int r = (unsigned int)(next_u64(g) % g->idle_weight_total);

	for (int i = 0; i < NR_GUEST_CACHES; i++) {
		if (r < cache_defs[i].idle_weight)
			return (enum guest_cache)i;
		r -= cache_defs[i].idle_weight;
	}
	return GC_KMALLOC_64;
}

/* ---- Object stores --------------------------------------------------------- */

static bool vec_push(struct obj_vec *v, uint64_t addr, uint8_t cache)
{
	if (v->nr == v->cap) {
		unsigned long cap = v->cap ? v->cap * 2 : 256;
		void *n = realloc(v->v, cap * sizeof(*v->v));

		if (!n)
			return false;
		v->v = n;
		v->cap = cap;
	}
	v->v[v->nr].addr = addr;
	v->v[v->nr].cache = cache;
	v->nr++;
	return true;
}

static bool heap_push(struct memhp_guest *g, struct timed_obj o)
{
	unsigned long i;

	if (g->heap_nr == g->heap_cap) {
		unsigned long cap = g->heap_cap ? g->heap_cap * 2 : 1024;
		struct timed_obj *n = realloc(g->heap, cap * sizeof(*n));

		if (!n)
			return false;
		g->heap = n;
		g->heap_cap = cap;
	}
	for (i = g->heap_nr++; i && g->heap[(i - 1) / 2].expires_ms > o.expires_ms; i = (i - 1) / 2)
		g->heap[i] = g->heap[(i - 1) / 2];
	g->heap[i] = o;
	return true;
}

static struct timed_obj heap_pop(struct memhp_guest *g)
{
	struct timed_obj top = g->heap[0], last = g->heap[--g->heap_nr];
	unsigned long i = 0;

	for (;;) {
		unsigned long c = 2 * i + 1;

		if (c >= g->heap_nr)
			break;
		if (c + 1 < g->heap_nr && g->heap[c + 1].expires_ms < g->heap[c].expires_ms)
			c++;
		if (g->heap[c].expires_ms >= last.expires_ms)
			break;
		g->heap[i] = g->heap[c];
		i = c;
	}
	if (g->heap_nr)
		g->heap[i] = last;
	return top;
}

/* Allocate one object of @cache. Caller holds g->lock. 0 on failure. */
static uint64_t obj_alloc(struct memhp_guest *g, enum guest_cache cache)
{
	uint64_t addr = memhp_kmem_cache_alloc(g->caches[cache]);

	if (addr)
		g->allocated++;
	else
		g->alloc_failures++;
	return addr;
}

/* A short life, spread evenly on a log scale between the bounds. */
static uint64_t draw_lifetime_ms(struct memhp_guest *g)
{
	double lo = log((double)g->cfg.lifetime_min_ms), hi = log((double)g->cfg.lifetime_max_ms);

	return (uint64_t)exp(lo + (hi - lo) * next_unit(g));
}

/* Free what has expired by now. Caller holds g->lock. */
static void expire(struct memhp_guest *g)
{
	while (g->heap_nr && g->heap[0].expires_ms <= g->now_ms) {
		struct timed_obj o = heap_pop(g);

		memhp_kmem_cache_free(g->caches[o.cache], o.addr);
	}
}

/* ---- Programs ------------------------------------------------------------- */

/* alloc_thread_stack_node(): a cached stack if there is one. */
static int stack_get(struct memhp_guest *g, struct memhp_thread_stack *st)
{
	if (!g->nr_cached_stacks)
		return memhp_alloc_thread_stack(g->m, st);
	*st = g->stack_cache[--g->nr_cached_stacks];
	memhp_account_kernel_stack(g->m, st, 1);
	return 0;
}

/* free_thread_stack(): into the cache while it has room. */
static void stack_put(struct memhp_guest *g, struct memhp_thread_stack *st)
{
	if (g->nr_cached_stacks == g->max_cached_stacks) {
		memhp_free_thread_stack(g->m, st);
		return;
	}
	memhp_account_kernel_stack(g->m, st, -1);
	g->stack_cache[g->nr_cached_stacks++] = *st;
}

static void task_release(struct memhp_guest *g, struct memhp_guest_task *t)
{
	for (unsigned int i = 0; i < t->nr_objs; i++)
		memhp_kmem_cache_free(g->caches[t->obj_cache[i]], t->objs[i]);
	for (unsigned int i = 0; i < t->threads; i++) {
		if (t->task_structs[i])
			memhp_kmem_cache_free(g->caches[GC_TASK_STRUCT], t->task_structs[i]);
		if (t->stacks[i].pages[0])
			stack_put(g, &t->stacks[i]);
	}
	for (unsigned long i = 0; i < t->nr_page_tables; i++)
		memhp_pte_free(t->page_tables[i]);
	for (int i = 0; i < TOP_LEVEL_TABLES; i++)
		if (t->top_tables[i])
			memhp_put_page(t->top_tables[i]);
	if (t->nr_anon)
		memhp_data_free_slots(g->anon, t->anon_slots, t->nr_anon);
	free(t->anon_slots);
	free(t->stacks);
	free(t->task_structs);
	free(t->page_tables);
	free(t);
}

/* A program (@user) or a kernel thread, which has no mm: no page
 * tables, none of what exec sets up. Caller holds g->lock. */
static struct memhp_guest_task *task_create(struct memhp_guest *g, unsigned int threads,
					    unsigned long page_table_pages,
					    unsigned long anon_pages, bool user)
{
	struct memhp_guest_task *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->g = g;
	t->threads = threads ? threads : 1;
	t->stacks = calloc(t->threads, sizeof(*t->stacks));
	t->task_structs = calloc(t->threads, sizeof(*t->task_structs));
	page_table_pages = user ? MAX(page_table_pages, 1UL) : 0;
	t->page_tables = calloc(page_table_pages + 1, sizeof(*t->page_tables));
	if (!t->stacks || !t->task_structs || !t->page_tables)
		goto fail;
	for (unsigned int i = 0; i < t->threads; i++) {
		t->task_structs[i] = obj_alloc(g, GC_TASK_STRUCT);
		if (!t->task_structs[i] || stack_get(g, &t->stacks[i]))
			goto fail;
	}
	for (int i = 0; user && i < TOP_LEVEL_TABLES; i++) {
		t->top_tables[i] = memhp_alloc_pages(g->m, MEMHP_GFP_KERNEL | MEMHP___GFP_ZERO, 0);
		if (!t->top_tables[i])
			goto fail;
	}
	for (size_t k = 0; user && k < sizeof(fork_objects) / sizeof(fork_objects[0]); k++)
		for (unsigned int i = 0; i < fork_objects[k].nr && t->nr_objs < FORK_OBJECTS_MAX;
		     i++) {
			uint64_t o = obj_alloc(g, fork_objects[k].cache);

			if (!o)
				goto fail;
			t->obj_cache[t->nr_objs] = (uint8_t)fork_objects[k].cache;
			t->objs[t->nr_objs++] = o;
		}
	for (; t->nr_page_tables < page_table_pages; t->nr_page_tables++) {
		t->page_tables[t->nr_page_tables] = memhp_pte_alloc_one(g->m);
		if (!t->page_tables[t->nr_page_tables])
			goto fail;
	}
	/* Its anonymous memory, what the machine can give: GFP_HIGHUSER_MOVABLE,
	 * ZONE_MOVABLE first. */
	if (user && anon_pages) {
		t->anon_slots = calloc(anon_pages, sizeof(*t->anon_slots));
		if (t->anon_slots)
			t->nr_anon = memhp_data_alloc_slots(g->anon, anon_pages, 0, t->anon_slots);
		g->nr_anon += t->nr_anon;
	}
	t->next = g->tasks;
	if (g->tasks)
		g->tasks->prev = t;
	g->tasks = t;
	g->nr_tasks++;
	return t;
fail:
	g->alloc_failures++;
	task_release(g, t);
	return NULL;
}

/* Caller holds g->lock. */
static void task_exit(struct memhp_guest *g, struct memhp_guest_task *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		g->tasks = t->next;
	if (t->next)
		t->next->prev = t->prev;
	g->nr_tasks--;
	g->nr_anon -= t->nr_anon;
	task_release(g, t);
}

struct memhp_guest_task *memhp_guest_fork(struct memhp_guest *g, unsigned int threads,
					  unsigned long page_table_pages, unsigned long anon_pages)
{
	struct memhp_guest_task *t;

	pthread_mutex_lock(&g->lock);
	t = task_create(g, threads, page_table_pages, anon_pages, true);
	pthread_mutex_unlock(&g->lock);
	return t;
}

void memhp_guest_exit(struct memhp_guest_task *t)
{
	struct memhp_guest *g;

	if (!t)
		return;
	g = t->g;
	pthread_mutex_lock(&g->lock);
	task_exit(g, t);
	pthread_mutex_unlock(&g->lock);
}

/* ---- Files --------------------------------------------------------------- */

void memhp_guest_file_created(struct memhp_guest *g)
{
	static const enum guest_cache kinds[GUEST_FILE_OBJECTS] = { GC_DENTRY, GC_INODE };

	pthread_mutex_lock(&g->lock);
	for (int i = 0; i < GUEST_FILE_OBJECTS; i++) {
		uint64_t o = obj_alloc(g, kinds[i]);

		if (o && !vec_push(&g->files, o, (uint8_t)kinds[i]))
			memhp_kmem_cache_free(g->caches[kinds[i]], o);
	}
	pthread_mutex_unlock(&g->lock);
}

void memhp_guest_file_removed(struct memhp_guest *g)
{
	pthread_mutex_lock(&g->lock);
	/* Which file's objects go does not matter: pick one at random, as
	 * files are removed in no order the slabs care about. */
	for (int i = 0; i < GUEST_FILE_OBJECTS && g->files.nr; i++) {
		unsigned long k = next_u64(g) % g->files.nr;

		memhp_kmem_cache_free(g->caches[g->files.v[k].cache], g->files.v[k].addr);
		g->files.v[k] = g->files.v[--g->files.nr];
	}
	pthread_mutex_unlock(&g->lock);
}

/* ---- The idle system ------------------------------------------------------ */

/* One step of @ms. Caller holds g->lock. */
static void step(struct memhp_guest *g, unsigned long ms)
{
	unsigned long n;

	g->now_ms += ms;
	expire(g);
	for (unsigned long i = 0; i < g->bg_nr;) {
		if (g->bg[i].ends_ms <= g->now_ms) {
			task_exit(g, g->bg[i].t);
			g->bg[i] = g->bg[--g->bg_nr];
		} else {
			i++;
		}
	}

	g->pending_tasks += (double)g->cfg.background_tasks_per_min * (double)ms / 60000.0;
	for (; g->pending_tasks >= 1.0; g->pending_tasks -= 1.0) {
		struct memhp_guest_task *t;

		if (g->bg_nr == g->bg_cap) {
			unsigned long cap = g->bg_cap ? g->bg_cap * 2 : 16;
			void *nb = realloc(g->bg, cap * sizeof(*g->bg));

			if (!nb)
				break;
			g->bg = nb;
			g->bg_cap = cap;
		}
		t = task_create(g, 1, BACKGROUND_TASK_PAGE_TABLES, BACKGROUND_TASK_ANON_PAGES,
				true);
		if (t) {
			g->bg[g->bg_nr].t = t;
			g->bg[g->bg_nr++].ends_ms = g->now_ms + g->cfg.background_task_ms;
		}
	}

	g->pending_objects += (double)g->cfg.idle_objects_per_sec * (double)ms / 1000.0;
	n = (unsigned long)g->pending_objects;
	g->pending_objects -= (double)n;
	while (n--) {
		enum guest_cache c = pick_idle_cache(g);
		uint64_t o = obj_alloc(g, c);
		bool kept;

		if (!o)
			continue;
		if (next_u64(g) % GUEST_PPM < g->cfg.idle_long_lived_ppm)
			kept = vec_push(&g->forever, o, (uint8_t)c);
		else
			kept = heap_push(g, (struct timed_obj){ g->now_ms + draw_lifetime_ms(g), o,
								(uint8_t)c });
		if (!kept)
			memhp_kmem_cache_free(g->caches[c], o);
	}
}

void memhp_guest_advance(struct memhp_guest *g, unsigned long ms)
{
	pthread_mutex_lock(&g->lock);
	/* Days of activity take minutes: a signal stops them between ticks. */
	while (ms && !memhp_signal_pending()) {
		unsigned long d = MIN(ms, g->cfg.tick_ms);

		step(g, d);
		ms -= d;
	}
	pthread_mutex_unlock(&g->lock);
}

/* ---- Boot ------------------------------------------------------------------ */

/* Slab pages of the kind @reclaimable, in KiB. */
static unsigned long slab_kb(struct memhp_guest *g, bool reclaimable)
{
	return (unsigned long)memhp_vmstat(g->m, reclaimable ? MEMHP_NR_SLAB_RECLAIMABLE
							     : MEMHP_NR_SLAB_UNRECLAIMABLE) *
	       (MEMHP_PAGE_SIZE / 1024);
}

/*
 * Grow the slab of @caches (all of one kind) to @kb of slab pages, as
 * /proc/meminfo counts them, with long-lived objects; and allocate
 * boot_churn times as many short-lived ones in between, all freed again
 * at the end of each round: a boot allocates much more than it keeps, so
 * what it keeps lands wherever the allocator had pages at that moment,
 * and slabs end up partly used. Rounds go on until the freed churn leaves
 * @kb behind.
 */
static int boot_fill(struct memhp_guest *g, const enum guest_cache *caches, unsigned int nr_caches,
		     unsigned long kb)
{
	const bool reclaimable = cache_defs[caches[0]].reclaimable;
	struct obj_vec tmp = { 0 };
	int ret = 0;

	while (!ret && slab_kb(g, reclaimable) < kb) {
		while (slab_kb(g, reclaimable) < kb) {
			enum guest_cache c = caches[next_u64(g) % nr_caches];
			uint64_t o = obj_alloc(g, c);

			if (!o || !vec_push(&g->forever, o, (uint8_t)c)) {
				if (o)
					memhp_kmem_cache_free(g->caches[c], o);
				ret = -ENOMEM;
				break;
			}
			for (unsigned int i = 0; i < g->cfg.boot_churn; i++) {
				enum guest_cache t = caches[next_u64(g) % nr_caches];
				uint64_t x = obj_alloc(g, t);

				if (x && !vec_push(&tmp, x, (uint8_t)t))
					memhp_kmem_cache_free(g->caches[t], x);
			}
		}
		for (unsigned long i = 0; i < tmp.nr; i++)
			memhp_kmem_cache_free(g->caches[tmp.v[i].cache], tmp.v[i].addr);
		tmp.nr = 0;
	}
	free(tmp.v);
	return ret;
}

static int boot(struct memhp_guest *g)
{
	static const enum guest_cache reclaimable[] = { GC_DENTRY, GC_INODE, GC_RADIX_TREE_NODE };
	static const enum guest_cache unreclaimable[] = {
		GC_KMALLOC_32,	GC_KMALLOC_64,	GC_KMALLOC_128, GC_KMALLOC_192,
		GC_KMALLOC_256, GC_KMALLOC_512, GC_KMALLOC_1K,	GC_KMALLOC_2K,
		GC_KMALLOC_4K,	GC_KMALLOC_8K,	GC_KERNFS_NODE, GC_VM_AREA_STRUCT,
		GC_ANON_VMA,	GC_FILP,	GC_SKBUFF_HEAD, GC_ANON_VMA_CHAIN,
	};
	const unsigned long stack_kb = MEMHP_THREAD_STACK_PAGES * MEMHP_PAGE_SIZE / 1024;
	unsigned long kthreads = g->cfg.boot_kernel_stack_kb / stack_kb;
	unsigned long pt = g->cfg.boot_page_tables_kb * 1024 / MEMHP_PAGE_SIZE;
	int ret;

	/* Kernel threads first (they start early and never exit), then the
	 * first programs (init and the daemons: one task holds their page
	 * tables, and one of the stacks), then the caches fill up to what the
	 * config says. */
	if (pt && kthreads)
		kthreads--;
	for (unsigned long i = 0; i < kthreads; i++)
		if (!task_create(g, 1, 0, 0, false))
			return -ENOMEM;
	if (pt && !task_create(g, 1, pt, g->cfg.boot_anon_kb * 1024 / MEMHP_PAGE_SIZE, true))
		return -ENOMEM;
	/* The programs boot ran and that are gone: their stacks wait in the
	 * cache for the next fork. */
	for (unsigned int i = 0; pt && i < g->max_cached_stacks; i++) {
		struct memhp_guest_task *t = task_create(g, 1, 1, 0, true);

		if (!t)
			return -ENOMEM;
		task_exit(g, t);
	}
	ret = boot_fill(g, unreclaimable, sizeof(unreclaimable) / sizeof(unreclaimable[0]),
			g->cfg.boot_sunreclaim_kb);
	if (!ret)
		ret = boot_fill(g, reclaimable, sizeof(reclaimable) / sizeof(reclaimable[0]),
				g->cfg.boot_sreclaimable_kb);
	return ret;
}

/* ---- Lifecycle ------------------------------------------------------------- */

static void guest_free(struct memhp_guest *g)
{
	while (g->tasks)
		task_exit(g, g->tasks);
	while (g->heap_nr) {
		struct timed_obj o = heap_pop(g);

		memhp_kmem_cache_free(g->caches[o.cache], o.addr);
	}
	for (unsigned long i = 0; i < g->forever.nr; i++)
		memhp_kmem_cache_free(g->caches[g->forever.v[i].cache], g->forever.v[i].addr);
	for (unsigned long i = 0; i < g->files.nr; i++)
		memhp_kmem_cache_free(g->caches[g->files.v[i].cache], g->files.v[i].addr);
	for (int i = 0; i < NR_GUEST_CACHES; i++)
		memhp_kmem_cache_destroy(g->caches[i]);
	memhp_data_destroy(g->anon);
	while (g->nr_cached_stacks) {
		struct memhp_thread_stack *st = &g->stack_cache[--g->nr_cached_stacks];

		for (int i = 0; i < MEMHP_THREAD_STACK_PAGES; i++)
			memhp_put_page(st->pages[i]);
	}
	free(g->stack_cache);
	free(g->heap);
	free(g->forever.v);
	free(g->files.v);
	free(g->bg);
	pthread_mutex_destroy(&g->lock);
	pthread_mutex_destroy(&g->wait_lock);
	pthread_cond_destroy(&g->wait_cond);
	free(g);
}

/* The machine goes: so does its kernel. */
static void guest_detach_destroy(void *data)
{
	struct memhp_guest *g = data;

	memhp_guest_stop(g);
	guest_free(g);
}

int memhp_guest_create(struct memhp_machine *m, const struct memhp_guest_config *cfg,
		       struct memhp_guest **out)
{
	struct memhp_guest *g;
	int ret;

	*out = NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	if (cfg)
		g->cfg = *cfg;
	else
		memhp_guest_config_init(&g->cfg);
	if (config_check(&g->cfg)) {
		free(g);
		return -EINVAL;
	}
	g->m = m;
	g->max_cached_stacks = NR_CACHED_STACKS * memhp_machine_config(m)->nr_cpus;
	g->stack_cache = calloc(g->max_cached_stacks, sizeof(*g->stack_cache));
	if (!g->stack_cache) {
		free(g);
		return -ENOMEM;
	}
	pthread_mutex_init(&g->lock, NULL);
	pthread_mutex_init(&g->wait_lock, NULL);
	pthread_cond_init(&g->wait_cond, NULL);
	for (int i = 0; i < 4; i++)
		g->rng[i] = memhp_random(m) | (i == 0);
	ret = memhp_data_create(m, &g->anon);
	if (ret)
		goto fail;
	for (int i = 0; i < NR_GUEST_CACHES; i++) {
		ret = memhp_kmem_cache_create(
			m, cache_defs[i].name, cache_defs[i].size,
			cache_defs[i].reclaimable ? MEMHP_SLAB_RECLAIM_ACCOUNT : 0, &g->caches[i]);
		if (ret)
			goto fail;
		g->idle_weight_total += cache_defs[i].idle_weight;
	}
	pthread_mutex_lock(&g->lock);
	ret = boot(g);
	pthread_mutex_unlock(&g->lock);
	if (ret)
		goto fail;
	ret = memhp_machine_attach(m, &guest_key, g, guest_detach_destroy);
	if (ret)
		goto fail;
	*out = g;
	return 0;
fail:
	guest_free(g);
	return ret;
}

void memhp_guest_destroy(struct memhp_guest *g)
{
	if (!g)
		return;
	memhp_machine_detach(g->m, &guest_key);
	memhp_guest_stop(g);
	guest_free(g);
}

struct memhp_guest *memhp_machine_guest(struct memhp_machine *m)
{
	return memhp_machine_attached(m, &guest_key);
}

/* ---- The thread -------------------------------------------------------------- */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *guest_thread(void *arg)
{
	struct memhp_guest *g = arg;
	uint64_t last = mono_ms();

	/* Named for top, gdb and traces. */
	pthread_setname_np(pthread_self(), "guest-kernel");

	pthread_mutex_lock(&g->wait_lock);
	while (!atomic_load(&g->stop)) {
		struct timespec until;
		uint64_t now;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)g->cfg.tick_ms * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&g->wait_cond, &g->wait_lock, &until);
		if (atomic_load(&g->stop))
			break;
		pthread_mutex_unlock(&g->wait_lock);
		now = mono_ms();
		if (now > last)
			memhp_guest_advance(g, (unsigned long)(now - last));
		last = now;
		pthread_mutex_lock(&g->wait_lock);
	}
	pthread_mutex_unlock(&g->wait_lock);
	return NULL;
}

int memhp_guest_start(struct memhp_guest *g)
{
	if (g->running)
		return -EALREADY;
	atomic_store(&g->stop, false);
	if (pthread_create(&g->thread, NULL, guest_thread, g))
		return -EAGAIN;
	g->running = true;
	return 0;
}

void memhp_guest_stop(struct memhp_guest *g)
{
	if (!g->running)
		return;
	pthread_mutex_lock(&g->wait_lock);
	atomic_store(&g->stop, true);
	pthread_cond_signal(&g->wait_cond);
	pthread_mutex_unlock(&g->wait_lock);
	pthread_join(g->thread, NULL);
	g->running = false;
}

void memhp_guest_stats(struct memhp_guest *g, struct memhp_guest_stats *st)
{
	pthread_mutex_lock(&g->lock);
	st->elapsed_ms = g->now_ms;
	st->live_objects = g->heap_nr + g->forever.nr + g->files.nr;
	st->allocated = g->allocated;
	st->alloc_failures = g->alloc_failures;
	st->tasks = g->nr_tasks;
	st->anon_pages = g->nr_anon;
	{
		struct memhp_data_report r = { 0 };

		st->anon_corrupted = memhp_data_verify_report(g->anon, &r) ? r.corrupted : 0;
	}
	st->files = g->files.nr / GUEST_FILE_OBJECTS;
	pthread_mutex_unlock(&g->lock);
}
