/* SPDX-License-Identifier: MIT */
/*
 * memhp/shmem.h - tmpfs of the machine (mm/shmem.c): files whose bytes live
 * in the guest's own memory.
 *
 * A memhp_shmem is one tmpfs instance (a superblock and its tree). Each
 * page of a file is a page of the machine, allocated GFP_HIGHUSER_MOVABLE
 * as shmem allocates it (so ZONE_MOVABLE first), holding the file's bytes
 * at memhp_page_address(), and owned by the instance's movable owner, an
 * LRU owner as shmem's swap-backed pages are: offlining, alloc_contig_range()
 * and soft offlining migrate it, and a read returns what was written
 * however often the page moved. A hole takes no page and reads as zeroes.
 * Pages count in NR_SHMEM and NR_FILE_PAGES (Shmem and Cached in
 * /proc/meminfo) while their file holds them.
 *
 * Every page carries a checksum of its 4 KiB that the instance updates on
 * each write; memhp_shmem_verify() proves that migration lost nothing.
 * A page a memory failure takes (memhp_memory_failure()) is lost as a
 * tmpfs page is after hwpoison in 6.1: it stays in its file, still counted,
 * and reading or writing it is -EIO until the file lets go of it
 * (truncation, hole punching, unlink).
 *
 * The calls are those a file system daemon needs (FUSE's low-level API),
 * on inode numbers. A lookup, or a call that makes an entry, takes a
 * reference on the inode that memhp_shmem_forget() drops; an unlinked
 * inode goes, with its pages, when its last reference does, so an open
 * file outlives its name. Permission checks are the caller's (the
 * kernel's, with FUSE's default_permissions).
 *
 * All calls are thread-safe; migration, memory failure and soft offlining
 * may take any page at any moment. A write to a page that is being
 * migrated waits until it has moved, as shmem_write_begin() waits for the
 * page lock migration holds.
 *
 * Not modelled: swap, huge pages, mmap (the pages have no mappings),
 * extended attributes and ACLs, quotas, the page cache's LRU lists.
 */
#ifndef MEMHP_SHMEM_H
#define MEMHP_SHMEM_H

#include <memhp/alloc.h>

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

struct memhp_shmem;

#define MEMHP_SHMEM_ROOT_INO 1
/* size= and nr_inodes= when not given: half of the machine's RAM
 * (totalram_pages() when the instance is made), as tmpfs defaults them
 * (shmem_default_max_blocks(), shmem_default_max_inodes()). */
#define MEMHP_SHMEM_DEFAULT_SIZE_DIVISOR 2
/* A name in a directory (NAME_MAX). */
#define MEMHP_SHMEM_NAME_MAX 255
/* A symbolic link's target, its NUL included, fits a page (PATH_MAX). */
#define MEMHP_SHMEM_SYMLINK_MAX 4096
/* The largest file (MAX_LFS_FILESIZE on 64-bit). */
#define MEMHP_SHMEM_MAX_FILE_SIZE INT64_MAX

/* The mount options tmpfs takes that memhp models. */
struct memhp_shmem_options {
	uint64_t max_blocks; /* size=, in pages; 0: no limit (size=0) */
	uint64_t max_inodes; /* nr_inodes=; 0: no limit */
	mode_t mode;	     /* mode= of the root (default 01777) */
	uid_t uid;	     /* uid= and gid= of the root (default 0) */
	gid_t gid;
	/* memhp's: every file refuses migration (-EAGAIN), as long-term
	 * pinned pages do in 6.1: an offline of its blocks retries until
	 * interrupted. */
	bool pinned;
};

/* The defaults for @m: size and nr_inodes half of its RAM, mode 01777. */
MEMHP_API void memhp_shmem_options_init(struct memhp_machine *m, struct memhp_shmem_options *o);
/*
 * Mount a tmpfs instance on @m (@o NULL: the defaults). Returns 0, -ENOSPC
 * (MEMHP_MAX_MOVABLE_OWNERS owners already), -ENOMEM.
 */
MEMHP_API int memhp_shmem_create(struct memhp_machine *m, const struct memhp_shmem_options *o,
				 struct memhp_shmem **out);
