"""The example class that `make demo` grades: up to date, and graded as its README promises."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from autograder.grading.batch import grade_batch
from autograder.grading.sandbox import Limits

ROOT = Path(__file__).resolve().parent.parent


def test_examples_are_generated_from_the_current_release():
    proc = subprocess.run([sys.executable, "examples/make_examples.py", "--check"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_demo_grades_the_example_class(tmp_path):
    rows, code = grade_batch(ROOT / "examples" / "submitted", tmp_path / "grades", jobs=2,
                             limits=Limits(cell_timeout=45), progress=False, log=lambda *a: None)
    assert code == 0
    by = {(r["student_id"], r["assignment"]): r for r in rows}
    assignments = sorted({a for _, a in by})
    assert "01_dual_numbers" in assignments and "02_euler_rk4" in assignments
    for aid in assignments:
        full = by[("alice", aid)]["max_score"]
        assert by[("alice", aid)]["score"] == full and by[("alice", aid)]["status"] == "ok"
        assert 0 < by[("bob", aid)]["score"] < full
        assert by[("carol", aid)]["score"] == 0
        assert by[("dave", aid)]["status"] == "invalid_notebook"
        assert by[("erin", aid)]["score"] <= by[("carol", aid)]["score"]
        assert by[("frank", aid)]["status"] == "timeout" and by[("frank", aid)]["score"] < full
    assert (tmp_path / "grades" / "feedback" / "bob" / "01_dual_numbers.html").exists()
