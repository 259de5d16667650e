// SPDX-License-Identifier: MIT
/*
 * kalloc.c - kernel allocations: unmovable pages held until freed, the
 * kind of memory that pins a block in a kernel zone.
 */
#include "workload.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct memhp_kalloc {
	struct memhp_machine *m;
	pthread_mutex_t lock;
	struct memhp_page **pages;
	unsigned long nr, cap;
};

int memhp_kalloc_create(struct memhp_machine *m, struct memhp_kalloc **out)
{
	struct memhp_kalloc *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	k->m = m;
	pthread_mutex_init(&k->lock, NULL);
	*out = k;
	return 0;
}

unsigned long memhp_kalloc_alloc(struct memhp_kalloc *k, unsigned long nr, memhp_gfp_t gfp)
{
	unsigned long got = 0;

	for (; got < nr; got++) {
		struct memhp_page *page = memhp_alloc_pages(k->m, gfp, 0);

		if (!page)
			break;
		pthread_mutex_lock(&k->lock);
		if (k->nr == k->cap) {
			unsigned long ncap = k->cap ? k->cap * 2 : 1024;
			struct memhp_page **np = realloc(k->pages, ncap * sizeof(*np));

			if (!np) {
				pthread_mutex_unlock(&k->lock);
				memhp_put_page(page);
				break;
			}
			k->pages = np;
			k->cap = ncap;
		}
		k->pages[k->nr++] = page;
		pthread_mutex_unlock(&k->lock);
	}
	return got;
}

unsigned long memhp_kalloc_free(struct memhp_kalloc *k, unsigned long nr)
{
	unsigned long freed = 0;

	while (freed < nr) {
		struct memhp_page *page;
		unsigned long i;

		pthread_mutex_lock(&k->lock);
		if (!k->nr) {
			pthread_mutex_unlock(&k->lock);
			break;
		}
		i = memhp_random(k->m) % k->nr;
		page = k->pages[i];
		k->pages[i] = k->pages[--k->nr];
		pthread_mutex_unlock(&k->lock);
		memhp_put_page(page);
		freed++;
	}
	return freed;
}

unsigned long memhp_kalloc_nr_pages(struct memhp_kalloc *k)
{
	unsigned long n;

	pthread_mutex_lock(&k->lock);
	n = k->nr;
	pthread_mutex_unlock(&k->lock);
	return n;
}

void memhp_kalloc_destroy(struct memhp_kalloc *k)
{
	if (!k)
		return;
	memhp_kalloc_free(k, ~0UL);
	pthread_mutex_destroy(&k->lock);
	free(k->pages);
	free(k);
}
