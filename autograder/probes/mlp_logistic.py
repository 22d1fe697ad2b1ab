"""Probes of 05_mlp_logistic: the network, logistic regression and the gradient checker.

Each probe draws its inputs from `rng_for(seed, name)`, passes them to the student's function
as float64 JAX arrays (as the notebook does; its setup cell enables float64), and records
the results as plain numbers. The grader rebuilds the same inputs from the same seed and
compares with closed forms in autograder.reference.mlp_logistic.

The student's functions run op by op, and JAX compiles every operation once per shape, at
a cost of tens of milliseconds each. So the probes mostly reuse the notebook's own shapes
(a batch of 32 through 32 hidden units; the 4 x 3 toy data) with fresh values, plus one
other shape where a transposed or hard-wired dimension would otherwise go unnoticed.

The gradient checker (`check_gradient`) is given functions with and without planted bugs in
their derivative rules (`jax.custom_jvp`), at sizes from 1e-8 to 1e8, with directions chosen
so that each bug is invisible along the first direction, the vector of ones and the first
axis. The grader knows every true relative error, so it can judge the checker's verdicts
and its errors.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from . import Probe, attempt, probe

PARAM_NAMES = ("W1", "b1", "W2", "b2")

# --- the network ----------------------------------------------------------------------

# (N, d_in, H, d_out): the notebook's shapes twice, and one that catches X * W1 for X @ W1.
MLP_SHAPES = ((32, 1, 32, 1), (32, 1, 32, 1), (6, 2, 3, 3))


def mlp_case_label(shape, index: int) -> str:
    n, d_in, h, d_out = shape
    return f"case {index + 1}: N={n}, d_in={d_in}, H={h}, d_out={d_out}"


def _mlp_params(rng, d_in, h, d_out) -> dict:
    return {
        "W1": rng.normal(0.0, 1.0, (d_in, h)),
        "b1": rng.normal(0.0, 1.0, h),
        "W2": rng.normal(0.0, 1.0, (h, d_out)),
        "b2": rng.normal(0.0, 1.0, d_out),
    }


def my_nn_inputs(seed: int) -> list[dict]:
    rng = probe_my_nn.rng(seed)
    cases = []
    for index, shape in enumerate(MLP_SHAPES):
        n, d_in, h, d_out = shape
        cases.append(
            {
                "shape": shape,
                "label": mlp_case_label(shape, index),
                "params": _mlp_params(rng, d_in, h, d_out),
                "X": rng.uniform(-2.0, 2.0, (n, d_in)),
            }
        )
    return cases


def _jax_tree(data):
    import jax.numpy as jnp

    if isinstance(data, dict):
        return {k: jnp.asarray(v) for k, v in data.items()}
    return jnp.asarray(data)


def _array(value) -> np.ndarray:
    return np.asarray(value, dtype=float)


@probe
def probe_my_nn(myNN, seed: int) -> dict:
    results = {}
    for case in my_nn_inputs(seed):

        def call(case=case):
            return _array(myNN(_jax_tree(case["params"]), _jax_tree(case["X"])))

        results[case["label"]] = attempt(call)
    return results


SGD_SHAPES = ((32, 1, 32, 1), (32, 1, 32, 1))


def sgd_inputs(seed: int) -> list[dict]:
    rng = probe_sgd_step.rng(seed)
    cases = []
    for index, shape in enumerate(SGD_SHAPES):
        n, d_in, h, d_out = shape
        case = {
            "shape": shape,
            "params": _mlp_params(rng, d_in, h, d_out),
            "X": rng.uniform(-1.5, 3.5, (n, d_in)),
            "y": rng.normal(0.0, 2.0, (n, d_out)),
            "lr": float(rng.uniform(0.01, 0.2)),
        }
        case["label"] = mlp_case_label(shape, index) + f", lr={case['lr']:.4g}"
        cases.append(case)
    return cases


@probe
def probe_sgd_step(sgd_step, seed: int) -> dict:
    """{case: ok [loss, W1, b1, W2, b2] (the new parameters) | error}."""
    results = {}
    for case in sgd_inputs(seed):

        def call(case=case):
            new, loss = sgd_step(
                _jax_tree(case["params"]), _jax_tree(case["X"]), _jax_tree(case["y"]), case["lr"]
            )
            return [_array(loss)] + [_array(new[k]) for k in PARAM_NAMES]

        results[case["label"]] = attempt(call)
    return results


# --- logistic regression --------------------------------------------------------------

TOY_INPUTS = np.array([[0.52, 1.12, 0.77], [0.88, -1.08, 0.15], [0.52, 0.06, -1.30], [0.74, -2.49, 1.39]])
TOY_TARGETS = np.array([1.0, 1.0, 0.0, 1.0])


def logistic_inputs(seed: int, probe: Probe) -> dict[str, dict]:
    """{case: W (d,), b (a 0-d array), inputs (N, d), targets (N,) of 0.0 and 1.0}."""
    rng = probe.rng(seed)
    cases: dict[str, dict] = {}
    for label in LOGISTIC_CASES[probe.name]:
        if label == "toy data":
            inputs, targets = TOY_INPUTS, TOY_TARGETS
        elif label.startswith("large logits"):
            # |z| up to several hundred: log(1 - p) of p rounded to 1 is -inf
            inputs = rng.normal(0.0, 1.0, (6, 3))
            targets = rng.permutation(np.arange(6) % 2).astype(float)
            cases[label] = {
                "W": rng.normal(0.0, 150.0, 3),
                "b": np.array(rng.normal(0.0, 20.0)),
                "inputs": inputs,
                "targets": targets,
            }
            continue
        else:
            n, d = (int(part.split("=")[1]) for part in label.split(": ")[1].split(", "))
            inputs = rng.normal(0.0, 1.0, (n, d))
            targets = rng.permutation(np.arange(n) % 2).astype(float)
        d = inputs.shape[1]
        cases[label] = {
            "W": rng.normal(0.0, 0.8, d),
            "b": np.array(rng.normal(0.0, 0.8)),
            "inputs": inputs,
            "targets": targets,
        }
    return cases


@probe
def probe_predict(predict, seed: int) -> dict:
    results = {}
    for label, c in logistic_inputs(seed, probe_predict).items():
        results[label] = attempt(lambda c=c: _array(predict(*map(_jax_tree, (c["W"], c["b"], c["inputs"])))))
    return results


@probe
def probe_nll_loss(nll_loss, seed: int) -> dict:
    results = {}
    for label, c in logistic_inputs(seed, probe_nll_loss).items():
        results[label] = attempt(
            lambda c=c: _array(nll_loss(*map(_jax_tree, (c["W"], c["b"], c["inputs"], c["targets"]))))
        )
    return results


# The toy data, random data of its shape and of one other shape; for the loss, logits so
# large that p rounds to 0 or 1.
LOGISTIC_CASES = {
    probe_predict.name: ("toy data", "random data 1: N=4, d=3", "random data 2: N=7, d=5"),
    probe_nll_loss.name: (
        "toy data",
        "random data 1: N=4, d=3",
        "random data 2: N=7, d=5",
        "large logits: N=6, d=3",
    ),
}


# --- the gradient checker ---------------------------------------------------------------


@dataclass(frozen=True)
class CheckedFunction:
    """One function the checker is given: scale * smooth(x), with a derivative rule that is
    `factor` times the true one plus `delta` (a vector the seed draws, for "hidden" bugs)."""

    label: str
    kind: str  # "smooth" or "steep"
    scale: float = 1.0
    factor: float = 1.0
    hidden_bug: bool = False

    @property
    def has_bug(self) -> bool:
        return self.factor != 1.0 or self.hidden_bug


CHECKED_FUNCTIONS = (
    CheckedFunction("f(x) = sum(a * sin(x)) + (b @ x)**2 / 2, exact derivatives", "smooth"),
    CheckedFunction(
        "1e8 * (sum(a * sin(x)) + (b @ x)**2 / 2), exact derivatives (large values)", "smooth", scale=1e8
    ),
    CheckedFunction(
        "1e-8 * (sum(a * sin(x)) + (b @ x)**2 / 2) with a derivative rule 1 % too large (small values)",
        "smooth",
        scale=1e-8,
        factor=1.01,
    ),
    CheckedFunction(
        "sum(a * sin(x)) + (b @ x)**2 / 2 with a derivative rule that is wrong, but right along "
        "directions[0], along the vector of ones and along the first axis",
        "smooth",
        hidden_bug=True,
    ),
    CheckedFunction("exp(c @ x) with |c| = 40, exact derivatives (strongly curved)", "steep"),
)
CHECK_DIM = 5
CHECK_DIRECTIONS = 4
STEEP_NORM = 40.0
HIDDEN_BUG_SIZE = 0.05  # |delta| / |gradient|


def smooth_gradient(x, a, b) -> np.ndarray:
    """The gradient of sum(a * sin(x)) + (b @ x)**2 / 2."""
    return a * np.cos(x) + (b @ x) * b


def _unit(v) -> np.ndarray:
    return v / np.linalg.norm(v)


def checker_inputs(seed: int, probe: Probe) -> list[dict]:
    """For each function: its parameters, the point x, the true gradient there, and the
    directions (rows, unit length), each at an angle of at most about 70 degrees to the
    gradient, so that every derivative along them is well away from 0. For the hidden bug,
    delta is orthogonal to directions[0], to the vector of ones and to the first axis, and
    the other directions are tilted towards it."""
    rng = probe.rng(seed)
    cases = []
    for spec in CHECKED_FUNCTIONS:
        x = rng.uniform(-1.0, 1.0, CHECK_DIM)
        if spec.kind == "steep":
            c = STEEP_NORM * _unit(rng.normal(size=CHECK_DIM))
            params = {"c": c}
            gradient = np.exp(c @ x) * c
        else:
            params = {"a": rng.uniform(0.5, 2.0, CHECK_DIM), "b": rng.normal(0.0, 1.0, CHECK_DIM)}
            gradient = spec.scale * smooth_gradient(x, params["a"], params["b"])
        g_unit = _unit(gradient)
        first = _unit(g_unit + 0.8 * _unit(rng.normal(size=CHECK_DIM)))
        delta = np.zeros(CHECK_DIM)
        if spec.hidden_bug:
            blind = np.stack(
                [first, np.ones(CHECK_DIM), np.eye(CHECK_DIM)[0]]
            )  # directions the bug hides from
            basis = np.linalg.svd(blind)[2][len(blind) :]  # an orthonormal basis of their complement
            delta = HIDDEN_BUG_SIZE * np.linalg.norm(gradient) * _unit(basis.T @ rng.normal(size=len(basis)))
            toward = np.sign(gradient @ delta) or 1.0
            others = [
                _unit(g_unit + toward * _unit(delta) + 0.3 * _unit(rng.normal(size=CHECK_DIM)))
                for _ in range(CHECK_DIRECTIONS - 1)
            ]
        else:
            others = [
                _unit(g_unit + 0.8 * _unit(rng.normal(size=CHECK_DIM))) for _ in range(CHECK_DIRECTIONS - 1)
            ]
        params["delta"] = delta
        cases.append(
            {
                "spec": spec,
                "params": params,
                "x": x,
                "gradient": gradient,
                "directions": np.stack([first, *others]),
            }
        )
    return cases


@functools.cache
def _checked_kernels() -> dict:
    """Each kind as f(x, p) with a custom_jvp rule: (factor * gradient + delta) . t, times scale."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def smooth(x, p):
        return jnp.sum(p["a"] * jnp.sin(x)) + 0.5 * (p["b"] @ x) ** 2

    def smooth_grad(x, p):
        return p["a"] * jnp.cos(x) + (p["b"] @ x) * p["b"]

    @jax.custom_jvp
    def smooth_with_rule(x, p):
        return p["scale"] * smooth(x, p)

    @smooth_with_rule.defjvp
    def _rule(primals, tangents):
        (x, p), (t, _) = primals, tangents
        slope = (p["factor"] * smooth_grad(x, p) + p["delta"]) @ t
        return smooth_with_rule(x, p), p["scale"] * slope

    return {"smooth": jax.jit(smooth_with_rule), "steep": jax.jit(lambda x, p: jnp.exp(p["c"] @ x))}


