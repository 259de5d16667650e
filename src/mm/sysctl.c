// SPDX-License-Identifier: MIT
/*
 * sysctl.c - /proc/sys/vm: the table (kernel/sysctl.c's vm_table and the
 * tables mm/ registers itself), the integer parsing of proc_dointvec_minmax()
 * and proc_doulongvec_minmax(), the user and admin reserves with their
 * memory notifier (mm/mmap.c), and drop_caches (fs/drop_caches.c).
 *
 * A sysctl with a mechanism behind it has a handler; the others keep their
 * value in vm.plain[] and drive nothing (memhp/sysctl.h says which).
 */
#include "internal.h"

#include <memhp/hugetlb.h>

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* proc_get_long()'s TMPBUFLEN: a number and its separator fit in 21
 * bytes; a longer one is refused rather than misread. */
#define SYSCTL_NUMBER_MAX 21
/* The reserves' defaults and caps (mm/mmap.c): 3% of free memory, at most
 * 128 MiB for users and 8 MiB for the administrator. */
#define RESERVE_FRACTION 32
#define USER_RESERVE_MAX_KB (1L << 17)
#define ADMIN_RESERVE_MAX_KB (1L << 13)
/* dirty_bytes is at least two pages (mm/page-writeback.c). */
#define DIRTY_BYTES_MIN (2L * MEMHP_PAGE_SIZE)
/* percpu_pagelist_high_fraction: 0, or at least this. */
#define MIN_PERCPU_PAGELIST_HIGH_FRACTION 8
/* x86_64's mmap_rnd_bits and mmap_rnd_compat_bits bounds. */
#define MMAP_RND_BITS_MIN 28
#define MMAP_RND_BITS_MAX 32
#define MMAP_RND_COMPAT_BITS_MIN 8
#define MMAP_RND_COMPAT_BITS_MAX 16
#define NO_MAX LONG_MAX

enum conv { CONV_INT, CONV_ULONG };

struct vm_table;
typedef int (*vm_handler)(struct memhp_machine *m, const struct vm_table *t, const long *vals,
			  unsigned int n, const char *comm, int pid);

/*
 * One file. @slot indexes vm.plain[] for the plain ones (and those whose
 * handler only adds a side effect); @get reads the others.
 */
struct vm_table {
	const char *procname;
	unsigned short mode;
	enum conv conv;
	unsigned char count; /* elements: lowmem_reserve_ratio has one per zone */
	long min, max;
	long init;
	int slot; /* -1: none */
	vm_handler handler;
	long (*get)(struct memhp_machine *m, unsigned int i);
};

/* The plain values' slots. */
enum {
	S_COMPACT_UNEVICTABLE,
	S_COMPACTION_PROACTIVENESS,
	S_DIRTY_BACKGROUND_BYTES,
	S_DIRTY_BACKGROUND_RATIO,
	S_DIRTY_BYTES,
	S_DIRTY_EXPIRE,
	S_DIRTY_RATIO,
	S_DIRTY_WRITEBACK,
	S_DIRTYTIME_EXPIRE,
	S_DROP_CACHES,
	S_EXTFRAG_THRESHOLD,
	S_HUGETLB_OPTIMIZE_VMEMMAP,
	S_HUGETLB_SHM_GROUP,
	S_LAPTOP_MODE,
	S_LEGACY_VA_LAYOUT,
	S_MAX_MAP_COUNT,
	S_MF_EARLY_KILL,
	S_MF_RECOVERY,
	S_MIN_SLAB_RATIO,
	S_MIN_UNMAPPED_RATIO,
	S_MMAP_MIN_ADDR,
	S_MMAP_RND_BITS,
	S_MMAP_RND_COMPAT_BITS,
	S_NUMA_STAT,
	S_OOM_DUMP_TASKS,
	S_OOM_KILL_ALLOCATING,
	S_OVERCOMMIT_KBYTES,
	S_OVERCOMMIT_MEMORY,
	S_OVERCOMMIT_RATIO,
	S_PAGE_CLUSTER,
	S_PAGE_LOCK_UNFAIRNESS,
	S_PANIC_ON_OOM,
	S_PCP_HIGH_FRACTION,
	S_STAT_INTERVAL,
	S_SWAPPINESS,
	S_UNPRIV_USERFAULTFD,
	S_USER_RESERVE,
	S_ADMIN_RESERVE,
	S_VFS_CACHE_PRESSURE,
	S_WATERMARK_BOOST,
	S_ZONE_RECLAIM_MODE,
	NR_PLAIN
};
_Static_assert(NR_PLAIN <= VM_SYSCTL_PLAIN_MAX, "vm.plain[] too small");

