#!/bin/sh
# Case h: while an offline of a block is stuck retrying, which of the
# block's files can still be read, and which wait for the offline?
#
# The block $BLOCK (default 32, a DIMM block) is onlined movable and gets
# one page that cannot be migrated: in Linux, tests/guest/pagepin.c holds
# a reference through a vmsplice()d pipe; in memhp, run the shell with
# `--anon-memory SIZE,pinned` (the pinned memory lands in ZONE_MOVABLE).
# `echo offline > state` then retries for ever (6.1's offline_pages()
# gives up only on a signal). While it does, each of the block's files is
# read by a background cat; a read that has not finished after $WAIT_S
# seconds counts as blocked. Then the writer gets SIGTERM: the offline
# ends with EINTR, and we record when the blocked reads finished.
# A second writer (`echo online > state`, `echo 1 > online`) is tried too.
#
# Env: BLOCK (32), WAIT_S (3).
#
#   scripts/linux-guest tests/guest/stuck-offline-reads.sh -- -m 1G,slots=4,maxmem=16G \
#       -object memory-backend-ram,id=m0,size=1G -device pc-dimm,id=d0,memdev=m0
#   memhp shell -m 1G,slots=4,maxmem=16G --device pc-dimm,id=d0,size=1G \
#       --auto-online online_movable --anon-memory 64M,pinned \
#       -- sh tests/guest/stuck-offline-reads.sh
set -u
. "$(dirname "$0")/lib.sh"

BLOCK=${BLOCK:-32}
WAIT_S=${WAIT_S:-3}
header "h stuck-offline-reads BLOCK=$BLOCK"
d=$MEM/memory$BLOCK
tmp=$(mktemp -d)

# Online every offline block movable, so that the pin lands in one of them.
for s in $MEM/memory*/state; do
	[ "$(cat "$s")" = offline ] && write_attr online_movable "$s" > /dev/null
done
result state_before "$(cat $d/state)" "zone=$(cat $d/valid_zones)"

pin=
if in_linux; then
	pagepin "$(block_first_pfn "$BLOCK")" "$(block_pages)" 256 > "$tmp/pin" 2>&1 &
	pin=$!
	i=0
	while [ ! -s "$tmp/pin" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	result pin "$(cat "$tmp/pin")"
fi

dmesg_mark
# The writer is /bin/echo itself, so that the signal below reaches the
# task inside write(2).
/bin/echo offline > $d/state 2> "$tmp/offline.err" &
writer=$!
t0=$(now)
i=0
while [ "$(cat $d/state)" = online ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
result state_during "$(cat $d/state)" "after_ms=$(ms_between "$t0" "$(now)")"

for f in state online valid_zones phys_index phys_device removable uevent; do
	(cat $d/$f > "$tmp/read-$f" 2>&1; echo "$?" > "$tmp/done-$f") &
done
(write_attr online $d/state > "$tmp/write-state-online") &
(write_attr 1 $d/online > "$tmp/write-online-1") &
sleep "$WAIT_S"
for f in state online valid_zones phys_index phys_device removable uevent; do
	if [ -f "$tmp/done-$f" ]; then
		result "read_$f" returned "value=$(tr '\n' ' ' < "$tmp/read-$f" | sed 's/ $//; s/ /|/g')"
	else
		result "read_$f" blocked "waited_s=$WAIT_S"
	fi
done
for w in write-state-online write-online-1; do
	if [ -s "$tmp/$w" ]; then result "$w" "$(cat "$tmp/$w")"; else result "$w" blocked "waited_s=$WAIT_S"; fi
done
result offline_still_running "$(kill -0 $writer 2>/dev/null && echo yes || echo no)"

# End the offline with SIGTERM to the writer: offline_pages() sees the
# signal and backs off with EINTR; the writer dies of the signal (143).
t1=$(now)
kill -TERM $writer
wait $writer
st=$?
result offline "exit=$st" "err=$(cat "$tmp/offline.err")" \
	"ended_ms_after_signal=$(ms_between "$t1" "$(now)")" "ran_ms=$(ms_between "$t0" "$(now)")"
i=0
while [ ! -f "$tmp/done-online" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
for f in state online valid_zones uevent; do
	result "read_${f}_after" "$(tr '\n' ' ' < "$tmp/read-$f" | sed 's/ $//; s/ /|/g')"
done
for w in write-state-online write-online-1; do result "${w}_after" "$(cat "$tmp/$w")"; done
result state_after "$(cat $d/state)"
if [ -n "$pin" ]; then kill "$pin"; wait "$pin" 2>/dev/null; fi
# The kernel log: how often the (rate-limited) migration failure was
# reported, and the first report.
dmesg_since > "$tmp/dmesg"
result dmesg_migration_failures "$(grep -c 'migrating pfn' "$tmp/dmesg")"
head -8 "$tmp/dmesg"
grep -v 'migrating pfn\|page:\|memcg:\|flags:\|raw: \|page dumped' "$tmp/dmesg" | head -20
rm -rf "$tmp"
