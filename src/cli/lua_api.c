// SPDX-License-Identifier: MIT
/*
 * lua_api.c - the C API of memhp, as Lua sees it in `memhp run`.
 *
 * The Lua side mirrors the C API closely (the same names, the same -errno
 * results) so that a driver prototyped in a scenario reads like the C it
 * will become. What differs is there to keep a script from hurting the run:
 * - Lua code that the core calls (notifiers, the online_page callback,
 *   trace hooks) runs under a protected call; an error in it is kept and
 *   raised when the operation has returned, never unwound through the core.
 * - Calls that would deadlock there (any hotplug operation from inside a
 *   notifier, as in Linux) are refused with an explanation.
 * - Lua runs only on the scenario's thread; the core calling a Lua hook from
 *   another thread is reported as a violation instead.
 * - Objects hold a pfn or a machine, never a pointer into a memmap that a
 *   removal may unmap.
 *
 * This file holds what every binding stands on (lua_core.h names the files
 * of the rest, one concept each): checking arguments and objects, the
 * timeline span of a call, the types' typo suggestions, registering it
 * all, and the end of a run.
 */
#include "cli.h"
#include "lua_core.h"
#include "run.h"
#include "run_util.h"

#include <errno.h>
#include <inttypes.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Method names offered to the typo suggester (a type has fewer). */
#define LAPI_SUGGEST_MAX 256

struct run *lapi_run(lua_State *L)
{
	struct run *r;

	lua_getfield(L, LUA_REGISTRYINDEX, "memhp.run");
	r = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return r;
}

/* "scenarios/x.lua:12", where the script called us. */
void lapi_where(lua_State *L, char *buf, size_t len)
{
	lua_Debug ar;

	for (int level = 1; lua_getstack(L, level, &ar); level++) {
		lua_getinfo(L, "Sl", &ar);
		if (ar.currentline > 0) {
			snprintf(buf, len, "%s:%d", ar.short_src, ar.currentline);
			return;
		}
	}
	snprintf(buf, len, "%s", "?");
}

/* ---- Arguments ----------------------------------------------------------------------- */

/* A size or address: an integer, or a string such as "4G" or "0x100000000". */
uint64_t lapi_check_size(lua_State *L, int idx, const char *what)
{
	char err[RUN_ERR_MAX];
	uint64_t v;

	if (lua_type(L, idx) == LUA_TNUMBER) {
		lua_Integer i;

		if (!lua_isinteger(L, idx))
			luaL_error(L, "%s: %s must be a whole number, not %f", what, "a size",
				   lua_tonumber(L, idx));
		i = lua_tointeger(L, idx);
		if (i < 0)
			luaL_error(L, "%s: a size cannot be negative (%I)", what, i);
		return (uint64_t)i;
	}
	if (lua_type(L, idx) != LUA_TSTRING)
		luaL_error(L, "%s: expected a size such as 4096, \"128M\" or \"4G\", got %s", what,
			   luaL_typename(L, idx));
	if (run_parse_size(lua_tostring(L, idx), &v, err, sizeof(err)))
		luaL_error(L, "%s: %s", what, err);
	return v;
}

unsigned long lapi_check_ulong(lua_State *L, int idx, const char *what)
{
	lua_Integer i;

	if (!lua_isinteger(L, idx))
		luaL_error(L, "%s: expected a whole number, got %s", what, luaL_typename(L, idx));
	i = lua_tointeger(L, idx);
	if (i < 0)
		luaL_error(L, "%s: expected a number >= 0, got %I", what, i);
	return (unsigned long)i;
}

static const char *const online_type_names[] = { "offline", "online", "online_kernel",
						 "online_movable", NULL };

enum memhp_online_type lapi_check_online_type(lua_State *L, int idx, const char *what)
{
	const char *s = luaL_optstring(L, idx, "online");
	int t = memhp_online_type_from_str(s, strlen(s));

