"""Stock `nbgrader autograde` on this course goes through the hardened path.

A temporary copy of the course is set up the way an instructor would (generate_assignment,
submitted/), then nbgrader's own commands grade and produce feedback. The scores in the
gradebook must follow the same verdicts as `python -m autograder grade`.
"""
from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.sample_submissions import release_notebook, solved
from redteam_corpus import PATCH_NUMERICS, _mangle_tests, _solved_then, _stub_with
from test_redteam import hidden_lines

pytestmark = pytest.mark.slow
AID = "01_dual_numbers"
ROOT = Path(__file__).resolve().parent.parent


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    return subprocess.run([str(Path(sys.executable).parent / "nbgrader"), *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copy(ROOT / "requirements.txt", course)
    shutil.copytree(ROOT / "autograder", course / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "solutions" / AID, course / "solutions" / AID)
    proc = _nbgrader(course, "generate_assignment", AID, "--force")
    assert proc.returncode == 0, proc.stderr[-3000:]
    submissions = {
        "solved": solved(AID),
        "stub": release_notebook(AID),
        "stub_patching_numpy": _stub_with(PATCH_NUMERICS),
        "tests_deleted": _mangle_tests("delete"),
        "hang_after_answer": _solved_then("while True:\n    pass"),
        "tampering": _stub_with("import autograder.probes as p"),
    }
    for student, nb in submissions.items():
        folder = course / "submitted" / student / AID
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{AID}.ipynb")
    proc = _nbgrader(course, "autograde", AID, "--SandboxedExecute.cell_timeout=20")
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = _nbgrader(course, "generate_feedback", AID)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return course


def _scores(course: Path) -> dict:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        out = {}
        for sub in gb.assignment_submissions(AID):
            out[sub.student_id] = (sub.score, sub.max_score, sub.needs_manual_grade)
        return out


def test_scores_follow_the_hardened_verdicts(course):
    s = _scores(course)
    full = s["solved"][1]
    assert s["solved"][0] == full > 0
    assert s["tests_deleted"][0] == full
    assert s["stub"][0] == 0
    assert s["stub_patching_numpy"][0] == 0
    assert s["tampering"][0] == 0
    assert 0 < s["hang_after_answer"][0] < full
    assert not any(needs for _, _, needs in s.values()), "nothing may be stuck at manual grading"


def test_nbgrader_feedback_hides_hidden_tests(course):
    pages = list((course / "feedback").rglob("*.html"))
    assert len(pages) == 6
    secret = hidden_lines(AID)
    for page in pages:
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))  # nbconvert splits code into spans
        assert "BEGIN HIDDEN" not in text
        assert not [ln for ln in secret if ln in text], f"hidden test source in {page}"


def test_the_sandbox_ran_and_the_state_stays_outside_the_submissions(course):
    assert (course / ".autograder" / "secret").exists()
    assert not list((course / "autograded").rglob("secret"))
