"""The hidden checks of 07_ad_in_practice: the solution passes, honest answers in other styles
pass, plausible mistakes (finite differences among them) fail on every seed, the rule on
implicit differentiation is enforced, and the references agree with mpmath and with JAX."""

from __future__ import annotations

import json
from functools import partial

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from probe_support import judge

from autograder import rlc
from autograder.checks import check_record
from autograder.probes import _json_safe, jaxprs
from autograder.probes import ad_in_practice as probes
from autograder.reference import ad_in_practice as reference
from autograder.rules import NO_DIFFERENTIATED_SOLVER, NoDifferentiatedLoop
from autograder.sample_submissions import solution_answers

SEEDS = st.integers(min_value=0, max_value=2**62)
EVERY_SEED = (1, 2, 3)  # "fails on every seed": three seeds, inputs drawn afresh for each


def solution_namespace() -> dict:
    """The notebook's setup and model cells, then the solution answers, run as in the notebook."""
    import jupytext

    from autograder import course

    nb = jupytext.read(course.solution_source("07_ad_in_practice"), fmt="py:percent")
    ns: dict = {}
    for cell in nb.cells:
        if cell.metadata.get("readonly") in ("setup", "solver", "rlc_model"):
            exec(cell.source, ns)  # noqa: S102 - our own notebook source
    for source in solution_answers("07_ad_in_practice").values():
        exec(source, ns)  # noqa: S102
    return ns


NB = solution_namespace()
iterate, rk4_step, DT = NB["iterate"], NB["rk4_step"], NB["DT"]


def verdict(probe, *student, seed: int):
    return judge(probe, *student, seed=seed)


# --- the reference solution passes ----------------------------------------------------------


@settings(max_examples=2, deadline=None)
@given(seed=SEEDS)
def test_solution_passes_every_check(seed):
    for probe, student in [
        (probes.probe_exprel, (NB["exprel"],)),
        (probes.probe_stable_log_sigmoid, (NB["stable_log_sigmoid"], NB["stable_log_sigmoid_jvp"])),
        (probes.probe_fixed_point, (NB["fixed_point"],)),
        (probes.probe_checkpointed_charges, (NB["checkpointed_charges"],)),
    ]:
        v = verdict(probe, *student, seed=seed)
        assert v.passed, (probe.name, v.messages)


# --- exprel ------------------------------------------------------------------------------------


def _exprel_where(threshold, terms):
    """A double-where exprel: the polynomial sum x^k / (k+1)! of `terms` terms below threshold."""

    def exprel(x):
        x = jnp.asarray(x, dtype=jnp.float64)
        small = jnp.abs(x) < threshold
        x_safe = jnp.where(small, 1.0, x)
        taylor = sum(x**k / float(np.prod(np.arange(1, k + 2))) for k in range(terms))
        return jnp.where(small, taylor, jnp.expm1(x_safe) / x_safe)

    return exprel


def _exprel_constant_at_zero(x):
    x_safe = jnp.where(x == 0, 1.0, x)
    return jnp.where(x == 0, 1.0, jnp.expm1(x_safe) / x_safe)


@jax.custom_jvp
def _exprel_custom(x):
    return _exprel_where(1e-3, 5)(x)


@_exprel_custom.defjvp
def _exprel_custom_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    small = jnp.abs(x) < 1e-2
    x_safe = jnp.where(small, 1.0, x)
    series = sum(
        (k + 1) * x**k / float(np.prod(np.arange(1, k + 3))) for k in range(10)
    )  # sum k x^(k-1)/(k+1)!
    closed = (x_safe * jnp.exp(x_safe) - jnp.expm1(x_safe)) / x_safe**2
    return _exprel_custom(x), jnp.where(small, series, closed) * dx


