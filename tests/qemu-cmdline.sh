#!/bin/bash
# SPDX-License-Identifier: MIT
# QEMU's command line in memhp serve: a QEMU invocation pasted as it is
# starts the machine, and what QEMU 7.2 refuses memhp refuses with QEMU's
# own message (recorded from qemu-system-x86_64 here, each quoted below with
# the options that produced it; QEMU prefixes its program name where memhp
# puts "memhp serve"). Where QEMU accepts what memhp cannot model, memhp
# says so by name; where QEMU accepts, memhp accepts.

. "$(dirname "$0")/lib.bash"

HERE=$(cd "$(dirname "$0")" && pwd)
SERVE_PID=

start_serve() {
	"$MEMHP" serve --mount "$MNT" "$@" 2> "$TEST_TMP/serve.err" &
	SERVE_PID=$!
	poll test -r "$MNT/proc/meminfo"
}

stop_serve() {
	[ -n "$SERVE_PID" ] || return 0
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID"
	local rc=$?
	SERVE_PID=
	mountpoint -q "$MNT" && umount -l "$MNT"
	return $rc
}

cleanup() {
	stop_serve
	rm -rf "$TEST_TMP"
}

# refused NAME EXPECTED-FIRST-LINES ARGS...: memhp serve ARGS fails and
# prints EXPECTED (as many lines as it has) first.
refused() {
	local name=$1 want=$2 out n
	shift 2
	out=$("$MEMHP" serve --mount "$MNT" "$@" 2>&1)
	n=$(printf '%s\n' "$want" | wc -l)
	is "$(printf '%s\n' "$out" | head -n "$n")" "$want" "$name"
}

tap_init "$0" "$@"
require_tools python3 mountpoint
trap cleanup EXIT
MNT=$TEST_TMP/mnt
mkdir "$MNT"
P="memhp serve"
SIZE_HINT="Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-
and exabytes, respectively."
ID_HINT="Identifiers consist of letters, digits, '-', '.', '_', starting with a letter."
OBJ=(-object memory-backend-ram,id=m0,size=1G)

# A QEMU invocation (the one docs/qmp.md records its replies from), pasted.
check "a QEMU command line starts the machine" start_serve -machine q35 -accel tcg \
	-m 512M,slots=2,maxmem=8G -nodefaults -display none \
	-object memory-backend-ram,id=mem0,size=4G \
	-device virtio-mem-pci,id=vm0,memdev=mem0,requested-size=0 \
	-device virtio-balloon-pci,id=balloon0 -qmp "unix:$TEST_TMP/qmp,server=on,wait=off"
is "$(python3 "$HERE/qmp.py" "$TEST_TMP/qmp" raw '{"execute": "query-memory-devices"}')" \
	'{"return": [{"type": "virtio-mem", "data": {"memdev": "/objects/mem0", "memaddr": 4294967296, "block-size": 2097152, "size": 0, "node": 0, "max-size": 4294967296, "requested-size": 0, "id": "vm0"}}]}' \
	"... with the devices QEMU reports for it"
stop_serve

# -m as QEMU reads it.
refused "-m 1G,,: ',,' is a comma inside the size" "$P: -m 1G,,: Parameter 'size' expects a non-negative number below 2^64
$SIZE_HINT" -m 1G,,
refused "-m with an unknown key" "$P: -m 1G,foo=1: Invalid parameter 'foo'" -m 1G,foo=1
refused "maxmem=0" "$P: invalid value of maxmem: maximum memory size (0x0) must be at least the initial memory size (0x40000000)" \
	-m 1G,maxmem=0
refused "maxmem below -m" "$P: invalid value of maxmem: maximum memory size (0x20000000) must be at least the initial memory size (0x40000000)" \
	-m 1G,maxmem=512M
refused "slots without maxmem" "$P: slots specified but no max-size" -m 1G,slots=2
refused "slots with maxmem equal to -m" "$P: invalid value of maxmem: memory slots were specified but maximum memory size (0x40000000) is equal to the initial memory size (0x40000000)" \
	-m 1G,slots=2,maxmem=1G
refused "more slots than ACPI has" "$P: unsupported amount of memory slots: 300" \
	-m 1G,slots=300,maxmem=2G
# QEMU starts a 3 MiB machine; Debian's 6.1 does not boot in it (it did
# with 96M, not with 64M): memhp refuses, saying why.
refused "-m 3M: QEMU starts it, Linux would not boot" \
	"$P: -m 3M: Linux 6.1 does not boot in less than 96M (QEMU would start the machine, the kernel would not come up)" \
	-m 3M
