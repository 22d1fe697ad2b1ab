"""The hidden checks of 04_jax: the solution passes, plausible wrong answers fail."""
from __future__ import annotations

import json
import math

import jax
import jax.numpy as jnp
import nbformat
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder import course
from autograder.checks import check_record
from autograder.probes import _json_safe
from autograder.probes import jax_basics as probes
from autograder.sample_submissions import solution_answers

AID = "04_jax"
SEEDS = st.integers(min_value=0, max_value=2 ** 62)


def _locked_sources() -> dict[str, str]:
    nb = nbformat.read(course.solution_notebook(AID), as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("locked") and not c.metadata["nbgrader"].get("grade")}


LOCKED = _locked_sources()


def notebook_namespace() -> dict:
    """The notebook's locked definitions and the solution's answers, as a student's kernel has them."""
    ns: dict = {}
    for gid in ("setup", "pytree_model", "rlc_model", "example_loss", "goldfield"):
        exec(LOCKED[gid], ns)  # noqa: S102 - our own notebook source
    answers = solution_answers(AID)
    for gid in ("pytree_grads", "nth_derivative", "rlc_scan", "per_example_grads", "gaussian_mle",
                "goldfield_gradient", "goldfield_descent", "goldfield_partial", "my_goldfield"):
        exec(answers[gid], ns)  # noqa: S102
    return ns


NS = notebook_namespace()


def record(name: str, results) -> dict:
    return {"probe": f"jax_basics.{name}", "results": json.loads(json.dumps(_json_safe(results)))}


def verdict(name: str, results, seed: int):
    return check_record(f"jax_basics.{name}", record(name, results), seed)


RUNNERS = {
    "nth_derivative": lambda ns, seed: probes.run_nth_derivative(ns["nth_derivative"], seed),
    "pytree_grads": lambda ns, seed: probes.run_pytree_grads(ns["loss_and_grads"], seed),
    "rlc_scan": lambda ns, seed: probes.run_rlc_scan(ns["charges"], ns["dloss_jax"], seed),
    "per_example_grads": lambda ns, seed: probes.run_per_example_grads(ns["per_example_grads"], seed),
    "gaussian_nll": lambda ns, seed: probes.run_gaussian_nll(ns["gaussian_nll"], seed),
    "fit_gaussian": lambda ns, seed: probes.run_fit_gaussian(ns["fit_gaussian"], seed),
    "goldfield_gradient": lambda ns, seed: probes.run_goldfield_gradient(ns["goldfield_gradient"], seed),
    "goldfield_descent": lambda ns, seed: probes.run_goldfield_descent(ns["descend"], seed),
    "goldfield_partial": lambda ns, seed: probes.run_goldfield_partial(ns["partial_x"], seed),
    "my_goldfield": lambda ns, seed: probes.run_my_goldfield(ns["my_goldfield"], seed),
}


def run(name: str, seed: int, **overrides):
    """The verdict of one probe on the solution, with some of its functions replaced."""
    return verdict(name, RUNNERS[name]({**NS, **overrides}, seed), seed)


# --- the solution passes --------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(RUNNERS))
def test_the_solution_passes(name):
    v = run(name, 11)
    assert v.passed, v.messages


@settings(max_examples=3, deadline=None)
@given(seed=SEEDS)
def test_the_solution_passes_on_random_seeds(seed):
    for name in ("goldfield_gradient", "goldfield_descent", "goldfield_partial", "per_example_grads", "pytree_grads"):
        v = run(name, seed)
        assert v.passed, (name, v.messages)


def test_every_test_cell_is_registered():
    from autograder.checks.jax_basics import CHECKS, TESTS

    nb = nbformat.read(course.solution_notebook(AID), as_version=4)
    cells = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert cells == set(TESTS)
    assert {spec.probe for spec in TESTS.values()} == set(CHECKS)
    answers = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}
    assert {a for spec in TESTS.values() for a in spec.answers} == answers


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
    assert math.isclose(float(NS["model_loss"](params, X, y)), float(probes.pytree_loss(jnp, params, X, y)),
                        rel_tol=1e-15)
    w, x = jnp.asarray(rng.normal(size=4)), jnp.asarray(rng.normal(size=4))
    assert math.isclose(float(NS["example_loss"](w, x, -1.0)), float(probes.example_loss(jnp, w, x, -1.0)),
                        rel_tol=1e-15)


