"""restore_cells: protected cells always come from the source; answers and own cells stay."""

from __future__ import annotations

import copy

import nbformat

from autograder.grading.restore import restore_cells, visible_part
from autograder.grading.template import load_template
from autograder.sample_submissions import release_notebook, solution_answers, solved

AID = "01_dual_numbers"
T = load_template(AID)


def meta(c):
    return c.metadata.get("nbgrader", {})


def ids(nb):
    return [meta(c).get("grade_id") for c in nb.cells if meta(c).get("grade_id")]


def test_an_untouched_solved_notebook_keeps_its_order_and_answers():
    nb = solved(AID)
    r = restore_cells(T, [dict(c) for c in nb.cells])
    assert ids(r.nb) == list(T.order)
    assert r.answers["dual_class"].strip() == solution_answers(AID)["dual_class"].strip()
    assert r.notes == []
    assert [c.source for c in r.nb.cells if meta(c).get("grade_id") is None] == [
        c.source
        for c in nb.cells
        if meta(c).get("grade_id") is None and c.source.strip() not in T.demo_sources
    ]


def test_unchanged_demo_cells_are_skipped_and_edited_ones_run():
    nb = solved(AID)
    assert T.demo_sources, "notebook 01 tags its display-only cells as demo"
    demo = next(c for c in nb.cells if c.source.strip() in T.demo_sources)
    r = restore_cells(T, [dict(c) for c in nb.cells])
    assert all(c.source.strip() not in T.demo_sources for c in r.nb.cells)
    demo.source += "\nextra = 1"
    r = restore_cells(T, [dict(c) for c in nb.cells])
    assert any(c.source == demo.source for c in r.nb.cells)


def test_test_cells_come_back_with_their_hidden_tests():
    nb = release_notebook(AID)
    r = restore_cells(T, [dict(c) for c in nb.cells])
    cell = next(c for c in r.nb.cells if meta(c).get("grade_id") == "test_dual_add_sub")
    assert "### BEGIN HIDDEN TESTS" in cell.source


def test_deleted_edited_retyped_and_duplicated_cells_are_restored():
    nb = solved(AID)
    cells = nb.cells
    i = next(k for k, c in enumerate(cells) if meta(c).get("grade_id") == "test_dual_power")
    j = next(k for k, c in enumerate(cells) if meta(c).get("grade_id") == "test_dual_mul_div")
    k = next(k for k, c in enumerate(cells) if meta(c).get("grade_id") == "test_dual_functions")
    cells[j].source = "pass"
    cells[k] = nbformat.v4.new_markdown_cell(cells[k].source, metadata=cells[k].metadata)
    cells.insert(i, copy.deepcopy(cells[i]))
    del cells[next(n for n, c in enumerate(cells) if meta(c).get("grade_id") == "test_dual_bonus")]
    r = restore_cells(T, [dict(c) for c in cells])
    assert ids(r.nb) == list(T.order)
    for gid in T.protected:
        cell = next(c for c in r.nb.cells if meta(c).get("grade_id") == gid)
        assert cell.source == T.cell(gid).source and cell.cell_type == "code"
    joined = " ".join(r.notes)
    assert "test_dual_bonus' was missing" in joined and "test_dual_mul_div' had been edited" in joined
    assert "changed to markdown" in joined and "duplicate" in joined


def test_a_deleted_answer_is_not_replaced_by_anything():
    nb = solved(AID)
    nb.cells = [c for c in nb.cells if meta(c).get("grade_id") != "dual_class"]
    r = restore_cells(T, [dict(c) for c in nb.cells])
    assert "dual_class" not in ids(r.nb)
    assert all("BEGIN SOLUTION" not in c.source for c in r.nb.cells)


def test_the_last_copy_of_a_duplicated_answer_is_the_answer():
    nb = solved(AID)
    i = next(k for k, c in enumerate(nb.cells) if meta(c).get("grade_id") == "dual_class")
    old = copy.deepcopy(nb.cells[i])
    old.source = "class Dual:\n    pass"
    nb.cells.insert(i, old)
    r = restore_cells(T, [dict(c) for c in nb.cells])
    assert "def __add__" in r.answers["dual_class"]
    assert len(r.answer_copies["dual_class"]) == 2
    assert any(c.source == "class Dual:\n    pass" and not meta(c) for c in r.nb.cells)


def test_students_own_cells_keep_their_place_and_lose_metadata():
    nb = solved(AID)
    i = next(k for k, c in enumerate(nb.cells) if meta(c).get("grade_id") == "dual_class")
    own = nbformat.v4.new_code_cell(
        "helper = 42", metadata={"tags": ["skip-execution"], "nbgrader": {"grade_id": "not_in_source"}}
    )
    nb.cells.insert(i + 1, own)
    r = restore_cells(T, [dict(c) for c in nb.cells])
    k = next(n for n, c in enumerate(r.nb.cells) if c.source == "helper = 42")
    assert meta(r.nb.cells[k - 1]).get("grade_id") == "dual_class"
    assert r.nb.cells[k].metadata == {}


def test_visible_part_strips_hidden_tests():
    src = "assert x\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS\n"
    assert visible_part(src) == "assert x"