static long plain(struct memhp_machine *m, int slot)
{
	return READ_ONCE(m->vm.plain[slot]);
}

static void set_plain(struct memhp_machine *m, int slot, long v)
{
	WRITE_ONCE(m->vm.plain[slot], v);
}

/* ---- Handlers ------------------------------------------------------------- */

static int h_store(struct memhp_machine *m, const struct vm_table *t, const long *vals,
		   unsigned int n, const char *comm, int pid)
{
	(void)n, (void)comm, (void)pid;
	set_plain(m, t->slot, vals[0]);
	return 0;
}

/* Writing one of a bytes/ratio pair zeroes the other (dirty_*_handler(),
 * overcommit_*_handler()). */
static int h_pair(struct memhp_machine *m, const struct vm_table *t, const long *vals,
		  unsigned int n, const char *comm, int pid)
{
	static const int pairs[][2] = {
		{ S_DIRTY_BACKGROUND_BYTES, S_DIRTY_BACKGROUND_RATIO },
		{ S_DIRTY_BYTES, S_DIRTY_RATIO },
		{ S_OVERCOMMIT_KBYTES, S_OVERCOMMIT_RATIO },
	};

	h_store(m, t, vals, n, comm, pid);
	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		if (pairs[i][0] == t->slot)
			set_plain(m, pairs[i][1], 0);
		else if (pairs[i][1] == t->slot)
			set_plain(m, pairs[i][0], 0);
	}
	return 0;
}

static int h_pcp_high_fraction(struct memhp_machine *m, const struct vm_table *t, const long *vals,
			       unsigned int n, const char *comm, int pid)
{
	if (vals[0] && vals[0] < MIN_PERCPU_PAGELIST_HIGH_FRACTION)
		return -EINVAL;
	return h_store(m, t, vals, n, comm, pid);
}

static int h_min_free_kbytes(struct memhp_machine *m, const struct vm_table *t, const long *vals,
			     unsigned int n, const char *comm, int pid)
{
	(void)t, (void)n, (void)comm, (void)pid;
	watermark_set_min_free_kbytes(m, vals[0]);
	return 0;
}

static long g_min_free_kbytes(struct memhp_machine *m, unsigned int i)
{
	(void)i;
	return READ_ONCE(m->vm.min_free_kbytes);
}

/*
 * hugetlb_sysctl_handler() and hugetlb_overcommit_handler(): the default
 * hstate's (2 MiB) pool. A read shows max_huge_pages, what was asked for,
 * where sysfs shows the pages the pool has.
 */
static int h_nr_hugepages(struct memhp_machine *m, const struct vm_table *t, const long *vals,
			  unsigned int n, const char *comm, int pid)
{
	(void)t, (void)n, (void)comm, (void)pid;
	return memhp_hugetlb_set_nr(m, 0, MEMHP_NUMA_NO_NODE, (unsigned long)vals[0]);
}

static long g_nr_hugepages(struct memhp_machine *m, unsigned int i)
{
	long v;

	(void)i;
	pthread_mutex_lock(&m->hugetlb_lock);
	v = (long)m->hstates[0].max_huge_pages;
	pthread_mutex_unlock(&m->hugetlb_lock);
	return v;
}

static int h_nr_overcommit_hugepages(struct memhp_machine *m, const struct vm_table *t,
				     const long *vals, unsigned int n, const char *comm, int pid)
{
	(void)t, (void)n, (void)comm, (void)pid;
	return memhp_hugetlb_set_overcommit(m, 0, (unsigned long)vals[0]);
}

static long g_nr_overcommit_hugepages(struct memhp_machine *m, unsigned int i)
{
	long v;

	(void)i;
	pthread_mutex_lock(&m->hugetlb_lock);
	v = (long)m->hstates[0].nr_overcommit_huge_pages;
	pthread_mutex_unlock(&m->hugetlb_lock);
	return v;
}

static int h_watermark_scale_factor(struct memhp_machine *m, const struct vm_table *t,
				    const long *vals, unsigned int n, const char *comm, int pid)
{
	(void)t, (void)n, (void)comm, (void)pid;
	WRITE_ONCE(m->vm.watermark_scale_factor, vals[0]);
	setup_per_zone_wmarks(m);
	return 0;
}

