#!/bin/bash
# SPDX-License-Identifier: MIT
# The guest's tmpfs inside "memhp shell": /dev/shm (and /run/memhp/tmp,
# and --tmpfs mounts) hold their files in the machine's memory. Writing
# lowers MemFree and raises Shmem and Cached by as much; offlining the
# blocks that hold a file migrates it and its bytes survive; rm gives the
# memory back; ordinary tools (dd, cp, cmp, Python's shutil, busybox) work
# on it; size= gives ENOSPC; a page memory failure takes reads EIO;
# memhp serve shows the same tmpfs under DIR/dev/shm. Pins the deviation
# that MAP_SHARED mmap is refused (ENODEV: direct_io).

. "$(dirname "$0")/lib.bash"

# The machine: 512M of boot RAM (DMA32) and a 512M dimm online movable
# (memory32-35), where the tmpfs's GFP_HIGHUSER_MOVABLE pages go first.
# The guest kernel boots but stands still: MemFree must move by what the
# tmpfs does and nothing else.
STILL=--guest-kernel=idle-objects=0,background-tasks=0,programs=off
MACHINE=("$STILL" -m 512M --device pc-dimm,id=d0,size=512M --auto-online online_movable)
# MiB written by dd and copied from random bytes.
DD_MIB=64
RAND_MIB=48
# What MemFree may fall beyond the data written, in kB: memhp charges no
# metadata for a tmpfs (Linux: its inodes, dentries and xarray nodes, a
# few pages of slab), so any change is a bug, but the bound keeps the
# test about the data.
METADATA_TOLERANCE_KB=64

meminfo() { # field in kB
	awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo
}

# Free memory as a guest holds it: MemFree leaves out the pages waiting on
# the per-cpu lists, which /proc/zoneinfo's pagesets count.
pcp_pages() { # [ZONE]: pages on every CPU's lists (of ZONE, or of all zones)
	awk -v want="${1:-}" '$1 == "Node" {z = $4}
		(want == "" || z == want) && $1 == "count:" {n += $2} END {print n + 0}' "${2:-/proc/zoneinfo}"
}
free_kb() { # [ROOT]: MemFree plus the per-cpu lists, in kB
	echo $(($(awk '$1 == "MemFree:" {print $2}' "${1:-}/proc/meminfo") + \
		4 * $(pcp_pages "" "${1:-}/proc/zoneinfo")))
}
movable_free() { # pages free in ZONE_MOVABLE, its per-cpu lists too
	echo $(($(awk '$1 == "Node" {z = $4} z == "Movable" && $1 == "pages" && $2 == "free" {print $3}' \
		/proc/zoneinfo) + $(pcp_pages Movable)))
}

# within GOT WANT TOLERANCE NAME: WANT <= GOT <= WANT + TOLERANCE
within() {
	if [ "$1" -ge "$2" ] && [ "$1" -le $(($2 + $3)) ]; then
		ok "$4"
	else
		not_ok "$4"
		diag "got $1, expected $2 (+$3)"
	fi
}

shmem_is() {
	[ "$(meminfo Shmem)" = "$1" ]
}