EXPREL_WRONG = {
    "a single where: the unused branch's derivative is nan at 0": lambda x: jnp.where(
        x == 0, 1.0, jnp.expm1(x) / x
    ),
    "a double where with the constant 1 at 0 (derivative 0 there)": _exprel_constant_at_zero,
    "(exp(x) - 1) / x, digits lost near 0": lambda x: jnp.where(
        x == 0, 1.0, (jnp.exp(jnp.where(x == 0, 1.0, x)) - 1) / jnp.where(x == 0, 1.0, x)
    ),
    "a Taylor branch only at exactly 0: AD of expm1(x) / x cancels near 0": _exprel_where(1e-300, 5),
    "a Taylor polynomial too short for its threshold": _exprel_where(1e-2, 3),
    "a Taylor branch without the safe input: nan at 0": lambda x: jnp.where(
        jnp.abs(x) < 1e-3, 1 + x / 2 + x**2 / 6 + x**3 / 24 + x**4 / 120, jnp.expm1(x) / x
    ),
    "stop_gradient on the fraction": lambda x: jnp.where(
        jnp.abs(x) < 1e-3,
        1 + x / 2 + x**2 / 6 + x**3 / 24,
        jax.lax.stop_gradient(
            jnp.expm1(jnp.where(jnp.abs(x) < 1e-3, 1.0, x)) / jnp.where(jnp.abs(x) < 1e-3, 1.0, x)
        ),
    ),
    "scalar only (a Python if)": lambda x: 1.0 if x == 0 else jnp.expm1(x) / x,
}
EXPREL_HONEST = {
    "the solution's threshold 1e-3, five terms": _exprel_where(1e-3, 5),
    "threshold 1e-4, four terms": _exprel_where(1e-4, 4),
    "threshold 0.1, twelve terms": _exprel_where(0.1, 12),
    "a custom_jvp rule with its own series": _exprel_custom,
}


def fails_on(seeds, label, probe, *student) -> None:
    """The wrong answer `label` loses the test's points, with a message, on each of `seeds`."""
    for seed in seeds:
        v = verdict(probe, *student, seed=seed)
        assert not v.passed and v.messages, (label, seed)


@pytest.mark.parametrize("label", EXPREL_WRONG)
def test_each_plausible_exprel_mistake_fails_on_every_seed(label):
    fails_on(EVERY_SEED, label, probes.probe_exprel, EXPREL_WRONG[label])


@pytest.mark.parametrize("label", EXPREL_HONEST)
def test_honest_exprels_pass(label):
    v = verdict(probes.probe_exprel, EXPREL_HONEST[label], seed=4)
    assert v.passed, (label, v.messages)


def test_exprel_feedback_names_the_trap():
    v = verdict(
        probes.probe_exprel,
        EXPREL_WRONG["a single where: the unused branch's derivative is nan at 0"],
        seed=5,
    )
    assert any("second jnp.where" in m for m in v.messages), v.messages
    v = verdict(probes.probe_exprel, _exprel_constant_at_zero, seed=5)
    assert any("exprel'(0) = 1/2" in m for m in v.messages), v.messages


def test_exprel_inputs_cover_every_decade_near_zero():
    for seed in EVERY_SEED:
        xs = np.abs(probes.exprel_inputs(seed))
        assert 0.0 in xs
        for d in probes.DECADES:
            assert np.any((xs >= 10.0**d) & (xs < 10.0 ** (d + 1))), d


# --- stable_log_sigmoid -------------------------------------------------------------------------


def _stable(x):
    return jnp.minimum(x, 0.0) - jnp.log1p(jnp.exp(-jnp.abs(x)))


def _with_rule(primal, tangent):
    """A custom_jvp function of `primal` whose rule's tangent is tangent(x, dx); returns (fn, rule)."""
    fn = jax.custom_jvp(primal)

    def rule(primals, tangents):
        (x,), (dx,) = primals, tangents
        return primal(x), tangent(x, dx)

    fn.defjvp(rule)
    return fn, rule


def _fd_tangent(x, dx, h=1e-6):
    return (_stable(x + h) - _stable(x - h)) / (2 * h) * dx


