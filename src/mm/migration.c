// SPDX-License-Identifier: MIT
/*
 * migration.c - movable pages, their owners, and moving them
 * (mm/migrate.c, and scan_movable_pages()/do_migrate_range() of
 * mm/memory_hotplug.c).
 *
 * One path for LRU-like and non-LRU movable pages: isolate with a
 * reference held (PG_isolated is the token; an LRU page also loses PG_lru
 * meanwhile, as isolate_lru_page() clears it), allocate a target outside
 * the isolated range, copy the 4 KiB, link the target to the same owner,
 * let the owner switch, then drop the source's references so it frees into
 * its (isolated) pageblock. The owner's reference moves with the page.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
#include <emmintrin.h>
#define MIGRATE_COPY_STREAMING 1
#endif

/* migrate_pages() gives each page this many passes (NR_MAX_MIGRATE_PAGES_RETRY). */
#define MIGRATE_PAGES_PASSES 10

int memhp_register_movable_owner(struct memhp_machine *m,
				 const struct memhp_movable_operations *ops, void *owner)
{
	int id = -ENOSPC;

	pthread_mutex_lock(&m->misc_lock);
	for (int i = 1; i < MEMHP_MAX_MOVABLE_OWNERS; i++) {
		if (!atomic_load(&m->owners[i].ops)) {
			m->owners[i].owner = owner;
			atomic_store_explicit(&m->owners[i].ops, ops, memory_order_release);
			id = i;
			break;
		}
	}
	pthread_mutex_unlock(&m->misc_lock);
	return id;
}

void memhp_unregister_movable_owner(struct memhp_machine *m, int owner_id)
{
	if (owner_id <= 0 || owner_id >= MEMHP_MAX_MOVABLE_OWNERS)
		return;
	pthread_mutex_lock(&m->misc_lock);
	atomic_store_explicit(&m->owners[owner_id].ops, NULL, memory_order_release);
	m->owners[owner_id].owner = NULL;
	pthread_mutex_unlock(&m->misc_lock);
}

const struct memhp_movable_operations *owner_ops(struct memhp_machine *m, int id, void **owner)
{
	const struct memhp_movable_operations *ops;

	if (id <= 0 || id >= MEMHP_MAX_MOVABLE_OWNERS)
		return NULL;
	ops = atomic_load_explicit(&m->owners[id].ops, memory_order_acquire);
	*owner = m->owners[id].owner;
	return ops;
}

/*
 * An LRU owner's page goes onto the LRU through this CPU's add batch
 * (folio_add_lru(), swap.c): PageLRU, and so migratable, only once the
 * batch drains. A non-LRU movable page (__SetPageMovable()) is movable at
 * once.
 */
void memhp_SetPageMovable(struct memhp_page *page, int owner_id, uint32_t private)
{
	struct memhp_machine *m = page_machine(page);
	void *owner;
	const struct memhp_movable_operations *ops = owner_ops(m, owner_id, &owner);

	set_page_owner(page, owner_id, private);
	if (ops && ops->lru)
		folio_add_lru(m, page);
	else
		set_page_flag(page, PG_movable);
}

/* One atomic step for the flags, so that a drain of the LRU add batch
 * racing with it never leaves PG_lru on a page its owner let go of. */
void memhp_ClearPageMovable(struct memhp_page *page)
{
	atomic_fetch_and_explicit(
		&page->flags,
		(uint16_t) ~((1u << PG_lru) | (1u << PG_movable) | (1u << PG_lru_pending)),
		memory_order_acq_rel);
	set_page_owner(page, 0, 0);
}

int memhp_page_owner(const struct memhp_page *page)
{
	return page_owner_id(page);
}

uint32_t memhp_page_private(const struct memhp_page *page)
{
	return page_private(page);
}

/* ---- Isolating and migrating one page ---------------------------------- */

/*
 * isolate_lru_page() / isolate_movable_page(): the caller holds a reference,
 * which becomes the isolation's (migration or putback drops it).
 * Returns 0, or -EBUSY (not movable, already isolated, owner refused).
 */
