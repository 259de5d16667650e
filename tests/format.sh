#!/bin/bash
# SPDX-License-Identifier: MIT
# Every C file is as .clang-format lays it out ("make format" fixes it).
# TAP output; skipped without clang-format or outside a git checkout.
# Independent of the build under test: the default check runs it.
[ -n "${MEMHP_SAN:-}" ] && { echo "1..0 # SKIP the same under SAN=$MEMHP_SAN: the default check runs it"; exit 0; }
cd "$(dirname "$0")/.." || exit 1
command -v clang-format >/dev/null || { echo "1..0 # SKIP clang-format not installed"; exit 0; }
files=$(git ls-files '*.c' '*.h' 2>/dev/null) || { echo "1..0 # SKIP not a git checkout"; exit 0; }
echo "1..1"
if out=$(clang-format --dry-run --Werror $files 2>&1); then
	echo "ok 1 - the C sources are formatted with .clang-format"
else
	echo "not ok 1 - the C sources are formatted with .clang-format (make format)"
	echo "$out" | grep 'error:' | head -20 | sed 's/^/# /'
fi