LOG_SIGMOID_WRONG = {
    "the naive log(1 / (1 + exp(-x)))": _with_rule(
        lambda x: jnp.log(1 / (1 + jnp.exp(-x))), lambda x, dx: jax.nn.sigmoid(-x) * dx
    ),
    "log(1 + exp(-|x|)) instead of log1p": _with_rule(
        lambda x: jnp.minimum(x, 0.0) - jnp.log(1 + jnp.exp(-jnp.abs(x))),
        lambda x, dx: jax.nn.sigmoid(-x) * dx,
    ),
    "the rule's tangent by AD of the stable formula (kinks at 0)": _with_rule(
        _stable, lambda x, dx: jax.jvp(_stable, (x,), (dx,))[1]
    ),
    "sigmoid(x) instead of sigmoid(-x)": _with_rule(_stable, lambda x, dx: jax.nn.sigmoid(x) * dx),
    "the tangent not multiplied by dx": _with_rule(_stable, lambda x, dx: jax.nn.sigmoid(-x) + 0 * dx),
    "1 - exp(log sigmoid(x)), which cancels for large x": _with_rule(
        _stable, lambda x, dx: (1 - jnp.exp(_stable(x))) * dx
    ),
    "the tangent by a central difference": _with_rule(_stable, _fd_tangent),
}


def _rule_returning_tangent_only():
    fn, _ = _with_rule(_stable, lambda x, dx: jax.nn.sigmoid(-x) * dx)
    return fn, lambda primals, tangents: jax.nn.sigmoid(-primals[0]) * tangents[0]


def _rule_not_attached():
    """The rule is right but the function is a plain one: jax.grad sees the kinks."""
    _, rule = _with_rule(_stable, lambda x, dx: jax.nn.sigmoid(-x) * dx)
    return _stable, rule


LOG_SIGMOID_WRONG["a rule returning the tangent alone"] = _rule_returning_tangent_only()
LOG_SIGMOID_WRONG["a correct rule that the function does not use"] = _rule_not_attached()

LOG_SIGMOID_HONEST = {
    "the solution's form": _with_rule(_stable, lambda x, dx: jax.nn.sigmoid(-x) * dx),
    "-logaddexp(0, -x) and 1 / (1 + exp(x))": _with_rule(
        lambda x: -jnp.logaddexp(0.0, -x), lambda x, dx: dx / (1 + jnp.exp(x))
    ),
    "jax.nn.log_sigmoid and exp(-softplus(x))": _with_rule(
        jax.nn.log_sigmoid, lambda x, dx: jnp.exp(-jax.nn.softplus(x)) * dx
    ),
    "a where on the sign": _with_rule(
        lambda x: jnp.where(x >= 0, -jnp.log1p(jnp.exp(-jnp.abs(x))), x - jnp.log1p(jnp.exp(-jnp.abs(x)))),
        lambda x, dx: (
            jnp.where(
                x >= 0, jnp.exp(-jnp.abs(x)) / (1 + jnp.exp(-jnp.abs(x))), 1 / (1 + jnp.exp(-jnp.abs(x)))
            )
            * dx
        ),
    ),
}


@pytest.mark.parametrize("label", LOG_SIGMOID_WRONG)
def test_each_plausible_log_sigmoid_mistake_fails_on_every_seed(label):
    fails_on(EVERY_SEED, label, probes.probe_stable_log_sigmoid, *LOG_SIGMOID_WRONG[label])


@pytest.mark.parametrize("label", LOG_SIGMOID_HONEST)
def test_honest_log_sigmoids_pass(label):
    v = verdict(probes.probe_stable_log_sigmoid, *LOG_SIGMOID_HONEST[label], seed=4)
    assert v.passed, (label, v.messages)


