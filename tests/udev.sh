#!/bin/bash
# SPDX-License-Identifier: MIT
# A udev-style auto-online script against virtio-mem, driven over QMP as a
# VMM's tooling drives it: the script is the uevent helper of a "memhp
# shell" (as with CONFIG_UEVENT_HELPER) and does what the usual udev rule
#   SUBSYSTEM=="memory", ACTION=="add", ATTR{state}=="offline",
#   ATTR{state}="online_movable"
# does. A qom-set of requested-size makes the guest driver plug memory and
# add blocks; the script must have onlined every one of them, movable,
# before the checks below read the machine through lsmem and /proc.

. "$(dirname "$0")/lib.bash"

HERE=$(cd "$(dirname "$0")" && pwd)
MiB=$((1 << 20))
GiB=$((1 << 30))
BLOCK=$((128 * MiB))
# Boot RAM 1G ends at block 8; device memory (and the virtio-mem region)
# starts at 4 GiB: memory32.
FIRST_BLOCK=32

# The helper: one line per event, then the rule.
write_helper() {
	cat > "$TEST_TMP/udev-helper" <<EOF
#!/bin/sh
echo "\$SEQNUM \$ACTION \$DEVPATH \$1" >> "$TEST_TMP/events"
if [ "\$1" = memory ] && [ "\$ACTION" = add ] && [ "\$(cat /sys\$DEVPATH/state)" = offline ]; then
	echo online_movable > /sys\$DEVPATH/state
fi
EOF
	chmod +x "$TEST_TMP/udev-helper"
}

qmp() {
	python3 "$HERE/qmp.py" "$TEST_TMP/qmp" "$@"
}

# count ACTION FIRST LAST: events of that action for blocks FIRST..LAST
count() {
	awk -v a="$1" -v f="$2" -v l="$3" '
		$2 == a { n = $3; sub(/.*memory/, "", n); if (n + 0 >= f && n + 0 <= l) c++ }
		END { print c + 0 }' "$TEST_TMP/events"
}

# Every block of FIRST..LAST had its add before its online.
added_before_online() {
	awk -v f="$1" -v l="$2" '
		{ n = $3; sub(/.*memory/, "", n); n += 0 }
		n < f || n > l { next }
		$2 == "add" { added[n] = 1 }
		$2 == "online" && !added[n] { bad = 1 }
		END { exit bad }' "$TEST_TMP/events"
}

# Conditions to poll for (poll runs its command again each time; a
# $(...) in its arguments would be taken once).
events_are() {	# ACTION FIRST LAST N
	[ "$(count "$1" "$2" "$3")" = "$4" ]
}
state_is() {	# BLOCK STATE
	[ "$(state_of "$1")" = "$2" ]
}
nr_blocks_is() {	# GLOB N
	[ "$(ls -d "$MEM"/$1 2>/dev/null | wc -l)" = "$2" ]
}

memtotal_kb() {
	awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo
}

