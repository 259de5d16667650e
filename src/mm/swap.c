// SPDX-License-Identifier: MIT
/*
 * swap.c - the per-cpu LRU add caches (mm/swap.c: cpu_fbatches.lru_add,
 * folio_add_lru(), lru_add_drain_all(), lru_cache_disable()).
 *
 * A page an LRU owner makes movable does not go onto the LRU at once: it
 * waits, with a reference of the cache's, in its CPU's batch of up to
 * PAGEVEC_SIZE pages, and becomes PageLRU when the batch is full or
 * drained. Until then nothing can isolate it for migration: offlining
 * would find it neither movable nor free, for ever. 6.1 therefore drains
 * every CPU's batch and bypasses the batches (lru_cache_disable()) for the
 * whole of an offline and of alloc_contig_range()'s migration.
 *
 * PG_lru_pending marks a page that is in a batch on its way to the LRU;
 * the drain turns it into PG_lru in one atomic step, and
 * memhp_ClearPageMovable() clears both in one, so an owner letting go of a
 * page while its batch drains never leaves PG_lru behind on a page it
 * frees.
 */
#include "internal.h"

#include <stdlib.h>

/* PAGEVEC_SIZE / FOLIO_BATCH_SIZE */
#define LRU_BATCH_SIZE LRU_ADD_BATCH_MAX

struct lru_add_batch {
	pthread_mutex_t lock; /* local_lock(&cpu_fbatches.lock) */
	unsigned int nr;
	uint32_t pfn[LRU_BATCH_SIZE];
};

/* lru_add_fn() and the folios_put() after it, for every page of @b. */
static void folio_batch_move_lru(struct memhp_machine *m, struct lru_add_batch *b)
{
	for (unsigned int i = 0; i < b->nr; i++) {
		struct memhp_page *page = pfn_to_page(m, b->pfn[i]);
		uint16_t old = atomic_load_explicit(&page->flags, memory_order_relaxed), new;

		do {
			new = old &(uint16_t) ~(1u << PG_lru_pending);
			if (old & (1u << PG_lru_pending))
				new |= (uint16_t)(1u << PG_lru);
		} while (!atomic_compare_exchange_weak_explicit(
			&page->flags, &old, new, memory_order_acq_rel, memory_order_relaxed));
		memhp_put_page(page);
	}
	b->nr = 0;
}

static struct lru_add_batch *this_cpu_batch(struct memhp_machine *m)
{
	return &m->lru_add[memhp_current_cpu(m)];
}

bool lru_cache_disabled(struct memhp_machine *m)
{
	return atomic_load_explicit(&m->lru_disable_count, memory_order_acquire) != 0;
}

/*
 * folio_add_lru(): @page, which its owner holds a reference to, joins this
 * CPU's batch with a reference of the batch's; a full batch, or any batch
 * while the caches are disabled, goes onto the LRU at once.
 */
void folio_add_lru(struct memhp_machine *m, struct memhp_page *page)
{
	struct lru_add_batch *b = this_cpu_batch(m);

	memhp_page_ref_inc(page);
	set_page_flag(page, PG_lru_pending);
	pthread_mutex_lock(&b->lock);
	b->pfn[b->nr++] = (uint32_t)page_to_pfn_m(m, page);
	/* A large folio does not wait either. */
	if (b->nr == LRU_BATCH_SIZE || PageHead(page) || lru_cache_disabled(m))
		folio_batch_move_lru(m, b);
	pthread_mutex_unlock(&b->lock);
}

static void lru_add_drain_cpu(struct memhp_machine *m, unsigned int cpu)
{
	struct lru_add_batch *b = &m->lru_add[cpu];

	pthread_mutex_lock(&b->lock);
	if (b->nr)
		folio_batch_move_lru(m, b);
	pthread_mutex_unlock(&b->lock);
}

/* __lru_add_drain_all(): every CPU's batch. */
void lru_add_drain_all(struct memhp_machine *m)
{
	for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++)
		lru_add_drain_cpu(m, cpu);
}

void memhp_lru_add_drain_all(struct memhp_machine *m)
{
	lru_add_drain_all(m);
}

/*
 * lru_cache_disable(): from now on every page goes onto the LRU as it is
 * added, and what the batches held is drained. The count comes first, so
 * an add that does not see it finished before the drain took its batch.
 */
void lru_cache_disable(struct memhp_machine *m)
{
	atomic_fetch_add_explicit(&m->lru_disable_count, 1, memory_order_acq_rel);
	lru_add_drain_all(m);
}

void lru_cache_enable(struct memhp_machine *m)
{
	atomic_fetch_sub_explicit(&m->lru_disable_count, 1, memory_order_acq_rel);
}

int lru_cache_init(struct memhp_machine *m)
{
	m->lru_add = calloc(m->nr_cpus, sizeof(*m->lru_add));
	if (!m->lru_add)
		return -ENOMEM;
	for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++)
		pthread_mutex_init(&m->lru_add[cpu].lock, NULL);
	return 0;
}

void lru_cache_destroy(struct memhp_machine *m)
{
	if (!m->lru_add)
		return;
	for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++)
		pthread_mutex_destroy(&m->lru_add[cpu].lock);
	free(m->lru_add);
	m->lru_add = NULL;
}

/*
 * The pages in every CPU's LRU add batch into @out (room for nr_cpus *
 * LRU_ADD_BATCH_MAX): the batch holds a reference on each, also after its
 * owner let go of it. Returns how many. Takes the batches' locks: callers
 * must hold no pcp or zone lock.
 */
size_t lru_add_batched(struct memhp_machine *m, uint32_t *out)
{
	size_t n = 0;

	for (unsigned int cpu = 0; cpu < m->nr_cpus; cpu++) {
		struct lru_add_batch *b = &m->lru_add[cpu];

		pthread_mutex_lock(&b->lock);
		for (unsigned int i = 0; i < b->nr; i++)
			out[n++] = b->pfn[i];
		pthread_mutex_unlock(&b->lock);
	}
	return n;
}

unsigned int memhp_lru_add_pending(struct memhp_machine *m, int cpu)
{
	unsigned int nr;

	if (cpu < 0 || (unsigned)cpu >= m->nr_cpus)
		return 0;
	pthread_mutex_lock(&m->lru_add[cpu].lock);
	nr = m->lru_add[cpu].nr;
	pthread_mutex_unlock(&m->lru_add[cpu].lock);
	return nr;
}