def test_log_sigmoid_feedback_says_what_is_wrong():
    v = verdict(
        probes.probe_stable_log_sigmoid, *LOG_SIGMOID_WRONG["log(1 + exp(-|x|)) instead of log1p"], seed=5
    )
    assert any("log1p" in m for m in v.messages), v.messages
    v = verdict(
        probes.probe_stable_log_sigmoid,
        *LOG_SIGMOID_WRONG["a correct rule that the function does not use"],
        seed=5,
    )
    assert any("defjvp" in m for m in v.messages), v.messages
    v = verdict(
        probes.probe_stable_log_sigmoid,
        *LOG_SIGMOID_WRONG["the rule's tangent by AD of the stable formula (kinks at 0)"],
        seed=5,
    )
    assert any("kink" in m for m in v.messages), v.messages


# --- fixed_point --------------------------------------------------------------------------------


def _custom_vjp_fixed_point(backward):
    """fixed_point with the notebook's forward pass and the backward pass backward(f, a, y*, y_bar) -> a_bar."""

    @partial(jax.custom_vjp, nondiff_argnums=(0,))
    def fixed_point(f, a, y0):
        return iterate(lambda y: f(y, a), y0)

    def fwd(f, a, y0):
        y = fixed_point(f, a, y0)
        return y, (a, y)

    def bwd(f, res, y_bar):
        a, y = res
        return backward(f, a, y, y_bar), jnp.zeros_like(y)

    fixed_point.defvjp(fwd, bwd)
    return fixed_point


def _jacobians(f, a, y):
    return jax.jacobian(f, argnums=0)(y, a), jax.jacobian(f, argnums=1)(y, a)


def _solve_backward(f, a, y, y_bar):
    f_y, f_a = _jacobians(f, a, y)
    return f_a.T @ jnp.linalg.solve((jnp.eye(y.size) - f_y).T, y_bar)


def _untransposed_backward(f, a, y, y_bar):
    f_y, f_a = _jacobians(f, a, y)
    return f_a.T @ jnp.linalg.solve(jnp.eye(y.size) - f_y, y_bar)


def _one_step_backward(f, a, y, y_bar):
    return jax.vjp(lambda a: f(y, a), a)[1](y_bar)[0]


def _neumann_once_backward(f, a, y, y_bar):
    w = y_bar + jax.vjp(lambda y: f(y, a), y)[1](y_bar)[0]
    return jax.vjp(lambda a: f(y, a), a)[1](w)[0]


def _difference_backward(f, a, y, y_bar, h=1e-6):
    """d(y_bar . y*)/da by central differences of the solver, one parameter at a time."""
    rows = []
    for e in jnp.eye(a.size):
        plus, minus = iterate(lambda z: f(z, a + h * e), y), iterate(lambda z: f(z, a - h * e), y)
        rows.append(y_bar @ (plus - minus) / (2 * h))
    return jnp.stack(rows)


def _unrolled(steps, remat=False):
    """No custom rule: a fixed number of steps that JAX differentiates (reverse mode works)."""

    def fixed_point(f, a, y0):
        loop = lambda a, y0: jax.lax.fori_loop(0, steps, lambda i, y: f(y, a), y0)
        return (jax.checkpoint(loop) if remat else loop)(a, y0)

    return fixed_point


def _python_unrolled(f, a, y0):
    y = y0
    for _ in range(40):
        y = f(y, a)
    return y


def _five_steps(f, a, y0):  # notebook 6's settle: a fixed five iterations, inside a custom rule
    @jax.custom_jvp
    def solve(a):
        return jax.lax.fori_loop(0, 5, lambda i, y: f(y, a), y0)

    solve.defjvp(lambda p, t: jax.jvp(lambda a: jax.lax.fori_loop(0, 5, lambda i, y: f(y, a), y0), p, t))
    return solve(a)


