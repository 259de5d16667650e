# SPDX-License-Identifier: MIT
# tests/lib.bash - TAP helpers for the scripts that run real tools against a
# memhp machine (sourced, not run: make check runs tests/*.sh only).
#
# A script calls require_fuse_root, then runs its parts inside
# "memhp shell": in_shell MACHINE-OPTIONS -- PART runs the script again as
# "SCRIPT --part PART" in the shell's namespace, where PART is one of its
# functions. Parts print TAP lines without numbers ("ok - ...") and count
# them in $TAP_COUNT; finish prints the plan at the end, as TAP allows.

set -u

MEM=/sys/devices/system/memory
NEI=/sys/kernel/debug/notifier-error-inject/memory
# A bound on every wait for a condition: 1000 tries, 10 ms apart.
POLL_TRIES=1000

skip_all() {
	echo "1..1"
	echo "ok 1 # SKIP $*"
	exit 0
}

require_fuse_root() {
	[ "$(id -u)" = 0 ] || skip_all "needs root (FUSE mounts and mount namespaces)"
	[ -c /dev/fuse ] || skip_all "no /dev/fuse (apt-get install fuse3)"
	[ -n "${MEMHP:-}" ] && [ -x "$MEMHP" ] || skip_all "\$MEMHP is not the memhp program"
}

require_tools() {
	for t in "$@"; do
		command -v "$t" >/dev/null || skip_all "$t is not installed"
	done
}

tap_line() {
	echo "$1" >> "$TAP_COUNT"
	echo "$1"
	case $1 in "not ok"*) return 1 ;; esac
	return 0
}

ok() {
	tap_line "ok - $*"
}

not_ok() {
	tap_line "not ok - $*"
}

diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

# is GOT EXPECTED NAME
is() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3"
		diag "got:" "$1" "expected:" "$2"
		return 1
	fi
}

# check NAME COMMAND... : ok if COMMAND succeeds
check() {
	local name=$1
	shift
	if "$@"; then
		ok "$name"
	else
		not_ok "$name (status $?)"
	fi
}

# poll COMMAND... : until COMMAND succeeds, a bounded number of times.
poll() {
	local i
	for ((i = 0; i < POLL_TRIES; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.01
	done
	return 1
}

# The served tree, read back: "N state zones node" for every block.
model_blocks() {
	local d n
	for d in "$MEM"/memory[0-9]*; do
		n=${d##*/memory}
		printf '%s %s %s %s\n' "$n" "$(cat "$d/state")" "$(cat "$d/valid_zones")" \
			"$(ls -d "$d"/node[0-9]* | sed 's/.*node//')"
	done | sort -n
}

# A block's state through the served files.
state_of() {
	cat "$MEM/memory$1/state"
}

# in_shell MACHINE-OPTIONS... -- PART
in_shell() {
	local opts=() part rc
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	part=$2
	"$MEMHP" shell "${opts[@]}" -- bash "$SCRIPT" --part "$part"
	rc=$?
	[ $rc = 0 ] || not_ok "part $part: memhp shell exited $rc"
}

# Set up a test script: $1 is "$0", the rest its arguments.
tap_init() {
	SCRIPT=$(readlink -f "$1")
	shift
	if [ "${1:-}" = --part ]; then
		"$2"
		exit 0
	fi
	require_fuse_root
	TEST_TMP=$(mktemp -d /tmp/memhp-test.XXXXXX)
	export TAP_COUNT=$TEST_TMP/tap-count
	: > "$TAP_COUNT"
	export TEST_TMP
	trap 'rm -rf "$TEST_TMP"' EXIT
}

finish() {
	local n
	n=$(wc -l < "$TAP_COUNT")
	echo "1..$n"
	! grep -q '^not ok' "$TAP_COUNT"
}
