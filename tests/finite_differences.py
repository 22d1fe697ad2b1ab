"""Finite differences as wrong answers: the one catalogue the check tests of 04-06 share.

Where an exercise asks for exact AD, a finite difference must lose the points on every seed,
whatever its step. The check tests build their wrong answers from these pieces: forward and
central differences at every step of STEPS, judged on each of FD_SEEDS.
"""

from __future__ import annotations

import numpy as np
import pytest

STEPS = (1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8)
SCHEMES = ("forward", "central")
FD_SEEDS = tuple(range(7001, 7021))  # 20 fixed seeds
VARIANTS = [pytest.param(scheme, h, id=f"{scheme} h={h:g}") for scheme in SCHEMES for h in STEPS]


def difference(f, x, dx, h: float, scheme: str):
    """The derivative of f at x along dx by one difference quotient (x, dx: numbers or arrays)."""
    if scheme == "central":
        return (f(x + h * dx) - f(x - h * dx)) / (2 * h)
    return (f(x + h * dx) - f(x)) / h


def gradient(f, x, h: float, scheme: str) -> np.ndarray:
    """The gradient (or, for a vector f, the Jacobian, one column per input) of f at a 1-d x."""
    x = np.asarray(x, dtype=float)
    columns = [np.asarray(difference(f, x, e, h, scheme), dtype=float) for e in np.eye(x.size)]
    return np.stack(columns, axis=-1)
