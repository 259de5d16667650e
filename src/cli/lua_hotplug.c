// SPDX-License-Identifier: MIT
/*
 * lua_hotplug.c - memory blocks and the operations on them:
 * m:add_memory(), m:remove_memory(), m:online(id, type), m:offline(id) and
 * their kin, each a span of the timeline with its result; and what a block
 * is (m:block(), m:blocks(), m:state(), m:valid_zones()).
 */
#include "lua_core.h"
#include "run_util.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>

/* ---- Hotplug operations ------------------------------------------------------------------ */

int lhotplug_add_memory(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	uint64_t start = lapi_check_size(L, 2, "add_memory: start");
	uint64_t size = lapi_check_size(L, 3, "add_memory: size");
	unsigned int flags = MEMHP_MHP_NONE;
	char sz[RUN_SIZE_STR], node[sizeof(", node ") + 12] = "";
	lua_Integer nid = 0;
	int ret;

	lapi_no_callback(L, "add_memory()");
	if (lua_istable(L, 4)) {
		if (lua_getfield(L, 4, "memmap_on_memory") != LUA_TNIL && lua_toboolean(L, -1))
			flags |= MEMHP_MHP_MEMMAP_ON_MEMORY;
		if (lua_getfield(L, 4, "merge_resource") != LUA_TNIL && lua_toboolean(L, -1))
			flags |= MEMHP_MHP_MERGE_RESOURCE;
		/* The node, as add_memory(nid, ...) takes it (ACPI's PXM for
		 * a DIMM): a node the machine lacks is the core's -EINVAL. */
		if (lua_getfield(L, 4, "node") != LUA_TNIL) {
			if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 ||
			    lua_tointeger(L, -1) > INT_MAX)
				return luaL_error(L, "add_memory: node is a node number, not %s",
						  luaL_tolstring(L, -1, NULL));
			nid = lua_tointeger(L, -1);
		}
		lua_pop(L, 3);
	} else if (!lua_isnoneornil(L, 4)) {
		return luaL_error(L, "add_memory: the flags are a table, e.g. "
				     "{memmap_on_memory = true, node = 1}");
	}
	if (nid)
		snprintf(node, sizeof(node), ", node %d", (int)nid);
	lapi_call_beginf(L, lm, "add_memory(%#" PRIx64 ", %s%s%s)", start, run_fmt_size(size, sz),
			 flags & MEMHP_MHP_MEMMAP_ON_MEMORY ? ", MHP_MEMMAP_ON_MEMORY" : "", node);
	ret = memhp_add_memory(lm->m, (int)nid, start, size, flags);
	lapi_call_end_ret(L, lm, ret);
	lua_pushinteger(L, ret);
	return 1;
}

int lhotplug_add_memory_driver_managed(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	uint64_t start = lapi_check_size(L, 2, "add_memory_driver_managed: start");
	uint64_t size = lapi_check_size(L, 3, "add_memory_driver_managed: size");
	const char *name = luaL_optstring(L, 4, "System RAM (lua)");
	char sz[RUN_SIZE_STR];
	int ret;

	lapi_no_callback(L, "add_memory_driver_managed()");
	lapi_call_beginf(L, lm, "add_memory_driver_managed(%#" PRIx64 ", %s, \"%s\")", start,
			 run_fmt_size(size, sz), name);
	ret = memhp_add_memory_driver_managed(lm->m, 0, start, size, name, MEMHP_MHP_NONE);
	lapi_call_end_ret(L, lm, ret);
	lua_pushinteger(L, ret);
	return 1;
}

int lhotplug_remove_memory(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	uint64_t start = lapi_check_size(L, 2, "remove_memory: start");
	uint64_t size = lapi_check_size(L, 3, "remove_memory: size");
	char sz[RUN_SIZE_STR];
	int ret;

	lapi_no_callback(L, "remove_memory()");
	lapi_call_beginf(L, lm, "remove_memory(%#" PRIx64 ", %s)", start, run_fmt_size(size, sz));
	ret = memhp_remove_memory(lm->m, start, size);
	lapi_call_end_ret(L, lm, ret);
	lua_pushinteger(L, ret);
	return 1;
}