refused "--block-size 1T (memhp's option): x86 Linux never uses it" \
	"$P: --block-size 1T: x86 Linux uses memory blocks of 128M to 2G" -m 1G --block-size 1T
# QEMU takes -m "" and -m 0 as its default, 128M.
check "-m '' is QEMU's default size" start_serve -m ""
is "$(awk '$1 == "MemTotal:" {print ($2 > 60000 && $2 < 131072)}' "$MNT/proc/meminfo")" 1 \
	"... a 128 MiB machine"
stop_serve

# Ids, objects, devices.
refused "an id with a slash" "$P: -device pc-dimm,id=../../x,memdev=m0: Parameter 'id' expects an identifier
$ID_HINT" -m 1G,slots=2,maxmem=4G "${OBJ[@]}" -device pc-dimm,id=../../x,memdev=m0
refused "an object id with a space" "$P: -object memory-backend-ram,id=a b,size=1G: Parameter 'id' expects an identifier
$ID_HINT" -m 1G,slots=2,maxmem=4G -object "memory-backend-ram,id=a b,size=1G"
refused "an object without a size" "$P: -object memory-backend-ram,id=m0: Parameter 'size' is missing" \
	-m 1G -object memory-backend-ram,id=m0
refused "an object without an id" "$P: -object memory-backend-ram,size=1G: Parameter 'id' is missing" \
	-m 1G -object memory-backend-ram,size=1G
refused "an unknown device property" "$P: -device pc-dimm,id=d0,memdev=m0,foo=1: Property 'pc-dimm.foo' not found" \
	-m 1G,slots=2,maxmem=4G "${OBJ[@]}" -device pc-dimm,id=d0,memdev=m0,foo=1
refused "a DIMM without memdev" "$P: -device pc-dimm,id=d0: 'memdev' property must be set" \
	-m 1G,slots=2,maxmem=4G "${OBJ[@]}" -device pc-dimm,id=d0
refused "a memdev nobody made" "$P: -device pc-dimm,id=d0,memdev=m1: Device 'm1' not found" \
	-m 1G,slots=2,maxmem=4G "${OBJ[@]}" -device pc-dimm,id=d0,memdev=m1
refused "an id twice" "$P: -device pc-dimm,id=d0,memdev=m0: Duplicate ID 'd0' for device" \
	-m 1G,slots=2,maxmem=4G "${OBJ[@]}" -device pc-dimm,id=d0,memdev=m0 -device pc-dimm,id=d0,memdev=m0
refused "a DIMM without slots" "$P: -device pc-dimm,id=d0,memdev=m0: no slots where allocated, please specify the 'slots' option" \
	-m 1G "${OBJ[@]}" -device pc-dimm,id=d0,memdev=m0
refused "a DIMM beyond maxmem" "$P: -device pc-dimm,id=d0,memdev=m0: not enough space, currently 0x0 in use of total space for memory devices 0x20000000" \
	-m 1G,slots=2,maxmem=1.5G "${OBJ[@]}" -device pc-dimm,id=d0,memdev=m0
refused "more DIMMs than slots" "$P: -device pc-dimm,id=d1,memdev=m1: no free slots available" \
	-m 1G,slots=1,maxmem=4G "${OBJ[@]}" -object memory-backend-ram,id=m1,size=1G \
	-device pc-dimm,id=d0,memdev=m0 -device pc-dimm,id=d1,memdev=m1
refused "a slot beyond -m's" "$P: -device pc-dimm,id=d0,memdev=m0,slot=5: invalid slot number 5, valid range is [0-1]" \
	-m 1G,slots=2,maxmem=4G "${OBJ[@]}" -device pc-dimm,id=d0,memdev=m0,slot=5
refused "a busy backend" "$P: -device virtio-mem-pci,id=vm1,memdev=m0: 'memdev' property specifies a busy memdev: m0" \
	-m 1G,maxmem=4G "${OBJ[@]}" -device virtio-mem-pci,id=vm0,memdev=m0 -device virtio-mem-pci,id=vm1,memdev=m0
refused "virtio-mem without maxmem" "$P: -device virtio-mem-pci,id=vm0,memdev=m0: memory devices (e.g. for memory hotplug) are not enabled, please specify the maxmem option" \
	-m 1G "${OBJ[@]}" -device virtio-mem-pci,id=vm0,memdev=m0
refused "a block size that is not a power of two" "$P: -device virtio-mem-pci,id=vm0,memdev=m0,block-size=3M: 'block-size' property has to be a power of two" \
	-m 1G,maxmem=2G "${OBJ[@]}" -device virtio-mem-pci,id=vm0,memdev=m0,block-size=3M
