#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/docs.sh - the documentation as a reader meets it: every Markdown
# table whole (a blank line inside one ends it, and the rest prints as
# text), and the examples that show output show what memhp prints. TAP
# output; $MEMHP is the program.
# Independent of the build under test: the default check runs it.
[ -n "${MEMHP_SAN:-}" ] && { echo "1..0 # SKIP the same under SAN=$MEMHP_SAN: the default check runs it"; exit 0; }
set -u
. "$(dirname "$0")/expect_run.bash"

# A line that starts a table after a blank line must be a header: the
# next line is the | --- | separator. Anything else is a table cut in two.
for f in README.md docs/*.md; do
	cut=$(awk 'start && NR == start + 1 { if (!/^\| *:?-+/) print FILENAME ":" start ": " line; start = 0 }
		prev == "" && /^\|/ { start = NR; line = $0 }
		{ prev = $0 }' "$f")
	if [ -z "$cut" ]; then
		ok "$f: no table is cut by a blank line"
	else
		printf '%s\n' "$cut" | sed 's/^/# /'
		not_ok "$f: no table is cut by a blank line"
	fi
done

# docs/scenarios.md's m:valid_zones example, run as it is written, with
# its "print(X)	--> Y" turned into an expectation.
sed -n '/^### `m:valid_zones(id)`$/,/^### /p' docs/scenarios.md |
	sed -n '/^```lua$/,/^```$/p' | sed '1d;$d' |
	sed 's/^print(\(.*\))\t--> \(.*\)$/expect_eq(\1, "\2")/' >"$tmp/vz.lua"
if grep -q '^expect_eq(m:valid_zones(' "$tmp/vz.lua"; then
	expect_run 0 "^PASS: 2 expectations, 0 failed" \
		"docs/scenarios.md: m:valid_zones prints what the example says" -- run -q --seed 1 "$tmp/vz.lua"
else
	not_ok "docs/scenarios.md: the m:valid_zones example shows its output"
fi

echo "1..$n"
