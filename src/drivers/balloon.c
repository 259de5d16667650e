// SPDX-License-Identifier: MIT
/*
 * balloon.c - what every balloon shares (its pages, the host's record,
 * create and destroy), balloon compaction (mm/balloon_compaction.c) and
 * virtio-balloon (drivers/virtio/virtio_balloon.c) with and without it.
 *
 * A balloon keeps each page it holds in a slot; a movable page carries its
 * slot index as the owner's cookie, so isolation and migration find it
 * without a search. Lists are newest first, so deflation gives back the
 * most recently inflated pages, as list_add() and the dequeue loops do.
 */
#include "balloon_internal.h"

#include <stdlib.h>
#include <string.h>

/* Pages per inflate or deflate request (VIRTIO_BALLOON_ARRAY_PFNS_MAX). */
#define VIRTIO_BALLOON_ARRAY_PFNS_MAX 256
#define BSLOTS_INITIAL 1024
#define BITS_PER_WORD 64

/* ---- Slots and lists --------------------------------------------------- */

long bslot_alloc(struct memhp_balloon *b, unsigned long pfn, unsigned int order)
{
	uint32_t idx;

	if (b->free_slots != BALLOON_NIL) {
		idx = b->free_slots;
		b->free_slots = b->slots[idx].next;
	} else {
		if (bslot_reserve(b, 1))
			return -ENOMEM;
		idx = (uint32_t)b->nr_slots++;
	}
	b->slots[idx] = (struct bslot){
		.pfn = (uint32_t)pfn,
		.order = (uint8_t)order,
		.state = BSLOT_FREE,
		.prev = BALLOON_NIL,
		.next = BALLOON_NIL,
	};
	return idx;
}

