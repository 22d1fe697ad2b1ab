"""The hidden checks of 04_jax: the solution passes, plausible wrong answers fail."""

from __future__ import annotations

import json
import math
from functools import partial

import jax
import jax.numpy as jnp
import nbformat
import numpy as np
import pytest
from finite_differences import FD_SEEDS, VARIANTS, difference, gradient
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder import course
from autograder.checks import check_record, judge_record
from autograder.checks import jax_basics as checks
from autograder.probes import _json_safe, json_round_trip
from autograder.probes import jax_basics as probes
from autograder.reference import jax_basics as reference
from autograder.sample_submissions import solution_answers

AID = "04_jax"
SEEDS = st.integers(min_value=0, max_value=2**62)


def _locked_sources() -> dict[str, str]:
    nb = nbformat.read(course.solution_notebook(AID), as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("locked") and not c.metadata["nbgrader"].get("grade")
    }


LOCKED = _locked_sources()


def notebook_namespace() -> dict:
    """The notebook's locked definitions and the solution's answers, as a student's kernel has them."""
    ns: dict = {}
    for gid in ("setup", "pytree_model", "rlc_model", "example_loss", "goldfield"):
        exec(LOCKED[gid], ns)  # noqa: S102 - our own notebook source
    answers = solution_answers(AID)
    for gid in (
        "pytree_grads",
        "nth_derivative",
        "rlc_scan",
        "per_example_grads",
        "gaussian_mle",
        "goldfield_gradient",
    ):
        exec(answers[gid], ns)  # noqa: S102
    return ns


NS = notebook_namespace()


def record(name: str, results) -> dict:
    return {"probe": f"jax_basics.{name}", "results": json.loads(json.dumps(_json_safe(results)))}


def verdict(name: str, results, seed: int):
    return check_record(f"jax_basics.{name}", record(name, results), seed)


RUNNERS = {
    "nth_derivative": lambda ns, seed: probes.probe_nth_derivative.record(ns["nth_derivative"], seed=seed),
    "pytree_grads": lambda ns, seed: probes.probe_pytree_grads.record(ns["loss_and_grads"], seed=seed),
    "rlc_scan": lambda ns, seed: probes.probe_rlc_scan.record(ns["charges"], ns["dloss_jax"], seed=seed),
    "per_example_grads": lambda ns, seed: probes.probe_per_example_grads.record(
        ns["per_example_grads"], seed=seed
    ),
    "gaussian_nll": lambda ns, seed: probes.probe_gaussian_nll.record(ns["gaussian_nll"], seed=seed),
    "fit_gaussian": lambda ns, seed: probes.probe_fit_gaussian.record(ns["fit_gaussian"], seed=seed),
    "goldfield_gradient": lambda ns, seed: probes.probe_goldfield_gradient.record(
        ns["goldfield_gradient"], seed=seed
    ),
    "goldfield_partial": lambda ns, seed: probes.probe_goldfield_partial.record(ns["partial_x"], seed=seed),
}


def run(name: str, seed: int, **overrides):
    """The verdict of one probe on the solution, with some of its functions replaced."""
    return judge_record(f"jax_basics.{name}", json_round_trip(RUNNERS[name]({**NS, **overrides}, seed)), seed)


# --- the solution passes --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RUNNERS))
def test_the_solution_passes(name):
    v = run(name, 11)
    assert v.passed, v.messages


@settings(max_examples=3, deadline=None)
@given(seed=SEEDS)
def test_the_solution_passes_on_random_seeds(seed):
    for name in (
        "goldfield_gradient",
        "goldfield_partial",
        "per_example_grads",
        "pytree_grads",
        "fit_gaussian",
    ):
        v = run(name, seed)
        assert v.passed, (name, v.messages)


# --- the notebook's locked functions are the ones the grader checks against -----------------


def test_the_notebook_goldfield_is_the_graded_one():
    rng = np.random.default_rng(0)
    pts = rng.uniform(-2.5, 2.5, (20, 2))
    for x, y in pts:
        assert math.isclose(float(NS["goldfield"](x, y)), float(probes.goldfield(jnp, x, y)), rel_tol=1e-15)


