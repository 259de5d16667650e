#!/bin/sh
# Case c: how much of a virtio-mem device stays plugged when the host asks
# for all of it back from an idle guest?
#
# The device starts with requested-size 2G (QEMU: requested-size=2G), its
# driver plugs it at probe and the blocks come online as the kernel
# command line says (memhp_default_state=online or online_kernel: ZONE_NORMAL;
# online_movable: ZONE_MOVABLE). Once all of it is plugged and online, we
# set requested-size to 0 over QMP and poll the device's `size` and
# MemTotal once a second until neither has changed for $STABLE_S seconds
# (at least $MIN_S, at most $MAX_S). Each change is printed with its time.
#
# Env: DEV (QOM path, default /machine/peripheral/vm0), TARGET (bytes,
#      default 0), STABLE_S (15), MIN_S (0), MAX_S (65).
#
#   scripts/linux-guest --append memhp_default_state=online \
#       tests/guest/virtio-mem-unplug.sh -- -m 1G,maxmem=16G \
#       -object memory-backend-ram,id=mem0,size=4G \
#       -device virtio-mem-pci,id=vm0,memdev=mem0,requested-size=2G
#   memhp shell -m 1G,maxmem=16G --auto-online online \
#       --device virtio-mem,id=vm0,size=4G,requested-size=2G --qmp unix:/tmp/q \
#       -- env MEMHP_QMP=/tmp/q sh tests/guest/virtio-mem-unplug.sh
set -u
. "$(dirname "$0")/lib.sh"

DEV=${DEV:-/machine/peripheral/vm0}
TARGET=${TARGET:-0}
STABLE_S=${STABLE_S:-15}
MIN_S=${MIN_S:-0}
MAX_S=${MAX_S:-65}
header "c virtio-mem-unplug TARGET=$TARGET"
result auto_online_blocks "$(cat $MEM/auto_online_blocks)"

# Wait (at most 120 s) for the plug at probe to finish and come online.
req=$(qom_get "$DEV" requested-size)
i=0
while :; do
	size=$(qom_get "$DEV" size)
	offline=$(grep -l offline $MEM/memory*/state 2>/dev/null | wc -l)
	[ "$size" = "$req" ] && [ "$offline" = 0 ] && break
	i=$((i + 1))
	[ $i -lt 120 ] || break
	sleep 1
done
result plugged_before "$size" "requested=$req" "offline_blocks=$offline" "waited_s=$i"
result MemTotal_kB_before "$(meminfo MemTotal)"
for z in Normal Movable; do
	result "zone_${z}_before" "present=$(zone_field $z present)" "managed=$(zone_field $z managed)" \
		"free=$(zone_field $z free)"
done
result blocks_before "$(ls -d $MEM/memory* | wc -l)"

dmesg_mark
t0=$(now)
result qom_set "$(qom_set "$DEV" requested-size "$TARGET")"
last_size=$size
last_total=$(meminfo MemTotal)
last_change=0
s=0
while [ $s -lt "$MAX_S" ]; do
	sleep 1
	s=$(($(ms_between "$t0" "$(now)") / 1000))
	size=$(qom_get "$DEV" size)
	total=$(meminfo MemTotal)
	if [ "$size" != "$last_size" ] || [ "$total" != "$last_total" ]; then
		result change "t_s=$s" "size=$size" "MemTotal_kB=$total"
		last_size=$size
		last_total=$total
		last_change=$s
	fi
	[ $((s - last_change)) -ge "$STABLE_S" ] && [ $s -ge "$MIN_S" ] && break
done
result plugged_after "$size" "settled_at_s=$last_change" "polled_s=$s"
result MemTotal_kB_after "$(meminfo MemTotal)"
for z in Normal Movable; do
	result "zone_${z}_after" "present=$(zone_field $z present)" "managed=$(zone_field $z managed)" \
		"free=$(zone_field $z free)"
done
result blocks_after "$(ls -d $MEM/memory* | wc -l)"
for d in $MEM/memory*; do
	b=${d##*memory}
	[ "$b" -ge 32 ] || continue
	echo "raw block memory$b $(cat "$d/state") $(cat "$d/valid_zones")"
	# What is left in a block that stayed: the kpageflags histogram, and
	# the 2 MiB subblocks that are not all PageOffline (still plugged).
	result "kpageflags_memory$b" "$(kpf_histogram "$(block_first_pfn "$b")" "$(block_pages)")"
	dd if=/proc/kpageflags bs=8 skip="$(block_first_pfn "$b")" count="$(block_pages)" 2>/dev/null |
		od -An -v -t u4 -w8 | awk -v b="$b" '
		{ sb = int((NR - 1) / 512); if (int($1 / 8388608) % 2 == 0) plugged[sb]++ }
		END { for (i = 0; i < 64; i++) if (plugged[i]) printf "result plugged_subblock memory%s sb%d not_PageOffline=%d\n", b, i, plugged[i] }'
done
dmesg_since
