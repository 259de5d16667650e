#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/install.sh - memhp as a user installs it: "make install DESTDIR=..."
# lays out the program, its man page and the scenarios the man page's
# examples run, the library with its soname and symlinks, the headers and
# memhp.pc; a C++ program built from the headers alone with pkg-config
# compiles, links against the shared library and runs; the program's help
# points to a man page that is there, installed or not. TAP output; $MEMHP
# is the program, in its build directory.
set -u
. "$(dirname "$0")/expect_run.bash"

B=$(dirname "$MEMHP")
B=${B#"$PWD"/}
dest=$tmp/dest
prefix=/usr/local
lib=$dest$prefix/lib
# check_ok STATUS NAME (not_ok shows $tmp/out, the last output).
check_ok() {
	if [ "$1" -eq 0 ]; then ok "$2"; else not_ok "$2"; fi
}

# The build's own compiler family and sanitizers: a program linked against
# a sanitized library needs the same runtime.
case $B in
*clang*) CXX=clang++ ;;
*) CXX=g++ ;;
esac
san=
case $B in
*-san-*) san=-fsanitize=$(echo "${B##*-san-}" | tr - ,) ;;
esac

# make's own variables would reach the inner make through the environment.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s install B="$B" DESTDIR="$dest" \
	PREFIX="$prefix" >"$tmp/out" 2>&1
check_ok $? "make install DESTDIR=... PREFIX=$prefix succeeds"

# ---- the shared library ---------------------------------------------------------
version=$(sed -n 's/^#define MEMHP_VERSION "\(.*\)"$/\1/p' include/memhp/memhp.h)
soname=$(readelf -d "$lib/libmemhp.so.$version" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libmemhp.so.0 ]
check_ok $? "libmemhp.so.$version has the soname libmemhp.so.0 (got '${soname}')"
[ "$(readlink "$lib/libmemhp.so.0")" = "libmemhp.so.$version" ] &&
	[ "$(readlink "$lib/libmemhp.so")" = libmemhp.so.0 ]
check_ok $? "libmemhp.so -> libmemhp.so.0 -> libmemhp.so.$version"
[ -f "$lib/libmemhp.a" ]
check_ok $? "the static library is installed"

# ---- pkg-config ------------------------------------------------------------------
export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
[ "$(pkg-config --modversion memhp 2>&1)" = "$version" ]
check_ok $? "pkg-config --modversion memhp is $version"
# shellcheck disable=SC2046 # words, whatever the spaces between them
[ "$(echo $(pkg-config --cflags --libs memhp 2>&1))" = "-I$dest$prefix/include -L$lib -lmemhp" ]
check_ok $? "pkg-config --cflags --libs memhp names the installed headers and library"
pkg-config --static --libs memhp | grep -q -- '-pthread' && pkg-config --static --libs memhp | grep -q -- '-lm'
check_ok $? "pkg-config --static adds what the static library needs (-pthread -lm)"

# ---- C++ ------------------------------------------------------------------------
# Every installed header on its own, as the first and only include.
bad=
for h in "$dest$prefix"/include/memhp/*.h; do
	printf '#include <memhp/%s>\nint main() { return 0; }\n' "${h##*/}" >"$tmp/h.cc"
	# shellcheck disable=SC2046 # pkg-config's flags split on purpose
	$CXX -std=c++11 -Wall -Wextra -Wpedantic -Werror $(pkg-config --cflags memhp) \
		-fsyntax-only "$tmp/h.cc" >"$tmp/h.err" 2>&1 || {
		bad="$bad ${h##*/}"
		sed 's/^/# /' "$tmp/h.err" | head -5
	}
done
[ -z "$bad" ]
check_ok $? "every installed header compiles alone as C++11 with $CXX -Wall -Wextra -Wpedantic${bad:+ (not:$bad)}"
cat >"$tmp/prog.cc" <<'EOF'
#include <memhp/memhp.h>
#include <cstdio>
#include <cstring>

