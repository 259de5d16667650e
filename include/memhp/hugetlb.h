/* SPDX-License-Identifier: MIT */
/*
 * memhp/hugetlb.h - compound pages: hugetlb pools and their pages, and
 * transparent huge pages (THP) of anonymous memory.
 *
 * A compound page is 2^order naturally aligned pages allocated as one
 * (__GFP_COMP): the first page (head) holds the references, the others
 * are tails. Hugetlb pages come from per-hstate pools (2 MiB; 1 GiB
 * "gigantic" pages when the CPU has them), which nr_hugepages grows and
 * shrinks; in use they belong to a hugetlbfs file. THPs are 2 MiB pieces
 * of anonymous memory on the LRU, migrated as a unit and split into base
 * pages when no 2 MiB target can be had. docs/semantics.md, "Compound
 * pages", has the rules.
 */
#ifndef MEMHP_HUGETLB_H
#define MEMHP_HUGETLB_H

#include <memhp/alloc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Allocate a compound page (with order > 0): the head holds the reference. */
#define MEMHP___GFP_COMP (1u << 9)
/* GFP_TRANSHUGE: what a THP fault and its migration target ask for. */
#define MEMHP_GFP_TRANSHUGE (MEMHP_GFP_HIGHUSER_MOVABLE | MEMHP___GFP_COMP)

MEMHP_API bool memhp_PageCompound(const struct memhp_page *page);
MEMHP_API bool memhp_PageHead(const struct memhp_page *page);
MEMHP_API bool memhp_PageTail(const struct memhp_page *page);
/* PageHuge(): a page (head or tail) of a hugetlb page. */
MEMHP_API bool memhp_PageHuge(const struct memhp_page *page);
/* PageTransHuge(): the head of a THP. */
MEMHP_API bool memhp_PageTransHuge(const struct memhp_page *page);
MEMHP_API struct memhp_page *memhp_compound_head(struct memhp_page *page);
MEMHP_API unsigned int memhp_compound_order(struct memhp_page *page);

/* ---- Hugetlb pools ------------------------------------------------------ */

/* hstates: 2 MiB always, 1 GiB with config.hugetlb_gigantic. */
#define MEMHP_HUGETLB_MAX_HSTATES 2

struct memhp_hugetlb_info {
	unsigned long page_size_kb;   /* 2048 or 1048576 */
	unsigned int order;	      /* 9 or 18 */
	unsigned long nr_hugepages;   /* nr_hugepages (all pages of the pool) */
	unsigned long free_hugepages; /* free_hugepages */
	unsigned long resv_hugepages; /* resv_hugepages (global only) */
	unsigned long surplus_hugepages;
	unsigned long nr_overcommit_hugepages; /* (global only) */
};

/* How many hstates the machine has (1 or 2). */
MEMHP_API int memhp_hugetlb_nr_hstates(struct memhp_machine *m);
/* The hstate whose pages are @size_kb big, or -ENOENT. */
MEMHP_API int memhp_hugetlb_hstate(struct memhp_machine *m, unsigned long size_kb);
/* The pool of @hstate, of node @nid or of all nodes (MEMHP_NUMA_NO_NODE):
 * 0, or -EINVAL (no such hstate or node). */
MEMHP_API int memhp_hugetlb_info(struct memhp_machine *m, int hstate, int nid,
				 struct memhp_hugetlb_info *hi);
/*
 * A write of @count to nr_hugepages (of node @nid, or of all nodes with
 * MEMHP_NUMA_NO_NODE): set_max_huge_pages(). The pool grows by fresh
 * pages from the buddy (2 MiB: GFP_HIGHUSER_MOVABLE, so ZONE_MOVABLE
 * first; 1 GiB: alloc_contig_pages() over ZONE_NORMAL and below) until
 * @count or the first failure, and shrinks by its free pages, the rest
 * becoming surplus to go when freed. Returns 0 (however many it got, as the
 * sysfs write succeeds), -EINVAL, -EINTR (a signal stopped the growth).
 */
MEMHP_API int memhp_hugetlb_set_nr(struct memhp_machine *m, int hstate, int nid,
				   unsigned long count);
