"""Build the nbgrader source notebook from its jupytext percent-format source.

Each notebook has one source of truth, `solutions/<id>/<id>.py`. Its cell headers carry
short tags that this module expands into nbgrader metadata:

    # %% answer="dual_class"              an autograded answer cell (solution, not locked)
    # %% test="test_dual_arithmetic"      a locked test cell (its points: the course table)
    # %% readonly="setup"                 a locked cell restored from the source before grading

Everything else is an ordinary cell. The build adds one locked cell of its own before the
first code cell: the practice checks' cell (autograder/practice_cell.py).

A test's points, and which answers and tests a notebook has, are facts of the course table
(`autograder.course`): the build takes the points from there and fails when the source's
answer or test ids disagree with it. The built notebook has stable cell ids and no outputs,
so building twice gives the same bytes and a stale `.ipynb` shows up as a diff.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import jupytext
import nbformat

from . import practice_cell

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}
SHORTHAND_KEYS = ("answer", "test", "readonly")


class SourceError(ValueError):
    """A notebook source that cannot become a valid nbgrader notebook."""


def nbgrader_metadata(meta: dict, where: str, points: dict[str, float]) -> dict | None:
    """Expand the shorthand tags of one cell into nbgrader metadata (None for plain cells).

    `points` maps each test id of the course table to its points."""
    if "points" in meta:
        raise SourceError(
            f"{where}: points are set in the course table (autograder/course.py), not in the source"
        )
    kinds = [k for k in ("answer", "test", "readonly") if k in meta]
    if not kinds:
        return None
    if len(kinds) > 1:
        raise SourceError(f"{where}: a cell is one of answer, test or readonly, not {kinds}")
    kind = kinds[0]
    grade_id = meta[kind]
    if not isinstance(grade_id, str) or not grade_id.isidentifier():
        raise SourceError(f"{where}: {kind}= needs an identifier-like id, got {grade_id!r}")
    nb_meta = {"grade_id": grade_id, "schema_version": 3, "grade": False, "solution": False, "locked": False}
    if kind == "answer":
        nb_meta["solution"] = True
    elif kind == "readonly":
        nb_meta["locked"] = True
    else:
        if grade_id not in points:
            raise SourceError(f"{where}: test {grade_id!r} is not in the course table (autograder/course.py)")
        nb_meta.update(grade=True, locked=True, points=points[grade_id])
    return nb_meta


def _stable_id(cell, index: int, taken: set[str]) -> str:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    base = grade_id or hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:10]
    cid, n = base, 1
    while cid in taken:
        n += 1
        cid = f"{base}-{n}"
    taken.add(cid)
    return cid


def _table_entry(py_path: Path):
    from . import course

    try:
        return course.assignment(py_path.stem)
    except KeyError as exc:
        raise SourceError(f"{py_path.name}: {exc.args[0]}") from None


def _check_ids(py_path: Path, table, seen: dict[str, str]) -> None:
    """The source's answer and test ids are exactly the course table's."""
    for kind, want in (("answer", {a.id for a in table.answers}), ("test", {t.id for t in table.tests})):
        got = {gid for gid, k in seen.items() if k == kind}
        if got != want:
            parts = []
            if want - got:
                parts.append(f"the course table has {kind}s {sorted(want - got)} that the source lacks")
            if got - want:
                parts.append(f"the source has {kind}s {sorted(got - want)} that the course table lacks")
            raise SourceError(f"{py_path.name}: " + "; ".join(parts))


def build_source_notebook(py_path: Path, table=None) -> nbformat.NotebookNode:
    """Read a percent-format source and return the nbgrader source notebook.

    `table` is the assignment's course-table entry (by default, the one named by the file)."""
    table = table or _table_entry(py_path)
    points = {t.id: t.points for t in table.tests}
    kinds: dict[str, str] = {}
    nb = jupytext.read(py_path, fmt="py:percent")
    generated = practice_cell.add_practice_cell(nb, table.id)
    out = nbformat.v4.new_notebook()
    out.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    seen_ids: dict[str, int | str] = {}
    taken: set[str] = set()
    for index, cell in enumerate(nb.cells):
        # positions count the source's own cells: the practice cell is not in the file
        where = (
            f"{py_path.name} cell {index + 1 - (index > generated)}"
            if index != generated
            else f"{py_path.name}: the generated practice cell"
        )
        meta = dict(cell.metadata)
        nb_meta = nbgrader_metadata(meta, where, points)
        extra = {k: v for k, v in meta.items() if k not in SHORTHAND_KEYS and k != "lines_to_next_cell"}
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(cell.source, metadata=extra)
        elif cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(cell.source, metadata=extra)
        else:
            new = nbformat.v4.new_raw_cell(cell.source, metadata=extra)
        if nb_meta:
            if nb_meta["grade_id"] in seen_ids:
                raise SourceError(
                    f"{where}: id {nb_meta['grade_id']!r} already used by {seen_ids[nb_meta['grade_id']]}"
                )
            seen_ids[nb_meta["grade_id"]] = where.replace(f"{py_path.name} ", "").replace(
                f"{py_path.name}: ", ""
            )
            kinds[nb_meta["grade_id"]] = (
                "answer" if nb_meta["solution"] else "test" if nb_meta["grade"] else "readonly"
            )
            if cell.cell_type != "code":
                raise SourceError(f"{where}: answer/test/readonly cells must be code cells")
            new.metadata["nbgrader"] = nb_meta
            if nb_meta["locked"]:
                new.metadata["deletable"] = False
                new.metadata["editable"] = False
        new.id = _stable_id(new, index, taken)
        out.cells.append(new)
    _check_ids(py_path, table, kinds)
    nbformat.validate(out)
    return out


def notebook_text(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True
