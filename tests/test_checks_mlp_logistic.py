"""The hidden checks of 05_mlp_logistic: the solution passes, plausible mistakes fail."""
from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import nbformat
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder import course
from autograder.checks import check_record
from autograder.checks import mlp_logistic as checks
from autograder.probes import mlp_logistic as probes
from autograder.reference import mlp_logistic as ref
from autograder.sample_submissions import solution_answers

jax.config.update("jax_enable_x64", True)

AID = "05_mlp_logistic"
SEEDS = st.integers(min_value=0, max_value=2 ** 62)
RUNNERS = {
    "my_nn": probes.run_my_nn,
    "sgd_step": probes.run_sgd_step,
    "predict": probes.run_predict,
    "nll_loss": probes.run_nll_loss,
    "loss_and_grads": probes.run_loss_and_grads,
    "central_difference": probes.run_central_difference,
    "directional_derivative": probes.run_directional_derivative,
}


def solution_namespace() -> dict:
    """The solution's answer cells, with the locked mse_loss cell, run as the notebook would."""
    ns = {"np": np, "jax": jax, "jnp": jnp}
    nb = nbformat.read(course.solution_notebook(AID), as_version=4)
    locked = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
              if c.metadata.get("nbgrader", {}).get("locked") and c.cell_type == "code"}
    exec(locked["mse_loss"], ns)  # noqa: S102 - our own source
    for source in solution_answers(AID).values():
        exec(source, ns)  # noqa: S102 - our own solution source
    return ns


SOLUTION = solution_namespace()


def verdict(probe: str, fn, seed: int):
    results = json.loads(json.dumps(RUNNERS[probe](fn, seed)))
    name = f"mlp_logistic.{probe}"
    return check_record(name, {"probe": name, "results": results}, seed)


SOLUTION_FUNCTIONS = {
    "my_nn": SOLUTION["myNN"],
    "sgd_step": SOLUTION["sgd_step"],
    "predict": SOLUTION["predict"],
    "nll_loss": SOLUTION["nll_loss"],
    "loss_and_grads": SOLUTION["loss_and_grads"],
    "central_difference": SOLUTION["central_difference"],
    "directional_derivative": SOLUTION["directional_derivative_fd"],
}


@settings(max_examples=3, deadline=None)
@given(seed=SEEDS)
def test_the_solution_passes_every_probe(seed):
    for probe, fn in SOLUTION_FUNCTIONS.items():
        v = verdict(probe, fn, seed)
        assert v.passed, (probe, v.messages)


def test_every_test_cell_is_registered_and_has_its_probe():
    nb = nbformat.read(course.solution_notebook(AID), as_version=4)
    tests = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
             if c.metadata.get("nbgrader", {}).get("grade")}
    assert set(tests) == set(checks.TESTS)
    for gid, source in tests.items():
        probe_fn = {"mlp_logistic.directional_derivative": "probe_directional_derivative"}.get(
            checks.TESTS[gid].probe, "probe_" + checks.TESTS[gid].probe.split(".")[1])
        assert probe_fn + "(" in source, gid
    assert set(checks.CHECKS) == {spec.probe for spec in checks.TESTS.values()}


# --- the references are right: JAX in float64 agrees with the hand-written closed forms ----

def test_the_closed_form_references_agree_with_jax():
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(size=(2, 5)), "b1": rng.normal(size=5),
              "W2": rng.normal(size=(5, 3)), "b2": rng.normal(size=3)}
    X, y = rng.normal(size=(7, 2)), rng.normal(size=(7, 3))
    loss, grads = ref.mse_and_grads(params, X, y)
    jloss, jgrads = jax.jit(jax.value_and_grad(lambda p: jnp.mean((SOLUTION["myNN"](p, X) - y) ** 2)))(params)
    assert np.isclose(loss, jloss, rtol=1e-13)
    for k in probes.PARAM_NAMES:
        np.testing.assert_allclose(grads[k], jgrads[k], rtol=1e-11, atol=1e-14)
    W, b, inputs = rng.normal(size=4), 0.3, rng.normal(size=(6, 4))
    targets = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(ref.nll(W, b, inputs, targets),
                               SOLUTION["nll_loss"](W, b, inputs, targets), rtol=1e-13)
    dW, db = jax.jit(jax.grad(SOLUTION["nll_loss"], argnums=(0, 1)))(W, b, inputs, targets)
    rdW, rdb = ref.nll_grads(W, b, inputs, targets)
    np.testing.assert_allclose(rdW, dW, rtol=1e-12)
    assert np.isclose(rdb, db, rtol=1e-12)
    np.testing.assert_allclose(ref.sigmoid(np.array([-800.0, 0.0, 800.0])), [0.0, 0.5, 1.0])


