"""Build the nbgrader source notebook from its jupytext percent-format source.

Each notebook has one source of truth, `solutions/<id>/<id>.py`. Its cell headers carry
short tags that this module expands into nbgrader metadata:

    # %% answer="dual_class"              an autograded answer cell (solution, not locked)
    # %% test="test_dual_arithmetic" points=3   a locked test cell worth 3 points
    # %% readonly="setup"                 a locked cell restored from the source before grading

Everything else is an ordinary cell. The built notebook has stable cell ids and no outputs,
so building twice gives the same bytes and a stale `.ipynb` shows up as a diff.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import jupytext
import nbformat

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}
SHORTHAND_KEYS = ("answer", "test", "readonly", "points")


class SourceError(ValueError):
    """A notebook source that cannot become a valid nbgrader notebook."""


def nbgrader_metadata(meta: dict, where: str) -> dict | None:
    """Expand the shorthand tags of one cell into nbgrader metadata (None for plain cells)."""
    kinds = [k for k in ("answer", "test", "readonly") if k in meta]
    if not kinds:
        if "points" in meta:
            raise SourceError(f"{where}: 'points' without 'test'")
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
        points = meta.get("points")
        if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
            raise SourceError(f"{where}: test cell {grade_id!r} needs points=<positive number>")
        nb_meta.update(grade=True, locked=True, points=points)
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


def build_source_notebook(py_path: Path) -> nbformat.NotebookNode:
    """Read a percent-format source and return the nbgrader source notebook."""
    nb = jupytext.read(py_path, fmt="py:percent")
    out = nbformat.v4.new_notebook()
    out.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    seen_ids: dict[str, int] = {}
    taken: set[str] = set()
    for index, cell in enumerate(nb.cells):
        where = f"{py_path.name} cell {index + 1}"
        meta = dict(cell.metadata)
        nb_meta = nbgrader_metadata(meta, where)
        extra = {k: v for k, v in meta.items() if k not in SHORTHAND_KEYS and k != "lines_to_next_cell"}
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(cell.source, metadata=extra)
        elif cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(cell.source, metadata=extra)
        else:
            new = nbformat.v4.new_raw_cell(cell.source, metadata=extra)
        if nb_meta:
            if nb_meta["grade_id"] in seen_ids:
                raise SourceError(f"{where}: id {nb_meta['grade_id']!r} already used by cell "
                                  f"{seen_ids[nb_meta['grade_id']]}")
            seen_ids[nb_meta["grade_id"]] = index + 1
            if cell.cell_type != "code":
                raise SourceError(f"{where}: answer/test/readonly cells must be code cells")
            new.metadata["nbgrader"] = nb_meta
            if nb_meta["locked"]:
                new.metadata["deletable"] = False
                new.metadata["editable"] = False
        new.id = _stable_id(new, index, taken)
        out.cells.append(new)
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
