"""The hidden checks of 01_dual_numbers: the solution passes, every classic mistake fails."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from probe_support import judge

from autograder.checks import MalformedResult, check_record
from autograder.probes import dual_numbers as probes
from autograder.sample_submissions import solution_answers

SEEDS = st.integers(min_value=0, max_value=2**62)


def solution_namespace() -> dict:
    ns = {"np": np}
    answers = solution_answers("01_dual_numbers")
    for gid in ("finite_differences", "dual_class", "derivative_helper", "kinks"):
        exec(answers[gid], ns)  # noqa: S102 - our own solution source
    return ns


SOLUTION = solution_namespace()
Dual = SOLUTION["Dual"]
# Finite differences must fail on every one of these seeds, at every step (and on hypothesis's).
FIXED_SEEDS = range(20)
FD_STEPS = [10.0**-k for k in range(3, 9)]
FD_KINDS = ["forward", "central"]


def difference_quotient(g, u, h, kind):
    """The estimate of g'(u) that a finite-difference answer would use."""
    return (g(u + h) - g(u)) / h if kind == "forward" else (g(u + h) - g(u - h)) / (2 * h)


def verdict(group: str, cls, seed: int):
    return judge(probes.GROUP_PROBES[group], cls, seed=seed)


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
        __mul__=lambda s, o: (
            Dual(s.value * o.value, s.derivative * o.value)
            if isinstance(o, Dual)
            else Dual(s.value * o, s.derivative * o)
        )
    ),
    "quotient rule with the sign flipped": _variant(
        __truediv__=lambda s, o: (
            Dual(s.value / o.value, (s.value * o.derivative - s.derivative * o.value) / o.value**2)
            if isinstance(o, Dual)
            else Dual(s.value / o, s.derivative / o)
        )
    ),
    "__rsub__ without negation": _variant(__rsub__=lambda s, o: Dual(o - s.value, s.derivative)),
    "__pow__ without the chain factor": _variant(
        __pow__=lambda s, p: Dual(s.value**p, p * s.value ** (p - 1))
    ),
    "dual times real does not scale the derivative": _variant(
        __mul__=lambda s, o: (
            Dual(s.value * o.value, s.derivative * o.value + s.value * o.derivative)
            if isinstance(o, Dual)
            else Dual(s.value * o, s.derivative)
        ),
        __rmul__=lambda s, o: Dual(s.value * o, s.derivative),
    ),
    "log without the chain factor": _variant(log=lambda s: Dual(np.log(s.value), 1 / s.value)),
    "sin without the chain factor": _variant(sin=lambda s: Dual(np.sin(s.value), np.cos(s.value))),
    "cos with the wrong sign": _variant(cos=lambda s: Dual(np.cos(s.value), np.sin(s.value) * s.derivative)),
    "exp without the chain factor": _variant(exp=lambda s: Dual(np.exp(s.value), np.exp(s.value))),
    "unary minus negates the value only": _variant(__neg__=lambda s: Dual(-s.value, s.derivative)),
    "sqrt off by a factor 2": _variant(
        sqrt=lambda s: Dual(np.sqrt(s.value), s.derivative / np.sqrt(s.value))
    ),
    "division by a real leaves the derivative": _variant(
        __truediv__=lambda s, o: (
            Dual(s.value / o.value, (s.derivative * o.value - s.value * o.derivative) / o.value**2)
            if isinstance(o, Dual)
            else Dual(s.value / o, s.derivative)
        )
    ),
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
    assert "dual_functions" in failing_groups(RightOnlyAtVisiblePoints)


def test_the_rtruediv_message_names_the_method():
    v = verdict("dual_mul_div", WRONG["__rtruediv__ returns a plain float"], 3)
    assert not v.passed
    assert any("__rtruediv__" in m and "not a Dual" in m for m in v.messages), v.messages


def test_operands_of_every_type_on_both_sides_are_probed():
    labels = [c.label for c in probes.GROUPS["dual_add_sub"] + probes.GROUPS["dual_mul_div"]]
    for op in "+-*/":
        for kind in ("int", "float", "np.float64"):
            assert f"x {op} c  [c: {kind}]" in labels and f"c {op} x  [c: {kind}]" in labels


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        "text",
        {"x + y": "nope"},
        {"x + y": [{"ok": [1.0, 2.0]}]},
        {
            c.label: [{"ok": {"unexpected_type": "AlwaysEqual"}}] * probes.POINTS
            for c in probes.GROUPS["dual_add_sub"]
        },
        {c.label: [{"ok": [True, False]}] * probes.POINTS for c in probes.GROUPS["dual_add_sub"]},
    ],
)
def test_malformed_results_fail_closed(bad):
    v = check_record("dual_numbers.dual_add_sub", {"probe": "dual_numbers.dual_add_sub", "results": bad}, 1)
    assert not v.passed