/* Unmount: every file goes and every page is freed. Nothing may use @sb
 * any more, nor migrate its pages (offlining must not run). */
MEMHP_API void memhp_shmem_destroy(struct memhp_shmem *sb);

struct memhp_shmem_attr {
	uint64_t ino;
	mode_t mode; /* S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO, ... | permissions */
	nlink_t nlink;
	uid_t uid;
	gid_t gid;
	dev_t rdev;
	uint64_t size;
	uint64_t blocks; /* pages the inode holds (poisoned ones too) */
	struct timespec atime, mtime, ctime;
};

/*
 * The entry @name in directory @parent ("." and ".." too); takes a
 * reference. Returns 0, -ENOENT, -ENOTDIR, -ENAMETOOLONG.
 */
MEMHP_API int memhp_shmem_lookup(struct memhp_shmem *sb, uint64_t parent, const char *name,
				 struct memhp_shmem_attr *attr);
/* Drop @nlookup references (FUSE's forget). */
MEMHP_API void memhp_shmem_forget(struct memhp_shmem *sb, uint64_t ino, uint64_t nlookup);
/* 0, or -ENOENT when @ino names nothing (any more). */
MEMHP_API int memhp_shmem_getattr(struct memhp_shmem *sb, uint64_t ino,
				  struct memhp_shmem_attr *attr);

/* What memhp_shmem_setattr() changes (FUSE_SET_ATTR_*). */
#define MEMHP_SHMEM_SET_MODE (1u << 0)
#define MEMHP_SHMEM_SET_UID (1u << 1)
#define MEMHP_SHMEM_SET_GID (1u << 2)
#define MEMHP_SHMEM_SET_SIZE (1u << 3)
#define MEMHP_SHMEM_SET_ATIME (1u << 4)
#define MEMHP_SHMEM_SET_MTIME (1u << 5)
#define MEMHP_SHMEM_SET_ATIME_NOW (1u << 6)
#define MEMHP_SHMEM_SET_MTIME_NOW (1u << 7)
#define MEMHP_SHMEM_SET_CTIME (1u << 8)
/*
 * shmem_setattr(): the permission bits of @in->mode, the owner, the times
 * and the size; a smaller size frees the pages past it and zeroes the rest
 * of the last page, a larger one makes a hole. The new attributes go to
 * @out. Returns 0, -ENOENT, -EISDIR (the size of a directory), -EINVAL
 * (the size of a link or a special file), -EFBIG.
 */
MEMHP_API int memhp_shmem_setattr(struct memhp_shmem *sb, uint64_t ino, unsigned int valid,
				  const struct memhp_shmem_attr *in, struct memhp_shmem_attr *out);

/*
 * Make an entry, owned by @uid and @gid (the group of a set-group-ID
 * directory instead, which a subdirectory inherits, as inode_init_owner()
 * has it); each takes a reference on the new inode. mknod makes regular
 * files, FIFOs, sockets and device nodes (@mode's type; @rdev for
 * devices). Return 0, -ENOENT (@parent is gone or was removed), -ENOTDIR,
 * -EEXIST, -ENAMETOOLONG, -EINVAL (an empty name, a '/' in it, an unknown
 * type), -ENOSPC (nr_inodes reached), -ENOMEM; symlink also
 * -ENAMETOOLONG for a target of MEMHP_SHMEM_SYMLINK_MAX or more; link also
 * -EPERM (a directory) and -EMLINK.
 */
MEMHP_API int memhp_shmem_mknod(struct memhp_shmem *sb, uint64_t parent, const char *name,
				mode_t mode, dev_t rdev, uid_t uid, gid_t gid,
				struct memhp_shmem_attr *attr);
MEMHP_API int memhp_shmem_mkdir(struct memhp_shmem *sb, uint64_t parent, const char *name,
				mode_t mode, uid_t uid, gid_t gid, struct memhp_shmem_attr *attr);
MEMHP_API int memhp_shmem_symlink(struct memhp_shmem *sb, uint64_t parent, const char *name,
				  const char *target, uid_t uid, gid_t gid,
				  struct memhp_shmem_attr *attr);
