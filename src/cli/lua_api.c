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
 */
#include "lua_api.h"
#include "cli.h"
#include "run.h"
#include "run_util.h"

#include <errno.h>
#include <inttypes.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Boot RAM of a machine whose table does not say. */
#define LAPI_DEFAULT_RAM (2 * MEMHP_GiB)
/* Up to this much boot RAM the checker runs after every operation by
 * default: a violation is then caught at the operation that caused it. */
/* Notifiers, trace hooks and allowed rules one machine may have. */
#define LAPI_MAX_NOTIFIERS 32
#define LAPI_MAX_TRACE_HOOKS 8
#define LAPI_MAX_ALLOWED 16
/* Rules m:interrupt_on() watches, and the longest such rule. */
#define LAPI_MAX_INTERRUPT_RULES 8
#define LAPI_RULE_MAX 32
#define LAPI_MAX_WORKLOADS 64
/* One description of a call in the timeline. */
#define LAPI_DESC 160
#define LAPI_WHERE 96
/* An option's name in an error message. */
#define LAPI_WHAT_MAX 64
/* Method names offered to the typo suggester (a type has fewer). */
#define LAPI_SUGGEST_MAX 256

#define MACHINE_MT "memhp.machine"
#define PAGE_MT "memhp.page"
#define DATA_MT "memhp.data"
#define KALLOC_MT "memhp.kalloc"
#define WALKERS_MT "memhp.walkers"

struct lnotifier {
	struct memhp_notifier_block nb;
	struct lmachine *lm;
	int fn; /* registry reference */
	int id;
	char where[LAPI_WHERE];
	bool registered;
};

enum lwork_kind { LW_DATA, LW_KALLOC, LW_WALKERS };

struct lwork {
	enum lwork_kind kind;
	struct lmachine *lm;
	union {
		struct memhp_data *data;
		struct memhp_kalloc *kalloc;
		struct memhp_walkers *walkers;
	};
	int threads; /* walkers: how many run */
	bool dead;
};

struct lmachine {
	struct run *run;
	struct memhp_machine *m;
	int index; /* 1-based: the trace's pid */
	struct lnotifier *notifiers[LAPI_MAX_NOTIFIERS];
	int nr_notifiers;
	int online_page_fn; /* registry reference, or LUA_NOREF */
	int trace_fns[LAPI_MAX_TRACE_HOOKS];
	bool tracer_installed;
	struct lwork *work[LAPI_MAX_WORKLOADS];
	int nr_work;
	/* The notifier-error injector (notifier-error-inject's memory module). */
	struct memhp_notifier_block inject_nb;
	bool inject_registered;
	int inject_errno[MEMHP_MEM_CANCEL_OFFLINE + 1];
	const char *allowed[LAPI_MAX_ALLOWED];
	int nr_allowed;
	/* m:interrupt_on(): read by whatever thread logs a finding, so the
	 * rules are written before the count that publishes them. */
	char interrupt_rules[LAPI_MAX_INTERRUPT_RULES][LAPI_RULE_MAX];
	_Atomic int nr_interrupt_rules;
	bool interrupt_installed;
	/* The script is between m:page_offline_begin() and _end(): it holds
	 * the machine's page_offline_rwsem for writing. */
	bool page_offline_held;
	char page_offline_where[LAPI_WHERE]; /* where the script began it */
};

struct lpage {
	struct lmachine *lm;
	unsigned long pfn;
};

static struct run *run_of(lua_State *L)
{
	struct run *r;

	lua_getfield(L, LUA_REGISTRYINDEX, "memhp.run");
	r = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return r;
}

/* "scenarios/x.lua:12", where the script called us. */
static void where(lua_State *L, char *buf, size_t len)
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

/* ---- Arguments ----------------------------------------------------------------------- */

/* A size or address: an integer, or a string such as "4G" or "0x100000000". */
static uint64_t check_size(lua_State *L, int idx, const char *what)
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

static unsigned long check_ulong(lua_State *L, int idx, const char *what)
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

static enum memhp_online_type check_online_type(lua_State *L, int idx, const char *what)
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

