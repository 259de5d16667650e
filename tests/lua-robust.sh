#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/lua-robust.sh - bad input from a scenario is an error with its
# file:line, never a crash or a hang of memhp; and what --timeout,
# --sandbox and the replay line promise. Each test is named after the rule
# it pins. TAP output; $MEMHP is the program.
set -u
. "$(dirname "$0")/expect_run.bash"
# A scenario body after a 1 GiB machine with one movable block online at
# memory32 (pfn 0x100000 on).
scenario() {
	printf '%s\n' 'local m = memhp.machine{ram = "1G", phys_size = "64G"}' "$1" >"$tmp/s.lua"
}
online_scenario() {
	printf '%s\n' 'local m = memhp.machine{ram = "1G", phys_size = "64G"}' \
		'expect_ok(m:add_memory("4G", "128M")); expect_ok(m:online(32, "online_movable"))' \
		"$1" >"$tmp/s.lua"
}
# What no run may print: a sanitizer, or a report entry nobody filled.
clean() {
	! grep -q 'Sanitizer\|runtime error:\|(null)' "$tmp/out"
}
# expect_within SECONDS STATUS PATTERN NAME -- ARGS: expect_run, for what
# used to hang: killed (status 137) after SECONDS.
expect_within() {
	local secs=$1 status=$2 pattern=$3 name=$4 rc
	shift 5
	rm -f "$tmp/out"
	timeout -s KILL "$secs" "$MEMHP" "$@" >"$tmp/out" 2>&1
	rc=$?
	if ! clean; then
		echo "# a sanitizer spoke, or a report had holes"
		not_ok "$name"
	elif [ "$rc" -ne "$status" ]; then
		echo "# exit $rc, expected $status"
		not_ok "$name"
	elif ! grep -Eq -- "$pattern" "$tmp/out"; then
		echo "# no match for: $pattern"
		not_ok "$name"
	else
		ok "$name"
	fi
}

# ok NAME when the last run's output has a line matching PATTERN (grep's
# basic regular expression), else not ok, saying what was looked for.
out_has() {
	if grep -q -- "$2" "$tmp/out"; then
		ok "$1"
	else
		echo "# no match for: $2"
		not_ok "$1"
	fi
}

# ---- __gc finalizers ----------------------------------------------------------------------
online_scenario 'keep = setmetatable({}, {__gc = function() print(m:state(32)); m:offline(32) end})'
expect_within 60 1 "s.lua:3: .*state: the scenario has ended" \
	"a finalizer that runs as Lua closes cannot use a machine: an error, not a use after free" \
	-- run -q --seed 1 "$tmp/s.lua"
out_has "an error in a finalizer fails the run" '^FAIL: .*ran to the end'
online_scenario 'setmetatable({}, {__gc = function() expect_ok(m:offline(32)) end})'
expect_within 60 0 "^PASS: 3 expectations, 0 failed" \
	"the finalizers of garbage run before the final check, with the machines there" \
	-- run -q --seed 1 "$tmp/s.lua"

# ---- m:destroy() --------------------------------------------------------------------------------
expect_within 120 0 "^PASS: 26 expectations, 0 failed" \
	"after m:destroy() m and each of its objects raise 'machine destroyed' with their line" \
	-- run -q --seed 1 tests/lua/destroy.lua
scenario 'local p = m:pfn_to_page(0x1000); m:destroy(); print(p:count())'
expect_within 60 1 "s.lua:2: count: machine destroyed \(machine 1, by m:destroy\(\) at [^ ]*s.lua:2\)" \
	"a page of a destroyed machine is an error at the line that uses it, not a use after free" \
	-- run -q --seed 1 "$tmp/s.lua"
scenario 'm:report(nil, "warn", "left behind"); m:destroy()'
expect_within 60 1 "machine 1: finding during the run: warn: left behind" \
	"m:destroy() makes the final check of its machine, and the run counts it" \
	-- run -q --seed 1 "$tmp/s.lua"