	/* "movable" and "kernel" are what people say; sysfs wants the long form. */
	if (t < 0 && !strcmp(s, "movable"))
		t = MEMHP_MMOP_ONLINE_MOVABLE;
	if (t < 0 && !strcmp(s, "kernel"))
		t = MEMHP_MMOP_ONLINE_KERNEL;
	if (t < 0) {
		const char *hint = run_suggest(s, online_type_names);

		luaL_error(L,
			   "%s: unknown online type '%s'" RUN_HINT_FMT " (online, online_kernel, "
			   "online_movable)",
			   what, s, RUN_HINT_ARGS(hint));
	}
	return (enum memhp_online_type)t;
}

static const struct {
	const char *name;
	memhp_gfp_t gfp;
} gfp_names[] = {
	{ "GFP_KERNEL", MEMHP_GFP_KERNEL },
	{ "GFP_USER", MEMHP_GFP_USER },
	{ "GFP_HIGHUSER_MOVABLE", MEMHP_GFP_HIGHUSER_MOVABLE },
	{ "GFP_MOVABLE", MEMHP___GFP_MOVABLE },
	{ "GFP_DMA", MEMHP___GFP_DMA },
	{ "GFP_DMA32", MEMHP___GFP_DMA32 },
	{ "kernel", MEMHP_GFP_KERNEL },
	{ "movable", MEMHP_GFP_HIGHUSER_MOVABLE },
	{ "dma", MEMHP___GFP_DMA },
	{ "dma32", MEMHP___GFP_DMA32 },
};

memhp_gfp_t lapi_check_gfp(lua_State *L, int idx, memhp_gfp_t def, const char *what)
{
	const char *s;

	if (lua_isnoneornil(L, idx))
		return def;
	if (lua_isinteger(L, idx))
		return (memhp_gfp_t)lua_tointeger(L, idx);
	s = luaL_checkstring(L, idx);
	for (size_t i = 0; i < sizeof(gfp_names) / sizeof(gfp_names[0]); i++)
		if (!strcmp(s, gfp_names[i].name))
			return gfp_names[i].gfp;
	return (memhp_gfp_t)luaL_error(L,
				       "%s: unknown gfp '%s' (GFP_KERNEL, GFP_HIGHUSER_MOVABLE, "
				       "GFP_DMA, GFP_DMA32, or kernel, movable)",
				       what, s);
}

/* Anything that takes a hotplug lock would deadlock inside a callback the
 * core makes with those locks held, in Linux as here. */
void lapi_no_callback(lua_State *L, const char *fn)
{
	struct run *r = lapi_run(L);

	if (r->cb_depth)
		luaL_error(L,
			   "%s inside %s would deadlock: the core holds the hotplug locks "
			   "there, as Linux does",
			   fn, r->cb_kind);
	/* What waits for another thread may wait for one that waits for
	 * the script's page_offline_begin(). */
	for (int i = 0; i < r->nr_machines; i++)
		if (r->machines[i]->page_offline_held)
			luaL_error(L,
				   "%s inside m:page_offline_begin() (machine %d) could wait for "
				   "ever: m:page_offline_end() first",
				   fn, r->machines[i]->index);
}

/* ---- Objects ------------------------------------------------------------------------- */

/* The name of the C function Lua called, for an error. */
static const char *called_name(lua_State *L)
{
	lua_Debug ar;

	if (lua_getstack(L, 0, &ar) && lua_getinfo(L, "n", &ar) && ar.name)
		return ar.name;
	return "this call";
}

/*
 * Finalizers of objects still reachable when the scenario ends run as Lua
 * closes, after the final check: whatever they did to a machine would go
 * unchecked, so every object refuses to be used then. (The objects stay
 * valid until Lua is closed: the refusal needs no freed memory.)
 */
void lapi_check_live(lua_State *L)
{
	if (!lapi_run(L)->ended)
		return;
	luaL_error(L,
		   "%s: the scenario has ended: its machines and their objects cannot be used "
		   "any more (a __gc finalizer that runs as Lua closes comes after the final "
		   "check; free what it holds in the scenario)",
		   called_name(L));
}

