// SPDX-License-Identifier: MIT
/*
 * fuse_server.c - a memhp_fs over FUSE, set up the way sysfs clients need
 * it (docs/sysfs.md, "FUSE settings"):
 *
 * - direct_io on every file: each read() and write() of a client becomes
 *   one request with the client's size, as on sysfs; without it the page
 *   cache decides, and a 0-sized procfs file would read as empty.
 * - st_size 4096 for sysfs attributes, 0 elsewhere, as the kernel shows.
 * - A file's contents are rendered at the read from offset 0 and kept in
 *   the open file, so a client reading in pieces sees one snapshot.
 * - Write offsets are ignored: one write() is one store of its bytes.
 * - Entry, attribute and negative timeouts are 0: blocks that come and go
 *   are seen at once.
 * - allow_other + default_permissions: anyone may read, modes are
 *   enforced by the kernel; root's wrong-mode opens get EACCES from us,
 *   as kernfs gives them.
 * - atomic_o_trunc (libfuse's default) and a no-op truncate: a shell's
 *   "echo x > file" opens with O_TRUNC.
 * - No writeback cache: a write's error must reach the writer.
 * - Inode numbers are the tree's and readdir fills d_type.
 * - A kernel interrupt for a read or a write stops it
 *   (memhp_fs_req_interrupt()): a read waiting for a block's device lock,
 *   a write waiting for the hotplug lock or running an offline.
 * - Files of st_size 0 (procfs, debugfs) keep a large size in the kernel's
 *   inode while stat() shows 0, so that sendfile() and splice(), which read
 *   through the page cache up to i_size even on a direct_io file, read them
 *   whole (see unsized_isize()).
 * - Files read by position (/proc/kpageflags) are read where the client
 *   reads, never rendered whole.
 * - Every lookup of a writable file makes a new FUSE inode (see vnodes
 *   below): the FUSE client holds a file's inode lock for the whole of a
 *   write, which sysfs does not, so a long offline would otherwise stall
 *   lseek(SEEK_HOLE) of a reader (GNU grep) and O_TRUNC opens of other
 *   writers, uninterruptibly.
 */
#define FUSE_USE_VERSION 312

#include "fuse_server.h"

#include <errno.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* /etc/fuse.conf is read a line at a time, this long at most. */
#define FUSE_CONF_LINE_MAX 256

/* Requests are served by this many threads: a write blocked in a long
 * offline holds one, readers keep the rest. */
#define FUSE_WORKERS 8
#define FUSE_NAME_MAX 255
#define FUSE_LINK_MAX 256
/* What stat() and statfs() report as the block size: a page. */
#define FUSE_BLOCK_SIZE 4096
#define MIN_SIZE(a, b) ((a) < (b) ? (a) : (b))

/*
 * Vnodes: FUSE node ids for writable files, one per lookup, each standing
 * for a tree inode. The kernel then has one inode per opener, so one
 * writer's inode lock stalls nobody else; stat() still shows the tree's
 * stable inode number. A vnode lives until the kernel forgets it.
 */
#define VNODE_BASE (1ULL << 63)
#define VNODE_BUCKETS 1024

struct vnode {
	uint64_t nodeid;
	uint64_t ino; /* the tree's */
	uint64_t nlookup;
	struct vnode *next;
};

struct fuse_server {
	struct memhp_fs *fs;
	pthread_mutex_t vnode_lock;
	struct vnode *vnodes[VNODE_BUCKETS];
	uint64_t next_vnode;
	/* Open files, for those the kernel never releases: at shutdown. */
	pthread_mutex_t files_lock;
	struct open_file *files;
	struct fuse_session *se;
	pthread_t workers[FUSE_WORKERS];
	unsigned int nr_workers;
	struct timespec start;
	int ended;
	_Atomic bool stopping; /* fuse_server_stop() runs */
	_Atomic bool ended_sent;
};

/* An open file: the snapshot of its contents, taken at offset 0. */
struct open_file {
	pthread_mutex_t lock;
	char *data;
	ssize_t len;
	uid_t uid;		       /* the opener's: what /proc/iomem shows */
	bool positional;	       /* memhp_fs_pread(), no snapshot */
	struct open_file *prev, *next; /* fuse_server.files */
};

