// SPDX-License-Identifier: MIT
/*
 * test_fs.c - the file tree of memhp/fs.h: paths, modes, formats and the
 * errno of every kind of bad write, the error injector, and interruptible
 * writes.
 *
 * The machine: 512 MiB of boot RAM below 4 GiB (memory0-3: memory0 spans
 * DMA and DMA32, memory3 holds the boot memmap) and blocks hot-added at
 * 4 GiB (memory32 onwards).
 */
#include "harness.h"

#include <memhp/fs.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>

#define HOT (4 * MEMHP_GiB)
#define B0 32
#define MEM "/sys/devices/system/memory"
#define NEI "/sys/kernel/debug/notifier-error-inject/memory"
#define BIG 65536

static void fs_cleanup(struct memhp_fs **fs)
{
	memhp_fs_destroy(*fs);
}
#define AUTO_FS __attribute__((cleanup(fs_cleanup))) struct memhp_fs

static struct memhp_machine *machine(unsigned long nr_hot, enum memhp_online_type type)
{
	struct memhp_machine *m = tm_create(NULL);

	if (!m || (nr_hot && tm_add_blocks(m, HOT, nr_hot)))
		return NULL;
	for (unsigned long i = 0; i < nr_hot && type != MEMHP_MMOP_OFFLINE; i++)
		if (memhp_block_online(m, B0 + i, type))
			return NULL;
	return m;
}

static struct memhp_fs *fs_of(struct memhp_machine *m)
{
	struct memhp_fs *fs = NULL;

	if (m && memhp_fs_create(m, &fs))
		return NULL;
	return fs;
}

/* The file's contents as a string ("" and a failure on error). */
static const char *rd(struct memhp_fs *fs, const char *path)
{
	static char buf[BIG];
	ssize_t n = memhp_fs_read(fs, path, buf, sizeof(buf) - 1);

	if (n < 0) {
		test_fail(__FILE__, __LINE__, "read %s: %s", path, errno_name(n));
		n = 0;
	}
	buf[n] = '\0';
	return buf;
}

static ssize_t wr(struct memhp_fs *fs, const char *path, const char *s)
{
	return memhp_fs_write(fs, path, s, strlen(s));
}

/* ---- The tree ------------------------------------------------------------------ */

static void sysfs_files_have_the_6_1_formats(void)
{
	struct memhp_machine *m = machine(2, MEMHP_MMOP_OFFLINE);
	AUTO_FS *fs = fs_of(m);

	ASSERT_TRUE(fs);
	ASSERT_STREQ(rd(fs, MEM "/block_size_bytes"), "8000000\n");
	ASSERT_STREQ(rd(fs, MEM "/auto_online_blocks"), "offline\n");
	ASSERT_STREQ(rd(fs, MEM "/memory0/valid_zones"), "none\n");
	ASSERT_STREQ(rd(fs, MEM "/memory1/valid_zones"), "DMA32\n");
	ASSERT_STREQ(rd(fs, MEM "/memory33/phys_index"), "00000021\n");
	ASSERT_STREQ(rd(fs, MEM "/memory33/state"), "offline\n");
	ASSERT_STREQ(rd(fs, MEM "/memory33/online"), "0\n");
	ASSERT_STREQ(rd(fs, MEM "/memory33/valid_zones"), "Normal Movable\n");
	ASSERT_STREQ(rd(fs, MEM "/memory33/removable"), "1\n");
	ASSERT_STREQ(rd(fs, MEM "/memory33/phys_device"), "0\n");
	ASSERT_STREQ(rd(fs, MEM "/memory33/uevent"), "");
	ASSERT_STREQ(rd(fs, MEM "/memory33/power/runtime_status"), "unsupported\n");
	ASSERT_STREQ(rd(fs, "/sys/devices/system/node/node0/distance"), "10\n");
	ASSERT_STREQ(rd(fs, "/sys/devices/system/node/has_memory"), "0\n");
	ASSERT_STREQ(rd(fs, "/sys/module/memory_hotplug/parameters/online_policy"),
		     "contig-zones\n");
	ASSERT_STREQ(rd(fs, NEI "/actions/MEM_GOING_ONLINE/error"), "0\n");
	/* Links resolve inside the tree, both ways. */
	ASSERT_STREQ(rd(fs, MEM "/memory33/node0/memory33/subsystem/devices/memory1/state"),
		     "online\n");
}

static int collect(void *ctx, const char *name, const struct memhp_fs_attr *a, uint64_t off)
{
	char *names = ctx;

	(void)a;
	(void)off;
	strcat(names, name);
	strcat(names, " ");
	return 0;
}

struct stop_after {
	int n;
	uint64_t last;
	char names[1024];
};

static int collect_some(void *ctx, const char *name, const struct memhp_fs_attr *a, uint64_t off)
{
	struct stop_after *s = ctx;

	(void)a;
	strcat(s->names, name);
	strcat(s->names, " ");
	s->last = off;
	return --s->n == 0;
}

static void readdir_lists_blocks_and_resumes_where_it_stopped(void)
{
	struct memhp_machine *m = machine(2, MEMHP_MMOP_OFFLINE);
	AUTO_FS *fs = fs_of(m);
	struct memhp_fs_attr a;
	struct stop_after s = { .n = 9 };
	char names[1024] = "";

	ASSERT_TRUE(fs);
	ASSERT_OK(memhp_fs_resolve(fs, "/sys/devices/system/node/node0", true, &a));
	ASSERT_OK(memhp_fs_readdir(fs, a.ino, 0, collect, names));
	ASSERT_STREQ(names, ". .. compact cpulist cpumap distance meminfo numastat vmstat uevent "
			    "cpu0 subsystem hugepages power memory0 memory1 memory2 memory3 "
			    "memory32 memory33 ");
	ASSERT_OK(memhp_fs_resolve(fs, MEM, true, &a));
	ASSERT_EQ(a.nlink, 2 + 1 + 6);
	ASSERT_OK(memhp_fs_readdir(fs, a.ino, 0, collect_some, &s));
	ASSERT_STREQ(s.names, ". .. soft_offline_page hard_offline_page block_size_bytes "
			      "auto_online_blocks uevent power memory0 ");
	s.n = 100;
	s.names[0] = '\0';
	ASSERT_OK(memhp_fs_readdir(fs, a.ino, s.last, collect_some, &s));
	ASSERT_STREQ(s.names, "memory1 memory2 memory3 memory32 memory33 ");
}