/*
 * Inside m:page_offline_begin() a script marks pages, as a driver does,
 * and nothing else: the checker that runs after an operation, a driver's
 * work and memhp_check() take the lock it holds, and would wait for ever
 * (fuzz_lua_api found m:page_offline_begin() twice, then m:check()).
 * Methods that only find pages and blocks may be called.
 */
static void check_page_offline_held(lua_State *L, const struct lmachine *lm)
{
	static const lua_CFunction ok[] = { lpage_offline_begin, lpage_offline_end,
					    lpage_pfn_to_page,	 lpage_pfn_to_online_page,
					    lhotplug_block_pfn,	 lhotplug_block_id };
	lua_Debug ar = { .name = NULL };
	lua_CFunction fn = NULL;

	if (!lm->page_offline_held)
		return;
	if (lua_getstack(L, 0, &ar) && lua_getinfo(L, "fn", &ar)) {
		fn = lua_tocfunction(L, -1);
		lua_pop(L, 1);
	}
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (fn == ok[i])
			return;
	luaL_error(L,
		   "%s: inside m:page_offline_begin() only pages may be touched: this call "
		   "could wait for the lock the script holds (m:page_offline_end() first)",
		   ar.name ? ar.name : "this call");
}

void lapi_check_lm(lua_State *L, const struct lmachine *lm)
{
	if (lm->m)
		return;
	luaL_error(L,
		   "%s: machine destroyed (machine %d, by m:destroy() at %s): it and its objects "
		   "cannot be used any more",
		   called_name(L), lm->index, lm->destroyed_where);
}

struct lapi_object {
	struct lmachine *lm;
	void *obj;
};

void lapi_push_object(lua_State *L, struct lmachine *lm, void *obj, const char *mt)
{
	struct lapi_object *o = lua_newuserdatauv(L, sizeof(*o), 0);

	o->lm = lm;
	o->obj = obj;
	luaL_setmetatable(L, mt);
}

void *lapi_check_object(lua_State *L, int idx, const char *mt)
{
	struct lapi_object *o = luaL_checkudata(L, idx, mt);

	lapi_check_live(L);
	lapi_check_lm(L, o->lm);
	return o->obj;
}

struct lmachine *lapi_check_machine(lua_State *L, int idx)
{
	struct lmachine **p = luaL_checkudata(L, idx, MACHINE_MT);

	lapi_check_live(L);
	lapi_check_lm(L, *p);
	check_page_offline_held(L, *p);
	return *p;
}

/* ---- The timeline of calls -------------------------------------------------------------- */
void lapi_call_beginf(lua_State *L, struct lmachine *lm, const char *fmt, ...)
{
	char w[LAPI_WHERE], what[LAPI_DESC];
	va_list ap;

	if (lm->page_offline_held)
		luaL_error(L,
			   "inside m:page_offline_begin() only pages may be touched: an operation "
			   "could wait for the lock the script holds (m:page_offline_end() first)");
	if (lm->run->summary)
		return;
	lapi_where(L, w, sizeof(w));
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	tl_call_begin(lm->run->tl, lm->index, w, what);
}

/* Raise what a callback could not: called once the core has returned. */
static void raise_deferred(lua_State *L)
{
	struct run *r = lapi_run(L);
	char *msg = r->deferred_error;

	if (!msg || r->cb_depth)
		return;
	r->deferred_error = NULL;
	lua_pushstring(L, msg);
	free(msg);
	lua_error(L);
}

void lapi_call_end_ret(lua_State *L, struct lmachine *lm, long ret)
{
	char res[RUN_SIZE_STR * 2];

	run_errno_str(ret, res);
	if (ret == 1)
		snprintf(res, sizeof(res), "1 (already in that state)");
	if (!lm->run->summary)
		tl_call_end(lm->run->tl, lm->index, res);
	raise_deferred(L);
}

void lapi_call_endf(lua_State *L, struct lmachine *lm, const char *fmt, ...)
{
	char res[LAPI_DESC];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res, sizeof(res), fmt, ap);
	va_end(ap);
	if (!lm->run->summary)
		tl_call_end(lm->run->tl, lm->index, res);
	raise_deferred(L);
}

