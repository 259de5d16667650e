#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/demo.sh - memhp demo (--quick, and once in full) against what it should do: it exits 0,
# loses no data, plugs down to exactly the requested size under both
# protocols, shows both columns, and writes a memory map and a trace that
# parse. TAP output; $MEMHP is the program.
set -u
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
	[ -n "${2:-}" ] && [ -f "$2" ] && sed 's/^/# /' "$2" | tail -40
}
# check NAME: ok if the condition just tested ($?) held.
check() {
	if [ "$?" -eq 0 ]; then ok "$1"; else not_ok "$1" "$tmp/out"; fi
}

# --quick: a 1 GiB guest plugs 1 GiB and goes down to 256 MiB; 128 MiB of
# data is written and 64 MiB of it freed, so 16384 pages must survive.
plug="1 GiB" to="256 MiB" pages=16384

"$MEMHP" demo --quick --seed 1 --svg "$tmp/map.svg" --trace "$tmp/trace.json" \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
cat "$tmp/err" >>"$tmp/out"
[ "$rc" -eq 0 ]
check "memhp demo --quick exits 0"
! grep -q 'Sanitizer\|runtime error:' "$tmp/out"
check "no sanitizer spoke"
head -1 "$tmp/out" | grep -q '^memhp demo: seed 1, --quick$'
check "the seed comes first"
grep -q '^== Linux 6.1: ' "$tmp/out" && grep -q '^== 2025 proposal: ' "$tmp/out"
check "both protocols run, each in its section"
grep -Eq '^ +Linux 6\.1 +2025 proposal *$' "$tmp/out"
check "the report has a column for each protocol"
# Requested and plugged, as the device reports them, in both columns.
grep -Eq "^requested size +$plug -> $to \(-768 MiB\) +$plug -> $to \(-768 MiB\) *$" "$tmp/out" &&
	grep -Eq "^plugged size \(device\) +$plug -> $to \(-768 MiB\) +$plug -> $to \(-768 MiB\) *$" "$tmp/out"
check "the device's plugged size is the requested size, in both columns"
[ "$(grep -Ec "^ *[0-9.]+ +1  \} = plugged $to +[0-9.]+ ms$" "$tmp/out")" -eq 2 ]
check "the driver's unplug ends at the requested size under each protocol"
grep -Eq "^Linux 6\.1: $pages pages verified, 0 lost\.  2025 proposal: $pages pages verified, 0 lost\.$" "$tmp/out" &&
	grep -Eq "^checksummed data +$pages pages verified, 0 lost +$pages pages verified, 0 lost *$" "$tmp/out"
check "every data page is verified and none lost, under each protocol"
# The host gets memory back: what stays resident fits in what stays plugged.
rss=$(sed -n 's/^host RSS of the region *[0-9.]* MiB -> \([0-9]*\)[0-9.]* MiB.*/\1/p' "$tmp/out")
[ -n "$rss" ] && [ "$rss" -le 256 ]
check "the host's RSS of the device region after the unplug fits in $to (${rss:-?} MiB)"
grep -Eq '^  0x0000000100000000-0x000000010fffffff +256 MiB  online +Movable +32-33 +MOVABLE *$' "$tmp/out"
check "the block table shows the device's remaining memory online in ZONE_MOVABLE"
! grep -q 'offline_pages memory' "$tmp/out"
check "the steps are summarised: one line per step, not one per operation"
grep -Eq '^  0x0000000000000000-0x0000000007ffffff +128 MiB  online +None +0 *$' "$tmp/out"
check "the block table writes a block of two zones (valid_zones none) as lsmem does: None"
sed -n '/^In short:$/,/^$/p' "$tmp/out" | sed '1d;/^$/d' >"$tmp/short"
[ "$(wc -l <"$tmp/short")" -eq 2 ] &&
	grep -Eq "^  Linux 6\.1: the driver dropped its pages' references before offlining; .+; $to plugged as requested\.$" "$tmp/short" &&
	grep -Eq "^  2025 proposal: pages kept their reference, offlining skipped them; .+; $to plugged as requested\.$" "$tmp/short"
check "the demo ends with what the two protocols did differently, in two lines"
# The notes that explain the report are there exactly when what they
# explain is: findings next to "0 violations", a PARTIAL block.
python3 - "$tmp/out" <<'PY'
import sys
lines = open(sys.argv[1]).read().split('\n')
LABEL, CELL = 28, 36
def cells(label):
    i = next(k for k, l in enumerate(lines) if l.startswith(label))
    return [lines[i][LABEL + c * (CELL + 2):LABEL + c * (CELL + 2) + CELL].strip() for c in range(2)]
