#!/bin/bash
# SPDX-License-Identifier: MIT
# "memhp serve" and the FUSE settings sysfs clients rely on, seen through
# the mount with ordinary tools: sizes and modes, d_type, who may read and
# write, O_TRUNC, write offsets, snapshot reads, EINTR for an interrupted
# write (a long offline, and a writer waiting for it), clean shutdown on
# SIGTERM and on an outside umount. Also pins the deliberate differences
# from Linux (docs/sysfs.md, "Differences from Linux").

. "$(dirname "$0")/lib.bash"

MACHINE=(-m 512M --device pc-dimm,id=d0,size=128M --device pc-dimm,id=d1,size=256M
	--auto-online online_movable --anon-memory 16M,pinned)
SERVE_PID=

start_serve() {
	"$MEMHP" serve --mount "$MNT" "$@" 2> "$TEST_TMP/serve.err" &
	SERVE_PID=$!
	poll test -r "$MNT/sys/devices/system/memory/block_size_bytes"
}

stop_serve() {
	[ -n "$SERVE_PID" ] || return 0
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID"
	local rc=$?
	SERVE_PID=
	return $rc
}

cleanup() {
	stop_serve
	mountpoint -q "$MNT" && umount -l "$MNT"
	rm -rf "$TEST_TMP"
}

# in_write PID: the process is in write(2) (syscall 1 on x86_64).
in_write() {
	local nr rest
	read -r nr rest < "/proc/$1/syscall" && [ "$nr" = 1 ]
}

tap_init "$0" "$@"
require_tools lsmem setpriv dd mountpoint stat
trap cleanup EXIT
MNT=$TEST_TMP/mnt
mkdir "$MNT"
chmod 755 "$TEST_TMP" "$MNT"	# for the unprivileged reader below
S=$MNT$MEM

check "memhp serve mounts and answers" start_serve "${MACHINE[@]}"
is "$(findmnt -n -o FSTYPE,SOURCE "$MNT")" "fuse.memhp memhp" "the mount is fuse.memhp"
is "$(lsmem --sysroot "$MNT" -o RANGE,STATE,BLOCK,ZONES --summary=never)" "\
RANGE                                  STATE BLOCK   ZONES
0x0000000000000000-0x0000000007ffffff online     0    None
0x0000000008000000-0x000000001fffffff online   1-3   DMA32
0x0000000100000000-0x0000000117ffffff online 32-34 Movable" "lsmem --sysroot on the mount"

is "$(cd "$S" && stat -c '%n %s %a %F' block_size_bytes memory33/state memory33/node0 memory33)" \
	"block_size_bytes 4096 444 regular file
memory33/state 4096 644 regular file
memory33/node0 0 777 symbolic link
memory33 0 755 directory" "sysfs sizes and modes"
is "$(cd "$MNT" && stat -c '%n %s %a' proc/meminfo proc/pagetypeinfo \
	sys/kernel/debug sys/kernel/debug/notifier-error-inject/memory/actions/MEM_GOING_ONLINE/error)" \
	"proc/meminfo 0 444
proc/pagetypeinfo 0 400
sys/kernel/debug 0 700
sys/kernel/debug/notifier-error-inject/memory/actions/MEM_GOING_ONLINE/error 0 600" \
	"procfs and debugfs sizes and modes"
is "$(readlink "$S/memory33/node0") $(readlink "$S/memory33/subsystem")" \
	"../../node/node0 ../../../../bus/memory" "sysfs's relative links"
is "$(cat "$S/memory33/node0/memory33/phys_index")" 00000021 "links resolve inside the mount"
if command -v strace > /dev/null; then
	is "$(strace -v -e trace=getdents64 ls -U "$S" 2>&1 >/dev/null |
		grep -o 'd_type=DT_[A-Z]*, d_name="[a-z_]*3[23]\?"' | sort -u | tr '\n' ' ')" \
		'd_type=DT_DIR, d_name="memory3" d_type=DT_DIR, d_name="memory32" d_type=DT_DIR, d_name="memory33" ' \
		"readdir fills d_type"
fi

# Who may do what.
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
is "$("${NOBODY[@]}" cat "$S/memory33/state")" online "anyone may read (allow_other)"
is "$("${NOBODY[@]}" sh -c "echo offline > $S/memory33/state" 2>&1 | grep -o 'Permission denied'):$(cat "$S/memory33/state")" \
	"Permission denied:online" "only root may write (default_permissions)"
is "$("${NOBODY[@]}" cat "$MNT/proc/pagetypeinfo" 2>&1 | sed 's/.*: //')" "Permission denied" \
	"pagetypeinfo is root's only"
is "$( (echo 1 > "$S/block_size_bytes") 2>&1 | sed 's/.*: //')" "Permission denied" \
	"root writing a read-only attribute: EACCES at open, as kernfs does"
is "$(cat "$MNT/sys/devices/system/node/node0/compact" 2>&1 | sed 's/.*: //')" \
	"Permission denied" "root reading a write-only attribute: EACCES"