def build_checked_function(spec: CheckedFunction, params: dict):
    import jax.numpy as jnp

    p = {k: jnp.asarray(v) for k, v in params.items()}
    p.update(scale=jnp.float64(spec.scale), factor=jnp.float64(spec.factor))
    kernel = _checked_kernels()[spec.kind]
    return lambda x: kernel(x, p)


def _verdict_and_errors(out, k: int) -> list:
    """[passed as 1.0 or 0.0, errors as a k x 2 list] from check_gradient's (passed, errors)."""
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"check_gradient should return the pair (passed, errors), got {type(out).__name__}")
    passed = np.asarray(out[0])
    if passed.dtype != bool or passed.shape != ():
        raise TypeError(f"passed should be True or False, got {passed.dtype} of shape {passed.shape}")
    errors = np.asarray(out[1], dtype=float)
    if errors.shape != (k, 2):
        raise ValueError(
            f"errors should have shape ({k}, 2), one row per direction (forward, reverse), "
            f"got shape {errors.shape}"
        )
    return [float(bool(passed)), errors.tolist()]


def run_checker(check_gradient, probe: Probe, seed: int) -> dict:
    import jax.numpy as jnp

    results = {}
    for case in checker_inputs(seed, probe):
        f = build_checked_function(case["spec"], case["params"])
        results[case["spec"].label] = attempt(
            lambda f=f, case=case: _verdict_and_errors(
                check_gradient(f, jnp.asarray(case["x"]), jnp.asarray(case["directions"])), CHECK_DIRECTIONS
            )
        )
    return results


@probe
def probe_check_gradient_verdicts(check_gradient, seed: int) -> dict:
    """{label: ok [passed, errors] | error}; the check judges the verdicts."""
    return run_checker(check_gradient, probe_check_gradient_verdicts, seed)


@probe
def probe_check_gradient_errors(check_gradient, seed: int) -> dict:
    """{label: ok [passed, errors] | error}; the check judges the errors."""
    return run_checker(check_gradient, probe_check_gradient_errors, seed)