# --- plausible wrong answers -------------------------------------------------------------

def _nn_relu(params, X):
    return jnp.maximum(X @ params["W1"] + params["b1"], 0) @ params["W2"] + params["b2"]


def _nn_sigmoid(params, X):
    return jax.nn.sigmoid(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]


def _nn_no_b1(params, X):
    return jnp.tanh(X @ params["W1"]) @ params["W2"] + params["b2"]


def _nn_tanh_on_output(params, X):
    return jnp.tanh(jnp.tanh(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"])


def _nn_squeezed(params, X):
    return SOLUTION["myNN"](params, X)[:, 0]


def _nn_elementwise(params, X):  # right only when d_in = 1
    return jnp.tanh(X * params["W1"] + params["b1"]) @ params["W2"] + params["b2"]


def _nn_float32(params, X):
    params = {k: jnp.asarray(v, jnp.float32) for k, v in params.items()}
    return SOLUTION["myNN"](params, jnp.asarray(X, jnp.float32))


def _nn_numpy(params, X):  # numpy floats are fine for the values
    return np.tanh(np.asarray(X) @ np.asarray(params["W1"]) + params["b1"]) @ params["W2"] + params["b2"]


WRONG_NN = {"relu": _nn_relu, "sigmoid": _nn_sigmoid, "no hidden bias": _nn_no_b1,
            "tanh on the output too": _nn_tanh_on_output, "squeezed output": _nn_squeezed,
            "X * W1 instead of X @ W1": _nn_elementwise, "float32": _nn_float32}


@pytest.mark.parametrize("name", sorted(WRONG_NN))
def test_wrong_forward_passes_fail(name):
    v = verdict("my_nn", WRONG_NN[name], 11)
    assert not v.passed, name


def test_the_my_nn_messages_name_the_problem():
    assert any("do not squeeze" in m for m in verdict("my_nn", _nn_squeezed, 1).messages)
    assert any("float32" in m for m in verdict("my_nn", _nn_float32, 1).messages)
    assert verdict("my_nn", _nn_numpy, 1).passed


def _sgd_variant(update, loss_after=False):
    def sgd_step(params, X, y, lr):
        mse_loss = SOLUTION["mse_loss"]
        loss, grads = jax.value_and_grad(mse_loss)(params, X, y)
        new = {k: update(params[k], grads[k], lr, k) for k in params}
        return new, (mse_loss(new, X, y) if loss_after else loss)
    return sgd_step


WRONG_SGD = {
    "gradient ascent": _sgd_variant(lambda p, g, lr, k: p + lr * g),
    "learning rate ignored": _sgd_variant(lambda p, g, lr, k: p - g),
    "only the weights move": _sgd_variant(lambda p, g, lr, k: p - lr * g if k.startswith("W") else p),
    "the loss after the step": _sgd_variant(lambda p, g, lr, k: p - lr * g, loss_after=True),
    "returns the gradient": _sgd_variant(lambda p, g, lr, k: g),
}


@pytest.mark.parametrize("name", sorted(WRONG_SGD))
def test_wrong_sgd_steps_fail(name):
    assert not verdict("sgd_step", WRONG_SGD[name], 5).passed, name


def test_the_sgd_ascent_message_says_so():
    v = verdict("sgd_step", WRONG_SGD["gradient ascent"], 2)
    assert any("up the gradient" in m for m in v.messages), v.messages


def test_sgd_step_that_mutates_its_argument_still_gets_the_numbers_right():
    def mutating(params, X, y, lr):
        loss, grads = jax.value_and_grad(SOLUTION["mse_loss"])(params, X, y)
        for k in params:
            params[k] = params[k] - lr * grads[k]
        return params, loss
    assert verdict("sgd_step", mutating, 3).passed


WRONG_PREDICT = {
    "logits": lambda W, b, X: X @ W + b,
    "no bias": lambda W, b, X: jax.nn.sigmoid(X @ W),
    "sigmoid of -z": lambda W, b, X: jax.nn.sigmoid(-(X @ W + b)),
    "tanh": lambda W, b, X: jnp.tanh(X @ W + b),
}


@pytest.mark.parametrize("name", sorted(WRONG_PREDICT))
def test_wrong_predictions_fail(name):
    assert not verdict("predict", WRONG_PREDICT[name], 9).passed, name


def _nll(transform):
    def nll_loss(W, b, X, y):
        p = jax.nn.sigmoid(X @ W + b)
        return transform(y * jnp.log(p) + (1 - y) * jnp.log(1 - p), p, y)
    return nll_loss


WRONG_NLL = {
    "mean instead of sum": _nll(lambda t, p, y: -jnp.mean(t)),
    "no minus sign": _nll(lambda t, p, y: jnp.sum(t)),
    "positive labels only": _nll(lambda t, p, y: -jnp.sum(y * jnp.log(p))),
    "labels swapped": _nll(lambda t, p, y: -jnp.sum((1 - y) * jnp.log(p) + y * jnp.log(1 - p))),
}


@pytest.mark.parametrize("name", sorted(WRONG_NLL))
def test_wrong_losses_fail(name):
    assert not verdict("nll_loss", WRONG_NLL[name], 4).passed, name


def test_the_mean_loss_message_says_sum():
    v = verdict("nll_loss", WRONG_NLL["mean instead of sum"], 4)
    assert any("the sum" in m for m in v.messages), v.messages


def _loss_dict(params, X, y):
    return SOLUTION["nll_loss"](params["W"], params["b"], X, y)


WRONG_LOSS_AND_GRADS = {
    "grad without the value": lambda params, X, y: jax.grad(_loss_dict)(params, X, y),
    "gradient of the mean loss": lambda params, X, y: jax.value_and_grad(
        lambda p, X, y: _loss_dict(p, X, y) / X.shape[0])(params, X, y),
    "negated gradient": lambda params, X, y: (lambda lg: (lg[0], jax.tree.map(jnp.negative, lg[1])))(
        jax.value_and_grad(_loss_dict)(params, X, y)),
    "gradient with respect to the inputs": lambda params, X, y: (
        _loss_dict(params, X, y), {"W": jax.grad(_loss_dict, argnums=1)(params, X, y)[0], "b": 0.0}),
    "W and b swapped": lambda params, X, y: (lambda lg: (lg[0], {"W": lg[1]["b"] * jnp.ones(3), "b": lg[1]["W"][0]}))(
        jax.value_and_grad(_loss_dict)(params, X, y)),
}


@pytest.mark.parametrize("name", sorted(WRONG_LOSS_AND_GRADS))
def test_wrong_loss_and_grads_fail(name):
    assert not verdict("loss_and_grads", WRONG_LOSS_AND_GRADS[name], 8).passed, name


# The finite differences: the named mistake is a forward difference where a central one
# was asked for. Every seed must catch it, so it is checked over random seeds.
WRONG_CENTRAL = {
    "forward difference": lambda f, x, h: (f(x + h) - f(x)) / h,
    "backward difference": lambda f, x, h: (f(x) - f(x - h)) / h,
    "sign flipped": lambda f, x, h: (f(x - h) - f(x + h)) / (2 * h),
    "divided by h": lambda f, x, h: (f(x + h) - f(x - h)) / h,
    "half steps": lambda f, x, h: (f(x + h / 2) - f(x - h / 2)) / h,
}
WRONG_DIRECTIONAL = {
    "forward difference": lambda f, x, v, h: (f(x + h * v) - f(x)) / h,
    "normalised direction": lambda f, x, v, h: (f(x + h * v / np.linalg.norm(v))
                                                - f(x - h * v / np.linalg.norm(v))) / (2 * h),
    "divided by h": lambda f, x, v, h: (f(x + h * v) - f(x - h * v)) / h,
    "sign flipped": lambda f, x, v, h: (f(x - h * v) - f(x + h * v)) / (2 * h),
    "first coordinate only": lambda f, x, v, h: (f(x + h * v[0] * np.eye(len(x))[0])
                                                 - f(x - h * v[0] * np.eye(len(x))[0])) / (2 * h),
}


@settings(max_examples=10, deadline=None)
@given(seed=SEEDS)
def test_a_forward_difference_fails_both_gradient_checks_for_every_seed(seed):
    assert not verdict("central_difference", WRONG_CENTRAL["forward difference"], seed).passed
    assert not verdict("directional_derivative", WRONG_DIRECTIONAL["forward difference"], seed).passed


@pytest.mark.parametrize("name", sorted(WRONG_CENTRAL))
def test_wrong_central_differences_fail_and_are_named(name):
    v = verdict("central_difference", WRONG_CENTRAL[name], 21)
    assert not v.passed, name
    if name != "backward difference":
        assert any("that is" in m for m in v.messages), v.messages


@pytest.mark.parametrize("name", sorted(WRONG_DIRECTIONAL))
def test_wrong_directional_derivatives_fail(name):
    v = verdict("directional_derivative", WRONG_DIRECTIONAL[name], 21)
    assert not v.passed, name


def test_the_forward_difference_message_names_it():
    v = verdict("central_difference", WRONG_CENTRAL["forward difference"], 3)
    assert any("forward difference" in m for m in v.messages), v.messages
    v = verdict("directional_derivative", WRONG_DIRECTIONAL["normalised direction"], 3)
    assert any("normalised" in m for m in v.messages), v.messages


def test_equivalent_rewritings_of_the_formulas_pass():
    assert verdict("central_difference", lambda f, x, h: f(x + h) / (2 * h) - f(x - h) / (2 * h), 6).passed
    assert verdict("directional_derivative",
                   lambda f, x, v, h: 0.5 * (f(x + v * h) - f(x - v * h)) / h, 6).passed


def test_errors_are_reported_not_raised():
    def broken(*args):
        raise RuntimeError("not yet")
    for probe in RUNNERS:
        v = verdict(probe, broken, 1)
        assert not v.passed and any("RuntimeError" in m for m in v.messages), probe


# --- hostile or malformed records ---------------------------------------------------------

@pytest.mark.parametrize("probe", sorted(RUNNERS))
@pytest.mark.parametrize("bad", [None, [], "text", {}, {"x": {"ok": 1.0}}])
def test_malformed_results_fail_closed(probe, bad):
    name = f"mlp_logistic.{probe}"
    assert not check_record(name, {"probe": name, "results": bad}, 1).passed


@pytest.mark.parametrize("probe", sorted(RUNNERS))
def test_every_entry_replaced_by_junk_fails(probe):
    good = json.loads(json.dumps(RUNNERS[probe](SOLUTION_FUNCTIONS[probe], 2)))
    name = f"mlp_logistic.{probe}"
    for junk in ({"ok": {"unexpected_type": "AlwaysEqual"}}, {"ok": [True]}, {"ok": "1.0"},
                 {"ok": {"nonfinite": "nan"}}, {"maybe": 1}, {"ok": [[1.0, 2.0], 3.0]}):
        results = {k: junk for k in good}
        assert not check_record(name, {"probe": name, "results": results}, 2).passed, junk


def test_a_record_from_another_probe_does_not_count():
    results = json.loads(json.dumps(probes.run_predict(SOLUTION["predict"], 5)))
    v = check_record("mlp_logistic.nll_loss", {"probe": "mlp_logistic.predict", "results": results}, 5)
    assert not v.passed


def test_inputs_depend_on_the_seed():
    a = probes.my_nn_inputs(1)[0]["params"]["W1"]
    b = probes.my_nn_inputs(2)[0]["params"]["W1"]
    assert not np.allclose(a, b)
    assert probes.logistic_inputs(1, "nll_loss")["toy data"]["W"].tolist() != \
        probes.logistic_inputs(2, "nll_loss")["toy data"]["W"].tolist()