static struct fuse_server *server(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static struct vnode **vnode_slot(struct fuse_server *s, uint64_t nodeid)
{
	struct vnode **p = &s->vnodes[nodeid % VNODE_BUCKETS];

	while (*p && (*p)->nodeid != nodeid)
		p = &(*p)->next;
	return p;
}

/* A new node id for @ino, or 0 when out of memory. */
static uint64_t vnode_new(struct fuse_server *s, uint64_t ino)
{
	struct vnode *v = malloc(sizeof(*v));

	if (!v)
		return 0;
	pthread_mutex_lock(&s->vnode_lock);
	v->nodeid = VNODE_BASE | ++s->next_vnode;
	v->ino = ino;
	v->nlookup = 1;
	v->next = s->vnodes[v->nodeid % VNODE_BUCKETS];
	s->vnodes[v->nodeid % VNODE_BUCKETS] = v;
	pthread_mutex_unlock(&s->vnode_lock);
	return v->nodeid;
}

static void vnode_forget(struct fuse_server *s, uint64_t nodeid, uint64_t nlookup)
{
	struct vnode **p, *v;

	if (nodeid < VNODE_BASE)
		return;
	pthread_mutex_lock(&s->vnode_lock);
	p = vnode_slot(s, nodeid);
	v = *p;
	if (v) {
		v->nlookup -= nlookup < v->nlookup ? nlookup : v->nlookup;
		if (!v->nlookup) {
			*p = v->next;
			free(v);
		}
	}
	pthread_mutex_unlock(&s->vnode_lock);
}

/* The tree inode a FUSE node id stands for (0: none any more). */
static uint64_t tree_ino(struct fuse_server *s, fuse_ino_t nodeid)
{
	struct vnode *v;
	uint64_t ino;

	if (nodeid < VNODE_BASE)
		return nodeid;
	pthread_mutex_lock(&s->vnode_lock);
	v = *vnode_slot(s, nodeid);
	ino = v ? v->ino : 0;
	pthread_mutex_unlock(&s->vnode_lock);
	return ino;
}

static void to_stat(const struct fuse_server *s, const struct memhp_fs_attr *a, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = a->ino;
	st->st_mode = a->mode;
	st->st_nlink = a->nlink;
	st->st_size = a->size;
	st->st_blksize = FUSE_BLOCK_SIZE;
	st->st_atim = st->st_mtim = st->st_ctim = s->start;
}

/*
 * The i_size the kernel keeps for a file that stat() shows as 0 bytes long.
 * Since Linux 6.5 FUSE's splice_read (and so sendfile()) reads through the
 * page cache, up to i_size, even on a direct_io file: with 0 it reads
 * nothing, and busybox cat, which uses sendfile(), would print nothing.
 * Larger than any file the tree serves (/proc/kpageflags of the largest
 * machine is 2^32 pfns of 8 bytes).
 */
#define FUSE_UNSIZED_ISIZE (1ULL << 40)

/*
 * Let the kernel's inode @nodeid of a 0-sized file (@a) keep
 * FUSE_UNSIZED_ISIZE while stat() still shows 0: a one-byte store just
 * below it raises i_size (a store may only extend a file; a 0-byte store
 * is ignored); the attribute invalidation that follows bumps the inode's
 * attribute version past the request being answered, so the kernel keeps
 * its i_size and gives the reply's size 0 to stat() only; and it drops the
 * inode's cached pages, whose zero-filled tails a read past the end left
 * (a read that comes back short is what cuts i_size down to the real end
 * of the reader's snapshot, so splice stops there). Called before the
 * reply to a lookup, getattr or open; a new inode the kernel does not
 * know yet gets it at its open. Failures leave i_size as it is: only
 * splice and sendfile suffer.
 */
static void unsized_isize(fuse_req_t req, uint64_t nodeid, const struct memhp_fs_attr *a)
{
	static const char byte;
	struct fuse_session *se = server(req)->se;
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(1);

	if (!S_ISREG(a->mode) || a->size)
		return;
	bv.buf[0].mem = (void *)&byte;
	if (fuse_lowlevel_notify_store(se, nodeid, (off_t)(FUSE_UNSIZED_ISIZE - 1), &bv, 0))
		return;
	fuse_lowlevel_notify_inval_inode(se, nodeid, 0, 0);
}

static void reply_entry(fuse_req_t req, const struct memhp_fs_attr *a)
{
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	e.ino = a->ino;
	if (S_ISREG(a->mode) && (a->mode & 0222)) {
		e.ino = vnode_new(server(req), a->ino);
		if (!e.ino) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
	}
	e.generation = 1;
	unsized_isize(req, e.ino, a);
	to_stat(server(req), a, &e.attr);
	e.attr_timeout = 0;
	e.entry_timeout = 0;
	fuse_reply_entry(req, &e);
}

static void reply_attr(fuse_req_t req, uint64_t nodeid, const struct memhp_fs_attr *a)
{
	struct stat st;

	unsized_isize(req, nodeid, a);
	to_stat(server(req), a, &st);
	fuse_reply_attr(req, &st, 0);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* Errors must reach the writer; a write is one store. */
	conn->want &= ~(unsigned)FUSE_CAP_WRITEBACK_CACHE;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct memhp_fs_attr a;
	int ret = memhp_fs_lookup(server(req)->fs, parent, name, &a);

	if (ret)
		fuse_reply_err(req, -ret);
	else
		reply_entry(req, &a);
}

/* Tree inodes need no bookkeeping; vnodes go when the kernel forgets them. */
static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	vnode_forget(server(req), ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		vnode_forget(server(req), forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct memhp_fs_attr a;
	int ret = memhp_fs_getattr(server(req)->fs, tree_ino(server(req), ino), &a);

	(void)fi;
	if (ret)
		fuse_reply_err(req, -ret);
	else
		reply_attr(req, ino, &a);
}

/* Truncation and time stamps are accepted and change nothing (sysfs files
 * have no size to cut); owners and modes stay the kernel's. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct memhp_fs_attr a;
	int ret = memhp_fs_getattr(server(req)->fs, tree_ino(server(req), ino), &a);

	(void)attr;
	(void)fi;
	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	reply_attr(req, ino, &a);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char buf[FUSE_LINK_MAX];
	ssize_t ret = memhp_fs_readlink(server(req)->fs, ino, buf, sizeof(buf));

	if (ret < 0)
		fuse_reply_err(req, (int)-ret);
	else
		fuse_reply_readlink(req, buf);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct memhp_fs_attr a;
	int ret = memhp_fs_getattr(server(req)->fs, ino, &a);

	if (!ret && !S_ISDIR(a.mode))
		ret = -ENOTDIR;
	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_open(req, fi);
}

struct dir_fill {
	fuse_req_t req;
	char *buf;
	size_t size, pos;
};

static int dir_fill(void *ctx, const char *name, const struct memhp_fs_attr *a, uint64_t next)
{
	struct dir_fill *d = ctx;
	struct stat st;
	size_t need;

	memset(&st, 0, sizeof(st));
	st.st_ino = a->ino;
	st.st_mode = a->mode; /* d_type */
	need = fuse_add_direntry(d->req, d->buf + d->pos, d->size - d->pos, name, &st, (off_t)next);
	if (need > d->size - d->pos)
		return 1; /* full: the kernel asks again from here */
	d->pos += need;
	return 0;
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct dir_fill d = { .req = req, .size = size };
	int ret;

	(void)fi;
	d.buf = malloc(size);
	if (!d.buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	ret = memhp_fs_readdir(server(req)->fs, ino, (uint64_t)off, dir_fill, &d);
	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_buf(req, d.buf, d.pos);
	free(d.buf);
}

static void file_link(struct fuse_server *s, struct open_file *of)
{
	pthread_mutex_lock(&s->files_lock);
	of->prev = NULL;
	of->next = s->files;
	if (s->files)
		s->files->prev = of;
	s->files = of;
	pthread_mutex_unlock(&s->files_lock);
}

static void file_free(struct fuse_server *s, struct open_file *of)
{
	pthread_mutex_lock(&s->files_lock);
	if (of->prev)
		of->prev->next = of->next;
	else
		s->files = of->next;
	if (of->next)
		of->next->prev = of->prev;
	pthread_mutex_unlock(&s->files_lock);
	free(of->data);
	pthread_mutex_destroy(&of->lock);
	free(of);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct memhp_fs_attr a;
	struct open_file *of;
	uint64_t tino = tree_ino(server(req), ino);
	int ret = memhp_fs_open(server(req)->fs, tino, fi->flags);

	if (!ret)
		ret = memhp_fs_getattr(server(req)->fs, tino, &a);
	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	of = calloc(1, sizeof(*of));
	if (!of) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pthread_mutex_init(&of->lock, NULL);
	of->uid = fuse_req_ctx(req)->uid;
	of->positional = a.positional;
	unsized_isize(req, ino, &a);
	file_link(server(req), of);
	fi->fh = (uintptr_t)of;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	/* -ENOENT: the opener was interrupted and nobody will release this. */
	if (fuse_reply_open(req, fi) == -ENOENT)
		file_free(server(req), of);
}

static void req_interrupted(fuse_req_t req, void *data)
{
	(void)req;
	memhp_fs_req_interrupt(data);
}

/* A file read by position: the bytes at @off, straight from the tree. */
static void read_positional(fuse_req_t req, uint64_t ino, size_t size, off_t off)
{
	char *buf = malloc(size ? size : 1);
	ssize_t n;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = memhp_fs_pread(server(req)->fs, ino, buf, size, (uint64_t)off);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

/* Render @ino for the reader of @of; interruptible, as the show may wait
 * for a block's device lock. */
static ssize_t render(fuse_req_t req, uint64_t ino, struct open_file *of, char **data)
{
	struct memhp_fs_req *rreq = memhp_fs_req_new(server(req)->fs);
	ssize_t len;

	*data = NULL;
	if (!rreq)
		return -ENOMEM;
	memhp_fs_req_set_uid(rreq, of->uid);
	fuse_req_interrupt_func(req, req_interrupted, rreq);
	len = memhp_fs_render(server(req)->fs, ino, data, rreq);
	/* Once this returns, no interrupt callback runs any more. */
	fuse_req_interrupt_func(req, NULL, NULL);
	memhp_fs_req_free(rreq);
	return len;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct open_file *of = (struct open_file *)(uintptr_t)fi->fh;
	char *slice = NULL;
	size_t n = 0;
	ssize_t len;

	if (of->positional) {
		read_positional(req, tree_ino(server(req), ino), size, off);
		return;
	}
	pthread_mutex_lock(&of->lock);
	if (off == 0 || !of->data) {
		char *data;

		len = render(req, tree_ino(server(req), ino), of, &data);
		if (len < 0) {
			pthread_mutex_unlock(&of->lock);
			fuse_reply_err(req, (int)-len);
			return;
		}
		free(of->data);
		of->data = data;
		of->len = len;
	}
	if (off < of->len) {
		n = MIN_SIZE(size, (size_t)(of->len - off));
		slice = malloc(n);
		if (slice)
			memcpy(slice, of->data + off, n);
	}
	pthread_mutex_unlock(&of->lock);
	/* Once the reply is out the client may close the file and a release
	 * free @of on another thread: reply from a copy, touch nothing after. */
	if (n && !slice)
		fuse_reply_err(req, ENOMEM);
	else
		fuse_reply_buf(req, slice, n);
	free(slice);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct memhp_fs_req *wreq = memhp_fs_req_new(server(req)->fs);
	ssize_t ret;

	(void)off;
	(void)fi;
	if (!wreq) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fuse_req_interrupt_func(req, req_interrupted, wreq);
	ret = memhp_fs_write_ino(server(req)->fs, tree_ino(server(req), ino), buf, size, wreq);
	/* Once this returns, no interrupt callback runs any more. */
	fuse_req_interrupt_func(req, NULL, NULL);
	memhp_fs_req_free(wreq);
	if (ret < 0)
		fuse_reply_err(req, (int)-ret);
	else
		fuse_reply_write(req, (size_t)ret);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	file_free(server(req), (struct open_file *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;

	(void)ino;
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = FUSE_BLOCK_SIZE;
	sv.f_frsize = FUSE_BLOCK_SIZE;
	sv.f_namemax = FUSE_NAME_MAX;
	fuse_reply_statfs(req, &sv);
}

/* sysfs has no create, mknod, mkdir, unlink, ...: the VFS answers EACCES
 * for a create and EPERM for the others. */
static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	(void)parent;
	(void)name;
	(void)mode;
	(void)fi;
	fuse_reply_err(req, EACCES);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	(void)parent;
	(void)name;
	(void)mode;
	(void)rdev;
	fuse_reply_err(req, EACCES);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	(void)parent;
	(void)name;
	(void)mode;
	fuse_reply_err(req, EPERM);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent;
	(void)name;
	fuse_reply_err(req, EPERM);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	(void)link;
	(void)parent;
	(void)name;
	fuse_reply_err(req, EPERM);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	(void)parent;
	(void)name;
	(void)newparent;
	(void)newname;
	(void)flags;
	fuse_reply_err(req, EPERM);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	(void)ino;
	(void)newparent;
	(void)newname;
	fuse_reply_err(req, EPERM);
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
	.rmdir = op_unlink,
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
};

/* ---- Workers ------------------------------------------------------------------------ */

static void free_buf(void *arg)
{
	struct fuse_buf *buf = arg;

	free(buf->mem);
}

/*
 * What libfuse's multi-threaded loop does, with a fixed pool: cancellation
 * is only allowed while waiting for a request, so a request is always
 * finished, and fuse_server_stop() can end the pool with pthread_cancel().
 * *@ret gets the last receive's result.
 */
static void serve_requests(struct fuse_server *s, int *ret)
{
	struct fuse_buf buf;

	memset(&buf, 0, sizeof(buf));
	pthread_cleanup_push(free_buf, &buf);
	while (!fuse_session_exited(s->se)) {
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		*ret = fuse_session_receive_buf(s->se, &buf);
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		if (*ret == -EINTR || *ret == -EAGAIN)
			continue;
		if (*ret <= 0)
			break;
		fuse_session_process_buf(s->se, &buf);
	}
	pthread_cleanup_pop(1);
}

static void *worker(void *arg)
{
	struct fuse_server *s = arg;
	int ret = 1;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	serve_requests(s, &ret);
	/* Unmounted from outside (libfuse has seen ENODEV and ended the
	 * session) or broken: tell the owner, once. */
	fuse_session_exit(s->se);
	if (ret <= 0 && s->ended && !atomic_load(&s->stopping) &&
	    !atomic_exchange(&s->ended_sent, true))
		kill(getpid(), s->ended);
	return NULL;
}

int fuse_server_start(struct memhp_fs *fs, const char *mountpoint, int ended,
		      struct fuse_server **out)
{
	char opts[] = "fsname=memhp,subtype=memhp,allow_other,default_permissions";
	char *argv[] = { "memhp", "-o", opts, NULL, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse_server *s;
	int ret;

	*out = NULL;
	if (getenv("MEMHP_FUSE_DEBUG"))
		argv[args.argc++] = "-d";
	/* An unprivileged mount may use allow_other only where fuse.conf says
	 * user_allow_other; without it only the owner can look in. */
	if (geteuid() != 0 && access("/etc/fuse.conf", R_OK) == 0) {
		FILE *f = fopen("/etc/fuse.conf", "r");
		char line[FUSE_CONF_LINE_MAX];
		bool allowed = false;

		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "user_allow_other", 16))
				allowed = true;
		if (f)
			fclose(f);
		if (!allowed)
			strcpy(opts, "fsname=memhp,subtype=memhp,default_permissions");
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fs = fs;
	s->ended = ended;
	pthread_mutex_init(&s->vnode_lock, NULL);
	pthread_mutex_init(&s->files_lock, NULL);
	clock_gettime(CLOCK_REALTIME, &s->start);
	s->se = fuse_session_new(&args, &ops, sizeof(ops), s);
	fuse_opt_free_args(&args);
	if (!s->se) {
		pthread_mutex_destroy(&s->files_lock);
		pthread_mutex_destroy(&s->vnode_lock);
		free(s);
		fprintf(stderr, "memhp: cannot start a FUSE session\n");
		return -EINVAL;
	}
	if (fuse_session_mount(s->se, mountpoint)) {
		fuse_session_destroy(s->se);
		pthread_mutex_destroy(&s->files_lock);
		pthread_mutex_destroy(&s->vnode_lock);
		free(s);
		fprintf(stderr, "memhp: cannot mount FUSE on %s\n", mountpoint);
		return -EPERM;
	}
	for (unsigned int i = 0; i < FUSE_WORKERS; i++) {
		ret = pthread_create(&s->workers[i], NULL, worker, s);
		if (ret) {
			fprintf(stderr, "memhp: cannot start FUSE workers: %s\n", strerror(ret));
			fuse_server_stop(s);
			return -ret;
		}
		s->nr_workers++;
	}
	*out = s;
	return 0;
}

void fuse_server_stop(struct fuse_server *s)
{
	if (!s)
		return;
	/* A worker stuck in a long offline must come back before it can be
	 * joined: interrupt every write, as the kernel would on SIGKILL. */
	atomic_store(&s->stopping, true);
	memhp_fs_shutdown(s->fs);
	fuse_session_exit(s->se);
	for (unsigned int i = 0; i < s->nr_workers; i++)
		pthread_cancel(s->workers[i]);
	for (unsigned int i = 0; i < s->nr_workers; i++)
		pthread_join(s->workers[i], NULL);
	fuse_session_unmount(s->se);
	fuse_session_destroy(s->se);
	for (unsigned int i = 0; i < VNODE_BUCKETS; i++) {
		while (s->vnodes[i]) {
			struct vnode *v = s->vnodes[i];

			s->vnodes[i] = v->next;
			free(v);
		}
	}
	while (s->files)
		file_free(s, s->files);
	pthread_mutex_destroy(&s->files_lock);
	pthread_mutex_destroy(&s->vnode_lock);
	free(s);
}
