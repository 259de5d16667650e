// SPDX-License-Identifier: MIT
/*
 * resource.c - the iomem resource tree (kernel/resource.c), as far as
 * memory hotplug uses it: "System RAM" regions must not overlap, and a
 * driver may claim a device region first and add memory inside it. The
 * firmware's memory map (drivers/firmware/memmap.c) lives here too: boot
 * entries from the firmware, and hot-added System RAM.
 */
#include "internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

void resource_init(struct memhp_machine *m)
{
	m->iomem.start = 0;
	m->iomem.end = PFN_PHYS(m->max_pfn) - 1;
	snprintf(m->iomem.name, sizeof(m->iomem.name), "PCI mem");
	m->iomem.child = NULL;
	m->resource_hint = NULL;
	mutex_init(&m->resource_lock, LOCK_RANK_RESOURCE);
}

static void free_tree(struct resource *r)
{
	while (r) {
		struct resource *next = r->sibling;

		free_tree(r->child);
		free(r);
		r = next;
	}
}

void resource_destroy(struct memhp_machine *m)
{
	free_tree(m->iomem.child);
	m->iomem.child = NULL;
	free(m->firmware_map.e);
	m->firmware_map = (struct firmware_map){ 0 };
	m->resource_hint = NULL;
	pthread_mutex_destroy(&m->resource_lock);
}

/*
 * __request_region(): nest the new region in the innermost region that
 * contains it and is not busy; any overlap with a sibling is a conflict.
 * Returns 0, -EEXIST (conflict), -ENOMEM.
 */
/*
 * Where to start looking among @parent's children for one at or after
 * @start: the hint when it is a child of @parent that starts no later
 * (siblings are sorted and disjoint, so none before it can reach @start),
 * else the first child.
 */
static struct resource *siblings_from(struct memhp_machine *m, struct resource *parent,
				      uint64_t start)
{
	struct resource *h = m->resource_hint;

	lockdep_assert_held(&m->resource_lock);
	if (h && h->parent == parent && h->start <= start)
		return h;
	return parent->child;
}

int request_mem_region(struct memhp_machine *m, uint64_t start, uint64_t size, const char *name,
		       unsigned int flags)
{
	uint64_t end = start + size - 1;
	struct resource *parent = &m->iomem, *new, **p;
	int ret = 0;

	new = mhp_should_fail(m, MEMHP_FAULT_RESOURCE_ALLOC) ? NULL : calloc(1, sizeof(*new));
	if (!new)
		return -ENOMEM;
	new->start = start;
	new->end = end;
	new->flags = flags;
	snprintf(new->name, sizeof(new->name), "%s", name);

	pthread_mutex_lock(&m->resource_lock);
	for (;;) {
		struct resource *c, *into = NULL;

		for (c = siblings_from(m, parent, start); c; c = c->sibling) {
			if (c->end < start || c->start > end)
				continue;
			if (c->start <= start && c->end >= end && !(c->flags & IORESOURCE_BUSY))
				into = c;
			else
				ret = -EEXIST;
			break;
		}
		if (ret || !into)
			break;
		parent = into;
	}
	if (!ret) {
		struct resource *from = siblings_from(m, parent, start);

		p = from == parent->child ? &parent->child : &from->prev->sibling;
		for (; *p && (*p)->start < start; p = &(*p)->sibling)
			;
		new->sibling = *p;
		new->prev = p == &parent->child
				    ? NULL
				    : (struct resource *)((char *)p -
							  offsetof(struct resource, sibling));
		if (new->sibling)
			new->sibling->prev = new;
		new->parent = parent;
		*p = new;
		m->resource_hint = new;
	}
	pthread_mutex_unlock(&m->resource_lock);
	if (ret)
		free(new);
	return ret;
}

