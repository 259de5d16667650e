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
	local f
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

tap_init "$0" "$@"
require_tools python3 busybox
STILL=--guest-kernel=idle-objects=0,background-tasks=0,programs=off
in_shell "$STILL" -m 512M -- part_read_paths
in_shell "$STILL" -m 512M --device pc-dimm,size=128M --auto-online online_movable \
	--anon-memory 16M,pinned -- part_device_lock
finish
