/* SPDX-License-Identifier: MIT */
/*
 * src/cli/serve_common.h - what "memhp serve" and "memhp shell" run beside
 * the FUSE tree: the uevent helper (/sys/kernel/uevent_helper, set at
 * start with --uevent-helper), the QMP monitor (--qmp unix:PATH) and the
 * machine's tmpfs mounts (--tmpfs PATH[,size=SIZE][,pinned]).
 */
#ifndef MEMHP_CLI_SERVE_COMMON_H
#define MEMHP_CLI_SERVE_COMMON_H

#include "../fs/shmem_fuse.h"
#include "../fs/uevent_helper.h"
#include "../qmp/qmp.h"
#include "kmsg_log.h"
#include "machine_opts.h"

#include <limits.h>
#include <stdio.h>

/* --tmpfs options a command takes, at most. */
#define SERVE_MAX_TMPFS 8
/* The tmpfs mounts of a command: --tmpfs's and the shell's own. */
#define SERVE_MAX_TMPFS_MOUNTS (SERVE_MAX_TMPFS + 1)

/* --tmpfs PATH[,size=SIZE|N%][,pinned] */
struct serve_tmpfs_opt {
	const char *path;
	char path_buf[PATH_MAX];
	uint64_t size; /* bytes, or a percentage of RAM; 0: no limit (size=0) */
	bool has_size; /* else tmpfs's default, half of RAM */
	bool percent;
	bool pinned; /* memhp's: no page of it can be migrated */
};

struct serve_opts {
	const char *qmp;	   /* "unix:PATH[,server=on,wait=off]" or NULL */
	const char *uevent_helper; /* written to /sys/kernel/uevent_helper */
	struct serve_tmpfs_opt tmpfs[SERVE_MAX_TMPFS];
	unsigned int nr_tmpfs;
	const char *log; /* the kernel log's file ("-": stderr) or NULL */
};

/*
 * The whole command line of "memhp serve" (@mountpoint: --mount's) and of
 * "memhp shell" (@cmd: what follows "--", or NULL), after machine_opts_init()
 * and a zeroed @so. Returns 0, 1 (--help: printed) or -1 (bad usage: said
 * why). No mount, no machine: tests/fuzz/fuzz_opts.c feeds them.
 */
int serve_parse_args(int argc, char **argv, struct machine_opts *o, struct serve_opts *so,
		     const char **mountpoint);
int shell_parse_args(int argc, char **argv, struct machine_opts *o, struct serve_opts *so,
		     char ***cmd);

/* As machine_opts_parse(): 1 (taken), 0 (not ours) or -1 (said why). */
int serve_opts_parse(struct serve_opts *so, const char *prog, int argc, char **argv, int *i);
/* What can be checked before a machine exists: the --uevent-helper file is
 * an executable file (Linux would find out only at the first uevent; ""
 * means none, as in Linux). 0, or -1 after saying why. */
int serve_opts_check(const struct serve_opts *so, const char *prog);
void serve_opts_usage(FILE *f);

/*
 * A memhp killed by SIGKILL leaves its FUSE mounts behind, dead: every
 * access to @dir fails with ENOTCONN and nothing can be mounted there. If
 * the dead mount is memhp's (fuse.memhp), unmount it (lazily) and say so;
 * if it is another program's, or cannot be unmounted, refuse and name the
 * command that clears it. Returns 0 (@dir is usable, or not for this
 * reason), or -ENOTCONN after saying why.
 */
int serve_reclaim_mountpoint(const char *dir, const char *prog);
/* The same for @mountpoint (if not NULL) and every --tmpfs path: before
 * anything is built. */
int serve_reclaim_mountpoints(const struct serve_opts *so, const char *mountpoint,
			      const char *prog);

struct serve_extras {
	struct uevent_helper *uevents;
	struct kmsg_log *log;
	struct qmp_server *qmp;
	struct qmp_vm vm;
	struct qmp_device devices[MACHINE_MAX_DEVICES];
	struct qmp_balloon balloon;
	struct qmp_dimm dimms[MACHINE_MAX_DEVICES];
	struct qmp_backend backends[MACHINE_MAX_DEVICES];
	struct shmem_fuse *tmpfs[SERVE_MAX_TMPFS_MOUNTS];
	unsigned int nr_tmpfs;
};

/*
 * Listen for uevents on @fs and run the helper for them (helpers see
 * MEMHP_ROOT=@root); set the helper to --uevent-helper's. Before the
 * tree is served, so no event is missed. Returns 0, or -errno after
 * printing why.
 */
int serve_uevents_start(struct serve_extras *ex, const struct serve_opts *so, struct memhp_fs *fs,
			const char *root, const char *prog);
/*
 * Once the tree is where helpers look: start the virtio-mem devices of @mc
 * (machine_opts_start_devices()), then the QMP monitor, whose quit raises
 * SIGTERM to the process. Callers block the signals they take first.
 * Returns 0, or -errno after printing why.
 */
int serve_devices_start(struct serve_extras *ex, const struct serve_opts *so,
			const struct machine_opts *o, struct machine *mc, const char *prog);
/*
 * The machine's tmpfs for /dev/shm, with tmpfs's defaults (the fuse
 * server splices it in). Returns 0 or -errno after printing why.
 */
int serve_dev_shm(struct machine *mc, const char *prog, struct memhp_shmem **out);
/*
 * Mount a new tmpfs instance of @mc at @opt->path (an existing directory)
 * and serve it, until serve_tmpfs_stop(). Returns 0 or -errno after
 * printing why.
 */
int serve_tmpfs_mount(struct serve_extras *ex, struct machine *mc,
		      const struct serve_tmpfs_opt *opt, const char *prog);
/* Unmount every tmpfs mount (their instances go with the machine). */
void serve_tmpfs_stop(struct serve_extras *ex);
/*
 * --log FILE: follow @m's kernel log into FILE from its first record
 * (kmsg_log_start()). After serve_uevents_start(). Returns 0, or -errno
 * after printing why.
 */
int serve_log_start(struct serve_extras *ex, const struct serve_opts *so, struct memhp_machine *m,
		    const char *prog);
/* Write the rest of the log and close it: once nothing prints any more,
 * before the machine is destroyed. */
void serve_log_stop(struct serve_extras *ex);
/* Close the monitor: after it, nothing from outside changes the machine. */
void serve_extras_stop_qmp(struct serve_extras *ex);
/* Stop the uevent helper (after the tree is no longer served). */
void serve_extras_stop(struct serve_extras *ex);

#endif
