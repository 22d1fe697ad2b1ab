"""What a student sees: the release notebooks in JupyterLab, in a real (headless) browser.

A notebook that executes headless can still show a broken quiz, a dead slider or a MathJax
error. For each of the six notebooks, in Chromium driven by Playwright:

1. open the student release and run every code cell, one at a time, as a student would
   (JupyterLab's "Run All" stops at the first error, and the release has intended ones);
2. every error on screen must be an exercise stub's `NotImplementedError("Exercise ...")`, or a
   `NameError` that follows from one; no other traceback, warning, MathJax error or widget
   that failed to display;
3. each jupyterquiz checkpoint renders, and answering its questions shows feedback;
4. the ipywidgets controls render; then, with the exercises solved (the solutions typed into
   the answer cells), the whole notebook runs again to the end with no error on screen, and
   moving the control changes its output;
5. no uncaught JavaScript error (Playwright's `pageerror`) and no request that leaves the
   server (the page must work offline) from opening the notebook to moving the control.

Screenshots go to $AUTODIFF_SCREENSHOTS_DIR (default: a new temporary folder, printed).
AUTODIFF_UPDATE_SCREENSHOT=1 also writes the README picture, docs/images/01_dual_numbers.png.
Without Chromium (or $AUTODIFF_CHROMIUM) the tests skip, unless CI or AUTODIFF_REQUIRE_BROWSER
is set: then they fail.

The instructor side: nbgrader's formgrader page loads and lists the course's assignments.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from browser_support import (
    JupyterLab,
    LabPage,
    ShownError,
    announce,
    classify_errors,
    require_chromium,
    running_chromium,
    screenshots_folder,
)

from autograder import course
from autograder.readme import COLAB_BADGE
from autograder.sample_submissions import solution_answers

# one JupyterLab and one Chromium for the module, also under pytest-xdist (--dist loadgroup)
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ROOT = course.ROOT
FIRST_NOTEBOOK = "01_dual_numbers"
README_SCREENSHOT = ROOT / "docs" / "images" / "01_dual_numbers.png"
VIEWPORT = {"width": 1280, "height": 900}
CELL_TIMEOUT = 90  # seconds for one cell (the notebooks' own limit is 20 s)
RENDER_TIMEOUT = 30  # seconds for widgets and quizzes to appear after their cell ran
# a cell that creates an ipywidgets control: widgets.FloatSlider(...), interact(...), ...
WIDGET_SOURCE = re.compile(
    r"\bwidgets\.[A-Z]\w*\(|\binteract(ive)?(_output)?\(|\b(Int|Float)Slider\(|\bDropdown\("
)


def released(aid: str) -> bool:
    return course.release_notebook(aid).exists()


# --------------------------------------------------------------------------------------------
# fixtures: one JupyterLab, one Chromium, one tab for the module
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def screenshots(request) -> Path:
    return screenshots_folder(request)


@pytest.fixture(scope="module")
def lab(tmp_path_factory, screenshots):
    require_chromium()
    server = JupyterLab(tmp_path_factory.mktemp("jupyterlab"))
    try:
        server.start(course.COURSE_ID, [a for a in course.ASSIGNMENTS if released(a)])
        yield server
    finally:
        server.stop()
        if server.log_path.exists():
            shutil.copy(server.log_path, screenshots / "jupyterlab.log")


@pytest.fixture(scope="module")
def browser(lab, tmp_path_factory):
    with running_chromium(tmp_path_factory.mktemp("chromium")) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def lab_page(browser, lab, screenshots):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    page = LabPage(context.new_page(), lab)
    try:
        page.load_lab()
        yield page
    finally:
        (screenshots / "browser-console.txt").write_text("\n".join(page.console) + "\n")
        context.close()


# --------------------------------------------------------------------------------------------
# the student's view of one notebook
# --------------------------------------------------------------------------------------------


def _number(value) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def answer_quiz(lp: LabPage, index: int) -> int:
    """Answer every question of the quiz in cell `index`; each must show feedback. Returns the
    number of questions. Multiple choice: a wrong answer, then the right one; numeric: the value
    from the quiz's own answer key."""
    from playwright.sync_api import expect

    correct, incorrect = re.compile(r"(^|\s)correct(\s|$)"), re.compile(r"(^|\s)incorrect(\s|$)")
    questions = lp.cell(index).locator(".Quiz")
    count = questions.count()
    assert count, f"quiz cell {index}: no question rendered"
    for q in range(count):
        question = questions.nth(q)
        feedback = question.locator(".Feedback")
        text = question.locator('[id^="quizQn"]')
        label = (text.first.text_content() or "").strip()[:60] if text.count() else f"question {q + 1}"
        if question.locator(".MCButton").count():
            wrong = question.locator('.MCButton[data-correct="false"]')
            if wrong.count():
                wrong.first.click()
                expect(
                    feedback, f"quiz cell {index}, {label!r}: no feedback for a wrong answer"
                ).to_have_class(incorrect)
                expect(feedback).not_to_be_empty()
            right = question.locator('.MCButton[data-correct="true"]')
            assert right.count(), f"quiz cell {index}, {label!r}: no answer is marked correct"
            right.first.click()
            expect(feedback, f"quiz cell {index}, {label!r}: no feedback for the right answer").to_have_class(
                correct
            )
            expect(feedback).not_to_be_empty()
        elif question.locator("input.Input-text").count():
            box = question.locator("input.Input-text").first
            key = json.loads(box.get_attribute("data-answers") or "[]")
            values = [a["value"] for a in key if a.get("correct") and "value" in a]
            values += [sum(a["range"]) / 2 for a in key if a.get("correct") and "range" in a]
            assert values, f"quiz cell {index}, {label!r}: numeric question without a correct value"
            box.click()
            box.press_sequentially(_number(values[0]))
            box.press("Enter")
            expect(
                feedback,
                f"quiz cell {index}, {label!r}: typing {_number(values[0])} shows no 'correct' feedback",
            ).to_have_class(correct)
            expect(feedback).to_be_visible()
        else:
            pytest.fail(f"quiz cell {index}, {label!r}: a question type this test cannot answer")
    return count