static void lookups_take_only_the_kernels_names(void)
{
	struct memhp_machine *m = machine(1, MEMHP_MMOP_OFFLINE);
	AUTO_FS *fs = fs_of(m);
	struct memhp_fs_attr a, b;

	ASSERT_TRUE(fs);
	ASSERT_OK(memhp_fs_resolve(fs, MEM, true, &a));
	ASSERT_ERR(memhp_fs_lookup(fs, a.ino, "memory032", &b), -ENOENT);
	ASSERT_ERR(memhp_fs_lookup(fs, a.ino, "memory+32", &b), -ENOENT);
	ASSERT_ERR(memhp_fs_lookup(fs, a.ino, "memory4", &b), -ENOENT);
	ASSERT_ERR(memhp_fs_lookup(fs, a.ino, "memory99999999999999999999999", &b), -ENOENT);
	ASSERT_OK(memhp_fs_lookup(fs, a.ino, "memory32", &b));
	ASSERT_TRUE(S_ISDIR(b.mode));
	ASSERT_EQ(b.mode & 07777, 0755);
	ASSERT_ERR(memhp_fs_resolve(fs, MEM "/memory32/node1", true, &b), -ENOENT);
	ASSERT_ERR(memhp_fs_resolve(fs, MEM "/block_size_bytes/x", true, &b), -ENOTDIR);
	ASSERT_ERR(memhp_fs_resolve(fs, MEM "/block_size_bytes/", true, &b), -ENOTDIR);
	ASSERT_ERR(memhp_fs_resolve(fs, "sys", true, &b), -EINVAL);
	ASSERT_OK(memhp_fs_resolve(fs, MEM "/memory32/node0", false, &b));
	ASSERT_TRUE(S_ISLNK(b.mode));
	ASSERT_OK(memhp_fs_resolve(fs, "/sys/../sys/./devices//system/memory/", true, &b));
	ASSERT_EQ(b.ino, a.ino);
	/* Inode numbers are stable, and the root is FUSE's root. */
	ASSERT_OK(memhp_fs_resolve(fs, "/", true, &b));
	ASSERT_EQ(b.ino, MEMHP_FS_ROOT_INO);
	ASSERT_OK(memhp_fs_resolve(fs, MEM "/memory32/state", true, &a));
	ASSERT_OK(memhp_fs_getattr(fs, a.ino, &b));
	ASSERT_EQ(b.size, 4096);
	ASSERT_EQ(b.mode, S_IFREG | 0644);
	/* An inode number whose block is gone names nothing. */
	ASSERT_OK(memhp_remove_memory(m, HOT, memhp_block_size(m)));
	ASSERT_ERR(memhp_fs_getattr(fs, a.ino, &b), -ENOENT);
	ASSERT_ERR(memhp_fs_write_ino(fs, a.ino, "online", 6, NULL), -ENOENT);
}

static void opens_follow_kernfs_procfs_and_debugfs_rules(void)
{
	struct memhp_machine *m = machine(1, MEMHP_MMOP_OFFLINE);
	AUTO_FS *fs = fs_of(m);
	struct memhp_fs_attr a;
	char buf[64];

	ASSERT_TRUE(fs);
	/* kernfs refuses the wrong access even to root... */
	ASSERT_ERR(wr(fs, MEM "/block_size_bytes", "1"), -EACCES);
	ASSERT_ERR(wr(fs, MEM "/memory32/valid_zones", "Normal"), -EACCES);
	ASSERT_ERR(memhp_fs_read(fs, "/sys/devices/system/node/node0/compact", buf, sizeof(buf)),
		   -EACCES);
	ASSERT_ERR(wr(fs, "/sys/module/memory_hotplug/parameters/memmap_on_memory", "Y"), -EACCES);
	/* ...procfs lets root open for writing and fails the write... */
	ASSERT_ERR(wr(fs, "/proc/meminfo", "x"), -EIO);
	ASSERT_OK(memhp_fs_resolve(fs, "/proc/pagetypeinfo", true, &a));
	ASSERT_EQ(a.mode, S_IFREG | 0400);
	ASSERT_EQ(a.size, 0);
	ASSERT_OK(memhp_fs_open(fs, a.ino, O_RDWR));
	/* ...and directories are directories. */
	ASSERT_ERR(wr(fs, MEM, "x"), -EISDIR);
	ASSERT_ERR(wr(fs, MEM "/memory32/node0", "x"), -EISDIR);
	ASSERT_ERR(memhp_fs_read(fs, MEM, buf, sizeof(buf)), -EISDIR);
	ASSERT_ERR(wr(fs, MEM "/memory4/state", "online"), -ENOENT);
	ASSERT_ERR(memhp_fs_read(fs, MEM "/power/autosuspend_delay_ms", buf, sizeof(buf)), -EIO);
	ASSERT_ERR(wr(fs, MEM "/power/autosuspend_delay_ms", "100"), -EIO);
	/* A short buffer gets the start of the file, as read(2) does. */
	ASSERT_ERR(memhp_fs_read(fs, MEM "/memory32/state", buf, 3), 3);
	ASSERT_TRUE(!memcmp(buf, "off", 3));
}

/* ---- Writes ------------------------------------------------------------------------ */

static void state_and_online_writes_behave_as_in_6_1(void)
{
	struct memhp_machine *m = machine(2, MEMHP_MMOP_OFFLINE);
	AUTO_FS *fs = fs_of(m);

	ASSERT_TRUE(fs);
	ASSERT_ERR(wr(fs, MEM "/memory32/state", "offline"), -EINVAL);
	ASSERT_ERR(wr(fs, MEM "/memory32/state", "online_movable\n"), 15);
	ASSERT_STREQ(rd(fs, MEM "/memory32/state"), "online\n");
	ASSERT_ERR(wr(fs, MEM "/memory32/state", "online"), -EINVAL);
	ASSERT_ERR(wr(fs, MEM "/memory32/online", "1"), 1);
	ASSERT_ERR(wr(fs, MEM "/memory32/state", "online \n"), -EINVAL);
	ASSERT_ERR(wr(fs, MEM "/memory32/state", "offline\n\n"), -EINVAL);
	ASSERT_ERR(wr(fs, MEM "/memory32/online", "off"), 3);
	ASSERT_STREQ(rd(fs, MEM "/memory32/state"), "offline\n");
	ASSERT_ERR(wr(fs, MEM "/memory32/online", "2"), -EINVAL);
	/* memory0 spans two zones; memory3 has q35's firmware hole at its end. */
	ASSERT_ERR(wr(fs, MEM "/memory0/state", "offline"), -EINVAL);
	ASSERT_ERR(wr(fs, MEM "/memory3/state", "offline"), -EINVAL);
	ASSERT_ERR(wr(fs, MEM "/memory1/online", "0"), 1);
	/* Zero bytes never reach the store; a page is all a store sees. */
	ASSERT_ERR(memhp_fs_write(fs, MEM "/memory1/state", "", 0), 0);
	{
		char *big = calloc(1, 5000);

		ASSERT_TRUE(big);
		memcpy(big, "online\n", 7);
		ASSERT_ERR(memhp_fs_write(fs, MEM "/memory1/state", big, 5000), 4096);
		ASSERT_ERR(memhp_fs_write(fs, MEM "/auto_online_blocks", big, 5000), 4096);
		free(big);
	}
	ASSERT_STREQ(rd(fs, MEM "/memory1/state"), "online\n");
	ASSERT_STREQ(rd(fs, MEM "/auto_online_blocks"), "online\n");
	ASSERT_ERR(wr(fs, MEM "/auto_online_blocks", "Online"), -EINVAL);
}

