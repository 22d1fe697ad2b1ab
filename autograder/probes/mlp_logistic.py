"""Probes of 05_mlp_logistic: the network, logistic regression and the gradient checks.

Each probe draws its inputs from `rng_for(seed, name)`, passes them to the student's function
as float64 JAX arrays (as the notebook does; its setup cell enables float64), and records
the results as plain numbers. The grader rebuilds the same inputs from the same seed and
compares with closed forms in autograder.reference.mlp_logistic.

The student's functions run op by op, and JAX compiles every operation once per shape, at
a cost of tens of milliseconds each. So the probes mostly reuse the notebook's own shapes
(a batch of 32 through 32 hidden units; the 4 x 3 toy data) with fresh values, plus one
other shape where a transposed or hard-wired dimension would otherwise go unnoticed.
"""
from __future__ import annotations

import numpy as np

from . import attempt, report, rng_for, seed_and_mode

PARAM_NAMES = ("W1", "b1", "W2", "b2")

# --- the network ----------------------------------------------------------------------

# (N, d_in, H, d_out): the notebook's shapes twice, and one that catches X * W1 for X @ W1.
MLP_SHAPES = ((32, 1, 32, 1), (32, 1, 32, 1), (6, 2, 3, 3))


def mlp_case_label(shape, index: int) -> str:
    n, d_in, h, d_out = shape
    return f"case {index + 1}: N={n}, d_in={d_in}, H={h}, d_out={d_out}"


def _mlp_params(rng, d_in, h, d_out) -> dict:
    return {"W1": rng.normal(0.0, 1.0, (d_in, h)), "b1": rng.normal(0.0, 1.0, h),
            "W2": rng.normal(0.0, 1.0, (h, d_out)), "b2": rng.normal(0.0, 1.0, d_out)}


def my_nn_inputs(seed: int) -> list[dict]:
    rng = rng_for(seed, "mlp_logistic.my_nn")
    cases = []
    for index, shape in enumerate(MLP_SHAPES):
        n, d_in, h, d_out = shape
        cases.append({"shape": shape, "label": mlp_case_label(shape, index),
                      "params": _mlp_params(rng, d_in, h, d_out), "X": rng.uniform(-2.0, 2.0, (n, d_in))})
    return cases


def _jax_tree(data):
    import jax.numpy as jnp

    if isinstance(data, dict):
        return {k: jnp.asarray(v) for k, v in data.items()}
    return jnp.asarray(data)


def _array(value) -> np.ndarray:
    return np.asarray(value, dtype=float)


def run_my_nn(myNN, seed: int) -> dict:
    results = {}
    for case in my_nn_inputs(seed):
        def call(case=case):
            return _array(myNN(_jax_tree(case["params"]), _jax_tree(case["X"])))
        results[case["label"]] = attempt(call)
    return results


def probe_my_nn(myNN) -> None:
    seed, local = seed_and_mode()
    report("mlp_logistic.my_nn", run_my_nn(myNN, seed), seed, local)


SGD_SHAPES = ((32, 1, 32, 1), (32, 1, 32, 1))


def sgd_inputs(seed: int) -> list[dict]:
    rng = rng_for(seed, "mlp_logistic.sgd_step")
    cases = []
    for index, shape in enumerate(SGD_SHAPES):
        n, d_in, h, d_out = shape
        case = {"shape": shape, "params": _mlp_params(rng, d_in, h, d_out),
                "X": rng.uniform(-1.5, 3.5, (n, d_in)), "y": rng.normal(0.0, 2.0, (n, d_out)),
                "lr": float(rng.uniform(0.01, 0.2))}
        case["label"] = mlp_case_label(shape, index) + f", lr={case['lr']:.4g}"
        cases.append(case)
    return cases


