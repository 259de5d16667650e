// SPDX-License-Identifier: MIT
/*
 * lua_balloon.c - the balloon drivers of memhp/balloon.h as scenarios see
 * them: m:balloon(kind) makes one, and its methods mirror the C calls.
 *
 * A balloon's work happens inside the call that asks for it, on the
 * scenario's thread (inflation and deflation hold mem_hotplug_lock for
 * read, so they never overlap an offline). Balloons belong to their
 * machine: they are destroyed before it, whatever Lua's garbage collector
 * does, and destroying one gives everything back to the guest first.
 */
#include "lua_api.h"
#include "run_util.h"

#include <errno.h>
#include <memhp/balloon.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Balloons one machine may have; Linux has one driver of each kind. */
#define LBALLOON_MAX 8
/* Pfns b:host_pfns() returns unless asked for fewer. */
#define LBALLOON_HOST_PFNS_DEFAULT 64
#define LBALLOON_HOST_PFNS_MAX 65536
#define LBALLOON_DESC 160
#define BALLOON_MT "memhp.balloon"

struct lballoon {
	struct lmachine *lm;
	struct memhp_balloon *b;
	bool dead;
};

struct lballoons {
	struct lballoon *v[LBALLOON_MAX];
	int nr;
};

/* memhp_machine_attach() key. */
static const char lballoon_key;

static const char *const kind_names[] = {
	"virtio", "virtio-no-compaction", "xen", "hyperv", "vmware", "vmware-4k", NULL,
};

static struct lballoon *check_balloon(lua_State *L, int idx)
{
	struct lballoon *lb = lapi_check_object(L, idx, BALLOON_MT);

	if (lb->dead)
		luaL_error(L, "this balloon was destroyed");
	return lb;
}

/* A number counts pages; a string is a size, as for workloads. */
static unsigned long check_pages(lua_State *L, int idx, const char *what)
{
	if (lua_type(L, idx) == LUA_TSTRING)
		return (unsigned long)(lapi_check_size(L, idx, what) / MEMHP_PAGE_SIZE);
	if (!lua_isinteger(L, idx) || lua_tointeger(L, idx) < 0)
		luaL_error(L, "%s: expected a number of pages >= 0 or a size such as \"64M\"",
			   what);
	return (unsigned long)lua_tointeger(L, idx);
}

static const char *kind_of(const struct lballoon *lb)
{
	return memhp_balloon_kind_name(memhp_balloon_kind(lb->b));
}

static void span(lua_State *L, struct lballoon *lb, const char *fmt, unsigned long n)
{
	char what[LBALLOON_DESC];

	snprintf(what, sizeof(what), fmt, kind_of(lb), n);
	lapi_call_begin(L, lb->lm, what);
}

static void span_end_pages(lua_State *L, struct lballoon *lb, long ret)
{
	char res[LBALLOON_DESC];

	if (ret < 0) {
		lapi_call_end_ret(L, lb->lm, ret);
		return;
	}
	snprintf(res, sizeof(res), "%ld pages", ret);
	lapi_call_end(L, lb->lm, res);
}

/* ---- m:balloon(kind) ----------------------------------------------------------------------- */

int lballoon_create(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	struct memhp_machine *m = lapi_lm_machine(lm);
	const char *name = luaL_checkstring(L, 2);
	struct lballoons *all = memhp_machine_attached(m, &lballoon_key);
	char what[LBALLOON_DESC];
	struct lballoon *lb;
	struct memhp_balloon *b;
	int kind, ret;

	lapi_no_callback(L, "balloon()");
	for (kind = 0; kind_names[kind] && strcmp(kind_names[kind], name); kind++)
		;
	if (!kind_names[kind]) {
		const char *hint = run_suggest(name, kind_names);

		return luaL_error(L,
				  "balloon: unknown kind '%s'" RUN_HINT_FMT " (virtio, "
				  "virtio-no-compaction, xen, hyperv, vmware, vmware-4k)",
				  name, RUN_HINT_ARGS(hint));
	}
	if (!all) {
		all = calloc(1, sizeof(*all));
		if (!all || memhp_machine_attach(m, &lballoon_key, all, NULL)) {
			free(all);
			return luaL_error(L, "balloon: out of memory");
		}
	}
	if (all->nr == LBALLOON_MAX)
		return luaL_error(L, "balloon: at most %d balloons per machine", LBALLOON_MAX);
	snprintf(what, sizeof(what), "balloon(%s)", name);
	lapi_call_begin(L, lm, what);
	ret = memhp_balloon_create(m, (enum memhp_balloon_kind)kind, &b);
	lapi_call_end_ret(L, lm, ret);
	if (ret) {
		lua_pushnil(L);
		lua_pushinteger(L, ret);
		return 2;
	}
	lb = calloc(1, sizeof(*lb));
	if (!lb) {
		memhp_balloon_destroy(b);
		return luaL_error(L, "balloon: out of memory");
	}
	lb->lm = lm;
	lb->b = b;
	all->v[all->nr++] = lb;
	lapi_push_object(L, lm, lb, BALLOON_MT);
	return 1;
}

/* ---- Methods --------------------------------------------------------------------------------- */

static int b_inflate(lua_State *L)
{
	struct lballoon *lb = check_balloon(L, 1);
	unsigned long nr = check_pages(L, 2, "inflate");
	long ret;

	lapi_no_callback(L, "inflate()");
	span(L, lb, "%s balloon: inflate(%lu pages)", nr);
	ret = memhp_balloon_inflate(lb->b, nr);
	span_end_pages(L, lb, ret);
	lua_pushinteger(L, ret);
	return 1;
}

