// SPDX-License-Identifier: MIT
/*
 * thp.c - anonymous memory in transparent huge pages (mm/huge_memory.c as
 * hotplug meets it): an LRU owner whose 2 MiB pieces are THPs where the
 * allocator has an order-9 page, split into base pages when migration
 * cannot find a 2 MiB target.
 *
 * Page i of the memory (piece i / 512) has cookie i; a THP carries its
 * first page's cookie, so that after split_huge_page() page j of it has
 * cookie head + j, which is its slot.
 */
#include "internal.h"

#include <stdlib.h>

#define THP_ORDER 9
#define THP_NR (1UL << THP_ORDER)

struct memhp_thp {
	struct memhp_machine *m;
	int owner_id;
	pthread_mutex_t lock; /* the slots; taken in the owner's callbacks */
	uint32_t *pfn;	      /* per base page */
	unsigned long nr_pieces, cap;
	uint64_t seed;
	_Atomic unsigned long nr_split, nr_migrated;
};

static uint64_t page_word(const struct memhp_thp *t, unsigned long i)
{
	return t->seed ^ (i * 0x9e3779b97f4a7c15ULL);
}

static bool thp_isolate(struct memhp_page *page, void *owner)
{
	(void)page;
	(void)owner;
	return true;
}

/* The slots of the page (all 512 for a THP) follow it to its copy. */
static int thp_migrate(struct memhp_page *dst, struct memhp_page *src, void *owner)
{
	struct memhp_thp *t = owner;
	const unsigned long first = page_private(src);
	const unsigned long nr = PageHead(src) ? 1UL << compound_order(src) : 1;
	const unsigned long src_pfn = page_to_pfn_m(t->m, src), dst_pfn = page_to_pfn_m(t->m, dst);
	int ret = 0;

	pthread_mutex_lock(&t->lock);
	if (first + nr > t->nr_pieces * THP_NR || t->pfn[first] != src_pfn) {
		ret = -EAGAIN;
	} else {
		for (unsigned long j = 0; j < nr; j++)
			t->pfn[first + j] = (uint32_t)(dst_pfn + j);
	}
	pthread_mutex_unlock(&t->lock);
	if (!ret)
		ADD_ONCE(t->nr_migrated, 1);
	return ret;
}

static void thp_putback(struct memhp_page *page, void *owner)
{
	(void)page;
	(void)owner;
}

static int thp_split(struct memhp_page *head, unsigned int order, void *owner)
{
	struct memhp_thp *t = owner;

	(void)head;
	(void)order;
	ADD_ONCE(t->nr_split, 1);
	return 0;
}

static const struct memhp_movable_operations thp_ops = {
	.name = "anon-thp",
	.lru = true,
	.isolate_page = thp_isolate,
	.migrate_page = thp_migrate,
	.putback_page = thp_putback,
	.split_page = thp_split,
};

int memhp_thp_create(struct memhp_machine *m, struct memhp_thp **out)
{
	struct memhp_thp *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->m = m;
	t->seed = memhp_random(m);
	pthread_mutex_init(&t->lock, NULL);
	t->owner_id = memhp_register_movable_owner(m, &thp_ops, t);
	if (t->owner_id < 0) {
		int ret = t->owner_id;

		pthread_mutex_destroy(&t->lock);
		free(t);
		return ret;
	}
	*out = t;
	return 0;
}