static long g_watermark_scale_factor(struct memhp_machine *m, unsigned int i)
{
	(void)i;
	return READ_ONCE(m->vm.watermark_scale_factor);
}

/* lowmem_reserve_ratio_sysctl_handler(): a ratio below 1 is 0; the
 * elements not written keep their value. */
static int h_lowmem_reserve_ratio(struct memhp_machine *m, const struct vm_table *t,
				  const long *vals, unsigned int n, const char *comm, int pid)
{
	(void)t, (void)comm, (void)pid;
	for (unsigned int i = 0; i < n; i++)
		WRITE_ONCE(m->vm.lowmem_reserve_ratio[i], vals[i] < 1 ? 0 : vals[i]);
	watermark_update_lowmem_reserve(m);
	return 0;
}

static long g_lowmem_reserve_ratio(struct memhp_machine *m, unsigned int i)
{
	return READ_ONCE(m->vm.lowmem_reserve_ratio[i]);
}

/*
 * drop_caches_sysctl_handler(): bit 1 drops the page cache, bit 2 the
 * slab caches' reclaimable objects, each counted in /proc/vmstat; the
 * line in the log stops once a write had bit 4. memhp has neither a page
 * cache to drop nor dentries the shrinkers could free (memhp/sysctl.h).
 */
static int h_drop_caches(struct memhp_machine *m, const struct vm_table *t, const long *vals,
			 unsigned int n, const char *comm, int pid)
{
	bool quiet;

	h_store(m, t, vals, n, comm, pid);
	if (vals[0] & 1)
		memhp_mod_vmstat(m, MEMHP_DROP_PAGECACHE, 1);
	if (vals[0] & 2)
		memhp_mod_vmstat(m, MEMHP_DROP_SLAB, 1);
	pthread_mutex_lock(&m->vm.wmark_lock);
	quiet = m->vm.drop_caches_quiet;
	m->vm.drop_caches_quiet |= (vals[0] & 4) != 0;
	pthread_mutex_unlock(&m->vm.wmark_lock);
	if (!quiet)
		memhp_printk(m, MEMHP_KERN_INFO, "%s (%d): drop_caches: %ld\n", comm, pid, vals[0]);
	return 0;
}

/* __parse_numa_zonelist_order(): only the node order is left; "default"
 * and "Node" are accepted and change nothing. */
static int h_numa_zonelist_order(struct memhp_machine *m, const struct vm_table *t,
				 const long *vals, unsigned int n, const char *comm, int pid)
{
	(void)m, (void)t, (void)vals, (void)n, (void)comm, (void)pid;
	return 0;
}

/* ---- The table, in /proc/sys/vm's order ----------------------------------- */

#define PLAIN(name, s, mode_, conv_, lo, hi, def)                                                 \
	{                                                                                         \
		.procname = name, .mode = mode_, .conv = conv_, .count = 1, .min = lo, .max = hi, \
		.init = def, .slot = s, .handler = h_store                                        \
	}
#define PAIR(name, s, conv_, lo, hi, def)                                                        \
	{                                                                                        \
		.procname = name, .mode = 0644, .conv = conv_, .count = 1, .min = lo, .max = hi, \
		.init = def, .slot = s, .handler = h_pair                                        \
	}

/* proc_hugetlb_doulongvec_minmax(): unsigned long, no bounds. */
#define HUGETLB(name, h, g)                                                               \
	{                                                                                 \
		.procname = name, .mode = 0644, .conv = CONV_ULONG, .count = 1, .min = 0, \
		.max = NO_MAX, .slot = -1, .handler = h, .get = g                         \
	}