static memhp_gfp_t check_gfp(lua_State *L, int idx, memhp_gfp_t def, const char *what)
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
static void no_callback(lua_State *L, const char *fn)
{
	struct run *r = run_of(L);

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

/*
 * Finalizers of objects still reachable when the scenario ends run as Lua
 * closes, after the final check: whatever they did to a machine would go
 * unchecked, so every object refuses to be used then. (The objects stay
 * valid until Lua is closed: the refusal needs no freed memory.)
 */
static void check_live(lua_State *L)
{
	lua_Debug ar;
	const char *fn = "this call";

	if (!run_of(L)->ended)
		return;
	if (lua_getstack(L, 0, &ar) && lua_getinfo(L, "n", &ar) && ar.name)
		fn = ar.name;
	luaL_error(L,
		   "%s: the scenario has ended: its machines and their objects cannot be used "
		   "any more (a __gc finalizer that runs as Lua closes comes after the final "
		   "check; free what it holds in the scenario)",
		   fn);
}

static int l_page_offline_begin(lua_State *L);
static int l_page_offline_end(lua_State *L);
static int l_pfn_to_page(lua_State *L);
static int l_pfn_to_online_page(lua_State *L);
static int l_block_pfn(lua_State *L);
static int l_block_id(lua_State *L);

/*
 * Inside m:page_offline_begin() a script marks pages, as a driver does,
 * and nothing else: the checker that runs after an operation, a driver's
 * work and memhp_check() take the lock it holds, and would wait for ever
 * (fuzz_lua_api found m:page_offline_begin() twice, then m:check()).
 * Methods that only find pages and blocks may be called.
 */
static void check_page_offline_held(lua_State *L, const struct lmachine *lm)
{
	static const lua_CFunction ok[] = { l_page_offline_begin, l_page_offline_end, l_pfn_to_page,
					    l_pfn_to_online_page, l_block_pfn,	      l_block_id };
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

static struct lmachine *check_machine(lua_State *L, int idx)
{
	struct lmachine **p = luaL_checkudata(L, idx, MACHINE_MT);

	check_live(L);
	if (!*p || !(*p)->m)
		luaL_error(L, "the machine is gone");
	check_page_offline_held(L, *p);
	return *p;
}

static struct lpage *check_lpage(lua_State *L, int idx)
{
	struct lpage *lp = luaL_checkudata(L, idx, PAGE_MT);

	check_live(L);
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

static void push_page(lua_State *L, struct lmachine *lm, unsigned long pfn)
{
	struct lpage *lp = lua_newuserdatauv(L, sizeof(*lp), 0);

	lp->lm = lm;
	lp->pfn = pfn;
	luaL_setmetatable(L, PAGE_MT);
}

static struct lwork *check_work(lua_State *L, int idx, const char *mt)
{
	struct lwork **p = luaL_checkudata(L, idx, mt);

	check_live(L);
	if ((*p)->dead)
		luaL_error(L, "this %s was destroyed", mt + strlen("memhp."));
	return *p;
}

/* ---- The timeline of calls -------------------------------------------------------------- */

static void call_begin(lua_State *L, struct lmachine *lm, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void call_begin(lua_State *L, struct lmachine *lm, const char *fmt, ...)
{
	char w[LAPI_WHERE], what[LAPI_DESC];
	va_list ap;

	if (lm->page_offline_held)
		luaL_error(L,
			   "inside m:page_offline_begin() only pages may be touched: an operation "
			   "could wait for the lock the script holds (m:page_offline_end() first)");
	where(L, w, sizeof(w));
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	tl_call_begin(lm->run->tl, lm->index, w, what);
}

/* Raise what a callback could not: called once the core has returned. */
static void raise_deferred(lua_State *L)
{
	struct run *r = run_of(L);
	char *msg = r->deferred_error;

	if (!msg || r->cb_depth)
		return;
	r->deferred_error = NULL;
	lua_pushstring(L, msg);
	free(msg);
	lua_error(L);
}

static void call_end_ret(lua_State *L, struct lmachine *lm, long ret)
{
	char res[RUN_SIZE_STR * 2];

	run_errno_str(ret, res);
	if (ret == 1)
		snprintf(res, sizeof(res), "1 (already in that state)");
	tl_call_end(lm->run->tl, lm->index, res);
	raise_deferred(L);
}

static void call_end_str(lua_State *L, struct lmachine *lm, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void call_end_str(lua_State *L, struct lmachine *lm, const char *fmt, ...)
{
	char res[LAPI_DESC];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res, sizeof(res), fmt, ap);
	va_end(ap);
	tl_call_end(lm->run->tl, lm->index, res);
	raise_deferred(L);
}

/* ---- Calling into Lua from the core ------------------------------------------------------ */

static int traceback(lua_State *L)
{
	luaL_traceback(L, L, lua_tostring(L, 1), 1);
	return 1;
}

/*
 * Call the function pushed below its @nargs arguments under a protected
 * call. Returns true with @nresults results on the stack, or false with the
 * error kept for later (the core is mid-operation: nothing may unwind it).
 * Caller checked the thread.
 */
static bool cb_call(struct run *r, const char *kind, int nargs, int nresults)
{
	lua_State *L = r->L;
	const char *saved_kind = r->cb_kind;
	int base = lua_gettop(L) - nargs, rc;

	lua_pushcfunction(L, traceback);
	lua_insert(L, base);
	r->cb_depth++;
	r->cb_kind = kind;
	rc = lua_pcall(L, nargs, nresults, base);
	r->cb_depth--;
	r->cb_kind = saved_kind;
	lua_remove(L, base);
	if (rc == LUA_OK)
		return true;
	if (!r->deferred_error)
		r->deferred_error = strdup(lua_tostring(L, -1) ? lua_tostring(L, -1) : "error");
	lua_pop(L, 1);
	return false;
}

static bool on_scenario_thread(struct lmachine *lm, const char *what)
{
	if (pthread_equal(pthread_self(), lm->run->thread))
		return true;
	memhp_report(lm->m, MEMHP_NO_PFN, "lua-thread",
		     "%s called on another thread: Lua runs only on the scenario's", what);
	return false;
}

static void defer_error(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void defer_error(struct run *r, const char *fmt, ...)
{
	char msg[RUN_ERR_MAX * 2];
	va_list ap;

	if (r->deferred_error)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->deferred_error = strdup(msg);
}

static const struct {
	const char *word, *name;
	int value;
} notify_values[] = {
	{ "ok", "NOTIFY_OK", MEMHP_NOTIFY_OK },
	{ "done", "NOTIFY_DONE", MEMHP_NOTIFY_DONE },
	{ "bad", "NOTIFY_BAD", MEMHP_NOTIFY_BAD },
	{ "stop", "NOTIFY_STOP", MEMHP_NOTIFY_STOP },
};

/*
 * What a Lua notifier's return value means: nothing is NOTIFY_DONE, "ok",
 * "done", "bad", "stop" are the NOTIFY_* values, an errno name or a
 * negative number is notifier_from_errno(). Returns -1 for anything else.
 */
static int notifier_result(lua_State *L, int idx, char *shown, size_t len)
{
	const char *s;
	int e;

	switch (lua_type(L, idx)) {
	case LUA_TNONE:
	case LUA_TNIL:
		snprintf(shown, len, "NOTIFY_DONE");
		return MEMHP_NOTIFY_DONE;
	case LUA_TBOOLEAN:
		snprintf(shown, len, "%s", lua_toboolean(L, idx) ? "NOTIFY_OK" : "NOTIFY_BAD");
		return lua_toboolean(L, idx) ? MEMHP_NOTIFY_OK : MEMHP_NOTIFY_BAD;
	case LUA_TNUMBER:
		e = (int)lua_tointeger(L, idx);
		if (e < 0) {
			char err[RUN_SIZE_STR];

			snprintf(shown, len, "%s", run_errno_str(e, err));
			return memhp_notifier_from_errno(e);
		}
		snprintf(shown, len, "NOTIFY_OK");
		return MEMHP_NOTIFY_OK;
	case LUA_TSTRING:
		s = lua_tostring(L, idx);
		for (size_t i = 0; i < sizeof(notify_values) / sizeof(notify_values[0]); i++) {
			if (!strcmp(s, notify_values[i].word)) {
				snprintf(shown, len, "%s", notify_values[i].name);
				return notify_values[i].value;
			}
		}
		e = run_errno_from_name(s);
		if (e > 0) {
			snprintf(shown, len, "-%s", run_errno_name(e));
			return memhp_notifier_from_errno(-e);
		}
		if (e == 0) {
			snprintf(shown, len, "NOTIFY_OK");
			return MEMHP_NOTIFY_OK;
		}
		snprintf(shown, len, "'%s'", s);
		return -1;
	default:
		snprintf(shown, len, "a %s", luaL_typename(L, idx));
		return -1;
	}
}

static int lua_notifier_call(struct memhp_notifier_block *nb, unsigned long action, void *data)
{
	struct lnotifier *ln = nb->priv;
	struct lmachine *lm = ln->lm;
	struct run *r = lm->run;
	struct memhp_memory_notify *arg = data;
	const char *event = memhp_memory_event_name(action);
	lua_State *L = r->L;
	char shown[RUN_ERR_MAX], note[LAPI_DESC + RUN_ERR_MAX];
	int ret;

	if (!on_scenario_thread(lm, "a Lua memory notifier"))
		return MEMHP_NOTIFY_DONE;
	lua_checkstack(L, 8);
	lua_rawgeti(L, LUA_REGISTRYINDEX, ln->fn);
	lua_pushstring(L, event ? event : "?");
	lua_createtable(L, 0, 4);
	lua_pushinteger(L, (lua_Integer)arg->start_pfn);
	lua_setfield(L, -2, "start_pfn");
	lua_pushinteger(L, (lua_Integer)arg->nr_pages);
	lua_setfield(L, -2, "nr_pages");
	lua_pushinteger(L, arg->status_change_nid);
	lua_setfield(L, -2, "status_change_nid");
	lua_pushinteger(L, arg->status_change_nid_normal);
	lua_setfield(L, -2, "status_change_nid_normal");
	if (!cb_call(r, "a memory notifier", 2, 1)) {
		snprintf(note, sizeof(note), "notifier (%s) %s: error, NOTIFY_DONE", ln->where,
			 event);
		tl_note(r->tl, lm->index, "lua notifier", note);
		return MEMHP_NOTIFY_DONE;
	}
	ret = notifier_result(L, -1, shown, sizeof(shown));
	lua_pop(L, 1);
	if (ret < 0) {
		defer_error(r,
			    "%s: the memory notifier returned %s for %s: return \"ok\", "
			    "\"bad\", \"stop\", an errno name such as \"ENOMEM\", or nothing",
			    ln->where, shown, event);
		ret = MEMHP_NOTIFY_DONE;
		snprintf(shown, sizeof(shown), "NOTIFY_DONE (bad value)");
	}
	snprintf(note, sizeof(note), "notifier (%s) %s -> %s", ln->where, event, shown);
	tl_note(r->tl, lm->index, "lua notifier", note);
	return ret;
}

static void lua_online_page(struct memhp_page *page, unsigned int order, void *priv)
{
	struct lmachine *lm = priv;
	struct run *r = lm->run;
	lua_State *L = r->L;

	/* Whatever happens, the pages must go somewhere: to the buddy. */
	if (!on_scenario_thread(lm, "the Lua online_page callback") ||
	    lm->online_page_fn == LUA_NOREF) {
		memhp_generic_online_page(page, order);
		return;
	}
	lua_checkstack(L, 4);
	lua_rawgeti(L, LUA_REGISTRYINDEX, lm->online_page_fn);
	push_page(L, lm, memhp_page_to_pfn(page));
	lua_pushinteger(L, order);
	cb_call(r, "the online_page callback", 2, 0);
}

/*
 * What a trace hook sees of an event: {kind, name, start_pfn, nr_pages,
 * arg, ret}, the table scenarios have always been given (docs/scenarios.md):
 * the core's operations, phases, notifier calls and migration rounds by
 * kind, everything else an "instant" with a pfn and a number.
 */
struct lua_event_view {
	const char *kind;
	unsigned long start_pfn, nr_pages;
	long arg;
	int ret;
};

static struct lua_event_view lua_event_view(const struct memhp_event *ev)
{
	static const char *const kinds[MEMHP_NR_EVENT_TYPES] = {
		[MEMHP_TP_OP_BEGIN] = "op_begin",
		[MEMHP_TP_OP_END] = "op_end",
		[MEMHP_TP_PHASE_BEGIN] = "phase_begin",
		[MEMHP_TP_PHASE_END] = "phase_end",
		[MEMHP_TP_NOTIFY_BEGIN] = "notify_begin",
		[MEMHP_TP_NOTIFY_END] = "notify",
		[MEMHP_TP_MIGRATE_ROUND_BEGIN] = "migrate_round_begin",
		[MEMHP_TP_MIGRATE_ROUND_END] = "migrate_round",
		[MEMHP_TP_PAGEBLOCK_ISOLATED] = "pageblock_isolated",
		[MEMHP_TP_PAGEBLOCK_UNISOLATED] = "pageblock_unisolated",
	};
	struct lua_event_view v = { .kind = kinds[ev->type] ? kinds[ev->type] : "instant" };

	switch (ev->type) {
	case MEMHP_TP_OP_BEGIN:
	case MEMHP_TP_OP_END:
		v.start_pfn = ev->op.start_pfn;
		v.nr_pages = ev->op.nr_pages;
		if (ev->type == MEMHP_TP_OP_END && ev->op.op == MEMHP_OP_OFFLINE_PAGES)
			v.arg = (long)ev->op.rounds;
		else if (ev->op.zone >= 0)
			v.arg = ev->op.zone;
		v.ret = ev->op.ret;
		break;
	case MEMHP_TP_PHASE_BEGIN:
	case MEMHP_TP_PHASE_END:
		v.start_pfn = ev->phase.start_pfn;
		v.nr_pages = ev->phase.nr_pages;
		v.arg = (long)ev->phase.pages_moved;
		v.ret = ev->phase.ret;
		break;
	case MEMHP_TP_NOTIFY_BEGIN:
	case MEMHP_TP_NOTIFY_END:
		v.start_pfn = ev->notify.start_pfn;
		v.nr_pages = ev->notify.nr_pages;
		v.ret = ev->notify.ret;
		break;
	case MEMHP_TP_MIGRATE_ROUND_BEGIN:
	case MEMHP_TP_MIGRATE_ROUND_END:
		v.start_pfn = ev->round.from_pfn;
		v.nr_pages = ev->round.nr_pages;
		v.arg = (long)ev->round.pages_moved;
		v.ret = ev->round.ret;
		break;
	case MEMHP_TP_PAGEBLOCK_ISOLATED:
	case MEMHP_TP_PAGEBLOCK_UNISOLATED:
		v.start_pfn = ev->pageblock.start_pfn;
		v.nr_pages = ev->pageblock.nr_pages;
		if (ev->type == MEMHP_TP_PAGEBLOCK_UNISOLATED)
			v.arg = ev->pageblock.migratetype;
		break;
	case MEMHP_TP_DRAIN_ALL_PAGES:
		v.arg = (long)ev->drain.nr_pages;
		break;
	case MEMHP_EV_BLOCK_ADD:
	case MEMHP_EV_BLOCK_REMOVE:
	case MEMHP_EV_BLOCK_ONLINE:
	case MEMHP_EV_BLOCK_OFFLINE:
		v.start_pfn = ev->block.start_pfn;
		v.nr_pages = ev->block.nr_pages;
		v.arg = (long)ev->block.id;
		break;
	case MEMHP_EV_VMEM_REQUEST:
		v.start_pfn = (unsigned long)(ev->vmem_request.addr >> MEMHP_PAGE_SHIFT);
		v.arg = ev->vmem_request.type;
		break;
	case MEMHP_EV_VMEM_RESPONSE:
	case MEMHP_EV_VMEM_DEVICE_ANSWER:
		v.start_pfn = (unsigned long)(ev->vmem_request.addr >> MEMHP_PAGE_SHIFT);
		v.arg = ev->vmem_request.resp;
		break;
	case MEMHP_EV_VMEM_REQUESTED_SIZE:
		v.arg = (long)(ev->vmem_size.requested_size / MEMHP_MiB);
		break;
	case MEMHP_EV_VMEM_BLOCK_STATE:
	case MEMHP_EV_VMEM_ONLINING_DENIED:
		v.start_pfn = ev->vmem_block.start_pfn;
		v.arg = (long)ev->vmem_block.id;
		break;
	case MEMHP_EV_VMEM_WORK_DONE:
	case MEMHP_EV_VMEM_ADD_MEMORY_FAILED:
		v.start_pfn = (unsigned long)(ev->vmem_work.addr >> MEMHP_PAGE_SHIFT);
		v.arg = ev->vmem_work.ret;
		break;
	case MEMHP_EV_VMEM_PROBE_PROBLEM:
		v.arg = ev->vmem_probe.ret;
		break;
	case MEMHP_EV_BALLOON:
		v.start_pfn = ev->balloon.start_pfn;
		v.arg = (long)ev->balloon.nr_pages;
		break;
	case MEMHP_EV_NOTIFIER_ERROR_INJECTED:
		v.start_pfn = ev->inject.start_pfn;
		v.arg = ev->inject.err;
		break;
	case MEMHP_EV_UEVENT_WRITTEN:
		v.arg = ev->uevent.action;
		break;
	case MEMHP_EV_INSTANT:
		v.start_pfn = ev->instant.pfn;
		v.arg = ev->instant.arg;
		break;
	default:
		break;
	}
	return v;
}

/* Kernel messages and findings are not passed: they may come from under a
 * zone lock (a bad page being freed), where a hook that asked for zone
 * state would deadlock. */
#define LUA_TRACE_EVENTS \
	(MEMHP_EVENTS_ALL & ~MEMHP_EVENT_BIT(MEMHP_TP_PRINTK) & ~MEMHP_EVENT_BIT(MEMHP_EV_FINDING))

static void lua_event(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct lmachine *lm = priv;
	struct run *r = lm->run;
	lua_State *L = r->L;
	struct lua_event_view v;

	(void)m;
	/* Walker threads are not the scenario's: their events stay in the
	 * timeline. */
	if (!pthread_equal(pthread_self(), r->thread))
		return;
	v = lua_event_view(ev);
	for (int i = 0; i < LAPI_MAX_TRACE_HOOKS; i++) {
		if (lm->trace_fns[i] == LUA_NOREF)
			continue;
		lua_checkstack(L, 4);
		lua_rawgeti(L, LUA_REGISTRYINDEX, lm->trace_fns[i]);
		lua_createtable(L, 0, 6);
		lua_pushstring(L, v.kind);
		lua_setfield(L, -2, "kind");
		lua_pushstring(L, memhp_event_name(ev));
		lua_setfield(L, -2, "name");
		lua_pushinteger(L, (lua_Integer)v.start_pfn);
		lua_setfield(L, -2, "start_pfn");
		lua_pushinteger(L, (lua_Integer)v.nr_pages);
		lua_setfield(L, -2, "nr_pages");
		lua_pushinteger(L, v.arg);
		lua_setfield(L, -2, "arg");
		lua_pushinteger(L, v.ret);
		lua_setfield(L, -2, "ret");
		cb_call(r, "a trace hook", 1, 0);
	}
}

static int inject_call(struct memhp_notifier_block *nb, unsigned long action, void *data)
{
	struct lmachine *lm = nb->priv;

	(void)data;
	if (action <= MEMHP_MEM_CANCEL_OFFLINE && lm->inject_errno[action])
		return memhp_notifier_from_errno(-lm->inject_errno[action]);
	return MEMHP_NOTIFY_OK;
}

/* ---- memhp.machine{...} ---------------------------------------------------------------- */

static const char *const machine_options[] = {
	"ram",
	"boot",
	"phys_size",
	"section_size",
	"block_size",
	"pageblock_order",
	"max_order",
	"dma_limit",
	"dma32_limit",
	"kernel_start",
	"kernel_size",
	"reserve_low_1m",
	"kaslr",
	"swiotlb_size",
	"nr_cpus",
	"hugetlb_gigantic",
	"cma",
	"cma_base",
	"struct_page_size",
	"auto_online_blocks",
	"online_policy",
	"auto_movable_ratio",
	"auto_movable_numa_aware",
	"movable_node",
	"numa",
	"memmap_on_memory",
	"protocol",
	"check_after_ops",
	"seed",
	NULL,
};

static bool opt_present(lua_State *L, int t, const char *name)
{
	bool present = lua_getfield(L, t, name) != LUA_TNIL;

	if (!present)
		lua_pop(L, 1);
	return present; /* the value is on the stack when present */
}

static void opt_size(lua_State *L, int t, const char *name, uint64_t *out)
{
	char what[LAPI_WHAT_MAX];

	if (!opt_present(L, t, name))
		return;
	snprintf(what, sizeof(what), "memhp.machine: %s", name);
	*out = check_size(L, -1, what);
	lua_pop(L, 1);
}

static void opt_uint(lua_State *L, int t, const char *name, unsigned int *out)
{
	char what[LAPI_WHAT_MAX];

	if (!opt_present(L, t, name))
		return;
	snprintf(what, sizeof(what), "memhp.machine: %s", name);
	*out = (unsigned int)check_ulong(L, -1, what);
	lua_pop(L, 1);
}

static void opt_bool(lua_State *L, int t, const char *name, bool *out)
{
	if (!opt_present(L, t, name))
		return;
	if (!lua_isboolean(L, -1))
		luaL_error(L, "memhp.machine: %s must be true or false, not %s", name,
			   luaL_typename(L, -1));
	*out = lua_toboolean(L, -1);
	lua_pop(L, 1);
}

static int parse_protocol(const char *s)
{
	if (!strcmp(s, "6.1"))
		return MEMHP_PROTOCOL_6_1;
	if (!strcmp(s, "2025"))
		return MEMHP_PROTOCOL_2025;
	return -1;
}

static const char *protocol_name(enum memhp_protocol p)
{
	return p == MEMHP_PROTOCOL_2025 ? "2025" : "6.1";
}

static void parse_machine_options(lua_State *L, struct run *r, struct memhp_config *cfg)
{
	uint64_t ram = LAPI_DEFAULT_RAM;
	char w[LAPI_WHERE];
	bool pinned_protocol = false;

	if (!lua_isnoneornil(L, 1))
		luaL_checktype(L, 1, LUA_TTABLE);
	else
		lua_newtable(L), lua_replace(L, 1);
	/* Unknown keys first: a typo must not silently become a default. */
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
		bool known = false;

		for (const char *const *o = machine_options; key && *o; o++)
			known |= !strcmp(*o, key);
		if (!known) {
			const char *hint = key ? run_suggest(key, machine_options) : NULL;

			luaL_error(L, "memhp.machine: unknown option %s%s%s" RUN_HINT_FMT,
				   key ? "'" : "a non-string key", key ? key : "", key ? "'" : "",
				   RUN_HINT_ARGS(hint));
		}
		lua_pop(L, 1);
	}
	opt_size(L, 1, "ram", &ram);
	memhp_config_init(cfg, ram);
	if (opt_present(L, 1, "boot")) {
		luaL_checktype(L, -1, LUA_TTABLE);
		cfg->nr_boot = 0;
		for (lua_Integer i = 1; lua_rawgeti(L, -1, i) != LUA_TNIL; i++) {
			if (cfg->nr_boot == MEMHP_MAX_BOOT_RANGES)
				luaL_error(L, "memhp.machine: at most %d boot ranges",
					   MEMHP_MAX_BOOT_RANGES);
			if (!lua_istable(L, -1))
				luaL_error(L, "memhp.machine: boot[%I] must be {start, size}", i);
			lua_rawgeti(L, -1, 1);
			cfg->boot[cfg->nr_boot].start =
				check_size(L, -1, "memhp.machine: boot start");
			lua_rawgeti(L, -2, 2);
			cfg->boot[cfg->nr_boot].size =
				check_size(L, -1, "memhp.machine: boot size");
			lua_pop(L, 3);
			cfg->nr_boot++;
		}
		lua_pop(L, 2);
	}
	opt_size(L, 1, "phys_size", &cfg->phys_size);
	opt_size(L, 1, "section_size", &cfg->section_size);
	opt_size(L, 1, "block_size", &cfg->block_size);
	opt_uint(L, 1, "pageblock_order", &cfg->pageblock_order);
	opt_uint(L, 1, "max_order", &cfg->max_order);
	opt_size(L, 1, "dma_limit", &cfg->dma_limit);
	opt_size(L, 1, "dma32_limit", &cfg->dma32_limit);
	opt_size(L, 1, "kernel_start", &cfg->kernel_start);
	opt_size(L, 1, "kernel_size", &cfg->kernel_size);
	opt_bool(L, 1, "reserve_low_1m", &cfg->reserve_low_1m);
	opt_bool(L, 1, "kaslr", &cfg->kaslr);
	opt_size(L, 1, "swiotlb_size", &cfg->swiotlb_size);
	opt_uint(L, 1, "nr_cpus", &cfg->nr_cpus);
	opt_uint(L, 1, "struct_page_size", &cfg->struct_page_size);
	lnuma_machine_option(L, 1, cfg);
	if (opt_present(L, 1, "auto_online_blocks")) {
		cfg->auto_online_blocks =
			check_online_type(L, -1, "memhp.machine: auto_online_blocks");
		lua_pop(L, 1);
	}
	if (opt_present(L, 1, "online_policy")) {
		const char *s = luaL_checkstring(L, -1);

		if (!strcmp(s, "contig-zones"))
			cfg->online_policy = MEMHP_ONLINE_POLICY_CONTIG_ZONES;
		else if (!strcmp(s, "auto-movable"))
			cfg->online_policy = MEMHP_ONLINE_POLICY_AUTO_MOVABLE;
		else
			luaL_error(L,
				   "memhp.machine: online_policy '%s': use \"contig-zones\" or "
				   "\"auto-movable\"",
				   s);
		lua_pop(L, 1);
	}
	opt_uint(L, 1, "auto_movable_ratio", &cfg->auto_movable_ratio);
	opt_bool(L, 1, "auto_movable_numa_aware", &cfg->auto_movable_numa_aware);
	opt_bool(L, 1, "movable_node", &cfg->movable_node);
	opt_bool(L, 1, "memmap_on_memory", &cfg->memmap_on_memory);
	opt_bool(L, 1, "hugetlb_gigantic", &cfg->hugetlb_gigantic);
	opt_size(L, 1, "cma", &cfg->cma_size);
	opt_size(L, 1, "cma_base", &cfg->cma_base);
	if (opt_present(L, 1, "protocol")) {
		const char *s = lua_tostring(L, -1);
		int p = s ? parse_protocol(s) : -1;

		if (p < 0)
			luaL_error(L, "memhp.machine: protocol must be \"6.1\" or \"2025\", not %s",
				   s ? s : luaL_typename(L, -1));
		cfg->protocol = (enum memhp_protocol)p;
		pinned_protocol = true;
		lua_pop(L, 1);
	}
	if (r->protocol != RUN_PROTOCOL_SCRIPT) {
		if (pinned_protocol && (int)cfg->protocol != r->protocol) {
			where(L, w, sizeof(w));
			fprintf(stderr,
				"%s: %s: --protocol %s overrides the scenario's protocol %s\n",
				run_prog, w, protocol_name((enum memhp_protocol)r->protocol),
				protocol_name(cfg->protocol));
		}
		cfg->protocol = (enum memhp_protocol)r->protocol;
	}
	cfg->check_after_ops = true;
	opt_bool(L, 1, "check_after_ops", &cfg->check_after_ops);
	cfg->seed = r->seed;
	if (opt_present(L, 1, "seed")) {
		cfg->seed = check_size(L, -1, "memhp.machine: seed");
		lua_pop(L, 1);
	}
}

static int l_machine(lua_State *L)
{
	struct run *r = run_of(L);
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct lmachine *lm, **box;
	char note[LAPI_DESC * 2], a[RUN_SIZE_STR], b[RUN_SIZE_STR], c[RUN_SIZE_STR];
	uint64_t boot = 0;
	int ret;

	no_callback(L, "memhp.machine()");
	check_live(L);
	if (r->nr_machines == RUN_MAX_MACHINES)
		return luaL_error(L, "memhp.machine: at most %d machines in one run",
				  RUN_MAX_MACHINES);
	parse_machine_options(L, r, &cfg);
	ret = memhp_machine_create(&cfg, &m);
	if (ret == -EINVAL)
		return luaL_error(L, "memhp.machine: invalid configuration: %s",
				  memhp_config_error());
	if (ret)
		return luaL_error(L, "memhp.machine: cannot create the machine: %s%s%s",
				  strerror(-ret), *memhp_config_error() ? ": " : "",
				  memhp_config_error());
	lm = calloc(1, sizeof(*lm));
	if (!lm) {
		memhp_machine_destroy(m);
		return luaL_error(L, "memhp.machine: out of memory");
	}
	lm->run = r;
	lm->m = m;
	lm->index = r->nr_machines + 1;
	lm->online_page_fn = LUA_NOREF;
	for (int i = 0; i < LAPI_MAX_TRACE_HOOKS; i++)
		lm->trace_fns[i] = LUA_NOREF;
	r->machines[r->nr_machines++] = lm;
	tl_attach(r->tl, m, lm->index);
	if (run_hooks && run_hooks->machine_created)
		run_hooks->machine_created(m, run_hooks->priv);

	for (unsigned int i = 0; i < cfg.nr_boot; i++)
		boot += cfg.boot[i].size;
	snprintf(note, sizeof(note),
		 "machine %d: %s boot RAM, %s blocks, %s address space, protocol %s, seed %" PRIu64
		 "%s",
		 lm->index, run_fmt_size(boot, a), run_fmt_size(cfg.block_size, b),
		 run_fmt_size(cfg.phys_size, c), protocol_name(cfg.protocol), cfg.seed,
		 cfg.check_after_ops ? ", checker after every operation" : "");
	tl_note(r->tl, lm->index, "machine", note);

	box = lua_newuserdatauv(L, sizeof(*box), 0);
	*box = lm;
	luaL_setmetatable(L, MACHINE_MT);
	return 1;
}

/* ---- Hotplug operations ------------------------------------------------------------------ */

static int l_add_memory(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	uint64_t start = check_size(L, 2, "add_memory: start");
	uint64_t size = check_size(L, 3, "add_memory: size");
	unsigned int flags = MEMHP_MHP_NONE;
	char sz[RUN_SIZE_STR];
	int ret;

	no_callback(L, "add_memory()");
	if (lua_istable(L, 4)) {
		if (lua_getfield(L, 4, "memmap_on_memory") != LUA_TNIL && lua_toboolean(L, -1))
			flags |= MEMHP_MHP_MEMMAP_ON_MEMORY;
		if (lua_getfield(L, 4, "merge_resource") != LUA_TNIL && lua_toboolean(L, -1))
			flags |= MEMHP_MHP_MERGE_RESOURCE;
		lua_pop(L, 2);
	} else if (!lua_isnoneornil(L, 4)) {
		return luaL_error(L, "add_memory: the flags are a table, e.g. "
				     "{memmap_on_memory = true}");
	}
	call_begin(L, lm, "add_memory(%#" PRIx64 ", %s%s)", start, run_fmt_size(size, sz),
		   flags & MEMHP_MHP_MEMMAP_ON_MEMORY ? ", MHP_MEMMAP_ON_MEMORY" : "");
	ret = memhp_add_memory(lm->m, 0, start, size, flags);
	call_end_ret(L, lm, ret);
	lua_pushinteger(L, ret);
	return 1;
}

static int l_add_memory_driver_managed(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	uint64_t start = check_size(L, 2, "add_memory_driver_managed: start");
	uint64_t size = check_size(L, 3, "add_memory_driver_managed: size");
	const char *name = luaL_optstring(L, 4, "System RAM (lua)");
	char sz[RUN_SIZE_STR];
	int ret;

	no_callback(L, "add_memory_driver_managed()");
	call_begin(L, lm, "add_memory_driver_managed(%#" PRIx64 ", %s, \"%s\")", start,
		   run_fmt_size(size, sz), name);
	ret = memhp_add_memory_driver_managed(lm->m, 0, start, size, name, MEMHP_MHP_NONE);
	call_end_ret(L, lm, ret);
	lua_pushinteger(L, ret);
	return 1;
}

static int l_remove_memory(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	uint64_t start = check_size(L, 2, "remove_memory: start");
	uint64_t size = check_size(L, 3, "remove_memory: size");
	char sz[RUN_SIZE_STR];
	int ret;

	no_callback(L, "remove_memory()");
	call_begin(L, lm, "remove_memory(%#" PRIx64 ", %s)", start, run_fmt_size(size, sz));
	ret = memhp_remove_memory(lm->m, start, size);
	call_end_ret(L, lm, ret);
	lua_pushinteger(L, ret);
	return 1;
}

static int l_offline_and_remove_memory(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	uint64_t start = check_size(L, 2, "offline_and_remove_memory: start");
	uint64_t size = check_size(L, 3, "offline_and_remove_memory: size");
	char sz[RUN_SIZE_STR];
	int ret;

	no_callback(L, "offline_and_remove_memory()");
	call_begin(L, lm, "offline_and_remove_memory(%#" PRIx64 ", %s)", start,
		   run_fmt_size(size, sz));
	ret = memhp_offline_and_remove_memory(lm->m, start, size);
	call_end_ret(L, lm, ret);
	lua_pushinteger(L, ret);
	return 1;
}

static int l_online(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	unsigned long id = check_ulong(L, 2, "online: block id");
	enum memhp_online_type type = check_online_type(L, 3, "online");
	int ret;

	no_callback(L, "online()");
	if (type == MEMHP_MMOP_OFFLINE)
		return luaL_error(L, "online: \"offline\" is not an online type; use offline(id)");
	call_begin(L, lm, "online(memory%lu, %s)", id, memhp_online_type_to_str(type));
	ret = memhp_block_online(lm->m, id, type);
	call_end_ret(L, lm, ret);
	lua_pushinteger(L, ret);
	return 1;
}

static int l_offline(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	unsigned long id = check_ulong(L, 2, "offline: block id");
	int ret;

	no_callback(L, "offline()");
	call_begin(L, lm, "offline(memory%lu)", id);
	ret = memhp_block_offline(lm->m, id);
	call_end_ret(L, lm, ret);
	lua_pushinteger(L, ret);
	return 1;
}

/* ---- State ------------------------------------------------------------------------------- */

static const char *block_state_name(enum memhp_block_state s)
{
	switch (s) {
	case MEMHP_MEM_ONLINE:
		return "online";
	case MEMHP_MEM_GOING_OFFLINE:
		return "going-offline";
	case MEMHP_MEM_OFFLINE:
		return "offline";
	}
	return "?";
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

static void set_str(lua_State *L, const char *k, const char *v)
{
	lua_pushstring(L, v);
	lua_setfield(L, -2, k);
}

static void set_bool(lua_State *L, const char *k, bool v)
{
	lua_pushboolean(L, v);
	lua_setfield(L, -2, k);
}

/* ---- For the bindings in other files (lua_api.h) ---------------------------------------- */

struct lmachine *lapi_check_machine(lua_State *L, int idx)
{
	return check_machine(L, idx);
}

struct memhp_machine *lapi_lm_machine(const struct lmachine *lm)
{
	return lm->m;
}

uint64_t lapi_check_size(lua_State *L, int idx, const char *what)
{
	return check_size(L, idx, what);
}

void lapi_no_callback(lua_State *L, const char *fn)
{
	no_callback(L, fn);
}

void lapi_check_live(lua_State *L)
{
	check_live(L);
}

void lapi_call_begin(lua_State *L, struct lmachine *lm, const char *what)
{
	call_begin(L, lm, "%s", what);
}

void lapi_call_end(lua_State *L, struct lmachine *lm, const char *result)
{
	call_end_str(L, lm, "%s", result);
}

void lapi_call_end_ret(lua_State *L, struct lmachine *lm, long ret)
{
	call_end_ret(L, lm, ret);
}

void lapi_set_int(lua_State *L, const char *k, lua_Integer v)
{
	set_int(L, k, v);
}

void lapi_set_str(lua_State *L, const char *k, const char *v)
{
	set_str(L, k, v);
}

void lapi_set_bool(lua_State *L, const char *k, bool v)
{
	set_bool(L, k, v);
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

static void push_block(lua_State *L, const struct memhp_block_info *bi)
{
	lua_createtable(L, 0, 10);
	set_int(L, "id", (lua_Integer)bi->id);
	set_int(L, "start", (lua_Integer)bi->start);
	set_str(L, "state", block_state_name(bi->state));
	set_bool(L, "online", bi->online);
	set_bool(L, "boot", bi->boot);
	set_int(L, "nid", bi->nid);
	if (bi->zone >= 0)
		set_str(L, "zone", memhp_zone_name((enum memhp_zone_type)bi->zone));
	set_int(L, "nr_vmemmap_pages", (lua_Integer)bi->nr_vmemmap_pages);
	set_int(L, "group", bi->group);
}

static int l_block(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	struct memhp_block_info bi;

	if (memhp_block_info(lm->m, check_ulong(L, 2, "block: id"), &bi))
		lua_pushnil(L);
	else
		push_block(L, &bi);
	return 1;
}

static int l_blocks(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	lua_Integer n = 0;

	lua_newtable(L);
	for (long id = memhp_next_block(lm->m, 0); id >= 0;
	     id = memhp_next_block(lm->m, (unsigned long)id + 1)) {
		struct memhp_block_info bi;

		if (memhp_block_info(lm->m, (unsigned long)id, &bi))
			continue;
		push_block(L, &bi);
		lua_rawseti(L, -2, ++n);
	}
	return 1;
}

static int l_state(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	char buf[MEMHP_SYSFS_BUF];
	ssize_t n = memhp_show_state(lm->m, check_ulong(L, 2, "state: id"), buf);

	if (n < 0) {
		lua_pushnil(L);
		return 1;
	}
	lua_pushlstring(L, buf, n > 0 && buf[n - 1] == '\n' ? (size_t)n - 1 : (size_t)n);
	return 1;
}

static int l_valid_zones(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	char buf[MEMHP_SYSFS_BUF];
	ssize_t n = memhp_show_valid_zones(lm->m, check_ulong(L, 2, "valid_zones: id"), buf);

	if (n < 0) {
		lua_pushnil(L);
		return 1;
	}
	lua_pushlstring(L, buf, n > 0 && buf[n - 1] == '\n' ? (size_t)n - 1 : (size_t)n);
	return 1;
}

static int l_block_id(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);

	lua_pushinteger(L, (lua_Integer)memhp_phys_to_block_id(
				   lm->m, check_size(L, 2, "block_id: address")));
	return 1;
}

static int l_block_pfn(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);

	lua_pushinteger(L, (lua_Integer)(check_ulong(L, 2, "block_pfn: id") *
					 memhp_pages_per_block(lm->m)));
	return 1;
}

static int l_config(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	const struct memhp_config *c = memhp_machine_config(lm->m);

	lua_newtable(L);
	set_int(L, "block_size", (lua_Integer)memhp_block_size(lm->m));
	set_int(L, "section_size", (lua_Integer)c->section_size);
	set_int(L, "phys_size", (lua_Integer)c->phys_size);
	set_int(L, "pages_per_block", (lua_Integer)memhp_pages_per_block(lm->m));
	set_int(L, "pages_per_section", (lua_Integer)memhp_pages_per_section(lm->m));
	set_int(L, "pageblock_nr_pages", (lua_Integer)memhp_pageblock_nr_pages(lm->m));
	set_int(L, "max_order", memhp_max_order(lm->m));
	set_int(L, "max_pfn", (lua_Integer)memhp_max_pfn(lm->m));
	set_str(L, "protocol", protocol_name(memhp_machine_protocol(lm->m)));
	set_int(L, "seed", (lua_Integer)c->seed);
	set_bool(L, "memmap_on_memory", c->memmap_on_memory);
	set_bool(L, "check_after_ops", c->check_after_ops);
	return 1;
}

static int l_protocol(lua_State *L)
{
	lua_pushstring(L, protocol_name(memhp_machine_protocol(check_machine(L, 1)->m)));
	return 1;
}

static const char *const zone_names[] = { "DMA", "DMA32", "Normal", "Movable", NULL };

static int check_zone(lua_State *L, int idx)
{
	const char *s = luaL_checkstring(L, idx);

	for (int z = 0; z < MEMHP_NR_ZONES; z++)
		if (!strcasecmp(s, zone_names[z]))
			return z;
	return luaL_error(L, "unknown zone '%s' (DMA, DMA32, Normal, Movable)", s);
}

static void push_zone(lua_State *L, struct lmachine *lm, int z)
{
	struct memhp_zone_info zi;

	memhp_zone_info(lm->m, 0, (enum memhp_zone_type)z, &zi);
	lua_createtable(L, 0, 10);
	set_str(L, "name", zi.name);
	set_int(L, "zone_start_pfn", (lua_Integer)zi.zone_start_pfn);
	set_int(L, "spanned_pages", (lua_Integer)zi.spanned_pages);
	set_int(L, "present_pages", (lua_Integer)zi.present_pages);
	set_int(L, "present_early_pages", (lua_Integer)zi.present_early_pages);
	set_int(L, "managed_pages", (lua_Integer)zi.managed_pages);
	set_int(L, "nr_free_pages", (lua_Integer)zi.nr_free_pages);
	set_int(L, "nr_isolate_pageblock", (lua_Integer)zi.nr_isolate_pageblock);
	set_int(L, "nr_pcp_pages", (lua_Integer)zi.nr_pcp_pages);
	set_int(L, "watermark_min", (lua_Integer)zi.watermark_min);
	set_int(L, "watermark_low", (lua_Integer)zi.watermark_low);
	set_int(L, "watermark_high", (lua_Integer)zi.watermark_high);
}

static int l_zone(lua_State *L)
{
	push_zone(L, check_machine(L, 1), check_zone(L, 2));
	return 1;
}

static int l_zones(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);

	lua_newtable(L);
	for (int z = 0; z < MEMHP_NR_ZONES; z++) {
		push_zone(L, lm, z);
		lua_setfield(L, -2, zone_names[z]);
	}
	return 1;
}

static int l_meminfo(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	struct memhp_meminfo mi;

	memhp_meminfo(lm->m, &mi);
	lua_createtable(L, 0, 14);
	set_int(L, "total_pages", (lua_Integer)mi.total_pages);
	set_int(L, "free_pages", (lua_Integer)mi.free_pages);
	set_int(L, "present_pages", (lua_Integer)mi.present_pages);
	set_int(L, "spanned_pages", (lua_Integer)mi.spanned_pages);
	set_int(L, "reserved_pages", (lua_Integer)mi.reserved_pages);
	set_int(L, "offline_pages", (lua_Integer)mi.offline_pages);
	set_int(L, "movable_pages", (lua_Integer)mi.movable_pages);
	set_int(L, "kernel_pages", (lua_Integer)mi.kernel_pages);
	set_int(L, "hwpoison_pages", (lua_Integer)mi.hwpoison_pages);
	set_int(L, "shmem_pages", (lua_Integer)mi.shmem_pages);
	set_int(L, "pcp_pages", (lua_Integer)mi.pcp_pages);
	/* /proc/meminfo's names, in KiB, for people who think in those. */
	set_int(L, "MemTotal", (lua_Integer)(mi.total_pages * (MEMHP_PAGE_SIZE / MEMHP_KiB)));
	set_int(L, "MemFree", (lua_Integer)(mi.free_pages * (MEMHP_PAGE_SIZE / MEMHP_KiB)));
	set_int(L, "HardwareCorrupted",
		(lua_Integer)(mi.hwpoison_pages * (MEMHP_PAGE_SIZE / MEMHP_KiB)));
	set_int(L, "Shmem", (lua_Integer)(mi.shmem_pages * (MEMHP_PAGE_SIZE / MEMHP_KiB)));
	/* The guest kernel's own memory (memhp/kernel.h). */
	{
		const long kb = MEMHP_PAGE_SIZE / MEMHP_KiB;
		long sr = memhp_vmstat(lm->m, MEMHP_NR_SLAB_RECLAIMABLE) * kb;
		long su = memhp_vmstat(lm->m, MEMHP_NR_SLAB_UNRECLAIMABLE) * kb;

		set_int(L, "Slab", sr + su);
		set_int(L, "SReclaimable", sr);
		set_int(L, "SUnreclaim", su);
		set_int(L, "KernelStack", memhp_vmstat(lm->m, MEMHP_NR_KERNEL_STACK));
		set_int(L, "PageTables", memhp_vmstat(lm->m, MEMHP_NR_PAGE_TABLE_PAGES) * kb);
		set_int(L, "AnonPages", memhp_vmstat(lm->m, MEMHP_NR_ANON_PAGES) * kb);
	}
	return 1;
}

/* ---- Memory failure ------------------------------------------------------------------------ */

static int l_soft_offline_page(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	unsigned long pfn = check_ulong(L, 2, "soft_offline_page: pfn");
	int ret;

	no_callback(L, "soft_offline_page()");
	call_begin(L, lm, "soft_offline_page(%#lx)", pfn);
	ret = memhp_soft_offline_page(lm->m, pfn);
	call_end_ret(L, lm, ret);
	lua_pushinteger(L, ret);
	return 1;
}

static int l_memory_failure(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	unsigned long pfn = check_ulong(L, 2, "memory_failure: pfn");
	int ret;

	no_callback(L, "memory_failure()");
	call_begin(L, lm, "memory_failure(%#lx)", pfn);
	ret = memhp_memory_failure(lm->m, pfn);
	call_end_ret(L, lm, ret);
	lua_pushinteger(L, ret);
	return 1;
}

/* ---- Pages --------------------------------------------------------------------------------- */

static int l_pfn_to_page(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	unsigned long pfn = check_ulong(L, 2, "pfn_to_page: pfn");

	if (!memhp_pfn_to_page(lm->m, pfn))
		lua_pushnil(L);
	else
		push_page(L, lm, pfn);
	return 1;
}

static int l_pfn_to_online_page(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	unsigned long pfn = check_ulong(L, 2, "pfn_to_online_page: pfn");

	if (!memhp_pfn_to_online_page(lm->m, pfn))
		lua_pushnil(L);
	else
		push_page(L, lm, pfn);
	return 1;
}

static int l_pfn_valid(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);

	lua_pushboolean(L, memhp_pfn_valid(lm->m, check_ulong(L, 2, "pfn_valid: pfn")));
	return 1;
}

static int l_migratetype(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	int mt = memhp_pfn_migratetype(lm->m, check_ulong(L, 2, "migratetype: pfn"));

	if (mt < 0)
		lua_pushnil(L);
	else
		lua_pushstring(L, memhp_migratetype_name(mt));
	return 1;
}

static int l_page_offline_begin(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);

	/* A second down_write() by its holder: Linux would hang. */
	if (lm->page_offline_held)
		return errorf(L, "page_offline_begin: the script is inside it already: a "
				 "second would wait for ever (m:page_offline_end() first)");
	memhp_page_offline_begin(lm->m);
	lm->page_offline_held = true;
	where(L, lm->page_offline_where, sizeof(lm->page_offline_where));
	return 0;
}

static int l_page_offline_end(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);

	if (!lm->page_offline_held)
		return errorf(L, "page_offline_end: the script is not inside "
				 "m:page_offline_begin()");
	lm->page_offline_held = false;
	memhp_page_offline_end(lm->m);
	return 0;
}

