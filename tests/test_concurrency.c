// SPDX-License-Identifier: MIT
/*
 * test_concurrency.c - allocations, frees, PFN walkers and hotplug at the
 * same time. Run these under `make SAN=thread` too: they are what TSan is
 * for. No thread sleeps; they stop when told through an atomic flag.
 */
#include "harness.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#define HOT (4 * MEMHP_GiB)
#define B0 32
#define ROUNDS 40

struct churn {
	struct memhp_machine *m;
	_Atomic bool *stop;
	memhp_gfp_t gfp;
	_Atomic unsigned long allocs;
	unsigned int seed;
};

/* Allocate and free pages of orders 0-3 in a loop, keeping up to 256. */
static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	struct memhp_page *held[256] = { 0 };
	unsigned int orders[256] = { 0 };

	while (!atomic_load(c->stop)) {
		unsigned int i = (c->seed = c->seed * 1103515245u + 12345u) >> 8 & 255;

		if (held[i]) {
			memhp_free_pages(held[i], orders[i]);
			held[i] = NULL;
		} else {
			orders[i] = i & 3;
			held[i] = memhp_alloc_pages(c->m, c->gfp, orders[i]);
			if (held[i])
				atomic_fetch_add(&c->allocs, 1);
		}
	}
	for (int i = 0; i < 256; i++)
		if (held[i])
			memhp_free_pages(held[i], orders[i]);
	return NULL;
}

static void no_page_of_an_isolated_pageblock_is_ever_handed_out(void)
{
	struct memhp_machine *m = tm_create(NULL);
	_Atomic bool stop = false;
	struct churn c[2];
	pthread_t t[2];
	unsigned long start, pb, contig_ok = 0;

	ASSERT_TRUE(m);
	ASSERT_OK(tm_add_blocks(m, HOT, 2));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE));
	start = tm_block_pfn(m, B0);
	pb = memhp_pageblock_nr_pages(m);
	for (int i = 0; i < 2; i++) {
		c[i] = (struct churn){ .m = m,
				       .stop = &stop,
				       .gfp = MEMHP_GFP_HIGHUSER_MOVABLE,
				       .seed = 7u + (unsigned)i };
		pthread_create(&t[i], NULL, churn_thread, &c[i]);
	}
	/* Both allocating before the first isolation: on a loaded host this
	 * loop once ran its rounds before either thread had started. */
	while (!atomic_load(&c[0].allocs) || !atomic_load(&c[1].allocs))
		sched_yield();
	/* Isolate and release ranges under the allocating threads' feet:
	 * alloc_contig_range of single pageblocks, offline/online of the
	 * second block. */
	for (int r = 0; r < ROUNDS; r++) {
		unsigned long at = start + (unsigned long)(r % 64) * pb;

		if (!memhp_alloc_contig_range(m, at, at + pb, MEMHP_GFP_KERNEL)) {
			memhp_free_contig_range(m, at, pb);
			contig_ok++;
		}
		if (!memhp_block_offline(m, B0 + 1))
			memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ASSERT_GT(c[0].allocs + c[1].allocs, 0);
	ASSERT_GT(contig_ok, 0);
	ASSERT_EQ(tm_violations(m, MEMHP_RULE_ALLOC_FROM_ISOLATED), 0);
}

struct mover {
	struct memhp_data *d;
	_Atomic bool *stop;
	unsigned long rounds;
};

static void *data_thread(void *arg)
{
	struct mover *mv = arg;

	while (!atomic_load(mv->stop)) {
		memhp_data_alloc(mv->d, 64, 0);
		memhp_data_free(mv->d, 48);
		mv->rounds++;
	}
	return NULL;
}

