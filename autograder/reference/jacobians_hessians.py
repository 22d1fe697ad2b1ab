"""Reference Jacobians, Hessian-vector products and Newton iterates for 06_jacobians_hessians.

Closed forms in NumPy float64, derived by hand for each test function that the probe module
builds from the seed. They share nothing with the student's code or with JAX, and they need
no compilation, so checking a submission is fast. tests/test_checks_jacobians_hessians.py
checks every formula here against JAX's jacfwd, jacrev and hessian.

Each value comes with a *scale*: the same formula with every term replaced by its absolute
value (and 1 - tanh**2 by 1, the size of what it is computed from). Rounding in float64 AD
leaves an error of a few eps times this scale whatever the order of the operations, so the
checks allow a fixed multiple of it (autograder.checks.jacobians_hessians).
"""

from __future__ import annotations

import numpy as np

from ..probes import jacobians_hessians as probes


def jacobian_fg(x: float, y: float) -> np.ndarray:
    """The Jacobian of f(x, y) = [x**2 y, 5 x + sin y]: rows are outputs, columns inputs."""
    return np.array([[2 * x * y, x**2], [5.0, np.cos(y)]])


# --- Jacobians of the vector test functions -------------------------------------------------


def jacobian(spec: probes.VectorFunction, params: dict, x: np.ndarray) -> np.ndarray:
    """The m x n Jacobian of one of the probe's vector functions at x."""
    p = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    x = np.asarray(x, dtype=float)
    if spec.kind == "tanh_layer":  # W2 tanh(W1 x + b)
        t = np.tanh(p["W1"] @ x + p["b"])
        return p["W2"] @ ((1 - t**2)[:, None] * p["W1"])
    if spec.kind == "sin_product":  # sin(A x) * (B x)
        ax, bx = p["A"] @ x, p["B"] @ x
        return (np.cos(ax) * bx)[:, None] * p["A"] + np.sin(ax)[:, None] * p["B"]
    if spec.kind == "square":  # A x + x0 cos(B x)
        bx = p["B"] @ x
        J = p["A"] - x[0] * np.sin(bx)[:, None] * p["B"]
        J[:, 0] += np.cos(bx)
        return J
    if spec.kind == "while_loop":  # y0 = B x; 4 times y <- tanh(C y) + B x
        y, dy = p["B"] @ x, p["B"].copy()
        for _ in range(4):
            t = np.tanh(p["C"] @ y)
            y, dy = t + p["B"] @ x, (1 - t**2)[:, None] * (p["C"] @ dy) + p["B"]
        return dy
    if spec.kind == "custom_vjp":  # W softplus(A x), softplus' = sigmoid
        sigmoid = 1 / (1 + np.exp(-(p["A"] @ x)))
        return p["W"] @ (sigmoid[:, None] * p["A"])
    raise ValueError(spec.kind)


def jacobian_scale(spec: probes.VectorFunction, params: dict, x: np.ndarray) -> np.ndarray:
    """The scale of each Jacobian entry: `jacobian` with every term taken in absolute value."""
    p = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    a = {k: np.abs(v) for k, v in p.items()}
    x = np.asarray(x, dtype=float)
    if spec.kind == "tanh_layer":
        return a["W2"] @ a["W1"]
    if spec.kind == "sin_product":
        ax, bx = p["A"] @ x, p["B"] @ x
        return np.abs(np.cos(ax) * bx)[:, None] * a["A"] + np.abs(np.sin(ax))[:, None] * a["B"]
    if spec.kind == "square":
        bx = p["B"] @ x
        S = a["A"] + np.abs(x[0] * np.sin(bx))[:, None] * a["B"]
        S[:, 0] += np.abs(np.cos(bx))
        return S
    if spec.kind == "while_loop":
        S = a["B"].copy()
        for _ in range(4):
            S = a["C"] @ S + a["B"]
        return S
    if spec.kind == "custom_vjp":
        sigmoid = 1 / (1 + np.exp(-(p["A"] @ x)))
        return a["W"] @ (sigmoid[:, None] * a["A"])
    raise ValueError(spec.kind)


# --- Gradients and Hessians of the scalar test functions ------------------------------------