static int l_alloc_pages(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	memhp_gfp_t gfp = check_gfp(L, 2, MEMHP_GFP_KERNEL, "alloc_pages");
	lua_Integer order = luaL_optinteger(L, 3, 0);
	struct memhp_page *p;

	if (order < 0 || order > memhp_max_order(lm->m))
		return errorf(L, "alloc_pages: order %lld is not 0 to max_order %u",
			      (long long)order, memhp_max_order(lm->m));
	p = memhp_alloc_pages(lm->m, gfp, (unsigned int)order);
	if (!p)
		lua_pushnil(L);
	else
		push_page(L, lm, memhp_page_to_pfn(p));
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
static int l_free_pages(lua_State *L)
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

static int l_generic_online_page(lua_State *L)
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

static int l_adjust_managed_page_count(lua_State *L)
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

/* ---- Callbacks ------------------------------------------------------------------------------ */

static int l_register_memory_notifier(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	lua_Integer prio = luaL_optinteger(L, 3, 0);
	struct lnotifier *ln;
	int ret;

	luaL_checktype(L, 2, LUA_TFUNCTION);
	no_callback(L, "register_memory_notifier()");
	if (lm->nr_notifiers == LAPI_MAX_NOTIFIERS)
		return luaL_error(L, "register_memory_notifier: at most %d notifiers",
				  LAPI_MAX_NOTIFIERS);
	ln = calloc(1, sizeof(*ln));
	if (!ln)
		return luaL_error(L, "out of memory");
	ln->lm = lm;
	ln->id = lm->nr_notifiers + 1;
	ln->nb.notifier_call = lua_notifier_call;
	ln->nb.priority = (int)prio;
	ln->nb.priv = ln;
	where(L, ln->where, sizeof(ln->where));
	lua_pushvalue(L, 2);
	ln->fn = luaL_ref(L, LUA_REGISTRYINDEX);
	ret = memhp_register_memory_notifier(lm->m, &ln->nb);
	ln->registered = !ret;
	lm->notifiers[lm->nr_notifiers++] = ln;
	lua_pushinteger(L, ret ? ret : ln->id);
	return 1;
}

static int l_unregister_memory_notifier(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	lua_Integer id = luaL_checkinteger(L, 2);

	no_callback(L, "unregister_memory_notifier()");
	if (id < 1 || id > lm->nr_notifiers || !lm->notifiers[id - 1]->registered)
		return luaL_error(L, "unregister_memory_notifier: %I is not a registered notifier",
				  id);
	memhp_unregister_memory_notifier(lm->m, &lm->notifiers[id - 1]->nb);
	lm->notifiers[id - 1]->registered = false;
	return 0;
}

static int l_set_online_page_callback(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	int ret;

	luaL_checktype(L, 2, LUA_TFUNCTION);
	no_callback(L, "set_online_page_callback()");
	if (lm->online_page_fn != LUA_NOREF) {
		lua_pushinteger(L, -EINVAL); /* as the C call answers a second callback */
		return 1;
	}
	ret = memhp_set_online_page_callback(lm->m, lua_online_page, lm);
	if (!ret) {
		lua_pushvalue(L, 2);
		lm->online_page_fn = luaL_ref(L, LUA_REGISTRYINDEX);
	}
	lua_pushinteger(L, ret);
	return 1;
}

static int l_restore_online_page_callback(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	int ret;

	no_callback(L, "restore_online_page_callback()");
	ret = memhp_restore_online_page_callback(lm->m, lua_online_page);
	if (!ret) {
		luaL_unref(L, LUA_REGISTRYINDEX, lm->online_page_fn);
		lm->online_page_fn = LUA_NOREF;
	}
	lua_pushinteger(L, ret);
	return 1;
}

static int l_trace(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);

	luaL_checktype(L, 2, LUA_TFUNCTION);
	for (int i = 0; i < LAPI_MAX_TRACE_HOOKS; i++) {
		if (lm->trace_fns[i] != LUA_NOREF)
			continue;
		if (!lm->tracer_installed) {
			int ret = memhp_event_subscribe(lm->m, LUA_TRACE_EVENTS, lua_event, lm);

			if (ret)
				return luaL_error(L, "trace: %s", strerror(-ret));
			lm->tracer_installed = true;
		}
		lua_pushvalue(L, 2);
		lm->trace_fns[i] = luaL_ref(L, LUA_REGISTRYINDEX);
		lua_pushinteger(L, i + 1);
		return 1;
	}
	return luaL_error(L, "trace: at most %d trace hooks", LAPI_MAX_TRACE_HOOKS);
}

