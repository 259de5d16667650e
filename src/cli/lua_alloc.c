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

#include <errno.h>
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

static int pr_commit(lua_State *L)
{
	struct lprepared *pr = luaL_checkudata(L, 1, PREPARED_MT);

	lapi_check_live(L);
	if (!pr->fp.pending)
		return luaL_error(L, "this free was committed already");
	memhp_free_pages_commit(lapi_lm_machine(pr->lm), &pr->fp);
	return 0;
}

static int pr_pfn(lua_State *L)
{
	struct lprepared *pr = luaL_checkudata(L, 1, PREPARED_MT);

	lua_pushinteger(L, (lua_Integer)pr->fp.pfn);
	return 1;
}

static int pr_migratetype(lua_State *L)
{
	struct lprepared *pr = luaL_checkudata(L, 1, PREPARED_MT);

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

void lalloc_open(lua_State *L)
{
	lapi_new_type(L, PREPARED_MT, prepared_methods);
	lua_pop(L, 1);
}
