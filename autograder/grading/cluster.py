"""Grade a class on a running Dask distributed cluster: `grade SUBMITTED --scheduler ADDRESS`.

The instructor's `grade` process is the client. It keeps everything private: it finds and
reads each notebook (`pipeline.take_in`), computes the per-student seed from the grader's
secret, caches finished rows and writes every file. A cluster worker receives one task per
notebook, made of plain data only: the notebook's bytes, the student id and assignment, the
seed, the submission's fingerprint, the limits, and the fingerprint of the instructor's
course (`autograder/` and `solutions/`). It never sees another student's files, the
gradebook or the secret.

The worker side (`grade_on_worker`) is a thin layer around `pipeline.grade_intake`, the same
path the local pool takes: it refuses to grade when its own course differs from the
instructor's or its sandbox does not start, and leases a sandbox uid per task
(`SlotLease.claim()`), so any number of workers share a host. A worker that cannot be trusted
to grade answers with the reason, which becomes a `grader_error` row, never a score.

Faults: a worker that dies mid-task is noticed by the scheduler, which runs the task again
elsewhere (one row, the same result); a task whose workers die more often than the
scheduler's `distributed.scheduler.allowed-failures` (3 by default) ends as `KilledWorker`,
a `grader_error` row. Rows are saved by the caller as they arrive, so a killed client
resumes on rerun. An unreachable scheduler stops the run within `CONNECT_TIMEOUT` seconds,
before any file is written (`SchedulerUnreachable`).

Only the client imports `distributed` here (lazily: a local run never loads it).
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import shutil
import socket
import tempfile
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import CancelledError
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

from .. import course
from .core import SandboxSettings
from .pipeline import Intake, Settings, Task, grade_intake, grading_failed, take_in
from .result import GradeResult
from .sandbox import Limits, SandboxUnavailable, preflight, probes_package
from .slots import NoFreeSlot, SlotLease

CONNECT_TIMEOUT = 10.0  # seconds to reach the scheduler before giving up
IN_FLIGHT_PER_THREAD = 2  # tasks submitted ahead per worker thread (the rest wait here)
MIN_IN_FLIGHT = 16
COURSE_PARTS = ("autograder", "solutions")


class SchedulerUnreachable(RuntimeError):
    """The Dask scheduler cannot be reached (or its address or TLS settings are wrong)."""


def course_fingerprint(root: Path = course.ROOT) -> str:
    """sha256 over every file of `autograder/` and `solutions/` (names and contents).

    Caches, checkpoints and hidden files are left out: they differ between two checkouts of
    the same commit without changing a grade."""
    h = hashlib.sha256()
    for part in COURSE_PARTS:
        for path in sorted((root / part).rglob("*")):
            rel = path.relative_to(root)
            if (
                not path.is_file()
                or path.suffix == ".pyc"
                or any(p == "__pycache__" or p.startswith(".") for p in rel.parts)
            ):
                continue
            h.update(rel.as_posix().encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


# --- the worker side ---------------------------------------------------------------------


@lru_cache(maxsize=1)
def _worker_course() -> str:
    """This worker's course, as it was when the worker first graded (modules stay loaded:
    a checkout changed under a running worker must not pass for the new one)."""
    return course_fingerprint(course.ROOT)


_SANDBOX_LOCK = threading.Lock()
_SANDBOX: dict = {"folder": None, "pkg": None, "checked": set()}


def _this_worker():
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):  # not inside a Dask worker (a test calling us directly)
        return None


def _where() -> str:
    worker = _this_worker()
    return f"{'worker ' + worker.address if worker else 'process'} on {socket.gethostname()}"


def _worker_sandbox(limits: Limits) -> SandboxSettings:
    """This worker's sandbox settings: its own copy of the probes, and a sandbox that has
    started once with these limits (checked on first use; a failure is checked again)."""
    with _SANDBOX_LOCK:
        if _SANDBOX["folder"] is None:
            worker = _this_worker()  # in the worker's own folder, which Dask cleans up even after a crash
            folder = Path(
                tempfile.mkdtemp(prefix="autodiff-", dir=worker.local_directory if worker else None)
            )
            atexit.register(shutil.rmtree, folder, True)
            _SANDBOX["pkg"] = probes_package(folder)
            _SANDBOX["folder"] = folder
        if limits not in _SANDBOX["checked"]:
            preflight(_SANDBOX["folder"], limits)
            _SANDBOX["checked"].add(limits)
        return SandboxSettings(limits, str(_SANDBOX["pkg"]), str(_SANDBOX["folder"]))


def worker_problem(course_fp: str, limits: dict) -> str | None:
    """Why this worker cannot grade for a client whose course is `course_fp`; None if it can."""
    mine = _worker_course()
    if mine != course_fp:
        return (
            f"{_where()} has another course than the instructor's (fingerprint of autograder/ and "
            f"solutions/ {mine[:12]} here, {course_fp[:12]} there): check out the same commit, run "
            "`make setup` and restart the worker"
        )
    try:
        _worker_sandbox(Limits(**limits))
    except (SandboxUnavailable, NoFreeSlot) as exc:
        return f"{_where()} cannot run the sandbox: {exc}"
    return None


def grade_on_worker(job: dict) -> dict:
    """The cluster's task: grade one taken-in submission on this worker.

    `job` is plain data: {"intake": Intake fields, "course": the client's course
    fingerprint, "limits": Limits fields}. The answer is {"row": GradeResult.to_dict()}, or
    {"error": reason} when this worker cannot grade (the client turns it into grader_error)."""
    try:
        problem = worker_problem(job["course"], job["limits"])
        if problem:
            return {"error": problem}
        sandbox = _worker_sandbox(Limits(**job["limits"]))  # checked just now: cached
        intake = Intake(**job["intake"])
        with SlotLease.claim() as lease:
            row = grade_intake(intake, Settings(str(course.ROOT), sandbox), lease.uid)
        return {"row": row.to_dict()}
    except Exception as exc:  # noqa: BLE001 - whatever went wrong here, it is no grade
        return {"error": f"{_where()} failed to grade ({type(exc).__name__}: {exc})"}


# --- the client side ---------------------------------------------------------------------


class ClusterPool:
    """Grade on a Dask cluster; the same interface as batch.LocalPool (check, grade, close)."""

    def __init__(self, address: str, log=print, timeout: float = CONNECT_TIMEOUT):
        from distributed import Client
        from distributed.security import Security

        self.address, self.log = address, log
        security = Security()  # Dask's own settings: distributed.comm.tls.* (config file or DASK_ variables)
        try:
            asyncio.run(_probe(address, timeout, security))  # fails fast, and leaves no client to clean up
            self.client = Client(address, timeout=timeout, security=security, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            hint = (
                " (a tls:// address needs Dask's TLS settings: distributed.comm.tls.ca-file, "
                "distributed.comm.tls.client.cert and .key)"
                if address.startswith("tls://")
                else ""
            )
            raise SchedulerUnreachable(f"cannot reach the Dask scheduler at {address}: {exc}{hint}") from None

    def _threads(self) -> int:
        workers = self.client.scheduler_info(n_workers=-1).get("workers", {})
        return sum(w.get("nthreads", 1) for w in workers.values())

    def check(self, cache: Path, limits: Limits, root: Path) -> None:
        """Nothing to check on this host (it runs no sandbox); each worker checks itself per task."""
        if not self._threads():
            self.log(
                f"warning: the cluster at {self.address} has no workers yet; grading starts when one joins"
            )

    def grade(
        self, todo: list[Task], limits: Limits, root: Path, cache: Path
    ) -> Iterator[tuple[Task, GradeResult]]:
        """(task, row) as each finishes; at most a few tasks per worker thread are out at once,
        so neither this process nor the scheduler holds the whole class's notebooks."""
        from distributed import as_completed

        job = {"course": course_fingerprint(root), "limits": asdict(limits)}
        waiting = deque(todo)
        running: dict = {}
        finished = as_completed(loop=self.client.loop)
        reported: set[str] = set()
        while waiting or running:
            room = max(MIN_IN_FLIGHT, IN_FLIGHT_PER_THREAD * self._threads()) - len(running)
            while waiting and room > 0:
                task = waiting.popleft()
                future = self.client.submit(
                    grade_on_worker,
                    {**job, "intake": asdict(take_in(task))},
                    key=f"autograde-{uuid.uuid4().hex}",
                    pure=False,
                )
                running[future] = task
                finished.add(future)
                room -= 1
            future = next(finished)
            task = running.pop(future)
            row = _row(future, task, root)
            if row.status == "grader_error" and row.message not in reported:  # say it once, as it happens
                reported.add(row.message)
                self.log(f"warning: {task.student}/{task.assignment}: {row.message}")
            yield task, row
            future.release()
            if self.client.status != "running":  # the scheduler is gone, and with it every task it held
                lost = f"the connection to the scheduler at {self.address} was lost; rerun to grade the rest"
                self.log(f"error: {lost}")
                for task in [*running.values(), *waiting]:
                    yield task, grading_failed(task, root, lost)
                return

    def close(self) -> None:
        self.client.close()