def test_the_notebook_models_are_the_graded_ones():
    rng = np.random.default_rng(1)
    params = {"w": jnp.asarray(rng.normal(size=3)), "b": jnp.float64(0.3)}
    X, y = jnp.asarray(rng.normal(size=(7, 3))), jnp.asarray(rng.normal(size=7))
    assert math.isclose(
        float(NS["model_loss"](params, X, y)), float(probes.pytree_loss(jnp, params, X, y)), rel_tol=1e-15
    )
    w, x = jnp.asarray(rng.normal(size=4)), jnp.asarray(rng.normal(size=4))
    assert math.isclose(
        float(NS["example_loss"](w, x, -1.0)), float(probes.example_loss(jnp, w, x, -1.0)), rel_tol=1e-15
    )


def test_the_notebook_rlc_model_is_the_course_model():
    from autograder.reference.rlc import charge
    from autograder.rlc import TIMES, C, E

    assert (NS["C"], NS["E"]) == (C, E) and np.array_equal(NS["TIMES"], TIMES)
    assert np.allclose(NS["charges"](1.3, 9.0), charge(1.3, 9.0), rtol=1e-13, atol=1e-12)


def test_the_reference_closed_forms_agree_with_jax():
    from autograder.reference import jax_basics as reference

    for case in probes.pytree_inputs(3):
        params = {"w": jnp.asarray(case["w"]), "b": jnp.float64(case["b"])}
        value, grads = jax.value_and_grad(probes.pytree_loss, argnums=1)(jnp, params, case["X"], case["y"])
        want_v, want_w, want_b = reference.pytree_value_and_grads(case)
        assert np.allclose([value, grads["b"]], [want_v, want_b], rtol=1e-13)
        assert np.allclose(grads["w"], want_w, rtol=1e-13)
    for case in probes.per_example_inputs(3):
        one = jax.grad(lambda w, x, y: probes.example_loss(jnp, w, x, y))
        loop = np.array([one(jnp.asarray(case["w"]), x, y) for x, y in zip(case["X"], case["Y"])])
        assert np.allclose(reference.per_example_grads(case), loop, rtol=1e-13)
    data = probes.gaussian_inputs(3, probes.probe_gaussian_nll)[0]
    value, d_mu, d_ls = reference.gaussian_nll(data["mu"], data["log_sigma"], data["data"])
    by_jax = jax.value_and_grad(NS["gaussian_nll"], argnums=(0, 1))(
        data["mu"], data["log_sigma"], data["data"]
    )
    assert np.allclose([value, d_mu, d_ls], [by_jax[0], *by_jax[1]], rtol=1e-12)


# --- plausible wrong answers fail ---------------------------------------------------------------

goldfield = NS["goldfield"]
_grad = jax.grad(goldfield, argnums=(0, 1))


@pytest.mark.parametrize(
    "wrong",
    [
        pytest.param(lambda x, y: tuple(-g for g in _grad(x, y)), id="wrong sign"),
        pytest.param(lambda x, y: _grad(x, y)[::-1], id="components swapped"),
        pytest.param(lambda x, y: jax.grad(goldfield)(x, y), id="only df/dx"),
        pytest.param(
            lambda x, y: jax.grad(lambda x, y: goldfield(x, y) - 0.1 * (x**2 + y**2), argnums=(0, 1))(x, y),
            id="bowl left out",
        ),
        pytest.param(
            lambda x, y: (
                (goldfield(x + 1e-4, y) - goldfield(x, y)) / 1e-4,
                (goldfield(x, y + 1e-4) - goldfield(x, y)) / 1e-4,
            ),
            id="finite differences",
        ),
    ],
)
def test_a_wrong_goldfield_gradient_fails(wrong):
    assert not run("goldfield_gradient", 3, goldfield_gradient=wrong).passed


