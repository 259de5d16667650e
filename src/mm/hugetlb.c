// SPDX-License-Identifier: MIT
/*
 * hugetlb.c - hugetlb pools and pages (mm/hugetlb.c), and hugetlbfs files
 * that use them.
 *
 * An hstate keeps a pool of huge pages per node: nr_hugepages of them, of
 * which free_hugepages sit on the node's free list (last freed, first
 * handed out) with refcount 0, and surplus ones beyond the persistent
 * count go back to the buddy when freed. A 2 MiB page is an order-9
 * __GFP_COMP allocation of GFP_HIGHUSER_MOVABLE (so it may come from
 * ZONE_MOVABLE and be migrated); a 1 GiB page is found by
 * alloc_contig_pages() in ZONE_NORMAL or below and never in ZONE_MOVABLE
 * (hugepage_movable_supported() is false for gigantic pages).
 *
 * Hotplug meets them in three places, as in 6.1: has_unmovable_pages()
 * lets them through (x86 migrates both sizes), offlining migrates in-use
 * pages that are HPageMigratable (a target comes from the pool, whatever
 * pageblock it lies in, else from the buddy as a temporary page) and then
 * dissolves the free ones into the buddy (the pool shrinks), and
 * alloc_contig_range() migrates in-use pages and replaces free ones with
 * fresh pages from elsewhere (the pool keeps its size).
 */
#include "internal.h"

#include <stdlib.h>

#define HUGETLB_2M_ORDER 9
#define HUGETLB_1G_ORDER 18

static inline bool hpage_freed(const struct memhp_page *head)
{
	return atomic_load_explicit(&((struct memhp_page *)head)->order, memory_order_relaxed) &
	       HUGETLB_FREED_MARK;
}

static inline void set_hpage_freed(struct memhp_page *head, bool freed)
{
	uint8_t o = atomic_load_explicit(&head->order, memory_order_relaxed);

	atomic_store_explicit(&head->order,
			      (uint8_t)(freed ? o | HUGETLB_FREED_MARK : o & ~HUGETLB_FREED_MARK),
			      memory_order_relaxed);
}

static inline int page_nid(struct memhp_machine *m, struct memhp_page *page)
{
	return pfn_to_nid(m, page_to_pfn_m(m, page));
}

/*
 * hstate_next_node_to_alloc() / _to_free(): the pool grows and shrinks
 * round robin over the nodes with memory, from where it stopped last.
 * Returns the node to try and moves the cursor past it.
 */
static int hstate_next_node(struct memhp_machine *m, int *cursor)
{
	for (int i = 0; i < m->nr_node_ids; i++) {
		int nid = (*cursor + i) % m->nr_node_ids;

		if (READ_ONCE(NODE_DATA_M(m, nid)->n_memory)) {
			*cursor = (nid + 1) % m->nr_node_ids;
			return nid;
		}
	}
	return 0;
}

struct hstate *page_hstate(struct memhp_machine *m, struct memhp_page *head)
{
	unsigned int order = compound_order(head);

	for (int i = 0; i < m->nr_hstates; i++)
		if (m->hstates[i].order == order)
			return &m->hstates[i];
	return &m->hstates[0];
}

static inline unsigned long pages_per_huge_page(const struct hstate *h)
{
	return 1UL << h->order;
}

/* ---- The free lists (hugetlb_lock) ----------------------------------------- */

/* enqueue_huge_page(): at the head of its node's free list. */
static void enqueue_huge_page(struct memhp_machine *m, struct hstate *h, struct memhp_page *head)
{
	const int nid = page_nid(m, head);
	struct free_list *list = &h->hugepage_freelists[nid];
	const unsigned long pfn = page_to_pfn_m(m, head);

	set_buddy_link(head, prev, PFN_NIL);
	set_buddy_link(head, next, list->head);
	if (list->head == PFN_NIL)
		list->tail = (uint32_t)pfn;
	else
		set_buddy_link(pfn_to_page(m, list->head), prev, (uint32_t)pfn);
	list->head = (uint32_t)pfn;
	set_hpage_freed(head, true);
	h->free_huge_pages++;
	h->free_huge_pages_node[nid]++;
}

static void unlink_huge_page(struct memhp_machine *m, struct hstate *h, struct memhp_page *head)
{
	struct free_list *list = &h->hugepage_freelists[page_nid(m, head)];

	if (head->buddy.prev == PFN_NIL)
		list->head = head->buddy.next;
	else
		set_buddy_link(pfn_to_page(m, head->buddy.prev), next, head->buddy.next);
	if (head->buddy.next == PFN_NIL)
		list->tail = head->buddy.prev;
	else
		set_buddy_link(pfn_to_page(m, head->buddy.next), prev, head->buddy.prev);
	set_buddy_link(head, next, 0);
	set_buddy_link(head, prev, 0);
	set_hpage_freed(head, false);
}

