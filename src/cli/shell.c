// SPDX-License-Identifier: MIT
/*
 * shell.c - memhp shell [machine options] [-- COMMAND...]: run COMMAND
 * (default: $SHELL) where every tool sees the memhp machine's memory.
 *
 * The program moves into a mount namespace of its own first (a user
 * namespace too when not root), so that nothing it mounts is seen outside
 * and everything goes when the last process of the namespace exits:
 *
 *   /tmp/memhp-shell.PID.XXXXXX  a tmpfs, private to the namespace, holding
 *     root/                      the FUSE mount of the machine's files
 *     sbin/modprobe              a stand-in for /sbin/modprobe
 *
 * then binds root/sys/devices/system/memory over /sys/devices/system/memory
 * and the same for node, the PCI root, /sys/bus, /sys/module, /sys/firmware
 * and the /proc files that describe memory (binds[] below), and
 * root/dev/shm, the machine's tmpfs, over /dev/shm; mounts a second tmpfs
 * of the machine on /run/memhp/tmp and one on each --tmpfs path; mounts a
 * real debugfs on /sys/kernel/debug (so that
 * "mount -t debugfs" finds one, as the selftest asks) and binds the served
 * debugfs over it; and binds the stand-in over /sbin/modprobe, so that the
 * selftest's modprobe calls set the memhp injector and never load a module
 * into the host's kernel (on a machine without kmod, sbin/ is laid over
 * /sbin in a read-only overlay instead).
 *
 * The command does not run as the shell's child but as the child of a
 * keeper, forked while the shell is still small (before the machine
 * exists, so no copy of its memmap is ever forked, and the guest is never
 * charged for one). The keeper is a child subreaper: everything the
 * command starts stays below it, however it forks. It forwards the
 * shell's signals to the command; when the command exits it kills what the
 * command left running (its mounts are about to go) and exits with the
 * command's status; and when the shell dies, even of SIGKILL (the keeper
 * has a parent-death signal), it kills the whole tree, unmounts the
 * temporary directory and removes it. A directory left by a shell and a
 * keeper that both died is locked by nobody: the next shell removes it.
 *
 * The kernel log is the machine's: root/dev/kmsg is bound over /dev/kmsg,
 * and the host's log has no other way in. syslog(2) (dmesg -S, and dmesg's
 * fallback when /dev/kmsg fails) is refused with EPERM by a seccomp filter
 * that everything started in the shell inherits, and /proc/kmsg, its file,
 * is bound over by one that refuses every open.
 */
#include "../fs/fuse_server.h"
#include "cli.h"
#include "guest_procs.h"
#include "machine_opts.h"
#include "run_util.h"
#include "serve_common.h"

#include <memhp/fs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG "memhp shell"
#define FUSE_SUPER_MAGIC 0x65735546
#define SHELL_TMP_DIR "/tmp"
#define SHELL_TMP_PREFIX "memhp-shell."
/* memhp-shell.PID.XXXXXX: PID is the shell's, for whoever looks. */
#define SHELL_TMP_TEMPLATE SHELL_TMP_DIR "/" SHELL_TMP_PREFIX "%d.XXXXXX"
#define SHELL_TMP_MAX sizeof(SHELL_TMP_DIR "/" SHELL_TMP_PREFIX "4294967295.XXXXXX")
/* The keeper's stack, for the little it does (clone() needs one). */
#define KEEPER_STACK_SIZE (256 * 1024)
/* The signal the keeper gets when the shell dies. */
#define KEEPER_PARENT_DEATH_SIG SIGUSR1
/* Exit statuses of the shell itself, as env(1) and timeout(1) use them. */
#define EXIT_SHELL_FAILED 125
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127
/* What the prompt starts with, and the longest prompt made. */
#define SHELL_PROMPT_TAG "(memhp) "
#define SHELL_PROMPT_MAX 256
/* The binds below, debugfs twice and modprobe. */
#define SHELL_MAX_MOUNTS 32
/* A tmpfs of the machine besides /dev/shm, where a guest's /tmp-like
 * files go: made if missing, the shell's only trace on the host. */
#define SHELL_TMPFS_DIR "/run/memhp/tmp"

/* How much a bind matters. */
enum bind_need {
	BIND_OPTIONAL, /* a note if it fails */
	BIND_REQUIRED, /* the shell fails without it */
	/* The host's file must not show: the shell fails unless the host has
	 * no such file. */
	BIND_HIDE_HOST,
};

/*
 * What is bound where, and how much it matters. The rule: every file
 * that describes memory is the machine's or absent, never the host's. A
 * file the host has is bound over; where the host may lack a path
 * (/sys/bus/virtio on a host without virtio, /sys/firmware/memmap), the
 * whole served parent is bound, so that the shell shows the machine's
 * buses, modules and firmware or nothing: the host's other buses, modules
 * and firmware tables are not visible inside (docs/sysfs.md). An optional
 * bind the host has no target for hides nothing and is skipped.
 */
