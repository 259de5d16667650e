#!/bin/sh
# Case a: can a DIMM block onlined to ZONE_NORMAL be offlined again?
#
# Machine: q35, -m 1G,slots=4,maxmem=16G, one 1 GiB pc-dimm present at
# boot: memory32..39 at 4 GiB, offline (Debian's memhp_default_state).
# Each block in $BLOCKS is onlined with "online" (ZONE_NORMAL: the guest's
# first Normal memory, so the kernel allocates from it at once), left
# alone for $SLEEP seconds (0: not at all), then offlined. Before the
# offline we record what is in the block: zone Normal's free and managed
# pages (the block is the zone as long as it is the only Normal block),
# the /proc/kpageflags histogram of its pfns (KPF_BUDDY marks every free
# page, "zero" counts pages without any flag: per-cpu free lists and the
# kernel's flagless pages) and the zone's pageblock types; after a failed
# offline, the same again; and the kernel log.
#
# Env: BLOCKS (default "32"), SLEEP (default 2).
#
#   scripts/linux-guest tests/guest/dimm-normal-offline.sh -- -M q35 \
#       -m 1G,slots=4,maxmem=16G -object memory-backend-ram,id=m0,size=1G \
#       -device pc-dimm,id=d0,memdev=m0
#   memhp shell -m 1G,slots=4,maxmem=16G --device pc-dimm,id=d0,size=1G \
#       -- sh tests/guest/dimm-normal-offline.sh
set -u
. "$(dirname "$0")/lib.sh"

BLOCKS=${BLOCKS:-32}
SLEEP=${SLEEP:-2}
header "a dimm-normal-offline BLOCKS=$BLOCKS SLEEP=$SLEEP"
pages=$(block_pages)

snapshot() { # BLOCK WHEN
	result "zone_normal_$2_memory$1" "free=$(zone_field Normal free)" \
		"managed=$(zone_field Normal managed)" "present=$(zone_field Normal present)"
	result "kpageflags_$2_memory$1" "$(kpf_histogram "$(block_first_pfn "$1")" "$pages")"
	pageblocks_of_zone Normal | sed "s/^/raw pagetypeinfo_$2_memory$1 /"
	result "meminfo_$2_memory$1" "MemFree=$(meminfo MemFree)" "Slab=$(meminfo Slab)" \
		"PageTables=$(meminfo PageTables)" "KernelStack=$(meminfo KernelStack)"
}

for b in $BLOCKS; do
	result "valid_zones_memory$b" "$(cat $MEM/memory$b/valid_zones | tr ' ' ,)"
	dmesg_mark
	if [ "$SLEEP" = 0 ]; then
		# Nothing runs between the two writes but the second /bin/echo
		# itself (whose page tables and kernel stack come from the new
		# Normal memory too); what we look at comes after.
		# (read, not $(now): no process of our own in between)
		r_on=$(write_attr online $MEM/memory$b/state)
		read -r t0 _ < /proc/uptime
		r=$(write_attr offline $MEM/memory$b/state)
		read -r t1 _ < /proc/uptime
		result "online_memory$b" "$r_on"
	else
		r_on=$(write_attr online $MEM/memory$b/state)
		result "online_memory$b" "$r_on" "zone=$(cat $MEM/memory$b/valid_zones)"
		sleep "$SLEEP"
		snapshot "$b" before_offline
		t0=$(now)
		r=$(write_attr offline $MEM/memory$b/state)
		t1=$(now)
	fi
	result "offline_memory$b" "$r" "ms=$(ms_between "$t0" "$t1")" \
		"state=$(cat $MEM/memory$b/state)" "zone=$(cat $MEM/memory$b/valid_zones)"
	[ "$r" = ok ] || snapshot "$b" after_failed_offline
	dmesg_since
done