int isolate_movable_page(struct memhp_machine *m, struct memhp_page *page)
{
	const struct memhp_movable_operations *ops;
	void *owner;
	bool lru = PageLRU(page);

	if (!lru && !__PageMovable(page))
		return -EBUSY;
	if (test_and_set_page_flag(page, PG_isolated))
		return -EBUSY;
	ops = owner_ops(m, page_owner_id(page), &owner);
	if (!ops || !ops->isolate_page || mhp_should_fail(m, MEMHP_FAULT_MIGRATE_ISOLATE) ||
	    !ops->isolate_page(page, owner)) {
		clear_page_flag(page, PG_isolated);
		return -EBUSY;
	}
	if (lru)
		clear_page_flag(page, PG_lru);
	return 0;
}

void putback_movable_page(struct memhp_machine *m, struct memhp_page *page)
{
	const struct memhp_movable_operations *ops;
	void *owner;

	if (test_page_flag(page, PG_hugetlb)) {
		putback_hugetlb(m, page);
		return;
	}

	ops = owner_ops(m, page_owner_id(page), &owner);
	if (ops && ops->lru)
		set_page_flag(page, PG_lru);
	clear_page_flag(page, PG_isolated);
	if (ops && ops->putback_page)
		ops->putback_page(page, owner);
	memhp_put_page(page);
}

/*
 * The target of a migration (alloc_migration_target()): for a hugetlb page
 * a page of its hstate (alloc_huge_page_nodemask()); for a THP an order-9
 * GFP_TRANSHUGE page, which may come from ZONE_MOVABLE whatever the
 * source's zone; else an order-0 page.
 */
static struct memhp_page *migration_target(struct memhp_machine *m, struct memhp_page *src,
					   unsigned long src_pfn, enum migrate_reason reason)
{
	const int nid = pfn_to_nid(m, src_pfn);
	unsigned int nodemask = 0;

	/* do_migrate_range(): every node with memory but the source's, if
	 * there is another one. */
	if (reason == MR_MEMORY_HOTPLUG) {
		for (int n = 0; n < m->nr_node_ids; n++)
			if (n != nid && READ_ONCE(NODE_DATA_M(m, n)->n_memory))
				nodemask |= 1u << n;
	}
	if (test_page_flag(src, PG_hugetlb))
		return alloc_huge_page_nodemask(m, page_hstate(m, src), nid, nodemask);
	if (PageHead(src))
		return __alloc_pages_nodemask(m, nid, nodemask,
					      MEMHP_GFP_USER | MEMHP_GFP_TRANSHUGE,
					      compound_order(src));
	return alloc_migration_target(m, pfn_zone(m, src_pfn)->idx, nid, nodemask);
}

/*
 * copy_highpage() for @nr pages. The host's memcpy() of one page uses
 * ordinary stores: each target line is first read from memory, then
 * written back, and the first locked instruction after the copy waits for
 * all of them. A migration moves far more than the cache holds and nobody
 * reads the targets soon, so streaming stores (what the C library's
 * memcpy() uses for copies of this size) write each line once.
 * copy_pages_fence() orders them before anything that lets the owner see
 * a target. Sanitizer builds keep memcpy(), which they instrument.
 */
static void copy_pages_stream(void *dst, const void *src, unsigned long nr)
{
#ifdef MIGRATE_COPY_STREAMING
	__m128i *d = dst;
	const __m128i *s = src;

	for (size_t i = 0; i < nr * MEMHP_PAGE_SIZE / sizeof(*d); i += 4) {
		__m128i a = _mm_load_si128(s + i), b = _mm_load_si128(s + i + 1);
		__m128i c = _mm_load_si128(s + i + 2), e = _mm_load_si128(s + i + 3);

		_mm_stream_si128(d + i, a);
		_mm_stream_si128(d + i + 1, b);
		_mm_stream_si128(d + i + 2, c);
		_mm_stream_si128(d + i + 3, e);
	}
#else
	memcpy(dst, src, MEMHP_PAGE_SIZE * nr);
#endif
}

/*
 * The hardware prefetchers do not cross a 4 KiB page: every copy would
 * start with a miss. Asking for the next source's first lines while this
 * page is copied hides that (bench_hotplug migrate, alternating builds:
 * 12.1-12.9 ms of CPU time where it took 12.8-13.5 without; 2, 8 or 16
 * lines did no better than 4).
 */
