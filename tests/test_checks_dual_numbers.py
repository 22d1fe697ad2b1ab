"""The hidden checks of 01_dual_numbers: the solution passes, every classic mistake fails."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.checks import check_record
from autograder.probes import dual_numbers as probes
from autograder.sample_submissions import solution_answers

SEEDS = st.integers(min_value=0, max_value=2 ** 62)


def solution_namespace() -> dict:
    ns = {"np": np}
    answers = solution_answers("01_dual_numbers")
    for gid in ("finite_differences", "dual_class", "derivative_helper"):
        exec(answers[gid], ns)  # noqa: S102 - our own solution source
    return ns


SOLUTION = solution_namespace()
Dual = SOLUTION["Dual"]


def verdict(group: str, cls, seed: int):
    results = json.loads(json.dumps(probes.run_group(group, cls, seed)))
    return check_record(f"dual_numbers.{group}", {"probe": f"dual_numbers.{group}", "results": results}, seed)


def failing_groups(cls, seed: int = 7) -> set[str]:
    return {g for g in probes.GROUPS if not verdict(g, cls, seed).passed}


@settings(max_examples=5, deadline=None)
@given(seed=SEEDS)
def test_solution_passes_every_group(seed):
    for group in probes.GROUPS:
        v = verdict(group, Dual, seed)
        assert v.passed, (group, v.messages)


def _variant(**methods):
    return type("WrongDual", (Dual,), methods)


def _rebuild(cls):
    """Make results of a subclass's operations instances of the subclass (so overrides stick)."""
    return cls


WRONG = {
    "__rtruediv__ returns a plain float": _variant(__rtruediv__=lambda s, o: o / s.value),
    "product rule missing a term": _variant(
        __mul__=lambda s, o: Dual(s.value * o.value, s.derivative * o.value) if isinstance(o, Dual)
        else Dual(s.value * o, s.derivative * o)),
    "quotient rule with the sign flipped": _variant(
        __truediv__=lambda s, o: Dual(s.value / o.value,
                                      (s.value * o.derivative - s.derivative * o.value) / o.value ** 2)
        if isinstance(o, Dual) else Dual(s.value / o, s.derivative / o)),
    "__rsub__ without negation": _variant(__rsub__=lambda s, o: Dual(o - s.value, s.derivative)),
    "__pow__ without the chain factor": _variant(
        __pow__=lambda s, p: Dual(s.value ** p, p * s.value ** (p - 1))),
    "dual times real does not scale the derivative": _variant(
        __mul__=lambda s, o: Dual(s.value * o.value, s.derivative * o.value + s.value * o.derivative)
        if isinstance(o, Dual) else Dual(s.value * o, s.derivative),
        __rmul__=lambda s, o: Dual(s.value * o, s.derivative)),
    "log without the chain factor": _variant(log=lambda s: Dual(np.log(s.value), 1 / s.value)),
    "sin without the chain factor": _variant(sin=lambda s: Dual(np.sin(s.value), np.cos(s.value))),
    "cos with the wrong sign": _variant(cos=lambda s: Dual(np.cos(s.value), np.sin(s.value) * s.derivative)),
    "exp without the chain factor": _variant(exp=lambda s: Dual(np.exp(s.value), np.exp(s.value))),
    "unary minus negates the value only": _variant(__neg__=lambda s: Dual(-s.value, s.derivative)),
    "sqrt off by a factor 2": _variant(sqrt=lambda s: Dual(np.sqrt(s.value), s.derivative / np.sqrt(s.value))),
    "division by a real leaves the derivative": _variant(
        __truediv__=lambda s, o: Dual(s.value / o.value, (s.derivative * o.value - s.value * o.derivative) / o.value ** 2)
        if isinstance(o, Dual) else Dual(s.value / o, s.derivative)),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_each_classic_mistake_fails_a_check(name):
    assert failing_groups(WRONG[name]), f"no check caught: {name}"


class RightOnlyAtVisiblePoints(Dual):
    """Hard-codes the self-check answers and is wrong elsewhere (sin and cos swapped)."""

    def sin(self):
        if self.value == 0.5:
            return super().sin()
        return Dual(np.cos(self.value), np.sin(self.value) * self.derivative)


def test_a_class_right_only_at_the_visible_points_fails():
    assert "functions" in failing_groups(RightOnlyAtVisiblePoints)


def test_the_rtruediv_message_names_the_method():
    v = verdict("mul_div", WRONG["__rtruediv__ returns a plain float"], 3)
    assert not v.passed
    assert any("__rtruediv__" in m and "not a Dual" in m for m in v.messages), v.messages


def test_operands_of_every_type_on_both_sides_are_probed():
    labels = [c.label for c in probes.GROUPS["add_sub"] + probes.GROUPS["mul_div"]]
    for op in "+-*/":
        for kind in ("int", "float", "np.float64"):
            assert f"x {op} c  [c: {kind}]" in labels and f"c {op} x  [c: {kind}]" in labels


@pytest.mark.parametrize("bad", [
    None, [], "text", {"x + y": "nope"}, {"x + y": [{"ok": [1.0, 2.0]}]},
    {c.label: [{"ok": {"unexpected_type": "AlwaysEqual"}}] * probes.POINTS for c in probes.GROUPS["add_sub"]},
    {c.label: [{"ok": [True, False]}] * probes.POINTS for c in probes.GROUPS["add_sub"]},
])
def test_malformed_results_fail_closed(bad):
    v = check_record("dual_numbers.add_sub", {"probe": "dual_numbers.add_sub", "results": bad}, 1)
    assert not v.passed


def test_a_record_from_another_probe_does_not_count():
    results = json.loads(json.dumps(probes.run_group("bonus", Dual, 5)))
    v = check_record("dual_numbers.add_sub", {"probe": "dual_numbers.bonus", "results": results}, 5)
    assert not v.passed


def test_inputs_are_secret_per_seed():
    a = probes.inputs("mul_div", 1)[0]["a"]
    b = probes.inputs("mul_div", 2)[0]["a"]
    assert not np.allclose(a, b)


@settings(max_examples=5, deadline=None)
@given(seed=SEEDS)
def test_finite_differences_and_derivative_helper(seed):
    fd, cd, der = SOLUTION["forward_difference"], SOLUTION["central_difference"], SOLUTION["derivative"]
    ok = check_record("dual_numbers.finite_differences",
                      {"probe": "dual_numbers.finite_differences",
                       "results": json.loads(json.dumps(probes.run_finite_differences(fd, cd, seed)))}, seed)
    assert ok.passed, ok.messages
    flipped = lambda f, x, h: (f(x) - f(x + h)) / h  # noqa: E731 - the seed material's sign error
    bad = check_record("dual_numbers.finite_differences",
                       {"probe": "dual_numbers.finite_differences",
                        "results": json.loads(json.dumps(probes.run_finite_differences(flipped, cd, seed)))}, seed)
    assert not bad.passed
    forward_as_central = lambda f, x, h: (f(x + h) - f(x)) / h  # noqa: E731
    bad = check_record("dual_numbers.finite_differences",
                       {"probe": "dual_numbers.finite_differences",
                        "results": json.loads(json.dumps(probes.run_finite_differences(fd, forward_as_central, seed)))},
                       seed)
    assert not bad.passed
    d = check_record("dual_numbers.derivative",
                     {"probe": "dual_numbers.derivative",
                      "results": json.loads(json.dumps(probes.run_derivative(der, seed)))}, seed)
    assert d.passed, d.messages
