"""Every assignment end to end through `python -m autograder grade`: solutions earn full marks,
the unmodified release earns nothing, and the CLI writes what the contract names."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import released_assignments

from autograder import course
from autograder.sample_submissions import release_notebook, solved, write_submission

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e")
    submitted, out = base / "submitted", base / "out"
    for aid in released_assignments():
        write_submission(submitted, "solver", aid, solved(aid))
        write_submission(submitted, "starter", aid, release_notebook(aid))
    # Relative paths, as `make demo` passes them (bwrap once got a relative mount source).
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "submitted", "--out", "out", "--jobs", "2", "--quiet"],
        cwd=base,
        capture_output=True,
        text=True,
        timeout=3000,
    )
    rows = list(csv.DictReader((out / "grades.csv").open())) if (out / "grades.csv").exists() else []
    return proc, rows, out


def test_cli_exits_zero_and_prints_a_table(graded):
    proc, rows, _ = graded
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "student" in proc.stdout and "solver" in proc.stdout


def test_grades_csv_has_the_contract_columns(graded):
    _, rows, out = graded
    assert list(rows[0])[:5] == ["student_id", "assignment", "score", "max_score", "status"]  # the contract's
    assert list(rows[0])[5:] == ["late_by", "penalty"]  # added at the end
    assert len(rows) == 2 * len(released_assignments())
    assert (out / "cells.csv").exists() and (out / "scores.png").exists()


@pytest.mark.parametrize("aid", released_assignments())
def test_solutions_earn_full_marks_and_the_release_nothing(graded, aid):
    _, rows, out = graded
    by = {(r["student_id"], r["assignment"]): r for r in rows}
    solver, starter = by[("solver", aid)], by[("starter", aid)]
    assert solver["status"] == "ok" and float(solver["score"]) == float(solver["max_score"]) > 0, solver
    assert float(starter["score"]) == 0 and starter["max_score"] == solver["max_score"], starter
    assert (out / "feedback" / "solver" / f"{aid}.html").exists()


@pytest.mark.parametrize("aid", released_assignments())
def test_solutions_run_without_any_error_in_the_grader(graded, aid):
    """Also proves that skipping the unchanged demo cells leaves nothing undefined."""
    import json

    _, _, out = graded
    results = [json.loads(p.read_text()) for p in (out / ".state" / "results").glob("*.json")]
    solver = next(r for r in results if r["student_id"] == "solver" and r["assignment"] == aid)
    assert not any("raised an error" in n for n in solver["notes"]), solver["notes"]


def test_unknown_assignment_folder_gets_a_row(tmp_path):
    write_submission(tmp_path / "sub", "someone", "01_dual_numbr", "{}")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(tmp_path / "sub"),
            "--out",
            str(tmp_path / "out"),
            "--quiet",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader((tmp_path / "out" / "grades.csv").open()))
    assert rows == [
        {
            "student_id": "someone",
            "assignment": "01_dual_numbr",
            "score": "0",
            "max_score": "0",
            "status": "unknown_assignment",
            "late_by": "",
            "penalty": "0",
        }
    ]


def test_bad_command_lines_get_clear_errors(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(tmp_path / "nowhere")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "is not a folder" in proc.stderr
    (tmp_path / "s").mkdir()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(tmp_path / "s"),
            "--assignment",
            "99_x",
            "--out",
            str(tmp_path / "o"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "unknown assignment" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "release", "99_x"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 1 and "unknown assignment" in proc.stderr


def test_course_ids_match_the_contract():
    assert course.ASSIGNMENTS == (
        "01_dual_numbers",
        "02_euler_rk4",
        "03_pytorch",
        "04_jax",
        "05_mlp_logistic",
        "06_jacobians_hessians",
        "07_ad_in_practice",
    )