out_has "a finding on a machine destroyed before the end fails the run" '^FAIL: 0 expectations, 0 failed; 1 invariant violation; ran to the end'
scenario 'expect_ok(m:add_memory("4G", "128M"))
m:register_memory_notifier(function() m:destroy() end)
m:online(32, "online_movable")'
expect_within 60 1 "s.lua:3: destroy\(\) inside a memory notifier would deadlock" \
	"m:destroy() inside a notifier is refused: the core runs it" \
	-- run -q --seed 1 "$tmp/s.lua"

# ---- random numbers --------------------------------------------------------------------------
scenario 'local x = math.random(math.mininteger, math.maxinteger)
expect(math.type(x) == "integer")
expect(math.type(math.random(0)) == "integer", "random(0) is a whole random integer, as in Lua")
for i = 1, 200 do local v = math.random(-3, 3); expect(v >= -3 and v <= 3) end'
expect_within 60 0 "^PASS: 202 expectations, 0 failed" \
	"math.random takes the whole integer range, as Lua's does" -- run -q --seed 1 "$tmp/s.lua"
scenario 'expect(math.type(m:random(math.mininteger, math.maxinteger)) == "integer")
expect(math.type(m:random(math.maxinteger)) == "integer")'
expect_within 60 0 "^PASS: 2 expectations, 0 failed" \
	"m:random takes the whole integer range" -- run -q --seed 1 "$tmp/s.lua"
scenario 'math.random(1, 2, 3)'
expect_within 60 1 "s.lua:2: wrong number of arguments" \
	"math.random with three arguments is an error, as in Lua" -- run -q --seed 1 "$tmp/s.lua"

# ---- freeing and onlining pages the buddy does not expect --------------------------------------
scenario 'memhp.generic_online_page(m:pfn_to_page(0x3ffff), 10)'
expect_within 60 1 "s.lua:2: generic_online_page: pfn 0x3ffff is not aligned to order 10" \
	"generic_online_page of a range not aligned to its order is an error" \
	-- run -q --seed 1 "$tmp/s.lua"
online_scenario 'memhp.generic_online_page(m:pfn_to_online_page(m:block_pfn(32)), 0)'
expect_within 60 1 "s.lua:3: generic_online_page: pfn 0x100000 is not a page being onlined" \
	"generic_online_page of a page in the buddy is an error" -- run -q --seed 1 "$tmp/s.lua"
online_scenario 'local p = m:alloc_pages("movable", 1)
memhp.generic_online_page(m:pfn_to_page(p:pfn() + 1), 0)'
expect_within 60 1 "s.lua:4: generic_online_page: pfn 0x[0-9a-f]+ is not a page being onlined" \
	"generic_online_page of the tail of an allocation is an error" -- run -q --seed 1 "$tmp/s.lua"
scenario 'local p = m:alloc_pages("kernel", 0)
memhp.free_pages(p, 5)'
expect_within 60 1 "s.lua:3: free_pages: .*order 5.*free in the buddy" \
	"free_pages with a larger order than the allocation's is an error" \
	-- run -q --seed 1 "$tmp/s.lua"
out_has "a refused free_pages leaves the buddy intact" '0 invariant violations'
scenario 'local p = m:alloc_pages("kernel", 0)
local ok, err = pcall(memhp.free_pages, p, 5)
expect(not ok, "refused")
ok, err = pcall(memhp.free_pages, p, 11)
expect(err:find("order 11 is not 0 to max_order 10"), err)
memhp.free_pages(p, 0)
ok, err = pcall(memhp.free_pages, p, 0)
expect(err:find("no reference left"), err)
local q = m:alloc_pages("kernel", 0)
if q:pfn() % 2 == 0 then q = m:alloc_pages("kernel", 0) end
ok, err = pcall(memhp.free_pages, q, 1)
expect(err:find("not aligned to order 1"), err)
memhp.free_pages(q, 0)
expect_eq(m:check(), 0, "the buddy is intact")'
expect_within 60 0 "^PASS: 5 expectations, 0 failed; 0 invariant violations" \
	"free_pages refuses a bad order, a misaligned page and a double free" \
	-- run -q --seed 1 "$tmp/s.lua"

