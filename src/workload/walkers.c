// SPDX-License-Identifier: MIT
/*
 * walkers.c - speculative PFN walkers: threads that take and drop
 * references on pages they do not own, through pfn_to_online_page() and
 * get_page_unless_zero(), the pattern the 2019 PageOffline discussion was
 * about. Their puts are ordinary puts: if a driver let go of a page in the
 * meantime, the walker's put is the last one and the checker hears of it.
 */
#include "workload.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

/* How often a walker looks again at which blocks are present. Between
 * two looks it may pick a block that went away, as a kernel PFN walker
 * may: pfn_to_online_page() says no. */
#define WALKER_REFRESH_VISITS 1024

struct walker {
	struct memhp_walkers *w;
	pthread_t thread;
	uint64_t rng;
	struct memhp_walker_stats stats;
	/* The present blocks at the last look: walkers pick among them
	 * uniformly, however sparse the address space. */
	unsigned long *ids;
	size_t nr_ids, cap_ids;
};

#define NS_PER_S 1000000000ULL

struct memhp_walkers {
	struct memhp_machine *m;
	unsigned int nr;
	unsigned int hold_spins;
	uint64_t hold_ns; /* a hold asleep, or 0: @hold_spins spins */
	_Atomic bool stop;
	/* A walker asleep on a reference waits on @wake, under @lock, for its
	 * time to pass or the stop. */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	/* For memhp_walkers_wait(): references taken in all, the walkers
	 * that ended, and the waiters to tell of either under @lock. */
	_Atomic unsigned long refs;
	_Atomic unsigned int waiters;
	unsigned int exited;
	pthread_cond_t progress;
	struct walker *walkers;
};

static uint64_t next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Returns false when no block is present (or memory ran out). */
static bool refresh_blocks(struct walker *wk, struct memhp_machine *m)
{
	long id = memhp_next_block(m, 0);

	wk->nr_ids = 0;
	for (; id >= 0; id = memhp_next_block(m, (unsigned long)id + 1)) {
		if (wk->nr_ids == wk->cap_ids) {
			size_t cap = wk->cap_ids ? 2 * wk->cap_ids : 64;
			unsigned long *ids = realloc(wk->ids, cap * sizeof(*ids));

			if (!ids)
				break;
			wk->ids = ids;
			wk->cap_ids = cap;
		}
		wk->ids[wk->nr_ids++] = (unsigned long)id;
	}
	return wk->nr_ids > 0;
}

/* Hold the reference just taken: spin, or sleep until the hold is over. */
static void hold(struct memhp_walkers *w)
{
	struct timespec due;
	uint64_t ns;

	if (!w->hold_ns) {
		for (unsigned int i = 0; i < w->hold_spins; i++)
			if (atomic_load_explicit(&w->stop, memory_order_relaxed))
				break;
		return;
	}
	/* The clock a deterministic schedule makes virtual, as it does the
	 * wait: there the hold lasts while the other threads run. */
	clock_gettime(CLOCK_MONOTONIC, &due);
	ns = (uint64_t)due.tv_nsec + w->hold_ns;
	due.tv_sec += (time_t)(ns / NS_PER_S);
	due.tv_nsec = (long)(ns % NS_PER_S);
	pthread_mutex_lock(&w->lock);
	while (!atomic_load_explicit(&w->stop, memory_order_relaxed) &&
	       pthread_cond_timedwait(&w->wake, &w->lock, &due) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&w->lock);
}

/* A reference was counted, or (@exiting) a walker ends. The count is
 * published before the look at the waiters, and a waiter registers before
 * its look at the count (both sequentially consistent), so no waiter
 * misses the reference that satisfies it. */
static void tell_waiters(struct memhp_walkers *w, bool exiting)
{
	pthread_mutex_lock(&w->lock);
	if (exiting)
		w->exited++;
	pthread_cond_broadcast(&w->progress);
	pthread_mutex_unlock(&w->lock);
}