FIXED_POINT_WRONG = {
    "the gradient through one application of f": _custom_vjp_fixed_point(_one_step_backward),
    "(I - df/dy) w = y_bar, untransposed": _custom_vjp_fixed_point(_untransposed_backward),
    "one term of the Neumann series": _custom_vjp_fixed_point(_neumann_once_backward),
    "central differences of the solver in the backward pass": _custom_vjp_fixed_point(_difference_backward),
    "five iterations, not converged": _five_steps,
}
FIXED_POINT_UNROLLED = {  # accurate enough to pass on values: only the rule stops them
    "lax.fori_loop of 2000 steps, differentiated by JAX": _unrolled(2000),
    "the same inside jax.checkpoint": _unrolled(2000, remat=True),
}
FIXED_POINT_WRONG["a Python loop of 40 steps (unrolled, and short of the fixed point)"] = _python_unrolled


def _custom_jvp_fixed_point(f, a, y0):
    @jax.custom_jvp
    def solve(a):
        return iterate(lambda y: f(y, a), y0)

    @solve.defjvp
    def solve_jvp(primals, tangents):
        (a,), (da,) = primals, tangents
        y = solve(a)
        f_y = jax.jacobian(f, argnums=0)(y, a)
        _, f_a_da = jax.jvp(lambda a: f(y, a), (a,), (da,))
        return y, jnp.linalg.solve(jnp.eye(y.size) - f_y, f_a_da)

    return solve(a)


def _custom_root_fixed_point(f, a, y0):
    def solve(g, y):  # g(y) = f(y, a) - y; iterate y <- y + g(y) = f(y, a)
        return iterate(lambda y: y + g(y), y)

    def tangent_solve(g, b):
        return jnp.linalg.solve(jax.jacobian(g)(b), b)

    return jax.lax.custom_root(lambda y: f(y, a) - y, y0, solve, tangent_solve)


FIXED_POINT_HONEST = {
    "custom_vjp with a linear solve of the Jacobians": _custom_vjp_fixed_point(_solve_backward),
    "custom_jvp with a linear solve (reverse mode by transposition)": _custom_jvp_fixed_point,
    "jax.lax.custom_root": _custom_root_fixed_point,
}


@pytest.mark.parametrize("label", FIXED_POINT_WRONG)
def test_each_plausible_fixed_point_mistake_fails_on_every_seed(label):
    fails_on(EVERY_SEED, label, probes.probe_fixed_point, FIXED_POINT_WRONG[label])


@pytest.mark.parametrize("label", FIXED_POINT_UNROLLED)
def test_unrolling_breaks_the_rule_on_every_seed(label):
    for seed in EVERY_SEED[:2]:
        v = verdict(probes.probe_fixed_point, FIXED_POINT_UNROLLED[label], seed=seed)
        assert not v.passed, (label, seed)
        assert any("must not let JAX differentiate through" in m for m in v.messages), (label, v.messages)


@pytest.mark.parametrize("label", FIXED_POINT_HONEST)
def test_honest_fixed_points_pass(label):
    v = verdict(probes.probe_fixed_point, FIXED_POINT_HONEST[label], seed=4)
    assert v.passed, (label, v.messages)


def test_fixed_point_feedback_names_the_mistake():
    v = verdict(
        probes.probe_fixed_point, FIXED_POINT_WRONG["the gradient through one application of f"], seed=5
    )
    assert any("one application of f" in m for m in v.messages), v.messages
    v = verdict(probes.probe_fixed_point, FIXED_POINT_WRONG["(I - df/dy) w = y_bar, untransposed"], seed=5)
    assert any("transpose" in m for m in v.messages), v.messages


def test_a_fixed_point_without_its_rule_says_how_to_attach_one():
    @partial(jax.custom_vjp, nondiff_argnums=(0,))
    def fixed_point(f, a, y0):
        return iterate(lambda y: f(y, a), y0)

    v = verdict(probes.probe_fixed_point, fixed_point, seed=5)
    assert not v.passed and any("defvjp" in m for m in v.messages), v.messages