static const struct bind {
	const char *served;
	const char *target;
	enum bind_need need;
} binds[] = {
	{ "sys/devices/system/memory", "/sys/devices/system/memory", BIND_REQUIRED },
	{ "sys/devices/system/node", "/sys/devices/system/node", BIND_REQUIRED },
	{ "sys/devices/pci0000:00", "/sys/devices/pci0000:00", BIND_OPTIONAL },
	{ "sys/bus", "/sys/bus", BIND_REQUIRED },
	{ "sys/module", "/sys/module", BIND_REQUIRED },
	{ "sys/firmware", "/sys/firmware", BIND_OPTIONAL },
	{ "proc/meminfo", "/proc/meminfo", BIND_REQUIRED },
	{ "proc/zoneinfo", "/proc/zoneinfo", BIND_OPTIONAL },
	{ "proc/buddyinfo", "/proc/buddyinfo", BIND_OPTIONAL },
	{ "proc/pagetypeinfo", "/proc/pagetypeinfo", BIND_OPTIONAL },
	{ "proc/vmstat", "/proc/vmstat", BIND_OPTIONAL },
	{ "proc/iomem", "/proc/iomem", BIND_OPTIONAL },
	{ "proc/kpageflags", "/proc/kpageflags", BIND_OPTIONAL },
	{ "proc/kpagecount", "/proc/kpagecount", BIND_OPTIONAL },
	{ "proc/slabinfo", "/proc/slabinfo", BIND_OPTIONAL },
	{ "proc/cmdline", "/proc/cmdline", BIND_OPTIONAL },
	{ "proc/swaps", "/proc/swaps", BIND_OPTIONAL },
	/* The whole directories: the host's other sysctls and cpu/io
	 * pressure are not the machine's. */
	{ "proc/sys/vm", "/proc/sys/vm", BIND_OPTIONAL },
	{ "proc/pressure", "/proc/pressure", BIND_OPTIONAL },
	/* Names only: every access then fails with ENOENT. */
	{ "proc/kcore", "/proc/kcore", BIND_OPTIONAL },
	{ "proc/kpagecgroup", "/proc/kpagecgroup", BIND_OPTIONAL },
	/* Only where the host's kernel has them (Debian's lacks
	 * CONFIG_UEVENT_HELPER); $MEMHP_ROOT/sys/kernel has them always. */
	{ "sys/kernel/uevent_helper", "/sys/kernel/uevent_helper", BIND_OPTIONAL },
	/* THP, khugepaged, KSM: the machine's, and no host hugetlb pool. */
	{ "sys/kernel/mm", "/sys/kernel/mm", BIND_OPTIONAL },
	{ "sys/kernel/uevent_seqnum", "/sys/kernel/uevent_seqnum", BIND_OPTIONAL },
	/* The hugetlb pools (a host without hugetlb has no target: skipped). */
	{ "sys/kernel/mm/hugepages", "/sys/kernel/mm/hugepages", BIND_OPTIONAL },
	/* The log: the host's must never show, not even as a fallback. */
	{ "dev/kmsg", "/dev/kmsg", BIND_HIDE_HOST },
	{ "proc/kmsg", "/proc/kmsg", BIND_HIDE_HOST },
	/* The machine's tmpfs, spliced into the served tree. */
	{ "dev/shm", "/dev/shm", BIND_OPTIONAL },
};

#define DEBUGFS "/sys/kernel/debug"
#define MODPROBE "/sbin/modprobe"
#define MODPROBE_DIR "/sbin"

/*
 * The modprobe stand-in. It knows one module: loading
 * memory-notifier-error-inject sets the injector's priority (its module
 * parameter), removing it clears the injected errors, as a fresh load
 * would have them. Anything else fails, quietly with -q.
 */
