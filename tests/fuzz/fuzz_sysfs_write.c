// SPDX-License-Identifier: MIT
/*
 * fuzz_sysfs_write.c - libFuzzer harness for the file tree's write parsers.
 *
 * Input: the first byte picks a path (every file, directory and link of
 * the tree, plus some that do not exist), the rest is written to it with
 * memhp_fs_write(). Checked on every input:
 *   - no crash, no sanitizer report;
 *   - the result is one Linux gives for that file: the count it takes (at
 *     most a page for sysfs, all of it for debugfs), or an errno from the
 *     file's list below;
 *   - a rejected write changes nothing: the tree's state-bearing files and
 *     /proc/meminfo read the same before and after (but hard_offline_page:
 *     memory_failure() poisons and counts a page it then ignores);
 *   - the machine passes memhp_check() now and then.
 *
 * Build: make fuzz (clang -fsanitize=fuzzer,address,undefined); run:
 *   build/fuzz/fuzz_sysfs_write -dict=tests/fuzz/sysfs.dict -max_total_time=10
 */
#include <memhp/fs.h>
#include <memhp/memhp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_PATHS 512
#define PATH_LEN 160
#define SNAPSHOT_MAX (1 << 20)
#define CHECK_EVERY 256
#define PAGE 4096

static struct memhp_machine *m;
static struct memhp_fs *fs;
static char paths[MAX_PATHS][PATH_LEN];
static unsigned int nr_paths;
static char *before, *after;
static unsigned long runs;

/* ---- The tree's paths ------------------------------------------------------------ */

struct walk_ctx {
	const char *dir;
};

static void add_path(const char *p)
{
	if (nr_paths < MAX_PATHS)
		snprintf(paths[nr_paths++], PATH_LEN, "%s", p);
}

static void walk(const char *dir, uint64_t ino);

static int walk_fill(void *c, const char *name, const struct memhp_fs_attr *a, uint64_t off)
{
	const struct walk_ctx *w = c;
	char p[PATH_LEN];

	(void)off;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	snprintf(p, sizeof(p), "%s/%s", strcmp(w->dir, "/") ? w->dir : "", name);
	/* memhp's own knobs are no Linux parsers, and pinned anonymous
	 * memory makes an offline of its block retry for ever, as it must. */
	if (!strcmp(p, "/sys/kernel/debug/memhp"))
		return 0;
	add_path(p);
	if (S_ISDIR(a->mode))
		walk(p, a->ino);
	return 0;
}

static void walk(const char *dir, uint64_t ino)
{
	struct walk_ctx w = { dir };

	memhp_fs_readdir(fs, ino, 0, walk_fill, &w);
}

/* ---- Snapshots ----------------------------------------------------------------------- */

/* Files whose contents say what state the machine is in: everything but
 * the buddy's free lists (zoneinfo, buddyinfo, pagetypeinfo), whose shape
 * a failed offline may legitimately change, as in Linux, and the kernel
 * log, which a failed offline writes to. */
static bool state_bearing(const char *p)
{
	return (strncmp(p, "/proc/", 6) || !strcmp(p, "/proc/meminfo")) && strncmp(p, "/dev/", 5);
}

static size_t snapshot(char *out)
{
	size_t len = 0;

	for (unsigned int i = 0; i < nr_paths; i++) {
		ssize_t n;

		if (!state_bearing(paths[i]) || len + PAGE * 4 > SNAPSHOT_MAX)
			continue;
		n = memhp_fs_read(fs, paths[i], out + len, SNAPSHOT_MAX - len);
		if (n > 0)
			len += (size_t)n;
		len += (size_t)snprintf(out + len, SNAPSHOT_MAX - len, "|%zd|", n < 0 ? n : 0);
	}
	return len;
}

/* ---- What Linux may answer --------------------------------------------------------- */