def test_the_slow_case_needs_hundreds_of_iterations():
    """So that an unrolled loop short enough to look cheap cannot be accurate."""
    for seed in EVERY_SEED:
        case, params, a, y0, _ = next(c for c in probes.fixed_point_inputs(seed) if c[0].kind == "slow")
        y_star = reference.fixed_point(params, a, y0)
        y = np.asarray(y0, dtype=float)
        for _ in range(200):
            y = reference._map_and_jacobians(params, y, a)[0]
        assert np.max(np.abs(y - y_star)) > 1e-6


# --- checkpointed_charges -------------------------------------------------------------------------


def _charges(
    checkpoint: str = "interval", start: bool = True, use_substeps: bool = True, fine_dt: bool = True
):
    def checkpointed_charges(R, L, substeps):
        n = substeps if use_substeps else 1
        dt = DT / substeps if fine_dt else DT
        step = lambda s: rk4_step(s, dt, R, L)
        if checkpoint == "step":
            step = jax.checkpoint(step)

        def advance(state):
            return jax.lax.fori_loop(0, n, lambda i, s: step(s), state)

        if checkpoint == "interval":
            advance = jax.checkpoint(advance)

        def interval(state, _):
            state = advance(state)
            return state, state[1]

        zero = jnp.zeros((), dtype=jnp.float64)
        _, qs = jax.lax.scan(interval, (zero, zero), None, length=199)
        return jnp.concatenate([jnp.zeros(1), qs]) if start else qs

    return checkpointed_charges


def _charges_inner_scan_remat(R, L, substeps):
    """Honest: jax.remat over an inner lax.scan, and the charges returned as a list."""
    dt = DT / substeps

    @jax.remat
    def advance(state):
        return jax.lax.scan(lambda s, _: (rk4_step(s, dt, R, L), None), state, None, length=substeps)[0]

    def interval(state, _):
        state = advance(state)
        return state, state[1]

    zero = jnp.zeros((), dtype=jnp.float64)
    return [jnp.zeros(())] + list(jax.lax.scan(interval, (zero, zero), None, length=199)[1])


CHARGES_WRONG = {
    "no checkpoint: residuals grow with substeps": _charges(checkpoint="none"),
    "a checkpoint per RK4 step: residuals still grow": _charges(checkpoint="step"),
    "Q(0) left out": _charges(start=False),
    "substeps ignored (one step per interval)": _charges(use_substeps=False),
    "substeps steps of DT, not DT / substeps": _charges(fine_dt=False),
}
CHARGES_HONEST = {
    "the solution's style": _charges(),
    "jax.remat of an inner lax.scan, charges as a list": _charges_inner_scan_remat,
}


@pytest.mark.parametrize("label", CHARGES_WRONG)
def test_each_plausible_checkpointing_mistake_fails_on_every_seed(label):
    fails_on(EVERY_SEED[:2], label, probes.probe_checkpointed_charges, CHARGES_WRONG[label])


@pytest.mark.parametrize("label", CHARGES_HONEST)
def test_honest_checkpointing_passes(label):
    v = verdict(probes.probe_checkpointed_charges, CHARGES_HONEST[label], seed=4)
    assert v.passed, (label, v.messages)


def test_checkpointing_feedback_names_the_mistake():
    v = verdict(
        probes.probe_checkpointed_charges,
        CHARGES_WRONG["a checkpoint per RK4 step: residuals still grow"],
        seed=5,
    )
    assert any("grow with substeps" in m for m in v.messages), v.messages
    v = verdict(probes.probe_checkpointed_charges, CHARGES_WRONG["Q(0) left out"], seed=5)
    assert any("Q(0) = 0 first" in m for m in v.messages), v.messages


# --- the rule: JAX must not differentiate the iterations ----------------------------------------------


def test_the_rule_is_the_answers_and_is_stated():
    from autograder import course

    answer = course.assignment("07_ad_in_practice").answer("fixed_point")
    assert answer.rules == (NO_DIFFERENTIATED_SOLVER,)
    assert "must not let JAX differentiate through" in NO_DIFFERENTIATED_SOLVER.describe()