def test_the_wrong_sign_message_says_so():
    v = run("goldfield_gradient", 4, goldfield_gradient=lambda x, y: tuple(-g for g in _grad(x, y)))
    assert not v.passed and any("sign is flipped" in m for m in v.messages), v.messages


@pytest.mark.parametrize(
    "wrong",
    [
        pytest.param(lambda y: jax.grad(lambda t: goldfield(y, t)), id="df/dy"),
        pytest.param(lambda y: lambda x: -jax.grad(goldfield)(x, y), id="wrong sign"),
        pytest.param(lambda y: lambda x: goldfield(x, y), id="the value, not the slope"),
    ],
)
def test_a_wrong_partial_derivative_fails(wrong):
    assert not run("goldfield_partial", 7, partial_x=wrong).passed


def _nth_off_by(k):
    def nth(f, n):
        for _ in range(max(n + k, 0)):
            f = jax.grad(f)
        return f

    return nth


@pytest.mark.parametrize(
    "wrong",
    [
        pytest.param(_nth_off_by(1), id="one grad too many"),
        pytest.param(_nth_off_by(-1), id="one grad too few"),
        pytest.param(lambda f, n: jax.grad(f), id="always the first derivative"),
    ],
)
def test_a_wrong_nth_derivative_fails(wrong):
    v = run("nth_derivative", 8, nth_derivative=wrong)
    assert not v.passed


def test_an_off_by_one_nth_derivative_is_named():
    v = run("nth_derivative", 8, nth_derivative=_nth_off_by(1))
    assert any("exactly n times" in m for m in v.messages), v.messages


model_loss = NS["model_loss"]


@pytest.mark.parametrize(
    "wrong",
    [
        pytest.param(lambda p, X, y: jax.value_and_grad(model_loss, argnums=1)(p, X, y), id="gradient by X"),
        pytest.param(lambda p, X, y: jax.grad(model_loss)(p, X, y), id="gradient only"),
        pytest.param(
            lambda p, X, y: (
                model_loss(p, X, y),
                jax.tree_util.tree_map(lambda g: -g, jax.grad(model_loss)(p, X, y)),
            ),
            id="wrong sign",
        ),
        pytest.param(
            lambda p, X, y: jax.value_and_grad(lambda q: jnp.sum((jnp.tanh(X @ q["w"] + q["b"]) - y) ** 2))(
                p
            ),
            id="sum instead of mean",
        ),
    ],
)
def test_a_wrong_pytree_gradient_fails(wrong):
    assert not run("pytree_grads", 9, loss_and_grads=wrong).passed


def _python_loop_charges(R, L):
    state, qs = jnp.zeros(2), [jnp.zeros(())]
    for _ in range(len(NS["TIMES"]) - 1):
        state = NS["rk4_step"](state, R, L)
        qs.append(state[1])
    return jnp.stack(qs)


def _euler_charges(R, L):
    def step(state, _):
        new = state + NS["DT"] * NS["rlc_rhs"](state, R, L)
        return new, new[1]

    _, qs = jax.lax.scan(step, jnp.zeros(2), None, length=199)
    return jnp.concatenate([jnp.zeros(1), qs])


def _dloss_from(charges, factor=1.0):
    @jax.jit
    def dloss(Qhat, R, L):
        g = jax.grad(lambda R, L: jnp.mean((charges(R, L) - Qhat) ** 2), argnums=(0, 1))(R, L)
        return factor * jnp.stack(g)

    return dloss


def test_a_python_loop_rk4_fails_the_scan_check_even_with_the_right_numbers():
    v = verdict("rlc_scan", probes.probe_rlc_scan.run(_python_loop_charges, NS["dloss_jax"], 2), 2)
    assert not v.passed
    assert any("lax.scan" in m for m in v.messages) and len(v.messages) == 1, v.messages


@pytest.mark.parametrize(
    "charges,factor",
    [
        pytest.param(NS["charges"], 0.5, id="factor 2 missing"),
        pytest.param(NS["charges"], -1.0, id="wrong sign"),
        pytest.param(_euler_charges, 1.0, id="Euler instead of RK4"),
        pytest.param(lambda R, L: NS["charges"](R, L)[1:], 1.0, id="Q(0) left out"),
    ],
)
def test_a_wrong_rlc_gradient_fails(charges, factor):
    v = verdict("rlc_scan", probes.probe_rlc_scan.run(charges, _dloss_from(charges, factor), 3), 3)
    assert not v.passed


