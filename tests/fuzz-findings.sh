#!/bin/bash
# SPDX-License-Identifier: MIT
# What the fuzzers found (tests/fuzz_cli.sh, tests/fuzz/regress_*), replayed
# through the memhp program as a user would meet it: each must be an error
# that names the problem, never a crash, a hang or a value made up. The
# inputs themselves are replayed under the sanitizers by tests/fuzz_cli.sh
# when clang is installed; this runs everywhere.

. "$(dirname "$0")/lib.bash"

tap_init "$0" "$@"

# fuzz_opts, regress_fuzz_opts/size-with-blank-suffix: "-m '0000 '" shifted
# 1 left by 70 (undefined; x86 took 64 bytes of RAM, and the guest kernel
# then did not fit "in 0 MiB"): a blank folded to the NUL that ends the
# list of suffixes.
"$MEMHP" serve --mount "$TEST_TMP" -m '1 ' 2> "$TEST_TMP/err"
is "$?" 2 "size_with_a_blank_suffix_is_refused: memhp serve -m '1 ' is bad usage"
is "$(head -1 "$TEST_TMP/err")" "memhp serve: -m 1 : Parameter 'size' expects a non-negative number below 2^64" \
	"... naming the size as QEMU does"
# fuzz_lua, regress_fuzz_lua/wait-stalled-without-a-request.lua: a stall
# armed for a request that never comes; dev:wait_stalled() waited for ever,
# and --timeout could only end memhp 5 s later ("did not stop when told
# to"). The wait now ends on the ^C that --timeout sends, at its line.
cp "$(dirname "$0")/fuzz/regress_fuzz_lua/wait-stalled-without-a-request.lua" "$TEST_TMP/s.lua"
"$MEMHP" run --sandbox --timeout 1s "$TEST_TMP/s.lua" > /dev/null 2> "$TEST_TMP/err"
is "$?" 124 "wait_stalled_for_a_request_that_never_comes_ends_at_the_timeout: status 124"
is "$(grep -c "s.lua:10: timed out (--timeout 1s)" "$TEST_TMP/err")" 1 "... at the line that waited"
is "$(grep -c "did not stop when told to" "$TEST_TMP/err")" 0 "... when told to, not after the grace"
# fuzz_lua_api, regress_fuzz_lua_api/page-offline-begin-twice: a script
# that called m:page_offline_begin() twice, or called m:check() (or any
# operation, whose checker takes the same lock) inside it, hung for ever.
cat > "$TEST_TMP/pob.lua" << 'EOF'
local m = memhp.machine{ram = "512M", phys_size = "4G"}
m:page_offline_begin()
local ok1, e1 = pcall(function() m:page_offline_begin() end)
local ok2, e2 = pcall(function() m:check() end)
local ok3, e3 = pcall(function() m:online(1, "online") end)
local page = m:pfn_to_page(0x1000)
expect_eq(page:count(), 0, "pages may be touched inside it")
m:page_offline_end()
local ok4, e4 = pcall(function() m:page_offline_end() end)
print(e1) print(e2) print(e3) print(e4)
expect_eq(m:check(), 0, "and everything once it ended")
m:page_offline_begin()
EOF
timeout 60 "$MEMHP" run "$TEST_TMP/pob.lua" > "$TEST_TMP/out" 2> "$TEST_TMP/err"
is "$?" 1 "page_offline_begin_twice_is_an_error_not_a_hang: the run ends, and fails"
is "$(grep -c "pob.lua:3: page_offline_begin: the script is inside it already" "$TEST_TMP/out")" 1 \
	"... a second m:page_offline_begin() is an error at its line"
is "$(grep -c "pob.lua:4: check: inside m:page_offline_begin() only pages may be touched" "$TEST_TMP/out")" 1 \
	"... so is m:check() inside it"
is "$(grep -c "pob.lua:5: online: inside m:page_offline_begin() only pages may be touched" "$TEST_TMP/out")" 1 \
	"... and an operation"
