// SPDX-License-Identifier: MIT
/*
 * shmem_fuse.c - a tmpfs of the machine over FUSE (libfuse 3, low-level
 * API), set up as tmpfs clients need it:
 *
 * - direct_io on every open: each read() and write() is one request that
 *   reaches the machine's memory, so MemFree follows a write as it
 *   returns, a read shows what the machine holds now (after migration,
 *   after a memory failure: EIO), and a short read at a poisoned page
 *   stays a short read instead of shrinking the file in the page cache.
 *   MAP_SHARED mmap is then refused by the kernel (ENODEV).
 * - No writeback cache, entry and attribute timeouts 0: sizes and
 *   st_blocks change with every write, and the instance is the truth.
 * - atomic_o_trunc: an O_TRUNC open truncates here.
 * - default_permissions: the kernel checks modes, owners, the sticky bit
 *   and who may chmod or chown; the instance stores what it is told.
 * - New entries belong to the caller's uid and gid (fuse_req_ctx()).
 * - A reply the kernel no longer wants (its caller was interrupted) gives
 *   back the reference the entry took.
 */
#include "shmem_fuse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

/* Requests of a mount of its own are served by this many threads: a
 * writer waits at most for a page to move, so few are needed. */
#define SHMEM_FUSE_WORKERS 4
/* What stat() and statfs() report as the block size: a page. */
#define SHMEM_FUSE_BLOCK_SIZE 4096
/* st_blocks counts 512-byte units. */
#define STAT_BLOCK_SIZE 512
/* renameat2() flags (include/uapi/linux/fs.h). */
#define FUSE_RENAME_NOREPLACE (1u << 0)
#define FUSE_RENAME_EXCHANGE (1u << 1)

struct shmem_fuse {
	struct memhp_shmem *sb;
	fuse_ino_t base; /* 0, or SHMEM_FUSE_SUBTREE_BASE */
	struct fuse_pool pool;
	bool mounted;
};

static uint64_t to_ino(const struct shmem_fuse *sf, fuse_ino_t node)
{
	return node & ~sf->base;
}

static fuse_ino_t to_node(const struct shmem_fuse *sf, uint64_t ino)
{
	return sf->base | ino;
}

bool shmem_fuse_owns(const struct shmem_fuse *sf, fuse_ino_t nodeid)
{
	return sf->base && (nodeid & sf->base);
}

fuse_ino_t shmem_fuse_root(const struct shmem_fuse *sf)
{
	return to_node(sf, MEMHP_SHMEM_ROOT_INO);
}

static void to_stat(const struct shmem_fuse *sf, const struct memhp_shmem_attr *a, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = to_node(sf, a->ino);
	st->st_mode = a->mode;
	st->st_nlink = a->nlink;
	st->st_uid = a->uid;
	st->st_gid = a->gid;
	st->st_rdev = a->rdev;
	st->st_size = (off_t)a->size;
	st->st_blocks = (blkcnt_t)(a->blocks * (MEMHP_PAGE_SIZE / STAT_BLOCK_SIZE));
	st->st_blksize = SHMEM_FUSE_BLOCK_SIZE;
	st->st_atim = a->atime;
	st->st_mtim = a->mtime;
	st->st_ctim = a->ctime;
}

static void fill_entry(const struct shmem_fuse *sf, const struct memhp_shmem_attr *a,
		       struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = to_node(sf, a->ino);
	e->generation = 1; /* inode numbers are never reused */
	to_stat(sf, a, &e->attr);
}

/* Reply with the entry that a call took a reference for, or give the
 * reference back when the kernel no longer waits for it. */
static void reply_entry(struct shmem_fuse *sf, fuse_req_t req, const struct memhp_shmem_attr *a)
{
	struct fuse_entry_param e;

	fill_entry(sf, a, &e);
	if (fuse_reply_entry(req, &e) == -ENOENT)
		memhp_shmem_forget(sf->sb, a->ino, 1);
}

static void reply_attr(struct shmem_fuse *sf, fuse_req_t req, const struct memhp_shmem_attr *a)
{
	struct stat st;

	to_stat(sf, a, &st);
	fuse_reply_attr(req, &st, 0);
}

static void reply_entry_or_err(struct shmem_fuse *sf, fuse_req_t req, int ret,
			       const struct memhp_shmem_attr *a)
{
	if (ret)
		fuse_reply_err(req, -ret);
	else
		reply_entry(sf, req, a);
}

