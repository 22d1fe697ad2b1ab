"""The hidden checks of 06_jacobians_hessians: the solution passes, plausible mistakes fail."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import nbformat
import numpy as np
import pytest
from finite_differences import FD_SEEDS, VARIANTS, difference, gradient
from hypothesis import given, settings
from hypothesis import strategies as st
from probe_support import judge

from autograder import course
from autograder.checks import check_record
from autograder.checks import jacobians_hessians as checks
from autograder.probes import jacobians_hessians as probes
from autograder.reference import jacobians_hessians as reference
from autograder.sample_submissions import solution_answers

SEEDS = st.integers(min_value=0, max_value=2**62)
ANSWERS = ("jacobian_fg", "jac_from_jvp", "jac_from_vjp", "hvp", "newton")


def solution_namespace() -> dict:
    ns = {"np": np, "jax": jax, "jnp": jnp}
    answers = solution_answers("06_jacobians_hessians")
    for gid in ANSWERS:
        exec(answers[gid], ns)  # noqa: S102 - our own solution source
    return ns


SOLUTION = solution_namespace()

PROBES = {
    "jacobian_fg": probes.probe_jacobian_fg,
    **probes.BUILDER_PROBES,
    "hvp": probes.probe_hvp,
    "newton": probes.probe_newton,
}
FUNCTION_NAMES = {
    "jacobian_fg": "jacobian_f",
    "jac_from_jvp": "jac_from_jvp",
    "jac_from_vjp": "jac_from_vjp",
    "hvp": "hvp",
    "newton": "newton",
}


def verdict(name: str, fn, seed: int):
    return judge(PROBES[name], fn, seed=seed)


def solution(name: str):
    return SOLUTION[FUNCTION_NAMES[name]]


# --- the reference solution passes ----------------------------------------------------------


@settings(max_examples=3, deadline=None)
@given(seed=SEEDS)
def test_solution_passes_every_check(seed):
    for name in PROBES:
        v = verdict(name, solution(name), seed)
        assert v.passed, (name, v.messages)


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
        "transposed Jacobian": lambda x, y: np.array([[2 * x * y, 5.0], [x**2, np.cos(y)]]),
        "d sin(y)/dy written as sin(y)": lambda x, y: np.array([[2 * x * y, x**2], [5.0, np.sin(y)]]),
        "d(x**2 y)/dx missing the y": lambda x, y: np.array([[2 * x, x**2], [5.0, np.cos(y)]]),
        "a flat list of four numbers": lambda x, y: [2 * x * y, x**2, 5.0, np.cos(y)],
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
    for name, label in [
        ("jacobian_fg", "transposed Jacobian"),
        ("jac_from_jvp", "columns stacked as rows (transposed)"),
        ("jac_from_vjp", "rows stacked as columns (transposed)"),
    ]:
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
            xs.append(
                xs[-1] - damping * np.linalg.inv(np.asarray(jax.hessian(f)(x))) @ np.asarray(jax.grad(f)(x))
            )
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
                assert np.allclose(
                    reference.jacobian(spec, params, x), mode(f)(jnp.asarray(x)), rtol=1e-12, atol=1e-12
                ), spec.kind
    scalar_cases = [(s, p, xs) for s, p, xs, _ in probes.hvp_inputs(seed)]
    scalar_cases += [(c.function, p, starts) for c, p, starts in probes.newton_inputs(seed)]
    for spec, params, xs in scalar_cases:
        f = probes.build_scalar_function(spec, params)
        for x in xs:
            g, H = reference.gradient_and_hessian(spec, params, x)
            assert np.allclose(g, jax.grad(f)(jnp.asarray(x)), rtol=1e-12, atol=1e-12), spec.kind
            assert np.allclose(H, jax.hessian(f)(jnp.asarray(x)), rtol=1e-12, atol=1e-12), spec.kind


@settings(max_examples=3, deadline=None)
@given(seed=SEEDS)
def test_each_scale_bounds_its_value(seed):
    """The scale is the value with every term in absolute value: never smaller than the value."""
    for name in probes.BUILDERS:
        for spec, params, xs in probes.builder_inputs(name, seed):
            for x in xs:
                J, S = reference.jacobian(spec, params, x), reference.jacobian_scale(spec, params, x)
                assert np.all(np.abs(J) <= S * (1 + 1e-12)), spec.kind
    for spec, params, xs, vs in probes.hvp_inputs(seed):
        for x, v in zip(xs, vs):
            Hv, S = reference.hvp(spec, params, x, v), reference.hvp_scale(spec, params, x, v)
            assert np.all(np.abs(Hv) <= S * (1 + 1e-12)), spec.kind


def test_reference_newton_minimises_a_quadratic_in_one_step():
    # With A = 0 the log-sum-exp term is the constant log 4, leaving x Q x / 2.
    spec = probes.LSE2
    params = {"A": np.zeros((4, 2)), "b": np.zeros(4), "Q": np.array([[3.0, 1.0], [1.0, 2.0]])}
    path = reference.newton_iterates(spec, params, np.array([2.0, -1.0]), 1, 1.0)
    assert np.allclose(path[1], 0.0, atol=1e-14)
    half = reference.newton_iterates(spec, params, np.array([2.0, -1.0]), 2, 0.5)
    assert np.allclose(half, [[2.0, -1.0], [1.0, -0.5], [0.5, -0.25]])


# --- hostile or malformed records fail closed --------------------------------------------------


@pytest.mark.parametrize(
    "probe,bad",
    [
        ("jacobian_fg", None),
        ("jacobian_fg", []),
        ("jacobian_fg", "text"),
        ("jacobian_fg", {"a": 1}),
        ("jacobian_fg", [{"ok": [[1.0, 2.0], [3.0, 4.0]]}] * 3),
        ("jacobian_fg", [{"ok": {"unexpected_type": "AlwaysEqual"}}] * 8),
        ("jacobian_fg", [{"ok": [[True, False], [True, False]]}] * 8),
        ("jacobian_fg", [{"ok": [[{"nonfinite": "nan"}] * 2] * 2}] * 8),
        ("jacobian_fg", [{"error": 3}] * 8),
        ("jac_from_jvp", {}),
        ("jac_from_jvp", {spec.label: [] for spec in probes.BUILDERS["jac_from_jvp"]}),
        ("hvp", {spec.label: [{"ok": [[1.0], [2.0, 3.0]]}] * probes.POINTS for spec in probes.HVP_FUNCTIONS}),
        ("newton", {c.label: [{"ok": 1.0}] * probes.NEWTON_STARTS for c in probes.NEWTON_CASES}),
        ("newton", {c.label: [{"ok": "x"}] * probes.NEWTON_STARTS for c in probes.NEWTON_CASES}),
    ],
)
def test_malformed_results_fail_closed(probe, bad):
    name = f"jacobians_hessians.{probe}"
    assert not check_record(name, {"probe": name, "results": bad}, 1).passed


def test_a_record_from_another_probe_does_not_count():
    results = json.loads(json.dumps(probes.probe_jacobian_fg.run(solution("jacobian_fg"), 4)))
    v = check_record(
        "jacobians_hessians.hvp", {"probe": "jacobians_hessians.jacobian_fg", "results": results}, 4
    )
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


# --- the rules the notebook states are enforced: honest styles pass, shortcuts do not ---------


def _jvp_python_loop(f, x):
    x = jnp.asarray(x, dtype=jnp.float64)
    return jnp.stack([jax.jvp(f, (x,), (e,))[1] for e in jnp.eye(x.size)], axis=1)


def _vjp_python_loop(f, x):
    x = jnp.asarray(x, dtype=jnp.float64)
    y, pullback = jax.vjp(f, x)
    return jnp.stack([pullback(u)[0] for u in jnp.eye(y.size)])


_HELPER = {"make": lambda f: jax.jacfwd(f)}  # a helper "from another cell"

HONEST = [
    ("jac_from_jvp", _jvp_python_loop),
    ("jac_from_vjp", _vjp_python_loop),
    ("hvp", lambda f, x, v: jax.grad(lambda y: jnp.vdot(jax.grad(f)(y), v))(x)),  # reverse over reverse
    ("hvp", lambda f, x, v: jax.linearize(jax.grad(f), x)[1](v)),
    ("hvp", lambda f, x, v: jax.jvp(jax.grad(f), (x,), (v,))[1]),
]
SHORTCUTS = [
    ("jac_from_jvp", "jax.jacfwd", lambda f, x: jax.jacfwd(f)(jnp.asarray(x, dtype=jnp.float64))),
    ("jac_from_jvp", "jax.jacfwd", lambda f, x: _HELPER["make"](f)(jnp.asarray(x, dtype=jnp.float64))),
    ("jac_from_vjp", "jax.jacobian", lambda f, x: getattr(jax, "jaco" + "bian")(f)(jnp.asarray(x))),
    ("jac_from_vjp", "jax.jacrev", lambda f, x: jax.jacrev(f)(jnp.asarray(x, dtype=jnp.float64))),
    ("hvp", "shape 40 x 40", lambda f, x, v: jax.hessian(f)(x) @ v),
    ("hvp", "shape 40 x 40", lambda f, x, v: jax.jacfwd(jax.grad(f))(x) @ v),
    (
        "hvp",
        "shape 40 x 40",
        lambda f, x, v: jnp.stack([jax.grad(lambda y, i=i: jax.grad(f)(y)[i])(x) for i in range(x.size)]) @ v,
    ),
]


@pytest.mark.parametrize("name,fn", HONEST, ids=[f"{n} {i}" for i, (n, _) in enumerate(HONEST)])
def test_honest_styles_obey_the_rules(name, fn):
    v = verdict(name, fn, 6)
    assert v.passed, v.messages


@pytest.mark.parametrize(
    "name,named,fn", SHORTCUTS, ids=[f"{n} {i}" for i, (n, _, _) in enumerate(SHORTCUTS)]
)
def test_a_forbidden_shortcut_loses_the_points_on_every_seed(name, named, fn):
    for seed in (1, 2, 3):
        v = verdict(name, fn, seed)
        assert not v.passed and "must not" in v.messages[0] and named in v.messages[0], v.messages


def test_the_static_rule_reads_the_answer_source():
    from autograder import course
    from autograder.grading.verdicts import static_violations

    a = course.assignment("06_jacobians_hessians")
    found = static_violations(
        a,
        {
            "jac_from_jvp": ["def jac_from_jvp(f, x):\n    return jax.jacfwd(f)(x)"],
            "jac_from_vjp": [solution_answers("06_jacobians_hessians")["jac_from_vjp"]],
        },
        {"jac_from_jvp": ["import jax"], "jac_from_vjp": ["import jax"]},
    )
    assert list(found) == ["jac_from_jvp"] and "jax.jacfwd" in found["jac_from_jvp"][0][1]


# --- exact AD passes in every style; a finite difference fails at every step, on every seed ---


def _setup_namespace() -> dict:
    nb = nbformat.read(course.solution_notebook("06_jacobians_hessians"), as_version=4)
    setup = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    ns: dict = {}
    exec(setup, ns)  # noqa: S102 - our own notebook source
    return ns


fd_jacobian = _setup_namespace()["fd_jacobian"]  # the setup cell's helper (central, h = 1e-6)


def _ad_gap(name: str, fn, seed: int) -> float:
    """The largest error of fn's results, in units of the scale the checks use."""
    worst = 0.0
    if name in probes.BUILDERS:
        for spec, params, xs in probes.builder_inputs(name, seed):
            f = probes.build_vector_function(spec, params)
            for x in xs:
                got = np.asarray(fn(f, jnp.asarray(x)))
                gap = np.abs(got - reference.jacobian(spec, params, x)) / reference.jacobian_scale(
                    spec, params, x
                )
                worst = max(worst, float(np.max(gap)))
    elif name == "hvp":
        for spec, params, xs, vs in probes.hvp_inputs(seed):
            f = probes.build_scalar_function(spec, params)
            for x, v in zip(xs, vs):
                got = np.asarray(fn(f, jnp.asarray(x), jnp.asarray(v)))
                worst = max(
                    worst,
                    float(
                        np.max(
                            np.abs(got - reference.hvp(spec, params, x, v))
                            / reference.hvp_scale(spec, params, x, v)
                        )
                    ),
                )
    else:
        for case, params, starts in probes.newton_inputs(seed):
            f = probes.build_scalar_function(case.function, params)
            for x0 in starts:
                got = np.asarray(fn(f, x0, case.steps, case.damping))
                for k in range(1, len(got)):  # each iterate one step from the previous, as the check takes it
                    expected, scale = reference.newton_step(case.function, params, got[k - 1], case.damping)
                    worst = max(worst, float(np.max(np.abs(got[k] - expected)) / scale))
    return worst


