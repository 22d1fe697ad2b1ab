"""Grade a whole `submitted/` folder: discover, skip what is already graded, run in parallel.

Every worker process owns one job slot (and so one sandbox uid); one submission's crash,
hang or memory bomb stays in its own sandbox. Each result is saved the moment it arrives, so
a run that is killed and started again only grades what is left, and writes the same files.
"""
from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from .. import course
from .feedback import write_feedback
from .pipeline import Settings, Task, grade_submission, submission_fingerprint
from .report import summary_table, write_cells, write_grades, write_histogram
from .sandbox import Limits, preflight, probes_package
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
        folders = {p.name: p for p in sorted(student_dir.iterdir())
                   if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")}
        if only:
            for aid in only:
                found.append(Found(student_dir.name, aid, student_dir / aid))
            continue
        if not folders:
            warnings.append(f"{student_dir.name}: no assignment folders")
        for name, path in folders.items():
            found.append(Found(student_dir.name, name, path))
    return found, warnings


_SLOT = 0


def _init_worker(slots) -> None:
    global _SLOT
    _SLOT = slots.get()
    try:  # die with the grader: a killed batch leaves no worker (and so no sandbox) behind
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _work(task: Task, settings: Settings) -> dict:
    return grade_submission(task, settings, slot=_SLOT)


def _unknown_row(f: Found) -> dict:
    return {"student_id": f.student, "assignment": f.assignment, "score": 0.0, "max_score": 0.0,
            "status": "unknown_assignment", "cells": [], "notes": [], "seconds": 0,
            "message": f"'{f.assignment}' is not an assignment of this course ({', '.join(course.ASSIGNMENTS)})"}


def _grader_error_row(task: Task, root: Path, message: str) -> dict:
    template = load_template(task.assignment, root)
    cells = [{"grade_id": g, "score": 0.0, "max_score": p, "state": "not_run", "messages": [message]}
             for g, p in template.points.items()]
    return {"student_id": task.student, "assignment": task.assignment, "score": 0.0,
            "max_score": template.max_score, "status": "grader_error", "message": message,
            "cells": cells, "notes": [], "seconds": 0, "fingerprint": task.fingerprint}


def grade_batch(submitted: Path, out: Path, jobs: int, only: list[str] | None = None,
                limits: Limits = Limits(), root: Path = course.ROOT, progress: bool = True,
                log=print) -> tuple[list[dict], int]:
    """Grade everything; return (rows, exit code). Exit code 0 iff every submission got a row."""
    if only:
        bad = [a for a in only if a not in course.ASSIGNMENTS]
        if bad:
            raise ValueError(f"unknown assignment id(s) {bad}; known: {', '.join(course.ASSIGNMENTS)}")
    found, warnings = discover(submitted, only)
    for w in warnings:
        log(f"warning: {w}")
    out.mkdir(parents=True, exist_ok=True)
    state = GraderState(out / ".state")
    cache = out / ".state" / "sandbox"
    cache.mkdir(parents=True, exist_ok=True)
    preflight(cache, limits)
    pkg = probes_package(cache)
    settings = Settings(str(root), limits, str(pkg), str(cache))
    code_fp = code_fingerprint()

    rows: dict[tuple[str, str], dict] = {}
    todo: list[Task] = []
    for f in found:
        if f.assignment not in course.ASSIGNMENTS:
            rows[(f.student, f.assignment)] = _unknown_row(f)
            continue
        template = load_template(f.assignment, root)
        fp = submission_fingerprint(f.folder, f.assignment, template.fingerprint, code_fp, limits)
        cached = state.load(f.student, f.assignment, fp)
        if cached is not None:
            rows[(f.student, f.assignment)] = cached
        else:
            todo.append(Task(f.student, f.assignment, str(f.folder), state.seed(f.student, f.assignment), fp))
    if len(found) > len(todo):
        log(f"{len(found) - len(todo)} submission(s) already graded and unchanged: skipped")

    failed = 0
    if todo:
        ctx = mp.get_context("spawn")
        slots = ctx.Queue()
        for i in range(jobs):
            slots.put(i)
        students = len({t.student for t in todo})
        bar = _progress(len(todo), progress, f"grading {students} student(s)")
        try:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                                     initargs=(slots,)) as pool:
                futures = {pool.submit(_work, t, settings): t for t in todo}
                for fut in as_completed(futures):
                    task = futures[fut]
                    try:
                        row = fut.result()
                    except (BrokenProcessPool, OSError, RuntimeError) as exc:
                        row = _grader_error_row(task, root, f"a grading worker died ({type(exc).__name__})")
                    rows[(task.student, task.assignment)] = row
                    if row["status"] != "grader_error":
                        state.save(row)
                    else:
                        failed += 1
                    bar.update(1)
        finally:
            bar.close()

    result = list(rows.values())
    write_grades(result, out)
    write_cells(result, out)
    for row in result:
        if row["status"] != "unknown_assignment":
            write_feedback(row, out)
    write_histogram(result, out)
    missing = len(found) - len(rows)
    code = 0 if (missing == 0 and failed == 0) else 2
    if code:
        log(f"error: {missing} submission(s) got no row and {failed} hit a grader error; rerun to retry them")
    return result, code


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _progress(total: int, enabled: bool, desc: str):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm
    return tqdm(total=total, unit="notebook", desc=desc, file=sys.stderr,
                disable=not enabled or os.environ.get("AUTODIFF_NO_PROGRESS") == "1")


__all__ = ["grade_batch", "discover", "summary_table"]
