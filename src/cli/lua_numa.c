// SPDX-License-Identifier: MIT
/*
 * lua_numa.c - memhp.machine{numa = {...}}: the nodes of a scenario's
 * machine, as QEMU's -numa node and -numa dist give them and the C config
 * (cfg->nodes[], cfg->nr_nodes) holds them:
 *
 *   numa = {
 *     {mem = "1G", cpus = {0}},                  -- node 0
 *     {mem = "1G", cpus = "1-3", distance = {20, 10}},  -- node 1
 *   }
 *
 * Node N is the table's entry N + 1; mem is its share of the boot RAM (0
 * or absent: a memoryless node); cpus a list of CPUs or a range "A-B";
 * distance the SLIT row, one entry per node (absent: 10 and 20). The core
 * checks what only it can (the sum is the RAM, blocks belong to one node,
 * CPUs exist and are named once) and memhp.machine says why it refused.
 */
#include "lua_api.h"

#include <memhp/machine.h>

#include <stdlib.h>
#include <string.h>

#define FN "memhp.machine: numa"

static const char *const node_options[] = { "mem", "cpus", "distance", NULL };

static void set_cpu(lua_State *L, struct memhp_node_config *nc, int nid, lua_Integer cpu)
{
	if (cpu < 0 || cpu >= MEMHP_MAX_CPUS)
		luaL_error(L, FN "[%d]: CPU %I: CPUs are 0 to %d", nid + 1, cpu,
			   MEMHP_MAX_CPUS - 1);
	nc->cpus[cpu / 64] |= 1ULL << (cpu % 64);
}

/* cpus = {0, 1} or "0-3" or 2. */
static void node_cpus(lua_State *L, int idx, struct memhp_node_config *nc, int nid)
{
	if (lua_isinteger(L, idx)) {
		set_cpu(L, nc, nid, lua_tointeger(L, idx));
	} else if (lua_type(L, idx) == LUA_TSTRING) {
		const char *s = lua_tostring(L, idx);
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (end != s && *end == '-') {
			const char *p = end + 1;

			b = strtol(p, &end, 10);
			if (end == p)
				end = (char *)s; /* no number after the dash */
		}
		if (end == s || *end || b < a)
			luaL_error(L, FN "[%d]: cpus \"%s\": a list {0, 1} or a range \"A-B\"",
				   nid + 1, s);
		for (long c = a; c <= b; c++)
			set_cpu(L, nc, nid, c);
	} else if (lua_istable(L, idx)) {
		for (lua_Integer i = 1; lua_rawgeti(L, idx, i) != LUA_TNIL; i++) {
			if (!lua_isinteger(L, -1))
				luaL_error(L, FN "[%d]: cpus[%I] must be a CPU number, not %s",
					   nid + 1, i, luaL_typename(L, -1));
			set_cpu(L, nc, nid, lua_tointeger(L, -1));
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	} else {
		luaL_error(L, FN "[%d]: cpus must be a list or a range, not %s", nid + 1,
			   luaL_typename(L, idx));
	}
}

/* distance = {10, 20, ...}: one per node, each what a SLIT entry holds. */
static void node_distance(lua_State *L, int idx, struct memhp_node_config *nc, int nid,
			  int nr_nodes)
{
	lua_Integer n = 0;

	luaL_checktype(L, idx, LUA_TTABLE);
	for (lua_Integer i = 1; lua_rawgeti(L, idx, i) != LUA_TNIL; i++, n++) {
		lua_Integer d = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : -1;

		if (i > nr_nodes || d < 1 || d > UINT8_MAX)
			luaL_error(L, FN "[%d]: distance[%I]: %s", nid + 1, i,
				   i > nr_nodes ? "more entries than nodes"
						: "a SLIT entry is 1 to 255");
		nc->distance[i - 1] = (uint8_t)d;
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	if (n != nr_nodes)
		luaL_error(L, FN "[%d]: distance has %I entries, one per node (%d) is needed",
			   nid + 1, n, nr_nodes);
}

void lnuma_machine_option(lua_State *L, int t, struct memhp_config *cfg)
{
	int nr;

	if (lua_getfield(L, t, "numa") == LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	if (!lua_istable(L, -1))
		luaL_error(L, FN " must be a list of nodes, not %s", luaL_typename(L, -1));
	nr = (int)luaL_len(L, -1);
	if (nr < 1 || nr > MEMHP_MAX_NUMNODES)
		luaL_error(L, FN ": %d nodes: 1 to %d", nr, MEMHP_MAX_NUMNODES);
	memset(cfg->nodes, 0, sizeof(cfg->nodes));
	for (int nid = 0; nid < nr; nid++) {
		struct memhp_node_config *nc = &cfg->nodes[nid];
		char what[64];

		if (lua_rawgeti(L, -1, nid + 1) != LUA_TTABLE)
			luaL_error(L, FN "[%d] must be a table {mem = ..., cpus = ...}", nid + 1);
		snprintf(what, sizeof(what), FN "[%d]", nid + 1);
		lapi_check_options(L, lua_gettop(L), what, node_options);
		if (lua_getfield(L, -1, "mem") != LUA_TNIL) {
			snprintf(what, sizeof(what), FN "[%d]: mem", nid + 1);
			nc->mem_size = lapi_check_size(L, -1, what);
		}
		lua_pop(L, 1);
		if (lua_getfield(L, -1, "cpus") != LUA_TNIL)
			node_cpus(L, lua_gettop(L), nc, nid);
		lua_pop(L, 1);
		if (lua_getfield(L, -1, "distance") != LUA_TNIL)
			node_distance(L, lua_gettop(L), nc, nid, nr);
		lua_pop(L, 2); /* the distance, the node */
	}
	lua_pop(L, 1);
	cfg->nr_nodes = (unsigned int)nr;
}
