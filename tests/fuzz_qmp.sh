#!/bin/sh
# SPDX-License-Identifier: MIT
#
# fuzz_qmp.sh - build tests/fuzz/fuzz_qmp.c with clang's libFuzzer (and
# ASan, UBSan) and fuzz the QMP parser and dispatcher for a few seconds.
# TAP output; skipped cleanly without clang or libFuzzer.
#
#   FUZZ_SECONDS=60 tests/fuzz_qmp.sh      fuzz longer
#
# Objects go to the fuzz/ directory next to $MEMHP (the build directory of
# the make that runs the tests), or build/fuzz-qmp; only stale ones are rebuilt.
# New corpus entries stay there, never in the source tree.
# Independent of the build under test: the default check runs it.
[ -n "${MEMHP_SAN:-}" ] && { echo "1..0 # SKIP the same under SAN=$MEMHP_SAN: the default check runs it"; exit 0; }
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${MEMHP:-}" ]; then
	out=$(dirname "$MEMHP")/fuzz
else
	out=$top/build/fuzz-qmp
fi
seconds=${FUZZ_SECONDS:-5}
CLANG=${CLANG:-clang}

echo "TAP version 13"
if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "1..0 # SKIP clang not found"
	exit 0
fi
if ! pkg-config --exists jansson 2>/dev/null; then
	echo "1..0 # SKIP jansson not found"
	exit 0
fi
mkdir -p "$out/obj" "$out/corpus" || exit 1
probe=$out/probe.c
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' > "$probe"
if ! "$CLANG" -fsanitize=fuzzer "$probe" -o "$out/probe" 2>/dev/null; then
	# clang without libFuzzer: a set-up to fix (scripts/deps), not a reason
	# to let the parser go unfuzzed.
	echo "1..1"
	echo "not ok 1 - $CLANG cannot link libFuzzer targets: install libclang-rt-dev (scripts/deps)"
	exit 1
fi
echo "1..2"

san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cflags="-std=gnu11 -O1 -g -pthread -Wall -Wextra -Wno-unused-parameter -I$top/include -D_GNU_SOURCE $(pkg-config --cflags jansson)"
objs=""
failed=0
log=$out/build.log
: > "$log"
# The library is sanitized, not instrumented: coverage is wanted in src/qmp.
for src in "$top"/src/mm/*.c "$top"/src/workload/*.c "$top"/src/drivers/*.c \
	   "$top"/src/device/*.c "$top"/src/sysfs/*.c "$top"/src/lib/*.c "$top"/src/qmp/*.c \
	   "$top"/tests/fuzz/fuzz_qmp.c; do
	[ -e "$src" ] || continue	# a directory with no sources
	rel=${src#"$top"/}
	obj=$out/obj/$(echo "$rel" | tr / _).o
	case $rel in
	src/qmp/* | tests/fuzz/*) extra=-fsanitize=fuzzer-no-link ;;
	*) extra= ;;
	esac
	if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find "$top/include" "$top/src" "$top/tests/fuzz" -name '*.h' -newer "$obj" 2>/dev/null | head -1)" ]; then
		# shellcheck disable=SC2086
		"$CLANG" $cflags $san $extra -c "$src" -o "$obj" >>"$log" 2>&1 || failed=1
	fi
	objs="$objs $obj"
done
# shellcheck disable=SC2086
if [ $failed = 0 ] && "$CLANG" $san -fsanitize=fuzzer -o "$out/fuzz_qmp" $objs \
	$(pkg-config --libs jansson) -pthread -lm >>"$log" 2>&1; then
	echo "ok 1 - fuzz_qmp builds with $CLANG -fsanitize=fuzzer,address,undefined"
else
	echo "not ok 1 - fuzz_qmp builds with $CLANG -fsanitize=fuzzer,address,undefined"
	sed 's/^/# /' "$log" | tail -30
	echo "not ok 2 - fuzz_qmp runs for ${seconds}s # SKIP not built"
	exit 1
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if "$out/fuzz_qmp" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
	-artifact_prefix="$out/" \
	-dict="$top/tests/fuzz/qmp.dict" -print_final_stats=0 \
	"$out/corpus" "$top/tests/fuzz/corpus_qmp" >"$out/run.log" 2>&1; then
	echo "ok 2 - fuzz_qmp runs for ${seconds}s without a finding"
	grep -E '^(#[0-9]+ +DONE|Done)' "$out/run.log" | sed 's/^/# /'
else
	echo "not ok 2 - fuzz_qmp runs for ${seconds}s without a finding"
	grep -v '^#[0-9]' "$out/run.log" | tail -40 | sed 's/^/# /'
	exit 1
fi
