/* SPDX-License-Identifier: MIT */
/*
 * src/fs/fuse_pool.h - a FUSE session (libfuse 3, low-level API) mounted
 * and served by a fixed pool of worker threads: what the sysfs tree's
 * server and the tmpfs servers share.
 */
#ifndef MEMHP_FS_FUSE_POOL_H
#define MEMHP_FS_FUSE_POOL_H

#define FUSE_USE_VERSION 312

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

/* The most workers a pool has. */
#define FUSE_POOL_MAX_WORKERS 8

struct fuse_pool {
	struct fuse_session *se;
	pthread_t workers[FUSE_POOL_MAX_WORKERS];
	unsigned int nr_workers;
	int ended;
	_Atomic bool stopping; /* fuse_pool_stop() runs */
	_Atomic bool ended_sent;
};

/*
 * Mount a session of @ops (with @userdata) at @mountpoint as file system
 * @fsname of type fuse.memhp, with allow_other (where fuse.conf allows it
 * an unprivileged user) and default_permissions, and serve it from
 * @nr_workers threads. Callers block the signals they handle first, so
 * that no worker takes them. When the file system goes away from outside
 * (umount), @ended is raised to the process (0: nothing). Returns 0 or
 * -errno (-EINVAL: no session, -EPERM: the mount failed, or
 * pthread_create()'s), with the reason on stderr.
 */
int fuse_pool_start(struct fuse_pool *p, const struct fuse_lowlevel_ops *ops, size_t op_size,
		    void *userdata, const char *mountpoint, const char *fsname,
		    unsigned int nr_workers, int ended);

/* Stop the workers (a worker in a request finishes it first: interrupt
 * what could take long before), unmount, free the session. */
void fuse_pool_stop(struct fuse_pool *p);

#endif
