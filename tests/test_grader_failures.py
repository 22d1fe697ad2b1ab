"""A failure of the grader itself is never a score, through either door.

In a temporary copy of the course: a checks module that does not import, and a sandbox whose
kernels cannot start. `python -m autograder grade` writes `grader_error` rows, exits 2, and
grades them for real on the next run once the fault is gone; `nbgrader autograde` records no
grade for those submissions and says why.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader_support import gradebook_scores, make_course, nbgrader

from autograder.sample_submissions import release_notebook, solved, write_submission

pytestmark = pytest.mark.slow
AID = "01_dual_numbers"


@pytest.fixture()
def course(tmp_path):
    course = make_course(tmp_path / "course", [AID])
    write_submission(course / "submitted", "solver", AID, solved(AID))
    write_submission(course / "submitted", "starter", AID, release_notebook(AID))
    return course


def _grade(course: Path, out: str, env: dict | None = None) -> tuple[subprocess.CompletedProcess, list[dict]]:
    import os

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            "submitted",
            "--out",
            out,
            "--jobs",
            "2",
            "--quiet",
            "--cell-timeout",
            "30",
        ],
        cwd=course,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=1200,
    )
    grades = course / out / "grades.csv"
    return proc, list(csv.DictReader(grades.open())) if grades.exists() else []


def test_an_unimportable_checks_module_is_a_grader_error_through_both_doors(course):
    module = course / "autograder" / "checks" / "dual_numbers.py"
    original = module.read_text()
    module.write_text("import a_module_this_course_does_not_have  # a missing dependency\n" + original)

    proc, rows = _grade(course, "grades")
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert {r["status"] for r in rows} == {"grader_error"} and len(rows) == 2
    assert "does not import" in (course / "grades" / "feedback" / "solver" / f"{AID}.html").read_text()

    nb = nbgrader(course, "autograde", AID, "--GradeSubmission.cell_timeout=30")
    assert nb.returncode != 0 and "does not import" in nb.stderr
    assert all(score is None for score, _, _ in gradebook_scores(course, AID).values())

    module.write_text(original)  # fixed: the next run grades for real
    proc, rows = _grade(course, "grades")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert {(r["student_id"], r["status"], r["score"] == r["max_score"]) for r in rows} == {
        ("solver", "ok", True),
        ("starter", "ok", False),
    }


def test_a_sandbox_that_cannot_start_is_a_grader_error_through_both_doors(course, tmp_path):
    real = shutil.which("bwrap")
    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "bwrap").write_text(  # the preflight's program runs; kernels do not
        "#!/bin/sh\ncase \"$*\" in *ipykernel_launcher*) echo 'bwrap: simulated mount failure' >&2; exit 1;; esac\n"
        f"exec {real} \"$@\"\n"
    )
    (fake / "bwrap").chmod(0o755)
    import os

    env = {"PATH": f"{fake}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}

    proc, rows = _grade(course, "grades", env)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert {r["status"] for r in rows} == {"grader_error"}
    assert "simulated mount failure" in (course / "grades" / "cells.csv").read_text()

    nb = nbgrader(course, "autograde", AID, env=env)
    assert nb.returncode != 0 and "simulated mount failure" in nb.stderr
    assert all(score is None for score, _, _ in gradebook_scores(course, AID).values())

    proc, rows = _grade(course, "grades")  # the machine is fixed: grader_error rows are retried
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert {r["status"] for r in rows} == {"ok"}
