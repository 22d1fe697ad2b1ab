"""Grade the whole red-team corpus in one batch and hold every entry to its expected outcome.

Also checks what must hold around it: every submission got a row; other students' files,
the grader's state and the course's solutions are untouched; no process outlives grading;
and stock `nbgrader autograde`, the other door, gives every student the same score.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader_support import gradebook_scores, make_course, nbgrader
from redteam_corpus import AID, ENTRIES

from autograder.grading.batch import grade_batch
from autograder.grading.sandbox import Limits
from autograder.sample_submissions import solved

pytestmark = pytest.mark.slow

LIMITS = Limits(cell_timeout=45, notebook_timeout=300, memory_mb=3072)
BYSTANDER = "zz_bystander"  # an honest student graded in the same batch


def _write(folder: Path, built) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(built, dict) and not isinstance(built, nbformat.NotebookNode):
        for name, text in built.items():
            (folder / name).write_text(text)
    elif isinstance(built, str):
        (folder / f"{AID}.ipynb").write_text(built)
    else:
        (folder / f"{AID}.ipynb").write_text(nbformat.writes(built))


def _digest(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _survivors() -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "autodiff-redteam-survivor" in cmd:
                found.append(f"{proc.name}: {cmd}")
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("redteam")
    submitted, out = base / "submitted", base / "out"
    for entry in ENTRIES:
        _write(submitted / entry.name / AID, entry.build())
    _write(submitted / BYSTANDER / AID, solved(AID))
    canary = submitted / BYSTANDER / "notes.txt"
    canary.write_text("my own notes")
    before = _digest(submitted)
    rows, code = grade_batch(submitted, out, jobs=2, limits=LIMITS, progress=False, log=lambda *a: None)
    return {
        "rows": {r.student_id: r for r in rows},
        "code": code,
        "submitted": submitted,
        "out": out,
        "before": before,
    }


def test_the_batch_finishes_with_a_row_for_everyone(graded):
    assert graded["code"] == 0
    assert set(graded["rows"]) == {e.name for e in ENTRIES} | {BYSTANDER}


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_entry_gets_its_expected_outcome(graded, entry):
    row = graded["rows"][entry.name]
    full = graded["rows"][BYSTANDER].max_score
    stub = graded["rows"]["unmodified_release"].score
    detail = f"{row.status} {row.score}/{row.max_score}: {row.message} {row.tests}"
    assert row.max_score == full, detail
    if entry.outcome == "full":
        assert row.score == full, detail
    elif entry.outcome == "less":
        assert row.score < full, detail
    else:
        assert row.score <= stub, detail
    if entry.status is not None:
        assert row.status == entry.status, detail


def test_the_bystander_is_graded_normally(graded):
    row = graded["rows"][BYSTANDER]
    assert row.status == "ok" and row.score == row.max_score


def test_no_submission_was_changed_or_deleted(graded):
    assert _digest(graded["submitted"]) == graded["before"]


def test_grader_state_and_reports_are_intact(graded):
    out = graded["out"]
    assert (out / "grades.csv").read_text().count("\n") == len(ENTRIES) + 2
    assert (out / ".state" / "secret").exists()
    assert len(list((out / ".state" / "results").glob("*.json"))) == len(ENTRIES) + 1
    root = Path(__file__).resolve().parent.parent
    assert (root / "solutions" / AID / f"{AID}.ipynb").exists()


def test_no_process_outlives_grading(graded):
    assert not _survivors()


def test_timeouts_and_crashes_say_which_cell(graded):
    for name in ("hang_top_level_after_answer", "os_exit_after_answer", "segfault_after_answer"):
        row = graded["rows"][name]
        assert "cell" in row.message, row.message
        not_run = [c for c in row.tests if c.state == "not_run"]
        assert not_run and all("did not run" in c.messages[0] for c in not_run)


def test_tests_before_a_hang_keep_their_points(graded):
    row = graded["rows"]["hang_top_level_after_answer"]
    passed = [c.grade_id for c in row.tests if c.state == "passed"]
    assert passed == ["test_finite_differences"], row.tests


def test_forbidden_import_zeroes_only_that_exercise(graded):
    row = graded["rows"]["forbidden_jax_in_dual_class"]
    states = {c.grade_id: c.state for c in row.tests}
    assert states["test_finite_differences"] == "passed"
    assert states["test_dual_add_sub"] == "forbidden"
    assert "jax" in row.message


def hidden_lines(aid: str) -> set[str]:
    """Every line of the hidden-test regions of an assignment's source."""
    from autograder.grading.template import load_template

    t = load_template(aid)
    lines = set()
    for gid in t.points:
        src = t.cell(gid).source
        hidden = src.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS", 1)[0]
        lines |= {ln.strip() for ln in hidden.splitlines() if ln.strip()}
    return lines


