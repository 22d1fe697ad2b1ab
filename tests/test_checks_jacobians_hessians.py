"""The hidden checks of 06_jacobians_hessians: the solution passes, plausible mistakes fail."""
from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.checks import check_record
from autograder.probes import _json_safe
from autograder.probes import jacobians_hessians as probes
from autograder.reference import jacobians_hessians as reference
from autograder.sample_submissions import solution_answers

SEEDS = st.integers(min_value=0, max_value=2 ** 62)
ANSWERS = ("jacobian_fg", "jac_from_jvp", "jac_from_vjp", "hvp", "newton")


def solution_namespace() -> dict:
    ns = {"np": np, "jax": jax, "jnp": jnp}
    answers = solution_answers("06_jacobians_hessians")
    for gid in ANSWERS:
        exec(answers[gid], ns)  # noqa: S102 - our own solution source
    return ns


SOLUTION = solution_namespace()

RUNS = {
    "jacobian_fg": lambda fn, seed: probes.run_jacobian_fg(fn, seed),
    "jac_from_jvp": lambda fn, seed: probes.run_builder("jac_from_jvp", fn, seed),
    "jac_from_vjp": lambda fn, seed: probes.run_builder("jac_from_vjp", fn, seed),
    "hvp": lambda fn, seed: probes.run_hvp(fn, seed),
    "newton": lambda fn, seed: probes.run_newton(fn, seed),
}
FUNCTION_NAMES = {"jacobian_fg": "jacobian_f", "jac_from_jvp": "jac_from_jvp", "jac_from_vjp": "jac_from_vjp",
                  "hvp": "hvp", "newton": "newton"}


def verdict(name: str, fn, seed: int):
    results = json.loads(json.dumps(_json_safe(RUNS[name](fn, seed))))
    probe = f"jacobians_hessians.{name}"
    return check_record(probe, {"probe": probe, "results": results}, seed)


def solution(name: str):
    return SOLUTION[FUNCTION_NAMES[name]]


# --- the reference solution passes ----------------------------------------------------------

@settings(max_examples=3, deadline=None)
@given(seed=SEEDS)
def test_solution_passes_every_check(seed):
    for name in RUNS:
        v = verdict(name, solution(name), seed)
        assert v.passed, (name, v.messages)


def test_every_test_cell_has_a_check():
    from autograder.checks import jacobians_hessians as checks

    assert set(checks.TESTS) == {f"test_{a}" for a in ANSWERS}
    for spec in checks.TESTS.values():
        assert spec.probe in checks.CHECKS


# --- plausible wrong answers fail ------------------------------------------------------------

def _jac_fwd_columns_as_rows(f, x):
    x = jnp.asarray(x, dtype=jnp.float64)
    return jnp.stack([jax.jvp(f, (x,), (e,))[1] for e in jnp.eye(x.size)])  # n x m: transposed


def _jac_vjp_rows_as_columns(f, x):
    x = jnp.asarray(x, dtype=jnp.float64)
    y, pullback = jax.vjp(f, x)
    return jnp.stack([pullback(u)[0] for u in jnp.eye(y.size)], axis=1)  # n x m: transposed


def _newton_variant(sign=1.0, use_damping=True, include_x0=True, last_only=False, descent=False):
    def newton(f, x0, steps, damping=1.0):
        g, H = jax.grad(f), jax.hessian(f)
        alpha = damping if use_damping else 1.0
        xs = [jnp.asarray(x0, dtype=jnp.float64)]
        for _ in range(steps):
            x = xs[-1]
            step = 1e-3 * g(x) if descent else jnp.linalg.solve(H(x), g(x))
            xs.append(x - sign * alpha * step)
        if last_only:
            return xs[-1]
        return jnp.stack(xs if include_x0 else xs[1:])
    return newton


