"""Probes of 01_dual_numbers: the student's `Dual` class, `derivative` and `relu`/`absolute`.

Every case is a function `fn(m, x, y, c)` written once for two worlds: with `m = numpy` and
duals it runs the student's class; with `m = jax.numpy` and floats the grader pushes the
same inputs through `jax.jvp` for the reference (autograder.checks.dual_numbers).

Some inputs are chosen so that no finite difference can pass for an exact derivative: a
function whose derivative is small next to its value (cos and sqrt near 0, log of large
numbers) makes the round-off of any difference quotient, at any step, far larger than the
rounding of dual numbers (see the tolerance in the checks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import Probe, attempt, draw_const, draw_values, probe, typed_const, unwrap_object_scalar

POINTS = 6  # random input points per case


@dataclass(frozen=True)
class Case:
    label: str  # what the student sees, e.g. "c / x"
    fn: Callable  # fn(m, x, y, c)
    domain: str = "any"  # see draw(); "any": |x| in [0.4, 3]
    const: str | None = None  # c: "int", "float", "np.float64", "positive" (a float > 0), or None
    hint: str = ""  # the method a student should look at when this case fails
    kind: str = "dual"  # "dual": result is a Dual; "bool": result is a comparison
    floor: float = 0.0  # numbers below this size are rounding: for results that cancel to 0
    ties: bool = False  # half of the points have y.value == x.value (for comparisons)
    rtol: float | None = None  # a looser tolerance for an ill-conditioned case (None: the check's own)


def draw(rng: np.random.Generator, domain: str, n: int) -> np.ndarray:
    """n values: the shared domains of `draw_values`, and three where finite differences fail:
    "near0" +-[1e-3, 1e-2], "near0+" [1e-4, 1e-3], "large" [200, 2000]."""
    if domain == "near0":
        return rng.uniform(1e-3, 1e-2, n) * rng.choice([-1.0, 1.0], n)
    if domain == "near0+":
        return rng.uniform(1e-4, 1e-3, n)
    if domain == "large":
        return rng.uniform(200.0, 2000.0, n)
    return draw_values(rng, domain, n)


def _consts(label, fn, hint, domain="any", kinds=("int", "float", "np.float64")):
    return [Case(f"{label}  [c: {k}]", fn, domain, k, hint) for k in kinds]


MESSY = "exp(sin(x**2 - (3 - cos(x**7 + 10*exp(x)))**2))"
# The messy function amplifies the rounding of its inner argument x**7 + 10 exp(x) (about 60):
# correct programs that round differently (x**7 as a power or as products) differ by up to 3e-13
# of its size. It checks compositions, not exactness (other cases do that), so it gets 1e-10.
MESSY_RTOL = 1e-10


def messy(m, x):
    return m.exp(m.sin(x**2 - (3 - m.cos(x**7 + 10 * m.exp(x))) ** 2))


def _larger(m, x, y, c):
    """Python's max(x, y) on duals: y if y > x else x. The reference says the same with where."""
    return max(x, y) if m is np else m.where(y > x, y, x)