static const char modprobe_stub[] =
	"#!/bin/sh\n"
	"# memhp shell: modprobe stand-in (see memhp shell --help)\n"
	"dir=" DEBUGFS "/notifier-error-inject/memory\n"
	"remove=0 quiet=0 mod= prio=0\n"
	"for a in \"$@\"; do\n"
	"\tcase $a in\n"
	"\t--remove) remove=1 ;;\n"
	"\t--quiet) quiet=1 ;;\n"
	"\t--*) ;;\n"
	"\t-*) case $a in *r*) remove=1 ;; esac; case $a in *q*) quiet=1 ;; esac ;;\n"
	"\tpriority=*) prio=${a#priority=} ;;\n"
	"\t*=*) ;;\n"
	"\t*) [ -z \"$mod\" ] && mod=$a ;;\n"
	"\tesac\n"
	"done\n"
	"case $mod in\n"
	"memory-notifier-error-inject|memory_notifier_error_inject) ;;\n"
	"*) [ $quiet = 1 ] || echo \"modprobe: FATAL: Module $mod not found (memhp shell)\" >&2\n"
	"   exit 1 ;;\n"
	"esac\n"
	"[ -d \"$dir\" ] || exit 1\n"
	"if [ $remove = 1 ]; then\n"
	"\techo 0 > $dir/actions/MEM_GOING_ONLINE/error &&\n"
	"\techo 0 > $dir/actions/MEM_GOING_OFFLINE/error &&\n"
	"\techo 0 > $dir/priority\n"
	"else\n"
	"\techo \"$prio\" > $dir/priority\n"
	"fi\n";

static void usage(FILE *f)
{
	fprintf(f, "usage: memhp shell [--qmp unix:PATH] [--uevent-helper PATH] [--log FILE]\n"
		   "                   [machine options] [-- COMMAND [ARG...]]\n"
		   "\n"
		   "Run COMMAND (default: $SHELL) in a private mount namespace where every file\n"
		   "that describes memory is the memhp machine's or absent:\n"
		   "/sys/devices/system/{memory,node}, /sys/devices/pci0000:00, /sys/bus,\n"
		   "/sys/module, /sys/firmware, /sys/kernel/debug, /proc/{meminfo,zoneinfo,\n"
		   "buddyinfo,pagetypeinfo,vmstat,iomem,kpageflags,kpagecount,slabinfo,cmdline,\n"
		   "swaps}, /proc/sys/vm and /proc/pressure are the machine's, /proc/kcore and\n"
		   "/proc/kpagecgroup are gone: lsmem, chmem, free, vmstat, sysctl vm,\n"
		   "page-types and the kernel's memory-hotplug selftest see the machine\n"
		   "instead of the host.\n"
		   "/dev/shm and " SHELL_TMPFS_DIR " are tmpfs mounts of the machine: files\n"
		   "written there are in its memory (Shmem), and offlining migrates them.\n"
		   "/dev/kmsg is the machine's kernel log (dmesg, dmesg -w); syslog(2) and\n"
		   "/proc/kmsg, which would show the host's, fail with EPERM (dmesg -S).\n"
		   "/sbin/modprobe is a stand-in there that sets the notifier error injector and\n"
		   "never touches the host's kernel. The mounts vanish with the namespace;\n"
		   "what COMMAND left running is killed when it exits or the shell dies.\n"
		   "$MEMHP_ROOT names the served tree (for lsmem --sysroot); PS1 starts with\n"
		   "\"" SHELL_PROMPT_TAG "\" (shells that read it from the environment show it),\n"
		   "and an interactive shell on a terminal is greeted with what it is in.\n"
		   "\n"
		   "Needs root, or unprivileged user namespaces and access to /dev/fuse.\n"
		   "Exit status: COMMAND's (128+N if it died of signal N), 125 if the shell could\n"
		   "not be set up, 126/127 if COMMAND could not be run.\n"
		   "\n"
		   "  -h, --help            this text\n");
	serve_opts_usage(f);
	fputc('\n', f);
	machine_opts_usage(f);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* Into namespaces of our own: a mount namespace, and a user namespace
 * first when we are not root. Must run before any thread exists. */
static int enter_namespaces(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];

	if (uid == 0) {
		if (unshare(CLONE_NEWNS)) {
			fprintf(stderr, PROG ": cannot make a mount namespace: %s\n",
				strerror(errno));
			return -1;
		}
	} else {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS)) {
			fprintf(stderr,
				PROG ": needs root, or unprivileged user namespaces "
				     "(unshare: %s)\n",
				strerror(errno));
			return -1;
		}
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
		if (write_file("/proc/self/setgroups", "deny") ||
		    write_file("/proc/self/uid_map", map)) {
			fprintf(stderr, PROG ": cannot map user %u in a user namespace\n",
				(unsigned)uid);
			return -1;
		}
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
		write_file("/proc/self/gid_map", map);
	}
	/* Nothing we mount may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		fprintf(stderr, PROG ": cannot make mounts private: %s\n", strerror(errno));
		return -1;
	}
	if (access("/dev/fuse", R_OK | W_OK)) {
		fprintf(stderr, PROG ": cannot use /dev/fuse: %s%s\n", strerror(errno),
			uid ? " (needs root)" : "");
		return -1;
	}
	return 0;
}

/*
 * The shell's rule for the kernel log: the machine's or nothing. syslog(2)
 * reads the host's log whatever /dev/kmsg is, so a seccomp filter makes it
 * fail with EPERM (as for a reader without CAP_SYSLOG) for this process
 * and everything it starts: the command, the uevent helpers. It goes in
 * before any thread exists, so every thread has it. Installing a filter
 * takes CAP_SYS_ADMIN in our namespace (we have it, as root or as root of
 * our user namespace) or no_new_privs, which is set only if needed since
 * it would keep setuid programs from working.
 */
