#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/timeline.sh - the timeline as a reader takes it in: a header over
# its columns, as ftrace prints one, and every line after the lines of what
# caused it, so that with --logical-time the event numbers only grow down
# the page. TAP output; $MEMHP is the program.
set -u
. "$(dirname "$0")/expect_run.bash"

# ---- the header -----------------------------------------------------------------------
"$MEMHP" run scenarios/notifier-veto.lua --seed 1 >"$tmp/out" 2>&1
header=$(sed -n 2p "$tmp/out")
# A line with a duration ends where the header's "duration" does.
timed=$(grep -E ' [0-9]+\.[0-9]{3} ms$' "$tmp/out" | head -1)
if [[ $header =~ ^"# time ms tid  what"\ +duration$ ]] && [ "${#header}" -eq "${#timed}" ] &&
	sed -n 3p "$tmp/out" | grep -Eq '^ +[0-9]+\.[0-9]{3} +1  '; then
	ok "the timeline starts with a header over its columns: time, thread, what, duration"
else
	sed -n 1,3p "$tmp/out" | sed 's/^/# /'
	not_ok "the timeline starts with a header over its columns: time, thread, what, duration"
fi
if [ "$(grep -c '^# time ms' "$tmp/out")" -eq 1 ]; then
	ok "... once"
else
	not_ok "... once"
fi
"$MEMHP" run scenarios/notifier-veto.lua --seed 1 --logical-time >"$tmp/out" 2>&1
if [ "$(sed -n 2p "$tmp/out")" = "#   event tid  what" ]; then
	ok "with --logical-time the first column counts events, and the header says so"
else
	not_ok "with --logical-time the first column counts events, and the header says so"
fi
"$MEMHP" run scenarios/notifier-veto.lua --seed 1 -q >"$tmp/out" 2>&1
if ! grep -q '^#' "$tmp/out"; then
	ok "no header without a timeline (-q)"
else
	not_ok "no header without a timeline (-q)"
fi

# ---- cause before effect ---------------------------------------------------------------------
# Event numbers in the order the lines are printed: they must never go back.
in_order() {
	awk '/^ +[0-9]+ +[0-9]+  / { if ($1 + 0 < last) { print "# line " NR ": " $0 " after " last; bad = 1 } last = $1 + 0 }
		END { exit bad }' "$1"
}
for s in scenarios/virtio-mem-zone-normal.lua scenarios/virtio-mem-device-busy.lua \
	scenarios/virtio-mem-ch1884.lua scenarios/race-2019.lua; do
	"$MEMHP" run "$s" --seed 1 --logical-time >"$tmp/out" 2>&1
	if in_order "$tmp/out"; then
		ok "$s --logical-time: every line comes after the lines of what caused it"
	else
		not_ok "$s --logical-time: every line comes after the lines of what caused it"
	fi
done
"$MEMHP" run scenarios/virtio-mem-zone-normal.lua --seed 1 --logical-time >"$tmp/out" 2>&1
qom=$(grep -n 'qom-set vm0 requested-size 512 MiB {$' "$tmp/out" | head -1 | cut -d: -f1)
changed=$(grep -n '  virtio-mem config-changed$' "$tmp/out" | sed -n 2p | cut -d: -f1)
if [ -n "$qom" ] && [ -n "$changed" ] && [ "$qom" -lt "$changed" ]; then
	ok "the device's config-changed comes after the qom-set that caused it"
else
	echo "# qom-set at line ${qom:-?}, config-changed at line ${changed:-?}"
	not_ok "the device's config-changed comes after the qom-set that caused it"
fi

echo "1..$n"