refused "a bad on/off" "$P: -device virtio-balloon-pci,id=b0,deflate-on-oom=maybe: Parameter 'deflate-on-oom' expects 'on' or 'off'" \
	-m 1G -device virtio-balloon-pci,id=b0,deflate-on-oom=maybe
refused "two balloons" "$P: -device virtio-balloon-pci,id=b1: Only one balloon device is supported" \
	-m 1G -device virtio-balloon-pci,id=b0 -device virtio-balloon-pci,id=b1
refused "free page hinting without an iothread" "$P: -device virtio-balloon-pci,id=b0,free-page-hint=on: 'free-page-hint' requires 'iothread' to be set" \
	-m 1G -device virtio-balloon-pci,id=b0,free-page-hint=on
refused "-numa without memory for the RAM" "$P: total memory for NUMA nodes (0x0) should equal RAM size (0x40000000)" \
	-m 1G -numa node,nodeid=0
refused "-numa: a gap in the node ids" "$P: numa: Node ID missing: 1" \
	-m 2G -object memory-backend-ram,id=r0,size=1G -object memory-backend-ram,id=r1,size=1G \
	-numa node,nodeid=0,memdev=r0 -numa node,nodeid=2,memdev=r1
refused "-numa: a backend that is not there" "$P: -numa node,nodeid=0,memdev=rx: memdev=rx is ambiguous" \
	-m 2G -object memory-backend-ram,id=r0,size=1G -numa node,nodeid=0,memdev=rx
refused "-numa: a node id twice" "$P: -numa node,nodeid=0,memdev=r0: Duplicate NUMA nodeid: 0" \
	-m 2G -object memory-backend-ram,id=r0,size=2G -numa node,nodeid=0,memdev=r0 -numa node,nodeid=0,memdev=r0
refused "-numa: a CPU beyond -smp" "$P: -numa node,nodeid=0,memdev=r0,cpus=0-2: CPU index (2) should be smaller than maxcpus (2)" \
	-m 2G -smp 2 -object memory-backend-ram,id=r0,size=2G -numa node,nodeid=0,memdev=r0,cpus=0-2
refused "-numa: one backend for two nodes" "$P: memory backend r0 can't be used multiple times." \
	-m 2G -object memory-backend-ram,id=r0,size=1G -object memory-backend-ram,id=r1,size=1G \
	-numa node,nodeid=0,memdev=r0 -numa node,memdev=r0,nodeid=1
refused "a DIMM on a node that is not there" "$P: -device pc-dimm,id=d0,memdev=m0,node=1: 'DIMM property node has value 1' which exceeds the number of numa nodes: 1" \
	-m 2G,slots=2,maxmem=4G -object memory-backend-ram,id=r0,size=2G -numa node,nodeid=0,memdev=r0 \
	-object memory-backend-ram,id=m0,size=1G -device pc-dimm,id=d0,memdev=m0,node=1
refused "virtio-mem on a node that is not there" "$P: -device virtio-mem-pci,id=d0,memdev=m0,node=1: 'node' property has value '1', which exceedsthe number of numa nodes: 1" \
	-m 2G,slots=2,maxmem=4G -object memory-backend-ram,id=r0,size=2G -numa node,nodeid=0,memdev=r0 \
	-object memory-backend-ram,id=m0,size=1G -device virtio-mem-pci,id=d0,memdev=m0,node=1
# -numa dist as QEMU 7.2's parse_numa_distance() and validate_numa_distance()
# refuse it (each message recorded from qemu-system-x86_64 7.2.22 with the
# same options).
TWO=(-m 2G -smp 2 -object memory-backend-ram,id=r0,size=1G -object memory-backend-ram,id=r1,size=1G
	-numa node,nodeid=0,memdev=r0 -numa node,nodeid=1,memdev=r1)
refused "-numa dist: a distance below 10" "$P: -numa dist,src=0,dst=1,val=5: NUMA distance (5) is invalid, it shouldn't be less than 10." \
	"${TWO[@]}" -numa dist,src=0,dst=1,val=5
refused "-numa dist: octal as QEMU reads numbers" "$P: -numa dist,src=1,dst=0,val=010: NUMA distance (8) is invalid, it shouldn't be less than 10." \
	"${TWO[@]}" -numa dist,src=1,dst=0,val=010
refused "-numa dist: a node's own distance" "$P: -numa dist,src=0,dst=0,val=20: Local distance of node 0 should be 10." \
	"${TWO[@]}" -numa dist,src=0,dst=0,val=20
