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

/*
 * The checksum of a page's 4 KiB that the checksummed owners keep: four
 * multiply-xor chains over every fourth word, folded together. One chain
 * over all 512 words waits on each multiply in turn (~2500 cycles a page,
 * a fifth of the demo); four run side by side. Only ever compared with
 * itself, within one process.
 */
#define WORKLOAD_CSUM_LANES 4
#define WORKLOAD_CSUM_PRIME 0x100000001b3ULL

static inline uint64_t workload_csum_fold(const uint64_t *h)
{
	uint64_t r = 0;

	for (int l = 0; l < WORKLOAD_CSUM_LANES; l++)
		r = (r ^ h[l]) * WORKLOAD_CSUM_PRIME + (uint64_t)l;
	return r;
}

static inline uint64_t workload_page_csum(const void *addr)
{
	const uint64_t *w = addr;
	uint64_t h[WORKLOAD_CSUM_LANES] = { 0 };

	for (size_t i = 0; i < MEMHP_PAGE_SIZE / sizeof(*w); i += WORKLOAD_CSUM_LANES)
		for (int l = 0; l < WORKLOAD_CSUM_LANES; l++)
			h[l] = (h[l] ^ w[i + l]) * WORKLOAD_CSUM_PRIME + i;
	return workload_csum_fold(h);
}

#endif