int bslot_reserve(struct memhp_balloon *b, unsigned long nr)
{
	while (b->cap - b->nr_slots < nr) {
		unsigned long ncap = b->cap ? b->cap * 2 : BSLOTS_INITIAL;
		struct bslot *ns;

		if (ncap >= BALLOON_NIL)
			return -ENOMEM;
		ns = memhp_should_fail(b->m, MEMHP_FAULT_BALLOON_ALLOC)
			     ? NULL
			     : realloc(b->slots, ncap * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		b->slots = ns;
		b->cap = ncap;
	}
	return 0;
}

void bslot_free(struct memhp_balloon *b, uint32_t idx)
{
	b->slots[idx].state = BSLOT_FREE;
	b->slots[idx].next = b->free_slots;
	b->free_slots = idx;
}

void blist_add(struct memhp_balloon *b, struct blist *l, uint32_t idx)
{
	struct bslot *s = &b->slots[idx];

	s->prev = BALLOON_NIL;
	s->next = l->head;
	if (l->head != BALLOON_NIL)
		b->slots[l->head].prev = idx;
	l->head = idx;
	l->nr++;
	s->state = BSLOT_LISTED;
}

void blist_del(struct memhp_balloon *b, struct blist *l, uint32_t idx)
{
	struct bslot *s = &b->slots[idx];

	if (s->prev != BALLOON_NIL)
		b->slots[s->prev].next = s->next;
	else
		l->head = s->next;
	if (s->next != BALLOON_NIL)
		b->slots[s->next].prev = s->prev;
	s->prev = s->next = BALLOON_NIL;
	l->nr--;
}

/* ---- The host's record -------------------------------------------------- */

/* Returns 0 or -ENOMEM. */
static int host_view_init(struct host_view *h, struct memhp_machine *m)
{
	h->pages_per_chunk = memhp_pages_per_section(m);
	h->nr_chunks = (memhp_max_pfn(m) + h->pages_per_chunk - 1) / h->pages_per_chunk;
	h->bits = calloc(h->nr_chunks, sizeof(*h->bits));
	return h->bits ? 0 : -ENOMEM;
}

static void host_view_free(struct host_view *h)
{
	for (unsigned long i = 0; h->bits && i < h->nr_chunks; i++)
		free(h->bits[i]);
	free(h->bits);
}

/* Make sure the bitmaps of [pfn, pfn + nr) exist. Caller holds host_lock.
 * Returns 0 or -ENOMEM (-EINVAL beyond the address space). */
static int host_view_prepare(struct host_view *h, unsigned long pfn, unsigned long nr)
{
	const unsigned long words = h->pages_per_chunk / BITS_PER_WORD;

	if (pfn + nr < pfn ||
	    (pfn + nr + h->pages_per_chunk - 1) / h->pages_per_chunk > h->nr_chunks)
		return -EINVAL;
	for (unsigned long c = pfn / h->pages_per_chunk; nr && c * h->pages_per_chunk < pfn + nr;
	     c++) {
		if (h->bits[c])
			continue;
		h->bits[c] = calloc(words, sizeof(uint64_t));
		if (!h->bits[c])
			return -ENOMEM;
	}
	return 0;
}

/* Set or clear the bits of a prepared range; count only real changes. */
static void host_view_update(struct host_view *h, unsigned long pfn, unsigned long nr, bool set)
{
	for (unsigned long p = pfn; p < pfn + nr; p++) {
		uint64_t *chunk = h->bits[p / h->pages_per_chunk];
		unsigned long bit = p % h->pages_per_chunk;
		uint64_t mask = 1ULL << (bit % BITS_PER_WORD);

		if (!chunk)
			continue; /* clearing what was never set */
		if (set && !(chunk[bit / BITS_PER_WORD] & mask)) {
			chunk[bit / BITS_PER_WORD] |= mask;
			h->count++;
		} else if (!set && (chunk[bit / BITS_PER_WORD] & mask)) {
			chunk[bit / BITS_PER_WORD] &= ~mask;
			h->count--;
		}
	}
}

static bool host_view_test(const struct host_view *h, unsigned long pfn)
{
	const uint64_t *chunk;
	unsigned long bit;

	if (pfn / h->pages_per_chunk >= h->nr_chunks)
		return false;
	chunk = h->bits[pfn / h->pages_per_chunk];
	bit = pfn % h->pages_per_chunk;
	return chunk && (chunk[bit / BITS_PER_WORD] >> (bit % BITS_PER_WORD)) & 1;
}

int balloon_host_prepare(struct memhp_balloon *b, const uint32_t *pfns, unsigned long nr,
			 unsigned int order)
{
	int ret = 0;

	pthread_mutex_lock(&b->host_lock);
	for (unsigned long i = 0; i < nr && !ret; i++)
		ret = host_view_prepare(&b->host, pfns[i], 1UL << order);
	pthread_mutex_unlock(&b->host_lock);
	return ret;
}

/* Give the host memory of the pages back, a contiguous run at a time. */
static void host_discard(struct memhp_balloon *b, const uint32_t *pfns, unsigned long nr,
			 unsigned int order)
{
	const unsigned long step = 1UL << order;

	for (unsigned long i = 0; i < nr;) {
		unsigned long start = pfns[i], end = start + step;

		for (i++; i < nr && pfns[i] == end; i++)
			end += step;
		memhp_host_discard(b->m, (uint64_t)start << MEMHP_PAGE_SHIFT,
				   (uint64_t)(end - start) << MEMHP_PAGE_SHIFT, false);
	}
}

void balloon_event(struct memhp_balloon *b, enum memhp_balloon_request request,
		   unsigned long start_pfn, unsigned long nr_pages)
{
	memhp_event_emit(b->m, &(const struct memhp_event){ .type = MEMHP_EV_BALLOON,
							    .balloon = { .request = request,
									 .start_pfn = start_pfn,
									 .nr_pages = nr_pages } });
}

void balloon_tell_host(struct memhp_balloon *b, enum host_op op, const uint32_t *pfns,
		       unsigned long nr, unsigned int order)
{
	pthread_mutex_lock(&b->host_lock);
	for (unsigned long i = 0; i < nr; i++)
		host_view_update(&b->host, pfns[i], 1UL << order, op == HOST_INFLATE);
	pthread_mutex_unlock(&b->host_lock);
	atomic_fetch_add(&b->host_requests, 1);
	balloon_event(b, op == HOST_INFLATE ? MEMHP_BALLOON_REQ_INFLATE : MEMHP_BALLOON_REQ_DEFLATE,
		      nr ? pfns[0] : MEMHP_NO_PFN, nr << order);
	/* A device gets the request on its queue and does what its host
	 * does; without one, do what QEMU does with memory its guest gave
	 * up: discard it. */
	if (b->tell && !order)
		b->tell(b->tell_priv, op == HOST_DEFLATE, pfns, nr);
	else if (op == HOST_INFLATE)
		host_discard(b, pfns, nr, order);
}

int balloon_host_prepare_range(struct memhp_balloon *b, unsigned long pfn, unsigned long nr)
{
	int ret;

	pthread_mutex_lock(&b->host_lock);
	ret = host_view_prepare(&b->host, pfn, nr);
	pthread_mutex_unlock(&b->host_lock);
	return ret;
}

int balloon_host_take(struct memhp_balloon *b, unsigned long pfn, unsigned long nr)
{
	int ret;

	pthread_mutex_lock(&b->host_lock);
	ret = host_view_prepare(&b->host, pfn, nr);
	if (!ret)
		host_view_update(&b->host, pfn, nr, true);
	pthread_mutex_unlock(&b->host_lock);
	return ret;
}

void balloon_host_release(struct memhp_balloon *b, unsigned long pfn, unsigned long nr)
{
	pthread_mutex_lock(&b->host_lock);
	host_view_update(&b->host, pfn, nr, false);
	pthread_mutex_unlock(&b->host_lock);
}

bool balloon_host_refuses(struct memhp_balloon *b)
{
	bool refuse;

	pthread_mutex_lock(&b->host_lock);
	refuse = b->refuse != 0;
	if (b->refuse > 0)
		b->refuse--;
	pthread_mutex_unlock(&b->host_lock);
	return refuse;
}

/* ---- Pages -------------------------------------------------------------- */

void balloon_begin_update(struct memhp_balloon *b)
{
	memhp_get_online_mems(b->m);
	pthread_mutex_lock(&b->balloon_lock);
}

void balloon_end_update(struct memhp_balloon *b)
{
	pthread_mutex_unlock(&b->balloon_lock);
	memhp_put_online_mems(b->m);
}

struct memhp_page *balloon_page(struct memhp_balloon *b, unsigned long pfn)
{
	return memhp_pfn_to_page(b->m, pfn);
}

void balloon_mark_offline(struct memhp_balloon *b, struct memhp_page *page)
{
	if (memhp_SetPageOffline(page))
		memhp_report(b->m, memhp_page_to_pfn(page), MEMHP_RULE_BALLOON_PAGE_TYPE,
			     "%s balloon: page to inflate already has a type", b->ops->name);
}

void balloon_mark_online(struct memhp_balloon *b, struct memhp_page *page)
{
	if (memhp_ClearPageOffline(page))
		memhp_report(b->m, memhp_page_to_pfn(page), MEMHP_RULE_BALLOON_PAGE_TYPE,
			     "%s balloon: ballooned page is not PageOffline", b->ops->name);
}

/* ---- Balloon compaction ------------------------------------------------- */

int balloon_page_enqueue(struct memhp_balloon *b, struct memhp_page *page)
{
	long idx;

	pthread_mutex_lock(&b->pages_lock);
	idx = bslot_alloc(b, memhp_page_to_pfn(page), 0);
	if (idx < 0) {
		pthread_mutex_unlock(&b->pages_lock);
		return (int)idx;
	}
	/* balloon_page_insert(): the page is published to isolation only
	 * once its slot is complete, and isolation takes pages_lock. */
	if (!b->adjust_managed)
		memhp_SetPageOfflineManaged(page);
	balloon_mark_offline(b, page);
	if (b->ops->compaction)
		memhp_SetPageMovable(page, b->owner_id, (uint32_t)idx);
	blist_add(b, &b->pages, (uint32_t)idx);
	pthread_mutex_unlock(&b->pages_lock);
	memhp_mod_vmstat(b->m, MEMHP_BALLOON_INFLATE, 1);
	return 0;
}

unsigned long balloon_page_list_dequeue(struct memhp_balloon *b, uint32_t *pfns, unsigned long nr)
{
	unsigned long n = 0;

	pthread_mutex_lock(&b->pages_lock);
	while (n < nr && b->pages.head != BALLOON_NIL) {
		uint32_t idx = b->pages.head, pfn = b->slots[idx].pfn;
		struct memhp_page *page = balloon_page(b, pfn);

		blist_del(b, &b->pages, idx);
		bslot_free(b, idx);
		/* balloon_page_finalize() */
		if (b->ops->compaction)
			memhp_ClearPageMovable(page);
		balloon_mark_online(b, page);
		memhp_ClearPageOfflineManaged(page);
		pfns[n++] = pfn;
	}
	pthread_mutex_unlock(&b->pages_lock);
	memhp_mod_vmstat(b->m, MEMHP_BALLOON_DEFLATE, (long)n);
	return n;
}

void balloon_page_migrated(struct memhp_balloon *b, uint32_t idx, struct memhp_page *dst)
{
	pthread_mutex_lock(&b->pages_lock);
	b->slots[idx].pfn = (uint32_t)memhp_page_to_pfn(dst);
	blist_add(b, &b->pages, idx);
	b->isolated--;
	pthread_mutex_unlock(&b->pages_lock);
	atomic_fetch_add(&b->migrated, 1);
	memhp_mod_vmstat(b->m, MEMHP_BALLOON_MIGRATE, 1);
}

/* Is @idx the slot of @page, in @state? */
static bool slot_is(struct memhp_balloon *b, uint32_t idx, const struct memhp_page *page,
		    enum bslot_state state)
{
	lockdep_assert_held(&b->pages_lock);
	return idx < b->nr_slots && b->slots[idx].state == state && b->slots[idx].order == 0 &&
	       b->slots[idx].pfn == memhp_page_to_pfn(page);
}

/* balloon_page_isolate(): the page may have been dequeued meanwhile. */
static bool balloon_isolate_page(struct memhp_page *page, void *owner)
{
	struct memhp_balloon *b = owner;
	uint32_t idx = memhp_page_private(page);
	bool ok;

	pthread_mutex_lock(&b->pages_lock);
	ok = slot_is(b, idx, page, BSLOT_LISTED);
	if (ok) {
		blist_del(b, &b->pages, idx);
		b->slots[idx].state = BSLOT_ISOLATED;
		b->isolated++;
	}
	pthread_mutex_unlock(&b->pages_lock);
	return ok;
}

/* balloon_page_putback(); a page VMware deflated during the failed
 * migration loses the balloon's reference here instead. */
static void balloon_putback_page(struct memhp_page *page, void *owner)
{
	struct memhp_balloon *b = owner;
	uint32_t idx = memhp_page_private(page);
	bool drop = false;

	pthread_mutex_lock(&b->pages_lock);
	if (slot_is(b, idx, page, BSLOT_ISOLATED)) {
		blist_add(b, &b->pages, idx);
		b->isolated--;
	} else if (slot_is(b, idx, page, BSLOT_DROPPED)) {
		bslot_free(b, idx);
		drop = true;
	}
	pthread_mutex_unlock(&b->pages_lock);
	if (drop) {
		memhp_ClearPageMovable(page);
		memhp_put_page(page);
	}
}

/* balloon_page_migrate(): the driver's migratepage under its lock. Like
 * virtio-balloon's mutex_trylock() and VMware's down_read_trylock(), a busy
 * balloon asks for a retry rather than wait under the hotplug locks.
 * Returns 0, -EAGAIN (busy), -EBUSY (not an isolated page of ours), or the
 * driver's error. */
static int balloon_migrate_page(struct memhp_page *dst, struct memhp_page *src, void *owner)
{
	struct memhp_balloon *b = owner;
	uint32_t idx = memhp_page_private(src);
	bool ok;
	int ret;

	if (pthread_mutex_trylock(&b->balloon_lock))
		return -EAGAIN;
	pthread_mutex_lock(&b->pages_lock);
	ok = slot_is(b, idx, src, BSLOT_ISOLATED);
	pthread_mutex_unlock(&b->pages_lock);
	/* For a moment both pages are PageOffline (and, across zones, the
	 * managed page is on the move): the checker must not look then.
	 * alloc_contig_range() and soft offlining migrate without the
	 * hotplug lock that would keep it out. */
	memhp_page_offline_begin(b->m);
	ret = ok ? b->ops->migratepage(b, dst, src, idx) : -EBUSY;
	memhp_page_offline_end(b->m);
	pthread_mutex_unlock(&b->balloon_lock);
	return ret;
}

static const struct memhp_movable_operations balloon_mops = {
	.name = "balloon",
	.lru = false,
	.isolate_page = balloon_isolate_page,
	.migrate_page = balloon_migrate_page,
	.putback_page = balloon_putback_page,
};

/* ---- virtio-balloon ------------------------------------------------------ */

/*
 * fill_balloon(), one request of up to VIRTIO_BALLOON_ARRAY_PFNS_MAX pages
 * at a time: allocate outside the lock, then enqueue, take the pages out of
 * managed_pages and tell the host. An allocation failure ends the round
 * ("Out of puff!"); memhp does not sleep 200 ms before the next.
 * Returns the pages inflated, or -ENOMEM if none could be tracked.
 */
static long virtio_inflate(struct memhp_balloon *b, unsigned long nr_pages)
{
	uint32_t pfns[VIRTIO_BALLOON_ARRAY_PFNS_MAX];
	unsigned long done = 0;
	bool out_of_puff = false, untracked = false;

	while (done < nr_pages && !out_of_puff && !untracked) {
		unsigned long want = nr_pages - done, got = 0, n = 0;

		if (want > VIRTIO_BALLOON_ARRAY_PFNS_MAX)
			want = VIRTIO_BALLOON_ARRAY_PFNS_MAX;
		/* Allocated, not yet movable pages in ZONE_MOVABLE would keep an
		 * offline retrying while it kept us from enqueuing them: hold
		 * mem_hotplug_lock from before the allocation. */
		memhp_get_online_mems(b->m);
		for (; got < want; got++) {
			struct memhp_page *page = memhp_alloc_pages(b->m, b->ops->gfp, 0);

			if (!page) {
				out_of_puff = true;
				break;
			}
			pfns[got] = (uint32_t)memhp_page_to_pfn(page);
		}
		pthread_mutex_lock(&b->balloon_lock);
		untracked = balloon_host_prepare(b, pfns, got, 0) != 0;
		for (; n < got && !untracked; n++) {
			struct memhp_page *page = balloon_page(b, pfns[n]);

			if (balloon_page_enqueue(b, page)) {
				untracked = true;
				break;
			}
			if (b->adjust_managed)
				memhp_adjust_managed_page_count(page, -1);
		}
		atomic_fetch_add(&b->nr_pages, n);
		if (n)
			balloon_tell_host(b, HOST_INFLATE, pfns, n, 0);
		pthread_mutex_unlock(&b->balloon_lock);
		for (unsigned long i = n; i < got; i++)
			memhp_put_page(balloon_page(b, pfns[i]));
		memhp_put_online_mems(b->m);
		done += n;
	}
	return done || !untracked ? (long)done : -ENOMEM;
}

/*
 * leak_balloon(): dequeue, tell the host before the pages are reused (as
 * VIRTIO_BALLOON_F_MUST_TELL_HOST asks), then give them back to
 * managed_pages and the buddy. Returns the pages deflated.
 */
static long virtio_deflate(struct memhp_balloon *b, unsigned long nr_pages)
{
	uint32_t pfns[VIRTIO_BALLOON_ARRAY_PFNS_MAX];
	unsigned long done = 0;

	while (done < nr_pages) {
		unsigned long want = nr_pages - done, n;

		if (want > VIRTIO_BALLOON_ARRAY_PFNS_MAX)
			want = VIRTIO_BALLOON_ARRAY_PFNS_MAX;
		balloon_begin_update(b);
		n = balloon_page_list_dequeue(b, pfns, want);
		atomic_fetch_sub(&b->nr_pages, n);
		if (n)
			balloon_tell_host(b, HOST_DEFLATE, pfns, n, 0);
		for (unsigned long i = 0; i < n; i++) {
			struct memhp_page *page = balloon_page(b, pfns[i]);

			if (b->adjust_managed)
				memhp_adjust_managed_page_count(page, 1);
			memhp_put_page(page);
		}
		balloon_end_update(b);
		done += n;
		if (n < want)
			break;
	}
	return (long)done;
}

/*
 * virtballoon_migratepage(): the new page becomes the balloon's and the
 * host hears "inflate the new page" before "deflate the old one". When the
 * page changes zone, the managed page the balloon took moves with it. The
 * old page is finalized; the core drops the balloon's reference and its own.
 * Returns 0, or -EAGAIN when the host's record cannot grow.
 */
static int virtio_migratepage(struct memhp_balloon *b, struct memhp_page *dst,
			      struct memhp_page *src, uint32_t idx)
{
	uint32_t new_pfn = (uint32_t)memhp_page_to_pfn(dst);
	uint32_t old_pfn = (uint32_t)memhp_page_to_pfn(src);

	if (balloon_host_prepare(b, &new_pfn, 1, 0))
		return -EAGAIN;
	/* 6.1 moves the count only when page_zone() differs; moving it
	 * always gives every zone the same count (and says which page is
	 * counted now), and a zone is its node's too: comparing only the
	 * zone type, a move from Normal of one node to Normal of another
	 * left both counts off by one. */
	if (b->adjust_managed) {
		memhp_adjust_managed_page_count(src, 1);
		memhp_adjust_managed_page_count(dst, -1);
	}
	balloon_mark_offline(b, dst);
	balloon_page_migrated(b, idx, dst);
	balloon_tell_host(b, HOST_INFLATE, &new_pfn, 1, 0);
	balloon_tell_host(b, HOST_DEFLATE, &old_pfn, 1, 0);
	balloon_mark_online(b, src);
	return 0;
}

/* ---- Kinds, create, destroy --------------------------------------------- */

static const struct balloon_kind_ops virtio_balloon_ops = {
	.name = "virtio",
	.compaction = true,
	.adjust_managed = true,
	.gfp = MEMHP_GFP_HIGHUSER_MOVABLE,
	.inflate = virtio_inflate,
	.deflate = virtio_deflate,
	.migratepage = virtio_migratepage,
};

/* balloon_mapping_gfp_mask() without compaction: GFP_HIGHUSER. */
static const struct balloon_kind_ops virtio_balloon_nc_ops = {
	.name = "virtio-no-compaction",
	.compaction = false,
	.adjust_managed = true,
	.gfp = BALLOON_GFP_HIGHUSER,
	.inflate = virtio_inflate,
	.deflate = virtio_deflate,
};

static const struct balloon_kind_ops *const balloon_kinds[MEMHP_NR_BALLOON_KINDS] = {
	[MEMHP_BALLOON_VIRTIO] = &virtio_balloon_ops,
	[MEMHP_BALLOON_VIRTIO_NO_COMPACTION] = &virtio_balloon_nc_ops,
	[MEMHP_BALLOON_XEN] = &xen_balloon_ops,
	[MEMHP_BALLOON_HYPERV] = &hv_balloon_ops,
	[MEMHP_BALLOON_VMWARE] = &vmw_balloon_ops,
	[MEMHP_BALLOON_VMWARE_4K] = &vmw_balloon_4k_ops,
};

const char *memhp_balloon_kind_name(enum memhp_balloon_kind kind)
{
	if ((unsigned int)kind >= MEMHP_NR_BALLOON_KINDS)
		return NULL;
	return balloon_kinds[kind]->name;
}

static void balloon_free(struct memhp_balloon *b)
{
	host_view_free(&b->host);
	free(b->slots);
	pthread_mutex_destroy(&b->balloon_lock);
	pthread_mutex_destroy(&b->pages_lock);
	pthread_mutex_destroy(&b->host_lock);
	free(b);
}

/* Undo what create registered, in reverse. */
static void balloon_unregister(struct memhp_balloon *b)
{
	if (b->notifier_registered)
		memhp_unregister_memory_notifier(b->m, &b->nb);
	if (b->callback_installed)
		memhp_restore_online_page_callback(b->m, b->ops->online_page);
	if (b->owner_id > 0)
		memhp_unregister_movable_owner(b->m, b->owner_id);
	b->notifier_registered = b->callback_installed = false;
	b->owner_id = 0;
}

int memhp_balloon_create(struct memhp_machine *m, enum memhp_balloon_kind kind,
			 struct memhp_balloon **out)
{
	struct memhp_balloon *b;
	int ret;

	if (!m || !out || (unsigned int)kind >= MEMHP_NR_BALLOON_KINDS)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->m = m;
	b->kind = kind;
	b->ops = balloon_kinds[kind];
	b->adjust_managed = b->ops->adjust_managed;
	b->free_slots = BALLOON_NIL;
	b->pages.head = b->huge_pages.head = BALLOON_NIL;
	mutex_init(&b->balloon_lock, LOCK_RANK_BALLOON);
	mutex_init(&b->pages_lock, LOCK_RANK_BALLOON_PAGES);
	mutex_init(&b->host_lock, LOCK_RANK_BALLOON_HOST);
	ret = host_view_init(&b->host, m);
	if (ret)
		goto fail;
	if (b->ops->compaction) {
		ret = memhp_register_movable_owner(m, &balloon_mops, b);
		if (ret < 0)
			goto fail;
		b->owner_id = ret;
	}
	if (b->ops->online_page) {
		/* 6.1's Xen and Hyper-V drivers ignore this error and run
		 * without the callback, so hot-added memory the host never
		 * backed would reach the buddy: refuse instead. */
		ret = memhp_set_online_page_callback(m, b->ops->online_page, b);
		if (ret)
			goto fail;
		b->callback_installed = true;
	}
	if (b->ops->notifier) {
		b->nb.notifier_call = b->ops->notifier;
		b->nb.priv = b;
		ret = memhp_register_memory_notifier(m, &b->nb);
		if (ret)
			goto fail;
		b->notifier_registered = true;
	}
	if (b->ops->init_message)
		memhp_printk(m, MEMHP_KERN_INFO, "%s", b->ops->init_message);
	*out = b;
	return 0;
fail:
	balloon_unregister(b);
	balloon_free(b);
	return ret;
}

void memhp_balloon_destroy(struct memhp_balloon *b)
{
	if (!b)
		return;
	/* No onlining, offlining or removal while the pages go back. */
	memhp_lock_device_hotplug(b->m);
	while (b->ops->deflate(b, ~0UL) > 0)
		;
	if (b->kind == MEMHP_BALLOON_HYPERV)
		balloon_hv_host_grant(b, ~0UL);
	balloon_unregister(b);
	memhp_unlock_device_hotplug(b->m);
	balloon_free(b);
}

enum memhp_balloon_kind memhp_balloon_kind(const struct memhp_balloon *b)
{
	return b ? b->kind : MEMHP_NR_BALLOON_KINDS;
}

long memhp_balloon_inflate(struct memhp_balloon *b, unsigned long nr_pages)
{
	if (!b)
		return -EINVAL;
	return nr_pages ? b->ops->inflate(b, nr_pages) : 0;
}

long memhp_balloon_deflate(struct memhp_balloon *b, unsigned long nr_pages)
{
	if (!b)
		return -EINVAL;
	return nr_pages ? b->ops->deflate(b, nr_pages) : 0;
}

void memhp_balloon_stats(struct memhp_balloon *b, struct memhp_balloon_stats *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	if (!b)
		return;
	st->pages = atomic_load(&b->nr_pages);
	st->huge_pages = atomic_load(&b->nr_huge);
	st->migrated = atomic_load(&b->migrated);
	st->refused = atomic_load(&b->refused);
	st->host_requests = atomic_load(&b->host_requests);
	st->hot_added = atomic_load(&b->hot_added);
	st->onlined = atomic_load(&b->onlined);
	pthread_mutex_lock(&b->pages_lock);
	st->isolated = b->isolated;
	pthread_mutex_unlock(&b->pages_lock);
	pthread_mutex_lock(&b->host_lock);
	st->host_pages = b->host.count;
	pthread_mutex_unlock(&b->host_lock);
}

bool memhp_balloon_host_has(struct memhp_balloon *b, unsigned long pfn)
{
	bool has;

	if (!b)
		return false;
	pthread_mutex_lock(&b->host_lock);
	has = host_view_test(&b->host, pfn);
	pthread_mutex_unlock(&b->host_lock);
	return has;
}

unsigned long memhp_balloon_host_pfns(struct memhp_balloon *b, unsigned long *pfns,
				      unsigned long max)
{
	const struct host_view *h;
	unsigned long n = 0, total;

	if (!b)
		return 0;
	h = &b->host;
	pthread_mutex_lock(&b->host_lock);
	total = h->count;
	for (unsigned long c = 0; c < h->nr_chunks && n < max && pfns; c++) {
		if (!h->bits[c])
			continue;
		for (unsigned long w = 0; w < h->pages_per_chunk / BITS_PER_WORD && n < max; w++) {
			uint64_t word = h->bits[c][w];

			while (word && n < max) {
				unsigned int bit = (unsigned int)__builtin_ctzll(word);

				pfns[n++] = c * h->pages_per_chunk + w * BITS_PER_WORD + bit;
				word &= word - 1;
			}
		}
	}
	pthread_mutex_unlock(&b->host_lock);
	return total;
}

int memhp_balloon_hot_add(struct memhp_balloon *b, uint64_t start, uint64_t size,
			  unsigned long nr_backed)
{
	if (!b)
		return -EINVAL;
	switch (b->kind) {
	case MEMHP_BALLOON_XEN:
		return balloon_xen_hot_add(b, start, size, nr_backed);
	case MEMHP_BALLOON_HYPERV:
		return balloon_hv_hot_add(b, start, size, nr_backed);
	default:
		return -EOPNOTSUPP;
	}
}

long memhp_balloon_host_grant(struct memhp_balloon *b, unsigned long nr_pages)
{
	if (!b)
		return -EINVAL;
	if (b->kind != MEMHP_BALLOON_HYPERV)
		return -EOPNOTSUPP;
	return balloon_hv_host_grant(b, nr_pages);
}

static bool balloon_is_virtio(const struct memhp_balloon *b)
{
	return b->kind == MEMHP_BALLOON_VIRTIO || b->kind == MEMHP_BALLOON_VIRTIO_NO_COMPACTION;
}

int memhp_balloon_set_host(struct memhp_balloon *b, memhp_balloon_tell_fn fn, void *priv)
{
	int ret = 0;

	if (!b)
		return -EINVAL;
	if (!balloon_is_virtio(b))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&b->balloon_lock);
	if (atomic_load(&b->nr_pages)) {
		ret = -EBUSY;
	} else {
		b->tell = fn;
		b->tell_priv = priv;
	}
	pthread_mutex_unlock(&b->balloon_lock);
	return ret;
}

int memhp_balloon_set_deflate_on_oom(struct memhp_balloon *b, bool on)
{
	int ret = 0;

	if (!b)
		return -EINVAL;
	if (!balloon_is_virtio(b))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&b->balloon_lock);
	if (atomic_load(&b->nr_pages))
		ret = -EBUSY;
	else
		b->adjust_managed = !on;
	pthread_mutex_unlock(&b->balloon_lock);
	return ret;
}

int memhp_balloon_host_refuse(struct memhp_balloon *b, long times)
{
	if (!b || times < -1)
		return -EINVAL;
	if (b->kind != MEMHP_BALLOON_VMWARE && b->kind != MEMHP_BALLOON_VMWARE_4K)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&b->host_lock);
	b->refuse = times;
	pthread_mutex_unlock(&b->host_lock);
	return 0;
}