#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
/* Go @jt instructions on if equal to @k, @jf if not. */
#define IF_EQ(k, jt, jf) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf))
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define REFUSE BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))
/* On x86_64, programs built for i386 and x32 call syslog(2) by their own
 * numbers. */
#define I386_NR_SYSLOG 103
#define X32_SYSCALL_BIT 0x40000000U

/* Returns 0, or -1 after saying why (the shell must not run without it). */
static int refuse_syslog(void)
{
	struct sock_filter filter[] = {
#if defined(__x86_64__)
		LOAD(arch),
		IF_EQ(AUDIT_ARCH_I386, 5, 0),
		IF_EQ(AUDIT_ARCH_X86_64, 0, 3),
		LOAD(nr),
		IF_EQ(__NR_syslog, 5, 0),
		IF_EQ(X32_SYSCALL_BIT | __NR_syslog, 4, 0),
		ALLOW,
		LOAD(nr), /* i386 */
		IF_EQ(I386_NR_SYSLOG, 1, 0),
		ALLOW,
		REFUSE,
#elif defined(__aarch64__)
		LOAD(arch),
		IF_EQ(AUDIT_ARCH_AARCH64, 0, 2),
		LOAD(nr),
		IF_EQ(__NR_syslog, 1, 0),
		ALLOW,
		REFUSE,
#else
		/* Another architecture: its own numbers only. */
		LOAD(nr),
		IF_EQ(__NR_syslog, 1, 0),
		ALLOW,
		REFUSE,
#endif
	};
	struct sock_fprog prog = { .len = sizeof(filter) / sizeof(filter[0]), .filter = filter };

	if (!prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return 0;
	if (errno == EACCES && !prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) &&
	    !prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return 0;
	fprintf(stderr, PROG ": cannot refuse syslog(2), which would show the host's log: %s\n",
		strerror(errno));
	return -1;
}

struct shell {
	char tmp[SHELL_TMP_MAX];
	int tmp_lock; /* tmp, flock()ed: the directory is in use */
	pid_t keeper;
	int go; /* the keeper's pipe: a byte runs the command */
	char root[PATH_MAX];
	bool tmpfs;
	const char *mounted[SHELL_MAX_MOUNTS];
	unsigned int nr_mounted;
	char modprobe_dir[PATH_MAX]; /* where the stand-in was laid over, if it was */
};

/* What the keeper needs to know: set before it is forked. */
struct keeper_args {
	char **cmd;
	const char *root; /* $MEMHP_ROOT */
	const char *tmp;  /* removed if the shell dies */
	sigset_t mask;	  /* the command's */
	pid_t shell;
	int go;
};

static int bind_one(struct shell *sh, const char *src, const char *target, enum bind_need need)
{
	if (mount(src, target, NULL, MS_BIND, NULL)) {
		if (need == BIND_REQUIRED || (need == BIND_HIDE_HOST && errno != ENOENT)) {
			fprintf(stderr, PROG ": cannot bind %s over %s: %s\n", src, target,
				strerror(errno));
			return -1;
		}
		/* A file the host's kernel lacks hides nothing: no news. */
		if (errno != ENOENT)
			fprintf(stderr, PROG ": note: %s stays the host's (%s)\n", target,
				strerror(errno));
		return 0;
	}
	sh->mounted[sh->nr_mounted++] = target;
	return 0;
}

/*
 * A machine without kmod has no /sbin/modprobe to bind over, and a file
 * created there would be the host's. Lay the stand-in's directory over the
 * real one instead, read-only: the directory shows both, the stand-in
 * first, and only inside the namespace.
 */
static int overlay_modprobe(struct shell *sh)
{
	char *dir = sh->modprobe_dir, opts[PATH_MAX * 3];

	if (!realpath(MODPROBE_DIR, dir)) {
		fprintf(stderr, PROG ": cannot resolve " MODPROBE_DIR ": %s\n", strerror(errno));
		return -1;
	}
	snprintf(opts, sizeof(opts), "lowerdir=%s/sbin:%s", sh->tmp, dir);
	if (mount("overlay", dir, "overlay", MS_RDONLY, opts)) {
		fprintf(stderr, PROG ": cannot put a modprobe stand-in in %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	sh->mounted[sh->nr_mounted++] = dir;
	return 0;
}

static int setup_mounts(struct shell *sh)
{
	char src[PATH_MAX * 2], stub[PATH_MAX];
	struct statfs sfs;
	int fd;

	for (size_t i = 0; i < sizeof(binds) / sizeof(binds[0]); i++) {
		snprintf(src, sizeof(src), "%s/%s", sh->root, binds[i].served);
		if (bind_one(sh, src, binds[i].target, binds[i].need))
			return -1;
	}
	/* Never let a tool write to the host's memory blocks by mistake. */
	if (statfs("/sys/devices/system/memory", &sfs) || sfs.f_type != FUSE_SUPER_MAGIC) {
		fprintf(stderr, PROG ": /sys/devices/system/memory is not the served tree\n");
		return -1;
	}
	/* debugfs: a real one first, for "mount -t debugfs", then ours on it. */
	if (mount("debugfs", DEBUGFS, "debugfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) {
		fprintf(stderr,
			PROG ": note: cannot mount debugfs on " DEBUGFS " (%s): no notifier "
			     "error injection\n",
			strerror(errno));
	} else {
		sh->mounted[sh->nr_mounted++] = DEBUGFS;
		snprintf(src, sizeof(src), "%s/sys/kernel/debug", sh->root);
		if (bind_one(sh, src, DEBUGFS, BIND_REQUIRED))
			return -1;
	}
	snprintf(stub, sizeof(stub), "%s/sbin", sh->tmp);
	if (mkdir(stub, 0755)) {
		fprintf(stderr, PROG ": cannot make %s: %s\n", stub, strerror(errno));
		return -1;
	}
	snprintf(stub, sizeof(stub), "%s/sbin/modprobe", sh->tmp);
	fd = open(stub, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (fd < 0 || write(fd, modprobe_stub, sizeof(modprobe_stub) - 1) !=
			      (ssize_t)sizeof(modprobe_stub) - 1) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", stub, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (access(MODPROBE, F_OK) == 0)
		return bind_one(sh, stub, MODPROBE, BIND_REQUIRED);
	return overlay_modprobe(sh);
}

/* mkdir -p: 0, or -errno. */
static int make_dirs(const char *path)
{
	char p[PATH_MAX], c;

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			return -errno;
		*s = c;
		if (!c)
			return 0;
	}
}

/*
 * The machine's tmpfs mounts besides /dev/shm: one at SHELL_TMPFS_DIR (a
 * note if it cannot be had), and one at each --tmpfs path (which must
 * work). Returns 0 or -1 after saying why.
 */
static int mount_tmpfs(struct serve_extras *ex, const struct serve_opts *so, struct machine *mc)
{
	static const struct serve_tmpfs_opt run_tmp = { .path = SHELL_TMPFS_DIR };
	struct stat st;
	int ret = 0;

	if (stat(SHELL_TMPFS_DIR, &st))
		ret = make_dirs(SHELL_TMPFS_DIR);
	if (ret)
		fprintf(stderr, PROG ": note: no tmpfs at " SHELL_TMPFS_DIR " (%s)\n",
			strerror(-ret));
	else if (serve_tmpfs_mount(ex, mc, &run_tmp, PROG))
		fprintf(stderr, PROG ": note: no tmpfs at " SHELL_TMPFS_DIR "\n");
	for (unsigned int i = 0; i < so->nr_tmpfs; i++)
		if (serve_tmpfs_mount(ex, mc, &so->tmpfs[i], PROG))
			return -1;
	return 0;
}

static void teardown_mounts(struct shell *sh)
{
	while (sh->nr_mounted)
		umount2(sh->mounted[--sh->nr_mounted], MNT_DETACH);
}

/*
 * Remove what dead shells left in SHELL_TMP_DIR: directories of ours (by
 * name and owner) that no live shell or keeper holds locked. rmdir takes
 * only empty ones, and a live shell's tmpfs is in its own namespace: here
 * its directory is empty, and its lock is what keeps us off it.
 */
static void remove_stale_tmp(void)
{
	DIR *d = opendir(SHELL_TMP_DIR);
	const size_t plen = strlen(SHELL_TMP_PREFIX);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char suffix[8];
		struct stat st;
		int pid, n = 0, fd;

		if (strncmp(de->d_name, SHELL_TMP_PREFIX, plen) ||
		    sscanf(de->d_name + plen, "%d.%7[A-Za-z0-9]%n", &pid, suffix, &n) != 2 ||
		    de->d_name[plen + (size_t)n] || strlen(suffix) != 6)
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!fstat(fd, &st) && st.st_uid == geteuid() && !flock(fd, LOCK_EX | LOCK_NB) &&
		    !unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR))
			fprintf(stderr, PROG ": note: removed %s/%s, left by a shell that died\n",
				SHELL_TMP_DIR, de->d_name);
		close(fd);
	}
	closedir(d);
}

/* The directory, locked for as long as the shell or its keeper lives.
 * Returns 0, or -1 after saying why. */
static int make_tmp_dir(struct shell *sh)
{
	for (;;) {
		struct stat st;

		snprintf(sh->tmp, sizeof(sh->tmp), SHELL_TMP_TEMPLATE, (int)getpid());
		if (!mkdtemp(sh->tmp)) {
			fprintf(stderr, PROG ": cannot make %s: %s\n", sh->tmp, strerror(errno));
			sh->tmp[0] = '\0';
			return -1;
		}
		sh->tmp_lock = open(sh->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sh->tmp_lock < 0 || flock(sh->tmp_lock, LOCK_EX)) {
			fprintf(stderr, PROG ": cannot lock %s: %s\n", sh->tmp, strerror(errno));
			return -1;
		}
		/* Another shell's clean-up may have taken it before our lock. */
		if (!fstat(sh->tmp_lock, &st) && st.st_nlink)
			return 0;
		close(sh->tmp_lock);
		sh->tmp_lock = -1;
	}
}

static int make_tmp(struct shell *sh)
{
	remove_stale_tmp();
	if (make_tmp_dir(sh))
		return -1;
	/* In the namespace only: the host sees an empty directory. */
	if (mount("memhp", sh->tmp, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")) {
		fprintf(stderr, PROG ": cannot mount a tmpfs on %s: %s\n", sh->tmp,
			strerror(errno));
		return -1;
	}
	sh->tmpfs = true;
	snprintf(sh->root, sizeof(sh->root), "%s/root", sh->tmp);
	if (mkdir(sh->root, 0755)) {
		fprintf(stderr, PROG ": cannot make %s: %s\n", sh->root, strerror(errno));
		return -1;
	}
	return 0;
}

static void remove_tmp(struct shell *sh)
{
	if (sh->tmpfs)
		umount2(sh->tmp, MNT_DETACH);
	if (sh->tmp[0])
		rmdir(sh->tmp);
	if (sh->tmp_lock >= 0)
		close(sh->tmp_lock);
	sh->tmp_lock = -1;
}

static void tracker_touch(void *arg, pid_t tid)
{
	proc_tracker_touch(arg, tid);
}

/*
 * An interactive shell on a terminal looks like any other: say where it
 * is, once, and how to leave. The machine as the tools will see it.
 */
static void print_banner(struct machine *mc)
{
	struct memhp_meminfo mi;
	char size[RUN_SIZE_STR];
	unsigned long blocks = 0;

	memhp_meminfo(mc->m, &mi);
	for (long id = memhp_next_block(mc->m, 0); id >= 0;
	     id = memhp_next_block(mc->m, (unsigned long)id + 1))
		blocks++;
	fprintf(stderr,
		PROG
		": you are inside a memhp machine, a Linux 6.1 guest: MemTotal %s in %lu "
		"memory blocks, PageOffline protocol %s.\n"
		"lsmem, chmem, free, dmesg and /sys/devices/system/memory see it, not the host; "
		"/dev/shm is its memory.\n"
		"exit leaves (the machine goes with the shell).\n",
		run_fmt_size((uint64_t)mi.total_pages * MEMHP_PAGE_SIZE, size), blocks,
		memhp_machine_protocol(mc->m) == MEMHP_PROTOCOL_2025 ? "2025" : "6.1");
}

/* PS1 for the shells that take it from the environment (sh, dash; bash
 * unless its rc sets one): "(memhp) " before the prompt. */
static void set_prompt(void)
{
	const char *ps1 = getenv("PS1");
	char prompt[SHELL_PROMPT_MAX];

	if (ps1 && *ps1)
		snprintf(prompt, sizeof(prompt), SHELL_PROMPT_TAG "%s", ps1);
	else
		snprintf(prompt, sizeof(prompt), SHELL_PROMPT_TAG "%s", geteuid() ? "$ " : "# ");
	setenv("PS1", prompt, 1);
}

/*
 * SIGKILL everything below the keeper until nothing is left. As a child
 * subreaper it inherits what a dying process leaves, so each round kills
 * what the last one orphaned, and the loop ends once the last is reaped.
 */
static void keeper_kill_all(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	for (;;) {
		FILE *f = fopen(path, "re");
		int pid;

		if (f) {
			while (fscanf(f, "%d", &pid) == 1)
				kill(pid, SIGKILL);
			fclose(f);
		}
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			return;
	}
}

/*
 * The keeper (see the top of the file). Waits for the shell's go on
 * @k->go, runs the command, and returns the shell's exit status for it.
 * The shell had a single thread when it forked us, so anything may be
 * called here.
 */
static int keeper(const struct keeper_args *k)
{
	sigset_t set;
	pid_t cmd;
	char go;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, KEEPER_PARENT_DEATH_SIG);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (prctl(PR_SET_PDEATHSIG, KEEPER_PARENT_DEATH_SIG) || prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		fprintf(stderr, PROG ": cannot keep the command: %s\n", strerror(errno));
		return EXIT_SHELL_FAILED;
	}
	/* The shell may have died before the parent-death signal was set. */
	if (getppid() != k->shell)
		goto shell_died;
	/* EOF: the shell gave up (it cleans up) or died (we do). */
	if (read(k->go, &go, 1) != 1) {
		if (getppid() != k->shell)
			goto shell_died;
		return EXIT_SHELL_FAILED;
	}
	close(k->go);
	cmd = fork();
	if (cmd < 0) {
		fprintf(stderr, PROG ": fork: %s\n", strerror(errno));
		return EXIT_SHELL_FAILED;
	}
	if (!cmd) {
		sigprocmask(SIG_SETMASK, &k->mask, NULL);
		setenv("MEMHP_ROOT", k->root, 1);
		set_prompt();
		execvp(k->cmd[0], k->cmd);
		fprintf(stderr, PROG ": %s: %s\n", k->cmd[0], strerror(errno));
		_exit(errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN);
	}
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si), status;
		pid_t w;

		if (sig < 0)
			continue;
		if (sig == KEEPER_PARENT_DEATH_SIG && getppid() != k->shell)
			goto shell_died;
		/* The thread that forked us went, and another of the shell's
		 * is our parent now: the shell is dying, or not at all. */
		if (sig == KEEPER_PARENT_DEATH_SIG && si.si_pid == k->shell)
			continue;
		/* What the terminal sent, the command had from it too. */
		if (sig != SIGCHLD) {
			if (si.si_code != SI_KERNEL)
				kill(cmd, sig);
			continue;
		}
		while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
			if (w != cmd)
				continue;
			/* What it left running would be on mounts about to go. */
			keeper_kill_all();
			if (WIFEXITED(status))
				return WEXITSTATUS(status);
			return 128 + WTERMSIG(status);
		}
	}