/* nr_overcommit_hugepages: surplus pages a file may take beyond the pool. */
MEMHP_API int memhp_hugetlb_set_overcommit(struct memhp_machine *m, int hstate,
					   unsigned long count);

/* ---- hugetlbfs files ------------------------------------------------------ */

/*
 * A file of a hugetlbfs mount: its pages are in-use hugetlb pages of one
 * hstate, filled with seeded bytes so that migration can be verified.
 * fallocate() takes pages from the pool (then, within the overcommit, fresh
 * surplus ones) and marks them migratable (HPageMigratable); truncation
 * gives them back to the pool.
 */
struct memhp_hugetlbfs;
MEMHP_API int memhp_hugetlbfs_create(struct memhp_machine *m, int hstate,
				     struct memhp_hugetlbfs **out);
/* Add up to @nr huge pages; returns how many it added, or -ENOSPC if it
 * could add none (the pool had nothing free). */
MEMHP_API long memhp_hugetlbfs_fallocate(struct memhp_hugetlbfs *f, unsigned long nr);
/* Free the last @nr pages back (to the pool, or to the buddy if surplus). */
MEMHP_API void memhp_hugetlbfs_truncate(struct memhp_hugetlbfs *f, unsigned long nr);
MEMHP_API unsigned long memhp_hugetlbfs_nr_pages(struct memhp_hugetlbfs *f);
/* The head pfn of page @i. */
MEMHP_API unsigned long memhp_hugetlbfs_pfn(struct memhp_hugetlbfs *f, unsigned long i);
MEMHP_API unsigned long memhp_hugetlbfs_nr_migrated(struct memhp_hugetlbfs *f);
/* Pin page @i (a long-term pin: migration refuses it) or unpin it. */
MEMHP_API void memhp_hugetlbfs_pin(struct memhp_hugetlbfs *f, unsigned long i, bool pin);
/* Pages whose bytes are not what was written (0: all intact). */
MEMHP_API unsigned long memhp_hugetlbfs_verify(struct memhp_hugetlbfs *f);
MEMHP_API void memhp_hugetlbfs_destroy(struct memhp_hugetlbfs *f);

/* ---- Transparent huge pages ------------------------------------------------ */

/*
 * Anonymous memory faulted in 2 MiB at a time, as a process with THP
 * "always" gets it: each 2 MiB piece is a THP (an order-9 compound page of
 * GFP_TRANSHUGE) where one can be had, else 512 base pages (the fault's
 * fallback). An LRU owner, its pages are seeded bytes that verify after
 * migration. Offlining and alloc_contig_range() migrate a THP whole to a
 * new 2 MiB page, or split it and migrate its pages one by one when no
 * 2 MiB target exists (migrate_pages()'s -ENOMEM path). The machine's
 * THP mode does not gate it (memhp_transparent_hugepage(): a machine
 * below 512 MiB boots with "never", where Linux would fault in base pages
 * only): it stands for a process that got THPs.
 */
struct memhp_thp;
MEMHP_API int memhp_thp_create(struct memhp_machine *m, struct memhp_thp **out);
/* Fault in @nr 2 MiB pieces; returns how many (fewer if memory ran out). */
MEMHP_API long memhp_thp_alloc(struct memhp_thp *t, unsigned long nr);
/* Pieces that are THPs now, and pieces that were split since. */
MEMHP_API unsigned long memhp_thp_nr_huge(struct memhp_thp *t);
MEMHP_API unsigned long memhp_thp_nr_split(struct memhp_thp *t);
MEMHP_API unsigned long memhp_thp_nr_migrated(struct memhp_thp *t);
/* The pfn of base page @i (piece i / 512, page i % 512). */
MEMHP_API unsigned long memhp_thp_pfn(struct memhp_thp *t, unsigned long i);
/* Pages whose bytes or place are not what was written (0: all intact). */
MEMHP_API unsigned long memhp_thp_verify(struct memhp_thp *t);
MEMHP_API void memhp_thp_destroy(struct memhp_thp *t);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_HUGETLB_H */
