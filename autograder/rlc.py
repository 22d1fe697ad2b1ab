"""The RLC circuit of notebooks 02-04, stated once: the model, its RK4 solver and its loss.

    L Q'' + R Q' + Q / C = E,   C = 2,  E = 60,   state s = (Q', Q),  s(0) = (0, 0),
    times = linspace(0, 200, 200),  classic RK4 with the constant step times[1] - times[0],
    loss(R, L) = mean over all 200 times (t = 0 included) of (Q(t; R, L) - Qhat(t))**2.

The state is a tuple and the functions use only + - * /, so the very same code steps plain
floats, NumPy arrays, dual numbers, PyTorch tensors, and JAX tracers inside `lax.scan` (a
tuple is a pytree). The probes (inside the grader's sandbox, which holds this module next to
`autograder/probes/`), the JAX references and the benchmarks all import it.
"""

from __future__ import annotations

import numpy as np

C = 2.0
E = 60.0
TIMES = np.linspace(0.0, 200.0, 200)
DT = float(TIMES[1] - TIMES[0])
TRUE_R, TRUE_L = 1.0, 10.0
START = (0.0, 0.0)  # (Q'(0), Q(0)): the circuit starts uncharged, whatever R and L are


def rhs(state, R, L):
    """d/dt (Q', Q) = ((E - R Q' - Q / C) / L, Q')."""
    dq, q = state
    return ((E - R * dq - q / C) / L, dq)


def _shift(state, h, k):
    return tuple(s + h * ki for s, ki in zip(state, k))


def rk4_step(state, dt, R, L):
    """One classic Runge-Kutta step of size dt."""
    k1 = rhs(state, R, L)
    k2 = rhs(_shift(state, dt / 2, k1), R, L)
    k3 = rhs(_shift(state, dt / 2, k2), R, L)
    k4 = rhs(_shift(state, dt, k3), R, L)
    return tuple(s + dt / 6 * (a + 2 * b + 2 * c + d) for s, a, b, c, d in zip(state, k1, k2, k3, k4))


def charges(R, L, times=TIMES, start=START) -> list:
    """Q at every time of `times` (Q(0) included), stepping with RK4 in a Python loop."""
    dt = float(times[1] - times[0])  # a float, never a NumPy scalar next to a dual number
    state = tuple(start)
    out = [state[1]]
    for _ in range(len(times) - 1):
        state = rk4_step(state, dt, R, L)
        out.append(state[1])
    return out


def charge(R: float, L: float, times=TIMES) -> np.ndarray:
    """Q at every time of `times` as a float64 array."""
    return np.array(charges(float(R), float(L), times), dtype=float)


def noisy_data(
    rng: np.random.Generator, R_range=(0.7, 2.0), L_range=(6.0, 15.0), noise_range=(0.5, 3.0)
) -> tuple[np.ndarray, float, float]:
    """(Qhat, R0, L0): an RK4 charge curve at parameters drawn from rng, plus Gaussian noise."""
    R0, L0 = float(rng.uniform(*R_range)), float(rng.uniform(*L_range))
    noise = float(rng.uniform(*noise_range)) * rng.standard_normal(len(TIMES))
    return charge(R0, L0) + noise, R0, L0


def loss(Q, Qhat):
    """mean((Q - Qhat)**2) over all times, for arrays of any library."""
    return ((Q - Qhat) ** 2).mean()