static int l_untrace(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	lua_Integer id = luaL_checkinteger(L, 2);

	if (id < 1 || id > LAPI_MAX_TRACE_HOOKS || lm->trace_fns[id - 1] == LUA_NOREF)
		return luaL_error(L, "untrace: %I is not a trace hook", id);
	luaL_unref(L, LUA_REGISTRYINDEX, lm->trace_fns[id - 1]);
	lm->trace_fns[id - 1] = LUA_NOREF;
	return 0;
}

static int l_trace_instant(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);

	memhp_trace_instant(lm->m, luaL_checkstring(L, 2), (unsigned long)luaL_optinteger(L, 3, 0),
			    (long)luaL_optinteger(L, 4, 0));
	return 0;
}

/* ---- Workloads ------------------------------------------------------------------------------- */

static struct lwork *new_work(lua_State *L, struct lmachine *lm, enum lwork_kind kind,
			      const char *mt)
{
	struct lwork *w, **box;

	if (lm->nr_work == LAPI_MAX_WORKLOADS)
		luaL_error(L, "at most %d workloads per machine (destroyed ones count too)",
			   LAPI_MAX_WORKLOADS);
	w = calloc(1, sizeof(*w));
	if (!w)
		luaL_error(L, "out of memory");
	w->kind = kind;
	w->lm = lm;
	lm->work[lm->nr_work++] = w;
	/* The workload belongs to the machine, not to the garbage collector:
	 * freeing pages whenever Lua collects would make runs irreproducible. */
	box = lua_newuserdatauv(L, sizeof(*box), 0);
	*box = w;
	luaL_setmetatable(L, mt);
	return w;
}

