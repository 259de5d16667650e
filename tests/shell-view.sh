#!/bin/bash
# SPDX-License-Identifier: MIT
# Inside "memhp shell" every file a memory tool reads is the machine's, or
# absent, never the host's (docs/sysfs.md, "memhp shell"): each bound file
# is compared with what the machine says, and read through every path a
# tool may take (read, pread, sendfile as busybox cat does, splice).
# Reads that take a block's device lock in 6.1 (online, uevent) wait while
# an offline of that block runs.

. "$(dirname "$0")/lib.bash"

# in_read PID: the process is cat, in read(2) (syscall 0 on x86_64).
in_read() {
	local nr rest
	[ "$(cat "/proc/$1/comm")" = cat ] && read -r nr rest < "/proc/$1/syscall" && [ "$nr" = 0 ]
}

# The five ways to read a file, each printing its length then its bytes'
# checksum, one line each: read, pread at 0, sendfile, splice, and busybox
# cat (sendfile).
READ_PATHS='
import os, sys, zlib
p = sys.argv[1]
def out(name, data):
    print(name, len(data), zlib.crc32(data))
def whole(fn):
    data = b""
    while True:
        chunk = fn(len(data))
        if not chunk:
            return data
        data += chunk
fd = os.open(p, os.O_RDONLY)
out("read", whole(lambda off: os.read(fd, 65536)))
out("pread", whole(lambda off: os.pread(fd, 65536, off)))
def via_pipe(move):
    r, w = os.pipe()
    data = b""
    while True:
        n = move(w, len(data))
        if not n:
            break
        data += os.read(r, n)
    os.close(r)
    os.close(w)
    return data
out("sendfile", via_pipe(lambda w, off: os.sendfile(w, fd, off, 65536)))
os.lseek(fd, 0, os.SEEK_SET)
out("splice", via_pipe(lambda w, off: os.splice(fd, w, 65536)))
'

# read_paths FILE: every way reads the same bytes as cat.
read_paths() {
	local want got
	want=$(cat "$1" | cksum | cut -d" " -f1)
	got=$(python3 -c "$READ_PATHS" "$1" | awk '{print $1, ($2 > 0)}' | tr '\n' ' ')
	is "$got" "read 1 pread 1 sendfile 1 splice 1 " "$1: read, pread, sendfile, splice read something"
	is "$(python3 -c "$READ_PATHS" "$1" | awk '{print $2, $3}' | sort -u | wc -l)" 1 \
		"$1: ... and all the same bytes"
	is "$(busybox cat "$1" | wc -c)" "$(cat "$1" | wc -c)" "$1: busybox cat (sendfile) reads it whole"
	is "$(cat "$1" | cksum | cut -d" " -f1)" "$want" "$1: ... the same bytes twice"
}

part_read_paths() {
	local f ktext
	# A machine standing still, so that two reads agree.
	for f in /proc/meminfo /proc/zoneinfo /proc/buddyinfo /proc/pagetypeinfo \
		"$NEI/priority"; do
		read_paths "$f"
	done
	is "$(stat -c %s /proc/meminfo /proc/zoneinfo "$NEI/priority" | sort -u)" 0 \
		"procfs and debugfs files still stat as 0 bytes"
	read_paths "$MEM/memory0/state"
	read_paths "$MEM/block_size_bytes"
	is "$(stat -c %s "$MEM/memory0/state" "$MEM/block_size_bytes" | sort -u)" 4096 \
		"sysfs attributes still stat as 4096 bytes"
	# fstat between reads must not cut a reader short, nor let it read
	# past the end of what it read.
	is "$(python3 -c '
import os
fd = os.open("/proc/zoneinfo", os.O_RDONLY)
r, w = os.pipe()
os.fstat(fd)
a = os.splice(fd, w, 1 << 16)
os.fstat(fd)
b = os.splice(fd, w, 1 << 16)
print(a == len(os.read(r, 1 << 16)), b, os.fstat(fd).st_size)')" "True 0 0" \
		"splice after fstat reads the file, then stops at its end"
}

