// SPDX-License-Identifier: MIT
/*
 * shell.c - memhp shell [machine options] [-- COMMAND...]: run COMMAND
 * (default: $SHELL) where every tool sees the memhp machine's memory.
 *
 * The program moves into a mount namespace of its own first (a user
 * namespace too when not root), so that nothing it mounts is seen outside
 * and everything goes when the last process of the namespace exits:
 *
 *   /tmp/memhp-shell.XXXXXX      a tmpfs, private to the namespace, holding
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
#include "serve_common.h"

#include <memhp/fs.h>

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
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG "memhp shell"
#define FUSE_SUPER_MAGIC 0x65735546
#define SHELL_TMP_TEMPLATE "/tmp/memhp-shell.XXXXXX"
/* Exit statuses of the shell itself, as env(1) and timeout(1) use them. */
#define EXIT_SHELL_FAILED 125
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127
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
	/* Names only: every access then fails with ENOENT. */
	{ "proc/kcore", "/proc/kcore", BIND_OPTIONAL },
	{ "proc/kpagecgroup", "/proc/kpagecgroup", BIND_OPTIONAL },
	/* Only where the host's kernel has them (Debian's lacks
	 * CONFIG_UEVENT_HELPER); $MEMHP_ROOT/sys/kernel has them always. */
	{ "sys/kernel/uevent_helper", "/sys/kernel/uevent_helper", BIND_OPTIONAL },
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
		   "/sys/module, /sys/firmware, /sys/kernel/debug and /proc/{meminfo,zoneinfo,\n"
		   "buddyinfo,pagetypeinfo,vmstat,iomem,kpageflags,kpagecount,slabinfo,cmdline}\n"
		   "are the machine's, /proc/kcore and /proc/kpagecgroup are gone: lsmem, chmem,\n"
		   "free, vmstat, page-types and the kernel's memory-hotplug selftest see the\n"
		   "machine instead of the host.\n"
		   "/dev/shm and " SHELL_TMPFS_DIR " are tmpfs mounts of the machine: files\n"
		   "written there are in its memory (Shmem), and offlining migrates them.\n"
		   "/dev/kmsg is the machine's kernel log (dmesg, dmesg -w); syslog(2) and\n"
		   "/proc/kmsg, which would show the host's, fail with EPERM (dmesg -S).\n"
		   "/sbin/modprobe is a stand-in there that sets the notifier error injector and\n"
		   "never touches the host's kernel. The mounts vanish with the namespace.\n"
		   "$MEMHP_ROOT names the served tree (for lsmem --sysroot).\n"
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
	char tmp[sizeof(SHELL_TMP_TEMPLATE)];
	char root[PATH_MAX];
	bool tmpfs;
	const char *mounted[SHELL_MAX_MOUNTS];
	unsigned int nr_mounted;
	char modprobe_dir[PATH_MAX]; /* where the stand-in was laid over, if it was */
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

static int make_tmp(struct shell *sh)
{
	strcpy(sh->tmp, SHELL_TMP_TEMPLATE);
	if (!mkdtemp(sh->tmp)) {
		fprintf(stderr, PROG ": cannot make %s: %s\n", SHELL_TMP_TEMPLATE, strerror(errno));
		return -1;
	}
	/* In the namespace only: the host sees an empty directory. */
	if (mount("memhp", sh->tmp, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")) {
		fprintf(stderr, PROG ": cannot mount a tmpfs on %s: %s\n", sh->tmp,
			strerror(errno));
		rmdir(sh->tmp);
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
}

static void tracker_touch(void *arg, pid_t tid)
{
	proc_tracker_touch(arg, tid);
}

static pid_t run_command(char **cmd, const sigset_t *oldmask, const char *root)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	setenv("MEMHP_ROOT", root, 1);
	execvp(cmd[0], cmd);
	fprintf(stderr, PROG ": %s: %s\n", cmd[0], strerror(errno));
	_exit(errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN);
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
	pid_t child;

	memset(&sh, 0, sizeof(sh));
	if (!o) {
		fprintf(stderr, PROG ": out of memory\n");
		return EXIT_SHELL_FAILED;
	}
	machine_opts_init(o);
	for (int i = 1; i < argc;) {
		int r = machine_opts_parse(o, PROG, argc, argv, &i);

		if (!r)
			r = serve_opts_parse(&so, PROG, argc, argv, &i);
		if (r < 0)
			goto out_usage;
		if (r)
			continue;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			free(o);
			return 0;
		}
		if (!strcmp(argv[i], "--")) {
			if (i + 1 < argc)
				cmd = argv + i + 1;
			break;
		}
		fprintf(stderr, PROG ": unknown option '%s'\n", argv[i]);
		goto out_usage;
	}
	if (cmd == default_cmd) {
		default_cmd[0] = getenv("SHELL");
		if (!default_cmd[0] || !*default_cmd[0])
			default_cmd[0] = "/bin/sh";
	}

	if (enter_namespaces() || refuse_syslog() || make_tmp(&sh))
		goto out;
	/* The signals are this thread's to take; workers and the command's
	 * parent side never see them. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &set, &oldmask);

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
	child = run_command(cmd, &oldmask, sh.root);
	if (child < 0) {
		fprintf(stderr, PROG ": fork: %s\n", strerror(errno));
		goto out;
	}
	/* Its programs are the guest's: they cost what they would in Linux. */
	if (mc.guest && !o->guest_programs_off) {
		int err = proc_tracker_start(&pt, mc.guest, child);

		if (err)
			fprintf(stderr, PROG ": note: programs cost the guest nothing: %s\n",
				strerror(-err));
		tracking = !err;
		if (tracking)
			fuse_server_set_caller_hook(srv, tracker_touch, &pt);
	}
	ret = wait_child(child, &set);
out:
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
out_usage:
	free(o);
	fprintf(stderr, "Try 'memhp shell --help'.\n");
	return EXIT_SHELL_FAILED;
}
