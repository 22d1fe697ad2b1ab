"""The hidden checks of 05_mlp_logistic: the solution passes, plausible mistakes fail."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import nbformat
import numpy as np
import pytest
from finite_differences import FD_SEEDS, VARIANTS, difference
from hypothesis import given, settings
from hypothesis import strategies as st
from probe_support import judge

from autograder import course
from autograder.checks import check_record
from autograder.checks import mlp_logistic as checks
from autograder.probes import mlp_logistic as probes
from autograder.reference import mlp_logistic as ref
from autograder.sample_submissions import solution_answers

jax.config.update("jax_enable_x64", True)

AID = "05_mlp_logistic"
SEEDS = st.integers(min_value=0, max_value=2**62)
RUNNERS = {
    "my_nn": probes.probe_my_nn,
    "sgd_step": probes.probe_sgd_step,
    "predict": probes.probe_predict,
    "nll_loss": probes.probe_nll_loss,
    "check_gradient_verdicts": probes.probe_check_gradient_verdicts,
    "check_gradient_errors": probes.probe_check_gradient_errors,
}


def solution_namespace() -> dict:
    """The solution's answer cells, with the locked mse_loss cell, run as the notebook would."""
    ns = {"np": np, "jax": jax, "jnp": jnp}
    nb = nbformat.read(course.solution_notebook(AID), as_version=4)
    locked = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("locked") and c.cell_type == "code"
    }
    exec(locked["mse_loss"], ns)  # noqa: S102 - our own source
    answers = solution_answers(AID)
    for gid in ("my_nn", "sgd_step", "predict", "nll_loss"):
        exec(answers[gid], ns)  # noqa: S102 - our own solution source
    exec(locked["directional_difference"], ns)  # noqa: S102 - check_gradient may call it
    exec(answers["check_gradient"], ns)  # noqa: S102
    return ns


SOLUTION = solution_namespace()


def verdict(probe: str, fn, seed: int):
    return judge(RUNNERS[probe], fn, seed=seed)


SOLUTION_FUNCTIONS = {
    "my_nn": SOLUTION["myNN"],
    "sgd_step": SOLUTION["sgd_step"],
    "predict": SOLUTION["predict"],
    "nll_loss": SOLUTION["nll_loss"],
    "check_gradient_verdicts": SOLUTION["check_gradient"],
    "check_gradient_errors": SOLUTION["check_gradient"],
}


@settings(max_examples=3, deadline=None)
@given(seed=SEEDS)
def test_the_solution_passes_every_probe(seed):
    for probe, fn in SOLUTION_FUNCTIONS.items():
        v = verdict(probe, fn, seed)
        assert v.passed, (probe, v.messages)


# --- the references are right: JAX in float64 agrees with the hand-written closed forms ----


def test_the_closed_form_references_agree_with_jax():
    rng = np.random.default_rng(0)
    params = {
        "W1": rng.normal(size=(2, 5)),
        "b1": rng.normal(size=5),
        "W2": rng.normal(size=(5, 3)),
        "b2": rng.normal(size=3),
    }
    X, y = rng.normal(size=(7, 2)), rng.normal(size=(7, 3))
    loss, grads = ref.mse_and_grads(params, X, y)
    jloss, jgrads = jax.jit(jax.value_and_grad(lambda p: jnp.mean((SOLUTION["myNN"](p, X) - y) ** 2)))(params)
    assert np.isclose(loss, jloss, rtol=1e-13)
    for k in probes.PARAM_NAMES:
        np.testing.assert_allclose(grads[k], jgrads[k], rtol=1e-11, atol=1e-14)
    W, b, inputs = rng.normal(size=4), 0.3, rng.normal(size=(6, 4))
    targets = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(
        ref.nll(W, b, inputs, targets), SOLUTION["nll_loss"](W, b, inputs, targets), rtol=1e-13
    )
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


