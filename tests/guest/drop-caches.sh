#!/bin/sh
# Case i (part 2): what drop_caches frees in an idle guest, what it counts
# in /proc/vmstat and what it logs. Linux (6.1, the initramfs-only guest
# of scripts/linux-guest): nothing freed (SReclaimable 8760 kB before and
# after; the dentries and inodes are sysfs's and rootfs's), drop_pagecache
# 1 and drop_slab 2 after writing 2 then 3, "sh (PID): drop_caches: N"
# for each write.
#
#   scripts/linux-guest tests/guest/drop-caches.sh -- -m 1G
#   memhp shell -m 1G -- sh tests/guest/drop-caches.sh
set -u
. "$(dirname "$0")/lib.sh"
header "i drop-caches"
caches() {
	grep -E "^(dentry|inode_cache|radix_tree_node|shmem_inode_cache|kernfs_node_cache) " \
		/proc/slabinfo | awk '{printf "%s=%s/%s ", $1, $2, $3}'
}
counters() {
	echo "SReclaimable=$(meminfo SReclaimable) SUnreclaim=$(meminfo SUnreclaim) $(caches)"
}
result before $(counters)
echo 2 > /proc/sys/vm/drop_caches
result after2 $(counters)
echo 3 > /proc/sys/vm/drop_caches
result after3 $(counters)
result vmstat $(grep drop_ /proc/vmstat | tr ' ' '=' | tr '\n' ' ')
dmesg | grep drop_caches | sed 's/^\[ *[0-9.]*\] /raw log /'
