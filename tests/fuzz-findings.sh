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
is "$(head -1 "$TEST_TMP/err")" "memhp serve: -m: invalid RAM size '1 '" "... naming the size"
# fuzz_lua, regress_fuzz_lua/wait-stalled-without-a-request.lua: a stall
# armed for a request that never comes; dev:wait_stalled() waited for ever,
# and --timeout could only end memhp 5 s later ("did not stop when told
# to"). The wait now ends on the ^C that --timeout sends, at its line.
cp "$(dirname "$0")/fuzz/regress_fuzz_lua/wait-stalled-without-a-request.lua" "$TEST_TMP/s.lua"
"$MEMHP" run --sandbox --timeout 1s "$TEST_TMP/s.lua" > /dev/null 2> "$TEST_TMP/err"
is "$?" 124 "wait_stalled_for_a_request_that_never_comes_ends_at_the_timeout: status 124"
is "$(grep -c "s.lua:10: timed out (--timeout 1s)" "$TEST_TMP/err")" 1 "... at the line that waited"
is "$(grep -c "did not stop when told to" "$TEST_TMP/err")" 0 "... when told to, not after the grace"
finish
