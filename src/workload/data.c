// SPDX-License-Identifier: MIT
/*
 * data.c - checksummed movable data: an LRU-like owner whose pages carry
 * seeded bytes, so that any test can prove migration lost nothing.
 *
 * Each slot remembers its page and the checksum of what was written. A
 * page the owner frees while it is isolated for migration is marked dead;
 * the migration path finds that out and lets the page go. A page a memory
 * failure took away is marked poisoned: the slot keeps no page, as a
 * process keeps a poison entry where the page was mapped, and the loss is
 * reported apart from corruption.
 */
#include "workload.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum slot_state { SLOT_FREE, SLOT_LIVE, SLOT_ISOLATED, SLOT_DEAD, SLOT_HWPOISON };

struct slot {
	uint32_t pfn;
	uint32_t state;
	uint64_t csum;
};

struct memhp_data {
	struct memhp_machine *m;
	int owner_id;
	pthread_mutex_t lock;
	struct slot *slots;
	unsigned long nr_slots, cap;
	uint32_t *free_slots; /* stack of free slot indices */
	unsigned long nr_free_slots;
	unsigned long nr_live;
	unsigned long nr_hwpoisoned;
	_Atomic unsigned long nr_migrated;
	_Atomic bool refuse;
	/* Seeds each new page's bytes; allocating threads take theirs
	 * without the lock, which filling the page must not hold. */
	_Atomic uint64_t generation;
};

/* The golden ratio's 64 bits: the step of splitmix64 and of the words. */
#define DATA_GOLDEN 0x9e3779b97f4a7c15ULL

/*
 * 4 KiB from @seed: one splitmix64 step gives the page a start of its own,
 * then its words step by the golden ratio (a Weyl sequence), so that no two
 * pages and no two words of a page are alike, which is what the checksum
 * must tell apart: a page lost, swapped with another, half copied. A
 * splitmix64 step per word cost as much again as the checksum, a third of
 * the CPU of a fill besides the host's faults. Returns the checksum (the
 * same as workload_page_csum() of the page, computed on the way).
 */
static uint64_t fill_page(void *addr, uint64_t seed)
{
	uint64_t *w = addr, h[WORKLOAD_CSUM_LANES] = { 0 };
	uint64_t z = seed + DATA_GOLDEN;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	for (size_t i = 0; i < MEMHP_PAGE_SIZE / sizeof(*w); i += WORKLOAD_CSUM_LANES)
		for (int l = 0; l < WORKLOAD_CSUM_LANES; l++) {
			w[i + l] = z + (i + (size_t)l) * DATA_GOLDEN;
			h[l] = (h[l] ^ w[i + l]) * WORKLOAD_CSUM_PRIME + i;
		}
	return workload_csum_fold(h);
}

/* NR_ANON_PAGES of the node of @page (page_add_new_anon_rmap(),
 * page_remove_rmap() count on the folio's node). */
static void account_anon(struct memhp_data *d, struct memhp_page *page, long nr)
{
	memhp_mod_node_page_state(d->m, memhp_page_to_nid(page), MEMHP_NR_ANON_PAGES, nr);
}

static bool data_isolate(struct memhp_page *page, void *owner)
{
	struct memhp_data *d = owner;
	uint32_t idx = memhp_page_private(page);
	bool ok = false;

	pthread_mutex_lock(&d->lock);
	if (idx < d->nr_slots && d->slots[idx].state == SLOT_LIVE &&
	    d->slots[idx].pfn == memhp_page_to_pfn(page)) {
		d->slots[idx].state = SLOT_ISOLATED;
		ok = true;
	}
	pthread_mutex_unlock(&d->lock);
	return ok;
}

static int data_migrate(struct memhp_page *dst, struct memhp_page *src, void *owner)
{
	struct memhp_data *d = owner;
	uint32_t idx = memhp_page_private(src);
	int ret = 0;

	if (atomic_load(&d->refuse))
		return -EAGAIN;
	pthread_mutex_lock(&d->lock);
	if (idx >= d->nr_slots || d->slots[idx].state != SLOT_ISOLATED ||
	    d->slots[idx].pfn != memhp_page_to_pfn(src)) {
		ret = -EBUSY; /* freed meanwhile: putback lets it go */
	} else {
		d->slots[idx].pfn = (uint32_t)memhp_page_to_pfn(dst);
		d->slots[idx].state = SLOT_LIVE;
		/* The mapping moves to @dst: 6.1's remove_migration_ptes() counts
		 * it on the target's node, try_to_migrate() took it off the
		 * source's. Target first, so the sum never dips. */
		account_anon(d, dst, 1);
		account_anon(d, src, -1);
		atomic_fetch_add(&d->nr_migrated, 1);
	}
	pthread_mutex_unlock(&d->lock);
	return ret;
}

