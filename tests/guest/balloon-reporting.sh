#!/bin/sh
# Case k: free page reporting. With -device virtio-balloon-pci,
# free-page-reporting=on the guest reports free 2 MiB chunks, and QEMU
# discards them: memory the guest wrote and freed leaves the host's RSS
# a few seconds later, without any balloon target.
#
#   scripts/linux-guest tests/guest/balloon-reporting.sh -- -M q35 -m 1G \
#       -device virtio-balloon-pci,id=balloon0,free-page-reporting=on
#   memhp shell -m 1G -device virtio-balloon-pci,id=balloon0,free-page-reporting=on \
#       -- sh tests/guest/balloon-reporting.sh
set -u
. "$(dirname "$0")/lib.sh"

header "k balloon-reporting"
rss() { if in_linux; then linux-guest-host rss; else echo n/a; fi; }
result boot "MemFree=$(meminfo MemFree)" "rss_kb=$(rss)"
dd if=/dev/zero of=/dev/shm/fill bs=1M count=256 2>/dev/null
result written "MemFree=$(meminfo MemFree)" "rss_kb=$(rss)"
rm /dev/shm/fill
result freed "MemFree=$(meminfo MemFree)" "rss_kb=$(rss)"
for s in 1 2 3 4 6 8; do
	sleep 1
	result "after_${s}s" "MemFree=$(meminfo MemFree)" "rss_kb=$(rss)"
done
