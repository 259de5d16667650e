/* SPDX-License-Identifier: MIT */
/*
 * src/workload/workload.h - the workloads see the machine only through the
 * public API, like any user of the library would.
 */
#ifndef MEMHP_WORKLOAD_INTERNAL_H
#define MEMHP_WORKLOAD_INTERNAL_H

#include <memhp/memhp.h>

#include <stddef.h>
#include <stdint.h>

/* The checksum of a page's 4 KiB that the checksummed owners keep. */
static inline uint64_t workload_page_csum(const void *addr)
{
	const uint64_t *w = addr;
	uint64_t h = 0;

	for (size_t i = 0; i < MEMHP_PAGE_SIZE / sizeof(*w); i++)
		h = (h ^ w[i]) * 0x100000001b3ULL + i;
	return h;
}

#endif
