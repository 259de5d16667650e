/* SPDX-License-Identifier: MIT */
/*
 * src/fs/uevent_helper.h - run /sys/kernel/uevent_helper for every uevent
 * of a memhp_fs, as a kernel built with CONFIG_UEVENT_HELPER does
 * (lib/kobject_uevent.c): argv is { helper, SUBSYSTEM }, the environment
 * the event's keys, then HOME=/ and PATH=/sbin:/bin:/usr/sbin:/usr/bin.
 *
 * This is how a script playing udev learns that virtio-mem added memory
 * and onlines it: there is no netlink socket to listen on.
 *
 * Two differences from the kernel, both for the users of a user-space
 * model: helpers run one at a time, in sequence order (the kernel starts
 * each without waiting, UMH_NO_WAIT), and the environment also holds
 * MEMHP_ROOT, the directory the tree is served at, so that a helper
 * started outside "memhp shell" finds the files ($MEMHP_ROOT/sys$DEVPATH).
 */
#ifndef MEMHP_FS_UEVENT_HELPER_H
#define MEMHP_FS_UEVENT_HELPER_H

#include <memhp/fs.h>

/* Events waiting for their helper at most; more are dropped with a word
 * on stderr (the kernel's usermode helpers would fail to allocate). */
#define UEVENT_HELPER_MAX_QUEUED 4096

struct uevent_helper;

/*
 * Listen to @fs's uevents and run the helper for each from a thread of our
 * own. @root is what MEMHP_ROOT says (copied). Callers block the signals
 * they handle before, as for fuse_server_start(); helpers start with an
 * empty signal mask. Returns 0 or -ENOMEM / the error of pthread_create.
 */
int uevent_helper_start(struct memhp_fs *fs, const char *root, struct uevent_helper **out);

/* Stop listening, drop events not yet run, SIGTERM a helper still running
 * and reap it. NULL is allowed. */
void uevent_helper_stop(struct uevent_helper *u);

#endif
