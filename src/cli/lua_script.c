// SPDX-License-Identifier: MIT
/*
 * lua_script.c - what a scenario's script uses for itself, beside its
 * machines: expectations (expect, expect_eq, expect_errno, expect_ok),
 * print into the timeline, the scenario thread's signal, and sizes and
 * errnos by name (memhp.size, memhp.fmt_size, memhp.errno, memhp.strerror).
 */
#include "lua_core.h"
#include "run.h"
#include "run_util.h"

#include <stdarg.h>
#include <stdio.h>

/* ---- Signals --------------------------------------------------------------------------------- */

int lscript_signal(lua_State *L)
{
	struct run *r = lapi_run(L);

	memhp_task_signal(r->task);
	tl_note(r->tl, 1, "signal", "signal raised on the scenario thread");
	return 0;
}

int lscript_clear_signal(lua_State *L)
{
	memhp_task_clear_signal(lapi_run(L)->task);
	return 0;
}

int lscript_signal_pending(lua_State *L)
{
	lua_pushboolean(L, memhp_signal_pending());
	return 1;
}

/* ---- Expectations ---------------------------------------------------------------------------- */

static void expect_result(lua_State *L, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void expect_result(lua_State *L, bool ok, const char *fmt, ...)
{
	struct run *r = lapi_run(L);
	char w[LAPI_WHERE], text[RUN_ERR_MAX * 2];
	va_list ap;

	r->expectations++;
	lua_pushboolean(L, ok);
	if (ok)
		return;
	r->failures++;
	lapi_where(L, w, sizeof(w));
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

int lscript_expect(lua_State *L)
{
	luaL_checkany(L, 1);
	expect_result(L, lua_toboolean(L, 1), "%s", msg_arg(L, 2, "expectation failed"));
	return 1;
}

int lscript_expect_eq(lua_State *L)
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

int lscript_expect_errno(lua_State *L)
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

int lscript_expect_ok(lua_State *L)
{
	luaL_checkany(L, 1);
	return expect_errno_common(L, 0, 2);
}

int lscript_print(lua_State *L)
{
	struct run *r = lapi_run(L);
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

int lscript_size(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)lapi_check_size(L, 1, "memhp.size"));
	return 1;
}

int lscript_fmt_size(lua_State *L)
{
	char buf[RUN_SIZE_STR];

	lua_pushstring(L, run_fmt_size(lapi_check_size(L, 1, "memhp.fmt_size"), buf));
	return 1;
}

int lscript_errno(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	int e = run_errno_from_name(name);

	if (e < 0)
		return luaL_error(L, "memhp.errno: '%s' is not an errno name", name);
	lua_pushinteger(L, e);
	return 1;
}

int lscript_strerror(lua_State *L)
{
	char buf[RUN_SIZE_STR];

	lua_pushstring(L, run_errno_str((long)luaL_checkinteger(L, 1), buf));
	return 1;
}
