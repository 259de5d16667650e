#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/run.sh - the memhp program as a user meets it: help, bad input,
# replay by seed, ^C, the memory map, the man page and the scenario docs.
# TAP output; $MEMHP is the program. No sleeps: a fifo tells when to ^C.
set -u
. "$(dirname "$0")/expect_run.bash"
scenario() {
	printf '%s\n' "$1" >"$tmp/s.lua"
}

# ---- help and version ---------------------------------------------------------
expect_run 0 '^  run ' "memhp help lists run" -- help
expect_run 0 'usage: memhp run SCENARIO.lua' "memhp run --help" -- run --help
expect_run 0 'usage: memhp run SCENARIO.lua' "memhp help run" -- help run
expect_run 0 '^memhp [0-9]+\.[0-9]+' "memhp version" -- version
expect_run 2 "unknown command 'frobnicate'" "an unknown command" -- frobnicate
for cmd in $("$MEMHP" help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}'); do
	if "$MEMHP" "$cmd" --help >/dev/null 2>&1; then
		ok "memhp $cmd --help"
	else
		not_ok "memhp $cmd --help"
	fi
done

# ---- bad input gets a message that names the problem ----------------------------
expect_run 2 "unknown option '--sed'" "a misspelt option" -- run --sed 3 x.lua
expect_run 2 "bad seed 'x3'" "a bad seed" -- run --seed x3 scenarios/notifier-veto.lua
expect_run 2 "bad protocol '6.2'" "a bad protocol" -- run --protocol 6.2 scenarios/notifier-veto.lua
expect_run 2 "cannot read nothere.lua" "a missing scenario" -- run nothere.lua
scenario 'local m = memhp.machine{ram = "1G", phys_size = "64G"'
expect_run 1 "s.lua:2: '\\}' expected \\(to close '\\{' at line 1\\)" \
	"a Lua syntax error names file and line" -- run -q "$tmp/s.lua"
scenario 'local m = memhp.machine{ram = "4Q", phys_size = "64G"}'
expect_run 1 "bad size '4Q': unknown suffix" "a bad size string" -- run -q "$tmp/s.lua"
scenario 'local m = memhp.machine{blok_size = "128M", phys_size = "64G"}'
expect_run 1 "unknown option 'blok_size' \(did you mean 'block_size'\?\)" "a misspelt machine option" \
	-- run -q "$tmp/s.lua"
scenario 'local a = memhp.machine{ram = "512M", phys_size = "16G"}
local b = memhp.machine{ram = "512M", phys_size = "16G", host_huge_pages = false}
print("huge pages", a:config().host_huge_pages, b:config().host_huge_pages)'
expect_run 0 "huge pages	true	false" "host_huge_pages: on unless a scenario says false" \
	-- run -q "$tmp/s.lua"
scenario 'local m = memhp.machine{ram = "1G", phys_size = "64G"}
m:ofline(32)'
expect_run 1 "s.lua:2: .*no method 'ofline' \(did you mean 'offline'\?\)" "a misspelt method" \
	-- run -q "$tmp/s.lua"
scenario 'local m = memhp.machine{ram = "1G", phys_size = "64G"}
m:add_memory("4G", "128M")
m:register_memory_notifier(function(event) return nil + 1 end)
m:online(32, "online_movable")'
expect_run 1 "s.lua:3: attempt to perform arithmetic on a nil value" \
	"an error in a notifier is raised after the operation, with its line" -- run -q "$tmp/s.lua"
scenario 'local m = memhp.machine{ram = "1G", phys_size = "64G"}
m:add_memory("4G", "256M")
m:register_memory_notifier(function(event) m:online(33) end)
m:online(32, "online_movable")'
expect_run 1 "online\(\) inside a memory notifier would deadlock" \
	"a hotplug call inside a notifier is refused, not a hang" -- run -q "$tmp/s.lua"
scenario 'local m = memhp.machine{ram = "1G", phys_size = "64G"}
m:register_memory_notifier(function(event) return "EBSY" end)
m:add_memory("4G", "128M")
m:online(32, "online_movable")'
expect_run 1 "returned 'EBSY' for MEM_GOING_ONLINE" "a bad notifier answer is named" \
	-- run -q "$tmp/s.lua"
expect_run 0 "PASS: 20 expectations, 0 failed" "m:read and m:write give the guest's bytes and errnos" \
	-- run -q tests/lua/fs-basic.lua
expect_run 0 "PASS: 12 expectations, 0 failed" \
	"memhp.boot_ranges, m:host_resident and data:nr_pages_in say where memory is" \
	-- run -q --seed 1 tests/lua/host-placement.lua
