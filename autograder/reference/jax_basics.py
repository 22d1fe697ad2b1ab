"""Reference values for the 04_jax probes, computed in the grader's trusted process in float64.

Closed forms where they are short (the pytree model, the per-example logistic gradients,
the Gaussian likelihood), SymPy for derivatives of any order, JAX for the goldfield
(written once in autograder.probes.jax_basics) and `autograder.reference.rlc` for the
circuit. None of them uses anything the student computed.
"""
from __future__ import annotations

from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from ..probes import jax_basics as probes


def nth_derivative_values(label: str, n: int, xs) -> np.ndarray:
    """The n-th derivative by SymPy, evaluated in float64: exact formulas, independent of JAX."""
    return _nth_derivative_function(label, n)(np.asarray(xs, dtype=float)) * np.ones(len(xs))


@lru_cache(maxsize=None)
def _nth_derivative_function(label: str, n: int):
    import sympy as sp

    x = sp.Symbol("x", real=True)
    return sp.lambdify(x, sp.diff(probes.NTH_FUNCTIONS[label](sp, x), x, n), "numpy")


def pytree_value_and_grads(case: dict) -> tuple[float, np.ndarray, float]:
    """Closed forms for mean((tanh(X w + b) - y)**2): residual r, d/dw = mean(2 r (1 - t^2) x)."""
    X, y, w, b = (np.asarray(case[k], dtype=float) for k in ("X", "y", "w", "b"))
    t = np.tanh(X @ w + b)
    r = t - y
    chain = 2 * r * (1 - t ** 2) / y.size
    return float(np.mean(r ** 2)), chain @ X, float(np.sum(chain))


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


@lru_cache(maxsize=None)
def goldfield_minimum(well: int) -> tuple[float, float]:
    """The minimum of the landscape in the basin of one deposit: gradient descent from the
    deposit's centre with a small step, run far past convergence (the curvatures at the three
    minima lie between 3.6 and 5.2, so each step shrinks the distance by a factor 0.75 or less)."""
    a, b, _, _ = probes.GOLDFIELD_WELLS[well]
    p = np.array([a, b])
    for _ in range(300):
        p = p - 0.07 * goldfield_gradient(*p)
    return float(p[0]), float(p[1])


def goldfield_partial_x(x: float, y: float) -> float:
    return float(goldfield_gradient(x, y)[0])


def count_local_minima(Z: np.ndarray) -> int:
    """Interior grid points no higher than their 8 neighbours, counting each plateau once."""
    from scipy import ndimage

    Z = np.asarray(Z, dtype=float)
    lowest_around = ndimage.minimum_filter(Z, size=3, mode="nearest")
    is_min = np.zeros_like(Z, dtype=bool)
    is_min[1:-1, 1:-1] = Z[1:-1, 1:-1] <= lowest_around[1:-1, 1:-1]
    _, count = ndimage.label(is_min, structure=np.ones((3, 3)))
    return int(count)