/*
 * dequeue_huge_page_node_exact(): the free page at the head of the list,
 * refcount 1. 6.1 does not look at the page's pageblock: while offlining,
 * the page it hands out as a migration target may lie in the very range
 * being offlined.
 */
static struct memhp_page *dequeue_huge_page_node(struct memhp_machine *m, struct hstate *h, int nid)
{
	struct free_list *list = &h->hugepage_freelists[nid];

	for (uint32_t pfn = list->head; pfn != PFN_NIL; pfn = pfn_to_page(m, pfn)->buddy.next) {
		struct memhp_page *head = pfn_to_page(m, pfn);

		if (PageHWPoison(head))
			continue;
		unlink_huge_page(m, h, head);
		h->free_huge_pages--;
		h->free_huge_pages_node[nid]--;
		set_page_count(head, 1);
		return head;
	}
	return NULL;
}

/* remove_hugetlb_page(): out of the pool's counts (and its free list). */
static void remove_hugetlb_page(struct memhp_machine *m, struct hstate *h, struct memhp_page *head,
				bool adjust_surplus)
{
	const int nid = page_nid(m, head);

	if (hpage_freed(head)) {
		unlink_huge_page(m, h, head);
		h->free_huge_pages--;
		h->free_huge_pages_node[nid]--;
	}
	if (adjust_surplus) {
		h->surplus_huge_pages--;
		h->surplus_huge_pages_node[nid]--;
	}
	h->nr_huge_pages--;
	h->nr_huge_pages_node[nid]--;
	/* 2^order plain pages from now on, refcount 0, on their way to the
	 * buddy (update_and_free_page()). */
	destroy_compound_page(m, head);
}

/* ---- Pages from and back to the buddy ------------------------------------------- */

/*
 * update_and_free_page(): a page no longer in the pool goes back to the
 * buddy: a 2 MiB page as one order-9 free (through the per-cpu lists), a
 * gigantic page page by page (free_contig_range()).
 */
static void update_and_free_page(struct memhp_machine *m, struct hstate *h, struct memhp_page *head)
{
	const unsigned long nr = pages_per_huge_page(h);

	if (h->gigantic) {
		for (unsigned long i = 0; i < nr; i++)
			set_page_count(head + i, 1);
		memhp_free_contig_range(m, page_to_pfn_m(m, head), nr);
		return;
	}
	set_page_count(head, 1);
	memhp_free_pages(head, h->order);
}

/*
 * alloc_buddy_huge_page() / alloc_gigantic_page(): 2^order fresh pages as
 * one compound page with one reference, not yet a hugetlb page.
 */
static struct memhp_page *alloc_fresh_huge_page(struct memhp_machine *m, struct hstate *h,
						memhp_gfp_t gfp, int nid)
{
	struct memhp_page *head;

	if (h->gigantic) {
		head = alloc_contig_pages(m, pages_per_huge_page(h), gfp, nid);
		if (!head)
			return NULL;
		for (unsigned long i = 1; i < pages_per_huge_page(h); i++)
			set_page_count(head + i, 0);
		prep_compound_page(m, head, h->order);
		return head;
	}
	return __alloc_pages_exact(m, nid, gfp | MEMHP___GFP_COMP, h->order);
}

/* prep_new_huge_page(): the page joins the pool's count, still holding
 * its reference. Caller holds hugetlb_lock. */
static void prep_new_huge_page(struct memhp_machine *m, struct hstate *h, struct memhp_page *head)
{
	set_page_flag(head, PG_hugetlb);
	h->nr_huge_pages++;
	h->nr_huge_pages_node[page_nid(m, head)]++;
}

/* A page the caller took back from alloc_fresh_huge_page() unused. */
static void free_fresh_huge_page(struct memhp_machine *m, struct hstate *h, struct memhp_page *head)
{
	destroy_compound_page(m, head);
	update_and_free_page(m, h, head);
}

/* htlb_alloc_mask(): 2 MiB pages may be moved, so may live in ZONE_MOVABLE;
 * gigantic ones may not (hugepage_movable_supported()). */
static memhp_gfp_t htlb_alloc_mask(const struct hstate *h)
{
	return h->gigantic ? MEMHP___GFP_HIGHMEM : MEMHP_GFP_HIGHUSER_MOVABLE;
}