is "$( (echo x > "$MNT/proc/meminfo") 2>&1 | sed 's/.*: //')" "Input/output error" \
	"root writing /proc/meminfo: EIO, as procfs does"
is "$(touch "$S/newfile" 2>&1 | sed 's/.*: //')" "Permission denied" "no new files"

# How writes arrive.
echo offline > "$S/memory33/state"
is "$?:$(cat "$S/memory33/state")" 0:offline "echo (O_TRUNC, trailing newline) works"
printf online_movable > "$S/memory33/state"
is "$?:$(cat "$S/memory33/state")" 0:online "printf (no newline, as chmem writes) works"
printf offline | dd of="$S/memory33/state" bs=7 seek=5 conv=notrunc status=none
is "$?:$(cat "$S/memory33/state")" 0:offline "the write offset is ignored"
is "$( (printf 'online ' > "$S/memory33/state") 2>&1 | sed 's/.*: //')" "Invalid argument" \
	"a trailing space is EINVAL, as sysfs_streq() has it"
is "$(dd if="$MNT/proc/zoneinfo" bs=1 status=none | cmp - "$MNT/proc/zoneinfo" && echo same)" \
	same "byte-by-byte reads see one snapshot of a file"

# Interrupting writes: memory32 holds pinned memory, so its offline
# retries until a signal comes.
(trap 'echo trapped' USR1; echo offline > "$S/memory32/state") > "$TEST_TMP/w1" 2>&1 &
W1=$!
poll grep -qx going-offline "$S/memory32/state"
is "$(cat "$S/memory32/state")" going-offline "an offline that cannot finish: going-offline"
(trap 'echo trapped' USR1; echo offline > "$S/memory1/state") > "$TEST_TMP/w2" 2>&1 &
W2=$!
poll in_write $W2
kill -USR1 $W2
wait $W2
is "$?:$(cat "$S/memory1/state")" "1:online" "a writer waiting for the hotplug lock is interrupted"
is "$(grep -o 'Interrupted system call' "$TEST_TMP/w2")" "Interrupted system call" \
	"... with EINTR"
# The FUSE client locks a file's inode during a write; sysfs does not.
# Separate inodes per lookup keep readers and writers of the same file
# going: grep (lseek SEEK_HOLE) and a second writer's O_TRUNC open.
is "$(timeout 10 grep -x going-offline "$S/memory32/state")" going-offline \
	"grep on the file being written answers at once"
(trap 'echo trapped' USR1; echo offline > "$S/memory32/state") > "$TEST_TMP/w3" 2>&1 &
W3=$!
poll in_write $W3
kill -USR1 $W3
wait $W3
is "$?:$(grep -o 'Interrupted system call' "$TEST_TMP/w3")" "1:Interrupted system call" \
	"a second writer to the same file is interrupted too"
is "$(stat -c %i "$S/memory32/state")" "$(stat -c %i "$S/memory32/state")" \
	"... and the file keeps its inode number"
kill -USR1 $W1
wait $W1
is "$?:$(cat "$S/memory32/state")" "1:online" "the long offline is interrupted and rolled back"
is "$(grep -o 'Interrupted system call' "$TEST_TMP/w1")" "Interrupted system call" \
	"... with EINTR"

# CONFIG_MEMORY_FAILURE's files, as Debian has them, written through FUSE:
# the last page of memory34 (a dimm, in ZONE_MOVABLE: free or movable).
is "$(ls "$S" | grep -c probe)" 0 "no probe (as Debian)"
is "$(cd "$S" && stat -c '%n %s %a' soft_offline_page hard_offline_page)" \
	"soft_offline_page 4096 200
hard_offline_page 4096 200" "soft_offline_page and hard_offline_page are there, write-only (as Debian)"
echo 0x117fff000 > "$S/soft_offline_page"
is "$?:$(grep HardwareCorrupted "$MNT/proc/meminfo")" "0:HardwareCorrupted:     4 kB" \
	"soft_offline_page takes a page out of use; HardwareCorrupted counts it"
is "$( (echo 0x117fff000 > "$S/hard_offline_page") 2>&1 | sed 's/.*: //')" \
	"Memory page has hardware error" "hard_offline_page of a poisoned page: EHWPOISON"
is "$( (echo 4G > "$S/soft_offline_page") 2>&1 | sed 's/.*: //')" "Invalid argument" \
	"soft_offline_page wants a number (kstrtoull)"

# The deliberate differences from Linux, pinned.
is "$(cat "$MNT/sys/kernel/debug/notifier-error-inject/memory/priority")" 0 \
	"the error injector is loaded from the start, with a priority file"
H=$MNT/sys/devices/system/node/node0/hugepages/hugepages-2048kB
echo 8 > "$H/nr_hugepages"
is "$?:$(cat "$H/nr_hugepages")" "0:8" "nr_hugepages: the node's pool grows"
is "$(awk '$1 == "HugePages_Total:" {print $2}' "$MNT/proc/meminfo")" 8 \
	"... and HugePages_Total says so"