static void release_slot(struct memhp_data *d, uint32_t idx)
{
	d->slots[idx].state = SLOT_FREE;
	d->free_slots[d->nr_free_slots++] = idx;
}

static void data_putback(struct memhp_page *page, void *owner)
{
	struct memhp_data *d = owner;
	uint32_t idx = memhp_page_private(page);
	bool drop = false;

	pthread_mutex_lock(&d->lock);
	if (idx < d->nr_slots && d->slots[idx].state == SLOT_DEAD) {
		release_slot(d, idx);
		drop = true;
	} else if (idx < d->nr_slots && d->slots[idx].state == SLOT_ISOLATED) {
		d->slots[idx].state = SLOT_LIVE;
	}
	pthread_mutex_unlock(&d->lock);
	if (drop) {
		memhp_ClearPageMovable(page);
		memhp_put_page(page);
	}
}

/*
 * A memory failure took the page: its data is gone. The slot becomes a
 * poison entry, which it stays until the data is destroyed (no free, no
 * reuse), and the owner's reference goes. Every page was written when it
 * was allocated, so it is dirty. A page being migrated cannot be let go
 * now (the kernel would wait for the page lock; memory failure gives up).
 */
static int data_unmap_poisoned(struct memhp_page *page, void *owner)
{
	struct memhp_data *d = owner;
	uint32_t idx = memhp_page_private(page);
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	if (idx >= d->nr_slots || d->slots[idx].pfn != memhp_page_to_pfn(page) ||
	    (d->slots[idx].state != SLOT_LIVE && d->slots[idx].state != SLOT_ISOLATED)) {
		ret = -ENOENT;
	} else if (d->slots[idx].state == SLOT_ISOLATED) {
		ret = -EBUSY;
	} else {
		d->slots[idx].state = SLOT_HWPOISON;
		d->nr_live--;
		account_anon(d, page, -1);
		d->nr_hwpoisoned++;
		memhp_SetPageDirty(page);
		memhp_ClearPageMovable(page);
	}
	pthread_mutex_unlock(&d->lock);
	if (!ret)
		memhp_put_page(page);
	return ret;
}

static const struct memhp_movable_operations data_ops = {
	.name = "data",
	.lru = true,
	.isolate_page = data_isolate,
	.migrate_page = data_migrate,
	.putback_page = data_putback,
	.unmap_poisoned = data_unmap_poisoned,
};

int memhp_data_create(struct memhp_machine *m, struct memhp_data **out)
{
	struct memhp_data *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->m = m;
	pthread_mutex_init(&d->lock, NULL);
	d->owner_id = memhp_register_movable_owner(m, &data_ops, d);
	if (d->owner_id < 0) {
		int ret = d->owner_id;

		pthread_mutex_destroy(&d->lock);
		free(d);
		return ret;
	}
	d->generation = memhp_random(m);
	*out = d;
	return 0;
}