void lapi_set_int(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

void lapi_set_str(lua_State *L, const char *k, const char *v)
{
	lua_pushstring(L, v);
	lua_setfield(L, -2, k);
}

void lapi_set_bool(lua_State *L, const char *k, bool v)
{
	lua_pushboolean(L, v);
	lua_setfield(L, -2, k);
}

void lapi_call_begin(lua_State *L, struct lmachine *lm, const char *what)
{
	lapi_call_beginf(L, lm, "%s", what);
}

void lapi_call_end(lua_State *L, struct lmachine *lm, const char *result)
{
	lapi_call_endf(L, lm, "%s", result);
}

struct memhp_machine *lapi_lm_machine(const struct lmachine *lm)
{
	return lm->m;
}

void lapi_check_options(lua_State *L, int idx, const char *fn, const char *const *known)
{
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
		bool ok = false;

		for (const char *const *o = known; key && *o; o++)
			ok |= !strcmp(*o, key);
		if (!ok) {
			const char *hint = key ? run_suggest(key, known) : NULL;

			luaL_error(L, "%s: unknown option %s%s%s" RUN_HINT_FMT, fn,
				   key ? "'" : "a non-string key", key ? key : "", key ? "'" : "",
				   RUN_HINT_ARGS(hint));
		}
		lua_pop(L, 1);
	}
}

/* ---- Registration ---------------------------------------------------------------------------- */

static const luaL_Reg machine_methods[] = {
	{ "destroy", lmachine_destroy },
	{ "add_memory", lhotplug_add_memory },
	{ "add_memory_driver_managed", lhotplug_add_memory_driver_managed },
	{ "remove_memory", lhotplug_remove_memory },
	{ "offline_and_remove_memory", lhotplug_offline_and_remove_memory },
	{ "online", lhotplug_online },
	{ "offline", lhotplug_offline },
	{ "block", lhotplug_block },
	{ "blocks", lhotplug_blocks },
	{ "state", lhotplug_state },
	{ "valid_zones", lhotplug_valid_zones },
	{ "block_id", lhotplug_block_id },
	{ "block_pfn", lhotplug_block_pfn },
	{ "config", lmachine_config },
	{ "protocol", lmachine_protocol },
	{ "zone", lmachine_zone },
	{ "zones", lmachine_zones },
	{ "meminfo", lmachine_meminfo },
	{ "read", lfs_read },
	{ "write", lfs_write },
	{ "pfn_to_page", lpage_pfn_to_page },
	{ "pfn_to_online_page", lpage_pfn_to_online_page },
	{ "pfn_valid", lpage_pfn_valid },
	{ "migratetype", lpage_migratetype },
	{ "soft_offline_page", lpage_soft_offline_page },
	{ "memory_failure", lpage_memory_failure },
	{ "page_offline_begin", lpage_offline_begin },
	{ "page_offline_end", lpage_offline_end },
	{ "alloc_pages", lpage_alloc_pages },
	{ "register_memory_notifier", lhooks_register_memory_notifier },
	{ "unregister_memory_notifier", lhooks_unregister_memory_notifier },
	{ "set_online_page_callback", lhooks_set_online_page_callback },
	{ "restore_online_page_callback", lhooks_restore_online_page_callback },
	{ "trace", lhooks_trace },
	{ "untrace", lhooks_untrace },
	{ "trace_instant", lhooks_trace_instant },
	{ "data", lwork_data },
	{ "kalloc", lwork_kalloc },
	{ "walkers", lwork_walkers },
	{ "fault", lfault_fault },
	{ "fault_hits", lfault_fault_hits },
	{ "inject_notifier_error", lfault_inject_notifier_error },
	{ "check", lcheck_check },
	{ "violations", lcheck_violations },
	{ "violations_clear", lcheck_violations_clear },
	{ "allow", lcheck_allow },
	{ "interrupt_on", lcheck_interrupt_on },
	{ "report", lcheck_report },
	{ "svg", lmachine_svg },
	{ "random", lmachine_random },
	{ "host_resident", lmachine_host_resident },
	{ "virtio_mem", lvmem_create },
	{ "balloon", lballoon_create },
	{ "guest", lguest_create },
	{ "set_cpu", lalloc_set_cpu },
	{ "pcp", lalloc_pcp },
	{ "drain_all_pages", lalloc_drain_all_pages },
	{ "lru_add_drain_all", lalloc_lru_add_drain_all },
	{ "lru_add_pending", lalloc_lru_add_pending },
	{ "free_prepare", lalloc_free_prepare },
	{ "alloc_contig_range", lalloc_alloc_contig_range },
	{ "free_contig_range", lalloc_free_contig_range },
	{ "nr_hugepages", lalloc_nr_hugepages },
	{ "hugepages", lalloc_hugepages },
	{ "hugetlbfs", lalloc_hugetlbfs },
	{ "thp", lalloc_thp },
	{ "cma", lalloc_cma },
	{ "cma_alloc", lalloc_cma_alloc },
	{ "cma_release", lalloc_cma_release },
	{ NULL, NULL },
};

