"""Reference forward-mode derivatives for the dual-number probes: `jax.jvp` in float64."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ..probes.dual_numbers import Case


def reference_case(case: Case, data: dict) -> tuple[np.ndarray, np.ndarray | None]:
    """(values, derivatives) of one case at all its points; derivatives is None for comparisons."""
    c = data["c"]
    if case.kind == "bool":
        return np.asarray(case.fn(np, np.asarray(data["a"]), np.asarray(data["b"]), c), dtype=float), None

    def f(x, y):
        return case.fn(jnp, x, y, c)

    primal, tangent = jax.jvp(f, (jnp.asarray(data["a"]), jnp.asarray(data["b"])),
                              (jnp.asarray(data["da"]), jnp.asarray(data["db"])))
    return np.asarray(primal, dtype=float), np.asarray(tangent, dtype=float)


def reference_derivative(fn, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(x) and f'(x) elementwise for fn(m, x) written against the numpy API."""
    primal, tangent = jax.jvp(lambda v: fn(jnp, v), (jnp.asarray(x),), (jnp.ones_like(jnp.asarray(x)),))
    return np.asarray(primal, dtype=float), np.asarray(tangent, dtype=float)
