// SPDX-License-Identifier: MIT
/*
 * lua_alloc.c - the allocator as scenarios see it: which CPU the script
 * runs on, the per-cpu lists and LRU add caches, draining them, a free cut
 * in two where 6.1's can be preempted, and alloc_contig_range().
 *
 *   m:set_cpu(n)                  run on simulated CPU n (memhp_set_current_cpu)
 *   m:pcp(zone, cpu)              {count=, high=, batch=} of a CPU's lists in a zone
 *   m:drain_all_pages()           every CPU's lists back to the buddy
 *   m:lru_add_drain_all()         every CPU's LRU add batch onto the LRU
 *   m:lru_add_pending(cpu)        pages in a CPU's LRU add batch
 *   m:free_prepare(pfn[, order])  the first half of a free: a prepared free,
 *                                 whose :commit() is the second half
 *   m:alloc_contig_range(s, e)    0 or -errno; the pages are the script's
 *   m:free_contig_range(pfn, nr)
 */
#include "lua_api.h"

#include <memhp/hugetlb.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREPARED_MT "memhp.prepared_free"

struct lprepared {
	struct lmachine *lm;
	struct memhp_free_prepared fp;
};

static enum memhp_zone_type check_zone(lua_State *L, int idx)
{
	const char *name = luaL_checkstring(L, idx);

	for (int z = 0; z < MEMHP_NR_ZONES; z++)
		if (!strcmp(memhp_zone_name((enum memhp_zone_type)z), name))
			return (enum memhp_zone_type)z;
	return (enum memhp_zone_type)luaL_error(
		L, "'%s' is not a zone (DMA, DMA32, Normal, Movable)", name);
}

static int check_cpu(lua_State *L, int idx, struct memhp_machine *m)
{
	lua_Integer cpu = luaL_checkinteger(L, idx);

	if (cpu < 0 || cpu >= (lua_Integer)memhp_machine_config(m)->nr_cpus)
		luaL_error(L, "cpu %I: the machine has CPUs 0 to %u", cpu,
			   memhp_machine_config(m)->nr_cpus - 1);
	return (int)cpu;
}

int lalloc_set_cpu(lua_State *L)
{
	struct memhp_machine *m = lapi_lm_machine(lapi_check_machine(L, 1));

	memhp_set_current_cpu(check_cpu(L, 2, m));
	return 0;
}

int lalloc_pcp(lua_State *L)
{
	struct memhp_machine *m = lapi_lm_machine(lapi_check_machine(L, 1));
	enum memhp_zone_type z = check_zone(L, 2);
	struct memhp_pcp_info pi;

	memhp_zone_pcp(m, 0, z, check_cpu(L, 3, m), &pi);
	lua_newtable(L);
	lapi_set_int(L, "count", pi.count);
	lapi_set_int(L, "high", pi.high);
	lapi_set_int(L, "batch", pi.batch);
	return 1;
}

int lalloc_drain_all_pages(lua_State *L)
{
	memhp_drain_all_pages(lapi_lm_machine(lapi_check_machine(L, 1)));
	return 0;
}

int lalloc_lru_add_drain_all(lua_State *L)
{
	memhp_lru_add_drain_all(lapi_lm_machine(lapi_check_machine(L, 1)));
	return 0;
}

int lalloc_lru_add_pending(lua_State *L)
{
	struct memhp_machine *m = lapi_lm_machine(lapi_check_machine(L, 1));

	lua_pushinteger(L, memhp_lru_add_pending(m, check_cpu(L, 2, m)));
	return 1;
}

/* A pfn of online memory of the machine (its descriptor). */
static struct memhp_page *check_online_pfn(lua_State *L, int idx, struct memhp_machine *m)
{
	lua_Integer pfn = luaL_checkinteger(L, idx);
	struct memhp_page *p = pfn < 0 ? NULL : memhp_pfn_to_online_page(m, (unsigned long)pfn);

	if (!p)
		luaL_error(L, "pfn %#llx is not online memory", (unsigned long long)pfn);
	return p;
}

