// SPDX-License-Identifier: MIT
/*
 * shmem.c - tmpfs of the machine (mm/shmem.c): directories and files whose
 * pages are the machine's movable pages, built on the public API as
 * data.c is.
 *
 * An instance is a movable owner. Its pages are slots, as data.c's are:
 * each slot remembers its pfn, its state, the checksum of its bytes and
 * the file page it is (inode and index); a page's private cookie is its
 * slot. A file's page cache maps page indices to slots through a small
 * radix tree, so sparse files cost nothing for their holes.
 *
 * One mutex per instance guards everything: the tree of names, the inodes,
 * the page caches, the slots and the bytes of the pages. Migration copies
 * a page without it, between ->isolate_page and ->migrate_page, so a
 * write to an isolated page waits until the page has moved or gone back
 * (the kernel's writer waits for the page lock that migration holds);
 * reads go on, since the copy only reads the page too. Lock order: the
 * instance's mutex, then the allocator's zone locks.
 */
#include "workload.h"

#include <memhp/shmem.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* tmpfs gives a directory this size per entry, "." and ".." included. */
#define BOGO_DIRENT_SIZE 20
/* relatime: atime moves at least once a day. */
#define RELATIME_INTERVAL_S (24 * 60 * 60)
/* Hash tables start this small and double when twice as full. */
#define ITABLE_MIN_BUCKETS 64
#define DIR_MIN_BUCKETS 8
/* The slot table's first size; it doubles as files grow. */
#define SLOTS_MIN 1024
/* A hard link count that still fits nlink_t comfortably (tmpfs: ~0U). */
#define SHMEM_LINK_MAX 65000
/* Readdir positions: 0 is ".", 1 is "..", entries start here. */
#define FIRST_ENTRY_POS 2
/* fallocate() remembers the pages it allocates, to undo them on failure,
 * in an array that starts this large. */
#define FALLOC_UNDO_MIN 64
/* The anonymous memory is written in pieces this large. */
#define ANON_FILL_CHUNK (64 * 1024)
#define PAGE_MASK_ (MEMHP_PAGE_SIZE - 1)

/* ---- A radix tree of page indices (the page cache's xarray) ------------------ */

#define XA_CHUNK_SHIFT 6
#define XA_CHUNK_SIZE (1u << XA_CHUNK_SHIFT)
#define XA_CHUNK_MASK (XA_CHUNK_SIZE - 1)

struct xa_node {
	unsigned int count; /* slots in use */
	union {
		struct xa_node *child[XA_CHUNK_SIZE]; /* above the leaves */
		uint32_t value[XA_CHUNK_SIZE];	      /* leaves: slot + 1, 0 for a hole */
	};
};

struct xarray {
	struct xa_node *root;
	unsigned int height; /* 0: empty; h covers indices below 64^h */
};

static bool xa_fits(unsigned int height, uint64_t index)
{
	return height * XA_CHUNK_SHIFT >= 64 || !(index >> (height * XA_CHUNK_SHIFT));
}

static unsigned int xa_slot(uint64_t index, unsigned int h)
{
	return (unsigned int)(index >> (XA_CHUNK_SHIFT * (h - 1))) & XA_CHUNK_MASK;
}

static uint32_t xa_load(const struct xarray *xa, uint64_t index)
{
	const struct xa_node *n = xa->root;

	if (!n || !xa_fits(xa->height, index))
		return 0;
	for (unsigned int h = xa->height; h > 1; h--) {
		n = n->child[xa_slot(index, h)];
		if (!n)
			return 0;
	}
	return n->value[index & XA_CHUNK_MASK];
}

/* Store a non-zero @value at @index: 0 or -ENOMEM. */
static int xa_store(struct xarray *xa, uint64_t index, uint32_t value)
{
	struct xa_node *n;

	if (!xa->root) {
		unsigned int h = 1;

		while (!xa_fits(h, index))
			h++;
		xa->root = calloc(1, sizeof(*xa->root));
		if (!xa->root)
			return -ENOMEM;
		xa->height = h;
	}
	while (!xa_fits(xa->height, index)) {
		struct xa_node *up = calloc(1, sizeof(*up));

		if (!up)
			return -ENOMEM;
		up->child[0] = xa->root;
		up->count = 1;
		xa->root = up;
		xa->height++;
	}
	n = xa->root;
	for (unsigned int h = xa->height; h > 1; h--) {
		struct xa_node **c = &n->child[xa_slot(index, h)];

		if (!*c) {
			*c = calloc(1, sizeof(**c));
			if (!*c)
				return -ENOMEM; /* an empty node stays: harmless */
			n->count++;
		}
		n = *c;
	}
	if (!n->value[index & XA_CHUNK_MASK])
		n->count++;
	n->value[index & XA_CHUNK_MASK] = value;
	return 0;
}

/* Remove @index; nodes left empty go. */
static void xa_erase(struct xarray *xa, uint64_t index)
{
	struct xa_node *path[64 / XA_CHUNK_SHIFT + 1];
	struct xa_node *n = xa->root;
	unsigned int h, depth = 0;

	if (!n || !xa_fits(xa->height, index))
		return;
	for (h = xa->height; h > 1; h--) {
		path[depth++] = n;
		n = n->child[xa_slot(index, h)];
		if (!n)
			return;
	}
	if (!n->value[index & XA_CHUNK_MASK])
		return;
	n->value[index & XA_CHUNK_MASK] = 0;
	/* Free empty nodes from the leaf up; h counts the level of n. */
	for (h = 1; !--n->count; h++) {
		free(n);
		if (!depth) {
			xa->root = NULL;
			xa->height = 0;
			return;
		}
		n = path[--depth];
		n->child[xa_slot(index, h + 1)] = NULL;
	}
}

static uint32_t xa_find_in(const struct xa_node *n, unsigned int h, uint64_t base, uint64_t start,
			   uint64_t *found)
{
	unsigned int shift = XA_CHUNK_SHIFT * (h - 1);
	unsigned int i = start > base ? (unsigned int)((start - base) >> shift) : 0;

	for (; i < XA_CHUNK_SIZE; i++) {
		uint64_t b = base + ((uint64_t)i << shift);
		uint32_t v;

		if (h == 1) {
			if (n->value[i]) {
				*found = b;
				return n->value[i];
			}
			continue;
		}
		if (!n->child[i])
			continue;
		v = xa_find_in(n->child[i], h - 1, b, start, found);
		if (v)
			return v;
	}
	return 0;
}

/* The first entry at or after @start: its value (0: none) and index. */
static uint32_t xa_find(const struct xarray *xa, uint64_t start, uint64_t *found)
{
	if (!xa->root || !xa_fits(xa->height, start))
		return 0;
	return xa_find_in(xa->root, xa->height, 0, start, found);
}

static void xa_free_node(struct xa_node *n, unsigned int h)
{
	if (h > 1)
		for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++)
			if (n->child[i])
				xa_free_node(n->child[i], h - 1);
	free(n);
}

static void xa_destroy(struct xarray *xa)
{
	if (xa->root)
		xa_free_node(xa->root, xa->height);
	xa->root = NULL;
	xa->height = 0;
}

/* ---- Inodes, names and slots ---------------------------------------------------- */

enum slot_state { SLOT_FREE, SLOT_LIVE, SLOT_ISOLATED, SLOT_DEAD, SLOT_HWPOISON };

struct shmem_inode;

struct slot {
	uint32_t pfn;
	uint16_t state;
	/* The node NR_FILE_PAGES and NR_SHMEM count the page on: a poisoned
	 * page stays counted after its memory may have gone. */
	uint16_t nid;
	uint64_t csum;
	struct shmem_inode *inode; /* NULL once the file let go of it (DEAD) */
	uint64_t index;
};

struct dentry {
	struct shmem_inode *inode;
	uint64_t pos;		    /* readdir position */
	struct dentry *next, *prev; /* in position order */
	struct dentry *hnext;	    /* hash chain */
	char name[];
};

struct shmem_dir {
	struct shmem_inode *parent; /* "..": the root's is the root */
	struct dentry *first, *last;
	struct dentry **buckets;
	unsigned long nbuckets, nr;
	uint64_t next_pos;
};

struct shmem_inode {
	uint64_t ino;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	dev_t rdev;
	nlink_t nlink;
	uint64_t nlookup;  /* references: lookups, creations, file_setup */
	unsigned int pins; /* calls in progress on it */
	uint64_t size;
	unsigned long nr_pages; /* pages in its page cache, poisoned too */
	struct timespec atime, mtime, ctime;
	bool pinned;
	struct xarray pages;   /* regular files */
	struct shmem_dir *dir; /* directories */
	char *target;	       /* symbolic links */
	struct shmem_inode *hnext;
};