def test_a_record_from_another_probe_does_not_count():
    results = json.loads(json.dumps(probes.run_group("dual_bonus", Dual, 5)))
    v = check_record("dual_numbers.dual_add_sub", {"probe": "dual_numbers.dual_bonus", "results": results}, 5)
    assert not v.passed


def test_inputs_are_secret_per_seed():
    a = probes.inputs("dual_mul_div", 1)[0]["a"]
    b = probes.inputs("dual_mul_div", 2)[0]["a"]
    assert not np.allclose(a, b)


@settings(max_examples=5, deadline=None)
@given(seed=SEEDS)
def test_finite_differences_and_derivative_helper(seed):
    fd, cd, der = SOLUTION["forward_difference"], SOLUTION["central_difference"], SOLUTION["derivative"]
    ok = judge(probes.probe_finite_differences, fd, cd, seed=seed)
    assert ok.passed, ok.messages
    flipped = lambda f, x, h: (f(x) - f(x + h)) / h  # noqa: E731 - the seed material's sign error
    bad = judge(probes.probe_finite_differences, flipped, cd, seed=seed)
    assert not bad.passed
    forward_as_central = lambda f, x, h: (f(x + h) - f(x)) / h  # noqa: E731
    bad = judge(probes.probe_finite_differences, fd, forward_as_central, seed=seed)
    assert not bad.passed
    d = judge(probes.probe_derivative_helper, der, seed=seed)
    assert d.passed, d.messages


# --- the class must not lean on an AD library, however it reaches one ----------------------------


def _jvp(f, x, dx):
    import jax

    jax.config.update("jax_enable_x64", True)
    y, dy = jax.jvp(f, (jax.numpy.float64(x),), (jax.numpy.float64(dx),))
    return float(y), float(dy)


def _computed_import():
    return __import__("ja" + "x")


JAX_THROUGH_HELPERS = _variant(
    exp=lambda s: Dual(*_jvp(_computed_import().numpy.exp, s.value, s.derivative)),
    sin=lambda s: Dual(*_jvp(_computed_import().numpy.sin, s.value, s.derivative)),
    cos=lambda s: Dual(*_jvp(_computed_import().numpy.cos, s.value, s.derivative)),
)


def test_a_class_that_reaches_jax_through_helpers_loses_the_points():
    v = verdict("dual_functions", JAX_THROUGH_HELPERS, 3)
    assert not v.passed and "'dual_class' must not use" in v.messages[0] and "jax" in v.messages[0], (
        v.messages
    )
    assert verdict("dual_add_sub", JAX_THROUGH_HELPERS, 3).passed  # no JAX ran there: the grader zeroes it


# --- comparisons are part of the class ------------------------------------------------------------


def _without(name):
    """The solution's class with one method removed (so Python falls back to its default)."""
    ns = solution_namespace()
    delattr(ns["Dual"], name)
    return ns["Dual"]


@pytest.mark.parametrize("name", ["__lt__", "__le__", "__gt__", "__ge__"])
def test_each_missing_comparison_fails(name):
    v = verdict("dual_comparisons", _without(name), 4)
    assert not v.passed and any(name in m or "TypeError" in m for m in v.messages), v.messages


def test_comparisons_of_the_derivative_or_strict_ties_fail():
    by_derivative = _variant(
        __lt__=lambda s, o: s.derivative < (o.derivative if isinstance(o, Dual) else 0.0)
    )
    assert not verdict("dual_comparisons", by_derivative, 2).passed
    strict_le = _variant(__le__=lambda s, o: s.value < (o.value if isinstance(o, Dual) else o))
    v = verdict("dual_comparisons", strict_le, 2)
    assert not v.passed and any("values only" in m for m in v.messages), v.messages


# --- finite differences where the exercises ask for AD fail on every seed ----------------------------


def fd_dual_class(h, kind):
    """The solution's class with every elementary rule replaced by a difference quotient."""
    D = solution_namespace()["Dual"]  # a fresh class: its own operations return Duals of it
    for name, g in [("exp", np.exp), ("log", np.log), ("sin", np.sin), ("cos", np.cos), ("sqrt", np.sqrt)]:
        setattr(
            D,
            name,
            (lambda g: lambda s: D(g(s.value), difference_quotient(g, s.value, h, kind) * s.derivative))(g),
        )
    exact_pow = D.__pow__
    D.__pow__ = lambda s, p: (
        exact_pow(s, p)
        if isinstance(p, D)
        else D(s.value**p, difference_quotient(lambda v: v**p, s.value, h, kind) * s.derivative)
    )
    return D