#define MIGRATE_PREFETCH_LINES 4
#define CACHE_LINE 64

static void prefetch_page_start(const void *page)
{
	for (unsigned int l = 0; l < MIGRATE_PREFETCH_LINES; l++)
		__builtin_prefetch((const char *)page + l * CACHE_LINE, 0, 3);
}

static void copy_pages_fence(void)
{
#ifdef MIGRATE_COPY_STREAMING
	_mm_sfence();
#endif
}

/*
 * The first half of moving one isolated page (a base page, a THP or a
 * hugetlb page: its head): its owner and a target. Returns 0 with *@dst
 * set, -EBUSY (no owner that migrates), -EAGAIN (try again) or -ENOMEM
 * (no target).
 */
static int migrate_prepare(struct memhp_machine *m, unsigned long src_pfn,
			   enum migrate_reason reason, const struct memhp_movable_operations **ops,
			   void **owner, struct memhp_page **dst)
{
	struct memhp_page *src = pfn_to_page(m, src_pfn);

	*ops = owner_ops(m, page_owner_id(src), owner);
	if (!*ops || !(*ops)->migrate_page)
		return -EBUSY;
	if (mhp_should_fail(m, MEMHP_FAULT_MIGRATION))
		return -EAGAIN;
	*dst = mhp_should_fail(m, MEMHP_FAULT_MIGRATE_TARGET)
		       ? NULL
		       : migration_target(m, src, src_pfn, reason);
	return *dst ? 0 : -ENOMEM;
}

/*
 * The second half, once the bytes are copied: the owner switches to
 * @dst. Returns 0 or the owner's error (the target is freed again). On
 * success the source is no one's: @free_src (the bulk path) gets it with
 * both references dropped when nobody else holds one, and returns true;
 * otherwise the source loses the owner's reference, and the isolation's
 * too unless @reason is MR_MEMORY_FAILURE (soft offlining poisons the
 * source and puts that reference itself, as unmap_and_move() leaves it to
 * page_handle_poison()), which frees it into its isolated pageblock (a
 * hugetlb page into its pool, or to the buddy if it took over a temporary
 * status), unless a speculative walker still holds it, whose put then
 * frees it.
 */
static int migrate_switch(struct memhp_machine *m, unsigned long src_pfn, struct memhp_page *dst,
			  const struct memhp_movable_operations *ops, void *owner,
			  enum migrate_reason reason, bool *freed_to_caller)
{
	struct memhp_page *src = pfn_to_page(m, src_pfn);
	const bool hugetlb = test_page_flag(src, PG_hugetlb);
	int owner_id = page_owner_id(src), rc;

	/* The target is fully the owner's before the owner sees it: once it
	 * switched, it may free the page at any moment (a balloon deflating,
	 * data being freed), so nothing here may touch it afterwards. */
	set_page_owner(dst, owner_id, page_private(src));
	if (!hugetlb)
		set_page_flag(dst, ops->lru ? PG_lru : PG_movable);
	rc = ops->migrate_page(dst, src, owner);
	if (rc) {
		clear_page_flag(dst, PG_lru);
		clear_page_flag(dst, PG_movable);
		set_page_owner(dst, 0, 0);
		memhp_put_page(dst);
		return rc;
	}
	if (hugetlb)
		move_hugetlb_state(m, src, dst);
	if (freed_to_caller) {
		uint32_t refs = 2;

		/* One step for what the per-page path does in four (nobody
		 * looks at an isolated page's flags in between), and both
		 * references at once when they are the only ones. */
		atomic_fetch_and_explicit(
			&src->flags,
			(uint16_t) ~((1u << PG_movable) | (1u << PG_lru) | (1u << PG_isolated)),
			memory_order_release);
		set_page_owner(src, 0, 0);
		*freed_to_caller = atomic_compare_exchange_strong_explicit(
			&src->refcount, &refs, 0, memory_order_acq_rel, memory_order_relaxed);
		if (*freed_to_caller)
			return 0;
	} else {
		clear_page_flag(src, PG_movable);
		clear_page_flag(src, PG_lru);
		set_page_owner(src, 0, 0);
		clear_page_flag(src, PG_isolated);
	}
	memhp_put_page(src);
	if (reason != MR_MEMORY_FAILURE)
		memhp_put_page(src);
	return 0;
}

