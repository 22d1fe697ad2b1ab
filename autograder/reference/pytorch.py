"""Reference reverse-mode derivatives for the probes of 03_pytorch: `jax.vjp` in float64."""

from __future__ import annotations

from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from ..probes import pytorch as probes
from ..probes.pytorch import Case, sgd_loss


def reference_case(case: Case, data: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, d out/dx, d out/dy) of one Var case at all its points.

    Every case is elementwise in its inputs, so one vector-Jacobian product with a cotangent
    of ones gives the gradient at every point at once.
    """
    c = data["c"]
    a, b = jnp.asarray(data["a"], dtype=jnp.float64), jnp.asarray(data["b"], dtype=jnp.float64)
    primal, pullback = jax.vjp(lambda x, y: case.fn(jnp, x, y, c) + 0 * (x + y), a, b)
    dx, dy = pullback(jnp.ones_like(primal))
    return np.asarray(primal, dtype=float), np.asarray(dx, dtype=float), np.asarray(dy, dtype=float)


@lru_cache(maxsize=256)
def group_references(group: str, seed: int) -> tuple:
    """reference_case for every case of a group on one seed's inputs, computed once (the tests
    judge many answers on the same seeds; the 3,000-node chain is slow to trace)."""
    return tuple(
        reference_case(case, data) for case, data in zip(probes.GROUPS[group], probes.inputs(group, seed))
    )


def sgd_gradient(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Gradient of loss(p) = sum(a p**2 + sin(b p)) (the sgd_step probe's loss), by JAX."""
    return np.asarray(
        jax.grad(lambda q: sgd_loss(jnp, q, jnp.asarray(a), jnp.asarray(b)))(jnp.asarray(p)), dtype=float
    )


def sgd_trajectory(p0: np.ndarray, a: np.ndarray, b: np.ndarray, lr: float, rounds: int) -> list[np.ndarray]:
    """The parameters after each of `rounds` plain gradient-descent steps from p0."""
    p, out = np.asarray(p0, dtype=float), []
    for _ in range(rounds):
        p = p - lr * sgd_gradient(p, a, b)
        out.append(p)
    return out