/*
 * __free_huge_page() with the last reference just gone, hugetlb_lock
 * held: a temporary page (a migration target that lost its use) or a
 * surplus one leaves the pool, and true says it goes to the buddy; any
 * other goes onto its node's free list.
 */
static bool __free_huge_page(struct memhp_machine *m, struct hstate *h, struct memhp_page *head)
{
	const int nid = page_nid(m, head);

	set_page_owner(head, 0, 0);
	clear_page_flag(head, PG_hpage_migratable);
	if (test_page_flag(head, PG_hpage_temporary)) {
		clear_page_flag(head, PG_hpage_temporary);
		remove_hugetlb_page(m, h, head, false);
		return true;
	}
	if (h->surplus_huge_pages_node[nid]) {
		remove_hugetlb_page(m, h, head, true);
		return true;
	}
	enqueue_huge_page(m, h, head);
	return false;
}

/*
 * put_page() of a hugetlb page: the count drops under hugetlb_lock, so
 * that nobody sees a free huge page that is not yet in its pool.
 */
void free_huge_page(struct memhp_machine *m, struct memhp_page *head)
{
	struct hstate *h = page_hstate(m, head);
	bool to_buddy;

	pthread_mutex_lock(&m->hugetlb_lock);
	if (!memhp_page_ref_dec_and_test(head)) {
		pthread_mutex_unlock(&m->hugetlb_lock);
		return;
	}
	to_buddy = __free_huge_page(m, h, head);
	pthread_mutex_unlock(&m->hugetlb_lock);
	if (to_buddy)
		update_and_free_page(m, h, head);
}

/* alloc_pool_huge_page(): a fresh page from @nid only, freed into the pool. */
static bool alloc_pool_huge_page(struct memhp_machine *m, struct hstate *h, int nid)
{
	struct memhp_page *head =
		alloc_fresh_huge_page(m, h, htlb_alloc_mask(h) | __GFP_THISNODE, nid);

	if (!head)
		return false;
	pthread_mutex_lock(&m->hugetlb_lock);
	prep_new_huge_page(m, h, head);
	set_page_count(head, 0);
	if (__free_huge_page(m, h, head)) {
		pthread_mutex_unlock(&m->hugetlb_lock);
		update_and_free_page(m, h, head);
		return true;
	}
	pthread_mutex_unlock(&m->hugetlb_lock);
	return true;
}

#define persistent_huge_pages(h) ((h)->nr_huge_pages - (h)->surplus_huge_pages)

/* adjust_pool_surplus() for one node. */
static bool adjust_pool_surplus(struct hstate *h, int nid, int delta)
{
	if (delta < 0 ? !h->surplus_huge_pages_node[nid]
		      : h->surplus_huge_pages_node[nid] >= h->nr_huge_pages_node[nid])
		return false;
	h->surplus_huge_pages += (unsigned long)(long)delta;
	h->surplus_huge_pages_node[nid] += (unsigned long)(long)delta;
	return true;
}

/* adjust_pool_surplus() over the nodes (@nid NUMA_NO_NODE: round robin
 * from the cursor, as for_each_node_mask_to_alloc/free() walk them). */
static bool adjust_pool_surplus_nodes(struct memhp_machine *m, struct hstate *h, int nid, int delta)
{
	if (nid != MEMHP_NUMA_NO_NODE)
		return adjust_pool_surplus(h, nid, delta);
	for (int i = 0; i < m->nr_node_ids; i++)
		if (adjust_pool_surplus(h,
					hstate_next_node(m, delta < 0 ? &h->next_nid_to_alloc
								      : &h->next_nid_to_free),
					delta))
			return true;
	return false;
}

/*
 * set_max_huge_pages(): grow by taking surplus pages into the pool, then
 * by fresh pages until the first that cannot be had; shrink by giving free
 * pages back (keeping what reservations need), then by marking in-use ones
 * surplus, to go when they are freed. A node's count moves the global one
 * by as much.
 */
