// SPDX-License-Identifier: MIT
/*
 * kernel_pages.c - page tables and kernel stacks: the per-process kernel
 * memory every running program costs (mm/pgtable-generic.c,
 * arch/x86/mm/pgtable.c, kernel/fork.c).
 *
 * Both are unmovable GFP_KERNEL pages from the highest kernel zone, so a
 * block onlined to ZONE_NORMAL gets them as soon as something runs.
 */
#include "internal.h"

/* What NR_KERNEL_STACK counts per page of a stack: a vmalloc'ed stack's
 * pages each count on their own node. */
#define STACK_PAGE_KB (MEMHP_PAGE_SIZE / 1024)

struct memhp_page *memhp_pte_alloc_one(struct memhp_machine *m)
{
	struct memhp_page *page = memhp_alloc_pages(m, MEMHP_GFP_KERNEL | MEMHP___GFP_ZERO, 0);

	if (!page)
		return NULL;
	/* pgtable_pte_page_ctor() */
	atomic_store_explicit(&page->type, PGTY_TABLE, memory_order_release);
	mod_page_state(m, page, MEMHP_NR_PAGE_TABLE_PAGES, 1);
	return page;
}

void memhp_pte_free(struct memhp_page *page)
{
	struct memhp_machine *m = page_machine(page);

	/* pgtable_pte_page_dtor(): a page must lose its type before it is
	 * freed, or the buddy calls it a bad page. */
	atomic_store_explicit(&page->type, PGTY_NONE, memory_order_release);
	mod_page_state(m, page, MEMHP_NR_PAGE_TABLE_PAGES, -1);
	memhp_put_page(page);
}

bool memhp_PageTable(const struct memhp_page *page)
{
	return page_type(page) == PGTY_TABLE;
}

int memhp_alloc_thread_stack(struct memhp_machine *m, struct memhp_thread_stack *st)
{
	for (int i = 0; i < MEMHP_THREAD_STACK_PAGES; i++) {
		st->pages[i] = memhp_alloc_pages(m, MEMHP_GFP_KERNEL | MEMHP___GFP_ZERO, 0);
		if (!st->pages[i]) {
			/* Nothing kept, and nothing pointing at what was: a
			 * caller that frees what it holds (a fork that failed
			 * here) must find an empty stack, not freed pages. */
			while (i--) {
				memhp_put_page(st->pages[i]);
				st->pages[i] = NULL;
			}
			return -ENOMEM;
		}
	}
	memhp_account_kernel_stack(m, st, 1);
	return 0;
}

void memhp_account_kernel_stack(struct memhp_machine *m, const struct memhp_thread_stack *st,
				int account)
{
	for (int i = 0; i < MEMHP_THREAD_STACK_PAGES; i++)
		mod_page_state(m, st->pages[i], MEMHP_NR_KERNEL_STACK, account * STACK_PAGE_KB);
}

void memhp_free_thread_stack(struct memhp_machine *m, struct memhp_thread_stack *st)
{
	/* Uncounted while the pages are still ours: a freed page's node is
	 * anyone's guess once its block goes. */
	memhp_account_kernel_stack(m, st, -1);
	for (int i = 0; i < MEMHP_THREAD_STACK_PAGES; i++) {
		memhp_put_page(st->pages[i]);
		st->pages[i] = NULL;
	}
}
