"""How the book turns the two runs of a notebook into a page (no kernel: runs made by hand).

A cell that ran in the release keeps its outputs; an exercise stub, and a cell that raised
because of one, get the solution run's outputs under a label; a widget becomes what its
Output widget captured; a probe record or a failing solution stops the build.
"""

from __future__ import annotations

import copy

import nbformat
import pytest

from autograder import course
from autograder.book import (
    EXPECTED_LABEL,
    WIDGET_NOTE,
    WIDGET_STATE,
    WIDGET_VIEW,
    BookError,
    build_book,
    page_notebook,
)
from autograder.practice_cell import GRADE_ID as PRACTICE_CELL
from autograder.probes import MIME as PROBE_MIME

AID = "01_dual_numbers"


def _release():
    return nbformat.read(course.release_notebook(AID), as_version=4)


def _cells(nb):
    """(a plain code cell, the first answer cell, a code cell after it)"""
    answer = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    plain = next(
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        and 1 < i < answer
        and c.get("id") != PRACTICE_CELL  # the page drops that one
    )
    after = next(
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and i > answer and not c.metadata.get("nbgrader", {}).get("solution")
    )
    return plain, answer, after


def _stream(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def _error(name="NameError"):
    return nbformat.v4.new_output("error", ename=name, evalue="x", traceback=[f"{name}: x"])


def _runs():
    stub, solution = _release(), _release()
    plain, answer, after = _cells(stub)
    stub.cells[plain].outputs = [_stream("from the release\n")]
    stub.cells[answer].outputs = [_error("NotImplementedError")]
    stub.cells[after].outputs = [_error()]
    solution.cells[plain].outputs = [_stream("from the solution run\n")]
    solution.cells[after].outputs = [_stream("expected\n")]
    return stub, solution


def test_outputs_come_from_the_release_unless_a_cell_needs_an_exercise():
    stub, solution = _runs()
    plain, answer, after = _cells(stub)
    alt = {}
    page = page_notebook(AID, stub, solution, alt)
    by_id = {c.get("id"): c for c in page.cells}
    release = _release()
    assert [o.text for o in by_id[release.cells[plain].id].outputs] == ["from the release\n"]
    stub_cell = by_id[release.cells[answer].id]
    assert 'raise NotImplementedError("Exercise' in stub_cell.source and stub_cell.outputs == []
    needs = by_id[release.cells[after].id]
    assert EXPECTED_LABEL in needs.outputs[0].data["text/html"] and needs.outputs[1].text == "expected\n"
    assert "course-expected" in needs.metadata.tags
    assert all("nbgrader" not in c.metadata for c in page.cells)


def test_the_colab_badge_gives_way_to_launch_links_under_the_title():
    stub, solution = _runs()
    page = page_notebook(AID, stub, solution, {})
    ids = [c.get("id") for c in page.cells]
    assert "colab-badge" not in ids
    launch = page.cells[ids.index("course-launch")]
    assert page.cells[ids.index("course-launch") - 1].source.startswith("# ")
    assert (
        f'href="{course.colab_url(AID)}"' in launch.source
        and f'href="{course.binder_url(AID)}"' in launch.source
    )


def test_a_probe_record_stops_the_build():
    stub, solution = _runs()
    plain, _, _ = _cells(stub)
    stub.cells[plain].outputs.append(
        nbformat.v4.new_output("display_data", data={PROBE_MIME: {"probe": "x"}})
    )
    with pytest.raises(BookError, match="hidden-test record"):
        page_notebook(AID, stub, solution, {})


def test_a_failing_solution_run_stops_the_build():
    stub, solution = _runs()
    _, _, after = _cells(stub)
    solution.cells[after].outputs = [_error("ValueError")]
    with pytest.raises(BookError, match=f"cell {after} raises in the solution run"):
        page_notebook(AID, stub, solution, {})


def test_runs_of_another_release_are_refused():
    stub, solution = _runs()
    stub.cells[3].source += "\n# edited"
    with pytest.raises(BookError, match="not of the current release"):
        page_notebook(AID, stub, solution, {})


def _with_widget(nb, index, captured):
    nb.cells[index].outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                WIDGET_VIEW: {"model_id": "box", "version_major": 2, "version_minor": 0},
                "text/plain": "VBox(...)",
            },
        )
    ]
    nb.metadata["widgets"] = {
        WIDGET_STATE: {
            "version_major": 2,
            "version_minor": 0,
            "state": {
                "box": {
                    "model_name": "VBoxModel",
                    "state": {"children": ["IPY_MODEL_slider", "IPY_MODEL_out"]},
                },
                "slider": {"model_name": "FloatSliderModel", "state": {"value": 1.0}},
                "out": {"model_name": "OutputModel", "state": {"outputs": captured}},
            },
        }
    }


def test_a_widget_shows_what_its_output_widget_captured_with_a_note():
    stub, solution = _runs()
    plain, _, _ = _cells(stub)
    png = "iVBORw0KGgo="  # a few bytes: the page only hashes them
    _with_widget(
        stub,
        plain,
        [
            {
                "output_type": "display_data",
                "data": {"image/png": png},
                "metadata": {"alt": "Plot. A title, x: t"},
            }
        ],
    )
    alt = {}
    page = page_notebook(AID, stub, solution, alt)
    cell = next(c for c in page.cells if c.get("id") == _release().cells[plain].id)
    assert WIDGET_NOTE in cell.outputs[0].data["text/html"]
    assert cell.outputs[1].data["image/png"] == png and WIDGET_VIEW not in str(cell.outputs)
    assert list(alt.values()) == ["Plot. A title, x: t"]
    assert "widgets" not in page.metadata


def test_a_widget_whose_callback_raised_counts_as_needing_an_exercise():
    stub, solution = _runs()
    plain, _, _ = _cells(stub)
    _with_widget(stub, plain, [dict(_error("NotImplementedError"))])
    solution = copy.deepcopy(solution)
    _with_widget(solution, plain, [{"output_type": "stream", "name": "stdout", "text": "solved\n"}])
    page = page_notebook(AID, stub, solution, {})
    cell = next(c for c in page.cells if c.get("id") == _release().cells[plain].id)
    assert EXPECTED_LABEL in cell.outputs[0].data["text/html"]
    assert [o.get("text") for o in cell.outputs[2:]] == ["solved\n"]


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(BookError, match="unknown assignment"):
        build_book(tmp_path / "site", aids=["99_nope"], cache=None)
    with pytest.raises(BookError, match="would replace the course"):
        build_book(course.ROOT, cache=None)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("mine")
    with pytest.raises(BookError, match="not an earlier build of the book"):
        build_book(tmp_path / "notes", cache=None)
    assert (tmp_path / "notes" / "todo.txt").read_text() == "mine"