static void generic_device_files_parse_as_the_kernel_does(void)
{
	struct memhp_machine *m = machine(1, MEMHP_MMOP_OFFLINE);
	AUTO_FS *fs = fs_of(m);

	ASSERT_TRUE(fs);
	ASSERT_ERR(wr(fs, MEM "/memory32/uevent", "add"), 3);
	ASSERT_ERR(wr(fs, MEM "/memory32/uevent", "change\n"), 7);
	ASSERT_ERR(wr(fs, MEM "/memory32/uevent", "chang"), -EINVAL);
	/* A NUL inside the action word: no action is that long. */
	ASSERT_ERR(memhp_fs_write(fs, MEM "/memory32/uevent", "bind\0xy", 7), -EINVAL);
	ASSERT_ERR(wr(fs, MEM "/memory32/uevent", "add "), -EINVAL);
	ASSERT_ERR(wr(fs, MEM "/memory32/uevent", "add 01234567-89ab-cdef-0123-456789abcdef"), 40);
	ASSERT_ERR(
		wr(fs, MEM "/memory32/uevent", "add 01234567-89ab-cdef-0123-456789abcdef A=b C=d"),
		48);
	ASSERT_ERR(wr(fs, MEM "/memory32/uevent", "add 01234567-89ab-cdef-0123-456789abcdef A=b-c"),
		   -EINVAL);
	ASSERT_ERR(wr(fs, MEM "/memory32/uevent", "add 0123456789ab-cdef-0123-456789abcdef0"),
		   -EINVAL);
	/* Subsystem roots have no bus: the event is dropped, the write works. */
	ASSERT_ERR(wr(fs, MEM "/uevent", "online"), 6);
	ASSERT_ERR(wr(fs, "/sys/bus/memory/uevent", "add"), 3);
	ASSERT_ERR(wr(fs, MEM "/memory32/power/control", "on"), 2);
	ASSERT_STREQ(rd(fs, MEM "/memory32/power/control"), "on\n");
	ASSERT_STREQ(rd(fs, MEM "/memory1/power/control"), "auto\n");
	ASSERT_ERR(wr(fs, MEM "/memory32/power/control", "off"), -EINVAL);
	/* A new device starts over. */
	ASSERT_OK(memhp_remove_memory(m, HOT, memhp_block_size(m)));
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_STREQ(rd(fs, MEM "/memory32/power/control"), "auto\n");
	ASSERT_ERR(wr(fs, "/sys/bus/memory/drivers_probe", "memory32\n"), 9);
	ASSERT_ERR(wr(fs, "/sys/bus/memory/drivers_probe", "memory5"), -ENODEV);
	ASSERT_ERR(wr(fs, "/sys/bus/memory/drivers_autoprobe", "0"), 1);
	ASSERT_STREQ(rd(fs, "/sys/bus/memory/drivers_autoprobe"), "0\n");
	ASSERT_ERR(wr(fs, "/sys/devices/system/node/node0/compact", "1"), 1);
	ASSERT_ERR(wr(fs, "/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages",
		      "16"),
		   2);
	/* The node's pool grew to what was asked (memhp/hugetlb.h). */
	ASSERT_STREQ(rd(fs, "/sys/devices/system/node/node0/hugepages/hugepages-2048kB/"
			    "nr_hugepages"),
		     "16\n");
	ASSERT_STREQ(rd(fs, "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"), "16\n");
	ASSERT_ERR(wr(fs, "/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages",
		      "0x10"),
		   -EINVAL);
}

static void module_parameters_parse_as_the_kernel_does(void)
{
	struct memhp_machine *m = machine(0, MEMHP_MMOP_OFFLINE);
	AUTO_FS *fs = fs_of(m);
	const char *ratio = "/sys/module/memory_hotplug/parameters/auto_movable_ratio";

	ASSERT_TRUE(fs);
	ASSERT_ERR(wr(fs, ratio, "0x20\n"), 5);
	ASSERT_STREQ(rd(fs, ratio), "32\n");
	ASSERT_ERR(wr(fs, ratio, "4294967296"), -ERANGE);
	/* kstrtouint(): the whole string must parse before the range counts. */
	ASSERT_ERR(wr(fs, ratio, "99999999999z"), -EINVAL);
	ASSERT_ERR(wr(fs, ratio, "99999999999999999999"), -ERANGE);
	ASSERT_ERR(wr(fs, ratio, "-1"), -EINVAL);
	ASSERT_ERR(wr(fs, "/sys/module/memory_hotplug/parameters/online_policy", "auto-movable"),
		   12);
	ASSERT_ERR(wr(fs, "/sys/module/memory_hotplug/parameters/auto_movable_numa_aware", "n"), 1);
	ASSERT_STREQ(rd(fs, "/sys/module/memory_hotplug/parameters/auto_movable_numa_aware"),
		     "N\n");
}

/* ---- The error injector ----------------------------------------------------------- */

