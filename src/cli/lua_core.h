/* SPDX-License-Identifier: MIT */
/*
 * src/cli/lua_core.h - what the files of memhp's Lua API share among
 * themselves: a machine as Lua holds it, and the helpers every binding of
 * it uses. Each file binds one concept:
 *
 *   lua_api.c       arguments, objects, the timeline of calls, registration,
 *                   the end of a run
 *   lua_machine.c   memhp.machine{...}: configuration, zones, meminfo, the
 *                   machine's random numbers and its picture
 *   lua_hotplug.c   memory blocks and the operations on them
 *   lua_page.c      pages: lookups, references, flags, allocation, memory failure
 *   lua_hooks.c     Lua the core calls: memory notifiers, the online_page
 *                   callback, trace hooks
 *   lua_workload.c  checksummed data, kernel allocations, PFN walkers
 *   lua_fault.c     fault injection, notifier-error-inject
 *   lua_check.c     the checker, findings, and the verdict at the end of a run
 *   lua_script.c    what a script uses for itself: expectations, print,
 *                   signals, sizes and errnos
 *
 * Files binding a device or a subsystem of their own (lua_vmem.c,
 * lua_balloon.c ...) see only lua_api.h: a machine is opaque to them.
 */
#ifndef MEMHP_CLI_LUA_CORE_H
#define MEMHP_CLI_LUA_CORE_H

#include "lua_api.h"

#include <memhp/memhp.h>
#include <stdatomic.h>

/* Notifiers, trace hooks and allowed rules one machine may have. */
#define LAPI_MAX_NOTIFIERS 32
#define LAPI_MAX_TRACE_HOOKS 8
#define LAPI_MAX_ALLOWED 16
/* Rules m:interrupt_on() watches. */
#define LAPI_MAX_INTERRUPT_RULES 8
#define LAPI_MAX_WORKLOADS 64
/* One description of a call in the timeline. */
#define LAPI_DESC 160
#define LAPI_WHERE 96

#define MACHINE_MT "memhp.machine"

struct lnotifier;
struct lwork;

/* A rule as a script names it: one memhp knows, or a scenario's own
 * (MEMHP_RULE_SCENARIO), told apart from others by its name. */
struct lapi_rule {
	enum memhp_rule rule;
	const char *name; /* MEMHP_RULE_SCENARIO's; the registry keeps it */
};

/*
 * A machine as Lua holds it. The record outlives its machine: m:destroy()
 * frees the machine and sets @m to NULL, and the record stays until the
 * run's teardown, so that the machine's objects, which point at it, find
 * out (lapi_check_lm()) without touching freed memory.
 */
struct lmachine {
	struct run *run;
	struct memhp_machine *m; /* NULL once destroyed */
	int index;		 /* 1-based: the trace's pid */
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
	struct lapi_rule allowed[LAPI_MAX_ALLOWED];
	int nr_allowed;
	/* m:interrupt_on(): read by whatever thread logs a finding, so the
	 * rules are written before the count that publishes them. */
	struct lapi_rule interrupt_rules[LAPI_MAX_INTERRUPT_RULES];
	_Atomic int nr_interrupt_rules;
	bool interrupt_installed;
	/* The script is between m:page_offline_begin() and _end(): it holds
	 * the machine's page_offline_rwsem for writing. */
	bool page_offline_held;
	char page_offline_where[LAPI_WHERE]; /* where the script began it */
	/* m:destroy(): where the script called it, and the machine's final
	 * check then, which the end of the run counts. */
	char destroyed_where[LAPI_WHERE];
	unsigned long destroyed_failed, destroyed_allowed;
};