MEMHP_API int memhp_shmem_link(struct memhp_shmem *sb, uint64_t ino, uint64_t newparent,
			       const char *newname, struct memhp_shmem_attr *attr);
/* The target of link @ino, NUL terminated: its length, or -ENOENT, -EINVAL
 * (not a link), -ENAMETOOLONG (@size too small). */
MEMHP_API ssize_t memhp_shmem_readlink(struct memhp_shmem *sb, uint64_t ino, char *buf,
				       size_t size);

/* Remove a name. unlink: 0, -ENOENT, -ENOTDIR, -EISDIR. rmdir: 0, -ENOENT,
 * -ENOTDIR, -ENOTEMPTY (".." too), -EINVAL ("."). */
MEMHP_API int memhp_shmem_unlink(struct memhp_shmem *sb, uint64_t parent, const char *name);
MEMHP_API int memhp_shmem_rmdir(struct memhp_shmem *sb, uint64_t parent, const char *name);

/* renameat2() flags tmpfs takes. */
#define MEMHP_SHMEM_RENAME_NOREPLACE (1u << 0)
#define MEMHP_SHMEM_RENAME_EXCHANGE (1u << 1)
/*
 * Move @name of @parent to @newname of @newparent, replacing what is
 * there (which goes when unreferenced), or swap the two with EXCHANGE.
 * Returns 0, -ENOENT, -ENOTDIR, -EISDIR, -ENOTEMPTY, -EEXIST (NOREPLACE),
 * -EINVAL (a directory into itself, unknown or conflicting flags),
 * -ENAMETOOLONG, -ENOMEM.
 */
MEMHP_API int memhp_shmem_rename(struct memhp_shmem *sb, uint64_t parent, const char *name,
				 uint64_t newparent, const char *newname, unsigned int flags);

/*
 * The entries of directory @ino after position @off (0: from the start;
 * "." and ".." included), in creation order. @fill gets each with the
 * position to resume after it, and returns nonzero to stop. Positions stay
 * valid while entries come and go. Returns 0, -ENOENT, -ENOTDIR.
 */
typedef int (*memhp_shmem_fill_fn)(void *ctx, const char *name, const struct memhp_shmem_attr *attr,
				   uint64_t next_off);
MEMHP_API int memhp_shmem_readdir(struct memhp_shmem *sb, uint64_t ino, uint64_t off,
				  memhp_shmem_fill_fn fill, void *ctx);

/*
 * shmem_file_read_iter(): up to @size bytes at @off. Returns the count
 * (0 at or past the end), or -EIO when the first page to read was lost to
 * a memory failure (a read that meets one later stops short before it),
 * -ENOENT, -EISDIR, -EINVAL (not a regular file, @off < 0).
 */
MEMHP_API ssize_t memhp_shmem_read(struct memhp_shmem *sb, uint64_t ino, void *buf, size_t size,
				   off_t off);
/*
 * generic_perform_write() with shmem_write_begin/end: @size bytes at @off,
 * allocating the pages of holes. Returns the count, which is short when
 * a page cannot be had or was poisoned after some bytes went in; else
 * -ENOSPC (size= reached, or the machine has no free page: memhp has no
 * reclaim), -EIO (a poisoned page), -EFBIG (@off beyond the largest file),
 * -ENOENT, -EISDIR, -EINVAL, -ENOMEM.
 */
MEMHP_API ssize_t memhp_shmem_write(struct memhp_shmem *sb, uint64_t ino, const void *buf,
				    size_t size, off_t off);

/* fallocate() modes tmpfs takes (FALLOC_FL_*). */
#define MEMHP_SHMEM_FALLOC_KEEP_SIZE 0x01
#define MEMHP_SHMEM_FALLOC_PUNCH_HOLE 0x02
/*
 * shmem_fallocate(): mode 0 allocates zeroed pages for the holes of
 * [@off, @off + @len) and grows the file to its end (not with KEEP_SIZE);
 * on failure the pages it allocated go again. PUNCH_HOLE|KEEP_SIZE frees
 * the pages inside the range and zeroes the parts of pages at its edges.
 * Returns 0, -EINVAL, -EFBIG, -ENOSPC, -EOPNOTSUPP (other modes), -ENOENT,
 * -EISDIR, -ENODEV (not a regular file), -ENOMEM.
 */