example_loss = NS["example_loss"]


@pytest.mark.parametrize(
    "wrong",
    [
        pytest.param(
            lambda w, X, Y: jnp.broadcast_to(
                jax.grad(lambda w: jnp.mean(jax.vmap(example_loss, in_axes=(None, 0, 0))(w, X, Y)))(w),
                X.shape,
            ),
            id="the mean gradient in every row",
        ),
        pytest.param(
            lambda w, X, Y: jax.vmap(jax.grad(example_loss, argnums=1), in_axes=(None, 0, 0))(w, X, Y),
            id="gradient by x",
        ),
        pytest.param(
            lambda w, X, Y: -jax.vmap(jax.grad(example_loss), in_axes=(None, 0, 0))(w, X, Y), id="wrong sign"
        ),
    ],
)
def test_wrong_per_example_gradients_fail(wrong):
    assert not run("per_example_grads", 10, per_example_grads=wrong).passed


def _nll(kind):
    def nll(mu, log_sigma, data):
        sigma = log_sigma if kind == "no exp" else jnp.exp(log_sigma)
        terms = (data - mu) ** 2 / (2 * sigma**2) + jnp.log(sigma)
        if kind != "no constant":
            terms = terms + 0.5 * jnp.log(2 * jnp.pi)
        return jnp.sum(terms) if kind == "sum" else jnp.mean(terms)

    return nll


@pytest.mark.parametrize("kind", ["sum", "no constant", "no exp"])
def test_a_wrong_likelihood_fails(kind):
    assert not run("gaussian_nll", 12, gaussian_nll=_nll(kind)).passed


@pytest.mark.parametrize(
    "wrong",
    [
        pytest.param(
            lambda data: (float(np.mean(data)), float(np.log(np.std(data)))), id="returns log sigma"
        ),
        pytest.param(lambda data: (float(np.mean(data)), float(np.std(data, ddof=1))), id="divides by n - 1"),
        pytest.param(lambda data: NS["fit_gaussian"](data, steps=60), id="not converged"),
        pytest.param(lambda data: (float(np.std(data)), float(np.mean(data))), id="swapped"),
    ],
)
def test_a_wrong_fit_fails(wrong):
    assert not run("fit_gaussian", 13, fit_gaussian=wrong).passed


# --- hostile and malformed results fail closed ------------------------------------------------


@pytest.mark.parametrize("name", sorted(RUNNERS))
@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        {},
        "text",
        3.0,
        [{"ok": {"unexpected_type": "AlwaysEqual"}}] * 8,
        {"fits": [{"ok": 1.0}] * 3, "first steps": []},
    ],
)
def test_malformed_results_fail_closed(name, bad):
    assert not verdict(name, bad, 1).passed


def test_a_record_from_another_probe_does_not_count():
    results = RUNNERS["goldfield_partial"](NS, 5)
    v = check_record("jax_basics.goldfield_gradient", record("goldfield_partial", results), 5)
    assert not v.passed


def test_errors_in_student_code_are_reported_not_raised():
    def broken(*args, **kwargs):
        raise NotImplementedError("Exercise goldfield_gradient: write goldfield_gradient")

    v = run("goldfield_gradient", 1, goldfield_gradient=broken)
    assert not v.passed and any("NotImplementedError" in m for m in v.messages)


def test_inputs_are_secret_per_seed():
    assert probes.goldfield_points(1, probes.probe_goldfield_gradient) != probes.goldfield_points(
        2, probes.probe_goldfield_gradient
    )
    assert not np.allclose(probes.rlc_inputs(1)["Qhat"], probes.rlc_inputs(2)["Qhat"])
    assert probes.partial_inputs(1) != probes.partial_inputs(2)


