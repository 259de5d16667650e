/* SPDX-License-Identifier: MIT */
/*
 * memhp/page_reporting.h - free page reporting (mm/page_reporting.c of
 * Linux 6.1): a driver (virtio-balloon with VIRTIO_BALLOON_F_REPORTING)
 * registers a report() function, and the mm hands it batches of free
 * chunks of at least its order, taken off the free lists while the
 * hypervisor discards their memory, then put back.
 *
 * Linux marks a reported chunk PG_reported and skips it until it leaves
 * the free list; memhp has no such flag and skips a free chunk none of
 * whose memory is resident on the host (memhp_host_resident()): a chunk
 * the guest has not touched since it was reported, or never touched. The
 * host's memory ends up the same; only chunks the guest never touched,
 * which Linux reports once for nothing, are not reported.
 *
 * Linux starts a pass two seconds after a large enough chunk was freed;
 * memhp runs a pass when memhp_page_reporting_process() is called (the
 * virtio-balloon driver calls it when, at one of its two-second looks, a
 * pageblock's worth of pages was freed since its last pass).
 */
#ifndef MEMHP_PAGE_REPORTING_H
#define MEMHP_PAGE_REPORTING_H

#include <memhp/machine.h>

#ifdef __cplusplus
extern "C" {
#endif

/* PAGE_REPORTING_CAPACITY: chunks per report() call. */
#define MEMHP_PAGE_REPORTING_CAPACITY 32
/* PAGE_REPORTING_DELAY, in ms. */
#define MEMHP_PAGE_REPORTING_DELAY_MS 2000

struct memhp_page_reporting_dev_info {
	/*
	 * Report @nr free chunks: @pfns[i] heads a chunk of 2^@orders[i]
	 * pages, off the free lists until it returns. Called with no lock
	 * of the machine held. Returns 0, or an error: the chunks go back
	 * and the pass ends.
	 */
	int (*report)(struct memhp_page_reporting_dev_info *prdev, const unsigned long *pfns,
		      const unsigned int *orders, unsigned int nr);
	unsigned int order; /* the smallest order reported; 0: pageblock_order */
	void *priv;
};

/* Returns 0, -EBUSY (one is registered already: 6.1 allows one), -EINVAL,
 * -ENOMEM. */
MEMHP_API int memhp_page_reporting_register(struct memhp_machine *m,
					    struct memhp_page_reporting_dev_info *prdev);
/* Once it returns, report() is not running and will not run again. */
MEMHP_API void memhp_page_reporting_unregister(struct memhp_machine *m,
					       struct memhp_page_reporting_dev_info *prdev);
/*
 * page_reporting_process(): one pass over every zone, order and migratetype
 * (not MIGRATE_ISOLATE), under mem_hotplug_lock for read so that no block
 * goes offline while its chunks are away. Returns the pages reported,
 * -ENODEV (nobody registered) or report()'s error.
 */
MEMHP_API long memhp_page_reporting_process(struct memhp_machine *m);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_PAGE_REPORTING_H */