part_plug() {
	local before last=$((FIRST_BLOCK + 7))

	before=$(memtotal_kb)
	is "$(lsmem -r -o RANGE,STATE,BLOCK,ZONES --summary=never | tail -n +2 | wc -l)" 2 \
		"before the qom-set: boot memory only (two ranges)"
	is "$(qmp set vm0 $GiB)" "" "qom-set requested-size 1G returns at once, empty"
	is "$(qmp wait-size vm0 $GiB)" $GiB "MEMORY_DEVICE_SIZE_CHANGE reports 1G plugged"
	poll events_are online $FIRST_BLOCK $last 8 ||
		diag "events:" "$(cat "$TEST_TMP/events")"
	is "$(count online $FIRST_BLOCK $last)" 8 "8 online events, one per block"
	check "each block was added before it was onlined" added_before_online $FIRST_BLOCK $last
	is "$(lsmem -r -o RANGE,STATE,BLOCK,ZONES --summary=never | tail -n 1)" \
		"0x0000000100000000-0x000000013fffffff online 32-39 Movable" \
		"lsmem: the plugged gigabyte is online, in ZONE_MOVABLE"
	is $(($(memtotal_kb) - before)) $((GiB / 1024)) "MemTotal grew by exactly 1 GiB"
	is "$(awk '{ print $1 }' "$TEST_TMP/events" | sort -n -c 2>&1 && echo sorted)" \
		sorted "helpers ran in SEQNUM order"
	is "$(tail -n 1 "$TEST_TMP/events" | cut -d' ' -f1)" "$(cat /sys/kernel/uevent_seqnum 2>/dev/null ||
		cat "$MEMHP_ROOT/sys/kernel/uevent_seqnum")" "the last event's SEQNUM is uevent_seqnum"

	# Unplug half: the driver offlines and removes movable blocks itself.
	: > "$TEST_TMP/events"
	is "$(qmp set vm0 $((GiB / 2)))" "" "qom-set requested-size 512M"
	is "$(qmp wait-size vm0 $((GiB / 2)))" $((GiB / 2)) "MEMORY_DEVICE_SIZE_CHANGE reports 512M"
	poll events_are remove $FIRST_BLOCK $last 4
	is "$(count offline $FIRST_BLOCK $last) $(count remove $FIRST_BLOCK $last)" "4 4" \
		"4 blocks went offline and were removed, with their uevents"
	is "$(lsmem -r -o RANGE,STATE,BLOCK,ZONES --summary=never | tail -n +4 | wc -l) $(($(memtotal_kb) - before))" \
		"1 $((GiB / 2 / 1024))" "lsmem and MemTotal: 512M of virtio-mem memory left"
}

# "udevadm trigger": writing "add" to each block's uevent file replays the
# event, and the helper onlines what boot left offline.
part_coldplug() {
	local f

	is "$(state_of $FIRST_BLOCK) $(state_of $((FIRST_BLOCK + 1)))" "offline offline" \
		"the DIMM's blocks are offline after boot"
	for f in "$MEM"/memory*/uevent; do
		echo add > "$f"
	done
	poll events_are add $FIRST_BLOCK $((FIRST_BLOCK + 1)) 2
	poll state_is $((FIRST_BLOCK + 1)) online
	is "$(state_of $FIRST_BLOCK) $(state_of $((FIRST_BLOCK + 1)))" "online online" \
		"the replayed add events onlined them"
	is "$(cat "$MEM/memory$FIRST_BLOCK/valid_zones")" Movable "as movable memory"
	is "$(grep -c 'add /devices/system/memory/memory0 memory' "$TEST_TMP/events")" 1 \
		"boot blocks get their replayed event too (and stay as they are)"
}

# Without a helper, virtio-mem's blocks stay offline: the check above
# would fail without the helper. Here the driver waits once it has more
# than its offline threshold (1 GiB) added but not onlined.
part_no_helper() {
	is "$(qmp set vm0 $GiB)" "" "qom-set requested-size 1G, nobody onlines"
	is "$(qmp wait-size vm0 $GiB)" $GiB "the device plugged 1G"
	poll nr_blocks_is 'memory3[2-9]' 8
	is "$(cat "$MEM"/memory3[2-9]/state | sort -u)" offline "its 8 blocks are added, offline"
}

tap_init "$0" "$@"
require_tools lsmem python3 awk
write_helper
: > "$TEST_TMP/events"
in_shell -m 1G --device virtio-mem,id=vm0,size=4G,block-size=2M,requested-size=0 \
	--qmp "unix:$TEST_TMP/qmp" --uevent-helper "$TEST_TMP/udev-helper" -- part_plug
: > "$TEST_TMP/events"
in_shell -m 1G --device pc-dimm,id=d0,size=256M --uevent-helper "$TEST_TMP/udev-helper" \
	-- part_coldplug
in_shell -m 1G --device virtio-mem,id=vm0,size=4G,requested-size=0 --qmp "unix:$TEST_TMP/qmp" \
	-- part_no_helper
finish
