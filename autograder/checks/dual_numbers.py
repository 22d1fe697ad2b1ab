"""Trusted checks of 01_dual_numbers against `jax.jvp` in float64."""
from __future__ import annotations

import numpy as np

from ..probes import dual_numbers as probes
from . import MalformedResult, TestSpec, Verdict
from .compare import close, entries, first_failures, fmt, numbers, outcome, unexpected_type

RTOL, ATOL = 1e-8, 1e-10
ANSWER = ("dual_class",)

TESTS = {
    "test_finite_differences": TestSpec("dual_numbers.finite_differences", ("finite_differences",)),
    "test_dual_add_sub": TestSpec("dual_numbers.add_sub", ANSWER),
    "test_dual_mul_div": TestSpec("dual_numbers.mul_div", ANSWER),
    "test_dual_power": TestSpec("dual_numbers.power", ANSWER),
    "test_dual_functions": TestSpec("dual_numbers.functions", ANSWER),
    "test_dual_compositions": TestSpec("dual_numbers.compositions", ANSWER),
    "test_dual_bonus": TestSpec("dual_numbers.bonus", ANSWER),
    "test_derivative_helper": TestSpec("dual_numbers.derivative", ("derivative_helper", "dual_class")),
}



def _point(case, data, i) -> str:
    x = f"x = Dual({data['a'][i]:.6g}, {data['da'][i]:.6g})"
    if "y" in case.label:
        x += f", y = Dual({data['b'][i]:.6g}, {data['db'][i]:.6g})"
    if case.const:
        x += f", c = {data['c']!r}"
    return x


def check_group(group: str, results, seed: int) -> Verdict:
    from ..reference.dual_numbers import reference_case

    failures = []
    for case, data in zip(probes.GROUPS[group], probes.inputs(group, seed)):
        want_v, want_d = reference_case(case, data)
        hint = f": check {case.hint}" if case.hint else ""
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
                    failures.append(f"{where} should be {bool(want_v[i])}{hint}")
                    break
                continue
            value, deriv = numbers(got, (2,))
            if not close(value, want_v[i], RTOL, ATOL):
                failures.append(f"{where}: value should be {fmt(want_v[i])}, got {fmt(value)}{hint}")
                break
            if not close(deriv, want_d[i], RTOL, ATOL):
                failures.append(f"{where}: derivative should be {fmt(want_d[i])}, got {fmt(deriv)}{hint}")
                break
    return Verdict(not failures, first_failures(failures))


def check_finite_differences(results, seed: int) -> Verdict:
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
                f = lambda v: fn(np, v)  # noqa: E731
                want = {"forward": (f(x + h) - f(x)) / h, "central": (f(x + h) - f(x - h)) / (2 * h)}
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


def check_derivative(results, seed: int) -> Verdict:
    from ..reference.dual_numbers import reference_derivative

    failures = []
    for label, xs in probes.derivative_inputs(seed).items():
        _, want = reference_derivative(probes.DERIVATIVE_CASES[label][0], xs)
        for x, w, entry in zip(xs, want, entries(results, label, len(xs))):
            status, got = outcome(entry)
            if status == "error":
                failures.append(f"derivative(f, {x:.6g}) for f(x) = {label} raised {got}")
                break
            value = numbers(got, ())
            if not close(value, w, RTOL, ATOL):
                failures.append(f"derivative(f, {x:.6g}) for f(x) = {label} should be {fmt(w)}, got {fmt(value)}")
                break
    return Verdict(not failures, first_failures(failures))


CHECKS = {f"dual_numbers.{g}": (lambda g: lambda r, s: check_group(g, r, s))(g) for g in probes.GROUPS}
CHECKS["dual_numbers.finite_differences"] = check_finite_differences
CHECKS["dual_numbers.derivative"] = check_derivative