static void offline_online_cycles_with_workload_and_walkers_lose_nothing(void)
{
	struct memhp_machine *m = tm_create(NULL);
	_Atomic bool stop = false;
	struct memhp_walkers *w;
	struct memhp_walker_stats ws;
	struct memhp_data *d;
	struct mover mv;
	pthread_t t;
	unsigned long verified, offlined = 0;

	ASSERT_TRUE(m);
	ASSERT_OK(tm_add_blocks(m, HOT, 3));
	for (int i = 0; i < 3; i++)
		ASSERT_OK(memhp_block_online(m, B0 + i, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_data_create(m, &d));
	ASSERT_GT(memhp_data_alloc(d, memhp_pages_per_block(m), 0), 0);
	mv = (struct mover){ .d = d, .stop = &stop };
	pthread_create(&t, NULL, data_thread, &mv);
	ASSERT_OK(memhp_walkers_start(m, 2, 16, &w));
	/* The cycles race walkers that are at work, not ones still starting. */
	ASSERT_OK(memhp_walkers_wait(w, 1));
	for (int r = 0; r < ROUNDS / 4; r++) {
		unsigned long id = B0 + (unsigned long)(r % 3);

		if (!memhp_block_offline(m, id)) {
			offlined++;
			ASSERT_OK(memhp_block_online(m, id, MEMHP_MMOP_ONLINE_MOVABLE));
		}
	}
	memhp_walkers_stop(w, &ws);
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	ASSERT_GT(offlined, 0);
	ASSERT_GT(ws.refs, 0);
	ASSERT_EQ(memhp_data_verify(d, &verified), 0);
	ASSERT_EQ(verified, memhp_data_nr_pages(d));
	memhp_data_destroy(d);
}

/* Long enough that only memhp_walkers_stop() ends a hold in this test. */
#define HOLD_AN_HOUR_NS (3600ULL * 1000000000ULL)

static void sleeping_walkers_hold_one_reference_each_until_stopped(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_walker_stats ws;
	struct memhp_walkers *w;
	struct memhp_data *d;
	unsigned long verified;

	ASSERT_TRUE(m);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_data_create(m, &d));
	ASSERT_GT(memhp_data_alloc(d, memhp_pages_per_block(m) / 2, 0), 0);
	ASSERT_ERR(memhp_walkers_start_sleeping(m, 2, 0, &w), -EINVAL);
	ASSERT_OK(memhp_walkers_start_sleeping(m, 2, HOLD_AN_HOUR_NS, &w));
	/* Each sleeps on its first reference: two references taken, both
	 * held, and only the stop ends the holds. */
	ASSERT_OK(memhp_walkers_wait(w, 2));
	memhp_walkers_stop(w, &ws);
	ASSERT_EQ(ws.refs, 2);
	ASSERT_EQ(memhp_data_verify(d, &verified), 0);
	ASSERT_EQ(verified, memhp_data_nr_pages(d));
	memhp_data_destroy(d);
	ASSERT_EQ(memhp_check(m, NULL), 0);
}

struct reader {
	struct memhp_machine *m;
	_Atomic bool *stop;
	_Atomic unsigned long reads;
	unsigned long bad;
};

/* sysfs readers never take the hotplug lock: they must never block on a
 * long offline and never see a state outside the three. */
static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	char buf[MEMHP_SYSFS_BUF];

	while (!atomic_load(r->stop)) {
		memhp_show_state(r->m, B0, buf);
		if (strcmp(buf, "online\n") && strcmp(buf, "offline\n") &&
		    strcmp(buf, "going-offline\n"))
			r->bad++;
		memhp_show_valid_zones(r->m, B0, buf);
		atomic_fetch_add(&r->reads, 1);
	}
	return NULL;
}

static void sysfs_readers_run_alongside_hotplug(void)
{
	struct memhp_machine *m = tm_create(NULL);
	_Atomic bool stop = false;
	struct reader rd;
	pthread_t t;

	ASSERT_TRUE(m);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	rd = (struct reader){ .m = m, .stop = &stop };
	pthread_create(&t, NULL, reader_thread, &rd);
	/* The thread at work before the first round: on a loaded host the
	 * rounds could otherwise all run before it started. */
	while (!atomic_load(&rd.reads))
		sched_yield();
	for (int r = 0; r < ROUNDS; r++) {
		ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
		ASSERT_OK(memhp_block_offline(m, B0));
	}
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	ASSERT_EQ(rd.bad, 0);
	ASSERT_GT(rd.reads, 0);
}

struct info_reader {
	struct memhp_machine *m;
	_Atomic bool *stop;
	_Atomic unsigned long reads;
	unsigned long bad;
};

/* readdir and /proc/meminfo: every block's info, without any lock. */
static void *info_thread(void *arg)
{
	struct info_reader *r = arg;

	while (!atomic_load(r->stop)) {
		for (long id = memhp_next_block(r->m, 0); id >= 0;
		     id = memhp_next_block(r->m, (unsigned long)id + 1)) {
			struct memhp_block_info info;

			if (memhp_block_info(r->m, (unsigned long)id, &info))
				continue;
			/* A hot-added block is offline here or online movable. */
			if (id >= B0 &&
			    (info.boot || info.nid != 0 ||
			     (info.state == MEMHP_MEM_ONLINE && info.zone != MEMHP_ZONE_MOVABLE)))
				r->bad++;
			atomic_fetch_add(&r->reads, 1);
		}
	}
	return NULL;
}

/* Blocks come and go while sysfs readers look at them: a reader sees a
 * block whole, before or after (and TSan sees no race). */
