#!/bin/bash
# SPDX-License-Identifier: MIT
# The machine's kernel log through util-linux dmesg, as a guest's user
# meets it: inside "memhp shell" dmesg prints the machine's log and none of
# the host's, dmesg -x/-r show 6.1's levels, dmesg -S (syslog(2)) and
# /proc/kmsg are refused rather than showing the host's log, dmesg -w
# follows what the machine prints next and ends on SIGINT or SIGTERM
# without keeping a FUSE worker, dmesg -W starts at the end. Outside,
# "memhp serve --log FILE" writes the lines as dmesg prints them and
# DIR/dev/kmsg reads and seeks as /dev/kmsg does.

. "$(dirname "$0")/lib.bash"

# 512M of boot RAM (memory0-3; memory3 holds the boot memmap) and a 256M
# dimm, online movable: memory32 and memory33.
MACHINE=(-m 512M --device pc-dimm,id=d0,size=256M --auto-online online_movable)
BUILT="Built 1 zonelists, mobility grouping on.  Total pages: "

# has FILE TEXT: FILE has a line containing TEXT.
has() {
	grep -qF -- "$2" "$1"
}

# count_is FILE TEXT N: FILE has N lines containing TEXT.
count_is() {
	[ "$(grep -cF -- "$2" "$1")" = "$3" ]
}

# in_read PID: the process waits in read(2) (syscall 0 on x86_64).
in_read() {
	local nr rest
	read -r nr rest < "/proc/$1/syscall" && [ "$nr" = 0 ]
}

part_dmesg() {
	local out=$TEST_TMP/dmesg line host_seen=0

	echo offline > "$MEM/memory33/state"
	dmesg > "$out" 2> "$TEST_TMP/dmesg.err"
	is "$?:$(grep -c . "$TEST_TMP/dmesg.err"):$(head -1 "$out" | sed 's/^\[ *[0-9.]*\] //')" \
		"0:0:Zone ranges:" "dmesg in the shell reads the machine's log from its first line"
	check "dmesg prints the machine's boot lines (free_area_init())" \
		has "$out" "Initmem setup node 0 [mem 0x0000000000001000-0x000000001ffdffff]"
	check "dmesg prints the offline just done: Offlined Pages 32768" \
		has "$out" "Offlined Pages 32768"
	if [ -s "$TEST_TMP/host-lines" ]; then
		while IFS= read -r line; do
			grep -qxF -- "$line" <(dmesg -t) && host_seen=$((host_seen + 1))
		done < "$TEST_TMP/host-lines"
		is "$host_seen" 0 "dmesg in the shell shows none of the host's last lines"
	else
		ok "dmesg in the shell shows none of the host's last lines # SKIP the host's log is empty"
	fi

	# A MEM_GOING_OFFLINE notifier says no: 6.1 says why with pr_debug().
	echo -16 > "$NEI/actions/MEM_GOING_OFFLINE/error"
	(echo offline > "$MEM/memory32/state") 2> /dev/null
	echo 0 > "$NEI/actions/MEM_GOING_OFFLINE/error"
	check "a failed offline's reason is at debug level in dmesg -x (pr_debug in 6.1)" \
		grep -qE '^kern  :debug : \[ *[0-9]+\.[0-9]{6}\] memory offlining \[mem 0x100000000-0x107ffffff\] failed due to notifier failure$' \
		<(dmesg -x)
	check "dmesg -r shows the syslog prefix: <7> for KERN_DEBUG" \
		grep -qE '^<7>\[ *[0-9]+\.[0-9]{6}\] Offlined Pages 32768$' <(dmesg -r)

	# Never into the host's log, whatever went wrong above.
	if [ "$(stat -c %F /dev/kmsg)" = "character special file" ]; then
		not_ok "a write to /dev/kmsg is a user-facility record (/dev/kmsg is the host's)"
	else
		echo "<5>kmsg.sh was here" > /dev/kmsg
		check "a write to /dev/kmsg is a user-facility record at its <N> level" \
			grep -qE '^user  :notice: .*kmsg\.sh was here$' <(dmesg -x)
	fi

	dmesg -S > "$out" 2>&1
	is "$?:$(grep -c 'read kernel buffer failed: Operation not permitted' "$out"):$(wc -l < "$out")" \
		1:1:1 "dmesg -S fails: syslog(2) is refused (EPERM), the host's log stays out"
	# Reading the host's /proc/kmsg would take its messages from syslogd.
	if [ "$(stat -f -c %T /proc/kmsg)" = proc ]; then
		not_ok "/proc/kmsg, syslog(2)'s file, is refused too (it is the host's)"
	else
		is "$(cat /proc/kmsg 2>&1 | sed 's/.*: //')" "Operation not permitted" \
			"/proc/kmsg, syslog(2)'s file, is refused too"
	fi
	is "$(stat -c %F /dev/kmsg):$(setpriv --reuid=65534 --regid=65534 --clear-groups dmesg 2>&1 |
		sed 's/.*: //')" "regular empty file:Operation not permitted" \
		"the machine's /dev/kmsg refuses a reader without CAP_SYSLOG (dmesg_restrict=1)"
}

