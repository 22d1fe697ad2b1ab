"""Probes of 01_dual_numbers: the student's `Dual` class on random inputs.

Every case is a function `fn(m, x, y, c)` written once for two worlds: with `m = numpy` and
duals it runs the student's class; with `m = jax.numpy` and floats the grader pushes the
same inputs through `jax.jvp` for the reference (autograder.checks.dual_numbers).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import (attempt, draw_const, draw_values, report, rng_for, seed_and_mode, typed_const,
               unwrap_object_scalar)

POINTS = 6  # random input points per case


@dataclass(frozen=True)
class Case:
    label: str          # what the student sees, e.g. "c / x"
    fn: Callable        # fn(m, x, y, c)
    domain: str = "any"  # "any": |x| >= 0.4; "positive": x in [0.3, 3]; "moderate": x in [0.5, 1.2]
    const: str | None = None  # c: "int", "float", "np.float64", "positive" (a float > 0), or None
    hint: str = ""      # the method a student should look at when this case fails
    kind: str = "dual"  # "dual": result is a Dual; "bool": result is a comparison


def _consts(label, fn, hint, domain="any", kinds=("int", "float", "np.float64")):
    return [Case(f"{label}  [c: {k}]", fn, domain, k, hint) for k in kinds]


def _messy(m, x):
    return m.exp(m.sin(x ** 2 - (3 - m.cos(x ** 7 + 10 * m.exp(x))) ** 2))


GROUPS: dict[str, list[Case]] = {
    "add_sub": [
        Case("x + y", lambda m, x, y, c: x + y, hint="__add__"),
        *_consts("x + c", lambda m, x, y, c: x + c, "__add__"),
        *_consts("c + x", lambda m, x, y, c: c + x, "__radd__"),
        Case("x - y", lambda m, x, y, c: x - y, hint="__sub__"),
        *_consts("x - c", lambda m, x, y, c: x - c, "__sub__"),
        *_consts("c - x", lambda m, x, y, c: c - x, "__rsub__"),
        Case("-x", lambda m, x, y, c: -x, hint="__neg__"),
        Case("x - x", lambda m, x, y, c: x - x, hint="__sub__"),
    ],
    "mul_div": [
        Case("x * y", lambda m, x, y, c: x * y, hint="__mul__ (product rule)"),
        *_consts("x * c", lambda m, x, y, c: x * c, "__mul__ (a real factor scales the derivative)"),
        *_consts("c * x", lambda m, x, y, c: c * x, "__rmul__"),
        Case("x * x", lambda m, x, y, c: x * x, hint="__mul__ (product rule)"),
        Case("x / y", lambda m, x, y, c: x / y, hint="__truediv__ (quotient rule)"),
        *_consts("x / c", lambda m, x, y, c: x / c, "__truediv__ (dividing by a real scales the derivative)"),
        *_consts("c / x", lambda m, x, y, c: c / x, "__rtruediv__ (it must return a Dual)"),
    ],
    "power": [
        Case("x ** 2", lambda m, x, y, c: x ** 2, hint="__pow__"),
        Case("x ** 3", lambda m, x, y, c: x ** 3, hint="__pow__"),
        Case("x ** 0.5", lambda m, x, y, c: x ** 0.5, "positive", hint="__pow__"),
        Case("x ** -1.5", lambda m, x, y, c: x ** -1.5, "positive", hint="__pow__"),
        *_consts("x ** c", lambda m, x, y, c: x ** c, "__pow__ (chain factor p * x**(p-1) * dx)",
                 domain="positive"),
        Case("x ** 1", lambda m, x, y, c: x ** 1, hint="__pow__"),
    ],
    "functions": [
        Case("exp(x)", lambda m, x, y, c: m.exp(x), hint="exp"),
        Case("log(x)", lambda m, x, y, c: m.log(x), "positive", hint="log"),
        Case("sin(x)", lambda m, x, y, c: m.sin(x), hint="sin"),
        Case("cos(x)", lambda m, x, y, c: m.cos(x), hint="cos (d cos = -sin)"),
        Case("sqrt(x)", lambda m, x, y, c: m.sqrt(x), "positive", hint="sqrt"),
        Case("exp(2*x)", lambda m, x, y, c: m.exp(2 * x), hint="exp (chain rule)"),
        Case("sin(x*y)", lambda m, x, y, c: m.sin(x * y), hint="sin (chain rule)"),
        Case("log(x*x + 1)", lambda m, x, y, c: m.log(x * x + 1), hint="log (chain rule)"),
    ],
    "compositions": [
        Case("3*x**4 - 2*x**2 + x - 7", lambda m, x, y, c: 3 * x ** 4 - 2 * x ** 2 + x - 7),
        Case("sin(x)**2", lambda m, x, y, c: m.sin(x) ** 2),
        Case("sin(x)**2 + cos(x)**2", lambda m, x, y, c: m.sin(x) ** 2 + m.cos(x) ** 2),
        Case("exp(sin(x**2 - (3 - cos(x**7 + 10*exp(x)))**2))",
             lambda m, x, y, c: _messy(m, x), "moderate"),
        Case("(x*y + 3) / (1 + y**2)", lambda m, x, y, c: (x * y + 3) / (1 + y ** 2)),
        Case("1 / (1 + exp(-x))", lambda m, x, y, c: 1 / (1 + m.exp(-x))),
        Case("sqrt(x) * log(x) / x", lambda m, x, y, c: m.sqrt(x) * m.log(x) / x, "positive"),
        Case("x / (1 + (x - c) ** 2)", lambda m, x, y, c: x / (1 + (x - c) ** 2), const="float"),
        Case("2 * cos(sin(x)) - x / 4", lambda m, x, y, c: 2 * m.cos(m.sin(x)) - x / 4),
    ],
    "bonus": [
        Case("x ** y", lambda m, x, y, c: x ** y, "positive", hint="__pow__ with a Dual exponent"),
        Case("c ** x", lambda m, x, y, c: c ** x, const="positive", hint="__rpow__"),
        Case("x < y", lambda m, x, y, c: x < y, hint="__lt__", kind="bool"),
        Case("x > c", lambda m, x, y, c: x > c, const="float", hint="__gt__", kind="bool"),
        Case("x <= y", lambda m, x, y, c: x <= y, hint="__le__", kind="bool"),
        Case("x >= c", lambda m, x, y, c: x >= c, const="float", hint="__ge__", kind="bool"),
    ],
}


def inputs(group: str, seed: int) -> list[dict]:
    """For each case of a group: arrays a, da, b, db and the constant value c."""
    rng = rng_for(seed, f"dual_numbers.{group}")
    cases = []
    for case in GROUPS[group]:
        a = draw_values(rng, case.domain, POINTS)
        b = draw_values(rng, case.domain, POINTS)
        da = rng.uniform(0.3, 2.0, POINTS) * rng.choice([-1.0, 1.0], POINTS)
        db = rng.uniform(0.3, 2.0, POINTS) * rng.choice([-1.0, 1.0], POINTS)
        c = draw_const(rng, case.const) if case.const else 2.0
        cases.append({"a": a, "da": da, "b": b, "db": db, "c": c})
    return cases


def _dual_parts(r):
    r = unwrap_object_scalar(r)
    if not (hasattr(r, "value") and hasattr(r, "derivative")):
        raise TypeError(f"returned {type(r).__name__}, not a Dual")
    return [r.value, r.derivative]


def run_group(group: str, Dual, seed: int) -> dict:
    """Raw results {case label: [{'ok': [value, derivative]} | {'error': text}, ...]}."""
    results = {}
    for case, data in zip(GROUPS[group], inputs(group, seed)):
        c = typed_const(case.const, data["c"]) if case.const else data["c"]
        entries = []
        for i in range(POINTS):
            def one(i=i):
                x = Dual(float(data["a"][i]), float(data["da"][i]))
                y = Dual(float(data["b"][i]), float(data["db"][i]))
                r = case.fn(np, x, y, c)
                return float(bool(r)) if case.kind == "bool" else _dual_parts(r)
            entries.append(attempt(one))
        results[case.label] = entries
    return results


def probe(group: str, Dual) -> None:
    """What a hidden-test cell calls: run one group and report its raw results."""
    seed, local = seed_and_mode()
    report(f"dual_numbers.{group}", run_group(group, Dual, seed), seed, local)


# --- finite differences and the derivative() helper ------------------------------------

FUNCTIONS = {
    "sin(x)": lambda m, x: m.sin(x),
    "x**3 - 2*x": lambda m, x: x ** 3 - 2 * x,
    "exp(-x**2)": lambda m, x: m.exp(-x ** 2),
    "log(1 + x**2)": lambda m, x: m.log(1 + x ** 2),
}
STEPS = (1e-1, 1e-2, 1e-3)


def fd_inputs(seed: int) -> list[float]:
    return [float(x) for x in rng_for(seed, "dual_numbers.finite_differences").uniform(-2.0, 2.0, 3)]


def fd_key(label: str, x: float, h: float) -> str:
    return f"{label} at x={x:.17g} h={h:g}"


def run_finite_differences(forward_difference, central_difference, seed: int) -> dict:
    results = {}
    for label, fn in FUNCTIONS.items():
        for x in fd_inputs(seed):
            for h in STEPS:
                f = (lambda fn: lambda v: fn(np, v))(fn)
                results[fd_key(label, x, h)] = {"forward": attempt(forward_difference, f, x, h),
                                                "central": attempt(central_difference, f, x, h)}
    return results


def probe_finite_differences(forward_difference, central_difference) -> None:
    seed, local = seed_and_mode()
    report("dual_numbers.finite_differences",
           run_finite_differences(forward_difference, central_difference, seed), seed, local)


DERIVATIVE_CASES = {
    "x**3": (lambda m, x: x ** 3, "any"),
    "sin(x) * exp(x)": (lambda m, x: m.sin(x) * m.exp(x), "any"),
    "log(1 + x**2) / x": (lambda m, x: m.log(1 + x ** 2) / x, "any"),
    "sqrt(x) ** 3 - 1 / x": (lambda m, x: m.sqrt(x) ** 3 - 1 / x, "positive"),
    "exp(sin(x**2 - (3 - cos(x**7 + 10*exp(x)))**2))": (_messy, "moderate"),
}


def derivative_inputs(seed: int) -> dict[str, np.ndarray]:
    rng = rng_for(seed, "dual_numbers.derivative")
    return {label: draw_values(rng, domain, 4) for label, (_, domain) in DERIVATIVE_CASES.items()}


def run_derivative(derivative, seed: int) -> dict:
    results = {}
    for label, xs in derivative_inputs(seed).items():
        fn = DERIVATIVE_CASES[label][0]
        f = (lambda fn: lambda v: fn(np, v))(fn)
        results[label] = [attempt(derivative, f, float(x)) for x in xs]
    return results


def probe_derivative(derivative) -> None:
    seed, local = seed_and_mode()
    report("dual_numbers.derivative", run_derivative(derivative, seed), seed, local)
