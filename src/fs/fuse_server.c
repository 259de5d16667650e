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
 * - The tree's /dev/shm is where the machine's tmpfs is spliced in: its
 *   lookup answers with the tmpfs's root, and every request for a node id
 *   of the tmpfs (SHMEM_FUSE_SUBTREE_BASE) goes to shmem_fuse.c. One mount
 *   then holds both, and an outside umount of it still ends the server.
 * - Operations the tree has not are answered as sysfs would (EOPNOTSUPP
 *   for fallocate, the generic SEEK_DATA/SEEK_HOLE), never ENOSYS: that
 *   would turn them off for the tmpfs too, for the whole connection.
 * - /dev/kmsg is served with memhp_kmsg_*: one record per read, reads that
 *   wait for the next record (an interrupt ends the wait with EINTR),
 *   poll, and the kernel's seeks (see "/dev/kmsg" below for how they
 *   reach us).
 */
#include "fuse_server.h"
#include "../cli/run_util.h"
#include "fuse_pool.h"
#include "shmem_fuse.h"

#include <memhp/printk.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

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

/* A /dev/kmsg read waiting for a record, so that stopping can end it. */
struct kmsg_wait {
	struct memhp_printk_waiter *w;
	struct kmsg_wait *prev, *next;
};

struct fuse_server {
	struct memhp_fs *fs;
	struct memhp_machine *m;
	uint64_t kmsg_ino; /* the tree's /dev/kmsg */
	pthread_mutex_t vnode_lock;
	struct vnode *vnodes[VNODE_BUCKETS];
	uint64_t next_vnode;
	/* Open files, for those the kernel never releases: at shutdown. */
	pthread_mutex_t files_lock;
	struct open_file *files;
	struct fuse_pool pool;
	struct timespec start;
	/* Who wants to know which threads open and write (the shell's
	 * process tracker). */
	_Atomic(fuse_caller_fn) caller_hook;
	_Atomic(void *) caller_arg;
	/* The tmpfs spliced in at the tree's /dev/shm, or NULL. */
	struct shmem_fuse *shm;
	uint64_t dev_shm_ino;
	/* /dev/kmsg: reads waiting for a record (under kmsg_lock, with
	 * kmsg_stopping), and the thread that wakes pollers. */
	pthread_mutex_t kmsg_lock;
	struct kmsg_wait *kmsg_waits;
	bool kmsg_stopping;
	struct memhp_printk_waiter *poll_waiter;
	pthread_t poll_thread;
	bool have_poll_thread;
};

/* An open file: the snapshot of its contents, taken at offset 0; or an
 * open /dev/kmsg with its reader. */
struct open_file {
	pthread_mutex_t lock;
	char *data;
	ssize_t len;
	struct memhp_kmsg *kmsg;
	/* The file position the kernel sends with the next read, if nobody
	 * seeks meanwhile (see "/dev/kmsg"). Under lock. */
	uint64_t kmsg_pos;
	/* A poller to wake. Not under lock: a read of this file holds lock
	 * while it waits for a block's device lock, and the log's notifier,
	 * which walks every open file, must not wait behind it. */
	_Atomic(struct fuse_pollhandle *) ph;
	uid_t uid;		       /* the opener's: what /proc/iomem shows */
	bool positional;	       /* memhp_fs_pread(), no snapshot */
	struct open_file *prev, *next; /* fuse_server.files */
};

