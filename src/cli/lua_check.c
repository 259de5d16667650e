// SPDX-License-Identifier: MIT
/*
 * lua_check.c - the invariant checker and the findings of a run, as
 * scenarios see them: m:check(), m:violations(), m:allow() of a rule the
 * scenario expects, m:interrupt_on() a rule, m:report() a finding of the
 * script's own; and the verdict at the end of a run, less what was allowed.
 */
#include "lua_core.h"
#include "run_util.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The rule the script names at @idx: a name memhp knows is its rule;
 * any other is the scenario's own, which the registry keeps alive. */
static struct lapi_rule check_rule(lua_State *L, int idx)
{
	const char *name = luaL_checkstring(L, idx);
	int rule = memhp_rule_from_name(name);

	if (rule >= 0)
		return (struct lapi_rule){ (enum memhp_rule)rule, NULL };
	lua_pushvalue(L, idx);
	luaL_ref(L, LUA_REGISTRYINDEX);
	return (struct lapi_rule){ MEMHP_RULE_SCENARIO, name };
}

/* Is a finding of @rule, named @name, one of @r? Rules memhp knows are
 * compared as values; a scenario's own have only their names. */
static bool rule_is(const struct lapi_rule *r, enum memhp_rule rule, const char *name)
{
	if (r->rule != rule)
		return false;
	return rule != MEMHP_RULE_SCENARIO || !r->name || !strcmp(r->name, name);
}

/* A report counts every finding (nr) but fills only the first few of each
 * rule (shown): the entries past those hold nothing. */
static void push_violations(lua_State *L, const struct memhp_check_report *rep,
			    const struct lapi_rule *rule)
{
	lua_Integer n = 0;

	lua_newtable(L);
	for (size_t i = 0; i < rep->shown; i++) {
		const struct memhp_violation *v = &rep->v[i];

		if (rule && !rule_is(rule, v->rule, v->name))
			continue;
		lua_createtable(L, 0, 3);
		lapi_set_str(L, "rule", v->name);
		lapi_set_str(L, "detail", v->detail);
		if (v->pfn != MEMHP_NO_PFN)
			lapi_set_int(L, "pfn", (lua_Integer)v->pfn);
		lua_rawseti(L, -2, ++n);
	}
}

int lcheck_check(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	struct memhp_check_report *rep = malloc(sizeof(*rep));
	size_t n;

	lapi_no_callback(L, "check()");
	if (!rep)
		return luaL_error(L, "out of memory");
	n = memhp_check(lm->m, rep);
	lua_pushinteger(L, (lua_Integer)n);
	push_violations(L, rep, NULL);
	free(rep);
	return 2;
}

int lcheck_violations(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	struct lapi_rule rule = { MEMHP_RULE_SCENARIO, NULL };
	bool filter = !lua_isnoneornil(L, 2);
	struct memhp_check_report *rep;

	if (filter)
		rule = check_rule(L, 2);
	rep = malloc(sizeof(*rep));
	if (!rep)
		return luaL_error(L, "out of memory");
	memhp_violations(lm->m, rep);
	push_violations(L, rep, filter ? &rule : NULL);
	free(rep);
	return 1;
}

int lcheck_violations_clear(lua_State *L)
{
	memhp_violations_clear(lapi_check_machine(L, 1)->m);
	return 0;
}

int lcheck_allow(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);

	for (int i = 2; i <= lua_gettop(L); i++) {
		struct lapi_rule rule = check_rule(L, i);

		if (lm->nr_allowed == LAPI_MAX_ALLOWED)
			return luaL_error(L, "allow: at most %d rules", LAPI_MAX_ALLOWED);
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
		if (rule_is(&lm->interrupt_rules[i], ev->finding.rule, ev->finding.name)) {
			memhp_task_signal(lm->run->task);
			return;
		}
}

int lcheck_interrupt_on(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);

	for (int i = 2; i <= lua_gettop(L); i++) {
		int n = atomic_load(&lm->nr_interrupt_rules);

		if (n == LAPI_MAX_INTERRUPT_RULES)
			return luaL_error(L, "interrupt_on: at most %d rules",
					  LAPI_MAX_INTERRUPT_RULES);
		lm->interrupt_rules[n] = check_rule(L, i);
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

int lcheck_report(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	lua_Integer pfn = lua_isnil(L, 2) ? -1 : luaL_checkinteger(L, 2);
	const char *rule = luaL_checkstring(L, 3);
	const char *msg = luaL_optstring(L, 4, rule);

	/* The log keeps a scenario's own name: keep the string alive. */
	lua_pushvalue(L, 3);
	luaL_ref(L, LUA_REGISTRYINDEX);
	memhp_report_named(lm->m, pfn < 0 ? MEMHP_NO_PFN : (unsigned long)pfn, rule, "%s", msg);
	return 0;
}

/* ---- The verdict at the end of a run --------------------------------------------------------- */

static bool allowed(const struct lmachine *lm, const struct memhp_violation *v)
{
	for (int i = 0; i < lm->nr_allowed; i++)
		if (rule_is(&lm->allowed[i], v->rule, v->name))
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

		if (allowed(lm, v)) {
			(*nr_allowed)++;
			continue;
		}
		failed++;
		if (v->pfn == MEMHP_NO_PFN)
			fprintf(stderr, "%s: machine %d: %s: %s: %s\n", run_prog, lm->index, what,
				v->name, v->detail);
		else
			fprintf(stderr, "%s: machine %d: %s: %s at pfn %#lx: %s\n", run_prog,
				lm->index, what, v->name, v->pfn, v->detail);
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

bool lapi_allowed(struct run *r, int i, const struct memhp_violation *v)
{
	return allowed(r->machines[i], v);
}

static unsigned long final_check(struct lmachine *lm, unsigned long *nr_allowed)
{
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

unsigned long lapi_final_check(struct run *r, int i, unsigned long *nr_allowed)
{
	struct lmachine *lm = r->machines[i];

	if (!lm->m) {
		*nr_allowed += lm->destroyed_allowed;
		return lm->destroyed_failed;
	}
	return final_check(lm, nr_allowed);
}

void lcheck_final_now(struct lmachine *lm)
{
	lm->destroyed_failed = final_check(lm, &lm->destroyed_allowed);
}

void lcheck_end(struct lmachine *lm)
{
	if (lm->interrupt_installed)
		memhp_event_unsubscribe(lm->m, interrupt_event, lm);
	lm->interrupt_installed = false;
}