MEMHP_API int memhp_shmem_fallocate(struct memhp_shmem *sb, uint64_t ino, int mode, off_t off,
				    off_t len);
/* SEEK_DATA and SEEK_HOLE (shmem_file_llseek()); the other whences are the
 * caller's. The offset, or -ENXIO (@off at or past the end, or no data
 * after it), -EINVAL, -ENOENT. */
MEMHP_API off_t memhp_shmem_lseek(struct memhp_shmem *sb, uint64_t ino, off_t off, int whence);

struct memhp_shmem_statfs {
	uint64_t blocks, bfree; /* pages: size= and what is left; 0 without a limit */
	uint64_t files, ffree;	/* inodes: nr_inodes= and what is left */
};
MEMHP_API void memhp_shmem_statfs(struct memhp_shmem *sb, struct memhp_shmem_statfs *st);

/*
 * shmem_file_setup(): a regular file with no name, holding one reference
 * (memhp_shmem_forget() frees it), as for shared anonymous memory and
 * memfd. Returns 0, -ENOSPC (nr_inodes), -ENOMEM.
 */
MEMHP_API int memhp_shmem_file_setup(struct memhp_shmem *sb, struct memhp_shmem_attr *attr);
/* Refuse migration of the file's pages from now on (-EAGAIN), or stop.
 * 0, -ENOENT, -EINVAL (not a regular file). */
MEMHP_API int memhp_shmem_set_pinned(struct memhp_shmem *sb, uint64_t ino, bool pinned);

/* The pfn that holds page @index of file @ino now, or MEMHP_NO_PFN (a
 * hole, a poisoned page, no such file). */
MEMHP_API unsigned long memhp_shmem_pfn(struct memhp_shmem *sb, uint64_t ino, uint64_t index);
/* Pages the files hold (poisoned ones too), and pages moved so far. */
MEMHP_API unsigned long memhp_shmem_nr_pages(struct memhp_shmem *sb);
MEMHP_API unsigned long memhp_shmem_nr_migrated(struct memhp_shmem *sb);

struct memhp_shmem_report {
	unsigned long verified;	  /* pages read back and compared with their checksum */
	unsigned long corrupted;  /* ... whose bytes, place or owner are wrong: memhp lost them */
	unsigned long hwpoisoned; /* pages memory failure took, ever: gone, not read */
};
/* Check every page against its checksum. Returns the pages whose data is
 * gone, corrupted + hwpoisoned; @r, if given, tells them apart. */
MEMHP_API unsigned long memhp_shmem_verify_report(struct memhp_shmem *sb,
						  struct memhp_shmem_report *r);
MEMHP_API unsigned long memhp_shmem_verify(struct memhp_shmem *sb, unsigned long *verified);

/* ---- Shared anonymous memory ----------------------------------------------
 *
 * The kernel backs MAP_SHARED|MAP_ANONYMOUS, SysV shm and memfd with files
 * of an internal tmpfs mount without limits (shm_mnt). memhp keeps one per
 * machine, made on first use and unmounted with the machine.
 */

/* The machine's internal tmpfs; NULL when it cannot be made (-ENOMEM,
 * no movable owner left). */
MEMHP_API struct memhp_shmem *memhp_shm_mnt(struct memhp_machine *m);

/*
 * memhp's anonymous memory (memhp shell --anon-memory): one unnamed file of
 * shm_mnt, what a process's shared anonymous mapping of @size bytes
 * (whole pages) would hold once touched, filled with random bytes. Growing
 * writes new pages, shrinking truncates; @pinned makes every page refuse
 * migration. Returns 0, -ENOSPC (the machine has no room: the size stays
 * what it was), -EFBIG, -ENOMEM.
 */
MEMHP_API int memhp_anon_memory_set(struct memhp_machine *m, uint64_t size, bool pinned);
/* Its size in bytes (0: none), and whether it is pinned. */
MEMHP_API uint64_t memhp_anon_memory(struct memhp_machine *m, bool *pinned);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_SHMEM_H */
