#!/bin/bash
# SPDX-License-Identifier: MIT
# The virtio balloon driven through QMP only, on a machine started from a
# QEMU command line pasted as it is, against what QEMU 7.2 and Debian's
# Linux 6.1 did with the same command line and the same steps
# (tests/guest/balloon-dimm-qmp.sh, docs/linux-comparison.md case j, and
# tests/guest/balloon-reporting.sh, case k):
#
#   - the guest writes and frees 256 MiB: the host's RSS rises by it;
#   - balloon to 1536M - 256M: query-balloon says 1342177280, BALLOON_CHANGE
#     follows (the first one 1 MiB into the inflation), MemTotal falls by
#     262144 kB, balloon_inflate is 65536, and the host's RSS falls by
#     about the 256 MiB (Linux + QEMU: 589576 -> 330400 kB);
#   - offlining two DIMM blocks migrates the balloon's pages out of them
#     (balloon_migrate), the balloon and query-balloon stay as they were;
#   - guest-stats carry MemTotal and MemFree in bytes;
#   - balloon back to 1536M: MemTotal returns, the RSS does not (QEMU only
#     hints MADV_WILLNEED);
#   - with free-page-reporting=on, memory the guest frees leaves the host's
#     RSS within seconds, without a balloon target (Linux + QEMU: within
#     2 s).

. "$(dirname "$0")/lib.bash"

HERE=$(cd "$(dirname "$0")" && pwd)
MiB=$((1 << 20))
QEMU_ARGS=(-machine q35 -accel tcg -m 1G,slots=2,maxmem=4G -nodefaults -display none
	-object memory-backend-ram,id=m0,size=512M -device pc-dimm,id=d0,memdev=m0
	-device virtio-balloon-pci,id=balloon0 -append "memhp_default_state=online_movable")
SERVE_PID=

start_serve() {
	"$MEMHP" serve --mount "$MNT" -qmp "unix:$TEST_TMP/qmp,server=on,wait=off" "$@" \
		2> "$TEST_TMP/serve.err" &
	SERVE_PID=$!
	poll test -S "$TEST_TMP/qmp" && poll test -r "$MNT/proc/meminfo"
}

stop_serve() {
	[ -n "$SERVE_PID" ] || return 0
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID"
	local rc=$?
	SERVE_PID=
	return $rc
}

cleanup() {
	stop_serve
	mountpoint -q "$MNT" && umount -l "$MNT"
	rm -rf "$TEST_TMP"
}

qmp() {
	python3 "$HERE/qmp.py" "$TEST_TMP/qmp" "$@"
}
meminfo_kb() {
	awk -v k="$1:" '$1 == k { print $2 }' "$MNT/proc/meminfo"
}
vmstat() {
	awk -v k="$1" '$1 == k { print $2 }' "$MNT/proc/vmstat"
}
rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$SERVE_PID/status"
}
# write_attr VALUE FILE: "ok" or the error, as tests/guest/lib.sh has it
write_attr() {
	local err
	err=$( { /bin/echo "$1" > "$2"; } 2>&1 ) && echo ok || echo "$err"
}
vmstat_is() {
	[ "$(vmstat "$1")" = "$2" ]
}
rss_below() {
	[ "$(rss_kb)" -lt "$1" ]
}
# pcp_kb: what the per-cpu lists hold (zoneinfo's pagesets' count), in kB.
# Free page reporting sees only the buddy: those pages stay resident.
pcp_kb() {
	awk '$1 == "count:" { n += $2 } END { print n * 4 }' "$MNT/proc/zoneinfo"
}
# rss_below_pcp BASE: the RSS is below BASE plus what the lists hold now.
rss_below_pcp() {
	[ "$(rss_kb)" -lt $(($1 + $(pcp_kb))) ]
}
# rss_check NAME COMMAND...: the RSS checks, except under ThreadSanitizer,
# whose shadow of the guest memory the guest touched stays resident and
# swamps the process's RSS (test_virtio_balloon.c checks the guest's pages
# themselves there).
TSAN=0
ldd "$MEMHP" 2>/dev/null | grep -q libtsan && TSAN=1
rss_check() {
	local name=$1
	shift
	if [ $TSAN = 1 ]; then
		ok "$name # SKIP ThreadSanitizer's shadow memory is in the RSS"
	else
		check "$name" "$@"
	fi
}

tap_init "$0" "$@"
require_tools python3 mountpoint dd
trap cleanup EXIT
MNT=$TEST_TMP/mnt
mkdir "$MNT"

