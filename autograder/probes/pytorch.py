"""Probes of 03_pytorch: the student's reverse-mode `Var`, `torch_dloss` and `sgd_step`.

Every `Var` case is a function `fn(m, x, y, c)` written once for two worlds: with `m = numpy`
and the student's `Var` leaves it builds a graph, and the probe calls `backward()` on the
output and records the output's value and the leaves' `.grad`; with `m = jax.numpy` and
float arrays the grader differentiates the same function with `jax.vjp` for the reference
(autograder.reference.pytorch).

The data `Qhat` of the torch_dloss probe is made here, with plain numpy, from the seed: an RK4
charge curve at "true" parameters drawn from the seed, plus Gaussian noise. The grader calls
the same functions, so both sides hold the same numbers bit for bit.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

import numpy as np

from .. import rlc
from . import Probe, attempt, draw_const, probe, typed_const, unwrap_object_scalar
from .dual_numbers import MESSY, MESSY_RTOL, draw, messy

POINTS = 5  # random input points per Var case
ROOM = 1000  # frames a deep case leaves backward() above the caller: Python's default limit


@dataclass(frozen=True)
class Case:
    label: str  # what the student sees, e.g. "c / x"
    fn: Callable  # fn(m, x, y, c) -> the output node
    domain: str = "any"  # see probes.dual_numbers.draw: "any", "positive", "small", "near0", "large", ...
    const: str | None = None  # c: "int", "float", "np.float64", "positive" (a float > 0), or None
    hint: str = ""  # the method a student should look at when this case fails
    floor: float = 0.0  # numbers below this size are rounding: for results that cancel to 0
    deep: bool = False  # run with only ROOM frames of recursion left: backward() must not recurse per node
    rtol: float | None = None  # a looser tolerance for an ill-conditioned case (None: the check's own)


def _consts(label, fn, hint, domain="any", kinds=("int", "float", "np.float64")):
    return [Case(f"{label}  [c: {k}]", fn, domain, k, hint) for k in kinds]


# --- graphs whose shape matters: reuse and order -----------------------------------------


def _square_then_reuse(m, x, y, c):
    t = x * x
    return t * t + t  # t feeds two nodes, x feeds one node twice


def _shared_product(m, x, y, c):
    t = x * y
    return t * t * t + t


def _very_long_chain(m, x, y, c):
    h = x
    for _ in range(1000):
        # three nodes per step on h's path (exp, +, log), and each used once: a chain 3,000 nodes
        # deep with one path from the output to each node, so that a backward() that walks every
        # path ends at the recursion limit at once instead of in exponential time; log(e^x + y^2)
        h = m.log(m.exp(h) + y * y / 1000)
    return h


def _chain(m, x, y, c):
    h = x
    for _ in range(12):
        h = m.sin(h) + h / 2
    return h


def _long_chain(m, x, y, c):
    h = x
    for _ in range(80):
        h = m.sin(0.9 * h + y)  # each level used once: deep, not wide
    return h


def _diamond(m, x, y, c):
    a = x * y
    return m.sin(a) * m.cos(a) + a


def _short_and_long_path(m, x, y, c):
    u = x * y  # reached from the output directly and through a long path
    w = m.sin(m.cos(m.sin(u) + 1) * 2)
    return w * 3 + u


def _ladder(m, x, y, c):
    h = x
    for _ in range(6):
        h = h * y + m.sin(h)  # each level uses the one below twice
    return h


def _horner(m, x, y, c):
    p = 0.5
    for k in (1.0, -2.0, 0.5, 3.0, -1.0, 0.25):
        p = p * x + k
    return p * y


def _exp_shared(m, x, y, c):
    a = m.exp(x / 2)
    return (a * y) * (a / y) + a


GROUPS: dict[str, list[Case]] = {
    "var_arithmetic": [
        Case("x + y", lambda m, x, y, c: x + y, hint="__add__"),
        *_consts("x + c", lambda m, x, y, c: x + c, "__add__"),
        *_consts("c + x", lambda m, x, y, c: c + x, "__radd__"),
        Case("x - y", lambda m, x, y, c: x - y, hint="__sub__"),
        *_consts("x - c", lambda m, x, y, c: x - c, "__sub__"),
        *_consts("c - x", lambda m, x, y, c: c - x, "__rsub__ (d(c - x)/dx = -1)"),
        Case("-x", lambda m, x, y, c: -x, hint="__neg__"),
        Case("x * y", lambda m, x, y, c: x * y, hint="__mul__ (each factor gets the other's value)"),
        *_consts("x * c", lambda m, x, y, c: x * c, "__mul__ with a number"),
        *_consts("c * x", lambda m, x, y, c: c * x, "__rmul__"),
        Case("x / y", lambda m, x, y, c: x / y, hint="__truediv__ (d(x/y)/dy = -x/y**2)"),
        *_consts("x / c", lambda m, x, y, c: x / c, "__truediv__ with a number"),
        *_consts(
            "c / x", lambda m, x, y, c: c / x, "__rtruediv__ (it must return a Var; d(c/x)/dx = -c/x**2)"
        ),
        Case("(x + 2) * (y - 1)", lambda m, x, y, c: (x + 2) * (y - 1), hint="__add__, __sub__, __mul__"),
    ],
    "var_powers": [
        Case("x ** 2", lambda m, x, y, c: x**2, hint="__pow__"),
        Case("x ** 3", lambda m, x, y, c: x**3, hint="__pow__"),
        Case("x ** 0.5", lambda m, x, y, c: x**0.5, "positive", hint="__pow__"),
        Case("x ** -1.5", lambda m, x, y, c: x**-1.5, "positive", hint="__pow__"),
        *_consts(
            "x ** c",
            lambda m, x, y, c: x**c,
            "__pow__ (p * x**(p - 1) times the output's grad)",
            domain="positive",
        ),
        Case("(x * y) ** 2", lambda m, x, y, c: (x * y) ** 2, hint="__pow__ (multiply by the output's grad)"),
        Case("x ** 1", lambda m, x, y, c: x**1, hint="__pow__"),
        Case("x ** 0.5 for x near 0", lambda m, x, y, c: x**0.5, "near0+", hint="__pow__ (p * x**(p - 1))"),
        Case("x ** -2 for large x", lambda m, x, y, c: x**-2, "large", hint="__pow__ (p * x**(p - 1))"),
    ],
    "var_functions": [
        Case("exp(x)", lambda m, x, y, c: m.exp(x), hint="exp"),
        Case("log(x)", lambda m, x, y, c: m.log(x), "positive", hint="log"),
        Case("sin(x)", lambda m, x, y, c: m.sin(x), hint="sin"),
        Case("cos(x)", lambda m, x, y, c: m.cos(x), hint="cos (d cos = -sin)"),
        Case("exp(x) * y", lambda m, x, y, c: m.exp(x) * y, hint="exp (multiply by the output's grad)"),
        Case(
            "log(x) * y",
            lambda m, x, y, c: m.log(x) * y,
            "positive",
            hint="log (multiply by the output's grad)",
        ),
        Case("sin(x) * y", lambda m, x, y, c: m.sin(x) * y, hint="sin (multiply by the output's grad)"),
        Case(
            "cos(2 * x) * y", lambda m, x, y, c: m.cos(2 * x) * y, hint="cos (multiply by the output's grad)"
        ),
        Case("exp(x * y)", lambda m, x, y, c: m.exp(x * y), "small", hint="exp, __mul__"),
        Case("sin(x * y)", lambda m, x, y, c: m.sin(x * y), hint="sin, __mul__"),
        Case("log(x**2 + y**2)", lambda m, x, y, c: m.log(x**2 + y**2), hint="log, __pow__, __add__"),
        Case("1 / (1 + exp(-x))", lambda m, x, y, c: 1 / (1 + m.exp(-x)), hint="exp, __rtruediv__"),
        Case("cos(x) for x near 0", lambda m, x, y, c: m.cos(x), "near0", hint="cos (d cos = -sin)"),
        Case("log(x) for large x", lambda m, x, y, c: m.log(x), "large", hint="log (1 / x)"),
    ],
    "var_reuse": [
        Case("x * x", lambda m, x, y, c: x * x, hint="__mul__ (x is both factors: add, do not overwrite)"),
        Case("x + x", lambda m, x, y, c: x + x, hint="gradients must accumulate (+=)"),
        Case("x * x * x", lambda m, x, y, c: x * x * x, hint="gradients must accumulate (+=)"),
        Case(
            "x / x",
            lambda m, x, y, c: x / x,
            hint="__truediv__ (x is both numerator and denominator)",
            floor=1.0,
        ),
        Case("x - x * y", lambda m, x, y, c: x - x * y, hint="gradients must accumulate (+=)", floor=1.0),
        Case("t = x*x; t*t + t", _square_then_reuse, hint="gradients must accumulate (+=)"),
        Case("t = x*y; t*t*t + t", _shared_product, hint="gradients must accumulate (+=)"),
        Case(
            "(x + y) * (x - y)", lambda m, x, y, c: (x + y) * (x - y), hint="gradients must accumulate (+=)"
        ),
        Case(
            "sin(x) * sin(x) + cos(x) ** 2",
            lambda m, x, y, c: m.sin(x) * m.sin(x) + m.cos(x) ** 2,
            hint="gradients must accumulate (+=)",
            floor=1.0,
        ),
    ],
    "var_deep_graphs": [
        Case(
            "diamond: a = x*y; sin(a)*cos(a) + a",
            _diamond,
            hint="backward() must visit nodes in reverse topological order",
        ),
        Case(
            "short and long path: u = x*y; sin(cos(sin(u) + 1)*2)*3 + u",
            _short_and_long_path,
            hint="a node may pass its gradient on only after every node that uses it has",
        ),
        Case(
            "ladder: h <- h*y + sin(h), 6 times",
            _ladder,
            "small",
            hint="backward() must visit nodes in reverse topological order, each node once",
        ),
        Case("chain: h <- sin(h) + h/2, 12 times", _chain, hint="backward() in reverse topological order"),
        Case(
            "long chain: h <- sin(0.9*h + y), 80 times",
            _long_chain,
            hint="backward() in reverse topological order",
        ),
        Case("Horner polynomial of x, times y", _horner, "small", hint="gradients must accumulate (+=)"),
        Case("a = exp(x/2); (a*y) * (a/y) + a", _exp_shared, hint="backward() in reverse topological order"),
        Case(
            MESSY,
            lambda m, x, y, c: messy(m, x),
            "moderate",
            hint="each rule multiplies by the output's grad",
            rtol=MESSY_RTOL,
        ),
        Case(
            "a chain 3,000 nodes deep: h <- log(exp(h) + y*y/1000), 1000 times",
            _very_long_chain,
            "small",
            hint="backward() must not call itself once per node: a graph this deep needs an explicit stack "
            "(the grader leaves it Python's default room of 1,000 frames)",
            deep=True,
        ),
    ],
}


def inputs(group: str, seed: int) -> list[dict]:
    """For each case of a group: arrays a (x) and b (y) of input values, and the constant c."""
    rng = GROUP_PROBES[group].rng(seed)
    cases = []
    for case in GROUPS[group]:
        a = draw(rng, case.domain, POINTS)
        b = draw(rng, case.domain, POINTS)
        c = draw_const(rng, case.const) if case.const else 2.0
        cases.append({"a": a, "b": b, "c": c})
    return cases


def _node(r):
    r = unwrap_object_scalar(r)
    if not (hasattr(r, "value") and hasattr(r, "grad") and callable(getattr(r, "backward", None))):
        raise TypeError(f"returned {type(r).__name__}, not a Var")
    return r


@contextmanager
def recursion_room(frames: int):
    """Python's recursion limit set to leave `frames` frames above the caller, then restored."""
    depth = 0
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def run_group(group: str, Var, seed: int) -> dict:
    """Raw results {case label: [{'ok': [value, x.grad, y.grad]} | {'error': text}, ...]}."""
    results = {}
    for case, data in zip(GROUPS[group], inputs(group, seed)):
        c = typed_const(case.const, data["c"]) if case.const else data["c"]
        entries = []
        for i in range(POINTS):

            def one(i=i):
                x, y = Var(float(data["a"][i])), Var(float(data["b"][i]))
                out = _node(case.fn(np, x, y, c))
                if case.deep:
                    with recursion_room(ROOM):
                        out.backward()
                else:
                    out.backward()
                return [out.value, x.grad, y.grad]

            entries.append(attempt(one))
        results[case.label] = entries
    return results


