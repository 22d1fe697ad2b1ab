"""Trusted checks of 05_mlp_logistic against float64 closed forms (autograder.reference)."""
from __future__ import annotations

import numpy as np

from ..probes import mlp_logistic as probes
from ..reference import mlp_logistic as ref
from . import MalformedResult, TestSpec, Verdict
from .compare import close, first_failures, fmt, numbers, outcome, unexpected_type

RTOL, ATOL = 1e-9, 1e-12          # a forward pass or a closed-form gradient, in float64
FD_RTOL, FD_ATOL = 1e-7, 1e-9     # a finite-difference formula (it cancels digits)
FLOAT32_RTOL = 1e-4               # close at this tolerance only: float32 somewhere

TESTS = {
    "test_my_nn": TestSpec("mlp_logistic.my_nn", ("my_nn",)),
    "test_sgd_step": TestSpec("mlp_logistic.sgd_step", ("sgd_step", "my_nn")),
    "test_predict": TestSpec("mlp_logistic.predict", ("predict",)),
    "test_nll_loss": TestSpec("mlp_logistic.nll_loss", ("nll_loss", "predict")),
    "test_loss_and_grads": TestSpec("mlp_logistic.loss_and_grads", ("loss_and_grads", "nll_loss", "predict")),
    "test_central_difference": TestSpec("mlp_logistic.central_difference", ("central_difference",)),
    "test_directional_derivative_fd": TestSpec("mlp_logistic.directional_derivative",
                                               ("directional_derivative_fd",)),
}


def _entry(results, key):
    if type(results) is not dict:
        raise MalformedResult("expected a dict of results")
    if key not in results:
        raise MalformedResult(f"no result for {key!r}")
    return outcome(results[key])


def _value(got, shape, where: str):
    """The student's numbers in the required shape, or (None, message)."""
    kind = unexpected_type(got)
    if kind:
        return None, f"{where} returned an object of type {kind}, not an array of numbers"
    try:
        return numbers(got, shape), None
    except MalformedResult:
        arr_shape = _shape_of(got)
        return None, f"{where} should have shape {shape}, got {arr_shape}"


def _numbers_at(results, key, shape, where: str):
    """The numbers recorded under `key` in the required shape, or (None, message)."""
    status, got = _entry(results, key)
    if status == "error":
        return None, f"{where} raised {got}"
    return _value(got, shape, where)


def _shape_of(got) -> str:
    try:
        return str(np.array(got, dtype=float).shape)
    except (TypeError, ValueError):
        return "a ragged or non-numeric result"


def _mismatch(where: str, got, want, rtol, atol, hint: str = "", float32_hint: bool = True) -> str | None:
    if np.all(close(got, want, rtol, atol)):
        return None
    if float32_hint and np.all(close(got, want, FLOAT32_RTOL, atol)):
        hint = ": close only to float32 precision, keep every array in float64"
    return f"{where} should be {fmt(want)}, got {fmt(got)}{hint}"


# --- the network ----------------------------------------------------------------------

def check_my_nn(results, seed: int) -> Verdict:
    failures = []
    for case in probes.my_nn_inputs(seed):
        n, d_in, h, d_out = case["shape"]
        label = case["label"]
        where = f"myNN(params, X) with {label}"
        status, got = _entry(results, label)
        if status == "error":
            failures.append(f"{where} raised {got}")
            continue
        value, problem = _value(got, (n, d_out), where)
        if problem:
            failures.append(problem + ("" if d_out > 1 else ": keep the 2-D shape (N, 1), do not squeeze"))
            continue
        want = ref.mlp_forward(case["params"], case["X"])
        msg = _mismatch(where, value, want, RTOL, ATOL, ": compute tanh(X @ W1 + b1) @ W2 + b2")
        if msg:
            failures.append(msg)
    return Verdict(not failures, first_failures(failures))


def check_sgd_step(results, seed: int) -> Verdict:
    failures = []
    for case in probes.sgd_inputs(seed):
        key = case["label"]
        where = f"sgd_step(params, X, y, lr) with {key}"
        status, got = _entry(results, key)
        if status == "error":
            failures.append(f"{where} raised {got}")
            continue
        if type(got) is not list or len(got) != 1 + len(probes.PARAM_NAMES):
            raise MalformedResult(f"expected the loss and four parameters for {key!r}")
        new_ref, loss_ref = ref.sgd_step(case["params"], case["X"], case["y"], case["lr"])
        loss, problem = _value(got[0], (), f"{where}: the loss")
        if problem:
            failures.append(problem)
            continue
        msg = _mismatch(f"{where}: the loss", loss, loss_ref, RTOL, ATOL,
                        ": return mse_loss(params, X, y) before the step, as value_and_grad gives it")
        if msg:
            failures.append(msg)
        for name, raw in zip(probes.PARAM_NAMES, got[1:]):
            want = new_ref[name]
            value, problem = _value(raw, want.shape, f"{where}: new {name}")
            if problem:
                failures.append(problem)
                break
            old = case["params"][name]
            hint = ": each parameter moves by -lr * its gradient"
            if np.allclose(value, old, rtol=1e-12, atol=0):
                hint = f": {name} did not change"
            elif np.allclose(value, 2 * old - want, rtol=1e-9, atol=1e-12):
                hint = ": that is a step up the gradient; subtract lr * gradient"
            msg = _mismatch(f"{where}: new {name}", value, want, RTOL, ATOL, hint)
            if msg:
                failures.append(msg)
                break
    return Verdict(not failures, first_failures(failures))


# --- logistic regression --------------------------------------------------------------