def _newton_inverse(f, x0, steps, damping=1.0):
    xs = [np.asarray(x0, dtype=float)]
    for _ in range(steps):
        x = jnp.asarray(xs[-1])
        xs.append(
            xs[-1] - damping * np.linalg.inv(np.asarray(jax.hessian(f)(x))) @ np.asarray(jax.grad(f)(x))
        )
    return np.array(xs)


EXACT_STYLES = [
    ("jac_from_jvp", "vmap of jvp", lambda f, x: solution("jac_from_jvp")(f, x)),
    ("jac_from_jvp", "Python loop of jvp", _jvp_python_loop),
    ("jac_from_vjp", "vmap of a pullback", lambda f, x: solution("jac_from_vjp")(f, x)),
    ("jac_from_vjp", "Python loop of a pullback", _vjp_python_loop),
    *[("hvp", f"hvp style {i}", fn) for i, (name, fn) in enumerate(HONEST) if name == "hvp"],
    ("newton", "solve", lambda f, x0, steps, damping: solution("newton")(f, x0, steps, damping)),
    ("newton", "inverse", _newton_inverse),
]


@pytest.mark.parametrize("name,style,fn", EXACT_STYLES, ids=[f"{n}: {s}" for n, s, _ in EXACT_STYLES])
def test_exact_ad_in_every_style_is_far_inside_the_tolerance(name, style, fn):
    tol = checks.NEWTON_TOL if name == "newton" else checks.AD_TOL
    for seed in (1, 2):
        assert _ad_gap(name, fn, seed) < tol / 10, (name, style)