shell_died:
	keeper_kill_all();
	/* The namespace dies with us; the directory is the host's. */
	umount2(k->tmp, MNT_DETACH);
	rmdir(k->tmp);
	return EXIT_SHELL_FAILED;
}

/*
 * Fork the keeper for @cmd: while the shell is small and has one thread.
 * The command starts when start_command() says go. Returns 0 or -1 after
 * saying why.
 */
static int start_keeper(struct shell *sh, char **cmd, const sigset_t *mask)
{
	struct keeper_args k = { .cmd = cmd, .root = sh->root, .tmp = sh->tmp, .mask = *mask };
	int go[2];

	if (pipe2(go, O_CLOEXEC)) {
		fprintf(stderr, PROG ": pipe: %s\n", strerror(errno));
		return -1;
	}
	k.shell = getpid();
	k.go = go[0];
	fflush(NULL);
	sh->keeper = fork();
	if (sh->keeper < 0) {
		fprintf(stderr, PROG ": fork: %s\n", strerror(errno));
		close(go[0]);
		close(go[1]);
		return -1;
	}
	if (!sh->keeper) {
		close(go[1]);
		_exit(keeper(&k));
	}
	close(go[0]);
	sh->go = go[1];
	return 0;
}

/* The machine is served: the keeper may run the command. */
static int start_command(struct shell *sh)
{
	int ret = write(sh->go, "g", 1) == 1 ? 0 : -1;

	close(sh->go);
	sh->go = -1;
	if (ret)
		fprintf(stderr, PROG ": the command's keeper is gone\n");
	return ret;
}

