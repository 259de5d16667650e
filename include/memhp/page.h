/* SPDX-License-Identifier: MIT */
/*
 * memhp/page.h - page descriptors and their primitives.
 *
 * The memmap is virtually contiguous per machine (SPARSEMEM_VMEMMAP): a
 * descriptor exists only for present sections. All primitives here are
 * safe from any thread on the descriptor of a present section; a PFN walker
 * that trusts what it reads must go through memhp_pfn_to_online_page()
 * first, as it would in Linux.
 *
 * The functions are named after their kernel counterparts so the rules read
 * the same: memhp_PageOffline() is PageOffline(), memhp_SetPageOffline() is
 * the non-atomic __SetPageOffline() (callers serialise against each other,
 * as drivers do with page_offline_begin()).
 */
#ifndef MEMHP_PAGE_H
#define MEMHP_PAGE_H

#include <memhp/machine.h>

#ifdef __cplusplus
extern "C" {
#endif

struct memhp_page;

MEMHP_API bool memhp_pfn_valid(struct memhp_machine *m, unsigned long pfn);
/* The descriptor of a present pfn, or NULL. */
MEMHP_API struct memhp_page *memhp_pfn_to_page(struct memhp_machine *m, unsigned long pfn);
/* The descriptor if the pfn's section is online, else NULL. */
MEMHP_API struct memhp_page *memhp_pfn_to_online_page(struct memhp_machine *m, unsigned long pfn);
MEMHP_API unsigned long memhp_page_to_pfn(const struct memhp_page *page);
MEMHP_API struct memhp_machine *memhp_page_machine(const struct memhp_page *page);
/* Host address of the page's 4 KiB of contents. */
MEMHP_API void *memhp_page_address(const struct memhp_page *page);
MEMHP_API enum memhp_zone_type memhp_page_zonenum(const struct memhp_page *page);
MEMHP_API int memhp_page_to_nid(const struct memhp_page *page);

/* ---- Reference counts ---------------------------------------------------
 * A put that drops the last reference frees the page into the buddy, as in
 * Linux; freeing a page that still has a type (PageOffline, PageBuddy), is
 * PG_reserved or still belongs to a movable owner is a "bad page": it is
 * reported to the checker, its type is reset and it is leaked, as 6.1's
 * free_pages_prepare() does.
 */
MEMHP_API int memhp_page_count(const struct memhp_page *page);
MEMHP_API void memhp_get_page(struct memhp_page *page);
MEMHP_API bool memhp_get_page_unless_zero(struct memhp_page *page);
MEMHP_API void memhp_put_page(struct memhp_page *page);
MEMHP_API void memhp_page_ref_inc(struct memhp_page *page);
MEMHP_API bool memhp_page_ref_dec_and_test(struct memhp_page *page);

/*
 * PFN walkers. Code that takes references on pages it does not own (a
 * get_page_unless_zero() on a pfn it looked up) or writes their flags
 * (memory failure) makes the machine take its per-page paths from then on:
 * the range functions below write a range of descriptors with one plain
 * store each, which gives the same memmap as the per-page atomics only
 * while nobody else writes those descriptors (docs/semantics.md, "Bulk
 * paths"). memhp_get_page(), memhp_get_page_unless_zero(),
 * memhp_SetPageHWPoison(), memory failure and soft offlining note it
 * themselves; call it before writing into pages found any other way.
 * Waits for bulk updates in flight. Once noted, it stays.
 */
MEMHP_API void memhp_note_pfn_walker(struct memhp_machine *m);
MEMHP_API bool memhp_machine_has_pfn_walkers(struct memhp_machine *m);

/*
 * The primitives on a range of pages their caller owns, in pfn order,
 * each page exactly as the per-page calls named below would leave it:
 * by plain stores while the machine has no PFN walker, else by those
 * calls. A range outside present memory is ignored (0).
 *
 * memhp_SetPageOffline_range(): memhp_SetPageOffline() on each page, then
 * with MEMHP_PAGE_OFFLINE_SKIPPABLE memhp_SetPageOfflineSkippable(), with
 * MEMHP_PAGE_OFFLINE_UNUSED (pages never given to the buddy, as virtio-mem
 * marks them) memhp_SetPageDirty() and memhp_ClearPageReserved(). Returns
 * how many pages refused the type (they had one: -EINVAL each).
 * memhp_ClearPageOffline_range(): memhp_ClearPageOfflineSkippable(),
 * memhp_ClearPageOffline(), and with MEMHP_PAGE_OFFLINE_UNUSED
 * memhp_ClearPageDirty(). Returns how many pages were not PageOffline.
 * memhp_page_ref_dec_range(): memhp_page_ref_dec_and_test() on each page;
 * @still_referenced (may be NULL) hears of every page whose count did not
 * reach 0, right after its drop. memhp_page_ref_inc_range():
 * memhp_page_ref_inc() on each page.
 */
#define MEMHP_PAGE_OFFLINE_SKIPPABLE 0x1u
#define MEMHP_PAGE_OFFLINE_UNUSED 0x2u
typedef void (*memhp_page_fn)(struct memhp_page *page, void *priv);
MEMHP_API unsigned long memhp_SetPageOffline_range(struct memhp_machine *m, unsigned long pfn,
						   unsigned long nr, unsigned int flags);
MEMHP_API unsigned long memhp_ClearPageOffline_range(struct memhp_machine *m, unsigned long pfn,
						     unsigned long nr, unsigned int flags);
MEMHP_API void memhp_page_ref_dec_range(struct memhp_machine *m, unsigned long pfn,
					unsigned long nr, memhp_page_fn still_referenced,
					void *priv);
MEMHP_API void memhp_page_ref_inc_range(struct memhp_machine *m, unsigned long pfn,
					unsigned long nr);

/* ---- Page types and flags ---------------------------------------------- */

MEMHP_API bool memhp_PageBuddy(const struct memhp_page *page);
MEMHP_API bool memhp_PageOffline(const struct memhp_page *page);
/* A page gets a type only if it has none: -EINVAL otherwise (VM_BUG_ON). */
MEMHP_API int memhp_SetPageOffline(struct memhp_page *page);
MEMHP_API int memhp_ClearPageOffline(struct memhp_page *page);
/* PG_offline_skippable: meaningful under MEMHP_PROTOCOL_2025 only. */
MEMHP_API bool memhp_PageOfflineSkippable(const struct memhp_page *page);
MEMHP_API void memhp_SetPageOfflineSkippable(struct memhp_page *page);
MEMHP_API void memhp_ClearPageOfflineSkippable(struct memhp_page *page);
/*
 * PG_offline_managed: a PageOffline page that still counts in its zone's
 * managed pages. Most owners take their PageOffline pages out of
 * managed_pages (virtio-mem, virtio-balloon, Xen, Hyper-V); vmw_balloon, and
 * virtio-balloon with VIRTIO_BALLOON_F_DEFLATE_ON_OOM, never do. Linux keeps
 * no per-page record of that, but the checker derives managed_pages from the
 * memmap and needs one: such an owner marks its pages. A marked page may also
 * have refcount 0 outside MEM_GOING_OFFLINE (the tails of vmw_balloon's
 * non-compound 2 MiB pages): offlining would count it as free and subtract it
 * with the rest of the block, which is right for a page still managed.
 * The flag means nothing on a page that is not PageOffline; freeing clears it.
 */
MEMHP_API bool memhp_PageOfflineManaged(const struct memhp_page *page);
MEMHP_API void memhp_SetPageOfflineManaged(struct memhp_page *page);
MEMHP_API void memhp_ClearPageOfflineManaged(struct memhp_page *page);

MEMHP_API bool memhp_PageReserved(const struct memhp_page *page);
MEMHP_API void memhp_SetPageReserved(struct memhp_page *page);
MEMHP_API void memhp_ClearPageReserved(struct memhp_page *page);
MEMHP_API bool memhp_PageHWPoison(const struct memhp_page *page);
/* The flag alone, as SetPageHWPoison(): num_poisoned_pages does not count
 * it, and the checker finds a poisoned page nobody counted (rule
 * "hwpoison"). memhp_memory_failure() poisons a page as the kernel does. */
MEMHP_API void memhp_SetPageHWPoison(struct memhp_page *page);
MEMHP_API bool memhp_PageDirty(const struct memhp_page *page);
MEMHP_API void memhp_SetPageDirty(struct memhp_page *page);
MEMHP_API void memhp_ClearPageDirty(struct memhp_page *page);
MEMHP_API bool memhp_PageLRU(const struct memhp_page *page);
MEMHP_API bool memhp_PageMovable(const struct memhp_page *page); /* __PageMovable */
MEMHP_API bool memhp_PageIsolated(const struct memhp_page *page);
MEMHP_API bool memhp_PageVmemmapSelfHosted(const struct memhp_page *page);

/* page_offline_begin/end (writers: drivers setting PageOffline) and
 * page_offline_freeze/thaw (readers: PFN walkers reading contents, and the
 * checker). A driver that marks pages PageOffline and changes the managed
 * count for them does both between begin and end, so that memhp_check()
 * never sees one without the other. */
MEMHP_API void memhp_page_offline_begin(struct memhp_machine *m);
MEMHP_API void memhp_page_offline_end(struct memhp_machine *m);
MEMHP_API void memhp_page_offline_freeze(struct memhp_machine *m);
MEMHP_API void memhp_page_offline_thaw(struct memhp_machine *m);

/* Pageblock migratetypes, as 6.1 numbers them with CONFIG_CMA (Debian's
 * 6.1 amd64 kernel has no CMA: a machine without a CMA area never has a
 * MEMHP_MIGRATE_CMA pageblock, and its files leave the type out). */
enum memhp_migratetype {
	MEMHP_MIGRATE_UNMOVABLE,
	MEMHP_MIGRATE_MOVABLE,
	MEMHP_MIGRATE_RECLAIMABLE,
	MEMHP_MIGRATE_HIGHATOMIC,
	MEMHP_MIGRATE_CMA,
	MEMHP_MIGRATE_ISOLATE,
	MEMHP_MIGRATE_TYPES
};
MEMHP_API const char *memhp_migratetype_name(int migratetype);
/* The migratetype of the pageblock holding @pfn (racy, like the kernel's
 * get_pfnblock_migratetype() without zone->lock), or -EINVAL. */
MEMHP_API int memhp_pfn_migratetype(struct memhp_machine *m, unsigned long pfn);

/* ---- /proc/kpageflags and /proc/kpagecount (fs/proc/page.c) ------------
 *
 * The KPF bits of include/uapi/linux/kernel-page-flags.h that the model
 * has a state for: BUDDY (every page of a free chunk, as 6.1 reports the
 * tails too), OFFLINE, PGTABLE, SLAB, LRU, DIRTY, HWPOISON, RESERVED,
 * NOPAGE (no online memmap: a hole, or memory not online), and for the
 * pages of an LRU movable owner, which stand for anonymous memory, MMAP,
 * ANON, SWAPBACKED and UPTODATE, as every faulted-in anonymous page has
 * them.
 */
#define MEMHP_KPF_DIRTY 4
#define MEMHP_KPF_UPTODATE 3
#define MEMHP_KPF_LRU 5
#define MEMHP_KPF_SLAB 7
#define MEMHP_KPF_BUDDY 10
#define MEMHP_KPF_MMAP 11
#define MEMHP_KPF_ANON 12
#define MEMHP_KPF_SWAPBACKED 14
#define MEMHP_KPF_HWPOISON 19
#define MEMHP_KPF_NOPAGE 20
#define MEMHP_KPF_OFFLINE 23
#define MEMHP_KPF_PGTABLE 26
#define MEMHP_KPF_RESERVED 32

/* get_max_dump_pfn(): the pfns the files cover, [0, this): x86's max_pfn
 * (one past the highest memory ever added; removal leaves it) rounded up
 * to a section. */
MEMHP_API unsigned long memhp_kpage_max_pfn(struct memhp_machine *m);
/* The KPF flags of @nr pfns from @pfn into @out; returns how many were
 * filled (fewer at memhp_kpage_max_pfn(), 0 past it). Lock-free and
 * racy, as the kernel's walk is; linear in @nr. */
MEMHP_API size_t memhp_kpageflags(struct memhp_machine *m, unsigned long pfn, uint64_t *out,
				  size_t nr);
/* The map counts (/proc/kpagecount): 1 for an anonymous page, 0 for any
 * other page and for pfns without an online memmap. As above. */
MEMHP_API size_t memhp_kpagecount(struct memhp_machine *m, unsigned long pfn, uint64_t *out,
				  size_t nr);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_PAGE_H */
