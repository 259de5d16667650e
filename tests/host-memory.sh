#!/bin/bash
# SPDX-License-Identifier: MIT
# A machine the host cannot hold is refused before it is built, with a
# message that says how much it needs and how much is left where: in a
# memory cgroup made here (v1's memory.limit_in_bytes or v2's
# memory.max, whichever this host has), and against the host's
# MemAvailable outside one. Before, "-m 4T" in a 2 GiB cgroup was killed
# by the OOM killer after 14 s. tests/test_host_memory.c pins the rules on
# a faked host; this runs the real program in a real cgroup.

. "$(dirname "$0")/lib.bash"

CG=
cleanup() {
	# Processes left in it are ours: move them out, then remove it.
	if [ -n "$CG" ] && [ -d "$CG" ]; then
		local p
		while read -r p; do
			echo "$p" > "$CG/../cgroup.procs" 2>/dev/null
		done < "$CG/cgroup.procs"
		rmdir "$CG"
	fi
	rm -rf "$TEST_TMP"
}

# A child of this process's memory cgroup with a limit of $1 bytes:
# sets CG, and PEAK to the file of its peak usage.
make_cgroup() {
	local path mnt
	path=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3; exit}' /proc/self/cgroup)
	if [ -n "$path" ]; then
		mnt=$(findmnt -n -o TARGET -t cgroup -O memory | head -1)
		[ -n "$mnt" ] || return 1
		CG=$mnt${path%/}/memhp-test.$$
		mkdir "$CG" && echo "$1" > "$CG/memory.limit_in_bytes" || return 1
		PEAK=$CG/memory.max_usage_in_bytes
		return 0
	fi
	path=$(awk -F: '$1 == 0 {print $3; exit}' /proc/self/cgroup)
	mnt=$(findmnt -n -o TARGET -t cgroup2 | head -1)
	[ -n "$mnt" ] && grep -qw memory "$mnt${path%/}/cgroup.controllers" 2>/dev/null || return 1
	# v2 lets only a cgroup without processes give its children a
	# controller: a sibling of ours would have to do, or the root's child.
	grep -qw memory "$mnt${path%/}/cgroup.subtree_control" ||
		echo +memory > "$mnt${path%/}/cgroup.subtree_control" 2>/dev/null || return 1
	CG=$mnt${path%/}/memhp-test.$$
	mkdir "$CG" && echo "$1" > "$CG/memory.max" || return 1
	PEAK=$CG/memory.peak
	[ -r "$PEAK" ] || PEAK=
}

# in_cgroup COMMAND...: run COMMAND as a process of $CG.
in_cgroup() {
	# shellcheck disable=SC2016 # $$ and $@ are the inner shell's
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG" "$@"
}

tap_init "$0" "$@"
require_tools awk findmnt lsmem
trap cleanup EXIT

make_cgroup $((2 << 30)) || skip_all "cannot make a memory cgroup here"

in_cgroup "$MEMHP" shell -m 4T -- true 2> "$TEST_TMP/4t.err"
is "$?" 125 "machine_beyond_the_cgroup_is_refused: -m 4T in a 2 GiB cgroup fails as a shell that could not be set up"
grep -q 'cannot create the machine: Cannot allocate memory: 4.0 TiB of RAM needs 16 GiB of host memory' \
	"$TEST_TMP/4t.err" && ok "... with ENOMEM and how much it needs: 16 GiB (4 MiB a GiB)" ||
	{ not_ok "... with ENOMEM and how much it needs: 16 GiB (4 MiB a GiB)"; diag "$(cat "$TEST_TMP/4t.err")"; }
grep -q "the memory cgroup .*/memhp-test.$$ (memory\.[a-z_]*) has [0-9.]* [GM]iB left of 2 GiB" \
	"$TEST_TMP/4t.err" && ok "... and what the cgroup leaves: its limit, 2 GiB" ||
	{ not_ok "... and what the cgroup leaves: its limit, 2 GiB"; diag "$(cat "$TEST_TMP/4t.err")"; }
grep -q 'MEMHP_IGNORE_HOST_MEMORY=1 to try anyway' "$TEST_TMP/4t.err" &&
	ok "... and how to try anyway" || not_ok "... and how to try anyway"
if [ -n "$PEAK" ]; then
	peak=$(cat "$PEAK")
	[ "$peak" -lt $((256 << 20)) ] &&
		ok "machine_beyond_the_cgroup_is_refused_before_it_is_built: the cgroup's peak stayed at $((peak >> 10)) KiB" ||
		not_ok "machine_beyond_the_cgroup_is_refused_before_it_is_built: the cgroup's peak reached $((peak >> 10)) KiB"
fi

in_cgroup "$MEMHP" serve --mount "$TEST_TMP" -m 600G 2> "$TEST_TMP/serve.err"
is "$?" 1 "memhp serve refuses the same way (600 GiB needs 2.4 GiB)"
grep -q '600 GiB of RAM needs 2.4 GiB of host memory' "$TEST_TMP/serve.err" &&
	ok "... saying 2.4 GiB" || { not_ok "... saying 2.4 GiB"; diag "$(cat "$TEST_TMP/serve.err")"; }

cat > "$TEST_TMP/big.lua" << 'EOF'
local m = memhp.machine{ram = "1T", phys_size = "2T"}
EOF
in_cgroup "$MEMHP" run "$TEST_TMP/big.lua" > "$TEST_TMP/run.out" 2>&1
is "$?" 1 "memhp run: a scenario's 1 TiB machine in 2 GiB is an error of the script"
grep -q 'big.lua:1: memhp.machine: cannot create the machine: Cannot allocate memory: 1024 GiB of RAM needs 4.0 GiB' \
	"$TEST_TMP/run.out" && ok "... at its file:line, saying 4.0 GiB" ||
	{ not_ok "... at its file:line, saying 4.0 GiB"; diag "$(cat "$TEST_TMP/run.out")"; }

out=$(in_cgroup "$MEMHP" shell -m 1G -- lsmem --summary=only 2> "$TEST_TMP/1g.err")
is "$?" 0 "machine_within_the_cgroup_is_built: -m 1G in the same cgroup runs"
is "$(sed -n 's/^Total online memory: *//p' <<< "$out")" 1G "... and lsmem sees its 1 GiB"

# Outside a cgroup limit the host's MemAvailable is what is left.
avail_kb=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
if [ "$avail_kb" -lt $((32 << 20)) ]; then
	"$MEMHP" shell -m 8T -- true 2> "$TEST_TMP/8t.err"
	is "$?" 125 "machine_beyond_memavailable_is_refused: -m 8T needs 32 GiB, more than this host has"
	grep -q '8.0 TiB of RAM needs 32 GiB of host memory.*the host (MemAvailable) has' "$TEST_TMP/8t.err" &&
		ok "... saying so" || { not_ok "... saying so"; diag "$(cat "$TEST_TMP/8t.err")"; }
else
	ok "machine_beyond_memavailable_is_refused # SKIP this host has 32 GiB available"
fi
finish