WRONG_NN = {
    "relu": _nn_relu,
    "sigmoid": _nn_sigmoid,
    "no hidden bias": _nn_no_b1,
    "tanh on the output too": _nn_tanh_on_output,
    "squeezed output": _nn_squeezed,
    "X * W1 instead of X @ W1": _nn_elementwise,
    "float32": _nn_float32,
}


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


def test_the_naive_loss_fails_on_large_logits_and_says_why():
    def naive(W, b, X, y):
        p = jax.nn.sigmoid(X @ W + b)
        return -jnp.sum(y * jnp.log(p) + (1 - y) * jnp.log(1 - p))

    for seed in (1, 2, 3):
        v = verdict("nll_loss", naive, seed)
        assert not v.passed and any("log_sigmoid" in m for m in v.messages), v.messages


def test_a_softplus_loss_passes():
    def with_softplus(W, b, X, y):
        z = X @ W + b
        return jnp.sum(y * jax.nn.softplus(-z) + (1 - y) * jax.nn.softplus(z))

    assert verdict("nll_loss", with_softplus, 4).passed


# --- sgd_step asks for exact AD: a finite-difference gradient fails at every step, every seed ---


def _sgd_by_differences(h, scheme):
    loss = jax.jit(SOLUTION["mse_loss"])

    def sgd_step(params, X, y, lr):
        new = {}
        for name, p in params.items():
            p = np.asarray(p)
            g = np.zeros_like(p)
            for i in np.ndindex(p.shape):
                e = np.zeros_like(p)
                e[i] = 1.0
                g[i] = difference(lambda q: float(loss({**params, name: q}, X, y)), p, e, h, scheme)
            new[name] = p - lr * g
        return new, loss(params, X, y)

    return sgd_step


@pytest.mark.slow
@pytest.mark.parametrize("scheme,h", VARIANTS)
def test_sgd_step_with_a_finite_difference_gradient_fails_on_every_seed(scheme, h):
    step = _sgd_by_differences(h, scheme)
    for seed in FD_SEEDS:
        assert not verdict("sgd_step", step, seed).passed, seed


def test_the_finite_difference_message_names_it():
    v = verdict("sgd_step", _sgd_by_differences(1e-6, "central"), 3)
    assert any("finite difference" in m for m in v.messages), v.messages


def test_exact_ad_in_other_styles_passes_sgd_step_far_inside_the_tolerance():
    def jitted_tree_map(params, X, y, lr):
        loss, grads = jax.jit(jax.value_and_grad(SOLUTION["mse_loss"]))(params, X, y)
        return jax.tree.map(lambda p, g: p - lr * g, params, grads), loss

    def forward_mode(params, X, y, lr):
        grads = jax.jacfwd(SOLUTION["mse_loss"])(params, X, y)
        return {k: params[k] - lr * grads[k] for k in params}, SOLUTION["mse_loss"](params, X, y)

    for fn in (jitted_tree_map, forward_mode):
        assert verdict("sgd_step", fn, 6).passed
        for case in probes.sgd_inputs(6):
            params = {k: jnp.asarray(v) for k, v in case["params"].items()}
            new, _ = fn(params, jnp.asarray(case["X"]), jnp.asarray(case["y"]), case["lr"])
            _, grads = ref.mse_and_grads(case["params"], case["X"], case["y"])
            scales = ref.mse_grad_scales(case["params"], case["X"], case["y"])
            for k in probes.PARAM_NAMES:
                implied = (case["params"][k] - np.asarray(new[k])) / case["lr"]
                gap = (
                    np.abs(implied - grads[k])
                    - 8 * np.finfo(float).eps * np.abs(case["params"][k]) / case["lr"]
                )
                assert np.all(gap < checks.AD_TOL / 10 * scales[k]), k


# --- the gradient checker: honest styles pass, plausible wrong checkers fail on every seed ----