struct memhp_shmem {
	struct memhp_machine *m;
	int owner_id;
	struct memhp_shmem_options opts;
	pthread_mutex_t lock;
	pthread_cond_t page_moved; /* a page left isolation */
	struct shmem_inode *root;
	struct shmem_inode **itable;
	unsigned long nbuckets, nr_inodes; /* nr_inodes: in the table, used_inodes too */
	uint64_t next_ino;
	uint64_t used_blocks;
	struct slot *slots;
	unsigned long nr_slots, cap;
	uint32_t *free_slots;
	unsigned long nr_free_slots;
	unsigned long nr_hwpoisoned;
	_Atomic unsigned long nr_migrated;
	uint64_t zero_csum;
};

static struct timespec current_time(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return t;
}

static int ts_cmp(struct timespec a, struct timespec b)
{
	if (a.tv_sec != b.tv_sec)
		return a.tv_sec < b.tv_sec ? -1 : 1;
	return a.tv_nsec < b.tv_nsec ? -1 : a.tv_nsec > b.tv_nsec;
}

/* relatime, tmpfs's default: atime moves when it is older than the last
 * change, or a day old. */
static void touch_atime(struct shmem_inode *inode)
{
	struct timespec t = current_time();

	if (ts_cmp(inode->atime, inode->mtime) <= 0 || ts_cmp(inode->atime, inode->ctime) <= 0 ||
	    t.tv_sec - inode->atime.tv_sec >= RELATIME_INTERVAL_S)
		inode->atime = t;
}

static void touch_mc(struct shmem_inode *inode)
{
	inode->mtime = inode->ctime = current_time();
}

static uint64_t hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static struct shmem_inode *iget(struct memhp_shmem *sb, uint64_t ino)
{
	struct shmem_inode *i = sb->itable[ino % sb->nbuckets];

	while (i && i->ino != ino)
		i = i->hnext;
	return i;
}