async def _probe(address: str, timeout: float, security) -> None:
    from distributed.comm import connect

    comm = await connect(address, timeout=timeout, **security.get_connection_args("client"))
    await comm.close()


def _row(future, task: Task, root: Path) -> GradeResult:
    """The row a finished task gives: the worker's result, or grader_error with the reason."""
    from distributed import KilledWorker

    try:
        answer = future.result()
    except KilledWorker:
        return grading_failed(
            task,
            root,
            "the cluster workers grading this notebook died again and again; the "
            "scheduler gave up (distributed.scheduler.allowed-failures)",
        )
    except CancelledError:
        return grading_failed(
            task, root, "the cluster cancelled the task (it lost the scheduler, or was stopped)"
        )
    except Exception as exc:  # noqa: BLE001 - the task could not run on the cluster
        return grading_failed(task, root, f"the cluster could not grade it ({type(exc).__name__}: {exc})")
    try:
        if "error" in answer:
            return grading_failed(task, root, str(answer["error"]))
        row = GradeResult.from_dict(answer["row"])
    except (TypeError, KeyError, AttributeError, ValueError):
        return grading_failed(task, root, "a worker sent an answer that is not a result")
    if (row.student_id, row.assignment, row.fingerprint) != (task.student, task.assignment, task.fingerprint):
        return grading_failed(task, root, "a worker answered for another submission")
    return row
