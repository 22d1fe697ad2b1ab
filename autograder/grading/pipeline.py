"""The path of one submission through the grader, as a list of named steps.

    locate_notebook -> read_notebook -> restore_cells -> find_tampering
        -> find_forbidden_imports -> sandboxed_execute -> grade_tests -> result

Each step is a function in its own module. A step that rejects the submission ends the
path with a status word; the result always has a row's worth of data.
"""
from __future__ import annotations

import hashlib
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from .. import course
from .execute import sandboxed_execute
from .forbidden import forbidden_uses
from .restore import restore_cells
from .sandbox import Limits
from .submission import locate_notebook, read_notebook
from .tampering import tampering_reasons
from .template import load_template
from .verdicts import CellVerdict, grade_tests


@dataclass(frozen=True)
class Task:
    student: str
    assignment: str
    folder: str          # the submission folder <submitted>/<student>/<assignment>
    seed: int
    fingerprint: str


@dataclass(frozen=True)
class Settings:
    root: str
    limits: Limits
    probes_pkg: str
    runtime_parent: str


def submission_fingerprint(folder: Path, aid: str, template_fp: str, code_fp: str, limits: Limits) -> str:
    """Changes when the notebook, the source, the grader or the limits change."""
    h = hashlib.sha256(f"{template_fp}\0{code_fp}\0{limits!r}".encode())
    nb = folder / f"{aid}.ipynb"
    try:
        if nb.is_symlink():
            h.update(b"symlink")
        else:
            h.update(nb.read_bytes())
    except OSError:
        listing = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
        h.update(("missing:" + "/".join(listing)).encode())
    return h.hexdigest()


def _row(task: Task, max_score: float, status: str, message: str, cells=(), notes=(), seconds=0.0) -> dict:
    cells = [c.to_dict() if isinstance(c, CellVerdict) else c for c in cells]
    return {
        "student_id": task.student, "assignment": task.assignment,
        "score": float(sum(c["score"] for c in cells)), "max_score": float(max_score),
        "status": status, "message": message, "cells": cells, "notes": list(notes),
        "seconds": round(seconds, 2), "fingerprint": task.fingerprint,
    }


def find_forbidden_imports(aid: str, restored) -> dict[str, list[str]]:
    """{answer grade_id: forbidden modules it uses} for the answers the contract protects."""
    protected = course.FORBIDDEN_IN_ANSWERS.get(aid, ())
    found = {}
    for gid in protected:
        copies = restored.answer_copies.get(gid, [])
        others = [c.source for c in restored.nb.cells if c.cell_type == "code"
                  and c.metadata.get("nbgrader", {}).get("grade_id") != gid]
        modules = sorted({m for src in copies for m in forbidden_uses(src, others)})
        if modules:
            found[gid] = modules
    return found


def find_tampering(template, nb) -> list[str]:
    """Reasons, from every cell the student wrote (not the restored ones), to suspect tampering."""
    reasons = []
    for i, cell in enumerate(nb.cells):
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and gid not in template.protected:
            reasons += [f"cell {i + 1} {r}" for r in tampering_reasons(cell.source)]
    return reasons


def cells_with_errors(template, nb) -> list[int]:
    """1-based positions of executed cells, other than test cells, whose output is an error."""
    return [i + 1 for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade_id") not in template.points
            and any(o.get("output_type") == "error" for o in c.get("outputs", []))]


def _zero_cells(template, message: str) -> list[CellVerdict]:
    return [CellVerdict(gid, 0.0, pts, "not_run", [message]) for gid, pts in template.points.items()]


def grade_submission(task: Task, settings: Settings, slot: int = 0) -> dict:
    start = time.monotonic()
    root = Path(settings.root)
    template = load_template(task.assignment, root)
    folder = Path(task.folder)
    try:
        path, status, message = locate_notebook(folder, task.assignment)
        if path is None:
            return _row(task, template.max_score, status, message, _zero_cells(template, message))
        read = read_notebook(path)
        if read.cells is None:
            return _row(task, template.max_score, read.status, read.message,
                        _zero_cells(template, read.message))
        restored = restore_cells(template, read.cells)
        tampering = find_tampering(template, restored.nb)
        if tampering:
            message = "the notebook refers to the grader: " + "; ".join(tampering[:3])
            return _row(task, template.max_score, "tampering", message, _zero_cells(template, message),
                        read.notes + restored.notes)
        forbidden = find_forbidden_imports(task.assignment, restored)
        execution = sandboxed_execute(
            restored.nb, slot=slot, env={"AUTODIFF_PROBE_SEED": str(task.seed)},
            limits=settings.limits, probes_pkg=Path(settings.probes_pkg),
            data_files={k: str(v) for k, v in template.data_files.items()},
            runtime_parent=Path(settings.runtime_parent))
        if execution.status == "grader_error":
            return _row(task, template.max_score, "grader_error", execution.message,
                        _zero_cells(template, execution.message), read.notes + restored.notes)
        cells = grade_tests(template, execution, task.seed, forbidden)
        notes = read.notes + restored.notes
        errored = cells_with_errors(template, execution.nb)
        if errored:
            notes.append("cells that raised an error (other than tests): " + ", ".join(map(str, errored)))
        if execution.outputs_dropped:
            notes.append(f"{execution.outputs_dropped} output message(s) over the size limit were dropped")
        status, message = execution.status, execution.message
        if status == "ok" and forbidden:
            status = "forbidden_import"
            message = "; ".join(f"answer cell '{gid}' imports {', '.join(mods)}" for gid, mods in forbidden.items())
        return _row(task, template.max_score, status, message, cells, notes, time.monotonic() - start)
    except Exception as exc:  # noqa: BLE001 - a grader bug must not lose the row
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return _row(task, template.max_score, "grader_error", f"internal error while grading: {detail}",
                    _zero_cells(template, "internal grader error"), seconds=time.monotonic() - start)