def gradient_and_hessian(
    spec: probes.ScalarFunction, params: dict, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The gradient and the Hessian (a tilt g, where the parameters hold one, adds g to the gradient)."""
    g, H = _gradient_and_hessian(spec, params, x)
    return (g + np.asarray(params["g"], dtype=float), H) if "g" in params else (g, H)


def _gradient_and_hessian(spec, params, x):
    p = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    x = np.asarray(x, dtype=float)
    n = x.size
    if spec.kind in ("logsumexp_quadratic", "rippled_bowl"):  # logsumexp(A x + b) + x Q x / 2 (+ ripple)
        z = p["A"] @ x + p["b"]
        w = np.exp(z - z.max())
        w /= w.sum()  # softmax(z)
        g = p["A"].T @ w + p["Q"] @ x
        H = p["A"].T @ (np.diag(w) - np.outer(w, w)) @ p["A"] + p["Q"]
        if spec.kind == "rippled_bowl":  # + a sum(cos(k x)): a k**2 cos(k x) on the diagonal
            a, k = probes.RIPPLE_AMPLITUDE, probes.RIPPLE_FREQUENCY
            g = g - a * k * np.sin(k * x)
            H = H - np.diag(a * k**2 * np.cos(k * x))
        return g, H
    if spec.kind == "rosenbrock":  # sum b (x[i+1] - x[i]**2)**2 + (a - x[i])**2
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
    if spec.kind == "coupled_sines":  # sum w[i] sin(x[i]) x[i-1] + (x.x)**2 / 4
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


def hessian_scale(spec: probes.ScalarFunction, params: dict, x: np.ndarray) -> np.ndarray:
    """The scale of each Hessian entry: the Hessian with every term taken in absolute value."""
    p = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    x = np.asarray(x, dtype=float)
    n = x.size
    if spec.kind in ("logsumexp_quadratic", "rippled_bowl"):
        z = p["A"] @ x + p["b"]
        w = np.exp(z - z.max())
        w /= w.sum()
        aA = np.abs(p["A"])
        S = aA.T @ (np.diag(w) + np.outer(w, w)) @ aA + np.abs(p["Q"])
        if spec.kind == "rippled_bowl":
            S = S + np.diag(
                np.abs(
                    probes.RIPPLE_AMPLITUDE * probes.RIPPLE_FREQUENCY**2 * np.cos(probes.RIPPLE_FREQUENCY * x)
                )
            )
        return S
    if spec.kind == "rosenbrock":
        b = float(p["b"])
        S = np.zeros((n, n))
        for i in range(n - 1):
            S[i, i] += 12 * b * x[i] ** 2 + 4 * b * abs(x[i + 1]) + 2
            S[i + 1, i + 1] += 2 * b
            S[i, i + 1] += 4 * b * abs(x[i])
            S[i + 1, i] += 4 * b * abs(x[i])
        return S
    if spec.kind == "coupled_sines":
        w = p["w"]
        S = (x @ x) * np.eye(n) + 2 * np.outer(np.abs(x), np.abs(x))
        for i in range(n):
            j = (i - 1) % n
            S[i, i] += abs(w[i] * np.sin(x[i]) * x[j])
            S[i, j] += abs(w[i] * np.cos(x[i]))
            S[j, i] += abs(w[i] * np.cos(x[i]))
        return S
    raise ValueError(spec.kind)


def hvp(spec: probes.ScalarFunction, params: dict, x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """H(x) v."""
    return gradient_and_hessian(spec, params, x)[1] @ np.asarray(v, dtype=float)


def hvp_scale(spec: probes.ScalarFunction, params: dict, x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The scale of each entry of H(x) v: |H| |v|, |H| term by term (hessian_scale)."""
    return hessian_scale(spec, params, x) @ np.abs(np.asarray(v, dtype=float))


def newton_iterates(
    spec: probes.ScalarFunction, params: dict, x0: np.ndarray, steps: int, damping: float
) -> np.ndarray:
    """[x0, x1, ..., x_steps] with x_{k+1} = x_k - damping * H(x_k)^{-1} grad f(x_k)."""
    xs = [np.asarray(x0, dtype=float)]
    for _ in range(steps):
        xs.append(newton_step(spec, params, xs[-1], damping)[0])
    return np.array(xs)


def newton_step(
    spec: probes.ScalarFunction, params: dict, x: np.ndarray, damping: float
) -> tuple[np.ndarray, float]:
    """(x - damping * H(x)^{-1} grad f(x), its scale): max |x| + cond(H(x)) max |step|, what rounding
    in forming and solving for the step moves the new point by, in units of eps.

    Raises FloatingPointError where the Hessian is singular or the numbers are not finite."""
    x = np.asarray(x, dtype=float)
    with np.errstate(all="ignore"):
        g, H = gradient_and_hessian(spec, params, x)
        if not (np.isfinite(g).all() and np.isfinite(H).all()):
            raise FloatingPointError("the gradient or the Hessian is not finite there")
        condition = np.linalg.cond(H)
        if not np.isfinite(condition) or condition > 1e12:
            raise FloatingPointError("the Hessian is singular there")
        step = damping * np.linalg.solve(H, g)
    return x - step, float(np.max(np.abs(x)) + condition * np.max(np.abs(step)))