static void error_files_clamp_and_parse_as_simple_attributes(void)
{
	struct memhp_machine *m = machine(0, MEMHP_MMOP_OFFLINE);
	AUTO_FS *fs = fs_of(m);
	const char *e = NEI "/actions/MEM_GOING_OFFLINE/error";
	char pad[40];

	ASSERT_TRUE(fs);
	ASSERT_ERR(wr(fs, e, "-12\n"), 4);
	ASSERT_STREQ(rd(fs, e), "-12\n");
	ASSERT_ERR(wr(fs, e, "-5000"), 5);
	ASSERT_STREQ(rd(fs, e), "-4095\n");
	ASSERT_ERR(wr(fs, e, "7"), 1);
	ASSERT_STREQ(rd(fs, e), "0\n");
	/* clamp_t(int, ...) truncates to int first. */
	ASSERT_ERR(wr(fs, e, "4294967284"), 10);
	ASSERT_STREQ(rd(fs, e), "-12\n");
	ASSERT_ERR(wr(fs, e, "0x"), -EINVAL);
	ASSERT_ERR(wr(fs, e, "- 1"), -EINVAL);
	ASSERT_ERR(wr(fs, e, "99999999999999999999"), -ERANGE);
	ASSERT_ERR(wr(fs, e, "-9223372036854775809"), -ERANGE);
	/* Only 23 bytes are looked at; success claims the whole write. */
	memset(pad, '0', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	ASSERT_ERR(wr(fs, e, pad), 39);
	ASSERT_STREQ(rd(fs, e), "0\n");
	ASSERT_ERR(wr(fs, NEI "/priority", "12x"), -EINVAL);
	ASSERT_ERR(wr(fs, NEI "/priority", "-3"), 2);
	ASSERT_STREQ(rd(fs, NEI "/priority"), "-3\n");
}

/* memhp's knob for its anonymous memory, and where the tmpfs goes. */
static void anon_memory_file_resizes_the_anonymous_memory(void)
{
	struct memhp_machine *m = machine(1, MEMHP_MMOP_ONLINE_MOVABLE);
	AUTO_FS *fs = fs_of(m);
	const char *a = "/sys/kernel/debug/memhp/anon_memory";
	struct memhp_fs_attr attr;
	struct memhp_meminfo mi;

	ASSERT_TRUE(fs);
	ASSERT_STREQ(rd(fs, a), "0\n");
	ASSERT_ERR(wr(fs, a, "8M\n"), 3);
	ASSERT_STREQ(rd(fs, a), "8388608\n");
	memhp_meminfo(m, &mi);
	ASSERT_EQ(mi.shmem_pages, 2048);
	ASSERT_ERR(wr(fs, a, "0x1000,pinned"), 13);
	ASSERT_STREQ(rd(fs, a), "4096,pinned\n");
	ASSERT_ERR(wr(fs, a, "1k"), 2);
	ASSERT_STREQ(rd(fs, a), "0\n"); /* whole pages */
	ASSERT_ERR(wr(fs, a, "8M,pinned,"), -EINVAL);
	ASSERT_ERR(wr(fs, a, "8Q"), -EINVAL);
	ASSERT_ERR(wr(fs, a, "-1"), -EINVAL);
	ASSERT_ERR(wr(fs, a, "16E"), -EINVAL);
	ASSERT_ERR(wr(fs, a, "1T"), -ENOSPC);
	ASSERT_STREQ(rd(fs, a), "0\n");
	ASSERT_OK(memhp_fs_resolve(fs, "/dev/shm", true, &attr));
	ASSERT_EQ(attr.mode, S_IFDIR | 01777);
}

static void injected_errors_fail_state_changes_and_leave_the_state(void)
{
	struct memhp_machine *m = machine(2, MEMHP_MMOP_OFFLINE);
	AUTO_FS *fs = fs_of(m);

	ASSERT_TRUE(fs);
	ASSERT_ERR(wr(fs, MEM "/memory33/state", "online_movable"), 14);
	ASSERT_ERR(wr(fs, NEI "/actions/MEM_GOING_ONLINE/error", "-12"), 3);
	ASSERT_ERR(wr(fs, MEM "/memory32/state", "online"), -ENOMEM);
	ASSERT_ERR(wr(fs, MEM "/memory32/online", "1"), -ENOMEM);
	ASSERT_STREQ(rd(fs, MEM "/memory32/state"), "offline\n");
	ASSERT_ERR(wr(fs, NEI "/actions/MEM_GOING_OFFLINE/error", "-16"), 3);
	ASSERT_ERR(wr(fs, MEM "/memory33/state", "offline"), -EBUSY);
	ASSERT_STREQ(rd(fs, MEM "/memory33/state"), "online\n");
	ASSERT_ERR(wr(fs, NEI "/actions/MEM_GOING_OFFLINE/error", "0"), 1);
	ASSERT_ERR(wr(fs, MEM "/memory33/state", "offline"), 7);
}

static void injector_runs_at_its_priority_among_other_notifiers(void)
{
	struct memhp_machine *m = machine(1, MEMHP_MMOP_OFFLINE);
	AUTO_FS *fs = fs_of(m);
	AUTO_EVENT_LOG log = { 0 };

	ASSERT_TRUE(fs);
	event_log_register(m, &log, 10);
	ASSERT_ERR(wr(fs, NEI "/actions/MEM_GOING_ONLINE/error", "-12"), 3);
	ASSERT_ERR(wr(fs, MEM "/memory32/state", "online"), -ENOMEM);
	/* Priority 10 runs before the injector (0): it sees the veto's cancel. */
	ASSERT_TRUE(event_log_saw(&log, MEMHP_MEM_GOING_ONLINE));
	ASSERT_TRUE(event_log_saw(&log, MEMHP_MEM_CANCEL_ONLINE));
	log.n = 0;
	ASSERT_ERR(wr(fs, NEI "/priority", "20"), 2);
	ASSERT_ERR(wr(fs, MEM "/memory32/state", "online"), -ENOMEM);
	/* Now the injector stops the chain first; the cancel reaches all. */
	ASSERT_FALSE(event_log_saw(&log, MEMHP_MEM_GOING_ONLINE));
	ASSERT_TRUE(event_log_saw(&log, MEMHP_MEM_CANCEL_ONLINE));
	event_log_unregister(&log);
}

/* ---- procfs ------------------------------------------------------------------------ */

static unsigned long long field(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : ~0ULL;
}

static void meminfo_follows_the_zones_through_offline_and_online(void)
{
	struct memhp_machine *m = machine(2, MEMHP_MMOP_ONLINE_MOVABLE);
	AUTO_FS *fs = fs_of(m);
	unsigned long long total0, total1, managed = 0;
	char zi[BIG];

	ASSERT_TRUE(fs);
	total0 = field(rd(fs, "/proc/meminfo"), "MemTotal:");
	ASSERT_TRUE(strstr(rd(fs, "/proc/meminfo"), "\nHugepagesize:       2048 kB\n"));
	ASSERT_ERR(wr(fs, MEM "/memory33/state", "offline"), 7);
	total1 = field(rd(fs, "/proc/meminfo"), "MemTotal:");
	ASSERT_EQ(total0 - total1, memhp_block_size(m) >> 10);
	ASSERT_EQ(field(rd(fs, "/sys/devices/system/node/node0/meminfo"), "Node 0 MemTotal:"),
		  total1);
	/* zoneinfo's managed pages add up to MemTotal. */
	strcpy(zi, rd(fs, "/proc/zoneinfo"));
	for (const char *p = zi; (p = strstr(p, "managed  ")); p++)
		managed += strtoull(p + 9, NULL, 10);
	ASSERT_EQ(managed * 4, total1);
	ASSERT_TRUE(strstr(zi, "Node 0, zone   Device\n  pages free     0\n"));
	ASSERT_TRUE(strstr(rd(fs, "/proc/buddyinfo"), "Node 0, zone  Movable "));
	ASSERT_TRUE(strstr(rd(fs, "/proc/pagetypeinfo"), "Page block order: 9\nPages per block:  "
							 "512\n"));
}

/*
 * What memhp has no source for prints 0; what 6.1 derives from counters
 * memhp has is derived the same way. docs/sysfs.md lists both.
 */
/* "managed N" of zone @name in a /proc/zoneinfo text, or 0. */
static unsigned long long zone_managed(const char *zi, const char *name)
{
	char head[64];
	const char *p;

	snprintf(head, sizeof(head), "zone %8s\n", name);
	p = strstr(zi, head);
	p = p ? strstr(p, "\n        managed  ") : NULL;
	return p ? strtoull(p + 18, NULL, 10) : 0;
}

static void procfs_counters_are_0_or_derived_as_in_6_1(void)
{
	struct memhp_machine *m = machine(2, MEMHP_MMOP_ONLINE_MOVABLE);
	AUTO_FS *fs = fs_of(m);
	unsigned long long free, avail, reserve = 0;
	char mi[BIG], zi[BIG];

	ASSERT_TRUE(fs);
	strcpy(mi, rd(fs, "/proc/meminfo"));
	strcpy(zi, rd(fs, "/proc/zoneinfo"));
	/* No page cache, LRU, slab, swap, page tables, hugetlb. */
	ASSERT_EQ(field(mi, "Cached:"), 0);
	ASSERT_EQ(field(mi, "AnonPages:"), 0);
	ASSERT_EQ(field(mi, "Slab:"), 0);
	ASSERT_EQ(field(mi, "SwapTotal:"), 0);
	ASSERT_EQ(field(mi, "HugePages_Total:"), 0);
	ASSERT_EQ(field(mi, "Committed_AS:"), 0);
	/* Derived: CommitLimit is half of RAM (overcommit_ratio 50, no swap). */
	ASSERT_EQ(field(mi, "CommitLimit:"), field(mi, "MemTotal:") / 2);
	/* MemAvailable: free pages beyond each zone's high watermark and
	 * largest lowmem reserve (zoneinfo's protection), with no page cache
	 * to add (calculate_totalreserve_pages()). */
	for (const char *p = zi; (p = strstr(p, "\n        managed  ")); p++) {
		unsigned long long managed = strtoull(p + 18, NULL, 10), max = 0;
		const char *q = strstr(p, "protection: (") + 13;
		const char *h = p;

		while (h > zi && strncmp(h, "\n        high     ", 18))
			h--;
		max = strtoull(h + 18, NULL, 10);

		{
			unsigned long long prot = 0;

			for (int j = 0; j < 5; j++) {
				unsigned long long v = strtoull(q, (char **)&q, 10);

				prot = v > prot ? v : prot;
				q += strspn(q, ", ");
			}
			max += prot;
		}
		reserve += max < managed ? max : managed;
	}
	free = field(mi, "MemFree:");
	avail = field(mi, "MemAvailable:");
	ASSERT_EQ(avail, free - reserve * 4);
	/* DMA keeps 1/256 of the managed pages above it (lowmem_reserve_ratio
	 * 256): DMA32, then DMA32 and Movable. */
	{
		unsigned long long d32 = zone_managed(zi, "DMA32"),
				   mov = zone_managed(zi, "Movable");
		char want[128];

		ASSERT_TRUE(d32 && mov);
		snprintf(want, sizeof(want), "\n        protection: (0, %llu, %llu, %llu, %llu)\n",
			 d32 / 256, d32 / 256, (d32 + mov) / 256, (d32 + mov) / 256);
		ASSERT_TRUE(strstr(zi, want));
	}
	/* The direct map: the ISA range and unaligned ends in 4 KiB pages,
	 * the rest (hot-added blocks included, online or not) in 2 MiB. */
	ASSERT_EQ(field(mi, "DirectMap4k:"), 3968);
	ASSERT_EQ(field(mi, "DirectMap2M:"), (512 * 1024 - 128 - 3968) + 2 * 128 * 1024);
	ASSERT_TRUE(!strstr(mi, "DirectMap1G"));
	/* One CPU, one node. */
	ASSERT_STREQ(rd(fs, "/sys/devices/system/node/node0/cpulist"), "0\n");
	ASSERT_STREQ(rd(fs, "/sys/devices/system/node/node0/numastat"),
		     "numa_hit 0\nnuma_miss 0\nnuma_foreign 0\ninterleave_hit 0\nlocal_node 0\n"
		     "other_node 0\n");
}

/* ---- Memory failure ----------------------------------------------------------------- */

/* A physical address as the files take it. */
static const char *phys(unsigned long pfn, unsigned long offset)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%#llx\n", (unsigned long long)pfn * MEMHP_PAGE_SIZE + offset);
	return buf;
}

