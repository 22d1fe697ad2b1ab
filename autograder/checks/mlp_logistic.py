"""Trusted checks of 05_mlp_logistic against float64 closed forms (autograder.reference).

Tolerances.
- Forward passes and losses: RTOL, ATOL (float64 arithmetic, nothing to differentiate).
- The gradient inside `sgd_step` (exact AD asked for): each new parameter must be within
  lr * AD_TOL * (the scale of its gradient, `reference.mse_grad_scales`) + 4 eps |p| of the
  reference. Float64 AD comes within 1e-15 of the scale in every style we tried; a gradient
  from differences, at the best step, is off by 1e-11 of it or more.
- The gradient checker is judged by what it reports. Its verdict must be right for every
  function (a correct one passes, a planted bug fails). Its relative errors must be at most
  CHECKER_EXACT where the rule is exact (an honest central difference at h = 1e-6 gives 1e-8
  or less on these functions), and within half of the true error where a bug shows (true
  errors are 1e-2 to 0.2, so how the error is normalised, by |d_FD| or |d_AD|, does not matter).
"""

from __future__ import annotations

import numpy as np

from ..probes import mlp_logistic as probes
from ..reference import mlp_logistic as ref
from . import MalformedResult, Verdict, check
from .compare import close, first_failures, fmt, numbers, outcome, unexpected_type

RTOL, ATOL = 1e-9, 1e-12  # a forward pass or a loss, in float64
AD_TOL = 1e-13  # of the scale of each gradient entry
FLOAT32_RTOL = 1e-4  # close at this tolerance only: float32 somewhere
CHECKER_EXACT = 1e-6  # the largest error a checker may report for an exact rule


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


@check(probes.probe_my_nn)
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


@check(probes.probe_sgd_step)
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
        scales = ref.mse_grad_scales(case["params"], case["X"], case["y"])
        loss, problem = _value(got[0], (), f"{where}: the loss")
        if problem:
            failures.append(problem)
            continue
        msg = _mismatch(
            f"{where}: the loss",
            loss,
            loss_ref,
            RTOL,
            ATOL,
            ": return mse_loss(params, X, y) before the step, as value_and_grad gives it",
        )
        if msg:
            failures.append(msg)
        for name, raw in zip(probes.PARAM_NAMES, got[1:]):
            want = new_ref[name]
            value, problem = _value(raw, want.shape, f"{where}: new {name}")
            if problem:
                failures.append(problem)
                break
            old = case["params"][name]
            scale = case["lr"] * AD_TOL * scales[name] + 4 * np.finfo(float).eps * np.abs(old)
            if (np.abs(value - want) <= scale).all():
                continue
            hint = ": each parameter moves by -lr * its gradient"
            if np.allclose(value, old, rtol=1e-12, atol=0):
                hint = f": {name} did not change"
            elif np.allclose(value, 2 * old - want, rtol=1e-9, atol=1e-12):
                hint = ": that is a step up the gradient; subtract lr * gradient"
            elif close(value, want, 1e-6, 1e-9).all():
                gap = float(np.max(np.abs(value - want) / (case["lr"] * scales[name])))
                hint = (
                    f": its step is off by {gap:.1e} of the size of the gradient's terms, where exact derivatives "
                    "in float64 come within 1e-14. That is the error of a finite difference; use "
                    "jax.value_and_grad(mse_loss)"
                )
            failures.append(f"{where}: new {name} should be {fmt(want)}, got {fmt(value)}{hint}")
            break
    return Verdict(not failures, first_failures(failures))


# --- logistic regression --------------------------------------------------------------


@check(probes.probe_predict)
def check_predict(results, seed: int) -> Verdict:
    failures = []
    for label, c in probes.logistic_inputs(seed, probes.probe_predict).items():
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


@check(probes.probe_nll_loss)
def check_nll_loss(results, seed: int) -> Verdict:
    failures = []
    for label, c in probes.logistic_inputs(seed, probes.probe_nll_loss).items():
        where = f"nll_loss(W, b, inputs, targets) on {label}"
        value, problem = _numbers_at(results, label, (), where)
        if problem:
            failures.append(problem)
            continue
        want = ref.nll(c["W"], c["b"], c["inputs"], c["targets"])
        n = c["inputs"].shape[0]
        hint = ": -sum(y log p + (1 - y) log(1 - p))"
        if not np.isfinite(value):
            hint = (
                ": p = sigmoid(z) rounds to 0 or 1 for these logits, and log(1 - p) or log(p) is -inf. "
                "Write the logs with jax.nn.log_sigmoid(z) and jax.nn.log_sigmoid(-z)"
            )
        elif n > 1 and np.isclose(value, want / n):
            hint = ": that is the mean; the loss is the sum over examples"
        elif np.isclose(value, -want):
            hint = ": the sign is flipped; the negative log-likelihood is -sum(...)"
        msg = _mismatch(where, value, want, RTOL, ATOL, hint)
        if msg:
            failures.append(msg)
    return Verdict(not failures, first_failures(failures))


