#!/bin/sh
# Case: a DIMM whose memmap the guest cannot hold. 16 GiB of memory need
# 256 MiB of struct pages; a 256 MiB guest has far less free. Does the
# hot-add undo what it had added when it fails part of the way?
#
#   scripts/linux-guest tests/guest/hot-add-enomem.sh -- -M q35 -m 256M,slots=2,maxmem=20G
#   memhp shell -qmp unix:/tmp/q.sock -M q35 -m 256M,slots=2,maxmem=20G \
#       -- env MEMHP_QMP=/tmp/q.sock sh tests/guest/hot-add-enomem.sh
set -u
. "$(dirname "$0")/lib.sh"

header "hot-add-enomem"
dmesg_mark
result memfree_before "$(meminfo MemFree)"
result blocks_before "$(blocks | wc -l)"
for z in DMA DMA32; do
	result "free_${z}_before" "$(zone_field $z free)" min="$(zone_field $z min)"
done
echo "raw object-add $(qmp '{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram","id":"m1","size":17179869184}}')"
echo "raw device_add $(qmp '{"execute":"device_add","arguments":{"driver":"pc-dimm","id":"d1","memdev":"m1"}}')"
sleep 10
result memfree_after "$(meminfo MemFree)"
result blocks_after "$(blocks | wc -l)"
for z in DMA DMA32; do
	result "free_$z" "$(zone_field $z free)" min="$(zone_field $z min)"
done
grep 'System RAM' /proc/iomem | sed 's/^/raw iomem /'
dmesg_since
