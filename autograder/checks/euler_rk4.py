"""Trusted checks of 02_euler_rk4 against JAX through the same RK4, in float64.

The reference is `autograder.reference.rlc`: `jax.jacfwd` / `jax.grad` of the RK4
discretisation written with `lax.scan`. Each number is judged against the size of the terms
that make it up: for dQ/dR the largest |dQ/dR| of the curve, for dloss the mean of
|2 (Q - Qhat) dQ|. Measured over the probes' seeds, dual numbers (scalar or vector
tangents), RK4 on the forward sensitivity equations and PyTorch's reverse mode all stay
within 5e-15 of that size. RTOL = 1e-13 leaves them a margin of 20, and fails by a factor
of 200 or more every finite difference, forward or central, at any step from 1e-3 to 1e-8
(the best, a central difference near h = 1e-5, is off by about 3e-11), besides every
classic mistake (an initial state seeded with derivative 1, Euler, a missing factor 2...).
tests/test_checks_euler_rk4.py measures both margins.
"""

from __future__ import annotations

import numpy as np

from ..probes import euler_rk4 as probes
from . import MalformedResult, Verdict, check
from .compare import close, first_failures, fmt, fmt_exact, number, numbers, outcome, unexpected_type

RTOL = 1e-13  # relative to the size of the terms that make up each number


def _points(results, n: int) -> list:
    if type(results) is not list or len(results) != n:
        raise MalformedResult(f"expected results for {n} points")
    return results


def _by_wrt(entry) -> dict:
    if type(entry) is not dict or set(entry) != set(probes.WRT):
        raise MalformedResult("expected one result per parameter R and L")
    return entry


def _not_numbers(
    got, what: str, advice: str = "return plain floats (take .value / .derivative)"
) -> str | None:
    """A message when the student returned objects (e.g. Duals) where numbers belong."""
    kind = unexpected_type(got)
    if kind == "ndarray":
        return f"{what} returned a NumPy array that does not hold floats (an array of Duals?): {advice}"
    if kind:
        return f"{what} returned an object of type {kind}: {advice}"
    if type(got) is list and any(unexpected_type(x) for x in got):
        kinds = sorted({k for k in map(unexpected_type, got) if k})
        return f"{what} returned objects of type {', '.join(kinds)} inside its result: {advice}"
    return None


# --- seeding -------------------------------------------------------------------------------

_PART_NAMES = (
    "R_dual.value",
    "R_dual.derivative",
    "L_dual.value",
    "L_dual.derivative",
    "state0[0].value",
    "state0[0].derivative",
    "state0[1].value",
    "state0[1].derivative",
)


def _seeding_hint(name: str, wrt: str) -> str:
    if name.startswith("state0") and name.endswith("derivative"):
        return (
            "the initial state [0, 0] is the same for every R and L, so its derivative "
            f"with respect to {wrt} is 0: seed it as Dual(0, 0), not Dual(0, 1)"
        )
    if name.endswith("derivative"):
        return f"the parameter you differentiate by ({wrt}) gets derivative 1, the other one 0"
    return "the values are the inputs R, L and the initial state 0"


@check(probes.probe_seeding)
def check_seeding(results, seed: int) -> Verdict:
    failures = []
    for (R, L), entry in zip(probes.seeding_inputs(seed), _points(results, 3)):
        for wrt, sub in _by_wrt(entry).items():
            where = f"seed_inputs({R:.6g}, {L:.6g}, {wrt!r})"
            status, got = outcome(sub)
            if status == "error":
                failures.append(f"{where} raised {got}")
                continue
            parts = numbers(got, (8,))
            want = np.array([R, float(wrt == "R"), L, float(wrt == "L"), 0.0, 0.0, 0.0, 0.0])
            ok = close(parts, want, 1e-12, 0.0)
            for name, g, w, good in zip(_PART_NAMES, parts, want, ok):
                if not good:
                    failures.append(
                        f"{where}: {name} should be {fmt(w)}, got {fmt(g)}: {_seeding_hint(name, wrt)}"
                    )
                    break
    return Verdict(not failures, first_failures(failures))


# --- dual_charge ----------------------------------------------------------------------------


@check(probes.probe_dual_charge)
def check_dual_charge(results, seed: int) -> Verdict:
    from ..reference.rlc import reference_sensitivities

    failures = []
    for (R, L), entry in zip(probes.dual_charge_inputs(seed), _points(results, 2)):
        Q, dQdR, dQdL = reference_sensitivities(R, L, probes.TIMES)
        for wrt, sub in _by_wrt(entry).items():
            where = f"dual_charge({R:.6g}, {L:.6g}, {wrt!r})"
            status, got = outcome(sub)
            if status == "error":
                failures.append(f"{where} raised {got}")
                continue
            bad = _not_numbers(got, where)
            if bad:
                failures.append(bad)
                continue
            q, dq = numbers(got, (2, len(probes.TIMES)))
            want_dq = dQdR if wrt == "R" else dQdL
            ok_q = close(q, Q, 0.0, RTOL * np.max(np.abs(Q)))
            ok_dq = close(dq, want_dq, 0.0, RTOL * np.max(np.abs(want_dq)))
            if not ok_q.all():
                i = int(np.argmin(ok_q))
                failures.append(
                    f"{where}: Q at t = {probes.TIMES[i]:.4g} should be {fmt(Q[i])}, got {fmt(q[i])}: "
                    "step the state with rk4_step from [0, 0] and keep Q at all 200 times"
                )
            elif not ok_dq.all():
                i = int(np.argmin(ok_dq))
                hint = (
                    (
                        f"dQ/d{wrt} at t = 0 must be 0, because Q(0) = 0 whatever {wrt} is: seed the initial "
                        "state with derivative 0"
                    )
                    if i == 0
                    else (
                        f"seed {wrt} with derivative 1 (the other parameter 0, the initial state 0) "
                        "and step with rk4_step"
                    )
                )
                failures.append(
                    f"{where}: dQ/d{wrt} at t = {probes.TIMES[i]:.4g} should be "
                    f"{fmt(want_dq[i])}, got {fmt(dq[i])}: {hint}"
                )
    return Verdict(not failures, first_failures(failures))


