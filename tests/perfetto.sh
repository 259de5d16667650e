#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/perfetto.sh - the trace file as Perfetto shows it: each track named
# for its thread (scenario, virtio-mem driver worker, virtio-mem device,
# walker N), no track without events, instants named for what they are
# about ("virtio_mem: block 33 -> OFFLINE", not "OFFLINE"), and every
# argument in a unit its name or value says. TAP output; $MEMHP is the
# program.
set -u
. "$(dirname "$0")/expect_run.bash"

# perfetto_check TRACE NAME EXPECTED-TRACKS: the checks, one TAP line each.
perfetto_check() {
	python3 - "$@" <<'PY'
import json, re, sys

path, what, expected = sys.argv[1], sys.argv[2], set(sys.argv[3].split(','))
events = json.load(open(path))['traceEvents']
named = {(e['pid'], e['tid']): e['args']['name'] for e in events
         if e['ph'] == 'M' and e['name'] == 'thread_name'}
used = {(e['pid'], e['tid']) for e in events if e['ph'] != 'M'}
results = []

def check(ok, name, detail=''):
    results.append((ok, name, detail))

names = set(named.values())
walkers = {n for n in names if re.fullmatch(r'walker [0-9]+', n)}
check(names - walkers == expected and not any(n.startswith('thread ') for n in names),
      '%s: tracks are named for their threads (%s)' % (what, ', '.join(sorted(names))),
      'expected %s and walkers' % sorted(expected))
check(set(named) == used, '%s: every named track has events, every event a named track' % what,
      'named, empty: %s; unnamed: %s' % (sorted(set(named) - used), sorted(used - set(named))))
bare = sorted({e['name'] for e in events if e['ph'] == 'i' and re.fullmatch(r'[A-Z_]+', e['name'])})
states = [e['name'] for e in events if e['ph'] == 'i' and e.get('args', {}).get('state')]
check(not bare and states and all(re.fullmatch(r'virtio_mem: block [0-9]+ -> [A-Z_]+', n) for n in states),
      '%s: instants name the block they are about (%d driver states)' % (what, len(states)),
      'bare: %s' % bare)
blocks = [e for e in events if e['ph'] == 'i' and e['args'].get('event', '').startswith('memory_block_')]
check(blocks and all(e['name'].endswith(' ' + e['args']['block']) for e in blocks),
      '%s: memory_block_add/remove instants carry the block in name and args' % what)
# A number's unit is in its key (pages, rounds); sizes say theirs
# ("128 MiB"); pfns and addresses are hex; nothing is a bare "arg".
unit_keys = {'nr_pages', 'pages_moved', 'rounds', 'block_id'}
bad = set()
for e in events:
    if e['ph'] == 'M':
        continue
    for k, v in e.get('args', {}).items():
        if k == 'arg' or (isinstance(v, (int, float)) and k not in unit_keys):
            bad.add(k)
        if k in ('size', 'requested_size') and not re.fullmatch(r'[0-9.]+ [KMGT]?i?B', v):
            bad.add(k)
        if k in ('pfn', 'start_pfn', 'from_pfn', 'addr') and not re.fullmatch(r'0x[0-9a-f]+|0', v):
            bad.add(k)
check(not bad, '%s: every argument has its unit (pages, "128 MiB", hex pfns and addresses)' % what,
      'without: %s' % sorted(bad))
for ok, name, detail in results:
    print('%s - %s' % ('ok' if ok else 'not ok', name))
    if not ok and detail:
        print('# ' + detail)
PY
}

tap() {
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done
}

# The walkers race for real: a finding may fail the run, the trace is
# written all the same, and it is what is tested here.
"$MEMHP" run tests/lua/trace-threads.lua -q --seed 1 --trace "$tmp/run.json" >"$tmp/out" 2>&1
[ -s "$tmp/run.json" ] || not_ok "memhp run tests/lua/trace-threads.lua --trace writes the trace"
tap < <(perfetto_check "$tmp/run.json" "run" \
	"scenario,virtio-mem driver worker vm0,virtio-mem device vm0")

"$MEMHP" demo --quick --seed 1 --trace "$tmp/demo.json" >"$tmp/out" 2>&1 ||
	not_ok "memhp demo --quick --trace"
tap < <(perfetto_check "$tmp/demo.json" "demo" "scenario,virtio-mem device vm0")

echo "1..$n"
