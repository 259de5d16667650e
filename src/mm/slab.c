// SPDX-License-Identifier: MIT
/*
 * slab.c - slab caches (mm/slub.c, as far as memory hotplug can tell).
 *
 * What matters to hotplug is where slab pages land and how long they stay:
 * a slab lives as long as one of its objects does, so a few long-lived
 * objects pin pages scattered over the kernel zones, and those pages are
 * what makes offlining a ZONE_NORMAL block fail with -EBUSY. So the model
 * keeps SLUB's slab sizes (calculate_order()), its partial lists and its
 * min_partial rule for empty slabs, and allocates slabs from the buddy
 * with the gfp SLUB uses. It leaves out per-cpu slabs, freelist pointers
 * inside objects, debugging and merging of caches.
 *
 * Every page of a slab is PG_slab and records its slab's index in its
 * private word, so an object's address finds its slab.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

#define SLAB_NIL UINT32_MAX
/* SLUB's MIN_PARTIAL and MAX_PARTIAL: empty slabs a cache may keep. */
#define SLUB_MIN_PARTIAL 5
#define SLUB_MAX_PARTIAL 10
/* calculate_order() stops lowering the allowed waste at 1/4 of a slab. */
#define SLUB_MIN_FRACTION 4
#define SLUB_START_FRACTION 16

struct slab {
	unsigned long pfn; /* first page; 0 while the slot is unused */
	uint32_t next, prev;
	unsigned int order;
	unsigned int objects;
	unsigned int inuse;
	bool on_partial;
	uint64_t *free_map; /* a set bit is a free object */
};

struct memhp_kmem_cache {
	struct memhp_machine *m;
	struct memhp_kmem_cache *next; /* the machine's list */
	char name[MEMHP_SLAB_NAME_MAX];
	unsigned int size;
	unsigned int flags;
	unsigned int order, min_order; /* s->oo and s->min */
	unsigned int min_partial;
	memhp_gfp_t gfp;

	struct mutex lock;
	struct slab *slabs; /* by index, which each slab page records */
	uint32_t nr_slots, cap;
	uint32_t *free_slots;
	uint32_t nr_free_slots;
	uint32_t partial; /* slabs with a free object, most recent first */
	unsigned long nr_partial;
	unsigned long nr_slabs, total_objects, inuse_objects;
};

static unsigned int order_objects(unsigned int order, unsigned int size)
{
	return (unsigned int)((MEMHP_PAGE_SIZE << order) / size);
}

static unsigned int get_order(unsigned long size)
{
	unsigned int order = 0;

	while ((MEMHP_PAGE_SIZE << order) < size)
		order++;
	return order;
}

/* calc_slab_order(): the smallest order that holds @min_objects and
 * wastes at most 1/@fract_leftover of the slab; @max_order + 1 if none. */
static unsigned int calc_slab_order(unsigned int size, unsigned int min_objects,
				    unsigned int max_order, unsigned int fract_leftover)
{
	unsigned int order;

	for (order = get_order((unsigned long)min_objects * size); order <= max_order; order++) {
		unsigned long slab_size = MEMHP_PAGE_SIZE << order;

		if (slab_size % size <= slab_size / fract_leftover)
			break;
	}
	return order;
}

/* calculate_order(): more CPUs want more objects per slab; give up on
 * waste, then on objects, before going past slub_max_order. */
static unsigned int calculate_order(unsigned int size, unsigned int nr_cpus, unsigned int max_order)
{
	unsigned int min_objects = 4 * (unsigned)(32 - __builtin_clz(nr_cpus) + 1);
	unsigned int max_objects = order_objects(MEMHP_SLUB_MAX_ORDER, size);
	unsigned int order;

	min_objects = MIN(min_objects, max_objects);
	for (; min_objects > 1; min_objects--)
		for (unsigned int f = SLUB_START_FRACTION; f >= SLUB_MIN_FRACTION; f /= 2) {
			order = calc_slab_order(size, min_objects, MEMHP_SLUB_MAX_ORDER, f);
			if (order <= MEMHP_SLUB_MAX_ORDER)
				return order;
		}
	order = calc_slab_order(size, 1, MEMHP_SLUB_MAX_ORDER, 1);
	if (order <= MEMHP_SLUB_MAX_ORDER)
		return order;
	return calc_slab_order(size, 1, max_order, 1);
}

