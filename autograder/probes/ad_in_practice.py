"""Probes of 07_ad_in_practice: exprel, a stable log-sigmoid with its JVP rule, a fixed point
differentiated by the implicit function theorem, and an RK4 simulation checkpointed per interval.

Inputs are drawn from the seed and include, on every seed, the points where plausible
mistakes show: exactly 0 and tiny |x| for exprel, 0 and +-1000 for the log-sigmoid, a map
that needs hundreds of iterations for the fixed point, and two numbers of RK4 substeps for
the checkpointed simulation. The grader rebuilds the same inputs and computes references in
float64 (autograder.checks.ad_in_practice). This module decides nothing.

It imports JAX, which the notebook already uses.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from . import Traced, attempt, jaxprs, probe
from .jacobians_hessians import as_floats


def _jax():
    import jax
    import jax.numpy as jnp

    # The notebook's locked setup cell turns float64 on; a student who turned it off is still
    # tested in the precision the exercises ask for.
    jax.config.update("jax_enable_x64", True)
    return jax, jnp


def _signs(rng, n: int) -> np.ndarray:
    return rng.choice([-1.0, 1.0], n)


# --- Exercise exprel: (exp(x) - 1) / x and its derivative, accurate everywhere --------------

DECADES = range(-14, -1)  # one point in each decade 1e-14 .. 1e-1: every Taylor threshold is crossed


def exprel_inputs(seed: int) -> np.ndarray:
    """0, one point of random sign in each decade of DECADES, moderate and large points."""
    rng = probe_exprel.rng(seed)
    near_zero = _signs(rng, len(DECADES)) * 10.0 ** (np.array(DECADES) + rng.uniform(0, 1, len(DECADES)))
    moderate = rng.uniform(-5.0, 5.0, 5)
    large = _signs(rng, 5) * rng.uniform(5.0, 700.0, 5)
    return np.concatenate([[0.0], near_zero, moderate, large])


@probe
def probe_exprel(exprel, seed: int) -> dict:
    """exprel of all the points at once (it works elementwise), and its slope at each by jax.grad,
    each compiled once."""
    jax, jnp = _jax()
    xs = jnp.asarray(exprel_inputs(seed))
    return {
        "values": attempt(lambda: as_floats(jax.jit(exprel)(xs))),
        "slopes": attempt(lambda: as_floats(jax.jit(jax.vmap(jax.grad(exprel)))(xs))),
    }


# --- Exercise stable_log_sigmoid: log sigmoid(x) with a custom_jvp rule ----------------------

# On every seed: the kink of min(x, 0) and |x|, where exp(1000) overflows, and a value
# (-4.2e-18 at 40) that log(1 + tiny) rounds to 0.
FIXED_LOG_SIGMOID_POINTS = (0.0, 1000.0, -1000.0, 40.0, -40.0)


def log_sigmoid_inputs(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(points, tangents): fixed extremes, then ordinary, large and tiny points."""
    rng = probe_stable_log_sigmoid.rng(seed)
    xs = np.concatenate(
        [
            FIXED_LOG_SIGMOID_POINTS,
            rng.uniform(-30.0, 30.0, 6),
            _signs(rng, 5) * 10.0 ** rng.uniform(1.5, 4.0, 5),
            _signs(rng, 2) * 10.0 ** rng.uniform(-12, -3, 2),
        ]
    )
    tangents = rng.normal(size=xs.size) * 10.0 ** rng.uniform(-1, 1, xs.size)
    return xs, tangents


def _rule_outputs(rule, xs, dxs) -> list[np.ndarray]:
    jax, _ = _jax()
    out = jax.jit(lambda xs, dxs: rule((xs,), (dxs,)))(xs, dxs)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"the rule returned {type(out).__name__}, not the pair (primal_out, tangent_out)")
    return [as_floats(o) for o in out]


