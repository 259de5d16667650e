#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/sweep.sh - memhp sweep: a short sweep of every shipped scenario
# (each injection point's first call, a few pairs) finds every run
# consistent; a scenario that breaks the machine when one point fails is
# caught at that point and no other. TAP output; $MEMHP is the program.
# SWEEP_DEPTH and SWEEP_PAIRS make it longer.
set -u
MEMHP=${MEMHP:-build/default/memhp}
cd "$(dirname "$0")/.." || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0

echo "1..5"
check() {
	n=$((n + 1))
	if [ "$?" -eq 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		sed 's/^/# /' "$tmp/out" | tail -30
	fi
}

"$MEMHP" sweep --list >"$tmp/out" 2>&1
[ "$(grep -c '^ *[0-9]*  [a-z]' "$tmp/out")" -ge 23 ] && grep -q '^ 3  memmap-meta ' "$tmp/out"
check "--list numbers every injection point"

# Under a sanitizer every point once, without pairs: the pairs are the
# default check's (a sanitized sweep of them outlasts the test timeout).
# And part of the scenarios each, so that one CI run (which has both)
# sweeps every scenario under a sanitizer within the test timeout: the
# address sanitizer the heavy ones (seconds each in the default build:
# HEAVY below; a scenario that takes more than a second to sweep belongs
# there), ThreadSanitizer, ten times slower, the rest.
HEAVY=" cma endless-migration memmap-on-memory numa virtio-mem-ch1884 "
pairs_default=4
scenarios=()
for f in scenarios/*.lua; do
	name=$(basename "$f" .lua)
	case "${MEMHP_SAN:-}" in
	'') scenarios+=("$f") ;;
	*thread*) [[ $HEAVY == *" $name "* ]] || scenarios+=("$f") ;;
	*) [[ $HEAVY == *" $name "* ]] && scenarios+=("$f") ;;
	esac
done
[ -n "${MEMHP_SAN:-}" ] && pairs_default=0
TMPDIR=$tmp "$MEMHP" sweep --depth "${SWEEP_DEPTH:-1}" --pairs "${SWEEP_PAIRS:-$pairs_default}" \
	"${scenarios[@]}" >"$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && grep -q "^memhp sweep: ${#scenarios[@]} scenarios, [0-9]* runs, 0 not consistent$" "$tmp/out"
check "every shipped scenario stays consistent with each point failed"
! grep -q 'Sanitizer\|runtime error:' "$tmp/out"
check "no sanitizer spoke"

TMPDIR=$tmp "$MEMHP" sweep --depth 1 --pairs 0 tests/lua/sweep-canary.lua >"$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 1 ] && grep -q "point 3 (memmap-meta), call 1: inconsistent: machine 1: canary: the sweep must see this" "$tmp/out"
check "a machine broken under one point is caught there"
[ "$(grep -c ': inconsistent' "$tmp/out")" -eq 1 ]
check "... and under no other point"
