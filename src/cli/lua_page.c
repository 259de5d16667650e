// SPDX-License-Identifier: MIT
/*
 * lua_page.c - pages as scenarios see them: m:pfn_to_page() and its
 * kin, a page's references and flags (page:get(), page:SetPageOffline() ...),
 * allocating and freeing, m:page_offline_begin()/_end() around marking
 * pages as a driver does, and memory failure (m:memory_failure(),
 * m:soft_offline_page()).
 *
 * A page object holds a machine and a pfn, never a pointer into a memmap
 * that a removal may unmap: each use looks the descriptor up again.
 */
#include "lua_core.h"
#include "run.h"
#include "run_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#define PAGE_MT "memhp.page"

struct lpage {
	struct lmachine *lm;
	unsigned long pfn;
};

/* luaL_error() with printf's formats, which lua_pushfstring() lacks (%u,
 * %lx, %#x): the message still starts with the script's file:line. */
static int errorf(lua_State *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int errorf(lua_State *L, const char *fmt, ...)
{
	char msg[RUN_ERR_MAX * 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return luaL_error(L, "%s", msg);
}

static struct lpage *check_lpage(lua_State *L, int idx)
{
	struct lpage *lp = luaL_checkudata(L, idx, PAGE_MT);

	lapi_check_live(L);
	lapi_check_lm(L, lp->lm);
	return lp;
}

static struct memhp_page *check_page(lua_State *L, int idx)
{
	struct lpage *lp = check_lpage(L, idx);
	struct memhp_page *p = memhp_pfn_to_page(lp->lm->m, lp->pfn);

	if (!p)
		errorf(L, "page pfn %#lx is not present any more (its memory was removed)",
		       lp->pfn);
	return p;
}

/*
 * A page a script writes into: the script may be a PFN walker for all the
 * machine knows, racing a driver's worker, so the machine takes its
 * per-page paths from now on (memhp_note_pfn_walker()).
 */
static struct memhp_page *check_page_w(lua_State *L, int idx)
{
	struct memhp_page *p = check_page(L, idx);

	memhp_note_pfn_walker(memhp_page_machine(p));
	return p;
}

void lpage_push(lua_State *L, struct lmachine *lm, unsigned long pfn)
{
	struct lpage *lp = lua_newuserdatauv(L, sizeof(*lp), 0);

	lp->lm = lm;
	lp->pfn = pfn;
	luaL_setmetatable(L, PAGE_MT);
}

/* ---- Memory failure ------------------------------------------------------------------------ */

int lpage_soft_offline_page(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	unsigned long pfn = lapi_check_ulong(L, 2, "soft_offline_page: pfn");
	int ret;

	lapi_no_callback(L, "soft_offline_page()");
	lapi_call_beginf(L, lm, "soft_offline_page(%#lx)", pfn);
	ret = memhp_soft_offline_page(lm->m, pfn);
	lapi_call_end_ret(L, lm, ret);
	lua_pushinteger(L, ret);
	return 1;
}

int lpage_memory_failure(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	unsigned long pfn = lapi_check_ulong(L, 2, "memory_failure: pfn");
	int ret;

	lapi_no_callback(L, "memory_failure()");
	lapi_call_beginf(L, lm, "memory_failure(%#lx)", pfn);
	ret = memhp_memory_failure(lm->m, pfn);
	lapi_call_end_ret(L, lm, ret);
	lua_pushinteger(L, ret);
	return 1;
}

/* ---- Pages --------------------------------------------------------------------------------- */

int lpage_pfn_to_page(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	unsigned long pfn = lapi_check_ulong(L, 2, "pfn_to_page: pfn");

	if (!memhp_pfn_to_page(lm->m, pfn))
		lua_pushnil(L);
	else
		lpage_push(L, lm, pfn);
	return 1;
}

int lpage_pfn_to_online_page(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	unsigned long pfn = lapi_check_ulong(L, 2, "pfn_to_online_page: pfn");

	if (!memhp_pfn_to_online_page(lm->m, pfn))
		lua_pushnil(L);
	else
		lpage_push(L, lm, pfn);
	return 1;
}

int lpage_pfn_valid(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);

	lua_pushboolean(L, memhp_pfn_valid(lm->m, lapi_check_ulong(L, 2, "pfn_valid: pfn")));
	return 1;
}

int lpage_migratetype(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	int mt = memhp_pfn_migratetype(lm->m, lapi_check_ulong(L, 2, "migratetype: pfn"));

	if (mt < 0)
		lua_pushnil(L);
	else
		lua_pushstring(L, memhp_migratetype_name(mt));
	return 1;
}

int lpage_offline_begin(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);

	/* A second down_write() by its holder: Linux would hang. */
	if (lm->page_offline_held)
		return errorf(L, "page_offline_begin: the script is inside it already: a "
				 "second would wait for ever (m:page_offline_end() first)");
	memhp_page_offline_begin(lm->m);
	lm->page_offline_held = true;
	lapi_where(L, lm->page_offline_where, sizeof(lm->page_offline_where));
	return 0;
}