@pytest.mark.slow
def test_the_best_finite_difference_at_any_step_is_far_outside_the_tolerance():
    steps = np.logspace(-10, -1, 19)
    for name in probes.BUILDERS:
        best = min(
            _ad_gap(name, lambda f, x, h=h, c=c: gradient(f, x, h, c), 3)
            for h in steps
            for c in ("central", "forward")
        )
        assert best > 100 * checks.AD_TOL, (name, best)
    best = min(
        _ad_gap("hvp", lambda f, x, v, h=h: difference(jax.jit(jax.grad(f)), x, v, h, "central"), 3)
        for h in steps
    )
    assert best > 100 * checks.AD_TOL, best


def test_the_setup_cells_fd_jacobian_fails_both_builders_on_every_seed():
    for name in probes.BUILDERS:
        for seed in FD_SEEDS:
            v = verdict(name, fd_jacobian, seed)
            assert not v.passed, (name, seed)
            assert any("finite difference" in m for m in v.messages), v.messages


@pytest.mark.slow
@pytest.mark.parametrize("scheme,h", VARIANTS)
def test_a_finite_difference_jacobian_fails_on_every_seed(scheme, h):
    for name in probes.BUILDERS:
        for seed in FD_SEEDS:
            assert not verdict(name, lambda f, x: gradient(f, x, h, scheme), seed).passed, (name, seed)