static const luaL_Reg memhp_functions[] = {
	{ "machine", lmachine_new },
	{ "boot_ranges", lmachine_boot_ranges },
	{ "generic_online_page", lpage_generic_online_page },
	{ "adjust_managed_page_count", lpage_adjust_managed_page_count },
	{ "free_pages", lpage_free_pages },
	{ "signal", lscript_signal },
	{ "clear_signal", lscript_clear_signal },
	{ "signal_pending", lscript_signal_pending },
	{ "size", lscript_size },
	{ "fmt_size", lscript_fmt_size },
	{ "errno", lscript_errno },
	{ "strerror", lscript_strerror },
	{ NULL, NULL },
};

/*
 * obj.name: the method, or an error that names the type and suggests the
 * closest method, instead of Lua's "attempt to call a nil value".
 */
static int index_method(lua_State *L)
{
	const char *key = lua_tostring(L, 2);
	const char *type = lua_tostring(L, lua_upvalueindex(2));

	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
		return 1;
	if (!key)
		return luaL_error(L, "a %s has no field of type %s", type, luaL_typename(L, 2));
	{
		const char *names[LAPI_SUGGEST_MAX + 1];
		const char *hint;
		int n = 0;

		lua_pushnil(L);
		while (n < LAPI_SUGGEST_MAX && lua_next(L, lua_upvalueindex(1))) {
			lua_pop(L, 1);
			names[n++] = lua_tostring(L, -1);
		}
		names[n] = NULL;
		hint = run_suggest(key, names);
		return luaL_error(L, "a %s has no method '%s'" RUN_HINT_FMT, type, key,
				  RUN_HINT_ARGS(hint));
	}
}

void lapi_new_type(lua_State *L, const char *mt, const luaL_Reg *methods)
{
	luaL_newmetatable(L, mt);
	lua_newtable(L);
	luaL_setfuncs(L, methods, 0);
	lua_pushstring(L, mt + strlen("memhp."));
	lua_pushcclosure(L, index_method, 2);
	lua_setfield(L, -2, "__index");
	lua_pushstring(L, mt);
	lua_setfield(L, -2, "__name");
}

