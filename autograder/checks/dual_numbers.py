"""Trusted checks of 01_dual_numbers against `jax.jvp` in float64.

Tolerance. Dual numbers and `jax.jvp` apply the same rules in nearly the same order: over
40 seeds the solution's class and honest variants of it (rules through __array_ufunc__;
division as a product with a power, sqrt as x ** 0.5, integer powers as repeated products)
stay within 5e-14 of the size of each case's numbers (`compare.size`), the wiggly "messy"
function being the worst. RTOL = 1e-12 leaves them a margin of 20. A class whose rules
are difference quotients, forward or central, at any step from 1e-3 to 1e-8, is off by
5e-10 or more in every group that has a derivative rule to approximate (500 times RTOL):
the cases where the derivative is small next to the value (cos and sqrt near 0, log of
large numbers) put the round-off of any difference quotient far out of reach.
tests/test_checks_dual_numbers.py measures both margins.
"""

from __future__ import annotations

from ..probes import dual_numbers as probes
from . import MalformedResult, Verdict, check, register
from .compare import (
    close,
    entries,
    first_failures,
    fmt,
    fmt_exact,
    inexact_hint,
    numbers,
    outcome,
    size,
    unexpected_type,
)

RTOL = 1e-12


def _point(case, data, i) -> str:
    x = f"x = Dual({data['a'][i]:.6g}, {data['da'][i]:.6g})"
    if "y" in case.label:
        x += f", y = Dual({data['b'][i]:.6g}, {data['db'][i]:.6g})"
    if case.const:
        x += f", c = {data['c']!r}"
    return x


def _dual_mismatch(got, want_v: float, want_d: float, rtol: float, atol_v: float, atol_d: float):
    """Judge a Dual's (value, derivative) parts against the exact ones: None when both are
    right, otherwise ("value" or "derivative", the part's wrong number, the exact one)."""
    value, deriv = numbers(got, (2,))
    if not close(value, want_v, rtol, atol_v):
        return "value", value, want_v
    if not close(deriv, want_d, rtol, atol_d):
        return "derivative", deriv, want_d
    return None


def check_group(group: str, results, seed: int) -> Verdict:
    from ..reference.dual_numbers import group_references

    failures = []
    references = group_references(group, seed)
    for case, data, (want_v, want_d) in zip(probes.GROUPS[group], probes.inputs(group, seed), references):
        hint = f": check {case.hint}" if case.hint else ""
        rtol = case.rtol or RTOL
        if case.kind == "dual":
            atol_v, atol_d = rtol * size(want_v, case.floor), rtol * size(want_d, case.floor)
        for i, entry in enumerate(entries(results, case.label, probes.POINTS)):
            status, got = outcome(entry)
            where = f"{case.label} with {_point(case, data, i)}"
            if status == "error":
                failures.append(f"{where} raised {got}{hint}")
                break
            if unexpected_type(got):
                failures.append(f"{where} gave {unexpected_type(got)} parts instead of numbers{hint}")
                break
            if case.kind == "bool":
                ok = numbers(got, ())
                if ok != want_v[i]:
                    failures.append(
                        f"{where} should be {bool(want_v[i])} (comparisons look at the values only){hint}"
                    )
                    break
                continue
            wrong = _dual_mismatch(got, want_v[i], want_d[i], rtol, atol_v, atol_d)
            if wrong:
                part, value, want = wrong
                note = inexact_hint(value, want, atol_d / rtol) if part == "derivative" else ""
                failures.append(
                    f"{where}: {part} should be {fmt_exact(want)}, got {fmt_exact(value)}{note}{hint}"
                )
                break
    return Verdict(not failures, first_failures(failures))


@check(probes.probe_finite_differences)
def check_finite_differences(results, seed: int) -> Verdict:
    from ..reference.dual_numbers import finite_differences

    if type(results) is not dict:
        raise MalformedResult("expected a dict of results")
    failures = []
    for label, fn in probes.FUNCTIONS.items():
        for x in probes.fd_inputs(seed):
            for h in probes.STEPS:
                key = probes.fd_key(label, x, h)
                entry = results.get(key)
                if type(entry) is not dict or set(entry) != {"forward", "central"}:
                    raise MalformedResult(f"expected forward and central results for {key!r}")
                want = finite_differences(fn, x, h)
                for kind in ("forward", "central"):
                    status, got = outcome(entry[kind])
                    name = f"{kind}_difference(f, {x:.6g}, {h:g}) for f(x) = {label}"
                    if status == "error":
                        failures.append(f"{name} raised {got}")
                        continue
                    value = numbers(got, ())
                    if not close(value, want[kind], 1e-7, 1e-12):
                        failures.append(f"{name} should be {fmt(want[kind])}, got {fmt(value)}")
    return Verdict(not failures, first_failures(failures))