/* A number counts pages; a string is a size. */
static unsigned long check_count(lua_State *L, int idx, const char *what)
{
	if (lua_type(L, idx) == LUA_TSTRING)
		return (unsigned long)(check_size(L, idx, what) / MEMHP_PAGE_SIZE);
	return check_ulong(L, idx, what);
}

static int l_data(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	struct lwork *w = new_work(L, lm, LW_DATA, DATA_MT);
	int ret = memhp_data_create(lm->m, &w->data);

	if (ret) {
		w->dead = true;
		return luaL_error(L, "data: %s", strerror(-ret));
	}
	return 1;
}

static int d_alloc(lua_State *L)
{
	struct lwork *w = check_work(L, 1, DATA_MT);
	unsigned long nr = check_count(L, 2, "data:alloc");
	memhp_gfp_t gfp = check_gfp(L, 3, MEMHP_GFP_HIGHUSER_MOVABLE, "data:alloc");
	unsigned long got;

	call_begin(L, w->lm, "data:alloc(%lu pages)", nr);
	got = memhp_data_alloc(w->data, nr, gfp);
	call_end_str(L, w->lm, "%lu pages", got);
	lua_pushinteger(L, (lua_Integer)got);
	return 1;
}

static int d_free(lua_State *L)
{
	struct lwork *w = check_work(L, 1, DATA_MT);
	unsigned long nr = check_count(L, 2, "data:free"), freed;

	call_begin(L, w->lm, "data:free(%lu pages)", nr);
	freed = memhp_data_free(w->data, nr);
	call_end_str(L, w->lm, "%lu pages", freed);
	lua_pushinteger(L, (lua_Integer)freed);
	return 1;
}

