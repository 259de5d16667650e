/* SPDX-License-Identifier: MIT */
/*
 * memhp/sysctl.h - the vm sysctls (/proc/sys/vm) and the watermarks they
 * drive.
 *
 * Every file Debian's 6.1 kernel has in /proc/sys/vm that memhp can answer
 * truthfully, with its default, mode, bounds and text format. Those with a
 * mechanism behind them act as in 6.1:
 *
 *   min_free_kbytes         the zone watermarks (setup_per_zone_wmarks());
 *                           written, it is the user's and is kept across
 *                           hotplug as user_min_free_kbytes is
 *   watermark_scale_factor  the distance min -> low -> high
 *   lowmem_reserve_ratio    each zone's protection from allocations that
 *                           could have used the zones above it
 *   user_reserve_kbytes,    3% of free memory at boot, capped, refreshed by
 *   admin_reserve_kbytes    a memory notifier on MEM_ONLINE / MEM_OFFLINE
 *   drop_caches             1-4; counted in /proc/vmstat and logged
 *                           ("comm (pid): drop_caches: N") as in 6.1. It
 *                           frees nothing: the guest kernel model's
 *                           reclaimable slab stands for the dentries and
 *                           inodes of sysfs and the initramfs, which a
 *                           6.1 guest cannot drop either
 *
 * The others (dirty_*, swappiness, overcommit_*, ...) keep what is written
 * within 6.1's bounds and drive nothing: memhp has no writeback, swap or
 * overcommit accounting (docs/semantics.md lists what is left out).
 * Thread-safe.
 */
#ifndef MEMHP_SYSCTL_H
#define MEMHP_SYSCTL_H

#include <memhp/machine.h>

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest text a vm sysctl reads as, newline included. */
#define MEMHP_SYSCTL_TEXT_MAX 128

struct memhp_sysctl_info {
	const char *name;  /* "min_free_kbytes" */
	unsigned int mode; /* 0644, 0200 (write-only), 0600 */
};

/* The @i-th vm sysctl in /proc/sys/vm's order; -ENOENT past the last. */
MEMHP_API int memhp_sysctl_vm_info(unsigned int i, struct memhp_sysctl_info *info);
/* The index of the sysctl named @name, or -ENOENT. */
MEMHP_API int memhp_sysctl_vm_lookup(const char *name);

/*
 * The text a read(2) of the file returns, "%d\n" style, into @buf (NUL
 * terminated). Returns its length, -ENOENT (no such sysctl), -EACCES (a
 * write-only one), -ENOSPC (@len too small).
 */
MEMHP_API ssize_t memhp_sysctl_vm_read(struct memhp_machine *m, unsigned int i, char *buf,
				       size_t len);

/*
 * A write(2) of @len bytes to the file by the task @comm (@pid), as
 * proc_dointvec_minmax() and friends parse it: leading blanks, a decimal,
 * 0x hex or 0 octal number (one per element), then a blank or the end.
 * Returns @len, -ENOENT, -EACCES (read-only), -EINVAL (not a number, out of
 * 6.1's bounds, or empty). @comm may be NULL ("memhp", pid 0).
 */
MEMHP_API ssize_t memhp_sysctl_vm_write(struct memhp_machine *m, unsigned int i, const char *buf,
					size_t len, const char *comm, int pid);

/*
 * /sys/kernel/mm/transparent_hugepage/enabled. Switching THP on starts
 * khugepaged, which raises min_free_kbytes at once
 * (start_stop_khugepaged()); switching it off stops khugepaged and leaves
 * min_free_kbytes as it is until the next online or offline recomputes it.
 * The mode changes only that: memhp_thp objects (memhp/hugetlb.h) get
 * their huge pages whatever it says. Returns 0 or -EINVAL.
 */
MEMHP_API int memhp_set_transparent_hugepage(struct memhp_machine *m, enum memhp_thp_mode mode);
MEMHP_API enum memhp_thp_mode memhp_transparent_hugepage(struct memhp_machine *m);

/*
 * Whether hugepage_init() found the machine too small for THP: below
 * 512 MiB of RAM (totalram) 6.1 clears every THP flag at boot, whatever
 * transparent_hugepage= said, so "enabled" and "defrag" both read never
 * and khugepaged does not start until someone enables THP in sysfs.
 */
MEMHP_API bool memhp_thp_disabled_at_boot(struct memhp_machine *m);

/* Element @elem of a numeric sysctl's value (0 for others and out of
 * range): what C code reads instead of parsing the text. */
MEMHP_API long memhp_sysctl_vm_value(struct memhp_machine *m, unsigned int i, unsigned int elem);

/* Zone watermarks, in pages, and totalreserve_pages (for MemAvailable). */
enum memhp_wmark { MEMHP_WMARK_MIN, MEMHP_WMARK_LOW, MEMHP_WMARK_HIGH, MEMHP_NR_WMARK };
MEMHP_API unsigned long memhp_zone_watermark(struct memhp_machine *m, int nid,
					     enum memhp_zone_type zone, enum memhp_wmark w);
/* zone->lowmem_reserve[@upper]: what @zone keeps back from an allocation
 * whose highest usable zone is @upper (0 <= @upper <= MEMHP_NR_ZONES, the
 * last being ZONE_DEVICE, which memhp never fills). */
MEMHP_API unsigned long memhp_zone_lowmem_reserve(struct memhp_machine *m, int nid,
						  enum memhp_zone_type zone, unsigned int upper);
MEMHP_API unsigned long memhp_totalreserve_pages(struct memhp_machine *m);

#ifdef __cplusplus
}
#endif

#endif /* MEMHP_SYSCTL_H */
