#!/bin/sh
# SPDX-License-Identifier: MIT
#
# fuzz_cli.sh - build three libFuzzer targets with clang (and ASan, UBSan)
# and fuzz each for a few seconds:
#   fuzz_lua         Lua scenarios under memhp run --sandbox --timeout
#   fuzz_lua_api     the same, with tapes of API calls (lua_api_driver.lua)
#   fuzz_opts        the command lines of memhp serve and memhp shell
#   fuzz_qmp_resize  the QMP server while the virtio-mem driver resizes
# Before fuzzing, each target replays tests/fuzz/regress_TARGET/*: inputs
# that crashed or hung it once, kept so that they never do again.
# TAP output; skipped cleanly without clang, libFuzzer or the libraries.
#
#   FUZZ_SECONDS=60 tests/fuzz_cli.sh          fuzz longer
#   FUZZ_TARGETS="fuzz_lua" tests/fuzz_cli.sh  only some
#
# The fuzzers go to the fuzz-cli/ directory next to $MEMHP (the build
# directory of the make that runs the tests), or build/fuzz-cli, their
# objects to fuzz_qmp.sh's; only stale ones are rebuilt. New corpus entries
# stay there, never in the source tree.
# Independent of the build under test: the default check runs it.
[ -n "${MEMHP_SAN:-}" ] && { echo "1..0 # SKIP the same under SAN=$MEMHP_SAN: the default check runs it"; exit 0; }
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${MEMHP:-}" ]; then
	out=$(dirname "$MEMHP")/fuzz-cli
	# The objects are fuzz_qmp.sh's, built with the same flags: shared.
	objdir=$(dirname "$MEMHP")/fuzz/obj
else
	out=$top/build/fuzz-cli
	objdir=$top/build/fuzz-qmp/obj
fi
seconds=${FUZZ_SECONDS:-5}
targets=${FUZZ_TARGETS:-fuzz_lua fuzz_lua_api fuzz_opts fuzz_qmp_resize}
CLANG=${CLANG:-clang}
pkgs="lua5.4 fuse3 jansson"

echo "TAP version 13"
if ! command -v "$CLANG" > /dev/null 2>&1; then
	echo "1..0 # SKIP clang not found"
	exit 0
fi
# shellcheck disable=SC2086
if ! pkg-config --exists $pkgs 2> /dev/null; then
	echo "1..0 # SKIP $pkgs not all found"
	exit 0
fi
mkdir -p "$out" "$objdir" || exit 1
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' > "$out/probe.c"
if ! "$CLANG" -fsanitize=fuzzer "$out/probe.c" -o "$out/probe" 2> /dev/null; then
	echo "1..1"
	echo "not ok 1 - $CLANG cannot link libFuzzer targets: install libclang-rt-dev (scripts/deps)"
	exit 1
fi
set -- $targets
echo "1..$(($# * 2))"