static const struct vm_table vm_table[] = {
	PLAIN("admin_reserve_kbytes", S_ADMIN_RESERVE, 0644, CONV_ULONG, 0, NO_MAX, 0),
	PLAIN("compact_unevictable_allowed", S_COMPACT_UNEVICTABLE, 0644, CONV_INT, 0, 1, 1),
	PLAIN("compaction_proactiveness", S_COMPACTION_PROACTIVENESS, 0644, CONV_INT, 0, 100, 20),
	PAIR("dirty_background_bytes", S_DIRTY_BACKGROUND_BYTES, CONV_ULONG, 1, NO_MAX, 0),
	PAIR("dirty_background_ratio", S_DIRTY_BACKGROUND_RATIO, CONV_INT, 0, 100, 10),
	PAIR("dirty_bytes", S_DIRTY_BYTES, CONV_ULONG, DIRTY_BYTES_MIN, NO_MAX, 0),
	PLAIN("dirty_expire_centisecs", S_DIRTY_EXPIRE, 0644, CONV_INT, 0, INT_MAX, 3000),
	PAIR("dirty_ratio", S_DIRTY_RATIO, CONV_INT, 0, 100, 20),
	PLAIN("dirty_writeback_centisecs", S_DIRTY_WRITEBACK, 0644, CONV_INT, INT_MIN, INT_MAX,
	      500),
	PLAIN("dirtytime_expire_seconds", S_DIRTYTIME_EXPIRE, 0644, CONV_INT, 0, INT_MAX, 43200),
	{ .procname = "drop_caches",
	  .mode = 0200,
	  .conv = CONV_INT,
	  .count = 1,
	  .min = 1,
	  .max = 4,
	  .slot = S_DROP_CACHES,
	  .handler = h_drop_caches },
	PLAIN("extfrag_threshold", S_EXTFRAG_THRESHOLD, 0644, CONV_INT, 0, 1000, 500),
	PLAIN("hugetlb_optimize_vmemmap", S_HUGETLB_OPTIMIZE_VMEMMAP, 0644, CONV_INT, 0, 1, 0),
	PLAIN("hugetlb_shm_group", S_HUGETLB_SHM_GROUP, 0644, CONV_INT, INT_MIN, INT_MAX, 0),
	PLAIN("laptop_mode", S_LAPTOP_MODE, 0644, CONV_INT, INT_MIN, INT_MAX, 0),
	PLAIN("legacy_va_layout", S_LEGACY_VA_LAYOUT, 0644, CONV_INT, 0, INT_MAX, 0),
	{ .procname = "lowmem_reserve_ratio",
	  .mode = 0644,
	  .conv = CONV_INT,
	  .count = NR_RESERVE_ZONES,
	  .min = INT_MIN,
	  .max = INT_MAX,
	  .slot = -1,
	  .handler = h_lowmem_reserve_ratio,
	  .get = g_lowmem_reserve_ratio },
	PLAIN("max_map_count", S_MAX_MAP_COUNT, 0644, CONV_INT, 0, INT_MAX, 65530),
	PLAIN("memory_failure_early_kill", S_MF_EARLY_KILL, 0644, CONV_INT, 0, 1, 0),
	PLAIN("memory_failure_recovery", S_MF_RECOVERY, 0644, CONV_INT, 0, 1, 1),
	{ .procname = "min_free_kbytes",
	  .mode = 0644,
	  .conv = CONV_INT,
	  .count = 1,
	  .min = 0,
	  .max = INT_MAX,
	  .slot = -1,
	  .handler = h_min_free_kbytes,
	  .get = g_min_free_kbytes },
	PLAIN("min_slab_ratio", S_MIN_SLAB_RATIO, 0644, CONV_INT, 0, 100, 5),
	PLAIN("min_unmapped_ratio", S_MIN_UNMAPPED_RATIO, 0644, CONV_INT, 0, 100, 1),
	PLAIN("mmap_min_addr", S_MMAP_MIN_ADDR, 0644, CONV_ULONG, 0, NO_MAX, 65536),
	PLAIN("mmap_rnd_bits", S_MMAP_RND_BITS, 0600, CONV_INT, MMAP_RND_BITS_MIN,
	      MMAP_RND_BITS_MAX, MMAP_RND_BITS_MIN),
	PLAIN("mmap_rnd_compat_bits", S_MMAP_RND_COMPAT_BITS, 0600, CONV_INT,
	      MMAP_RND_COMPAT_BITS_MIN, MMAP_RND_COMPAT_BITS_MAX, MMAP_RND_COMPAT_BITS_MIN),
	HUGETLB("nr_hugepages", h_nr_hugepages, g_nr_hugepages),
	/* Without NUMA mempolicies, the same as nr_hugepages. */
	HUGETLB("nr_hugepages_mempolicy", h_nr_hugepages, g_nr_hugepages),
	HUGETLB("nr_overcommit_hugepages", h_nr_overcommit_hugepages, g_nr_overcommit_hugepages),
	PLAIN("numa_stat", S_NUMA_STAT, 0644, CONV_INT, 0, 1, 1),
	{ .procname = "numa_zonelist_order",
	  .mode = 0644,
	  .slot = -1,
	  .handler = h_numa_zonelist_order },
	PLAIN("oom_dump_tasks", S_OOM_DUMP_TASKS, 0644, CONV_INT, 0, 1, 1),
	PLAIN("oom_kill_allocating_task", S_OOM_KILL_ALLOCATING, 0644, CONV_INT, INT_MIN, INT_MAX,
	      0),
	PAIR("overcommit_kbytes", S_OVERCOMMIT_KBYTES, CONV_ULONG, 0, NO_MAX, 0),
	PLAIN("overcommit_memory", S_OVERCOMMIT_MEMORY, 0644, CONV_INT, 0, 2, 0),
	PAIR("overcommit_ratio", S_OVERCOMMIT_RATIO, CONV_INT, INT_MIN, INT_MAX, 50),
	PLAIN("page-cluster", S_PAGE_CLUSTER, 0644, CONV_INT, 0, 31, 3),
	PLAIN("page_lock_unfairness", S_PAGE_LOCK_UNFAIRNESS, 0644, CONV_INT, 0, INT_MAX, 5),
	PLAIN("panic_on_oom", S_PANIC_ON_OOM, 0644, CONV_INT, 0, 2, 0),
	{ .procname = "percpu_pagelist_high_fraction",
	  .mode = 0644,
	  .conv = CONV_INT,
	  .count = 1,
	  .min = 0,
	  .max = INT_MAX,
	  .slot = S_PCP_HIGH_FRACTION,
	  .handler = h_pcp_high_fraction },
	PLAIN("stat_interval", S_STAT_INTERVAL, 0644, CONV_INT, INT_MIN, INT_MAX, 1),
	/* vmstat_refresh(): reads as nothing; memhp's counters are never
	 * behind, so a write has nothing to fold. */
	{ .procname = "stat_refresh", .mode = 0600, .slot = -1 },
	PLAIN("swappiness", S_SWAPPINESS, 0644, CONV_INT, 0, 200, 60),
	PLAIN("unprivileged_userfaultfd", S_UNPRIV_USERFAULTFD, 0644, CONV_INT, 0, 1, 0),
	PLAIN("user_reserve_kbytes", S_USER_RESERVE, 0644, CONV_ULONG, 0, NO_MAX, 0),
	PLAIN("vfs_cache_pressure", S_VFS_CACHE_PRESSURE, 0644, CONV_INT, 0, INT_MAX, 100),
	PLAIN("watermark_boost_factor", S_WATERMARK_BOOST, 0644, CONV_INT, 0, INT_MAX, 15000),
	{ .procname = "watermark_scale_factor",
	  .mode = 0644,
	  .conv = CONV_INT,
	  .count = 1,
	  .min = 1,
	  .max = 3000,
	  .slot = -1,
	  .handler = h_watermark_scale_factor,
	  .get = g_watermark_scale_factor },
	PLAIN("zone_reclaim_mode", S_ZONE_RECLAIM_MODE, 0644, CONV_INT, 0, INT_MAX, 0),
};