@check(probes.probe_derivative_helper)
def check_derivative(results, seed: int) -> Verdict:
    from ..reference.dual_numbers import derivative_references

    failures = []
    references = derivative_references(seed)
    for label, xs in probes.derivative_inputs(seed).items():
        case, want = probes.DERIVATIVE_CASES[label], references[label]
        rtol = case.rtol or RTOL
        atol = rtol * size(want, case.floor)
        for x, w, entry in zip(xs, want, entries(results, label, len(xs))):
            status, got = outcome(entry)
            where = f"derivative(f, {x:.6g}) for f(x) = {label}"
            if status == "error":
                failures.append(f"{where} raised {got}")
                break
            value = numbers(got, ())
            if not close(value, w, rtol, atol):
                failures.append(
                    f"{where} should be {fmt_exact(w)}, got {fmt_exact(value)}"
                    f"{inexact_hint(value, w, atol / rtol)}: seed the input as Dual(x, 1) and return "
                    "the derivative part"
                )
                break
    return Verdict(not failures, first_failures(failures))


# --- relu and absolute ------------------------------------------------------------------------

_KINK_WHERE = ("at the kink", "just beside the kink", "just beside the kink")


def _kink_hint(case, i: int, got: float, want: float, dx: float) -> str:
    if i >= len(_KINK_WHERE):
        return f": check {case.hint} (the chain factor: multiply by the derivative of the input)"
    if i == 0:
        slope = (got - want) / dx  # what the function's branch at the kink contributes
        took = {
            1.0: "the branch that returns x",
            -1.0: "the branch that returns -x",
            0.5: "half of one branch, like a central difference across it",
            -0.5: "half of one branch, like a central difference across it",
        }.get(round(slope, 9))
        rule = (
            "a kink has no derivative, and this notebook asks for 0 there (PyTorch's choice, and "
            "JAX's for relu): return x only when x > 0 and -x only when x < 0"
        )
        return (
            f": at the kink your function took {took}. {rule[0].upper()}{rule[1:]}" if took else f": {rule}"
        )
    return (
        ": dual numbers follow the branch of x itself, times the derivative of the input (the chain "
        "factor); a difference quotient whose step is wider than |x| straddles the kink instead"
    )


@check(probes.probe_kinks)
def check_kinks(results, seed: int) -> Verdict:
    from ..reference.dual_numbers import kink_references

    failures = []
    for case, data, (want_v, want_d) in zip(
        probes.KINK_CASES, probes.kink_inputs(seed), kink_references(seed)
    ):
        atol_v, atol_d = RTOL * size(want_v, 1.0), RTOL * size(want_d, 1.0)
        shift = f" (c = {data['c']!r})" if "c" in case.label else ""
        for i, entry in enumerate(entries(results, case.label, len(data["a"]))):
            status, got = outcome(entry)
            x0, dx = data["a"][i], data["da"][i]
            where = (
                f"{case.label} with x = {float(x0)!r}"
                if case.at == "float"
                else f"{case.label} with x = Dual({float(x0)!r}, {dx:.6g}){shift}"
            )
            if status == "error":
                advice = (
                    ": relu and absolute must take a plain float too (compare with > and <, which "
                    "floats and Duals both have)"
                    if case.at == "float"
                    else f": check {case.hint}"
                )
                failures.append(f"{where} raised {got}{advice}")
                break
            if unexpected_type(got):
                failures.append(
                    f"{where} gave {unexpected_type(got)} instead of numbers: return a Dual "
                    "for a Dual and a float for a float"
                )
                break
            if case.at == "float":
                value = numbers(got, ())
                if not close(value, want_v[i], RTOL, atol_v):
                    failures.append(
                        f"{where} should be {fmt_exact(want_v[i])}, got {fmt_exact(value)}: check {case.hint}"
                    )
                    break
                continue
            wrong = _dual_mismatch(got, want_v[i], want_d[i], RTOL, atol_v, atol_d)
            if wrong and wrong[0] == "value":
                _, value, want = wrong
                failures.append(
                    f"{where}: value should be {fmt_exact(want)}, got {fmt_exact(value)}: check {case.hint}"
                )
                break
            if wrong:
                _, deriv, want = wrong
                failures.append(
                    f"{where} ({_KINK_WHERE[i] if i < 3 else 'away from the kink'}): derivative "
                    f"should be {fmt_exact(want)}, got {fmt_exact(deriv)}{_kink_hint(case, i, deriv, want, dx)}"
                )
                break
    return Verdict(not failures, first_failures(failures))


for _group, _probe in probes.GROUP_PROBES.items():
    register(_probe, (lambda g: lambda results, seed: check_group(g, results, seed))(_group))
