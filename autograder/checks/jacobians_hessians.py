"""Trusted checks of 06_jacobians_hessians against float64 closed forms (and JAX for them).

Tolerances, in units of the *scale* of each value (autograder.reference.jacobians_hessians:
the same formula with every term in absolute value), so that exact AD passes in any style
and no finite difference does:

- Jacobians and Hessian-vector products: 1e-12 of the scale, entry by entry. Float64 AD in
  every style we tried (jvp or vjp, vmap or a Python loop, jvp of grad, reverse over
  reverse, linearize) is off by at most 1e-15 of it, a margin of 1000. The test functions
  carry a large constant (Jacobians) or a large linear term (Hessians) that AD ignores but
  that costs a difference quotient eps |c| / h: the best central difference at any step is
  off by more than 1e-9 of the scale, a margin of 1000 the other way.
- Newton's iterates: each one step from the student's own previous iterate, to NEWTON_TOL
  of that step's scale (max |x| plus cond(H) max |step|). Solve or inverse, JAX or NumPy,
  a step with exact derivatives lands within 1e-15 of it; on the rippled bowl a Hessian
  from differences of the exact gradient is off by more than 1e-10 of it at any step.
- The Jacobian derived by hand (`jacobian_fg`, no AD): RTOL, ATOL of its entries.
"""

from __future__ import annotations

import numpy as np

from ..probes import jacobians_hessians as probes
from . import Verdict, check, register
from .compare import (
    close,
    entries,
    first_failures,
    fmt,
    inexact_hint,
    listed,
    number,
    numbers,
    returned,
    within,
)

RTOL, ATOL = 1e-8, 1e-10  # the hand-derived Jacobian of jacobian_fg
AD_TOL = 1e-12  # of the scale, for Jacobians and Hessian-vector products
NEWTON_TOL = 1e-12  # of the scale of each iterate


def _array(value) -> np.ndarray:
    """A float array from a recorded value: one number or nested lists of numbers."""
    if type(value) is list:
        return numbers(value)
    return np.array(number(value))


def _value_or_problem(call: str, entry) -> tuple[np.ndarray, str | None]:
    """(array, None) for a numeric result; (an empty array, message) for an error or a non-array."""
    got, problem = returned(entry, call)
    return (np.empty(0), problem) if problem else (_array(got), None)


def matrix_problem(
    call: str, got: np.ndarray, want: np.ndarray, scale: np.ndarray | None = None
) -> str | None:
    """None if got matches the m x n Jacobian want; otherwise what is wrong, naming a transpose.

    With a scale, entries must lie within AD_TOL of it (exact AD); without, within RTOL, ATOL."""

    def same(a, b):
        return (within(a, b, scale, AD_TOL) if scale is not None else close(a, b, RTOL, ATOL)).all()

    m, n = want.shape
    shape_hint = f"an {m} x {n} array: one row per output, one column per input"
    if got.shape != want.shape:
        if got.shape == (n, m) and same(got.T, want):
            return f"{call} has shape {got.shape}, the transposed Jacobian: it should be {shape_hint}"
        return f"{call} should be {shape_hint}; got shape {got.shape}"
    if same(got, want):
        return None
    if m == n and same(got.T, want):
        return (
            f"{call} is the transposed Jacobian: row i should hold the derivatives of output i, "
            f"column j the derivatives with respect to input j. Expected {fmt(want)}, got {fmt(got)}"
        )
    hint = inexact_hint(got, want, scale, "build it from jax.jvp or jax.vjp") if scale is not None else ""
    return f"{call} should be {fmt(want)}, got {fmt(got)}{hint}"


def _pt(x) -> str:
    return fmt(np.asarray(x, dtype=float))


@check(probes.probe_jacobian_fg)
def check_jacobian_fg(results, seed: int) -> Verdict:
    from ..reference.jacobians_hessians import jacobian_fg

    failures = []
    points = probes.jacobian_fg_inputs(seed)
    for (x, y), entry in zip(points, listed(results, len(points), "jacobian_f")):
        call = f"jacobian_f({x:.6g}, {y:.6g})"
        got, problem = _value_or_problem(call, entry)
        if problem is None:
            problem = matrix_problem(call, got, jacobian_fg(x, y))
        if problem:
            failures.append(problem)
    return Verdict(not failures, first_failures(failures, 3))


def _mode_hint(name: str, spec: probes.VectorFunction) -> str:
    if name == "jac_from_jvp" and spec.only == "forward":
        return (
            " (reverse mode cannot differentiate a while_loop, forward mode can: build the columns "
            "with jax.jvp)"
        )
    if name == "jac_from_vjp" and spec.only == "reverse":
        return (
            " (forward mode cannot differentiate a custom_vjp function, reverse mode can: build the "
            "rows with jax.vjp)"
        )
    return ""