/* The text of numa_zonelist_order: the only order 6.1 has left. */
#define NUMA_ZONELIST_ORDER "Node"
/* sysctl_lowmem_reserve_ratio's defaults, by zone (ZONE_DEVICE last). */
static const long lowmem_reserve_ratio_init[NR_RESERVE_ZONES] = { 256, 256, 32, 0, 0 };
/* watermark_scale_factor's default: 0.1% of a zone between marks. */
#define WATERMARK_SCALE_FACTOR_INIT 10

int memhp_sysctl_vm_info(unsigned int i, struct memhp_sysctl_info *info)
{
	if (i >= ARRAY_SIZE(vm_table))
		return -ENOENT;
	info->name = vm_table[i].procname;
	info->mode = vm_table[i].mode;
	return 0;
}

int memhp_sysctl_vm_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(vm_table); i++)
		if (!strcmp(vm_table[i].procname, name))
			return (int)i;
	return -ENOENT;
}

/* ---- Reading and writing ---------------------------------------------------- */

long memhp_sysctl_vm_value(struct memhp_machine *m, unsigned int i, unsigned int elem)
{
	const struct vm_table *t;

	if (i >= ARRAY_SIZE(vm_table) || elem >= vm_table[i].count)
		return 0;
	t = &vm_table[i];
	return t->get ? t->get(m, elem) : t->slot >= 0 ? plain(m, t->slot) : 0;
}