static int itable_grow(struct memhp_shmem *sb)
{
	unsigned long n = sb->nbuckets * 2;
	struct shmem_inode **t = calloc(n, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (unsigned long b = 0; b < sb->nbuckets; b++)
		while (sb->itable[b]) {
			struct shmem_inode *i = sb->itable[b];

			sb->itable[b] = i->hnext;
			i->hnext = t[i->ino % n];
			t[i->ino % n] = i;
		}
	free(sb->itable);
	sb->itable = t;
	sb->nbuckets = n;
	return 0;
}

static void itable_remove(struct memhp_shmem *sb, struct shmem_inode *inode)
{
	struct shmem_inode **p = &sb->itable[inode->ino % sb->nbuckets];

	while (*p != inode)
		p = &(*p)->hnext;
	*p = inode->hnext;
	sb->nr_inodes--;
}

static void fill_attr(const struct shmem_inode *inode, struct memhp_shmem_attr *a)
{
	if (!a)
		return;
	a->ino = inode->ino;
	a->mode = inode->mode;
	a->nlink = inode->nlink;
	a->uid = inode->uid;
	a->gid = inode->gid;
	a->rdev = inode->rdev;
	a->size = inode->size;
	a->blocks = inode->nr_pages;
	a->atime = inode->atime;
	a->mtime = inode->mtime;
	a->ctime = inode->ctime;
}

/* The guest kernel holds a dentry and an inode for each file, in its
 * slab (memhp/guest.h), when the machine has one at work. */
static void guest_file(struct memhp_shmem *sb, bool created)
{
	struct memhp_guest *g = memhp_machine_guest(sb->m);

	if (!g)
		return;
	if (created)
		memhp_guest_file_created(g);
	else
		memhp_guest_file_removed(g);
}

/* shmem_get_inode(): a new inode in the table, nlink and references 0.
 * NULL: -ENOSPC (nr_inodes) or -ENOMEM in *@err. */
static struct shmem_inode *new_inode(struct memhp_shmem *sb, mode_t mode, uid_t uid, gid_t gid,
				     int *err)
{
	struct shmem_inode *inode;

	if (sb->opts.max_inodes && sb->nr_inodes >= sb->opts.max_inodes) {
		*err = -ENOSPC;
		return NULL;
	}
	if (sb->nr_inodes >= 2 * sb->nbuckets && itable_grow(sb)) {
		*err = -ENOMEM;
		return NULL;
	}
	inode = calloc(1, sizeof(*inode));
	if (inode && S_ISDIR(mode)) {
		inode->dir = calloc(1, sizeof(*inode->dir));
		if (inode->dir) {
			inode->dir->nbuckets = DIR_MIN_BUCKETS;
			inode->dir->buckets = calloc(DIR_MIN_BUCKETS, sizeof(struct dentry *));
			inode->dir->next_pos = FIRST_ENTRY_POS;
		}
		if (!inode->dir || !inode->dir->buckets) {
			if (inode->dir)
				free(inode->dir->buckets);
			free(inode->dir);
			free(inode);
			inode = NULL;
		}
	}
	if (!inode) {
		*err = -ENOMEM;
		return NULL;
	}
	inode->ino = sb->next_ino++;
	inode->mode = mode;
	inode->uid = uid;
	inode->gid = gid;
	inode->atime = inode->mtime = inode->ctime = current_time();
	inode->pinned = sb->opts.pinned;
	if (S_ISDIR(mode))
		inode->size = 2 * BOGO_DIRENT_SIZE;
	inode->hnext = sb->itable[inode->ino % sb->nbuckets];
	sb->itable[inode->ino % sb->nbuckets] = inode;
	sb->nr_inodes++;
	guest_file(sb, true);
	return inode;
}

static struct dentry *d_lookup(const struct shmem_dir *dir, const char *name)
{
	struct dentry *d = dir->buckets[hash_name(name) % dir->nbuckets];

	while (d && strcmp(d->name, name))
		d = d->hnext;
	return d;
}

static void d_hash(struct shmem_dir *dir, struct dentry *d)
{
	unsigned long b = hash_name(d->name) % dir->nbuckets;

	d->hnext = dir->buckets[b];
	dir->buckets[b] = d;
}

static void d_unhash(struct shmem_dir *dir, struct dentry *d)
{
	struct dentry **p = &dir->buckets[hash_name(d->name) % dir->nbuckets];

	while (*p != d)
		p = &(*p)->hnext;
	*p = d->hnext;
}

/* A new entry at the end of @dir: 0 or -ENOMEM. */
static int d_add(struct shmem_inode *dirino, const char *name, struct shmem_inode *inode)
{
	struct shmem_dir *dir = dirino->dir;
	size_t len = strlen(name);
	struct dentry *d = malloc(sizeof(*d) + len + 1);

	if (!d)
		return -ENOMEM;
	if (dir->nr >= 2 * dir->nbuckets) {
		unsigned long n = dir->nbuckets * 2;
		struct dentry **t = calloc(n, sizeof(*t));

		if (t) {
			free(dir->buckets);
			dir->buckets = t;
			dir->nbuckets = n;
			for (struct dentry *e = dir->first; e; e = e->next)
				d_hash(dir, e);
		} /* else: longer chains, still correct */
	}
	memcpy(d->name, name, len + 1);
	d->inode = inode;
	d->pos = dir->next_pos++;
	d->next = NULL;
	d->prev = dir->last;
	if (dir->last)
		dir->last->next = d;
	else
		dir->first = d;
	dir->last = d;
	d_hash(dir, d);
	dir->nr++;
	dirino->size += BOGO_DIRENT_SIZE;
	return 0;
}

static void d_delete(struct shmem_inode *dirino, struct dentry *d)
{
	struct shmem_dir *dir = dirino->dir;

	d_unhash(dir, d);
	if (d->prev)
		d->prev->next = d->next;
	else
		dir->first = d->next;
	if (d->next)
		d->next->prev = d->prev;
	else
		dir->last = d->prev;
	dir->nr--;
	dirino->size -= BOGO_DIRENT_SIZE;
	free(d);
}

/* ---- The page cache ---------------------------------------------------------------- */

static void *slot_address(struct memhp_shmem *sb, const struct slot *s)
{
	return (char *)memhp_phys_base(sb->m) + ((uint64_t)s->pfn << MEMHP_PAGE_SHIFT);
}

static void release_slot(struct memhp_shmem *sb, uint32_t idx)
{
	sb->slots[idx].state = SLOT_FREE;
	sb->slots[idx].inode = NULL;
	sb->free_slots[sb->nr_free_slots++] = idx;
}

/* A free slot into *@idx: 0, or -ENOMEM (the table cannot grow). */
static int get_slot(struct memhp_shmem *sb, uint32_t *idx)
{
	if (sb->nr_free_slots) {
		*idx = sb->free_slots[--sb->nr_free_slots];
		return 0;
	}
	if (sb->nr_slots == sb->cap) {
		unsigned long ncap = sb->cap ? sb->cap * 2 : SLOTS_MIN;
		struct slot *ns;
		uint32_t *nf;

		if (ncap > UINT32_MAX)
			return -ENOMEM;
		ns = realloc(sb->slots, ncap * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		sb->slots = ns;
		nf = realloc(sb->free_slots, ncap * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		sb->free_slots = nf;
		sb->cap = ncap;
	}
	*idx = (uint32_t)sb->nr_slots++;
	return 0;
}

/* NR_FILE_PAGES and NR_SHMEM of node @nid, where the page is
 * (__lruvec_stat_mod_folio()). NR_SHMEM is a part of NR_FILE_PAGES: count
 * it after, uncount it before, so that it never exceeds it. */
static void mod_shmem_stat(struct memhp_shmem *sb, int nid, long nr)
{
	if (nr > 0) {
		memhp_mod_node_page_state(sb->m, nid, MEMHP_NR_FILE_PAGES, nr);
		memhp_mod_node_page_state(sb->m, nid, MEMHP_NR_SHMEM, nr);
	} else {
		memhp_mod_node_page_state(sb->m, nid, MEMHP_NR_SHMEM, nr);
		memhp_mod_node_page_state(sb->m, nid, MEMHP_NR_FILE_PAGES, nr);
	}
}

static void account_page(struct memhp_shmem *sb, struct shmem_inode *inode, int nid, long nr)
{
	mod_shmem_stat(sb, nid, nr);
	inode->nr_pages += (unsigned long)nr;
	sb->used_blocks += (uint64_t)nr;
}

/*
 * shmem_alloc_and_add_folio(): a zeroed page for a hole of @inode at
 * @index, in its page cache. Returns the slot, or -ENOSPC (size= reached,
 * or no free page), -ENOMEM.
 */
static long shmem_alloc_page(struct memhp_shmem *sb, struct shmem_inode *inode, uint64_t index)
{
	struct memhp_page *page;
	uint32_t idx;

	if (sb->opts.max_blocks && sb->used_blocks >= sb->opts.max_blocks)
		return -ENOSPC;
	page = memhp_alloc_pages(sb->m, MEMHP_GFP_HIGHUSER_MOVABLE | MEMHP___GFP_ZERO, 0);
	if (!page)
		return -ENOSPC;
	if (get_slot(sb, &idx)) {
		memhp_put_page(page);
		return -ENOMEM;
	}
	if (xa_store(&inode->pages, index, idx + 1)) {
		release_slot(sb, idx);
		memhp_put_page(page);
		return -ENOMEM;
	}
	sb->slots[idx] = (struct slot){
		.pfn = (uint32_t)memhp_page_to_pfn(page),
		.state = SLOT_LIVE,
		.nid = (uint16_t)memhp_page_to_nid(page),
		.csum = sb->zero_csum,
		.inode = inode,
		.index = index,
	};
	/* Under the lock, so isolation sees a whole slot. */
	memhp_SetPageMovable(page, sb->owner_id, idx);
	account_page(sb, inode, sb->slots[idx].nid, 1);
	return idx;
}

/* How shmem_getpage() is asked for a page (enum sgp_type). */
enum sgp_type {
	SGP_READ,   /* what is there; a hole stays a hole */
	SGP_WRITE,  /* a page to write into: allocated for a hole, moved first */
	SGP_FALLOC, /* a page for a hole; what is there stays as it is */
};

/*
 * shmem_get_folio(): the slot of page @index of @inode, or -1 for a hole
 * (SGP_READ). SGP_WRITE waits while the page is being migrated, and may
 * drop the lock to do so: the caller looks at nothing it saw before
 * again. Returns the slot, -1, or -EIO (SGP_WRITE on a poisoned page),
 * -ENOSPC, -ENOMEM.
 */
static long shmem_getpage(struct memhp_shmem *sb, struct shmem_inode *inode, uint64_t index,
			  enum sgp_type sgp)
{
	for (;;) {
		uint32_t v = xa_load(&inode->pages, index);
		struct slot *s;

		if (!v)
			return sgp == SGP_READ ? -1 : shmem_alloc_page(sb, inode, index);
		s = &sb->slots[v - 1];
		if (sgp != SGP_WRITE)
			return v - 1;
		if (s->state == SLOT_HWPOISON)
			return -EIO;
		if (s->state != SLOT_ISOLATED)
			return v - 1;
		pthread_cond_wait(&sb->page_moved, &sb->lock);
	}
}

/*
 * Take page @index out of @inode's page cache (filemap_remove_folio()),
 * uncounted at once. A page being migrated is left to the migration path,
 * which frees it when the owner says it is gone; a poisoned one is memory
 * failure's already.
 */
static void shmem_remove_page(struct memhp_shmem *sb, struct shmem_inode *inode, uint64_t index,
			      uint32_t idx)
{
	struct slot *s = &sb->slots[idx];
	struct memhp_page *page;

	xa_erase(&inode->pages, index);
	account_page(sb, inode, s->nid, -1);
	switch (s->state) {
	case SLOT_LIVE:
		page = memhp_pfn_to_page(sb->m, s->pfn);
		memhp_ClearPageMovable(page);
		memhp_put_page(page);
		release_slot(sb, idx);
		break;
	case SLOT_ISOLATED:
		s->state = SLOT_DEAD;
		s->inode = NULL;
		break;
	default: /* SLOT_HWPOISON */
		release_slot(sb, idx);
		break;
	}
}

/* Free every page of @inode from index @start on. */
static void shmem_undo_range(struct memhp_shmem *sb, struct shmem_inode *inode, uint64_t start,
			     uint64_t end)
{
	uint64_t index;
	uint32_t v;

	while (start < end && (v = xa_find(&inode->pages, start, &index)) && index < end) {
		shmem_remove_page(sb, inode, index, v - 1);
		start = index + 1;
	}
}

/*
 * Zero bytes [@from, @to) of page @index, as truncation and hole punching
 * do with the page at an edge. Waits for a page being migrated: the lock
 * may drop. A poisoned page stays as it is: it cannot be read anyway.
 */
static void zero_partial(struct memhp_shmem *sb, struct shmem_inode *inode, uint64_t index,
			 size_t from, size_t to)
{
	struct slot *s;

	for (;;) {
		uint32_t v = xa_load(&inode->pages, index);

		if (!v)
			return;
		s = &sb->slots[v - 1];
		if (s->state == SLOT_HWPOISON)
			return;
		if (s->state != SLOT_ISOLATED)
			break;
		pthread_cond_wait(&sb->page_moved, &sb->lock);
	}
	memset((char *)slot_address(sb, s) + from, 0, to - from);
	s->csum = workload_page_csum(slot_address(sb, s));
}

/* shmem_setattr()'s size change; nothing can fail. */
static void shmem_truncate(struct memhp_shmem *sb, struct shmem_inode *inode, uint64_t newsize)
{
	if (newsize < inode->size) {
		if (newsize & PAGE_MASK_)
			zero_partial(sb, inode, newsize >> MEMHP_PAGE_SHIFT, newsize & PAGE_MASK_,
				     MEMHP_PAGE_SIZE);
		shmem_undo_range(sb, inode, (newsize + PAGE_MASK_) >> MEMHP_PAGE_SHIFT, UINT64_MAX);
	}
	inode->size = newsize;
	touch_mc(inode);
}

/* ---- Inode lifetime ---------------------------------------------------------------- */

static void evict(struct memhp_shmem *sb, struct shmem_inode *inode)
{
	shmem_undo_range(sb, inode, 0, UINT64_MAX);
	xa_destroy(&inode->pages);
	itable_remove(sb, inode);
	if (inode->dir) {
		/* Only an empty directory loses its last link. */
		free(inode->dir->buckets);
		free(inode->dir);
	}
	free(inode->target);
	free(inode);
	guest_file(sb, false);
}

/* An inode with no name, no reference and no call on it goes. */
static void iput_final(struct memhp_shmem *sb, struct shmem_inode *inode)
{
	if (inode != sb->root && !inode->nlink && !inode->nlookup && !inode->pins)
		evict(sb, inode);
}

/* Look @ino up and hold it for the length of a call. */
static struct shmem_inode *igrab(struct memhp_shmem *sb, uint64_t ino)
{
	struct shmem_inode *inode = iget(sb, ino);

	if (inode)
		inode->pins++;
	return inode;
}

static void iput(struct memhp_shmem *sb, struct shmem_inode *inode)
{
	inode->pins--;
	iput_final(sb, inode);
}

/* ---- The movable owner ---------------------------------------------------------------- */

static bool shmem_isolate(struct memhp_page *page, void *owner)
{
	struct memhp_shmem *sb = owner;
	uint32_t idx = memhp_page_private(page);
	bool ok = false;

	pthread_mutex_lock(&sb->lock);
	if (idx < sb->nr_slots && sb->slots[idx].state == SLOT_LIVE &&
	    sb->slots[idx].pfn == memhp_page_to_pfn(page)) {
		sb->slots[idx].state = SLOT_ISOLATED;
		ok = true;
	}
	pthread_mutex_unlock(&sb->lock);
	return ok;
}

/* The bytes are copied: the slot follows them. A pinned file refuses, as
 * a page with a long-term pin fails migration with -EAGAIN. */
static int shmem_migrate(struct memhp_page *dst, struct memhp_page *src, void *owner)
{
	struct memhp_shmem *sb = owner;
	uint32_t idx = memhp_page_private(src);
	struct slot *s;
	int ret = 0;

	pthread_mutex_lock(&sb->lock);
	s = idx < sb->nr_slots ? &sb->slots[idx] : NULL;
	if (!s || s->state != SLOT_ISOLATED || s->pfn != memhp_page_to_pfn(src)) {
		ret = -EBUSY; /* truncated meanwhile: putback lets it go */
	} else if (s->inode->pinned) {
		ret = -EAGAIN;
	} else {
		/* folio_migrate_mapping(): the page cache's counts follow the
		 * page to the target's node. */
		int nid = memhp_page_to_nid(dst);

		if (nid != s->nid) {
			mod_shmem_stat(sb, nid, 1);
			mod_shmem_stat(sb, s->nid, -1);
			s->nid = (uint16_t)nid;
		}
		s->pfn = (uint32_t)memhp_page_to_pfn(dst);
		s->state = SLOT_LIVE;
		atomic_fetch_add(&sb->nr_migrated, 1);
		pthread_cond_broadcast(&sb->page_moved);
	}
	pthread_mutex_unlock(&sb->lock);
	return ret;
}

static void shmem_putback(struct memhp_page *page, void *owner)
{
	struct memhp_shmem *sb = owner;
	uint32_t idx = memhp_page_private(page);
	bool drop = false;

	pthread_mutex_lock(&sb->lock);
	if (idx < sb->nr_slots && sb->slots[idx].state == SLOT_DEAD) {
		release_slot(sb, idx);
		drop = true;
	} else if (idx < sb->nr_slots && sb->slots[idx].state == SLOT_ISOLATED) {
		sb->slots[idx].state = SLOT_LIVE;
		pthread_cond_broadcast(&sb->page_moved);
	}
	pthread_mutex_unlock(&sb->lock);
	if (drop) {
		memhp_ClearPageMovable(page);
		memhp_put_page(page);
	}
}

/*
 * A memory failure took the page. 6.1 keeps a poisoned shmem page in its
 * file (shmem_error_remove_page() refuses to truncate it) and fails reads
 * and writes of it with -EIO: the slot stays in the file, counted, with no
 * page, until the file lets go of it. tmpfs pages are always dirty.
 */
static int shmem_unmap_poisoned(struct memhp_page *page, void *owner)
{
	struct memhp_shmem *sb = owner;
	uint32_t idx = memhp_page_private(page);
	struct slot *s;
	int ret = 0;

	pthread_mutex_lock(&sb->lock);
	s = idx < sb->nr_slots ? &sb->slots[idx] : NULL;
	if (!s || s->pfn != memhp_page_to_pfn(page) ||
	    (s->state != SLOT_LIVE && s->state != SLOT_ISOLATED)) {
		ret = -ENOENT;
	} else if (s->state == SLOT_ISOLATED) {
		ret = -EBUSY;
	} else {
		s->state = SLOT_HWPOISON;
		sb->nr_hwpoisoned++;
		memhp_SetPageDirty(page);
		memhp_ClearPageMovable(page);
	}
	pthread_mutex_unlock(&sb->lock);
	if (!ret)
		memhp_put_page(page);
	return ret;
}

static const struct memhp_movable_operations shmem_ops = {
	.name = "shmem",
	.lru = true,
	.isolate_page = shmem_isolate,
	.migrate_page = shmem_migrate,
	.putback_page = shmem_putback,
	.unmap_poisoned = shmem_unmap_poisoned,
};

/* ---- Instances ------------------------------------------------------------------------ */

void memhp_shmem_options_init(struct memhp_machine *m, struct memhp_shmem_options *o)
{
	unsigned long totalram = 0;

	/* totalram_pages(): what the zones manage. */
	for (int z = 0; z < MEMHP_NR_ZONES; z++) {
		struct memhp_zone_info zi;

		if (!memhp_zone_info(m, 0, (enum memhp_zone_type)z, &zi))
			totalram += zi.managed_pages;
	}
	memset(o, 0, sizeof(*o));
	o->max_blocks = totalram / MEMHP_SHMEM_DEFAULT_SIZE_DIVISOR;
	o->max_inodes = totalram / MEMHP_SHMEM_DEFAULT_SIZE_DIVISOR;
	o->mode = 01777;
}

int memhp_shmem_create(struct memhp_machine *m, const struct memhp_shmem_options *o,
		       struct memhp_shmem **out)
{
	struct memhp_shmem *sb = calloc(1, sizeof(*sb));
	char zero[MEMHP_PAGE_SIZE] = { 0 };
	int err = -ENOMEM;

	if (!sb)
		return -ENOMEM;
	sb->m = m;
	if (o)
		sb->opts = *o;
	else
		memhp_shmem_options_init(m, &sb->opts);
	sb->zero_csum = workload_page_csum(zero);
	sb->next_ino = MEMHP_SHMEM_ROOT_INO;
	sb->nbuckets = ITABLE_MIN_BUCKETS;
	sb->itable = calloc(sb->nbuckets, sizeof(*sb->itable));
	pthread_mutex_init(&sb->lock, NULL);
	pthread_cond_init(&sb->page_moved, NULL);
	/* The root takes one of nr_inodes, as in shmem_fill_super(). */
	if (sb->itable)
		sb->root = new_inode(sb, S_IFDIR | (sb->opts.mode & 07777), sb->opts.uid,
				     sb->opts.gid, &err);
	if (sb->root) {
		sb->root->nlink = 2;
		sb->root->dir->parent = sb->root;
		sb->owner_id = memhp_register_movable_owner(m, &shmem_ops, sb);
		err = sb->owner_id < 0 ? sb->owner_id : 0;
	}
	if (err) {
		if (sb->root)
			evict(sb, sb->root);
		pthread_cond_destroy(&sb->page_moved);
		pthread_mutex_destroy(&sb->lock);
		free(sb->itable);
		free(sb);
		return err;
	}
	*out = sb;
	return 0;
}

void memhp_shmem_destroy(struct memhp_shmem *sb)
{
	if (!sb)
		return;
	pthread_mutex_lock(&sb->lock);
	for (unsigned long b = 0; b < sb->nbuckets; b++)
		while (sb->itable[b]) {
			struct shmem_inode *inode = sb->itable[b];

			/* Names go with the directories: free every dentry. */
			if (inode->dir)
				while (inode->dir->first)
					d_delete(inode, inode->dir->first);
			evict(sb, inode);
		}
	pthread_mutex_unlock(&sb->lock);
	memhp_unregister_movable_owner(sb->m, sb->owner_id);
	pthread_cond_destroy(&sb->page_moved);
	pthread_mutex_destroy(&sb->lock);
	free(sb->itable);
	free(sb->slots);
	free(sb->free_slots);
	free(sb);
}

/* ---- Names -------------------------------------------------------------------------- */

/* A name an entry can have: 0, -ENAMETOOLONG, -EINVAL (empty, or a '/'). */
static int check_name(const char *name)
{
	size_t len = strnlen(name, MEMHP_SHMEM_NAME_MAX + 1);

	if (len > MEMHP_SHMEM_NAME_MAX)
		return -ENAMETOOLONG;
	if (!len || strchr(name, '/'))
		return -EINVAL;
	return 0;
}

static bool is_dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

/* A directory that can take new entries: -ENOENT, -ENOTDIR otherwise. */
static int live_dir(struct shmem_inode *dir)
{
	if (!dir)
		return -ENOENT;
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	return dir->nlink ? 0 : -ENOENT;
}

int memhp_shmem_lookup(struct memhp_shmem *sb, uint64_t parent, const char *name,
		       struct memhp_shmem_attr *attr)
{
	struct shmem_inode *dir, *inode = NULL;
	struct dentry *d;
	int ret = 0;

	if (strnlen(name, MEMHP_SHMEM_NAME_MAX + 1) > MEMHP_SHMEM_NAME_MAX)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&sb->lock);
	dir = iget(sb, parent);
	if (!dir)
		ret = -ENOENT;
	else if (!S_ISDIR(dir->mode))
		ret = -ENOTDIR;
	else if (!strcmp(name, "."))
		inode = dir;
	else if (!strcmp(name, ".."))
		inode = dir->dir->parent;
	else if ((d = d_lookup(dir->dir, name)))
		inode = d->inode;
	else
		ret = -ENOENT;
	if (inode) {
		inode->nlookup++;
		fill_attr(inode, attr);
	}
	pthread_mutex_unlock(&sb->lock);
	return ret;
}

void memhp_shmem_forget(struct memhp_shmem *sb, uint64_t ino, uint64_t nlookup)
{
	struct shmem_inode *inode;

	pthread_mutex_lock(&sb->lock);
	inode = iget(sb, ino);
	if (inode && inode != sb->root) {
		inode->nlookup -= nlookup < inode->nlookup ? nlookup : inode->nlookup;
		iput_final(sb, inode);
	}
	pthread_mutex_unlock(&sb->lock);
}

int memhp_shmem_getattr(struct memhp_shmem *sb, uint64_t ino, struct memhp_shmem_attr *attr)
{
	struct shmem_inode *inode;

	pthread_mutex_lock(&sb->lock);
	inode = iget(sb, ino);
	if (inode)
		fill_attr(inode, attr);
	pthread_mutex_unlock(&sb->lock);
	return inode ? 0 : -ENOENT;
}

int memhp_shmem_setattr(struct memhp_shmem *sb, uint64_t ino, unsigned int valid,
			const struct memhp_shmem_attr *in, struct memhp_shmem_attr *out)
{
	struct shmem_inode *inode;
	int ret = 0;

	pthread_mutex_lock(&sb->lock);
	inode = igrab(sb, ino);
	if (!inode) {
		pthread_mutex_unlock(&sb->lock);
		return -ENOENT;
	}
	if (valid & MEMHP_SHMEM_SET_SIZE) {
		if (S_ISDIR(inode->mode))
			ret = -EISDIR;
		else if (!S_ISREG(inode->mode))
			ret = -EINVAL;
		else if (in->size > (uint64_t)MEMHP_SHMEM_MAX_FILE_SIZE)
			ret = -EFBIG;
		else if (in->size != inode->size)
			shmem_truncate(sb, inode, in->size);
		else
			touch_mc(inode); /* an O_TRUNC of an empty file changes the times */
	}
	if (!ret) {
		struct timespec t = current_time();

		if (valid & MEMHP_SHMEM_SET_MODE)
			inode->mode = (inode->mode & S_IFMT) | (in->mode & 07777);
		if (valid & MEMHP_SHMEM_SET_UID)
			inode->uid = in->uid;
		if (valid & MEMHP_SHMEM_SET_GID)
			inode->gid = in->gid;
		if (valid & MEMHP_SHMEM_SET_ATIME_NOW)
			inode->atime = t;
		else if (valid & MEMHP_SHMEM_SET_ATIME)
			inode->atime = in->atime;
		if (valid & MEMHP_SHMEM_SET_MTIME_NOW)
			inode->mtime = t;
		else if (valid & MEMHP_SHMEM_SET_MTIME)
			inode->mtime = in->mtime;
		/* Any change of attributes is a change of the inode. */
		if (valid & MEMHP_SHMEM_SET_CTIME)
			inode->ctime = in->ctime;
		else if (valid)
			inode->ctime = t;
		fill_attr(inode, out);
	}
	iput(sb, inode);
	pthread_mutex_unlock(&sb->lock);
	return ret;
}

/*
 * Make an entry @name in @parent for a new inode of @mode (and @target
 * for a link), holding one reference. Caller holds the lock. Returns 0,
 * -ENOENT, -ENOTDIR, -EEXIST, -ENAMETOOLONG, -EINVAL, -ENOSPC, -ENOMEM.
 */
static int make_entry(struct memhp_shmem *sb, uint64_t parent, const char *name, mode_t mode,
		      dev_t rdev, uid_t uid, gid_t gid, const char *target,
		      struct memhp_shmem_attr *attr)
{
	struct shmem_inode *dir = iget(sb, parent), *inode;
	int ret = live_dir(dir);

	if (!ret)
		ret = check_name(name);
	if (!ret && (is_dot(name) || d_lookup(dir->dir, name)))
		ret = -EEXIST;
	if (ret)
		return ret;
	/* inode_init_owner(): a set-group-ID directory gives its group, and
	 * its flag to subdirectories. */
	if (dir->mode & S_ISGID) {
		gid = dir->gid;
		if (S_ISDIR(mode))
			mode |= S_ISGID;
	}
	inode = new_inode(sb, mode, uid, gid, &ret);
	if (!inode)
		return ret;
	inode->rdev = rdev;
	if (target) {
		inode->target = strdup(target);
		inode->size = strlen(target);
	}
	if ((target && !inode->target) || d_add(dir, name, inode)) {
		evict(sb, inode);
		return -ENOMEM;
	}
	inode->nlink = S_ISDIR(mode) ? 2 : 1;
	if (S_ISDIR(mode)) {
		inode->dir->parent = dir;
		dir->nlink++;
	}
	inode->nlookup = 1;
	touch_mc(dir);
	fill_attr(inode, attr);
	return 0;
}

int memhp_shmem_mknod(struct memhp_shmem *sb, uint64_t parent, const char *name, mode_t mode,
		      dev_t rdev, uid_t uid, gid_t gid, struct memhp_shmem_attr *attr)
{
	int ret;

	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
		rdev = 0;
		break;
	case S_IFCHR:
	case S_IFBLK:
		break;
	default:
		return -EINVAL;
	}
	pthread_mutex_lock(&sb->lock);
	ret = make_entry(sb, parent, name, mode & (S_IFMT | 07777), rdev, uid, gid, NULL, attr);
	pthread_mutex_unlock(&sb->lock);
	return ret;
}

int memhp_shmem_mkdir(struct memhp_shmem *sb, uint64_t parent, const char *name, mode_t mode,
		      uid_t uid, gid_t gid, struct memhp_shmem_attr *attr)
{
	int ret;

	pthread_mutex_lock(&sb->lock);
	ret = make_entry(sb, parent, name, S_IFDIR | (mode & 07777), 0, uid, gid, NULL, attr);
	pthread_mutex_unlock(&sb->lock);
	return ret;
}

int memhp_shmem_symlink(struct memhp_shmem *sb, uint64_t parent, const char *name,
			const char *target, uid_t uid, gid_t gid, struct memhp_shmem_attr *attr)
{
	int ret;

	if (strnlen(target, MEMHP_SHMEM_SYMLINK_MAX) >= MEMHP_SHMEM_SYMLINK_MAX)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&sb->lock);
	ret = make_entry(sb, parent, name, S_IFLNK | 0777, 0, uid, gid, target, attr);
	pthread_mutex_unlock(&sb->lock);
	return ret;
}