static struct resource **find_exact(struct resource **p, uint64_t start, uint64_t end)
{
	for (; *p; p = &(*p)->sibling) {
		struct resource **in;

		if ((*p)->start == start && (*p)->end == end && !(*p)->child)
			return p;
		if ((*p)->start <= start && (*p)->end >= end &&
		    (in = find_exact(&(*p)->child, start, end)))
			return in;
	}
	return NULL;
}

/* Returns 0, or -ENOENT if no such leaf region exists. */
int release_mem_region(struct memhp_machine *m, uint64_t start, uint64_t size)
{
	struct resource **p, *r;

	pthread_mutex_lock(&m->resource_lock);
	r = m->resource_hint;
	if (!r || r->start != start || r->end != start + size - 1 || r->child) {
		p = find_exact(&m->iomem.child, start, start + size - 1);
		r = p ? *p : NULL;
	}
	if (r) {
		if (r->prev)
			r->prev->sibling = r->sibling;
		else
			r->parent->child = r->sibling;
		if (r->sibling)
			r->sibling->prev = r->prev;
		/* The next release is likely the block below. */
		m->resource_hint = r->prev ? r->prev : r->sibling;
	}
	pthread_mutex_unlock(&m->resource_lock);
	free(r);
	return r ? 0 : -ENOENT;
}

int memhp_request_mem_region(struct memhp_machine *m, uint64_t start, uint64_t size,
			     const char *name)
{
	int ret;

	if (!size || start + size < start || start + size > PFN_PHYS(m->max_pfn) || !name)
		return -EINVAL;
	ret = request_mem_region(m, start, size, name,
				 IORESOURCE_SYSTEM_RAM | IORESOURCE_EXCLUSIVE);
	return ret == -EEXIST ? -EBUSY : ret;
}

int memhp_release_mem_region(struct memhp_machine *m, uint64_t start, uint64_t size)
{
	return release_mem_region(m, start, size);
}

static bool has_busy_ram(const struct resource *r, uint64_t start, uint64_t end)
{
	for (; r; r = r->sibling) {
		if (r->end < start || r->start > end)
			continue;
		if ((r->flags & IORESOURCE_SYSTEM_RAM) && (r->flags & IORESOURCE_BUSY))
			return true;
		if (has_busy_ram(r->child, start, end))
			return true;
	}
	return false;
}

bool memhp_range_has_system_ram(struct memhp_machine *m, uint64_t start, uint64_t size)
{
	bool ret;

	pthread_mutex_lock(&m->resource_lock);
	ret = size && has_busy_ram(m->iomem.child, start, start + size - 1);
	pthread_mutex_unlock(&m->resource_lock);
	return ret;
}

/*
 * insert_resource(): put [start, start + size) into the innermost region
 * that contains it, busy or not, as the kernel inserts its own image into
 * System RAM. Returns 0, -EEXIST (it would straddle a region), -ENOMEM.
 */
int insert_resource(struct memhp_machine *m, uint64_t start, uint64_t size, const char *name,
		    unsigned int flags)
{
	uint64_t end = start + size - 1;
	struct resource *parent = &m->iomem, *new, **p;
	int ret = 0;

	new = calloc(1, sizeof(*new));
	if (!new)
		return -ENOMEM;
	new->start = start;
	new->end = end;
	new->flags = flags;
	snprintf(new->name, sizeof(new->name), "%s", name);
	pthread_mutex_lock(&m->resource_lock);
	for (;;) {
		struct resource *c, *into = NULL;

		for (c = parent->child; c; c = c->sibling) {
			if (c->end < start || c->start > end)
				continue;
			if (c->start <= start && c->end >= end)
				into = c;
			else
				ret = -EEXIST;
			break;
		}
		if (ret || !into)
			break;
		parent = into;
	}
	if (!ret) {
		for (p = &parent->child; *p && (*p)->start < start; p = &(*p)->sibling)
			;
		new->sibling = *p;
		new->prev = p == &parent->child
				    ? NULL
				    : (struct resource *)((char *)p -
							  offsetof(struct resource, sibling));
		if (new->sibling)
			new->sibling->prev = new;
		new->parent = parent;
		*p = new;
	}
	pthread_mutex_unlock(&m->resource_lock);
	if (ret)
		free(new);
	return ret;
}