static int set_max_huge_pages(struct memhp_machine *m, struct hstate *h, unsigned long count,
			      int nid)
{
	const int node = nid == MEMHP_NUMA_NO_NODE ? 0 : nid;
	unsigned long min_count;
	int ret = 0;

	pthread_mutex_lock(&h->resize_lock);
	pthread_mutex_lock(&m->hugetlb_lock);
	if (nid != MEMHP_NUMA_NO_NODE) {
		unsigned long old = count;

		count += h->nr_huge_pages - h->nr_huge_pages_node[nid];
		if (count < old)
			count = ~0UL;
	}
	while (h->surplus_huge_pages && count > persistent_huge_pages(h))
		if (!adjust_pool_surplus_nodes(m, h, nid, -1))
			break;
	while (count > persistent_huge_pages(h)) {
		bool got = false;

		pthread_mutex_unlock(&m->hugetlb_lock);
		/* One page from the next node that has one, each node on
		 * its own (__GFP_THISNODE), as alloc_pool_huge_page() does. */
		if (nid != MEMHP_NUMA_NO_NODE)
			got = alloc_pool_huge_page(m, h, node);
		for (int i = 0; nid == MEMHP_NUMA_NO_NODE && !got && i < m->nr_node_ids; i++)
			got = alloc_pool_huge_page(m, h,
						   hstate_next_node(m, &h->next_nid_to_alloc));
		pthread_mutex_lock(&m->hugetlb_lock);
		if (!got)
			goto out;
		if (memhp_signal_pending()) {
			ret = -EINTR;
			goto out;
		}
	}
	min_count = h->resv_huge_pages + h->nr_huge_pages - h->free_huge_pages;
	min_count = MAX(count, min_count);
	while (min_count < persistent_huge_pages(h)) {
		struct free_list *list = &h->hugepage_freelists[node];
		struct memhp_page *head;

		for (int i = 0; nid == MEMHP_NUMA_NO_NODE && i < m->nr_node_ids; i++) {
			list = &h->hugepage_freelists[hstate_next_node(m, &h->next_nid_to_free)];
			if (list->head != PFN_NIL)
				break;
		}
		if (list->head == PFN_NIL)
			break;
		head = pfn_to_page(m, list->head);
		remove_hugetlb_page(m, h, head, false);
		pthread_mutex_unlock(&m->hugetlb_lock);
		update_and_free_page(m, h, head);
		pthread_mutex_lock(&m->hugetlb_lock);
	}
	while (count < persistent_huge_pages(h))
		if (!adjust_pool_surplus_nodes(m, h, nid, 1))
			break;
out:
	h->max_huge_pages = persistent_huge_pages(h);
	pthread_mutex_unlock(&m->hugetlb_lock);
	pthread_mutex_unlock(&h->resize_lock);
	return ret;
}

/* ---- Offlining and alloc_contig_range() ------------------------------------------- */

/*
 * dissolve_free_huge_page(): a free huge page goes back to the buddy and
 * out of the pool for good (max_huge_pages falls with it). 0 also for a
 * page that is not hugetlb; -EBUSY for one in use, or one the
 * reservations need.
 */
static int dissolve_free_huge_page(struct memhp_machine *m, struct memhp_page *page)
{
	struct memhp_page *head;
	struct hstate *h;

retry:
	if (!PageHuge(page))
		return 0;
	pthread_mutex_lock(&m->hugetlb_lock);
	if (!PageHuge(page)) {
		pthread_mutex_unlock(&m->hugetlb_lock);
		return 0;
	}
	head = compound_head(page);
	h = page_hstate(m, head);
	if (page_count(head)) {
		pthread_mutex_unlock(&m->hugetlb_lock);
		return -EBUSY;
	}
	if (h->free_huge_pages - h->resv_huge_pages == 0) {
		pthread_mutex_unlock(&m->hugetlb_lock);
		return -EBUSY;
	}
	/* Freed, but not yet on the free list: it will be in a moment. */
	if (!hpage_freed(head)) {
		pthread_mutex_unlock(&m->hugetlb_lock);
		goto retry;
	}
	remove_hugetlb_page(m, h, head, false);
	h->max_huge_pages--;
	pthread_mutex_unlock(&m->hugetlb_lock);
	update_and_free_page(m, h, head);
	return 0;
}

/* dissolve_free_huge_pages(): every free huge page of [start, end), in
 * steps of the smallest hstate; stops at the first that fails. */
int dissolve_free_huge_pages(struct memhp_machine *m, unsigned long start, unsigned long end)
{
	const unsigned long step = 1UL << m->hstates[0].order;
	int rc = 0;

	for (unsigned long pfn = start; pfn < end && !rc; pfn += step)
		if (pfn_valid_m(m, pfn))
			rc = dissolve_free_huge_page(m, pfn_to_page(m, pfn));
	return rc;
}

/* isolate_hugetlb(): an in-use, migratable huge page is taken for
 * migration, with a reference; 0 or -EBUSY. */