# One probe per group, named by the group: test_var_reuse runs pytorch.var_reuse.
GROUP_PROBES = {
    group: Probe(__name__, group, (lambda g: lambda Var, seed: run_group(g, Var, seed))(group))
    for group in GROUPS
}


def probe_group(group: str, Var) -> None:
    """What a hidden-test cell calls: run one group of cases and record the raw results."""
    GROUP_PROBES[group](Var)


# --- torch_dloss(Qhat, R, L) -> [dloss/dR, dloss/dL] -------------------------------------

TIMES = rlc.TIMES
DLOSS_POINTS = 3


def dloss_inputs(seed: int) -> list[tuple[np.ndarray, float, float]]:
    """(Qhat, R, L) per point: noisy data from parameters the student never sees."""
    rng = probe_torch_dloss.rng(seed)
    cases = []
    for _ in range(DLOSS_POINTS):
        Qhat, _, _ = rlc.noisy_data(rng)
        R, L = float(rng.uniform(0.5, 3.0)), float(rng.uniform(4.0, 16.0))
        cases.append((Qhat, R, L))
    return cases


@probe
def probe_torch_dloss(torch_dloss, seed: int) -> list[dict]:
    return [attempt(torch_dloss, Qhat.copy(), R, L) for Qhat, R, L in dloss_inputs(seed)]


