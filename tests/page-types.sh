#!/bin/bash
# SPDX-License-Identifier: MIT
# The kernel's page-types (tools/vm/page-types.c in 6.1), built at test time
# from /usr/src/linux-source-6.1.tar.xz, run inside "memhp shell": it reads
# /proc/kpageflags and /proc/kpagecount, and what it counts must be the
# machine's: free pages are MemFree, slab pages are Slab, the sub-blocks a
# virtio-mem device left unplugged in an online block are offline pages.

. "$(dirname "$0")/lib.bash"

TARBALL=/usr/src/linux-source-6.1.tar.xz
SRC=linux-source-6.1

# summed FLAG: pages page-types counted with FLAG (its long name).
summed() {
	awk -v f="$1" '$1 ~ /^0x/ {
		n = split($NF, names, ",")
		for (i = 1; i <= n; i++) if (names[i] == f) s += $2
	} END {print s + 0}' "$TEST_TMP/summary"
}

meminfo_pages() {
	awk -v k="$1:" '$1 == k {print $2 / 4}' /proc/meminfo
}

part_page_types() {
	local plugged
	# The driver plugs 200 MiB on its thread: 100 sub-blocks of 2 MiB,
	# two memory blocks, the second one partly.
	poll [ "$(grep -c 'System RAM (virtio_mem)' /proc/iomem)" = 2 ]
	poll grep -qx online /sys/devices/system/memory/memory65/state
	"$TEST_TMP/page-types" > "$TEST_TMP/summary"
	check "page-types runs on the machine's /proc/kpageflags" [ $? = 0 ]
	diag "$(cat "$TEST_TMP/summary")"
	is "$(summed buddy)" "$(meminfo_pages MemFree)" "buddy pages are MemFree"
	is "$(summed slab)" "$(meminfo_pages Slab)" "slab pages are Slab"
	is "$(summed pgtable)" "$(meminfo_pages PageTables)" "page-table pages are PageTables"
	plugged=$((200 * 1024 / 4))
	is "$(summed offline)" $((256 * 1024 / 4 - plugged)) \
		"offline pages are what virtio-mem left unplugged in its blocks"
	is "$(awk '$1 == "total" {print $2}' "$TEST_TMP/summary")" \
		"$(( (0x200000000 + 256 * 1024 * 1024) >> 12 ))" \
		"every pfn up to the end of the device's memory is counted"
	# --anon-memory (shared, Shmem) and the guest kernel's programs'
	# anonymous memory (AnonPages: boot's init and daemons).
	is "$(summed anonymous)" $((16 * 1024 / 4 + $(meminfo_pages AnonPages))) \
		"anonymous pages are --anon-memory's and the programs' (AnonPages)"
	"$TEST_TMP/page-types" --list --list-mapcnt --no-summary -b anonymous > "$TEST_TMP/list"
	is "$?:$(awk -F'\t' '$3 ~ /^[0-9a-f]+$/ {print $1}' "$TEST_TMP/list" | sort -u)" "0:1" \
		"page-types --list-mapcnt: each is mapped once (kpagecount)"
}

tap_init "$0" "$@"
require_tools cc tar xz
[ -r "$TARBALL" ] || skip_all "no $TARBALL (apt-get install linux-source-6.1)"
# Built as tools/vm/Makefile would, without its libapi.a: page-types uses
# one function of it (debugfs__mount(), for -X/-x only).
tar -xJf "$TARBALL" -C "$TEST_TMP" "$SRC/tools/vm/page-types.c" "$SRC/tools/lib/api" \
	"$SRC/tools/include" "$SRC/include/uapi/linux/magic.h" \
	"$SRC/include/uapi/linux/kernel-page-flags.h" ||
	skip_all "cannot extract page-types from $TARBALL"
(cd "$TEST_TMP/$SRC" && cc -O2 -I tools/lib -I tools/lib/api -I tools/include \
	-o "$TEST_TMP/page-types" tools/vm/page-types.c tools/lib/api/fs/fs.c \
	tools/lib/api/debug.c) || skip_all "page-types does not build"
# A guest standing still: MemFree and Slab must not move between reads.
in_shell --guest-kernel=idle-objects=0,background-tasks=0,programs=off -m 1G \
	--auto-online online_movable --anon-memory 16M \
	--device virtio-mem,id=vm0,size=1G,requested-size=200M,memaddr=8G -- part_page_types
finish
