"""Grade a whole `submitted/` folder: discover, skip what is already graded, run in parallel.

The grading runs in a pool: `LocalPool` (spawned processes on this host) or, with
`--scheduler`, `cluster.ClusterPool` (a Dask cluster); both yield (task, row) as each
submission finishes, and everything else here is the same for both. Every local worker
process leases one sandbox uid for its life (slots.py); one submission's crash, hang or
memory bomb stays in its own sandbox, and other grading runs on the same host use other
uids. The output folder is held by one run at a time. Each result is saved the moment it
arrives, so a run that is killed and started again only grades what is left, and writes the
same files.

`students` regrades only those students (`force`: even unchanged submissions); the files
written still hold every row saved in the output folder, the others as they were. Late
penalties (late.py) are applied to every row after grading, from each folder's
`timestamp.txt`, which are all read before anything is graded.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from .. import course
from . import late
from .class_report import write_class_report
from .core import SandboxSettings
from .feedback import write_feedback
from .pipeline import Settings, Task, grade_submission, grading_failed, submission_fingerprint
from .report import summary_table, write_cells, write_grades, write_histogram
from .result import GradeResult
from .sandbox import Limits, preflight, probes_package, remove_probes_package
from .slots import SlotLease
from .state import GraderState, code_fingerprint
from .template import load_template


@dataclass
class Found:
    student: str
    assignment: str
    folder: Path


def discover(submitted: Path, only: list[str] | None = None) -> tuple[list[Found], list[str]]:
    """(submissions, warnings): one per <student>/<assignment> folder (or per requested id)."""
    found, warnings = [], []
    for student_dir in sorted(submitted.iterdir()):
        if student_dir.name.startswith(".") or student_dir.is_symlink() or not student_dir.is_dir():
            continue
        folders = {
            p.name: p
            for p in sorted(student_dir.iterdir())
            if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
        }
        if only:
            for aid in only:
                found.append(Found(student_dir.name, aid, student_dir / aid))
            continue
        if not folders:
            warnings.append(f"{student_dir.name}: no assignment folders")
        for name, path in folders.items():
            found.append(Found(student_dir.name, name, path))
    return found, warnings


_LEASE: SlotLease | None = None


def _init_worker() -> None:
    global _LEASE
    try:  # die with the grader: a killed batch leaves no worker (and so no sandbox) behind
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _LEASE = SlotLease.claim()  # held until this worker ends


def _work(task: Task, settings: Settings) -> GradeResult:
    return grade_submission(task, settings, uid=_LEASE.uid if _LEASE else None)


class LocalPool:
    """Grade on this host in `jobs` spawned processes, each holding one sandbox uid."""

    def __init__(self, jobs: int):
        self.jobs = jobs

    def check(self, cache: Path, limits: Limits, root: Path) -> None:
        preflight(cache, limits)  # SandboxUnavailable: this host cannot grade at all

    def grade(
        self, todo: list[Task], limits: Limits, root: Path, cache: Path
    ) -> Iterator[tuple[Task, GradeResult]]:
        pkg = probes_package(cache)
        settings = Settings(str(root), SandboxSettings(limits, str(pkg), str(cache)))
        try:
            with ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=mp.get_context("spawn"), initializer=_init_worker
            ) as pool:
                futures = {pool.submit(_work, t, settings): t for t in todo}
                for fut in as_completed(futures):
                    task = futures[fut]
                    try:
                        row = fut.result()
                    except (BrokenProcessPool, OSError, RuntimeError) as exc:
                        row = grading_failed(
                            task, root, f"a grading worker died ({type(exc).__name__}: {exc})"
                        )
                    yield task, row
        finally:
            remove_probes_package(pkg)

    def close(self) -> None:
        pass


def make_pool(jobs: int, scheduler: str | None, log=print):
    """The local pool, or a Dask cluster's (an unreachable scheduler raises SchedulerUnreachable)."""
    if scheduler is None:
        return LocalPool(jobs)
    from .cluster import ClusterPool

    return ClusterPool(scheduler, log)


def unknown_assignment(f: Found) -> GradeResult:
    return GradeResult(
        f.student,
        f.assignment,
        0.0,
        "unknown_assignment",
        f"'{f.assignment}' is not an assignment of this course ({', '.join(course.ASSIGNMENTS)})",
    )


def unknown_students(submitted: Path, students: list[str]) -> list[str]:
    """The requested students without a folder of their own in `submitted`."""
    return [
        s
        for s in students
        if not s
        or s.startswith(".")
        or "/" in s
        or not (submitted / s).is_dir()
        or (submitted / s).is_symlink()
    ]


