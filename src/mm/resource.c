// SPDX-License-Identifier: MIT
/*
 * resource.c - the iomem resource tree (kernel/resource.c), as far as
 * memory hotplug uses it: "System RAM" regions must not overlap, and a
 * driver may claim a device region first and add memory inside it.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

void resource_init(struct memhp_machine *m)
{
	m->iomem.start = 0;
	m->iomem.end = PFN_PHYS(m->max_pfn) - 1;
	snprintf(m->iomem.name, sizeof(m->iomem.name), "PCI mem");
	m->iomem.child = NULL;
	pthread_mutex_init(&m->resource_lock, NULL);
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
	pthread_mutex_destroy(&m->resource_lock);
}

/*
 * __request_region(): nest the new region in the innermost region that
 * contains it and is not busy; any overlap with a sibling is a conflict.
 * Returns 0, -EEXIST (conflict), -ENOMEM.
 */
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

		for (c = parent->child; c; c = c->sibling) {
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
		for (p = &parent->child; *p && (*p)->start < start; p = &(*p)->sibling)
			;
		new->sibling = *p;
		new->parent = parent;
		*p = new;
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
	p = find_exact(&m->iomem.child, start, start + size - 1);
	r = p ? *p : NULL;
	if (r)
		*p = r->sibling;
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