part_dd() {
	local free0 shmem0 movable0 total b failed=

	total=$(meminfo MemTotal)
	is "$(findmnt -n -o FSTYPE -T /dev/shm | tail -n 1)" fuse.memhp \
		"/dev/shm is the machine's tmpfs, over the host's"
	is "$(stat -f -c '%b %S' /dev/shm)" "$((total / 4 / 2)) 4096" \
		"df: its size is half of MemTotal, as tmpfs's default"
	is "$(findmnt -n -o FSTYPE -T /run/memhp/tmp | tail -n 1)" fuse.memhp \
		"/run/memhp/tmp is one too"
	is "$(ls -A /dev/shm)" "" "it starts empty"
	free0=$(free_kb)
	shmem0=$(meminfo Shmem)
	is "$shmem0" 0 "no Shmem yet"

	dd if=/dev/zero of=/dev/shm/f bs=1M count=$DD_MIB status=none
	within $((free0 - $(free_kb))) $((DD_MIB * 1024)) $METADATA_TOLERANCE_KB \
		"dd of $DD_MIB MiB into /dev/shm lowers MemFree by $DD_MIB MiB"
	is "$(meminfo Shmem)" $((DD_MIB * 1024)) "... raises Shmem by $DD_MIB MiB"
	is "$(meminfo Cached)" $((DD_MIB * 1024)) "... and Cached, which includes Shmem"
	is "$(stat -c '%s %b' /dev/shm/f)" "$((DD_MIB << 20)) $((DD_MIB * 2048))" \
		"st_size and st_blocks (512-byte units) are the file's"
	is "$(stat -f -c %a /dev/shm)" $((total / 4 / 2 - DD_MIB * 256)) \
		"df: what is left of its size"

	# Real bytes, through the page cache of the host on their way in.
	head -c $((RAND_MIB << 20)) /dev/urandom > "$TEST_TMP/rand"
	movable0=$(movable_free)
	cp "$TEST_TMP/rand" /dev/shm/rand
	is "$((movable0 - $(movable_free)))" $((RAND_MIB * 256)) \
		"the pages come from ZONE_MOVABLE (GFP_HIGHUSER_MOVABLE)"
	cmp -s "$TEST_TMP/rand" /dev/shm/rand
	is "$?" 0 "cmp: /dev/shm holds what was copied in"
	for b in 32 33 34 35; do
		echo offline > $MEM/memory$b/state || failed="$failed $b"
	done
	is "$failed" "" "every block of ZONE_MOVABLE goes offline: the tmpfs pages migrate"
	is "$(movable_free)" 0 "ZONE_MOVABLE is empty"
	is "$(meminfo Shmem)" $(((DD_MIB + RAND_MIB) * 1024)) "... and Shmem is unchanged"
	cmp -s "$TEST_TMP/rand" /dev/shm/rand
	is "$?" 0 "cmp after migration: every byte survived"
	for b in 32 33 34 35; do
		echo online_movable > $MEM/memory$b/state
	done

	rm /dev/shm/f /dev/shm/rand
	# The unlinked inodes go when the kernel forgets them, asynchronously.
	check "rm gives the memory back: Shmem returns to 0" poll shmem_is 0
	within $((free0 - $(free_kb))) 0 $METADATA_TOLERANCE_KB \
		"... and MemFree to what it was"
}

part_tools() {
	local shmem0 out

	mkdir /dev/shm/d && echo hello > /dev/shm/d/a && mv /dev/shm/d/a /dev/shm/d/b
	is "$(cat /dev/shm/d/b)" hello "mkdir, echo >, mv, cat"
	head -c 300000 /dev/urandom > "$TEST_TMP/src"
	python3 -c 'import shutil, sys; shutil.copyfile(sys.argv[1], sys.argv[2]); shutil.copyfile(sys.argv[2], sys.argv[3])' \
		"$TEST_TMP/src" /dev/shm/d/py "$TEST_TMP/back"
	check "Python's shutil.copyfile into /dev/shm and back" cmp -s "$TEST_TMP/src" "$TEST_TMP/back"
	if command -v busybox > /dev/null; then
		busybox cp /dev/shm/d/py /dev/shm/d/bb
		is "$(busybox cat /dev/shm/d/bb | cmp - "$TEST_TMP/src" && echo same)" same \
			"busybox cp and cat"
	fi
	shmem0=$(meminfo Shmem)
	truncate -s 1G /dev/shm/sparse
	is "$(stat -c '%s %b' /dev/shm/sparse):$(meminfo Shmem)" "1073741824 0:$shmem0" \
		"a sparse file takes no memory"
	is "$(head -c 4096 /dev/shm/sparse | tr -d '\0' | wc -c)" 0 "... and its holes read as zeros"
	fallocate -l 1M /dev/shm/sparse
	is "$(meminfo Shmem)" $((shmem0 + 1024)) "fallocate allocates"
	fallocate -p -o 0 -l 1M /dev/shm/sparse
	is "$(meminfo Shmem)" "$shmem0" "fallocate --punch-hole frees"
	echo data > /run/memhp/tmp/x
	is "$(meminfo Shmem)" $((shmem0 + 4)) "/run/memhp/tmp holds its files in the machine too"
	rm -r /dev/shm/d /dev/shm/sparse /run/memhp/tmp/x
	is "$(ls -A /dev/shm /run/memhp/tmp | tr -d '\n')" "/dev/shm:/run/memhp/tmp:" \
		"rm -r empties them"

	# Memory failure: the tmpfs below fills ZONE_MOVABLE (256 MiB; then
	# DMA32), so the dimm's first page is a file page.
	dd if=/dev/zero of="$TEST_TMP/big/f" bs=1M count=320 status=none
	is "$(movable_free)" 0 "a file fills ZONE_MOVABLE"
	echo 0x100000000 > $MEM/hard_offline_page
	is "$?:$(meminfo HardwareCorrupted)" "0:4" "hard_offline_page of a page of that file"
	out=$(cat "$TEST_TMP/big/f" 2>&1 > /dev/null)
	is "${out##*: }" "Input/output error" "reading the file meets EIO at the lost page"
	rm "$TEST_TMP/big/f"
	check "rm frees the file, lost page and all" poll shmem_is 0

	# The deviation: direct_io, so MAP_SHARED is refused by the kernel.
	echo x > /dev/shm/m
	is "$(python3 -c 'import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    mmap.mmap(fd, 1)
    print("mapped")
except OSError as e:
    print(e.errno)' /dev/shm/m)" 19 "MAP_SHARED mmap of a tmpfs file: ENODEV (deviation)"
	rm /dev/shm/m
}