int isolate_hugetlb(struct memhp_machine *m, struct memhp_page *head)
{
	int ret = 0;

	pthread_mutex_lock(&m->hugetlb_lock);
	if (!PageHead(head) || !test_page_flag(head, PG_hugetlb) ||
	    !test_page_flag(head, PG_hpage_migratable) || !get_page_unless_zero(head))
		ret = -EBUSY;
	else
		clear_page_flag(head, PG_hpage_migratable);
	pthread_mutex_unlock(&m->hugetlb_lock);
	return ret;
}

void putback_hugetlb(struct memhp_machine *m, struct memhp_page *head)
{
	pthread_mutex_lock(&m->hugetlb_lock);
	set_page_flag(head, PG_hpage_migratable);
	pthread_mutex_unlock(&m->hugetlb_lock);
	memhp_put_page(head);
}

/* dequeue_huge_page_nodemask(): from the pools of the nodes in @nid's
 * zonelist order, those in @nodemask (0: all). Caller holds hugetlb_lock. */
static struct memhp_page *dequeue_huge_page_nodemask(struct memhp_machine *m, struct hstate *h,
						     int nid, unsigned int nodemask)
{
	struct pglist_data *pgdat = NODE_DATA_M(m, nid);
	struct memhp_page *head = NULL;

	for (int i = 0; i < READ_ONCE(pgdat->nr_node_order) && !head; i++) {
		int n = READ_ONCE(pgdat->node_order[i]);

		if (!nodemask || (nodemask & (1u << n)))
			head = dequeue_huge_page_node(m, h, n);
	}
	return head;
}

/*
 * alloc_huge_page_nodemask(): a migration target: a free page of the pool
 * if one is not reserved, else a fresh temporary one from the buddy (never
 * a gigantic one). NULL if neither.
 */
struct memhp_page *alloc_huge_page_nodemask(struct memhp_machine *m, struct hstate *h, int nid,
					    unsigned int nodemask)
{
	struct memhp_page *head = NULL;

	pthread_mutex_lock(&m->hugetlb_lock);
	if (h->free_huge_pages - h->resv_huge_pages > 0)
		head = dequeue_huge_page_nodemask(m, h, nid, nodemask);
	pthread_mutex_unlock(&m->hugetlb_lock);
	if (head || h->gigantic)
		return head;
	head = __alloc_pages_nodemask(m, nid, nodemask, htlb_alloc_mask(h) | MEMHP___GFP_COMP,
				      h->order);
	if (!head)
		return NULL;
	pthread_mutex_lock(&m->hugetlb_lock);
	prep_new_huge_page(m, h, head);
	set_page_flag(head, PG_hpage_temporary);
	pthread_mutex_unlock(&m->hugetlb_lock);
	return head;
}

/* move_hugetlb_state(): the new page is the one kept; a temporary status
 * goes to the old one, which is freed next. */
void move_hugetlb_state(struct memhp_machine *m, struct memhp_page *old, struct memhp_page *new)
{
	pthread_mutex_lock(&m->hugetlb_lock);
	if (test_page_flag(new, PG_hpage_temporary)) {
		set_page_flag(old, PG_hpage_temporary);
		clear_page_flag(new, PG_hpage_temporary);
	}
	set_page_flag(new, PG_hpage_migratable);
	pthread_mutex_unlock(&m->hugetlb_lock);
}

/*
 * isolate_or_dissolve_huge_page(), for alloc_contig_range(): an in-use page
 * is isolated for migration (*@isolated); a free one is replaced in the
 * pool by a fresh page from elsewhere and goes back to the buddy
 * (alloc_and_dissolve_huge_page()). Returns 0, -EBUSY, or -ENOMEM (no
 * fresh page; and always for gigantic pages, which alloc_contig_range()
 * may not recurse into).
 */
int isolate_or_dissolve_huge_page(struct memhp_machine *m, struct memhp_page *page, bool *isolated)
{
	struct memhp_page *head, *new;
	struct hstate *h;
	int ret = 0;

	*isolated = false;
	if (!PageHuge(page))
		return 0;
	head = compound_head(page);
	h = page_hstate(m, head);
	if (h->gigantic)
		return -ENOMEM;
	if (page_count(head)) {
		if (isolate_hugetlb(m, head))
			return -EBUSY;
		*isolated = true;
		return 0;
	}
	new = alloc_fresh_huge_page(m, h, htlb_alloc_mask(h), page_nid(m, head));
	if (!new)
		return -ENOMEM;
retry:
	pthread_mutex_lock(&m->hugetlb_lock);
	if (!PageHuge(head) || !PageHead(head)) {
		/* Freed from under us: the new page is not needed. */
		ret = 0;
	} else if (page_count(head)) {
		pthread_mutex_unlock(&m->hugetlb_lock);
		ret = isolate_hugetlb(m, head);
		*isolated = !ret;
		pthread_mutex_lock(&m->hugetlb_lock);
	} else if (!hpage_freed(head)) {
		pthread_mutex_unlock(&m->hugetlb_lock);
		goto retry;
	} else {
		/* The new page takes the old one's place in the pool. */
		remove_hugetlb_page(m, h, head, false);
		prep_new_huge_page(m, h, new);
		set_page_count(new, 0);
		enqueue_huge_page(m, h, new);
		pthread_mutex_unlock(&m->hugetlb_lock);
		update_and_free_page(m, h, head);
		return 0;
	}
	pthread_mutex_unlock(&m->hugetlb_lock);
	free_fresh_huge_page(m, h, new);
	return ret;
}

