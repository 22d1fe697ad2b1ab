"""Reference values for the 07_ad_in_practice probes, in float64, in the grader's process.

- exprel and the log-sigmoid: formulas written so that they lose no digits (a Taylor
  series near 0, `expm1`/`log1p` and exponentials of -|x| elsewhere);
- the fixed point: iterated in NumPy to convergence, and its gradient by the implicit
  function theorem with the map's Jacobians in closed form;
- the checkpointed simulation: the course's RK4 (autograder.rlc) and its sensitivities by
  JAX forward mode (autograder.reference.rlc).

None of them uses anything the student computed. tests/test_checks_ad_in_practice.py checks
them against mpmath and against JAX differentiating the same programs.
"""

from __future__ import annotations

import math

import numpy as np

from ..probes import ad_in_practice as probes

# --- exprel(x) = (exp(x) - 1) / x -----------------------------------------------------------

_TERMS = 30
_FACTORIALS = np.array([math.factorial(k + 1) for k in range(_TERMS)], dtype=float)  # (k + 1)!


def exprel(xs) -> tuple[np.ndarray, np.ndarray]:
    """(exprel(x), exprel'(x)) at each x: the Taylor series sum x^k / (k+1)! for |x| < 1/2,
    the closed forms expm1(x) / x and (x e^x - expm1(x)) / x^2 elsewhere (|x| <= 700)."""
    xs = np.asarray(xs, dtype=float)
    values, slopes = np.empty_like(xs), np.empty_like(xs)
    k = np.arange(_TERMS)
    for i, x in enumerate(xs.flat):
        if abs(x) < 0.5:
            values.flat[i] = np.sum(x**k / _FACTORIALS)
            slopes.flat[i] = np.sum(k[1:] * x ** (k[1:] - 1) / _FACTORIALS[1:])
        else:
            values.flat[i] = np.expm1(x) / x
            slopes.flat[i] = (x * np.exp(x) - np.expm1(x)) / x**2
    return values, slopes


# --- log sigmoid(x) = -log(1 + exp(-x)) -------------------------------------------------------


def sigmoid(xs) -> np.ndarray:
    """1 / (1 + exp(-x)) without overflow."""
    xs = np.asarray(xs, dtype=float)
    e = np.exp(-np.abs(xs))
    return np.where(xs >= 0, 1 / (1 + e), e / (1 + e))


def log_sigmoid(xs) -> tuple[np.ndarray, np.ndarray]:
    """(log sigmoid(x), its derivative sigmoid(-x)) at each x."""
    xs = np.asarray(xs, dtype=float)
    return np.minimum(xs, 0.0) - np.log1p(np.exp(-np.abs(xs))), sigmoid(-xs)


# --- the fixed point y = f(y, a) of f(y, a) = scale * tanh(W y + B a + b) + D a -------------


def _map_and_jacobians(params: dict, y: np.ndarray, a: np.ndarray):
    p = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    t = np.tanh(p["W"] @ y + p["B"] @ a + p["b"])
    inner = float(p["scale"]) * (1 - t**2)
    f = float(p["scale"]) * t + p["D"] @ a
    return f, inner[:, None] * p["W"], inner[:, None] * p["B"] + p["D"]


def fixed_point(params: dict, a, y0, tol: float = 1e-15, max_steps: int = 100_000) -> np.ndarray:
    """y with y = f(y, a), by iteration from y0 until it stops moving."""
    a, y = np.asarray(a, dtype=float), np.asarray(y0, dtype=float)
    for _ in range(max_steps):
        new = _map_and_jacobians(params, y, a)[0]
        if np.max(np.abs(new - y)) <= tol * (1 + np.max(np.abs(new))):
            return new
        y = new
    raise RuntimeError("the reference fixed-point iteration did not converge")


def fixed_point_vjp(params: dict, a, y0, v) -> tuple[np.ndarray, np.ndarray]:
    """(y*, a_bar): a_bar = (df/da)^T w with (I - df/dy)^T w = v, all at (y*, a)."""
    y = fixed_point(params, a, y0)
    _, f_y, f_a = _map_and_jacobians(params, y, np.asarray(a, dtype=float))
    w = np.linalg.solve((np.eye(y.size) - f_y).T, np.asarray(v, dtype=float))
    return y, f_a.T @ w


def fixed_point_mistakes(params: dict, a, y0, v) -> dict[str, np.ndarray]:
    """Gradients that plausible mistakes give, for the check's hints."""
    y = fixed_point(params, a, y0)
    _, f_y, f_a = _map_and_jacobians(params, y, np.asarray(a, dtype=float))
    v = np.asarray(v, dtype=float)
    identity = np.eye(y.size)
    return {
        "one step": f_a.T @ v,
        "transpose": f_a.T @ np.linalg.solve(identity - f_y, v),
    }


# --- the RK4 simulation with substeps --------------------------------------------------------


def fine_times(substeps: int) -> np.ndarray:
    """The time grid of `substeps` equal RK4 steps per observation interval."""
    from ..rlc import TIMES

    return np.linspace(TIMES[0], TIMES[-1], (len(TIMES) - 1) * substeps + 1)


def checkpointed_charges(case: probes.ChargesCase) -> tuple[np.ndarray, np.ndarray]:
    """(Q at the 200 observation times, d(v . Q)/d(R, L)) through the same RK4 steps."""
    from .rlc import reference_sensitivities

    Q, dR, dL = reference_sensitivities(case.R, case.L, fine_times(case.substeps))
    every = slice(None, None, case.substeps)
    return Q[every], np.array([case.weights @ dR[every], case.weights @ dL[every]])