static int b_deflate(lua_State *L)
{
	struct lballoon *lb = check_balloon(L, 1);
	unsigned long nr = check_pages(L, 2, "deflate");
	long ret;

	lapi_no_callback(L, "deflate()");
	span(L, lb, "%s balloon: deflate(%lu pages)", nr);
	ret = memhp_balloon_deflate(lb->b, nr);
	span_end_pages(L, lb, ret);
	lua_pushinteger(L, ret);
	return 1;
}

static int b_kind(lua_State *L)
{
	lua_pushstring(L, kind_of(check_balloon(L, 1)));
	return 1;
}

static int b_stats(lua_State *L)
{
	struct memhp_balloon_stats st;

	memhp_balloon_stats(check_balloon(L, 1)->b, &st);
	lua_createtable(L, 0, 9);
	lapi_set_int(L, "pages", (lua_Integer)st.pages);
	lapi_set_int(L, "huge_pages", (lua_Integer)st.huge_pages);
	lapi_set_int(L, "isolated", (lua_Integer)st.isolated);
	lapi_set_int(L, "migrated", (lua_Integer)st.migrated);
	lapi_set_int(L, "refused", (lua_Integer)st.refused);
	lapi_set_int(L, "host_pages", (lua_Integer)st.host_pages);
	lapi_set_int(L, "host_requests", (lua_Integer)st.host_requests);
	lapi_set_int(L, "hot_added", (lua_Integer)st.hot_added);
	lapi_set_int(L, "onlined", (lua_Integer)st.onlined);
	return 1;
}

static int b_host_has(lua_State *L)
{
	struct lballoon *lb = check_balloon(L, 1);
	lua_Integer pfn = luaL_checkinteger(L, 2);

	lua_pushboolean(L, pfn >= 0 && memhp_balloon_host_has(lb->b, (unsigned long)pfn));
	return 1;
}

static int b_host_pfns(lua_State *L)
{
	struct lballoon *lb = check_balloon(L, 1);
	lua_Integer max = luaL_optinteger(L, 2, LBALLOON_HOST_PFNS_DEFAULT);
	unsigned long *pfns, total;

	if (max < 0 || max > LBALLOON_HOST_PFNS_MAX)
		return luaL_error(L, "host_pfns: ask for 0 to %d pfns, not %I",
				  LBALLOON_HOST_PFNS_MAX, max);
	pfns = calloc((size_t)max + 1, sizeof(*pfns));
	if (!pfns)
		return luaL_error(L, "host_pfns: out of memory");
	total = memhp_balloon_host_pfns(lb->b, pfns, (unsigned long)max);
	lua_createtable(L, (int)max, 0);
	for (unsigned long i = 0; i < total && i < (unsigned long)max; i++) {
		lua_pushinteger(L, (lua_Integer)pfns[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	free(pfns);
	lua_pushinteger(L, (lua_Integer)total);
	return 2;
}

static int b_hot_add(lua_State *L)
{
	struct lballoon *lb = check_balloon(L, 1);
	uint64_t start = lapi_check_size(L, 2, "hot_add: start");
	uint64_t size = lapi_check_size(L, 3, "hot_add: size");
	unsigned long backed = lua_isnoneornil(L, 4) ? 0 : check_pages(L, 4, "hot_add: backed");
	char what[LBALLOON_DESC], sz[RUN_SIZE_STR];
	int ret;

	lapi_no_callback(L, "hot_add()");
	snprintf(what, sizeof(what), "%s balloon: hot_add(%#llx, %s, %lu backed)", kind_of(lb),
		 (unsigned long long)start, run_fmt_size(size, sz), backed);
	lapi_call_begin(L, lb->lm, what);
	ret = memhp_balloon_hot_add(lb->b, start, size, backed);
	lapi_call_end_ret(L, lb->lm, ret);
	lua_pushinteger(L, ret);
	return 1;
}

static int b_host_grant(lua_State *L)
{
	struct lballoon *lb = check_balloon(L, 1);
	unsigned long nr = check_pages(L, 2, "host_grant");
	long ret;

	lapi_no_callback(L, "host_grant()");
	span(L, lb, "%s balloon: host_grant(%lu pages)", nr);
	ret = memhp_balloon_host_grant(lb->b, nr);
	span_end_pages(L, lb, ret);
	lua_pushinteger(L, ret);
	return 1;
}

static int b_host_refuse(lua_State *L)
{
	struct lballoon *lb = check_balloon(L, 1);
	lua_Integer times = luaL_optinteger(L, 2, -1);

	lua_pushinteger(L, memhp_balloon_host_refuse(lb->b, (long)times));
	return 1;
}

static int b_destroy(lua_State *L)
{
	struct lballoon *lb = check_balloon(L, 1);

	lapi_no_callback(L, "destroy()");
	memhp_balloon_destroy(lb->b);
	lb->dead = true;
	return 0;
}

static const luaL_Reg balloon_methods[] = {
	{ "inflate", b_inflate },
	{ "deflate", b_deflate },
	{ "kind", b_kind },
	{ "stats", b_stats },
	{ "host_has", b_host_has },
	{ "host_pfns", b_host_pfns },
	{ "hot_add", b_hot_add },
	{ "host_grant", b_host_grant },
	{ "host_refuse", b_host_refuse },
	{ "destroy", b_destroy },
	{ NULL, NULL },
};

void lballoon_open(lua_State *L)
{
	lapi_new_type(L, BALLOON_MT, balloon_methods);
	lua_pop(L, 1);
}

void lballoon_teardown(struct memhp_machine *m)
{
	struct lballoons *all = memhp_machine_detach(m, &lballoon_key);

	if (!all)
		return;
	for (int i = all->nr; i-- > 0;) {
		if (!all->v[i]->dead)
			memhp_balloon_destroy(all->v[i]->b);
		free(all->v[i]);
	}
	free(all);
}