/* After a failure: the keeper exits without running the command. */
static void stop_keeper(struct shell *sh)
{
	if (sh->go >= 0)
		close(sh->go);
	sh->go = -1;
	if (sh->keeper > 0)
		waitpid(sh->keeper, NULL, 0);
	sh->keeper = 0;
}

/* Wait for @child, passing on the signals meant for it. */
static int wait_child(pid_t child, const sigset_t *set)
{
	int sig, status;

	for (;;) {
		pid_t w;

		sigwait(set, &sig);
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		/* Only ours: uevent helpers are reaped by their runner. */
		while ((w = waitpid(child, &status, WNOHANG)) > 0) {
			if (WIFEXITED(status))
				return WEXITSTATUS(status);
			if (WIFSIGNALED(status))
				return 128 + WTERMSIG(status);
		}
	}
}

int shell_parse_args(int argc, char **argv, struct machine_opts *o, struct serve_opts *so,
		     char ***cmd)
{
	machine_opts_init(o);
	memset(so, 0, sizeof(*so));
	*cmd = NULL;
	for (int i = 1; i < argc;) {
		int r = machine_opts_parse(o, PROG, argc, argv, &i);

		if (!r)
			r = serve_opts_parse(so, PROG, argc, argv, &i);
		if (r < 0)
			return -1;
		if (r)
			continue;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 1;
		}
		if (!strcmp(argv[i], "--")) {
			if (i + 1 < argc)
				*cmd = argv + i + 1;
			break;
		}
		run_unknown_option_of(argv[i], usage, PROG " --help");
		return -1;
	}
	return serve_opts_check(so, PROG) ? -1 : 0;
}