static int injected(const char *action)
{
	char p[PATH_LEN], buf[32];
	ssize_t n;

	snprintf(p, sizeof(p), "/sys/kernel/debug/notifier-error-inject/memory/actions/%s/error",
		 action);
	n = memhp_fs_read(fs, p, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return atoi(buf);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* Is -@err an answer Linux gives for a write to @p? */
static bool errno_allowed(const char *p, int err, int inj_on, int inj_off)
{
	struct memhp_fs_attr a;

	if (memhp_fs_resolve(fs, p, true, &a))
		return err == ENOENT || err == ENOTDIR;
	if (S_ISDIR(a.mode))
		return err == EISDIR;
	/* syslog(2)'s file refuses every open; devkmsg_write() a line too
	 * long. */
	if (!strcmp(p, "/proc/kmsg"))
		return err == EPERM;
	if (!strcmp(p, "/dev/kmsg"))
		return err == EINVAL;
	if (!strncmp(p, "/proc/", 6))
		return err == EIO;
	/* kernfs refuses root a write open of a read-only attribute. */
	if (!(a.mode & 0222))
		return err == EACCES;
	if (ends_with(p, "/state") || ends_with(p, "/online"))
		/* Bad word, current state, blocks that cannot go; or what the
		 * error injector was told to say. */
		return err == EINVAL || err == EBUSY || err == -inj_on || err == -inj_off;
	if (ends_with(p, "/uevent"))
		return err == EINVAL || err == ENOMEM;
	if (ends_with(p, "/autosuspend_delay_ms"))
		return err == EIO;
	if (ends_with(p, "/drivers_probe"))
		return err == ENODEV;
	/* soft_offline_page(): no memmap, not online or unhandlable, busy, no
	 * migration target; memory_failure(): not online, already poisoned,
	 * ignored. */
	if (ends_with(p, "/soft_offline_page"))
		return err == EINVAL || err == ENXIO || err == EIO || err == EBUSY || err == ENOMEM;
	if (ends_with(p, "/hard_offline_page"))
		return err == EINVAL || err == ENXIO || err == EHWPOISON || err == EBUSY;
	if (strstr(p, "/parameters/") || strstr(p, "notifier-error-inject") ||
	    ends_with(p, "/nr_hugepages"))
		return err == EINVAL || err == ERANGE || err == EACCES;
	if (ends_with(p, "/control") || ends_with(p, "/auto_online_blocks"))
		return err == EINVAL;
	/* The rest take anything (compact, drivers_autoprobe). */
	return false;
}

/* ---- libFuzzer ----------------------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct memhp_config cfg;

	(void)argc;
	(void)argv;
	memhp_config_init(&cfg, 512 * MEMHP_MiB);
	cfg.phys_size = 16 * MEMHP_GiB;
	if (memhp_machine_create(&cfg, &m) ||
	    memhp_add_memory(m, 0, 4 * MEMHP_GiB, 512 * MEMHP_MiB, MEMHP_MHP_NONE) ||
	    memhp_block_online(m, 32, MEMHP_MMOP_ONLINE_MOVABLE) ||
	    memhp_block_online(m, 33, MEMHP_MMOP_ONLINE_KERNEL) || memhp_fs_create(m, &fs)) {
		fprintf(stderr, "fuzz: cannot set up the machine\n");
		abort();
	}
	walk("/", MEMHP_FS_ROOT_INO);
	add_path("/sys/devices/system/memory/memory4/state");
	add_path("/sys/devices/system/memory/memory32/state/x");
	add_path("/sys/devices/system/memory/memory32/node0/memory33/state");
	add_path("/proc/vmstat");
	before = malloc(SNAPSHOT_MAX);
	after = malloc(SNAPSHOT_MAX);
	if (!before || !after)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p;
	size_t lb, la, want;
	int inj_on, inj_off;
	ssize_t ret;

	if (!size)
		return 0;
	p = paths[data[0] % nr_paths];
	data++;
	size--;
	inj_on = injected("MEM_GOING_ONLINE");
	inj_off = injected("MEM_GOING_OFFLINE");
	lb = snapshot(before);

	ret = memhp_fs_write(fs, p, (const char *)data, size);

	if (ret < 0) {
		if (!errno_allowed(p, (int)-ret, inj_on, inj_off)) {
			fprintf(stderr, "fuzz: %zu bytes to %s: errno %d, not Linux's\n", size, p,
				(int)-ret);
			abort();
		}
		la = snapshot(after);
		if (!ends_with(p, "/hard_offline_page") &&
		    (la != lb || memcmp(before, after, la))) {
			fprintf(stderr, "fuzz: rejected write (errno %d) to %s changed the tree\n",
				(int)-ret, p);
			abort();
		}
	} else {
		/* sysfs takes at most a page (zero bytes: nothing); debugfs and
		 * /dev/kmsg claim the whole write. */
		want = strstr(p, "/kernel/debug/") || !strcmp(p, "/dev/kmsg") ? size
		       : size < PAGE					      ? size
									      : PAGE;
		if ((size_t)ret != want) {
			fprintf(stderr, "fuzz: write of %zu bytes to %s returned %zd, not %zu\n",
				size, p, ret, want);
			abort();
		}
	}
	if (++runs % CHECK_EVERY == 0 && memhp_check(m, NULL)) {
		struct memhp_check_report r;

		memhp_check(m, &r);
		memhp_print_report(stderr, &r);
		abort();
	}
	return 0;
}
