"""Trusted checks of 02_euler_rk4 against JAX through the same RK4, in float64.

The reference is `autograder.reference.rlc`: `jax.jacfwd` / `jax.grad` of the RK4
discretisation written with `lax.scan`. Dual numbers reproduce it to about 1e-15 of the
size of the terms involved, whatever the order of the arithmetic. The tolerance, 1e-11 of
that size, leaves a margin of 1e4 for them, and fails a forward difference with h = 1e-4
(error about 1e-4), an initial state seeded with derivative 1, and even central
differences at their best step (about 1e-10).
"""
from __future__ import annotations

import numpy as np

from ..probes import euler_rk4 as probes
from . import MalformedResult, TestSpec, Verdict
from .compare import close, first_failures, fmt, number, numbers, outcome, unexpected_type

RTOL = 1e-11  # relative to the size of the terms that make up each number

# Each test lists the answers its result depends on (dloss builds on dual_charge, which
# builds on seed_inputs), so a forbidden import in any protected one of them zeroes it.
TESTS = {
    "test_seeding": TestSpec("euler_rk4.seeding", ("seeding",)),
    "test_dual_charge": TestSpec("euler_rk4.dual_charge", ("dual_charge", "seeding")),
    "test_dloss": TestSpec("euler_rk4.dloss", ("dloss", "dual_charge", "seeding")),
}


def _points(results, n: int) -> list:
    if type(results) is not list or len(results) != n:
        raise MalformedResult(f"expected results for {n} points")
    return results


def _by_wrt(entry) -> dict:
    if type(entry) is not dict or set(entry) != set(probes.WRT):
        raise MalformedResult("expected one result per parameter R and L")
    return entry


def _not_numbers(got, what: str) -> str | None:
    """A message when the student returned objects (e.g. Duals) where numbers belong."""
    kind = unexpected_type(got)
    if kind == "ndarray":
        return (f"{what} returned a NumPy array that does not hold floats (an array of Duals?): "
                "return plain floats (take .value / .derivative)")
    if kind:
        return f"{what} returned an object of type {kind}: return plain floats (take .value / .derivative)"
    if type(got) is list and any(unexpected_type(x) for x in got):
        kinds = sorted({unexpected_type(x) for x in got if unexpected_type(x)})
        return (f"{what} returned objects of type {', '.join(kinds)} inside its result: "
                "return numpy arrays of floats (take .value / .derivative)")
    return None


# --- seeding -------------------------------------------------------------------------------

_PART_NAMES = ("R_dual.value", "R_dual.derivative", "L_dual.value", "L_dual.derivative",
               "state0[0].value", "state0[0].derivative", "state0[1].value", "state0[1].derivative")


def _seeding_hint(name: str, wrt: str) -> str:
    if name.startswith("state0") and name.endswith("derivative"):
        return ("the initial state [0, 0] is the same for every R and L, so its derivative "
                f"with respect to {wrt} is 0: seed it as Dual(0, 0), not Dual(0, 1)")
    if name.endswith("derivative"):
        return f"the parameter you differentiate by ({wrt}) gets derivative 1, the other one 0"
    return "the values are the inputs R, L and the initial state 0"


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
                    failures.append(f"{where}: {name} should be {fmt(w)}, got {fmt(g)}: {_seeding_hint(name, wrt)}")
                    break
    return Verdict(not failures, first_failures(failures))


# --- dual_charge ----------------------------------------------------------------------------

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
                failures.append(f"{where}: Q at t = {probes.TIMES[i]:.4g} should be {fmt(Q[i])}, got {fmt(q[i])}: "
                                "step the state with rk4_step from [0, 0] and keep Q at all 200 times")
            elif not ok_dq.all():
                i = int(np.argmin(ok_dq))
                hint = ("dQ/d%s at t = 0 must be 0, because Q(0) = 0 whatever %s is: seed the initial "
                        "state with derivative 0" % (wrt, wrt)) if i == 0 else (
                        f"seed {wrt} with derivative 1 (the other parameter 0, the initial state 0) "
                        "and step with rk4_step")
                failures.append(f"{where}: dQ/d{wrt} at t = {probes.TIMES[i]:.4g} should be "
                                f"{fmt(want_dq[i])}, got {fmt(dq[i])}: {hint}")
    return Verdict(not failures, first_failures(failures))


# --- dloss ------------------------------------------------------------------------------------

def _dloss_hint(got: np.ndarray, want: np.ndarray, n: int) -> str:
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
        return (f"it agrees only to a relative {rel:.1e}; dual numbers give the derivative of the RK4 "
                "solver to rounding (finite differences do not)")
    return ("check that the initial state is seeded with derivative 0, that Q comes from rk4_step "
            "at all 200 times starting at t = 0, and that the mean runs over all 200")


def _digits(v: np.ndarray) -> str:
    """Enough digits to show a difference of 1e-10."""
    return "[" + ", ".join(f"{x:.14g}" for x in v) + "]"


def check_dloss(results, seed: int) -> Verdict:
    from ..reference.rlc import reference_dloss, reference_sensitivities

    failures = []
    for (Qhat, R, L), entry in zip(probes.dloss_inputs(seed), _points(results, probes.DLOSS_POINTS)):
        where = f"dloss(Qhat, {R:.6g}, {L:.6g})"
        status, got = outcome(entry)
        if status == "error":
            failures.append(f"{where} raised {got}")
            continue
        bad = _not_numbers(got, where)
        if bad:
            failures.append(bad)
            continue
        if type(got) is not list:
            number(got)  # a lone number: say so plainly
            failures.append(f"{where} returned one number; return the array [dloss/dR, dloss/dL]")
            continue
        g = numbers(got, (2,))
        want = reference_dloss(Qhat, R, L, probes.TIMES)
        Q, dQdR, dQdL = reference_sensitivities(R, L, probes.TIMES)
        # Each component is a mean of 200 products; measure its error against their size.
        scale = np.array([2 * np.mean(np.abs((Q - Qhat) * d)) for d in (dQdR, dQdL)])
        if not close(g, want, RTOL, RTOL * scale).all():
            failures.append(f"{where} should be {_digits(want)}, got {_digits(g)}: {_dloss_hint(g, want, len(Qhat))}")
    return Verdict(not failures, first_failures(failures))


CHECKS = {
    "euler_rk4.seeding": check_seeding,
    "euler_rk4.dual_charge": check_dual_charge,
    "euler_rk4.dloss": check_dloss,
}
