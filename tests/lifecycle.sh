#!/bin/bash
# SPDX-License-Identifier: MIT
# What a memhp killed with SIGKILL leaves behind, and how the next one
# copes. Before: "memhp serve" left a dead FUSE mount on which a restart
# failed until someone ran umount; "memhp shell" left its command running
# on dead mounts and a memhp-shell.* directory in /tmp. Now serve unmounts
# a dead mount of memhp's at start (and says how to when it cannot), and
# the shell's keeper kills the command's whole tree and removes the
# directory when the shell dies; a directory whose shell and keeper both
# died is removed by the next shell.

. "$(dirname "$0")/lib.bash"

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	umount -l "$TEST_TMP/mnt" 2> /dev/null
	umount -l "$TEST_TMP/tmpfs" 2> /dev/null
	rm -rf "$TEST_TMP"
}

# gone PID: the process no longer exists (a zombie counts as gone).
gone() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
	[ "$state" = Z ]
}

# dead_mount DIR: DIR is a mount whose server is gone.
dead_mount() {
	! stat "$1" > /dev/null 2> "$TEST_TMP/stat.err" &&
		grep -q 'Transport endpoint is not connected' "$TEST_TMP/stat.err"
}

tap_init "$0" "$@"
require_tools lsmem mountpoint setpriv findmnt flock
trap cleanup EXIT
chmod 755 "$TEST_TMP"
MNT=$TEST_TMP/mnt
TMPFS=$TEST_TMP/tmpfs
mkdir "$MNT" "$TMPFS"

# --- serve ---------------------------------------------------------------

"$MEMHP" serve --mount "$MNT" -m 1G --tmpfs "$TMPFS" --qmp "unix:$TEST_TMP/qmp" \
	2> "$TEST_TMP/serve1.err" &
pid=$!
PIDS+=("$pid")
poll test -r "$MNT/sys/devices/system/memory/block_size_bytes"
# The --tmpfs mount may come a moment after the tree's: kill once both are up.
poll grep -q " $TMPFS fuse" /proc/mounts
kill -9 "$pid"
wait "$pid" 2> /dev/null
check "serve_kill9_leaves_a_dead_mount: after kill -9 the mount point fails with ENOTCONN" \
	dead_mount "$MNT"

"$MEMHP" serve --mount "$MNT" -m 1G,maxmem=2G --tmpfs "$TMPFS" --qmp "unix:$TEST_TMP/qmp" \
	2> "$TEST_TMP/serve2.err" &
pid=$!
PIDS+=("$pid")
poll test -r "$MNT/sys/devices/system/memory/block_size_bytes"
is "$(lsmem --sysroot "$MNT" --summary=only | sed -n 's/^Total online memory: *//p')" 1G \
	"serve_restart_reclaims_the_dead_mount_of_a_killed_serve: the new serve answers there"
is "$(grep -c 'was the dead mount of a memhp that was killed: unmounted it' "$TEST_TMP/serve2.err")" 2 \
	"... and says it unmounted the dead mount and the dead --tmpfs mount"
is "$(findmnt -n -o FSTYPE -M "$TMPFS")" fuse.memhp "... the --tmpfs path is served again"
kill -TERM "$pid"
wait "$pid" 2> /dev/null
is "$?" 0 "... and it stops cleanly on SIGTERM"
mountpoint -q "$MNT" && not_ok "... leaving no mount behind" || ok "... leaving no mount behind"

# A user who cannot unmount the dead mount is told the command that can.
"$MEMHP" serve --mount "$MNT" -m 1G 2> /dev/null &
pid=$!
PIDS+=("$pid")
poll test -r "$MNT/sys/devices/system/memory/block_size_bytes"
kill -9 "$pid"
wait "$pid" 2> /dev/null
setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$MEMHP" serve --mount "$MNT" -m 1G 2> "$TEST_TMP/nobody.err"
is "$?" 1 "serve_refuses_a_dead_mount_it_cannot_unmount: as nobody, serve exits 1"
grep -q "is the dead mount of a memhp that was killed, and this user cannot unmount it (Operation not permitted): run 'fusermount3 -u -z $MNT'" \
	"$TEST_TMP/nobody.err" && ok "... naming the command that clears it" ||
	{ not_ok "... naming the command that clears it"; diag "$(cat "$TEST_TMP/nobody.err")"; }