static int grow(struct memhp_data *d)
{
	unsigned long ncap = d->cap ? d->cap * 2 : 1024;
	struct slot *ns = realloc(d->slots, ncap * sizeof(*ns));
	uint32_t *nf;

	if (!ns)
		return -ENOMEM;
	d->slots = ns;
	nf = realloc(d->free_slots, ncap * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	d->free_slots = nf;
	d->cap = ncap;
	return 0;
}

unsigned long memhp_data_alloc(struct memhp_data *d, unsigned long nr, memhp_gfp_t gfp)
{
	return memhp_data_alloc_slots(d, nr, gfp, NULL);
}

/*
 * Pages allocated ahead of their writing, so that the host faults their
 * memory in together (memhp_host_prefault()). Each stays the allocator's
 * plain page, not yet movable, until it is written and published, as a
 * page being faulted in is in a guest: a batch makes that a few
 * microseconds longer for the last of them.
 */
#define DATA_FILL_BATCH 16

/* Write @page, give it a slot (its index into *@slot if @slot) and make it
 * movable. False if there was no room for its slot: the page is freed. */
static bool fill_and_publish(struct memhp_data *d, struct memhp_page *page, uint32_t *slot)
{
	uint64_t csum =
		fill_page(memhp_page_address(page),
			  atomic_fetch_add_explicit(&d->generation, 1, memory_order_relaxed));
	uint32_t idx;

	pthread_mutex_lock(&d->lock);
	if (d->nr_free_slots) {
		idx = d->free_slots[--d->nr_free_slots];
	} else {
		if (d->nr_slots == d->cap && grow(d)) {
			pthread_mutex_unlock(&d->lock);
			memhp_put_page(page);
			return false;
		}
		idx = (uint32_t)d->nr_slots++;
	}
	d->slots[idx] = (struct slot){ (uint32_t)memhp_page_to_pfn(page), SLOT_LIVE, csum };
	if (slot)
		*slot = idx;
	d->nr_live++;
	account_anon(d, page, 1);
	/* Publish under the lock, so isolation sees a consistent slot. */
	memhp_SetPageMovable(page, d->owner_id, idx);
	pthread_mutex_unlock(&d->lock);
	return true;
}

unsigned long memhp_data_alloc_slots(struct memhp_data *d, unsigned long nr, memhp_gfp_t gfp,
				     uint32_t *slots)
{
	struct memhp_page *batch[DATA_FILL_BATCH];
	unsigned long got = 0;

	if (!gfp)
		gfp = MEMHP_GFP_HIGHUSER_MOVABLE;
	while (got < nr) {
		unsigned int n = 0, i = 0;

		while (n < DATA_FILL_BATCH && got + n < nr) {
			struct memhp_page *page = memhp_alloc_pages(d->m, gfp, 0);

			if (!page)
				break;
			batch[n++] = page;
		}
		memhp_host_prefault(batch, n);
		for (; i < n; i++, got++)
			if (!fill_and_publish(d, batch[i], slots ? &slots[got] : NULL))
				break;
		if (i < n) {
			/* No room for a slot: the rest of the batch goes back. */
			while (++i < n)
				memhp_put_page(batch[i]);
			break;
		}
		if (n < DATA_FILL_BATCH && got < nr)
			break; /* the allocator ran out */
	}
	return got;
}

unsigned long memhp_data_free(struct memhp_data *d, unsigned long nr)
{
	unsigned long freed = 0;

	while (freed < nr) {
		struct memhp_page *page = NULL;
		uint32_t idx;

		pthread_mutex_lock(&d->lock);
		if (!d->nr_live) {
			pthread_mutex_unlock(&d->lock);
			break;
		}
		do {
			idx = (uint32_t)(memhp_random(d->m) % d->nr_slots);
		} while (d->slots[idx].state != SLOT_LIVE && d->slots[idx].state != SLOT_ISOLATED);
		d->nr_live--;
		/* An isolated page is still the slot's until migration finds it
		 * dead: its pfn names the node it counts on either way. */
		account_anon(d, memhp_pfn_to_page(d->m, d->slots[idx].pfn), -1);
		if (d->slots[idx].state == SLOT_ISOLATED) {
			d->slots[idx].state = SLOT_DEAD;
		} else {
			page = memhp_pfn_to_page(d->m, d->slots[idx].pfn);
			release_slot(d, idx);
			memhp_ClearPageMovable(page);
		}
		pthread_mutex_unlock(&d->lock);
		if (page)
			memhp_put_page(page);
		freed++;
	}
	return freed;
}

/* Let slot @idx go, whatever it holds; takes and drops the lock. */
static void free_slot(struct memhp_data *d, uint32_t idx)
{
	struct memhp_page *page = NULL;

	pthread_mutex_lock(&d->lock);
	if (idx >= d->nr_slots) {
		pthread_mutex_unlock(&d->lock);
		return;
	}
	switch (d->slots[idx].state) {
	case SLOT_LIVE:
		account_anon(d, memhp_pfn_to_page(d->m, d->slots[idx].pfn), -1);
		page = memhp_pfn_to_page(d->m, d->slots[idx].pfn);
		release_slot(d, idx);
		memhp_ClearPageMovable(page);
		break;
	case SLOT_ISOLATED:
		/* Migration lets it go when it finds it dead. */
		account_anon(d, memhp_pfn_to_page(d->m, d->slots[idx].pfn), -1);
		d->slots[idx].state = SLOT_DEAD;
		break;
	case SLOT_HWPOISON:
		/* The poison entry goes with its mapping. */
		d->nr_hwpoisoned--;
		release_slot(d, idx);
		pthread_mutex_unlock(&d->lock);
		return;
	default:
		pthread_mutex_unlock(&d->lock);
		return;
	}
	d->nr_live--;
	pthread_mutex_unlock(&d->lock);
	if (page)
		memhp_put_page(page);
}

void memhp_data_free_slots(struct memhp_data *d, const uint32_t *slots, unsigned long nr)
{
	for (unsigned long i = 0; i < nr; i++)
		free_slot(d, slots[i]);
}

unsigned long memhp_data_free_range(struct memhp_data *d, unsigned long start_pfn,
				    unsigned long end_pfn, unsigned long nr)
{
	unsigned long freed = 0;

	for (unsigned long idx = 0; freed < nr; idx++) {
		struct memhp_page *page = NULL;

		pthread_mutex_lock(&d->lock);
		if (idx >= d->nr_slots) {
			pthread_mutex_unlock(&d->lock);
			break;
		}
		if (d->slots[idx].state == SLOT_LIVE && d->slots[idx].pfn >= start_pfn &&
		    d->slots[idx].pfn < end_pfn) {
			page = memhp_pfn_to_page(d->m, d->slots[idx].pfn);
			release_slot(d, (uint32_t)idx);
			d->nr_live--;
			account_anon(d, page, -1);
			memhp_ClearPageMovable(page);
		}
		pthread_mutex_unlock(&d->lock);
		if (page) {
			memhp_put_page(page);
			freed++;
		}
	}
	return freed;
}

void memhp_data_destroy(struct memhp_data *d)
{
	if (!d)
		return;
	/*
	 * Everything goes, so in slot order: memhp_data_free()'s random
	 * victims cost a draw each, and ever more draws as the last live
	 * slots are looked for among the dead: n log n draws for all of
	 * them, 6% of the demo's CPU.
	 */
	for (unsigned long idx = 0; idx < d->nr_slots; idx++)
		free_slot(d, (uint32_t)idx);
	memhp_unregister_movable_owner(d->m, d->owner_id);
	pthread_mutex_destroy(&d->lock);
	free(d->slots);
	free(d->free_slots);
	free(d);
}

unsigned long memhp_data_nr_pages(struct memhp_data *d)
{
	unsigned long n;

	pthread_mutex_lock(&d->lock);
	n = d->nr_live;
	pthread_mutex_unlock(&d->lock);
	return n;
}

unsigned long memhp_data_nr_migrated(struct memhp_data *d)
{
	return atomic_load(&d->nr_migrated);
}

unsigned long memhp_data_nr_slots(struct memhp_data *d)
{
	unsigned long n;

	pthread_mutex_lock(&d->lock);
	n = d->nr_slots;
	pthread_mutex_unlock(&d->lock);
	return n;
}

unsigned long memhp_data_pfn(struct memhp_data *d, unsigned long idx)
{
	unsigned long pfn = MEMHP_NO_PFN;

	pthread_mutex_lock(&d->lock);
	if (idx < d->nr_slots &&
	    (d->slots[idx].state == SLOT_LIVE || d->slots[idx].state == SLOT_ISOLATED))
		pfn = d->slots[idx].pfn;
	pthread_mutex_unlock(&d->lock);
	return pfn;
}

void memhp_data_refuse_migration(struct memhp_data *d, bool refuse)
{
	atomic_store(&d->refuse, refuse);
}

unsigned long memhp_data_verify_report(struct memhp_data *d, struct memhp_data_report *r)
{
	struct memhp_data_report rep = { 0 };

	pthread_mutex_lock(&d->lock);
	for (unsigned long i = 0; i < d->nr_slots; i++) {
		struct slot *s = &d->slots[i];
		struct memhp_page *page;

		if (s->state != SLOT_LIVE && s->state != SLOT_ISOLATED)
			continue;
		rep.verified++;
		page = memhp_pfn_to_online_page(d->m, s->pfn);
		if (!page || memhp_page_owner(page) != d->owner_id ||
		    memhp_page_private(page) != i ||
		    workload_page_csum(memhp_page_address(page)) != s->csum)
			rep.corrupted++;
	}
	rep.hwpoisoned = d->nr_hwpoisoned;
	pthread_mutex_unlock(&d->lock);
	if (r)
		*r = rep;
	return rep.corrupted + rep.hwpoisoned;
}

unsigned long memhp_data_verify(struct memhp_data *d, unsigned long *verified)
{
	struct memhp_data_report r;
	unsigned long lost = memhp_data_verify_report(d, &r);

	if (verified)
		*verified = r.verified;
	return lost;
}