def grade_batch(
    submitted: Path,
    out: Path,
    jobs: int,
    only: list[str] | None = None,
    limits: Limits = Limits(),
    root: Path = course.ROOT,
    progress: bool = True,
    log=print,
    students: list[str] | None = None,
    force: bool = False,
    deadlines: dict[str, late.Deadline] | None = None,
    scheduler: str | None = None,
) -> tuple[list[GradeResult], int]:
    """Grade everything (or only `students`), on `jobs` local processes or on the Dask
    cluster whose scheduler is at `scheduler`; return (rows, exit code). Exit code 0 iff every
    submission graded got a row. Bad input raises ValueError before anything is written."""
    if only:
        bad = [a for a in only if a not in course.ASSIGNMENTS]
        if bad:
            raise ValueError(f"unknown assignment id(s) {bad}; known: {', '.join(course.ASSIGNMENTS)}")
    submitted, out = Path(submitted).absolute(), Path(out).absolute()
    if students:
        missing = unknown_students(submitted, students)
        if missing:
            raise ValueError(f"no such student folder(s) in {submitted}: {', '.join(missing)}")
    deadlines = late.deadlines() if deadlines is None else deadlines
    found, warnings = discover(submitted, only)
    for w in warnings:
        log(f"warning: {w}")
    # Every folder whose row is written this run (with --student: everyone's) has its
    # timestamp read now, so a bad one stops the run before anything is graded or written.
    dated = found if not students else found + discover(submitted)[0]
    stamps = late.read_timestamps({(f.student, f.assignment): f.folder for f in dated}, log)
    if students:
        found = [f for f in found if f.student in set(students)]
    pool = make_pool(jobs, scheduler, log)  # before any file is written
    try:
        out.mkdir(parents=True, exist_ok=True)
        state = GraderState(out / ".state").hold()
        try:
            rows, code = _grade_found(found, state, pool, limits, root, progress, log, force)
            if students:  # everyone else's rows as they were, from the state
                rows.update(
                    {
                        (r.student_id, r.assignment): r
                        for r in state.all_results()
                        if (r.student_id, r.assignment) not in rows
                    }
                )
            result = late.apply_penalties(list(rows.values()), stamps, deadlines, log)
            write_outputs(result, out)
            return result, code
        finally:
            state.release()
    finally:
        pool.close()


def write_outputs(rows: list[GradeResult], out: Path) -> None:
    write_grades(rows, out)
    write_cells(rows, out)
    for row in rows:
        if row.status != "unknown_assignment":
            write_feedback(row, out)
    write_histogram(rows, out)
    write_class_report(rows, out)


def _grade_found(
    found: list[Found],
    state: GraderState,
    pool,
    limits: Limits,
    root: Path,
    progress: bool,
    log,
    force: bool = False,
) -> tuple[dict[tuple[str, str], GradeResult], int]:
    cache = state.folder / "sandbox"
    cache.mkdir(parents=True, exist_ok=True)
    pool.check(cache, limits, root)
    code_fp = code_fingerprint()

    rows: dict[tuple[str, str], GradeResult] = {}
    todo: list[Task] = []
    for f in found:
        if f.assignment not in course.ASSIGNMENTS:
            rows[(f.student, f.assignment)] = unknown_assignment(f)
            continue
        template = load_template(f.assignment, root)
        fp = submission_fingerprint(f.folder, f.assignment, template.fingerprint, code_fp, limits)
        cached = None if force else state.load(f.student, f.assignment, fp)
        if cached is not None:
            rows[(f.student, f.assignment)] = cached
        else:
            todo.append(Task(f.student, f.assignment, str(f.folder), state.seed(f.student, f.assignment), fp))
    if len(found) > len(todo):
        log(f"{len(found) - len(todo)} submission(s) already graded and unchanged: skipped")

    failed = 0
    if todo:
        students = len({t.student for t in todo})
        bar = _progress(len(todo), progress, f"grading {students} student(s)")
        try:
            for task, row in pool.grade(todo, limits, root, cache):
                rows[(task.student, task.assignment)] = row
                if row.status != "grader_error":
                    state.save(row)
                else:
                    failed += 1
                bar.update(1)
        finally:
            bar.close()

    missing = len(found) - len(rows)
    code = 0 if (missing == 0 and failed == 0) else 2
    if code:
        log(f"error: {missing} submission(s) got no row and {failed} hit a grader error; rerun to retry them")
    return rows, code


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _progress(total: int, enabled: bool, desc: str):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit="notebook",
        desc=desc,
        file=sys.stderr,
        disable=not enabled or os.environ.get("AUTODIFF_NO_PROGRESS") == "1",
    )


__all__ = ["grade_batch", "discover", "summary_table"]
