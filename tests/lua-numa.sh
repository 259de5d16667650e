#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/lua-numa.sh - memhp.machine{numa = {...}}: the nodes of a scenario's
# machine as the C config has them (boot RAM, CPUs, SLIT row), what the
# node files then show, and a message naming the problem for every misuse.
# scenarios/numa.lua uses it at length. TAP output; $MEMHP is the program.
set -u
. "$(dirname "$0")/expect_run.bash"
# A scenario with a 1 GiB guest on two CPUs, its numa option $1, then $2.
scenario() {
	printf '%s\n' "local m = memhp.machine{ram = \"1G\", phys_size = \"16G\", nr_cpus = 2,
	numa = $1}" "${2:-}" >"$tmp/s.lua"
}

scenario '{{mem = "256M"}, {mem = "768M", cpus = "0-1", distance = {30, 10}}}' '
local N = "/sys/devices/system/node"
expect_eq(m:read(N .. "/possible"), "0-1\n")
expect_eq(m:read(N .. "/has_cpu"), "1\n", "both CPUs are node 1'"'"'s")
expect_eq(m:read(N .. "/node1/cpulist"), "0-1\n")
expect_eq(m:read(N .. "/node1/distance"), "30 10\n", "the SLIT row given")
expect_eq(m:read(N .. "/node0/distance"), "10 20\n", "a row not given is the default")
expect_eq(m:block(1).nid, 0, "node 0 has the first 256 MiB")
expect_eq(m:block(2).nid, 1, "node 1 the rest")
expect_eq(m:pfn_to_page(m:block_pfn(2)):nid(), 1)'
expect_run 0 '^PASS: 8 expectations' "numa = {...} builds the nodes: memory, CPUs, distances" \
	-- run -q "$tmp/s.lua"

scenario '{{mem = "512M"}, {mem = "512M"}}' '
expect_ok(m:add_memory("4G", "128M", {node = 1}))
local id = m:block_id("4G")
expect_eq(m:block(id).nid, 1, "the block is on the node add_memory named")
expect_eq(m:read("/sys/devices/system/node/node1/memory" .. id .. "/phys_index"),
	string.format("%08x\n", id), "and linked from node1")
expect_errno(m:add_memory("5G", "128M", {node = 2}), "EINVAL",
	"a node the machine lacks: the core refuses it")
expect_eq(m:block(m:block_id("5G")), nil, "and adds nothing")'
expect_run 0 '^PASS: 5 expectations' "m:add_memory(start, size, {node = N}) adds on node N" \
	-- run -q "$tmp/s.lua"
scenario '{{mem = "512M"}, {mem = "512M"}}' 'm:add_memory("4G", "128M", {node = "one"})'
expect_run 1 'add_memory: node is a node number, not one' "a node that is not a number" \
	-- run -q "$tmp/s.lua"

scenario '{{mem = "512M"}, {mem = "256M"}}'
expect_run 1 'total memory for NUMA nodes \(0x30000000\) should equal RAM size \(0x40000000\)' \
	"nodes whose memory is not the RAM: the core's reason" -- run -q "$tmp/s.lua"
scenario '{{mem = "512M", cpus = {0}}, {mem = "512M", cpus = {0}}}'
expect_run 1 'node 1: a CPU of it is another node.s too' "a CPU on two nodes" -- run -q "$tmp/s.lua"
scenario '{{mem = "512M", cpus = "1-0"}, {mem = "512M"}}'
expect_run 1 'numa\[1\]: cpus "1-0": a list \{0, 1\} or a range "A-B"' "a backwards CPU range" \
	-- run -q "$tmp/s.lua"
scenario '{{mem = "512M", cpu = {0}}, {mem = "512M"}}'
expect_run 1 "numa\[1\]: unknown option 'cpu' \(did you mean 'cpus'\?\)" "a misspelt node key" \
	-- run -q "$tmp/s.lua"
scenario '{{mem = "512M", distance = {10}}, {mem = "512M"}}'
expect_run 1 'numa\[1\]: distance has 1 entries, one per node \(2\) is needed' \
	"a SLIT row of the wrong length" -- run -q "$tmp/s.lua"
scenario '{{mem = "512M", distance = {10, 256}}, {mem = "512M"}}'
expect_run 1 'numa\[1\]: distance\[2\]: a SLIT entry is 1 to 255' "a distance a SLIT cannot hold" \
	-- run -q "$tmp/s.lua"
scenario '{{}, {}, {}, {}, {}, {}, {}, {}, {}}'
expect_run 1 'numa: 9 nodes: 1 to 8' "more nodes than memhp models" -- run -q "$tmp/s.lua"
scenario '"two"'
expect_run 1 'numa must be a list of nodes, not string' "not a table" -- run -q "$tmp/s.lua"

echo "1..$n"
