"""The course table (autograder.course) is the one statement of what each notebook grades.

It must agree with the notebooks (answer ids, test ids, points), with the probes and checks
(each test's probe exists and has a check), and with the hidden-test cells (each calls its
own probe). Every check must answer hostile results with a verdict, never an exception.
"""

from __future__ import annotations

import nbformat
import pytest
from conftest import released_assignments
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder import checks, course
from autograder.probes import Probe

IDS = released_assignments()


def meta(cell):
    return cell.metadata.get("nbgrader", {})


def _probes_of(module: str) -> dict[str, Probe]:
    import importlib

    mod = importlib.import_module(f"autograder.probes.{module}")
    found = {}
    for value in vars(mod).values():
        items = value.values() if isinstance(value, dict) else [value]
        found.update({p.name: p for p in items if isinstance(p, Probe)})
    return found


def test_the_table_lists_the_contract_assignments_in_order():
    assert course.ASSIGNMENTS[:6] == (
        "01_dual_numbers",
        "02_euler_rk4",
        "03_pytorch",
        "04_jax",
        "05_mlp_logistic",
        "06_jacobians_hessians",
    )
    assert len(set(course.ASSIGNMENTS)) == len(course.ASSIGNMENTS)
    for a in course.COURSE:
        ids = [x.id for x in a.answers] + [t.id for t in a.tests]
        assert len(ids) == len(set(ids)), a.id
        for answer in a.answers:
            assert set(answer.uses) <= {x.id for x in a.answers}, (a.id, answer.id)


@pytest.mark.parametrize("aid", IDS)
@pytest.mark.parametrize("which", ["solution", "release"])
def test_notebooks_agree_with_the_table(aid, which):
    path = course.solution_notebook(aid) if which == "solution" else course.release_notebook(aid)
    nb = nbformat.read(path, as_version=4)
    table = course.assignment(aid)
    answers = [meta(c)["grade_id"] for c in nb.cells if meta(c).get("solution")]
    tests = {meta(c)["grade_id"]: meta(c)["points"] for c in nb.cells if meta(c).get("grade")}
    assert sorted(answers) == sorted(a.id for a in table.answers)
    assert tests == {t.id: t.points for t in table.tests}
    for c in nb.cells:
        if meta(c).get("solution"):
            assert not meta(c).get("grade"), f"{aid}: manually graded answer cells would block autograding"


@pytest.mark.parametrize("aid", IDS)
def test_each_test_has_one_probe_and_one_check_and_its_cell_calls_that_probe(aid):
    table = course.assignment(aid)
    probes = _probes_of(table.module)
    checks.load(table.module)
    names = {table.probe_name(t.id) for t in table.tests}
    assert set(probes) == names, (
        f"probes without a test: {set(probes) - names}; tests without: {names - set(probes)}"
    )
    assert {p for p in checks.REGISTRY if p.startswith(table.module + ".")} == names
    nb = nbformat.read(course.solution_notebook(aid), as_version=4)
    for cell in nb.cells:
        if meta(cell).get("grade"):
            hidden = cell.source.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS", 1)[0]
            short = table.probe_name(meta(cell)["grade_id"]).split(".", 1)[1]
            assert f"probe_{short}(" in hidden or f'"{short}"' in hidden, (
                f"{aid}: {meta(cell)['grade_id']} runs another probe"
            )


@pytest.mark.parametrize("aid", IDS)
def test_each_answer_with_a_rule_says_so_in_its_notebook(aid):
    """What the grader enforces is stated to the student, in the markdown before the answer."""
    nb = nbformat.read(course.release_notebook(aid), as_version=4)
    for answer in course.assignment(aid).answers:
        if not answer.rules:
            continue
        i = next(i for i, c in enumerate(nb.cells) if meta(c).get("grade_id") == answer.id)
        before = " ".join(c.source for c in nb.cells[max(0, i - 8) : i] if c.cell_type == "markdown").lower()
        assert any(w in before for w in ("do not", "no python loop", "must not", "without")), (aid, answer.id)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


def _all_probes() -> list[str]:
    for a in course.COURSE:
        checks.load(a.module)
    return sorted(checks.REGISTRY)


@pytest.mark.parametrize("probe", _all_probes())
@settings(max_examples=12, deadline=None)
@given(results=JSON)
def test_every_check_answers_hostile_results_with_a_verdict(probe, results):
    verdict = checks.check_record(probe, {"probe": probe, "results": results}, 3)
    assert not verdict.passed