@probe
def probe_stable_log_sigmoid(stable_log_sigmoid, stable_log_sigmoid_jvp, seed: int) -> dict:
    """The function, its slope by jax.grad, and the rule called directly, all on every point at once."""
    jax, jnp = _jax()
    xs, dxs = (jnp.asarray(v) for v in log_sigmoid_inputs(seed))
    return {
        "values": attempt(lambda: as_floats(jax.jit(stable_log_sigmoid)(xs))),
        "slopes": attempt(lambda: as_floats(jax.jit(jax.vmap(jax.grad(stable_log_sigmoid)))(xs))),
        "rule": attempt(_rule_outputs, stable_log_sigmoid_jvp, xs, dxs),
    }


# --- Exercise fixed_point: implicit differentiation of y = f(y, a) ---------------------------

# Every map is f(y, a) = scale * tanh(W y + B a + b) + D a: one tanh per call, so tanh
# equations outside the student's custom rule are calls of f that JAX differentiates.
MARKER = "tanh"


@dataclass(frozen=True)
class FixedPointCase:
    label: str  # what the student sees in feedback
    kind: str  # how _fixed_point_params builds the map
    n: int  # length of y
    k: int  # length of a


FIXED_POINT_CASES = (
    FixedPointCase("notebook 6's settle map, y = tanh(y / 2) + a, y0 = a", "settle", 3, 3),
    FixedPointCase("y = tanh(W y + B a + b) with y of length 4 and a of length 2, y0 = 0", "layer", 4, 2),
    FixedPointCase(
        "y = rho * tanh(Q y) + a, a slow contraction (rho about 0.975: hundreds of iterations), y0 = 0",
        "slow",
        2,
        2,
    ),
)


def _spectral_scaled(rng, n: int, norm: float) -> np.ndarray:
    M = rng.normal(size=(n, n))
    return norm * M / np.linalg.norm(M, 2)


def _fixed_point_params(rng, case: FixedPointCase) -> dict:
    n, k = case.n, case.k
    if case.kind == "settle":
        return {"scale": 1.0, "W": np.eye(n) / 2, "B": np.zeros((n, k)), "b": np.zeros(n), "D": np.eye(n)}
    if case.kind == "layer":
        return {
            "scale": 1.0,
            "W": _spectral_scaled(rng, n, 0.7),
            "B": rng.normal(size=(n, k)),
            "b": rng.normal(size=n) / 2,
            "D": np.zeros((n, k)),
        }
    if case.kind == "slow":
        angle = rng.uniform(0.3, 1.2)
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        return {
            "scale": float(rng.uniform(0.97, 0.98)),
            "W": rotation,
            "B": np.zeros((n, k)),
            "b": np.zeros(n),
            "D": np.eye(n),
        }
    raise ValueError(case.kind)


def fixed_point_inputs(seed: int) -> list[tuple[FixedPointCase, dict, np.ndarray, np.ndarray, np.ndarray]]:
    """For each case: (case, map parameters, a, y0, cotangent v of the loss v . y*)."""
    rng = probe_fixed_point.rng(seed)
    out = []
    for case in FIXED_POINT_CASES:
        params = _fixed_point_params(rng, case)
        # small a keeps the slow fixed point near 0, where tanh' is 1 and the contraction is rho
        a = rng.uniform(-0.02, 0.02, case.k) if case.kind == "slow" else rng.uniform(-1.5, 1.5, case.k)
        y0 = a.copy() if case.kind == "settle" else np.zeros(case.n)
        out.append((case, params, a, y0, rng.normal(size=case.n)))
    return out


@functools.cache
def _fixed_point_kernel():
    """f(y, a, p) for every case, jitted once: the parameters are arguments."""
    jax, jnp = _jax()
    return jax.jit(lambda y, a, p: p["scale"] * jnp.tanh(p["W"] @ y + p["B"] @ a + p["b"]) + p["D"] @ a)


def build_map(params: dict):
    """The map f(y, a) of one case, written with jax.numpy."""
    _, jnp = _jax()
    kernel = _fixed_point_kernel()
    p = {k: jnp.asarray(v, dtype=jnp.float64) for k, v in params.items()}
    return lambda y, a: kernel(y, a, p)


