"""Committed course notebooks carry no outputs (`python -m autograder.notebook_outputs FILE...`).

Outputs bloat diffs, leak an author's paths and numbers from an old run, and, in a solution
notebook, could show a student an answer. The bundled student submissions under
examples/submitted/ are inputs to the grader, kept as students sent them, and are not checked.
Used by the pre-commit hook and by the tests.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SUBMISSIONS = Path("examples") / "submitted"


def cells_with_outputs(path: Path) -> list[str]:
    """One line per code cell of the notebook that has outputs or an execution count."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [f"{path}: not a readable notebook ({exc})"]
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        return [f"{path}: not a notebook (no list of cells)"]
    found = []
    for i, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        what = [
            w
            for w, present in (
                ("outputs", cell.get("outputs")),
                ("an execution count", cell.get("execution_count") is not None),
            )
            if present
        ]
        if what:
            found.append(f"{path}: cell {i} has {' and '.join(what)}")
    return found


def checked(paths) -> list[Path]:
    """The notebooks among `paths` that must be clean (not the bundled submissions)."""
    return [Path(p) for p in paths if str(p).endswith(".ipynb") and SUBMISSIONS not in Path(p).parents]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    problems = [line for p in checked(args.files) for line in cells_with_outputs(p)]
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(
            "clear the outputs (Jupyter: Edit > Clear Outputs of All Cells) and regenerate with "
            "`python -m autograder release`",
            file=sys.stderr,
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