int memhp_shmem_link(struct memhp_shmem *sb, uint64_t ino, uint64_t newparent, const char *newname,
		     struct memhp_shmem_attr *attr)
{
	struct shmem_inode *inode, *dir;
	int ret;

	pthread_mutex_lock(&sb->lock);
	inode = iget(sb, ino);
	dir = iget(sb, newparent);
	ret = inode ? live_dir(dir) : -ENOENT;
	if (!ret)
		ret = check_name(newname);
	if (!ret && S_ISDIR(inode->mode))
		ret = -EPERM;
	else if (!ret && !inode->nlink)
		ret = -ENOENT; /* an unlinked file gets no new name (no O_TMPFILE) */
	else if (!ret && inode->nlink >= SHMEM_LINK_MAX)
		ret = -EMLINK;
	else if (!ret && (is_dot(newname) || d_lookup(dir->dir, newname)))
		ret = -EEXIST;
	if (!ret)
		ret = d_add(dir, newname, inode);
	if (!ret) {
		inode->nlink++;
		inode->nlookup++;
		inode->ctime = current_time();
		touch_mc(dir);
		fill_attr(inode, attr);
	}
	pthread_mutex_unlock(&sb->lock);
	return ret;
}

ssize_t memhp_shmem_readlink(struct memhp_shmem *sb, uint64_t ino, char *buf, size_t size)
{
	struct shmem_inode *inode;
	ssize_t ret;

	pthread_mutex_lock(&sb->lock);
	inode = iget(sb, ino);
	if (!inode)
		ret = -ENOENT;
	else if (!S_ISLNK(inode->mode))
		ret = -EINVAL;
	else if (inode->size >= size)
		ret = -ENAMETOOLONG;
	else {
		memcpy(buf, inode->target, inode->size + 1);
		ret = (ssize_t)inode->size;
		touch_atime(inode);
	}
	pthread_mutex_unlock(&sb->lock);
	return ret;
}