# --- "no Python loop" is enforced from the traced program -------------------------------------


def _per_example_python_loop(w, X, Y):
    return jnp.stack([jax.grad(example_loss)(w, X[i], Y[i]) for i in range(X.shape[0])])


def _per_example_lax_map(w, X, Y):
    return jax.lax.map(lambda xy: jax.grad(example_loss)(w, xy[0], xy[1]), (X, Y))


def _per_example_closed_form(w, X, Y):
    s = -Y * (X @ w)
    return (-Y * jax.nn.sigmoid(s))[:, None] * X


@pytest.mark.parametrize("honest", [_per_example_lax_map, _per_example_closed_form], ids=lambda f: f.__name__)
def test_loop_free_styles_pass(honest):
    v = run("per_example_grads", 4, per_example_grads=honest)
    assert v.passed, v.messages


def test_a_python_loop_over_examples_loses_the_points_on_every_seed():
    for seed in (1, 2, 3):
        v = run("per_example_grads", seed, per_example_grads=_per_example_python_loop)
        assert not v.passed and "must not loop over the examples" in v.messages[0], v.messages
        assert "grows with the number of items" in v.messages[0]


# --- exact AD in every style passes; a finite difference fails at every step, on every seed ---

field = jax.jit(goldfield)
central_difference = NS["central_difference"]  # the notebook's own helper, h = 1e-6
rlc_loss, gaussian_nll = NS["rlc_loss"], NS["gaussian_nll"]


def _gold_gradient_fd(h, scheme):
    def goldfield_gradient(x, y):
        return (
            difference(lambda s: field(s, y), x, 1.0, h, scheme),
            difference(lambda s: field(x, s), y, 1.0, h, scheme),
        )

    return goldfield_gradient


def _partial_fd(h, scheme):
    return lambda y: lambda x: difference(lambda s: field(s, y), x, 1.0, h, scheme)


def _pytree_fd(h, scheme):
    def loss_and_grads(params, X, y):
        w, b = np.asarray(params["w"]), float(params["b"])
        value = model_loss(params, X, y)
        gw = gradient(lambda v: float(model_loss({"w": jnp.asarray(v), "b": b}, X, y)), w, h, scheme)
        gb = difference(lambda c: float(model_loss({"w": jnp.asarray(w), "b": c}, X, y)), b, 1.0, h, scheme)
        return value, {"w": gw, "b": gb}

    return loss_and_grads


def _nth_fd(h, scheme):
    def nth_derivative(f, n):
        for _ in range(n):
            f = (lambda g: lambda t: difference(g, float(t), 1.0, h, scheme))(f)
        return f

    return nth_derivative


def _dloss_fd(h, scheme):
    @jax.jit
    def dloss_jax(Qhat, R, L):
        return jnp.stack(
            [
                difference(lambda r: rlc_loss(r, L, Qhat), R, 1.0, h, scheme),
                difference(lambda l: rlc_loss(R, l, Qhat), L, 1.0, h, scheme),
            ]
        )

    return dloss_jax


def _per_example_fd(h, scheme):
    def per_example_grads(w, X, Y):  # no Python loop: vmap over the examples and over the directions
        one = lambda x, y: jax.vmap(lambda e: difference(lambda v: example_loss(v, x, y), w, e, h, scheme))(
            jnp.eye(w.size)
        )
        return jax.vmap(one)(X, Y)

    return per_example_grads


def _fit_fd(h, scheme):
    @partial(jax.jit, static_argnums=2)  # the loop compiled once per number of steps: fast to test
    def descend(data, learning_rate, steps):
        def step(_, p):
            mu, log_sigma = p
            d_mu = difference(lambda m: gaussian_nll(m, log_sigma, data), mu, 1.0, h, scheme)
            d_ls = difference(lambda s: gaussian_nll(mu, s, data), log_sigma, 1.0, h, scheme)
            return mu - learning_rate * d_mu, log_sigma - learning_rate * d_ls

        return jax.lax.fori_loop(0, steps, step, (jnp.float64(0.0), jnp.float64(0.0)))

    def fit_gaussian(data, learning_rate=0.2, steps=1000):
        mu, log_sigma = descend(jnp.asarray(data), learning_rate, steps)
        return float(mu), float(jnp.exp(log_sigma))

    return fit_gaussian


