#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/cli-errors.sh - every command says what is wrong the same way: one
# line starting "memhp COMMAND:", "unknown option 'X' (did you mean 'Y'?)"
# or "(memhp COMMAND --help lists them)", "--OPT needs a value"; and what
# can be checked before a machine exists is checked then (serve's --mount
# and --uevent-helper). TAP output; $MEMHP is the program.
set -u
. "$(dirname "$0")/expect_run.bash"

# exactly STATUS TEXT NAME -- ARGS: memhp ARGS exits STATUS and prints
# exactly TEXT (stdout and stderr). Every case is refused at once: one
# that is not would serve until stopped, so a timeout ends it.
EXACTLY_TIMEOUT=60
exactly() {
	local status=$1 text=$2 name=$3 rc
	shift 4
	rm -f "$tmp/out"
	timeout "$EXACTLY_TIMEOUT" "$MEMHP" "$@" >"$tmp/out" 2>&1
	rc=$?
	if [ "$rc" -eq "$status" ] && [ "$(cat "$tmp/out")" = "$text" ]; then
		ok "$name"
	else
		echo "# exit $rc, expected $status; expected output:"
		printf '%s\n' "$text" | sed 's/^/#   /'
		not_ok "$name"
	fi
}

# ---- commands -----------------------------------------------------------------------
exactly 2 "memhp: unknown command 'frobnicate' (memhp help lists them)" \
	"an unknown command" -- frobnicate
exactly 2 "memhp: unknown command 'demi' (did you mean 'demo'?)" \
	"a misspelt command gets a suggestion" -- demi
exactly 2 "memhp help: unknown command 'rnu' (did you mean 'run'?)" \
	"memhp help answers an unknown command in the same words" -- help rnu

# ---- options, the same words in every command ---------------------------------------------
exactly 2 "memhp run: unknown option '--sed' (did you mean '--seed'?)" \
	"run: a misspelt option gets a suggestion" -- run --sed 3 x.lua
exactly 2 "memhp demo: unknown option '--quik' (did you mean '--quick'?)" \
	"demo: a misspelt option gets a suggestion" -- demo --quik
exactly 2 "memhp serve: unknown option '--mout' (did you mean '--mount'?)" \
	"serve: a misspelt option gets a suggestion" -- serve --mout /tmp
exactly 125 "memhp shell: unknown option '--devce' (did you mean '--device'?)" \
	"shell: a misspelt option gets a suggestion" -- shell --devce pc-dimm
exactly 2 "memhp run: unknown option '--frobnicate' (memhp run --help lists them)" \
	"run: an unknown option points to --help" -- run --frobnicate x.lua
exactly 2 "memhp serve: unknown option '--frobnicate' (memhp serve --help lists them)" \
	"serve: an unknown option points to --help" -- serve --frobnicate
exactly 2 "memhp run: --seed needs a value" "run: an option without its value" -- run x.lua --seed
exactly 2 "memhp demo: --svg needs a value" "demo: an option without its value" -- demo --svg
exactly 2 "memhp serve: --mount needs a value" \
	"serve: --mount without its value is not an unknown option" -- serve --mount
exactly 2 "memhp serve: --qmp needs a value" "serve: a serve option without its value" \
	-- serve --mount /tmp --qmp
exactly 2 "memhp serve: -m needs a value" "serve: a machine option without its value" \
	-- serve --mount /tmp -m
exactly 125 "memhp shell: --uevent-helper needs a value" "shell: an option without its value" \
	-- shell --uevent-helper

# ---- what serve and shell check before they start -------------------------------------------
: >"$tmp/file"
exactly 2 "memhp serve: --mount $tmp/file: Not a directory" \
	"serve --mount on a regular file is refused" -- serve --mount "$tmp/file"
exactly 2 "memhp serve: --mount $tmp/nothere: No such file or directory" \
	"serve --mount on a missing directory is refused" -- serve --mount "$tmp/nothere"
exactly 2 "memhp serve: --uevent-helper $tmp/nothere: No such file or directory" \
	"serve: a missing --uevent-helper is refused at start" \
	-- serve --mount "$tmp" --uevent-helper "$tmp/nothere"
exactly 2 "memhp serve: --uevent-helper $tmp/file: not an executable file" \
	"serve: a --uevent-helper that cannot run is refused at start" \
	-- serve --mount "$tmp" --uevent-helper "$tmp/file"
exactly 125 "memhp shell: --uevent-helper $tmp/nothere: No such file or directory" \
	"shell: a missing --uevent-helper is refused at start" \
	-- shell --uevent-helper "$tmp/nothere" -- true

# ---- messages from deep inside carry the command's name -----------------------------------
printf 'memhp.machine{ram = "256M", phys_size = "8G"}\n' >"$tmp/s.lua"
if [ -w /dev/full ]; then
	expect_run 3 "^memhp run: writing the trace to /dev/full failed: No space left on device$" \
		"run: a trace that fails to write says so as memhp run" \
		-- run -q --seed 1 "$tmp/s.lua" --trace /dev/full
	expect_run 3 "^memhp run: writing the memory map to /dev/full failed: No space left on device$" \
		"run: a map that fails to write says so as memhp run" \
		-- run -q --seed 1 "$tmp/s.lua" --svg /dev/full
fi

expect_run 1 "^memhp run: machine 1: invariant violated at the end: page-class at pfn 0x100400" \
	"run: the final check's findings say memhp run too" -- run -q --seed 1 tests/lua/broken.lua

# ---- the benchmark ---------------------------------------------------------------------------
BENCH=$(dirname "$MEMHP")/bench/bench_hotplug
if [ -x "$BENCH" ]; then
	out=$("$BENCH" --help 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -q '^usage: bench_hotplug' &&
		printf '%s\n' "$out" | grep -q -- '--checker on|off'; then
		ok "bench_hotplug --help prints its usage and exits 0"
	else
		not_ok "bench_hotplug --help prints its usage and exits 0"
	fi
	out=$("$BENCH" frob 2>&1)
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$out" = "bench_hotplug: unknown benchmark 'frob' (bench_hotplug --help lists them)" ]; then
		ok "bench_hotplug refuses an unknown benchmark instead of running nothing"
	else
		not_ok "bench_hotplug refuses an unknown benchmark instead of running nothing"
	fi
fi

echo "1..$n"