/* ---- The API ------------------------------------------------------------------- */

int hugetlb_init(struct memhp_machine *m)
{
	pthread_mutex_init(&m->hugetlb_lock, NULL);
	m->nr_hstates = m->cfg.hugetlb_gigantic ? 2 : 1;
	for (int i = 0; i < m->nr_hstates; i++) {
		struct hstate *h = &m->hstates[i];

		h->order = i ? HUGETLB_1G_ORDER : HUGETLB_2M_ORDER;
		h->gigantic = h->order > m->max_order;
		for (int n = 0; n < MEMHP_MAX_NUMNODES; n++)
			h->hugepage_freelists[n].head = h->hugepage_freelists[n].tail = PFN_NIL;
		pthread_mutex_init(&h->resize_lock, NULL);
	}
	return 0;
}

void hugetlb_destroy(struct memhp_machine *m)
{
	for (int i = 0; i < m->nr_hstates; i++)
		pthread_mutex_destroy(&m->hstates[i].resize_lock);
	pthread_mutex_destroy(&m->hugetlb_lock);
}

int memhp_hugetlb_nr_hstates(struct memhp_machine *m)
{
	return m->nr_hstates;
}

int memhp_hugetlb_hstate(struct memhp_machine *m, unsigned long size_kb)
{
	for (int i = 0; i < m->nr_hstates; i++)
		if ((MEMHP_PAGE_SIZE >> 10) << m->hstates[i].order == size_kb)
			return i;
	return -ENOENT;
}

int memhp_hugetlb_info(struct memhp_machine *m, int hstate, int nid, struct memhp_hugetlb_info *hi)
{
	struct hstate *h;

	if (hstate < 0 || hstate >= m->nr_hstates ||
	    (nid != MEMHP_NUMA_NO_NODE && (nid < 0 || nid >= m->nr_node_ids)))
		return -EINVAL;
	h = &m->hstates[hstate];
	memset(hi, 0, sizeof(*hi));
	hi->page_size_kb = (MEMHP_PAGE_SIZE >> 10) << h->order;
	hi->order = h->order;
	pthread_mutex_lock(&m->hugetlb_lock);
	if (nid == MEMHP_NUMA_NO_NODE) {
		hi->nr_hugepages = h->nr_huge_pages;
		hi->free_hugepages = h->free_huge_pages;
		hi->resv_hugepages = h->resv_huge_pages;
		hi->surplus_hugepages = h->surplus_huge_pages;
		hi->nr_overcommit_hugepages = h->nr_overcommit_huge_pages;
	} else {
		hi->nr_hugepages = h->nr_huge_pages_node[nid];
		hi->free_hugepages = h->free_huge_pages_node[nid];
		hi->surplus_hugepages = h->surplus_huge_pages_node[nid];
	}
	pthread_mutex_unlock(&m->hugetlb_lock);
	return 0;
}

int memhp_hugetlb_set_nr(struct memhp_machine *m, int hstate, int nid, unsigned long count)
{
	if (hstate < 0 || hstate >= m->nr_hstates ||
	    (nid != MEMHP_NUMA_NO_NODE && (nid < 0 || nid >= m->nr_node_ids)))
		return -EINVAL;
	return set_max_huge_pages(m, &m->hstates[hstate], count, nid);
}

int memhp_hugetlb_set_overcommit(struct memhp_machine *m, int hstate, unsigned long count)
{
	if (hstate < 0 || hstate >= m->nr_hstates)
		return -EINVAL;
	/* Gigantic pages are never surplus (alloc_surplus_huge_page()). */
	if (m->hstates[hstate].gigantic)
		return -EINVAL;
	pthread_mutex_lock(&m->hugetlb_lock);
	m->hstates[hstate].nr_overcommit_huge_pages = count;
	pthread_mutex_unlock(&m->hugetlb_lock);
	return 0;
}