is "$(grep -c "pob.lua:9: page_offline_end: the script is not inside" "$TEST_TMP/out")" 1 \
	"... and m:page_offline_end() outside it"
is "$(grep -c "error: .*pob.lua:12: m:page_offline_begin() here was never ended" "$TEST_TMP/err")" 1 \
	"... and one never ended, at the end of the scenario"
# fuzz_lua_api, regress_fuzz_lua_api/guest-advance-for-ever: g:advance()
# of math.maxinteger ms was days of ticks in a C loop that ^C and
# --timeout could not stop.
cat > "$TEST_TMP/adv.lua" << 'EOF'
local m = memhp.machine{ram = "512M", phys_size = "4G"}
local g = m:guest{quiet = true}
g:advance(math.maxinteger)
EOF
timeout 60 "$MEMHP" run --sandbox --timeout 1s "$TEST_TMP/adv.lua" > /dev/null 2> "$TEST_TMP/err"
is "$?" 124 "guest_advance_for_ever_ends_at_the_timeout: status 124"
is "$(grep -c "adv.lua:3: timed out (--timeout 1s)" "$TEST_TMP/err")" 1 "... at its line, when told to"
# fuzz_lua_api, regress_fuzz_lua_api/strerror-of-mininteger: the errno's
# name was looked up after negating it, and -math.mininteger is no long
# (UBSan; the program said "-0").
printf 'print(memhp.strerror(math.mininteger))\nprint(memhp.strerror(-2))\n' > "$TEST_TMP/se.lua"
"$MEMHP" run -q "$TEST_TMP/se.lua" > "$TEST_TMP/out" 2>&1
is "$(sed -n 2,3p "$TEST_TMP/out")" "-9223372036854775808
-ENOENT" "strerror_of_mininteger_is_the_number: no errno has that name"
# fuzz_lua_api, regress_fuzz_lua_api/guest-files-for-ever: g:files() of
# math.maxinteger files looped in C where ^C could not reach it.
cat > "$TEST_TMP/files.lua" << 'EOF'
local m = memhp.machine{ram = "512M", phys_size = "4G"}
local g = m:guest{quiet = true}
g:files(math.maxinteger)
EOF
timeout 60 "$MEMHP" run --sandbox --timeout 1s "$TEST_TMP/files.lua" > /dev/null 2> "$TEST_TMP/err"
is "$?" 124 "guest_files_for_ever_ends_at_the_timeout: status 124"
is "$(grep -c "files.lua:3: timed out (--timeout 1s)" "$TEST_TMP/err")" 1 "... at its line, when told to"
# fuzz_lua_api, regress_fuzz_lua_api/pcall-swallows-the-timeout: the
# timeout's error, raised once, was caught by the script's pcall(); the
# script then ran on (here into a long C loop) until memhp gave up on it
# after the grace ("did not stop when told to"). The interrupt now stays.
printf 'local n = 0\nwhile true do\n\tpcall(function() while true do n = n + 1 end end)\nend\n' > "$TEST_TMP/pc.lua"
timeout 60 "$MEMHP" run --sandbox --timeout 1s "$TEST_TMP/pc.lua" > /dev/null 2> "$TEST_TMP/err"
is "$?" 124 "pcall_does_not_swallow_the_timeout: status 124"
# ThreadSanitizer holds a signal back until the thread enters a function
# it intercepts, which a loop of pure Lua never does: there the SIGINT
# comes only as the grace ends, and the hook never sees it.
if ldd "$MEMHP" 2> /dev/null | grep -q libtsan; then
	ok "... at the pcall, when told to # SKIP ThreadSanitizer defers the SIGINT past a pure-Lua loop"
	ok "... not after the grace # SKIP the same"
else
	is "$(grep -c "pc.lua:3: timed out (--timeout 1s)" "$TEST_TMP/err")" 1 "... at the pcall, when told to"
	is "$(grep -c "did not stop when told to" "$TEST_TMP/err")" 0 "... not after the grace"
fi
finish
