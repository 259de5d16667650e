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

struct memhp_walkers {
	struct memhp_machine *m;
	unsigned int nr;
	unsigned int hold_spins;
	_Atomic bool stop;
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
		if (memhp_PageOffline(page))
			wk->stats.offline_refs++;
		for (unsigned int i = 0; i < w->hold_spins; i++)
			if (atomic_load_explicit(&w->stop, memory_order_relaxed))
				break;
		memhp_put_page(page);
		if (!(wk->stats.visits & 1023))
			sched_yield();
	}
	return NULL;
}

int memhp_walkers_start(struct memhp_machine *m, unsigned int nr_threads, unsigned int hold_spins,
			struct memhp_walkers **out)
{
	struct memhp_walkers *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->walkers = calloc(nr_threads ? nr_threads : 1, sizeof(*w->walkers));
	if (!w->walkers) {
		free(w);
		return -ENOMEM;
	}
	w->m = m;
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

void memhp_walkers_stop(struct memhp_walkers *w, struct memhp_walker_stats *stats)
{
	if (!w)
		return;
	atomic_store(&w->stop, true);
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
	free(w->walkers);
	free(w);
}