def check_predict(results, seed: int) -> Verdict:
    failures = []
    for label, c in probes.logistic_inputs(seed, "predict").items():
        where = f"predict(W, b, inputs) on {label}"
        value, problem = _numbers_at(results, label, (c["inputs"].shape[0],), where)
        if problem:
            failures.append(problem)
            continue
        want = ref.predict(c["W"], c["b"], c["inputs"])
        hint = ": the probability is sigmoid(inputs @ W + b)"
        if np.allclose(value, c["inputs"] @ c["W"] + c["b"]):
            hint = ": those are the logits; apply the sigmoid"
        elif np.allclose(value, ref.sigmoid(c["inputs"] @ c["W"])):
            hint = ": add the bias b"
        msg = _mismatch(where, value, want, RTOL, ATOL, hint)
        if msg:
            failures.append(msg)
    return Verdict(not failures, first_failures(failures))


def check_nll_loss(results, seed: int) -> Verdict:
    failures = []
    for label, c in probes.logistic_inputs(seed, "nll_loss").items():
        where = f"nll_loss(W, b, inputs, targets) on {label}"
        value, problem = _numbers_at(results, label, (), where)
        if problem:
            failures.append(problem)
            continue
        want = ref.nll(c["W"], c["b"], c["inputs"], c["targets"])
        n = c["inputs"].shape[0]
        hint = ": -sum(y log p + (1 - y) log(1 - p))"
        if n > 1 and np.isclose(value, want / n):
            hint = ": that is the mean; the loss is the sum over examples"
        elif np.isclose(value, -want):
            hint = ": the sign is flipped; the negative log-likelihood is -sum(...)"
        msg = _mismatch(where, value, want, RTOL, ATOL, hint)
        if msg:
            failures.append(msg)
    return Verdict(not failures, first_failures(failures))


def check_loss_and_grads(results, seed: int) -> Verdict:
    failures = []
    for label, c in probes.logistic_inputs(seed, "loss_and_grads").items():
        where = f"loss_and_grads(params, inputs, targets) on {label}"
        status, got = _entry(results, label)
        if status == "error":
            failures.append(f"{where} raised {got}")
            continue
        if type(got) is not list or len(got) != 3:
            raise MalformedResult(f"expected the loss and two gradients for {label!r}")
        want_loss = ref.nll(c["W"], c["b"], c["inputs"], c["targets"])
        want_dW, want_db = ref.nll_grads(c["W"], c["b"], c["inputs"], c["targets"])
        parts = [("the loss", got[0], (), want_loss),
                 ('grads["W"]', got[1], c["W"].shape, want_dW),
                 ('grads["b"]', got[2], (), want_db)]
        for name, raw, shape, want in parts:
            value, problem = _value(raw, shape, f"{where}: {name}")
            if problem:
                failures.append(problem)
                break
            hint = ": use jax.value_and_grad(nll_loss_dict)"
            if name != "the loss" and np.allclose(value, -want):
                hint = ": the sign is flipped"
            msg = _mismatch(f"{where}: {name}", value, want, RTOL, ATOL, hint)
            if msg:
                failures.append(msg)
                break
    return Verdict(not failures, first_failures(failures))


# --- gradient checking ----------------------------------------------------------------

def _named_mistake(value, mistakes: dict, *args) -> str:
    for name, formula in mistakes.items():
        with np.errstate(all="ignore"):
            wrong = formula(*args)
        if np.all(close(value, wrong, 1e-9, 1e-12)):
            return f": that is {name}"
    return ""


def check_central_difference(results, seed: int) -> Verdict:
    failures = []
    for label, f in probes.SCALAR_FUNCTIONS.items():
        for x in probes.scalar_points(seed):
            for h in probes.STEPS:
                where = f"central_difference(f, {x:.6g}, {h:g}) for f(x) = {label}"
                value, problem = _numbers_at(results, probes.fd_key(label, x, h), (), where)
                if problem:
                    failures.append(problem)
                    continue
                want = ref.central_difference(f, x, h)
                named = _named_mistake(value, ref.FD_MISTAKES, f, x, h)
                msg = _mismatch(where, value, want, FD_RTOL, FD_ATOL,
                                named or ": (f(x + h) - f(x - h)) / (2h)", float32_hint=not named)
                if msg:
                    failures.append(msg)
    return Verdict(not failures, first_failures(failures))


def check_directional_derivative(results, seed: int) -> Verdict:
    failures = []
    for c in probes.directional_inputs(seed):
        f = probes.VECTOR_FUNCTIONS[c["label"]]
        where = (f"directional_derivative_fd(f, x, v, {c['h']:g}) for f = {c['label']}, "
                 f"x = {fmt(c['x'])}, v = {fmt(c['v'])} (|v| = {np.linalg.norm(c['v']):.3g})")
        value, problem = _numbers_at(results, c["key"], (), where)
        if problem:
            failures.append(problem)
            continue
        want = ref.directional_difference(f, c["x"], c["v"], c["h"])
        named = _named_mistake(value, ref.DIRECTIONAL_MISTAKES, f, c["x"], c["v"], c["h"])
        msg = _mismatch(where, value, want, FD_RTOL, FD_ATOL,
                        named or ": (f(x + h v) - f(x - h v)) / (2h)", float32_hint=not named)
        if msg:
            failures.append(msg)
    return Verdict(not failures, first_failures(failures))


CHECKS = {
    "mlp_logistic.my_nn": check_my_nn,
    "mlp_logistic.sgd_step": check_sgd_step,
    "mlp_logistic.predict": check_predict,
    "mlp_logistic.nll_loss": check_nll_loss,
    "mlp_logistic.loss_and_grads": check_loss_and_grads,
    "mlp_logistic.central_difference": check_central_difference,
    "mlp_logistic.directional_derivative": check_directional_derivative,
}