FD_ANSWERS = {  # probe -> (the name it tests, a maker of its finite-difference answer)
    "goldfield_gradient": ("goldfield_gradient", _gold_gradient_fd),
    "goldfield_partial": ("partial_x", _partial_fd),
    "pytree_grads": ("loss_and_grads", _pytree_fd),
    "nth_derivative": ("nth_derivative", _nth_fd),
    "rlc_scan": ("dloss_jax", _dloss_fd),
    "per_example_grads": ("per_example_grads", _per_example_fd),
    "fit_gaussian": ("fit_gaussian", _fit_fd),
}


@pytest.mark.slow
@pytest.mark.parametrize("scheme,h", VARIANTS)
@pytest.mark.parametrize("name", sorted(FD_ANSWERS))
def test_a_finite_difference_fails_on_every_seed(name, scheme, h):
    student, make = FD_ANSWERS[name]
    fd = make(h, scheme)  # made once, so that JAX compiles it once for all seeds
    for seed in FD_SEEDS:
        v = run(name, seed, **{student: fd})
        assert not v.passed, (name, seed)


def test_the_notebooks_central_difference_fails_goldfield_gradient_on_every_seed():
    def by_central_difference(x, y):
        return (
            central_difference(lambda s: goldfield(s, y), x),
            central_difference(lambda s: goldfield(x, s), y),
        )

    for seed in FD_SEEDS:
        v = run("goldfield_gradient", seed, goldfield_gradient=by_central_difference)
        assert not v.passed, seed
        assert any("finite difference" in m for m in v.messages), v.messages


def _gaps(name: str, ns: dict, seed: int) -> float:
    """The largest error of one probe's derivatives on a solution namespace, in units of the scale."""
    record = json_round_trip(RUNNERS[name](ns, seed))["results"]
    if name == "goldfield_gradient":
        points = probes.goldfield_points(seed, probes.probe_goldfield_gradient)
        return max(
            float(
                np.max(
                    np.abs(np.array(e["ok"]) - reference.goldfield_gradient(x, y))
                    / reference.goldfield_gradient_scale(x, y)
                )
            )
            for (x, y), e in zip(points, record)
        )
    if name == "goldfield_partial":
        worst = 0.0
        for case, e in zip(probes.partial_inputs(seed), record):
            for x, got in zip(case["xs"], e["ok"]):
                want = reference.goldfield_gradient(x, case["y"])[0]
                worst = max(worst, abs(got - want) / reference.goldfield_gradient_scale(x, case["y"])[0])
        return worst
    if name == "rlc_scan":
        data = probes.rlc_inputs(seed)
        from autograder.reference.rlc import reference_dloss

        return max(
            float(
                np.max(
                    np.abs(np.array(e["ok"]) - reference_dloss(data["Qhat"], R, L))
                    / reference.rlc_dloss_scale(data["Qhat"], R, L)
                )
            )
            for (R, L), e in zip(data["points"], record["dloss"])
        )
    if name == "pytree_grads":
        worst = 0.0
        for case, e in zip(probes.pytree_inputs(seed), record):
            _, want_w, want_b = reference.pytree_value_and_grads(case)
            scale_w, scale_b = reference.pytree_grad_scales(case)
            got = e["ok"]
            worst = max(
                worst,
                float(np.max(np.abs(np.array(got[1]) - want_w) / scale_w)),
                abs(got[2] - want_b) / scale_b,
            )
        return worst
    if name == "nth_derivative":
        worst = 0.0
        for label, xs in probes.nth_inputs(seed).items():
            for n in probes.NTH_ORDERS:
                got = np.array(record[probes.nth_key(label, n)]["ok"])
                worst = max(
                    worst,
                    float(
                        np.max(
                            np.abs(got - reference.nth_derivative_values(label, n, xs))
                            / reference.nth_derivative_scales(label, n, xs)
                        )
                    ),
                )
        return worst
    if name == "per_example_grads":
        return max(
            float(
                np.max(
                    np.abs(np.array(e["ok"]) - reference.per_example_grads(c))
                    / np.abs(reference.per_example_grads(c))
                )
            )
            for c, e in zip(probes.per_example_inputs(seed), record)
        )
    assert name == "fit_gaussian"
    data = probes.gaussian_inputs(seed, probes.probe_fit_gaussian)[0]["data"]
    worst = 0.0
    for steps, e in zip(probes.FIRST_STEPS, record["first steps"]):
        want, scale = reference.gaussian_descent(data, probes.FIRST_STEPS_RATE, steps)
        worst = max(worst, float(np.max(np.abs(np.array(e["ok"]) - want) / scale)))
    return worst