# cat_sigint FILE: cat with SIGINT at its default action (a background job
# of a script starts with SIGINT ignored).
cat_sigint() {
	exec python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp("cat", ["cat", sys.argv[1]])' "$1"
}

part_device_lock() {
	local w r r2 m=$MEM/memory32
	# memory32 holds pinned memory: its offline retries until interrupted.
	(trap 'echo trapped' USR1; echo offline > $m/state) > "$TEST_TMP/w" 2>&1 &
	w=$!
	poll grep -qx going-offline $m/state
	is "$(cat $m/state)" going-offline "state does not take the device lock: going-offline at once"
	cat_sigint $m/online > "$TEST_TMP/r" &
	r=$!
	check "online waits for the device lock (cat is in read(2))" poll in_read $r
	# A new log record wakes /dev/kmsg's pollers: that walk over the open
	# files must not wait behind the read that waits for the lock.
	echo "memhp-test: a record while online waits" > /dev/kmsg
	cat_sigint $m/uevent > /dev/null &
	r2=$!
	check "uevent waits for it too" poll in_read $r2
	kill -INT $r2
	wait $r2
	is "$?" 130 "a reader waiting for the lock dies of SIGINT at once"
	check "... the other one still waits" in_read $r
	kill -USR1 $w
	wait $w
	is "$?:$(cat $m/state)" "1:online" "the offline is interrupted and rolled back"
	wait $r
	is "$?:$(cat "$TEST_TMP/r")" "0:1" "... and the waiting read returns: online"
	is "$(cat $m/online)" 1 "online reads at once when nothing holds the lock"
}

