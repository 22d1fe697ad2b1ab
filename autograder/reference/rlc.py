"""The RLC model of notebooks 02-04, and its reference gradient: JAX through the same RK4.

    L Q'' + R Q' + Q / C = E,  state s = [Q', Q],  s(0) = [0, 0],
    times = linspace(0, 200, 200),  classic RK4 with the constant step times[1] - times[0],
    loss(R, L) = mean over all 200 times (t = 0 included) of (Q(t; R, L) - Qhat(t))**2.

`reference_dloss` differentiates exactly this discretisation (not the ODE), in float64,
with `lax.scan` so that compiling it does not unroll 199 steps.
"""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

C = 2.0
E = 60.0
TIMES = np.linspace(0.0, 200.0, 200)
TRUE_R, TRUE_L = 1.0, 10.0


def rlc_rhs(state, R, L):
    dq, q = state[0], state[1]
    return jnp.stack([(E - R * dq - q / C) / L, dq])


def rk4_step(state, dt, R, L):
    k1 = rlc_rhs(state, R, L)
    k2 = rlc_rhs(state + dt / 2 * k1, R, L)
    k3 = rlc_rhs(state + dt / 2 * k2, R, L)
    k4 = rlc_rhs(state + dt * k3, R, L)
    return state + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


@partial(jax.jit, static_argnames="n")
def _charge(R, L, dt, n):
    def step(state, _):
        new = rk4_step(state, dt, R, L)
        return new, new[1]

    _, qs = jax.lax.scan(step, jnp.zeros(2), None, length=n - 1)
    return jnp.concatenate([jnp.zeros(1), qs])


def charge(R, L, times=TIMES):
    """Q at every time of `times` (Q(0) = 0 included), by RK4 with a constant step."""
    times = np.asarray(times, dtype=float)
    return _charge(jnp.float64(R), jnp.float64(L), jnp.float64(times[1] - times[0]), len(times))


def loss(R, L, Qhat, times=TIMES):
    return jnp.mean((charge(R, L, times) - jnp.asarray(Qhat)) ** 2)


_grad = jax.jit(jax.grad(lambda R, L, Qhat, dt: jnp.mean((_charge(R, L, dt, Qhat.shape[0]) - Qhat) ** 2),
                         argnums=(0, 1)))


def reference_dloss(Qhat, R, L, times=TIMES) -> np.ndarray:
    """[d loss / dR, d loss / dL] through the RK4 discretisation, float64."""
    times = np.asarray(times, dtype=float)
    dR, dL = _grad(jnp.float64(R), jnp.float64(L), jnp.asarray(Qhat, dtype=jnp.float64),
                   jnp.float64(times[1] - times[0]))
    return np.array([float(dR), float(dL)])


_sensitivities = jax.jit(jax.jacfwd(_charge, argnums=(0, 1)), static_argnames="n")


def reference_sensitivities(R, L, times=TIMES) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Q, dQ/dR, dQ/dL) at every time of `times`, through the same RK4, float64."""
    times = np.asarray(times, dtype=float)
    args = (jnp.float64(R), jnp.float64(L), jnp.float64(times[1] - times[0]), len(times))
    dR, dL = _sensitivities(*args)
    return np.asarray(_charge(*args), dtype=float), np.asarray(dR, dtype=float), np.asarray(dL, dtype=float)
