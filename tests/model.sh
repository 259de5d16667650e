#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/model.sh - the Promela model of the PageOffline refcount protocol
# (tests/model/pageoffline.pml) through spin. For each variant: spin -a
# writes the verifier, cc compiles it, pan searches every interleaving.
# The protocols must hold (0 errors, search complete); each broken variant
# must give a counterexample, of the invariant it breaks, whose trail is
# printed as a diagnostic. Then tests/model/map_check.py ties the model's
# steps to src/ and to the table in docs/reliability.md. TAP output; no
# memhp binary needed, but spin is: scripts/deps installs it, and without
# it this fails rather than skips (docs/reliability.md says why).
# Independent of the build under test: the default check runs it.
[ -n "${MEMHP_SAN:-}" ] && { echo "1..0 # SKIP the same under SAN=$MEMHP_SAN: the default check runs it"; exit 0; }
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.bash

MODEL=tests/model/pageoffline.pml

# Bounds of one pan run. The largest (two walkers) stores about 1.4 million
# states in about 70 MB, about 34000 steps deep.
PAN_MEMLIM_MB=256	# -DMEMLIM: pan stops rather than take more of a shared machine
PAN_HASH_BITS=20	# -w: 2^20 hash slots (8 MB); more states only collide
PAN_MAX_DEPTH=200000	# -m: the DFS stack; a search cut short fails the test
# -O0: each search takes about a second, and -O1 costs more to compile than
# it saves; -w: pan.c is generated code, its warnings are spin's business.
PAN_CFLAGS=(-O0 -w -DSAFETY -DCOLLAPSE "-DMEMLIM=$PAN_MEMLIM_MB")

# name | -D switches | "holds", or the violation flag pan must report
VARIANTS=(
	"6.1||holds"
	"2025|-DPROTO_2025|holds"
	"6.1, two walkers|-DNWALKERS=2|holds"
	"2025, two walkers|-DPROTO_2025 -DNWALKERS=2|holds"
	"the 2019 race: the driver lets go before isolation|-DRACE_2019|pageoffline_page_freed"
	"6.1 after its WARN: the walker's put frees the page|-DSTRICT|pageoffline_page_freed"
	"2025 after its WARN: offline completes with a walker's reference|-DPROTO_2025 -DSTRICT|offline_with_reference"
	"MEM_CANCEL_OFFLINE without the hotplug_active guard|-DCANCEL_UNGUARDED|refcount_not_conserved"
	"a walker's reference on a refcount-0 PageOffline page|-DGET_ON_ZERO|pageoffline_page_freed"
	"6.1, the walker's lookup and get two steps|-DLATE_GET|holds"
	"2025, the walker's lookup and get two steps: a reference after the offline looked, no WARN|-DPROTO_2025 -DLATE_GET|offline_with_reference"
)

for tool in spin cc python3; do
	command -v "$tool" >/dev/null || {
		echo "1..1"
		echo "not ok 1 - $tool is not installed (scripts/deps installs it)"
		exit 1
	}
done

TEST_TMP=$(mktemp -d /tmp/memhp-model.XXXXXX)
trap 'rm -rf "$TEST_TMP"' EXIT
export TAP_COUNT=$TEST_TMP/tap-count
: >"$TAP_COUNT"

# field NAME FILE: a number from pan's report
field() {
	case $1 in
	errors) sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$2" ;;
	depth) sed -n 's/.*depth reached \([0-9]*\),.*/\1/p' "$2" ;;
	states) awk '/ states, stored$/ { print $1 }' "$2" ;;
	transitions) awk '/ transitions \(= stored\+matched\)/ { print $1 }' "$2" ;;
	time) sed -n 's/^pan: elapsed time \([0-9.e+-]*\) seconds.*/\1/p' "$2" ;;
	violation) sed -n 's/^pan:1: assertion violated *!(\([A-Za-z_0-9]*\)).*/\1/p' "$2" | head -1 ;;
	esac
}

# trail_story DIR SWITCHES...: the trail, as the model's printf lines tell
# it, and the failed assertion.
trail_story() {
	local dir=$1
	shift
	(cd "$dir" && spin "$@" -t pageoffline.pml 2>&1) |
		sed -n -e 's/^ *\(hotplug:\|driver:\|RFC driver:\|walker:\|data:\|WARN\|BAD PAGE\|put_page\|refcount\)/\1/p' \
			-e 's/^spin: text of failed assertion: /violated: /p'
}

i=0
for v in "${VARIANTS[@]}"; do
	IFS='|' read -r name defs expect <<<"$v"
	read -ra switches <<<"$defs"
	i=$((i + 1))
	dir=$TEST_TMP/$i
	mkdir "$dir"
	cp "$MODEL" "$dir/"
	# A counterexample should be the shortest there is: breadth first.
	search=()
	[ "$expect" = holds ] || search=(-DBFS)
	# spin reports some syntax errors with exit status 0: look at what it said.
	if ! (cd "$dir" && spin "${switches[@]}" -a pageoffline.pml >spin.log 2>&1) ||
		grep -qi error "$dir/spin.log"; then
		not_ok "$name: spin -a $defs"
		diag "$(cat "$dir/spin.log")"
		continue
	fi
	if ! (cd "$dir" && cc "${PAN_CFLAGS[@]}" "${search[@]}" -o pan pan.c >cc.log 2>&1); then
		not_ok "$name: cc pan.c"
		diag "$(tail -20 "$dir/cc.log")"
		continue
	fi
	(cd "$dir" && ./pan -n -w$PAN_HASH_BITS -m$PAN_MAX_DEPTH >pan.log 2>&1)
	log=$dir/pan.log
	errors=$(field errors "$log")
	summary="$(field states "$log") states, $(field transitions "$log") transitions, depth $(field depth "$log"), $(field time "$log") s"
	if [ "$expect" = holds ]; then
		if [ "$errors" = 0 ] && ! grep -q 'Search not completed\|max search depth too small' "$log"; then
			ok "$name: no violation in $summary"
		else
			not_ok "$name: expected no violation"
			diag "$(grep -E 'violated|errors:|Search not completed|too small|MEMLIM' "$log")"
			[ "${errors:-0}" != 0 ] && diag "$(trail_story "$dir" "${switches[@]}")"
		fi
	else
		got=$(field violation "$log")
		if [ "${errors:-0}" -gt 0 ] && [ "$got" = "$expect" ]; then
			ok "$name: $expect after $(field depth "$log") steps ($summary)"
			diag "$(trail_story "$dir" "${switches[@]}")"
		else
			not_ok "$name: expected a violation of $expect, got ${got:-none} (errors ${errors:-?})"
			diag "$(grep -E 'violated|errors:|Search not completed|too small|MEMLIM' "$log")"
		fi
	fi
done

if out=$(python3 tests/model/map_check.py 2>&1); then
	ok "every model step names C functions defined in src/ and has its row in docs/reliability.md"
	diag "$out"
else
	not_ok "the model's steps, src/ and the table in docs/reliability.md disagree"
	diag "$out"
fi

finish
