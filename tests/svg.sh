#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/svg.sh - the memory map (--svg) read back as XML: addresses with
# their 0x, the zones of a block that spans two, a legend entry for every
# colour a row uses, a virtio-mem region marked beside its rows and its
# plugged device blocks outlined, a finding's page marked, and a tooltip
# (<title>) on every row and every cell. TAP output; $MEMHP is the program.
set -u
. "$(dirname "$0")/expect_run.bash"

# The python checks' "ok - NAME" / "not ok - NAME" lines, as TAP.
results() {
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done <"$tmp/results"
}

"$MEMHP" run tests/lua/svg-marks.lua -q --seed 1 --svg "$tmp/marks.svg" >"$tmp/out" 2>&1 ||
	not_ok "memhp run tests/lua/svg-marks.lua --svg"

python3 - "$tmp/marks.svg" >"$tmp/results" 2>&1 <<'PY'
import re, sys, xml.etree.ElementTree as ET

NS = '{http://www.w3.org/2000/svg}'
root = ET.parse(sys.argv[1]).getroot()
parent = {c: p for p in root.iter() for c in p}

def title_of(e):
    while e is not None:
        t = e.find(NS + 'title')
        if t is not None:
            return t.text or ''
        e = parent.get(e)
    return None

def check(ok, name):
    print('%s - %s' % ('ok' if ok else 'not ok', name))

texts = [t.text or '' for t in root.iter(NS + 'text')]
rows = [t for t in texts if re.match(r'memory[0-9]', t)]
check(any(re.fullmatch(r'memory0 +0x0{9} +online +DMA/DMA32', t) for t in rows) and
      all(re.match(r'memory[0-9-]+ +0x[0-9a-f]{9} ', t) for t in rows),
      'every row shows its address with 0x, memory0 too')
check(not any(t.split()[-1] == 'zones' for t in rows),
      'a block of two zones names them (DMA/DMA32), not "zones"')

# Row swatches are 10 px wide at the left margin; legend boxes 12 px.
rects = list(root.iter(NS + 'rect'))
swatches = {r.get('fill') for r in rects if r.get('width') == '10'}
legend = {r.get('fill') for r in rects if r.get('width') == '12'}
check(swatches <= legend and '#cccccc' in legend,
      'every colour a row uses is in the legend, the grey of several zones too (missing: %s)'
      % sorted(swatches - legend))

bars = [r for r in rects if r.get('class') == 'virtio-mem']
check(len(bars) == 2 and all('virtio-mem vm0: region [mem 0x0100000000-0x013fffffff]' in title_of(b)
                             for b in bars) and texts.count('virtio-mem vm0') == 1,
      'the virtio-mem region is marked beside its two rows and named once (%d bars)' % len(bars))
plugged = [r for r in rects if r.get('class') == 'plugged']
check(len(plugged) == 100 and not any(r.get('stroke-dasharray') for r in plugged),
      'each plugged 2 MiB device block is outlined: 100 cells (%d)' % len(plugged))
check(all('virtio-mem vm0: 1 of 1 device block plugged' in title_of(r) for r in plugged),
      '... and its tooltip says plugged')
marks = [p for p in root.iter(NS + 'path') if p.get('class') == 'finding']
check(len(marks) == 1 and 'svg-test at pfn 0x109005: a finding the map must mark' in title_of(marks[0])
      and 'memory33 [mem 0x0109000000-0x01091fffff]' in title_of(marks[0]),
      "a finding's page is marked, in the cell of its pfn, with the finding in the tooltip")

# A strip (3 px, the migratetype) tops each online cell.
strips = [r for r in rects if r.get('height') == '3']
check(strips and all(title_of(r) and 'pages: ' in title_of(r) for r in strips),
      'every cell has a tooltip with its pages (%d cells)' % len(strips))
labels = [t for t in root.iter(NS + 'text') if re.match(r'memory[0-9]', t.text or '')]
check(all(title_of(t) and '[mem 0x' in title_of(t) for t in labels) and
      any('valid_zones: Movable' in title_of(t) for t in labels),
      'every row has a tooltip with its range, state and valid_zones')
PY

results
[ -s "$tmp/results" ] || not_ok "the map could be read back"

# Several nodes: each row names its node and never spans two; one node: no
# node in the labels (the map above).
"$MEMHP" run scenarios/numa.lua -q --seed 1 --svg "$tmp/numa.svg" >"$tmp/out" 2>&1 ||
	not_ok "memhp run scenarios/numa.lua --svg"
python3 - "$tmp/numa.svg" "$tmp/marks.svg" >"$tmp/results" 2>&1 <<'PY'
import re, sys, xml.etree.ElementTree as ET

NS = '{http://www.w3.org/2000/svg}'
def rows(path):
    root = ET.parse(path).getroot()
    out = []
    for g in root.iter(NS + 'g'):
        t, title = g.find(NS + 'text'), g.find(NS + 'title')
        if t is not None and re.match(r'memory[0-9]', t.text or ''):
            out.append((t.text, title.text if title is not None else ''))
    return out

def check(ok, name):
    print('%s - %s' % ('ok' if ok else 'not ok', name))

numa = rows(sys.argv[1])
# Node 1's boot RAM is blocks 4-7 (512 MiB each node); vm1 is at 5 GiB (memory40).
def node_of(label):
    m = re.search(r' node([0-9])$', label.split('(')[0].rstrip())
    return int(m.group(1)) if m else None
check(numa and all(node_of(l) is not None for l, _ in numa),
      'with two nodes every row label ends with its node (%d rows)' % len(numa))
check(any(l.startswith('memory160 ') and node_of(l) == 1 for l, _ in numa) and
      any(l.startswith('memory0 ') and node_of(l) == 0 for l, _ in numa),
      "... vm1's memory160 is node1's, memory0 node0's")
check(not any(re.match(r'memory[0-3]-[4-9]', l) for l, _ in numa),
      '... a row never takes blocks of two nodes')
check(all(', node %d' % node_of(l) in t for l, t in numa),
      '... and each tooltip says the node')
check(not any('node' in l for l, _ in rows(sys.argv[2])),
      'with one node the labels name no node')
PY
results

# memmap_on_memory: the first 2 MiB of a block that carries its memmap are
# "reserved / memmap" in the map; virtio-mem's block (memory96) has none.
"$MEMHP" run scenarios/memmap-on-memory.lua -q --seed 1 --svg "$tmp/mom.svg" >"$tmp/out" 2>&1 ||
	not_ok "memhp run scenarios/memmap-on-memory.lua --svg"
python3 - "$tmp/mom.svg" >"$tmp/results" 2>&1 <<'PY'
import sys, xml.etree.ElementTree as ET

NS = '{http://www.w3.org/2000/svg}'
titles = [t.text or '' for t in ET.parse(sys.argv[1]).getroot().iter(NS + 'title')]
def cell(rng):
    return [t for t in titles if t.startswith(rng + ', pfn')]
def check(ok, name):
    print('%s - %s' % ('ok' if ok else 'not ok', name))
mom = cell('memory320 [mem 0x0a00000000-0x0a001fffff]')
check(len(mom) == 1 and '512 reserved' in mom[0] and ' 0 free' in mom[0],
      "a memmap_on_memory block's first 2 MiB are its memmap" + ('' if mom else ' (no cell)'))
vmem = cell('memory96 [mem 0x0300000000-0x03001fffff]')
check(len(vmem) == 1 and ' 0 reserved' in vmem[0],
      "virtio-mem's one-block big block has none" + ('' if vmem else ' (no cell)'))
PY
results

echo "1..$n"
