"""Probes of 06_jacobians_hessians: Jacobians, Hessian-vector products and Newton's method.

The student's functions are called on functions and points drawn from the seed. Every test
function is written once here, with `jax.numpy`, from parameters that `*_inputs(seed)`
draws; the grader rebuilds the same functions from the same seed and differentiates them
itself in float64 (autograder.checks.jacobians_hessians). This module decides nothing.

It imports JAX, which the notebook already uses.

The test functions are chosen so that no finite difference can pass for exact AD: each
vector function adds a large constant c (|c| ~ 1e4 to 1e5) to its outputs, and each
function of the Hessian-vector product a large linear term g @ x (|g| ~ 1e5 to 1e6). Neither
changes a Jacobian or a Hessian, so AD is as exact as ever, but every difference quotient
(f(x + h) - f(x - h)) / 2h loses about eps |c| / h to rounding, which at any step leaves it
off by far more than the checks allow (autograder.checks.jacobians_hessians). Newton's
method runs on a bowl with a fine ripple (0.2/900 * cos(30 x) per coordinate) that keeps it
strictly convex but makes a difference of gradients a poor Hessian at any step.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from . import Probe, Traced, attempt, jaxprs, probe

POINTS = 3  # random points per test function


def _jax():
    import jax
    import jax.numpy as jnp

    # The notebook's locked setup cell turns float64 on; make sure a student who turned it
    # off is still compared in the precision the exercise is about.
    jax.config.update("jax_enable_x64", True)
    return jax, jnp


def as_floats(value) -> np.ndarray:
    """A float64 array from a student's result (a NumPy or JAX array, or nested lists).

    Anything that does not convert cleanly (a dict, a string, None, an object) raises, so
    the record holds numbers or an error text, never an object.
    """
    if value is None or isinstance(value, (bool, str, bytes, dict)):
        raise TypeError(f"returned {type(value).__name__}, not an array of numbers")
    arr = np.asarray(value, dtype=float)
    if arr.dtype != np.float64:
        raise TypeError("did not return an array of real numbers")
    return arr


def _floats(fn, *args):
    return attempt(lambda: as_floats(fn(*args)))


# --- Exercise jacobian_fg: the Jacobian of f(x, y) = [x**2 y, 5 x + sin y] by hand --------


def f_xy(v):
    """The notebook's example function, v = [x, y] (used by the reference)."""
    _, jnp = _jax()
    x, y = v[0], v[1]
    return jnp.stack([x**2 * y, 5 * x + jnp.sin(y)])


def jacobian_fg_inputs(seed: int) -> np.ndarray:
    """Eight points (x, y), away from the visible self-check's points."""
    rng = probe_jacobian_fg.rng(seed)
    return rng.uniform(-3.0, 3.0, (8, 2))


@probe
def probe_jacobian_fg(jacobian_f, seed: int) -> list:
    return [_floats(jacobian_f, float(x), float(y)) for x, y in jacobian_fg_inputs(seed)]


# --- Exercises jac_from_jvp and jac_from_vjp: Jacobians built from one mode ---------------


@dataclass(frozen=True)
class VectorFunction:
    label: str  # what the student sees in feedback
    n: int  # inputs
    m: int  # outputs
    kind: str  # how the function is built from its parameters (see build_vector_function)
    only: str = ""  # "forward" or "reverse": the only mode JAX can differentiate it with


# m != n for most, so a transposed Jacobian has the wrong shape; the square one is not
# symmetric, so a transposed Jacobian has the wrong values. Every one adds a large constant
# c to its outputs (see the module's docstring).
COMMON = (
    VectorFunction("W2 @ tanh(W1 @ x + b) + c, 3 inputs, 5 outputs", 3, 5, "tanh_layer"),
    VectorFunction("sin(A @ x) * (B @ x) + c, 4 inputs, 2 outputs", 4, 2, "sin_product"),
    VectorFunction("A @ x + x[0] * cos(B @ x) + c, 3 inputs, 3 outputs", 3, 3, "square"),
)
FORWARD_ONLY = VectorFunction(
    "a lax.while_loop fixed-point iteration + c, 2 inputs, 4 outputs", 2, 4, "while_loop", only="forward"
)
REVERSE_ONLY = VectorFunction(
    "W @ softplus(A @ x) + c with a jax.custom_vjp softplus, 5 inputs, 3 outputs",
    5,
    3,
    "custom_vjp",
    only="reverse",
)
OFFSET_DECADES = (4.0, 5.0)  # |c| = 10**U(4, 5), with a random sign per output
BUILDERS = {
    "jac_from_jvp": COMMON + (FORWARD_ONLY,),
    "jac_from_vjp": COMMON + (REVERSE_ONLY,),
}