# --- dloss and dloss_vector -------------------------------------------------------------------


def gradient_hint(got: np.ndarray, want: np.ndarray, n: int, otherwise: str) -> str:
    """Name the classic mistake that turns `want` into `got`, else `otherwise`."""

    def near(x):
        return bool(close(x, want, 1e-6, 1e-12 * np.max(np.abs(want))).all())

    if near(2 * got):
        return "it is half the gradient: d/dQ (Q - Qhat)**2 = 2 (Q - Qhat)"
    if near(got / n):
        return f"it is {n} times the gradient: the loss is the mean over the {n} times, not the sum"
    if near(-got):
        return "the sign is flipped: the residual is Q - Qhat"
    if near(got[::-1]):
        return "the two components are swapped: return [dloss/dR, dloss/dL]"
    rel = np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-300)
    if rel < 1e-2:
        return (
            f"it agrees only to a relative {rel:.1e}: AD gives the derivative of the RK4 solver "
            "to rounding, finite differences do not"
        )
    return otherwise


def gradient_failure(entry, Qhat, R, L, where: str, advice: str, otherwise: str) -> str | None:
    """Why one recorded [dloss/dR, dloss/dL] is not the gradient through RK4, or None if it is.

    `advice` says how to return plain floats; `otherwise` is the hint when no classic mistake
    explains the numbers."""
    from ..reference.rlc import reference_dloss_and_scale

    status, got = outcome(entry)
    if status == "error":
        return f"{where} raised {got}"
    bad = _not_numbers(got, where, advice)
    if bad:
        return bad
    if type(got) is not list:
        number(got)  # a lone number: say so plainly
        return f"{where} returned one number; return the array [dloss/dR, dloss/dL]"
    g = numbers(got)
    if g.shape != (2,):
        return f"{where} should return two numbers [dloss/dR, dloss/dL], got shape {g.shape}"
    want, scale = reference_dloss_and_scale(Qhat, R, L)
    if close(g, want, RTOL, RTOL * scale).all():
        return None
    return f"{where} should be {fmt_exact(want)}, got {fmt_exact(g)}: {gradient_hint(g, want, len(Qhat), otherwise)}"


DLOSS_ADVICE = "return plain floats (take .value / .derivative)"
DLOSS_OTHERWISE = (
    "check that the initial state is seeded with derivative 0, that Q comes from rk4_step "
    "at all 200 times starting at t = 0, and that the mean runs over all 200"
)


@check(probes.probe_dloss)
def check_dloss(results, seed: int) -> Verdict:
    failures = []
    for (Qhat, R, L), entry in zip(probes.dloss_inputs(seed), _points(results, probes.DLOSS_POINTS)):
        failure = gradient_failure(
            entry, Qhat, R, L, f"dloss(Qhat, {R:.6g}, {L:.6g})", DLOSS_ADVICE, DLOSS_OTHERWISE
        )
        if failure:
            failures.append(failure)
    return Verdict(not failures, first_failures(failures))


ONE_SIMULATION = (
    "dloss_vector should run ONE simulation whose derivative parts are vectors: seed R as "
    "Dual(R, np.array([1.0, 0.0])), L as Dual(L, np.array([0.0, 1.0])) and the initial state "
    "with Dual(0.0, np.zeros(2))"
)


@check(probes.probe_dloss_vector)
def check_dloss_vector(results, seed: int) -> Verdict:
    if type(results) is not dict or set(results) != {"gradients", "tangents"}:
        raise MalformedResult("expected the gradients and the count of tangents")
    failures = []
    cases = probes.dloss_vector_inputs(seed)
    for (Qhat, R, L), entry in zip(cases, _points(results["gradients"], len(cases))):
        failure = gradient_failure(
            entry,
            Qhat,
            R,
            L,
            f"dloss_vector(Qhat, {R:.6g}, {L:.6g})",
            DLOSS_ADVICE,
            "check the seeds: R gets [1, 0], L gets [0, 1], the initial state [0, 0]",
        )
        if failure:
            failures.append(failure)
    tangents = results["tangents"]
    if tangents is None:
        failures.append(
            "the grader could not watch the Duals your dloss_vector makes: keep the notebook's "
            "Dual class (a class, named Dual)"
        )
    else:
        if type(tangents) is not dict or set(tangents) != {"scalar", "vector", "other"}:
            raise MalformedResult("expected counts of scalar, vector and other tangents")
        if not all(type(v) is int and v >= 0 for v in tangents.values()):
            raise MalformedResult("expected counts of tangents")
        scalar, vector = tangents["scalar"], tangents["vector"]
        if vector == 0 or 100 * scalar >= vector:
            failures.append(
                f"{ONE_SIMULATION}; it made {scalar} Duals with a one-number derivative and "
                f"{vector} with a two-number one"
            )
    return Verdict(not failures, first_failures(failures))