/*
 * Move one isolated page. Returns 0 (the source has lost its owner's
 * reference, and the isolation's too unless @reason is
 * MR_MEMORY_FAILURE), -EAGAIN (try again), -ENOMEM (no target), or the
 * owner's error.
 */
static int migrate_one(struct memhp_machine *m, unsigned long src_pfn, enum migrate_reason reason)
{
	struct memhp_page *src = pfn_to_page(m, src_pfn), *dst;
	const unsigned long nr = PageHead(src) ? 1UL << compound_order(src) : 1;
	const struct memhp_movable_operations *ops;
	void *owner;
	int rc = migrate_prepare(m, src_pfn, reason, &ops, &owner, &dst);

	if (rc)
		return rc;
	copy_pages_stream(memhp_page_address(dst), m->phys + PFN_PHYS(src_pfn), nr);
	copy_pages_fence();
	return migrate_switch(m, src_pfn, dst, ops, owner, reason, NULL);
}

/*
 * Base pages move MIGRATE_BATCH at a time, as migrate_pages_batch() moves
 * them since Linux 6.3 (6.1 moves each page before it takes the next
 * one's target): the owners and targets of the batch in order, then each
 * page copied and switched to its owner, in order. A target whose owner
 * refuses the switch goes back to the allocator then, after the batch's
 * later targets were taken (docs/semantics.md, "Deviations").
 *
 * The bulk path (docs/semantics.md, "Bulk paths") copies the whole batch
 * back to back (the streaming stores of one page drain while the next is
 * read, instead of at the first lock after each page), then switches, and
 * frees the sources together under one zone lock (free_unref_page_list()).
 * The allocator sees the same calls in the same order on both paths, and
 * the sources go to isolated pageblocks, which hand out nothing. It is
 * taken when nobody can tell the difference: no PFN walker has run (one
 * could see a copied target wait for its switch, or a source for its
 * free, for as long as a batch takes), no deterministic schedule is being
 * explored (which interleaves at every step), and not for soft offlining
 * (one page, its source kept).
 */
static bool migrate_bulk_allowed(struct memhp_machine *m, enum migrate_reason reason)
{
	return reason != MR_MEMORY_FAILURE && !memhp_machine_has_pfn_walkers(m) &&
	       !atomic_load_explicit(&mhp_sched_hook, memory_order_relaxed);
}

/* How many of the first @nr entries of @pfns are base pages, up to a batch. */
static unsigned long base_page_run(struct memhp_machine *m, const unsigned long *pfns,
				   unsigned long nr)
{
	unsigned long n = 0;

	while (n < nr && n < MIGRATE_BATCH && !PageHead(pfn_to_page(m, pfns[n])))
		n++;
	return n;
}

/* Move the @nr base pages of @pfns, each one's result into @rc. */
static void migrate_batch(struct memhp_machine *m, const unsigned long *pfns, unsigned long nr,
			  enum migrate_reason reason, bool bulk, int *rc)
{
	const struct memhp_movable_operations *ops[MIGRATE_BATCH];
	void *owner[MIGRATE_BATCH];
	struct memhp_page *dst[MIGRATE_BATCH];
	unsigned long freed[MIGRATE_BATCH];
	unsigned int nr_freed = 0;

	for (unsigned long i = 0; i < nr; i++)
		rc[i] = migrate_prepare(m, pfns[i], reason, &ops[i], &owner[i], &dst[i]);
	if (!bulk) {
		for (unsigned long i = 0; i < nr; i++) {
			if (rc[i])
				continue;
			copy_pages_stream(memhp_page_address(dst[i]), m->phys + PFN_PHYS(pfns[i]),
					  1);
			copy_pages_fence();
			rc[i] = migrate_switch(m, pfns[i], dst[i], ops[i], owner[i], reason, NULL);
		}
		return;
	}
	ADD_ONCE(m->nr_bulk_updates, 1);
	for (unsigned long i = 0; i < nr; i++) {
		if (i + 1 < nr)
			prefetch_page_start(m->phys + PFN_PHYS(pfns[i + 1]));
		if (!rc[i])
			copy_pages_stream(memhp_page_address(dst[i]), m->phys + PFN_PHYS(pfns[i]),
					  1);
	}
	copy_pages_fence();
	for (unsigned long i = 0; i < nr; i++) {
		bool to_free = false;

		if (rc[i])
			continue;
		rc[i] = migrate_switch(m, pfns[i], dst[i], ops[i], owner[i], reason, &to_free);
		if (to_free)
			freed[nr_freed++] = pfns[i];
	}
	free_unref_page_list(m, freed, nr_freed);
}

