/* SPDX-License-Identifier: MIT */
/*
 * memhp - Linux memory hot(un)plug with PageOffline() pages, in user space.
 *
 * The public API, one header per topic:
 *   memhp/machine.h   a machine: config, geometry, zones, meminfo
 *   memhp/events.h    what happens in a machine: typed events and tracepoints
 *   memhp/page.h      page descriptors and their primitives
 *   memhp/alloc.h     the buddy allocator, contiguous ranges, movable owners,
 *                     memory failure and soft offlining
 *   memhp/hotplug.h   memory blocks, add/online/offline/remove, sysfs files
 *   memhp/kernel.h    the guest kernel's own memory: slabs, page tables, stacks
 *   memhp/guest.h     the guest kernel at work: boot, idle churn, programs, files
 *   memhp/notifier.h  the memory notifier chain, the online_page callback
 *   memhp/check.h     the invariant checker
 *   memhp/workload.h  checksummed movable data, kernel allocations, walkers
 *   memhp/shmem.h     tmpfs of the machine, and shared anonymous memory
 *   memhp/balloon.h   the balloon drivers: virtio-balloon, Xen, Hyper-V, VMware
 *   memhp/fs.h        the guest's sysfs, procfs and debugfs files of a machine
 *   memhp/printk.h    the machine's kernel log: printk and /dev/kmsg
 *   memhp/sysctl.h    /proc/sys/vm and the zone watermarks it drives
 */
#ifndef MEMHP_MEMHP_H
#define MEMHP_MEMHP_H

#include <memhp/alloc.h>
#include <memhp/balloon.h>
#include <memhp/check.h>
#include <memhp/events.h>
#include <memhp/fs.h>
#include <memhp/guest.h>
#include <memhp/hotplug.h>
#include <memhp/hugetlb.h>
#include <memhp/kernel.h>
#include <memhp/machine.h>
#include <memhp/notifier.h>
#include <memhp/page.h>
#include <memhp/printk.h>
#include <memhp/shmem.h>
#include <memhp/sysctl.h>
#include <memhp/workload.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MEMHP_VERSION "0.1.0"
MEMHP_API const char *memhp_version(void);

#ifdef __cplusplus
}
#endif

#endif /* MEMHP_MEMHP_H */