int main()
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	char buf[MEMHP_SYSFS_BUF];

	memhp_config_init(&cfg, 1 * MEMHP_GiB);
	// What it uses: the default 1 TiB reservation fails at times in a
	// ThreadSanitizer build (machine.h, phys_size).
	cfg.phys_size = 8 * MEMHP_GiB;
	if (memhp_machine_create(&cfg, &m))
		return 1;
	if (memhp_add_memory(m, 0, 4 * MEMHP_GiB, MEMHP_GiB / 8, 0) ||
	    memhp_block_online(m, 32, MEMHP_MMOP_ONLINE_MOVABLE))
		return 2;
	ssize_t n = memhp_show_valid_zones(m, 32, buf);
	std::printf("%s %.*s", memhp_version(), (int)n, buf);
	memhp_machine_destroy(m);
	return 0;
}
EOF
# shellcheck disable=SC2046
$CXX $san -std=c++11 -o "$tmp/prog" "$tmp/prog.cc" $(pkg-config --cflags --libs memhp) \
	>"$tmp/out" 2>&1
check_ok $? "a C++ program links against libmemhp with pkg-config's flags"
readelf -d "$tmp/prog" 2>/dev/null | grep -q 'NEEDED.*\[libmemhp\.so\.0\]'
check_ok $? "... and records the soname libmemhp.so.0"
out=$(LD_LIBRARY_PATH=$lib "$tmp/prog" 2>&1)
printf '%s\n' "$out" >"$tmp/out"
[ "$out" = "$version Movable" ]
check_ok $? "... and runs: it onlines a block and reads valid_zones (got '$out')"

# ---- the program, its man page and its scenarios ----------------------------------------
bin=$dest$prefix/bin/memhp
man=$dest$prefix/share/man/man1/memhp.1
[ -x "$bin" ] && [ -f "$man" ] && [ -z "$(groff -man -ww -z "$man" 2>&1)" ]
check_ok $? "the program and its man page are installed; the page renders"
"$bin" --help >"$tmp/out" 2>&1
grep -q "; man memhp has the rest\.$" "$tmp/out"
check_ok $? "installed, --help says man memhp (BINDIR/../share/man is on man's path)"
missing=
for s in $(sed -n 's/^memhp run \(scenarios\/[^ ]*\.lua\).*/\1/p' doc/memhp.1 | sed 's/\\-/-/g' | sort -u); do
	[ -f "$dest$prefix/share/memhp/$s" ] || missing="$missing $s"
done
[ -n "$(sed -n '/^\.SH EXAMPLES/,/^\.SH/p' doc/memhp.1 | grep 'scenarios/')" ] && [ -z "$missing" ]
check_ok $? "the scenarios the man page's EXAMPLES run are installed${missing:+ (not:$missing)}"
mkdir "$tmp/elsewhere"
(cd "$tmp/elsewhere" && "$bin" run -q --seed 1 scenarios/notifier-veto.lua) >"$tmp/out" 2>&1
check_ok $? "installed, 'memhp run scenarios/notifier-veto.lua' runs the installed one from anywhere"
grep -q "^memhp run $dest$prefix/share/memhp/scenarios/notifier-veto.lua: seed 1" "$tmp/out"
check_ok $? "... and says which file it ran"
(cd "$tmp/elsewhere" && "$bin" run -q --seed 1 scenarios/nothere.lua) >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q "cannot read scenarios/nothere.lua: No such file or directory" "$tmp/out"
check_ok $? "a scenario that is neither here nor installed is still an error"

# From the build tree: --help names the source tree's page, which is there.
"$MEMHP" --help >"$tmp/out" 2>&1
page=$(sed -n "s/.*; man \(.*\) has the rest\.$/\1/p" "$tmp/out")
[ "$page" = "$PWD/doc/memhp.1" ] && [ -f "$page" ]
check_ok $? "in the build tree, --help points to the page there (${page:-none})"
"$MEMHP" demo --help >"$tmp/out" 2>&1
grep -qF "man $PWD/doc/memhp.1 has the rest." "$tmp/out"
check_ok $? "... and so does each command's --help"

# ---- the README says how ------------------------------------------------------------------
grep -q 'make install' README.md && grep -q 'pkg-config' README.md
check_ok $? "the README mentions make install and pkg-config"

env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s uninstall B="$B" DESTDIR="$dest" \
	PREFIX="$prefix" >"$tmp/out" 2>&1
[ -z "$(find "$dest" -type f -o -type l)" ]
check_ok $? "make uninstall removes every file make install put there"

echo "1..$n"
