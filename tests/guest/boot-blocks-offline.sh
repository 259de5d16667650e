#!/bin/sh
# Case b: which boot memory blocks can be offlined, and how do the others
# fail?
#
# Every online block below 4 GiB (or every online block, with ALL=1) gets
# `echo offline > state`, lowest first; a block that went offline is
# brought back online at once, so each attempt sees the same idle guest
# and the guest never runs short of memory. For each block: the errno,
# the time it took, its valid_zones, and (Linux) the kernel log lines it
# produced. At the end a summary line per errno with the block lists.
#
# Env: ALL=1 (every online block, not just those below 4 GiB),
#      KEEP=1 (leave offlined blocks offline).
#
#   scripts/linux-guest tests/guest/boot-blocks-offline.sh -- -m 1G
#   scripts/linux-guest tests/guest/boot-blocks-offline.sh -- -m 4G
#   memhp shell -m 4G -- sh tests/guest/boot-blocks-offline.sh
set -u
. "$(dirname "$0")/lib.sh"

ALL=${ALL:-0}
KEEP=${KEEP:-0}
header "b boot-blocks-offline ALL=$ALL KEEP=$KEEP"
limit=$((4 * 1024 * 1024 * 1024 / $(block_size)))
result block_size "$(block_size)"
result MemTotal_kB "$(meminfo MemTotal)"
ok_list= ebusy_list= einval_list= other_list=
for b in $(blocks); do
	[ "$ALL" = 1 ] || [ "$b" -lt "$limit" ] || continue
	[ "$(cat $MEM/memory$b/state)" = online ] || continue
	zones=$(cat $MEM/memory$b/valid_zones)
	dmesg_mark
	t0=$(now)
	r=$(write_attr offline $MEM/memory$b/state)
	t1=$(now)
	result "offline_memory$b" "$r" "ms=$(ms_between "$t0" "$t1")" "zone=$zones"
	dmesg_since
	case $r in
	ok) ok_list="$ok_list $b"
		if [ "$KEEP" != 1 ]; then
			r2=$(write_attr online $MEM/memory$b/state)
			[ "$r2" = ok ] || result "reonline_memory$b" "$r2"
		fi ;;
	EBUSY) ebusy_list="$ebusy_list $b" ;;
	EINVAL) einval_list="$einval_list $b" ;;
	*) other_list="$other_list $b:$r" ;;
	esac
done
result summary_ok "$(echo $ok_list | wc -w)" "blocks=$(echo $ok_list | tr ' ' ,)"
result summary_EBUSY "$(echo $ebusy_list | wc -w)" "blocks=$(echo $ebusy_list | tr ' ' ,)"
result summary_EINVAL "$(echo $einval_list | wc -w)" "blocks=$(echo $einval_list | tr ' ' ,)"
result summary_other "$(echo $other_list | wc -w)" "blocks=$(echo $other_list | tr ' ' ,)"
result MemTotal_kB_after "$(meminfo MemTotal)"
