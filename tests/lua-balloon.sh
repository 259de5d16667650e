#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/lua-balloon.sh - the balloon drivers in Lua scenarios: what the
# bindings do (tests/lua/balloon-basic.lua asserts it), and a message that
# names the problem for every misuse. TAP output; $MEMHP is the program.
set -u
. "$(dirname "$0")/expect_run.bash"
scenario() {
	printf '%s\n' 'local m = memhp.machine{ram = "1G", phys_size = "8G", protocol = "6.1"}' \
		"$1" >"$tmp/s.lua"
}

expect_run 0 '^PASS: ' "inflate, deflate, stats and the host's view through Lua" \
	-- run -q --seed 1 tests/lua/balloon-basic.lua
"$MEMHP" run --seed 1 tests/lua/balloon-basic.lua >"$tmp/out" 2>&1
if grep -Eq '^ +[0-9.]+ +1  tests/lua/balloon-basic.lua:[0-9]+  virtio-no-compaction balloon: inflate\(256 pages\) \{$' "$tmp/out" &&
	grep -Eq '^ +[0-9.]+ +1    balloon-inflate: 256 pages from pfn 0x[0-9a-f]+$' "$tmp/out" &&
	grep -Eq '^ +[0-9.]+ +1  \} = 256 pages +[0-9.]+ ms$' "$tmp/out"; then
	ok "the timeline shows the balloon's call and its request to the host"
else
	not_ok "the timeline shows the balloon's call and its request to the host"
fi

scenario 'm:balloon("zen")'
expect_run 1 "balloon: unknown kind 'zen' \(did you mean 'xen'\?\)" "a misspelt kind" -- run -q "$tmp/s.lua"
scenario 'local b = m:balloon("virtio")
b:inflate(-3)'
expect_run 1 "inflate: expected a number of pages >= 0" "a negative page count" -- run -q "$tmp/s.lua"
scenario 'local b = m:balloon("virtio")
b:destroy()
b:inflate(1)'
expect_run 1 "this balloon was destroyed" "using a destroyed balloon" -- run -q "$tmp/s.lua"
scenario 'local b = m:balloon("virtio")
b:host_pfns(1e9 // 1)'
expect_run 1 "host_pfns: ask for 0 to 65536 pfns" "too many pfns asked for" -- run -q "$tmp/s.lua"
scenario 'local b = m:balloon("virtio")
m:register_memory_notifier(function() b:inflate(1) end)
m:add_memory("4G", "128M")
m:online(32, "online_movable")'
expect_run 1 "inflate\(\) inside a memory notifier would deadlock" \
	"inflating from inside a notifier is refused" -- run -q "$tmp/s.lua"

missing=
for fn in $("$MEMHP" run tests/lua/api-names.lua -q --seed 1 | grep -E '^balloon:|^m:balloon$'); do
	grep -qF -- "$fn" doc/memhp.1 || missing="$missing $fn"
done
if [ -z "$missing" ]; then
	ok "doc/memhp.1 names every balloon call"
else
	echo "# missing:$missing"
	not_ok "doc/memhp.1 names every balloon call"
fi

echo "1..$n"