# ---- the checker's reports ------------------------------------------------------------------------
# A reference on twelve free chunk heads: twelve page-class findings, of
# which a report keeps the first eight.
online_scenario 'local base = m:block_pfn(32)
for i = 0, 11 do m:pfn_to_online_page(base + i * 1024):ref_inc() end
local n, list = m:check()
expect(n >= 12, "every finding is counted")
local shown = 0
for _, v in ipairs(list) do
	expect(type(v.rule) == "string" and type(v.detail) == "string", "a filled entry")
	if v.rule == "page-class" then shown = shown + 1 end
end
expect_eq(shown, 8, "the first eight of a rule")
for i = 0, 11 do m:pfn_to_online_page(base + i * 1024):ref_dec_and_test() end'
expect_within 60 0 "^PASS: " "m:check() lists only the entries a report filled" \
	-- run -q --seed 1 "$tmp/s.lua"
online_scenario 'local base = m:block_pfn(32)
m:config() -- the final check finds them
for i = 0, 11 do m:pfn_to_online_page(base + i * 1024):ref_inc() end'
expect_within 60 1 "and [0-9]+ more invariant violated at the end" \
	"the final check prints only the findings a report filled" -- run -q --seed 1 "$tmp/s.lua"
online_scenario 'm:allow("page-class")
local base = m:block_pfn(32)
for i = 0, 11 do m:pfn_to_online_page(base + i * 1024):ref_inc() end'
expect_within 60 0 "^PASS: .*0 invariant violations \(and findings the scenario allowed\)" \
	"an allowed rule stays allowed past the findings a report shows" -- run -q --seed 1 "$tmp/s.lua"

# ---- walkers ----------------------------------------------------------------------------------------
scenario 'for i = 1, 100 do m:walkers{threads = 8} end'
expect_within 60 1 "s.lua:2: walkers: 8 walker threads run already: at most 8 at once" \
	"walker threads beyond 8 at once are refused at once, not a hang" \
	-- run -q --seed 1 "$tmp/s.lua"
scenario 'for i = 1, 20 do local w = m:walkers{threads = 8}; w:stop() end
local a = m:walkers{threads = 4}
local b = m:walkers{threads = 4}
a:stop(); b:stop()'
expect_within 60 0 "^PASS: " "stopped walkers make room for new ones" -- run -q --seed 1 "$tmp/s.lua"
scenario 'm:walkers{hold_us = 0}'
expect_within 60 1 "s.lua:2: walkers: hold_us must be 1 to [0-9]+" \
	"a hold asleep of 0 us is refused" -- run -q --seed 1 "$tmp/s.lua"
scenario 'm:walkers{hold_us = 100, hold_spins = 10}'
expect_within 60 1 "s.lua:2: walkers: hold_spins or hold_us, not both" \
	"a walker holds by spinning or asleep, not both" -- run -q --seed 1 "$tmp/s.lua"
scenario 'local w = m:walkers{threads = 2, hold_us = 60000000}
w:stop()'
expect_within 60 0 "^PASS: " "a hold asleep for a minute ends at walkers:stop()" \
	-- run -q --seed 1 "$tmp/s.lua"

# ---- --timeout ---------------------------------------------------------------------------------------
printf '%s\n' 'local n = 0' 'while true do n = n + 1 end' >"$tmp/loop.lua"
expect_within 60 124 "loop.lua:2: timed out \(--timeout 500ms\)" \
	"--timeout ends a Lua busy loop as ^C does, with exit status 124" \
	-- run -q --seed 1 --timeout 500ms "$tmp/loop.lua"
if grep -q '^TIMED OUT: ' "$tmp/out" &&
	grep -Eq "^replay: memhp run $tmp/loop.lua --seed 1 --timeout 500ms$" "$tmp/out"; then
	ok "a timed-out run says so and how to replay it"