static void block_info_readers_run_alongside_add_and_remove(void)
{
	struct memhp_machine *m = tm_create(NULL);
	_Atomic bool stop = false;
	struct info_reader r;
	pthread_t t;

	ASSERT_TRUE(m);
	r = (struct info_reader){ .m = m, .stop = &stop };
	pthread_create(&t, NULL, info_thread, &r);
	/* The thread at work before the first round: on a loaded host the
	 * rounds could otherwise all run before it started. */
	while (!atomic_load(&r.reads))
		sched_yield();
	for (int i = 0; i < ROUNDS; i++) {
		ASSERT_OK(tm_add_blocks(m, HOT, 2));
		ASSERT_OK(memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_MOVABLE));
		ASSERT_OK(memhp_block_offline(m, B0 + 1));
		ASSERT_OK(memhp_remove_memory(m, HOT, 2 * memhp_block_size(m)));
	}
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	ASSERT_GT(r.reads, 0);
	ASSERT_EQ(r.bad, 0);
}

struct forker {
	struct memhp_guest *g;
	_Atomic bool *stop;
	_Atomic unsigned long forks;
};

static void *forker_thread(void *arg)
{
	struct forker *f = arg;

	while (!atomic_load(f->stop)) {
		struct memhp_guest_task *t = memhp_guest_fork(f->g, 2, 3, 0);

		memhp_guest_file_created(f->g);
		memhp_guest_exit(t);
		memhp_guest_file_removed(f->g);
		atomic_fetch_add(&f->forks, 1);
	}
	return NULL;
}

/* The guest kernel's own thread, programs starting and exiting on another,
 * and hotplug on a third: kernel memory never lands where it may not and
 * the machine stays consistent. */
static void guest_kernel_activity_runs_alongside_hotplug(void)
{
	struct memhp_machine *m = tm_create(NULL);
	_Atomic bool stop = false;
	struct memhp_guest_config cfg;
	struct memhp_guest *g;
	struct forker f;
	pthread_t t;

	ASSERT_TRUE(m);
	memhp_guest_config_init(&cfg);
	cfg.idle_objects_per_sec = 100000;
	cfg.background_tasks_per_min = 6000;
	ASSERT_OK(memhp_guest_create(m, &cfg, &g));
	ASSERT_OK(tm_add_blocks(m, HOT, 2));
	ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_OK(memhp_guest_start(g));
	f = (struct forker){ .g = g, .stop = &stop };
	pthread_create(&t, NULL, forker_thread, &f);
	/* The thread at work before the first round: on a loaded host the
	 * rounds could otherwise all run before it started. */
	while (!atomic_load(&f.forks))
		sched_yield();
	for (int r = 0; r < ROUNDS; r++) {
		ASSERT_OK(memhp_block_offline(m, B0));
		ASSERT_OK(memhp_block_online(m, B0, MEMHP_MMOP_ONLINE_MOVABLE));
		/* A kernel block can go only while nothing landed in it yet. */
		if (!memhp_block_online(m, B0 + 1, MEMHP_MMOP_ONLINE_KERNEL))
			memhp_block_offline(m, B0 + 1);
	}
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	memhp_guest_stop(g);
	ASSERT_GT(f.forks, 0);
}

/* Pages each of two threads allocates from one data object. */
#define SHARED_DATA_PAGES 2048

static void *shared_data_thread(void *arg)
{
	memhp_data_alloc(arg, SHARED_DATA_PAGES, 0);
	return NULL;
}

/*
 * Found by memhp torture under TSan: memhp_data_alloc() took each page's
 * seed with d->generation++ outside its lock, a data race between two
 * threads allocating from one object (TSan sees it; a lost increment gives
 * two pages the same bytes). Every page must verify after.
 */
static void two_threads_allocate_from_one_data_object(void)
{
	struct memhp_machine *m = tm_create(NULL);
	struct memhp_data *d;
	pthread_t t[2];
	unsigned long verified = 0;

	ASSERT_TRUE(m);
	ASSERT_OK(memhp_data_create(m, &d));
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(pthread_create(&t[i], NULL, shared_data_thread, d), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ASSERT_EQ(memhp_data_nr_pages(d), 2 * SHARED_DATA_PAGES);
	ASSERT_EQ(memhp_data_verify(d, &verified), 0);
	ASSERT_EQ(verified, 2 * SHARED_DATA_PAGES);
	memhp_data_destroy(d);
}

RUN_TESTS(T(no_page_of_an_isolated_pageblock_is_ever_handed_out),
	  T(two_threads_allocate_from_one_data_object),
	  T(offline_online_cycles_with_workload_and_walkers_lose_nothing),
	  T(sleeping_walkers_hold_one_reference_each_until_stopped),
	  T(sysfs_readers_run_alongside_hotplug), T(guest_kernel_activity_runs_alongside_hotplug),
	  T(block_info_readers_run_alongside_add_and_remove))