void shmem_fuse_lookup_root(struct shmem_fuse *sf, fuse_req_t req)
{
	struct memhp_shmem_attr a;

	reply_entry_or_err(sf, req, memhp_shmem_lookup(sf->sb, MEMHP_SHMEM_ROOT_INO, ".", &a), &a);
}

static void sf_lookup(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct memhp_shmem_attr a;

	reply_entry_or_err(sf, req, memhp_shmem_lookup(sf->sb, to_ino(sf, parent), name, &a), &a);
}

static void sf_forget(struct shmem_fuse *sf, fuse_ino_t ino, uint64_t nlookup)
{
	memhp_shmem_forget(sf->sb, to_ino(sf, ino), nlookup);
}

static void sf_getattr(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct memhp_shmem_attr a;
	int ret = memhp_shmem_getattr(sf->sb, to_ino(sf, ino), &a);

	(void)fi;
	if (ret)
		fuse_reply_err(req, -ret);
	else
		reply_attr(sf, req, &a);
}

static void sf_setattr(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	static const struct {
		int fuse;
		unsigned int shmem;
	} bits[] = {
		{ FUSE_SET_ATTR_MODE, MEMHP_SHMEM_SET_MODE },
		{ FUSE_SET_ATTR_UID, MEMHP_SHMEM_SET_UID },
		{ FUSE_SET_ATTR_GID, MEMHP_SHMEM_SET_GID },
		{ FUSE_SET_ATTR_SIZE, MEMHP_SHMEM_SET_SIZE },
		{ FUSE_SET_ATTR_ATIME, MEMHP_SHMEM_SET_ATIME },
		{ FUSE_SET_ATTR_MTIME, MEMHP_SHMEM_SET_MTIME },
		{ FUSE_SET_ATTR_ATIME_NOW, MEMHP_SHMEM_SET_ATIME_NOW },
		{ FUSE_SET_ATTR_MTIME_NOW, MEMHP_SHMEM_SET_MTIME_NOW },
		{ FUSE_SET_ATTR_CTIME, MEMHP_SHMEM_SET_CTIME },
	};
	struct memhp_shmem_attr in = { 0 }, out;
	unsigned int valid = 0;
	int ret;

	(void)fi;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (to_set & bits[i].fuse)
			valid |= bits[i].shmem;
	in.mode = attr->st_mode;
	in.uid = attr->st_uid;
	in.gid = attr->st_gid;
	in.size = attr->st_size < 0 ? UINT64_MAX : (uint64_t)attr->st_size;
	in.atime = attr->st_atim;
	in.mtime = attr->st_mtim;
	in.ctime = attr->st_ctim;
	ret = memhp_shmem_setattr(sf->sb, to_ino(sf, ino), valid, &in, &out);
	if (ret)
		fuse_reply_err(req, -ret);
	else
		reply_attr(sf, req, &out);
}

static void sf_readlink(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t ino)
{
	char buf[MEMHP_SHMEM_SYMLINK_MAX];
	ssize_t ret = memhp_shmem_readlink(sf->sb, to_ino(sf, ino), buf, sizeof(buf));

	if (ret < 0)
		fuse_reply_err(req, (int)-ret);
	else
		fuse_reply_readlink(req, buf);
}

static void sf_mknod(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct memhp_shmem_attr a;

	reply_entry_or_err(sf, req,
			   memhp_shmem_mknod(sf->sb, to_ino(sf, parent), name, mode, rdev, ctx->uid,
					     ctx->gid, &a),
			   &a);
}

static void sf_mkdir(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct memhp_shmem_attr a;

	reply_entry_or_err(
		sf, req,
		memhp_shmem_mkdir(sf->sb, to_ino(sf, parent), name, mode, ctx->uid, ctx->gid, &a),
		&a);
}

static void sf_unlink(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, -memhp_shmem_unlink(sf->sb, to_ino(sf, parent), name));
}

static void sf_rmdir(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, -memhp_shmem_rmdir(sf->sb, to_ino(sf, parent), name));
}

static void sf_symlink(struct shmem_fuse *sf, fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct memhp_shmem_attr a;

	reply_entry_or_err(
		sf, req,
		memhp_shmem_symlink(sf->sb, to_ino(sf, parent), name, link, ctx->uid, ctx->gid, &a),
		&a);
}

