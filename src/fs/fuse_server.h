/* SPDX-License-Identifier: MIT */
/*
 * src/fs/fuse_server.h - serve a memhp_fs over FUSE (libfuse 3, low-level
 * API) from a pool of worker threads.
 *
 * The mount looks like a guest's root: MOUNT/sys/devices/system/memory,
 * MOUNT/proc/meminfo, ... so "lsmem --sysroot MOUNT" works as it is, and
 * "memhp shell" binds its parts over the real ones.
 */
#ifndef MEMHP_FS_FUSE_SERVER_H
#define MEMHP_FS_FUSE_SERVER_H

#include <memhp/fs.h>
#include <memhp/shmem.h>

#include <signal.h>

struct fuse_server;

/*
 * Mount @fs at @mountpoint and start serving, with the tmpfs @dev_shm (or
 * NULL) at MOUNT/dev/shm. Callers block the signals they handle (SIGINT,
 * SIGTERM, ...) before, so that no worker takes them. When the file system
 * goes away from outside (umount), @ended is raised to the process (0:
 * nothing is raised). Returns 0 or -errno, with the reason on stderr.
 */
int fuse_server_start(struct memhp_fs *fs, struct memhp_shmem *dev_shm, const char *mountpoint,
		      int ended, struct fuse_server **out);

/*
 * Call @fn(@arg, tid) for the calling thread of every open and write, on
 * the worker serving it and before serving it (NULL: no more calls). Set
 * it before anything can call, or while nothing does.
 */
typedef void (*fuse_caller_fn)(void *arg, pid_t tid);
void fuse_server_set_caller_hook(struct fuse_server *s, fuse_caller_fn fn, void *arg);

/* Interrupt writes in progress, stop the workers, unmount. */
void fuse_server_stop(struct fuse_server *s);

#endif