@pytest.mark.parametrize(
    "traced,violated",
    [
        ({"loops": 0, "marked": 0, "custom_rules": 1}, False),
        ({"loops": 1, "marked": 0, "custom_rules": 1}, True),
        ({"loops": 0, "marked": 40, "custom_rules": 0}, True),
        ({"loops": -1, "marked": 0}, True),
        ({"loops": "0", "marked": 0}, True),
        ({"marked": 0}, True),
        ({"error": "boom"}, True),
        (None, True),
    ],
)
def test_the_rule_reads_the_record_strictly(traced, violated):
    usage = {"modules": [], "calls": [], "complete": True, "interference": []}
    record = {"probe": "ad_in_practice.fixed_point", "results": {}, "usage": usage}
    if traced is not None:
        record["traced"] = traced
    assert bool(NoDifferentiatedLoop().runtime_violations(record)) == violated


def test_outside_custom_rules_counts_only_what_jax_differentiates():
    f = lambda y, a: jnp.tanh(y / 2) + a
    a = jnp.array([0.3, -0.2])
    trace = lambda fp: jax.make_jaxpr(lambda a: fp(f, a, a))(a)
    assert jaxprs.outside_custom_rules(trace(NB["fixed_point"]), "tanh") == {
        "loops": 0,
        "marked": 0,
        "custom_rules": 1,
    }
    assert jaxprs.outside_custom_rules(trace(_unrolled(50)), "tanh")["loops"] == 1
    assert jaxprs.outside_custom_rules(trace(_python_unrolled), "tanh")["marked"] == 40
    # inside jit and checkpoint, still counted; inside a custom_jvp, not
    assert (
        jaxprs.outside_custom_rules(trace(jax.jit(_unrolled(50, remat=True), static_argnums=0)), "tanh")[
            "loops"
        ]
        == 1
    )
    assert jaxprs.outside_custom_rules(trace(_custom_jvp_fixed_point), "tanh")["loops"] == 0


# --- the references agree with mpmath and with JAX -----------------------------------------------


def test_reference_exprel_matches_mpmath():
    mpmath.mp.dps = 50
    xs = np.concatenate([[0.0], probes.exprel_inputs(7), [0.49, 0.51, -0.5, 700.0, -700.0]])
    values, slopes = reference.exprel(xs)
    for x, value, slope in zip(xs, values, slopes):
        m = mpmath.mpf(float(x))
        want_value = mpmath.mpf(1) if m == 0 else mpmath.expm1(m) / m
        want_slope = mpmath.mpf(1) / 2 if m == 0 else (m * mpmath.exp(m) - mpmath.expm1(m)) / m**2
        assert abs(value - float(want_value)) <= 1e-14 * abs(float(want_value)), x
        assert abs(slope - float(want_slope)) <= 1e-13 * abs(float(want_slope)), x


def test_reference_log_sigmoid_matches_mpmath():
    mpmath.mp.dps = 50
    xs, _ = probes.log_sigmoid_inputs(7)
    values, slopes = reference.log_sigmoid(xs)
    for x, value, slope in zip(xs, values, slopes):
        m = mpmath.mpf(float(x))
        want_value, want_slope = -mpmath.log1p(mpmath.exp(-m)), 1 / (1 + mpmath.exp(m))
        assert abs(value - float(want_value)) <= 1e-15 * abs(float(want_value)) + 1e-300, x
        assert abs(slope - float(want_slope)) <= 1e-15 * abs(float(want_slope)) + 1e-300, x


