// SPDX-License-Identifier: MIT
/*
 * page_reporting.c - free page reporting (mm/page_reporting.c): batches of
 * free chunks of at least the driver's order go off the free lists, to the
 * driver's report() (the hypervisor discards their memory), and back.
 *
 * One pass walks each zone's free lists from the order up; a chunk leaves
 * its list with __isolate_free_page() and returns with
 * __putback_isolated_page(), which frees it to the tail as 6.1 does, so the
 * next chunk of the walk is the one after it. Linux skips chunks marked
 * PG_reported; memhp, which has no such flag, skips chunks with no page
 * resident on the host (memhp/page_reporting.h says why this is the same
 * to the host).
 *
 * Locking: the pass holds mem_hotplug_lock for read (a block does not go
 * offline with chunks away from its lists; the checker, which takes it for
 * write, never sees them away), then each zone's lock while it walks,
 * dropped around report() as Linux drops it.
 */
#include "internal.h"

#include <memhp/page_reporting.h>

#include <errno.h>
#include <stdlib.h>

/* The key of the registration among the machine's attachments. */
static const char reporting_key;

struct reporting {
	pthread_mutex_t lock; /* serialises passes and unregistering */
	struct memhp_page_reporting_dev_info *prdev;
};

static void reporting_destroy(void *data)
{
	struct reporting *r = data;

	pthread_mutex_destroy(&r->lock);
	free(r);
}

int memhp_page_reporting_register(struct memhp_machine *m,
				  struct memhp_page_reporting_dev_info *prdev)
{
	struct reporting *r;
	int ret;

	if (!m || !prdev || !prdev->report)
		return -EINVAL;
	r = memhp_machine_attached(m, &reporting_key);
	if (r) {
		pthread_mutex_lock(&r->lock);
		ret = r->prdev ? -EBUSY : 0;
		if (!ret)
			r->prdev = prdev;
		pthread_mutex_unlock(&r->lock);
		return ret;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	r->prdev = prdev;
	ret = memhp_machine_attach(m, &reporting_key, r, reporting_destroy);
	if (ret)
		reporting_destroy(r);
	return ret;
}

void memhp_page_reporting_unregister(struct memhp_machine *m,
				     struct memhp_page_reporting_dev_info *prdev)
{
	struct reporting *r = m ? memhp_machine_attached(m, &reporting_key) : NULL;

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	if (r->prdev == prdev)
		r->prdev = NULL;
	pthread_mutex_unlock(&r->lock);
}

/* Is any page of the chunk resident on the host? */
static bool chunk_resident(struct memhp_machine *m, unsigned long pfn, unsigned int order)
{
	return memhp_host_resident(m, PFN_PHYS(pfn), PFN_PHYS(1UL << order)) != 0;
}

struct batch {
	unsigned long pfns[MEMHP_PAGE_REPORTING_CAPACITY];
	unsigned int orders[MEMHP_PAGE_REPORTING_CAPACITY];
	unsigned int nr;
};

/* Report the batch with the zone unlocked, then put its chunks back.
 * Called and returns with zone->lock held. */
static int flush(struct memhp_machine *m, struct zone *zone,
		 struct memhp_page_reporting_dev_info *prdev, struct batch *b, long *reported)
{
	int ret = 0;

	if (!b->nr)
		return 0;
	pthread_mutex_unlock(&zone->lock);
	ret = prdev->report(prdev, b->pfns, b->orders, b->nr);
	pthread_mutex_lock(&zone->lock);
	for (unsigned int i = 0; i < b->nr; i++) {
		/* page_reporting_drain(): the pageblock's type now, which
		 * alloc_contig_range() may have changed meanwhile. */
		__putback_isolated_page(m, zone, b->pfns[i], b->orders[i],
					get_pfnblock_migratetype(m, b->pfns[i]));
		if (!ret)
			*reported += 1L << b->orders[i];
	}
	b->nr = 0;
	return ret;
}

/* page_reporting_cycle() for one free list: the chunks on it now, each
 * once (those put back go to the tail, behind the walk's end). */
static int cycle(struct memhp_machine *m, struct zone *zone, unsigned int order, int mt,
		 struct memhp_page_reporting_dev_info *prdev, struct batch *b, long *reported)
{
	struct free_list *list = &zone->free_area[order].free_list[mt];
	unsigned long left = zone->free_area[order].nr_free_mt[mt];
	uint32_t pfn = list->head;
	int ret = 0;

	while (left-- && pfn != PFN_NIL && !ret) {
		uint32_t next = pfn_to_page(m, pfn)->buddy.next;

		if (chunk_resident(m, pfn, order)) {
			__isolate_free_page(m, zone, pfn, order);
			b->pfns[b->nr] = pfn;
			b->orders[b->nr] = order;
			if (++b->nr == MEMHP_PAGE_REPORTING_CAPACITY) {
				/* The list changed under the unlocked report:
				 * start over from its head, minus what was
				 * done. */
				ret = flush(m, zone, prdev, b, reported);
				next = list->head;
			}
		}
		pfn = next;
	}
	return ret;
}

long memhp_page_reporting_process(struct memhp_machine *m)
{
	struct reporting *r = m ? memhp_machine_attached(m, &reporting_key) : NULL;
	struct memhp_page_reporting_dev_info *prdev;
	long reported = 0;
	int ret = 0;

	if (!r)
		return -ENODEV;
	pthread_mutex_lock(&r->lock);
	prdev = r->prdev;
	if (!prdev) {
		pthread_mutex_unlock(&r->lock);
		return -ENODEV;
	}
	memhp_get_online_mems(m);
	for_each_zone(m, zone)
	{
		unsigned int min = prdev->order ? prdev->order : m->pageblock_order;
		struct batch b = { .nr = 0 };

		if (ret)
			break;
		if (!populated_zone(zone))
			continue;
		pthread_mutex_lock(&zone->lock);
		for (unsigned int o = min; o <= m->max_order && !ret; o++)
			for (int mt = 0; mt < MIGRATE_TYPES && !ret; mt++)
				if (mt != MIGRATE_ISOLATE)
					ret = cycle(m, zone, o, mt, prdev, &b, &reported);
		if (!ret)
			ret = flush(m, zone, prdev, &b, &reported);
		pthread_mutex_unlock(&zone->lock);
	}
	memhp_put_online_mems(m);
	pthread_mutex_unlock(&r->lock);
	return ret ? ret : reported;
}
