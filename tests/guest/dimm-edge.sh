#!/bin/sh
# Case l: DIMM hotplug at the edges. A 130 MiB DIMM (QEMU takes any
# multiple of 2 MiB; Linux adds memory in 128 MiB blocks), then its
# removal, then the removal of the DIMM that was there at boot.
#
#   scripts/linux-guest --append " memhp_default_state=online_movable" \
#       tests/guest/dimm-edge.sh -- -M q35 -m 1G,slots=2,maxmem=4G \
#       -object memory-backend-ram,id=m0,size=512M -device pc-dimm,id=d0,memdev=m0
#   memhp shell -qmp unix:/tmp/q.sock -M q35 -m 1G,slots=2,maxmem=4G \
#       -object memory-backend-ram,id=m0,size=512M -device pc-dimm,id=d0,memdev=m0 \
#       -append memhp_default_state=online_movable \
#       -- env MEMHP_QMP=/tmp/q.sock sh tests/guest/dimm-edge.sh
set -u
. "$(dirname "$0")/lib.sh"

header "l dimm-edge"
events() { if in_linux; then linux-guest-host events | sed 's/^/raw event /'; fi; }
blocks_state() {
	echo "raw blocks $(for b in $(blocks); do [ "$b" -ge 32 ] && printf '%s:%s ' "$b" "$(cat $MEM/memory$b/state)"; done)"
}
dmesg_mark
echo "raw object-add $(qmp '{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram","id":"m1","size":136314880}}')"
echo "raw device_add $(qmp '{"execute":"device_add","arguments":{"driver":"pc-dimm","id":"d1","memdev":"m1"}}')"
sleep 3
blocks_state
result memtotal_after_add "$(meminfo MemTotal)"
echo "raw query-memory-devices $(qmp '{"execute":"query-memory-devices"}')"
echo "raw device_del $(qmp '{"execute":"device_del","arguments":{"id":"d1"}}')"
sleep 3
blocks_state
echo "raw query-memory-devices $(qmp '{"execute":"query-memory-devices"}')"
echo "raw device_del-d0 $(qmp '{"execute":"device_del","arguments":{"id":"d0"}}')"
sleep 5
blocks_state
result memtotal_after_del_d0 "$(meminfo MemTotal)"
echo "raw query-memory-devices $(qmp '{"execute":"query-memory-devices"}')"
echo "raw query-memory-size-summary $(qmp '{"execute":"query-memory-size-summary"}')"
events
dmesg_since
