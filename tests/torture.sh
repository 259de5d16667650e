#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/torture.sh - memhp torture: a short campaign under whatever build
# runs make check (the sanitizer builds included) finds no violation and
# loses no data; shards split a campaign by seed without overlap; a replay
# file that fails is reported with its operation and log, and shrinks to
# the one operation that matters. TAP output; $MEMHP is the program.
# TORTURE_OPS sets the campaign's length (the longer ones are
# scripts/torture-campaign's).
set -u
MEMHP=${MEMHP:-build/default/memhp}
OPS=${TORTURE_OPS:-1200}
cd "$(dirname "$0")/.." || exit 1
# A sanitizer build on a loaded host (CI runs two tests at a time) can
# take longer than the default 10 s watchdog over one operation, which
# torture would call a hang: give it what scripts/torture-campaign gives.
WATCHDOG=()
[ -n "${MEMHP_SAN:-}" ] && WATCHDOG=(--watchdog 120)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0

echo "1..15"
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	# On stderr, which prove shows: the diagnosis of a failure in CI.
	[ -n "${2:-}" ] && [ -f "$2" ] && sed 's/^/# /' "$2" | tail -40 >&2
}
check() {
	if [ "$?" -eq 0 ]; then ok "$1"; else not_ok "$1" "${2:-$tmp/out}"; fi
}

# A short campaign over both protocols.
"$MEMHP" torture "${WATCHDOG[@]}" --seed 1 --ops "$OPS" --out "$tmp" -q >"$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && grep -q "^memhp torture: $OPS operations in .* 0 violations; .* 0 lost;" "$tmp/out"
check "$OPS operations over both protocols: 0 violations, 0 data pages lost"
! grep -q 'Sanitizer\|runtime error:' "$tmp/out"
check "no sanitizer spoke"