def check_builder(name: str, results, seed: int) -> Verdict:
    from ..reference.jacobians_hessians import jacobian, jacobian_scale

    failures = []
    for spec, params, xs in probes.builder_inputs(name, seed):
        for x, entry in zip(xs, entries(results, spec.label, probes.POINTS)):
            call = f"{name}(f, x) for f(x) = {spec.label}, at x = {_pt(x)}"
            got, problem = _value_or_problem(call, entry)
            if problem:  # it raised or returned no array: perhaps the mode that cannot work here
                failures.append(problem + _mode_hint(name, spec))
                break  # one message per function is enough
            problem = matrix_problem(call, got, jacobian(spec, params, x), jacobian_scale(spec, params, x))
            if problem:
                failures.append(problem)
                break
    return Verdict(not failures, first_failures(failures))


@check(probes.probe_hvp)
def check_hvp(results, seed: int) -> Verdict:
    from ..reference.jacobians_hessians import hvp, hvp_scale

    failures = []
    for spec, params, xs, vs in probes.hvp_inputs(seed):
        for x, v, entry in zip(xs, vs, entries(results, spec.label, probes.POINTS)):
            call = f"hvp(f, x, v) for f(x) = {spec.label}, at x = {_pt(x)}, v = {_pt(v)}"
            got, problem = _value_or_problem(call, entry)
            if problem is None:
                want, scale = hvp(spec, params, x, v), hvp_scale(spec, params, x, v)
                if got.shape == (spec.n, spec.n):
                    problem = f"{call} returned an {spec.n} x {spec.n} matrix: return the vector H(x) @ v"
                elif got.shape != want.shape:
                    problem = f"{call} should be a vector of {spec.n} numbers, got shape {got.shape}"
                elif not within(got, want, scale, AD_TOL).all():
                    problem = f"{call} should be H(x) @ v = {fmt(want)}, got {fmt(got)}" + inexact_hint(
                        got,
                        want,
                        scale,
                        "a difference of gradients loses digits to the large linear term g @ x. "
                        "Use jax.jvp of jax.grad(f)",
                    )
            if problem:
                failures.append(problem)
                break
    return Verdict(not failures, first_failures(failures))


def newton_problem(call: str, got: np.ndarray, want: np.ndarray, damping: float, step) -> str | None:
    """None if the iterates match; otherwise the first thing that is wrong, with a hint.

    `want` is the reference path (for shapes and hints); `step(x)` gives (the damped Newton
    step from x, its scale). Each of the student's iterates is checked against one exact
    step from the student's own previous iterate, to NEWTON_TOL of its scale: an error made
    early is named where it is made, and is not blown up by the steps after it."""
    rows, n = want.shape
    if got.shape != want.shape:
        hint = ""
        if got.shape == (rows - 1, n):
            hint = ": include the start point x0 as the first row"
        elif got.shape == (n,):
            hint = ": return every iterate, not only the last"
        return f"{call} should return {rows} iterates (x0 first) as an array of shape {want.shape}; got shape {got.shape}{hint}"
    if not within(got[0], want[0], np.max(np.abs(want[0])), NEWTON_TOL).all():
        return f"{call}: the first row should be the start point x0 = {fmt(want[0])}, got {fmt(got[0])}"
    for k in range(1, rows):
        try:
            expected, scale = step(got[k - 1])
        except FloatingPointError as exc:
            return f"{call}: iterate {k - 1} is {fmt(got[k - 1])}, where no Newton step exists ({exc})"
        if within(got[k], expected, scale, NEWTON_TOL).all():
            continue
        move = expected - got[k - 1]  # -damping * H^{-1} g at the student's x_{k-1}
        where = f"iterate {k} (one step from iterate {k - 1} = {fmt(got[k - 1])})"
        hint = ""
        if close(got[k], got[k - 1] - move, 1e-7, 1e-9).all():
            hint = (
                ": that is a step of the wrong sign, uphill. Newton moves to "
                "x - damping * solve(H(x), grad f(x))"
            )
        elif damping != 1 and close(got[k], got[k - 1] + move / damping, 1e-7, 1e-9).all():
            hint = f": that is a full Newton step; multiply the step by damping = {damping:g}"
        else:
            hint = inexact_hint(
                got[k],
                expected,
                np.full(n, scale),
                "take the gradient and the Hessian from jax.grad and jax.hessian",
            )
        return f"{call}: {where} should be {fmt(expected)}, got {fmt(got[k])}{hint}"
    return None


@check(probes.probe_newton)
def check_newton(results, seed: int) -> Verdict:
    from ..reference.jacobians_hessians import newton_iterates, newton_step

    failures = []
    for case, params, starts in probes.newton_inputs(seed):
        for x0, entry in zip(starts, entries(results, case.label, probes.NEWTON_STARTS)):
            call = (
                f"newton(f, x0, steps={case.steps}, damping={case.damping:g}) for {case.label}, "
                f"x0 = {_pt(x0)}"
            )
            got, problem = _value_or_problem(call, entry)
            if problem is None:
                want = newton_iterates(case.function, params, x0, case.steps, case.damping)
                problem = newton_problem(
                    call,
                    got,
                    want,
                    case.damping,
                    lambda x, c=case, p=params: newton_step(c.function, p, x, c.damping),
                )
            if problem:
                failures.append(problem)
                break
    return Verdict(not failures, first_failures(failures))


for _name, _probe in probes.BUILDER_PROBES.items():
    register(_probe, (lambda n: lambda results, seed: check_builder(n, results, seed))(_name))