def _params(rng, spec: VectorFunction) -> dict:
    n, m = spec.n, spec.m
    if spec.kind == "tanh_layer":
        params = {"W1": rng.normal(size=(6, n)), "b": rng.normal(size=6) / 2, "W2": rng.normal(size=(m, 6))}
    elif spec.kind in ("sin_product", "square"):
        params = {"A": rng.normal(size=(m, n)), "B": rng.normal(size=(m, n))}
    elif spec.kind == "while_loop":
        params = {"B": rng.normal(size=(m, n)), "C": rng.normal(size=(m, m)) / (2 * np.sqrt(m))}
    elif spec.kind == "custom_vjp":
        params = {"A": rng.normal(size=(4, n)), "W": rng.normal(size=(m, 4))}
    else:
        raise ValueError(spec.kind)
    params["c"] = rng.choice([-1.0, 1.0], m) * 10.0 ** rng.uniform(*OFFSET_DECADES, m)
    return params


@functools.cache
def _vector_kernels() -> dict:
    """Each vector test function as a jitted f(x, params), compiled once per shape.

    Written at module level and jitted, so a student's eager jvp or vjp of it compiles once
    per probe rather than once per call; the parameters drawn from the seed are arguments.
    """
    jax, jnp = _jax()

    @jax.custom_vjp
    def softplus(z):
        return jnp.log1p(jnp.exp(z))

    softplus.defvjp(lambda z: (softplus(z), z), lambda z, g: (g * jax.nn.sigmoid(z),))

    def fixed_point(x, p):
        bx = p["B"] @ x

        def body(carry):
            i, y = carry
            return i + 1, jnp.tanh(p["C"] @ y) + bx

        return jax.lax.while_loop(lambda carry: carry[0] < 4, body, (0, bx))[1]

    kernels = {
        "tanh_layer": lambda x, p: p["W2"] @ jnp.tanh(p["W1"] @ x + p["b"]),
        "sin_product": lambda x, p: jnp.sin(p["A"] @ x) * (p["B"] @ x),
        "square": lambda x, p: p["A"] @ x + x[0] * jnp.cos(p["B"] @ x),
        "while_loop": fixed_point,
        "custom_vjp": lambda x, p: p["W"] @ softplus(p["A"] @ x),
    }
    return {kind: jax.jit((lambda fn: lambda x, p: fn(x, p) + p["c"])(fn)) for kind, fn in kernels.items()}


def build_vector_function(spec: VectorFunction, params: dict):
    """The function x -> f(x) of one spec, written with jax.numpy."""
    _, jnp = _jax()
    kernel = _vector_kernels()[spec.kind]
    p = {k: jnp.asarray(v) for k, v in params.items()}
    return lambda x: kernel(x, p)


def builder_inputs(name: str, seed: int) -> list[tuple[VectorFunction, dict, np.ndarray]]:
    """For each test function of one builder: (spec, parameters, POINTS points x)."""
    rng = BUILDER_PROBES[name].rng(seed)
    return [(spec, _params(rng, spec), rng.uniform(-1.5, 1.5, (POINTS, spec.n))) for spec in BUILDERS[name]]


def run_builder(name: str, builder, seed: int) -> dict:
    """{label: [attempt(builder(f, x)) for each point]}"""
    _, jnp = _jax()
    results = {}
    for spec, params, xs in builder_inputs(name, seed):
        f = build_vector_function(spec, params)
        results[spec.label] = [_floats(builder, f, jnp.asarray(x)) for x in xs]
    return results


# One probe per builder, named by it: test_jac_from_jvp runs jacobians_hessians.jac_from_jvp.
BUILDER_PROBES = {
    name: Probe(__name__, name, (lambda n: lambda builder, seed: run_builder(n, builder, seed))(name))
    for name in BUILDERS
}


def probe_builder(name: str, builder) -> None:
    """What a hidden-test cell calls, with the builder's name and the student's function."""
    BUILDER_PROBES[name](builder)