/* Drop a name of @inode: a directory loses both its links, and a link in
 * its parent. */
static void drop_name(struct memhp_shmem *sb, struct shmem_inode *dir, struct dentry *d)
{
	struct shmem_inode *inode = d->inode;

	d_delete(dir, d);
	if (S_ISDIR(inode->mode)) {
		inode->nlink = 0;
		dir->nlink--;
	} else {
		inode->nlink--;
	}
	inode->ctime = current_time();
	touch_mc(dir);
	iput_final(sb, inode);
}

/* unlink() and rmdir(): their errnos are memhp_shmem_unlink()'s and
 * memhp_shmem_rmdir()'s. */
static int remove_name(struct memhp_shmem *sb, uint64_t parent, const char *name, bool rmdir)
{
	struct shmem_inode *dir;
	struct dentry *d = NULL;
	int ret;

	pthread_mutex_lock(&sb->lock);
	dir = iget(sb, parent);
	ret = !dir ? -ENOENT : !S_ISDIR(dir->mode) ? -ENOTDIR : 0;
	if (!ret && rmdir && !strcmp(name, "."))
		ret = -EINVAL;
	else if (!ret && rmdir && !strcmp(name, ".."))
		ret = -ENOTEMPTY;
	else if (!ret && !(d = d_lookup(dir->dir, name)))
		ret = -ENOENT;
	if (!ret && !rmdir && S_ISDIR(d->inode->mode))
		ret = -EISDIR;
	else if (!ret && rmdir && !S_ISDIR(d->inode->mode))
		ret = -ENOTDIR;
	else if (!ret && rmdir && d->inode->dir->nr)
		ret = -ENOTEMPTY;
	if (!ret)
		drop_name(sb, dir, d);
	pthread_mutex_unlock(&sb->lock);
	return ret;
}