static int d_nr_pages(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)memhp_data_nr_pages(check_work(L, 1, DATA_MT)->data));
	return 1;
}

static int d_nr_migrated(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)memhp_data_nr_migrated(check_work(L, 1, DATA_MT)->data));
	return 1;
}

static int d_nr_slots(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)memhp_data_nr_slots(check_work(L, 1, DATA_MT)->data));
	return 1;
}

static int d_pfn(lua_State *L)
{
	struct lwork *w = check_work(L, 1, DATA_MT);
	unsigned long pfn = memhp_data_pfn(w->data, check_ulong(L, 2, "data:pfn: slot"));

	if (pfn == MEMHP_NO_PFN)
		lua_pushnil(L);
	else
		lua_pushinteger(L, (lua_Integer)pfn);
	return 1;
}

static int d_refuse_migration(lua_State *L)
{
	struct lwork *w = check_work(L, 1, DATA_MT);

	memhp_data_refuse_migration(w->data, lua_isnone(L, 2) || lua_toboolean(L, 2));
	return 0;
}

static int d_verify(lua_State *L)
{
	struct lwork *w = check_work(L, 1, DATA_MT);
	struct memhp_data_report r;
	unsigned long lost = memhp_data_verify_report(w->data, &r);

	lua_pushinteger(L, (lua_Integer)lost);
	lua_pushinteger(L, (lua_Integer)r.verified);
	lua_pushinteger(L, (lua_Integer)r.hwpoisoned);
	return 3;
}

static void work_destroy(struct lwork *w, struct memhp_walker_stats *stats)
{
	if (w->dead)
		return;
	w->dead = true;
	switch (w->kind) {
	case LW_DATA:
		memhp_data_destroy(w->data);
		break;
	case LW_KALLOC:
		memhp_kalloc_destroy(w->kalloc);
		break;
	case LW_WALKERS:
		memhp_walkers_stop(w->walkers, stats);
		w->lm->run->walker_threads -= w->threads;
		break;
	}
}

static int w_destroy(lua_State *L)
{
	struct lwork **p = lua_touserdata(L, 1);

	if (!p)
		return luaL_argerror(L, 1, "a workload");
	work_destroy(*p, NULL);
	return 0;
}

static int l_kalloc(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	struct lwork *w = new_work(L, lm, LW_KALLOC, KALLOC_MT);
	int ret = memhp_kalloc_create(lm->m, &w->kalloc);

	if (ret) {
		w->dead = true;
		return luaL_error(L, "kalloc: %s", strerror(-ret));
	}
	return 1;
}

static int k_alloc(lua_State *L)
{
	struct lwork *w = check_work(L, 1, KALLOC_MT);
	unsigned long nr = check_count(L, 2, "kalloc:alloc");
	memhp_gfp_t gfp = check_gfp(L, 3, MEMHP_GFP_KERNEL, "kalloc:alloc");
	unsigned long got;

	call_begin(L, w->lm, "kalloc:alloc(%lu pages)", nr);
	got = memhp_kalloc_alloc(w->kalloc, nr, gfp);
	call_end_str(L, w->lm, "%lu pages", got);
	lua_pushinteger(L, (lua_Integer)got);
	return 1;
}

static int k_free(lua_State *L)
{
	struct lwork *w = check_work(L, 1, KALLOC_MT);
	unsigned long nr = check_count(L, 2, "kalloc:free"), freed;

	call_begin(L, w->lm, "kalloc:free(%lu pages)", nr);
	freed = memhp_kalloc_free(w->kalloc, nr);
	call_end_str(L, w->lm, "%lu pages", freed);
	lua_pushinteger(L, (lua_Integer)freed);
	return 1;
}

static int k_nr_pages(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)memhp_kalloc_nr_pages(check_work(L, 1, KALLOC_MT)->kalloc));
	return 1;
}

/* Walker threads that may run at once in a whole run (they spin, never
 * sleep: many more starve the scenario's own thread until nothing ends),
 * and the spins a walker holds a reference by default. */
#define LAPI_MAX_WALKER_THREADS 8
#define LAPI_DEFAULT_HOLD_SPINS 1000

static int l_walkers(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	lua_Integer threads = 1, spins = LAPI_DEFAULT_HOLD_SPINS;
	struct lwork *w;
	int ret;

	if (lua_istable(L, 2)) {
		if (lua_getfield(L, 2, "threads") != LUA_TNIL)
			threads = luaL_checkinteger(L, -1);
		if (lua_getfield(L, 2, "hold_spins") != LUA_TNIL)
			spins = luaL_checkinteger(L, -1);
		lua_pop(L, 2);
	}
	if (threads < 1 || threads > LAPI_MAX_WALKER_THREADS)
		return luaL_error(L, "walkers: threads must be 1 to %d", LAPI_MAX_WALKER_THREADS);
	if (spins < 0)
		return luaL_error(L, "walkers: hold_spins cannot be negative");
	if (lm->run->walker_threads + threads > LAPI_MAX_WALKER_THREADS)
		return luaL_error(L,
				  "walkers: %d walker threads run already: at most %d at once; "
				  "stop some with w:stop() first",
				  lm->run->walker_threads, LAPI_MAX_WALKER_THREADS);
	w = new_work(L, lm, LW_WALKERS, WALKERS_MT);
	call_begin(L, lm, "walkers(%d threads, hold %d spins)", (int)threads, (int)spins);
	ret = memhp_walkers_start(lm->m, (unsigned int)threads, (unsigned int)spins, &w->walkers);
	call_end_ret(L, lm, ret);
	if (ret) {
		w->dead = true;
		return luaL_error(L, "walkers: %s", strerror(-ret));
	}
	w->threads = (int)threads;
	lm->run->walker_threads += w->threads;
	return 1;
}

static int wk_stop(lua_State *L)
{
	struct lwork *w = check_work(L, 1, WALKERS_MT);
	struct memhp_walker_stats st = { 0 };

	call_begin(L, w->lm, "walkers:stop()");
	work_destroy(w, &st);
	call_end_str(L, w->lm, "%lu visits, %lu references, %lu on PageOffline pages", st.visits,
		     st.refs, st.offline_refs);
	lua_createtable(L, 0, 3);
	set_int(L, "visits", (lua_Integer)st.visits);
	set_int(L, "refs", (lua_Integer)st.refs);
	set_int(L, "offline_refs", (lua_Integer)st.offline_refs);
	return 1;
}

/* ---- Faults ---------------------------------------------------------------------------------- */

/*
 * Fault kinds: the core's two, and those that device models register with
 * lapi_register_fault() (a virtio-mem device's replies, say), so that a
 * scenario injects every fault through the one m:fault() call.
 */
static void core_fault_set(struct memhp_machine *m, const void *cookie, long times)
{
	memhp_fault_set(m, (enum memhp_fault)(uintptr_t)cookie, times);
}

static unsigned long core_fault_hits(struct memhp_machine *m, const void *cookie)
{
	return memhp_fault_hits(m, (enum memhp_fault)(uintptr_t)cookie);
}

static struct lapi_fault faults[LAPI_MAX_FAULTS];
static int nr_faults;

/* The core's numbered points (memhp/alloc.h) come first, by their names. */
static void core_faults_init(void)
{
	if (nr_faults)
		return;
	for (int i = 0; i < MEMHP_NR_FAULTS; i++)
		faults[nr_faults++] =
			(struct lapi_fault){ memhp_fault_name((enum memhp_fault)i),
					     memhp_fault_what((enum memhp_fault)i), core_fault_set,
					     core_fault_hits, (const void *)(uintptr_t)i };
}

int lapi_register_fault(const struct lapi_fault *f)
{
	core_faults_init();
	for (int i = 0; i < nr_faults; i++)
		if (!strcmp(faults[i].name, f->name))
			return -EEXIST;
	if (nr_faults == LAPI_MAX_FAULTS)
		return -ENOSPC;
	faults[nr_faults++] = *f;
	return 0;
}

static const struct lapi_fault *check_fault(lua_State *L, int idx)
{
	const char *s = luaL_checkstring(L, idx);
	const char *names[LAPI_MAX_FAULTS + 1], *hint;
	/* Every name, comma-separated: room for all LAPI_MAX_FAULTS of them. */
	char list[LAPI_MAX_FAULTS * LAPI_FAULT_NAME_MAX] = "";

	core_faults_init();
	for (int i = 0; i < nr_faults; i++) {
		if (!strcmp(s, faults[i].name))
			return &faults[i];
		names[i] = faults[i].name;
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 faults[i].name);
	}
	names[nr_faults] = NULL;
	hint = run_suggest(s, names);
	luaL_error(L, "fault: unknown fault '%s'" RUN_HINT_FMT " (%s)", s, RUN_HINT_ARGS(hint),
		   list);
	return NULL;
}

static int l_fault(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	const struct lapi_fault *f = check_fault(L, 2);
	lua_Integer times = luaL_optinteger(L, 3, -1);

	call_begin(L, lm, "fault(%s, %s)", f->name,
		   times < 0	? "forever"
		   : times == 0 ? "stop"
				: lua_tostring(L, 3));
	f->set(lm->m, f->cookie, (long)times);
	call_end_str(L, lm, "%s", times ? "armed" : "disarmed");
	return 0;
}

static int l_fault_hits(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	const struct lapi_fault *f = check_fault(L, 2);

	lua_pushinteger(L, (lua_Integer)f->hits(lm->m, f->cookie));
	return 1;
}

/* notifier-error-inject's memory module: make every call of @event answer
 * with the errno, until set to 0 or nil. */
static int l_inject_notifier_error(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	const char *event = luaL_checkstring(L, 2);
	unsigned long action = 0;
	int e = 0;

	no_callback(L, "inject_notifier_error()");
	for (unsigned long a = MEMHP_MEM_ONLINE; a <= MEMHP_MEM_CANCEL_OFFLINE; a <<= 1)
		if (!strcmp(event, memhp_memory_event_name(a)))
			action = a;
	if (action != MEMHP_MEM_GOING_ONLINE && action != MEMHP_MEM_GOING_OFFLINE)
		return luaL_error(L,
				  "inject_notifier_error: '%s': only MEM_GOING_ONLINE and "
				  "MEM_GOING_OFFLINE can fail",
				  event);
	if (lua_isinteger(L, 3))
		e = (int)-lua_tointeger(L, 3);
	else if (!lua_isnoneornil(L, 3) && (e = run_errno_from_name(luaL_checkstring(L, 3))) < 0)
		return luaL_error(L, "inject_notifier_error: '%s' is not an errno name",
				  lua_tostring(L, 3));
	if (e < 0)
		e = -e;
	if (!lm->inject_registered) {
		lm->inject_nb.notifier_call = inject_call;
		lm->inject_nb.priv = lm;
		if (memhp_register_memory_notifier(lm->m, &lm->inject_nb))
			return luaL_error(L, "inject_notifier_error: cannot register");
		lm->inject_registered = true;
	}
	lm->inject_errno[action] = e;
	{
		char res[RUN_SIZE_STR];

		call_begin(L, lm, "inject_notifier_error(%s, %s)", event,
			   e ? run_errno_str(-e, res) : "0");
		call_end_str(L, lm, "%s", e ? "armed" : "disarmed");
	}
	return 0;
}