static unsigned int ilog2u(unsigned int v)
{
	return 31u - (unsigned)__builtin_clz(v);
}

int memhp_kmem_cache_create(struct memhp_machine *m, const char *name, unsigned int size,
			    unsigned int flags, struct memhp_kmem_cache **out)
{
	struct memhp_kmem_cache *c, **pp;

	*out = NULL;
	if (!name || !*name || !size || (flags & ~MEMHP_SLAB_RECLAIM_ACCOUNT) ||
	    size > (MEMHP_PAGE_SIZE << m->max_order))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->m = m;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->size = size;
	c->flags = flags;
	c->order = calculate_order(size, m->cfg.nr_cpus, m->max_order);
	c->min_order = get_order(size);
	c->min_partial = MIN(MAX(ilog2u(size) / 2, SLUB_MIN_PARTIAL), SLUB_MAX_PARTIAL);
	c->gfp = MEMHP_GFP_KERNEL |
		 (flags & MEMHP_SLAB_RECLAIM_ACCOUNT ? MEMHP___GFP_RECLAIMABLE : 0);
	c->partial = SLAB_NIL;
	mutex_init(&c->lock, LOCK_RANK_SLAB);

	pthread_mutex_lock(&m->slab_caches_lock);
	for (pp = &m->slab_caches; *pp; pp = &(*pp)->next)
		;
	*pp = c;
	pthread_mutex_unlock(&m->slab_caches_lock);
	*out = c;
	return 0;
}

/* ---- Slabs ------------------------------------------------------------- */

static enum memhp_vmstat_item slab_item(const struct memhp_kmem_cache *c)
{
	return c->flags & MEMHP_SLAB_RECLAIM_ACCOUNT ? MEMHP_NR_SLAB_RECLAIMABLE
						     : MEMHP_NR_SLAB_UNRECLAIMABLE;
}

static void partial_add(struct memhp_kmem_cache *c, uint32_t idx)
{
	struct slab *s = &c->slabs[idx];

	s->prev = SLAB_NIL;
	s->next = c->partial;
	if (c->partial != SLAB_NIL)
		c->slabs[c->partial].prev = idx;
	c->partial = idx;
	s->on_partial = true;
	c->nr_partial++;
}

static void partial_del(struct memhp_kmem_cache *c, uint32_t idx)
{
	struct slab *s = &c->slabs[idx];

	if (s->prev != SLAB_NIL)
		c->slabs[s->prev].next = s->next;
	else
		c->partial = s->next;
	if (s->next != SLAB_NIL)
		c->slabs[s->next].prev = s->prev;
	s->on_partial = false;
	c->nr_partial--;
}