int lhotplug_offline_and_remove_memory(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	uint64_t start = lapi_check_size(L, 2, "offline_and_remove_memory: start");
	uint64_t size = lapi_check_size(L, 3, "offline_and_remove_memory: size");
	char sz[RUN_SIZE_STR];
	int ret;

	lapi_no_callback(L, "offline_and_remove_memory()");
	lapi_call_beginf(L, lm, "offline_and_remove_memory(%#" PRIx64 ", %s)", start,
			 run_fmt_size(size, sz));
	ret = memhp_offline_and_remove_memory(lm->m, start, size);
	lapi_call_end_ret(L, lm, ret);
	lua_pushinteger(L, ret);
	return 1;
}

int lhotplug_online(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	unsigned long id = lapi_check_ulong(L, 2, "online: block id");
	enum memhp_online_type type = lapi_check_online_type(L, 3, "online");
	int ret;

	lapi_no_callback(L, "online()");
	if (type == MEMHP_MMOP_OFFLINE)
		return luaL_error(L, "online: \"offline\" is not an online type; use offline(id)");
	lapi_call_beginf(L, lm, "online(memory%lu, %s)", id, memhp_online_type_to_str(type));
	ret = memhp_block_online(lm->m, id, type);
	lapi_call_end_ret(L, lm, ret);
	lua_pushinteger(L, ret);
	return 1;
}

int lhotplug_offline(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	unsigned long id = lapi_check_ulong(L, 2, "offline: block id");
	int ret;

	lapi_no_callback(L, "offline()");
	lapi_call_beginf(L, lm, "offline(memory%lu)", id);
	ret = memhp_block_offline(lm->m, id);
	lapi_call_end_ret(L, lm, ret);
	lua_pushinteger(L, ret);
	return 1;
}

/* ---- Blocks ---------------------------------------------------------------------------------- */

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

static void push_block(lua_State *L, const struct memhp_block_info *bi)
{
	lua_createtable(L, 0, 10);
	lapi_set_int(L, "id", (lua_Integer)bi->id);
	lapi_set_int(L, "start", (lua_Integer)bi->start);
	lapi_set_str(L, "state", block_state_name(bi->state));
	lapi_set_bool(L, "online", bi->online);
	lapi_set_bool(L, "boot", bi->boot);
	lapi_set_int(L, "nid", bi->nid);
	if (bi->zone >= 0)
		lapi_set_str(L, "zone", memhp_zone_name((enum memhp_zone_type)bi->zone));
	lapi_set_int(L, "nr_vmemmap_pages", (lua_Integer)bi->nr_vmemmap_pages);
	lapi_set_int(L, "group", bi->group);
}

int lhotplug_block(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	struct memhp_block_info bi;

	if (memhp_block_info(lm->m, lapi_check_ulong(L, 2, "block: id"), &bi))
		lua_pushnil(L);
	else
		push_block(L, &bi);
	return 1;
}

int lhotplug_blocks(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
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

int lhotplug_state(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	char buf[MEMHP_SYSFS_BUF];
	ssize_t n = memhp_show_state(lm->m, lapi_check_ulong(L, 2, "state: id"), buf);

	if (n < 0) {
		lua_pushnil(L);
		return 1;
	}
	lua_pushlstring(L, buf, n > 0 && buf[n - 1] == '\n' ? (size_t)n - 1 : (size_t)n);
	return 1;
}

int lhotplug_valid_zones(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	char buf[MEMHP_SYSFS_BUF];
	ssize_t n = memhp_show_valid_zones(lm->m, lapi_check_ulong(L, 2, "valid_zones: id"), buf);

	if (n < 0) {
		lua_pushnil(L);
		return 1;
	}
	lua_pushlstring(L, buf, n > 0 && buf[n - 1] == '\n' ? (size_t)n - 1 : (size_t)n);
	return 1;
}

int lhotplug_block_id(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);

	lua_pushinteger(L, (lua_Integer)memhp_phys_to_block_id(
				   lm->m, lapi_check_size(L, 2, "block_id: address")));
	return 1;
}

int lhotplug_block_pfn(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);

	lua_pushinteger(L, (lua_Integer)(lapi_check_ulong(L, 2, "block_pfn: id") *
					 memhp_pages_per_block(lm->m)));
	return 1;
}
