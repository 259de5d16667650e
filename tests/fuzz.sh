#!/bin/bash
# SPDX-License-Identifier: MIT
# A short run of the sysfs write fuzzer (tests/fuzz/fuzz_sysfs_write.c),
# built with clang's libFuzzer, ASan and UBSan by "make fuzz". The harness
# aborts on a crash, on an errno Linux would not give for the file, and on
# a rejected write that changed the tree. FUZZ_SECONDS sets the length.
# Needs no root: it drives the tree directly, without FUSE.
# Independent of the build under test: the default check runs it.
[ -n "${MEMHP_SAN:-}" ] && { echo "1..0 # SKIP the same under SAN=$MEMHP_SAN: the default check runs it"; exit 0; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_TO_RUN=${FUZZ_SECONDS:-5}

command -v clang > /dev/null || { echo "1..1"; echo "ok 1 # SKIP clang is not installed"; exit 0; }
echo "1..2"
WORK=$(mktemp -d /tmp/memhp-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
if make -s -C "$ROOT" fuzz > /dev/null 2> "$WORK/build.log"; then
	echo "ok 1 - the fuzzer builds with clang -fsanitize=fuzzer,address,undefined"
else
	echo "not ok 1 - the fuzzer builds with clang -fsanitize=fuzzer,address,undefined"
	sed 's/^/# /' "$WORK/build.log" | tail -20
	echo "ok 2 # SKIP no fuzzer"
	exit 1
fi
mkdir "$WORK/corpus"
if "$ROOT/build/fuzz/fuzz_sysfs_write" -dict="$ROOT/tests/fuzz/sysfs.dict" \
	-max_total_time="$SECONDS_TO_RUN" -artifact_prefix="$ROOT/build/fuzz/" \
	-print_final_stats=1 "$WORK/corpus" > "$WORK/log" 2>&1; then
	echo "ok 2 - ${SECONDS_TO_RUN}s of fuzzing the write parsers:" \
		"$(awk '/number_of_executed_units/ {print $2}' "$WORK/log") writes, no finding"
else
	echo "not ok 2 - fuzzing the write parsers found something (build/fuzz/crash-*)"
	grep -E '^fuzz:|ERROR|SUMMARY|Test unit written' "$WORK/log" | sed 's/^/# /'
	exit 1
fi
