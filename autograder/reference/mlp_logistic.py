"""Reference values for 05_mlp_logistic, in float64 NumPy closed forms.

Nothing here uses automatic differentiation: the gradients are written out by hand (the
backward pass of a one-hidden-layer tanh network, the logistic-regression gradient
X^T (p - y)), so they check JAX's answers independently. tests/test_checks_mlp_logistic.py
confirms them against `jax.grad` once.
"""

from __future__ import annotations

import numpy as np

PARAM_NAMES = ("W1", "b1", "W2", "b2")


def mlp_forward(params: dict, X: np.ndarray) -> np.ndarray:
    """tanh(X @ W1 + b1) @ W2 + b2, shape (N, d_out)."""
    hidden = np.tanh(X @ params["W1"] + params["b1"])
    return hidden @ params["W2"] + params["b2"]


def mse_and_grads(params: dict, X: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    """mean((mlp(X) - y)**2) over all N * d_out entries, and its gradient by backpropagation."""
    hidden = np.tanh(X @ params["W1"] + params["b1"])
    residual = hidden @ params["W2"] + params["b2"] - y
    d_out = 2.0 * residual / residual.size  # dL/d(output)
    d_pre = (d_out @ params["W2"].T) * (1.0 - hidden**2)  # dL/d(X @ W1 + b1): tanh' = 1 - tanh^2
    grads = {"W1": X.T @ d_pre, "b1": d_pre.sum(axis=0), "W2": hidden.T @ d_out, "b2": d_out.sum(axis=0)}
    return float(np.mean(residual**2)), grads


def mse_grad_scales(params: dict, X: np.ndarray, y: np.ndarray) -> dict:
    """The scale of each gradient entry: the backward pass of mse_and_grads with every term in
    absolute value (and tanh' = 1 - tanh**2 counted as 1, the size of what it is computed from)."""
    hidden = np.tanh(X @ params["W1"] + params["b1"])
    d_out = 2.0 * np.abs(hidden @ params["W2"] + params["b2"] - y) / y.size
    d_pre = d_out @ np.abs(params["W2"]).T
    return {
        "W1": np.abs(X).T @ d_pre,
        "b1": d_pre.sum(axis=0),
        "W2": np.abs(hidden).T @ d_out,
        "b2": d_out.sum(axis=0),
    }


def sgd_step(params: dict, X: np.ndarray, y: np.ndarray, lr: float) -> tuple[dict, float]:
    loss, grads = mse_and_grads(params, X, y)
    return {k: params[k] - lr * grads[k] for k in PARAM_NAMES}, loss


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)), written so that neither branch overflows."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def predict(W, b, inputs) -> np.ndarray:
    return sigmoid(inputs @ W + b)


def nll(W, b, inputs, targets) -> float:
    """-sum(y log p + (1 - y) log(1 - p)), with log p = -log(1 + exp(-z)) computed stably."""
    z = inputs @ W + b
    log_p = -np.logaddexp(0.0, -z)
    log_1mp = -np.logaddexp(0.0, z)
    return float(-np.sum(targets * log_p + (1.0 - targets) * log_1mp))


def nll_grads(W, b, inputs, targets) -> tuple[np.ndarray, float]:
    """(dL/dW, dL/db) = (X^T (p - y), sum(p - y)): sigma' = sigma (1 - sigma) cancels the logs."""
    r = predict(W, b, inputs) - targets
    return inputs.T @ r, float(np.sum(r))


def checker_errors(case: dict) -> np.ndarray:
    """The true relative error of the derivative rule of one of the checker's functions, along
    each of its directions: |rule . v - gradient . v| / |gradient . v| (0 where it is exact)."""
    spec, params, gradient = case["spec"], case["params"], case["gradient"]
    true = case["directions"] @ gradient
    if spec.kind == "steep":
        return np.zeros(len(true))
    claimed = case["directions"] @ (spec.factor * gradient + spec.scale * params["delta"])
    return np.abs(claimed - true) / np.abs(true)
