// SPDX-License-Identifier: MIT
/*
 * lua_fault.c - fault injection through one call, m:fault(name, times):
 * the core's numbered points and those device models register
 * (lapi_register_fault()); and notifier-error-inject's memory module,
 * m:inject_notifier_error(event, errno).
 */
#include "lua_core.h"
#include "run_util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int inject_call(struct memhp_notifier_block *nb, unsigned long action, void *data)
{
	struct lmachine *lm = nb->priv;

	(void)data;
	if (action <= MEMHP_MEM_CANCEL_OFFLINE && lm->inject_errno[action])
		return memhp_notifier_from_errno(-lm->inject_errno[action]);
	return MEMHP_NOTIFY_OK;
}

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

int lfault_fault(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	const struct lapi_fault *f = check_fault(L, 2);
	lua_Integer times = luaL_optinteger(L, 3, -1);

	lapi_call_beginf(L, lm, "fault(%s, %s)", f->name,
			 times < 0    ? "forever"
			 : times == 0 ? "stop"
				      : lua_tostring(L, 3));
	f->set(lm->m, f->cookie, (long)times);
	lapi_call_endf(L, lm, "%s", times ? "armed" : "disarmed");
	return 0;
}

int lfault_fault_hits(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	const struct lapi_fault *f = check_fault(L, 2);

	lua_pushinteger(L, (lua_Integer)f->hits(lm->m, f->cookie));
	return 1;
}

/* notifier-error-inject's memory module: make every call of @event answer
 * with the errno, until set to 0 or nil. */
int lfault_inject_notifier_error(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	const char *event = luaL_checkstring(L, 2);
	unsigned long action = 0;
	int e = 0;

	lapi_no_callback(L, "inject_notifier_error()");
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

		lapi_call_beginf(L, lm, "inject_notifier_error(%s, %s)", event,
				 e ? run_errno_str(-e, res) : "0");
		lapi_call_endf(L, lm, "%s", e ? "armed" : "disarmed");
	}
	return 0;
}

void lfault_teardown(struct lmachine *lm)
{
	if (lm->inject_registered)
		memhp_unregister_memory_notifier(lm->m, &lm->inject_nb);
}
