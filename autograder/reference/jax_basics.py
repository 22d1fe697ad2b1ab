"""Reference values for the 04_jax probes, computed in the grader's trusted process in float64.

Closed forms where they are short (the pytree model, the per-example logistic gradients,
the Gaussian likelihood), SymPy for derivatives of any order, JAX for the goldfield
(written once in autograder.probes.jax_basics) and `autograder.reference.rlc` for the
circuit. None of them uses anything the student computed.

Each derivative comes with a *scale*: the sum of the absolute values of the terms it is
made of (1 - tanh**2 counted as 1, the size of what it is computed from). Float64 AD in any
order of operations is off by a few eps times the scale; the checks allow a fixed multiple
of it (autograder.checks.jax_basics).
"""

from __future__ import annotations

from functools import cache, lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from ..probes import jax_basics as probes


def nth_derivative_values(label: str, n: int, xs) -> np.ndarray:
    """The n-th derivative by SymPy, evaluated in float64: exact formulas, independent of JAX."""
    return _nth_derivative_function(label, n)[0](np.asarray(xs, dtype=float)) * np.ones(len(xs))


def nth_derivative_scales(label: str, n: int, xs) -> np.ndarray:
    """The scale of the n-th derivative: the sum of |terms| of its expanded formula."""
    return _nth_derivative_function(label, n)[1](np.asarray(xs, dtype=float)) * np.ones(len(xs))


@cache
def _nth_derivative_function(label: str, n: int):
    import sympy as sp

    x = sp.Symbol("x", real=True)
    derivative = sp.diff(probes.NTH_FUNCTIONS[label](sp, x), x, n)
    scale = sum(sp.Abs(term) for term in sp.Add.make_args(sp.expand(derivative)))
    return sp.lambdify(x, derivative, "numpy"), sp.lambdify(x, scale, "numpy")


def pytree_value_and_grads(case: dict) -> tuple[float, np.ndarray, float]:
    """Closed forms for mean((tanh(X w + b) - y)**2): residual r, d/dw = mean(2 r (1 - t^2) x)."""
    X, y, w, b = (np.asarray(case[k], dtype=float) for k in ("X", "y", "w", "b"))
    t = np.tanh(X @ w + b)
    r = t - y
    chain = 2 * r * (1 - t**2) / y.size
    return float(np.mean(r**2)), chain @ X, float(np.sum(chain))


def pytree_grad_scales(case: dict) -> tuple[np.ndarray, float]:
    """The scales of d/dw and d/db: mean(2 |r| |x|) and mean(2 |r|)."""
    X, y, w, b = (np.asarray(case[k], dtype=float) for k in ("X", "y", "w", "b"))
    size = 2 * np.abs(np.tanh(X @ w + b) - y) / y.size
    return size @ np.abs(X), float(np.sum(size))


def per_example_grads(case: dict) -> np.ndarray:
    """Closed form, one example per row: d/dw log(1 + exp(-y w.x)) = -y x / (1 + exp(y w.x))."""
    X, Y, w = (np.asarray(case[k], dtype=float) for k in ("X", "Y", "w"))
    return (-Y / (1 + np.exp(Y * (X @ w))))[:, None] * X


def gaussian_nll(mu: float, log_sigma: float, data) -> tuple[float, float, float]:
    """Closed forms: mean negative log-likelihood and its derivatives by mu and log sigma."""
    data = np.asarray(data, dtype=float)
    z2 = np.mean((data - mu) ** 2) / np.exp(2 * log_sigma)
    value = 0.5 * z2 + log_sigma + 0.5 * np.log(2 * np.pi)
    return float(value), float(-np.mean(data - mu) / np.exp(2 * log_sigma)), float(1.0 - z2)


def gaussian_descent(data, learning_rate: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """((mu, sigma) after `steps` steps of gradient descent on (mu, log sigma) from (0, 0), and
    the scale of each: what rounding in exact gradients can move it by, in units of eps. Each
    step adds the size of its terms, |mu| + lr |d mu terms| (and the same for log sigma), and
    carries the error so far on, grown by at most 1 + lr * (the curvature's terms)."""
    data = np.asarray(data, dtype=float)
    mu, log_sigma, scale = 0.0, 0.0, 0.0
    for _ in range(steps):
        _, d_mu, d_log_sigma = gaussian_nll(mu, log_sigma, data)
        inv_var, spread, z2 = np.exp(-2 * log_sigma), np.mean(np.abs(data - mu)), np.mean((data - mu) ** 2)
        growth = 1 + learning_rate * inv_var * (1 + 2 * spread + 2 * z2)
        terms = max(
            abs(mu) + learning_rate * spread * inv_var, abs(log_sigma) + learning_rate * (1 + z2 * inv_var)
        )
        scale = growth * scale + terms
        mu, log_sigma = mu - learning_rate * d_mu, log_sigma - learning_rate * d_log_sigma
    sigma = float(np.exp(log_sigma))
    return np.array([mu, sigma]), np.array([scale, sigma * scale])


def gaussian_mle(data) -> tuple[float, float]:
    """The maximum-likelihood mean and standard deviation: the sample mean and the biased std."""
    data = np.asarray(data, dtype=float)
    return float(np.mean(data)), float(np.std(data))


@lru_cache(maxsize=1)
def _goldfield_grad():
    return jax.jit(jax.grad(lambda x, y: probes.goldfield(jnp, x, y), argnums=(0, 1)))


def goldfield_gradient(x: float, y: float) -> np.ndarray:
    gx, gy = _goldfield_grad()(jnp.float64(x), jnp.float64(y))
    return np.array([float(gx), float(gy)])


def goldfield_gradient_scale(x: float, y: float) -> np.ndarray:
    """The scales of df/dx and df/dy: |2 c x| + sum over the deposits of |d e (x - a) / w^2|, e the
    deposit's exponential (and the same for y)."""
    scale = 2 * probes.GOLDFIELD_BOWL * np.abs([x, y])
    for a, b, depth, width in probes.GOLDFIELD_WELLS:
        e = depth * np.exp(-((x - a) ** 2 + (y - b) ** 2) / (2 * width**2))
        scale = scale + e * np.abs([x - a, y - b]) / width**2
    return scale


def rlc_dloss_scale(Qhat, R: float, L: float) -> np.ndarray:
    """The scales of d loss/dR and d loss/dL: mean(2 |Q - Qhat| |dQ/dR|), and the same for L."""
    from .rlc import reference_sensitivities

    Q, dR, dL = reference_sensitivities(R, L)
    size = 2 * np.abs(Q - np.asarray(Qhat, dtype=float))
    return np.array([np.mean(size * np.abs(dR)), np.mean(size * np.abs(dL))])
