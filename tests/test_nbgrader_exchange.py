"""The JupyterHub path: nbgrader's whole exchange cycle on a temporary copy of the course.

The instructor releases 01_dual_numbers through the exchange; two students fetch it, work on
it (alice solves it, bob leaves two classic mistakes) and submit; the instructor collects,
autogrades (in the sandbox, through the course's nbgrader_config.py), generates and releases
feedback; each student fetches their own. Everything lives in temporary folders: the exchange
root, the course copy, each student's home and every Jupyter/IPython folder. nbgrader runs
from the course root, as the README says.
"""

from __future__ import annotations

import html
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from test_redteam import hidden_lines

from autograder.sample_submissions import solved

pytestmark = pytest.mark.slow
AID = "01_dual_numbers"
COURSE_ID = "autodiff"
ROOT = Path(__file__).resolve().parent.parent
NBGRADER = Path(sys.executable).parent / "nbgrader"


def _partly_wrong(aid: str) -> nbformat.NotebookNode:
    """bob's notebook from the example class (examples/make_examples.py)."""
    spec = importlib.util.spec_from_file_location("make_examples", ROOT / "examples" / "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.partly_wrong(aid)


class Exchange:
    """nbgrader commands for the instructor (in the course) and for students (in their homes),
    all sharing one temporary exchange."""

    def __init__(self, base: Path):
        self.base = base
        self.root = base / "exchange"
        self.course = base / "course"
        self.root.mkdir()
        self.env = dict(
            os.environ, PATH=str(NBGRADER.parent) + os.pathsep + os.environ["PATH"], JUPYTER_PLATFORM_DIRS="1"
        )

    def _run(self, cwd: Path, user: str, *args: str) -> subprocess.CompletedProcess:
        # Everyone has their own home and Jupyter folders, as on JupyterHub: a student's
        # submissions are remembered in their own nbgrader_cache (JUPYTER_DATA_DIR).
        env = dict(self.env, HOME=str(cwd))
        for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
            env[var] = str(self.base / "jupyter" / user / var.lower())
        proc = subprocess.run(
            [str(NBGRADER), *args, f"--Exchange.root={self.root}"],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert proc.returncode == 0, f"nbgrader {' '.join(args)} as {user} failed:\n{proc.stderr[-3000:]}"
        return proc

    def instructor(self, *args: str) -> subprocess.CompletedProcess:
        return self._run(self.course, "instructor", *args)

    def home(self, student: str) -> Path:
        home = self.base / "home" / student
        home.mkdir(parents=True, exist_ok=True)
        return home

    def student(self, student: str, *args: str) -> subprocess.CompletedProcess:
        # a student's own nbgrader config would say what the course's says: course folders
        # inside the home (c.Exchange.path_includes_course = True)
        # On JupyterHub each student is their own OS user; here one user plays both, so each
        # command names its student, as nbgrader allows (--student).
        return self._run(
            self.home(student),
            student,
            *args,
            f"--course={COURSE_ID}",
            f"--student={student}",
            "--Exchange.path_includes_course=True",
        )


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    ex = Exchange(tmp_path_factory.mktemp("exchange-cycle"))
    ex.course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", ex.course)
    shutil.copy(ROOT / "requirements.txt", ex.course)
    shutil.copytree(
        ROOT / "autograder", ex.course / "autograder", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(ROOT / "solutions" / AID, ex.course / "solutions" / AID)

    ex.instructor("generate_assignment", AID, "--force")
    ex.instructor("release_assignment", AID)
    work = {"alice": solved(AID), "bob": _partly_wrong(AID)}
    for student, nb in work.items():
        ex.student(student, "fetch_assignment", AID)
        fetched = ex.home(student) / COURSE_ID / AID / f"{AID}.ipynb"
        assert fetched.exists(), f"{student} did not get {fetched}"
        nbformat.write(nb, fetched)
        ex.student(student, "submit", AID)
    ex.instructor("collect", AID)
    ex.instructor("autograde", AID, "--SandboxedExecute.cell_timeout=30")
    ex.instructor("generate_feedback", AID)
    ex.instructor("release_feedback", AID)
    for student in work:
        ex.student(student, "fetch_feedback", AID)
    return ex


def _scores(course: Path) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {
            sub.student_id: (sub.score, sub.max_score, sub.needs_manual_grade)
            for sub in gb.assignment_submissions(AID)
        }


def _text(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))  # nbconvert splits code into spans


def _feedback_pages(ex: Exchange, student: str) -> list[Path]:
    return sorted((ex.home(student) / COURSE_ID / AID / "feedback").rglob("*.html"))


def test_collect_finds_both_submissions(cycle):
    collected = sorted(
        p.parent.parent.name for p in (cycle.course / "submitted").glob(f"*/{AID}/{AID}.ipynb")
    )
    assert collected == ["alice", "bob"]


def test_gradebook_scores_the_correct_and_the_partly_wrong_student(cycle):
    s = _scores(cycle.course)
    assert set(s) == {"alice", "bob"}
    full = s["alice"][1]
    assert full > 0 and s["alice"][0] == full, f"alice's correct notebook scored {s['alice']}"
    assert 0 < s["bob"][0] < full, f"bob's partly wrong notebook scored {s['bob']}"
    assert not any(needs for _, _, needs in s.values()), "nothing may be stuck at manual grading"


def test_each_student_fetches_their_own_feedback(cycle):
    s = _scores(cycle.course)
    for student in ("alice", "bob"):
        pages = _feedback_pages(cycle, student)
        assert len(pages) == 1, f"{student} fetched {pages}"
        text = _text(pages[0])
        score = re.search(r"Score:\s*([\d.]+)\s*/\s*([\d.]+)", text)
        assert score, f"{student}'s feedback shows no score"
        assert (float(score.group(1)), float(score.group(2))) == pytest.approx(s[student][:2]), (
            f"{student}'s fetched feedback shows {score.group(0)}, the gradebook {s[student][:2]}"
        )
    # each page holds that student's own code, and bob's explains his mistake
    alice, bob = (_text(_feedback_pages(cycle, s)[0]) for s in ("alice", "bob"))
    assert "# forgot the derivative" in bob and "# forgot the derivative" not in alice
    assert "TestFailed: the test cell raised AssertionError" in bob and "TestFailed" not in alice


def test_fetched_feedback_shows_no_hidden_test(cycle):
    secret = hidden_lines(AID)
    assert secret
    for student in ("alice", "bob"):
        text = _text(_feedback_pages(cycle, student)[0])
        assert "BEGIN HIDDEN" not in text
        leaked = [ln for ln in secret if ln in text]
        assert not leaked, f"hidden test source in {student}'s feedback: {leaked[:3]}"


def test_the_exchange_holds_what_the_cycle_left_there(cycle):
    base = cycle.root / COURSE_ID
    assert (base / "outbound" / AID / f"{AID}.ipynb").exists()
    assert sorted(p.name.split("+")[0] for p in (base / "inbound").iterdir()) == ["alice", "bob"]
    assert len(list((base / "feedback").glob("*.html"))) == 2
