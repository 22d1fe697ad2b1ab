"""Verdicts fail closed: no record, two records, a wrong probe, a cell that never ran."""
from __future__ import annotations

import json

import nbformat

from autograder.checks import TestSpec, verdict_for_cell
from autograder.grading.execute import Execution
from autograder.grading.template import load_template
from autograder.grading.verdicts import grade_tests
from autograder.probes import MIME
from autograder.probes import dual_numbers as probes
from test_checks_dual_numbers import Dual

SPEC = TestSpec("dual_numbers.add_sub", ("dual_class",))


def record(results, probe="dual_numbers.add_sub"):
    return {"output_type": "display_data", "metadata": {}, "data": {MIME: {"probe": probe, "results": results}}}


def good(seed):
    return json.loads(json.dumps(probes.run_group("add_sub", Dual, seed)))


def test_one_good_record_passes():
    assert verdict_for_cell(SPEC, [record(good(4))], 4).passed


def test_fail_closed_cases():
    r = good(4)
    assert not verdict_for_cell(SPEC, [], 4).passed
    assert not verdict_for_cell(SPEC, [record(r), record(r)], 4).passed
    assert not verdict_for_cell(SPEC, [record(r, "dual_numbers.bonus")], 4).passed
    assert not verdict_for_cell(SPEC, [record(r)], 5).passed, "results for another seed's inputs"
    assert not verdict_for_cell(SPEC, [{"output_type": "stream", "name": "stdout", "text": "passed"}], 4).passed
    assert not verdict_for_cell(SPEC, [record("garbage")], 4).passed


def test_cells_after_a_hang_do_not_count_even_with_a_record():
    t = load_template("01_dual_numbers")
    nb = nbformat.v4.new_notebook(cells=[t.cell(g) for g in t.points])
    for cell in nb.cells:
        cell.outputs = [nbformat.from_dict(record(good(4)))]
    ex = Execution(nb=nb, status="timeout", message="cell 3 did not finish", executed=[0, 1], stopped_at=2)
    verdicts = grade_tests(t, ex, 4, {})
    states = [v.state for v in verdicts]
    assert states[2:] == ["not_run"] * (len(states) - 2)
    assert "did not finish" in verdicts[3].messages[0]


def test_forbidden_answers_zero_their_tests_only():
    t = load_template("01_dual_numbers")
    nb = nbformat.v4.new_notebook(cells=[t.cell(g) for g in t.points])
    verdicts = grade_tests(t, Execution(nb=nb, executed=list(range(len(nb.cells)))), 4, {"dual_class": ["jax"]})
    by = {v.grade_id: v.state for v in verdicts}
    assert by["test_dual_add_sub"] == "forbidden" and by["test_finite_differences"] == "failed"
