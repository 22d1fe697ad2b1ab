"""The grading template of an assignment, read from its nbgrader source notebook.

It holds the protected cells (test cells with their hidden tests, and read-only cells) in
source order, the ids of the answer cells, and the points of each test. Solution code is
never part of it: an answer cell a student deleted stays deleted.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import nbformat

from .. import course

# Authors tag cells that only show something (plots, widgets, quizzes, timings) and define
# nothing that a test needs. The grader skips such a cell when the student left it as it is:
# it can neither help nor hurt a grade, and grading gets faster. Edited, it runs.
DEMO_TAG = "demo"


def nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    nb = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return nb if isinstance(nb, dict) else {}


def grade_id(cell) -> str:
    """The cell's nbgrader grade id, or "" (a missing or non-text id matches no cell)."""
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) else ""


@dataclass(frozen=True)
class Template:
    assignment: str
    order: tuple[str, ...]  # protected and answer ids, in source order
    protected: dict  # grade_id -> canonical cell (tests and read-only cells)
    answers: frozenset  # grade_ids of answer cells
    points: dict  # test grade_id -> points
    fingerprint: str  # changes whenever the source notebook changes
    data_files: dict  # extra files shipped with the assignment: name -> path
    demo_sources: frozenset = frozenset()  # sources of the cells tagged "demo" (see below)

    @property
    def max_score(self) -> float:
        return float(sum(self.points.values()))

    def cell(self, grade_id: str):
        """A fresh copy of a protected cell, as in the source (hidden tests included)."""
        return nbformat.from_dict(copy.deepcopy(self.protected[grade_id]))


def _data_files(folder: Path) -> dict:
    skip_suffixes = {".py", ".ipynb", ".pyc"}
    return {
        p.name: p
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix not in skip_suffixes and not p.name.startswith(".")
    }


@cache
def load_template(aid: str, root: Path = course.ROOT) -> Template:
    path = course.solution_notebook(aid, root)
    if not path.exists():
        raise FileNotFoundError(f"no source notebook for {aid}: {path} (run `python -m autograder release`)")
    raw = path.read_bytes()
    nb = nbformat.reads(raw.decode(), as_version=4)
    order, protected, answers, points, demos = [], {}, set(), {}, set()
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        gid = meta.get("grade_id")
        if not gid:
            if cell.cell_type == "code" and DEMO_TAG in cell.metadata.get("tags", []):
                demos.add(cell.source.strip())
            continue
        order.append(gid)
        if meta.get("solution"):
            answers.add(gid)
            continue
        if meta.get("grade") or meta.get("locked"):
            protected[gid] = dict(cell)
            if meta.get("grade"):
                points[gid] = float(meta.get("points", 0))
    return Template(
        aid,
        tuple(order),
        protected,
        frozenset(answers),
        points,
        hashlib.sha256(raw).hexdigest(),
        _data_files(path.parent),
        frozenset(demos),
    )