def _fit_value_and_grad(data, learning_rate=0.2, steps=1000):
    step = jax.jit(jax.value_and_grad(lambda p, d: gaussian_nll(p[0], p[1], d)))
    p = jnp.zeros(2)
    for _ in range(steps):
        p = p - learning_rate * step(p, jnp.asarray(data))[1]
    return float(p[0]), float(jnp.exp(p[1]))


EXACT_STYLES = [  # (probe, the name it tests, an honest answer in another style)
    (
        "goldfield_gradient",
        "goldfield_gradient",
        lambda x, y: jax.jacfwd(lambda v: goldfield(v[0], v[1]))(jnp.stack([x, y])),
    ),
    (
        "goldfield_gradient",
        "goldfield_gradient",
        lambda x, y: jax.value_and_grad(goldfield, argnums=(0, 1))(x, y)[1],
    ),
    ("goldfield_partial", "partial_x", lambda y: jax.jit(lambda x: jax.jacrev(goldfield)(x, y))),
    (
        "pytree_grads",
        "loss_and_grads",
        lambda p, X, y: (model_loss(p, X, y), jax.jacrev(model_loss)(p, X, y)),
    ),
    (
        "nth_derivative",
        "nth_derivative",
        lambda f, n: f if n == 0 else jax.jacfwd(NS["nth_derivative"](f, n - 1)),
    ),
    (
        "rlc_scan",
        "dloss_jax",
        jax.jit(lambda Qhat, R, L: jnp.stack(jax.jacfwd(rlc_loss, argnums=(0, 1))(R, L, Qhat))),
    ),
    ("per_example_grads", "per_example_grads", _per_example_closed_form),
    ("per_example_grads", "per_example_grads", _per_example_lax_map),
    ("fit_gaussian", "fit_gaussian", _fit_value_and_grad),
]


@pytest.mark.parametrize(
    "name,student,fn", EXACT_STYLES, ids=[f"{n} {i}" for i, (n, _, _) in enumerate(EXACT_STYLES)]
)
def test_exact_ad_in_another_style_passes_far_inside_the_tolerance(name, student, fn):
    v = run(name, 5, **{student: fn})
    assert v.passed, v.messages
    assert _gaps(name, {**NS, student: fn}, 5) < checks.AD_TOL / 10


@pytest.mark.parametrize("name", sorted(FD_ANSWERS))
def test_the_solution_is_far_inside_the_tolerance(name):
    assert _gaps(name, NS, 6) < checks.AD_TOL / 10


@pytest.mark.slow
def test_the_best_finite_difference_at_any_step_is_far_outside_the_tolerance():
    """One step for all the points of a seed, the best of a fine grid chosen afterwards: still off
    by more than 10 times the tolerance."""
    steps = np.logspace(-10, -1, 19)
    for name in ("goldfield_gradient", "rlc_scan", "pytree_grads", "nth_derivative", "per_example_grads"):
        student, make = FD_ANSWERS[name]
        best = min(
            _gaps(name, {**NS, student: make(h, scheme)}, 3)
            for h in steps
            for scheme in ("central", "forward")
        )
        assert best > 10 * checks.AD_TOL, (name, best)