def test_the_notebook_rlc_model_is_the_course_model():
    from autograder.reference.rlc import C, E, TIMES, charge

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
    data = probes.gaussian_inputs(3, "gaussian_nll")[0]
    value, d_mu, d_ls = reference.gaussian_nll(data["mu"], data["log_sigma"], data["data"])
    by_jax = jax.value_and_grad(NS["gaussian_nll"], argnums=(0, 1))(data["mu"], data["log_sigma"], data["data"])
    assert np.allclose([value, d_mu, d_ls], [by_jax[0], *by_jax[1]], rtol=1e-12)


# --- plausible wrong answers fail ---------------------------------------------------------------

goldfield = NS["goldfield"]
_grad = jax.grad(goldfield, argnums=(0, 1))


@pytest.mark.parametrize("wrong", [
    pytest.param(lambda x, y: tuple(-g for g in _grad(x, y)), id="wrong sign"),
    pytest.param(lambda x, y: _grad(x, y)[::-1], id="components swapped"),
    pytest.param(lambda x, y: jax.grad(goldfield)(x, y), id="only df/dx"),
    pytest.param(lambda x, y: jax.grad(lambda x, y: goldfield(x, y) - 0.1 * (x ** 2 + y ** 2), argnums=(0, 1))(x, y),
                 id="bowl left out"),
    pytest.param(lambda x, y: ((goldfield(x + 1e-4, y) - goldfield(x, y)) / 1e-4,
                               (goldfield(x, y + 1e-4) - goldfield(x, y)) / 1e-4), id="finite differences"),
])
def test_a_wrong_goldfield_gradient_fails(wrong):
    assert not run("goldfield_gradient", 3, goldfield_gradient=wrong).passed


def test_the_wrong_sign_message_says_so():
    v = run("goldfield_gradient", 4, goldfield_gradient=lambda x, y: tuple(-g for g in _grad(x, y)))
    assert not v.passed and any("sign is flipped" in m for m in v.messages), v.messages


def _descend_variant(kind):
    def descend(gradient, x0, y0, learning_rate=0.1, steps=150):
        path = [(float(x0), float(y0))]
        for _ in range(steps - (kind == "one step short")):
            x, y = path[-1]
            gx, gy = gradient(x, y)
            if kind == "uphill":
                gx, gy = -gx, -gy
            lr = 0.1 if kind == "fixed rate" else learning_rate
            path.append((x - lr * float(gx), y - lr * float(gy)))
        if kind == "end only":
            return np.array(path[-1])
        return np.array(path)
    return descend


@pytest.mark.parametrize("kind", ["uphill", "fixed rate", "one step short", "end only"])
def test_a_wrong_descent_fails(kind):
    assert not run("goldfield_descent", 5, descend=_descend_variant(kind)).passed


@pytest.mark.parametrize("wrong", [
    pytest.param(lambda y: jax.grad(lambda t: goldfield(y, t)), id="df/dy"),
    pytest.param(lambda y: (lambda x: -jax.grad(goldfield)(x, y)), id="wrong sign"),
    pytest.param(lambda y: (lambda x: goldfield(x, y)), id="the value, not the slope"),
])
def test_a_wrong_partial_derivative_fails(wrong):
    assert not run("goldfield_partial", 7, partial_x=wrong).passed


def _nth_off_by(k):
    def nth(f, n):
        for _ in range(max(n + k, 0)):
            f = jax.grad(f)
        return f
    return nth


@pytest.mark.parametrize("wrong", [
    pytest.param(_nth_off_by(1), id="one grad too many"),
    pytest.param(_nth_off_by(-1), id="one grad too few"),
    pytest.param(lambda f, n: jax.grad(f), id="always the first derivative"),
])
def test_a_wrong_nth_derivative_fails(wrong):
    v = run("nth_derivative", 8, nth_derivative=wrong)
    assert not v.passed


def test_an_off_by_one_nth_derivative_is_named():
    v = run("nth_derivative", 8, nth_derivative=_nth_off_by(1))
    assert any("exactly n times" in m for m in v.messages), v.messages


model_loss = NS["model_loss"]


@pytest.mark.parametrize("wrong", [
    pytest.param(lambda p, X, y: jax.value_and_grad(model_loss, argnums=1)(p, X, y), id="gradient by X"),
    pytest.param(lambda p, X, y: jax.grad(model_loss)(p, X, y), id="gradient only"),
    pytest.param(lambda p, X, y: (model_loss(p, X, y),
                                  jax.tree_util.tree_map(lambda g: -g, jax.grad(model_loss)(p, X, y))), id="wrong sign"),
    pytest.param(lambda p, X, y: jax.value_and_grad(lambda q: jnp.sum((jnp.tanh(X @ q["w"] + q["b"]) - y) ** 2))(p),
                 id="sum instead of mean"),
])
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
    v = verdict("rlc_scan", probes.run_rlc_scan(_python_loop_charges, NS["dloss_jax"], 2), 2)
    assert not v.passed
    assert any("lax.scan" in m for m in v.messages) and len(v.messages) == 1, v.messages