# --- sgd_step(params, lr): one in-place step on a leaf tensor, then clear its gradient ----

SGD_SIZE = 4
SGD_ROUNDS = 3


def sgd_inputs(seed: int) -> dict:
    """Start point p0, the coefficients of loss(p) = sum(a p**2 + sin(b p)), and the rate."""
    rng = probe_sgd_step.rng(seed)
    return {
        "p0": rng.uniform(-2.0, 2.0, SGD_SIZE),
        "a": rng.uniform(0.5, 2.0, SGD_SIZE),
        "b": rng.uniform(0.5, 2.0, SGD_SIZE),
        "lr": float(rng.uniform(0.05, 0.2)),
    }


def sgd_loss(m, p, a, b):
    return (a * p**2 + m.sin(b * p)).sum()


@probe
def probe_sgd_step(sgd_step, seed: int) -> list[dict]:
    """Per round (backward, then the student's step): {'ok': [params..., grad..., is_leaf,
    requires_grad, grad_is_none]} or {'error': text}; the rounds stop at the first error."""
    import torch

    data = sgd_inputs(seed)
    a, b = torch.tensor(data["a"], dtype=torch.float64), torch.tensor(data["b"], dtype=torch.float64)
    params = torch.tensor(data["p0"], dtype=torch.float64, requires_grad=True)
    rounds = []

    def one_round():
        sgd_loss(torch, params, a, b).backward()
        sgd_step(params, data["lr"])
        grad = params.grad
        flags = [params.is_leaf, params.requires_grad, grad is None]
        values = params.detach().tolist()
        grads = [0.0] * SGD_SIZE if grad is None else grad.detach().tolist()
        return values + grads + [float(f) for f in flags]

    for _ in range(SGD_ROUNDS):
        entry = attempt(one_round)
        rounds.append(entry)
        if "error" in entry:
            break
    return rounds
