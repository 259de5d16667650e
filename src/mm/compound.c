// SPDX-License-Identifier: MIT
/*
 * compound.c - compound pages (mm/page_alloc.c prep_compound_page(),
 * free_compound_page(); include/linux/page-flags.h).
 *
 * A compound page is one allocation of 2^order pages that the rest of the
 * kernel treats as a unit: references, flags, migration and freeing go to
 * its head. Tails carry PG_tail and their distance from the head, so
 * compound_head() needs no lookup.
 */
#include "internal.h"

/* prep_compound_page(): @head and its tails become one page. The tails
 * are refcount 0 and untyped, as a fresh allocation leaves them. */
void prep_compound_page(struct memhp_machine *m, struct memhp_page *head, unsigned int order)
{
	const unsigned long nr = 1UL << order;

	(void)m;
	for (unsigned long i = 1; i < nr; i++) {
		struct memhp_page *p = head + i;

		atomic_store_explicit(&p->m.owner, 0, memory_order_relaxed);
		atomic_store_explicit(&p->m.private, (uint32_t)i, memory_order_relaxed);
		atomic_store_explicit(&p->flags, (uint16_t)(1u << PG_tail), memory_order_release);
	}
	atomic_store_explicit(&head->order, (uint8_t)order, memory_order_relaxed);
	set_page_flag(head, PG_head);
}

/* The pages go back to being 2^order separate ones (the head keeps its
 * references and its other flags). */
void destroy_compound_page(struct memhp_machine *m, struct memhp_page *head)
{
	const unsigned long nr = 1UL << compound_order(head);

	(void)m;
	for (unsigned long i = 1; i < nr; i++) {
		struct memhp_page *p = head + i;

		atomic_store_explicit(&p->m.private, 0, memory_order_relaxed);
		clear_page_flag(p, PG_tail);
	}
	atomic_fetch_and_explicit(&head->flags,
				  (uint16_t) ~((1u << PG_head) | (1u << PG_hugetlb) |
					       (1u << PG_hpage_migratable) |
					       (1u << PG_hpage_temporary)),
				  memory_order_release);
	atomic_store_explicit(&head->order, 0, memory_order_relaxed);
}

/*
 * The last reference to a compound page went (destroy_large_folio()): a
 * hugetlb page goes back to its pool (or to the buddy), anything else is
 * freed whole, its order through the per-cpu lists when they take it.
 */
void free_compound_page(struct memhp_machine *m, struct memhp_page *head)
{
	unsigned int order = compound_order(head);

	if (test_page_flag(head, PG_hugetlb)) {
		/* Only memhp_put_page() decides: see there. */
		return;
	}
	destroy_compound_page(m, head);
	free_the_page(m, head, order);
}

/*
 * split_huge_page() of a THP isolated for migration: refused (-EBUSY) if
 * someone else holds a reference (can_split_folio()) or the owner says no;
 * otherwise every page becomes an isolated base page of the owner's, with
 * cookie private + i, refcount 2 (the owner's and the isolation's).
 */
int split_huge_page(struct memhp_machine *m, struct memhp_page *head)
{
	const unsigned int order = compound_order(head);
	const int owner_id = page_owner_id(head);
	const uint32_t private = page_private(head);
	const struct memhp_movable_operations *ops;
	void *owner;
	int rc;

	ops = owner_ops(m, owner_id, &owner);
	if (!ops || !ops->split_page || page_count(head) != 2)
		return -EBUSY;
	rc = ops->split_page(head, order, owner);
	if (rc)
		return rc;
	destroy_compound_page(m, head);
	for (unsigned long i = 1; i < (1UL << order); i++) {
		struct memhp_page *p = head + i;

		set_page_owner(p, owner_id, private + (uint32_t)i);
		set_page_flag(p, PG_isolated);
		set_page_count(p, 2);
	}
	return 0;
}

bool memhp_PageCompound(const struct memhp_page *page)
{
	return PageCompound(page);
}

bool memhp_PageHead(const struct memhp_page *page)
{
	return PageHead(page);
}

bool memhp_PageTail(const struct memhp_page *page)
{
	return PageTail(page);
}

bool memhp_PageHuge(const struct memhp_page *page)
{
	return PageHuge((struct memhp_page *)page);
}

bool memhp_PageTransHuge(const struct memhp_page *page)
{
	return PageHead(page) && !test_page_flag(page, PG_hugetlb);
}

struct memhp_page *memhp_compound_head(struct memhp_page *page)
{
	return compound_head(page);
}

unsigned int memhp_compound_order(struct memhp_page *page)
{
	struct memhp_page *head = compound_head(page);

	return PageHead(head) ? compound_order(head) : 0;
}