@pytest.mark.parametrize("kind", FD_KINDS)
@pytest.mark.parametrize("h", FD_STEPS)
def test_a_dual_class_with_difference_quotients_fails_on_every_seed(h, kind):
    D = fd_dual_class(h, kind)
    with np.errstate(all="ignore"):
        for seed in FIXED_SEEDS:
            for group in ("dual_power", "dual_functions", "dual_compositions"):
                v = verdict(group, D, seed)
                assert not v.passed, (group, seed)


def test_the_message_says_close_but_not_exact():
    with np.errstate(all="ignore"):
        v = verdict("dual_functions", fd_dual_class(1e-6, "central"), 3)
    assert any("not exact to rounding" in m for m in v.messages), v.messages


def fd_derivative(h, kind):
    return lambda f, x: difference_quotient(f, x, h, kind)


@settings(max_examples=5, deadline=None)
@given(seed=SEEDS)
def test_a_derivative_by_finite_differences_fails(seed):
    with np.errstate(all="ignore"):
        for kind in FD_KINDS:
            for h in FD_STEPS:
                assert not judge(probes.probe_derivative_helper, fd_derivative(h, kind), seed=seed).passed, (
                    kind,
                    h,
                )


def test_a_derivative_by_finite_differences_fails_on_every_fixed_seed():
    with np.errstate(all="ignore"):
        for seed in FIXED_SEEDS:
            for kind in FD_KINDS:
                for h in FD_STEPS:
                    assert not judge(probes.probe_derivative_helper, fd_derivative(h, kind), seed=seed).passed


# --- the tolerance: honest AD far inside it, every finite difference far outside ---------------------


def _case_error(group, D, seed) -> float:
    """The largest error of a class over a group's cases, in units of the size of each case's numbers
    (what the check compares with RTOL)."""
    from autograder.checks.compare import numbers, size
    from autograder.reference.dual_numbers import group_references

    results = json.loads(json.dumps(probes.run_group(group, D, seed)))
    worst = 0.0
    for case, (want_v, want_d) in zip(probes.GROUPS[group], group_references(group, seed)):
        if case.kind == "bool":
            continue
        try:
            got = np.nan_to_num(
                numbers([e["ok"] for e in results[case.label]], (probes.POINTS, 2)), nan=np.inf
            )
        except (KeyError, MalformedResult):  # an error, or something that is not a number (complex)
            return np.inf
        worst = max(
            worst,
            np.max(np.abs(got[:, 0] - want_v)) / max(size(want_v, case.floor), 1e-300),
            np.max(np.abs(got[:, 1] - want_d)) / max(size(want_d, case.floor), 1e-300),
        )
    return worst


def _honest_variants():
    """Correct classes written differently from the solution: other roundings, same rules."""
    from redteam_corpus import ARRAY_UFUNC_DUAL

    ns = {}
    exec(ARRAY_UFUNC_DUAL, ns)  # noqa: S102 - test code
    other = solution_namespace()["Dual"]
    other.__truediv__ = lambda s, o: s * (o if isinstance(o, other) else other(o, 0.0)) ** -1
    other.sqrt = lambda s: s**0.5
    exact_pow = other.__pow__

    def by_products(s, p):
        if isinstance(p, other):
            return exact_pow(s, p)
        if isinstance(p, (int, np.integer)) and 1 <= p <= 8:
            out = s
            for _ in range(int(p) - 1):
                out = out * s
            return out
        return other(s.value**p, p * s.value ** (p - 1) * s.derivative)

    other.__pow__ = by_products
    return {"solution": Dual, "__array_ufunc__": ns["Dual"], "division, sqrt and powers rewritten": other}


DIFFERENTIABLE = ("dual_power", "dual_functions", "dual_compositions")


def test_honest_classes_stay_far_inside_the_tolerance():
    from autograder.checks.dual_numbers import RTOL

    for name, D in _honest_variants().items():
        worst = max(_case_error(g, D, seed) for seed in range(40) for g in DIFFERENTIABLE + ("dual_mul_div",))
        assert worst < RTOL / 5, f"{name}: error {worst:.1e} of the case's size, too close to RTOL {RTOL:g}"
        for g in probes.GROUPS:
            assert verdict(g, D, 5).passed, (name, g)


def test_every_difference_quotient_stays_far_outside_the_tolerance():
    from autograder.checks.dual_numbers import RTOL

    with np.errstate(all="ignore"):
        for kind in FD_KINDS:
            for h in FD_STEPS:
                D = fd_dual_class(h, kind)
                for seed in range(5):
                    for group in DIFFERENTIABLE:
                        assert _case_error(group, D, seed) > 100 * RTOL, (kind, h, seed, group)