static void *walk(void *arg)
{
	struct walker *wk = arg;
	struct memhp_walkers *w = wk->w;
	struct memhp_machine *m = w->m;
	const unsigned long per_block = memhp_pages_per_block(m);
	char name[MEMHP_THREAD_NAME_LEN];

	/* Named for top, gdb, traces and "Bad page state in process". */
	snprintf(name, sizeof(name), "walker %u", (unsigned int)(wk - w->walkers) + 1);
	pthread_setname_np(pthread_self(), name);

	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		unsigned long pfn;
		struct memhp_page *page;

		if (!(wk->stats.visits % WALKER_REFRESH_VISITS) && !refresh_blocks(wk, m))
			break;
		pfn = wk->ids[next(&wk->rng) % wk->nr_ids] * per_block + next(&wk->rng) % per_block;
		wk->stats.visits++;
		page = memhp_pfn_to_online_page(m, pfn);
		if (!page || !memhp_get_page_unless_zero(page))
			continue;
		wk->stats.refs++;
		atomic_fetch_add(&w->refs, 1);
		if (atomic_load(&w->waiters))
			tell_waiters(w, false);
		if (memhp_PageOffline(page))
			wk->stats.offline_refs++;
		hold(w);
		memhp_put_page(page);
		if (!(wk->stats.visits & 1023))
			sched_yield();
	}
	tell_waiters(w, true);
	return NULL;
}

static int start(struct memhp_machine *m, unsigned int nr_threads, unsigned int hold_spins,
		 uint64_t hold_ns, struct memhp_walkers **out)
{
	struct memhp_walkers *w = calloc(1, sizeof(*w));
	pthread_condattr_t attr;

	if (!w)
		return -ENOMEM;
	w->walkers = calloc(nr_threads ? nr_threads : 1, sizeof(*w->walkers));
	if (!w->walkers) {
		free(w);
		return -ENOMEM;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&w->progress, NULL);
	w->m = m;
	w->hold_ns = hold_ns;
	/* What they do is what makes a machine leave its bulk paths: say so
	 * before the first thread runs, not at its first reference. */
	memhp_note_pfn_walker(m);
	w->hold_spins = hold_spins;
	for (unsigned int i = 0; i < nr_threads; i++) {
		struct walker *wk = &w->walkers[i];

		wk->w = w;
		wk->rng = memhp_random(m) | 1;
		if (pthread_create(&wk->thread, NULL, walk, wk)) {
			memhp_walkers_stop(w, NULL);
			return -EAGAIN;
		}
		w->nr++;
	}
	*out = w;
	return 0;
}

int memhp_walkers_start(struct memhp_machine *m, unsigned int nr_threads, unsigned int hold_spins,
			struct memhp_walkers **out)
{
	return start(m, nr_threads, hold_spins, 0, out);
}

int memhp_walkers_start_sleeping(struct memhp_machine *m, unsigned int nr_threads, uint64_t hold_ns,
				 struct memhp_walkers **out)
{
	if (!hold_ns)
		return -EINVAL;
	return start(m, nr_threads, 0, hold_ns, out);
}

int memhp_walkers_wait(struct memhp_walkers *w, unsigned long refs)
{
	bool reached;

	atomic_fetch_add(&w->waiters, 1);
	pthread_mutex_lock(&w->lock);
	while (!(reached = atomic_load(&w->refs) >= refs) && w->exited < w->nr)
		pthread_cond_wait(&w->progress, &w->lock);
	pthread_mutex_unlock(&w->lock);
	atomic_fetch_sub(&w->waiters, 1);
	return reached ? 0 : -ESRCH;
}

void memhp_walkers_stop(struct memhp_walkers *w, struct memhp_walker_stats *stats)
{
	if (!w)
		return;
	/* Under the lock: a walker between its look at @stop and its sleep
	 * would miss the wake-up. */
	pthread_mutex_lock(&w->lock);
	atomic_store(&w->stop, true);
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	if (stats)
		*stats = (struct memhp_walker_stats){ 0 };
	for (unsigned int i = 0; i < w->nr; i++) {
		pthread_join(w->walkers[i].thread, NULL);
		free(w->walkers[i].ids);
		if (stats) {
			stats->visits += w->walkers[i].stats.visits;
			stats->refs += w->walkers[i].stats.refs;
			stats->offline_refs += w->walkers[i].stats.offline_refs;
		}
	}
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->progress);
	pthread_mutex_destroy(&w->lock);
	free(w->walkers);
	free(w);
}