/* lua_api.c */
struct run *lapi_run(lua_State *L);
/* "scenarios/x.lua:12", where the script called us. */
void lapi_where(lua_State *L, char *buf, size_t len);
unsigned long lapi_check_ulong(lua_State *L, int idx, const char *what);
enum memhp_online_type lapi_check_online_type(lua_State *L, int idx, const char *what);
memhp_gfp_t lapi_check_gfp(lua_State *L, int idx, memhp_gfp_t def, const char *what);
/* lapi_call_begin() and lapi_call_end() with printf's formats. */
void lapi_call_beginf(lua_State *L, struct lmachine *lm, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void lapi_call_endf(lua_State *L, struct lmachine *lm, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The machine's end, before its time (m:destroy()) or at the run's end
 * (lapi_teardown()): its hooks, workloads, devices and the machine go; the
 * record stays. */
void lapi_release_machine(struct lmachine *lm);
/* m:destroy() of @lm: the end of the run for this machine (its final
 * check, run_hooks' machine_destroyed), then lapi_release_machine(). */
void lapi_destroy_machine(lua_State *L, struct lmachine *lm);

/* lua_machine.c */
int lmachine_new(lua_State *L); /* memhp.machine{...} */
int lmachine_destroy(lua_State *L);
const char *lmachine_protocol_name(enum memhp_protocol p);
int lmachine_config(lua_State *L);
int lmachine_protocol(lua_State *L);
int lmachine_zone(lua_State *L);
int lmachine_zones(lua_State *L);
int lmachine_meminfo(lua_State *L);
int lmachine_host_resident(lua_State *L);
int lmachine_boot_ranges(lua_State *L); /* memhp.boot_ranges(ram) */
int lmachine_svg(lua_State *L);
int lmachine_random(lua_State *L);
int lmachine_math_random(lua_State *L);
int lmachine_math_randomseed(lua_State *L);

/* lua_hotplug.c */
int lhotplug_add_memory(lua_State *L);
int lhotplug_add_memory_driver_managed(lua_State *L);
int lhotplug_remove_memory(lua_State *L);
int lhotplug_offline_and_remove_memory(lua_State *L);
int lhotplug_online(lua_State *L);
int lhotplug_offline(lua_State *L);
int lhotplug_block(lua_State *L);
int lhotplug_blocks(lua_State *L);
int lhotplug_state(lua_State *L);
int lhotplug_valid_zones(lua_State *L);
int lhotplug_block_id(lua_State *L);
int lhotplug_block_pfn(lua_State *L);

/* lua_page.c */
/* A page object for @pfn of @lm: it holds the pfn, not the descriptor. */
void lpage_push(lua_State *L, struct lmachine *lm, unsigned long pfn);
int lpage_pfn_to_page(lua_State *L);
int lpage_pfn_to_online_page(lua_State *L);
int lpage_pfn_valid(lua_State *L);
int lpage_migratetype(lua_State *L);
int lpage_soft_offline_page(lua_State *L);
int lpage_memory_failure(lua_State *L);
int lpage_offline_begin(lua_State *L);
int lpage_offline_end(lua_State *L);
int lpage_alloc_pages(lua_State *L);
int lpage_free_pages(lua_State *L);
int lpage_generic_online_page(lua_State *L);
int lpage_adjust_managed_page_count(lua_State *L);
void lpage_open(lua_State *L);

/* lua_hooks.c */
int lhooks_register_memory_notifier(lua_State *L);
int lhooks_unregister_memory_notifier(lua_State *L);
int lhooks_set_online_page_callback(lua_State *L);
int lhooks_restore_online_page_callback(lua_State *L);
int lhooks_trace(lua_State *L);
int lhooks_untrace(lua_State *L);
int lhooks_trace_instant(lua_State *L);
/* The scenario is over: the core must never call its Lua again. */
void lhooks_end(struct lmachine *lm);
void lhooks_free(struct lmachine *lm);

/* lua_workload.c */
int lwork_data(lua_State *L);
int lwork_kalloc(lua_State *L);
int lwork_walkers(lua_State *L);
void lwork_open(lua_State *L);
void lwork_stop_walkers(struct lmachine *lm);
/* Destroy the machine's workloads; their records stay (Lua's objects point
 * at them) until lwork_free(). */
void lwork_teardown(struct lmachine *lm);
void lwork_free(struct lmachine *lm);

/* lua_fault.c */
int lfault_fault(lua_State *L);
int lfault_fault_hits(lua_State *L);
int lfault_inject_notifier_error(lua_State *L);
void lfault_teardown(struct lmachine *lm);

/* lua_check.c */
int lcheck_check(lua_State *L);
int lcheck_violations(lua_State *L);
int lcheck_violations_clear(lua_State *L);
int lcheck_allow(lua_State *L);
int lcheck_interrupt_on(lua_State *L);
int lcheck_report(lua_State *L);
void lcheck_end(struct lmachine *lm);
/* m:destroy(): the machine's final check now, as the run's end would make
 * it (printed now, counted at the end). */
void lcheck_final_now(struct lmachine *lm);

/* lua_script.c */
int lscript_signal(lua_State *L);
int lscript_clear_signal(lua_State *L);
int lscript_signal_pending(lua_State *L);
int lscript_expect(lua_State *L);
int lscript_expect_eq(lua_State *L);
int lscript_expect_errno(lua_State *L);
int lscript_expect_ok(lua_State *L);
int lscript_print(lua_State *L);
int lscript_size(lua_State *L);
int lscript_fmt_size(lua_State *L);
int lscript_errno(lua_State *L);
int lscript_strerror(lua_State *L);

#endif