int lalloc_free_prepare(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	struct memhp_page *p = check_online_pfn(L, 2, lapi_lm_machine(lm));
	lua_Integer order = luaL_optinteger(L, 3, 0);
	struct lprepared *pr;
	int ret;

	if (order < 0 || order > memhp_max_order(lapi_lm_machine(lm)))
		return luaL_error(L, "free_prepare: order %I is not 0 to max_order", order);
	pr = lua_newuserdatauv(L, sizeof(*pr), 0);
	memset(pr, 0, sizeof(*pr));
	pr->lm = lm;
	ret = memhp_free_pages_prepare(p, (unsigned int)order, &pr->fp);
	switch (ret) {
	case 0:
		break;
	case -EBUSY:
		return luaL_error(L, "free_prepare: pfn %#lx has more than one reference",
				  memhp_page_to_pfn(p));
	case -EIO:
		return luaL_error(L, "free_prepare: pfn %#lx was a bad page", memhp_page_to_pfn(p));
	default:
		return luaL_error(L,
				  "free_prepare: an order-%I free of pfn %#lx does not go through "
				  "a per-cpu list, or would be refused",
				  order, memhp_page_to_pfn(p));
	}
	luaL_setmetatable(L, PREPARED_MT);
	return 1;
}

static struct lprepared *check_prepared(lua_State *L)
{
	struct lprepared *pr = luaL_checkudata(L, 1, PREPARED_MT);

	lapi_check_live(L);
	lapi_check_lm(L, pr->lm);
	return pr;
}

static int pr_commit(lua_State *L)
{
	struct lprepared *pr = check_prepared(L);

	if (!pr->fp.pending)
		return luaL_error(L, "this free was committed already");
	memhp_free_pages_commit(lapi_lm_machine(pr->lm), &pr->fp);
	return 0;
}

static int pr_pfn(lua_State *L)
{
	struct lprepared *pr = check_prepared(L);

	lua_pushinteger(L, (lua_Integer)pr->fp.pfn);
	return 1;
}

static int pr_migratetype(lua_State *L)
{
	struct lprepared *pr = check_prepared(L);

	lua_pushstring(L, memhp_migratetype_name(pr->fp.migratetype));
	return 1;
}

int lalloc_alloc_contig_range(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	lua_Integer start = luaL_checkinteger(L, 2), end = luaL_checkinteger(L, 3);
	int ret;

	lapi_no_callback(L, "alloc_contig_range()");
	if (start < 0 || end <= start)
		return luaL_error(L, "alloc_contig_range: [%I, %I) is not a range", start, end);
	lapi_call_begin(L, lm, "alloc_contig_range");
	ret = memhp_alloc_contig_range(lapi_lm_machine(lm), (unsigned long)start,
				       (unsigned long)end, MEMHP_GFP_KERNEL);
	lapi_call_end_ret(L, lm, ret);
	lua_pushinteger(L, ret);
	return 1;
}

int lalloc_free_contig_range(lua_State *L)
{
	struct memhp_machine *m = lapi_lm_machine(lapi_check_machine(L, 1));
	lua_Integer pfn = luaL_checkinteger(L, 2), nr = luaL_checkinteger(L, 3);

	if (pfn < 0 || nr <= 0)
		return luaL_error(L, "free_contig_range: %I pages at %I is not a range", nr, pfn);
	for (lua_Integer i = 0; i < nr; i++) {
		struct memhp_page *p = memhp_pfn_to_online_page(m, (unsigned long)(pfn + i));

		if (!p || !memhp_page_count(p))
			return luaL_error(L, "free_contig_range: pfn %#llx is %s",
					  (unsigned long long)(pfn + i),
					  p ? "free already" : "not online memory");
	}
	memhp_free_contig_range(m, (unsigned long)pfn, (unsigned long)nr);
	return 0;
}

static const luaL_Reg prepared_methods[] = {
	{ "commit", pr_commit },
	{ "pfn", pr_pfn },
	{ "migratetype", pr_migratetype },
	{ NULL, NULL },
};

void lalloc_open_huge(lua_State *L);