def run_sgd_step(sgd_step, seed: int) -> dict:
    """{case: ok [loss, W1, b1, W2, b2] (the new parameters) | error}."""
    results = {}
    for case in sgd_inputs(seed):
        def call(case=case):
            new, loss = sgd_step(_jax_tree(case["params"]), _jax_tree(case["X"]), _jax_tree(case["y"]),
                                 case["lr"])
            return [_array(loss)] + [_array(new[k]) for k in PARAM_NAMES]
        results[case["label"]] = attempt(call)
    return results


def probe_sgd_step(sgd_step) -> None:
    seed, local = seed_and_mode()
    report("mlp_logistic.sgd_step", run_sgd_step(sgd_step, seed), seed, local)


# --- logistic regression --------------------------------------------------------------

TOY_INPUTS = np.array([[0.52, 1.12, 0.77],
                       [0.88, -1.08, 0.15],
                       [0.52, 0.06, -1.30],
                       [0.74, -2.49, 1.39]])
TOY_TARGETS = np.array([1.0, 1.0, 0.0, 1.0])

# The toy data, random data of its shape, and (but for loss_and_grads, the costliest to
# compile) one other shape.
LOGISTIC_CASES = {
    "predict": ("toy data", "random data 1: N=4, d=3", "random data 2: N=7, d=5"),
    "nll_loss": ("toy data", "random data 1: N=4, d=3", "random data 2: N=7, d=5"),
    "loss_and_grads": ("toy data", "random data 1: N=4, d=3", "random data 2: N=4, d=3"),
}


def logistic_inputs(seed: int, probe: str) -> dict[str, dict]:
    """{case: W (d,), b (a 0-d array), inputs (N, d), targets (N,) of 0.0 and 1.0}."""
    rng = rng_for(seed, f"mlp_logistic.{probe}")
    cases = {}
    for label in LOGISTIC_CASES[probe]:
        if label == "toy data":
            inputs, targets = TOY_INPUTS, TOY_TARGETS
        else:
            n, d = (int(part.split("=")[1]) for part in label.split(": ")[1].split(", "))
            inputs = rng.normal(0.0, 1.0, (n, d))
            targets = rng.permutation(np.arange(n) % 2).astype(float)
        d = inputs.shape[1]
        cases[label] = {"W": rng.normal(0.0, 0.8, d), "b": np.array(rng.normal(0.0, 0.8)),
                        "inputs": inputs, "targets": targets}
    return cases


def run_predict(predict, seed: int) -> dict:
    results = {}
    for label, c in logistic_inputs(seed, "predict").items():
        results[label] = attempt(lambda c=c: _array(predict(*map(_jax_tree, (c["W"], c["b"], c["inputs"])))))
    return results


def run_nll_loss(nll_loss, seed: int) -> dict:
    results = {}
    for label, c in logistic_inputs(seed, "nll_loss").items():
        results[label] = attempt(lambda c=c: _array(
            nll_loss(*map(_jax_tree, (c["W"], c["b"], c["inputs"], c["targets"])))))
    return results


def run_loss_and_grads(loss_and_grads, seed: int) -> dict:
    """{case: ok [loss, dL/dW, dL/db] | error}."""
    results = {}
    for label, c in logistic_inputs(seed, "loss_and_grads").items():
        def call(c=c):
            loss, grads = loss_and_grads(_jax_tree({"W": c["W"], "b": c["b"]}),
                                         _jax_tree(c["inputs"]), _jax_tree(c["targets"]))
            return [_array(loss), _array(grads["W"]), _array(grads["b"])]
        results[label] = attempt(call)
    return results


def probe_predict(predict) -> None:
    seed, local = seed_and_mode()
    report("mlp_logistic.predict", run_predict(predict, seed), seed, local)


def probe_nll_loss(nll_loss) -> None:
    seed, local = seed_and_mode()
    report("mlp_logistic.nll_loss", run_nll_loss(nll_loss, seed), seed, local)


def probe_loss_and_grads(loss_and_grads) -> None:
    seed, local = seed_and_mode()
    report("mlp_logistic.loss_and_grads", run_loss_and_grads(loss_and_grads, seed), seed, local)