# The replays of findings that were fixed run clean: each failed before
# its fix (tests/torture/README says which). open-* ones are not fixed.
bad=""
for f in tests/torture/*.replay; do
	case $(basename "$f") in open-*) continue ;; esac
	"$MEMHP" torture "${WATCHDOG[@]}" --replay "$f" -q >"$tmp/out" 2>&1 || bad="$bad $(basename "$f")"
done
[ -z "$bad" ]
check "the fixed findings' replays in tests/torture/ run clean${bad:+ (not:$bad)}"

# Shards: the runs of shard I are the seeds S + I, S + I + N, ...
"$MEMHP" torture "${WATCHDOG[@]}" --seed 10 --ops 80 --run-ops 20 --shard 0/2 --protocol 6.1 \
	--log "$tmp/s0" -q >"$tmp/out" 2>&1 &&
	"$MEMHP" torture "${WATCHDOG[@]}" --seed 10 --ops 80 --run-ops 20 --shard 1/2 --protocol 6.1 \
		--log "$tmp/s1" -q >>"$tmp/out" 2>&1
# A run that a kernel finding taints (the walkers' race, under load) ends
# early and the shard takes its next seed: four runs or more.
seeds_step_2_from() {
	grep '^# seed' "$2" | awk -v s="$1" '$3 != s + 2 * (NR - 1) { bad = 1 } END { exit bad || NR < 4 }'
}
seeds_step_2_from 10 "$tmp/s0" && seeds_step_2_from 11 "$tmp/s1"
check "--shard 0/2 and 1/2 split the seeds of one campaign, none twice"

# A replay file: the setup, then the operations, one of which fails.
{
	echo "memhp-torture-replay 1"
	echo "seed 7"
	echo "protocol 6.1"
	echo "threads 0"
	echo "walkers 0"
	echo "deterministic 1"
	for i in $(seq 1 12); do
		echo "op store_state 0x$(printf %x $((32 + i % 4))) 0x$((i % 4)) 0"
		echo "op data_alloc 0x40 0 0"
	done
	echo "op selftest 0 0 0"
	for i in $(seq 1 6); do echo "op kalloc_alloc 0x2 0 0"; done
} >"$tmp/bad.replay"
"$MEMHP" torture "${WATCHDOG[@]}" --replay "$tmp/bad.replay" -q >"$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 1 ]
check "a replay that ends in a violation exits 1"
grep -q "VIOLATION: seed 7, protocol 6.1, operation 25 of the run" "$tmp/out" &&
	grep -q "torture-selftest: a violation a replay file asked for" "$tmp/out"
check "it names the seed, the operation and the rule"
grep -q "^ *25  selftest 0 0 0 " "$tmp/out" && grep -q "^ *24  data_alloc" "$tmp/out"
check "it prints the tail of the operation log, up to the failing one"
"$MEMHP" torture "${WATCHDOG[@]}" --replay "$tmp/bad.replay" --shrink -q >"$tmp/out" 2>&1
[ "$(grep -c '^op ' "$tmp/bad.replay.min")" = 1 ] && grep -q '^op selftest' "$tmp/bad.replay.min"
check "--shrink keeps the one operation that still fails"
"$MEMHP" torture "${WATCHDOG[@]}" --replay "$tmp/bad.replay.min" -q >"$tmp/out" 2>&1
[ "$?" -eq 1 ] && grep -q "operation 1 of the run" "$tmp/out"
check "the shrunk replay fails the same way"

# A counter found off while the run's threads were at work is looked at
# again once they have stopped: a count really lost stays (selftest 1 takes
# a page out of managed_pages for good, found by the check after the 16th
# operation, which names the page and the last change of its count: the
# selftest's, -1 page); a finding that is not a counter is not looked at
# again.
{
	echo "memhp-torture-replay 1"
	echo "seed 7"
	echo "protocol 6.1"
	echo "threads 2"
	echo "walkers 2"
	for i in $(seq 1 14); do echo "op data_alloc 0x40 0 0"; done
	echo "op selftest 0x1 0 0"
	echo "op data_alloc 0x40 0 0"
} >"$tmp/drift.replay"
"$MEMHP" torture "${WATCHDOG[@]}" --replay "$tmp/drift.replay" -q >"$tmp/out" 2>&1
grep -q "VIOLATION: seed 7, protocol 6.1, operation 16 of the run" "$tmp/out" &&
	grep -q "^    and pfn 0x[0-9a-f]*: ledger change [0-9]* of [0-9]*: -1 pages at 0x[0-9a-f]*, thread \"memhp\", from memhp+0x[0-9a-f]*$" "$tmp/out" &&
	grep -q "^  with the run's threads stopped, still: pfn 0x[0-9a-f]*: DMA32 page (in use, refcount 1) is a managed page; managed_pages does not count it" "$tmp/out"
check "a counter off mid-run is checked again with the threads stopped, and stays"
cp "$tmp/out" "$tmp/drift.out"
"$MEMHP" torture "${WATCHDOG[@]}" --replay "$tmp/bad.replay" -q >"$tmp/out" 2>&1
! grep -q "with the run's threads stopped" "$tmp/out"
check "... a finding that is no counter is not"

# Deterministic: the threads take turns by the seed, so the operation log,
# results and (virtual) times included, is the same twice.
for i in 1 2; do
	"$MEMHP" torture "${WATCHDOG[@]}" --seed 5 --ops 60 --run-ops 60 --protocol 2025 --deterministic \
		--log "$tmp/det$i" -q >"$tmp/out" 2>&1
done
cmp -s "$tmp/det1" "$tmp/det2" && [ "$(grep -c '^ *[0-9]*  ' "$tmp/det1")" -eq 60 ]
check "--deterministic: the same operation log twice, results and times included" "$tmp/det1"

# --schedule: the same operations under another schedule, as often as wanted.
sed -e 's/^threads 0/threads 1/' -e 's/^walkers 0/walkers 1/' "$tmp/bad.replay" >"$tmp/racy.replay"
"$MEMHP" torture "${WATCHDOG[@]}" --replay "$tmp/racy.replay" --schedule 5 >"$tmp/s1" 2>&1
"$MEMHP" torture "${WATCHDOG[@]}" --replay "$tmp/racy.replay" --schedule 5 >"$tmp/s2" 2>&1
cmp -s "$tmp/s1" "$tmp/s2" && grep -q "VIOLATION: seed 7, protocol 6.1, operation 25" "$tmp/s1"
check "--replay --schedule S: the same run twice" "$tmp/s1"

"$MEMHP" torture "${WATCHDOG[@]}" --ops 10 --seconds 1 >"$tmp/out" 2>&1
[ "$?" -eq 2 ]
check "--ops and --seconds together are a usage error"

# scripts/torture-campaign --summary adds up the shard logs of a campaign
# whose script did not live to its end: a shard that finished counts by its
# summary, one that did not by its last progress line, and a violation in
# either makes the campaign fail.
mkdir "$tmp/camp"
"$MEMHP" torture "${WATCHDOG[@]}" --seed 20 --ops 30 --run-ops 30 --protocol 6.1 --shard 0/2 -q \
	>"$tmp/camp/shard-0.txt" 2>&1
{
	cat "$tmp/drift.out"
	echo "memhp torture: so far 17 operations in 1 runs, 3 s; 1 violations; 1 runs tainted"
} | grep -v '^memhp torture: [0-9]* operations in' >"$tmp/camp/shard-1.txt"
scripts/torture-campaign --summary "$tmp/camp" --san thread >"$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 1 ] &&
	grep -q "^torture-campaign: SAN=thread seed [0-9]*, 2 shards: $((30 + 17)) operations in 2 runs, .*; 1 violations; 0 sanitizer reports; .*; 1 shards did not finish" "$tmp/out" &&
	[ ! -e "$tmp/camp/summary.txt" ]
check "torture-campaign --summary adds up finished and unfinished shards"
