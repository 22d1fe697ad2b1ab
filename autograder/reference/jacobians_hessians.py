"""Reference Jacobians, Hessian-vector products and Newton iterates for 06_jacobians_hessians.

Closed forms in NumPy float64, derived by hand for each test function that the probe module
builds from the seed. They share nothing with the student's code or with JAX, and they need
no compilation, so checking a submission is fast. tests/test_checks_jacobians_hessians.py
checks every formula here against JAX's jacfwd, jacrev and hessian.
"""
from __future__ import annotations

import numpy as np

from ..probes import jacobians_hessians as probes


def jacobian_fg(x: float, y: float) -> np.ndarray:
    """The Jacobian of f(x, y) = [x**2 y, 5 x + sin y]: rows are outputs, columns inputs."""
    return np.array([[2 * x * y, x ** 2], [5.0, np.cos(y)]])


# --- Jacobians of the vector test functions -------------------------------------------------

def jacobian(spec: probes.VectorFunction, params: dict, x: np.ndarray) -> np.ndarray:
    """The m x n Jacobian of one of the probe's vector functions at x."""
    p = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    x = np.asarray(x, dtype=float)
    if spec.kind == "tanh_layer":               # W2 tanh(W1 x + b)
        t = np.tanh(p["W1"] @ x + p["b"])
        return p["W2"] @ ((1 - t ** 2)[:, None] * p["W1"])
    if spec.kind == "sin_product":              # sin(A x) * (B x)
        ax, bx = p["A"] @ x, p["B"] @ x
        return (np.cos(ax) * bx)[:, None] * p["A"] + np.sin(ax)[:, None] * p["B"]
    if spec.kind == "square":                   # A x + x0 cos(B x)
        bx = p["B"] @ x
        J = p["A"] - x[0] * np.sin(bx)[:, None] * p["B"]
        J[:, 0] += np.cos(bx)
        return J
    if spec.kind == "while_loop":               # y0 = B x; 4 times y <- tanh(C y) + B x
        y, dy = p["B"] @ x, p["B"].copy()
        for _ in range(4):
            t = np.tanh(p["C"] @ y)
            y, dy = t + p["B"] @ x, (1 - t ** 2)[:, None] * (p["C"] @ dy) + p["B"]
        return dy
    if spec.kind == "custom_vjp":               # W softplus(A x), softplus' = sigmoid
        sigmoid = 1 / (1 + np.exp(-(p["A"] @ x)))
        return p["W"] @ (sigmoid[:, None] * p["A"])
    raise ValueError(spec.kind)


# --- Gradients and Hessians of the scalar test functions ------------------------------------

def gradient_and_hessian(spec: probes.ScalarFunction, params: dict, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    x = np.asarray(x, dtype=float)
    n = x.size
    if spec.kind == "logsumexp_quadratic":      # logsumexp(A x + b) + x Q x / 2
        z = p["A"] @ x + p["b"]
        w = np.exp(z - z.max())
        w /= w.sum()                            # softmax(z)
        g = p["A"].T @ w + p["Q"] @ x
        H = p["A"].T @ (np.diag(w) - np.outer(w, w)) @ p["A"] + p["Q"]
        return g, H
    if spec.kind == "rosenbrock":               # sum b (x[i+1] - x[i]**2)**2 + (a - x[i])**2
        a, b = float(p["a"]), float(p["b"])
        g, H = np.zeros(n), np.zeros((n, n))
        for i in range(n - 1):
            r = x[i + 1] - x[i] ** 2
            g[i] += -4 * b * x[i] * r - 2 * (a - x[i])
            g[i + 1] += 2 * b * r
            H[i, i] += 12 * b * x[i] ** 2 - 4 * b * x[i + 1] + 2
            H[i + 1, i + 1] += 2 * b
            H[i, i + 1] += -4 * b * x[i]
            H[i + 1, i] += -4 * b * x[i]
        return g, H
    if spec.kind == "coupled_sines":            # sum w[i] sin(x[i]) x[i-1] + (x.x)**2 / 4
        w = p["w"]
        s = x @ x
        g, H = s * x, s * np.eye(n) + 2 * np.outer(x, x)
        for i in range(n):
            j = (i - 1) % n
            g[i] += w[i] * np.cos(x[i]) * x[j]
            g[j] += w[i] * np.sin(x[i])
            H[i, i] += -w[i] * np.sin(x[i]) * x[j]
            H[i, j] += w[i] * np.cos(x[i])
            H[j, i] += w[i] * np.cos(x[i])
        return g, H
    raise ValueError(spec.kind)


def hvp(spec: probes.ScalarFunction, params: dict, x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """H(x) v."""
    return gradient_and_hessian(spec, params, x)[1] @ np.asarray(v, dtype=float)


def newton_iterates(spec: probes.ScalarFunction, params: dict, x0: np.ndarray, steps: int,
                    damping: float) -> np.ndarray:
    """[x0, x1, ..., x_steps] with x_{k+1} = x_k - damping * H(x_k)^{-1} grad f(x_k)."""
    xs = [np.asarray(x0, dtype=float)]
    for _ in range(steps):
        g, H = gradient_and_hessian(spec, params, xs[-1])
        xs.append(xs[-1] - damping * np.linalg.solve(H, g))
    return np.array(xs)
