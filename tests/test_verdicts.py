"""Verdicts fail closed: no record, two records, a wrong probe, a cell that never ran, a rule
broken in the source or at run time, a check that cannot run."""

from __future__ import annotations

import nbformat
import pytest
from probe_support import record as make_record
from test_checks_dual_numbers import Dual

from autograder import course
from autograder.checks import GraderError, judge_record, record_of_cell
from autograder.grading.execute import Execution
from autograder.grading.template import load_template
from autograder.grading.verdicts import grade_tests, static_violations
from autograder.probes import MIME
from autograder.probes import dual_numbers as probes
from autograder.rules import NO_AD_LIBRARIES

AID = "01_dual_numbers"
PROBE = probes.GROUP_PROBES["dual_add_sub"]


def output(record):
    return {"output_type": "display_data", "metadata": {}, "data": {MIME: record}}


def verdict_of(outputs, seed):
    record, problem = record_of_cell(outputs)
    if problem:
        return False
    return judge_record(PROBE.name, record, seed).passed


def good(seed):
    return make_record(PROBE, Dual, seed=seed)


def test_one_good_record_passes():
    assert verdict_of([output(good(4))], 4)


def test_fail_closed_cases():
    r = good(4)
    assert not verdict_of([], 4)
    assert not verdict_of([output(r), output(r)], 4)
    assert not verdict_of([output({**r, "probe": "dual_numbers.dual_bonus"})], 4)
    assert not verdict_of([output(r)], 5), "results for another seed's inputs"
    assert not verdict_of([{"output_type": "stream", "name": "stdout", "text": "passed"}], 4)
    assert not verdict_of([output({**r, "results": "garbage"})], 4)


@pytest.mark.parametrize(
    "usage",
    [
        None,
        "text",
        {"modules": ["numpy"], "calls": []},  # no completeness flag
        {"modules": ["numpy"], "calls": [], "complete": False, "interference": ["sys.setprofile was called"]},
        {"modules": ["numpy", "jax"], "calls": ["jax._src.api.jvp"], "complete": True, "interference": []},
        {"modules": ["numpy", "ctypes"], "calls": [], "complete": True, "interference": []},
    ],
)
def test_a_right_answer_with_a_missing_tampered_or_forbidden_usage_record_fails(usage):
    r = good(4)
    r["usage"] = usage
    assert not verdict_of([output(r)], 4)


def _notebook(template, seed):
    nb = nbformat.v4.new_notebook(cells=[template.cell(g) for g in template.points])
    for cell in nb.cells:
        cell.outputs = [nbformat.from_dict(output(good(seed)))]
    return nb


def test_cells_after_a_hang_do_not_count_even_with_a_record():
    t = load_template(AID)
    ex = Execution(
        nb=_notebook(t, 4), status="timeout", message="cell 3 did not finish", executed=[0, 1], stopped_at=2
    )
    verdicts = [v for v, _ in grade_tests(t, course.assignment(AID), ex, 4, {})]
    states = [v.state for v in verdicts]
    assert states[2:] == ["not_run"] * (len(states) - 2)
    assert "did not finish" in verdicts[3].messages[0]


def test_a_static_violation_zeroes_the_tests_of_that_answer_and_those_built_on_it():
    t = load_template(AID)
    a = course.assignment(AID)
    static = static_violations(a, {"dual_class": ["import jax\nclass Dual: pass"]}, {"dual_class": []})
    assert static["dual_class"][0][0] is NO_AD_LIBRARIES and "imports jax" in static["dual_class"][0][1]
    nb = _notebook(t, 4)
    judged = grade_tests(t, a, Execution(nb=nb, executed=list(range(len(nb.cells)))), 4, static)
    by = {v.grade_id: v.state for v, _ in judged}
    assert by["test_dual_add_sub"] == "forbidden" and by["test_derivative_helper"] == "forbidden"
    assert by["test_finite_differences"] == "failed"
    assert {rule for _, rule in judged} == {None, NO_AD_LIBRARIES}


def test_an_unimportable_checks_module_is_a_grader_error(monkeypatch):
    import autograder.checks as checks

    monkeypatch.setattr(
        checks.importlib,
        "import_module",
        lambda name: (_ for _ in ()).throw(ModuleNotFoundError("No module named 'scipy'")),
    )
    with pytest.raises(GraderError, match="does not import"):
        checks.find_check("euler_rk4.dloss_not_loaded_yet")


def test_a_check_that_raises_is_a_grader_error_not_a_failure(monkeypatch):
    import autograder.checks as checks

    checks.load("dual_numbers")

    def broken(results, seed):
        raise RuntimeError("the reference could not be computed")

    monkeypatch.setitem(checks.REGISTRY, PROBE.name, broken)
    with pytest.raises(GraderError, match="reference could not be computed"):
        checks.check_record(PROBE.name, good(4), 4)
