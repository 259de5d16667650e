// SPDX-License-Identifier: MIT
/*
 * lua_guest.c - the guest kernel at work (memhp/guest.h) as scenarios see
 * it: m:guest{...} starts it, and its methods mirror the C calls.
 *
 * The activity runs on the scenario's thread only, advanced by
 * g:advance(ms), so a scenario repeats from its seed. The guest belongs to
 * its machine and goes with it.
 */
#include "lua_api.h"

#include <memhp/guest.h>
#include <string.h>

#define GUEST_MT "memhp.guest"
/* Programs one scenario may keep running at once. */
#define LGUEST_MAX_TASKS 4096

struct lguest {
	struct lmachine *lm;
	struct memhp_guest *g;
	struct memhp_guest_task *tasks[LGUEST_MAX_TASKS];
};

static struct lguest *check_guest(lua_State *L, int idx)
{
	struct lguest *lg = luaL_checkudata(L, idx, GUEST_MT);

	lapi_check_live(L);
	/* The machine owned the guest: it went with it. */
	lapi_check_lm(L, lg->lm);
	if (!lg->g)
		luaL_error(L, "this guest kernel was destroyed");
	return lg;
}

/* A count in a table field: an integer >= 0, at most @max. */
static unsigned long opt_count(lua_State *L, int t, const char *key, unsigned long def,
			       unsigned long max)
{
	lua_Integer v = 0;

	if (lua_getfield(L, t, key) == LUA_TNIL) {
		lua_pop(L, 1);
		return def;
	}
	if (lua_isinteger(L, -1))
		v = lua_tointeger(L, -1);
	if (!lua_isinteger(L, -1) || v < 0 || (unsigned long)v > max)
		luaL_error(L, "guest: %s: expected an integer from 0 to %lu", key, max);
	lua_pop(L, 1);
	return (unsigned long)v;
}

/* A size in a table field, in KiB: a number of KiB or a string as "64M". */
static unsigned long opt_kb(lua_State *L, int t, const char *key, unsigned long def)
{
	unsigned long kb = def;

	if (lua_getfield(L, t, key) == LUA_TSTRING)
		kb = (unsigned long)(lapi_check_size(L, -1, key) >> 10);
	else if (!lua_isnil(L, -1))
		luaL_error(L, "guest: %s: expected a size such as \"8M\"", key);
	lua_pop(L, 1);
	return kb;
}

/*
 * m:guest{boot = true, idle_objects = N, long_lived_ppm = N,
 * background_tasks = N, slab = "15M", ...}: boot the guest kernel now (its
 * boot allocations happen at once), or m:guest{quiet = true}: a clean room
 * whose programs still cost what they cost. Returns the guest, or nil and
 * the errno.
 */
int lguest_create(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	struct memhp_guest_config cfg;
	struct lguest *lg;
	struct memhp_guest *g;
	int ret;

	lapi_no_callback(L, "guest()");
	memhp_guest_config_init(&cfg);
	if (lua_istable(L, 2)) {
		if (lua_getfield(L, 2, "quiet") == LUA_TBOOLEAN && lua_toboolean(L, -1))
			memhp_guest_config_quiet(&cfg);
		lua_pop(L, 1);
		if (lua_getfield(L, 2, "boot") == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
			cfg.boot_sreclaimable_kb = cfg.boot_sunreclaim_kb = 0;
			cfg.boot_kernel_stack_kb = cfg.boot_page_tables_kb = cfg.boot_anon_kb = 0;
		}
		lua_pop(L, 1);
		cfg.boot_sreclaimable_kb = opt_kb(L, 2, "sreclaimable", cfg.boot_sreclaimable_kb);
		cfg.boot_sunreclaim_kb = opt_kb(L, 2, "sunreclaim", cfg.boot_sunreclaim_kb);
		cfg.idle_objects_per_sec = (unsigned int)opt_count(
			L, 2, "idle_objects", cfg.idle_objects_per_sec, UINT32_MAX);
		cfg.idle_long_lived_ppm = (unsigned int)opt_count(L, 2, "long_lived_ppm",
								  cfg.idle_long_lived_ppm, 1000000);
		cfg.background_tasks_per_min = (unsigned int)opt_count(
			L, 2, "background_tasks", cfg.background_tasks_per_min, UINT32_MAX);
	} else if (!lua_isnoneornil(L, 2)) {
		return luaL_error(L, "guest: expected a table of options or nothing");
	}
	lapi_call_begin(L, lm, "guest kernel: boot");
	ret = memhp_guest_create(lapi_lm_machine(lm), &cfg, &g);
	lapi_call_end_ret(L, lm, ret);
	if (ret) {
		lua_pushnil(L);
		lua_pushinteger(L, ret);
		return 2;
	}
	/* The machine owns the guest (it goes with the machine); the
	 * userdata only names it. */
	lg = lua_newuserdatauv(L, sizeof(*lg), 0);
	memset(lg, 0, sizeof(*lg));
	lg->lm = lm;
	lg->g = g;
	luaL_setmetatable(L, GUEST_MT);
	return 1;
}

