#!/bin/bash
# SPDX-License-Identifier: MIT
# The kernel's own test, tools/testing/selftests/memory-hotplug/
# mem-on-off-test.sh, taken at test time from the installed Debian
# linux-source-6.1 tarball (apt-get install linux-source-6.1) and run
# unmodified inside "memhp shell", error injection included.
#
# The machine: -m 512M and a 1G pc-dimm (memory0-3, memory32-39). Two
# blocks cannot go, as on a real guest: memory0 (DMA and DMA32) and
# memory3 (the firmware hole below 512M). So -r 100 fails the way it fails
# on a real kernel ("unable to offline some memory blocks"), and every
# ratio up to the blocks that can go passes.

. "$(dirname "$0")/lib.bash"

KSRC_TAR=${KSRC_TAR:-/usr/src/linux-source-6.1.tar.xz}
SELFTESTS=linux-source-6.1/tools/testing/selftests
MACHINE=(-m 512M --device pc-dimm,id=d0,size=1G)
# Runs of -r 50 until one has tried the injector both ways (see below).
SELFTEST_INJECTION_TRIES=4

# run_selftest RATIO: the script's output in $TEST_TMP/out.RATIO, bash's
# trace in $TEST_TMP/trace.RATIO; returns its exit status.
run_selftest() {
	bash -x "$KSRC/memory-hotplug/mem-on-off-test.sh" -r "$1" \
		> "$TEST_TMP/out.$1" 2> "$TEST_TMP/trace.$1"
}

part_selftest() {
	local rc
	for r in 2 10 50; do
		run_selftest $r
		rc=$?
		is "$rc" 0 "mem-on-off-test.sh -r $r passes" ||
			diag "$(grep -v '^+' "$TEST_TMP/trace.$r" | tail -20)"
	done
	# The injector was really used: with -r 50 some onlines and offlines
	# were made to fail by it, and the script saw them fail. Which blocks
	# the script tries is bash's $RANDOM (half of them each time), so a
	# run may try none: run it again, a few times, until it has.
	for _ in $(seq 2 "$SELFTEST_INJECTION_TRIES"); do
		grep -q '^+ online_memory_expect_fail' "$TEST_TMP/trace.50" &&
			grep -q '^+ offline_memory_expect_fail' "$TEST_TMP/trace.50" && break
		run_selftest 50
		is "$?" 0 "mem-on-off-test.sh -r 50 passes again" ||
			diag "$(grep -v '^+' "$TEST_TMP/trace.50" | tail -20)"
	done
	check "-r 50: onlines failed by MEM_GOING_ONLINE injection" \
		grep -q '^+ online_memory_expect_fail' "$TEST_TMP/trace.50"
	check "-r 50: offlines failed by MEM_GOING_OFFLINE injection" \
		grep -q '^+ offline_memory_expect_fail' "$TEST_TMP/trace.50"
	check "-r 50: the test reached the injection part" \
		grep -q 'Test with memory notifier error injection' "$TEST_TMP/out.50"
	is "$(grep -v '^+' "$TEST_TMP/trace.50" | grep 'skip extra tests')" "" \
		"... and did not skip it"
	is "$(cat $NEI/actions/MEM_GOING_ONLINE/error $NEI/actions/MEM_GOING_OFFLINE/error)" \
		"0
0" "modprobe -r (the stand-in) left the injector clear"
	is "$(lsmem -a -r -n -o STATE | sort | uniq -c | tr -s ' ')" " 12 online" \
		"every block is online again at the end"

	run_selftest 100
	rc=$?
	is "$rc" 1 "-r 100 fails, as on a real kernel: two blocks cannot go"
	check "... with the kernel test's own reason" \
		grep -q 'FAILED - unable to offline some memory blocks, device busy?' \
		"$TEST_TMP/out.100"

	run_selftest 0
	is "$?" 0 "-r 0 passes"

	# The kselftest runner, and the Makefile's run_full_test (-r 10).
	is "$(make -s -C "$KSRC/memory-hotplug" run_tests 2>&1 | grep '^ok\|^not ok')" \
		"ok 1 selftests: memory-hotplug: mem-on-off-test.sh" "kselftest runner: ok 1"
	is "$(make -s -C "$KSRC/memory-hotplug" run_full_test 2>&1 | tail -1)" \
		"memory-hotplug selftests: [PASS]" "make run_full_test: [PASS]"
}

part_priority() {
	# The selftest's "-p" reaches the notifier through modprobe priority=.
	bash "$KSRC/memory-hotplug/mem-on-off-test.sh" -r 10 -p 7 > /dev/null 2>&1
	is "$?" 0 "mem-on-off-test.sh -p 7 passes"
	/sbin/modprobe -q memory-notifier-error-inject priority=7
	is "$(cat $NEI/priority)" 7 "the stand-in modprobe sets the injector's priority"
	/sbin/modprobe -q some-module
	is "$?" 1 "the stand-in modprobe knows no other module"
}

tap_init "$0" "$@"
require_tools bash bc make awk grep lsmem
[ -r "$KSRC_TAR" ] || skip_all "$KSRC_TAR is missing (apt-get install linux-source-6.1)"
# Only what the test needs, into a temporary directory, never committed.
tar -xJf "$KSRC_TAR" -C "$TEST_TMP" "$SELFTESTS/memory-hotplug" "$SELFTESTS/lib.mk" \
	"$SELFTESTS/kselftest" || skip_all "cannot extract the selftest from $KSRC_TAR"
export KSRC=$TEST_TMP/$SELFTESTS
in_shell "${MACHINE[@]}" -- part_selftest
in_shell "${MACHINE[@]}" -- part_priority
finish
