"""`grade --scheduler`: a real Dask cluster on 127.0.0.1 grades like the local pool.

The cluster is a `dask scheduler` and single-thread `dask worker` processes (no nanny)
started by tests/dask_support.py, listening on 127.0.0.1 only and stopped by their process
ids. The example class is graded once by the local pool (`--jobs 2`) as the reference. The
first tests need no cluster: what a worker answers, and how the client reads the answers.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pytest
from dask_support import Cluster, alive, course_copy, wait_for_sandbox
from distributed import KilledWorker

from autograder.grading.cluster import _row, course_fingerprint, grade_on_worker
from autograder.grading.pipeline import Task, take_in
from autograder.grading.result import GradeResult
from autograder.grading.sandbox import Limits
from autograder.grading.template import load_template
from autograder.sample_submissions import solved, write_submission

slow = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "submitted"
LIMITS = ["--cell-timeout", "45"]  # as test_examples: frank's infinite loop costs this much, twice
AID = "01_dual_numbers"


# --- no cluster needed -------------------------------------------------------------------


def test_the_course_fingerprint_covers_autograder_and_solutions_only(tmp_path):
    copy = course_copy(tmp_path / "course")
    assert course_fingerprint(copy) == course_fingerprint(ROOT)
    (copy / "autograder" / "__pycache__").mkdir(exist_ok=True)
    (copy / "autograder" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"cache")
    (copy / "solutions" / AID / ".ipynb_checkpoints").mkdir()
    (copy / "solutions" / AID / ".ipynb_checkpoints" / f"{AID}-checkpoint.ipynb").write_text("{}")
    (copy / "notebooks").mkdir()
    (copy / "notebooks" / "anything.txt").write_text("not part of it")
    assert course_fingerprint(copy) == course_fingerprint(ROOT)
    data = next(p for p in sorted((copy / "solutions" / AID).iterdir()) if p.is_file())
    data.write_bytes(data.read_bytes() + b" ")
    assert course_fingerprint(copy) != course_fingerprint(ROOT)


def _intake(tmp_path, notebook) -> dict:
    path = write_submission(tmp_path / "submitted", "s0", AID, notebook)
    return asdict(take_in(Task("s0", AID, str(path.parent), 7, "fp")))


def test_the_instructors_side_sends_bytes_and_no_path(tmp_path):
    sent = _intake(tmp_path, "{not json")
    assert sent["notebook"] == b"{not json" and sent["status"] == "ok"
    assert not any(str(tmp_path) in str(v) for v in sent.values())
    (tmp_path / "submitted" / "s1" / AID).mkdir(parents=True)
    missing = asdict(take_in(Task("s1", AID, str(tmp_path / "submitted" / "s1" / AID), 7, "fp")))
    assert missing["notebook"] is None and missing["status"] == "missing_notebook"


def test_a_worker_with_another_course_refuses_to_grade(tmp_path):
    answer = grade_on_worker(
        {"course": "0" * 64, "limits": asdict(Limits()), "intake": _intake(tmp_path, "{}")}
    )
    assert set(answer) == {"error"} and "has another course than the instructor's" in answer["error"]


def test_a_worker_grades_what_it_is_sent(tmp_path):
    answer = grade_on_worker(
        {"course": course_fingerprint(), "limits": asdict(Limits()), "intake": _intake(tmp_path, "{not json")}
    )
    row = GradeResult.from_dict(answer["row"])
    assert (row.student_id, row.assignment, row.status, row.fingerprint) == (
        "s0",
        AID,
        "invalid_notebook",
        "fp",
    )


class _Done:
    def __init__(self, result=None, error=None):
        self._result, self._error = result, error

    def result(self):
        if self._error:
            raise self._error
        return self._result


def test_the_client_turns_every_failed_task_into_grader_error():
    task = Task("s0", AID, "/nowhere", 7, "fp")
    good = GradeResult("s0", AID, 16.0, "ok", fingerprint="fp")
    assert _row(_Done({"row": good.to_dict()}), task, ROOT) == good
    for done, reason in [
        (_Done(error=KilledWorker("k", "w", 3)), "died again and again"),
        (_Done(error=ModuleNotFoundError("autograder")), "could not grade it"),
        (_Done({"error": "worker x cannot run the sandbox"}), "cannot run the sandbox"),
        (_Done({"row": {"tests": 3}}), "not a result"),
        (
            _Done({"row": GradeResult("s9", AID, 16.0, "ok", fingerprint="fp").to_dict()}),
            "another submission",
        ),
    ]:
        row = _row(done, task, ROOT)
        assert row.status == "grader_error" and reason in row.message and row.score == 0
        assert row.max_score == load_template(AID).max_score and row.fingerprint == "fp"


# --- a real cluster ----------------------------------------------------------------------


def _grade_cmd(submitted: Path, out: Path, *options: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "autograder",
        "grade",
        str(submitted),
        "--out",
        str(out),
        "--quiet",
        *LIMITS,
        *options,
    ]


def grade(submitted: Path, out: Path, *options: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    return subprocess.run(
        _grade_cmd(submitted, out, *options), cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def _files(out: Path, without: str | None = None) -> dict[str, str]:
    """What a run writes for people to read (the histogram image is drawn from grades.csv),
    optionally without one student's rows and pages."""
    names = [
        "grades.csv",
        "cells.csv",
        *sorted(str(p.relative_to(out)) for p in (out / "feedback").rglob("*.html")),
    ]
    if (out / "report.html").exists() and without is None:  # the report sums up the whole class
        names.append("report.html")
    files = {name: (out / name).read_text() for name in names if not name.startswith(f"feedback/{without}/")}
    if "report.html" in files:  # written at a different minute
        files["report.html"] = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "(time)", files["report.html"])
    for name in ("grades.csv", "cells.csv"):
        files[name] = "".join(
            line
            for line in files[name].splitlines(keepends=True)
            if without is None or not line.startswith(f"{without},")
        )
    return files