else
	not_ok "a timed-out run says so and how to replay it"
fi
# The offline must be under way when the time is up: ThreadSanitizer takes
# seconds to fill the scenario's memory first.
offline_timeout=1s
ldd "$MEMHP" 2> /dev/null | grep -q libtsan && offline_timeout=20s
expect_within 60 124 "^TIMED OUT: .* 0 invariant violations" \
	"--timeout ends an offline that retries forever, everything restored" \
	-- run --seed 1 --timeout "$offline_timeout" scenarios/endless-migration.lua -- forever
if grep -q '} = -EINTR' "$tmp/out" && grep -q 'MEM_CANCEL_OFFLINE' "$tmp/out"; then
	ok "the timed-out offline backs out with -EINTR"
else
	not_ok "the timed-out offline backs out with -EINTR"
fi
# A fill is one call: it must stop at the time as a program filling
# memory stops at its signal, not run to its end first. 8 GiB, which takes
# 17 s to fill here unhindered: 2 GiB took 1.1 s on an idle host, too
# close to the timeout (CI once saw it finish). Only what is filled before
# the timeout is touched. (ThreadSanitizer: the machine takes about half a
# second, the fill far longer.)
fill_timeout=1s
ldd "$MEMHP" 2> /dev/null | grep -q libtsan && fill_timeout=3s
printf '%s\n' 'local m = memhp.machine{ram = "8G", phys_size = "64G"}' \
	'local d = m:data()' 'd:alloc(m:meminfo().free_pages)' >"$tmp/fill.lua"
expect_within 90 124 "fill.lua:3: timed out" \
	"--timeout ends a big data:alloc() between its chunks" \
	-- run --seed 1 --timeout "$fill_timeout" "$tmp/fill.lua"
if awk '/data:alloc\(/ { for (i = 1; i <= NF; i++) if ($i ~ /^data:alloc\(/) { want = substr($i, 12) + 0; got = $(i + 3) + 0 } }
	END { exit !(want > 0 && got < want) }' "$tmp/out"; then
	ok "... having filled only part of what it asked for"
else
	grep 'data:alloc' "$tmp/out" | sed 's/^/# /'
	not_ok "... having filled only part of what it asked for"
fi
printf '%s\n' 'keep = setmetatable({}, {__gc = function() while true do end end})' >"$tmp/gc-loop.lua"
expect_within 60 124 "did not stop when told to" \
	"--timeout ends a loop in a finalizer too, where no hook runs, after its grace" \
	-- run -q --seed 1 --timeout 1s "$tmp/gc-loop.lua"
expect_run 2 "bad timeout '0'" "a zero timeout is bad usage" -- run --timeout 0 "$tmp/loop.lua"
expect_run 2 "bad timeout '3x'" "a timeout with an unknown unit is bad usage" \
	-- run --timeout 3x "$tmp/loop.lua"
expect_run 0 "^PASS: " "a scenario that ends in time is not touched by --timeout" \
	-- run -q --seed 1 --timeout 1m scenarios/notifier-veto.lua