static void sf_rename(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	unsigned int f = 0;

	/* RENAME_WHITEOUT is for overlayfs on tmpfs; memhp has no whiteouts. */
	if (flags & ~(FUSE_RENAME_NOREPLACE | FUSE_RENAME_EXCHANGE)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (flags & FUSE_RENAME_NOREPLACE)
		f |= MEMHP_SHMEM_RENAME_NOREPLACE;
	if (flags & FUSE_RENAME_EXCHANGE)
		f |= MEMHP_SHMEM_RENAME_EXCHANGE;
	fuse_reply_err(req, -memhp_shmem_rename(sf->sb, to_ino(sf, parent), name,
						to_ino(sf, newparent), newname, f));
}

static void sf_link(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	struct memhp_shmem_attr a;

	reply_entry_or_err(
		sf, req,
		memhp_shmem_link(sf->sb, to_ino(sf, ino), to_ino(sf, newparent), newname, &a), &a);
}

/* What every open of a regular file gets; 0 or -errno of the truncation. */
static int open_file(struct shmem_fuse *sf, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (fi->flags & O_TRUNC) {
		struct memhp_shmem_attr a = { 0 };
		int ret = memhp_shmem_setattr(sf->sb, to_ino(sf, ino), MEMHP_SHMEM_SET_SIZE, &a,
					      NULL);

		if (ret)
			return ret;
	}
	fi->fh = 0;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->noflush = 1; /* close has nothing to push out */
	return 0;
}

static void sf_open(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t ino,
		    struct fuse_file_info *fi)
{
	int ret = open_file(sf, ino, fi);

	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_open(req, fi);
}

static void sf_read(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	char *buf = malloc(size ? size : 1);
	ssize_t n;

	(void)fi;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = memhp_shmem_read(sf->sb, to_ino(sf, ino), buf, size, off);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

static void sf_write(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	ssize_t n = memhp_shmem_write(sf->sb, to_ino(sf, ino), buf, size, off);

	(void)fi;
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, (size_t)n);
}

static void sf_release(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	(void)sf;
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void sf_opendir(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct memhp_shmem_attr a;
	int ret = memhp_shmem_getattr(sf->sb, to_ino(sf, ino), &a);

	if (!ret && !S_ISDIR(a.mode))
		ret = -ENOTDIR;
	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_open(req, fi);
}

struct dir_fill {
	struct shmem_fuse *sf;
	fuse_req_t req;
	char *buf;
	size_t size, pos;
};

static int dir_fill(void *ctx, const char *name, const struct memhp_shmem_attr *a, uint64_t next)
{
	struct dir_fill *d = ctx;
	struct stat st;
	size_t need;

	memset(&st, 0, sizeof(st));
	st.st_ino = to_node(d->sf, a->ino);
	st.st_mode = a->mode; /* d_type */
	need = fuse_add_direntry(d->req, d->buf + d->pos, d->size - d->pos, name, &st, (off_t)next);
	if (need > d->size - d->pos)
		return 1; /* full: the kernel asks again from here */
	d->pos += need;
	return 0;
}

static void sf_readdir(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t ino, size_t size,
		       off_t off, struct fuse_file_info *fi)
{
	struct dir_fill d = { .sf = sf, .req = req, .size = size };
	int ret;

	(void)fi;
	d.buf = malloc(size ? size : 1);
	if (!d.buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	ret = memhp_shmem_readdir(sf->sb, to_ino(sf, ino), (uint64_t)off, dir_fill, &d);
	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_buf(req, d.buf, d.pos);
	free(d.buf);
}

static void sf_statfs(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t ino)
{
	struct memhp_shmem_statfs st;
	struct statvfs sv;

	(void)ino;
	memhp_shmem_statfs(sf->sb, &st);
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = SHMEM_FUSE_BLOCK_SIZE;
	sv.f_frsize = SHMEM_FUSE_BLOCK_SIZE;
	sv.f_blocks = st.blocks;
	sv.f_bfree = st.bfree;
	sv.f_bavail = st.bfree;
	sv.f_files = st.files;
	sv.f_ffree = st.ffree;
	sv.f_favail = st.ffree;
	sv.f_namemax = MEMHP_SHMEM_NAME_MAX;
	fuse_reply_statfs(req, &sv);
}

static void sf_create(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct memhp_shmem_attr a;
	struct fuse_entry_param e;
	int ret = memhp_shmem_mknod(sf->sb, to_ino(sf, parent), name, S_IFREG | (mode & 07777), 0,
				    ctx->uid, ctx->gid, &a);

	if (!ret)
		ret = open_file(sf, to_node(sf, a.ino), fi);
	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	fill_entry(sf, &a, &e);
	if (fuse_reply_create(req, &e, fi) == -ENOENT)
		memhp_shmem_forget(sf->sb, a.ino, 1);
}

static void sf_fallocate(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t ino, int mode, off_t off,
			 off_t len, struct fuse_file_info *fi)
{
	int m = 0;

	(void)fi;
	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	if (mode & FALLOC_FL_KEEP_SIZE)
		m |= MEMHP_SHMEM_FALLOC_KEEP_SIZE;
	if (mode & FALLOC_FL_PUNCH_HOLE)
		m |= MEMHP_SHMEM_FALLOC_PUNCH_HOLE;
	fuse_reply_err(req, -memhp_shmem_fallocate(sf->sb, to_ino(sf, ino), m, off, len));
}

static void sf_lseek(struct shmem_fuse *sf, fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	off_t ret = memhp_shmem_lseek(sf->sb, to_ino(sf, ino), off, whence);

	(void)fi;
	if (ret < 0)
		fuse_reply_err(req, (int)-ret);
	else
		fuse_reply_lseek(req, ret);
}

const struct shmem_fuse_ops shmem_fuse_ops = {
	.lookup = sf_lookup,
	.forget = sf_forget,
	.getattr = sf_getattr,
	.setattr = sf_setattr,
	.readlink = sf_readlink,
	.mknod = sf_mknod,
	.mkdir = sf_mkdir,
	.unlink = sf_unlink,
	.rmdir = sf_rmdir,
	.symlink = sf_symlink,
	.rename = sf_rename,
	.link = sf_link,
	.open = sf_open,
	.read = sf_read,
	.write = sf_write,
	.release = sf_release,
	.opendir = sf_opendir,
	.readdir = sf_readdir,
	.statfs = sf_statfs,
	.create = sf_create,
	.fallocate = sf_fallocate,
	.lseek = sf_lseek,
};

/* ---- A mount of its own ---------------------------------------------------------------- */

static struct shmem_fuse *me(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->want &= ~(unsigned)FUSE_CAP_WRITEBACK_CACHE;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	sf_lookup(me(req), req, parent, name);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	sf_forget(me(req), ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		sf_forget(me(req), forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	sf_getattr(me(req), req, ino, fi);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	sf_setattr(me(req), req, ino, attr, to_set, fi);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	sf_readlink(me(req), req, ino);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	sf_mknod(me(req), req, parent, name, mode, rdev);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	sf_mkdir(me(req), req, parent, name, mode);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	sf_unlink(me(req), req, parent, name);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	sf_rmdir(me(req), req, parent, name);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	sf_symlink(me(req), req, link, parent, name);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	sf_rename(me(req), req, parent, name, newparent, newname, flags);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	sf_link(me(req), req, ino, newparent, newname);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	sf_open(me(req), req, ino, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	sf_read(me(req), req, ino, size, off, fi);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	sf_write(me(req), req, ino, buf, size, off, fi);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	sf_release(me(req), req, ino, fi);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	sf_opendir(me(req), req, ino, fi);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	sf_readdir(me(req), req, ino, size, off, fi);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	sf_statfs(me(req), req, ino);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	sf_create(me(req), req, parent, name, mode, fi);
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
			 struct fuse_file_info *fi)
{
	sf_fallocate(me(req), req, ino, mode, off, len, fi);
}

static void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	sf_lseek(me(req), req, ino, off, whence, fi);
}

static const struct fuse_lowlevel_ops ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.readlink = op_readlink,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.release = op_release,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.statfs = op_statfs,
	.create = op_create,
	.fallocate = op_fallocate,
	.lseek = op_lseek,
};

int shmem_fuse_start(struct memhp_shmem *sb, const char *mountpoint, int ended,
		     struct shmem_fuse **out)
{
	struct shmem_fuse *sf = calloc(1, sizeof(*sf));
	int ret;

	*out = NULL;
	if (!sf)
		return -ENOMEM;
	sf->sb = sb;
	ret = fuse_pool_start(&sf->pool, &ops, sizeof(ops), sf, mountpoint, "tmpfs",
			      SHMEM_FUSE_WORKERS, ended);
	if (ret) {
		free(sf);
		return ret;
	}
	sf->mounted = true;
	*out = sf;
	return 0;
}

struct shmem_fuse *shmem_fuse_subtree(struct memhp_shmem *sb)
{
	struct shmem_fuse *sf = calloc(1, sizeof(*sf));

	if (sf) {
		sf->sb = sb;
		sf->base = SHMEM_FUSE_SUBTREE_BASE;
	}
	return sf;
}

void shmem_fuse_stop(struct shmem_fuse *sf)
{
	if (!sf)
		return;
	if (sf->mounted)
		fuse_pool_stop(&sf->pool);
	free(sf);
}
