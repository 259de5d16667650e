// SPDX-License-Identifier: MIT
/*
 * cma.c - the contiguous memory allocator's global area (mm/cma.c,
 * kernel/dma/contiguous.c): cma=SIZE[@BASE] on a kernel built with
 * CONFIG_CMA.
 *
 * At boot the area is taken out of memblock (top-down below the end of
 * RAM, or at BASE), 4 MiB aligned; once the buddy runs its pageblocks
 * become MIGRATE_CMA and their pages are freed to the buddy's CMA lists
 * (cma_activate_area()): managed, free, counted in CmaTotal and CmaFree.
 * Only movable allocations may take them, so that cma_alloc() can always
 * get a range back with alloc_contig_range(MIGRATE_CMA) by migrating what
 * is there. Offlining a block with CMA pageblocks fails at isolation:
 * has_unmovable_pages() treats a CMA pageblock as unmovable to anyone but
 * CMA.
 */
#include "internal.h"

#include <stdlib.h>

/* CMA_MIN_ALIGNMENT_BYTES: a max-order chunk or a pageblock, the larger. */
static unsigned long cma_align_pages(const struct memhp_machine *m)
{
	return 1UL << MAX(m->max_order, m->pageblock_order);
}

static bool range_free_in_one_zone(struct memhp_machine *m, const uint8_t *reserved,
				   unsigned long start, unsigned long nr)
{
	const struct zone *zone = pfn_zone(m, start);

	for (unsigned long pfn = start; pfn < start + nr; pfn++)
		if (reserved[pfn >> 3] & (1u << (pfn & 7)) || pfn_zone(m, pfn) != zone)
			return false;
	return true;
}

/*
 * dma_contiguous_reserve() -> cma_declare_contiguous_nid(): find and
 * reserve the area in @reserved (memblock), before the memmap and the rest
 * of early boot take the top of RAM. Returns the area's first pfn, or
 * PFN_NIL if it could not be placed (which 6.1 reports and boots on).
 */
unsigned long cma_declare_contiguous(struct memhp_machine *m, uint8_t *reserved)
{
	const struct memhp_config *cfg = &m->cfg;
	const unsigned long align = cma_align_pages(m);
	const unsigned long nr = ALIGN_UP(PHYS_PFN(cfg->cma_size), align);
	unsigned long base = PFN_NIL;

	if (!cfg->cma_size)
		return PFN_NIL;
	if (cfg->cma_base) {
		unsigned long b = PHYS_PFN(cfg->cma_base);
		bool in_ram = false;

		for (unsigned int i = 0; i < cfg->nr_boot; i++)
			in_ram |= b >= PHYS_PFN(cfg->boot[i].start) &&
				  b + nr <= PHYS_PFN(cfg->boot[i].start + cfg->boot[i].size);
		if (IS_ALIGNED(b, align) && in_ram && range_free_in_one_zone(m, reserved, b, nr))
			base = b;
	} else {
		for (int i = (int)cfg->nr_boot - 1; i >= 0 && base == PFN_NIL; i--) {
			const unsigned long s = ALIGN_UP(PHYS_PFN(cfg->boot[i].start), align);
			const unsigned long e = PHYS_PFN(cfg->boot[i].start + cfg->boot[i].size);

			if (e < s + nr)
				continue;
			/* The highest aligned window first, as memblock goes. */
			for (unsigned long b = ALIGN_DOWN(e - nr, align); base == PFN_NIL;
			     b -= align) {
				if (range_free_in_one_zone(m, reserved, b, nr))
					base = b;
				if (b < s + align)
					break;
			}
		}
	}
	if (base == PFN_NIL) {
		memhp_printk(m, KERN_ERR, "cma: Failed to reserve %lu MiB",
			     (unsigned long)(cfg->cma_size >> 20));
		return PFN_NIL;
	}
	for (unsigned long pfn = base; pfn < base + nr; pfn++)
		reserved[pfn >> 3] |= (uint8_t)(1u << (pfn & 7));
	m->cma.base_pfn = base;
	m->cma.count = nr;
	memhp_printk(m, KERN_INFO, "cma: Reserved %lu MiB at 0x%016llx",
		     (unsigned long)(PFN_PHYS(nr) >> 20), (unsigned long long)PFN_PHYS(base));
	return base;
}

/*
 * cma_activate_area() -> init_cma_reserved_pageblock(): every pageblock
 * of the area becomes MIGRATE_CMA and its pages go to the buddy, managed.
 * Returns 0 or -ENOMEM (no bitmap: the area is then freed as ordinary
 * memory, as 6.1 does).
 */
int cma_activate_area(struct memhp_machine *m)
{
	struct cma *cma = &m->cma;

	if (!cma->count)
		return 0;
	mutex_init(&cma->lock, LOCK_RANK_CMA);
	cma->bitmap = calloc((cma->count + 63) / 64, sizeof(*cma->bitmap));
	for (unsigned long pfn = cma->base_pfn; pfn < cma->base_pfn + cma->count;
	     pfn += m->pageblock_nr_pages) {
		struct zone *zone = pfn_zone(m, pfn);

		if (cma->bitmap)
			set_pageblock_migratetype(m, pfn, MIGRATE_CMA);
		memhp_generic_online_page(pfn_to_page(m, pfn), m->pageblock_order);
		if (cma->bitmap)
			ADD_ONCE(zone->cma_pages, m->pageblock_nr_pages);
	}
	if (!cma->bitmap) {
		memhp_printk(m, KERN_ERR, "cma: CMA area cma0 could not be activated");
		cma->count = 0;
		return -ENOMEM;
	}
	return 0;
}