WRONG = {
    "jacobian_fg": {
        "transposed Jacobian": lambda x, y: np.array([[2 * x * y, 5.0], [x ** 2, np.cos(y)]]),
        "d sin(y)/dy written as sin(y)": lambda x, y: np.array([[2 * x * y, x ** 2], [5.0, np.sin(y)]]),
        "d(x**2 y)/dx missing the y": lambda x, y: np.array([[2 * x, x ** 2], [5.0, np.cos(y)]]),
        "a flat list of four numbers": lambda x, y: [2 * x * y, x ** 2, 5.0, np.cos(y)],
    },
    "jac_from_jvp": {
        "columns stacked as rows (transposed)": _jac_fwd_columns_as_rows,
        "built with reverse mode": lambda f, x: jax.jacrev(f)(x),
        "only the first column": lambda f, x: jax.jvp(f, (x,), (jnp.eye(x.size)[0],))[1],
    },
    "jac_from_vjp": {
        "rows stacked as columns (transposed)": _jac_vjp_rows_as_columns,
        "built with forward mode": lambda f, x: jax.jacfwd(f)(x),
        "a sum of the rows (one pullback of ones)": lambda f, x: jax.vjp(f, x)[1](jnp.ones_like(f(x)))[0],
    },
    "hvp": {
        "the gradient instead of H v": lambda f, x, v: jax.grad(f)(x),
        "the whole Hessian": lambda f, x, v: jax.hessian(f)(x),
        "the directional derivative of f, not of its gradient": lambda f, x, v: jax.jvp(f, (x,), (v,))[1] * v,
    },
    "newton": {
        "a Newton step with the wrong sign": _newton_variant(sign=-1.0),
        "damping ignored": _newton_variant(use_damping=False),
        "x0 left out": _newton_variant(include_x0=False),
        "only the last iterate": _newton_variant(last_only=True),
        "gradient descent instead of Newton": _newton_variant(descent=True),
    },
}
CASES = [(name, label) for name, wrong in WRONG.items() for label in wrong]


@pytest.mark.parametrize("name,label", CASES, ids=[f"{n}: {w}" for n, w in CASES])
def test_each_plausible_mistake_fails(name, label):
    v = verdict(name, WRONG[name][label], seed=11)
    assert not v.passed, f"{name}: no check caught {label}"
    assert v.messages


def test_a_transposed_jacobian_is_named_as_such():
    for name, label in [("jacobian_fg", "transposed Jacobian"), ("jac_from_jvp", "columns stacked as rows (transposed)"),
                        ("jac_from_vjp", "rows stacked as columns (transposed)")]:
        v = verdict(name, WRONG[name][label], seed=5)
        assert any("transpose" in m for m in v.messages), (name, v.messages)


def test_a_newton_step_with_the_wrong_sign_is_named_as_such():
    v = verdict("newton", WRONG["newton"]["a Newton step with the wrong sign"], seed=5)
    assert any("wrong sign" in m for m in v.messages), v.messages


def test_the_wrong_mode_is_explained():
    v = verdict("jac_from_jvp", WRONG["jac_from_jvp"]["built with reverse mode"], seed=5)
    assert any("jax.jvp" in m and "while_loop" in m for m in v.messages), v.messages
    v = verdict("jac_from_vjp", WRONG["jac_from_vjp"]["built with forward mode"], seed=5)
    assert any("jax.vjp" in m and "custom_vjp" in m for m in v.messages), v.messages


def test_a_jacobian_right_only_at_the_visible_point_fails():
    right = solution("jacobian_fg")

    def memorised(x, y):
        return right(x, y) if (x, y) == (1.0, 2.0) else right(x, y).T
    assert not verdict("jacobian_fg", memorised, 3).passed


def test_a_newton_that_inverts_the_hessian_still_passes():
    def newton_inv(f, x0, steps, damping=1.0):
        xs = [np.asarray(x0, dtype=float)]
        for _ in range(steps):
            x = jnp.asarray(xs[-1])
            xs.append(xs[-1] - damping * np.linalg.inv(np.asarray(jax.hessian(f)(x))) @ np.asarray(jax.grad(f)(x)))
        return xs  # a list of numpy arrays is fine too
    v = verdict("newton", newton_inv, 8)
    assert v.passed, v.messages


# --- the closed-form references agree with JAX -----------------------------------------------

def test_reference_jacobian_fg_is_jacfwd():
    for x, y in probes.jacobian_fg_inputs(1):
        J = jax.jacfwd(probes.f_xy)(jnp.array([x, y]))
        assert np.allclose(reference.jacobian_fg(x, y), J, rtol=1e-13)


