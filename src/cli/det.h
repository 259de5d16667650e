/* SPDX-License-Identifier: MIT */
/*
 * src/cli/det.h - deterministic scheduling of memhp's own threads.
 *
 * Between det_start() and det_stop() exactly one of the threads memhp
 * starts (walkers, the virtio-mem driver's worker, the device's thread,
 * allocation threads, the guest kernel's) runs at a time, and they
 * switch only at defined points: each page refcount operation and
 * allocation (the library's scheduling hook), each lock acquisition, a
 * condition wait, thread creation and exit, sched_yield(). Which thread
 * runs next is drawn from the seed, and time is virtual (clock_gettime()
 * counts scheduling points), so a run repeats byte for byte from its
 * seed, racy ones included. docs/reliability.md has the design.
 *
 * The memhp program is linked with -Wl,--wrap for the pthread calls and
 * clock_gettime(); off, each wrapped call costs one predictable branch.
 */
#ifndef MEMHP_CLI_DET_H
#define MEMHP_CLI_DET_H

#include <stdbool.h>
#include <stdint.h>

struct det_stats {
	unsigned long points;	/* scheduling points reached */
	unsigned long switches; /* ... at which another thread went on */
	unsigned int threads;	/* threads that took part */
};

/* Make the calling thread the first of the deterministic world and start
 * scheduling from @seed. Returns 0, -EALREADY (already started), -ENOMEM. */
int det_start(uint64_t seed);
/* Stop: every other thread of the world must have exited (joined). */
void det_stop(struct det_stats *st);
bool det_active(void);

#endif