void cma_destroy(struct memhp_machine *m)
{
	if (m->cma.bitmap) {
		pthread_mutex_destroy(&m->cma.lock);
		free(m->cma.bitmap);
		m->cma.bitmap = NULL;
	}
}

static bool bit(const uint64_t *map, unsigned long i)
{
	return map[i / 64] & (1ULL << (i % 64));
}

static void set_bits(uint64_t *map, unsigned long start, unsigned long nr, bool on)
{
	for (unsigned long i = start; i < start + nr; i++) {
		if (on)
			map[i / 64] |= 1ULL << (i % 64);
		else
			map[i / 64] &= ~(1ULL << (i % 64));
	}
}

/* Is @pfn in the area and handed out by cma_alloc()? Racy without
 * cma->lock, as the checker reads it with the world stopped. */
bool cma_page_allocated(struct memhp_machine *m, unsigned long pfn)
{
	const struct cma *cma = &m->cma;

	return cma->bitmap && pfn >= cma->base_pfn && pfn < cma->base_pfn + cma->count &&
	       bit(cma->bitmap, pfn - cma->base_pfn);
}

/* bitmap_find_next_zero_area_off(): the first run of @nr clear bits from
 * @start whose index is a multiple of @align. */
static unsigned long find_zero_area(const uint64_t *map, unsigned long size, unsigned long start,
				    unsigned long nr, unsigned long align)
{
	for (unsigned long i = ALIGN_UP(start, align); i + nr <= size; i += align) {
		unsigned long j = 0;

		while (j < nr && !bit(map, i + j))
			j++;
		if (j == nr)
			return i;
	}
	return size;
}

/* Passes over the whole area while ranges are busy (cma_alloc()'s
 * max_retries; 6.1 sleeps 100 ms between them, memhp does not wait). */
#define CMA_ALLOC_PASSES 5

long memhp_cma_alloc(struct memhp_machine *m, unsigned long count, unsigned int align_order)
{
	struct cma *cma = &m->cma;
	const unsigned long align = 1UL << align_order;
	unsigned long start = 0;
	int ret = -ENOMEM, passes = 0;

	if (!cma->count || !count || count > cma->count || align_order > MEMHP_MAX_PHYS_SHIFT)
		return -EINVAL;
	trace_op_begin(m, MEMHP_OP_CMA_ALLOC, cma->base_pfn, count, -1);
	for (;;) {
		unsigned long i, pfn;

		pthread_mutex_lock(&cma->lock);
		i = find_zero_area(cma->bitmap, cma->count, start, count, align);
		if (i >= cma->count) {
			pthread_mutex_unlock(&cma->lock);
			if (ret == -EBUSY && ++passes < CMA_ALLOC_PASSES &&
			    !memhp_signal_pending()) {
				start = 0;
				ret = -ENOMEM;
				continue;
			}
			break;
		}
		set_bits(cma->bitmap, i, count, true);
		pthread_mutex_unlock(&cma->lock);
		pfn = cma->base_pfn + i;
		ret = alloc_contig_range(m, pfn, pfn + count, MIGRATE_CMA, MEMHP_GFP_KERNEL);
		if (!ret) {
			trace_op_end(m, MEMHP_OP_CMA_ALLOC, pfn, count, -1, 0, 0);
			return (long)pfn;
		}
		pthread_mutex_lock(&cma->lock);
		set_bits(cma->bitmap, i, count, false);
		pthread_mutex_unlock(&cma->lock);
		if (ret != -EBUSY)
			break;
		start = i + align;
	}
	trace_op_end(m, MEMHP_OP_CMA_ALLOC, cma->base_pfn, count, -1, 0, ret);
	return ret;
}

int memhp_cma_release(struct memhp_machine *m, unsigned long pfn, unsigned long count)
{
	struct cma *cma = &m->cma;

	if (!cma->count || pfn < cma->base_pfn || pfn + count > cma->base_pfn + cma->count ||
	    !count)
		return -EINVAL;
	pthread_mutex_lock(&cma->lock);
	for (unsigned long i = pfn - cma->base_pfn; i < pfn - cma->base_pfn + count; i++)
		if (!bit(cma->bitmap, i)) {
			pthread_mutex_unlock(&cma->lock);
			return -EINVAL;
		}
	pthread_mutex_unlock(&cma->lock);
	memhp_free_contig_range(m, pfn, count);
	pthread_mutex_lock(&cma->lock);
	set_bits(cma->bitmap, pfn - cma->base_pfn, count, false);
	pthread_mutex_unlock(&cma->lock);
	return 0;
}

int memhp_cma_info(struct memhp_machine *m, struct memhp_cma_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->base_pfn = m->cma.base_pfn;
	ci->count = m->cma.count;
	for_each_zone(m, zone) ci->free_pages +=
		(unsigned long)MAX(0L, READ_ONCE(zone->vm_nr_free_cma_pages));
	if (m->cma.bitmap) {
		pthread_mutex_lock(&m->cma.lock);
		for (unsigned long i = 0; i < m->cma.count; i++)
			ci->allocated += bit(m->cma.bitmap, i);
		pthread_mutex_unlock(&m->cma.lock);
	}
	return m->cma.count ? 0 : -ENOENT;
}