int cmd_shell(int argc, char **argv)
{
	struct machine_opts *o = malloc(sizeof(*o));
	struct shell sh;
	struct machine mc = { 0 };
	struct memhp_fs *fs = NULL;
	struct fuse_server *srv = NULL;
	struct serve_opts so = { 0 };
	struct serve_extras ex = { 0 };
	struct proc_tracker pt;
	bool tracking = false;
	struct memhp_shmem *dev_shm;
	char *default_cmd[2] = { NULL, NULL };
	char **cmd = default_cmd, probe[PATH_MAX * 2];
	sigset_t set, oldmask;
	struct stat st;
	int ret = EXIT_SHELL_FAILED;

	memset(&sh, 0, sizeof(sh));
	sh.tmp_lock = -1;
	sh.go = -1;
	if (!o) {
		fprintf(stderr, PROG ": out of memory\n");
		return EXIT_SHELL_FAILED;
	}
	ret = shell_parse_args(argc, argv, o, &so, &cmd);
	if (ret) {
		free(o);
		return ret > 0 ? 0 : EXIT_SHELL_FAILED;
	}
	ret = EXIT_SHELL_FAILED;
	if (!cmd)
		cmd = default_cmd;
	if (cmd == default_cmd) {
		default_cmd[0] = getenv("SHELL");
		if (!default_cmd[0] || !*default_cmd[0])
			default_cmd[0] = "/bin/sh";
	}

	/* The signals are this thread's to take; workers and the keeper
	 * never see them. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &set, &oldmask);
	if (enter_namespaces() || refuse_syslog() || serve_reclaim_mountpoints(&so, NULL, PROG) ||
	    make_tmp(&sh) || start_keeper(&sh, cmd, &oldmask))
		goto out;

	if (machine_opts_create(o, PROG, &mc))
		goto out;
	if (memhp_fs_create(mc.m, &fs)) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	if (serve_dev_shm(&mc, PROG, &dev_shm) ||
	    serve_uevents_start(&ex, &so, fs, sh.root, PROG) ||
	    serve_log_start(&ex, &so, mc.m, PROG) ||
	    fuse_server_start(fs, dev_shm, sh.root, 0, &srv))
		goto out;
	/* The first request waits for FUSE_INIT: once it is answered the
	 * tree is there. */
	snprintf(probe, sizeof(probe), "%s/sys/devices/system/memory/block_size_bytes", sh.root);
	if (stat(probe, &st)) {
		fprintf(stderr, PROG ": the served tree does not answer: %s\n", strerror(errno));
		goto out;
	}
	if (setup_mounts(&sh) || mount_tmpfs(&ex, &so, &mc) ||
	    serve_devices_start(&ex, &so, o, &mc, PROG))
		goto out;
	if (cmd == default_cmd && isatty(STDIN_FILENO) && isatty(STDERR_FILENO))
		print_banner(&mc);
	if (start_command(&sh))
		goto out;
	/* Its programs are the guest's: they cost what they would in Linux.
	 * The keeper stands for the guest's init. */
	if (mc.guest && !o->guest_programs_off) {
		int err = proc_tracker_start(&pt, mc.guest, sh.keeper);

		if (err)
			fprintf(stderr, PROG ": note: programs cost the guest nothing: %s\n",
				strerror(-err));
		tracking = !err;
		if (tracking)
			fuse_server_set_caller_hook(srv, tracker_touch, &pt);
	}
	ret = wait_child(sh.keeper, &set);
	sh.keeper = 0;
out:
	stop_keeper(&sh);
	if (srv)
		fuse_server_set_caller_hook(srv, NULL, NULL);
	serve_extras_stop_qmp(&ex);
	teardown_mounts(&sh);
	serve_tmpfs_stop(&ex);
	fuse_server_stop(srv);
	/* No worker calls the hook any more: the programs can go. */
	if (tracking)
		proc_tracker_stop(&pt);
	serve_extras_stop(&ex);
	memhp_fs_destroy(fs);
	machine_stop_devices(&mc);
	serve_log_stop(&ex);
	machine_destroy(&mc);
	remove_tmp(&sh);
	free(o);
	return ret;
}
