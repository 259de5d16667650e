/* SPDX-License-Identifier: MIT */
/*
 * memhp/kernel.h - the guest kernel's own memory: slab caches, page
 * tables and kernel stacks.
 *
 * These are the allocations that keep a block of a kernel zone from going
 * offline: unmovable, long-lived, scattered by the allocator's fallback
 * over whatever Normal memory there is. They carry the page state 6.1
 * gives them (PG_slab, PageTable) so /proc/kpageflags tells them apart,
 * and they move the counters of /proc/meminfo (Slab, SReclaimable,
 * SUnreclaim, KernelStack, PageTables) and /proc/vmstat.
 *
 * Objects are physical addresses inside the machine: their bytes are real
 * machine memory, as a kernel object's are.
 */
#ifndef MEMHP_KERNEL_H
#define MEMHP_KERNEL_H

#include <memhp/alloc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Slab caches (mm/slub.c) ---------------------------------------------
 *
 * One cache per object kind, with SLUB's slab order for its object size
 * (calculate_order(): enough objects per slab for the machine's CPUs, at
 * most order 3, little waste). Slabs are allocated with GFP_KERNEL, plus
 * __GFP_RECLAIMABLE for SLAB_RECLAIM_ACCOUNT caches (dentries, inodes),
 * which therefore land in MIGRATE_RECLAIMABLE pageblocks. A slab is freed
 * when its last object goes, unless the cache keeps it as one of its
 * min_partial empty slabs. Thread-safe.
 */
#define MEMHP_SLAB_RECLAIM_ACCOUNT 0x1u
/* A cache name is at most this long, as /proc/slabinfo's column has it. */
#define MEMHP_SLAB_NAME_MAX 32
/* slub_max_order: the largest slab order SLUB picks by itself. */
#define MEMHP_SLUB_MAX_ORDER 3

struct memhp_kmem_cache;

/* Returns 0, -EINVAL (size 0 or above a max-order slab, bad flags, no
 * name), -ENOMEM. */
MEMHP_API int memhp_kmem_cache_create(struct memhp_machine *m, const char *name, unsigned int size,
				      unsigned int flags, struct memhp_kmem_cache **out);
/* Frees every slab. Objects still allocated are leaked with them, as
 * kmem_cache_destroy() complains about; the count is returned. */
MEMHP_API unsigned long memhp_kmem_cache_destroy(struct memhp_kmem_cache *c);
/* An object's physical address, or 0 when no slab could be allocated. */
MEMHP_API uint64_t memhp_kmem_cache_alloc(struct memhp_kmem_cache *c);
/* Free an object of @c; an address that is not a live object of @c is
 * reported to the checker (rule "slab") and ignored. */
MEMHP_API void memhp_kmem_cache_free(struct memhp_kmem_cache *c, uint64_t obj);
/* Free the cache's empty slabs (kmem_cache_shrink()); returns the pages
 * given back. */
MEMHP_API unsigned long memhp_kmem_cache_shrink(struct memhp_kmem_cache *c);

/* A cache as /proc/slabinfo shows it. */
struct memhp_slabinfo {
	char name[MEMHP_SLAB_NAME_MAX];
	unsigned long active_objs, num_objs;
	unsigned int objsize, objperslab, pagesperslab;
	unsigned long active_slabs, num_slabs;
	bool reclaimable;
};
/* The @idx-th cache of @m, in creation order: 0, or -ENOENT past the end. */
MEMHP_API int memhp_slabinfo(struct memhp_machine *m, unsigned int idx,
			     struct memhp_slabinfo *info);

/* ---- Page tables (pte_alloc_one(), pte_free()) -----------------------------
 *
 * A zeroed GFP_PGTABLE_USER page (GFP_KERNEL | __GFP_ZERO) of type
 * PageTable, counted in NR_PAGE_TABLE_PAGES. NULL when out of memory.
 */
MEMHP_API struct memhp_page *memhp_pte_alloc_one(struct memhp_machine *m);
MEMHP_API void memhp_pte_free(struct memhp_page *page);
MEMHP_API bool memhp_PageTable(const struct memhp_page *page);
MEMHP_API bool memhp_PageSlab(const struct memhp_page *page);

/* ---- Kernel stacks (alloc_thread_stack_node()) -----------------------------
 *
 * x86_64's THREAD_SIZE, 16 KiB: with CONFIG_VMAP_STACK four order-0
 * GFP_KERNEL pages mapped in vmalloc space, counted in NR_KERNEL_STACK, each
 * on its node (the pages of one stack may come from several).
 */
#define MEMHP_THREAD_STACK_PAGES 4
struct memhp_thread_stack {
	struct memhp_page *pages[MEMHP_THREAD_STACK_PAGES];
};
/* Returns 0 or -ENOMEM (nothing kept). Both count the stack (+1, -1) as
 * memhp_account_kernel_stack() does. */
MEMHP_API int memhp_alloc_thread_stack(struct memhp_machine *m, struct memhp_thread_stack *st);
MEMHP_API void memhp_free_thread_stack(struct memhp_machine *m, struct memhp_thread_stack *st);
/* account_kernel_stack(): @account (1 or -1) times 4 KiB of NR_KERNEL_STACK
 * on each page's own node, for a stack a cache hands out or takes back. */
MEMHP_API void memhp_account_kernel_stack(struct memhp_machine *m,
					  const struct memhp_thread_stack *st, int account);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_KERNEL_H */