# --- Scalar functions for the Hessian-vector product and Newton's method ------------------


@dataclass(frozen=True)
class ScalarFunction:
    label: str
    n: int
    kind: str


# The ripple of the Newton bowl: its curvature is at most RIPPLE_AMPLITUDE * RIPPLE_FREQUENCY**2
# = 0.2, below the 0.5 that Q adds everywhere, so the bowl stays strictly convex.
RIPPLE_FREQUENCY = 30.0
RIPPLE_AMPLITUDE = 0.2 / RIPPLE_FREQUENCY**2
TILT_DECADES = (5.0, 6.0)  # |g| = 10**U(5, 6) in the linear term g @ x of the hvp functions


def _scalar_params(rng, spec: ScalarFunction) -> dict:
    n = spec.n
    if spec.kind in ("logsumexp_quadratic", "rippled_bowl"):
        M = rng.normal(size=(n, n))
        return {"A": rng.normal(size=(4, n)), "b": rng.normal(size=4), "Q": M @ M.T / n + 0.5 * np.eye(n)}
    if spec.kind == "rosenbrock":
        return {"a": float(rng.uniform(0.5, 1.5)), "b": float(rng.uniform(50.0, 150.0))}
    if spec.kind == "coupled_sines":
        return {"w": rng.uniform(0.5, 2.0, n)}
    raise ValueError(spec.kind)


@functools.cache
def _scalar_kernels() -> dict:
    """Each scalar test function as a jitted f(x, params) (see _vector_kernels)."""
    jax, jnp = _jax()

    def rosenbrock_2d(v, p):  # written as in the notebook
        x, y = v[0], v[1]
        return (p["a"] - x) ** 2 + p["b"] * (y - x**2) ** 2

    def lse_quadratic(x, p):  # strictly convex: a convex log-sum-exp plus a positive definite quadratic
        return jax.nn.logsumexp(p["A"] @ x + p["b"]) + 0.5 * x @ p["Q"] @ x

    kernels = {
        "logsumexp_quadratic": lse_quadratic,
        "rippled_bowl": lambda x, p: (
            lse_quadratic(x, p) + RIPPLE_AMPLITUDE * jnp.sum(jnp.cos(RIPPLE_FREQUENCY * x))
        ),
        "rosenbrock_2d": rosenbrock_2d,
        "rosenbrock": lambda x, p: jnp.sum(p["b"] * (x[1:] - x[:-1] ** 2) ** 2 + (p["a"] - x[:-1]) ** 2),
        "coupled_sines": lambda x, p: jnp.sum(p["w"] * jnp.sin(x) * jnp.roll(x, 1)) + 0.25 * (x @ x) ** 2,
    }
    # A linear term g @ x where the parameters hold a tilt g (the hvp functions; see the docstring).
    return {
        kind: jax.jit((lambda fn: lambda x, p: fn(x, p) + (p["g"] @ x if "g" in p else 0.0))(fn))
        for kind, fn in kernels.items()
    }


def build_scalar_function(spec: ScalarFunction, params: dict):
    _, jnp = _jax()
    kind = "rosenbrock_2d" if spec.kind == "rosenbrock" and spec.n == 2 else spec.kind
    kernel = _scalar_kernels()[kind]
    p = {k: jnp.asarray(v) for k, v in params.items()}
    return lambda x: kernel(x, p)


# All in 4 dimensions, like the notebook's example: a student's eager JAX code then compiles
# its small operations once, not once per shape. Each has a large linear term g @ x.
HVP_FUNCTIONS = (
    ScalarFunction("logsumexp(A @ x + b) + x @ Q @ x / 2 + g @ x in 4 dimensions", 4, "logsumexp_quadratic"),
    ScalarFunction(
        "sum(b * (x[1:] - x[:-1]**2)**2 + (a - x[:-1])**2) + g @ x in 4 dimensions", 4, "rosenbrock"
    ),
    ScalarFunction(
        "sum(w * sin(x) * roll(x, 1)) + (x @ x)**2 / 4 + g @ x in 4 dimensions", 4, "coupled_sines"
    ),
    # No matrix in f: an array of n x n elements in hvp's traced program is the Hessian.
    ScalarFunction(
        "sum(w * sin(x) * roll(x, 1)) + (x @ x)**2 / 4 + g @ x in 40 dimensions", 40, "coupled_sines"
    ),
)
STRUCTURE = HVP_FUNCTIONS[-1]