check "memhp serve takes QEMU's command line as it is" start_serve "${QEMU_ARGS[@]}"
is "$(qmp raw '{"execute": "query-balloon"}')" '{"return": {"actual": 1610612736}}' \
	"query-balloon: -m plus the DIMM, as QEMU's RAM size"
is "$(qmp raw '{"execute": "query-memory-size-summary"}')" \
	'{"return": {"base-memory": 1073741824, "plugged-memory": 536870912}}' \
	"query-memory-size-summary counts the DIMM"

# The guest writes 256 MiB and frees it again.
rss0=$(rss_kb)
dd if=/dev/zero of="$MNT/dev/shm/fill" bs=1M count=256 2>/dev/null
rm "$MNT/dev/shm/fill"
rss1=$(rss_kb)
rss_check "what the guest wrote is resident on the host (+$((rss1 - rss0)) kB)" \
	test $((rss1 - rss0)) -ge $((250 * 1024))
total0=$(meminfo_kb MemTotal)

events=$(qmp balloon $((1280 * MiB)))
is "$(head -1 <<< "$events")" $((1536 * MiB - MiB)) \
	"the first BALLOON_CHANGE comes 1 MiB into the inflation, as with Linux"
is "$(qmp raw '{"execute": "query-balloon"}')" '{"return": {"actual": 1342177280}}' \
	"query-balloon after the inflation"
is "$(vmstat balloon_inflate)" 65536 "balloon_inflate counts 65536 pages"
is "$(($(meminfo_kb MemTotal) - total0))" -262144 "MemTotal falls by 262144 kB, as Linux's"
rss2=$(rss_kb)
rss_check "the host gets the pages back: RSS $rss1 -> $rss2 kB" \
	test $((rss1 - rss2)) -ge $((200 * 1024))

# Offline two of the DIMM's blocks: the balloon's pages there migrate.
for b in 32 33; do
	before=$(vmstat balloon_migrate)
	is "$(write_attr offline "$MNT/sys/devices/system/memory/memory$b/state")" ok \
		"memory$b goes offline with balloon pages in it"
	moved=$(($(vmstat balloon_migrate) - before))
	check "its balloon pages migrated ($moved)" test "$moved" -gt 0
done
is "$(qmp raw '{"execute": "query-balloon"}')" '{"return": {"actual": 1342177280}}' \
	"the balloon keeps its size through the migration"
is "$(vmstat balloon_inflate)/$(vmstat balloon_deflate)" 65536/0 \
	"nothing was inflated or deflated by the migration"

# Statistics.
is "$(qmp raw '{"execute": "qom-set", "arguments": {"path": "balloon0", "property": "guest-stats-polling-interval", "value": 2}}')" \
	'{"return": {}}' "guest-stats-polling-interval 2"
stats=$(qmp raw '{"execute": "qom-get", "arguments": {"path": "balloon0", "property": "guest-stats"}}')
total_bytes=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["return"]["stats"]["stat-total-memory"])' "$stats")
is "$total_bytes" $(($(meminfo_kb MemTotal) * 1024)) "stat-total-memory is MemTotal in bytes"

# Deflate.
qmp balloon $((1536 * MiB)) > /dev/null
is "$(qmp raw '{"execute": "query-balloon"}')" '{"return": {"actual": 1610612736}}' \
	"query-balloon after the deflation"
is "$(vmstat balloon_deflate)" 65536 "balloon_deflate counts 65536 pages"
rss3=$(rss_kb)
rss_check "deflating does not fill the host again (QEMU only hints WILLNEED): $rss2 -> $rss3 kB" \
	test $((rss3 - rss2)) -lt $((64 * 1024))
stop_serve
mountpoint -q "$MNT" && umount -l "$MNT"

# Free page reporting.
check "free-page-reporting=on" start_serve -m 1G \
	-device virtio-balloon-pci,id=balloon0,free-page-reporting=on
rss0=$(rss_kb)
dd if=/dev/zero of="$MNT/dev/shm/fill" bs=1M count=256 2>/dev/null
rss1=$(rss_kb)
rm "$MNT/dev/shm/fill"
# The driver reports every 2 s; Linux did within 2 s. Bounded wait: 10 s.
POLL_TRIES=1000
# What stays is what the per-cpu lists hold (up to the low watermark with
# one CPU, as 6.1's zone_highsize() makes it) and 64 MiB of slack.
rss_check "freed memory leaves the host's RSS without a balloon target, but for the per-cpu lists ($rss1 kB before)" \
	poll rss_below_pcp $((rss0 + 64 * 1024))
finish