/* g:advance(ms): that much idle activity, now. */
static int g_advance(lua_State *L)
{
	struct lguest *lg = check_guest(L, 1);
	lua_Integer ms = luaL_checkinteger(L, 2);

	lapi_no_callback(L, "advance()");
	if (ms < 0)
		return luaL_error(L, "advance: expected milliseconds >= 0");
	memhp_guest_advance(lg->g, (unsigned long)ms);
	return 0;
}

/* g:fork{threads = 1, page_tables = 5, anon = "64K"}: a program starts;
 * returns its number, for g:exit(), or nil when the machine has no room. */
static int g_fork(lua_State *L)
{
	struct lguest *lg = check_guest(L, 1);
	unsigned long threads = 1, pt = 5, anon_kb = 0;
	struct memhp_guest_task *t;
	int slot;

	lapi_no_callback(L, "fork()");
	if (lua_istable(L, 2)) {
		threads = opt_count(L, 2, "threads", threads, 1024);
		pt = opt_count(L, 2, "page_tables", pt, 1UL << 20);
		anon_kb = opt_kb(L, 2, "anon", anon_kb);
	}
	for (slot = 0; slot < LGUEST_MAX_TASKS && lg->tasks[slot]; slot++)
		;
	if (slot == LGUEST_MAX_TASKS)
		return luaL_error(L, "fork: at most %d programs at once", LGUEST_MAX_TASKS);
	t = memhp_guest_fork(lg->g, (unsigned int)threads, pt, anon_kb * 1024 / MEMHP_PAGE_SIZE);
	if (!t) {
		lua_pushnil(L);
		return 1;
	}
	lg->tasks[slot] = t;
	lua_pushinteger(L, slot + 1);
	return 1;
}

/* g:exit(n): the program g:fork() numbered n ends. */
static int g_exit(lua_State *L)
{
	struct lguest *lg = check_guest(L, 1);
	lua_Integer n = luaL_checkinteger(L, 2);

	if (n < 1 || n > LGUEST_MAX_TASKS || !lg->tasks[n - 1])
		return luaL_error(L, "exit: no program %I is running", n);
	memhp_guest_exit(lg->tasks[n - 1]);
	lg->tasks[n - 1] = NULL;
	return 0;
}

/* g:files(n): n files created (n < 0: removed). */
static int g_files(lua_State *L)
{
	struct lguest *lg = check_guest(L, 1);
	lua_Integer n = luaL_checkinteger(L, 2);

	/* A count may be math.maxinteger (fuzz_lua_api): ^C and --timeout
	 * stop it between files. */
	for (; n > 0 && !memhp_signal_pending(); n--)
		memhp_guest_file_created(lg->g);
	for (; n < 0 && !memhp_signal_pending(); n++)
		memhp_guest_file_removed(lg->g);
	return 0;
}

static int g_stats(lua_State *L)
{
	struct memhp_guest_stats st;

	memhp_guest_stats(check_guest(L, 1)->g, &st);
	lua_createtable(L, 0, 8);
	lapi_set_int(L, "elapsed_ms", (lua_Integer)st.elapsed_ms);
	lapi_set_int(L, "live_objects", (lua_Integer)st.live_objects);
	lapi_set_int(L, "allocated", (lua_Integer)st.allocated);
	lapi_set_int(L, "alloc_failures", (lua_Integer)st.alloc_failures);
	lapi_set_int(L, "tasks", (lua_Integer)st.tasks);
	lapi_set_int(L, "files", (lua_Integer)st.files);
	lapi_set_int(L, "anon_pages", (lua_Integer)st.anon_pages);
	lapi_set_int(L, "anon_corrupted", (lua_Integer)st.anon_corrupted);
	return 1;
}

static int g_destroy(lua_State *L)
{
	struct lguest *lg = check_guest(L, 1);

	lapi_no_callback(L, "destroy()");
	memhp_guest_destroy(lg->g);
	lg->g = NULL;
	return 0;
}

static const luaL_Reg guest_methods[] = {
	{ "advance", g_advance }, { "fork", g_fork },	{ "exit", g_exit },
	{ "files", g_files },	  { "stats", g_stats }, { "destroy", g_destroy },
	{ NULL, NULL },
};

void lguest_open(lua_State *L)
{
	lapi_new_type(L, GUEST_MT, guest_methods);
	lua_pop(L, 1);
}
