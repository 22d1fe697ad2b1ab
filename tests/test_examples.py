"""The example class that `make demo` grades: up to date, one for every assignment of the course
table, and graded as examples/make_examples.py says, student by student and test by test.

Its class report (DIR/report.html) in headless Chromium: it opens from the file system with
the network cut off, every histogram loads (naturalWidth > 0), the console shows no error,
and with JavaScript off the page still shows everything. The screenshots (the whole page, and
one assignment's section) go to the screenshots folder; AUTODIFF_UPDATE_SCREENSHOT=1 also
writes the section as the README's picture, docs/images/class_report.png. (One file with the
grading tests: the graded class is made once per test process.)"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from browser_support import require_chromium, running_chromium, screenshots_folder

from autograder import course
from autograder.cli import main
from autograder.grading.item_analysis import class_stats

ROOT = Path(__file__).resolve().parent.parent
SUBMITTED = ROOT / "examples" / "submitted"
sys.path.insert(0, str(ROOT / "examples"))
import make_examples  # noqa: E402

STUDENTS = ("alice", "bob", "carol", "dave", "erin", "frank")
ASSIGNMENTS = make_examples.example_assignments()


def test_examples_are_generated_from_the_current_release():
    proc = subprocess.run(
        [sys.executable, "examples/make_examples.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_assignment_of_the_course_table_with_notebooks_has_the_whole_class():
    assert ASSIGNMENTS == [
        a.id
        for a in course.COURSE
        if course.release_notebook(a.id).exists() and course.solution_notebook(a.id).exists()
    ]
    for aid in ASSIGNMENTS:
        for student in STUDENTS:
            assert (SUBMITTED / student / aid / f"{aid}.ipynb").is_file(), (student, aid)
    assert {p.name for p in SUBMITTED.iterdir()} == set(STUDENTS)


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_bobs_mistakes_are_partial_and_name_real_tests_and_answers(aid):
    table = course.assignment(aid)
    tests = {t.id for t in table.tests}
    bob = make_examples.MISTAKES[aid]
    assert bob.mistakes and all(m.answer in {a.id for a in table.answers} for m in bob.mistakes)
    assert bob.fails and set(bob.fails) < tests, "bob fails tests of the assignment, and earns some points"


def frank_passes(aid: str) -> set[str]:
    """The tests before frank's hanging cell: they ran (correct answers), the rest did not."""
    nb = nbformat.read(SUBMITTED / "frank" / aid / f"{aid}.ipynb", as_version=4)
    hang = next(i for i, c in enumerate(nb.cells) if c.get("id") == make_examples.HANG_CELL_ID)
    tests = {t.id for t in course.assignment(aid).tests}
    return {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells[:hang]} & tests


def points(aid: str, tests: set[str]) -> float:
    return float(sum(t.points for t in course.assignment(aid).tests if t.id in tests))


@pytest.mark.slow
@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_each_student_gets_the_expected_result(graded_examples, aid):
    by, code, _ = graded_examples
    assert code == 0
    everything = {t.id for t in course.assignment(aid).tests}
    full = course.assignment(aid).max_score

    def passed(student):
        return {t.grade_id for t in by[(student, aid)].tests if t.state == "passed"}

    assert (by[("alice", aid)].status, by[("alice", aid)].score, passed("alice")) == ("ok", full, everything)
    bob_fails = set(make_examples.MISTAKES[aid].fails)
    assert by[("bob", aid)].status == "ok"
    assert everything - passed("bob") == bob_fails
    assert by[("bob", aid)].score == full - points(aid, bob_fails)
    assert (by[("carol", aid)].status, by[("carol", aid)].score) == ("ok", 0)
    assert (by[("dave", aid)].status, by[("dave", aid)].score) == ("invalid_notebook", 0)
    assert (by[("erin", aid)].status, by[("erin", aid)].score) == ("ok", 0)
    assert by[("frank", aid)].status == "timeout"
    assert passed("frank") == frank_passes(aid) and by[("frank", aid)].score == points(aid, frank_passes(aid))
    assert 0 < by[("frank", aid)].score < full


