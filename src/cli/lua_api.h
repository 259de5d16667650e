/* SPDX-License-Identifier: MIT */
/*
 * src/cli/lua_api.h - what the core of memhp's Lua API (lua_core.h: the
 * machine, its pages, hooks, workloads, faults and checks) shares with the
 * bindings of a device or subsystem that live in files of their own
 * (lua_vmem.c: the virtio-mem device and driver; lua_balloon.c: the
 * balloons ...), so that every binding checks its arguments, draws its
 * timeline spans and refuses to deadlock the same way. A machine is
 * opaque here.
 */
#ifndef MEMHP_CLI_LUA_API_H
#define MEMHP_CLI_LUA_API_H

#include "run.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>

struct lmachine;

/* The machine at @idx (an error if it is not one, or destroyed). */
struct lmachine *lapi_check_machine(lua_State *L, int idx);
struct memhp_machine *lapi_lm_machine(const struct lmachine *lm);
/* A size or address: an integer, or a string such as "4G". */
uint64_t lapi_check_size(lua_State *L, int idx, const char *what);
/* An error if called from a callback the core makes with its locks held. */
void lapi_no_callback(lua_State *L, const char *fn);
/* An error once the scenario has ended (a finalizer as Lua closes): every
 * object's check calls it before it touches the object's machine. */
void lapi_check_live(lua_State *L);
/* An error if @lm's machine was destroyed (m:destroy()): every object of a
 * machine calls it before it touches anything the machine owned. */
void lapi_check_lm(lua_State *L, const struct lmachine *lm);
/*
 * An object of a machine that the machine owns (a device, a balloon, a
 * hugetlbfs file): Lua's userdata holds the machine's record beside it.
 * m:destroy() frees the object; the record stays until Lua is closed, so
 * the check reads it, never the object. lapi_check_object() returns the
 * object at @idx of type @mt after lapi_check_live() and lapi_check_lm().
 */
void lapi_push_object(lua_State *L, struct lmachine *lm, void *obj, const char *mt);
void *lapi_check_object(lua_State *L, int idx, const char *mt);
/* A span of the timeline around a call of the script, and its result. */
void lapi_call_begin(lua_State *L, struct lmachine *lm, const char *what);
void lapi_call_end(lua_State *L, struct lmachine *lm, const char *result);
void lapi_call_end_ret(lua_State *L, struct lmachine *lm, long ret);
/* A type whose methods suggest the closest name on a typo; its metatable
 * is left on the stack. */
void lapi_new_type(lua_State *L, const char *mt, const luaL_Reg *methods);
/* t[k] = v for the table on top of the stack. */
void lapi_set_int(lua_State *L, const char *k, lua_Integer v);
void lapi_set_str(lua_State *L, const char *k, const char *v);
void lapi_set_bool(lua_State *L, const char *k, bool v);
/* An error naming the unknown keys of the options table at @idx, with a
 * suggestion, so a typo never silently becomes a default. */
void lapi_check_options(lua_State *L, int idx, const char *fn, const char *const *known);

/* lua_vmem.c */
int lvmem_create(lua_State *L); /* m:virtio_mem{...} */
void lvmem_open(lua_State *L);
/* At the end of a run: disarm the devices' faults, let stalled requests
 * go, wait for drivers' work, and check each driver against its device. */
void lvmem_quiesce(struct memhp_machine *m);
/* Remove the drivers and destroy the devices, before the machine goes. */
void lvmem_teardown(struct memhp_machine *m);

/* lua_fs.c: m:read(path), m:write(path, value) */
int lfs_read(lua_State *L);
int lfs_write(lua_State *L);

/* lua_guest.c */
int lguest_create(lua_State *L); /* m:guest{...} */
void lguest_open(lua_State *L);

/* lua_alloc.c: CPUs, per-cpu lists, LRU add caches, contiguous ranges */
int lalloc_set_cpu(lua_State *L);
int lalloc_pcp(lua_State *L);
int lalloc_drain_all_pages(lua_State *L);
int lalloc_lru_add_drain_all(lua_State *L);
int lalloc_lru_add_pending(lua_State *L);
int lalloc_free_prepare(lua_State *L);
int lalloc_alloc_contig_range(lua_State *L);
int lalloc_free_contig_range(lua_State *L);
int lalloc_nr_hugepages(lua_State *L);
int lalloc_hugepages(lua_State *L);
int lalloc_hugetlbfs(lua_State *L);
int lalloc_thp(lua_State *L);
int lalloc_cma(lua_State *L);
int lalloc_cma_alloc(lua_State *L);
int lalloc_cma_release(lua_State *L);
void lalloc_open(lua_State *L);

/* lua_numa.c: memhp.machine{numa = {...}} into cfg->nodes[] */
void lnuma_machine_option(lua_State *L, int t, struct memhp_config *cfg);

/* lua_balloon.c */
int lballoon_create(lua_State *L); /* m:balloon(kind) */
void lballoon_open(lua_State *L);
/* Destroy the machine's balloons (everything goes back to the guest). */
void lballoon_teardown(struct memhp_machine *m);

#endif
