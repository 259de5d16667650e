// SPDX-License-Identifier: MIT
/*
 * lua_hooks.c - Lua that the core calls: memory notifiers
 * (m:register_memory_notifier), the online_page callback
 * (m:set_online_page_callback) and trace hooks (m:trace).
 *
 * The core calls them mid-operation, with its locks held: each runs under a
 * protected call, an error in it is kept and raised once the operation has
 * returned (never unwound through the core), and a call from any thread
 * but the scenario's is reported instead of run.
 */
#include "lua_core.h"
#include "run_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct lnotifier {
	struct memhp_notifier_block nb;
	struct lmachine *lm;
	int fn; /* registry reference */
	int id;
	char where[LAPI_WHERE];
	bool registered;
};

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
	memhp_report(lm->m, MEMHP_NO_PFN, MEMHP_RULE_LUA_THREAD,
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
	lpage_push(L, lm, memhp_page_to_pfn(page));
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

/* ---- Registering them ------------------------------------------------------------------------ */

int lhooks_register_memory_notifier(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	lua_Integer prio = luaL_optinteger(L, 3, 0);
	struct lnotifier *ln;
	int ret;

	luaL_checktype(L, 2, LUA_TFUNCTION);
	lapi_no_callback(L, "register_memory_notifier()");
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
	lapi_where(L, ln->where, sizeof(ln->where));
	lua_pushvalue(L, 2);
	ln->fn = luaL_ref(L, LUA_REGISTRYINDEX);
	ret = memhp_register_memory_notifier(lm->m, &ln->nb);
	ln->registered = !ret;
	lm->notifiers[lm->nr_notifiers++] = ln;
	lua_pushinteger(L, ret ? ret : ln->id);
	return 1;
}

int lhooks_unregister_memory_notifier(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	lua_Integer id = luaL_checkinteger(L, 2);

	lapi_no_callback(L, "unregister_memory_notifier()");
	if (id < 1 || id > lm->nr_notifiers || !lm->notifiers[id - 1]->registered)
		return luaL_error(L, "unregister_memory_notifier: %I is not a registered notifier",
				  id);
	memhp_unregister_memory_notifier(lm->m, &lm->notifiers[id - 1]->nb);
	lm->notifiers[id - 1]->registered = false;
	return 0;
}

int lhooks_set_online_page_callback(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	int ret;

	luaL_checktype(L, 2, LUA_TFUNCTION);
	lapi_no_callback(L, "set_online_page_callback()");
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

int lhooks_restore_online_page_callback(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	int ret;

	lapi_no_callback(L, "restore_online_page_callback()");
	ret = memhp_restore_online_page_callback(lm->m, lua_online_page);
	if (!ret) {
		luaL_unref(L, LUA_REGISTRYINDEX, lm->online_page_fn);
		lm->online_page_fn = LUA_NOREF;
	}
	lua_pushinteger(L, ret);
	return 1;
}

int lhooks_trace(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);

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

int lhooks_untrace(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	lua_Integer id = luaL_checkinteger(L, 2);

	if (id < 1 || id > LAPI_MAX_TRACE_HOOKS || lm->trace_fns[id - 1] == LUA_NOREF)
		return luaL_error(L, "untrace: %I is not a trace hook", id);
	luaL_unref(L, LUA_REGISTRYINDEX, lm->trace_fns[id - 1]);
	lm->trace_fns[id - 1] = LUA_NOREF;
	return 0;
}

int lhooks_trace_instant(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);

	memhp_trace_instant(lm->m, luaL_checkstring(L, 2), (unsigned long)luaL_optinteger(L, 3, 0),
			    (long)luaL_optinteger(L, 4, 0));
	return 0;
}

void lhooks_end(struct lmachine *lm)
{
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
}

void lhooks_free(struct lmachine *lm)
{
	for (int j = 0; j < lm->nr_notifiers; j++)
		free(lm->notifiers[j]);
}