def move_control(lp: LabPage, index: int, fraction: float) -> str:
    """Drag the first slider of cell `index` to `fraction` of its track (or pick another entry
    of its first dropdown); return the control's new value as shown."""
    cell = lp.cell(index)
    sliders = cell.locator(".widget-slider .noUi-handle")
    if sliders.count():
        handle, track = sliders.first, cell.locator(".widget-slider .noUi-target").first
        handle.scroll_into_view_if_needed()
        h, t = handle.bounding_box(), track.bounding_box()
        y = h["y"] + h["height"] / 2
        lp.page.mouse.move(h["x"] + h["width"] / 2, y)
        lp.page.mouse.down()
        lp.page.mouse.move(t["x"] + fraction * t["width"], y, steps=1)
        lp.page.mouse.up()
        return handle.get_attribute("aria-valuenow") or ""
    select = cell.locator(".widget-dropdown select").first
    options = select.locator("option").all_text_contents()
    choice = options[min(int(fraction * len(options)), len(options) - 1)]
    select.select_option(label=choice)
    return choice


def check_student_view(lp: LabPage, aid: str, shots: Path) -> dict:
    t0 = time.monotonic()
    path = f"{course.RELEASE_DIR}/{aid}/{aid}.ipynb"
    nb = nbformat.read(lp.lab.course / path, as_version=4)  # the copy JupyterLab serves
    sources = {i: c.source for i, c in enumerate(nb.cells)}
    n = lp.open_notebook(path)
    timings = {"open": round(time.monotonic() - t0, 1)}
    assert n == len(nb.cells), f"{path}: JupyterLab shows {n} cells, the file has {len(nb.cells)}"
    types = lp.cell_types()
    code_cells = [i for i, t in enumerate(types) if t == "code"]

    # 1. run every code cell, one at a time
    lp.run_cells(code_cells, timeout=CELL_TIMEOUT)
    lp.wait_idle()
    timings["run_all"] = round(time.monotonic() - t0 - timings["open"], 1)
    quiz_cells = [i for i in code_cells if "display_quiz(" in sources[i]]
    # widgets and quizzes render asynchronously once their cell has run
    lp.page.wait_for_function(
        """(quiz) => { const panel = window.__autodiff.panel, cells = panel.content.widgets;
             const views = [...panel.node.querySelectorAll(
               '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.widget-view+json"]')];
             return quiz.every(i => cells[i].node.querySelector('.Quiz'))
                 && views.every(v => v.querySelector('.jupyter-widgets') || /Error/.test(v.textContent)); }""",
        arg=quiz_cells,
        timeout=RENDER_TIMEOUT * 1000,
    )
    lp.page.wait_for_timeout(500)
    screen = lp.screen()
    lp.page.screenshot(path=str(shots / f"{aid}-1-after-run.png"))

    not_run = [s["index"] for s in screen if s["type"] == "code" and s["executionCount"] is None]
    assert not not_run, f"{aid}: cells {not_run} did not run"

    # 2. errors: only the intended stubs
    shown = [ShownError(s["index"], e["text"], e["inWidget"]) for s in screen for e in s["stderr"]]
    verdict = classify_errors(shown, sources)
    problems = [
        f"cell {e.cell}{' (widget output)' if e.in_widget else ''}: {e.summary}\n    {e.text.strip()[-600:]}"
        for e in verdict.unintended
    ]
    problems += [f"cell {s['index']}: MathJax error {m!r}" for s in screen for m in s["mathErrors"]]
    problems += [f"cell {s['index']}: LaTeX output not typeset {m!r}" for s in screen for m in s["rawLatex"]]
    problems += [
        f"cell {s['index']}: widget failed to display: {m}" for s in screen for m in s["widgetErrors"]
    ]
    assert not problems, f"{aid}: a student sees errors that are not the exercise stubs:\n" + "\n".join(
        problems
    )

    # 3. quizzes render and answer
    assert quiz_cells, f"{aid}: no jupyterquiz checkpoint (display_quiz) found"
    questions = 0
    for i in quiz_cells:
        assert screen[i]["quizzes"] > 0, f"{aid}: the quiz in cell {i} did not render"
        questions += answer_quiz(lp, i)
        shoot_cell(lp, i, shots / f"{aid}-2-quiz-cell{i}.png")

    timings["checks_and_quiz"] = round(time.monotonic() - t0 - sum(timings.values()), 1)

    # 4. widgets render. In the release a widget cell may stop at a stub before it displays
    #    anything; such a cell is checked once the exercises are solved.
    widget_cells = [i for i in code_cells if WIDGET_SOURCE.search(sources[i])]
    assert widget_cells, f"{aid}: no cell creates an ipywidgets control"
    stopped = {e.cell for e in verdict.intended if not e.in_widget}
    dead = [i for i in widget_cells if i not in stopped and not screen[i]["widgets"]]
    assert not dead, f"{aid}: widget cells {dead} ran but show no widget"
    target = widget_cells[0]
    if target not in stopped:
        shoot_cell(lp, target, shots / f"{aid}-3-widget-release.png")

    # ... and with the exercises solved (the solutions typed into the answer cells), the
    # notebook runs to the end, and moving the control changes what it shows.
    answers = solution_answers(aid)
    meta = lp.cell_metadata()
    answer_cells = [i for i, m in enumerate(meta) if m.get("solution") and m.get("grade_id") in answers]
    for i in answer_cells:
        lp.set_source(i, answers[meta[i]["grade_id"]])
    lp.run_cells(code_cells, timeout=CELL_TIMEOUT)
    lp.wait_idle()
    lp.page.wait_for_function(
        "(i) => window.__autodiff.panel.content.widgets[i].node.querySelector('.jupyter-widgets')",
        arg=target,
        timeout=RENDER_TIMEOUT * 1000,
    )
    timings["solve"] = round(time.monotonic() - t0 - sum(timings.values()), 1)
    solved_screen = lp.screen()
    not_run = [s["index"] for s in solved_screen if s["type"] == "code" and s["executionCount"] is None]
    assert not not_run, f"{aid}: with the exercises solved, cells {not_run} did not run"
    red = [
        f"cell {s['index']}: {ShownError(s['index'], e['text']).summary}"
        for s in solved_screen
        for e in s["stderr"]
    ]
    red += [
        f"cell {s['index']}: widget failed to display: {m}" for s in solved_screen for m in s["widgetErrors"]
    ]
    assert not red, f"{aid}: the solved notebook does not run to the end without errors:\n" + "\n".join(red)
    assert solved_screen[target]["sliders"] or solved_screen[target]["dropdowns"], (
        f"{aid}: cell {target} shows no ipywidgets slider or dropdown to move"
    )
    before = lp.output_snapshot(target)
    first_value = move_control(lp, target, 0.8)
    first = lp.wait_output_settles(target, before)
    second_value = move_control(lp, target, 0.2)
    second = lp.wait_output_settles(target, first)
    shoot_cell(lp, target, shots / f"{aid}-4-widget-solved.png")
    assert first_value != second_value, f"{aid}: the control in cell {target} did not move ({first_value})"
    assert first != second, (
        f"{aid}: moving the control in cell {target} from {first_value} to "
        f"{second_value} did not change its output"
    )
    solved_screen = lp.screen()
    red = [
        f"cell {s['index']}: {ShownError(s['index'], e['text']).summary}"
        for s in solved_screen
        for e in s["stderr"]
    ]
    assert not red, f"{aid}: moving the control in cell {target} shows errors:\n" + "\n".join(red)
    timings["widget"] = round(time.monotonic() - t0 - sum(timings.values()), 1)

    return {
        "aid": aid,
        "seconds": round(time.monotonic() - t0, 1),
        "cells": len(code_cells),
        "page_errors": len(lp.page_errors),
        "intended_errors": len(verdict.intended),
        "quiz_questions": questions,
        "widget_cell": target,
        "quiz_cells": quiz_cells,
        "timings": timings,
    }