expect_run 1 "invariant violated at the end: page-class at pfn 0x100400" \
	"a broken invariant fails the run and names the rule" -- run -q tests/lua/broken.lua

# ---- seeds ---------------------------------------------------------------------------
"$MEMHP" run tests/lua/replay.lua --seed 7 --logical-time --trace "$tmp/t1.json" >"$tmp/a" 2>&1
"$MEMHP" run tests/lua/replay.lua --seed 7 --logical-time --trace "$tmp/t2.json" >"$tmp/b" 2>&1
"$MEMHP" run tests/lua/replay.lua --seed 8 --logical-time --trace "$tmp/t3.json" >"$tmp/c" 2>&1
if grep -q '^memhp run tests/lua/replay.lua: seed 7,' "$tmp/a"; then
	ok "the seed is printed first"
else
	not_ok "the seed is printed first"
fi
if cmp -s "$tmp/a" "$tmp/b" && cmp -s "$tmp/t1.json" "$tmp/t2.json"; then
	ok "the same seed gives byte-identical timelines and traces"
else
	diff "$tmp/a" "$tmp/b" | head -5 | sed 's/^/# /'
	not_ok "the same seed gives byte-identical timelines and traces"
fi
if ! cmp -s <(tail -n +2 "$tmp/a") <(tail -n +2 "$tmp/c") && ! cmp -s "$tmp/t1.json" "$tmp/t3.json"; then
	ok "another seed gives another timeline"
else
	not_ok "another seed gives another timeline"
fi
"$MEMHP" run tests/lua/replay.lua --logical-time >"$tmp/r1" 2>&1
seed=$(sed -n '1s/.*: seed \([0-9]*\) (random.*/\1/p' "$tmp/r1")
"$MEMHP" run tests/lua/replay.lua --logical-time --seed "$seed" >"$tmp/r2" 2>&1
if [ -n "$seed" ] && cmp -s <(tail -n +2 "$tmp/r1") <(tail -n +2 "$tmp/r2"); then
	ok "the printed random seed replays the run"
else
	not_ok "the printed random seed replays the run"
fi

# ---- the timeline ------------------------------------------------------------------
"$MEMHP" run scenarios/notifier-veto.lua --seed 1 >"$tmp/out" 2>"$tmp/err"
if grep -Eq '^ +[0-9]+\.[0-9]{3} +1  scenarios/notifier-veto.lua:[0-9]+  offline\(memory32\) \{$' "$tmp/out" &&
	grep -Eq '^ +[0-9.]+ +1 {4}offline_pages memory32 .* Movable \{$' "$tmp/out" &&
	grep -Eq 'MEM_GOING_OFFLINE -> -ENOMEM' "$tmp/out" &&
	grep -Eq '^ +[0-9.]+ +1  \} = -ENOMEM +[0-9.]+ ms$' "$tmp/out"; then
	ok "the timeline shows calls, operations, notifier answers and errno names, in ms"
else
	not_ok "the timeline shows calls, operations, notifier answers and errno names, in ms"
fi
if [ -s "$tmp/err" ] && grep -q $'\r\|\033' "$tmp/err"; then
	not_ok "no progress bar when stderr is not a terminal"
else
	ok "no progress bar when stderr is not a terminal"
fi

# ---- ^C during an endless offline -------------------------------------------------------
mkfifo "$tmp/fifo"
"$MEMHP" run scenarios/endless-migration.lua --seed 1 -- forever >"$tmp/fifo" 2>"$tmp/err" &
pid=$!
: >"$tmp/out"
sent=
while IFS= read -r line; do
	printf '%s\n' "$line" >>"$tmp/out"
	# Once: a second ^C would exit at once, as it should.
	case $line in
	*migrate_pages*) [ -z "$sent" ] && kill -INT "$pid" && sent=1 ;;
	esac
done <"$tmp/fifo"
wait "$pid"
rc=$?
if [ "$rc" -eq 130 ] && grep -q '} = -EINTR' "$tmp/out" &&
	grep -q 'MEM_CANCEL_OFFLINE' "$tmp/out" &&
	grep -q '^INTERRUPTED: .* 0 invariant violations' "$tmp/out" &&
	grep -q 'interrupted (SIGINT)' "$tmp/err"; then
	ok "^C aborts the offline with -EINTR, restores everything, exits 130"
else
	echo "# exit $rc"
	tail -5 "$tmp/out" | sed 's/^/# /'
	sed 's/^/# stderr: /' "$tmp/err" | head -20
	rm -f "$tmp/out"
	not_ok "^C aborts the offline with -EINTR, restores everything, exits 130"