void lalloc_open(lua_State *L)
{
	lapi_new_type(L, PREPARED_MT, prepared_methods);
	lua_pop(L, 1);
	lalloc_open_huge(L);
}

/* ---- Hugetlb and THP ----------------------------------------------------------------------
 *
 *   m:nr_hugepages(n[, size_kb])     write nr_hugepages (2048 kB pages by default): 0 or -errno
 *   m:hugepages([size_kb])           {total=, free=, surplus=, resv=, overcommit=}
 *   m:hugetlbfs([size_kb])           a hugetlbfs file: f:fallocate(n), f:truncate(n),
 *                                    f:pin(i, on), f:pfn(i), f:nr_pages(), f:nr_migrated(),
 *                                    f:verify()
 *   m:thp()                          anonymous THP memory: t:alloc(n), t:nr_huge(),
 *                                    t:nr_split(), t:nr_migrated(), t:pfn(i), t:verify()
 *
 * Files and THP memory belong to their machine and go with it.
 */

#define HUGETLBFS_MT "memhp.hugetlbfs"
#define THP_MT "memhp.thp"
/* Files and THP objects one machine may have made. */
#define LALLOC_MAX_OBJECTS 64

struct lalloc_objects {
	struct memhp_hugetlbfs *files[LALLOC_MAX_OBJECTS];
	struct memhp_thp *thps[LALLOC_MAX_OBJECTS];
	int nr_files, nr_thps;
};

static const char lalloc_key;

static void lalloc_objects_destroy(void *data)
{
	struct lalloc_objects *o = data;

	for (int i = 0; i < o->nr_files; i++)
		memhp_hugetlbfs_destroy(o->files[i]);
	for (int i = 0; i < o->nr_thps; i++)
		memhp_thp_destroy(o->thps[i]);
	free(o);
}

static struct lalloc_objects *objects(lua_State *L, struct memhp_machine *m)
{
	struct lalloc_objects *o = memhp_machine_attached(m, &lalloc_key);

	if (o)
		return o;
	o = calloc(1, sizeof(*o));
	if (!o || memhp_machine_attach(m, &lalloc_key, o, lalloc_objects_destroy)) {
		free(o);
		luaL_error(L, "out of memory (or of machine attachments)");
	}
	return o;
}

static int check_hstate(lua_State *L, int idx, struct memhp_machine *m)
{
	lua_Integer kb = luaL_optinteger(L, idx, 2048);
	int h = memhp_hugetlb_hstate(m, (unsigned long)kb);

	if (kb <= 0 || h < 0)
		luaL_error(
			L,
			"no %I kB huge pages on this machine (2048; 1048576 with hugetlb_gigantic)",
			kb);
	return h;
}

int lalloc_nr_hugepages(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	struct memhp_machine *m = lapi_lm_machine(lm);
	lua_Integer n = luaL_checkinteger(L, 2);
	int h = check_hstate(L, 3, m), ret;
	char what[64];

	lapi_no_callback(L, "nr_hugepages()");
	if (n < 0)
		return luaL_error(L, "nr_hugepages: %I is not a count", n);
	snprintf(what, sizeof(what), "nr_hugepages = %lld", (long long)n);
	lapi_call_begin(L, lm, what);
	ret = memhp_hugetlb_set_nr(m, h, MEMHP_NUMA_NO_NODE, (unsigned long)n);
	lapi_call_end_ret(L, lm, ret);
	lua_pushinteger(L, ret);
	return 1;
}

int lalloc_hugepages(lua_State *L)
{
	struct memhp_machine *m = lapi_lm_machine(lapi_check_machine(L, 1));
	struct memhp_hugetlb_info hi;

	memhp_hugetlb_info(m, check_hstate(L, 2, m), MEMHP_NUMA_NO_NODE, &hi);
	lua_newtable(L);
	lapi_set_int(L, "total", (lua_Integer)hi.nr_hugepages);
	lapi_set_int(L, "free", (lua_Integer)hi.free_hugepages);
	lapi_set_int(L, "surplus", (lua_Integer)hi.surplus_hugepages);
	lapi_set_int(L, "resv", (lua_Integer)hi.resv_hugepages);
	lapi_set_int(L, "overcommit", (lua_Integer)hi.nr_overcommit_hugepages);
	return 1;
}