int memhp_shmem_unlink(struct memhp_shmem *sb, uint64_t parent, const char *name)
{
	return remove_name(sb, parent, name, false);
}

int memhp_shmem_rmdir(struct memhp_shmem *sb, uint64_t parent, const char *name)
{
	return remove_name(sb, parent, name, true);
}

/* Is @dir @ancestor or below it? */
static bool is_subdir(const struct memhp_shmem *sb, const struct shmem_inode *dir,
		      const struct shmem_inode *ancestor)
{
	for (;;) {
		if (dir == ancestor)
			return true;
		if (dir == sb->root)
			return false;
		dir = dir->dir->parent;
	}
}

/* A directory @inode moves from @from to @to: its ".." and both link counts. */
static void reparent(struct shmem_inode *inode, struct shmem_inode *from, struct shmem_inode *to)
{
	if (!S_ISDIR(inode->mode) || from == to)
		return;
	inode->dir->parent = to;
	from->nlink--;
	to->nlink++;
}

int memhp_shmem_rename(struct memhp_shmem *sb, uint64_t parent, const char *name,
		       uint64_t newparent, const char *newname, unsigned int flags)
{
	const unsigned int known = MEMHP_SHMEM_RENAME_NOREPLACE | MEMHP_SHMEM_RENAME_EXCHANGE;
	struct shmem_inode *odir, *ndir, *inode, *target;
	struct dentry *od, *nd;
	int ret;

	if ((flags & ~known) || flags == known)
		return -EINVAL;
	pthread_mutex_lock(&sb->lock);
	odir = iget(sb, parent);
	ndir = iget(sb, newparent);
	ret = !odir || !ndir ? -ENOENT : !S_ISDIR(odir->mode) ? -ENOTDIR : live_dir(ndir);
	if (!ret)
		ret = check_name(newname);
	if (!ret && (is_dot(name) || is_dot(newname)))
		ret = -EINVAL;
	if (ret)
		goto out;
	od = d_lookup(odir->dir, name);
	nd = d_lookup(ndir->dir, newname);
	if (!od) {
		ret = -ENOENT;
		goto out;
	}
	inode = od->inode;
	target = nd ? nd->inode : NULL;
	if (od == nd)
		goto out; /* the same entry */
	if (flags & MEMHP_SHMEM_RENAME_EXCHANGE) {
		if (!nd) {
			ret = -ENOENT;
			goto out;
		}
		/* Neither may move below itself. */
		if ((S_ISDIR(inode->mode) && is_subdir(sb, ndir, inode)) ||
		    (S_ISDIR(target->mode) && is_subdir(sb, odir, target))) {
			ret = -EINVAL;
			goto out;
		}
		od->inode = target;
		nd->inode = inode;
		reparent(inode, odir, ndir);
		reparent(target, ndir, odir);
		inode->ctime = target->ctime = current_time();
		touch_mc(odir);
		touch_mc(ndir);
		goto out;
	}
	if (S_ISDIR(inode->mode) && is_subdir(sb, ndir, inode)) {
		ret = -EINVAL;
		goto out;
	}
	if (target) {
		if (target == inode)
			goto out; /* two links of one file: nothing happens */
		if (flags & MEMHP_SHMEM_RENAME_NOREPLACE)
			ret = -EEXIST;
		else if (S_ISDIR(inode->mode) && !S_ISDIR(target->mode))
			ret = -ENOTDIR;
		else if (!S_ISDIR(inode->mode) && S_ISDIR(target->mode))
			ret = -EISDIR;
		else if (S_ISDIR(target->mode) && target->dir->nr)
			ret = -ENOTEMPTY;
		if (ret)
			goto out;
	}
	/* The new name first: once it is there nothing can fail. */
	inode->pins++;
	if (target) {
		nd->inode = inode;
		if (S_ISDIR(target->mode)) {
			target->nlink = 0;
			ndir->nlink--;
		} else {
			target->nlink--;
		}
		target->ctime = current_time();
		iput_final(sb, target);
	} else {
		ret = d_add(ndir, newname, inode);
		if (ret) {
			inode->pins--;
			goto out;
		}
	}
	d_delete(odir, od);
	reparent(inode, odir, ndir);
	inode->ctime = current_time();
	touch_mc(odir);
	touch_mc(ndir);
	iput(sb, inode);
out:
	pthread_mutex_unlock(&sb->lock);
	return ret;
}

int memhp_shmem_readdir(struct memhp_shmem *sb, uint64_t ino, uint64_t off,
			memhp_shmem_fill_fn fill, void *ctx)
{
	struct shmem_inode *dir;
	struct memhp_shmem_attr a;
	int ret = 0;

	pthread_mutex_lock(&sb->lock);
	dir = iget(sb, ino);
	if (!dir || !S_ISDIR(dir->mode)) {
		ret = dir ? -ENOTDIR : -ENOENT;
		goto out;
	}
	if (off == 0) {
		fill_attr(dir, &a);
		if (fill(ctx, ".", &a, 1))
			goto done;
		off = 1;
	}
	if (off == 1) {
		fill_attr(dir->dir->parent, &a);
		if (fill(ctx, "..", &a, FIRST_ENTRY_POS))
			goto done;
	}
	for (struct dentry *d = dir->dir->first; d; d = d->next) {
		if (d->pos < off)
			continue;
		fill_attr(d->inode, &a);
		if (fill(ctx, d->name, &a, d->pos + 1))
			break;
	}
done:
	touch_atime(dir);
out:
	pthread_mutex_unlock(&sb->lock);
	return ret;
}

/* ---- Reading and writing ----------------------------------------------------------------- */

/* A regular file, held for the call: 0, -ENOENT, -EISDIR, -EINVAL. */
static int grab_file(struct memhp_shmem *sb, uint64_t ino, struct shmem_inode **out)
{
	struct shmem_inode *inode = igrab(sb, ino);

	if (!inode)
		return -ENOENT;
	if (!S_ISREG(inode->mode)) {
		int ret = S_ISDIR(inode->mode) ? -EISDIR : -EINVAL;

		iput(sb, inode);
		return ret;
	}
	*out = inode;
	return 0;
}