part_limits() {
	local out

	is "$(stat -f -c '%b %S' "$TEST_TMP/small")" "4096 4096" "--tmpfs PATH,size=16M: 16 MiB"
	out=$(dd if=/dev/zero of="$TEST_TMP/small/f" bs=1M count=32 2>&1)
	is "$(grep -c 'No space left on device' <<< "$out"):$(stat -c %s "$TEST_TMP/small/f")" \
		"1:$((16 << 20))" "a write past size= stops at it with ENOSPC"
	is "$(stat -f -c %a "$TEST_TMP/small")" 0 "df: nothing left"
	rm "$TEST_TMP/small/f"
	# The kernel sends the unlinked file's FORGET when it likes: its pages
	# leave Shmem then (under load, after the next read of meminfo).
	poll shmem_is 8192

	is "$(cat /sys/kernel/debug/memhp/anon_memory):$(meminfo Shmem)" "8388608:8192" \
		"--anon-memory 8M is shared anonymous memory: Shmem"
	echo 32M,pinned > /sys/kernel/debug/memhp/anon_memory
	is "$(cat /sys/kernel/debug/memhp/anon_memory):$(meminfo Shmem)" "33554432,pinned:32768" \
		"debugfs memhp/anon_memory grows it (and pins it)"
	echo 0 > /sys/kernel/debug/memhp/anon_memory
	is "$(meminfo Shmem)" 0 "... and frees it"
}

tap_init "$0" "$@"
require_tools findmnt stat cmp dd truncate fallocate python3 head awk
mkdir "$TEST_TMP/big" "$TEST_TMP/small" "$TEST_TMP/mnt"
in_shell "${MACHINE[@]}" -- part_dd
in_shell "$STILL" -m 512M --device pc-dimm,id=d0,size=256M --auto-online online_movable \
	--tmpfs "$TEST_TMP/big,size=0" -- part_tools
in_shell "$STILL" -m 512M --tmpfs "$TEST_TMP/small,size=16M" --anon-memory 8M -- part_limits

# memhp serve: the same tmpfs under DIR/dev/shm, for someone outside.
MNT=$TEST_TMP/mnt
"$MEMHP" serve --mount "$MNT" -m 512M 2> "$TEST_TMP/serve.err" &
SERVE_PID=$!
if poll test -r "$MNT/sys/devices/system/memory/block_size_bytes"; then
	free0=$(free_kb "$MNT")
	dd if=/dev/zero of="$MNT/dev/shm/x" bs=1M count=8 status=none
	is "$(awk '$1 == "Shmem:" {print $2}' "$MNT/proc/meminfo")" 8192 \
		"memhp serve: a write into DIR/dev/shm is Shmem in DIR/proc/meminfo"
	within $((free0 - $(free_kb "$MNT"))) 8192 \
		$METADATA_TOLERANCE_KB "... and takes MemFree"
	umount "$MNT"
	poll bash -c "! kill -0 $SERVE_PID"
	wait "$SERVE_PID"
	is "$?" 0 "memhp serve with the tmpfs spliced in: an outside umount still ends it"
else
	not_ok "memhp serve mounts and answers"
	kill "$SERVE_PID"
	wait "$SERVE_PID"
fi
finish
