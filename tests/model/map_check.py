#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/model/map_check.py - keep the Promela model tied to the C it abstracts.

Each step of tests/model/pageoffline.pml that stands for C code says which
functions in a comment right after its label (or its inline's head):

    isolate:  /* C: start_isolate_page_range, has_unmovable_pages */
    inline put_page(p)  /* C: memhp_put_page */

docs/reliability.md has a table, under the heading MAP_HEADING, with one row
per such step: the step in backquotes in the first column, and in the last
its functions, each as `name` (path under src/). This checks that

  1. every function a model step names is defined in src/;
  2. every row of the table names a step of the model, and exactly the
     functions that step's comment names, each defined in the file given;
  3. every model step with a "C:" comment has its row.

So a function renamed or moved in src/, a step added to or dropped from the
model, or a row left behind in the doc fails the test. Prints each problem;
exit status 1 if there is one. Run from anywhere: paths are found from this
file's place in the tree.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = ROOT / "tests/model/pageoffline.pml"
DOC = ROOT / "docs/reliability.md"
SRC = ROOT / "src"
MAP_HEADING = "### Model steps and the C they abstract"

# "label: /* C: f, g */" and "inline name(args) /* C: f, g */"
STEP_RE = re.compile(
    r"^\s*(?:inline\s+)?([A-Za-z_]\w*)(?:\([^)]*\))?\s*:?\s*/\*\s*C:\s*([^*]+?)\s*\*/",
    re.M)
# A definition: at column 0 a return type and the name, the parameters
# (no ';', '{' or '}' in them, so a prototype does not match), then '{'.
DEF_RE = re.compile(r"^[A-Za-z_][\w \t*]*?[\s*]([A-Za-z_]\w*)\s*\(([^;{}]*?)\)\s*\{", re.M)
# A table cell entry: `name` (path)
FUNC_CELL_RE = re.compile(r"`([A-Za-z_]\w*)`\s*\(([\w./-]+)\)")


def model_steps(text):
    steps = {}
    problems = []
    for m in STEP_RE.finditer(text):
        name = m.group(1)
        funcs = [f.strip() for f in m.group(2).split(",") if f.strip()]
        if name in steps:
            problems.append(f"model: step {name} is labelled twice")
        steps[name] = funcs
    return steps, problems


def c_definitions():
    defs = {}
    for path in sorted(SRC.rglob("*.c")):
        rel = str(path.relative_to(SRC))
        for m in DEF_RE.finditer(path.read_text(errors="replace")):
            defs.setdefault(m.group(1), set()).add(rel)
    return defs


def doc_rows(text):
    lines = text.splitlines()
    try:
        start = lines.index(MAP_HEADING)
    except ValueError:
        return None
    rows = []
    in_table = False
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if not line.startswith("|"):
            if in_table:
                break
            continue
        in_table = True
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if set(cells[0]) <= set("-: "):
            continue
        step = re.fullmatch(r"`([A-Za-z_]\w*)`", cells[0])
        if not step:
            continue  # the header row
        rows.append((step.group(1), FUNC_CELL_RE.findall(cells[-1]), line))
    return rows


def main():
    problems = []
    steps, p = model_steps(MODEL.read_text())
    problems += p
    if not steps:
        problems.append(f"{MODEL}: no step names its C functions")
    defs = c_definitions()

    for step, funcs in sorted(steps.items()):
        for f in funcs:
            if f not in defs:
                problems.append(f"model step {step}: {f} is defined nowhere in src/")

    rows = doc_rows(DOC.read_text()) if DOC.exists() else None
    if rows is None:
        problems.append(f"{DOC}: no table under '{MAP_HEADING}'")
        rows = []
    seen = set()
    for step, cells, line in rows:
        if step in seen:
            problems.append(f"doc: step {step} has two rows")
        seen.add(step)
        if step not in steps:
            problems.append(f"doc: step {step} is not a step of the model")
            continue
        named = [name for name, _ in cells]
        if sorted(named) != sorted(steps[step]):
            problems.append(f"doc: step {step} lists {', '.join(sorted(named)) or 'nothing'}; "
                            f"the model names {', '.join(sorted(steps[step]))}")
        for name, path in cells:
            if name in defs and path not in defs[name]:
                problems.append(f"doc: step {step}: {name} is not defined in src/{path} "
                                f"(it is in {', '.join('src/' + d for d in sorted(defs[name]))})")
    for step in sorted(set(steps) - seen):
        problems.append(f"doc: model step {step} has no row in the table")

    for problem in problems:
        print(problem)
    print(f"{len(steps)} model steps, {len(rows)} table rows, "
          f"{sum(len(f) for f in steps.values())} function references, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