int lalloc_hugetlbfs(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	struct memhp_machine *m = lapi_lm_machine(lm);
	const int h = check_hstate(L, 2, m);
	struct lalloc_objects *o = objects(L, m);
	struct memhp_hugetlbfs *f;
	int ret;

	if (o->nr_files == LALLOC_MAX_OBJECTS)
		return luaL_error(L, "hugetlbfs: at most %d files a machine", LALLOC_MAX_OBJECTS);
	ret = memhp_hugetlbfs_create(m, h, &f);
	if (ret)
		return luaL_error(L, "hugetlbfs: %s", strerror(-ret));
	o->files[o->nr_files++] = f;
	lapi_push_object(L, lm, f, HUGETLBFS_MT);
	return 1;
}

static struct memhp_hugetlbfs *check_file(lua_State *L)
{
	return lapi_check_object(L, 1, HUGETLBFS_MT);
}

static unsigned long check_index(lua_State *L, int idx, unsigned long nr, const char *what)
{
	lua_Integer i = luaL_checkinteger(L, idx);

	if (i < 0 || (unsigned long)i >= nr)
		luaL_error(L, "%s: index %I is not 0 to %lu", what, i, nr ? nr - 1 : 0);
	return (unsigned long)i;
}

static int f_fallocate(lua_State *L)
{
	struct memhp_hugetlbfs *f = check_file(L);
	lua_Integer n = luaL_checkinteger(L, 2);

	if (n < 0)
		return luaL_error(L, "fallocate: %I is not a count", n);
	lua_pushinteger(L, memhp_hugetlbfs_fallocate(f, (unsigned long)n));
	return 1;
}

static int f_truncate(lua_State *L)
{
	struct memhp_hugetlbfs *f = check_file(L);
	lua_Integer n = luaL_checkinteger(L, 2);

	if (n < 0)
		return luaL_error(L, "truncate: %I is not a count", n);
	memhp_hugetlbfs_truncate(f, (unsigned long)n);
	return 0;
}

static int f_pin(lua_State *L)
{
	struct memhp_hugetlbfs *f = check_file(L);

	memhp_hugetlbfs_pin(f, check_index(L, 2, memhp_hugetlbfs_nr_pages(f), "pin"),
			    lua_toboolean(L, 3));
	return 0;
}

static int f_pfn(lua_State *L)
{
	struct memhp_hugetlbfs *f = check_file(L);

	lua_pushinteger(L, (lua_Integer)memhp_hugetlbfs_pfn(
				   f, check_index(L, 2, memhp_hugetlbfs_nr_pages(f), "pfn")));
	return 1;
}

static int f_nr_pages(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)memhp_hugetlbfs_nr_pages(check_file(L)));
	return 1;
}

static int f_nr_migrated(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)memhp_hugetlbfs_nr_migrated(check_file(L)));
	return 1;
}

static int f_verify(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)memhp_hugetlbfs_verify(check_file(L)));
	return 1;
}

int lalloc_thp(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	struct memhp_machine *m = lapi_lm_machine(lm);
	struct lalloc_objects *o = objects(L, m);
	struct memhp_thp *t;
	int ret;

	if (o->nr_thps == LALLOC_MAX_OBJECTS)
		return luaL_error(L, "thp: at most %d a machine", LALLOC_MAX_OBJECTS);
	ret = memhp_thp_create(m, &t);
	if (ret)
		return luaL_error(L, "thp: %s", strerror(-ret));
	o->thps[o->nr_thps++] = t;
	lapi_push_object(L, lm, t, THP_MT);
	return 1;
}

static struct memhp_thp *check_thp(lua_State *L)
{
	return lapi_check_object(L, 1, THP_MT);
}

static int t_alloc(lua_State *L)
{
	struct memhp_thp *t = check_thp(L);
	lua_Integer n = luaL_checkinteger(L, 2);

	if (n < 0)
		return luaL_error(L, "alloc: %I is not a count", n);
	lua_pushinteger(L, memhp_thp_alloc(t, (unsigned long)n));
	return 1;
}