static void memory_failure_files_parse_as_memory_c_does(void)
{
	struct memhp_machine *m = machine(2, MEMHP_MMOP_ONLINE_MOVABLE);
	AUTO_FS *fs = fs_of(m);
	const unsigned long free = m ? memhp_pages_per_block(m) * (B0 + 1) - 3 : 0;
	struct memhp_fs_attr a;
	struct memhp_page *k;
	char buf[64];

	ASSERT_TRUE(fs);
	/* Write-only, root's. */
	ASSERT_OK(memhp_fs_resolve(fs, MEM "/soft_offline_page", true, &a));
	ASSERT_EQ(a.mode, S_IFREG | 0200);
	ASSERT_EQ(a.size, 4096);
	ASSERT_OK(memhp_fs_resolve(fs, MEM "/hard_offline_page", true, &a));
	ASSERT_EQ(a.mode, S_IFREG | 0200);
	ASSERT_ERR(memhp_fs_read(fs, MEM "/hard_offline_page", buf, sizeof(buf)), -EACCES);
	/* kstrtoull(base 0) of a physical address: any parse error is -EINVAL,
	 * an overflow too. */
	ASSERT_ERR(wr(fs, MEM "/soft_offline_page", "0x"), -EINVAL);
	ASSERT_ERR(wr(fs, MEM "/soft_offline_page", "4G"), -EINVAL);
	ASSERT_ERR(wr(fs, MEM "/soft_offline_page", "0x1000 "), -EINVAL);
	ASSERT_ERR(wr(fs, MEM "/soft_offline_page", "-4096"), -EINVAL);
	ASSERT_ERR(wr(fs, MEM "/hard_offline_page", "18446744073709551616"), -EINVAL);
	ASSERT_ERR(wr(fs, MEM "/hard_offline_page", "0x1000\n\n"), -EINVAL);
	ASSERT_ERR(memhp_fs_write(fs, MEM "/hard_offline_page", "", 0), 0);
	ASSERT_EQ(memhp_num_poisoned_pages(m), 0);
	/* The address is shifted down to its pfn; success is the count. */
	ASSERT_ERR(wr(fs, MEM "/soft_offline_page", phys(free, 0x123)), 12);
	ASSERT_TRUE(memhp_PageHWPoison(memhp_pfn_to_page(m, free)));
	ASSERT_ERR(wr(fs, MEM "/soft_offline_page", phys(free, 0)), 12);
	ASSERT_ERR(wr(fs, MEM "/hard_offline_page", phys(free, 0)), -EHWPOISON);
	/* Octal and decimal are addresses too. */
	snprintf(buf, sizeof(buf), "0%llo", (unsigned long long)(free - 1) * MEMHP_PAGE_SIZE);
	ASSERT_ERR(wr(fs, MEM "/hard_offline_page", buf), (ssize_t)strlen(buf));
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(free - 2) * MEMHP_PAGE_SIZE);
	ASSERT_ERR(wr(fs, MEM "/hard_offline_page", buf), (ssize_t)strlen(buf));
	ASSERT_EQ(memhp_num_poisoned_pages(m), 3);
	ASSERT_EQ(field(rd(fs, "/proc/meminfo"), "HardwareCorrupted:"), 12);
	/* Memory that is not there, or not online. */
	ASSERT_OK(memhp_block_offline(m, B0 + 1));
	ASSERT_ERR(wr(fs, MEM "/soft_offline_page", phys(memhp_max_pfn(m), 0)), -ENXIO);
	ASSERT_ERR(wr(fs, MEM "/soft_offline_page", phys(tm_block_pfn(m, B0 + 1), 0)), -EIO);
	ASSERT_ERR(wr(fs, MEM "/hard_offline_page", phys(tm_block_pfn(m, B0 + 1), 0)), -ENXIO);
	ASSERT_ERR(wr(fs, MEM "/hard_offline_page", phys(tm_block_pfn(m, B0 + 2), 0)), -ENXIO);
	/* A kernel page: soft offline cannot handle it, hard offline poisons it
	 * and says -EBUSY. */
	k = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(k);
	ASSERT_ERR(wr(fs, MEM "/soft_offline_page", phys(memhp_page_to_pfn(k), 0)), -EIO);
	ASSERT_ERR(wr(fs, MEM "/hard_offline_page", phys(memhp_page_to_pfn(k), 0)), -EBUSY);
	ASSERT_EQ(field(rd(fs, "/proc/meminfo"), "HardwareCorrupted:"), 16);
	memhp_put_page(k);
}

