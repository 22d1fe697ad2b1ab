"""Reference gradients of the RLC model (autograder.rlc): JAX through the same RK4, float64.

`reference_dloss` differentiates exactly the discretisation the notebooks use (not the ODE),
with the model's own `rk4_step` inside `lax.scan`, so that compiling it does not unroll 199
steps.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from .. import rlc
from ..rlc import TIMES


@partial(jax.jit, static_argnames="n")
def _charge(R, L, dt, n):
    def step(state, _):
        new = rlc.rk4_step(state, dt, R, L)
        return new, new[1]

    zero = jnp.zeros((), dtype=jnp.float64)
    _, qs = jax.lax.scan(step, (zero, zero), None, length=n - 1)
    return jnp.concatenate([jnp.zeros(1), qs])


def _args(R, L, times):
    times = np.asarray(times, dtype=float)
    return jnp.float64(R), jnp.float64(L), jnp.float64(times[1] - times[0]), len(times)


def charge(R, L, times=TIMES):
    """Q at every time of `times` (Q(0) = 0 included), by RK4 with a constant step."""
    return _charge(*_args(R, L, times))


def loss(R, L, Qhat, times=TIMES):
    return rlc.loss(charge(R, L, times), jnp.asarray(Qhat))


_grad = jax.jit(
    jax.grad(lambda R, L, Qhat, dt: rlc.loss(_charge(R, L, dt, Qhat.shape[0]), Qhat), argnums=(0, 1))
)


def reference_dloss(Qhat, R, L, times=TIMES) -> np.ndarray:
    """[d loss / dR, d loss / dL] through the RK4 discretisation, float64."""
    R, L, dt, _ = _args(R, L, times)
    dR, dL = _grad(R, L, jnp.asarray(Qhat, dtype=jnp.float64), dt)
    return np.array([float(dR), float(dL)])


_sensitivities = jax.jit(jax.jacfwd(_charge, argnums=(0, 1)), static_argnames="n")


def reference_sensitivities(R, L, times=TIMES) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Q, dQ/dR, dQ/dL) at every time of `times`, through the same RK4, float64."""
    args = _args(R, L, times)
    dR, dL = _sensitivities(*args)
    return np.asarray(_charge(*args), dtype=float), np.asarray(dR, dtype=float), np.asarray(dL, dtype=float)


def reference_dloss_and_scale(Qhat, R, L, times=TIMES) -> tuple[np.ndarray, np.ndarray]:
    """(the gradient, the size of the terms of each component): dloss/dp is the mean of the
    200 products 2 (Q - Qhat) dQ/dp, and its rounding is measured against their mean size."""
    want = reference_dloss(Qhat, R, L, times)
    Q, dQdR, dQdL = reference_sensitivities(R, L, times)
    residual = Q - np.asarray(Qhat, dtype=float)
    return want, np.array([2 * np.mean(np.abs(residual * d)) for d in (dQdR, dQdL)])