# --- relu and absolute --------------------------------------------------------------------------


def kinks_verdict(relu, absolute, seed=3, cls=Dual):
    return judge(probes.probe_kinks, relu, absolute, cls, seed=seed)


@settings(max_examples=5, deadline=None)
@given(seed=SEEDS)
def test_the_kink_solution_passes(seed):
    v = kinks_verdict(SOLUTION["relu"], SOLUTION["absolute"], seed)
    assert v.passed, v.messages


def _relu_times_bool(x):
    return x * (x > 0)


def _absolute_three_branches(x):
    if x > 0:
        return x
    if x < 0:
        return -x
    return 0 * x


HONEST_KINKS = {
    "relu as x * (x > 0), absolute with three branches": (_relu_times_bool, _absolute_three_branches),
    "the solution's relu, absolute with three branches": (SOLUTION["relu"], _absolute_three_branches),
    "relu as x * (x > 0), absolute as relu(x) + relu(-x)": (
        _relu_times_bool,
        lambda x: _relu_times_bool(x) + _relu_times_bool(-x),
    ),
}


@pytest.mark.parametrize("name", sorted(HONEST_KINKS))
def test_honest_kink_answers_pass(name):
    relu, absolute = HONEST_KINKS[name]
    for seed in (1, 2):
        v = kinks_verdict(relu, absolute, seed)
        assert v.passed, v.messages
    from redteam_corpus import ARRAY_UFUNC_DUAL

    ns = {}
    exec(ARRAY_UFUNC_DUAL, ns)  # noqa: S102 - another honest Dual underneath
    assert kinks_verdict(relu, absolute, 4, ns["Dual"]).passed


def _relu_ge(x):
    return x if x >= 0 else 0 * x


def _absolute_ge(x):
    return x if x >= 0 else -x


def _absolute_gt(x):
    return x if x > 0 else -x


WRONG_KINKS = {
    "relu with x >= 0 (derivative dx at the kink)": (
        (_relu_ge, SOLUTION["absolute"]),
        "branch that returns x",
    ),
    "absolute with x >= 0 (JAX's choice)": ((SOLUTION["relu"], _absolute_ge), "branch that returns x"),
    "absolute with x > 0 else -x": ((SOLUTION["relu"], _absolute_gt), "branch that returns -x"),
    "relu as (x + absolute(x)) / 2": (
        (lambda x: (x + SOLUTION["absolute"](x)) / 2, SOLUTION["absolute"]),
        "half of one branch",
    ),
    "relu returns the number 0": ((lambda x: x if x > 0 else 0, SOLUTION["absolute"]), "not a Dual"),
    "relu without the chain factor": (
        (lambda x: Dual(x.value, 1.0) if x > 0 else 0 * x, SOLUTION["absolute"]),
        "chain factor",
    ),
    "absolute only for duals": (
        (
            SOLUTION["relu"],
            lambda x: Dual(abs(x.value), 0.0 if x.value == 0 else np.sign(x.value) * x.derivative),
        ),
        "plain float",
    ),
}


@pytest.mark.parametrize("name", sorted(WRONG_KINKS))
def test_each_kink_mistake_fails_on_every_seed_with_its_message(name):
    (relu, absolute), words = WRONG_KINKS[name]
    for seed in FIXED_SEEDS:
        v = kinks_verdict(relu, absolute, seed)
        assert not v.passed, (name, seed)
    assert any(words in m for m in v.messages), v.messages


@pytest.mark.parametrize("kind", FD_KINDS)
@pytest.mark.parametrize("h", FD_STEPS)
def test_kinks_by_difference_quotients_fail_on_every_seed(h, kind):
    def by_fd(g):
        return lambda x: (
            Dual(g(x.value), difference_quotient(g, x.value, h, kind) * x.derivative)
            if isinstance(x, Dual)
            else g(x)
        )

    relu, absolute = by_fd(lambda v: max(v, 0.0)), by_fd(abs)
    for seed in FIXED_SEEDS:
        assert not kinks_verdict(relu, absolute, seed).passed, seed


def test_the_kink_reference_agrees_with_pytorch():
    """The reference's convention is PyTorch's: relu'(0) = abs'(0) = 0."""
    import jax
    import torch

    from autograder.reference.dual_numbers import absolute, relu

    jax.config.update("jax_enable_x64", True)
    for ours, theirs in [(relu, torch.relu), (absolute, torch.abs)]:
        for x0 in (-0.7, 0.0, 1e-300, 0.4):
            t = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
            theirs(t).backward()
            assert float(jax.grad(ours)(x0)) == t.grad.item(), (ours.__name__, x0)