@settings(max_examples=3, deadline=None)
@given(seed=SEEDS)
def test_reference_fixed_point_gradient_is_forward_mode_through_the_loop(seed):
    """The implicit function theorem in closed form against JAX differentiating the iterations."""
    for case, params, a, y0, v in probes.fixed_point_inputs(seed):
        f = probes.build_map(params)
        y_star, gradient = reference.fixed_point_vjp(params, a, y0, v)
        solve = lambda a: iterate(lambda y: f(y, a), jnp.asarray(y0))
        assert np.allclose(y_star, solve(jnp.asarray(a)), rtol=1e-12, atol=1e-13), case.kind
        assert np.allclose(y_star, f(jnp.asarray(y_star), jnp.asarray(a)), rtol=0, atol=1e-13), case.kind
        by_jax = np.asarray(v) @ np.asarray(jax.jacfwd(solve)(jnp.asarray(a)))
        assert np.allclose(gradient, by_jax, rtol=1e-10, atol=1e-12), case.kind


def test_reference_charges_are_the_course_rk4():
    case = probes.checkpointed_charges_inputs(3)
    Q, gradient = reference.checkpointed_charges(case)
    fine = rlc.charge(case.R, case.L, reference.fine_times(case.substeps))
    assert np.allclose(Q, fine[:: case.substeps], rtol=1e-13, atol=1e-12)
    h = 1e-6
    by_difference = [
        (
            case.weights
            @ (
                rlc.charge(case.R + h, case.L, reference.fine_times(case.substeps))
                - rlc.charge(case.R - h, case.L, reference.fine_times(case.substeps))
            )[:: case.substeps]
        )
        / (2 * h)
    ]
    assert np.allclose(gradient[0], by_difference[0], rtol=1e-6)


# --- hostile or malformed records fail closed --------------------------------------------------------


@pytest.mark.parametrize(
    "probe,bad",
    [
        ("exprel", None),
        ("exprel", {}),
        ("exprel", {"values": {"ok": [1.0]}, "slopes": {"ok": [1.0]}}),
        ("exprel", {"values": {"ok": {"unexpected_type": "AlwaysEqual"}}, "slopes": {"error": "x"}}),
        ("stable_log_sigmoid", {"values": {"ok": []}, "slopes": {"ok": []}, "rule": {"ok": [1.0]}}),
        ("stable_log_sigmoid", {"values": {"ok": [0.0]}, "slopes": {"ok": [0.0]}, "rule": {"ok": "pair"}}),
        ("fixed_point", {}),
        ("fixed_point", {c.label: {"ok": [1.0]} for c in probes.FIXED_POINT_CASES}),
        ("fixed_point", {c.label: {"ok": [[1.0], [{"nonfinite": "nan"}]]} for c in probes.FIXED_POINT_CASES}),
        ("checkpointed_charges", []),
        ("checkpointed_charges", {"run": {"ok": [[0.0] * 200, [1.0, 2.0]]}}),
        ("checkpointed_charges", {"run": {"ok": [[0.0] * 200, [1.0]]}, "residual_bytes": [{"ok": 1.0}] * 2}),
    ],
)
def test_malformed_results_fail_closed(probe, bad):
    name = f"ad_in_practice.{probe}"
    assert not check_record(name, {"probe": name, "results": bad}, 1).passed


def test_a_record_from_another_probe_does_not_count():
    results = json.loads(json.dumps(_json_safe(probes.probe_exprel.run(NB["exprel"], 4))))
    name = "ad_in_practice.stable_log_sigmoid"
    assert not check_record(name, {"probe": "ad_in_practice.exprel", "results": results}, 4).passed


def test_inputs_are_secret_per_seed():
    assert not np.allclose(probes.exprel_inputs(1), probes.exprel_inputs(2))
    assert not np.allclose(probes.log_sigmoid_inputs(1)[0][5:], probes.log_sigmoid_inputs(2)[0][5:])
    assert not np.allclose(probes.fixed_point_inputs(1)[1][1]["W"], probes.fixed_point_inputs(2)[1][1]["W"])
    assert probes.checkpointed_charges_inputs(1).R != probes.checkpointed_charges_inputs(2).R