# --- the gradient checker --------------------------------------------------------------


def _reports(results, seed: int, probe, failures: list[str]) -> list[tuple]:
    """[(spec, true errors, reported passed, reported errors, where)] for each function the
    checker returned something for; each one that raised adds a message to `failures`."""
    out = []
    for case in probes.checker_inputs(seed, probe):
        spec = case["spec"]
        where = f"check_gradient(f, x, directions) for {spec.label}"
        status, got = _entry(results, spec.label)
        if status == "error":
            failures.append(f"{where} raised {got}")
            continue
        if type(got) is not list or len(got) != 2:
            raise MalformedResult(f"expected [passed, errors] for {spec.label!r}")
        passed = numbers(got[0], ())
        if float(passed) not in (0.0, 1.0):
            raise MalformedResult(f"expected passed to be 0 or 1 for {spec.label!r}")
        out.append(
            (
                spec,
                ref.checker_errors(case),
                bool(passed),
                numbers(got[1], (probes.CHECK_DIRECTIONS, 2)),
                where,
            )
        )
    return out


@check(probes.probe_check_gradient_verdicts)
def check_check_gradient_verdicts(results, seed: int) -> Verdict:
    failures: list[str] = []
    for spec, truth, passed, errors, where in _reports(
        results, seed, probes.probe_check_gradient_verdicts, failures
    ):
        if passed == (not spec.has_bug):
            continue
        if spec.has_bug:
            hint = f": the true relative errors along the directions are {fmt(truth)}"
            if np.max(errors) < 1e-12:
                hint = (
                    f": it reported errors of at most {np.max(errors):.1e}, which no finite difference comes near, "
                    f"where the rule is off by up to {np.max(truth):.2g}. Compare each AD value with a central "
                    "difference, not forward mode with reverse mode (both use the same rule)"
                )
            elif spec.hidden_bug:
                hint = (
                    ": along directions[0], the vector of ones and the first axis this rule is right; along the "
                    f"other directions it is off by {fmt(truth[1:])}. Check every direction you are given"
                )
            elif spec.scale < 1:
                hint = (
                    ": the rule is 1 % off in every direction, but the values are about 1e-8, so the absolute "
                    "errors are tiny. Compare relative errors, |d_AD - d_FD| / |d_FD|"
                )
            failures.append(f"{where} returned passed = True: it missed a bug{hint}")
        else:
            hint = ""
            if spec.scale > 1:
                hint = (
                    ": the values are about 1e8, so a finite difference's absolute error is about 1e-2 even for "
                    "exact derivatives. Compare relative errors, |d_AD - d_FD| / |d_FD|"
                )
            elif spec.kind == "steep":
                hint = (
                    ": this function is strongly curved, so a forward difference (f(x + h v) - f(x)) / h is off "
                    "by h |f''| / 2. Use the central difference"
                )
            failures.append(
                f"{where} returned passed = False for exact derivatives (errors {fmt(errors)}){hint}"
            )
    return Verdict(not failures, first_failures(failures))


@check(probes.probe_check_gradient_errors)
def check_check_gradient_errors(results, seed: int) -> Verdict:
    failures: list[str] = []
    for spec, truth, _passed, errors, where in _reports(
        results, seed, probes.probe_check_gradient_errors, failures
    ):
        want = np.repeat(truth[:, None], 2, axis=1)
        exact = truth < 1e-12
        ok = np.where(
            exact[:, None],
            np.isfinite(errors) & (errors <= CHECKER_EXACT),
            np.abs(errors - want) <= 0.5 * want,
        )
        if ok.all():
            continue
        k, mode = (int(i) for i in np.argwhere(~ok)[0])
        column = ("forward mode (jax.jvp)", "reverse mode (jax.grad)")[mode]
        hint = ""
        if exact[k]:
            hint = ": the rule is exact along this direction, so its relative error is at most about 1e-8"
            if spec.scale > 1:
                hint += "; for values of 1e8, an absolute error is 1e8 times larger: divide by |d_FD|"
            elif spec.kind == "steep":
                hint += "; a forward difference is off by h |f''| / 2 here: use the central difference"
        else:
            hint = f": the rule is off by {truth[k]:.3g} of the derivative along this direction"
            if spec.scale < 1:
                hint += "; for values of 1e-8 an absolute error is 1e8 times smaller: divide by |d_FD|"
        failures.append(
            f"{where}: errors[{k}][{mode}] ({column}, directions[{k}]) should be about "
            f"{want[k, mode]:.3g}, got {fmt(errors[k, mode])}{hint}"
        )
    return Verdict(not failures, first_failures(failures))
