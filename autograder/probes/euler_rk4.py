"""Probes of 02_euler_rk4: seeding, one dual-number RK4 pass, and `dloss` on unseen data.

The data `Qhat` of the dloss probe is made here, with plain numpy, from the seed: an RK4
charge curve at "true" parameters drawn from the seed, plus Gaussian noise. The grader's
check (autograder.checks.euler_rk4) calls the very same functions, so both sides hold the
same numbers bit for bit.
"""
from __future__ import annotations

import numpy as np

from . import attempt, report, rng_for, seed_and_mode

C = 2.0
E = 60.0
TIMES = np.linspace(0.0, 200.0, 200)

# Parameters at which the student's code is run: a stable range of the model.
R_RANGE = (0.5, 3.0)
L_RANGE = (5.0, 20.0)
WRT = ("R", "L")


def _rhs(state, R, L):
    dq, q = state
    return np.array([(E - R * dq - q / C) / L, dq])


def rk4_charge(R: float, L: float) -> np.ndarray:
    """Q at every time of TIMES by classic RK4 in float64 (the model of the notebook)."""
    dt = TIMES[1] - TIMES[0]
    state = np.zeros(2)
    charges = [0.0]
    for _ in range(len(TIMES) - 1):
        k1 = _rhs(state, R, L)
        k2 = _rhs(state + dt / 2 * k1, R, L)
        k3 = _rhs(state + dt / 2 * k2, R, L)
        k4 = _rhs(state + dt * k3, R, L)
        state = state + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        charges.append(state[1])
    return np.array(charges)


def _draw_RL(rng, n):
    return [(float(rng.uniform(*R_RANGE)), float(rng.uniform(*L_RANGE))) for _ in range(n)]


# --- seed_inputs(R, L, wrt) -> (R_dual, L_dual, state0) ---------------------------------

def seeding_inputs(seed: int) -> list[tuple[float, float]]:
    return _draw_RL(rng_for(seed, "euler_rk4.seeding"), 3)


def _dual_parts(d, what):
    if not (hasattr(d, "value") and hasattr(d, "derivative")):
        raise TypeError(f"{what} is a {type(d).__name__}, not a Dual")
    return [float(d.value), float(d.derivative)]


def _seeding_parts(out):
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        raise TypeError("seed_inputs should return three things: (R_dual, L_dual, state0)")
    R_d, L_d, state0 = out
    if len(state0) != 2:
        raise TypeError(f"state0 should hold two Duals [Q'(0), Q(0)], it holds {len(state0)} items")
    return (_dual_parts(R_d, "R_dual") + _dual_parts(L_d, "L_dual")
            + _dual_parts(state0[0], "state0[0]") + _dual_parts(state0[1], "state0[1]"))


def run_seeding(seed_inputs, seed: int) -> list[dict]:
    """[{wrt: {'ok': [R, dR, L, dL, Q'0, dQ'0, Q0, dQ0]} | {'error': text}} per point]."""
    return [{wrt: attempt(lambda wrt=wrt, R=R, L=L: _seeding_parts(seed_inputs(R, L, wrt))) for wrt in WRT}
            for R, L in seeding_inputs(seed)]


def probe_seeding(seed_inputs) -> None:
    seed, local = seed_and_mode()
    report("euler_rk4.seeding", run_seeding(seed_inputs, seed), seed, local)


# --- dual_charge(R, L, wrt) -> (Q, dQ/dwrt) ---------------------------------------------

def dual_charge_inputs(seed: int) -> list[tuple[float, float]]:
    return _draw_RL(rng_for(seed, "euler_rk4.dual_charge"), 2)


def run_dual_charge(dual_charge, seed: int) -> list[dict]:
    """[{wrt: {'ok': [Q (200 numbers), dQ (200 numbers)]} | {'error': text}} per point]."""
    return [{wrt: attempt(dual_charge, R, L, wrt) for wrt in WRT} for R, L in dual_charge_inputs(seed)]


def probe_dual_charge(dual_charge) -> None:
    seed, local = seed_and_mode()
    report("euler_rk4.dual_charge", run_dual_charge(dual_charge, seed), seed, local)


# --- dloss(Qhat, R, L) -> [dloss/dR, dloss/dL] -------------------------------------------

DLOSS_POINTS = 4


def dloss_inputs(seed: int) -> list[tuple[np.ndarray, float, float]]:
    """(Qhat, R, L) per point: noisy data from parameters the student never sees."""
    rng = rng_for(seed, "euler_rk4.dloss")
    cases = []
    for _ in range(DLOSS_POINTS):
        R0, L0 = float(rng.uniform(0.7, 2.0)), float(rng.uniform(6.0, 15.0))
        noise = float(rng.uniform(0.5, 3.0)) * rng.standard_normal(len(TIMES))
        R, L = _draw_RL(rng, 1)[0]
        cases.append((rk4_charge(R0, L0) + noise, R, L))
    return cases


def run_dloss(dloss, seed: int) -> list[dict]:
    return [attempt(dloss, Qhat.copy(), R, L) for Qhat, R, L in dloss_inputs(seed)]


def probe_dloss(dloss) -> None:
    seed, local = seed_and_mode()
    report("euler_rk4.dloss", run_dloss(dloss, seed), seed, local)
