#!/bin/sh
# Case j: the virtio balloon and run-time DIMMs, driven over QMP only.
#
# Machine: q35, -m 1G,slots=2,maxmem=4G, a 512 MiB pc-dimm d0 present at
# boot (memory32..35 at 4 GiB), a virtio-balloon-pci "balloon0", and
# memhp_default_state=online_movable, so the DIMM's blocks come up in
# ZONE_MOVABLE and the balloon's movable pages land there first.
#
#  1. the guest writes and frees 256 MiB, then balloon to 1536 MiB - 256 MiB:
#     query-balloon, MemTotal, QEMU's RSS,
#     the BALLOON_CHANGE events, /proc/vmstat's balloon counters;
#  2. offline memory32 and memory33: the balloon pages there migrate
#     (balloon_migrate), the balloon keeps its size;
#  3. guest-stats with a 2 s polling interval, against /proc/meminfo;
#  4. balloon back to 1536 MiB: the deflate, RSS and MemTotal again;
#  5. object-add + device_add of a 128 MiB pc-dimm d1: the guest adds and
#     onlines it; query-memory-devices; device_del d1: the guest offlines
#     and removes it; the ACPI_DEVICE_OST and DEVICE_DELETED events;
#  6. auto_online_blocks=online, a third DIMM d2 goes to ZONE_NORMAL,
#     where the kernel allocates at once: device_del d2 fails in the
#     guest, QEMU keeps the DIMM; the events again.
#
#   scripts/linux-guest --append " memhp_default_state=online_movable" \
#       tests/guest/balloon-dimm-qmp.sh -- -M q35 -m 1G,slots=2,maxmem=4G \
#       -object memory-backend-ram,id=m0,size=512M -device pc-dimm,id=d0,memdev=m0 \
#       -device virtio-balloon-pci,id=balloon0
#   memhp shell --qmp unix:/tmp/q.sock -m 1G,slots=2,maxmem=4G \
#       -object memory-backend-ram,id=m0,size=512M -device pc-dimm,id=d0,memdev=m0 \
#       -device virtio-balloon-pci,id=balloon0 -append memhp_default_state=online_movable \
#       -- env MEMHP_QMP=/tmp/q.sock sh tests/guest/balloon-dimm-qmp.sh
set -u
. "$(dirname "$0")/lib.sh"

MiB=1048576
header "j balloon-dimm-qmp"

vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
rss() { if in_linux; then linux-guest-host rss; else echo n/a; fi; }
events() { if in_linux; then linux-guest-host events | sed 's/^/raw event /'; fi; }
# wait_for SECONDS CMD...: poll CMD every 0.2 s; 1 after SECONDS.
wait_for() {
	_n=$(($1 * 5))
	shift
	while ! "$@"; do
		_n=$((_n - 1))
		[ $_n -gt 0 ] || return 1
		sleep 0.2
	done
}
vmstat_is() { [ "$(vmstat "$1")" = "$2" ]; }
block_exists() { [ -d $MEM/memory$1 ]; }
block_gone() { [ ! -d $MEM/memory$1 ]; }
block_online() { [ "$(cat $MEM/memory$1/state 2>/dev/null)" = online ]; }
balloon_state() {
	result "$1" "MemTotal=$(meminfo MemTotal)" "MemFree=$(meminfo MemFree)" \
		"balloon_inflate=$(vmstat balloon_inflate)" "balloon_deflate=$(vmstat balloon_deflate)" \
		"balloon_migrate=$(vmstat balloon_migrate)" "rss_kb=$(rss)"
	echo "raw query-balloon $(qmp '{"execute":"query-balloon"}')"
}
blocks_state() {
	for b in $(blocks); do
		[ "$b" -ge 32 ] || continue
		echo "raw block memory$b $(cat $MEM/memory$b/state) $(cat $MEM/memory$b/valid_zones)"
	done
}

blocks_state
balloon_state boot
echo "raw query-memory-devices $(qmp '{"execute":"query-memory-devices"}')"
echo "raw query-memory-size-summary $(qmp '{"execute":"query-memory-size-summary"}')"