@pytest.mark.parametrize("charges,factor", [
    pytest.param(NS["charges"], 0.5, id="factor 2 missing"),
    pytest.param(NS["charges"], -1.0, id="wrong sign"),
    pytest.param(_euler_charges, 1.0, id="Euler instead of RK4"),
    pytest.param(lambda R, L: NS["charges"](R, L)[1:], 1.0, id="Q(0) left out"),
])
def test_a_wrong_rlc_gradient_fails(charges, factor):
    v = verdict("rlc_scan", probes.run_rlc_scan(charges, _dloss_from(charges, factor), 3), 3)
    assert not v.passed


example_loss = NS["example_loss"]


@pytest.mark.parametrize("wrong", [
    pytest.param(lambda w, X, Y: jnp.broadcast_to(
        jax.grad(lambda w: jnp.mean(jax.vmap(example_loss, in_axes=(None, 0, 0))(w, X, Y)))(w), X.shape),
        id="the mean gradient in every row"),
    pytest.param(lambda w, X, Y: jax.vmap(jax.grad(example_loss, argnums=1), in_axes=(None, 0, 0))(w, X, Y),
                 id="gradient by x"),
    pytest.param(lambda w, X, Y: -jax.vmap(jax.grad(example_loss), in_axes=(None, 0, 0))(w, X, Y), id="wrong sign"),
])
def test_wrong_per_example_gradients_fail(wrong):
    assert not run("per_example_grads", 10, per_example_grads=wrong).passed


def _nll(kind):
    def nll(mu, log_sigma, data):
        sigma = log_sigma if kind == "no exp" else jnp.exp(log_sigma)
        terms = (data - mu) ** 2 / (2 * sigma ** 2) + jnp.log(sigma)
        if kind != "no constant":
            terms = terms + 0.5 * jnp.log(2 * jnp.pi)
        return jnp.sum(terms) if kind == "sum" else jnp.mean(terms)
    return nll


@pytest.mark.parametrize("kind", ["sum", "no constant", "no exp"])
def test_a_wrong_likelihood_fails(kind):
    assert not run("gaussian_nll", 12, gaussian_nll=_nll(kind)).passed


@pytest.mark.parametrize("wrong", [
    pytest.param(lambda data: (float(np.mean(data)), float(np.log(np.std(data)))), id="returns log sigma"),
    pytest.param(lambda data: (float(np.mean(data)), float(np.std(data, ddof=1))), id="divides by n - 1"),
    pytest.param(lambda data: NS["fit_gaussian"](data, steps=60), id="not converged"),
    pytest.param(lambda data: (float(np.std(data)), float(np.mean(data))), id="swapped"),
])
def test_a_wrong_fit_fails(wrong):
    assert not run("fit_gaussian", 13, fit_gaussian=wrong).passed


@pytest.mark.parametrize("wrong", [
    pytest.param(lambda x, y: (x ** 2 - 1) ** 2 * 0 + x ** 2 + y ** 2, id="one minimum"),
    pytest.param(lambda x, y: jnp.sin(5 * x) + y ** 2, id="more than two"),
    pytest.param(lambda x, y: math.exp(x) + y, id="scalar math, not arrays"),
    pytest.param(lambda x, y: jnp.zeros_like(x), id="flat"),
])
def test_a_wrong_own_goldfield_fails(wrong):
    assert not run("my_goldfield", 14, my_goldfield=wrong).passed


def test_two_gaussian_wells_on_a_bowl_pass():
    def wells(x, y):
        return 0.05 * (x ** 2 + y ** 2) - jnp.exp(-((x - 1) ** 2 + y ** 2)) - 0.8 * jnp.exp(-((x + 1) ** 2 + y ** 2))
    assert run("my_goldfield", 15, my_goldfield=wells).passed


# --- hostile and malformed results fail closed ------------------------------------------------

@pytest.mark.parametrize("name", sorted(RUNNERS))
@pytest.mark.parametrize("bad", [None, [], {}, "text", 3.0, [{"ok": {"unexpected_type": "AlwaysEqual"}}] * 8])
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
    assert probes.goldfield_points(1, "goldfield_gradient") != probes.goldfield_points(2, "goldfield_gradient")
    assert not np.allclose(probes.rlc_inputs(1)["Qhat"], probes.rlc_inputs(2)["Qhat"])
    assert probes.descent_inputs(1) != probes.descent_inputs(2)