int lpage_offline_end(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);

	if (!lm->page_offline_held)
		return errorf(L, "page_offline_end: the script is not inside "
				 "m:page_offline_begin()");
	lm->page_offline_held = false;
	memhp_page_offline_end(lm->m);
	return 0;
}

int lpage_alloc_pages(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	memhp_gfp_t gfp = lapi_check_gfp(L, 2, MEMHP_GFP_KERNEL, "alloc_pages");
	lua_Integer order = luaL_optinteger(L, 3, 0);
	struct memhp_page *p;

	if (order < 0 || order > memhp_max_order(lm->m))
		return errorf(L, "alloc_pages: order %lld is not 0 to max_order %u",
			      (long long)order, memhp_max_order(lm->m));
	p = memhp_alloc_pages(lm->m, gfp, (unsigned int)order);
	if (!p)
		lua_pushnil(L);
	else
		lpage_push(L, lm, memhp_page_to_pfn(p));
	return 1;
}

/* An order for @p's machine: 0..max_order. */
static unsigned int check_order(lua_State *L, int idx, struct lpage *lp, const char *fn)
{
	lua_Integer order = luaL_checkinteger(L, idx);
	unsigned int max = memhp_max_order(lp->lm->m);

	if (order < 0 || order > max)
		errorf(L, "%s: order %lld is not 0 to max_order %u", fn, (long long)order, max);
	return (unsigned int)order;
}

/*
 * The core refuses a bad free or online with a bad-page finding (Linux
 * would corrupt its free lists); a script's mistake is an error at its line
 * instead, before anything is touched.
 */
int lpage_free_pages(lua_State *L)
{
	struct lpage *lp = check_lpage(L, 1);
	struct memhp_page *p = check_page(L, 1);
	unsigned int order = lua_isnoneornil(L, 2) ? 0 : check_order(L, 2, lp, "free_pages");

	switch (memhp_free_pages_check(p, order)) {
	case 0:
		break;
	case -EINVAL:
		return errorf(L, "free_pages: pfn %#lx is not aligned to order %u", lp->pfn, order);
	case -ENOENT:
		return errorf(L, "free_pages: pfn %#lx has no reference left: freed already?",
			      lp->pfn);
	default:
		return errorf(L,
			      "free_pages: order %u at pfn %#lx: a page of the range is free in "
			      "the buddy already: was it allocated with a smaller order?",
			      order, lp->pfn);
	}
	memhp_free_pages(p, order);
	return 0;
}

int lpage_generic_online_page(lua_State *L)
{
	struct lpage *lp = check_lpage(L, 1);
	struct memhp_page *p = check_page(L, 1);
	unsigned int order = check_order(L, 2, lp, "generic_online_page");

	switch (memhp_online_pages_check(p, order)) {
	case 0:
		break;
	case -EINVAL:
		return errorf(L, "generic_online_page: pfn %#lx is not aligned to order %u",
			      lp->pfn, order);
	default:
		return errorf(L,
			      "generic_online_page: pfn %#lx is not a page being onlined: a "
			      "page of its order-%u range is free in the buddy or part of an "
			      "allocation",
			      lp->pfn, order);
	}
	memhp_generic_online_page(p, order);
	return 0;
}

int lpage_adjust_managed_page_count(lua_State *L)
{
	memhp_adjust_managed_page_count(check_page(L, 1), (long)luaL_checkinteger(L, 2));
	return 0;
}

static int p_pfn(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)check_lpage(L, 1)->pfn);
	return 1;
}

static int p_count(lua_State *L)
{
	lua_pushinteger(L, memhp_page_count(check_page(L, 1)));
	return 1;
}

static int p_get(lua_State *L)
{
	memhp_get_page(check_page(L, 1));
	return 0;
}

static int p_get_unless_zero(lua_State *L)
{
	lua_pushboolean(L, memhp_get_page_unless_zero(check_page(L, 1)));
	return 1;
}

static int p_put(lua_State *L)
{
	memhp_put_page(check_page_w(L, 1));
	return 0;
}