GROUPS: dict[str, list[Case]] = {
    "dual_add_sub": [
        Case("x + y", lambda m, x, y, c: x + y, hint="__add__"),
        *_consts("x + c", lambda m, x, y, c: x + c, "__add__"),
        *_consts("c + x", lambda m, x, y, c: c + x, "__radd__"),
        Case("x - y", lambda m, x, y, c: x - y, hint="__sub__"),
        *_consts("x - c", lambda m, x, y, c: x - c, "__sub__"),
        *_consts("c - x", lambda m, x, y, c: c - x, "__rsub__"),
        Case("-x", lambda m, x, y, c: -x, hint="__neg__"),
        Case("x - x", lambda m, x, y, c: x - x, hint="__sub__", floor=1.0),
    ],
    "dual_mul_div": [
        Case("x * y", lambda m, x, y, c: x * y, hint="__mul__ (product rule)"),
        *_consts("x * c", lambda m, x, y, c: x * c, "__mul__ (a real factor scales the derivative)"),
        *_consts("c * x", lambda m, x, y, c: c * x, "__rmul__"),
        Case("x * x", lambda m, x, y, c: x * x, hint="__mul__ (product rule)"),
        Case("x / y", lambda m, x, y, c: x / y, hint="__truediv__ (quotient rule)"),
        *_consts("x / c", lambda m, x, y, c: x / c, "__truediv__ (dividing by a real scales the derivative)"),
        *_consts("c / x", lambda m, x, y, c: c / x, "__rtruediv__ (it must return a Dual)"),
    ],
    "dual_power": [
        Case("x ** 2", lambda m, x, y, c: x**2, hint="__pow__"),
        Case("x ** 3", lambda m, x, y, c: x**3, hint="__pow__"),
        Case("x ** 0.5", lambda m, x, y, c: x**0.5, "positive", hint="__pow__"),
        Case("x ** -1.5", lambda m, x, y, c: x**-1.5, "positive", hint="__pow__"),
        *_consts(
            "x ** c", lambda m, x, y, c: x**c, "__pow__ (chain factor p * x**(p-1) * dx)", domain="positive"
        ),
        Case("x ** 1", lambda m, x, y, c: x**1, hint="__pow__"),
        Case(
            "x ** 0.5 for x near 0", lambda m, x, y, c: x**0.5, "near0+", hint="__pow__ (p * x**(p-1) * dx)"
        ),
        Case("x ** -2 for large x", lambda m, x, y, c: x**-2, "large", hint="__pow__ (p * x**(p-1) * dx)"),
    ],
    "dual_functions": [
        Case("exp(x)", lambda m, x, y, c: m.exp(x), hint="exp"),
        Case("log(x)", lambda m, x, y, c: m.log(x), "positive", hint="log"),
        Case("sin(x)", lambda m, x, y, c: m.sin(x), hint="sin"),
        Case("cos(x)", lambda m, x, y, c: m.cos(x), hint="cos (d cos = -sin)"),
        Case("sqrt(x)", lambda m, x, y, c: m.sqrt(x), "positive", hint="sqrt"),
        Case("exp(2*x)", lambda m, x, y, c: m.exp(2 * x), hint="exp (chain rule)"),
        Case("sin(x*y)", lambda m, x, y, c: m.sin(x * y), hint="sin (chain rule)"),
        Case("log(x*x + 1)", lambda m, x, y, c: m.log(x * x + 1), hint="log (chain rule)"),
        Case(
            "cos(x) for x near 0", lambda m, x, y, c: m.cos(x), "near0", hint="cos (d cos = -sin, times dx)"
        ),
        Case("sqrt(x) for x near 0", lambda m, x, y, c: m.sqrt(x), "near0+", hint="sqrt (dx / (2 sqrt x))"),
        Case("log(x) for large x", lambda m, x, y, c: m.log(x), "large", hint="log (dx / x)"),
    ],
    "dual_compositions": [
        Case("3*x**4 - 2*x**2 + x - 7", lambda m, x, y, c: 3 * x**4 - 2 * x**2 + x - 7),
        Case("sin(x)**2", lambda m, x, y, c: m.sin(x) ** 2),
        Case("sin(x)**2 + cos(x)**2", lambda m, x, y, c: m.sin(x) ** 2 + m.cos(x) ** 2, floor=1.0),
        Case(MESSY, lambda m, x, y, c: messy(m, x), "moderate", rtol=MESSY_RTOL),
        Case("(x*y + 3) / (1 + y**2)", lambda m, x, y, c: (x * y + 3) / (1 + y**2)),
        Case("1 / (1 + exp(-x))", lambda m, x, y, c: 1 / (1 + m.exp(-x))),
        Case("sqrt(x) * log(x) / x", lambda m, x, y, c: m.sqrt(x) * m.log(x) / x, "positive"),
        Case("x / (1 + (x - c) ** 2)", lambda m, x, y, c: x / (1 + (x - c) ** 2), const="float"),
        Case("2 * cos(sin(x)) - x / 4", lambda m, x, y, c: 2 * m.cos(m.sin(x)) - x / 4),
        Case("(1 - cos(x)) / x for x near 0", lambda m, x, y, c: (1 - m.cos(x)) / x, "near0"),
    ],
    "dual_comparisons": [
        Case("x < y", lambda m, x, y, c: x < y, hint="__lt__", kind="bool", ties=True),
        Case("x <= y", lambda m, x, y, c: x <= y, hint="__le__", kind="bool", ties=True),
        Case("x > y", lambda m, x, y, c: x > y, hint="__gt__", kind="bool", ties=True),
        Case("x >= y", lambda m, x, y, c: x >= y, hint="__ge__", kind="bool", ties=True),
        *[
            Case(f"x {op} c  [c: {k}]", fn, const=k, hint=method, kind="bool")
            for op, fn, method in [
                ("<", lambda m, x, y, c: x < c, "__lt__"),
                (">=", lambda m, x, y, c: x >= c, "__ge__"),
            ]
            for k in ("int", "float", "np.float64")
        ],
        Case(
            "c < x  [c: float]",
            lambda m, x, y, c: c < x,
            const="float",
            hint="__gt__ (Python turns c < x into x > c)",
            kind="bool",
        ),
        Case(
            "c >= x  [c: float]",
            lambda m, x, y, c: c >= x,
            const="float",
            hint="__le__ (Python turns c >= x into x <= c)",
            kind="bool",
        ),
        Case("max(x, y)", _larger, hint="__gt__ and __lt__ (Python's max compares with them)", ties=True),
    ],
    "dual_bonus": [
        Case("x ** y", lambda m, x, y, c: x**y, "positive", hint="__pow__ with a Dual exponent"),
        Case("c ** x", lambda m, x, y, c: c**x, const="positive", hint="__rpow__"),
    ],
}