check "... and the mount is still there for root to take" dead_mount "$MNT"
umount -l "$MNT"

# --- shell ---------------------------------------------------------------

# shell_start ARGS...: a shell whose command writes its pid and that of a
# background sleep to $TEST_TMP/pids, then waits; sets SH to its pid.
shell_start() {
	rm -f "$TEST_TMP/pids"
	# shellcheck disable=SC2016 # for the inner sh
	"$MEMHP" shell -m 1G "$@" -- sh -c \
		'trap "exit 7" TERM; sleep 1000 & echo $$ $! > "$0.tmp" && mv "$0.tmp" "$0"; wait' \
		"$TEST_TMP/pids" 2> "$TEST_TMP/shell.err" &
	SH=$!
	PIDS+=("$SH")
	poll test -s "$TEST_TMP/pids"
	read -r CMD BG < "$TEST_TMP/pids"
	PIDS+=("$CMD" "$BG")
}

shell_start
dir=$(ls -d /tmp/memhp-shell."$SH".* 2> /dev/null)
[ -n "$dir" ] && ok "the shell's directory carries its pid: ${dir#/tmp/}" ||
	not_ok "the shell's directory carries its pid"
kill -9 "$SH"
wait "$SH" 2> /dev/null
poll gone "$CMD" && ok "shell_kill9_ends_the_command: the command is killed with the shell" ||
	not_ok "shell_kill9_ends_the_command: the command is killed with the shell"
poll gone "$BG" && ok "... and what it started in the background" ||
	not_ok "... and what it started in the background"
poll test ! -e "$dir" && ok "shell_kill9_removes_its_directory: $dir is gone" ||
	not_ok "shell_kill9_removes_its_directory: $dir is still there"

# SIGTERM reaches the command, whose status is the shell's.
shell_start
kill -TERM "$SH"
wait "$SH" 2> /dev/null
is "$?" 7 "shell_passes_sigterm_to_the_command: its trap ran and its status is the shell's"
poll gone "$BG" && ok "shell_exit_ends_what_the_command_left_running: the background sleep is gone" ||
	not_ok "shell_exit_ends_what_the_command_left_running: the background sleep is still there"

# Stale directories: ours and unlocked go; locked, foreign-named stay.
stale=/tmp/memhp-shell.999999999.AbC123
held=/tmp/memhp-shell.999999998.AbC123
other=/tmp/memhp-shell.AbC123
mkdir "$stale" "$held" "$other"
rm -f "$TEST_TMP/locked"
# The holder is the sleep itself (flock(1) would leave its child behind
# when killed, holding this test's output open), with the lock on fd 9.
(
	exec 9< "$held" > /dev/null 2>&1
	flock 9
	: > "$TEST_TMP/locked"
	exec sleep 1000
) &
holder=$!
PIDS+=("$holder")
poll test -e "$TEST_TMP/locked"
"$MEMHP" shell -m 1G -- true 2> "$TEST_TMP/stale.err"
is "$?" 0 "a shell starts with stale directories around"
[ ! -e "$stale" ] && ok "shell_removes_the_directory_of_a_dead_shell: $stale is gone" ||
	not_ok "shell_removes_the_directory_of_a_dead_shell: $stale is still there"
grep -q "removed $stale, left by a shell that died" "$TEST_TMP/stale.err" &&
	ok "... and says so" || not_ok "... and says so"
[ -d "$held" ] && ok "shell_keeps_a_locked_directory: $held, locked by a live process, stays" ||
	not_ok "shell_keeps_a_locked_directory: $held was removed"
[ -d "$other" ] && ok "shell_keeps_directories_it_cannot_judge: $other (no pid) stays" ||
	not_ok "shell_keeps_directories_it_cannot_judge: $other was removed"
kill "$holder"
wait "$holder" 2> /dev/null
rmdir "$held" "$other"
finish