# 1. the guest touches 256 MiB (a file in /dev/shm, written then
# removed: the pages are free again, and resident on the host), then the
# balloon takes 256 MiB (QEMU's RAM size is -m plus the DIMMs: 1536 MiB).
dd if=/dev/zero of=/dev/shm/fill bs=1M count=256 2>/dev/null
rm /dev/shm/fill
balloon_state touched
echo "raw balloon $(qmp "{\"execute\":\"balloon\",\"arguments\":{\"value\":$((1280 * MiB))}}")"
wait_for 120 vmstat_is balloon_inflate 65536 || echo "info inflate did not finish"
sleep 2
balloon_state inflated
events

# 2. offline two DIMM blocks: their balloon pages migrate.
for b in 32 33; do
	before=$(vmstat balloon_migrate)
	r=$(write_attr offline $MEM/memory$b/state)
	result "offline_memory$b" "$r" "balloon_migrate_delta=$(($(vmstat balloon_migrate) - before))"
done
balloon_state after_offline

# 3. guest-stats every 2 s.
echo "raw qom-set-interval $(qmp '{"execute":"qom-set","arguments":{"path":"balloon0","property":"guest-stats-polling-interval","value":2}}')"
sleep 5
echo "raw guest-stats $(qmp '{"execute":"qom-get","arguments":{"path":"balloon0","property":"guest-stats"}}')"
result meminfo_now "MemTotal=$(meminfo MemTotal)" "MemFree=$(meminfo MemFree)" \
	"MemAvailable=$(meminfo MemAvailable)" "Cached=$(meminfo Cached)" \
	"pgfault=$(vmstat pgfault)" "pgmajfault=$(vmstat pgmajfault)"
echo "raw qom-set-interval0 $(qmp '{"execute":"qom-set","arguments":{"path":"balloon0","property":"guest-stats-polling-interval","value":0}}')"

# 4. deflate.
echo "raw balloon $(qmp "{\"execute\":\"balloon\",\"arguments\":{\"value\":$((1536 * MiB))}}")"
wait_for 120 vmstat_is balloon_deflate 65536 || echo "info deflate did not finish"
sleep 2
balloon_state deflated
events
for b in 32 33; do
	result "online_memory$b" "$(write_attr online_movable $MEM/memory$b/state)"
done

# 5. a DIMM at run time, and its removal.
echo "raw object-add $(qmp "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-ram\",\"id\":\"m1\",\"size\":$((128 * MiB))}}")"
echo "raw device_add $(qmp '{"execute":"device_add","arguments":{"driver":"pc-dimm","id":"d1","memdev":"m1"}}')"
wait_for 60 block_online 36 || echo "info memory36 did not come online"
sleep 1
blocks_state
balloon_state dimm_added
echo "raw query-memory-devices $(qmp '{"execute":"query-memory-devices"}')"
echo "raw query-memory-size-summary $(qmp '{"execute":"query-memory-size-summary"}')"
events
echo "raw device_del $(qmp '{"execute":"device_del","arguments":{"id":"d1"}}')"
wait_for 60 block_gone 36 || echo "info memory36 is still there"
sleep 1
blocks_state
echo "raw query-memory-devices $(qmp '{"execute":"query-memory-devices"}')"
echo "raw query-memory-size-summary $(qmp '{"execute":"query-memory-size-summary"}')"
balloon_state dimm_removed
events
echo "raw object-del $(qmp '{"execute":"object-del","arguments":{"id":"m1"}}')"

# 6. a DIMM in ZONE_NORMAL cannot be ejected.
result auto_online "$(write_attr online $MEM/auto_online_blocks)"
echo "raw object-add $(qmp "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-ram\",\"id\":\"m2\",\"size\":$((128 * MiB))}}")"
echo "raw device_add $(qmp '{"execute":"device_add","arguments":{"driver":"pc-dimm","id":"d2","memdev":"m2"}}')"
wait_for 60 block_online 36 || echo "info memory36 did not come online"
sleep 1
blocks_state
dmesg_mark
echo "raw device_del $(qmp '{"execute":"device_del","arguments":{"id":"d2"}}')"
sleep 5
blocks_state
echo "raw query-memory-devices $(qmp '{"execute":"query-memory-devices"}')"
echo "raw device_del-again $(qmp '{"execute":"device_del","arguments":{"id":"d2"}}')"
sleep 5
echo "raw query-memory-devices $(qmp '{"execute":"query-memory-devices"}')"
events
dmesg_since