static int t_nr_huge(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)memhp_thp_nr_huge(check_thp(L)));
	return 1;
}

static int t_nr_split(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)memhp_thp_nr_split(check_thp(L)));
	return 1;
}

static int t_nr_migrated(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)memhp_thp_nr_migrated(check_thp(L)));
	return 1;
}

static int t_pfn(lua_State *L)
{
	struct memhp_thp *t = check_thp(L);
	lua_Integer i = luaL_checkinteger(L, 2);

	if (i < 0)
		return luaL_error(L, "pfn: index %I", i);
	lua_pushinteger(L, (lua_Integer)memhp_thp_pfn(t, (unsigned long)i));
	return 1;
}

static int t_verify(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)memhp_thp_verify(check_thp(L)));
	return 1;
}

static const luaL_Reg hugetlbfs_methods[] = {
	{ "fallocate", f_fallocate },
	{ "truncate", f_truncate },
	{ "pin", f_pin },
	{ "pfn", f_pfn },
	{ "nr_pages", f_nr_pages },
	{ "nr_migrated", f_nr_migrated },
	{ "verify", f_verify },
	{ NULL, NULL },
};

static const luaL_Reg thp_methods[] = {
	{ "alloc", t_alloc },
	{ "nr_huge", t_nr_huge },
	{ "nr_split", t_nr_split },
	{ "nr_migrated", t_nr_migrated },
	{ "pfn", t_pfn },
	{ "verify", t_verify },
	{ NULL, NULL },
};

void lalloc_open_huge(lua_State *L)
{
	lapi_new_type(L, HUGETLBFS_MT, hugetlbfs_methods);
	lua_pop(L, 1);
	lapi_new_type(L, THP_MT, thp_methods);
	lua_pop(L, 1);
}

/* ---- CMA ---------------------------------------------------------------------------------
 *
 *   m:cma()                        {base_pfn=, count=, free=, allocated=}, or nil without an area
 *   m:cma_alloc(count[, order])    the first pfn, or -errno (cma_alloc())
 *   m:cma_release(pfn, count)      0 or -errno
 */

int lalloc_cma(lua_State *L)
{
	struct memhp_machine *m = lapi_lm_machine(lapi_check_machine(L, 1));
	struct memhp_cma_info ci;

	if (memhp_cma_info(m, &ci)) {
		lua_pushnil(L);
		return 1;
	}
	lua_newtable(L);
	lapi_set_int(L, "base_pfn", (lua_Integer)ci.base_pfn);
	lapi_set_int(L, "count", (lua_Integer)ci.count);
	lapi_set_int(L, "free", (lua_Integer)ci.free_pages);
	lapi_set_int(L, "allocated", (lua_Integer)ci.allocated);
	return 1;
}

int lalloc_cma_alloc(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	lua_Integer count = luaL_checkinteger(L, 2), order = luaL_optinteger(L, 3, 0);
	long ret;

	lapi_no_callback(L, "cma_alloc()");
	if (count <= 0 || order < 0 || order > 30)
		return luaL_error(L, "cma_alloc: %I pages aligned to order %I", count, order);
	lapi_call_begin(L, lm, "cma_alloc");
	ret = memhp_cma_alloc(lapi_lm_machine(lm), (unsigned long)count, (unsigned int)order);
	lapi_call_end_ret(L, lm, ret < 0 ? ret : 0);
	lua_pushinteger(L, ret);
	return 1;
}

int lalloc_cma_release(lua_State *L)
{
	struct memhp_machine *m = lapi_lm_machine(lapi_check_machine(L, 1));
	lua_Integer pfn = luaL_checkinteger(L, 2), count = luaL_checkinteger(L, 3);

	if (pfn < 0 || count <= 0)
		return luaL_error(L, "cma_release: %I pages at %I", count, pfn);
	lua_pushinteger(L, memhp_cma_release(m, (unsigned long)pfn, (unsigned long)count));
	return 1;
}