@settings(max_examples=3, deadline=None)
@given(seed=SEEDS)
def test_reference_formulas_match_jax(seed):
    for name in probes.BUILDERS:
        for spec, params, xs in probes.builder_inputs(name, seed):
            f = probes.build_vector_function(spec, params)
            mode = jax.jacrev if spec.only == "reverse" else jax.jacfwd
            for x in xs:
                assert np.allclose(reference.jacobian(spec, params, x), mode(f)(jnp.asarray(x)),
                                   rtol=1e-12, atol=1e-12), spec.kind
    scalar_cases = [(s, p, xs) for s, p, xs, _ in probes.hvp_inputs(seed)]
    scalar_cases += [(c.function, p, starts) for c, p, starts in probes.newton_inputs(seed)]
    for spec, params, xs in scalar_cases:
        f = probes.build_scalar_function(spec, params)
        for x in xs:
            g, H = reference.gradient_and_hessian(spec, params, x)
            assert np.allclose(g, jax.grad(f)(jnp.asarray(x)), rtol=1e-12, atol=1e-12), spec.kind
            assert np.allclose(H, jax.hessian(f)(jnp.asarray(x)), rtol=1e-12, atol=1e-12), spec.kind


def test_reference_newton_minimises_a_quadratic_in_one_step():
    # With A = 0 the log-sum-exp term is the constant log 4, leaving x Q x / 2.
    spec = probes.LSE2
    params = {"A": np.zeros((4, 2)), "b": np.zeros(4), "Q": np.array([[3.0, 1.0], [1.0, 2.0]])}
    path = reference.newton_iterates(spec, params, np.array([2.0, -1.0]), 1, 1.0)
    assert np.allclose(path[1], 0.0, atol=1e-14)
    half = reference.newton_iterates(spec, params, np.array([2.0, -1.0]), 2, 0.5)
    assert np.allclose(half, [[2.0, -1.0], [1.0, -0.5], [0.5, -0.25]])


# --- hostile or malformed records fail closed --------------------------------------------------

@pytest.mark.parametrize("probe,bad", [
    ("jacobian_fg", None), ("jacobian_fg", []), ("jacobian_fg", "text"), ("jacobian_fg", {"a": 1}),
    ("jacobian_fg", [{"ok": [[1.0, 2.0], [3.0, 4.0]]}] * 3),
    ("jacobian_fg", [{"ok": {"unexpected_type": "AlwaysEqual"}}] * 8),
    ("jacobian_fg", [{"ok": [[True, False], [True, False]]}] * 8),
    ("jacobian_fg", [{"ok": [[{"nonfinite": "nan"}] * 2] * 2}] * 8),
    ("jacobian_fg", [{"error": 3}] * 8),
    ("jac_from_jvp", {}), ("jac_from_jvp", {spec.label: [] for spec in probes.BUILDERS["jac_from_jvp"]}),
    ("hvp", {spec.label: [{"ok": [[1.0], [2.0, 3.0]]}] * probes.POINTS for spec in probes.HVP_FUNCTIONS}),
    ("newton", {c.label: [{"ok": 1.0}] * probes.NEWTON_STARTS for c in probes.NEWTON_CASES}),
    ("newton", {c.label: [{"ok": "x"}] * probes.NEWTON_STARTS for c in probes.NEWTON_CASES}),
])
def test_malformed_results_fail_closed(probe, bad):
    name = f"jacobians_hessians.{probe}"
    assert not check_record(name, {"probe": name, "results": bad}, 1).passed


def test_a_record_from_another_probe_does_not_count():
    results = json.loads(json.dumps(probes.run_jacobian_fg(solution("jacobian_fg"), 4)))
    v = check_record("jacobians_hessians.hvp", {"probe": "jacobians_hessians.jacobian_fg", "results": results}, 4)
    assert not v.passed


def test_inputs_are_secret_per_seed():
    assert not np.allclose(probes.jacobian_fg_inputs(1), probes.jacobian_fg_inputs(2))
    assert not np.allclose(probes.newton_inputs(1)[0][2], probes.newton_inputs(2)[0][2])
    a = probes.builder_inputs("jac_from_jvp", 1)[0][1]["W1"]
    b = probes.builder_inputs("jac_from_jvp", 2)[0][1]["W1"]
    assert not np.allclose(a, b)


def test_most_test_functions_are_not_square():
    """A transposed Jacobian must fail on shape for most functions, and on values for the rest."""
    for specs in probes.BUILDERS.values():
        assert sum(s.m != s.n for s in specs) >= len(specs) - 1