ssize_t memhp_sysctl_vm_read(struct memhp_machine *m, unsigned int i, char *buf, size_t len)
{
	const struct vm_table *t;
	size_t n = 0;

	if (i >= ARRAY_SIZE(vm_table))
		return -ENOENT;
	t = &vm_table[i];
	if (!(t->mode & 0400))
		return -EACCES;
	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	/* lowmem_reserve_ratio_sysctl_handler() recomputes the reserves on
	 * every call, a read too: the zones' managed pages as they are now. */
	if (t->handler == h_lowmem_reserve_ratio)
		watermark_update_lowmem_reserve(m);
	if (t->handler == h_numa_zonelist_order) {
		n = (size_t)snprintf(buf, len, "%s\n", NUMA_ZONELIST_ORDER);
	} else if (t->count) {
		/* proc_dointvec(): the elements tab-separated, then a newline. */
		for (unsigned int e = 0; e < t->count && n < len; e++)
			n += (size_t)snprintf(buf + n, len - n, "%s%ld", e ? "\t" : "",
					      t->get ? t->get(m, e) : plain(m, t->slot));
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, "\n");
	}
	return n < len ? (ssize_t)n : -ENOSPC;
}

/*
 * proc_get_long(): after blanks, an optional '-' and a number in base 0,
 * which must end at a blank or the end of the text. Returns the bytes
 * used, or -EINVAL.
 */
static ssize_t get_long(const char *p, size_t left, unsigned long *val, bool *neg)
{
	char tmp[SYSCTL_NUMBER_MAX + 1], *end;
	size_t len = MIN(left, (size_t)SYSCTL_NUMBER_MAX), off = 0;

	memcpy(tmp, p, len);
	tmp[len] = '\0';
	*neg = false;
	if (tmp[0] == '-' && left > 1) {
		*neg = true;
		off = 1;
	}
	if (!isdigit((unsigned char)tmp[off]))
		return -EINVAL;
	errno = 0;
	*val = strtoul(tmp + off, &end, 0);
	if (errno)
		return -EINVAL;
	len = (size_t)(end - tmp);
	if (len == SYSCTL_NUMBER_MAX)
		return -EINVAL;
	if (len < left && !memchr(" \t\n", *end, 3))
		return -EINVAL;
	return (ssize_t)len;
}

static size_t skip_spaces(const char *p, size_t left)
{
	size_t n = 0;

	while (n < left && isspace((unsigned char)p[n]))
		n++;
	return n;
}

/* __do_proc_dointvec() / __do_proc_doulongvec_minmax(): up to @t->count
 * values; returns how many, or -EINVAL. */
static int parse_values(const struct vm_table *t, const char *buf, size_t len, long *vals)
{
	size_t pos = 0;
	unsigned int n = 0;

	while (n < t->count) {
		unsigned long v;
		bool neg;
		ssize_t used;

		pos += skip_spaces(buf + pos, len - pos);
		if (pos >= len)
			break;
		used = get_long(buf + pos, len - pos, &v, &neg);
		if (used < 0)
			return -EINVAL;
		pos += (size_t)used;
		if (t->conv == CONV_ULONG) {
			if (neg || v > (unsigned long)LONG_MAX)
				return -EINVAL;
			vals[n] = (long)v;
		} else {
			if (v > (neg ? (unsigned long)INT_MAX + 1 : (unsigned long)INT_MAX))
				return -EINVAL;
			vals[n] = neg ? -(long)v : (long)v;
		}
		if (vals[n] < t->min || vals[n] > t->max)
			return -EINVAL;
		n++;
	}
	return n ? (int)n : -EINVAL;
}

