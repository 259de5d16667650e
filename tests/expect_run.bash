# SPDX-License-Identifier: MIT
# tests/expect_run.bash - TAP helpers for the scripts that run the memhp
# program and check its exit status and output (sourced, not run: make
# check runs tests/*.sh only). Sets $MEMHP (default build/default/memhp),
# moves to the top of the tree, makes $tmp (removed at exit) and numbers
# the TAP lines in $n; the script prints the plan "1..$n" at its end.
MEMHP=${MEMHP:-build/default/memhp}
cd "$(dirname "$0")/.." || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	[ -f "$tmp/out" ] && sed 's/^/# /' "$tmp/out" | head -20
}
# expect_run STATUS PATTERN NAME -- ARGS: memhp ARGS exits STATUS and its
# output (stdout and stderr) matches the extended regex PATTERN.
expect_run() {
	local status=$1 pattern=$2 name=$3 rc
	shift 4
	rm -f "$tmp/out"
	"$MEMHP" "$@" >"$tmp/out" 2>&1
	rc=$?
	if grep -q 'Sanitizer\|runtime error:' "$tmp/out"; then
		echo "# a sanitizer spoke"
		not_ok "$name"
	elif [ "$rc" -ne "$status" ]; then
		echo "# exit $rc, expected $status"
		not_ok "$name"
	elif ! grep -Eq -- "$pattern" "$tmp/out"; then
		echo "# no match for: $pattern"
		not_ok "$name"
	else
		ok "$name"
	fi
}
