"""Stock `nbgrader autograde` on this course goes through the hardened path.

A temporary copy of the course is set up the way an instructor would (generate_assignment,
submitted/), then nbgrader's own commands grade and produce feedback. The scores in the
gradebook must follow the same verdicts as `python -m autograder grade`.
"""

from __future__ import annotations

import html
import re

import nbformat
import pytest
from nbgrader_support import gradebook_scores, make_course
from nbgrader_support import nbgrader as _nbgrader
from redteam_corpus import PATCH_NUMERICS, _mangle_tests, _solved_then, _stub_with
from test_redteam import hidden_lines

from autograder.grading import late
from autograder.grading.batch import grade_batch
from autograder.grading.sandbox import Limits
from autograder.sample_submissions import release_notebook, solved

pytestmark = pytest.mark.slow
AID = "01_dual_numbers"
# Late work, set the way an instructor sets it for nbgrader (the CLI's --due/--late-policy)
DUE, POLICY = "2026-12-01T23:59:00+01:00", "per-hour:2,cap=5"
LATE = "2026-12-02 01:29:00.000000 UTC"  # nbgrader's timestamp format; 2.5 h after the due date


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("course"), [AID])
    with (course / "nbgrader_config.py").open("a") as f:
        f.write(
            f"\nc.AssignCourseLatePenalties.due = {{{AID!r}: {DUE!r}}}\n"
            f"c.AssignCourseLatePenalties.late_policy = {{{AID!r}: {POLICY!r}}}\n"
        )
    submissions = {
        "solved_late": solved(AID),
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
    (course / "submitted" / "solved_late" / AID / "timestamp.txt").write_text(LATE)
    proc = _nbgrader(course, "autograde", AID, "--GradeSubmission.cell_timeout=20")
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = _nbgrader(course, "generate_feedback", AID)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return course


def test_scores_follow_the_hardened_verdicts(course):
    s = gradebook_scores(course, AID)
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
    assert len(pages) == 7
    secret = hidden_lines(AID)
    for page in pages:
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))  # nbconvert splits code into spans
        assert "BEGIN HIDDEN" not in text
        assert not [ln for ln in secret if ln in text], f"hidden test source in {page}"


def test_the_sandbox_ran_and_the_state_stays_outside_the_submissions(course):
    assert (course / ".autograder" / "secret").exists()
    assert not list((course / "autograded").rglob("secret"))


def test_a_late_submission_gets_the_same_score_through_both_doors(course, tmp_path):
    theirs, full = gradebook_scores(course, AID)["solved_late"][:2]
    rows, code = grade_batch(
        course / "submitted",
        tmp_path / "out",
        jobs=1,
        students=["solved_late"],
        limits=Limits(cell_timeout=20),
        progress=False,
        log=lambda m: None,
        deadlines=late.deadlines({AID: DUE}, {AID: POLICY}),
    )
    ours = next(r for r in rows if r.student_id == "solved_late")
    assert code == 0 and ours.penalty == 5  # three started hours at 2 points, capped at 5
    assert theirs == ours.score == full - 5
