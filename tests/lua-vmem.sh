#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/lua-vmem.sh - the virtio-mem device and driver in Lua scenarios: what
# they do (tests/lua/vmem-*.lua assert it), what the timeline shows, and a
# clear message for every misuse instead of a hang or a crash.
# TAP output; $MEMHP is the program. No sleeps: a stall is waited for.
set -u
. "$(dirname "$0")/expect_run.bash"
# A scenario with a 1 GiB guest and a 1 GiB device at 4 GiB, then $1.
scenario() {
	printf '%s\n' 'local m = memhp.machine{ram = "1G", phys_size = "8G",
	auto_online_blocks = "online_movable"}' "$1" >"$tmp/s.lua"
}
dev='local dev = m:virtio_mem{addr = "4G", size = "1G"}'

# ---- what the bindings do ------------------------------------------------------------
expect_run 0 '^PASS: ' "plug, unplug, state, config, stats and faults through Lua" \
	-- run -q --seed 1 tests/lua/vmem-basic.lua
expect_run 0 '^PASS: ' "a stalled request is waited for and released (sync = false)" \
	-- run -q --seed 1 tests/lua/vmem-stall.lua
expect_run 1 'virtio-mem-check at pfn 0x105000: unplugged sub-block of online memory32 is not fake-offline' \
	"the run ends with the driver checked against the device and the memmap" \
	-- run -q --seed 1 tests/lua/vmem-pinned.lua
for proto in 6.1 2025; do
	expect_run 0 '^PASS: ' "vmem-basic.lua under $proto" \
		-- run -q --seed 1 --protocol "$proto" tests/lua/vmem-basic.lua
done

# The driver's work is nested under the call that caused it, in words.
"$MEMHP" run --seed 1 tests/lua/vmem-basic.lua >"$tmp/out" 2>&1
if grep -Eq '^ +[0-9.]+ +1  tests/lua/vmem-basic.lua:[0-9]+  qom-set vm0 requested-size 320 MiB \{$' "$tmp/out" &&
	grep -Eq '^ +[0-9.]+ +1    virtio_mem: PLUG request at 0x100000000$' "$tmp/out" &&
	grep -Eq '^ +[0-9.]+ +1    virtio_mem: NACK$' "$tmp/out" &&
	grep -Eq '^ +[0-9.]+ +1    online_pages memory32 .* Movable \{$' "$tmp/out" &&
	grep -Eq '^ +[0-9.]+ +1 +virtio_mem: block 34 -> MOVABLE_PARTIAL$' "$tmp/out" &&
	grep -Eq '^ +[0-9.]+ +1  \} = 0 \(plugged 320 MiB\) +[0-9.]+ ms$' "$tmp/out"; then
	ok "the timeline nests the driver's requests, answers and onlining under qom-set"
else
	not_ok "the timeline nests the driver's requests, answers and onlining under qom-set"
fi

# ---- misuse gets a message that names the problem ----------------------------------------
scenario 'm:virtio_mem{addr = "4G", size = "1G", blok_size = "2M"}'
expect_run 1 "virtio_mem: unknown option 'blok_size' \(did you mean 'block_size'\?\)" \
	"a misspelt device option" -- run -q "$tmp/s.lua"
scenario 'm:virtio_mem{size = "1G"}'
expect_run 1 "s.lua:3: virtio_mem: addr is required" "a device without an address" \
	-- run -q "$tmp/s.lua"
