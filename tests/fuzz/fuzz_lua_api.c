// SPDX-License-Identifier: MIT
/*
 * fuzz_lua_api.c - fuzz_lua.c with the input as a tape of API calls that
 * tests/fuzz/lua_api_driver.lua makes (see there).
 *
 *	clang -fsanitize=fuzzer,address,undefined ... (tests/fuzz_cli.sh builds it)
 */
#define FUZZ_LUA_API 1
#include "fuzz_lua.c"