# Each file the shell binds is the machine's: compare with what the host
# said before entering ($TEST_TMP/host.*) and with what the machine is.
part_files() {
	local f ktext
	# The driver plugs 256 MiB on its thread: two blocks.
	poll [ "$(grep -c 'System RAM (virtio_mem)' /proc/iomem)" = 2 ]
	is "$(cat /proc/cmdline)" \
		"BOOT_IMAGE=/boot/vmlinuz-6.1.0-38-amd64 root=/dev/vda1 ro quiet memhp_default_state=online_movable" \
		"/proc/cmdline is the machine's"
	check "... not the host's" test "$(cat /proc/cmdline)" != "$(cat "$TEST_TMP/host.cmdline")"
	is "$(grep -c 'System RAM (virtio_mem)' /proc/iomem)" 2 \
		"/proc/iomem has the virtio-mem device's plugged memory (two blocks)"
	is "$(grep -E '^[0-9a-f]+-[0-9a-f]+ : virtio0$' /proc/iomem)" "200000000-23fffffff : virtio0" \
		"... inside the device's region"
	is "$(grep -c 'Kernel code' /proc/iomem)" 1 "... and the kernel image in System RAM"
	is "$(setpriv --reuid=65534 --regid=65534 --clear-groups cat /proc/iomem | \
		grep -vc '^ *00000000-00000000 : ')" 0 "a user reads only zeros in /proc/iomem"
	is "$(awk '$1 == "nr_free_pages" {print $2 * 4}' /proc/vmstat)" \
		"$(awk '$1 == "MemFree:" {print $2}' /proc/meminfo)" \
		"/proc/vmstat's nr_free_pages is MemFree"
	# The host's has some 170 keys, workingset_* among them; the machine
	# keeps none of those.
	is "$(grep -c '^workingset_' /proc/vmstat):$(grep -c '^drop_slab ' /proc/vmstat)" 0:1 \
		"/proc/vmstat has the machine's counters only"
	is "$(head -1 /proc/slabinfo)" "slabinfo - version: 2.1" "/proc/slabinfo, version 2.1"
	is "$(awk 'NR > 2 {s += $6 * $14} END {print s * 4}' /proc/slabinfo)" \
		"$(awk '$1 == "Slab:" {print $2}' /proc/meminfo)" "... whose slabs are Slab in meminfo"
	is "$(stat -c '%a %s' /proc/kpageflags /proc/kpagecount /proc/slabinfo | sort -u)" "400 0" \
		"kpageflags, kpagecount, slabinfo: 0400, 0 bytes"
	# The first pfn of the kernel's text, wherever KASLR put it: reserved.
	ktext=$((0x$(awk -F'[- ]+' '/Kernel code/ {print $2}' /proc/iomem) / 4096))
	is "$(od -An -tx8 -j $((ktext * 8)) -N 8 /proc/kpageflags | tr -d ' ')" 0000000100000000 \
		"kpageflags at the first pfn of Kernel code: KPF_RESERVED"
	is "$(( $(python3 -c 'import os; fd = os.open("/proc/kpageflags", os.O_RDONLY)
n = 0
while True:
    b = os.pread(fd, 1 << 20, n)
    if not b: break
    n += len(b)
print(n)') / 8 ))" $(( (0x210000000) >> 12 )) "kpageflags covers every pfn up to the plugged memory's end"
	is "$(ls /sys/firmware)" memmap "/sys/firmware has the memmap only"
	is "$(for d in /sys/firmware/memmap/*; do echo "$(cat $d/start) $(cat $d/end) $(cat $d/type)"; done |
		grep -c 'System RAM')" 2 "/sys/firmware/memmap: the machine's boot RAM, base and low"
	is "$(cat /sys/firmware/memmap/3/end)" 0x3ffdffff "... up to 1 GiB less SeaBIOS's tables"
	is "$(ls /sys/bus | tr '\n' ' ')" "memory node virtio " "/sys/bus: the machine's buses only"
	is "$(readlink /sys/bus/virtio/devices/virtio0)" \
		"../../../devices/pci0000:00/0000:00:03.0/virtio0" "the virtio-mem device on the virtio bus"
	is "$(readlink -f /sys/bus/virtio/devices/virtio0/driver)" \
		/sys/bus/virtio/drivers/virtio_mem "... bound to virtio_mem"
	is "$(ls /sys/devices/pci0000:00)" 0000:00:03.0 "the PCI root: the machine's device only"
	is "$(ls /sys/module | tr '\n' ' ')" "memory_hotplug virtio_mem " "/sys/module: the machine's"
	is "$(cd /sys/module/virtio_mem/parameters && stat -c '%n %a' * | tr '\n' ' ')" \
		"bbm_block_size 444 bbm_safe_unplug 444 force_bbm 444 unplug_online 644 " \
		"virtio_mem's parameters, with 6.1's modes"
	is "$(cat /sys/module/virtio_mem/parameters/force_bbm)" N "... and the machine's values"
	is "$(cat /proc/kcore 2>&1 | sed 's/.*: //')" "No such file or directory" \
		"/proc/kcore cannot be opened"
	is "$(stat /proc/kcore 2>&1 | sed 's/.*: //')" "No such file or directory" \
		"... nor stat()ed"
	is "$(stat "$MEMHP_ROOT/proc/kcore" 2>&1 | sed 's/.*: //')" "No such file or directory" \
		"... in the served tree too"
	for f in /proc/iomem /proc/vmstat /proc/slabinfo /proc/cmdline; do
		read_paths "$f"
	done
}

tap_init "$0" "$@"
cat /proc/cmdline > "$TEST_TMP/host.cmdline"
require_tools python3 busybox setpriv od
STILL=--guest-kernel=idle-objects=0,background-tasks=0,programs=off
in_shell "$STILL" -m 512M -- part_read_paths
in_shell "$STILL" -m 512M --device pc-dimm,size=128M --auto-online online_movable \
	--anon-memory 16M,pinned -- part_device_lock
in_shell "$STILL" -m 1G --auto-online online_movable \
	--device virtio-mem,id=vm0,size=1G,requested-size=256M,memaddr=8G -- part_files
finish
