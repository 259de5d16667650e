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
 * Move one isolated page (a base page, a THP or a hugetlb page: its head).
 * Returns 0 (the source has lost its owner's reference, and the
 * isolation's too unless @reason is MR_MEMORY_FAILURE: soft offlining
 * poisons the source and puts that reference itself, as unmap_and_move()
 * leaves it to page_handle_poison()), -EAGAIN (try again), -ENOMEM (no
 * target), or the owner's error.
 */
static int migrate_one(struct memhp_machine *m, unsigned long src_pfn, enum migrate_reason reason)
{
	struct memhp_page *src = pfn_to_page(m, src_pfn), *dst;
	const bool hugetlb = test_page_flag(src, PG_hugetlb);
	const unsigned long nr = PageHead(src) ? 1UL << compound_order(src) : 1;
	const struct memhp_movable_operations *ops;
	void *owner;
	int owner_id = page_owner_id(src), rc;

	ops = owner_ops(m, owner_id, &owner);
	if (!ops || !ops->migrate_page)
		return -EBUSY;
	if (mhp_should_fail(m, MEMHP_FAULT_MIGRATION))
		return -EAGAIN;
	dst = mhp_should_fail(m, MEMHP_FAULT_MIGRATE_TARGET)
		      ? NULL
		      : migration_target(m, src, src_pfn, reason);
	if (!dst)
		return -ENOMEM;
	memcpy(memhp_page_address(dst), m->phys + PFN_PHYS(src_pfn), MEMHP_PAGE_SIZE * nr);
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
	/* The source is no one's now: unlink it and drop the owner's
	 * reference and ours; it frees into its isolated pageblock (a hugetlb
	 * page into its pool, or to the buddy if it took over a temporary
	 * status), unless a speculative walker still holds it, in which case
	 * the walker's put frees it. */
	clear_page_flag(src, PG_movable);
	clear_page_flag(src, PG_lru);
	set_page_owner(src, 0, 0);
	clear_page_flag(src, PG_isolated);
	memhp_put_page(src);
	if (reason != MR_MEMORY_FAILURE)
		memhp_put_page(src);
	return 0;
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
	unsigned long left = nr;
	long ret = 0;
	bool nomem = false;

	for (int pass = 0; pass < MIGRATE_PAGES_PASSES && left && !nomem; pass++) {
		unsigned long kept = 0;

		for (unsigned long i = 0; i < left; i++) {
			struct memhp_page *page = pfn_to_page(m, pfns[i]);
			int rc = migrate_one(m, pfns[i], reason);

			if (!rc) {
				(*nr_migrated)++;
				mod_vmstat(m, MEMHP_PGMIGRATE_SUCCESS, 1);
				continue;
			}
			/* No 2 MiB target for a THP: split it and move its
			 * pages one by one. */
			if (rc == -ENOMEM && PageHead(page) && !test_page_flag(page, PG_hugetlb)) {
				long failed = migrate_split_thp(m, pfns[i], reason, nr_migrated);

				if (failed >= 0) {
					ret += failed;
					continue;
				}
			}
			if (rc == -ENOMEM)
				nomem = true;
			if (rc == -EAGAIN || rc == -ENOMEM)
				pfns[kept++] = pfns[i];
			else
				putback_movable_page(m, pfn_to_page(m, pfns[i])), ret++;
		}
		left = kept;
	}
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
				memhp_report(m, pfn, "warn",
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