refused "-numa dist: a node not declared" "$P: -numa dist,src=0,dst=2,val=20: Source/Destination NUMA node is missing. Please use '-numa node' option to declare it first." \
	"${TWO[@]}" -numa dist,src=0,dst=2,val=20
refused "-numa dist: a node declared after it" "$P: -numa dist,src=0,dst=1,val=20: Source/Destination NUMA node is missing. Please use '-numa node' option to declare it first." \
	-m 2G -object memory-backend-ram,id=r0,size=1G -object memory-backend-ram,id=r1,size=1G \
	-numa dist,src=0,dst=1,val=20 -numa node,nodeid=0,memdev=r0 -numa node,nodeid=1,memdev=r1
refused "-numa dist: a node past QEMU's 128" "$P: -numa dist,src=0,dst=128,val=20: Parameter 'dst' expects an integer between 0 and 127" \
	"${TWO[@]}" -numa dist,src=0,dst=128,val=20
refused "-numa dist: src wider than 16 bits" "$P: -numa dist,src=65536,dst=1,val=20: Parameter 'src' expects uint16_t" \
	"${TWO[@]}" -numa dist,src=65536,dst=1,val=20
refused "-numa dist: val wider than 8 bits" "$P: -numa dist,src=0,dst=1,val=256: Parameter 'val' expects uint8_t" \
	"${TWO[@]}" -numa dist,src=0,dst=1,val=256
refused "-numa dist: a negative val" "$P: -numa dist,src=0,dst=1,val=-1: Parameter 'val' expects a uint64 value" \
	"${TWO[@]}" -numa dist,src=0,dst=1,val=-1
refused "-numa dist: val missing, before an unknown key" "$P: -numa dist,src=0,dst=1,foo=1: Parameter 'val' is missing" \
	"${TWO[@]}" -numa dist,src=0,dst=1,foo=1
refused "-numa dist: an unknown key" "$P: -numa dist,src=0,dst=1,val=20,foo=1: Invalid parameter 'foo'" \
	"${TWO[@]}" -numa dist,src=0,dst=1,val=20,foo=1
refused "-numa dist: the last src counts" "$P: -numa dist,src=0,dst=1,val=20,src=1: Local distance of node 1 should be 10." \
	"${TWO[@]}" -numa dist,src=0,dst=1,val=20,src=1
THREE=(-m 3G -smp 3 -object memory-backend-ram,id=r0,size=1G -object memory-backend-ram,id=r1,size=1G
	-object memory-backend-ram,id=r2,size=1G -numa node,nodeid=0,memdev=r0
	-numa node,nodeid=1,memdev=r1 -numa node,nodeid=2,memdev=r2)
refused "-numa dist: a pair without a distance" "$P: The distance between node 1 and 2 is missing, at least one distance value between each nodes should be provided." \
	"${THREE[@]}" -numa dist,src=0,dst=1,val=20 -numa dist,src=0,dst=2,val=30
refused "-numa dist: an asymmetrical pair, another pair one way" "$P: At least one asymmetrical pair of distances is given, please provide distances for both directions of all node pairs." \
	"${THREE[@]}" -numa dist,src=0,dst=1,val=20 -numa dist,src=1,dst=0,val=30 \
	-numa dist,src=0,dst=2,val=30 -numa dist,src=1,dst=2,val=40
refused "-numa dist: the memory total is checked first" "$P: total memory for NUMA nodes (0x80000000) should equal RAM size (0xc0000000)" \
	-m 3G -object memory-backend-ram,id=r0,size=1G -object memory-backend-ram,id=r1,size=1G \
	-numa node,nodeid=0,memdev=r0 -numa node,nodeid=1,memdev=r1 -numa dist,src=0,dst=1,val=20
refused "-S: not modelled, by name" "$P: -S: memhp: the guest runs from the start: there is no paused machine to continue" \
	-m 1G -S
refused "another machine type" "$P: -machine pc: memhp: the machine is q35 (pc-q35-7.2), not pc" \
	-machine pc -m 1G

# QEMU takes a key given twice inside one option; the last one wins.
check "a key twice in one -object: QEMU takes it" start_serve -m 1G,slots=2,maxmem=4G \
	-object memory-backend-ram,id=m0,size=1G,size=512M -device pc-dimm,id=d0,memdev=m0,memdev=m0 \
	-qmp "unix:$TEST_TMP/qmp"
is "$(python3 "$HERE/qmp.py" "$TEST_TMP/qmp" raw '{"execute": "qom-get", "arguments": {"path": "/objects/m0", "property": "size"}}')" \
	'{"return": 536870912}' "... and the last value counts"
stop_serve