def _fit_viewport(lp: LabPage, content_height: float, width: int = VIEWPORT["width"]) -> None:
    """Make the window tall enough that `content_height` pixels of notebook fit on screen
    (element screenshots are clipped to what the notebook's scroll area shows)."""
    chrome = lp.page.evaluate("""() => { const nb = window.__autodiff.panel.content.node;
        return window.innerHeight - nb.getBoundingClientRect().height; }""")
    lp.page.set_viewport_size(
        {"width": width, "height": int(min(max(content_height + chrome + 40, VIEWPORT["height"]), 4000))}
    )


def shoot_cell(lp: LabPage, index: int, path: Path) -> None:
    cell = lp.cell(index)
    visible = lp.page.evaluate("() => window.__autodiff.panel.content.node.getBoundingClientRect().height")
    tall = cell.bounding_box()["height"] > visible - 20
    if tall:
        _fit_viewport(lp, cell.bounding_box()["height"])
    lp.page.evaluate(
        "(i) => window.__autodiff.panel.content.widgets[i].node.scrollIntoView({block: 'start'})", index
    )
    lp.page.wait_for_timeout(200)
    try:
        cell.screenshot(path=str(path))
    finally:
        if tall:
            lp.page.set_viewport_size(VIEWPORT)


def readme_screenshot(lp: LabPage, info: dict, out: Path) -> None:
    """The widget and the quiz of one notebook in one picture: every other cell hidden from
    view and the two cells' code collapsed, as JupyterLab's "Collapse Selected Code" would."""
    keep = [info["widget_cell"], info["quiz_cells"][-1]]
    lp.page.evaluate(
        """(keep) => {
      const panel = window.__autodiff.panel;
      panel.content.widgets.forEach((c, i) => {
        if (keep.includes(i)) { c.inputHidden = true; } else { c.node.style.display = 'none'; }
      });
      window.jupyterapp.shell.collapseLeft();
      window.jupyterapp.shell.collapseRight();
    }""",
        keep,
    )
    lp.page.wait_for_timeout(300)
    height = lp.page.evaluate(
        """(keep) => keep.reduce((h, i) =>
        h + window.__autodiff.panel.content.widgets[i].node.getBoundingClientRect().height, 0)""",
        keep,
    )
    _fit_viewport(lp, height, width=1100)
    lp.page.evaluate("() => { window.__autodiff.panel.content.node.scrollTop = 0; }")
    lp.page.wait_for_timeout(500)
    out.parent.mkdir(parents=True, exist_ok=True)
    box = lp.page.evaluate("""() => { const r = window.__autodiff.panel.content.node.getBoundingClientRect();
        return {x: r.x, y: r.y, width: r.width, height: r.height}; }""")
    lp.page.screenshot(
        path=str(out),
        clip={"x": box["x"], "y": box["y"], "width": box["width"], "height": min(box["height"], height + 40)},
    )
    lp.page.set_viewport_size(VIEWPORT)