static void walk(const struct resource *r, unsigned int depth, memhp_resource_fn fn, void *priv)
{
	for (; r; r = r->sibling) {
		struct memhp_resource info = {
			.start = r->start, .end = r->end, .name = r->name, .depth = depth
		};

		fn(&info, priv);
		walk(r->child, depth + 1, fn, priv);
	}
}

void memhp_walk_iomem(struct memhp_machine *m, memhp_resource_fn fn, void *priv)
{
	pthread_mutex_lock(&m->resource_lock);
	walk(m->iomem.child, 0, fn, priv);
	pthread_mutex_unlock(&m->resource_lock);
}

/* ---- The firmware memory map (drivers/firmware/memmap.c) ------------------------------ */

/*
 * firmware_map_add_early() and firmware_map_add_hotplug(): entries are
 * numbered in the order they appear and numbers are never reused, as
 * add_sysfs_fw_map_entry() counts them; an entry that is already there is
 * not added twice. Returns 0 or -ENOMEM.
 */
int firmware_map_add(struct memhp_machine *m, uint64_t start, uint64_t size, const char *type)
{
	struct firmware_map *fm = &m->firmware_map;
	int ret = 0;

	pthread_mutex_lock(&m->resource_lock);
	for (size_t i = 0; i < fm->nr; i++) {
		if (fm->e[i].start == start && fm->e[i].end == start + size - 1 &&
		    !strcmp(fm->e[i].type, type))
			goto out;
	}
	if (fm->nr == fm->cap) {
		size_t cap = fm->cap ? fm->cap * 2 : FIRMWARE_MAP_MIN_ENTRIES;
		struct memhp_firmware_map_entry *e = realloc(fm->e, cap * sizeof(*e));

		if (!e) {
			ret = -ENOMEM;
			goto out;
		}
		fm->e = e;
		fm->cap = cap;
	}
	fm->e[fm->nr++] = (struct memhp_firmware_map_entry){
		.nr = fm->next_nr++, .start = start, .end = start + size - 1, .type = type
	};
out:
	pthread_mutex_unlock(&m->resource_lock);
	return ret;
}

/* firmware_map_remove(): 0, or -EINVAL when there is no such entry. */
int firmware_map_remove(struct memhp_machine *m, uint64_t start, uint64_t size, const char *type)
{
	struct firmware_map *fm = &m->firmware_map;
	int ret = -EINVAL;

	pthread_mutex_lock(&m->resource_lock);
	for (size_t i = 0; i < fm->nr; i++) {
		if (fm->e[i].start == start && fm->e[i].end == start + size - 1 &&
		    !strcmp(fm->e[i].type, type)) {
			memmove(&fm->e[i], &fm->e[i + 1], (fm->nr - i - 1) * sizeof(fm->e[0]));
			fm->nr--;
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&m->resource_lock);
	return ret;
}

long memhp_firmware_map_next(struct memhp_machine *m, unsigned long from)
{
	struct firmware_map *fm = &m->firmware_map;
	long ret = -1;

	pthread_mutex_lock(&m->resource_lock);
	/* Entries are kept in number order. */
	for (size_t i = 0; i < fm->nr; i++) {
		if (fm->e[i].nr >= from) {
			ret = fm->e[i].nr;
			break;
		}
	}
	pthread_mutex_unlock(&m->resource_lock);
	return ret;
}

int memhp_firmware_map_entry(struct memhp_machine *m, unsigned long nr,
			     struct memhp_firmware_map_entry *out)
{
	struct firmware_map *fm = &m->firmware_map;
	int ret = -ENOENT;

	pthread_mutex_lock(&m->resource_lock);
	for (size_t i = 0; i < fm->nr; i++) {
		if (fm->e[i].nr == nr) {
			*out = fm->e[i];
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&m->resource_lock);
	return ret;
}