def test_feedback_shows_no_hidden_source_or_traceback(graded):
    import html

    secret = hidden_lines(AID)
    assert secret
    for path in (graded["out"] / "feedback").rglob("*.html"):
        text = html.unescape(path.read_text())
        assert "BEGIN HIDDEN" not in text and "Traceback" not in text, path
        assert not [ln for ln in secret if ln in text], path


def test_feedback_explains_a_wrong_answer(graded):
    text = (graded["out"] / "feedback" / "wrong_rtruediv" / f"{AID}.html").read_text()
    assert "__rtruediv__" in text and "not a Dual" in text


def test_rerun_skips_everything_and_writes_the_same_grades(graded):
    out = graded["out"]
    first = (out / "grades.csv").read_text()
    messages = []
    rows, code = grade_batch(
        graded["submitted"], out, jobs=2, limits=LIMITS, progress=False, log=messages.append
    )
    assert code == 0
    assert (out / "grades.csv").read_text() == first
    assert any(f"{len(ENTRIES) + 1} submission(s) already graded" in m for m in messages), messages


def test_grading_runs_as_root_for_real_isolation():
    assert os.geteuid() == 0, "the CI machine runs as root; the sandbox's per-slot uids depend on it"


# --- the other door: stock `nbgrader autograde` on the same submissions ---------------------------

# Folders without a notebook nbgrader can read: nbgrader stops on them before any preprocessor
# runs and records no grade (naming the student); our door writes 0 with the reason.
UNREADABLE = {"invalid_notebook", "missing_notebook", "wrong_filename"}


@pytest.fixture(scope="module")
def nbgrader_graded(graded, tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("redteam-course"), [AID])
    shutil.copytree(graded["submitted"], course / "submitted")
    limits = [
        f"--GradeSubmission.{name}={getattr(LIMITS, name)}"
        for name in ("cell_timeout", "notebook_timeout", "memory_mb")
    ]
    proc = nbgrader(course, "autograde", AID, *limits)
    return {"course": course, "proc": proc, "scores": gradebook_scores(course, AID)}


def test_both_doors_give_every_student_the_same_score(graded, nbgrader_graded):
    ours, theirs = graded["rows"], nbgrader_graded["scores"]
    differ = {}
    for student, row in ours.items():
        score = theirs.get(student, (None,))[0]
        if row.status in UNREADABLE:
            if score not in (None, 0.0):
                differ[student] = (row.score, score)
        elif score != row.score:
            differ[student] = (f"{row.score} {row.status}", score)
    assert not differ, f"(ours, nbgrader's) scores differ: {differ}\n{nbgrader_graded['proc'].stderr[-3000:]}"


def test_nbgrader_names_each_submission_it_could_not_grade(graded, nbgrader_graded):
    unreadable = {s for s, row in graded["rows"].items() if row.status in UNREADABLE}
    failed = {s for s, (score, _, _) in nbgrader_graded["scores"].items() if score is None}
    assert failed <= unreadable
    for student in unreadable:
        assert (
            f"for student '{student}'" in nbgrader_graded["proc"].stderr
            or student not in nbgrader_graded["scores"]
        )
    # what nbgrader could not read waits for the instructor in the formgrader (no grade, "needs
    # manual grading"), named in its log above; everything it read is graded in full
    graded_in_full = [needs for score, _, needs in nbgrader_graded["scores"].values() if score is not None]
    assert graded_in_full and not any(graded_in_full), "stuck at manual grading"
