"""The path of one submission folder through the grader, as a list of named steps.

    take_in (locate_notebook -> read_raw) -> grade_intake (parse_notebook -> core.grade_cells) -> GradeResult

`take_in` runs where the submissions are and only reads bytes; `grade_intake` needs nothing
but its `Intake` (plain data), so the local pool runs both in one worker process and a
cluster worker runs the second alone (cluster.py). A step that rejects the submission ends
the path with a status word; the result always has a row's worth of data. The grading itself
is `core.grade_cells`, the same core the nbgrader adapter calls.
"""

from __future__ import annotations

import hashlib
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from .core import SandboxSettings, grade_cells
from .result import GradeResult
from .sandbox import Limits
from .submission import locate_notebook, parse_notebook, read_raw
from .template import load_template


@dataclass(frozen=True)
class Task:
    student: str
    assignment: str
    folder: str  # the submission folder <submitted>/<student>/<assignment>
    seed: int
    fingerprint: str


@dataclass(frozen=True)
class Settings:
    root: str
    sandbox: SandboxSettings


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


@dataclass(frozen=True)
class Intake:
    """One submission as taken in where the submissions are: its notebook's bytes, or why
    there are none. Everything a worker needs to grade it, and nothing else."""

    student: str
    assignment: str
    seed: int
    fingerprint: str
    notebook: bytes | None  # None: `status` and `message` say why
    status: str = "ok"
    message: str = ""


def _internal_error(exc: Exception) -> str:
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return f"internal error while grading: {detail}"


def take_in(task: Task) -> Intake:
    """Find the notebook in the submission folder and read its bytes (nothing is parsed)."""

    def intake(raw: bytes | None, status: str = "ok", message: str = "") -> Intake:
        return Intake(task.student, task.assignment, task.seed, task.fingerprint, raw, status, message)

    try:
        path, status, message = locate_notebook(Path(task.folder), task.assignment)
        if path is None:
            return intake(None, status, message)
        read = read_raw(path)
    except Exception as exc:  # noqa: BLE001 - a grader bug must not lose the row
        return intake(None, "grader_error", _internal_error(exc))
    return intake(read.raw if read.status == "ok" else None, read.status, read.message)


def grade_intake(intake: Intake, settings: Settings, uid: int | None) -> GradeResult:
    """Parse and grade one taken-in submission, running student code as `uid`."""
    start = time.monotonic()
    template = load_template(intake.assignment, Path(settings.root))

    def rejected(status: str, message: str, notes: tuple[str, ...] | list[str] = ()) -> GradeResult:
        return GradeResult.without_tests_run(
            intake.student,
            intake.assignment,
            template.points,
            status,
            message,
            notes,
            intake.fingerprint,
            time.monotonic() - start,
        )

    try:
        if intake.notebook is None:
            return rejected(intake.status, intake.message)
        read = parse_notebook(intake.notebook)
        if read.cells is None:
            return rejected(read.status, read.message)
        graded = grade_cells(read.cells, template, intake.seed, settings.sandbox, uid)
    except Exception as exc:  # noqa: BLE001 - a grader bug must not lose the row
        return rejected("grader_error", _internal_error(exc))
    return GradeResult(
        intake.student,
        intake.assignment,
        template.max_score,
        graded.status,
        graded.message,
        graded.tests,
        read.notes + graded.notes,
        round(time.monotonic() - start, 2),
        intake.fingerprint,
    )


def grade_submission(task: Task, settings: Settings, uid: int | None) -> GradeResult:
    """Take one submission in and grade it, in this process (the local pool's path)."""
    return grade_intake(take_in(task), settings, uid)


def grading_failed(task: Task, root: Path, reason: str) -> GradeResult:
    """The row of a submission whose grading itself failed (a worker died, a worker cannot
    grade): grader_error with the reason, every test 0, never cached."""
    template = load_template(task.assignment, Path(root))
    return GradeResult.without_tests_run(
        task.student, task.assignment, template.points, "grader_error", reason, fingerprint=task.fingerprint
    )
