"""The one grading core: a submission's cells in; the notebook as it ran, and its verdicts, out.

    restore_cells -> find_tampering -> static rules -> sandboxed_execute -> grade_tests

Both doors call `grade_cells`: `python -m autograder grade` (pipeline.py, on the local pool
or a cluster worker) and `nbgrader autograde` (nbgrader_plugin.py). What a submission earns
therefore never depends on the door. Every failure of the grader itself (the sandbox does
not start, a checks module does not import, a check raises, a bug here) comes out as the
status `grader_error`, never as a score.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .. import checks, course
from ..checks import GraderError
from ..probes import SEED_ENV
from .execute import sandboxed_execute
from .restore import restore_cells
from .result import TestResult
from .sandbox import Limits
from .tampering import tampering_reasons
from .template import Template, nbgrader_meta
from .verdicts import grade_tests, static_violations


@dataclass(frozen=True)
class SandboxSettings:
    """Where and how student code runs; the same for every submission of one run."""

    limits: Limits
    probes_pkg: str  # the sandbox's copy of autograder/probes (sandbox.probes_package)
    runtime_parent: str  # where kernels' socket folders are made


@dataclass
class Graded:
    status: str
    message: str
    tests: list[TestResult]
    notes: list[str] = field(default_factory=list)
    notebook: nbformat.NotebookNode | None = None  # the restored notebook as it ran
    seconds: float = 0.0


def find_tampering(template: Template, nb: nbformat.NotebookNode) -> list[str]:
    """Reasons, from every cell the student wrote (not the restored ones), to suspect tampering."""
    reasons = []
    for i, cell in enumerate(nb.cells):
        gid = nbgrader_meta(cell).get("grade_id")
        if cell.cell_type == "code" and gid not in template.protected:
            reasons += [f"cell {i + 1} {r}" for r in tampering_reasons(cell.source)]
    return reasons


def cells_with_errors(template: Template, nb: nbformat.NotebookNode) -> list[int]:
    """1-based positions of executed cells, other than test cells, whose output is an error."""
    return [
        i + 1
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        and nbgrader_meta(c).get("grade_id") not in template.points
        and any(o.get("output_type") == "error" for o in c.get("outputs", []))
    ]


def check_template(template: Template, assignment: course.Assignment) -> None:
    """The source notebook and the course table must agree, or no grade can be trusted."""
    tests = {t.id: t.points for t in assignment.tests}
    if dict(template.points) != tests or set(template.answers) != {a.id for a in assignment.answers}:
        raise GraderError(
            f"solutions/{template.assignment} does not match the course table "
            "(autograder/course.py): run `python -m autograder release`"
        )


def _not_run(template: Template, message: str) -> list[TestResult]:
    return [TestResult(gid, 0.0, p, "not_run", [message]) for gid, p in template.points.items()]


def grade_cells(
    cells: list, template: Template, seed: int, sandbox: SandboxSettings, uid: int | None
) -> Graded:
    """Grade one submission's cells (as read from its notebook) with the probes' `seed`,
    running student code as `uid` (a leased sandbox uid, or None when not root)."""
    start = time.monotonic()
    try:
        assignment = course.assignment(template.assignment)
        check_template(template, assignment)
        checks.load(assignment.module)  # a checks module that does not import stops here, for everyone
        restored = restore_cells(template, cells)
        notes = list(restored.notes)
        tampering = find_tampering(template, restored.nb)
        if tampering:
            message = "the notebook refers to the grader: " + "; ".join(tampering[:3])
            return Graded(
                "tampering",
                message,
                _not_run(template, message),
                notes,
                restored.nb,
                time.monotonic() - start,
            )
        code_cells = [
            (nbgrader_meta(c).get("grade_id"), c.source) for c in restored.nb.cells if c.cell_type == "code"
        ]
        others = {a.id: [src for gid, src in code_cells if gid != a.id] for a in assignment.answers}
        static = static_violations(assignment, restored.answer_copies, others)
        execution = sandboxed_execute(
            restored.nb,
            uid=uid,
            env={SEED_ENV: str(seed)},
            limits=sandbox.limits,
            probes_pkg=Path(sandbox.probes_pkg),
            data_files={k: str(v) for k, v in template.data_files.items()},
            runtime_parent=Path(sandbox.runtime_parent),
        )
        if execution.status == "grader_error":
            return Graded(
                "grader_error",
                execution.message,
                _not_run(template, execution.message),
                notes,
                None,
                time.monotonic() - start,
            )
        judged = grade_tests(template, assignment, execution, seed, static)
        tests = [t for t, _ in judged]
        errored = cells_with_errors(template, execution.nb)
        if errored:
            notes.append("cells that raised an error (other than tests): " + ", ".join(map(str, errored)))
        if execution.outputs_dropped:
            notes.append(f"{execution.outputs_dropped} output message(s) over the size limit were dropped")
        status, message = execution.status, execution.message
        broken = [(t, rule) for t, rule in judged if rule is not None]
        if status == "ok" and broken:
            status = broken[0][1].status
            seen: list[str] = []
            for t, _ in broken:
                seen += [m for m in t.messages if m not in seen]
            message = "; ".join(seen)
        return Graded(status, message, tests, notes, execution.nb, time.monotonic() - start)
    except GraderError as exc:
        return Graded(
            "grader_error",
            str(exc),
            _not_run(template, f"grader error: {exc}"),
            [],
            None,
            time.monotonic() - start,
        )
    except Exception as exc:  # noqa: BLE001 - a grader bug must not lose the row or become a score
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return Graded(
            "grader_error",
            f"internal error while grading: {detail}",
            _not_run(template, "internal grader error"),
            [],
            None,
            time.monotonic() - start,
        )
