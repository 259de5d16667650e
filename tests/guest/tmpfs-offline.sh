#!/bin/sh
# Case e: what 512 MiB of tmpfs costs, and whether offlining the movable
# blocks that hold it migrates it.
#
# Machine: q35 -m 1G,slots=4,maxmem=16G with a 1 GiB pc-dimm whose blocks
# come up in ZONE_MOVABLE (memhp_default_state=online_movable), where
# shmem pages go first. We write $MIB MiB to /dev/shm/f with dd, record
# MemFree and Shmem before and after and which blocks hold the pages
# (kpageflags: LRU pages per block); then offline every online Movable
# block, highest first, recording the errno, the time and MemFree/Shmem
# (the pages must move to the blocks still online, then to DMA32); then
# `rm` the file and record the counters once more.
#
# memhp has no tmpfs: under `memhp shell --anon-memory 512M` the movable
# data stands in for the file (dd and rm are skipped there).
#
# Env: MIB (512).
#
#   scripts/linux-guest --append memhp_default_state=online_movable \
#       tests/guest/tmpfs-offline.sh -- -m 1G,slots=4,maxmem=16G \
#       -object memory-backend-ram,id=m0,size=1G -device pc-dimm,id=d0,memdev=m0
#   memhp shell -m 1G,slots=4,maxmem=16G --device pc-dimm,id=d0,size=1G \
#       --auto-online online_movable --anon-memory 512M \
#       -- sh tests/guest/tmpfs-offline.sh
set -u
. "$(dirname "$0")/lib.sh"

MIB=${MIB:-512}
header "e tmpfs-offline MIB=$MIB"
counters() {
	echo "MemFree=$(meminfo MemFree) Shmem=$(meminfo Shmem) MemTotal=$(meminfo MemTotal)" \
		"movable_free_pages=$(zone_field Movable free) dma32_free_pages=$(zone_field DMA32 free)"
}
movable_blocks() {
	for b in $(blocks); do
		[ "$(cat $MEM/memory$b/state)" = online ] &&
			[ "$(cat $MEM/memory$b/valid_zones)" = Movable ] && echo "$b"
	done
}
per_block_lru() {
	for b in $(movable_blocks); do
		h=$(kpf_histogram "$(block_first_pfn "$b")" "$(block_pages)")
		echo "memory$b:$(echo "$h" | sed -n 's/.* lru=\([0-9]*\).*/\1/p')"
	done | tr '\n' ' '
}

result movable_blocks "$(movable_blocks | tr '\n' ,)"
result before_write "$(counters)"
read -r t0 _ < /proc/uptime
dd if=/dev/zero of=/dev/shm/f bs=1M count="$MIB" 2>/dev/null
read -r t1 _ < /proc/uptime
result dd "ok" "ms=$(ms_between "$t0" "$t1")"
result after_write "$(counters)"
result lru_pages_per_block "$(per_block_lru)"

for b in $(movable_blocks | sort -rn); do
	dmesg_mark
	read -r t0 _ < /proc/uptime
	r=$(write_attr offline $MEM/memory$b/state)
	read -r t1 _ < /proc/uptime
	result "offline_memory$b" "$r" "ms=$(ms_between "$t0" "$t1")" "$(counters)"
	dmesg_since | grep -v '<[67]>' || true
done
result lru_pages_per_block_after "$(per_block_lru)"
result file_after_offline "bytes=$(wc -c < /dev/shm/f)" "nonzero_bytes=$(tr -d '\000' < /dev/shm/f | wc -c)"
rm /dev/shm/f
result after_rm "$(counters)"