static int p_ref_inc(lua_State *L)
{
	memhp_page_ref_inc(check_page_w(L, 1));
	return 0;
}

static int p_ref_dec_and_test(lua_State *L)
{
	lua_pushboolean(L, memhp_page_ref_dec_and_test(check_page_w(L, 1)));
	return 1;
}

#define PAGE_TEST(fn)                                             \
	static int p_##fn(lua_State *L)                           \
	{                                                         \
		lua_pushboolean(L, memhp_##fn(check_page(L, 1))); \
		return 1;                                         \
	}
#define PAGE_SET(fn)                            \
	static int p_##fn(lua_State *L)         \
	{                                       \
		memhp_##fn(check_page_w(L, 1)); \
		return 0;                       \
	}

PAGE_TEST(PageOffline)
PAGE_TEST(PageOfflineSkippable)
PAGE_TEST(PageReserved)
PAGE_TEST(PageBuddy)
PAGE_TEST(PageLRU)
PAGE_TEST(PageMovable)
PAGE_TEST(PageHWPoison)
PAGE_TEST(PageDirty)
PAGE_TEST(PageIsolated)
PAGE_TEST(PageHuge)
PAGE_TEST(PageCompound)
PAGE_TEST(PageTransHuge)
PAGE_SET(SetPageOfflineSkippable)
PAGE_SET(ClearPageOfflineSkippable)
PAGE_SET(SetPageReserved)
PAGE_SET(ClearPageReserved)

static int p_SetPageOffline(lua_State *L)
{
	lua_pushinteger(L, memhp_SetPageOffline(check_page_w(L, 1)));
	return 1;
}

static int p_ClearPageOffline(lua_State *L)
{
	lua_pushinteger(L, memhp_ClearPageOffline(check_page_w(L, 1)));
	return 1;
}

static int p_zone(lua_State *L)
{
	lua_pushstring(L, memhp_zone_name(memhp_page_zonenum(check_page(L, 1))));
	return 1;
}

static int p_nid(lua_State *L)
{
	lua_pushinteger(L, memhp_page_to_nid(check_page(L, 1)));
	return 1;
}

static int p_tostring(lua_State *L)
{
	struct lpage *lp = luaL_checkudata(L, 1, PAGE_MT);

	char buf[RUN_SIZE_STR * 2];

	snprintf(buf, sizeof(buf), "page(pfn %#lx)", lp->pfn);
	lua_pushstring(L, buf);
	return 1;
}

static int p_eq(lua_State *L)
{
	struct lpage *a = luaL_checkudata(L, 1, PAGE_MT), *b = luaL_checkudata(L, 2, PAGE_MT);

	lua_pushboolean(L, a->lm == b->lm && a->pfn == b->pfn);
	return 1;
}

static const luaL_Reg page_methods[] = {
	{ "pfn", p_pfn },
	{ "count", p_count },
	{ "get", p_get },
	{ "get_unless_zero", p_get_unless_zero },
	{ "put", p_put },
	{ "ref_inc", p_ref_inc },
	{ "ref_dec_and_test", p_ref_dec_and_test },
	{ "PageOffline", p_PageOffline },
	{ "SetPageOffline", p_SetPageOffline },
	{ "ClearPageOffline", p_ClearPageOffline },
	{ "PageOfflineSkippable", p_PageOfflineSkippable },
	{ "SetPageOfflineSkippable", p_SetPageOfflineSkippable },
	{ "ClearPageOfflineSkippable", p_ClearPageOfflineSkippable },
	{ "PageReserved", p_PageReserved },
	{ "SetPageReserved", p_SetPageReserved },
	{ "ClearPageReserved", p_ClearPageReserved },
	{ "PageBuddy", p_PageBuddy },
	{ "PageLRU", p_PageLRU },
	{ "PageHuge", p_PageHuge },
	{ "PageCompound", p_PageCompound },
	{ "PageTransHuge", p_PageTransHuge },
	{ "PageMovable", p_PageMovable },
	{ "PageHWPoison", p_PageHWPoison },
	{ "PageDirty", p_PageDirty },
	{ "PageIsolated", p_PageIsolated },
	{ "zone", p_zone },
	{ "nid", p_nid },
	{ NULL, NULL },
};

void lpage_open(lua_State *L)
{
	lapi_new_type(L, PAGE_MT, page_methods);
	lua_pushcfunction(L, p_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pushcfunction(L, p_eq);
	lua_setfield(L, -2, "__eq");
	lua_pop(L, 1);
}
