// SPDX-License-Identifier: MIT
/*
 * lua_fs.c - m:read(path) and m:write(path, value): the machine's sysfs,
 * procfs and debugfs files (memhp/fs.h) as a script reads and writes
 * them, with the bytes and errnos a 6.1 guest gives. The tree is made on
 * first use and lives as long as the machine.
 */
#include "lua_api.h"

#include <memhp/fs.h>

#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A read takes what one read(2) of this size would: every served file
 * fits (pagetypeinfo of a 1 TiB machine is the largest). */
#define LFS_READ_MAX (1 << 20)
/* How much of a written value the timeline shows, and its line. */
#define LFS_SHOWN_VALUE 40
#define LFS_WHAT_MAX 512

static const int lfs_key;

static struct memhp_fs *machine_fs(lua_State *L, struct memhp_machine *m)
{
	struct memhp_fs *fs = memhp_machine_attached(m, &lfs_key);
	int ret;

	if (fs)
		return fs;
	ret = memhp_fs_create(m, &fs);
	if (!ret) {
		ret = memhp_machine_attach(m, &lfs_key, fs, (void (*)(void *))memhp_fs_destroy);
		if (ret)
			memhp_fs_destroy(fs);
	}
	if (ret)
		luaL_error(L, "the machine's files: %s", strerror(-ret));
	return fs;
}

int lfs_read(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	const char *path = luaL_checkstring(L, 2);
	struct memhp_fs *fs;
	char *buf;
	ssize_t n;

	lapi_no_callback(L, "read()");
	fs = machine_fs(L, lapi_lm_machine(lm));
	buf = malloc(LFS_READ_MAX);
	if (!buf)
		return luaL_error(L, "read: out of memory");
	n = memhp_fs_read(fs, path, buf, LFS_READ_MAX);
	if (n < 0) {
		free(buf);
		lua_pushnil(L);
		lua_pushinteger(L, n);
		return 2;
	}
	lua_pushlstring(L, buf, (size_t)n);
	free(buf);
	return 1;
}

int lfs_write(lua_State *L)
{
	struct lmachine *lm = lapi_check_machine(L, 1);
	const char *path = luaL_checkstring(L, 2);
	size_t len;
	const char *value = luaL_checklstring(L, 3, &len);
	size_t shown = strcspn(value, "\n");
	char what[LFS_WHAT_MAX];
	struct memhp_fs *fs;
	ssize_t n;

	lapi_no_callback(L, "write()");
	fs = machine_fs(L, lapi_lm_machine(lm));
	snprintf(what, sizeof(what), "write(%s, \"%.*s%s\")", path,
		 (int)(shown > LFS_SHOWN_VALUE ? LFS_SHOWN_VALUE : shown), value,
		 shown > LFS_SHOWN_VALUE ? "..." : "");
	lapi_call_begin(L, lm, what);
	n = memhp_fs_write(fs, path, value, len);
	lapi_call_end_ret(L, lm, n < 0 ? (long)n : 0);
	/* 0 when the file took it all, as a shell's echo would succeed. */
	lua_pushinteger(L, n < 0 ? n : (size_t)n == len ? 0 : n);
	return 1;
}
