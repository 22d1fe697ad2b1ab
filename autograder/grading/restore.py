"""Rebuild the notebook to execute from the template and a student's cells.

- Every protected cell (test or read-only) comes from the source, whatever the student did
  to it: edited, retyped as markdown, duplicated, deleted or moved.
- Each answer cell is the student's (the last copy if it was duplicated; earlier copies
  stay as ordinary cells). A deleted answer cell is not replaced by anything.
- The student's other cells keep their place after the protected or answer cell they
  followed; their nbgrader metadata and tags are dropped. Cells identical to one of the
  source's "demo" cells (display only, see template.DEMO_TAG) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import nbformat

from .template import Template, grade_id

START = "__start__"


@dataclass
class Restored:
    nb: nbformat.NotebookNode
    answers: dict = field(default_factory=dict)  # answer grade_id -> the source that runs as the answer
    answer_copies: dict = field(default_factory=dict)  # answer grade_id -> sources of every copy
    notes: list[str] = field(default_factory=list)  # what was restored, for feedback


def _source(cell) -> str:
    src = cell.get("source", "")
    if isinstance(src, list):
        src = "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def _plain(cell, source: str | None = None):
    """A clean copy of a student's cell: same type and source, no outputs or grading metadata."""
    source = _source(cell) if source is None else source
    if cell.get("cell_type") == "code":
        return nbformat.v4.new_code_cell(source)
    if cell.get("cell_type") == "raw":
        return nbformat.v4.new_raw_cell(source)
    return nbformat.v4.new_markdown_cell(source)


def visible_part(source: str) -> str:
    """A test cell's source without its hidden tests: what the student's copy should be."""
    out, hidden = [], False
    for line in source.split("\n"):
        if line.strip() == "### BEGIN HIDDEN TESTS":
            hidden = True
        elif line.strip() == "### END HIDDEN TESTS":
            hidden = False
        elif not hidden:
            out.append(line)
    return "\n".join(out).strip()


def answer_copies(answer_ids, student_cells: list) -> dict[str, list[tuple[int, str]]]:
    """Every copy of each answer cell, in order: {grade_id: [(cell index, source), ...]}.
    The last copy is the answer that runs (and that the similarity check compares)."""
    copies: dict[str, list[tuple[int, str]]] = {}
    for i, cell in enumerate(student_cells):
        gid = grade_id(cell)
        if gid in answer_ids:
            copies.setdefault(gid, []).append((i, _source(cell)))
    return copies


def restore_cells(template: Template, student_cells: list) -> Restored:
    notes: list[str] = []
    found = answer_copies(template.answers, student_cells)
    copies = {gid: [src for _, src in c] for gid, c in found.items()}
    chosen_answer = {gid: c[-1][0] for gid, c in found.items()}
    attached: dict[str, list] = {START: []}
    answers: dict[str, str] = {}
    seen_protected: set[str] = set()
    anchor = START

    for i, cell in enumerate(student_cells):
        if not isinstance(cell, dict):
            continue
        gid = grade_id(cell)
        if gid in template.protected:
            if gid in seen_protected:
                notes.append(f"a duplicate of protected cell '{gid}' was removed")
                continue
            seen_protected.add(gid)
            original = template.cell(gid)
            if cell.get("cell_type") != original.cell_type:
                notes.append(f"protected cell '{gid}' had been changed to {cell.get('cell_type')}; restored")
            elif _source(cell).strip() != visible_part(original.source):
                notes.append(f"protected cell '{gid}' had been edited; restored")
            anchor = gid
            continue
        if gid in template.answers and chosen_answer.get(gid) == i:
            if cell.get("cell_type") != "code":
                notes.append(f"answer cell '{gid}' had been changed to {cell.get('cell_type')}; run as code")
            answers[gid] = _source(cell)
            anchor = gid
            continue
        if gid in template.answers:
            notes.append(f"an earlier copy of answer cell '{gid}' runs as an ordinary cell")
        elif cell.get("cell_type") == "code" and _source(cell).strip() in template.demo_sources:
            continue  # an unchanged demo cell: display only, skipped
        attached.setdefault(anchor, []).append(_plain(cell))

    for gid in template.protected:
        if gid not in seen_protected:
            notes.append(f"protected cell '{gid}' was missing; restored")
    for gid in template.answers:
        if gid not in answers:
            notes.append(f"answer cell '{gid}' is missing")

    cells = list(attached[START])
    for gid in template.order:
        if gid in template.protected:
            cells.append(template.cell(gid))
        elif gid in answers:
            answer = nbformat.v4.new_code_cell(answers[gid])
            answer.metadata["nbgrader"] = {
                "grade_id": gid,
                "solution": True,
                "grade": False,
                "locked": False,
                "schema_version": 3,
            }
            cells.append(answer)
        cells.extend(attached.get(gid, []))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return Restored(nb, answers, copies, notes)