void lapi_open(struct run *r)
{
	lua_State *L = r->L;

	lua_pushlightuserdata(L, r);
	lua_setfield(L, LUA_REGISTRYINDEX, "memhp.run");

	lapi_new_type(L, MACHINE_MT, machine_methods);
	lua_pop(L, 1);
	lpage_open(L);
	lwork_open(L);
	lvmem_open(L);
	lballoon_open(L);
	lguest_open(L);
	lalloc_open(L);

	luaL_newlib(L, memhp_functions);
	lua_pushstring(L, memhp_version());
	lua_setfield(L, -2, "version");
	lua_pushinteger(L, (lua_Integer)r->seed);
	lua_setfield(L, -2, "seed");
	lua_pushstring(L, r->protocol == RUN_PROTOCOL_SCRIPT
				  ? "6.1"
				  : lmachine_protocol_name((enum memhp_protocol)r->protocol));
	lua_setfield(L, -2, "protocol");
	lua_pushinteger(L, (lua_Integer)MEMHP_PAGE_SIZE);
	lua_setfield(L, -2, "PAGE_SIZE");
	lua_setglobal(L, "memhp");

	lua_register(L, "expect", lscript_expect);
	lua_register(L, "expect_eq", lscript_expect_eq);
	lua_register(L, "expect_errno", lscript_expect_errno);
	lua_register(L, "expect_ok", lscript_expect_ok);
	lua_register(L, "print", lscript_print);

	lua_getglobal(L, "math");
	lua_pushcfunction(L, lmachine_math_random);
	lua_setfield(L, -2, "random");
	lua_pushcfunction(L, lmachine_math_randomseed);
	lua_setfield(L, -2, "randomseed");
	lua_pop(L, 1);
}

/* ---- The end of a run ------------------------------------------------------------------------ */

struct memhp_machine *lapi_machine(struct run *r, int i)
{
	return r->machines[i]->m;
}

static void stop_page_offline(struct run *r, struct lmachine *lm)
{
	if (!lm->page_offline_held)
		return;
	fprintf(stderr,
		"memhp run: error: %s: m:page_offline_begin() here was never ended "
		"(machine %d): the run ends it\n",
		lm->page_offline_where, lm->index);
	r->script_errors++;
	lm->page_offline_held = false;
	memhp_page_offline_end(lm->m);
}

void lapi_stop_workers(struct run *r)
{
	/* Before anything waits for a driver that may want the lock. */
	for (int i = 0; i < r->nr_machines; i++)
		if (r->machines[i]->m)
			stop_page_offline(r, r->machines[i]);
	for (int i = 0; i < r->nr_machines; i++) {
		if (!r->machines[i]->m)
			continue;
		lwork_stop_walkers(r->machines[i]);
		lvmem_quiesce(r->machines[i]->m);
	}
}

void lapi_end(struct run *r)
{
	for (int i = 0; i < r->nr_machines; i++) {
		struct lmachine *lm = r->machines[i];

		if (!lm->m)
			continue;
		lhooks_end(lm);
		lcheck_end(lm);
	}
	r->ended = true;
}

void lapi_release_machine(struct lmachine *lm)
{
	lhooks_free(lm);
	lfault_teardown(lm);
	lwork_teardown(lm);
	tl_detach(lm->run->tl, lm->m);
	/* Unseen: what a driver says as it goes is not the scenario's. */
	lballoon_teardown(lm->m);
	lvmem_teardown(lm->m);
	memhp_machine_destroy(lm->m);
	lm->m = NULL;
}

/*
 * m:destroy(): what the end of a run does to every machine, now, to one:
 * walkers and drivers stop, the final check counts what the scenario did
 * not allow, Lua's hooks go, then the machine.
 */
void lapi_destroy_machine(lua_State *L, struct lmachine *lm)
{
	struct run *r = lm->run;
	int i;

	/* m:page_offline_begin() is not held: lapi_check_machine() said so. */
	lapi_where(L, lm->destroyed_where, sizeof(lm->destroyed_where));
	lwork_stop_walkers(lm);
	lvmem_quiesce(lm->m);
	lcheck_final_now(lm);
	for (i = 0; i < r->nr_machines && r->machines[i] != lm; i++)
		;
	if (run_hooks && run_hooks->machine_destroyed)
		run_hooks->machine_destroyed(r, i, run_hooks->priv);
	lhooks_end(lm);
	lcheck_end(lm);
	lapi_release_machine(lm);
}

void lapi_teardown(struct run *r)
{
	for (int i = r->nr_machines; i-- > 0;) {
		struct lmachine *lm = r->machines[i];

		if (lm->m)
			lapi_release_machine(lm);
		lwork_free(lm);
		free(lm);
		r->machines[i] = NULL;
	}
	r->nr_machines = 0;
}