/*
 * A THP without a target (try_split_folio()): split, then each of its
 * pages migrated on its own, a few passes each; what still fails goes back
 * to its owner. Returns the pages that failed, or -EBUSY if it could not
 * be split (the caller puts it back whole).
 */
static long migrate_split_thp(struct memhp_machine *m, unsigned long head_pfn,
			      enum migrate_reason reason, unsigned long *nr_migrated)
{
	const unsigned long nr = 1UL << compound_order(pfn_to_page(m, head_pfn));
	long failed = 0;

	if (split_huge_page(m, pfn_to_page(m, head_pfn)))
		return -EBUSY;
	for (unsigned long i = 0; i < nr; i++) {
		int rc = -EAGAIN;

		for (int pass = 0; pass < MIGRATE_PAGES_PASSES && rc == -EAGAIN; pass++)
			rc = migrate_one(m, head_pfn + i, reason);
		if (!rc) {
			(*nr_migrated)++;
			mod_vmstat(m, MEMHP_PGMIGRATE_SUCCESS, 1);
		} else {
			putback_movable_page(m, pfn_to_page(m, head_pfn + i));
			failed++;
		}
	}
	return failed;
}

/*
 * migrate_pages(): up to MIGRATE_PAGES_PASSES passes over the isolated
 * pages @pfns; pages that still fail go back to their owners. Returns the
 * number that failed, or -ENOMEM when no target could be allocated.
 */
long migrate_pages(struct memhp_machine *m, unsigned long *pfns, unsigned long nr,
		   enum migrate_reason reason, unsigned long *nr_migrated)
{
	unsigned long left = nr, succeeded = 0;
	long ret = 0;
	bool nomem = false;

	for (int pass = 0; pass < MIGRATE_PAGES_PASSES && left && !nomem; pass++) {
		const bool bulk = migrate_bulk_allowed(m, reason);
		unsigned long kept = 0, done = 0;

		for (unsigned long i = 0; i < left; i += done) {
			int rcs[MIGRATE_BATCH];

			done = base_page_run(m, pfns + i, left - i);
			if (done) {
				migrate_batch(m, pfns + i, done, reason, bulk, rcs);
			} else {
				done = 1;
				rcs[0] = migrate_one(m, pfns[i], reason);
			}
			for (unsigned long j = i; j < i + done; j++) {
				struct memhp_page *page = pfn_to_page(m, pfns[j]);
				int rc = rcs[j - i];

				if (!rc) {
					succeeded++;
					continue;
				}
				/* No 2 MiB target for a THP: split it and move
				 * its pages one by one. */
				if (rc == -ENOMEM && PageHead(page) &&
				    !test_page_flag(page, PG_hugetlb)) {
					long failed =
						migrate_split_thp(m, pfns[j], reason, nr_migrated);

					if (failed >= 0) {
						ret += failed;
						continue;
					}
				}
				if (rc == -ENOMEM)
					nomem = true;
				if (rc == -EAGAIN || rc == -ENOMEM)
					pfns[kept++] = pfns[j];
				else
					putback_movable_page(m, page), ret++;
			}
		}
		left = kept;
	}
	*nr_migrated += succeeded;
	mod_vmstat(m, MEMHP_PGMIGRATE_SUCCESS, (long)succeeded);
	mod_vmstat(m, MEMHP_PGMIGRATE_FAIL, (long)left + ret);
	for (unsigned long i = 0; i < left; i++) {
		if (mhp_ratelimit(m))
			mhp_log(m, KERN_WARNING, "migrating pfn %lx failed ret:%ld", pfns[i],
				(long)left);
		putback_movable_page(m, pfn_to_page(m, pfns[i]));
	}
	ret += (long)left;
	return nomem ? -ENOMEM : ret;
}