/* ---- hugetlbfs ---------------------------------------------------------------------- */

struct hpage_slot {
	uint32_t pfn;
	bool pinned;
	uint64_t seed;
};

struct memhp_hugetlbfs {
	struct memhp_machine *m;
	struct hstate *h;
	int owner_id;
	pthread_mutex_t lock; /* the slots; taken in the owner's callbacks */
	struct hpage_slot *slots;
	unsigned long nr, cap;
	_Atomic unsigned long nr_migrated;
	uint64_t next_seed;
};

static void fill_huge(struct memhp_machine *m, unsigned long pfn, unsigned long nr, uint64_t seed)
{
	uint64_t *w = (uint64_t *)(m->phys + PFN_PHYS(pfn));
	const size_t n = nr * MEMHP_PAGE_SIZE / sizeof(*w);

	for (size_t i = 0; i < n; i += MEMHP_PAGE_SIZE / sizeof(*w))
		w[i] = seed + i; /* one word a page: enough to catch a wrong copy */
}

static bool check_huge(struct memhp_machine *m, unsigned long pfn, unsigned long nr, uint64_t seed)
{
	const uint64_t *w = (const uint64_t *)(m->phys + PFN_PHYS(pfn));
	const size_t n = nr * MEMHP_PAGE_SIZE / sizeof(*w);

	for (size_t i = 0; i < n; i += MEMHP_PAGE_SIZE / sizeof(*w))
		if (w[i] != seed + i)
			return false;
	return true;
}

static bool hf_isolate(struct memhp_page *page, void *owner)
{
	(void)page;
	(void)owner;
	return true;
}

/* The page cache's migrate_folio: the slot follows the page; a pinned
 * page refuses (as an extra reference makes folio_migrate_mapping() fail). */
static int hf_migrate(struct memhp_page *dst, struct memhp_page *src, void *owner)
{
	struct memhp_hugetlbfs *f = owner;
	uint32_t i = page_private(src);
	int ret = 0;

	pthread_mutex_lock(&f->lock);
	if (i >= f->nr || f->slots[i].pfn != page_to_pfn_m(f->m, src))
		ret = -EAGAIN;
	else if (f->slots[i].pinned)
		ret = -EAGAIN;
	else
		f->slots[i].pfn = (uint32_t)page_to_pfn_m(f->m, dst);
	pthread_mutex_unlock(&f->lock);
	if (!ret)
		ADD_ONCE(f->nr_migrated, 1);
	return ret;
}

static void hf_putback(struct memhp_page *page, void *owner)
{
	(void)page;
	(void)owner;
}

static const struct memhp_movable_operations hugetlbfs_ops = {
	.name = "hugetlbfs",
	.lru = false,
	.isolate_page = hf_isolate,
	.migrate_page = hf_migrate,
	.putback_page = hf_putback,
};

int memhp_hugetlbfs_create(struct memhp_machine *m, int hstate, struct memhp_hugetlbfs **out)
{
	struct memhp_hugetlbfs *f;

	if (hstate < 0 || hstate >= m->nr_hstates)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->m = m;
	f->h = &m->hstates[hstate];
	f->next_seed = memhp_random(m);
	pthread_mutex_init(&f->lock, NULL);
	f->owner_id = memhp_register_movable_owner(m, &hugetlbfs_ops, f);
	if (f->owner_id < 0) {
		int ret = f->owner_id;

		pthread_mutex_destroy(&f->lock);
		free(f);
		return ret;
	}
	*out = f;
	return 0;
}

/*
 * alloc_huge_page() for a file: a free pool page, else (within the
 * overcommit) a fresh surplus one. refcount 1, the file's.
 */
static struct memhp_page *alloc_huge_page(struct memhp_machine *m, struct hstate *h)
{
	struct memhp_page *head = NULL;

	pthread_mutex_lock(&m->hugetlb_lock);
	if (h->free_huge_pages - h->resv_huge_pages > 0)
		head = dequeue_huge_page_nodemask(m, h, numa_node_id(m), 0);
	if (!head && (h->gigantic || h->surplus_huge_pages >= h->nr_overcommit_huge_pages)) {
		pthread_mutex_unlock(&m->hugetlb_lock);
		return NULL;
	}
	pthread_mutex_unlock(&m->hugetlb_lock);
	if (head)
		return head;
	head = alloc_fresh_huge_page(m, h, htlb_alloc_mask(h), MEMHP_NUMA_NO_NODE);
	if (!head)
		return NULL;
	pthread_mutex_lock(&m->hugetlb_lock);
	prep_new_huge_page(m, h, head);
	h->surplus_huge_pages++;
	h->surplus_huge_pages_node[page_nid(m, head)]++;
	pthread_mutex_unlock(&m->hugetlb_lock);
	return head;
}