san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# shellcheck disable=SC2086
cflags="-std=gnu11 -O1 -g -pthread -Wall -Wextra -Wno-unused-parameter -I$top/include -D_GNU_SOURCE $(pkg-config --cflags $pkgs)"
cflags="$cflags -DFUZZ_LUA_DRIVER=\"$top/tests/fuzz/lua_api_driver.lua\""
log=$out/build.log
: > "$log"
rm -f "$out/failed"
# compile SRC: its object, rebuilt when a source or header is newer. The
# library is sanitized only; the CLI, QMP and the harnesses are
# instrumented too, for coverage where the input lands.
compile() {
	rel=${1#"$top"/}
	obj=$objdir/$(echo "$rel" | tr / _).o
	deps="$top/include $top/src $top/tests/fuzz"
	pattern='*.h'
	case $rel in
	# A harness may include another (fuzz_lua_api.c includes fuzz_lua.c).
	tests/fuzz/*) extra=-fsanitize=fuzzer-no-link pattern='*.[ch]' ;;
	src/cli/* | src/qmp/* | src/fs/*) extra=-fsanitize=fuzzer-no-link ;;
	*) extra= ;;
	esac
	# shellcheck disable=SC2086 # $deps is a list
	if [ ! -e "$obj" ] || [ "$1" -nt "$obj" ] ||
		[ -n "$(find $deps -name "$pattern" -newer "$obj" 2> /dev/null | head -1)" ]; then
		# shellcheck disable=SC2086
		"$CLANG" $cflags $san $extra -c "$1" -o "$obj" >> "$log" 2>&1 || : > "$out/failed"
	fi
	echo "$obj"
}
lib=""
for src in "$top"/src/mm/*.c "$top"/src/workload/*.c "$top"/src/drivers/*.c \
	"$top"/src/device/*.c "$top"/src/sysfs/*.c "$top"/src/lib/*.c; do
	lib="$lib $(compile "$src")"
done
qmp=""
for src in "$top"/src/qmp/*.c; do
	qmp="$qmp $(compile "$src")"
done
cli=""
for src in "$top"/src/cli/*.c "$top"/src/fs/*.c; do
	case $src in */main.c) continue ;; esac
	cli="$cli $(compile "$src")"
done
# The scenario memhp demo runs, built in as the Makefile builds it.
if [ ! -e "$objdir/demo_lua.c" ] || [ "$top/src/cli/demo.lua" -nt "$objdir/demo_lua.c" ]; then
	"$top/scripts/embed" demo_lua "$top/src/cli/demo.lua" > "$objdir/demo_lua.c" || : > "$out/failed"
fi
cli="$cli $(compile "$objdir/demo_lua.c")"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The CLI's deterministic scheduler (src/cli/det.c) stands in for these
# calls, as in the memhp program's link.
detwrap=""
for f in $(cat "$top/src/cli/det.wrap"); do
	detwrap="$detwrap -Wl,--wrap=$f"
done
n=0
for t in "$@"; do
	case $t in
	fuzz_qmp_resize) objs="$lib $qmp" wrap="" libs="jansson" dict=qmp.dict timeout=10
		seeds=$top/tests/fuzz/corpus_qmp ;;
	# The shipped scenarios and the API's tests seed it too (read only).
	# A scenario is interrupted after 1 s, and memhp run gives up on it
	# 5 s later with _exit(124), which libFuzzer would not see: a hang
	# must be caught before, at 3 s, leaving libFuzzer time to report it.
	fuzz_lua) objs="$lib $qmp $cli" wrap=$detwrap libs=$pkgs dict=lua.dict timeout=3
		seeds="$top/tests/fuzz/corpus_lua $top/scenarios $top/tests/lua" ;;
	fuzz_lua_api) objs="$lib $qmp $cli" wrap=$detwrap libs=$pkgs dict=none timeout=3
		seeds=$top/tests/fuzz/corpus_lua_api ;;
	fuzz_opts) objs="$lib $qmp $cli" wrap=$detwrap libs=$pkgs dict=opts.dict timeout=10
		seeds=$top/tests/fuzz/corpus_opts ;;
	*) echo "not ok $((n += 1)) - $t: no such target"; echo "not ok $((n += 1)) - $t # SKIP"; continue ;;
	esac
	harness=$(compile "$top/tests/fuzz/$t.c")
	n=$((n + 1))
	# shellcheck disable=SC2086
	if [ ! -e "$out/failed" ] && "$CLANG" $san -fsanitize=fuzzer -o "$out/$t" $harness $objs \
		$(pkg-config --libs $libs) $wrap -pthread -lm >> "$log" 2>&1; then
		echo "ok $n - $t builds with $CLANG -fsanitize=fuzzer,address,undefined"
	else
		echo "not ok $n - $t builds with $CLANG -fsanitize=fuzzer,address,undefined"
		sed 's/^/# /' "$log" | tail -30
		echo "not ok $((n += 1)) - $t runs # SKIP not built"
		continue
	fi
	n=$((n + 1))
	mkdir -p "$out/corpus_$t"
	regress=$top/tests/fuzz/regress_$t
	# Each known finding once, then the corpus and new inputs for a while.
	# shellcheck disable=SC2086 # $seeds is a list
	# -timeout: a hang is an input that runs past it (fuzz_lua interrupts
	# a scenario after 1 s); -close_fd_mask=3: the target's own output
	# (memhp's messages) is not the fuzzer's.
	if { [ ! -d "$regress" ] ||
		"$out/$t" -timeout=$timeout -rss_limit_mb=4096 -close_fd_mask=3 \
			"$regress"/* > "$out/$t.regress.log" 2>&1; } &&
		"$out/$t" -max_total_time="$seconds" -timeout=$timeout -rss_limit_mb=4096 \
			-close_fd_mask=3 -artifact_prefix="$out/$t-" -print_final_stats=1 \
			$([ "$dict" = none ] || echo "-dict=$top/tests/fuzz/$dict") \
			"$out/corpus_$t" $seeds > "$out/$t.log" 2>&1; then
		echo "ok $n - $t runs for ${seconds}s without a finding:" \
			"$(awk '/stat::number_of_executed_units/ {print $2}' "$out/$t.log") inputs" \
			"$(ls "$regress" 2> /dev/null | wc -l | tr -d ' ') known findings replayed"
	else
		echo "not ok $n - $t runs for ${seconds}s without a finding ($out/$t-*)"
		cat "$out/$t.regress.log" "$out/$t.log" 2> /dev/null | grep -v '^#[0-9]' |
			tail -40 | sed 's/^/# /'
	fi
done