/* ---- Checks ---------------------------------------------------------------------------------- */

/* A report counts every finding (nr) but fills only the first few of each
 * rule (shown): the entries past those hold nothing. */
static void push_violations(lua_State *L, const struct memhp_check_report *rep, const char *rule)
{
	lua_Integer n = 0;

	lua_newtable(L);
	for (size_t i = 0; i < rep->shown; i++) {
		const struct memhp_violation *v = &rep->v[i];

		if (rule && strcmp(rule, v->rule))
			continue;
		lua_createtable(L, 0, 3);
		set_str(L, "rule", v->rule);
		set_str(L, "detail", v->detail);
		if (v->pfn != MEMHP_NO_PFN)
			set_int(L, "pfn", (lua_Integer)v->pfn);
		lua_rawseti(L, -2, ++n);
	}
}

static int l_check(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	struct memhp_check_report *rep = malloc(sizeof(*rep));
	size_t n;

	no_callback(L, "check()");
	if (!rep)
		return luaL_error(L, "out of memory");
	n = memhp_check(lm->m, rep);
	lua_pushinteger(L, (lua_Integer)n);
	push_violations(L, rep, NULL);
	free(rep);
	return 2;
}

static int l_violations(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	const char *rule = luaL_optstring(L, 2, NULL);
	struct memhp_check_report *rep = malloc(sizeof(*rep));

	if (!rep)
		return luaL_error(L, "out of memory");
	memhp_violations(lm->m, rep);
	push_violations(L, rep, rule);
	free(rep);
	return 1;
}

static int l_violations_clear(lua_State *L)
{
	memhp_violations_clear(check_machine(L, 1)->m);
	return 0;
}

static int l_allow(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);

	for (int i = 2; i <= lua_gettop(L); i++) {
		const char *rule = luaL_checkstring(L, i);

		if (lm->nr_allowed == LAPI_MAX_ALLOWED)
			return luaL_error(L, "allow: at most %d rules", LAPI_MAX_ALLOWED);
		/* Interned by Lua for as long as the registry holds it. */
		lua_pushvalue(L, i);
		luaL_ref(L, LUA_REGISTRYINDEX);
		lm->allowed[lm->nr_allowed++] = rule;
	}
	return 0;
}

/* A finding of a watched rule, on any thread: raise the scenario's
 * signal, as the ^C of a user who saw it would. */
static void interrupt_event(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct lmachine *lm = priv;
	int n;

	(void)m;
	n = atomic_load_explicit(&lm->nr_interrupt_rules, memory_order_acquire);
	for (int i = 0; i < n; i++)
		if (!strcmp(ev->finding.rule, lm->interrupt_rules[i])) {
			memhp_task_signal(lm->run->task);
			return;
		}
}

static int l_interrupt_on(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);

	for (int i = 2; i <= lua_gettop(L); i++) {
		const char *rule = luaL_checkstring(L, i);
		int n = atomic_load(&lm->nr_interrupt_rules);

		if (n == LAPI_MAX_INTERRUPT_RULES || strlen(rule) >= LAPI_RULE_MAX)
			return luaL_error(L,
					  "interrupt_on: at most %d rules of fewer than %d "
					  "characters",
					  LAPI_MAX_INTERRUPT_RULES, LAPI_RULE_MAX);
		snprintf(lm->interrupt_rules[n], LAPI_RULE_MAX, "%s", rule);
		atomic_store_explicit(&lm->nr_interrupt_rules, n + 1, memory_order_release);
	}
	if (!lm->interrupt_installed) {
		int ret = memhp_event_subscribe(lm->m, MEMHP_EVENT_BIT(MEMHP_EV_FINDING),
						interrupt_event, lm);

		if (ret)
			return luaL_error(L, "interrupt_on: %s", strerror(-ret));
	}
	lm->interrupt_installed = true;
	return 0;
}

static int l_report(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	lua_Integer pfn = lua_isnil(L, 2) ? -1 : luaL_checkinteger(L, 2);
	const char *rule = luaL_checkstring(L, 3);
	const char *msg = luaL_optstring(L, 4, rule);

	/* The log keeps the rule pointer: keep the string alive. */
	lua_pushvalue(L, 3);
	luaL_ref(L, LUA_REGISTRYINDEX);
	memhp_report(lm->m, pfn < 0 ? MEMHP_NO_PFN : (unsigned long)pfn, rule, "%s", msg);
	return 0;
}

static int l_svg(lua_State *L)
{
	struct lmachine *lm = check_machine(L, 1);
	const char *path = luaL_checkstring(L, 2);
	char title[LAPI_DESC], w[LAPI_WHERE];
	int ret;

	if (lm->run->sandbox)
		return luaL_error(L, "m:svg() is not available under --sandbox: it writes a file "
				     "of the host (--svg draws every machine at the end)");
	where(L, w, sizeof(w));
	snprintf(title, sizeof(title), "machine %d at %s", lm->index, w);
	ret = svg_write(lm->m, path, title);
	lua_pushinteger(L, ret);
	return 1;
}

/*
 * A random integer in [0, n], unbiased: Lua 5.4's project(). The mask is
 * the smallest 2^b - 1 >= n; draws above n are drawn again (less than
 * half of them). n = 2^64 - 1 (the whole integer range) needs no retry.
 */
static uint64_t random_upto(struct memhp_machine *m, uint64_t x, uint64_t n)
{
	uint64_t lim = n;

	if (!(n & (n + 1)))
		return x & n;
	for (unsigned int shift = 1; shift < 64; shift <<= 1)
		lim |= lim >> shift;
	while ((x &= lim) > n)
		x = memhp_random(m);
	return x;
}

/* m:random() and math.random: the machine's generator, so that --seed
 * reproduces the script's choices along with the library's. The arguments
 * are Lua's: none, (0) for a whole random integer, (m) or (lo, hi). */
static int push_random(lua_State *L, struct memhp_machine *m, int first)
{
	uint64_t x = memhp_random(m);
	lua_Integer lo, hi;

	switch (lua_gettop(L) - first + 1) {
	case 0:
		lua_pushnumber(L, (lua_Number)(x >> 11) * (1.0 / 9007199254740992.0));
		return 1;
	case 1:
		lo = 1;
		hi = luaL_checkinteger(L, first);
		if (hi == 0) {
			lua_pushinteger(L, (lua_Integer)x);
			return 1;
		}
		break;
	case 2:
		lo = luaL_checkinteger(L, first);
		hi = luaL_checkinteger(L, first + 1);
		break;
	default:
		return luaL_error(L, "wrong number of arguments");
	}
	luaL_argcheck(L, lo <= hi, first, "interval is empty");
	/* In unsigned arithmetic hi - lo cannot overflow, and lo + r wraps
	 * back into [lo, hi]. */
	lua_pushinteger(
		L, (lua_Integer)((uint64_t)lo + random_upto(m, x, (uint64_t)hi - (uint64_t)lo)));
	return 1;
}

static int l_random(lua_State *L)
{
	return push_random(L, check_machine(L, 1)->m, 2);
}

static int l_math_random(lua_State *L)
{
	struct run *r = run_of(L);

	if (!r->nr_machines)
		return luaL_error(L, "math.random: create a machine first: every random choice "
				     "comes from its generator, seeded by --seed");
	return push_random(L, r->machines[0]->m, 1);
}

static int l_math_randomseed(lua_State *L)
{
	return luaL_error(L, "math.randomseed: memhp run seeds every machine from --seed; "
			     "pass --seed N (or seed = N in memhp.machine{})");
}

/* ---- Signals --------------------------------------------------------------------------------- */

static int l_signal(lua_State *L)
{
	struct run *r = run_of(L);

	memhp_task_signal(r->task);
	tl_note(r->tl, 1, "signal", "signal raised on the scenario thread");
	return 0;
}

static int l_clear_signal(lua_State *L)
{
	memhp_task_clear_signal(run_of(L)->task);
	return 0;
}

static int l_signal_pending(lua_State *L)
{
	lua_pushboolean(L, memhp_signal_pending());
	return 1;
}

/* ---- Expectations ---------------------------------------------------------------------------- */

static void expect_result(lua_State *L, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void expect_result(lua_State *L, bool ok, const char *fmt, ...)
{
	struct run *r = run_of(L);
	char w[LAPI_WHERE], text[RUN_ERR_MAX * 2];
	va_list ap;

	r->expectations++;
	lua_pushboolean(L, ok);
	if (ok)
		return;
	r->failures++;
	where(L, w, sizeof(w));
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* file:line first, as compilers print it: editors jump there. */
	fprintf(stderr, "%s: FAIL: %s\n", w, text);
	tl_fail(r->tl, 1, w, text);
}

static const char *msg_arg(lua_State *L, int idx, const char *def)
{
	return lua_isnoneornil(L, idx) ? def : luaL_tolstring(L, idx, NULL);
}

static int l_expect(lua_State *L)
{
	luaL_checkany(L, 1);
	expect_result(L, lua_toboolean(L, 1), "%s", msg_arg(L, 2, "expectation failed"));
	return 1;
}

static int l_expect_eq(lua_State *L)
{
	const char *msg;

	luaL_checkany(L, 2);
	msg = msg_arg(L, 3, "values differ");
	if (lua_rawequal(L, 1, 2)) {
		expect_result(L, true, "%s", msg);
		return 1;
	}
	{
		const char *a = luaL_tolstring(L, 1, NULL);
		const char *b = luaL_tolstring(L, 2, NULL);

		expect_result(L, false, "%s: expected %s, got %s", msg, b, a);
	}
	return 1;
}

/* The value an errno-returning call gave: a number, or a function to call. */
static lua_Integer errno_value(lua_State *L, int idx, const char *fn)
{
	if (lua_isfunction(L, idx)) {
		lua_pushvalue(L, idx);
		lua_call(L, 0, 1);
		lua_replace(L, idx);
	}
	if (!lua_isinteger(L, idx))
		luaL_error(L, "%s: expected the -errno a call returned, got %s", fn,
			   luaL_typename(L, idx));
	return lua_tointeger(L, idx);
}

static int expect_errno_common(lua_State *L, int want, int msg_idx)
{
	lua_Integer got = errno_value(L, 1, "expect_errno");
	char g[RUN_SIZE_STR], w[RUN_SIZE_STR];
	const char *msg = msg_arg(L, msg_idx, "unexpected result");

	expect_result(L, got == -want, "%s: expected %s, got %s", msg, run_errno_str(-want, w),
		      run_errno_str((long)got, g));
	return 1;
}

static int l_expect_errno(lua_State *L)
{
	int want;

	luaL_checkany(L, 1);
	if (lua_isinteger(L, 2)) {
		want = (int)lua_tointeger(L, 2);
		if (want < 0)
			want = -want;
	} else {
		const char *name = luaL_checkstring(L, 2);

		want = run_errno_from_name(name);
		if (want < 0)
			return luaL_error(L,
					  "expect_errno: '%s' is not an errno name (EBUSY, "
					  "EINVAL, EINTR, ...)",
					  name);
	}
	return expect_errno_common(L, want, 3);
}

static int l_expect_ok(lua_State *L)
{
	luaL_checkany(L, 1);
	return expect_errno_common(L, 0, 2);
}

static int l_print(lua_State *L)
{
	struct run *r = run_of(L);
	luaL_Buffer b;
	int n = lua_gettop(L);

	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		luaL_tolstring(L, i, NULL);
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	/* The script's own output is shown even with --quiet. */
	if (r->quiet)
		printf("%s\n", lua_tostring(L, -1));
	tl_note(r->tl, 1, "print", lua_tostring(L, -1));
	return 0;
}

/* ---- Helpers of the memhp table -------------------------------------------------------------- */

static int l_size(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)check_size(L, 1, "memhp.size"));
	return 1;
}