# ---- --sandbox -----------------------------------------------------------------------------------------
forbidden=(
	'os.execute("true")' 'os.remove("x")' 'os.rename("x", "y")' 'os.exit(0)' 'os.getenv("HOME")'
	'os.tmpname()' 'io.open("/etc/passwd")' 'io.write("x")' 'require("os")' 'dofile("x.lua")'
	'loadfile("x.lua")' 'load(string.dump(function() end))' 'debug.getinfo(1)'
	'package.loadlib("x", "y")' 'm:svg("x.svg")'
)
for f in "${forbidden[@]}"; do
	scenario "$f"
	name=${f%%(*}
	expect_run 1 "s.lua:2: $(printf '%s' "$name" | sed 's/[.]/\\./g').* not available under --sandbox" \
		"--sandbox: $f is an error that names it" -- run -q --seed 1 --sandbox "$tmp/s.lua"
done
scenario 'expect_eq(load("return 1 + 1")(), 2, "text chunks load")
expect(os.time() > 0 and os.clock() >= 0 and os.date("%Y") ~= nil, "time is there")
expect(string.format("%d", 3) == "3" and table.concat({1, 2}) == "12", "the pure libraries")'
expect_run 0 "^PASS: 3 expectations" "--sandbox keeps the pure libraries and text chunks" \
	-- run -q --seed 1 --sandbox "$tmp/s.lua"
expect_run 0 "^PASS: " "--sandbox runs the memhp API as it is" \
	-- run -q --seed 1 --sandbox scenarios/notifier-veto.lua
scenario 'local t = {}
while true do t[#t + 1] = string.rep("x", 4096) .. #t end'
expect_within 120 1 "s.lua:3: .*more than [0-9]+ MiB of Lua memory \(the --sandbox limit\)" \
	"--sandbox caps the memory of the Lua state" -- run -q --seed 1 --sandbox "$tmp/s.lua"
scenario 'local s = string.rep("x", 1 << 30)'
expect_within 60 1 "more than [0-9]+ MiB of Lua memory \(the --sandbox limit\)" \
	"--sandbox refuses one huge allocation too" -- run -q --seed 1 --sandbox "$tmp/s.lua"
expect_within 60 124 "loop.lua:2: timed out" "--sandbox takes --timeout" \
	-- run -q --seed 1 --sandbox --timeout 300ms "$tmp/loop.lua"
scenario 'local f = assert(io.open(arg[1], "w")); f:write("x"); f:close()
expect(os.getenv("PATH") ~= nil)'
expect_run 0 "^PASS: " "without --sandbox a scenario is a trusted program: io and os are there" \
	-- run -q --seed 1 "$tmp/s.lua" -- "$tmp/written"

# ---- the replay line and output files ------------------------------------------------------------------
scenario 'expect_eq(arg[1], "nope")'
expect_run 1 "^replay: memhp run $tmp/s.lua --seed 1 -- y 'a b' 'it'\\\\''s'$" \
	"the replay line keeps the script's arguments, quoted for the shell" \
	-- run -q --seed 1 "$tmp/s.lua" -- y 'a b' "it's"
scenario 'local m = {'
expect_run 1 "s.lua:[0-9]+: .*expected" "a syntax error is an error" -- run -q --seed 1 "$tmp/s.lua"
if grep -q '^replay:' "$tmp/out"; then
	not_ok "no replay line after a syntax error: there is nothing to replay"
else
	ok "no replay line after a syntax error: there is nothing to replay"
fi
scenario 'expect(true)'
for opt in --svg --trace; do
	expect_run 3 "memhp run: $opt /nonexistent/x: cannot write it: No such file or directory" \
		"run $opt to a path that cannot be written is an I/O error before the run" \
		-- run -q --seed 1 "$tmp/s.lua" "$opt" /nonexistent/x
	if grep -q 'invariant violation\|^replay:\|^memhp run .*: seed' "$tmp/out"; then
		not_ok "run $opt to a bad path: no violation, no replay, no run"
	else
		ok "run $opt to a bad path: no violation, no replay, no run"
	fi
	expect_run 3 "memhp demo: $opt /nonexistent/x: cannot write it: No such file or directory" \
		"demo $opt to a path that cannot be written is an I/O error before the demo" \
		-- demo --quick --seed 1 "$opt" /nonexistent/x
	if grep -q 'seed 1' "$tmp/out"; then
		not_ok "demo $opt to a bad path: nothing runs"
	else
		ok "demo $opt to a bad path: nothing runs"
	fi
done
expect_run 3 "memhp run: --svg $tmp: cannot write it: Is a directory" \
	"run --svg to a directory is an I/O error" -- run -q --seed 1 "$tmp/s.lua" --svg "$tmp"

echo "1..$n"