part_follow() {
	local out=$TEST_TMP/follow pid rc i n

	# What follows writes to /dev/kmsg: never to the host's.
	if [ "$(stat -c %F /dev/kmsg)" = "character special file" ]; then
		not_ok "dmesg -w follows the machine's log (/dev/kmsg is the host's)"
		return
	fi
	# Empty ZONE_MOVABLE, so that onlining a block rebuilds the zonelists.
	echo offline > "$MEM/memory33/state"
	echo offline > "$MEM/memory32/state"
	env --default-signal=INT dmesg -w > "$out" 2>&1 &
	pid=$!
	poll has "$out" "Offlined Pages 32768"
	poll in_read $pid
	n=$(grep -c "$BUILT" "$out")
	# Total pages: the managed pages above the high watermarks, as the
	# zones had them before the online recomputes them.
	highs=$(awk '$1 == "high" { s += $2 } END { print s }' /proc/zoneinfo)
	echo online_movable > "$MEM/memory32/state"
	poll count_is "$out" "$BUILT" $((n + 1))
	is "$(grep "$BUILT" "$out" | tail -1 | sed 's/^\[ *[0-9]*\.[0-9]*\] //')" \
		"$BUILT$(awk -v h="$highs" '$1 == "MemTotal:" { print $2 / 4 - h }' /proc/meminfo)" \
		"dmesg -w follows the line an online prints (build_all_zonelists())"
	poll in_read $pid
	kill -INT $pid
	wait $pid
	is "$?" 130 "dmesg -w ends on SIGINT (its blocked read gives up with EINTR)"

	dmesg -W > "$out" 2>&1 &
	pid=$!
	poll in_read $pid
	echo "<6>after dmesg -W started" > /dev/kmsg
	poll has "$out" "after dmesg -W started"
	is "$(grep -c . "$out")" 1 "dmesg -W prints only what comes after it started (SEEK_END)"
	kill -TERM $pid
	wait $pid
	is "$?" 143 "dmesg -W ends on SIGTERM"

	# More followers killed in a row than the daemon has workers: each
	# must give its worker back, or the tree stops answering.
	for ((i = 0; i < 10; i++)); do
		dmesg -w > /dev/null 2>&1 &
		pid=$!
		poll in_read $pid
		kill -TERM $pid
		wait $pid
		rc=$?
	done
	is "$rc:$(timeout 10 cat "$MEM/block_size_bytes")" 143:8000000 \
		"ten followers killed in a row: every FUSE worker came back"
}

# ---- memhp serve --log, and DIR/dev/kmsg from outside -------------------------

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

tap_init "$0" "$@"
require_tools dmesg setpriv env python3 mountpoint timeout
trap cleanup EXIT
MNT=$TEST_TMP/mnt
mkdir "$MNT"

# The host's last lines, which must never show inside.
dmesg -t 2> /dev/null | tail -n 5 | grep . > "$TEST_TMP/host-lines"
in_shell "${MACHINE[@]}" -- part_dmesg
in_shell "${MACHINE[@]}" -- part_follow

start_serve "${MACHINE[@]}" --log "$TEST_TMP/log"
echo offline > "$MNT$MEM/memory33/state"
poll has "$TEST_TMP/log" "Offlined Pages 32768"
check "memhp serve --log writes each line as dmesg prints it, as it comes" \
	grep -qE '^\[ *[0-9]+\.[0-9]{6}\] Offlined Pages 32768$' "$TEST_TMP/log"
is "$(head -1 "$TEST_TMP/log" | sed 's/^\[ *[0-9]*\.[0-9]*\] //')" "Zone ranges:" \
	"... from the machine's first line"
check "DIR/dev/kmsg reads one record per read, as /dev/kmsg" \
	python3 - "$MNT/dev/kmsg" <<'EOF'
import os, sys, select
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
first = os.read(fd, 8192)
assert first.startswith(b"6,0,") and first.endswith(b",-;Zone ranges:\n"), first
second = os.read(fd, 8192)
assert second.startswith(b"6,1,") and second.count(b"\n") == 1, second
try:
    os.read(fd, 10)
    assert False, "a short buffer must fail"
except OSError as e:
    assert e.errno == 22, e   # EINVAL, and the record is skipped
assert os.read(fd, 8192).startswith(b"6,3,")
os.lseek(fd, 0, os.SEEK_SET)   # back to the first record
assert os.read(fd, 8192) == first
os.lseek(fd, 0, os.SEEK_END)   # after the last
assert select.select([fd], [], [], 0)[0] == []
try:
    os.read(fd, 8192)
    assert False, "nothing after SEEK_END"
except BlockingIOError:
    pass
w = os.open(sys.argv[1], os.O_WRONLY)
os.write(w, b"<4>written from outside\n")
assert select.select([fd], [], [], 10)[0] == [fd]
assert os.read(fd, 8192).endswith(b",-;written from outside\n")
EOF
cat "$MNT/dev/kmsg" > /dev/null 2>&1 &
CAT=$!
poll in_read $CAT
waited=$?
stop_serve
is "$waited:$?" 0:0 "memhp serve stops while a reader waits on DIR/dev/kmsg"
wait $CAT
is "$?" 1 "... and the reader gets an error"
check "... and the log ends with what the machine printed last" \
	grep -q "written from outside$" "$TEST_TMP/log"

start_serve -m 256M --log -
stop_serve
check "memhp serve --log - writes to stderr" grep -qE '^\[ *[0-9]+\.[0-9]{6}\] Zone ranges:$' \
	"$TEST_TMP/serve.err"
is "$("$MEMHP" serve --mount "$MNT" --log /nonexistent/dir/log 2>&1; echo "rc=$?")" \
	"memhp serve: --log /nonexistent/dir/log: No such file or directory
rc=1" "memhp serve --log with a file it cannot append to fails at start"
finish