findings, checker = cells('findings during the run'), cells('invariant checker')
puzzling = any(f != 'none' and c == '0 violations' for f, c in zip(findings, checker))
note = any(l.startswith('Findings are events:') for l in lines)
assert puzzling == note, (findings, checker, note)
partial = any('MOVABLE_PARTIAL' in l and l.startswith('  0x') for l in lines)
pnote = any(l.startswith('MOVABLE_PARTIAL N/64: ') for l in lines)
assert partial == pnote, (partial, pnote)
print('# findings beside 0 violations: %s; a PARTIAL block: %s' % (puzzling, partial))
PY
check "findings beside '0 violations' and MOVABLE_PARTIAL N/64 are explained when they show"

# The files.
grep -q "^memory map (2025 proposal): $tmp/map-2.svg$" "$tmp/out"
check "the memory maps were written, one per protocol"
python3 - "$tmp/map.svg" "$tmp/map-2.svg" <<'PY'
import sys, xml.etree.ElementTree as ET
for path in sys.argv[1:]:
    root = ET.parse(path).getroot()
    assert root.tag.endswith('svg'), root.tag
    text = ' '.join(t.text or '' for t in root.iter() if t.tag.endswith('text'))
    assert 'memory32' in text and 'Movable' in text, path
PY
check "each memory map is well-formed SVG with a row per block"
python3 - "$tmp/trace.json" <<'PY'
import sys, json
events = json.load(open(sys.argv[1]))['traceEvents']
pids = {e['pid'] for e in events if e.get('ph') != 'M'}
assert pids == {1, 2}, pids
depth = {}
for e in events:
    k = (e['pid'], e['tid'])
    if e['ph'] == 'B':
        depth[k] = depth.get(k, 0) + 1
    elif e['ph'] == 'E':
        depth[k] -= 1
        assert depth[k] >= 0, e
assert all(d == 0 for d in depth.values()), depth
names = {e['name'] for e in events}
assert {'offline_pages', 'alloc_contig_range', 'online_pages'} <= names, names
PY
check "the trace is valid Chrome trace JSON with both protocols, spans balanced"

# The full demo, as the README's first command runs it: a 4 GiB guest plugs
# 4 GiB and goes down to 1 GiB; 512 MiB written, half freed, so 65536 pages.
"$MEMHP" demo --seed 1 >"$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 0 ] &&
	grep -Eq "^Linux 6\.1: 65536 pages verified, 0 lost\.  2025 proposal: 65536 pages verified, 0 lost\.$" "$tmp/out" &&
	grep -Eq "^plugged size \(device\) +4 GiB -> 1 GiB \(-3 GiB\) +4 GiB -> 1 GiB \(-3 GiB\) *$" "$tmp/out"
check "memhp demo (the README's): exits 0, 4 GiB -> 1 GiB, 65536 pages verified and none lost"

# One protocol, and bad usage.
"$MEMHP" demo --quick --seed 2 --protocol 2025 >"$tmp/out" 2>&1 &&
	[ "$(grep -c '^== ' "$tmp/out")" -eq 1 ] && grep -q '^== 2025 proposal' "$tmp/out"
check "--protocol 2025 runs only that one"
for bad in "--protocol 6.2:bad protocol '6.2'" "--seed x:bad seed 'x'" "--sed 3:unknown option '--sed'" \
	"extra:unexpected argument 'extra'" "--svg:--svg needs a value"; do
	args=${bad%%:*} want=${bad#*:}
	# shellcheck disable=SC2086 # the options split on purpose
	"$MEMHP" demo $args >"$tmp/out" 2>&1
	[ "$?" -eq 2 ] && grep -qF -- "$want" "$tmp/out"
	check "memhp demo $args: exit 2, \"$want\""
done
"$MEMHP" demo --help >"$tmp/out" 2>&1 && grep -q '^usage: memhp demo' "$tmp/out"
check "memhp demo --help"

# The scenario the demo runs is built in: --print shows the source's copy,
# and memhp run runs what it shows (the small plan), findings allowed.
"$MEMHP" demo --print >"$tmp/demo.lua" 2>"$tmp/out" && cmp -s "$tmp/demo.lua" src/cli/demo.lua
check "memhp demo --print prints src/cli/demo.lua as it was built in"
"$MEMHP" run --seed 1 "$tmp/demo.lua" -- quick >"$tmp/out" 2>&1 &&
	grep -q '^PASS: .*; ran to the end$' "$tmp/out" &&
	grep -Eq '^ +[0-9.]+ +1 +data: 16384 pages verified against their checksums, 0 lost$' "$tmp/out"
check "memhp run of the printed scenario, -- quick: PASS, 16384 pages verified, none lost"

echo "1..$n"