ssize_t memhp_sysctl_vm_write(struct memhp_machine *m, unsigned int i, const char *buf, size_t len,
			      const char *comm, int pid)
{
	long vals[NR_RESERVE_ZONES];
	const struct vm_table *t;
	int n, ret;

	if (i >= ARRAY_SIZE(vm_table))
		return -ENOENT;
	t = &vm_table[i];
	if (!(t->mode & 0200))
		return -EACCES;
	if (!comm) {
		comm = "memhp";
		pid = 0;
	}
	if (t->handler == h_numa_zonelist_order) {
		size_t s = skip_spaces(buf, len);

		if (s == len || !strchr("dDnN", buf[s])) {
			memhp_printk(m, MEMHP_KERN_WARNING,
				     "Ignoring unsupported numa_zonelist_order value:  %.*s\n",
				     (int)MIN(len - s, (size_t)MEMHP_SYSCTL_TEXT_MAX), buf + s);
			return -EINVAL;
		}
		return (ssize_t)len;
	}
	if (!t->handler)
		return (ssize_t)len; /* stat_refresh */
	n = parse_values(t, buf, len, vals);
	/* lowmem_reserve_ratio's handler ignores what the parser says. */
	if (n < 0 && t->handler == h_lowmem_reserve_ratio)
		return (ssize_t)len;
	if (n < 0)
		return n;
	ret = t->handler(m, t, vals, (unsigned int)n, comm, pid);
	return ret ? ret : (ssize_t)len;
}

/* ---- The user and admin reserves (mm/mmap.c) ------------------------------ */

static long free_kbytes(struct memhp_machine *m)
{
	long free = 0;

	for_each_zone(m, zone) free += READ_ONCE(zone->vm_nr_free_pages);
	return free > 0 ? free * (long)(MEMHP_PAGE_SIZE >> 10) : 0;
}

static void init_user_reserve(struct memhp_machine *m)
{
	set_plain(m, S_USER_RESERVE, MIN(free_kbytes(m) / RESERVE_FRACTION, USER_RESERVE_MAX_KB));
}

static void init_admin_reserve(struct memhp_machine *m)
{
	set_plain(m, S_ADMIN_RESERVE, MIN(free_kbytes(m) / RESERVE_FRACTION, ADMIN_RESERVE_MAX_KB));
}

/*
 * reserve_mem_notifier(): a reserve still below its cap follows memory as
 * it comes online (one the administrator raised or zeroed stays); one that
 * memory going offline leaves larger than what is free is recomputed.
 */
static int reserve_mem_notifier(struct memhp_notifier_block *nb, unsigned long action, void *data)
{
	struct memhp_machine *m = nb->priv;
	long user = plain(m, S_USER_RESERVE), admin = plain(m, S_ADMIN_RESERVE);

	(void)data;
	if (action == MEMHP_MEM_ONLINE) {
		if (user > 0 && user < USER_RESERVE_MAX_KB)
			init_user_reserve(m);
		if (admin > 0 && admin < ADMIN_RESERVE_MAX_KB)
			init_admin_reserve(m);
	} else if (action == MEMHP_MEM_OFFLINE) {
		long free = free_kbytes(m);

		if (user > free) {
			init_user_reserve(m);
			memhp_printk(m, MEMHP_KERN_INFO, "vm.user_reserve_kbytes reset to %ld\n",
				     plain(m, S_USER_RESERVE));
		}
		if (admin > free) {
			init_admin_reserve(m);
			memhp_printk(m, MEMHP_KERN_INFO, "vm.admin_reserve_kbytes reset to %ld\n",
				     plain(m, S_ADMIN_RESERVE));
		}
	}
	return MEMHP_NOTIFY_OK;
}

int vm_sysctls_init(struct memhp_machine *m)
{
	struct vm_sysctls *vm = &m->vm;

	pthread_mutex_init(&vm->wmark_lock, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(vm_table); i++)
		if (vm_table[i].slot >= 0)
			set_plain(m, vm_table[i].slot, vm_table[i].init);
	WRITE_ONCE(vm->user_min_free_kbytes, -1L);
	WRITE_ONCE(vm->watermark_scale_factor, (long)WATERMARK_SCALE_FACTOR_INIT);
	for (int z = 0; z < NR_RESERVE_ZONES; z++)
		WRITE_ONCE(vm->lowmem_reserve_ratio[z], lowmem_reserve_ratio_init[z]);
	watermark_init(m);
	init_user_reserve(m);
	init_admin_reserve(m);
	vm->reserve_nb =
		(struct memhp_notifier_block){ .notifier_call = reserve_mem_notifier, .priv = m };
	return memhp_register_memory_notifier(m, &vm->reserve_nb);
}

void vm_sysctls_destroy(struct memhp_machine *m)
{
	memhp_unregister_memory_notifier(m, &m->vm.reserve_nb);
	pthread_mutex_destroy(&m->vm.wmark_lock);
}