fi

# ---- the progress bar, on a terminal ----------------------------------------------------
# script(1) gives memhp a pseudo-terminal; its stdout is what the terminal
# shows. The endless offline runs until the bar is there, then ^C ends it.
if command -v script >/dev/null && command -v pgrep >/dev/null; then
	script -q -e -c "$MEMHP run scenarios/endless-migration.lua --seed 1 -- forever" /dev/null \
		>"$tmp/tty" 2>&1 </dev/null &
	spid=$!
	for ((i = 0; i < 1000; i++)); do
		grep -q '(^C aborts)' "$tmp/tty" && break
		sleep 0.01
	done
	pkill -INT -f "^$MEMHP run scenarios/endless-migration.lua --seed 1 -- forever"
	wait "$spid"
	rc=$?
	# The bar: the operation and its phase, cells, rounds, the time; then
	# erased (\r and erase-line) before the timeline goes on.
	if [ "$rc" -eq 130 ] &&
		grep -Eaq 'offline_pages memory32 migrate \[[#.]+\] +[0-9]+%  round [0-9]+  0 migrated  [0-9.]+ s  \(\^C aborts\)' "$tmp/tty" &&
		grep -aq $'\r\033\[K' "$tmp/tty"; then
		ok "a progress bar on a terminal for a long offline, erased when it ends"
	else
		echo "# exit $rc"
		tr '\r' '\n' <"$tmp/tty" | tail -5 | sed 's/^/# /'
		not_ok "a progress bar on a terminal for a long offline, erased when it ends"
	fi
fi

# ---- the memory map ---------------------------------------------------------------------
"$MEMHP" run scenarios/normal-vs-movable.lua -q --seed 1 --svg "$tmp/map.svg" >/dev/null 2>&1
if grep -q '<svg' "$tmp/map.svg" && grep -q '</svg>' "$tmp/map.svg" &&
	grep -q '>memory1 .* online        DMA32<' "$tmp/map.svg" &&
	grep -q '>memory32 .* offline       <' "$tmp/map.svg" &&
	grep -q 'PageOffline</text>' "$tmp/map.svg" && grep -q '1 row = 1 block' "$tmp/map.svg"; then
	ok "the memory map has a row per block and a legend"
else
	not_ok "the memory map has a row per block and a legend"
fi
# 16 MiB blocks: many blocks without much memory (or address space: the
# sanitizers' memory layouts have little room for big reservations).
scenario 'local m = memhp.machine{ram = "1G", phys_size = "64G", section_size = "16M",
	block_size = "16M", check_after_ops = false}
expect_ok(m:add_memory("4G", "8G"))
expect_ok(m:online(256, "online_movable"))'
"$MEMHP" run "$tmp/s.lua" -q --seed 1 --svg "$tmp/big.svg" >"$tmp/out" 2>&1
rows=$(grep -c '<text[^>]*>memory[0-9]' "$tmp/big.svg")
if grep -q 'too many blocks to draw one per row' "$tmp/big.svg" && [ "$rows" -le 128 ] &&
	grep -q '>memory257-767 .* offline       (8.0 GiB)<' "$tmp/big.svg"; then
	ok "a machine with many blocks gets aggregated rows, and says so ($rows rows)"
else
	not_ok "a machine with many blocks gets aggregated rows, and says so ($rows rows)"
fi

# ---- the man page and the scenario docs ------------------------------------------------------
if [ -z "$(groff -man -ww -z doc/memhp.1 2>&1)" ]; then
	ok "doc/memhp.1 renders without warnings"
else
	not_ok "doc/memhp.1 renders without warnings"
fi
missing=
for cmd in $("$MEMHP" help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}'); do
	grep -q "^\.SS $cmd\b" doc/memhp.1 || missing="$missing $cmd"
done
if [ -z "$missing" ]; then
	ok "the man page has a section for every command"
else
	echo "# missing:$missing"
	not_ok "the man page has a section for every command"
fi
missing=
for fn in $("$MEMHP" run tests/lua/api-names.lua -q --seed 1 | grep -v '^memhp run\|^PASS'); do
	grep -qF "\`$fn(" docs/scenarios.md || missing="$missing $fn"
done
if [ -z "$missing" ]; then
	ok "docs/scenarios.md shows every Lua function"
else
	echo "# missing:$missing"
	not_ok "docs/scenarios.md shows every Lua function"
fi

# The plan comes last: the number of commands (and so of tests) grows.
echo "1..$n"