static struct fuse_server *server(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* The tmpfs that @nodeid belongs to, or NULL: the tree's. */
static struct shmem_fuse *shm_of(fuse_req_t req, fuse_ino_t nodeid)
{
	struct shmem_fuse *sf = server(req)->shm;

	return sf && shmem_fuse_owns(sf, nodeid) ? sf : NULL;
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
	struct fuse_session *se = server(req)->pool.se;
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(1);

	/* /dev/kmsg answers lseek(SEEK_END) through the size (see
	 * "/dev/kmsg"): its i_size must be what getattr says. */
	if (!S_ISREG(a->mode) || a->size || tree_ino(server(req), nodeid) == server(req)->kmsg_ino)
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
	struct shmem_fuse *sf = shm_of(req, parent);
	struct memhp_fs_attr a;
	int ret;

	if (sf) {
		shmem_fuse_ops.lookup(sf, req, parent, name);
		return;
	}
	ret = memhp_fs_lookup(server(req)->fs, parent, name, &a);
	if (ret)
		fuse_reply_err(req, -ret);
	else if (server(req)->shm && a.ino == server(req)->dev_shm_ino)
		shmem_fuse_lookup_root(server(req)->shm, req);
	else
		reply_entry(req, &a);
}

/* Tree inodes need no bookkeeping; vnodes go when the kernel forgets them. */
static void forget_one(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct shmem_fuse *sf = shm_of(req, ino);

	if (sf)
		shmem_fuse_ops.forget(sf, ino, nlookup);
	else
		vnode_forget(server(req), ino, nlookup);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	forget_one(req, ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		forget_one(req, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static off_t kmsg_seek_end(struct open_file *of);

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct shmem_fuse *sf = shm_of(req, ino);
	struct memhp_fs_attr a;
	int ret;

	if (sf) {
		shmem_fuse_ops.getattr(sf, req, ino, fi);
		return;
	}
	ret = memhp_fs_getattr(server(req)->fs, tree_ino(server(req), ino), &a);
	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	/* Only lseek(SEEK_END) asks for an open file's attributes. */
	if (fi && tree_ino(server(req), ino) == server(req)->kmsg_ino && fi->fh)
		a.size = kmsg_seek_end((struct open_file *)(uintptr_t)fi->fh);
	reply_attr(req, ino, &a);
}

/* Truncation and time stamps are accepted and change nothing (sysfs files
 * have no size to cut); owners and modes stay the kernel's. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct shmem_fuse *sf = shm_of(req, ino);
	struct memhp_fs_attr a;
	int ret;

	if (sf) {
		shmem_fuse_ops.setattr(sf, req, ino, attr, to_set, fi);
		return;
	}
	ret = memhp_fs_getattr(server(req)->fs, tree_ino(server(req), ino), &a);
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
	struct shmem_fuse *sf = shm_of(req, ino);
	char buf[FUSE_LINK_MAX];
	ssize_t ret;

	if (sf) {
		shmem_fuse_ops.readlink(sf, req, ino);
		return;
	}
	ret = memhp_fs_readlink(server(req)->fs, ino, buf, sizeof(buf));
	if (ret < 0)
		fuse_reply_err(req, (int)-ret);
	else
		fuse_reply_readlink(req, buf);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct shmem_fuse *sf = shm_of(req, ino);
	struct memhp_fs_attr a;
	int ret;

	if (sf) {
		shmem_fuse_ops.opendir(sf, req, ino, fi);
		return;
	}
	ret = memhp_fs_getattr(server(req)->fs, ino, &a);
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
	/* Where the tmpfs is spliced in, its root is what stat() shows. */
	if (server(d->req)->shm && a->ino == server(d->req)->dev_shm_ino)
		st.st_ino = shmem_fuse_root(server(d->req)->shm);
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
	struct shmem_fuse *sf = shm_of(req, ino);
	struct dir_fill d = { .req = req, .size = size };
	int ret;

	if (sf) {
		shmem_fuse_ops.readdir(sf, req, ino, size, off, fi);
		return;
	}
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
	memhp_kmsg_close(of->kmsg);
	if (of->ph)
		fuse_pollhandle_destroy(of->ph);
	pthread_mutex_destroy(&of->lock);
	free(of);
}

/* A thread of a program in the guest opens or writes: the hook learns of
 * it before the request is served. */
static void caller(fuse_req_t req)
{
	struct fuse_server *s = server(req);
	fuse_caller_fn fn = atomic_load_explicit(&s->caller_hook, memory_order_acquire);

	if (fn)
		fn(atomic_load_explicit(&s->caller_arg, memory_order_relaxed),
		   fuse_req_ctx(req)->pid);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct shmem_fuse *sf = shm_of(req, ino);
	uint64_t tino = tree_ino(server(req), ino);
	struct memhp_fs_attr a;
	struct open_file *of;
	int ret;

	caller(req);

	if (sf) {
		shmem_fuse_ops.open(sf, req, ino, fi);
		return;
	}
	ret = memhp_fs_open(server(req)->fs, tino, fi->flags);
	if (!ret)
		ret = memhp_fs_getattr(server(req)->fs, tino, &a);
	/* Debian's 6.1 has dmesg_restrict=1: reading the log takes
	 * CAP_SYSLOG (devkmsg_open()), which root stands for here. */
	if (!ret && tino == server(req)->kmsg_ino && (fi->flags & O_ACCMODE) != O_WRONLY &&
	    fuse_req_ctx(req)->uid != 0)
		ret = -EPERM;
	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	of = calloc(1, sizeof(*of));
	if (!of || (tree_ino(server(req), ino) == server(req)->kmsg_ino &&
		    memhp_kmsg_open(server(req)->m, &of->kmsg))) {
		free(of);
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

static void kmsg_read(fuse_req_t req, struct open_file *of, size_t size, off_t off, int flags);

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
	struct shmem_fuse *sf = shm_of(req, ino);
	struct open_file *of = (struct open_file *)(uintptr_t)fi->fh;
	char *slice = NULL;
	size_t n = 0;
	ssize_t len;

	if (sf) {
		shmem_fuse_ops.read(sf, req, ino, size, off, fi);
		return;
	}
	if (of->kmsg) {
		kmsg_read(req, of, size, off, fi->flags);
		return;
	}
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

/* The writer as the machine's kernel would name it (current->comm). */
static void set_task(struct memhp_fs_req *wreq, pid_t pid)
{
	char path[64], comm[MEMHP_TASK_COMM_LEN] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	memhp_fs_req_set_task(wreq, pid, comm);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct shmem_fuse *sf = shm_of(req, ino);
	struct memhp_fs_req *wreq;
	ssize_t ret;

	caller(req);

	if (sf) {
		shmem_fuse_ops.write(sf, req, ino, buf, size, off, fi);
		return;
	}
	wreq = memhp_fs_req_new(server(req)->fs);
	if (!wreq) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	set_task(wreq, fuse_req_ctx(req)->pid);
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
	struct shmem_fuse *sf = shm_of(req, ino);

	if (sf) {
		shmem_fuse_ops.release(sf, req, ino, fi);
		return;
	}
	file_free(server(req), (struct open_file *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

/* ---- /dev/kmsg -----------------------------------------------------------------------
 *
 * devkmsg_llseek() moves a reader between records, but the FUSE client
 * settles SEEK_SET and SEEK_END itself, from the file position and size;
 * only SEEK_DATA and SEEK_HOLE reach the daemon (FUSE_LSEEK). What does
 * reach us is the position every read comes with, and the getattr that
 * SEEK_END makes with the open file's handle to learn the size. So each
 * open file keeps the position its next read will come with if nobody
 * seeks: a read from 0 when that is not 0 follows a SEEK_SET; SEEK_END
 * and SEEK_DATA move the reader here and give the kernel a new position,
 * one past the last, so that a later SEEK_SET (to 0) always shows. A read
 * at any other position (pread) reads on.
 */

/* A read that may wait: listed, so that stopping can end it. NULL when
 * out of memory. */
static struct kmsg_wait *kmsg_wait_begin(struct fuse_server *s)
{
	struct kmsg_wait *kw = calloc(1, sizeof(*kw));

	if (!kw)
		return NULL;
	kw->w = memhp_printk_waiter_new(s->m);
	if (!kw->w) {
		free(kw);
		return NULL;
	}
	pthread_mutex_lock(&s->kmsg_lock);
	if (s->kmsg_stopping)
		memhp_printk_waiter_interrupt(kw->w);
	kw->prev = NULL;
	kw->next = s->kmsg_waits;
	if (s->kmsg_waits)
		s->kmsg_waits->prev = kw;
	s->kmsg_waits = kw;
	pthread_mutex_unlock(&s->kmsg_lock);
	return kw;
}

static void kmsg_wait_end(struct fuse_server *s, struct kmsg_wait *kw)
{
	pthread_mutex_lock(&s->kmsg_lock);
	if (kw->prev)
		kw->prev->next = kw->next;
	else
		s->kmsg_waits = kw->next;
	if (kw->next)
		kw->next->prev = kw->prev;
	pthread_mutex_unlock(&s->kmsg_lock);
	memhp_printk_waiter_free(kw->w);
	free(kw);
}

/* The reader got a signal: its read gives up with EINTR, as
 * wait_event_interruptible() does, and frees its worker. */
static void kmsg_interrupted(fuse_req_t req, void *data)
{
	(void)req;
	memhp_printk_waiter_interrupt(data);
}

static void kmsg_read(fuse_req_t req, struct open_file *of, size_t size, off_t off, int flags)
{
	struct fuse_server *s = server(req);
	/* A record never needs more; a smaller buffer gets EINVAL. */
	size_t count = MIN_SIZE(size, (size_t)MEMHP_KMSG_RECORD_MAX);
	const bool nonblock = flags & O_NONBLOCK;
	struct kmsg_wait *kw = NULL;
	char *buf = malloc(count ? count : 1);
	ssize_t n;

	if (!buf || (!nonblock && !(kw = kmsg_wait_begin(s)))) {
		free(buf);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pthread_mutex_lock(&of->lock);
	if ((uint64_t)off != of->kmsg_pos) {
		if (off == 0)
			memhp_kmsg_llseek(of->kmsg, 0, SEEK_SET);
		of->kmsg_pos = (uint64_t)off;
	}
	pthread_mutex_unlock(&of->lock);
	if (kw)
		fuse_req_interrupt_func(req, kmsg_interrupted, kw->w);
	n = memhp_kmsg_read(of->kmsg, buf, count, nonblock, kw ? kw->w : NULL);
	if (kw) {
		/* Once this returns, no interrupt callback runs any more. */
		fuse_req_interrupt_func(req, NULL, NULL);
		kmsg_wait_end(s, kw);
	}
	if (n > 0) {
		pthread_mutex_lock(&of->lock);
		of->kmsg_pos += (uint64_t)n;
		pthread_mutex_unlock(&of->lock);
		fuse_reply_buf(req, buf, (size_t)n);
	} else {
		fuse_reply_err(req, (int)-n);
	}
	free(buf);
}

/* A seek the daemon carries out: the kernel's position for the file next. */
static off_t kmsg_moved(struct open_file *of)
{
	off_t pos;

	pthread_mutex_lock(&of->lock);
	pos = (off_t)++of->kmsg_pos;
	pthread_mutex_unlock(&of->lock);
	return pos;
}

static off_t kmsg_seek_end(struct open_file *of)
{
	if (!of->kmsg)
		return 0;
	memhp_kmsg_llseek(of->kmsg, 0, SEEK_END);
	return kmsg_moved(of);
}

static void op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	struct open_file *of = (struct open_file *)(uintptr_t)fi->fh;

	if (shm_of(req, ino) || !of->kmsg) {
		/* What the kernel answered before the daemon did: always
		 * ready (DEFAULT_POLLMASK). */
		if (ph)
			fuse_pollhandle_destroy(ph);
		fuse_reply_poll(req, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
		return;
	}
	/* Keep the handle before looking: a record that comes after the look
	 * finds it and wakes the poller. */
	if (ph) {
		struct fuse_pollhandle *old = atomic_exchange(&of->ph, ph);

		if (old)
			fuse_pollhandle_destroy(old);
	}
	fuse_reply_poll(req, memhp_kmsg_poll(of->kmsg));
}

/* Every new record wakes the pollers of /dev/kmsg (wake_up_klogd()). */
static void *kmsg_poll_notifier(void *arg)
{
	struct fuse_server *s = arg;
	uint64_t seq = memhp_printk_next_seq(s->m);

	while (!memhp_printk_wait(s->m, seq, s->poll_waiter)) {
		seq = memhp_printk_next_seq(s->m);
		pthread_mutex_lock(&s->files_lock);
		for (struct open_file *of = s->files; of; of = of->next) {
			struct fuse_pollhandle *ph = atomic_exchange(&of->ph, NULL);

			if (ph) {
				fuse_lowlevel_notify_poll(ph);
				fuse_pollhandle_destroy(ph);
			}
		}
		pthread_mutex_unlock(&s->files_lock);
	}
	return NULL;
}

/* End every wait for the log, and the poll notifier. */
static void kmsg_stop(struct fuse_server *s)
{
	pthread_mutex_lock(&s->kmsg_lock);
	s->kmsg_stopping = true;
	for (struct kmsg_wait *kw = s->kmsg_waits; kw; kw = kw->next)
		memhp_printk_waiter_interrupt(kw->w);
	pthread_mutex_unlock(&s->kmsg_lock);
	if (s->have_poll_thread) {
		memhp_printk_waiter_interrupt(s->poll_waiter);
		pthread_join(s->poll_thread, NULL);
		s->have_poll_thread = false;
	}
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct shmem_fuse *sf = shm_of(req, ino);
	struct statvfs sv;

	if (sf) {
		shmem_fuse_ops.statfs(sf, req, ino);
		return;
	}
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = FUSE_BLOCK_SIZE;
	sv.f_frsize = FUSE_BLOCK_SIZE;
	sv.f_namemax = FUSE_NAME_MAX;
	fuse_reply_statfs(req, &sv);
}

/* sysfs has no create, mknod, mkdir, unlink, ...: the VFS answers EACCES
 * for a create and EPERM for the others. The tmpfs has them all. */
static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct shmem_fuse *sf = shm_of(req, parent);

	if (sf)
		shmem_fuse_ops.create(sf, req, parent, name, mode, fi);
	else
		fuse_reply_err(req, EACCES);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	struct shmem_fuse *sf = shm_of(req, parent);

	if (sf)
		shmem_fuse_ops.mknod(sf, req, parent, name, mode, rdev);
	else
		fuse_reply_err(req, EACCES);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct shmem_fuse *sf = shm_of(req, parent);

	if (sf)
		shmem_fuse_ops.mkdir(sf, req, parent, name, mode);
	else
		fuse_reply_err(req, EPERM);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct shmem_fuse *sf = shm_of(req, parent);

	if (sf)
		shmem_fuse_ops.unlink(sf, req, parent, name);
	else
		fuse_reply_err(req, EPERM);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct shmem_fuse *sf = shm_of(req, parent);

	if (sf)
		shmem_fuse_ops.rmdir(sf, req, parent, name);
	else
		fuse_reply_err(req, EPERM);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	struct shmem_fuse *sf = shm_of(req, parent);

	if (sf)
		shmem_fuse_ops.symlink(sf, req, link, parent, name);
	else
		fuse_reply_err(req, EPERM);
}

/* Between the tree and the tmpfs: two file systems, as in the guest. */
static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	struct shmem_fuse *sf = shm_of(req, parent), *nsf = shm_of(req, newparent);

	if (sf && nsf)
		shmem_fuse_ops.rename(sf, req, parent, name, newparent, newname, flags);
	else
		fuse_reply_err(req, sf || nsf ? EXDEV : EPERM);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	struct shmem_fuse *sf = shm_of(req, ino), *nsf = shm_of(req, newparent);

	if (sf && nsf)
		shmem_fuse_ops.link(sf, req, ino, newparent, newname);
	else
		fuse_reply_err(req, sf || nsf ? EXDEV : EPERM);
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
			 struct fuse_file_info *fi)
{
	struct shmem_fuse *sf = shm_of(req, ino);

	if (sf)
		shmem_fuse_ops.fallocate(sf, req, ino, mode, off, len, fi);
	else
		fuse_reply_err(req, EOPNOTSUPP); /* sysfs has no ->fallocate */
}

/* The tree's files: generic_file_llseek() over the size stat() shows;
 * /dev/kmsg: devkmsg_llseek(). */
static void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	struct shmem_fuse *sf = shm_of(req, ino);
	struct open_file *of;
	struct memhp_fs_attr a;
	int ret;

	if (sf) {
		shmem_fuse_ops.lseek(sf, req, ino, off, whence, fi);
		return;
	}
	of = (struct open_file *)(uintptr_t)fi->fh;
	if (of->kmsg) {
		/* devkmsg_llseek() has no holes. */
		ret = whence == SEEK_DATA ? memhp_kmsg_llseek(of->kmsg, off, SEEK_DATA) : -EINVAL;
		if (ret)
			fuse_reply_err(req, -ret);
		else
			fuse_reply_lseek(req, kmsg_moved(of));
		return;
	}
	ret = memhp_fs_getattr(server(req)->fs, tree_ino(server(req), ino), &a);
	if (ret)
		fuse_reply_err(req, -ret);
	else if (off < 0 || off >= a.size)
		fuse_reply_err(req, ENXIO);
	else
		fuse_reply_lseek(req, whence == SEEK_DATA ? off : a.size);
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
	.poll = op_poll,
};

/* ---- Starting and stopping --------------------------------------------------------- */

static void server_free(struct fuse_server *s)
{
	shmem_fuse_stop(s->shm);
	memhp_printk_waiter_free(s->poll_waiter);
	pthread_mutex_destroy(&s->kmsg_lock);
	pthread_mutex_destroy(&s->files_lock);
	pthread_mutex_destroy(&s->vnode_lock);
	free(s);
}

int fuse_server_start(struct memhp_fs *fs, struct memhp_shmem *dev_shm, const char *mountpoint,
		      int ended, struct fuse_server **out)
{
	struct memhp_fs_attr kmsg;
	struct fuse_server *s;
	int ret;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fs = fs;
	s->m = memhp_fs_machine(fs);
	if (!memhp_fs_resolve(fs, "/dev/kmsg", true, &kmsg))
		s->kmsg_ino = kmsg.ino;
	pthread_mutex_init(&s->vnode_lock, NULL);
	pthread_mutex_init(&s->files_lock, NULL);
	pthread_mutex_init(&s->kmsg_lock, NULL);
	s->poll_waiter = memhp_printk_waiter_new(s->m);
	if (!s->poll_waiter) {
		server_free(s);
		return -ENOMEM;
	}
	clock_gettime(CLOCK_REALTIME, &s->start);
	if (dev_shm) {
		struct memhp_fs_attr a;

		s->shm = shmem_fuse_subtree(dev_shm);
		if (!s->shm || memhp_fs_resolve(fs, "/dev/shm", true, &a)) {
			server_free(s);
			fprintf(stderr, "%s: cannot serve the tmpfs at /dev/shm\n", run_prog);
			return -ENOMEM;
		}
		s->dev_shm_ino = a.ino;
	}
	ret = fuse_pool_start(&s->pool, &ops, sizeof(ops), s, mountpoint, "memhp", FUSE_WORKERS,
			      ended);
	if (ret) {
		server_free(s);
		return ret;
	}
	ret = pthread_create(&s->poll_thread, NULL, kmsg_poll_notifier, s);
	if (ret) {
		fprintf(stderr, "%s: cannot start the /dev/kmsg poll notifier: %s\n", run_prog,
			strerror(ret));
		fuse_server_stop(s);
		return -ret;
	}
	s->have_poll_thread = true;
	*out = s;
	return 0;
}

void fuse_server_set_caller_hook(struct fuse_server *s, fuse_caller_fn fn, void *arg)
{
	atomic_store_explicit(&s->caller_arg, arg, memory_order_relaxed);
	atomic_store_explicit(&s->caller_hook, fn, memory_order_release);
}

void fuse_server_stop(struct fuse_server *s)
{
	if (!s)
		return;
	/* A worker stuck in a long offline must come back before it can be
	 * joined: interrupt every write, as the kernel would on SIGKILL. */
	memhp_fs_shutdown(s->fs);
	kmsg_stop(s);
	fuse_pool_stop(&s->pool);
	for (unsigned int i = 0; i < VNODE_BUCKETS; i++) {
		while (s->vnodes[i]) {
			struct vnode *v = s->vnodes[i];

			s->vnodes[i] = v->next;
			free(v);
		}
	}
	while (s->files)
		file_free(s, s->files);
	server_free(s);
}