ssize_t memhp_shmem_read(struct memhp_shmem *sb, uint64_t ino, void *buf, size_t size, off_t off)
{
	struct shmem_inode *inode;
	size_t done = 0;
	ssize_t ret;

	if (off < 0)
		return -EINVAL;
	pthread_mutex_lock(&sb->lock);
	ret = grab_file(sb, ino, &inode);
	if (ret) {
		pthread_mutex_unlock(&sb->lock);
		return ret;
	}
	if ((uint64_t)off < inode->size && size > inode->size - (uint64_t)off)
		size = inode->size - (uint64_t)off;
	else if ((uint64_t)off >= inode->size)
		size = 0;
	while (done < size) {
		uint64_t pos = (uint64_t)off + done;
		size_t poff = pos & PAGE_MASK_, n = MEMHP_PAGE_SIZE - poff;
		long idx = shmem_getpage(sb, inode, pos >> MEMHP_PAGE_SHIFT, SGP_READ);

		if (n > size - done)
			n = size - done;
		if (idx < 0) {
			memset((char *)buf + done, 0, n);
		} else if (sb->slots[idx].state == SLOT_HWPOISON) {
			ret = -EIO;
			break;
		} else {
			/* Live or isolated: an isolated page is only being
			 * read by migration, and is still this file's. */
			memcpy((char *)buf + done, (char *)slot_address(sb, &sb->slots[idx]) + poff,
			       n);
		}
		done += n;
	}
	touch_atime(inode);
	iput(sb, inode);
	pthread_mutex_unlock(&sb->lock);
	return done ? (ssize_t)done : ret;
}

ssize_t memhp_shmem_write(struct memhp_shmem *sb, uint64_t ino, const void *buf, size_t size,
			  off_t off)
{
	struct shmem_inode *inode;
	size_t done = 0;
	ssize_t ret;

	if (off < 0)
		return -EINVAL;
	pthread_mutex_lock(&sb->lock);
	ret = grab_file(sb, ino, &inode);
	if (ret) {
		pthread_mutex_unlock(&sb->lock);
		return ret;
	}
	if (size && (uint64_t)off >= (uint64_t)MEMHP_SHMEM_MAX_FILE_SIZE)
		ret = -EFBIG;
	else if (size > (uint64_t)MEMHP_SHMEM_MAX_FILE_SIZE - (uint64_t)off)
		size = (size_t)((uint64_t)MEMHP_SHMEM_MAX_FILE_SIZE - (uint64_t)off);
	while (!ret && done < size) {
		uint64_t pos = (uint64_t)off + done;
		size_t poff = pos & PAGE_MASK_, n = MEMHP_PAGE_SIZE - poff;
		long idx = shmem_getpage(sb, inode, pos >> MEMHP_PAGE_SHIFT, SGP_WRITE);
		char *addr;

		if (idx < 0) {
			ret = idx;
			break;
		}
		if (n > size - done)
			n = size - done;
		addr = slot_address(sb, &sb->slots[idx]);
		memcpy(addr + poff, (const char *)buf + done, n);
		sb->slots[idx].csum = workload_page_csum(addr);
		done += n;
		/* The size follows each page, so a write cut short leaves a
		 * file that ends where its bytes do. */
		if (pos + n > inode->size)
			inode->size = pos + n;
	}
	if (done)
		touch_mc(inode);
	iput(sb, inode);
	pthread_mutex_unlock(&sb->lock);
	return done ? (ssize_t)done : ret;
}

int memhp_shmem_fallocate(struct memhp_shmem *sb, uint64_t ino, int mode, off_t off, off_t len)
{
	const int punch = MEMHP_SHMEM_FALLOC_PUNCH_HOLE | MEMHP_SHMEM_FALLOC_KEEP_SIZE;
	struct shmem_inode *inode;
	uint64_t start, end, first, last, *added = NULL;
	size_t nr_added = 0, cap_added = 0;
	int ret;

	if (off < 0 || len <= 0)
		return -EINVAL;
	if (mode & ~punch)
		return -EOPNOTSUPP;
	if ((mode & MEMHP_SHMEM_FALLOC_PUNCH_HOLE) && !(mode & MEMHP_SHMEM_FALLOC_KEEP_SIZE))
		return -EOPNOTSUPP;
	if (len > MEMHP_SHMEM_MAX_FILE_SIZE - off)
		return -EFBIG;
	start = (uint64_t)off;
	end = start + (uint64_t)len;
	pthread_mutex_lock(&sb->lock);
	inode = igrab(sb, ino);
	ret = !inode		      ? -ENOENT
	      : S_ISDIR(inode->mode)  ? -EISDIR
	      : !S_ISREG(inode->mode) ? -ENODEV
				      : 0;
	if (ret)
		goto out;
	if (mode & MEMHP_SHMEM_FALLOC_PUNCH_HOLE) {
		first = (start + PAGE_MASK_) >> MEMHP_PAGE_SHIFT;
		last = end >> MEMHP_PAGE_SHIFT;
		if (start & PAGE_MASK_)
			zero_partial(sb, inode, start >> MEMHP_PAGE_SHIFT, start & PAGE_MASK_,
				     first > last ? end & PAGE_MASK_ : MEMHP_PAGE_SIZE);
		if ((end & PAGE_MASK_) && first <= last)
			zero_partial(sb, inode, last, 0, end & PAGE_MASK_);
		if (first < last)
			shmem_undo_range(sb, inode, first, last);
		touch_mc(inode);
		goto out;
	}
	first = start >> MEMHP_PAGE_SHIFT;
	last = (end + PAGE_MASK_) >> MEMHP_PAGE_SHIFT;
	for (uint64_t index = first; index < last; index++) {
		long idx;

		if (xa_load(&inode->pages, index))
			continue;
		if (nr_added == cap_added) {
			size_t ncap = cap_added ? 2 * cap_added : FALLOC_UNDO_MIN;
			uint64_t *n = realloc(added, ncap * sizeof(*added));

			if (!n) {
				ret = -ENOMEM;
				break;
			}
			added = n;
			cap_added = ncap;
		}
		idx = shmem_getpage(sb, inode, index, SGP_FALLOC);
		if (idx < 0) {
			ret = (int)idx;
			break;
		}
		added[nr_added++] = index;
	}
	if (ret) {
		/* shmem_fallocate() undoes what this call allocated. */
		for (size_t i = 0; i < nr_added; i++) {
			uint32_t v = xa_load(&inode->pages, added[i]);

			if (v)
				shmem_remove_page(sb, inode, added[i], v - 1);
		}
		goto out;
	}
	if (!(mode & MEMHP_SHMEM_FALLOC_KEEP_SIZE) && end > inode->size)
		inode->size = end;
	inode->ctime = current_time();
out:
	if (inode)
		iput(sb, inode);
	pthread_mutex_unlock(&sb->lock);
	free(added);
	return ret;
}

off_t memhp_shmem_lseek(struct memhp_shmem *sb, uint64_t ino, off_t off, int whence)
{
	struct shmem_inode *inode;
	off_t ret;

	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	if (off < 0)
		return -ENXIO;
	pthread_mutex_lock(&sb->lock);
	inode = iget(sb, ino);
	if (!inode) {
		ret = -ENOENT;
	} else if ((uint64_t)off >= inode->size) {
		ret = -ENXIO;
	} else if (whence == SEEK_DATA) {
		uint64_t index;

		if (!xa_find(&inode->pages, (uint64_t)off >> MEMHP_PAGE_SHIFT, &index) ||
		    index << MEMHP_PAGE_SHIFT >= inode->size)
			ret = -ENXIO;
		else
			ret = (off_t)(index << MEMHP_PAGE_SHIFT) > off
				      ? (off_t)(index << MEMHP_PAGE_SHIFT)
				      : off;
	} else {
		uint64_t index = (uint64_t)off >> MEMHP_PAGE_SHIFT;

		while (index << MEMHP_PAGE_SHIFT < inode->size && xa_load(&inode->pages, index))
			index++;
		if (index << MEMHP_PAGE_SHIFT >= inode->size)
			ret = (off_t)inode->size;
		else
			ret = (off_t)(index << MEMHP_PAGE_SHIFT) > off
				      ? (off_t)(index << MEMHP_PAGE_SHIFT)
				      : off;
	}
	pthread_mutex_unlock(&sb->lock);
	return ret;
}

void memhp_shmem_statfs(struct memhp_shmem *sb, struct memhp_shmem_statfs *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&sb->lock);
	if (sb->opts.max_blocks) {
		st->blocks = sb->opts.max_blocks;
		st->bfree = sb->opts.max_blocks > sb->used_blocks
				    ? sb->opts.max_blocks - sb->used_blocks
				    : 0;
	}
	if (sb->opts.max_inodes) {
		st->files = sb->opts.max_inodes;
		st->ffree = sb->opts.max_inodes > sb->nr_inodes
				    ? sb->opts.max_inodes - sb->nr_inodes
				    : 0;
	}
	pthread_mutex_unlock(&sb->lock);
}