# Linux 6.1 under this command line (docs/linux-comparison.md, case m):
# both nodes have memory and a CPU, node1 links its 8 boot blocks and the
# DIMM's 8, the distances are QEMU's defaults.
check "-numa node: two nodes, a DIMM on node 1" start_serve -smp 2 -m 2G,slots=4,maxmem=16G \
	-object memory-backend-ram,id=r0,size=1G -object memory-backend-ram,id=r1,size=1G \
	-numa node,nodeid=0,memdev=r0,cpus=0 -numa node,nodeid=1,memdev=r1,cpus=1 \
	-object memory-backend-ram,id=m0,size=1G -device pc-dimm,id=d0,memdev=m0,node=1
N=$MNT/sys/devices/system/node
is "$(cat "$N/possible" "$N/online" "$N/has_memory" "$N/has_normal_memory" "$N/has_cpu")" \
	"$(printf '0-1\n%.0s' 1 2 3 4 5)" "... every node mask is 0-1"
is "$(ls "$N/node0" | grep -c '^memory') $(ls "$N/node1" | grep -c '^memory')" "8 16" \
	"... node0 links 8 blocks, node1 16"
is "$(cat "$N/node0/distance" "$N/node1/distance")" "$(printf '10 20\n20 10')" "... distances 10 20 / 20 10"
is "$(cat "$MNT/proc/sys/vm/min_free_kbytes")" 67584 "... min_free_kbytes from three kernel zones"
stop_serve

# QEMU 7.2 took these (a pair given both ways alike counts as given one
# way); the SLIT it builds is the node's distance row, and 6.1's
# build_zonelists() orders node 0's fallback by it: node 2 (15) first.
# (The DIMM onlined movable populates a zone: the zonelists are rebuilt
# and printed.)
check "-numa dist: the distances in the SLIT and in the fallback order" start_serve "${THREE[@]}" \
	-numa dist,src=0,dst=1,val=30 -numa dist,src=1,dst=0,val=30 -numa dist,src=0,dst=2,val=15 \
	-numa dist,src=2,dst=1,val=0x28 -m 3G,slots=2,maxmem=8G --auto-online online_movable \
	-object memory-backend-ram,id=m0,size=1G -device pc-dimm,id=d0,memdev=m0,node=1 \
	--log "$TEST_TMP/log"
is "$(cat "$N/node0/distance" "$N/node1/distance" "$N/node2/distance")" \
	"$(printf '10 30 15\n30 10 40\n15 40 10')" "... each node's row, the missing ways from the given"
poll grep -q 'Fallback order for Node 2: ' "$TEST_TMP/log"
is "$(grep -o 'Fallback order for Node .*' "$TEST_TMP/log" | head -3)" \
	"$(printf 'Fallback order for Node %s \n' '0: 0 2 1' '1: 1 0 2' '2: 2 0 1')" \
	"... node 0 falls back to node 2 (15), node 1 to node 0 (30), node 2 to node 0 (15)"
stop_serve
# A remote distance of 10 passes QEMU; 6.1's slit_valid() sets the table aside.
check "-numa dist: a remote 10 passes QEMU, Linux does not use the table" start_serve "${TWO[@]}" \
	-numa dist,src=0,dst=1,val=10 --log "$TEST_TMP/log10"
is "$(cat "$N/node0/distance")" "10 20" "... node0's row is the default"
poll grep -q 'Zone ranges:' "$TEST_TMP/log10"
is "$(grep -c 'ACPI: SLIT table looks invalid. Not used.' "$TEST_TMP/log10")" 1 "... and the log says why"
stop_serve

# memory_hotplug.memmap_on_memory=1 as an option of its own: a one-block
# DIMM then holds its memmap (128 MiB of 64-byte struct pages) and the
# kernel manages that much less of it, as 6.1's ACPI driver asks for.
memtotal() { awk '$1 == "MemTotal:" {print $2}' "$MNT/proc/meminfo"; }
DIMM=(-m 1G,slots=2,maxmem=2G --device pc-dimm,size=128M --auto-online online_movable)
check "--memmap-on-memory: serve starts" start_serve "${DIMM[@]}" --memmap-on-memory
is "$(cat "$MNT/sys/module/memory_hotplug/parameters/memmap_on_memory")" Y "... the parameter reads Y"
with=$(memtotal)
stop_serve
start_serve "${DIMM[@]}"
is "$(cat "$MNT/sys/module/memory_hotplug/parameters/memmap_on_memory")" N "without it, N"
is "$((${with:-0} + 128 * 1024 / 4 * 64 / 1024))" "$(memtotal)" \
	"... and the DIMM's memmap (2 MiB) is managed memory again"
stop_serve
finish