def _checker(*, scheme="central", relative=True, directions="all", compare="fd", by_ad=None, max_only=False):
    """A check_gradient in some style, right or wrong."""

    def check_gradient(f, x, dirs, h=1e-6, rtol=1e-6):
        x = jnp.asarray(x)
        dirs = np.asarray(dirs)
        if directions == "first":
            dirs = dirs[:1]
        elif directions == "ones":
            dirs = np.ones((len(np.asarray(dirs)), x.size))
        elif directions == "axis":
            dirs = np.tile(np.eye(x.size)[0], (len(dirs), 1))
        grad = jax.grad(f)(x)
        rows = []
        for v in jnp.asarray(dirs):
            fd = difference(f, x, v, h, scheme)
            forward = jax.jvp(f, (x,), (v,))[1]
            reverse = jnp.vdot(grad, v)
            if compare == "modes":  # forward against reverse, no finite difference
                fd = reverse
            elif compare == "fd only":
                forward = reverse = difference(f, x, v, h / 10, scheme)
            gaps = [abs(forward - fd), abs(reverse - fd)]
            rows.append([float(g / (abs(fd) if relative else 1.0)) for g in gaps])
        errors = np.array(rows)
        if max_only:
            errors = np.full((len(np.asarray(dirs)), 2), errors.max())
        if directions == "first":
            errors = np.repeat(errors, 4, axis=0)
        return bool(np.all(errors <= rtol)), errors

    return check_gradient


def _always_passes(f, x, dirs, h=1e-6, rtol=1e-6):
    return True, np.zeros((len(dirs), 2))


WRONG_CHECKERS = {
    "never flags a bug": _always_passes,
    "absolute instead of relative errors": _checker(relative=False),
    "only the first direction": _checker(directions="first"),
    "the vector of ones instead of the directions": _checker(directions="ones"),
    "the first axis instead of the directions": _checker(directions="axis"),
    "forward mode against reverse mode, no finite difference": _checker(compare="modes"),
    "a finite difference in place of AD": _checker(compare="fd only"),
    "a forward difference": _checker(scheme="forward"),
}


@pytest.mark.parametrize("name", sorted(WRONG_CHECKERS))
def test_a_plausible_wrong_checker_fails_on_every_seed(name):
    for seed in FD_SEEDS:
        assert not verdict("check_gradient_verdicts", WRONG_CHECKERS[name], seed).passed, (name, seed)


@pytest.mark.parametrize(
    "name",
    [
        "absolute instead of relative errors",
        "only the first direction",
        "the vector of ones instead of the directions",
        "a forward difference",
    ],
)
def test_a_wrong_checker_reports_wrong_errors_on_every_seed(name):
    for seed in FD_SEEDS[:5]:
        assert not verdict("check_gradient_errors", WRONG_CHECKERS[name], seed).passed, (name, seed)


def test_the_checker_messages_name_the_problem():
    messages = {
        name: verdict("check_gradient_verdicts", fn, 2).messages for name, fn in WRONG_CHECKERS.items()
    }
    assert any("relative errors" in m for m in messages["absolute instead of relative errors"])
    assert any("every direction" in m for m in messages["only the first direction"])
    assert any(
        "central difference" in m for m in messages["forward mode against reverse mode, no finite difference"]
    )
    assert any("forward difference" in m for m in messages["a forward difference"])
    errs = verdict("check_gradient_errors", WRONG_CHECKERS["absolute instead of relative errors"], 2).messages
    assert any("divide by |d_FD|" in m for m in errs), errs


def _vjp_style(f, x, directions, h=1e-6, rtol=1e-6):
    x = jnp.asarray(x)
    _, pullback = jax.vjp(f, x)
    (gradient,) = pullback(1.0)
    fd = jax.vmap(lambda v: (f(x + h * v) - f(x - h * v)) / (2 * h))(directions)
    forward = jax.vmap(lambda v: jax.linearize(f, x)[1](v))(directions)
    reverse = directions @ gradient
    errors = jnp.stack(
        [jnp.abs(forward - fd) / jnp.abs(forward), jnp.abs(reverse - fd) / jnp.abs(reverse)], axis=1
    )
    return bool(jnp.all(errors <= rtol)), errors


