#!/bin/sh
# Case i: the watermarks and the vm sysctls, at boot and as memory comes
# online: min_free_kbytes, each zone's min/low/high and protection, and
# every readable file of /proc/sys/vm, before and after a DIMM's blocks
# come online (Movable, then Normal if KERNEL_TOO=1).
#
#   scripts/linux-guest tests/guest/vm-sysctl.sh -- -m 1G,slots=4,maxmem=16G \
#       -object memory-backend-ram,id=m0,size=1G -device pc-dimm,id=d0,memdev=m0
#   memhp shell -m 1G,slots=4,maxmem=16G --dimm 1G -- sh tests/guest/vm-sysctl.sh
set -u
. "$(dirname "$0")/lib.sh"
header "i vm-sysctl"

dump() { # LABEL
	result "min_free_kbytes_$1" "$(cat /proc/sys/vm/min_free_kbytes)"
	awk -v l="$1" '
		/^Node/ { z = $4 }
		$1 == "min" || $1 == "low" || $1 == "high" || $1 == "managed" { w[z] = w[z] " " $1 "=" $2 }
		$1 == "protection:" { p = $0; sub(/.*protection: /, "", p); gsub(/ /, "", p); w[z] = w[z] " protection=" p }
		END { for (z in w) print "result zone_" z "_" l w[z] }' /proc/zoneinfo | sort
	result "MemAvailable_$1" "$(meminfo MemAvailable)" "MemFree=$(meminfo MemFree)"
}

dump boot
for f in /proc/sys/vm/*; do
	n=${f##*/}
	if [ -r "$f" ] && v=$(cat "$f" 2>/dev/null); then
		result "vm.$n" "$(echo "$v" | tr '\t\n' '  ' | sed 's/ *$//')" "mode=$(stat -c %a "$f")"
	else
		result "vm.$n" "-" "mode=$(stat -c %a "$f")"
	fi
done
result swaps "$(cat /proc/swaps | tr '\t' ' ' | tr -s ' ')"
for f in /proc/pressure/memory; do
	[ -e "$f" ] && result pressure_memory "$(head -1 $f)" || result pressure_memory absent
done
result sys_kernel_mm "$(ls /sys/kernel/mm 2>/dev/null | tr '\n' ' ')"

# The DIMM's blocks (the offline ones) online_movable, then dump again.
for d in $MEM/memory*; do
	[ "$(cat $d/state)" = offline ] || continue
	write_attr online_movable $d/state >/dev/null
done
dump movable
if [ "${KERNEL_TOO:-0}" = 1 ]; then
	for d in $MEM/memory*; do
		[ "$(cat $d/valid_zones)" = Movable ] || continue
		write_attr offline $d/state >/dev/null
		write_attr online_kernel $d/state >/dev/null
	done
	dump kernel
fi
