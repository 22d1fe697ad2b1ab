"""Regrading one student, and late work, end to end with real grading.

A class of three is graded with a due date and a late policy; then the policy changes
(nothing is regraded, the penalties follow), one student is regraded after a dispute
(`--student`; the others' rows stay as they were, from the state), and one is regraded
although unchanged (`--force`).
"""

from __future__ import annotations

import csv

import pytest
from redteam_corpus import _wrong_rtruediv

from autograder.grading import late
from autograder.grading.batch import grade_batch
from autograder.grading.sandbox import Limits
from autograder.sample_submissions import release_notebook, solved, write_submission

pytestmark = pytest.mark.slow
AID = "01_dual_numbers"
LIMITS = Limits(cell_timeout=45, notebook_timeout=300)
DUE = "2026-12-01T23:59:00+01:00"  # 22:59 UTC
LATE = "2026-12-02 01:29:00.000000 UTC"  # nbgrader's format: 2.5 h late


def _grade(submitted, out, policy, messages=None, **kw):
    rows, code = grade_batch(
        submitted,
        out,
        jobs=2,
        limits=LIMITS,
        progress=False,
        log=(messages.append if messages is not None else lambda m: None),
        deadlines=late.deadlines({AID: DUE}, {AID: policy}),
        **kw,
    )
    assert code == 0
    return {r.student_id: r for r in rows}


def _csv(out):
    return {r["student_id"]: r for r in csv.DictReader((out / "grades.csv").open())}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("regrade")
    submitted, out = base / "submitted", base / "out"
    write_submission(submitted, "alice", AID, solved(AID))
    (submitted / "alice" / AID / "timestamp.txt").write_text(LATE)
    write_submission(submitted, "bob", AID, release_notebook(AID))
    (submitted / "bob" / AID / "timestamp.txt").write_text("2026-12-01 20:00:00.000000 UTC")  # on time
    write_submission(submitted, "carol", AID, _wrong_rtruediv())
    first = _grade(submitted, out, "per-hour:2,cap=5")
    return {
        "submitted": submitted,
        "out": out,
        "first": first,
        "csv": _csv(out),
        "feedback": (out / "feedback" / "alice" / f"{AID}.html").read_text(),
    }


def test_the_score_in_grades_csv_is_after_the_penalty(graded):
    alice = graded["csv"]["alice"]
    full = float(alice["max_score"])
    assert alice["late_by"] == "2:30:00" and alice["penalty"] == "5"  # 3 started hours x 2, capped at 5
    assert float(alice["score"]) == full - 5
    assert graded["first"]["alice"].earned == full
    bob = graded["csv"]["bob"]
    assert bob["late_by"] == "0:00:00" and bob["penalty"] == "0"
    carol = graded["csv"]["carol"]
    assert carol["late_by"] == "" and carol["penalty"] == "0" and 0 < float(carol["score"]) < full


def test_the_feedback_says_why(graded):
    page = graded["feedback"]
    assert "2:30:00" in page and "2 points off per started hour late, at most 5 points in all" in page
    assert "less a late penalty of 5" in page


def test_a_new_policy_changes_the_penalty_without_regrading(graded):
    messages = []
    rows = _grade(graded["submitted"], graded["out"], "zero-after:0", messages)
    assert any("3 submission(s) already graded and unchanged" in m for m in messages), messages
    assert rows["alice"].score == 0 and rows["alice"].penalty == rows["alice"].earned
    assert rows["carol"].score == graded["first"]["carol"].score
    assert _csv(graded["out"])["alice"]["score"] == "0"


def test_regrading_one_student_keeps_everyone_else_as_they_were(graded):
    submitted, out = graded["submitted"], graded["out"]
    before = _csv(out)
    # bob hands in a corrected notebook after a dispute; carol changes hers too, but only bob is regraded
    write_submission(submitted, "bob", AID, solved(AID))
    write_submission(submitted, "carol", AID, solved(AID))
    messages = []
    rows = _grade(submitted, out, "per-hour:2,cap=5", messages, students=["bob"])
    after = _csv(out)
    assert set(after) == {"alice", "bob", "carol"} and set(rows) == {"alice", "bob", "carol"}
    assert float(after["bob"]["score"]) == float(after["bob"]["max_score"]) > float(before["bob"]["score"])
    assert after["carol"] == before["carol"]  # not regraded: her row as it was
    assert after["alice"]["penalty"] == "5"  # penalties still apply to the rows kept
    assert (out / "feedback" / "carol" / f"{AID}.html").exists()
    cells = list(csv.DictReader((out / "cells.csv").open()))
    assert {c["student_id"] for c in cells} == {"alice", "bob", "carol"}


def test_force_regrades_an_unchanged_submission(graded):
    submitted, out = graded["submitted"], graded["out"]
    messages = []
    rows = _grade(submitted, out, "per-hour:2,cap=5", messages, students=["bob"], force=True)
    assert not any("already graded" in m for m in messages), messages
    assert rows["bob"].score == rows["bob"].max_score
    _grade(submitted, out, "per-hour:2,cap=5", messages, students=["bob"])
    assert any("1 submission(s) already graded and unchanged" in m for m in messages), messages
