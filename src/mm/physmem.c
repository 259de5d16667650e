// SPDX-License-Identifier: MIT
/*
 * physmem.c - the host memory behind a machine.
 *
 * Two reservations per machine, both MAP_NORESERVE and inaccessible until
 * used, so a 1 TiB machine costs address space, not memory:
 *
 *  - physical memory: [0, phys_size). A range becomes read-write when it is
 *    added and is discarded (MADV_DONTNEED, then PROT_NONE again) when it is
 *    removed, so the host's RSS really falls and a stray access faults.
 *
 *  - the vmemmap: one 16-byte descriptor per pfn, populated per section
 *    like SPARSEMEM_VMEMMAP. The reservation is aligned to a power of two
 *    at least its size, and its first page holds a pointer to the machine:
 *    any descriptor finds its machine by masking its own address, the way
 *    mimalloc finds a segment from a block. That keeps put_page(page) free
 *    of a machine argument, as in the kernel.
 */
#include "internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define VMEMMAP_HEADER_SIZE 4096UL

int physmem_reserve(struct memhp_machine *m)
{
	void *p;

	m->phys_len = (size_t)PFN_PHYS(m->max_pfn);
	p = mmap(NULL, m->phys_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	m->phys = p;
#ifdef MADV_HUGEPAGE
	/* As QEMU asks for its guest RAM (ram_block_add()). A host without
	 * THP says no: the memory is there all the same. */
	if (m->cfg.host_huge_pages)
		madvise(p, m->phys_len, MADV_HUGEPAGE);
#endif
	return 0;
}

void physmem_release(struct memhp_machine *m)
{
	if (m->phys)
		munmap(m->phys, m->phys_len);
	m->phys = NULL;
}

/*
 * Apply @fn to the parts of [start, start + size) no device has claimed:
 * the guest's hot-add and removal do not touch a VMM's memory backend.
 */
static int for_each_unclaimed(struct memhp_machine *m, uint64_t start, uint64_t size,
			      int (*fn)(struct memhp_machine *, uint64_t, uint64_t))
{
	uint64_t pos = start, end = start + size;
	int ret = 0;

	pthread_mutex_lock(&m->misc_lock);
	while (pos < end && !ret) {
		uint64_t next = end, skip_to = pos;

		for (int i = 0; i < MEMHP_MAX_HOST_CLAIMS; i++) {
			uint64_t cs = m->host_claims[i].start, ce = m->host_claims[i].end;

			if (cs == ce)
				continue;
			if (cs <= pos && pos < ce)
				skip_to = MAX(skip_to, ce);
			else if (cs > pos && cs < next)
				next = cs;
		}
		if (skip_to > pos) {
			pos = skip_to;
			continue;
		}
		ret = fn(m, pos, next - pos);
		pos = next;
	}
	pthread_mutex_unlock(&m->misc_lock);
	return ret;
}

static int do_populate(struct memhp_machine *m, uint64_t start, uint64_t size)
{
	if (mhp_should_fail(m, MEMHP_FAULT_HOST_POPULATE))
		return -ENOMEM;
	return mprotect(m->phys + start, size, PROT_READ | PROT_WRITE) ? -ENOMEM : 0;
}

static int do_discard(struct memhp_machine *m, uint64_t start, uint64_t size)
{
	/* A failed madvise() costs the host its RSS, nothing else: removal
	 * has happened for the guest all the same. */
	if (!mhp_should_fail(m, MEMHP_FAULT_HOST_DISCARD))
		madvise(m->phys + start, size, MADV_DONTNEED);
	mprotect(m->phys + start, size, PROT_NONE);
	return 0;
}

/* Returns 0, or -ENOMEM if the host refuses. */
int physmem_populate(struct memhp_machine *m, uint64_t start, uint64_t size)
{
	return for_each_unclaimed(m, start, size, do_populate);
}

void physmem_discard(struct memhp_machine *m, uint64_t start, uint64_t size)
{
	for_each_unclaimed(m, start, size, do_discard);
}

int memhp_host_claim(struct memhp_machine *m, uint64_t start, uint64_t size)
{
	int ret = -ENOSPC;

	if (!size || start + size < start || start + size > PFN_PHYS(m->max_pfn))
		return -EINVAL;
	pthread_mutex_lock(&m->misc_lock);
	for (int i = 0; i < MEMHP_MAX_HOST_CLAIMS; i++) {
		if (m->host_claims[i].start < start + size && start < m->host_claims[i].end) {
			ret = -EBUSY;
			goto out;
		}
	}
	for (int i = 0; i < MEMHP_MAX_HOST_CLAIMS; i++) {
		if (m->host_claims[i].start == m->host_claims[i].end) {
			m->host_claims[i].start = start;
			m->host_claims[i].end = start + size;
			ret = 0;
			break;
		}
	}
out:
	pthread_mutex_unlock(&m->misc_lock);
	return ret;
}

void memhp_host_unclaim(struct memhp_machine *m, uint64_t start, uint64_t size)
{
	pthread_mutex_lock(&m->misc_lock);
	for (int i = 0; i < MEMHP_MAX_HOST_CLAIMS; i++)
		if (m->host_claims[i].start == start && m->host_claims[i].end == start + size)
			m->host_claims[i].start = m->host_claims[i].end = 0;
	pthread_mutex_unlock(&m->misc_lock);
}

/*
 * Every machine's vmemmap starts at a multiple of VMEMMAP_ALIGN, which is
 * larger than the biggest vmemmap (2^32 pfns of 16 bytes plus the header),
 * so masking a descriptor's address gives its machine's header.
 */
#ifndef MEMHP_VMEMMAP_ALIGN_SHIFT
#define MEMHP_VMEMMAP_ALIGN_SHIFT (MEMHP_MAX_PHYS_SHIFT - MEMHP_PAGE_SHIFT + 5)
_Static_assert(VMEMMAP_HEADER_SIZE + (1UL << (MEMHP_MAX_PHYS_SHIFT - MEMHP_PAGE_SHIFT)) * 16 <=
		       (1UL << MEMHP_VMEMMAP_ALIGN_SHIFT),
	       "vmemmap alignment too small");
#endif
/* A build for valgrind, whose address space is smaller than one default
 * alignment, sets a smaller shift (docs/performance.md): machines whose
 * vmemmap does not fit it cannot be created there. */
#define VMEMMAP_ALIGN (1UL << MEMHP_VMEMMAP_ALIGN_SHIFT)

int vmemmap_reserve(struct memhp_machine *m)
{
	size_t need = VMEMMAP_HEADER_SIZE + (size_t)m->max_pfn * sizeof(struct memhp_page);
	uint8_t *p, *aligned;

	if (need > VMEMMAP_ALIGN)
		return -ENOMEM;
	p = mmap(NULL, VMEMMAP_ALIGN + need, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	aligned = (uint8_t *)ALIGN_UP((uintptr_t)p, VMEMMAP_ALIGN);
	if (aligned > p)
		munmap(p, (size_t)(aligned - p));
	if (aligned + need < p + VMEMMAP_ALIGN + need)
		munmap(aligned + need, (size_t)(p + VMEMMAP_ALIGN - aligned));

	if (mprotect(aligned, VMEMMAP_HEADER_SIZE, PROT_READ | PROT_WRITE)) {
		munmap(aligned, need);
		return -ENOMEM;
	}
	*(struct memhp_machine **)aligned = m;
	m->vmemmap_area = aligned;
	m->vmemmap_area_len = need;
	m->vmemmap = (struct memhp_page *)(aligned + VMEMMAP_HEADER_SIZE);
	return 0;
}

void vmemmap_release(struct memhp_machine *m)
{
	if (m->vmemmap_area)
		munmap(m->vmemmap_area, m->vmemmap_area_len);
	m->vmemmap_area = NULL;
	m->vmemmap = NULL;
}

struct memhp_machine *page_machine(const struct memhp_page *page)
{
	return *(struct memhp_machine **)((uintptr_t)page & ~(VMEMMAP_ALIGN - 1));
}

/* Make the descriptors of [pfn, pfn + nr) usable. Returns 0 or -ENOMEM. */
int vmemmap_populate(struct memhp_machine *m, unsigned long pfn, unsigned long nr)
{
	uint8_t *start = (uint8_t *)(m->vmemmap + pfn);
	uint8_t *end = (uint8_t *)(m->vmemmap + pfn + nr);
	long pg = sysconf(_SC_PAGESIZE);

	start = (uint8_t *)ALIGN_DOWN((uintptr_t)start, (uintptr_t)pg);
	end = (uint8_t *)ALIGN_UP((uintptr_t)end, (uintptr_t)pg);
	/* Memory the host was not found to have at creation is refused here,
	 * as Linux's hot-add fails when it cannot allocate a memmap. */
	if (mhp_should_fail(m, MEMHP_FAULT_HOST_VMEMMAP))
		return -ENOMEM;
	while (atomic_fetch_sub(&m->host_budget, end - start) < end - start) {
		atomic_fetch_add(&m->host_budget, end - start);
		if (!vmemmap_reclaim_kept(m))
			return -ENOMEM;
	}
	if (mprotect(start, (size_t)(end - start), PROT_READ | PROT_WRITE)) {
		atomic_fetch_add(&m->host_budget, end - start);
		return -ENOMEM;
	}
#ifdef MADV_POPULATE_WRITE
	/* The host faults in the descriptors in one call rather than one
	 * fault per 4 KiB page when they are first written; a host that
	 * cannot (before 5.14) faults them in as they are written. */
	madvise(start, (size_t)(end - start), MADV_POPULATE_WRITE);
#endif
	return 0;
}

/*
 * Give the descriptors' memory back to the host. The range stays mapped
 * (reads see zeroes) because a PFN walker may still hold a stale pointer,
 * exactly the race pfn_to_online_page() users live with in the kernel; a
 * descriptor of zeroes has refcount 0, so get_page_unless_zero() fails on
 * it. Not at each section's removal, which zeroes them and keeps them
 * (sparse_remove_section()): only when the budget needs the room.
 */
void vmemmap_depopulate(struct memhp_machine *m, unsigned long pfn, unsigned long nr)
{
	uint8_t *start = (uint8_t *)(m->vmemmap + pfn);
	uint8_t *end = (uint8_t *)(m->vmemmap + pfn + nr);
	long pg = sysconf(_SC_PAGESIZE);

	start = (uint8_t *)ALIGN_UP((uintptr_t)start, (uintptr_t)pg);
	end = (uint8_t *)ALIGN_DOWN((uintptr_t)end, (uintptr_t)pg);
	if (end > start) {
		madvise(start, (size_t)(end - start), MADV_DONTNEED);
		atomic_fetch_add(&m->host_budget, end - start);
	}
}

static bool host_range_ok(struct memhp_machine *m, uint64_t start, uint64_t size)
{
	return IS_ALIGNED(start, MEMHP_PAGE_SIZE) && IS_ALIGNED(size, MEMHP_PAGE_SIZE) &&
	       start + size >= start && start + size <= PFN_PHYS(m->max_pfn);
}

int memhp_host_populate(struct memhp_machine *m, uint64_t start, uint64_t size)
{
	if (!host_range_ok(m, start, size))
		return -EINVAL;
	return do_populate(m, start, size);
}

int memhp_host_discard(struct memhp_machine *m, uint64_t start, uint64_t size, bool inaccessible)
{
	if (!host_range_ok(m, start, size))
		return -EINVAL;
	if (mhp_should_fail(m, MEMHP_FAULT_HOST_DISCARD))
		return -EIO;
	madvise(m->phys + start, size, MADV_DONTNEED);
	if (inaccessible)
		mprotect(m->phys + start, size, PROT_NONE);
	return 0;
}

/* Pages memhp_host_prefault() sorts into runs at a time. */
#define PREFAULT_BATCH 64

/* Cleared if the host's kernel does not know MADV_POPULATE_WRITE (< 5.14):
 * then pages fault in as they are written, one host fault each. */
static _Atomic bool prefault_works = true;

static void prefault_run(uintptr_t start, uintptr_t end)
{
#ifdef MADV_POPULATE_WRITE
	if (madvise((void *)start, end - start, MADV_POPULATE_WRITE) && errno == EINVAL)
		atomic_store_explicit(&prefault_works, false, memory_order_relaxed);
#else
	(void)start;
	(void)end;
#endif
}

void memhp_host_prefault(struct memhp_page **pages, size_t nr)
{
	uintptr_t a[PREFAULT_BATCH];

	for (size_t done = 0; done < nr; done += PREFAULT_BATCH) {
		const size_t n = MIN(nr - done, (size_t)PREFAULT_BATCH);

		if (!atomic_load_explicit(&prefault_works, memory_order_relaxed))
			return;
		/* Allocations come in runs, up or down: sorted, adjacent pages
		 * are one call. */
		for (size_t i = 0; i < n; i++) {
			uintptr_t x = (uintptr_t)memhp_page_address(pages[done + i]);
			size_t j = i;

			for (; j > 0 && a[j - 1] > x; j--)
				a[j] = a[j - 1];
			a[j] = x;
		}
		for (size_t i = 0; i < n;) {
			uintptr_t start = a[i], end = a[i] + MEMHP_PAGE_SIZE;

			while (++i < n && a[i] <= end)
				end = a[i] + MEMHP_PAGE_SIZE;
			prefault_run(start, end);
		}
	}
}

/* Host pages mincore() looks at per call: 16 MiB, so that a GiB costs 64
 * calls, not thousands, with the vector on the stack (4 KiB). */
#define MINCORE_BATCH 4096

unsigned long memhp_host_resident(struct memhp_machine *m, uint64_t start, uint64_t size)
{
	const size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char vec[MINCORE_BATCH];
	unsigned long count = 0;

	if (!host_range_ok(m, start, size))
		return 0;
	while (size) {
		size_t chunk = MIN(size, (uint64_t)pg * sizeof(vec));

		if (!mincore(m->phys + start, chunk, vec))
			for (size_t i = 0; i < chunk / pg; i++)
				count += vec[i] & 1;
		start += chunk;
		size -= chunk;
	}
	return count;
}
