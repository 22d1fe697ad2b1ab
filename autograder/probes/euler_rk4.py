"""Probes of 02_euler_rk4: seeding, one dual-number RK4 pass, `dloss` and `dloss_vector` on unseen data.

The data `Qhat` of the dloss probe is made here, with plain numpy, from the seed: an RK4
charge curve (autograder.rlc, the one model of the course) at "true" parameters drawn from
the seed, plus Gaussian noise. The grader's check (autograder.checks.euler_rk4) calls the
very same functions, so both sides hold the same numbers bit for bit.
"""

from __future__ import annotations

import numpy as np

from .. import rlc
from . import attempt, probe

TIMES = rlc.TIMES

# Parameters at which the student's code is run: a stable range of the model.
R_RANGE = (0.5, 3.0)
L_RANGE = (5.0, 20.0)
WRT = ("R", "L")


def _draw_RL(rng, n):
    return [(float(rng.uniform(*R_RANGE)), float(rng.uniform(*L_RANGE))) for _ in range(n)]


# --- seed_inputs(R, L, wrt) -> (R_dual, L_dual, state0) ---------------------------------


def seeding_inputs(seed: int) -> list[tuple[float, float]]:
    return _draw_RL(probe_seeding.rng(seed), 3)


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
    return (
        _dual_parts(R_d, "R_dual")
        + _dual_parts(L_d, "L_dual")
        + _dual_parts(state0[0], "state0[0]")
        + _dual_parts(state0[1], "state0[1]")
    )


@probe
def probe_seeding(seed_inputs, seed: int) -> list[dict]:
    """[{wrt: {'ok': [R, dR, L, dL, Q'0, dQ'0, Q0, dQ0]} | {'error': text}} per point]."""
    return [
        {wrt: attempt(lambda wrt=wrt, R=R, L=L: _seeding_parts(seed_inputs(R, L, wrt))) for wrt in WRT}
        for R, L in seeding_inputs(seed)
    ]


# --- dual_charge(R, L, wrt) -> (Q, dQ/dwrt) ---------------------------------------------


def dual_charge_inputs(seed: int) -> list[tuple[float, float]]:
    return _draw_RL(probe_dual_charge.rng(seed), 2)


@probe
def probe_dual_charge(dual_charge, seed: int) -> list[dict]:
    """[{wrt: {'ok': [Q (200 numbers), dQ (200 numbers)]} | {'error': text}} per point]."""
    return [{wrt: attempt(dual_charge, R, L, wrt) for wrt in WRT} for R, L in dual_charge_inputs(seed)]


# --- dloss(Qhat, R, L) -> [dloss/dR, dloss/dL] -------------------------------------------

DLOSS_POINTS = 4


def dloss_inputs(seed: int) -> list[tuple[np.ndarray, float, float]]:
    """(Qhat, R, L) per point: noisy data from parameters the student never sees."""
    rng = probe_dloss.rng(seed)
    cases = []
    for _ in range(DLOSS_POINTS):
        Qhat, _, _ = rlc.noisy_data(rng)
        R, L = _draw_RL(rng, 1)[0]
        cases.append((Qhat, R, L))
    return cases


@probe
def probe_dloss(dloss, seed: int) -> list[dict]:
    return [attempt(dloss, Qhat.copy(), R, L) for Qhat, R, L in dloss_inputs(seed)]


# --- dloss_vector(Qhat, R, L): the same gradient from one simulation with vector tangents --------

VECTOR_POINTS = 2


def dloss_vector_inputs(seed: int) -> list[tuple[np.ndarray, float, float]]:
    """(Qhat, R, L) per point, drawn as for dloss but from this probe's own generator."""
    rng = probe_dloss_vector.rng(seed)
    return [(rlc.noisy_data(rng)[0], *_draw_RL(rng, 1)[0]) for _ in range(VECTOR_POINTS)]


def tangent_kind(derivative) -> str:
    """ "scalar" (one number), "vector" (two numbers, one per parameter) or "other"."""
    shape = np.shape(derivative)
    return "scalar" if shape == () else "vector" if shape == (2,) else "other"


class TangentCount:
    """Counts the Duals made while it is on, by the shape of their derivative part: the evidence
    that one simulation carried both derivatives (vectors) rather than one each (scalars)."""

    def __init__(self, Dual):
        self.Dual = Dual
        self.counts: dict[str, int] | None = None
        self.original = getattr(Dual, "__init__", None)

    def __enter__(self):
        original, counts = self.original, {"scalar": 0, "vector": 0, "other": 0}
        self.counts = counts
        if (
            not isinstance(self.Dual, type) or original is None
        ):  # not a class we can watch: no evidence, the check says so
            self.counts = None
            return self

        def counting_init(obj, *args, **kwargs):
            derivative = args[1] if len(args) > 1 else kwargs.get("derivative", 0.0)
            counts[tangent_kind(derivative)] += 1
            original(obj, *args, **kwargs)

        try:
            self.Dual.__init__ = counting_init  # type: ignore[misc]  # watched, then restored in __exit__
        except (AttributeError, TypeError):  # not a class we can watch: no evidence, the check says so
            self.counts = None
        return self

    def __exit__(self, *exc):
        if self.counts is not None:
            self.Dual.__init__ = self.original
        return False


@probe
def probe_dloss_vector(dloss_vector, Dual, seed: int) -> dict:
    """{'gradients': [{'ok': [dR, dL]} | {'error': text} per point], 'tangents': counts | None}."""
    with TangentCount(Dual) as watch:
        gradients = [attempt(dloss_vector, Qhat.copy(), R, L) for Qhat, R, L in dloss_vector_inputs(seed)]
    return {"gradients": gradients, "tangents": watch.counts}