int memhp_shmem_file_setup(struct memhp_shmem *sb, struct memhp_shmem_attr *attr)
{
	struct shmem_inode *inode;
	int ret = 0;

	pthread_mutex_lock(&sb->lock);
	inode = new_inode(sb, S_IFREG | 0600, 0, 0, &ret);
	if (inode) {
		inode->nlookup = 1;
		fill_attr(inode, attr);
	}
	pthread_mutex_unlock(&sb->lock);
	return ret;
}

int memhp_shmem_set_pinned(struct memhp_shmem *sb, uint64_t ino, bool pinned)
{
	struct shmem_inode *inode;
	int ret = 0;

	pthread_mutex_lock(&sb->lock);
	inode = iget(sb, ino);
	if (!inode)
		ret = -ENOENT;
	else if (!S_ISREG(inode->mode))
		ret = -EINVAL;
	else
		inode->pinned = pinned;
	pthread_mutex_unlock(&sb->lock);
	return ret;
}

unsigned long memhp_shmem_pfn(struct memhp_shmem *sb, uint64_t ino, uint64_t index)
{
	struct shmem_inode *inode;
	unsigned long pfn = MEMHP_NO_PFN;

	pthread_mutex_lock(&sb->lock);
	inode = iget(sb, ino);
	if (inode && S_ISREG(inode->mode)) {
		uint32_t v = xa_load(&inode->pages, index);

		if (v && (sb->slots[v - 1].state == SLOT_LIVE ||
			  sb->slots[v - 1].state == SLOT_ISOLATED))
			pfn = sb->slots[v - 1].pfn;
	}
	pthread_mutex_unlock(&sb->lock);
	return pfn;
}

unsigned long memhp_shmem_nr_pages(struct memhp_shmem *sb)
{
	unsigned long n;

	pthread_mutex_lock(&sb->lock);
	n = (unsigned long)sb->used_blocks;
	pthread_mutex_unlock(&sb->lock);
	return n;
}

unsigned long memhp_shmem_nr_migrated(struct memhp_shmem *sb)
{
	return atomic_load(&sb->nr_migrated);
}

/*
 * Every page that a file holds must be online, this instance's, with its
 * slot as cookie, in its file at its index, and hold the bytes its
 * checksum says.
 */
unsigned long memhp_shmem_verify_report(struct memhp_shmem *sb, struct memhp_shmem_report *r)
{
	struct memhp_shmem_report rep = { 0 };

	pthread_mutex_lock(&sb->lock);
	for (unsigned long i = 0; i < sb->nr_slots; i++) {
		struct slot *s = &sb->slots[i];
		struct memhp_page *page;

		if (s->state != SLOT_LIVE && s->state != SLOT_ISOLATED)
			continue;
		rep.verified++;
		page = memhp_pfn_to_online_page(sb->m, s->pfn);
		if (!page || memhp_page_owner(page) != sb->owner_id ||
		    memhp_page_private(page) != i || !s->inode ||
		    xa_load(&s->inode->pages, s->index) != i + 1 ||
		    workload_page_csum(slot_address(sb, s)) != s->csum)
			rep.corrupted++;
	}
	rep.hwpoisoned = sb->nr_hwpoisoned;
	pthread_mutex_unlock(&sb->lock);
	if (r)
		*r = rep;
	return rep.corrupted + rep.hwpoisoned;
}

unsigned long memhp_shmem_verify(struct memhp_shmem *sb, unsigned long *verified)
{
	struct memhp_shmem_report r;
	unsigned long lost = memhp_shmem_verify_report(sb, &r);

	if (verified)
		*verified = r.verified;
	return lost;
}

/* ---- shm_mnt and the anonymous memory ------------------------------------------------- */

/* The machine's attachment: its internal tmpfs and memhp's anonymous
 * memory in it. */
struct shm_mnt {
	pthread_mutex_t lock; /* one resize at a time */
	struct memhp_shmem *sb;
	bool anon; /* the anonymous file exists */
	uint64_t anon_ino;
	uint64_t anon_size;
	bool anon_pinned;
	uint64_t seed;
};

static const char shm_mnt_key;
static pthread_mutex_t shm_mnt_attach_lock = PTHREAD_MUTEX_INITIALIZER;

static void shm_mnt_destroy(void *data)
{
	struct shm_mnt *mnt = data;

	memhp_shmem_destroy(mnt->sb);
	pthread_mutex_destroy(&mnt->lock);
	free(mnt);
}

static struct shm_mnt *get_shm_mnt(struct memhp_machine *m)
{
	struct shm_mnt *mnt;
	struct memhp_shmem_options o;

	pthread_mutex_lock(&shm_mnt_attach_lock);
	mnt = memhp_machine_attached(m, &shm_mnt_key);
	if (mnt)
		goto out;
	mnt = calloc(1, sizeof(*mnt));
	if (!mnt)
		goto out;
	/* The kernel's internal mount has no size and no inode limit. */
	memhp_shmem_options_init(m, &o);
	o.max_blocks = 0;
	o.max_inodes = 0;
	if (memhp_shmem_create(m, &o, &mnt->sb)) {
		free(mnt);
		mnt = NULL;
		goto out;
	}
	pthread_mutex_init(&mnt->lock, NULL);
	mnt->seed = memhp_random(m);
	if (memhp_machine_attach(m, &shm_mnt_key, mnt, shm_mnt_destroy)) {
		shm_mnt_destroy(mnt);
		mnt = NULL;
	}
out:
	pthread_mutex_unlock(&shm_mnt_attach_lock);
	return mnt;
}

struct memhp_shmem *memhp_shm_mnt(struct memhp_machine *m)
{
	struct shm_mnt *mnt = get_shm_mnt(m);

	return mnt ? mnt->sb : NULL;
}

/* splitmix64 bytes, so that nothing about the contents is guessable. */
static void fill_random(uint64_t *seed, void *buf, size_t len)
{
	uint64_t *w = buf;

	for (size_t i = 0; i < len / sizeof(*w); i++) {
		uint64_t z = (*seed += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		w[i] = z ^ (z >> 31);
	}
}

int memhp_anon_memory_set(struct memhp_machine *m, uint64_t size, bool pinned)
{
	struct shm_mnt *mnt = get_shm_mnt(m);
	struct memhp_shmem_attr a = { 0 };
	uint64_t old;
	int ret = 0;

	if (!mnt)
		return -ENOMEM;
	size &= ~(uint64_t)PAGE_MASK_;
	if (size > (uint64_t)MEMHP_SHMEM_MAX_FILE_SIZE)
		return -EFBIG;
	pthread_mutex_lock(&mnt->lock);
	if (!mnt->anon) {
		ret = memhp_shmem_file_setup(mnt->sb, &a);
		if (ret)
			goto out;
		mnt->anon = true;
		mnt->anon_ino = a.ino;
	}
	memhp_shmem_set_pinned(mnt->sb, mnt->anon_ino, pinned);
	mnt->anon_pinned = pinned;
	old = mnt->anon_size;
	if (size > old) {
		char *buf = malloc(ANON_FILL_CHUNK);

		if (!buf) {
			ret = -ENOMEM;
			goto out;
		}
		for (uint64_t pos = old; pos < size;) {
			size_t n = size - pos < ANON_FILL_CHUNK ? (size_t)(size - pos)
								: ANON_FILL_CHUNK;
			ssize_t w;

			fill_random(&mnt->seed, buf, n);
			w = memhp_shmem_write(mnt->sb, mnt->anon_ino, buf, n, (off_t)pos);
			if (w < 0) {
				ret = (int)w;
				break;
			}
			pos += (uint64_t)w;
		}
		free(buf);
		if (ret) {
			/* All or nothing: what did not fit goes again. */
			a.size = old;
			memhp_shmem_setattr(mnt->sb, mnt->anon_ino, MEMHP_SHMEM_SET_SIZE, &a, NULL);
			goto out;
		}
	} else if (size < old) {
		a.size = size;
		memhp_shmem_setattr(mnt->sb, mnt->anon_ino, MEMHP_SHMEM_SET_SIZE, &a, NULL);
	}
	mnt->anon_size = size;
out:
	pthread_mutex_unlock(&mnt->lock);
	return ret;
}

uint64_t memhp_anon_memory(struct memhp_machine *m, bool *pinned)
{
	struct shm_mnt *mnt;
	uint64_t size = 0;
	bool p = false;

	pthread_mutex_lock(&shm_mnt_attach_lock);
	mnt = memhp_machine_attached(m, &shm_mnt_key);
	pthread_mutex_unlock(&shm_mnt_attach_lock);
	if (mnt) {
		pthread_mutex_lock(&mnt->lock);
		size = mnt->anon_size;
		p = mnt->anon_pinned;
		pthread_mutex_unlock(&mnt->lock);
	}
	if (pinned)
		*pinned = p;
	return size;
}