@probe
def probe_fixed_point(fixed_point, seed: int) -> Traced:
    """The fixed point and the gradient of v . y*, both computed by the program JAX traces from
    fixed_point; what of that program lies outside custom rules shows whether JAX would
    differentiate the iterations itself."""
    jax, jnp = _jax()
    results, outside = {}, []

    def value_and_gradient(f, a, y0, v):
        closed, shape = jax.make_jaxpr(lambda a: fixed_point(f, a, y0), return_shape=True)(a)
        outside.append(jaxprs.outside_custom_rules(closed, MARKER))
        if getattr(shape, "shape", None) != v.shape:  # judged by the check; no gradient to take
            return [as_floats(jaxprs.traced_call(lambda a: fixed_point(f, a, y0), a)[0]), []]
        program = lambda a: jaxprs.as_fun(closed)(a)[0]
        y, gradient = jax.jit(lambda a: (program(a), jax.grad(lambda a: jnp.vdot(v, program(a)))(a)))(a)
        return [as_floats(y), as_floats(gradient)]

    for case, params, a, y0, v in fixed_point_inputs(seed):
        f = build_map(params)
        results[case.label] = attempt(value_and_gradient, f, jnp.asarray(a), jnp.asarray(y0), jnp.asarray(v))
    if outside:
        traced = {key: max(o[key] for o in outside) for key in ("loops", "marked", "custom_rules")}
    else:
        traced = {"error": "fixed_point raised before JAX could trace it"}
    return Traced(results, traced)


# --- Exercise checkpointed_charges: RK4 with one checkpoint per observation interval ---------


@dataclass(frozen=True)
class ChargesCase:
    R: float
    L: float
    substeps: int  # the simulation whose values and gradient are checked
    weights: np.ndarray  # the cotangent v of the loss v . Q

    @property
    def memory_substeps(self) -> tuple[int, int]:
        """The two numbers of substeps whose residuals are compared: they must not grow."""
        return self.substeps, 4 * self.substeps


def checkpointed_charges_inputs(seed: int) -> ChargesCase:
    rng = probe_checkpointed_charges.rng(seed)
    return ChargesCase(
        float(rng.uniform(0.7, 2.0)),
        float(rng.uniform(6.0, 15.0)),
        int(rng.integers(2, 5)),
        rng.normal(size=200),
    )


def residual_bytes(f, *args) -> int:
    """Bytes of the residuals jax.vjp(f, *args) keeps for the backward pass, found by tracing."""
    jax, _ = _jax()
    pullback = jax.eval_shape(lambda *a: jax.vjp(f, *a)[1], *args)
    return int(
        sum(
            math.prod(leaf.shape) * np.dtype(leaf.dtype).itemsize
            for leaf in jax.tree_util.tree_leaves(pullback)
        )
    )


@probe
def probe_checkpointed_charges(checkpointed_charges, seed: int) -> dict:
    """Q and d(v . Q)/d(R, L) for one simulation, compiled once; and the bytes of the residuals
    jax.vjp keeps at two numbers of substeps, found by tracing (nothing runs)."""
    jax, jnp = _jax()
    case = checkpointed_charges_inputs(seed)
    R, L = jnp.float64(case.R), jnp.float64(case.L)

    def simulation(substeps: int):
        return lambda R, L: jnp.asarray(
            checkpointed_charges(R, L, substeps)
        )  # a list of charges would do too

    def run():
        simulate = simulation(case.substeps)
        if (
            getattr(jax.eval_shape(simulate, R, L), "shape", None) != case.weights.shape
        ):  # judged by the check
            return [as_floats(jax.jit(simulate)(R, L)), []]
        v = jnp.asarray(case.weights)
        gradient = jax.grad(lambda R, L: v @ simulate(R, L), argnums=(0, 1))
        Q, (dR, dL) = jax.jit(lambda R, L: (simulate(R, L), gradient(R, L)))(R, L)
        return [as_floats(Q), [float(as_floats(dR)), float(as_floats(dL))]]

    return {
        "run": attempt(run),
        "residual_bytes": [
            attempt(lambda s: residual_bytes(simulation(s), R, L), s) for s in case.memory_substeps
        ],
    }