scenario 'm:virtio_mem{addr = "4G", size = "1G", flavor = "qmeu"}'
expect_run 1 "unknown flavor 'qmeu' \(did you mean 'qemu'\?\)" "a misspelt flavor" -- run -q "$tmp/s.lua"
scenario 'm:virtio_mem{addr = "4G", size = "1Q"}'
expect_run 1 "virtio_mem: size: bad size '1Q'" "a bad size" -- run -q "$tmp/s.lua"
scenario "$dev
local d, err = m:virtio_mem{addr = \"4G\", size = \"1G\", block_size = \"3M\"}
expect_eq(d, nil); expect_errno(err, \"EINVAL\", \"3 MiB is no power of two\")"
expect_run 0 '^PASS: 2 expectations' "a device the flavor refuses is nil, -EINVAL" \
	-- run -q "$tmp/s.lua"
scenario "$dev
local drv = dev:probe{sink = false}"
expect_run 1 "probe: unknown option 'sink' \(did you mean 'sync'\?\)" "a misspelt driver parameter" \
	-- run -q "$tmp/s.lua"
scenario "$dev
dev:probe(); dev:probe()"
expect_run 1 "probe: vm0 already has a driver" "a second driver" -- run -q "$tmp/s.lua"
scenario "$dev
local drv = dev:probe()
m:fault(\"virtio-mem-stall\", 1)
dev:set_requested_size(\"128M\")"
expect_run 1 "set_requested_size: virtio-mem-stall is armed on vm0: a stalled request would block" \
	"a stall that would block the scenario's thread is refused, not a hang" -- run -q "$tmp/s.lua"
scenario "$dev
local drv = dev:probe()
m:fault(\"virtio-mem-nack\", -1)
dev:set_requested_size(\"128M\")"
expect_run 1 "virtio-mem-nack is armed for ever on vm0: the driver retries a NACKed request at once" \
	"a NACK for ever is refused, not an endless loop" -- run -q "$tmp/s.lua"
scenario "$dev
local drv = dev:probe()
dev:wait_stalled()"
expect_run 1 "wait_stalled: no stall is armed on vm0" "waiting for a stall that cannot come" \
	-- run -q "$tmp/s.lua"
scenario "$dev
local drv = dev:probe{sync = false}
drv:process()"
expect_run 1 "process: the driver of vm0 runs its own work" "process() on a driver with a worker" \
	-- run -q "$tmp/s.lua"
scenario "$dev
local drv = dev:probe()
drv:advance(-5)"
expect_run 1 "advance: time runs forward" "negative driver time" -- run -q "$tmp/s.lua"
scenario "$dev
local drv = dev:probe()
dev:destroy()"
expect_run 1 "destroy: vm0 still has its driver: drv:remove\(\) first" \
	"destroying a device under its driver" -- run -q "$tmp/s.lua"
scenario "$dev
local drv = dev:probe()
drv:remove()
drv:info()"
expect_run 1 "the virtio-mem driver of vm0 was removed" "using a removed driver" \
	-- run -q "$tmp/s.lua"
scenario "$dev
local drv = dev:probe()
dev:block_plugged(512)"
expect_run 1 "block_plugged: block 512 is not one of vm0's 512 blocks" "a block index out of range" \
	-- run -q "$tmp/s.lua"
scenario "$dev
local drv = dev:probe()
m:register_memory_notifier(function(event) dev:set_requested_size(0) end)
dev:set_requested_size(\"128M\")"
expect_run 1 "set_requested_size\(\) inside a memory notifier would deadlock" \
	"resizing from inside a notifier is refused" -- run -q "$tmp/s.lua"
scenario "$dev
local drv = dev:probe()
m:fault(\"virtio-mem-bsy\", 1)"
expect_run 1 "unknown fault 'virtio-mem-bsy' \(did you mean 'virtio-mem-busy'\?\)" \
	"a misspelt fault" -- run -q "$tmp/s.lua"

# ---- the man page names every call ------------------------------------------------------
missing=
for fn in $("$MEMHP" run tests/lua/api-names.lua -q --seed 1 | grep -E '^(dev|drv):|^m:virtio_mem$'); do
	grep -qF -- "$fn" doc/memhp.1 || missing="$missing $fn"
done
if [ -z "$missing" ]; then
	ok "doc/memhp.1 names every virtio-mem call"
else
	echo "# missing:$missing"
	not_ok "doc/memhp.1 names every virtio-mem call"
fi

echo "1..$n"
