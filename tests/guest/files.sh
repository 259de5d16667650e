#!/bin/sh
# Case f: the exact contents of the files a hotplug tool or a person reads,
# in a guest with a DIMM and a virtio-mem device, so that memhp's files can
# be compared byte for byte.
#
# Prints each file verbatim, every line prefixed "raw FILE ": /proc/iomem,
# /proc/cmdline, /sys/module/virtio_mem/parameters/*, a recursive listing
# of /sys/bus/virtio/drivers/virtio_mem, /sys/firmware/memmap/*/{start,end,type},
# /proc/vmstat (with a count of its keys and of those nonzero), the
# /proc/slabinfo header and first 20 caches, /proc/buddyinfo, the head of
# /proc/zoneinfo, /proc/meminfo, /proc/pagetypeinfo, the memory block
# directory of one block and lsmem. Under memhp, files it does not serve
# print "n/a" instead of the host's.
#
#   scripts/linux-guest --append memhp_default_state=online_movable \
#       tests/guest/files.sh -- -m 1G,slots=4,maxmem=16G \
#       -object memory-backend-ram,id=m0,size=1G -device pc-dimm,id=d0,memdev=m0 \
#       -object memory-backend-ram,id=mem0,size=4G \
#       -device virtio-mem-pci,id=vm0,memdev=mem0,requested-size=1G
#   memhp shell -m 1G,slots=4,maxmem=16G --auto-online online_movable \
#       --device pc-dimm,id=d0,size=1G --device virtio-mem,id=vm0,size=4G,requested-size=1G \
#       -- sh tests/guest/files.sh
set -u
. "$(dirname "$0")/lib.sh"

header "f files"
show() { # FILE [head-lines]
	if [ ! -e "$1" ]; then echo "raw $1 (missing)"; return; fi
	if [ $# -gt 1 ]; then head -n "$2" "$1"; else cat "$1"; fi | sed "s|^|raw $1 |"
}

# Wait (at most 60 s) for virtio-mem to plug what it was asked to.
if in_linux && [ -d /sys/bus/virtio/drivers/virtio_mem ]; then
	i=0
	while [ $i -lt 60 ]; do
		req=$(qom_get /machine/peripheral/vm0 requested-size)
		[ "$(qom_get /machine/peripheral/vm0 size)" = "$req" ] && break
		sleep 1
		i=$((i + 1))
	done
	result virtio_mem_plugged_after_s "$i"
fi

show /proc/iomem
show /proc/cmdline
for p in /sys/module/virtio_mem/parameters/*; do
	[ -e "$p" ] || { echo "raw /sys/module/virtio_mem/parameters (missing)"; break; }
	echo "raw $p $(cat "$p")"
done
if [ -d /sys/bus/virtio/drivers/virtio_mem ]; then
	ls -lR /sys/bus/virtio/drivers/virtio_mem 2>&1 | sed 's|^|raw ls-R /sys/bus/virtio/drivers/virtio_mem |'
fi
for m in $(ls /sys/firmware/memmap | sort -n); do
	d=/sys/firmware/memmap/$m
	echo "raw /sys/firmware/memmap $m $(cat $d/start) $(cat $d/end) $(cat $d/type)"
done
result vmstat_keys "$(wc -l < /proc/vmstat)" "nonzero=$(awk '$2 != 0' /proc/vmstat | wc -l)"
show /proc/vmstat
show /proc/slabinfo 22
show /proc/buddyinfo
show /proc/zoneinfo 60
show /proc/meminfo
show /proc/pagetypeinfo
for f in $MEM/memory32/*; do
	[ -f "$f" ] || continue
	case ${f##*/} in uevent) v=$(cat "$f" | tr '\n' '|') ;; *) v=$(cat "$f" 2>&1) ;; esac
	echo "raw $f $v"
done
ls -l $MEM/memory32 | sed "s|^|raw ls $MEM/memory32 |"
echo "raw ls $MEM $(ls $MEM | tr '\n' ' ')"
if command -v lsmem > /dev/null; then
	lsmem -o RANGE,SIZE,STATE,BLOCK,ZONES 2>&1 | sed 's|^|raw lsmem |'
fi