/* ---- The offline loop's helpers ------------------------------------------ */

/*
 * scan_movable_pages(): the first movable page of [start, end) into
 * @movable_pfn and 0; -ENOENT if there is none; -EBUSY at once on a
 * PageOffline page offlining cannot skip: referenced (6.1) or not
 * skippable (2025). Free chunks are stepped over whole.
 */
int scan_movable_pages(struct memhp_machine *m, unsigned long start, unsigned long end,
		       unsigned long *movable_pfn)
{
	const bool skippable_rule = m->cfg.protocol == MEMHP_PROTOCOL_2025;
	const uint64_t movable = RAW0_FLAG(PG_lru) | RAW0_FLAG(PG_movable);

	for (unsigned long pfn = start; pfn < end;) {
		/* pfn_valid() is a section's: ask once per section. */
		const unsigned long section_end =
			MIN(end, ALIGN_DOWN(pfn, m->pages_per_section) + m->pages_per_section);

		if (!pfn_valid_m(m, pfn)) {
			pfn = section_end;
			continue;
		}
		while (pfn < section_end) {
			const struct memhp_page *page = pfn_to_page(m, pfn);
			const uint64_t w = page_raw0(page);

			if (raw0_type(w) == PGTY_BUDDY) {
				pfn += 1UL << raw0_order(w);
				continue;
			}
			if (w & movable) {
				*movable_pfn = pfn;
				return 0;
			}
			/* A compound page answers for all its pages: a THP
			 * if its head is on the LRU, a hugetlb page if it is
			 * HPageMigratable; otherwise it is stepped over. */
			if (raw0_flag(w, PG_head) || raw0_flag(w, PG_tail)) {
				struct memhp_page *head = compound_head((struct memhp_page *)page);
				const uint64_t hw = page_raw0(head);
				const unsigned long end_of =
					page_to_pfn_m(m, head) +
					(1UL << (raw0_order_byte(hw) & COMPOUND_ORDER_MASK));

				if ((hw & movable) || (raw0_flag(hw, PG_hugetlb) &&
						       raw0_flag(hw, PG_hpage_migratable))) {
					*movable_pfn = pfn;
					return 0;
				}
				pfn = MAX(pfn + 1, MIN(end_of, section_end));
				continue;
			}
			if (raw0_type(w) == PGTY_OFFLINE &&
			    (skippable_rule ? !raw0_flag(w, PG_offline_skippable)
					    : raw0_count(w) != 0))
				return -EBUSY;
			pfn += 1 + raw0_run(page + 1, section_end - pfn - 1, w);
		}
	}
	return -ENOENT;
}

struct pfn_vec {
	unsigned long *v;
	unsigned long nr, cap;
};

