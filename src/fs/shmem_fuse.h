/* SPDX-License-Identifier: MIT */
/*
 * src/fs/shmem_fuse.h - a tmpfs of the machine (memhp/shmem.h) over FUSE:
 * a mount of its own (memhp shell --tmpfs, /run/memhp/tmp), or a subtree
 * of the sysfs tree's server (/dev/shm), which hands it the requests for
 * its node ids.
 *
 * Files are direct_io, so every read and write reaches the machine's
 * memory and MemFree follows each write at once; hence no MAP_SHARED mmap
 * (the kernel gives ENODEV: libfuse 3.14 cannot ask for
 * FUSE_DIRECT_IO_ALLOW_MMAP, and the page cache would keep the bytes in
 * the host's memory instead of the machine's).
 */
#ifndef MEMHP_FS_SHMEM_FUSE_H
#define MEMHP_FS_SHMEM_FUSE_H

#include "fuse_pool.h"

#include <memhp/shmem.h>

struct shmem_fuse;

/* Node ids of a tmpfs that is a subtree of another server: its inode
 * numbers with this bit, which the tree's numbers never have. */
#define SHMEM_FUSE_SUBTREE_BASE (1ULL << 62)

/*
 * Mount @sb at @mountpoint and serve it (@ended as for fuse_pool_start()).
 * Returns 0 or -errno, with the reason on stderr.
 */
int shmem_fuse_start(struct memhp_shmem *sb, const char *mountpoint, int ended,
		     struct shmem_fuse **out);
/* Stop serving and unmount; @sb stays. */
void shmem_fuse_stop(struct shmem_fuse *sf);

/* @sb as a subtree of another server: node ids SHMEM_FUSE_SUBTREE_BASE |
 * inode. NULL when out of memory. Free with shmem_fuse_stop(). */
struct shmem_fuse *shmem_fuse_subtree(struct memhp_shmem *sb);
/* Is @nodeid one of the subtree's? */
bool shmem_fuse_owns(const struct shmem_fuse *sf, fuse_ino_t nodeid);
/* The node id of its root, what readdir shows where it is spliced in. */
fuse_ino_t shmem_fuse_root(const struct shmem_fuse *sf);
/* The host server's lookup found the splice point: answer with the root. */
void shmem_fuse_lookup_root(struct shmem_fuse *sf, fuse_req_t req);

/* The low-level operations, for the host server to pass requests on to:
 * fuse_lowlevel_ops' arguments after the subtree. */
extern const struct shmem_fuse_ops {
	void (*lookup)(struct shmem_fuse *, fuse_req_t, fuse_ino_t, const char *);
	void (*forget)(struct shmem_fuse *, fuse_ino_t, uint64_t); /* no reply */
	void (*getattr)(struct shmem_fuse *, fuse_req_t, fuse_ino_t, struct fuse_file_info *);
	void (*setattr)(struct shmem_fuse *, fuse_req_t, fuse_ino_t, struct stat *, int,
			struct fuse_file_info *);
	void (*readlink)(struct shmem_fuse *, fuse_req_t, fuse_ino_t);
	void (*mknod)(struct shmem_fuse *, fuse_req_t, fuse_ino_t, const char *, mode_t, dev_t);
	void (*mkdir)(struct shmem_fuse *, fuse_req_t, fuse_ino_t, const char *, mode_t);
	void (*unlink)(struct shmem_fuse *, fuse_req_t, fuse_ino_t, const char *);
	void (*rmdir)(struct shmem_fuse *, fuse_req_t, fuse_ino_t, const char *);
	void (*symlink)(struct shmem_fuse *, fuse_req_t, const char *, fuse_ino_t, const char *);
	void (*rename)(struct shmem_fuse *, fuse_req_t, fuse_ino_t, const char *, fuse_ino_t,
		       const char *, unsigned int);
	void (*link)(struct shmem_fuse *, fuse_req_t, fuse_ino_t, fuse_ino_t, const char *);
	void (*open)(struct shmem_fuse *, fuse_req_t, fuse_ino_t, struct fuse_file_info *);
	void (*read)(struct shmem_fuse *, fuse_req_t, fuse_ino_t, size_t, off_t,
		     struct fuse_file_info *);
	void (*write)(struct shmem_fuse *, fuse_req_t, fuse_ino_t, const char *, size_t, off_t,
		      struct fuse_file_info *);
	void (*release)(struct shmem_fuse *, fuse_req_t, fuse_ino_t, struct fuse_file_info *);
	void (*opendir)(struct shmem_fuse *, fuse_req_t, fuse_ino_t, struct fuse_file_info *);
	void (*readdir)(struct shmem_fuse *, fuse_req_t, fuse_ino_t, size_t, off_t,
			struct fuse_file_info *);
	void (*statfs)(struct shmem_fuse *, fuse_req_t, fuse_ino_t);
	void (*create)(struct shmem_fuse *, fuse_req_t, fuse_ino_t, const char *, mode_t,
		       struct fuse_file_info *);
	void (*fallocate)(struct shmem_fuse *, fuse_req_t, fuse_ino_t, int, off_t, off_t,
			  struct fuse_file_info *);
	void (*lseek)(struct shmem_fuse *, fuse_req_t, fuse_ino_t, off_t, int,
		      struct fuse_file_info *);
} shmem_fuse_ops;

#endif