@pytest.mark.parametrize("aid", course.ASSIGNMENTS)
def test_student_view(lab_page, screenshots, request, aid):
    if not released(aid):
        pytest.fail(
            f"{aid} is not released ({course.release_notebook(aid)} missing): "
            "run `python -m autograder release`"
        )
    lab_page.page_errors.clear()
    lab_page.blocked.clear()
    try:
        info = check_student_view(lab_page, aid, screenshots)
        assert not lab_page.page_errors, f"{aid}: uncaught JavaScript errors in the page:\n  " + "\n  ".join(
            lab_page.page_errors[:10]
        )
        outside = sorted(set(lab_page.blocked) - {COLAB_BADGE})  # the badge cell's image, offline here
        assert not outside, (
            f"{aid}: the page asked for addresses outside the server (it must work offline): {outside[:10]}"
        )
        if aid == FIRST_NOTEBOOK:
            shot = screenshots / f"{aid}-readme.png"
            readme_screenshot(lab_page, info, shot)
            if os.environ.get("AUTODIFF_UPDATE_SCREENSHOT") == "1":
                shutil.copy(shot, README_SCREENSHOT)
                info["readme"] = str(README_SCREENSHOT)
        announce(request, f"[browser] {info}")
    except BaseException:
        try:
            lab_page.page.screenshot(path=str(screenshots / f"{aid}-FAILED.png"))
        except Exception:  # noqa: BLE001 - the page itself may be gone
            pass
        raise
    finally:
        lab_page.close_notebook()


def test_formgrader_lists_assignments(browser, lab, screenshots):
    """The instructor's side: nbgrader's formgrader page loads and lists every released assignment."""
    from playwright.sync_api import expect

    expected = [a for a in course.ASSIGNMENTS if released(a)]
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(lab.base_url) else r.abort())
        page.goto(lab.url("formgrader"), wait_until="domcontentloaded")
        for aid in expected:
            expect(
                page.get_by_role("link", name=aid, exact=True).first, f"formgrader does not list {aid}"
            ).to_be_visible(timeout=60_000)
        page.screenshot(path=str(screenshots / "formgrader.png"), full_page=True)
    finally:
        context.close()
