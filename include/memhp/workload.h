/* SPDX-License-Identifier: MIT */
/*
 * memhp/workload.h - things that use memory, for tests, scenarios and the
 * demo: checksummed movable data, kernel allocations, PFN walkers.
 */
#ifndef MEMHP_WORKLOAD_H
#define MEMHP_WORKLOAD_H

#include <memhp/alloc.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Checksummed movable data: an LRU-like owner (think anonymous memory)
 * that fills each page it allocates with seeded bytes and remembers a
 * checksum. Migration moves the page; memhp_data_verify() proves that
 * nothing was lost or corrupted. A page a memory failure takes
 * (memhp_memory_failure()) is lost for good, as an anonymous page is to
 * the process that mapped it: its slot is poisoned and counted apart.
 * Thread-safe.
 */
struct memhp_data;

/* Returns 0, -ENOSPC (too many owners), -ENOMEM. */
MEMHP_API int memhp_data_create(struct memhp_machine *m, struct memhp_data **out);
/* Frees every page it holds. */
MEMHP_API void memhp_data_destroy(struct memhp_data *d);
/* Allocate up to @nr pages with @gfp (default: GFP_HIGHUSER_MOVABLE);
 * returns how many it got. */
MEMHP_API unsigned long memhp_data_alloc(struct memhp_data *d, unsigned long nr, memhp_gfp_t gfp);
/* The same, writing the slot of each page allocated into @slots (room for
 * @nr), for an owner that frees its own pages later. */
MEMHP_API unsigned long memhp_data_alloc_slots(struct memhp_data *d, unsigned long nr,
					       memhp_gfp_t gfp, uint32_t *slots);
/* Free the pages of @slots (as memhp_data_alloc_slots() gave them): a page
 * being migrated goes when migration is done with it, a poisoned slot just
 * goes, a slot already free is ignored. */
MEMHP_API void memhp_data_free_slots(struct memhp_data *d, const uint32_t *slots, unsigned long nr);
/* Free up to @nr pages chosen with the machine's generator; returns how
 * many were freed. */
MEMHP_API unsigned long memhp_data_free(struct memhp_data *d, unsigned long nr);
/* Free up to @nr of its pages that lie in [start_pfn, end_pfn); returns
 * how many were freed. */
MEMHP_API unsigned long memhp_data_free_range(struct memhp_data *d, unsigned long start_pfn,
					      unsigned long end_pfn, unsigned long nr);
MEMHP_API unsigned long memhp_data_nr_pages(struct memhp_data *d);
/* Pages moved by migration so far. */
MEMHP_API unsigned long memhp_data_nr_migrated(struct memhp_data *d);
/* The pfn that holds entry @idx now, or MEMHP_NO_PFN for a slot without a
 * page (freed, or lost to a memory failure). */
MEMHP_API unsigned long memhp_data_pfn(struct memhp_data *d, unsigned long idx);
MEMHP_API unsigned long memhp_data_nr_slots(struct memhp_data *d);
/* Refuse every migration from now on (-EAGAIN), or stop refusing. */
MEMHP_API void memhp_data_refuse_migration(struct memhp_data *d, bool refuse);
/* What memhp_data_verify_report() found. */
struct memhp_data_report {
	unsigned long verified;	  /* pages read back and compared with their checksum */
	unsigned long corrupted;  /* ... whose contents or owner are wrong: memhp lost them */
	unsigned long hwpoisoned; /* pages lost to a memory failure: gone, not read */
};
/* Check every page against its checksum. Returns the pages whose data is
 * gone: corrupted + hwpoisoned; @r, if given, tells the two apart. */
MEMHP_API unsigned long memhp_data_verify_report(struct memhp_data *d, struct memhp_data_report *r);
/* The same, with only the number of pages checked into @verified. */
MEMHP_API unsigned long memhp_data_verify(struct memhp_data *d, unsigned long *verified);

/* Kernel allocations: unmovable pages (GFP_KERNEL) held until freed. */
struct memhp_kalloc;
MEMHP_API int memhp_kalloc_create(struct memhp_machine *m, struct memhp_kalloc **out);
MEMHP_API void memhp_kalloc_destroy(struct memhp_kalloc *k);
MEMHP_API unsigned long memhp_kalloc_alloc(struct memhp_kalloc *k, unsigned long nr,
					   memhp_gfp_t gfp);
MEMHP_API unsigned long memhp_kalloc_free(struct memhp_kalloc *k, unsigned long nr);
MEMHP_API unsigned long memhp_kalloc_nr_pages(struct memhp_kalloc *k);

/*
 * Speculative PFN walkers, in their own threads: they pick pfns with the
 * machine's generator, go through pfn_to_online_page(), take a reference
 * with get_page_unless_zero() on any page that has one, hold it for
 * @hold_spins iterations and drop it, the way compaction or page_idle
 * scanners touch pages they do not own. They never look at contents.
 */
struct memhp_walkers;
struct memhp_walker_stats {
	unsigned long visits;	    /* pfns looked at */
	unsigned long refs;	    /* references taken */
	unsigned long offline_refs; /* ... on PageOffline pages */
};
MEMHP_API int memhp_walkers_start(struct memhp_machine *m, unsigned int nr_threads,
				  unsigned int hold_spins, struct memhp_walkers **out);
/*
 * The same walkers, each holding its reference for @hold_ns asleep rather
 * than spinning, as a kernel thread preempted with a reference in hand
 * holds it: a held reference costs no CPU, and the walkers take none from
 * the threads they race. memhp_walkers_stop() ends a hold early. Under a
 * deterministic schedule the hold is virtual time, during which the other
 * threads run. Returns 0, -EINVAL (@hold_ns 0), -ENOMEM or -EAGAIN.
 */
MEMHP_API int memhp_walkers_start_sleeping(struct memhp_machine *m, unsigned int nr_threads,
					   uint64_t hold_ns, struct memhp_walkers **out);
/*
 * Wait until the walkers have taken @refs references in all, so that a
 * test races them for sure, not after a guessed time (sleeping walkers
 * count theirs before the hold: @refs equal to their number means each
 * holds one now). Returns 0, or -ESRCH if every walker ended first (no
 * block present to walk).
 */
MEMHP_API int memhp_walkers_wait(struct memhp_walkers *w, unsigned long refs);
MEMHP_API void memhp_walkers_stop(struct memhp_walkers *w, struct memhp_walker_stats *stats);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_WORKLOAD_H */
