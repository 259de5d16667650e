// SPDX-License-Identifier: MIT
/*
 * kpageflags.c - what /proc/kpageflags and /proc/kpagecount say about each
 * pfn (fs/proc/page.c), from the memmap as a PFN walker reads it: without
 * locks, one descriptor at a time, so a page changing under the reader is
 * seen before or after, as in the kernel.
 *
 * The model keeps fewer page flags than Linux: what it has maps to its KPF
 * bit; pages of an LRU movable owner stand for anonymous memory mapped
 * once (docs/semantics.md, "/proc/kpageflags").
 */
#include "internal.h"

#define KPF(bit) (1ULL << MEMHP_KPF_##bit)

/* What every anonymous page has in 6.1 once faulted in: uptodate, swap
 * backed (folio_add_new_anon_rmap()), anon, mapped. */
#define KPF_ANON_PAGE (KPF(UPTODATE) | KPF(SWAPBACKED) | KPF(ANON) | KPF(MMAP))

static void kernel_max_pfn_raise(struct memhp_machine *m, unsigned long end_pfn)
{
	unsigned long cur = READ_ONCE(m->kernel_max_pfn);

	while (end_pfn > cur &&
	       !atomic_compare_exchange_weak_explicit(&m->kernel_max_pfn, &cur, end_pfn,
						      memory_order_relaxed, memory_order_relaxed))
		;
}

/* x86's update_end_of_memory_vars(): max_pfn only grows, at boot and on
 * hot-add, never at removal. */
void kpage_memory_added(struct memhp_machine *m, uint64_t start, uint64_t size)
{
	kernel_max_pfn_raise(m, PHYS_PFN(start + size));
}

unsigned long memhp_kpage_max_pfn(struct memhp_machine *m)
{
	/* get_max_dump_pfn(): early sections are online to their end. */
	return ALIGN_UP(READ_ONCE(m->kernel_max_pfn), m->pages_per_section);
}

/* A page of an LRU owner: user memory, anonymous in this model. */
static bool page_anon(struct memhp_machine *m, const struct memhp_page *p)
{
	int id = page_owner_id(p);
	const struct memhp_movable_operations *ops;

	if (id <= 0 || id >= MEMHP_MAX_MOVABLE_OWNERS)
		return false;
	ops = atomic_load_explicit(&m->owners[id].ops, memory_order_acquire);
	return ops && ops->lru;
}

/*
 * is_free_buddy_page() for the first pfn of a walk: the end of the free
 * chunk covering @pfn, or @pfn when none does. Later pfns of the walk
 * learn it from the chunk's head as they pass it.
 */
static unsigned long buddy_end_covering(struct memhp_machine *m, unsigned long pfn)
{
	for (unsigned int order = 0; order <= m->max_order; order++) {
		unsigned long head = ALIGN_DOWN(pfn, 1UL << order);
		const struct memhp_page *p = pfn_to_page(m, head);

		if (PageBuddy(p) && buddy_order(p) >= order)
			return head + (1UL << buddy_order(p));
	}
	return pfn;
}

/* stable_page_flags() of the online page at @pfn; *@buddy_end as above. */
static uint64_t page_flags(struct memhp_machine *m, unsigned long pfn, unsigned long *buddy_end)
{
	const struct memhp_page *p = pfn_to_page(m, pfn);
	unsigned int flags =
		atomic_load_explicit(&((struct memhp_page *)p)->flags, memory_order_relaxed);
	int type = page_type(p);
	uint64_t u = 0;

	if (type == PGTY_BUDDY) {
		u |= KPF(BUDDY);
		*buddy_end = pfn + (1UL << buddy_order(p));
	} else if (pfn < *buddy_end && !page_count(p)) {
		u |= KPF(BUDDY); /* a tail of a free chunk */
	}
	if (type == PGTY_OFFLINE)
		u |= KPF(OFFLINE);
	if (type == PGTY_TABLE)
		u |= KPF(PGTABLE);
	if (!(flags & (1u << PG_slab)) && page_anon(m, p))
		u |= KPF_ANON_PAGE;
	if (flags & (1u << PG_slab))
		u |= KPF(SLAB);
	if (flags & (1u << PG_dirty))
		u |= KPF(DIRTY);
	if (flags & (1u << PG_lru))
		u |= KPF(LRU);
	if (flags & (1u << PG_hwpoison))
		u |= KPF(HWPOISON);
	if (flags & (1u << PG_reserved))
		u |= KPF(RESERVED);
	return u;
}

size_t memhp_kpageflags(struct memhp_machine *m, unsigned long pfn, uint64_t *out, size_t nr)
{
	unsigned long end = memhp_kpage_max_pfn(m), buddy_end;
	size_t i = 0;

	if (pfn >= end)
		return 0;
	nr = MIN(nr, end - pfn);
	while (i < nr) {
		unsigned long sec_end = section_nr_to_pfn(m, pfn_to_section_nr(m, pfn) + 1);
		size_t n = MIN(nr - i, sec_end - pfn);

		/* pfn_to_online_page() is a section's matter. */
		if (!pfn_online(m, pfn)) {
			for (size_t k = 0; k < n; k++)
				out[i + k] = KPF(NOPAGE);
		} else {
			buddy_end = buddy_end_covering(m, pfn);
			for (size_t k = 0; k < n; k++)
				out[i + k] = page_flags(m, pfn + k, &buddy_end);
		}
		i += n;
		pfn += n;
	}
	return nr;
}

size_t memhp_kpagecount(struct memhp_machine *m, unsigned long pfn, uint64_t *out, size_t nr)
{
	unsigned long end = memhp_kpage_max_pfn(m);

	if (pfn >= end)
		return 0;
	nr = MIN(nr, end - pfn);
	for (size_t i = 0; i < nr; i++, pfn++) {
		const struct memhp_page *p;

		out[i] = 0;
		if (!pfn_online(m, pfn))
			continue;
		p = pfn_to_page(m, pfn);
		/* Slab and typed pages overload the map count: 0. Only user
		 * (anonymous) memory is mapped, once. */
		if (PageSlab(p) || page_type(p) != PGTY_NONE)
			continue;
		out[i] = page_anon(m, p);
	}
	return nr;
}