def hvp_inputs(seed: int) -> list[tuple[ScalarFunction, dict, np.ndarray, np.ndarray]]:
    """For each function: (spec, parameters with the tilt g, POINTS points x, POINTS directions v)."""
    rng = probe_hvp.rng(seed)
    cases = []
    for spec in HVP_FUNCTIONS:
        params = _scalar_params(rng, spec)
        params["g"] = rng.choice([-1.0, 1.0], spec.n) * 10.0 ** rng.uniform(*TILT_DECADES, spec.n)
        cases.append(
            (spec, params, rng.uniform(-1.5, 1.5, (POINTS, spec.n)), rng.normal(size=(POINTS, spec.n)))
        )
    return cases


@probe
def probe_hvp(hvp, seed: int) -> Traced:
    """Each H v computed by the program JAX traces from hvp; that program's largest array
    at the 40-dimensional function shows whether the Hessian was formed."""
    _, jnp = _jax()
    results, largest = {}, []

    def one(f, x, v, spec):
        out, closed = jaxprs.traced_call(lambda x, v: hvp(f, x, v), jnp.asarray(x), jnp.asarray(v))
        if spec is STRUCTURE:
            largest.append(jaxprs.summary(closed))
        return as_floats(out)

    for spec, params, xs, vs in hvp_inputs(seed):
        f = build_scalar_function(spec, params)
        results[spec.label] = [attempt(one, f, x, v, spec) for x, v in zip(xs, vs)]
    traced = {"n": STRUCTURE.n, "largest_shape": [], "largest_size": 0}
    if largest:
        biggest = max(largest, key=lambda t: t["largest_size"])
        traced.update(largest_shape=biggest["largest_shape"], largest_size=biggest["largest_size"])
    return Traced(results, traced)


# --- Exercise newton -----------------------------------------------------------------------


@dataclass(frozen=True)
class NewtonCase:
    label: str
    function: ScalarFunction
    steps: int
    damping: float
    start: str  # "normal": x0 ~ N(0, 1.5**2); "near_minimum": (a, a**2) + U(-0.3, 0.3)


LSE2 = ScalarFunction("logsumexp(A @ x + b) + x @ Q @ x / 2", 2, "logsumexp_quadratic")
BOWL2 = ScalarFunction("logsumexp(A @ x + b) + x @ Q @ x / 2 + sum(cos(30 x)) / 4500", 2, "rippled_bowl")
ROSEN2 = ScalarFunction("(a - x)**2 + b * (y - x**2)**2", 2, "rosenbrock")
NEWTON_CASES = (
    NewtonCase(f"the strictly convex f(x) = {BOWL2.label}, damping 1", BOWL2, 5, 1.0, "normal"),
    NewtonCase(f"the strictly convex f(x) = {BOWL2.label}, damping 0.5", BOWL2, 4, 0.5, "normal"),
    NewtonCase(
        "f(x, y) = (a - x)**2 + b * (y - x**2)**2 near its minimum (a, a**2), damping 1",
        ROSEN2,
        5,
        1.0,
        "near_minimum",
    ),
    NewtonCase(
        "f(x, y) = (a - x)**2 + b * (y - x**2)**2 near its minimum (a, a**2), damping 0.7",
        ROSEN2,
        3,
        0.7,
        "near_minimum",
    ),
)
NEWTON_STARTS = 1


def newton_inputs(seed: int) -> list[tuple[NewtonCase, dict, np.ndarray]]:
    """For each case: (case, parameters, NEWTON_STARTS start points)."""
    rng = probe_newton.rng(seed)
    out = []
    for case in NEWTON_CASES:
        params = _scalar_params(rng, case.function)
        n = case.function.n
        if case.start == "near_minimum":
            a = params["a"]
            starts = np.array([a, a**2]) + rng.uniform(-0.3, 0.3, (NEWTON_STARTS, n))
        else:
            starts = rng.normal(0.0, 1.5, (NEWTON_STARTS, n))
        out.append((case, params, starts))
    return out


@probe
def probe_newton(newton, seed: int) -> dict:
    results = {}
    for case, params, starts in newton_inputs(seed):
        f = build_scalar_function(case.function, params)
        results[case.label] = [_floats(newton, f, np.array(x0), case.steps, case.damping) for x0 in starts]
    return results