/* ---- Interruptible writes -------------------------------------------------------- */

struct writer {
	struct memhp_fs *fs;
	struct memhp_fs_req *req;
	uint64_t ino;
	const char *s;
	ssize_t ret;
	pthread_t thread;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;

	w->ret = memhp_fs_write_ino(w->fs, w->ino, w->s, strlen(w->s), w->req);
	return NULL;
}

static int start_writer(struct writer *w, struct memhp_fs *fs, const char *path, const char *s)
{
	struct memhp_fs_attr a;

	w->fs = fs;
	w->s = s;
	w->req = memhp_fs_req_new(fs);
	if (!w->req || memhp_fs_resolve(fs, path, true, &a))
		return -1;
	w->ino = a.ino;
	return pthread_create(&w->thread, NULL, writer_fn, w);
}

/* Wakes the test when an offline is retrying migration. */
struct round_wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int rounds;
};

static void round_event(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct round_wait *w = priv;

	(void)m;
	(void)ev;
	pthread_mutex_lock(&w->lock);
	w->rounds++;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static void wait_rounds(struct round_wait *w, int n)
{
	pthread_mutex_lock(&w->lock);
	while (w->rounds < n)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

static void interrupts_stop_a_long_offline_and_a_writer_waiting_for_it(void)
{
	struct memhp_machine *m = machine(2, MEMHP_MMOP_ONLINE_MOVABLE);
	AUTO_FS *fs = fs_of(m);
	struct round_wait rw = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	struct writer a = { 0 }, b = { 0 };
	struct memhp_data *d;
	AUTO_REG sub = { 0 };

	ASSERT_TRUE(fs);
	ASSERT_OK(memhp_data_create(m, &d));
	ASSERT_GT(memhp_data_alloc(d, memhp_pages_per_block(m) * 2 - 1024, 0), 0);
	memhp_data_refuse_migration(d, true);
	ASSERT_OK(tm_event_subscribe(&sub, m, MEMHP_EVENT_BIT(MEMHP_TP_MIGRATE_ROUND_END),
				     round_event, &rw));

	ASSERT_OK(start_writer(&a, fs, MEM "/memory32/state", "offline"));
	wait_rounds(&rw, 3);
	ASSERT_STREQ(rd(fs, MEM "/memory32/state"), "going-offline\n");
	/* A second writer waits for the device hotplug lock... */
	ASSERT_OK(start_writer(&b, fs, MEM "/memory1/state", "offline"));
	memhp_fs_req_interrupt(b.req);
	pthread_join(b.thread, NULL);
	ASSERT_ERR(b.ret, -EINTR);
	ASSERT_STREQ(rd(fs, MEM "/memory1/state"), "online\n");
	/* ...and the offline itself backs off and rolls back. */
	memhp_fs_req_interrupt(a.req);
	pthread_join(a.thread, NULL);
	ASSERT_ERR(a.ret, -EINTR);
	ASSERT_STREQ(rd(fs, MEM "/memory32/state"), "online\n");
	ASSERT_FALSE(memhp_signal_pending());
	/* An interrupted request stays interrupted; a new one works. */
	ASSERT_ERR(memhp_fs_write_ino(fs, b.ino, "offline", 7, b.req), -EINTR);
	memhp_fs_req_free(b.req);
	b.req = memhp_fs_req_new(fs);
	ASSERT_ERR(memhp_fs_write_ino(fs, b.ino, "offline", 7, b.req), 7);

	/* Shutting down interrupts what is running and all that comes. */
	memhp_fs_req_free(a.req);
	ASSERT_OK(start_writer(&a, fs, MEM "/memory33/state", "offline"));
	wait_rounds(&rw, rw.rounds + 3);
	memhp_fs_shutdown(fs);
	pthread_join(a.thread, NULL);
	ASSERT_ERR(a.ret, -EINTR);
	ASSERT_ERR(memhp_fs_write_ino(fs, b.ino, "online", 6, b.req), -EINTR);
	/* Path writes are not the daemon's: they still work. */
	ASSERT_ERR(wr(fs, MEM "/memory1/state", "online"), 6);

	memhp_fs_req_free(a.req);
	memhp_fs_req_free(b.req);
	tm_unregister(&sub);
	memhp_data_refuse_migration(d, false);
	ASSERT_EQ(memhp_data_verify(d, NULL), 0);
	memhp_data_destroy(d);
}

struct reader {
	struct memhp_fs *fs;
	struct memhp_fs_req *req;
	uint64_t ino;
	char *data;
	ssize_t ret;
	pthread_t thread;
};

static void *reader_fn(void *arg)
{
	struct reader *r = arg;

	r->ret = memhp_fs_render(r->fs, r->ino, &r->data, r->req);
	return NULL;
}

static int start_reader(struct reader *r, struct memhp_fs *fs, const char *path)
{
	struct memhp_fs_attr a;

	r->fs = fs;
	r->data = NULL;
	r->req = memhp_fs_req_new(fs);
	if (!r->req || memhp_fs_resolve(fs, path, true, &a))
		return -1;
	r->ino = a.ino;
	return pthread_create(&r->thread, NULL, reader_fn, r);
}

/*
 * online_show() and uevent_show() take the device lock (drivers/base/core.c),
 * state_show() does not: while an offline of the block runs, "state" reads
 * going-offline at once, "online" and "uevent" wait for the offline to end,
 * and an interrupted wait gives up with -EINTR.
 */
static void online_and_uevent_reads_wait_for_the_device_lock_as_6_1s_do(void)
{
	struct memhp_machine *m = machine(1, MEMHP_MMOP_ONLINE_MOVABLE);
	AUTO_FS *fs = fs_of(m);
	struct round_wait rw = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	struct writer w = { 0 };
	struct reader online = { 0 }, uevent = { 0 };
	char buf[MEMHP_SYSFS_BUF];
	struct memhp_data *d;
	AUTO_REG sub = { 0 };

	ASSERT_TRUE(fs);
	ASSERT_OK(memhp_data_create(m, &d));
	ASSERT_GT(memhp_data_alloc(d, 1024, 0), 0);
	memhp_data_refuse_migration(d, true);
	ASSERT_OK(tm_event_subscribe(&sub, m, MEMHP_EVENT_BIT(MEMHP_TP_MIGRATE_ROUND_END),
				     round_event, &rw));
	ASSERT_OK(start_writer(&w, fs, MEM "/memory32/state", "offline"));
	wait_rounds(&rw, 3);

	/* The core: the lock is held for the whole offline. */
	ASSERT_ERR(memhp_show_online(m, B0, buf, true), -EAGAIN);
	ASSERT_ERR(memhp_show_uevent(m, B0, buf, true), -EAGAIN);
	ASSERT_STREQ(rd(fs, MEM "/memory32/state"), "going-offline\n");
	/* The tree: both reads wait until interrupted. */
	ASSERT_OK(start_reader(&online, fs, MEM "/memory32/online"));
	ASSERT_OK(start_reader(&uevent, fs, MEM "/memory32/uevent"));
	memhp_fs_req_interrupt(online.req);
	memhp_fs_req_interrupt(uevent.req);
	pthread_join(online.thread, NULL);
	pthread_join(uevent.thread, NULL);
	ASSERT_ERR(online.ret, -EINTR);
	ASSERT_ERR(uevent.ret, -EINTR);
	memhp_fs_req_free(online.req);
	memhp_fs_req_free(uevent.req);

	/* A read waiting when the offline ends sees the block offline. */
	ASSERT_OK(start_reader(&online, fs, MEM "/memory32/online"));
	memhp_data_refuse_migration(d, false);
	pthread_join(w.thread, NULL);
	ASSERT_ERR(w.ret, 7);
	pthread_join(online.thread, NULL);
	ASSERT_ERR(online.ret, 2);
	ASSERT_TRUE(!strncmp(online.data, "0\n", 2));
	free(online.data);
	memhp_fs_req_free(online.req);
	ASSERT_ERR(memhp_show_online(m, B0, buf, true), 2);
	ASSERT_ERR(memhp_show_uevent(m, B0, buf, true), 0);

	memhp_fs_req_free(w.req);
	tm_unregister(&sub);
	ASSERT_EQ(memhp_data_verify(d, NULL), 0);
	memhp_data_destroy(d);
}

/* ---- uevents ------------------------------------------------------------------- */

#define UEV_MAX 32
#define UEV_LINE 512

/* What a listener heard: each event's environment joined by spaces. */
struct uev_log {
	pthread_mutex_t lock;
	unsigned int n;
	unsigned long long seq[UEV_MAX];
	char env[UEV_MAX][UEV_LINE];
	char helper[UEV_MAX][MEMHP_UEVENT_HELPER_PATH_LEN];
};

static void uev_listener(const struct memhp_uevent *ev, void *priv)
{
	struct uev_log *log = priv;
	size_t len = 0;

	pthread_mutex_lock(&log->lock);
	if (log->n < UEV_MAX) {
		char *line = log->env[log->n];

		line[0] = '\0';
		for (const char *const *e = ev->envp; *e; e++)
			len += (size_t)snprintf(line + len, len < UEV_LINE ? UEV_LINE - len : 0,
						"%s%s", len ? " " : "", *e);
		snprintf(log->helper[log->n], MEMHP_UEVENT_HELPER_PATH_LEN, "%s", ev->helper);
		log->seq[log->n++] = ev->seqnum;
	}
	pthread_mutex_unlock(&log->lock);
}

static void uevents_follow_blocks_through_add_online_offline_remove(void)
{
	static struct uev_log log = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct memhp_machine *m = machine(0, MEMHP_MMOP_OFFLINE);
	AUTO_FS *fs = fs_of(m);
	char want[UEV_LINE];

	ASSERT_TRUE(fs);
	memhp_fs_set_uevent_listener(fs, uev_listener, &log);
	ASSERT_STREQ(rd(fs, "/sys/kernel/uevent_seqnum"), "0\n");
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_ERR(wr(fs, MEM "/memory32/state", "online_movable"), 14);
	ASSERT_ERR(wr(fs, MEM "/memory32/online", "0"), 1);
	ASSERT_OK(memhp_remove_memory(m, HOT, memhp_block_size(m)));
	/* Blocks auto-onlined as they are added: add, then online. */
	ASSERT_ERR(wr(fs, MEM "/auto_online_blocks", "online_movable"), 14);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	memhp_fs_set_uevent_listener(fs, NULL, NULL);
	ASSERT_OK(memhp_block_offline(m, B0));

	static const char *const actions[] = {
		"add", "online", "offline", "remove", "add", "online"
	};
	ASSERT_EQ(log.n, 6);
	for (unsigned int i = 0; i < log.n; i++) {
		snprintf(want, sizeof(want),
			 "ACTION=%s DEVPATH=/devices/system/memory/memory32 SUBSYSTEM=memory "
			 "SEQNUM=%u",
			 actions[i], i + 1);
		ASSERT_STREQ(log.env[i], want);
		ASSERT_EQ(log.seq[i], i + 1);
	}
	/* Unheard events are numbered all the same. */
	ASSERT_STREQ(rd(fs, "/sys/kernel/uevent_seqnum"), "7\n");
}

static void uevent_writes_synthesise_events_with_their_arguments(void)
{
	static struct uev_log log = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct memhp_machine *m = machine(1, MEMHP_MMOP_OFFLINE);
	AUTO_FS *fs = fs_of(m);

	ASSERT_TRUE(fs);
	memhp_fs_set_uevent_listener(fs, uev_listener, &log);
	ASSERT_ERR(wr(fs, MEM "/memory32/uevent", "add\n"), 4);
	ASSERT_ERR(wr(fs, MEM "/memory32/uevent",
		      "change 01234567-89ab-cdef-0123-456789abcdef A=b Cd=e1"),
		   53);
	ASSERT_ERR(wr(fs, "/sys/devices/system/node/node0/uevent", "online"), 6);
	/* Rejected writes and subsystem roots send nothing. */
	ASSERT_ERR(wr(fs, MEM "/memory32/uevent", "add 0123"), -EINVAL);
	ASSERT_ERR(wr(fs, MEM "/uevent", "add"), 3);
	ASSERT_EQ(log.n, 3);
	ASSERT_STREQ(log.env[0], "ACTION=add DEVPATH=/devices/system/memory/memory32 "
				 "SUBSYSTEM=memory SYNTH_UUID=0 SEQNUM=1");
	ASSERT_STREQ(log.env[1], "ACTION=change DEVPATH=/devices/system/memory/memory32 "
				 "SUBSYSTEM=memory SYNTH_UUID=01234567-89ab-cdef-0123-456789abcdef "
				 "SYNTH_ARG_A=b SYNTH_ARG_Cd=e1 SEQNUM=2");
	ASSERT_STREQ(log.env[2], "ACTION=online DEVPATH=/devices/system/node/node0 "
				 "SUBSYSTEM=node SYNTH_UUID=0 SEQNUM=3");
	memhp_fs_set_uevent_listener(fs, NULL, NULL);
}

static void uevent_helper_takes_a_path_as_ksysfs_does(void)
{
	static struct uev_log log = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct memhp_machine *m = machine(1, MEMHP_MMOP_OFFLINE);
	AUTO_FS *fs = fs_of(m);
	char longpath[MEMHP_UEVENT_HELPER_PATH_LEN + 1];

	ASSERT_TRUE(fs);
	memhp_fs_set_uevent_listener(fs, uev_listener, &log);
	ASSERT_STREQ(rd(fs, "/sys/kernel/uevent_helper"), "\n");
	ASSERT_ERR(wr(fs, MEM "/memory32/uevent", "add"), 3);
	ASSERT_ERR(wr(fs, "/sys/kernel/uevent_helper", "/sbin/hotplug\n"), 14);
	ASSERT_STREQ(rd(fs, "/sys/kernel/uevent_helper"), "/sbin/hotplug\n");
	ASSERT_ERR(wr(fs, MEM "/memory32/uevent", "add"), 3);
	/* The path and its NUL must fit 256 bytes; a longer one is -ENOENT
	 * and leaves the old one. */
	memset(longpath, 'x', sizeof(longpath));
	longpath[0] = '/';
	ASSERT_ERR(memhp_fs_write(fs, "/sys/kernel/uevent_helper", longpath,
				  MEMHP_UEVENT_HELPER_PATH_LEN),
		   -ENOENT);
	ASSERT_STREQ(rd(fs, "/sys/kernel/uevent_helper"), "/sbin/hotplug\n");
	ASSERT_ERR(memhp_fs_write(fs, "/sys/kernel/uevent_helper", longpath,
				  MEMHP_UEVENT_HELPER_PATH_LEN - 1),
		   MEMHP_UEVENT_HELPER_PATH_LEN - 1);
	/* An empty write turns the helper off. */
	ASSERT_ERR(wr(fs, "/sys/kernel/uevent_helper", "\n"), 1);
	ASSERT_ERR(wr(fs, MEM "/memory32/uevent", "add"), 3);
	ASSERT_EQ(log.n, 3);
	ASSERT_STREQ(log.helper[0], "");
	ASSERT_STREQ(log.helper[1], "/sbin/hotplug");
	ASSERT_STREQ(log.helper[2], "");
	ASSERT_STREQ(rd(fs, "/sys/kernel/uevent_seqnum"), "3\n");
	/* uevent_seqnum is read-only, as in sysfs. */
	ASSERT_ERR(wr(fs, "/sys/kernel/uevent_seqnum", "0"), -EACCES);
	memhp_fs_set_uevent_listener(fs, NULL, NULL);
}

/* /dev/kmsg is the machine's log, read and written as devkmsg_read() and
 * devkmsg_write() do; /proc/kmsg, syslog(2)'s reader, is refused. */
static void dev_kmsg_reads_and_writes_the_machines_log(void)
{
	struct memhp_machine *m = machine(0, MEMHP_MMOP_OFFLINE);
	AUTO_FS *fs = fs_of(m);
	struct memhp_printk_record r;
	struct memhp_fs_attr a;
	char buf[64];

	ASSERT_TRUE(fs);
	ASSERT_OK(memhp_fs_resolve(fs, "/dev/kmsg", true, &a));
	ASSERT_EQ(a.mode, S_IFREG | 0644);
	ASSERT_EQ(a.size, 0);
	ASSERT_OK(memhp_fs_resolve(fs, "/proc/kmsg", true, &a));
	ASSERT_EQ(a.mode, S_IFREG | 0400);
	/* A fresh open reads the oldest record, whole or not at all. */
	ASSERT_OK(memhp_printk_read(m, 0, &r));
	snprintf(buf, sizeof(buf), "6,0,%llu,-;Zone ranges:\n", (unsigned long long)r.ts_usec);
	ASSERT_STREQ(rd(fs, "/dev/kmsg"), buf);
	ASSERT_ERR(memhp_fs_read(fs, "/dev/kmsg", buf, 10), -EINVAL);
	ASSERT_EQ(wr(fs, "/dev/kmsg", "<3>from user space\n"), 19);
	ASSERT_OK(memhp_printk_read(m, memhp_printk_next_seq(m) - 1, &r));
	ASSERT_STREQ(r.text, "from user space");
	ASSERT_EQ(r.facility, MEMHP_LOG_USER);
	ASSERT_EQ(r.level, MEMHP_KERN_ERR);
	ASSERT_ERR(memhp_fs_read(fs, "/proc/kmsg", buf, sizeof(buf)), -EPERM);
	ASSERT_ERR(memhp_fs_open(fs, a.ino, O_RDONLY), -EPERM);
}

RUN_TESTS(T(sysfs_files_have_the_6_1_formats), T(anon_memory_file_resizes_the_anonymous_memory),
	  T(readdir_lists_blocks_and_resumes_where_it_stopped),
	  T(lookups_take_only_the_kernels_names), T(opens_follow_kernfs_procfs_and_debugfs_rules),
	  T(state_and_online_writes_behave_as_in_6_1),
	  T(generic_device_files_parse_as_the_kernel_does),
	  T(uevents_follow_blocks_through_add_online_offline_remove),
	  T(uevent_writes_synthesise_events_with_their_arguments),
	  T(uevent_helper_takes_a_path_as_ksysfs_does),
	  T(module_parameters_parse_as_the_kernel_does),
	  T(memory_failure_files_parse_as_memory_c_does),
	  T(error_files_clamp_and_parse_as_simple_attributes),
	  T(injected_errors_fail_state_changes_and_leave_the_state),
	  T(injector_runs_at_its_priority_among_other_notifiers),
	  T(meminfo_follows_the_zones_through_offline_and_online),
	  T(procfs_counters_are_0_or_derived_as_in_6_1),
	  T(interrupts_stop_a_long_offline_and_a_writer_waiting_for_it),
	  T(dev_kmsg_reads_and_writes_the_machines_log),
	  T(online_and_uevent_reads_wait_for_the_device_lock_as_6_1s_do))