# --- gradient checking ----------------------------------------------------------------

# Curved functions, so that forward and central differences differ visibly at these steps.
SCALAR_FUNCTIONS = {
    "x**3 - 0.3*x**4 - 2*sin(x)": lambda x: x ** 3 - 0.3 * x ** 4 - 2 * np.sin(x),
    "exp(sin(x))": lambda x: np.exp(np.sin(x)),
    "log(1 + x**2)": lambda x: np.log(1 + x ** 2),
    "1 / (1 + exp(-3*x))": lambda x: 1 / (1 + np.exp(-3 * x)),
}
STEPS = (1e-1, 1e-2, 1e-3)


def scalar_points(seed: int) -> list[float]:
    return [float(x) for x in rng_for(seed, "mlp_logistic.central_difference").uniform(-2.0, 2.0, 3)]


def fd_key(label: str, x: float, h: float) -> str:
    return f"{label} at x={x:.17g} h={h:g}"


def run_central_difference(central_difference, seed: int) -> dict:
    results = {}
    for label, f in SCALAR_FUNCTIONS.items():
        for x in scalar_points(seed):
            for h in STEPS:
                results[fd_key(label, x, h)] = attempt(lambda f=f, x=x, h=h: _array(central_difference(f, x, h)))
    return results


def probe_central_difference(central_difference) -> None:
    seed, local = seed_and_mode()
    report("mlp_logistic.central_difference", run_central_difference(central_difference, seed), seed, local)


_LOGISTIC_X = np.array([[0.3, -1.2, 0.8, 0.1], [-0.7, 0.4, 1.5, -0.2], [1.1, 0.9, -0.6, 0.5]])
_LOGISTIC_Y = np.array([1.0, 0.0, 1.0])

VECTOR_FUNCTIONS = {
    "sum(x**3)": lambda x: np.sum(x ** 3),
    "log(sum(exp(x)))": lambda x: np.log(np.sum(np.exp(x))),
    "rosenbrock(x)": lambda x: np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2),
    "logistic nll(x)": lambda x: -np.sum(_LOGISTIC_Y * np.log(1 / (1 + np.exp(-_LOGISTIC_X @ x)))
                                         + (1 - _LOGISTIC_Y) * np.log(1 / (1 + np.exp(_LOGISTIC_X @ x)))),
}
DIRECTIONAL_STEPS = (1e-1, 1e-3)
DIM = 4


def directional_inputs(seed: int) -> list[dict]:
    """Two points per function: one with a unit direction, one with a direction of length 1.5 to 3."""
    rng = rng_for(seed, "mlp_logistic.directional_derivative")
    cases = []
    for label in VECTOR_FUNCTIONS:
        for kind in ("unit", "scaled"):
            x = rng.uniform(-1.2, 1.2, DIM)
            v = rng.normal(0.0, 1.0, DIM)
            v /= np.linalg.norm(v)
            if kind == "scaled":
                v *= rng.uniform(1.5, 3.0)
            for h in DIRECTIONAL_STEPS:
                cases.append({"label": label, "kind": kind, "x": x, "v": v, "h": h,
                              "key": f"{label} [{kind} v] case {len(cases)} h={h:g}"})
    return cases


def run_directional_derivative(directional_derivative_fd, seed: int) -> dict:
    results = {}
    for c in directional_inputs(seed):
        f = VECTOR_FUNCTIONS[c["label"]]
        results[c["key"]] = attempt(lambda c=c, f=f: _array(
            directional_derivative_fd(f, c["x"].copy(), c["v"].copy(), c["h"])))
    return results


def probe_directional_derivative(directional_derivative_fd) -> None:
    seed, local = seed_and_mode()
    report("mlp_logistic.directional_derivative",
           run_directional_derivative(directional_derivative_fd, seed), seed, local)