long memhp_hugetlbfs_fallocate(struct memhp_hugetlbfs *f, unsigned long nr)
{
	struct memhp_machine *m = f->m;
	unsigned long done = 0;

	for (; done < nr; done++) {
		struct memhp_page *head = alloc_huge_page(m, f->h);
		uint64_t seed;
		unsigned long i;

		if (!head)
			break;
		pthread_mutex_lock(&f->lock);
		if (f->nr == f->cap) {
			unsigned long cap = f->cap ? 2 * f->cap : 16;
			struct hpage_slot *s = realloc(f->slots, cap * sizeof(*s));

			if (!s) {
				pthread_mutex_unlock(&f->lock);
				memhp_put_page(head);
				break;
			}
			f->slots = s;
			f->cap = cap;
		}
		i = f->nr++;
		seed = f->next_seed++ << 32;
		f->slots[i] = (struct hpage_slot){ .pfn = (uint32_t)page_to_pfn_m(m, head),
						   .seed = seed };
		fill_huge(m, page_to_pfn_m(m, head), pages_per_huge_page(f->h), seed);
		set_page_owner(head, f->owner_id, (uint32_t)i);
		pthread_mutex_unlock(&f->lock);
		/* In the page cache now: it may be migrated (SetHPageMigratable()). */
		pthread_mutex_lock(&m->hugetlb_lock);
		set_page_flag(head, PG_hpage_migratable);
		pthread_mutex_unlock(&m->hugetlb_lock);
	}
	return done || !nr ? (long)done : -ENOSPC;
}

void memhp_hugetlbfs_truncate(struct memhp_hugetlbfs *f, unsigned long nr)
{
	while (nr--) {
		struct memhp_page *head;

		pthread_mutex_lock(&f->lock);
		if (!f->nr) {
			pthread_mutex_unlock(&f->lock);
			return;
		}
		head = pfn_to_page(f->m, f->slots[--f->nr].pfn);
		/* A page isolated for migration right now goes when migration
		 * lets go of it: the owner's reference goes here. */
		set_page_owner(head, 0, 0);
		pthread_mutex_unlock(&f->lock);
		memhp_put_page(head);
	}
}

unsigned long memhp_hugetlbfs_nr_pages(struct memhp_hugetlbfs *f)
{
	unsigned long n;

	pthread_mutex_lock(&f->lock);
	n = f->nr;
	pthread_mutex_unlock(&f->lock);
	return n;
}

unsigned long memhp_hugetlbfs_pfn(struct memhp_hugetlbfs *f, unsigned long i)
{
	unsigned long pfn = 0;

	pthread_mutex_lock(&f->lock);
	if (i < f->nr)
		pfn = f->slots[i].pfn;
	pthread_mutex_unlock(&f->lock);
	return pfn;
}

unsigned long memhp_hugetlbfs_nr_migrated(struct memhp_hugetlbfs *f)
{
	return READ_ONCE(f->nr_migrated);
}

void memhp_hugetlbfs_pin(struct memhp_hugetlbfs *f, unsigned long i, bool pin)
{
	pthread_mutex_lock(&f->lock);
	if (i < f->nr)
		f->slots[i].pinned = pin;
	pthread_mutex_unlock(&f->lock);
}

unsigned long memhp_hugetlbfs_verify(struct memhp_hugetlbfs *f)
{
	unsigned long bad = 0;

	pthread_mutex_lock(&f->lock);
	for (unsigned long i = 0; i < f->nr; i++) {
		struct memhp_page *head = pfn_to_page(f->m, f->slots[i].pfn);

		if (!PageHuge(head) || !PageHead(head) || page_owner_id(head) != f->owner_id ||
		    page_private(head) != i ||
		    !check_huge(f->m, f->slots[i].pfn, pages_per_huge_page(f->h), f->slots[i].seed))
			bad++;
	}
	pthread_mutex_unlock(&f->lock);
	return bad;
}

void memhp_hugetlbfs_destroy(struct memhp_hugetlbfs *f)
{
	if (!f)
		return;
	memhp_hugetlbfs_truncate(f, ~0UL);
	memhp_unregister_movable_owner(f->m, f->owner_id);
	pthread_mutex_destroy(&f->lock);
	free(f->slots);
	free(f);
}