def inputs(group: str, seed: int) -> list[dict]:
    """For each case of a group: arrays a, da, b, db and the constant value c."""
    rng = GROUP_PROBES[group].rng(seed)
    cases = []
    for case in GROUPS[group]:
        a = draw(rng, case.domain, POINTS)
        b = draw(rng, case.domain, POINTS)
        da = rng.uniform(0.3, 2.0, POINTS) * rng.choice([-1.0, 1.0], POINTS)
        db = rng.uniform(0.3, 2.0, POINTS) * rng.choice([-1.0, 1.0], POINTS)
        c = draw_const(rng, case.const) if case.const else 2.0
        if case.ties:  # equal values, different derivatives: comparisons look at values only
            b[: POINTS // 2] = a[: POINTS // 2]
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


# One probe per group, named by the group: test_dual_add_sub runs dual_numbers.dual_add_sub.
GROUP_PROBES = {
    group: Probe(__name__, group, (lambda g: lambda Dual, seed: run_group(g, Dual, seed))(group))
    for group in GROUPS
}


def probe_group(group: str, Dual) -> None:
    """What a hidden-test cell calls: run one group and record its raw results."""
    GROUP_PROBES[group](Dual)


# --- finite differences and the derivative() helper ------------------------------------

FUNCTIONS = {
    "sin(x)": lambda m, x: m.sin(x),
    "x**3 - 2*x": lambda m, x: x**3 - 2 * x,
    "exp(-x**2)": lambda m, x: m.exp(-(x**2)),
    "log(1 + x**2)": lambda m, x: m.log(1 + x**2),
}
STEPS = (1e-1, 1e-2, 1e-3)


def fd_inputs(seed: int) -> list[float]:
    return [float(x) for x in probe_finite_differences.rng(seed).uniform(-2.0, 2.0, 3)]


def fd_key(label: str, x: float, h: float) -> str:
    return f"{label} at x={x:.17g} h={h:g}"


@probe
def probe_finite_differences(forward_difference, central_difference, seed: int) -> dict:
    results = {}
    for label, fn in FUNCTIONS.items():
        for x in fd_inputs(seed):
            for h in STEPS:
                f = (lambda fn: lambda v: fn(np, v))(fn)
                results[fd_key(label, x, h)] = {
                    "forward": attempt(forward_difference, f, x, h),
                    "central": attempt(central_difference, f, x, h),
                }
    return results


# Functions of one variable, fn(m, x, y, c) with y and c unused, as Case.
DERIVATIVE_CASES = {
    case.label: case
    for case in [
        Case("x**3", lambda m, x, y, c: x**3),
        Case("sin(x) * exp(x)", lambda m, x, y, c: m.sin(x) * m.exp(x)),
        Case("log(1 + x**2) / x", lambda m, x, y, c: m.log(1 + x**2) / x),
        Case("sqrt(x) ** 3 - 1 / x", lambda m, x, y, c: m.sqrt(x) ** 3 - 1 / x, "positive"),
        Case(MESSY, lambda m, x, y, c: messy(m, x), "moderate", rtol=MESSY_RTOL),
        Case("sin(50*x) * exp(-x)", lambda m, x, y, c: m.sin(50 * x) * m.exp(-x)),
        Case("cos(x) for x near 0", lambda m, x, y, c: m.cos(x), "near0"),
    ]
}


def derivative_inputs(seed: int) -> dict[str, np.ndarray]:
    rng = probe_derivative_helper.rng(seed)
    return {label: draw(rng, case.domain, 4) for label, case in DERIVATIVE_CASES.items()}


def one_variable(case: Case, m) -> Callable:
    """The case as a function of x alone, computing with `m`."""
    return lambda v: case.fn(m, v, None, None)


@probe
def probe_derivative_helper(derivative, seed: int) -> dict:
    results = {}
    for label, xs in derivative_inputs(seed).items():
        f = one_variable(DERIVATIVE_CASES[label], np)
        results[label] = [attempt(derivative, f, float(x)) for x in xs]
    return results


# --- relu(x) and absolute(x): branches on the value, and the convention at the kink --------


class Kit:
    """What a kink case computes with: relu, absolute, and the math functions of `m`."""

    def __init__(self, relu, absolute, m):
        self.relu, self.absolute, self.sin, self.exp = relu, absolute, m.sin, m.exp


@dataclass(frozen=True)
class KinkCase:
    label: str
    fn: Callable  # fn(k, x, c) with k a Kit
    at: str = "0"  # where the kink of the case lies: "0", "c" (x = c), or "float" (a float input)
    hint: str = ""


KINK_CASES = [
    KinkCase("relu(x)", lambda k, x, c: k.relu(x), hint="relu"),
    KinkCase("absolute(x)", lambda k, x, c: k.absolute(x), hint="absolute"),
    KinkCase("relu(x) - relu(-x)", lambda k, x, c: k.relu(x) - k.relu(-x), hint="relu"),
    KinkCase("absolute(x - c)", lambda k, x, c: k.absolute(x - c), at="c", hint="absolute"),
    KinkCase("relu(sin(3*x)) * exp(x)", lambda k, x, c: k.relu(k.sin(3 * x)) * k.exp(x), hint="relu"),
    KinkCase(
        "x * absolute(x) + relu(x - c)",
        lambda k, x, c: x * k.absolute(x) + k.relu(x - c),
        hint="relu, absolute",
    ),
    KinkCase("relu(x) for a float x", lambda k, x, c: k.relu(x), at="float", hint="relu"),
    KinkCase("absolute(x) for a float x", lambda k, x, c: k.absolute(x), at="float", hint="absolute"),
]


def kink_inputs(seed: int) -> list[dict]:
    """Per case: points a (the kink itself, two tiny values either side of it, and three
    ordinary ones), tangents da, and the constant c. Any difference quotient straddles the
    kink at the first three points, where duals follow one branch exactly."""
    rng = probe_kinks.rng(seed)
    cases = []
    for case in KINK_CASES:
        c = float(np.round(rng.uniform(-2.0, 2.0), 3))
        tiny = 10.0 ** rng.uniform(-300.0, -9.0, 2) * np.array([1.0, -1.0])
        far = rng.uniform(0.3, 3.0, 3) * rng.choice([-1.0, 1.0], 3)
        a = np.concatenate([[0.0], tiny, far]) + (c if case.at == "c" else 0.0)
        da = rng.uniform(0.3, 2.0, len(a)) * rng.choice([-1.0, 1.0], len(a))
        cases.append({"a": a, "da": da, "c": c})
    return cases


def _number(r):
    r = unwrap_object_scalar(r)
    if hasattr(r, "value") or not isinstance(r, (int, float, np.integer, np.floating)) or isinstance(r, bool):
        raise TypeError(f"returned {type(r).__name__} for a float input, not a float")
    return float(r)


@probe
def probe_kinks(relu, absolute, Dual, seed: int) -> dict:
    """{case label: [{'ok': [value, derivative]} (or a value for a float input) | {'error': text}]}."""
    kit = Kit(relu, absolute, np)
    results = {}
    for case, data in zip(KINK_CASES, kink_inputs(seed)):
        entries = []
        for x0, dx in zip(data["a"], data["da"]):
            if case.at == "float":
                entries.append(attempt(lambda x0=x0: _number(case.fn(kit, float(x0), data["c"]))))
            else:
                entries.append(
                    attempt(
                        lambda x0=x0, dx=dx: _dual_parts(case.fn(kit, Dual(float(x0), float(dx)), data["c"]))
                    )
                )
        results[case.label] = entries
    return results