/* do_huge_pmd_anonymous_page(), or its fallback to base pages. */
long memhp_thp_alloc(struct memhp_thp *t, unsigned long nr)
{
	struct memhp_machine *m = t->m;
	unsigned long done = 0;

	for (; done < nr; done++) {
		struct memhp_page *head = __alloc_pages_exact(m, 0, MEMHP_GFP_TRANSHUGE, THP_ORDER);
		struct memhp_page *pages[THP_NR];
		unsigned long first;

		if (!head) {
			unsigned long j;

			for (j = 0; j < THP_NR; j++) {
				pages[j] = memhp_alloc_pages(m, MEMHP_GFP_HIGHUSER_MOVABLE, 0);
				if (!pages[j])
					break;
			}
			if (j < THP_NR) {
				while (j)
					memhp_put_page(pages[--j]);
				break;
			}
		}
		pthread_mutex_lock(&t->lock);
		if (t->nr_pieces == t->cap) {
			unsigned long cap = t->cap ? 2 * t->cap : 8;
			uint32_t *p = realloc(t->pfn, cap * THP_NR * sizeof(*p));

			if (!p) {
				pthread_mutex_unlock(&t->lock);
				if (head)
					memhp_put_page(head);
				else
					for (unsigned long j = 0; j < THP_NR; j++)
						memhp_put_page(pages[j]);
				break;
			}
			t->pfn = p;
			t->cap = cap;
		}
		first = t->nr_pieces++ * THP_NR;
		for (unsigned long j = 0; j < THP_NR; j++) {
			struct memhp_page *p = head ? head + j : pages[j];
			uint64_t *w = memhp_page_address(p);

			t->pfn[first + j] = (uint32_t)page_to_pfn_m(m, p);
			*w = page_word(t, first + j);
		}
		pthread_mutex_unlock(&t->lock);
		if (head)
			memhp_SetPageMovable(head, t->owner_id, (uint32_t)first);
		else
			for (unsigned long j = 0; j < THP_NR; j++)
				memhp_SetPageMovable(pages[j], t->owner_id, (uint32_t)(first + j));
	}
	return (long)done;
}

unsigned long memhp_thp_nr_huge(struct memhp_thp *t)
{
	unsigned long n = 0;

	pthread_mutex_lock(&t->lock);
	for (unsigned long p = 0; p < t->nr_pieces; p++)
		n += PageHead(pfn_to_page(t->m, t->pfn[p * THP_NR]));
	pthread_mutex_unlock(&t->lock);
	return n;
}

unsigned long memhp_thp_nr_split(struct memhp_thp *t)
{
	return READ_ONCE(t->nr_split);
}

unsigned long memhp_thp_nr_migrated(struct memhp_thp *t)
{
	return READ_ONCE(t->nr_migrated);
}

unsigned long memhp_thp_pfn(struct memhp_thp *t, unsigned long i)
{
	unsigned long pfn = 0;

	pthread_mutex_lock(&t->lock);
	if (i < t->nr_pieces * THP_NR)
		pfn = t->pfn[i];
	pthread_mutex_unlock(&t->lock);
	return pfn;
}

unsigned long memhp_thp_verify(struct memhp_thp *t)
{
	unsigned long bad = 0;

	pthread_mutex_lock(&t->lock);
	for (unsigned long i = 0; i < t->nr_pieces * THP_NR; i++) {
		struct memhp_page *p = pfn_to_page(t->m, t->pfn[i]);
		struct memhp_page *head = compound_head(p);
		const uint64_t *w = (const uint64_t *)(t->m->phys + PFN_PHYS(t->pfn[i]));

		if (*w != page_word(t, i) || page_owner_id(head) != t->owner_id ||
		    page_private(head) + (unsigned long)(p - head) != i)
			bad++;
	}
	pthread_mutex_unlock(&t->lock);
	return bad;
}

void memhp_thp_destroy(struct memhp_thp *t)
{
	if (!t)
		return;
	for (unsigned long piece = 0; piece < t->nr_pieces; piece++) {
		struct memhp_page *first = pfn_to_page(t->m, t->pfn[piece * THP_NR]);

		/* A THP goes whole, with its head's reference. */
		if (PageHead(first)) {
			memhp_ClearPageMovable(first);
			memhp_put_page(first);
			continue;
		}
		for (unsigned long j = 0; j < THP_NR; j++) {
			struct memhp_page *p = pfn_to_page(t->m, t->pfn[piece * THP_NR + j]);

			memhp_ClearPageMovable(p);
			memhp_put_page(p);
		}
	}
	memhp_unregister_movable_owner(t->m, t->owner_id);
	pthread_mutex_destroy(&t->lock);
	free(t->pfn);
	free(t);
}