def _same_secret(reference: Path, out: Path) -> None:
    """The probes' seeds come from the output folder's secret: share the reference's, so that
    the messages (which quote the seeded inputs) can be compared too."""
    (out / ".state").mkdir(parents=True)
    shutil.copy2(reference / ".state" / "secret", out / ".state" / "secret")


CLASS_AIDS = ("01_dual_numbers", "02_euler_rk4")  # two assignments: 12 notebooks are enough here


@pytest.fixture(scope="module")
def small_class(tmp_path_factory) -> Path:
    """The example class, its first two assignments only."""
    folder = tmp_path_factory.mktemp("class") / "submitted"
    for student in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
        for aid in CLASS_AIDS:
            shutil.copytree(student / aid, folder / student.name / aid)
    return folder


@pytest.fixture(scope="module")
def reference(small_class, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local") / "grades"
    proc = grade(small_class, out, "--jobs", "2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("dask"))
    try:
        c.add_workers(2)
        yield c
    finally:
        c.close()


@slow
def test_cluster_grades_the_example_class_like_the_local_pool(cluster, small_class, reference, tmp_path):
    out = tmp_path / "grades"
    _same_secret(reference, out)
    proc = grade(small_class, out, "--scheduler", cluster.address)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _files(out) == _files(reference)
    assert (out / "scores.png").exists()
    again = grade(small_class, out, "--scheduler", cluster.address)  # resumable state here: nothing to do
    graded = len(list(small_class.glob("*/*")))
    assert again.returncode == 0 and f"{graded} submission(s) already graded and unchanged" in again.stderr


@slow
def test_a_worker_killed_mid_task_changes_nothing(cluster, small_class, reference, tmp_path):
    submitted = tmp_path / "submitted"  # the class without frank's infinite loops (45 s each)
    shutil.copytree(
        small_class, submitted, ignore=lambda folder, names: ["frank"] if Path(folder) == small_class else []
    )
    out = tmp_path / "grades"
    _same_secret(reference, out)
    run = subprocess.Popen(
        _grade_cmd(submitted, out, "--scheduler", cluster.address),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    victim = next(w for w in cluster.workers if w.poll() is None)
    wait_for_sandbox(victim)  # it is grading a notebook now
    tree = cluster.kill(victim)
    cluster.add_workers(1)  # the replacement
    stdout, stderr = run.communicate(timeout=1800)
    assert run.returncode == 0, stderr[-3000:]
    assert _files(out, without="frank") == _files(reference, without="frank")
    assert len(list((out / ".state" / "results").glob("*.json"))) == len(
        list(submitted.glob("*/*"))
    )  # one row each
    time.sleep(1)
    assert not alive(tree), "the killed worker's sandbox outlived it"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@slow
def test_an_unreachable_scheduler_stops_at_once(tmp_path):
    out = tmp_path / "grades"
    start = time.monotonic()
    proc = grade(EXAMPLES, out, "--scheduler", f"tcp://127.0.0.1:{_free_port()}", timeout=300)
    assert proc.returncode == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:" in proc.stderr
    assert time.monotonic() - start < 120  # seconds (the connect timeout is 10 s), not minutes
    assert not out.exists()
    tls = grade(EXAMPLES, out, "--scheduler", f"tls://127.0.0.1:{_free_port()}", timeout=300)
    assert tls.returncode == 2 and "TLS settings" in tls.stderr and not out.exists()


def _rows(out: Path) -> list[list[str]]:
    """grades.csv's rows, the contract's five columns (student, assignment, score, max, status)."""
    return [line.split(",")[:5] for line in (out / "grades.csv").read_text().splitlines()[1:]]


@slow
def test_workers_that_cannot_grade_give_grader_error(tmp_path):
    """A worker whose course differs, one without bubblewrap, and a notebook whose worker
    dies more often than the scheduler allows (here: once) each give grader_error rows."""
    submitted = tmp_path / "submitted"
    write_submission(submitted, "s0", AID, solved(AID))
    write_submission(submitted, "s1", AID, "{not json")
    cluster = Cluster(tmp_path / "dask", scheduler_env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"})
    try:
        other = course_copy(tmp_path / "other-course")
        checks = other / "autograder" / "checks" / "dual_numbers.py"
        checks.write_text(checks.read_text() + "\n# changed on this worker only\n")
        [worker] = cluster.add_workers(1, env={"PYTHONPATH": str(other)}, cwd=other)
        proc = grade(submitted, tmp_path / "other", "--scheduler", cluster.address)
        assert proc.returncode == 2, proc.stderr[-3000:]
        assert [r[4] for r in _rows(tmp_path / "other")] == ["grader_error", "grader_error"]
        assert "has another course than the instructor's" in proc.stdout + proc.stderr
        cluster.kill(worker)

        [worker] = cluster.add_workers(1, env={"PATH": str(Path(sys.executable).parent)})
        proc = grade(submitted, tmp_path / "no-bwrap", "--scheduler", cluster.address)
        assert proc.returncode == 2, proc.stderr[-3000:]
        assert [r[4] for r in _rows(tmp_path / "no-bwrap")] == ["grader_error", "grader_error"]
        assert "bubblewrap (bwrap) is not installed" in proc.stderr
        cluster.kill(worker)

        shutil.rmtree(submitted / "s1")
        [worker] = cluster.add_workers(1)
        out = tmp_path / "killer"
        run = subprocess.Popen(
            _grade_cmd(submitted, out, "--scheduler", cluster.address),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for_sandbox(worker)
        cluster.kill(worker)
        stdout, stderr = run.communicate(timeout=600)
        assert run.returncode == 2, stderr[-3000:]
        assert _rows(out) == [["s0", AID, "0", f"{load_template(AID).max_score:g}", "grader_error"]]
        assert "died again and again" in stderr
        assert not list((out / ".state" / "results").glob("*.json"))  # not cached: a rerun retries it
    finally:
        cluster.close()