def _normalised_directions(f, x, directions, h=1e-6, rtol=1e-6):
    units = np.asarray(directions) / np.linalg.norm(directions, axis=1, keepdims=True)
    return SOLUTION["check_gradient"](f, x, units, h, rtol)


HONEST_CHECKERS = {
    "vjp, linearize and vmap, relative to |d_AD|": _vjp_style,
    "directions normalised first": _normalised_directions,
}


@pytest.mark.parametrize("name", sorted(HONEST_CHECKERS))
def test_an_honest_checker_in_another_style_passes(name):
    for probe in ("check_gradient_verdicts", "check_gradient_errors"):
        v = verdict(probe, HONEST_CHECKERS[name], 8)
        assert v.passed, (name, probe, v.messages)


def test_the_checker_inputs_are_as_documented():
    for seed in (1, 2, 3):
        for case in probes.checker_inputs(seed, probes.probe_check_gradient_errors):
            d, g = case["directions"], case["gradient"]
            assert np.allclose(np.linalg.norm(d, axis=1), 1.0)
            assert np.all(np.abs(d @ g) >= 0.1 * np.linalg.norm(g))  # no derivative along them is near 0
            truth = ref.checker_errors(case)
            if case["spec"].hidden_bug:
                blind = np.stack([d[0], np.ones(probes.CHECK_DIM), np.eye(probes.CHECK_DIM)[0]])
                assert np.allclose(blind @ case["params"]["delta"], 0.0, atol=1e-12)
                assert truth[0] < 1e-12 and np.all(truth[1:] > 1e-2)
            elif case["spec"].has_bug:
                assert np.allclose(truth, 0.01)
            else:
                assert np.all(truth == 0.0)


def test_the_checked_functions_have_the_rules_the_grader_assumes():
    for case in probes.checker_inputs(4, probes.probe_check_gradient_verdicts):
        f = probes.build_checked_function(case["spec"], case["params"])
        x, d = jnp.asarray(case["x"]), jnp.asarray(case["directions"])
        by_jvp = np.array([jax.jvp(f, (x,), (v,))[1] for v in d])
        by_grad = np.asarray(d @ jax.grad(f)(x))
        true = case["directions"] @ case["gradient"]
        np.testing.assert_allclose(np.abs(by_jvp - true) / np.abs(true), ref.checker_errors(case), atol=1e-12)
        np.testing.assert_allclose(by_grad, by_jvp, rtol=1e-13)


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
    name = RUNNERS[probe].name
    assert not check_record(name, {"probe": name, "results": bad}, 1).passed


@pytest.mark.parametrize("probe", sorted(RUNNERS))
def test_every_entry_replaced_by_junk_fails(probe):
    good = json.loads(json.dumps(RUNNERS[probe].run(SOLUTION_FUNCTIONS[probe], 2)))
    name = RUNNERS[probe].name
    for junk in (
        {"ok": {"unexpected_type": "AlwaysEqual"}},
        {"ok": [True]},
        {"ok": "1.0"},
        {"ok": {"nonfinite": "nan"}},
        {"maybe": 1},
        {"ok": [[1.0, 2.0], 3.0]},
    ):
        results = {k: junk for k in good}
        assert not check_record(name, {"probe": name, "results": results}, 2).passed, junk


def test_a_record_from_another_probe_does_not_count():
    results = json.loads(json.dumps(probes.probe_predict.run(SOLUTION["predict"], 5)))
    v = check_record("mlp_logistic.nll_loss", {"probe": "mlp_logistic.predict", "results": results}, 5)
    assert not v.passed


def test_inputs_depend_on_the_seed():
    a = probes.my_nn_inputs(1)[0]["params"]["W1"]
    b = probes.my_nn_inputs(2)[0]["params"]["W1"]
    assert not np.allclose(a, b)
    assert (
        probes.logistic_inputs(1, probes.probe_nll_loss)["toy data"]["W"].tolist()
        != probes.logistic_inputs(2, probes.probe_nll_loss)["toy data"]["W"].tolist()
    )