@pytest.mark.slow
def test_the_demo_writes_the_class_report_and_exports(graded_examples, tmp_path, capsys):
    by, _, out = graded_examples
    report = (out / "report.html").read_text()
    for aid in ASSIGNMENTS:
        assert f'id="{aid}"' in report
    # each of bob's failed tests shows a failure message group with bob in it
    for stats in class_stats(list(by.values())):
        for t in stats.tests:
            if t.test in make_examples.MISTAKES[stats.assignment].fails:
                assert any("bob" in g.students for g in t.failures), (stats.assignment, t.test)
    assert (out / "feedback" / "bob" / "01_dual_numbers.html").exists()

    wide = tmp_path / "wide.csv"
    assert main(["export", str(out), "--format", "wide", "--out", str(wide)]) == 0
    rows = {r["student_id"]: r for r in csv.DictReader(wide.open())}
    assert set(rows) == set(STUDENTS)
    course_max = sum(a.max_score for a in course.COURSE)
    alice_total = sum(course.assignment(a).max_score for a in ASSIGNMENTS)
    assert float(rows["alice"]["total"]) == alice_total and float(rows["alice"]["max_total"]) == course_max
    assert float(rows["carol"]["total"]) == 0
    capsys.readouterr()


# --- the class report in a browser ------------------------------------------------------

README_SCREENSHOT = course.ROOT / "docs" / "images" / "class_report.png"
VIEWPORT = {"width": 1280, "height": 900}
SHOWN = "02_euler_rk4"  # the README shows this assignment's section: short, and bob's mistake in it

_IMAGES = """() => [...document.images].map(i => ({complete: i.complete, width: i.naturalWidth,
                                                    src: i.src.slice(0, 22)}))"""


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    require_chromium()
    with running_chromium(tmp_path_factory.mktemp("chromium")) as browser:
        yield browser


def open_report(browser, url: str, javascript: bool):
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=javascript)
    page = context.new_page()
    problems, requests = [], []
    page.on(
        "console",
        lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))

    def route(r):
        requests.append(r.request.url[:60])
        r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort()

    page.route("**/*", route)
    page.goto(url, wait_until="load")
    return context, page, problems, requests


@pytest.mark.browser
@pytest.mark.slow
def test_the_class_report_opens_offline_with_its_images_and_without_javascript(
    graded_examples, chromium, request
):
    by, _, out = graded_examples
    report = out / "report.html"
    assignments = sorted({aid for _, aid in by})
    context, page, problems, requests = open_report(chromium, report.as_uri(), javascript=True)
    try:
        images = page.evaluate(_IMAGES)
        assert len(images) == len(assignments)
        assert all(
            i["complete"] and i["width"] > 0 and i["src"].startswith("data:image/png") for i in images
        ), images
        assert not problems, problems
        assert all(u.startswith(("file:", "data:")) for u in requests), requests
        assert page.title() == "Class report"
        shots = screenshots_folder(request)
        shot = shots / "class_report.png"
        page.locator(f'section[id="{SHOWN if SHOWN in assignments else assignments[0]}"]').screenshot(
            path=str(shot)
        )
        page.screenshot(path=str(shots / "class_report_full.png"), full_page=True)
        if os.environ.get("AUTODIFF_UPDATE_SCREENSHOT") == "1":
            shutil.copy(shot, README_SCREENSHOT)
    finally:
        context.close()

    context, page, problems, _ = open_report(chromium, report.as_uri(), javascript=False)
    try:
        for aid in assignments:
            heading = page.locator(f'section[id="{aid}"] h2')
            assert heading.is_visible() and aid in heading.inner_text()
            assert page.locator(f'section[id="{aid}"] table').count() >= 2  # statuses and tests
        widths = page.evaluate(_IMAGES)
        assert all(i["width"] > 0 for i in widths)
        assert page.get_by_text("point-biserial").is_visible()
        assert not problems, problems
    finally:
        context.close()


@pytest.mark.slow
def test_nbgrader_autograde_gives_the_example_scores_in_every_assignment(graded_examples, tmp_path):
    """The other door, stock `nbgrader autograde`, on alice (all right) and bob (one plausible
    mistake per assignment) of every assignment: the scores of `grade`, test by test in sum."""
    from nbgrader_support import gradebook_scores, make_course, nbgrader

    by, _, _ = graded_examples
    nbgrader_course = make_course(tmp_path / "course", ASSIGNMENTS)
    for student in ("alice", "bob"):
        for aid in ASSIGNMENTS:
            shutil.copytree(SUBMITTED / student / aid, nbgrader_course / "submitted" / student / aid)
    differ = {}
    for aid in ASSIGNMENTS:
        proc = nbgrader(nbgrader_course, "autograde", aid)
        assert proc.returncode == 0, proc.stderr[-3000:]
        scores = gradebook_scores(nbgrader_course, aid)
        for student in ("alice", "bob"):
            ours = by[(student, aid)]
            theirs, max_score, needs_manual = scores[student]
            if (theirs, max_score, needs_manual) != (ours.score, ours.max_score, False):
                differ[(student, aid)] = ((ours.score, ours.max_score), scores[student])
    assert not differ, f"(ours, nbgrader's (score, max, needs manual grading)) differ: {differ}"
