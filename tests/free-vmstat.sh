#!/bin/bash
# SPDX-License-Identifier: MIT
# free and vmstat (procps) against a memhp machine inside "memhp shell":
# what they print comes from the served /proc/meminfo, and that follows
# the model: MemTotal is the zones' managed pages (zoneinfo, node0/meminfo
# say the same), and offlining a free block takes exactly a block from it.

. "$(dirname "$0")/lib.bash"

meminfo() { # field in kB
	awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo
}

part_free() {
	local total free avail shmem cached line used total2 managed cache
	total=$(meminfo MemTotal)
	free=$(meminfo MemFree)
	avail=$(meminfo MemAvailable)
	shmem=$(meminfo Shmem)
	cached=$(meminfo Cached)

	# --anon-memory 64M is shared anonymous memory: Shmem, and Cached.
	is "$shmem $cached" "65536 65536" "the anonymous memory is Shmem, and Cached"
	line=$(free -b | awk '$1 == "Mem:"')
	set -- $line
	# procps: buff/cache is Buffers + Cached + SReclaimable.
	cache=$(($(meminfo Buffers) + cached + $(meminfo SReclaimable)))
	is "$2 $4 $5 $6 $7" \
		"$((total * 1024)) $((free * 1024)) $((shmem * 1024)) $((cache * 1024)) $((avail * 1024))" \
		"free -b: total, free, shared, buff/cache, available are meminfo's"
	used=$3
	if [ "$used" = $(((total - avail) * 1024)) ] || [ "$used" = $(((total - free) * 1024)) ]; then
		ok "free -b: used follows from them"
	else
		not_ok "free -b: used follows from them"
		diag "$line"
	fi
	is "$(free -b | awk '$1 == "Swap:" {print $2 $3 $4}')" 000 "free -b: no swap"

	managed=$(awk '$1 == "managed" {s += $2} END {print s * 4}' /proc/zoneinfo)
	is "$managed" "$total" "MemTotal is the sum of the zones' managed pages"
	is "$(awk '$3 == "MemTotal:" {print $4}' /sys/devices/system/node/node0/meminfo)" \
		"$total" "node0/meminfo has the same MemTotal"

	echo offline > $MEM/memory33/state
	total2=$(free -b | awk '$1 == "Mem:" {print $2}')
	is "$((total * 1024 - total2))" "$(printf %d 0x$(cat $MEM/block_size_bytes))" \
		"free -b after offlining a free block: exactly one block less"
	echo online_movable > $MEM/memory33/state
	is "$(free -b | awk '$1 == "Mem:" {print $2}')" "$((total * 1024))" \
		"... and it is back after onlining it"

	# --anon-memory 64M is in use: MemFree tells.
	is "$(((total - free) >= 65536))" 1 "memory in use shows in MemTotal - MemFree"
}

part_vmstat() {
	local free
	free=$(meminfo MemFree)
	is "$(vmstat | awk 'NR == 3 {print $3, $4, $5, $6}')" \
		"0 $free 0 $(($(meminfo Cached) + $(meminfo SReclaimable)))" \
		"vmstat: swpd, free, buff, cache"
	is "$(vmstat -s | awk '/K total memory/ {print $1}')" "$(meminfo MemTotal)" \
		"vmstat -s: total memory"
	is "$(vmstat -s | awk '/K free memory/ {print $1}')" "$free" "vmstat -s: free memory"
	is "$(vmstat -S M | awk 'NR == 3 {print $4}')" "$((free / 1024))" "vmstat -S M: free in MiB"
}

tap_init "$0" "$@"
require_tools free vmstat
# The guest kernel boots, but stands still: these compare one read of
# /proc/meminfo with another.
STILL=--guest-kernel=idle-objects=0,background-tasks=0,programs=off
in_shell "$STILL" -m 1G --device pc-dimm,size=512M --auto-online online_movable \
	--anon-memory 64M -- part_free
in_shell "$STILL" -m 1G -- part_vmstat
finish
