"""Trusted checks of 06_jacobians_hessians against JAX in float64 (and closed forms)."""
from __future__ import annotations

import numpy as np

from ..probes import jacobians_hessians as probes
from . import TestSpec, Verdict
from .compare import close, entries, first_failures, fmt, listed, number, numbers, returned

RTOL, ATOL = 1e-8, 1e-10
NEWTON_RTOL, NEWTON_ATOL = 1e-7, 1e-9

TESTS = {
    "test_jacobian_fg": TestSpec("jacobians_hessians.jacobian_fg", ("jacobian_fg",)),
    "test_jac_from_jvp": TestSpec("jacobians_hessians.jac_from_jvp", ("jac_from_jvp",)),
    "test_jac_from_vjp": TestSpec("jacobians_hessians.jac_from_vjp", ("jac_from_vjp",)),
    "test_hvp": TestSpec("jacobians_hessians.hvp", ("hvp",)),
    "test_newton": TestSpec("jacobians_hessians.newton", ("newton",)),
}


def _array(value) -> np.ndarray:
    """A float array from a recorded value: one number or nested lists of numbers."""
    if type(value) is list:
        return numbers(value)
    return np.array(number(value))


def _value_or_problem(call: str, entry) -> tuple[np.ndarray | None, str | None]:
    """(array, None) for a numeric result; (None, message) for an error or a non-array."""
    got, problem = returned(entry, call)
    return (None, problem) if problem else (_array(got), None)


def matrix_problem(call: str, got: np.ndarray, want: np.ndarray) -> str | None:
    """None if got matches the m x n Jacobian want; otherwise what is wrong, naming a transpose."""
    m, n = want.shape
    shape_hint = f"an {m} x {n} array: one row per output, one column per input"
    if got.shape != want.shape:
        if got.shape == (n, m) and close(got.T, want, RTOL, ATOL).all():
            return f"{call} has shape {got.shape}, the transposed Jacobian: it should be {shape_hint}"
        return f"{call} should be {shape_hint}; got shape {got.shape}"
    if close(got, want, RTOL, ATOL).all():
        return None
    if m == n and close(got.T, want, RTOL, ATOL).all():
        return (f"{call} is the transposed Jacobian: row i should hold the derivatives of output i, "
                f"column j the derivatives with respect to input j. Expected {fmt(want)}, got {fmt(got)}")
    return f"{call} should be {fmt(want)}, got {fmt(got)}"


def _pt(x) -> str:
    return fmt(np.asarray(x, dtype=float))


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
        return (" (reverse mode cannot differentiate a while_loop, forward mode can: build the columns "
                "with jax.jvp)")
    if name == "jac_from_vjp" and spec.only == "reverse":
        return (" (forward mode cannot differentiate a custom_vjp function, reverse mode can: build the "
                "rows with jax.vjp)")
    return ""


def check_builder(name: str, results, seed: int) -> Verdict:
    from ..reference.jacobians_hessians import jacobian

    failures = []
    for spec, params, xs in probes.builder_inputs(name, seed):
        for x, entry in zip(xs, entries(results, spec.label, probes.POINTS)):
            call = f"{name}(f, x) for f(x) = {spec.label}, at x = {_pt(x)}"
            got, problem = _value_or_problem(call, entry)
            if problem is None:
                problem = matrix_problem(call, got, jacobian(spec, params, x))
            if problem:
                failures.append(problem + (_mode_hint(name, spec) if got is None else ""))
                break  # one message per function is enough
    return Verdict(not failures, first_failures(failures))


def check_hvp(results, seed: int) -> Verdict:
    from ..reference.jacobians_hessians import hvp

    failures = []
    for spec, params, xs, vs in probes.hvp_inputs(seed):
        for x, v, entry in zip(xs, vs, entries(results, spec.label, probes.POINTS)):
            call = f"hvp(f, x, v) for f(x) = {spec.label}, at x = {_pt(x)}, v = {_pt(v)}"
            got, problem = _value_or_problem(call, entry)
            if problem is None:
                want = hvp(spec, params, x, v)
                if got.shape == (spec.n, spec.n):
                    problem = f"{call} returned an {spec.n} x {spec.n} matrix: return the vector H(x) @ v"
                elif got.shape != want.shape:
                    problem = f"{call} should be a vector of {spec.n} numbers, got shape {got.shape}"
                elif not close(got, want, RTOL, ATOL).all():
                    problem = f"{call} should be H(x) @ v = {fmt(want)}, got {fmt(got)}"
            if problem:
                failures.append(problem)
                break
    return Verdict(not failures, first_failures(failures))


def newton_problem(call: str, got: np.ndarray, want: np.ndarray, damping: float) -> str | None:
    """None if the iterates match; otherwise the first thing that is wrong, with a hint."""
    rows, n = want.shape
    if got.shape != want.shape:
        hint = ""
        if got.shape == (rows - 1, n):
            hint = ": include the start point x0 as the first row"
        elif got.shape == (n,):
            hint = ": return every iterate, not only the last"
        return f"{call} should return {rows} iterates (x0 first) as an array of shape {want.shape}; got shape {got.shape}{hint}"
    if not close(got[0], want[0], NEWTON_RTOL, NEWTON_ATOL).all():
        return f"{call}: the first row should be the start point x0 = {fmt(want[0])}, got {fmt(got[0])}"
    for k in range(1, rows):
        if close(got[k], want[k], NEWTON_RTOL, NEWTON_ATOL).all():
            continue
        step = want[k] - want[k - 1]          # -damping * H^{-1} g at the reference x_{k-1}
        hint = ""
        if close(got[k], want[k - 1] - step, NEWTON_RTOL, NEWTON_ATOL).all():
            hint = (": that is a step of the wrong sign, uphill. Newton moves to "
                    "x - damping * solve(H(x), grad f(x))")
        elif damping != 1 and close(got[k], want[k - 1] + step / damping, NEWTON_RTOL, NEWTON_ATOL).all():
            hint = f": that is a full Newton step; multiply the step by damping = {damping:g}"
        return f"{call}: iterate {k} should be {fmt(want[k])}, got {fmt(got[k])}{hint}"
    return None


def check_newton(results, seed: int) -> Verdict:
    from ..reference.jacobians_hessians import newton_iterates

    failures = []
    for case, params, starts in probes.newton_inputs(seed):
        for x0, entry in zip(starts, entries(results, case.label, probes.NEWTON_STARTS)):
            call = (f"newton(f, x0, steps={case.steps}, damping={case.damping:g}) for {case.label}, "
                    f"x0 = {_pt(x0)}")
            got, problem = _value_or_problem(call, entry)
            if problem is None:
                want = newton_iterates(case.function, params, x0, case.steps, case.damping)
                problem = newton_problem(call, got, want, case.damping)
            if problem:
                failures.append(problem)
                break
    return Verdict(not failures, first_failures(failures))


CHECKS = {
    "jacobians_hessians.jacobian_fg": check_jacobian_fg,
    "jacobians_hessians.jac_from_jvp": lambda r, s: check_builder("jac_from_jvp", r, s),
    "jacobians_hessians.jac_from_vjp": lambda r, s: check_builder("jac_from_vjp", r, s),
    "jacobians_hessians.hvp": check_hvp,
    "jacobians_hessians.newton": check_newton,
}