def test_central_differences_of_jax_grad_fail_hvp_on_every_seed():
    def hvp_fd(f, x, v, h=1e-6):
        return (jax.grad(f)(x + h * v) - jax.grad(f)(x - h * v)) / (2 * h)

    for seed in FD_SEEDS:
        v = verdict("hvp", hvp_fd, seed)
        assert not v.passed, seed
        assert any("jax.jvp of jax.grad" in m for m in v.messages), v.messages


@pytest.mark.slow
@pytest.mark.parametrize("scheme,h", VARIANTS)
def test_a_finite_difference_hvp_fails_on_every_seed(scheme, h):
    for seed in FD_SEEDS:
        assert not verdict("hvp", lambda f, x, v: difference(jax.grad(f), x, v, h, scheme), seed).passed, seed


def _newton_with_differences(h, scheme):
    def newton(f, x0, steps, damping=1.0):
        grad = jax.jit(jax.grad(f))
        xs = [np.asarray(x0, dtype=float)]
        for _ in range(steps):
            x = xs[-1]
            hessian = gradient(lambda y: np.asarray(grad(y)), x, h, scheme)
            xs.append(x - damping * np.linalg.solve(hessian, np.asarray(grad(x))))
        return np.array(xs)

    return newton


@pytest.mark.slow
@pytest.mark.parametrize("scheme,h", VARIANTS)
def test_newton_with_a_finite_difference_hessian_fails_on_every_seed(scheme, h):
    newton = _newton_with_differences(h, scheme)
    for seed in FD_SEEDS:
        assert not verdict("newton", newton, seed).passed, seed