echo 0 > "$MNT/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
is "$(cat "$H/nr_hugepages")" 0 "/sys/kernel/mm/hugepages shrinks it again"
echo 1 > "$MNT/sys/devices/system/node/node0/compact"
is "$?" 0 "node0/compact: accepted, does nothing"
is "$(chmod 600 "$S/memory33/state" 2>&1 | sed 's/.*: //')" "Operation not permitted" \
	"modes cannot be changed"

# Shutdown with a write stuck in an offline: SIGTERM interrupts it.
(echo offline > "$S/memory32/state") 2>/dev/null &
W1=$!
poll grep -qx going-offline "$S/memory32/state"
stop_serve
is "$?" 0 "SIGTERM while an offline runs: memhp serve exits 0"
wait $W1
is "$?" 1 "... the stuck writer gets an error"
check "... and the mount is gone" bash -c "! mountpoint -q '$MNT'"

# An outside umount ends it too.
start_serve -m 256M
umount "$MNT"
poll bash -c "! kill -0 $SERVE_PID"
wait "$SERVE_PID"
is "$?" 0 "umount from outside: memhp serve exits 0"
SERVE_PID=

is "$("$MEMHP" serve -m 128M 2>&1; echo "rc=$?")" "memhp serve: --mount DIR is required
rc=2" "memhp serve without --mount"
is "$("$MEMHP" serve --mount "$MNT" --device pc-dimm,size=100M 2>&1; echo "rc=$?")" \
	"memhp serve: pc-dimm (no id): address 0x100000000 and size 0x6400000 must be multiples of the memory block size 0x8000000: Linux would not add it
rc=1" "memhp serve with a dimm Linux would refuse"
# first_line ARGS: memhp serve ARGS' first line of output, and its status
# (all of the output is read: a "| head -1" could make it die of SIGPIPE).
first_line() {
	local out rc
	out=$("$MEMHP" serve --mount "$MNT" "$@" 2>&1)
	rc=$?
	printf '%s\nrc=%s\n' "${out%%$'\n'*}" "$rc"
}
is "$(first_line -m 12X)" \
	"memhp serve: -m 12X: Parameter 'size' expects a non-negative number below 2^64
rc=2" "a bad machine option: QEMU's message, exit 2"
# virtio-mem: QEMU's properties, and what its realize refuses.
vmem_err() {
	first_line --device "$1"
}
is "$(vmem_err virtio-mem,size=1G)" \
	"memhp serve: --device virtio-mem,size=1G: memhp: a virtio-mem device needs an id
rc=2" "virtio-mem without an id"
is "$(vmem_err virtio-mem,id=vm0,size=1G,requested-size=2G)" \
	"memhp serve: --device virtio-mem,id=vm0,size=1G,requested-size=2G: memhp: 'requested-size' (0x80000000) exceeds the memory backend size (0x40000000): QEMU 7.2 takes it, memhp's device does not
rc=1" "a requested size beyond the region"
is "$(vmem_err virtio-mem,id=vm0,size=1G,block-size=3M)" \
	"memhp serve: --device virtio-mem,id=vm0,size=1G,block-size=3M: 'block-size' property has to be a power of two
rc=1" "a block size that is not a power of two: QEMU's message"
is "$(vmem_err virtio-mem,id=vm0,size=1G,requested-size=3M)" \
	"memhp serve: --device virtio-mem,id=vm0,size=1G,requested-size=3M: 'requested-size' property has to be multiples of 'block-size' (0x200000)
rc=1" "a requested size that is not a multiple of the block size: QEMU's message"
is "$(vmem_err virtio-mem,id=vm0,size=1G,memaddr=0x100100000)" \
	"memhp serve: --device virtio-mem,id=vm0,size=1G,memaddr=0x100100000: 'memaddr' property has to be multiples of 'block-size' (0x200000)
rc=1" "memaddr= must be block aligned"
is "$(vmem_err virtio-mem,id=vm0,size=1G,unplugged-inaccessible=maybe)" \
	"memhp serve: --device virtio-mem,id=vm0,size=1G,unplugged-inaccessible=maybe: Parameter 'unplugged-inaccessible' expects 'on' or 'off'
rc=2" "unplugged-inaccessible takes on or off"
is "$("$MEMHP" serve --mount "$MNT" --qmp tcp:localhost:4444 --device virtio-mem,id=vm0,size=1G \
	2>&1 | grep -c 'memhp serve: --qmp tcp:localhost:4444: ')" 1 "--qmp takes unix sockets only"
"${NOBODY[@]}" "$MEMHP" shell -- true 2> "$TEST_TMP/nobody"
is "$?:$(grep -c 'needs root' "$TEST_TMP/nobody")" "125:1" \
	"memhp shell as an ordinary user without /dev/fuse: says it needs root"
finish
