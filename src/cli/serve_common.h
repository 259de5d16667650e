/* SPDX-License-Identifier: MIT */
/*
 * src/cli/serve_common.h - what "memhp serve" and "memhp shell" run beside
 * the FUSE tree: the uevent helper (/sys/kernel/uevent_helper, set at
 * start with --uevent-helper) and the QMP monitor (--qmp unix:PATH).
 */
#ifndef MEMHP_CLI_SERVE_COMMON_H
#define MEMHP_CLI_SERVE_COMMON_H

#include "../fs/uevent_helper.h"
#include "../qmp/qmp.h"
#include "kmsg_log.h"
#include "machine_opts.h"

#include <stdio.h>

struct serve_opts {
	const char *qmp;	   /* "unix:PATH[,server=on,wait=off]" or NULL */
	const char *uevent_helper; /* written to /sys/kernel/uevent_helper */
	const char *log;	   /* the kernel log's file ("-": stderr) or NULL */
};

/* As machine_opts_parse(): 1 (taken), 0 (not ours) or -1 (said why). */
int serve_opts_parse(struct serve_opts *so, const char *prog, int argc, char **argv, int *i);
void serve_opts_usage(FILE *f);

struct serve_extras {
	struct uevent_helper *uevents;
	struct kmsg_log *log;
	struct qmp_server *qmp;
	struct qmp_vm vm;
	struct qmp_device devices[MACHINE_MAX_DEVICES];
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