static int l_fmt_size(lua_State *L)
{
	char buf[RUN_SIZE_STR];

	lua_pushstring(L, run_fmt_size(check_size(L, 1, "memhp.fmt_size"), buf));
	return 1;
}

static int l_errno(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	int e = run_errno_from_name(name);

	if (e < 0)
		return luaL_error(L, "memhp.errno: '%s' is not an errno name", name);
	lua_pushinteger(L, e);
	return 1;
}

static int l_strerror(lua_State *L)
{
	char buf[RUN_SIZE_STR];

	lua_pushstring(L, run_errno_str((long)luaL_checkinteger(L, 1), buf));
	return 1;
}

/* ---- Registration ---------------------------------------------------------------------------- */

static const luaL_Reg machine_methods[] = {
	{ "add_memory", l_add_memory },
	{ "add_memory_driver_managed", l_add_memory_driver_managed },
	{ "remove_memory", l_remove_memory },
	{ "offline_and_remove_memory", l_offline_and_remove_memory },
	{ "online", l_online },
	{ "offline", l_offline },
	{ "block", l_block },
	{ "blocks", l_blocks },
	{ "state", l_state },
	{ "valid_zones", l_valid_zones },
	{ "block_id", l_block_id },
	{ "block_pfn", l_block_pfn },
	{ "config", l_config },
	{ "protocol", l_protocol },
	{ "zone", l_zone },
	{ "zones", l_zones },
	{ "meminfo", l_meminfo },
	{ "read", lfs_read },
	{ "write", lfs_write },
	{ "pfn_to_page", l_pfn_to_page },
	{ "pfn_to_online_page", l_pfn_to_online_page },
	{ "pfn_valid", l_pfn_valid },
	{ "migratetype", l_migratetype },
	{ "soft_offline_page", l_soft_offline_page },
	{ "memory_failure", l_memory_failure },
	{ "page_offline_begin", l_page_offline_begin },
	{ "page_offline_end", l_page_offline_end },
	{ "alloc_pages", l_alloc_pages },
	{ "register_memory_notifier", l_register_memory_notifier },
	{ "unregister_memory_notifier", l_unregister_memory_notifier },
	{ "set_online_page_callback", l_set_online_page_callback },
	{ "restore_online_page_callback", l_restore_online_page_callback },
	{ "trace", l_trace },
	{ "untrace", l_untrace },
	{ "trace_instant", l_trace_instant },
	{ "data", l_data },
	{ "kalloc", l_kalloc },
	{ "walkers", l_walkers },
	{ "fault", l_fault },
	{ "fault_hits", l_fault_hits },
	{ "inject_notifier_error", l_inject_notifier_error },
	{ "check", l_check },
	{ "violations", l_violations },
	{ "violations_clear", l_violations_clear },
	{ "allow", l_allow },
	{ "interrupt_on", l_interrupt_on },
	{ "report", l_report },
	{ "svg", l_svg },
	{ "random", l_random },
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

static const luaL_Reg data_methods[] = {
	{ "alloc", d_alloc },
	{ "free", d_free },
	{ "nr_pages", d_nr_pages },
	{ "nr_migrated", d_nr_migrated },
	{ "nr_slots", d_nr_slots },
	{ "pfn", d_pfn },
	{ "refuse_migration", d_refuse_migration },
	{ "verify", d_verify },
	{ "destroy", w_destroy },
	{ NULL, NULL },
};

static const luaL_Reg kalloc_methods[] = {
	{ "alloc", k_alloc },	  { "free", k_free }, { "nr_pages", k_nr_pages },
	{ "destroy", w_destroy }, { NULL, NULL },
};

static const luaL_Reg walkers_methods[] = {
	{ "stop", wk_stop },
	{ NULL, NULL },
};

static const luaL_Reg memhp_functions[] = {
	{ "machine", l_machine },
	{ "generic_online_page", l_generic_online_page },
	{ "adjust_managed_page_count", l_adjust_managed_page_count },
	{ "free_pages", l_free_pages },
	{ "signal", l_signal },
	{ "clear_signal", l_clear_signal },
	{ "signal_pending", l_signal_pending },
	{ "size", l_size },
	{ "fmt_size", l_fmt_size },
	{ "errno", l_errno },
	{ "strerror", l_strerror },
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

static void new_type(lua_State *L, const char *mt, const luaL_Reg *methods)
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

void lapi_new_type(lua_State *L, const char *mt, const luaL_Reg *methods)
{
	new_type(L, mt, methods);
}

void lapi_open(struct run *r)
{
	lua_State *L = r->L;

	lua_pushlightuserdata(L, r);
	lua_setfield(L, LUA_REGISTRYINDEX, "memhp.run");

	new_type(L, MACHINE_MT, machine_methods);
	lua_pop(L, 1);
	new_type(L, PAGE_MT, page_methods);
	lua_pushcfunction(L, p_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pushcfunction(L, p_eq);
	lua_setfield(L, -2, "__eq");
	lua_pop(L, 1);
	new_type(L, DATA_MT, data_methods);
	lua_pop(L, 1);
	new_type(L, KALLOC_MT, kalloc_methods);
	lua_pop(L, 1);
	new_type(L, WALKERS_MT, walkers_methods);
	lua_pop(L, 1);
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
				  : protocol_name((enum memhp_protocol)r->protocol));
	lua_setfield(L, -2, "protocol");
	lua_pushinteger(L, (lua_Integer)MEMHP_PAGE_SIZE);
	lua_setfield(L, -2, "PAGE_SIZE");
	lua_setglobal(L, "memhp");

	lua_register(L, "expect", l_expect);
	lua_register(L, "expect_eq", l_expect_eq);
	lua_register(L, "expect_errno", l_expect_errno);
	lua_register(L, "expect_ok", l_expect_ok);
	lua_register(L, "print", l_print);

	lua_getglobal(L, "math");
	lua_pushcfunction(L, l_math_random);
	lua_setfield(L, -2, "random");
	lua_pushcfunction(L, l_math_randomseed);
	lua_setfield(L, -2, "randomseed");
	lua_pop(L, 1);
}

/* ---- The end of a run ------------------------------------------------------------------------ */

struct memhp_machine *lapi_machine(struct run *r, int i)
{
	return r->machines[i]->m;
}

void lapi_stop_workers(struct run *r)
{
	/* Before anything waits for a driver that may want the lock. */
	for (int i = 0; i < r->nr_machines; i++) {
		struct lmachine *lm = r->machines[i];

		if (!lm->page_offline_held)
			continue;
		fprintf(stderr,
			"memhp run: error: %s: m:page_offline_begin() here was never ended "
			"(machine %d): the run ends it\n",
			lm->page_offline_where, lm->index);
		r->script_errors++;
		lm->page_offline_held = false;
		memhp_page_offline_end(lm->m);
	}
	for (int i = 0; i < r->nr_machines; i++) {
		for (int j = 0; j < r->machines[i]->nr_work; j++)
			if (r->machines[i]->work[j]->kind == LW_WALKERS)
				work_destroy(r->machines[i]->work[j], NULL);
		lvmem_quiesce(r->machines[i]->m);
	}
}

static bool allowed(const struct lmachine *lm, const char *rule)
{
	for (int i = 0; i < lm->nr_allowed; i++)
		if (!strcmp(lm->allowed[i], rule))
			return true;
	return false;
}

static unsigned long report_failures(const struct lmachine *lm,
				     const struct memhp_check_report *rep, const char *what,
				     unsigned long *nr_allowed)
{
	size_t shown = rep->shown;
	unsigned long failed = 0;

	for (size_t i = 0; i < shown; i++) {
		const struct memhp_violation *v = &rep->v[i];

		if (allowed(lm, v->rule)) {
			(*nr_allowed)++;
			continue;
		}
		failed++;
		if (v->pfn == MEMHP_NO_PFN)
			fprintf(stderr, "%s: machine %d: %s: %s: %s\n", run_prog, lm->index, what,
				v->rule, v->detail);
		else
			fprintf(stderr, "%s: machine %d: %s: %s at pfn %#lx: %s\n", run_prog,
				lm->index, what, v->rule, v->pfn, v->detail);
	}
	if (rep->nr > shown) {
		/* A report that is not full dropped only findings of rules it
		 * shows: if each of those is allowed, so are the rest. Past a
		 * full report nothing can be told: count them. */
		if (!failed && shown < MEMHP_CHECK_MAX_REPORTED) {
			*nr_allowed += rep->nr - shown;
			return 0;
		}
		failed += rep->nr - shown;
		fprintf(stderr, "%s: machine %d: ... and %zu more %s\n", run_prog, lm->index,
			rep->nr - shown, what);
	}
	return failed;
}

bool lapi_allowed(struct run *r, int i, const char *rule)
{
	return allowed(r->machines[i], rule);
}

unsigned long lapi_data_lost(struct run *r, int i, unsigned long *verified)
{
	struct lmachine *lm = r->machines[i];
	unsigned long lost = 0;

	for (int j = 0; j < lm->nr_work; j++) {
		struct memhp_data_report rep;

		if (lm->work[j]->dead || lm->work[j]->kind != LW_DATA)
			continue;
		memhp_data_verify_report(lm->work[j]->data, &rep);
		lost += rep.corrupted;
		*verified += rep.verified;
	}
	return lost;
}

unsigned long lapi_final_check(struct run *r, int i, unsigned long *nr_allowed)
{
	struct lmachine *lm = r->machines[i];
	struct memhp_check_report *rep = malloc(sizeof(*rep));
	unsigned long failed;

	if (!rep) {
		fprintf(stderr, "%s: out of memory for the final check\n", run_prog);
		return 1;
	}
	memhp_violations(lm->m, rep);
	failed = report_failures(lm, rep, "finding during the run", nr_allowed);
	memhp_check(lm->m, rep);
	failed += report_failures(lm, rep, "invariant violated at the end", nr_allowed);
	free(rep);
	return failed;
}

void lapi_end(struct run *r)
{
	for (int i = 0; i < r->nr_machines; i++) {
		struct lmachine *lm = r->machines[i];

		if (lm->online_page_fn != LUA_NOREF)
			memhp_restore_online_page_callback(lm->m, lua_online_page);
		lm->online_page_fn = LUA_NOREF;
		for (int j = 0; j < lm->nr_notifiers; j++) {
			if (lm->notifiers[j]->registered)
				memhp_unregister_memory_notifier(lm->m, &lm->notifiers[j]->nb);
			lm->notifiers[j]->registered = false;
		}
		if (lm->tracer_installed)
			memhp_event_unsubscribe(lm->m, lua_event, lm);
		lm->tracer_installed = false;
		if (lm->interrupt_installed)
			memhp_event_unsubscribe(lm->m, interrupt_event, lm);
		lm->interrupt_installed = false;
	}
	r->ended = true;
}

void lapi_teardown(struct run *r)
{
	for (int i = r->nr_machines; i-- > 0;) {
		struct lmachine *lm = r->machines[i];

		for (int j = 0; j < lm->nr_notifiers; j++)
			free(lm->notifiers[j]);
		if (lm->inject_registered)
			memhp_unregister_memory_notifier(lm->m, &lm->inject_nb);
		for (int j = lm->nr_work; j-- > 0;) {
			work_destroy(lm->work[j], NULL);
			free(lm->work[j]);
		}
		tl_detach(r->tl, lm->m);
		/* Unseen: what a driver says as it goes is not the scenario's. */
		lballoon_teardown(lm->m);
		lvmem_teardown(lm->m);
		memhp_machine_destroy(lm->m);
		lm->m = NULL;
		free(lm);
		r->machines[i] = NULL;
	}
	r->nr_machines = 0;
}