static int pfn_vec_push(struct memhp_machine *m, struct pfn_vec *vec, unsigned long pfn)
{
	if (vec->nr == vec->cap) {
		unsigned long ncap = vec->cap ? vec->cap * 2 : 256;
		unsigned long *nv = mhp_should_fail(m, MEMHP_FAULT_MIGRATE_LIST)
					    ? NULL
					    : realloc(vec->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		vec->v = nv;
		vec->cap = ncap;
	}
	vec->v[vec->nr++] = pfn;
	return 0;
}

/*
 * Isolate every movable page of [start, end) onto @vec. Offlining leaves
 * HWPoison and skippable PageOffline pages alone (do_migrate_range()); a
 * poisoned page that is still on the LRU, which memory_failure() should
 * have unmapped, is a WARN in 6.1, which then takes it off the LRU and
 * unmaps it: here its owner is asked to let go of it. Returns 0 or -ENOMEM.
 */
static int isolate_range(struct memhp_machine *m, unsigned long start, unsigned long end,
			 bool offlining, struct pfn_vec *vec)
{
	const bool skippable_rule = m->cfg.protocol == MEMHP_PROTOCOL_2025;

	vec->nr = 0;
	for (unsigned long pfn = start; pfn < end; pfn++) {
		struct memhp_page *page;

		if (!pfn_valid_m(m, pfn))
			continue;
		page = pfn_to_page(m, pfn);
		if (PageBuddy(page)) {
			pfn += (1UL << buddy_order(page)) - 1;
			continue;
		}
		if (PageCompound(page)) {
			struct memhp_page *head = compound_head(page);
			const unsigned long head_pfn = page_to_pfn_m(m, head);

			pfn = head_pfn + (1UL << compound_order(head)) - 1;
			if (test_page_flag(head, PG_hugetlb)) {
				bool isolated = false;

				/* Offlining isolates what is migratable and
				 * dissolves the free ones later; alloc_contig_range()
				 * replaces free ones at once. */
				if (offlining) {
					isolated = !isolate_hugetlb(m, head);
				} else if (isolate_or_dissolve_huge_page(m, page, &isolated) ==
					   -ENOMEM) {
					for (unsigned long i = 0; i < vec->nr; i++)
						putback_movable_page(m, pfn_to_page(m, vec->v[i]));
					vec->nr = 0;
					return -ENOMEM;
				}
				if (isolated && pfn_vec_push(m, vec, head_pfn)) {
					putback_hugetlb(m, head);
					for (unsigned long i = 0; i < vec->nr; i++)
						putback_movable_page(m, pfn_to_page(m, vec->v[i]));
					vec->nr = 0;
					return -ENOMEM;
				}
				continue;
			}
			/* A THP: its head is isolated and moved for all. */
			page = head;
		}
		if (offlining && PageHWPoison(page)) {
			if (PageLRU(page)) {
				memhp_report(m, pfn, MEMHP_RULE_WARN,
					     "do_migrate_range: a HWPoison page is on the LRU");
				unmap_poisoned_page(m, page);
			}
			continue;
		}
		if (offlining && skippable_rule && PageOffline(page) && PageOfflineSkippable(page))
			continue;
		if (!(PageLRU(page) || __PageMovable(page)))
			continue;
		if (!get_page_unless_zero(page))
			continue;
		if (isolate_movable_page(m, page)) {
			if (offlining && mhp_ratelimit(m))
				mhp_log(m, KERN_WARNING, "failed to isolate pfn %lx",
					page_to_pfn_m(m, page));
			memhp_put_page(page);
			continue;
		}
		if (pfn_vec_push(m, vec, page_to_pfn_m(m, page))) {
			/* Every page isolated so far goes back too: left
			 * isolated, each would fail isolation for ever and
			 * offlining would retry without end. */
			putback_movable_page(m, page);
			for (unsigned long i = 0; i < vec->nr; i++)
				putback_movable_page(m, pfn_to_page(m, vec->v[i]));
			vec->nr = 0;
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * Migrate every movable page of [start, end).
 * @offlining: do_migrate_range(): one migrate_pages() call; what fails
 * goes back to its owner and the offline loop decides what next.
 * Otherwise __alloc_contig_migrate_range(): up to @max_tries rounds over
 * whatever is still movable in the range, then -EBUSY.
 * Returns 0, -EBUSY, -ENOMEM, -EINTR.
 */
int migrate_movable_range(struct memhp_machine *m, unsigned long start, unsigned long end,
			  bool offlining, unsigned int max_tries, unsigned long *nr_migrated)
{
	struct pfn_vec vec = { 0 };
	unsigned long migrated = 0;
	unsigned int tries = 0;
	long failed = 0;
	int ret;

	for (;;) {
		ret = isolate_range(m, start, end, offlining, &vec);
		if (ret || !vec.nr)
			break;
		if (!offlining && memhp_signal_pending()) {
			for (unsigned long i = 0; i < vec.nr; i++)
				putback_movable_page(m, pfn_to_page(m, vec.v[i]));
			ret = -EINTR;
			break;
		}
		failed = migrate_pages(m, vec.v, vec.nr,
				       offlining ? MR_MEMORY_HOTPLUG : MR_CONTIG_RANGE, &migrated);
		if (failed == -ENOMEM) {
			ret = -ENOMEM;
			break;
		}
		if (offlining || !failed)
			break;
		if (++tries >= max_tries) {
			ret = -EBUSY;
			break;
		}
	}
	free(vec.v);
	if (nr_migrated)
		*nr_migrated += migrated;
	if (ret)
		return ret;
	return failed ? -EBUSY : 0;
}