/* A slot for a new slab's bookkeeping. */
static long slab_slot(struct memhp_kmem_cache *c)
{
	lockdep_assert_held(&c->lock);
	if (c->nr_free_slots)
		return c->free_slots[--c->nr_free_slots];
	if (c->nr_slots == c->cap) {
		uint32_t cap = c->cap ? c->cap * 2 : 64;
		struct slab *ns = realloc(c->slabs, cap * sizeof(*ns));
		uint32_t *nf;

		if (!ns)
			return -ENOMEM;
		c->slabs = ns;
		nf = realloc(c->free_slots, cap * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		c->free_slots = nf;
		c->cap = cap;
	}
	return c->nr_slots++;
}

/*
 * allocate_slab(): a new slab at the cache's order, falling back to the
 * smallest order that holds one object, as SLUB retries with s->min when
 * the first attempt (without retries) fails.
 * Returns the slab's index, or -ENOMEM.
 */
static long allocate_slab(struct memhp_kmem_cache *c)
{
	struct memhp_machine *m = c->m;
	struct memhp_page *page;
	unsigned int order = c->order;
	struct slab *s;
	uint64_t *map;
	long idx;

	lockdep_assert_held(&c->lock);
	page = memhp_alloc_pages(m, c->gfp, order);
	if (!page && c->min_order < order) {
		order = c->min_order;
		page = memhp_alloc_pages(m, c->gfp, order);
	}
	if (!page)
		return -ENOMEM;
	idx = slab_slot(c);
	map = mhp_should_fail(m, MEMHP_FAULT_SLAB_META)
		      ? NULL
		      : calloc((order_objects(order, c->size) + 63) / 64, sizeof(*map));
	if (idx < 0 || !map) {
		free(map);
		/* A free slot reads as no slab (pfn 0): a new one's memory is
		 * whatever realloc() left there. */
		if (idx >= 0) {
			c->slabs[idx] = (struct slab){ 0 };
			c->free_slots[c->nr_free_slots++] = (uint32_t)idx;
		}
		memhp_free_pages(page, order);
		return -ENOMEM;
	}
	s = &c->slabs[idx];
	*s = (struct slab){ .pfn = page_to_pfn_m(m, page),
			    .order = order,
			    .objects = order_objects(order, c->size),
			    .free_map = map };
	for (unsigned int i = 0; i < s->objects; i++)
		map[i / 64] |= 1ULL << (i % 64);
	for (unsigned long i = 0; i < (1UL << order); i++) {
		set_page_owner(page + i, 0, (uint32_t)idx);
		set_page_flag(page + i, PG_slab);
	}
	c->nr_slabs++;
	c->total_objects += s->objects;
	mod_page_state(m, page, slab_item(c), 1L << order);
	partial_add(c, (uint32_t)idx);
	return idx;
}

/* discard_slab(): the slab is on no list. */
static void discard_slab(struct memhp_kmem_cache *c, uint32_t idx)
{
	struct slab *s = &c->slabs[idx];
	struct memhp_page *page = pfn_to_page(c->m, s->pfn);

	lockdep_assert_held(&c->lock);
	for (unsigned long i = 0; i < (1UL << s->order); i++) {
		clear_page_flag(page + i, PG_slab);
		set_page_owner(page + i, 0, 0);
	}
	c->nr_slabs--;
	c->total_objects -= s->objects;
	mod_page_state(c->m, page, slab_item(c), -(1L << s->order));
	memhp_free_pages(page, s->order);
	free(s->free_map);
	*s = (struct slab){ 0 };
	c->free_slots[c->nr_free_slots++] = idx;
}

uint64_t memhp_kmem_cache_alloc(struct memhp_kmem_cache *c)
{
	uint64_t obj = 0;
	struct slab *s;
	uint32_t idx;
	unsigned int i = 0;

	pthread_mutex_lock(&c->lock);
	if (c->partial == SLAB_NIL && allocate_slab(c) < 0)
		goto out;
	idx = c->partial;
	s = &c->slabs[idx];
	while (!s->free_map[i / 64])
		i += 64;
	i += (unsigned)__builtin_ctzll(s->free_map[i / 64]);
	s->free_map[i / 64] &= ~(1ULL << (i % 64));
	if (++s->inuse == s->objects)
		partial_del(c, idx);
	c->inuse_objects++;
	obj = PFN_PHYS(s->pfn) + (uint64_t)i * c->size;
out:
	pthread_mutex_unlock(&c->lock);
	return obj;
}

void memhp_kmem_cache_free(struct memhp_kmem_cache *c, uint64_t obj)
{
	struct memhp_machine *m = c->m;
	unsigned long pfn = (unsigned long)PHYS_PFN(obj);
	struct memhp_page *page;
	struct slab *s;
	uint32_t idx;
	unsigned long off;
	unsigned int i;

	if (!pfn_valid_m(m, pfn) || !PageSlab(pfn_to_page(m, pfn)))
		goto bad;
	page = pfn_to_page(m, pfn);
	pthread_mutex_lock(&c->lock);
	idx = page_private(page);
	if (idx >= c->nr_slots || !c->slabs[idx].pfn)
		goto bad_unlock;
	s = &c->slabs[idx];
	off = (unsigned long)(obj - PFN_PHYS(s->pfn));
	i = (unsigned int)(off / c->size);
	if (pfn < s->pfn || pfn >= s->pfn + (1UL << s->order) || off % c->size || i >= s->objects ||
	    (s->free_map[i / 64] & (1ULL << (i % 64))))
		goto bad_unlock;
	s->free_map[i / 64] |= 1ULL << (i % 64);
	c->inuse_objects--;
	if (s->inuse-- == s->objects)
		partial_add(c, idx);
	if (!s->inuse && c->nr_partial >= c->min_partial) {
		partial_del(c, idx);
		discard_slab(c, idx);
	}
	pthread_mutex_unlock(&c->lock);
	return;
bad_unlock:
	pthread_mutex_unlock(&c->lock);
bad:
	memhp_report(m, pfn, MEMHP_RULE_SLAB,
		     "kmem_cache_free(%s): %#llx is not a live object of the cache", c->name,
		     (unsigned long long)obj);
}

unsigned long memhp_kmem_cache_shrink(struct memhp_kmem_cache *c)
{
	unsigned long freed = 0;

	pthread_mutex_lock(&c->lock);
	for (uint32_t idx = c->partial; idx != SLAB_NIL;) {
		uint32_t next = c->slabs[idx].next;

		if (!c->slabs[idx].inuse) {
			freed += 1UL << c->slabs[idx].order;
			partial_del(c, idx);
			discard_slab(c, idx);
		}
		idx = next;
	}
	pthread_mutex_unlock(&c->lock);
	return freed;
}

/* Free every slab; returns the objects that were still allocated. */
static unsigned long cache_release(struct memhp_kmem_cache *c)
{
	unsigned long leaked;

	pthread_mutex_lock(&c->lock);
	leaked = c->inuse_objects;
	for (uint32_t idx = 0; idx < c->nr_slots; idx++) {
		if (!c->slabs[idx].pfn)
			continue;
		if (c->slabs[idx].on_partial)
			partial_del(c, idx);
		discard_slab(c, idx);
	}
	c->inuse_objects = 0;
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_destroy(&c->lock);
	free(c->slabs);
	free(c->free_slots);
	return leaked;
}

unsigned long memhp_kmem_cache_destroy(struct memhp_kmem_cache *c)
{
	struct memhp_machine *m;
	struct memhp_kmem_cache **pp;
	unsigned long leaked;

	if (!c)
		return 0;
	m = c->m;
	pthread_mutex_lock(&m->slab_caches_lock);
	for (pp = &m->slab_caches; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	pthread_mutex_unlock(&m->slab_caches_lock);
	leaked = cache_release(c);
	if (leaked)
		mhp_log(m, KERN_ERR, "kmem_cache_destroy %s: Slab cache still has objects",
			c->name);
	free(c);
	return leaked;
}

/* The machine is going: caches nobody destroyed go with it, quietly. */
void slab_destroy_all(struct memhp_machine *m)
{
	while (m->slab_caches) {
		struct memhp_kmem_cache *c = m->slab_caches;

		m->slab_caches = c->next;
		cache_release(c);
		free(c);
	}
}

int memhp_slabinfo(struct memhp_machine *m, unsigned int idx, struct memhp_slabinfo *info)
{
	struct memhp_kmem_cache *c;
	int ret = -ENOENT;

	pthread_mutex_lock(&m->slab_caches_lock);
	for (c = m->slab_caches; c && idx; c = c->next)
		idx--;
	if (c) {
		pthread_mutex_lock(&c->lock);
		memset(info, 0, sizeof(*info));
		snprintf(info->name, sizeof(info->name), "%s", c->name);
		info->active_objs = c->inuse_objects;
		info->num_objs = c->total_objects;
		info->objsize = c->size;
		info->objperslab = order_objects(c->order, c->size);
		info->pagesperslab = 1u << c->order;
		/* SLUB reports every slab as active. */
		info->active_slabs = info->num_slabs = c->nr_slabs;
		info->reclaimable = c->flags & MEMHP_SLAB_RECLAIM_ACCOUNT;
		pthread_mutex_unlock(&c->lock);
		ret = 0;
	}
	pthread_mutex_unlock(&m->slab_caches_lock);
	return ret;
}

bool memhp_PageSlab(const struct memhp_page *page)
{
	return PageSlab(page);
}
