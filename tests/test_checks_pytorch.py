"""The hidden checks of 03_pytorch: the solution passes, every classic mistake fails.

Wrong `Var` classes are built from the solution's own source (a fresh class per variant),
with one method replaced or one textual change, so each variant differs from the solution
in exactly the mistake it names.
"""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from probe_support import judge

from autograder import course
from autograder.checks import MalformedResult, check_record
from autograder.probes import pytorch as probes
from autograder.sample_submissions import solution_answers

SEEDS = st.integers(min_value=0, max_value=2**62)
ANSWERS = solution_answers("03_pytorch")


def _readonly_cell(grade_id: str) -> str:
    nb = nbformat.read(course.solution_notebook("03_pytorch"), as_version=4)
    return next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _namespace(var_source: str | None = None) -> dict:
    """A notebook-like namespace: torch in float64, the RLC model cell, and the answers."""
    from scipy.integrate import solve_ivp

    ns = {"np": np, "torch": torch, "solve_ivp": solve_ivp}
    exec(_readonly_cell("rlc_model"), ns)  # noqa: S102 - our own notebook source
    exec(var_source or ANSWERS["var_class"], ns)  # noqa: S102
    exec(ANSWERS["torch_dloss"], ns)  # noqa: S102
    exec(ANSWERS["sgd_step"], ns)  # noqa: S102
    return ns


SOLUTION = _namespace()


def _verdict(probe: str, results, seed: int):
    record = {"probe": f"pytorch.{probe}", "results": json.loads(json.dumps(results))}
    return check_record(f"pytorch.{probe}", record, seed)


def var_verdict(group: str, Var, seed: int):
    return judge(probes.GROUP_PROBES[group], Var, seed=seed)


def first_failing_group(Var, seed: int = 11) -> str | None:
    return next((g for g in probes.GROUPS if not var_verdict(g, Var, seed).passed), None)


# --- the solution --------------------------------------------------------------------------


@settings(max_examples=2, deadline=None)
@given(seed=SEEDS)
def test_solution_var_passes_every_group(seed):
    for group in probes.GROUPS:
        v = var_verdict(group, SOLUTION["Var"], seed)
        assert v.passed, (group, v.messages)


@settings(max_examples=3, deadline=None)
@given(seed=SEEDS)
def test_solution_torch_dloss_and_sgd_step_pass(seed):
    v = _verdict("torch_dloss", probes.probe_torch_dloss.run(SOLUTION["torch_dloss"], seed), seed)
    assert v.passed, v.messages
    v = _verdict("sgd_step", probes.probe_sgd_step.run(SOLUTION["sgd_step"], seed), seed)
    assert v.passed, v.messages


def test_the_reference_agrees_with_pytorch_on_every_case():
    """The JAX reference of the checks against a second AD system, on the same inputs."""
    from autograder.reference.pytorch import reference_case

    for group, cases in probes.GROUPS.items():
        for case, data in zip(cases, probes.inputs(group, 3)):
            want_v, want_dx, want_dy = reference_case(case, data)
            x = torch.tensor(data["a"], requires_grad=True)
            y = torch.tensor(data["b"], requires_grad=True)
            out = case.fn(torch, x, y, data["c"]) + 0 * (x + y)
            out.sum().backward()
            assert np.allclose(out.detach().numpy(), want_v, rtol=1e-12), (group, case.label)
            assert np.allclose(x.grad.numpy(), want_dx, rtol=1e-10, atol=1e-14), (group, case.label)
            assert np.allclose(y.grad.numpy(), want_dy, rtol=1e-10, atol=1e-14), (group, case.label)


# --- wrong Var classes ---------------------------------------------------------------------


def _var_with(**methods):
    """A fresh solution Var class with some methods replaced by functions of (Var, ...)."""
    ns = _namespace()
    Var = ns["Var"]
    for name, make in methods.items():
        setattr(Var, name, make(Var))
    return Var


def _var_from_text(*replacements):
    source = ANSWERS["var_class"]
    for old, new in replacements:
        assert old in source, old
        source = source.replace(old, new)
    return _namespace(source)["Var"]


def _unary(value_fn, local_grad):
    """A unary method whose backward adds local_grad(x_value, out) * out.grad (or a wrong variant)."""

    def make(Var):
        def method(self):
            out = Var(value_fn(self.value), (self,))

            def _backward():
                self.grad += local_grad(self.value, out)

            out._backward = _backward
            return out

        return method

    return make


def _topological(node):
    order, seen = [], set()

    def visit(n):
        if id(n) not in seen:
            seen.add(id(n))
            for p in n._parents:
                visit(p)
            order.append(n)

    visit(node)
    return order


def _backward_recursive_without_order(Var):
    """Each node pushes its gradient as soon as it is reached, along every path (no order)."""

    def push(node):
        node._backward()
        for p in node._parents:
            push(p)

    def backward(self):
        self.grad = 1.0
        push(self)

    return backward


def _backward_breadth_first(Var):
    """Nodes in the order they were first inserted into a queue from the output: not topological."""

    def backward(self):
        self.grad = 1.0
        queue, seen = [self], {id(self)}
        while queue:
            node = queue.pop(0)
            node._backward()
            for p in node._parents:
                if id(p) not in seen:
                    seen.add(id(p))
                    queue.append(p)

    return backward


def _backward_depth_first_preorder(Var):
    """Visit a node, then its parents, each once: parents may go before all their users."""

    def backward(self):
        self.grad = 1.0
        seen = set()

        def visit(node):
            if id(node) in seen:
                return
            seen.add(id(node))
            node._backward()
            for p in node._parents:
                visit(p)

        visit(self)

    return backward


def _backward_not_reversed(Var):
    def backward(self):
        self.grad = 1.0
        for node in _topological(self):
            node._backward()

    return backward


def _backward_without_seed(Var):
    def backward(self):
        for node in reversed(_topological(self)):
            node._backward()

    return backward


def _backward_seed_after_sweep(Var):
    def backward(self):
        for node in reversed(_topological(self)):
            node._backward()
        self.grad = 1.0

    return backward


ORDER_MISTAKES = {
    "backward recursing along every path without a topological order": _backward_recursive_without_order,
    "backward in breadth-first insertion order": _backward_breadth_first,
    "backward in depth-first pre-order": _backward_depth_first_preorder,
    "backward in topological order, not reversed": _backward_not_reversed,
}

WRONG_VARS = {
    "gradients overwritten (=) instead of accumulated (+=)": lambda: _var_from_text(
        ("self.grad += ", "self.grad = "),
        ("other.grad += ", "other.grad = "),
        ("self.grad -= np.sin(self.value) * out.grad", "self.grad = -np.sin(self.value) * out.grad"),
    ),
    "only __mul__ overwrites": lambda: _var_from_text(
        ("self.grad += other.value * out.grad", "self.grad = other.value * out.grad"),
        ("other.grad += self.value * out.grad", "other.grad = self.value * out.grad"),
    ),
    **{name: (lambda make: lambda: _var_with(backward=make))(make) for name, make in ORDER_MISTAKES.items()},
    "backward without seeding the output with 1": lambda: _var_with(backward=_backward_without_seed),
    "backward seeding the output after the sweep": lambda: _var_with(backward=_backward_seed_after_sweep),
    "__rtruediv__ returns a plain float": lambda: _var_with(
        __rtruediv__=lambda Var: lambda s, o: o / s.value
    ),
    "__rsub__ without negation": lambda: _var_with(__rsub__=lambda Var: lambda s, o: s + (o - 2 * s.value)),
    "product rule with the factors swapped": lambda: _var_from_text(
        ("self.grad += other.value * out.grad", "self.grad += self.value * out.grad"),
        ("other.grad += self.value * out.grad", "other.grad += other.value * out.grad"),
    ),
    "__pow__ without the chain factor out.grad": lambda: _var_from_text(
        ("self.grad += p * self.value ** (p - 1) * out.grad", "self.grad += p * self.value ** (p - 1)")
    ),
    "__pow__ with p * x**p": lambda: _var_from_text(
        ("self.grad += p * self.value ** (p - 1) * out.grad", "self.grad += p * self.value ** p * out.grad")
    ),
    "cos with the wrong sign": lambda: _var_with(cos=_unary(np.cos, lambda v, out: np.sin(v) * out.grad)),
    "sin without the chain factor": lambda: _var_with(sin=_unary(np.sin, lambda v, out: np.cos(v))),
    "log without the chain factor": lambda: _var_with(log=_unary(np.log, lambda v, out: 1 / v)),
    "exp multiplying by the input instead of the output": lambda: _var_with(
        exp=_unary(np.exp, lambda v, out: v * out.grad)
    ),
    "__neg__ that negates the value only": lambda: _var_with(
        __neg__=lambda Var: lambda s: s * 1.0 + Var(-2 * s.value)
    ),
}


@pytest.mark.parametrize("name", sorted(WRONG_VARS))
def test_each_classic_var_mistake_fails_a_check(name):
    assert first_failing_group(WRONG_VARS[name]()), f"no check caught: {name}"


def test_overwriting_gradients_fails_the_reuse_checks():
    Var = WRONG_VARS["gradients overwritten (=) instead of accumulated (+=)"]()
    v = var_verdict("var_reuse", Var, 5)
    assert not v.passed
    assert any("x * x" in m and "x.grad should be" in m for m in v.messages), v.messages


@pytest.mark.parametrize("name", sorted(ORDER_MISTAKES))
def test_each_order_mistake_fails_the_deep_graph_checks(name):
    Var = WRONG_VARS[name]()
    v = var_verdict("var_deep_graphs", Var, 5)
    assert not v.passed, name
    assert any("order" in m or "after every node" in m for m in v.messages), v.messages


def test_an_order_mistake_that_passes_simple_graphs_is_still_caught():
    """Breadth-first order is right on trees and chains: only the shared-node graphs expose it."""
    Var = WRONG_VARS["backward in breadth-first insertion order"]()
    assert var_verdict("var_arithmetic", Var, 5).passed and var_verdict("var_functions", Var, 5).passed
    assert not var_verdict("var_deep_graphs", Var, 5).passed


def test_the_rtruediv_message_names_the_method():
    v = var_verdict("var_arithmetic", WRONG_VARS["__rtruediv__ returns a plain float"](), 3)
    assert not v.passed
    assert any("__rtruediv__" in m and "not a Var" in m for m in v.messages), v.messages


def test_a_var_right_only_at_the_visible_points_fails():
    def make(Var):
        def sin(self):
            out = Var(np.sin(self.value), (self,))
            local = np.cos(self.value) if self.value in (0.5, 1.0) else np.sin(self.value)

            def _backward():
                self.grad += local * out.grad

            out._backward = _backward
            return out

        return sin

    assert first_failing_group(_var_with(sin=make)) is not None


def test_operands_of_every_type_on_both_sides_are_probed():
    labels = [c.label for c in probes.GROUPS["var_arithmetic"]]
    for op in "+-*/":
        for kind in ("int", "float", "np.float64"):
            assert f"x {op} c  [c: {kind}]" in labels and f"c {op} x  [c: {kind}]" in labels


# --- wrong torch_dloss -----------------------------------------------------------------------


def _dloss_variant(body):
    ns = dict(SOLUTION)
    exec(body, ns)  # noqa: S102 - test code
    return ns["torch_dloss"]


_LEAVES = """
    R = torch.tensor(float(R), dtype=torch.float64, requires_grad=True)
    L = torch.tensor(float(L), dtype=torch.float64, requires_grad=True)
    Q = torch.stack(rk4_charges(R, L))
    target = torch.as_tensor(Qhat)
"""

WRONG_DLOSS = {
    "the factor 2 is missing": "def torch_dloss(Qhat, R, L):"
    + _LEAVES
    + """
    (torch.mean((Q - target) ** 2) / 2).backward()
    return np.array([R.grad.item(), L.grad.item()])""",
    "the sum instead of the mean": "def torch_dloss(Qhat, R, L):"
    + _LEAVES
    + """
    torch.sum((Q - target) ** 2).backward()
    return np.array([R.grad.item(), L.grad.item()])""",
    "the two entries swapped": "def torch_dloss(Qhat, R, L):"
    + _LEAVES
    + """
    torch.mean((Q - target) ** 2).backward()
    return np.array([L.grad.item(), R.grad.item()])""",
    "a tensor returned": "def torch_dloss(Qhat, R, L):"
    + _LEAVES
    + """
    torch.mean((Q - target) ** 2).backward()
    return torch.stack([R.grad, L.grad])""",
    "float32 tensors": """def torch_dloss(Qhat, R, L):
    R = torch.tensor(float(R), dtype=torch.float32, requires_grad=True)
    L = torch.tensor(float(L), dtype=torch.float32, requires_grad=True)
    Q = torch.stack(rk4_charges(R, L))
    torch.mean((Q - torch.as_tensor(Qhat, dtype=torch.float32)) ** 2).backward()
    return np.array([R.grad.item(), L.grad.item()])""",
    "a forward difference with h = 1e-4": """def torch_dloss(Qhat, R, L):
    f = lambda r, l: np.mean((np.array(rk4_charges(r, l)) - Qhat) ** 2)
    return np.array([(f(R + 1e-4, L) - f(R, L)) / 1e-4, (f(R, L + 1e-4) - f(R, L)) / 1e-4])""",
    "the loss of the last time only": "def torch_dloss(Qhat, R, L):"
    + _LEAVES
    + """
    ((Q[-1] - target[-1]) ** 2).backward()
    return np.array([R.grad.item(), L.grad.item()])""",
    "one number returned": "def torch_dloss(Qhat, R, L):"
    + _LEAVES
    + """
    torch.mean((Q - target) ** 2).backward()
    return R.grad.item()""",
}


@pytest.mark.parametrize("name", sorted(WRONG_DLOSS))
def test_each_torch_dloss_mistake_fails(name):
    fn = _dloss_variant(WRONG_DLOSS[name])
    v = _verdict("torch_dloss", probes.probe_torch_dloss.run(fn, 4), 4)
    assert not v.passed, name


def test_torch_dloss_messages_say_what_is_wrong():
    v = _verdict(
        "torch_dloss",
        probes.probe_torch_dloss.run(_dloss_variant(WRONG_DLOSS["the factor 2 is missing"]), 2),
        2,
    )
    assert any("half the gradient" in m for m in v.messages), v.messages
    v = _verdict(
        "torch_dloss", probes.probe_torch_dloss.run(_dloss_variant(WRONG_DLOSS["a tensor returned"]), 2), 2
    )
    assert any("Tensor" in m and "numpy array" in m for m in v.messages), v.messages


# --- wrong sgd_step --------------------------------------------------------------------------


def _no_zero(params, lr):
    with torch.no_grad():
        params -= lr * params.grad


def _zero_first(params, lr):
    params.grad = None
    with torch.no_grad():
        if params.grad is not None:
            params -= lr * params.grad


def _rebinding(params, lr):
    params = params - lr * params.grad  # noqa: F841 - the classic mistake: only the local name changes


def _without_no_grad(params, lr):
    params -= lr * params.grad
    params.grad = None


def _ascent(params, lr):
    with torch.no_grad():
        params += lr * params.grad
    params.grad = None


def _detaches(params, lr):
    with torch.no_grad():
        params -= lr * params.grad
    params.grad = None
    params.requires_grad_(False)


WRONG_SGD = {
    "the gradient is never cleared": _no_zero,
    "the gradient is cleared before the step": _zero_first,
    "the name is rebound instead of an in-place update": _rebinding,
    "in place without torch.no_grad()": _without_no_grad,
    "a step uphill": _ascent,
    "requires_grad switched off": _detaches,
}


@pytest.mark.parametrize("name", sorted(WRONG_SGD))
def test_each_sgd_step_mistake_fails(name):
    v = _verdict("sgd_step", probes.probe_sgd_step.run(WRONG_SGD[name], 6), 6)
    assert not v.passed, name


def test_sgd_step_message_explains_the_accumulation_trap():
    v = _verdict("sgd_step", probes.probe_sgd_step.run(_no_zero, 1), 1)
    assert any("not cleared" in m or "zero" in m for m in v.messages), v.messages


def test_sgd_step_may_zero_instead_of_clearing():
    def zeroing(params, lr):
        with torch.no_grad():
            params -= lr * params.grad
        params.grad.zero_()

    assert _verdict("sgd_step", probes.probe_sgd_step.run(zeroing, 8), 8).passed


# --- hostile results -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "probe,bad",
    [
        ("var_arithmetic", None),
        ("var_arithmetic", []),
        ("var_arithmetic", "text"),
        ("var_arithmetic", {"x + y": "nope"}),
        (
            "var_reuse",
            {
                c.label: [{"ok": {"unexpected_type": "AlwaysEqual"}}] * probes.POINTS
                for c in probes.GROUPS["var_reuse"]
            },
        ),
        (
            "var_reuse",
            {c.label: [{"ok": [True, False, True]}] * probes.POINTS for c in probes.GROUPS["var_reuse"]},
        ),
        ("var_reuse", {c.label: [{"ok": [1.0, 2.0]}] * probes.POINTS for c in probes.GROUPS["var_reuse"]}),
        ("torch_dloss", None),
        ("torch_dloss", [{"ok": [1.0, 2.0]}]),
        ("torch_dloss", [{"ok": "x"}] * 3),
        ("torch_dloss", [{"ok": [1.0, 2.0], "extra": 1}] * 3),
        ("sgd_step", None),
        ("sgd_step", []),
        ("sgd_step", [{"ok": [0.0] * 5}]),
        ("sgd_step", [{"ok": [0.0] * (2 * probes.SGD_SIZE + 3)}] * 4),
    ],
)
def test_malformed_results_fail_closed(probe, bad):
    v = check_record(f"pytorch.{probe}", {"probe": f"pytorch.{probe}", "results": bad}, 1)
    assert not v.passed


def test_a_record_from_another_probe_does_not_count():
    results = json.loads(json.dumps(probes.run_group("var_powers", SOLUTION["Var"], 5)))
    v = check_record("pytorch.var_reuse", {"probe": "pytorch.var_powers", "results": results}, 5)
    assert not v.passed


def test_sgd_results_cut_short_fail():
    results = json.loads(json.dumps(probes.probe_sgd_step.run(SOLUTION["sgd_step"], 5)))
    assert _verdict("sgd_step", results, 5).passed
    assert not _verdict("sgd_step", results[:2], 5).passed


def test_inputs_are_secret_per_seed():
    assert not np.allclose(probes.inputs("var_reuse", 1)[0]["a"], probes.inputs("var_reuse", 2)[0]["a"])
    assert not np.allclose(probes.dloss_inputs(1)[0][0], probes.dloss_inputs(2)[0][0])
    assert not np.allclose(probes.sgd_inputs(1)["p0"], probes.sgd_inputs(2)["p0"])


# --- var_class must not lean on an AD library ---------------------------------------------------

TORCH_VAR = """
import torch

class Var:
    \"\"\"A Var that hands every derivative to PyTorch's autograd.\"\"\"
    def __init__(self, value, _t=None):
        self._t = _t if _t is not None else torch.tensor(float(value), dtype=torch.float64, requires_grad=True)

    value = property(lambda self: float(self._t.detach()))
    grad = property(lambda self: float(self._t.grad) if self._t.is_leaf and self._t.grad is not None else 0.0)

    @staticmethod
    def _of(o):
        return o._t if isinstance(o, Var) else o

    def _new(self, t):
        return Var(None, t)

    def __add__(s, o): return s._new(s._t + Var._of(o))
    __radd__ = __add__
    def __sub__(s, o): return s._new(s._t - Var._of(o))
    def __rsub__(s, o): return s._new(Var._of(o) - s._t)
    def __mul__(s, o): return s._new(s._t * Var._of(o))
    __rmul__ = __mul__
    def __truediv__(s, o): return s._new(s._t / Var._of(o))
    def __rtruediv__(s, o): return s._new(Var._of(o) / s._t)
    def __pow__(s, p): return s._new(s._t ** p)
    def __neg__(s): return s._new(-s._t)
    def exp(s): return s._new(torch.exp(s._t))
    def log(s): return s._new(torch.log(s._t))
    def sin(s): return s._new(torch.sin(s._t))
    def cos(s): return s._new(torch.cos(s._t))
    def backward(s): s._t.backward()
"""


def test_a_var_built_on_torch_autograd_loses_the_points():
    ns = {}
    exec(TORCH_VAR, ns)  # noqa: S102 - test code
    v = var_verdict("var_arithmetic", ns["Var"], 3)
    assert not v.passed and "must not use" in v.messages[0] and "torch" in v.messages[0], v.messages


# --- deep graphs: backward() must not recurse once per node -------------------------------------------


def _backward_recursive(Var):
    """The textbook recursive topological sort: right, but one Python call per level."""

    def backward(self):
        order = _topological(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    return backward


def _backward_kahn(Var):
    """Kahn's algorithm: count each node's users, release a node when all have passed on."""

    def backward(self):
        users, stack, seen = {}, [self], {id(self)}
        while stack:
            node = stack.pop()
            for p in node._parents:
                users[id(p)] = users.get(id(p), 0) + 1
                if id(p) not in seen:
                    seen.add(id(p))
                    stack.append(p)
        self.grad = 1.0
        ready = [self]
        while ready:
            node = ready.pop()
            node._backward()
            for p in node._parents:
                users[id(p)] -= 1
                if users[id(p)] == 0:
                    ready.append(p)

    return backward


def _creation_order_var():
    """Number the nodes as they are created: a node always comes after its parents."""
    ns = _namespace()
    Var = ns["Var"]
    counter = iter(range(10**12))
    init = Var.__init__

    def numbered_init(self, value, parents=()):
        init(self, value, parents)
        self._number = next(counter)

    Var.__init__ = numbered_init

    def backward(self):
        nodes, stack, seen = [], [self], {id(self)}
        while stack:
            node = stack.pop()
            nodes.append(node)
            for p in node._parents:
                if id(p) not in seen:
                    seen.add(id(p))
                    stack.append(p)
        self.grad = 1.0
        for node in sorted(nodes, key=lambda n: n._number, reverse=True):
            node._backward()

    Var.backward = backward
    return Var


def _quotient_rule(Var):
    """Division by its own rule, not as a product with a power: other roundings, same derivative."""

    def __truediv__(self, other):
        other = other if isinstance(other, Var) else Var(other)
        out = Var(self.value / other.value, (self, other))

        def _backward():
            self.grad += out.grad / other.value
            other.grad -= out.grad * self.value / other.value**2

        out._backward = _backward
        return out

    return __truediv__


def _difference_rule(Var):
    def __sub__(self, other):
        other = other if isinstance(other, Var) else Var(other)
        out = Var(self.value - other.value, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad -= out.grad

        out._backward = _backward
        return out

    return __sub__


HONEST_VARS = {
    "Kahn's algorithm": lambda: _var_with(backward=_backward_kahn),
    "nodes in reverse creation order": _creation_order_var,
    "division and subtraction by their own rules": lambda: _var_with(
        __truediv__=_quotient_rule, __sub__=_difference_rule
    ),
}


@pytest.mark.parametrize("name", sorted(HONEST_VARS))
def test_honest_var_classes_pass_every_group(name):
    Var = HONEST_VARS[name]()
    for group in probes.GROUPS:
        v = var_verdict(group, Var, 4)
        assert v.passed, (group, v.messages)


def test_a_recursive_backward_fails_the_3000_node_chain_and_is_told_why():
    Var = _var_with(backward=_backward_recursive)
    assert var_verdict("var_reuse", Var, 3).passed  # right everywhere else
    v = var_verdict("var_deep_graphs", Var, 3)
    assert not v.passed
    assert any("RecursionError" in m and "explicit stack" in m for m in v.messages), v.messages


def test_the_deep_case_leaves_exactly_the_default_room():
    """The recursion limit is what the probe sets, whatever the student's code set before, and is restored."""
    import sys

    before = sys.getrecursionlimit()
    sys.setrecursionlimit(50_000)  # a student who raised it: the probe still leaves 1,000 frames
    try:
        Var = _var_with(backward=_backward_recursive)
        assert not var_verdict("var_deep_graphs", Var, 3).passed
        assert sys.getrecursionlimit() == 50_000
    finally:
        sys.setrecursionlimit(before)


# --- finite differences where the exercises ask for AD fail on every seed ----------------------------

FIXED_SEEDS = range(20)
FD_STEPS = [10.0**-k for k in range(3, 9)]
FD_KINDS = ["forward", "central"]


def difference_quotient(g, u, h, kind):
    return (g(u + h) - g(u)) / h if kind == "forward" else (g(u + h) - g(u - h)) / (2 * h)


def fd_var(h, kind):
    """The solution's Var with every local derivative replaced by a difference quotient."""
    ns = _namespace()
    Var = ns["Var"]
    for name, g in [("exp", np.exp), ("log", np.log), ("sin", np.sin), ("cos", np.cos)]:
        setattr(
            Var,
            name,
            _unary(g, (lambda g: lambda v, out: difference_quotient(g, v, h, kind) * out.grad)(g))(Var),
        )

    def power(self, p):
        out = Var(self.value**p, (self,))

        def _backward():
            self.grad += difference_quotient(lambda v: v**p, self.value, h, kind) * out.grad

        out._backward = _backward
        return out

    Var.__pow__ = power
    return Var


@pytest.mark.parametrize("kind", FD_KINDS)
@pytest.mark.parametrize("h", FD_STEPS)
def test_a_var_with_difference_quotients_fails_on_every_seed(h, kind):
    Var = fd_var(h, kind)
    with np.errstate(all="ignore"):
        for seed in FIXED_SEEDS:
            for group in ("var_powers", "var_functions"):
                assert not var_verdict(group, Var, seed).passed, (group, seed)


def fd_torch_dloss(h, kind):
    """torch_dloss as difference quotients of the loss, without autograd (the review's answer)."""

    def torch_dloss(Qhat, R, L):
        def f(r, l):
            with torch.no_grad():
                return torch.mean(
                    (
                        torch.stack(SOLUTION["rk4_charges"](torch.tensor(r), torch.tensor(l)))
                        - torch.as_tensor(Qhat)
                    )
                    ** 2
                ).item()

        if kind == "forward":
            here = f(R, L)
            return np.array([(f(R + h, L) - here) / h, (f(R, L + h) - here) / h])
        return np.array([(f(R + h, L) - f(R - h, L)) / (2 * h), (f(R, L + h) - f(R, L - h)) / (2 * h)])

    return torch_dloss


@pytest.mark.parametrize("kind", FD_KINDS)
@pytest.mark.parametrize("h", FD_STEPS)
def test_torch_dloss_by_finite_differences_fails_on_every_seed(h, kind):
    fn = fd_torch_dloss(h, kind)
    for seed in FIXED_SEEDS:
        v = _verdict("torch_dloss", probes.probe_torch_dloss.run(fn, seed), seed)
        assert not v.passed, seed


@settings(max_examples=3, deadline=None)
@given(seed=SEEDS)
def test_the_reviewed_finite_difference_answer_fails_on_random_seeds(seed):
    """Central differences, h = 1e-5, no autograd: off by about 1e-10, once within the old tolerance."""
    v = _verdict("torch_dloss", probes.probe_torch_dloss.run(fd_torch_dloss(1e-5, "central"), seed), seed)
    assert not v.passed and any("finite differences do not" in m for m in v.messages), v.messages


# --- the tolerance of the Var cases: honest AD far inside, every difference quotient far outside ------


def _var_error(group, Var, seed) -> float:
    """The largest error over a group, in units of each case's tolerance (1 = the edge of passing)."""
    from autograder.checks.compare import numbers, size
    from autograder.checks.pytorch import RTOL
    from autograder.reference.pytorch import group_references

    results = json.loads(json.dumps(probes.run_group(group, Var, seed)))
    worst = 0.0
    for case, (want_v, want_dx, want_dy) in zip(probes.GROUPS[group], group_references(group, seed)):
        try:
            got = np.nan_to_num(
                numbers([e["ok"] for e in results[case.label]], (probes.POINTS, 3)), nan=np.inf
            )
        except (KeyError, MalformedResult):
            return np.inf
        rtol = case.rtol or RTOL
        size_d = size(np.concatenate([want_dx, want_dy]), case.floor)
        worst = max(
            worst,
            np.max(np.abs(got[:, 0] - want_v)) / (rtol * max(size(want_v, case.floor), 1e-300)),
            np.max(np.abs(got[:, 1:] - np.stack([want_dx, want_dy], 1))) / (rtol * max(size_d, 1e-300)),
        )
    return worst


def test_the_var_tolerance_has_a_margin_on_both_sides():
    honest = {"solution": SOLUTION["Var"], **{name: make() for name, make in HONEST_VARS.items()}}
    for name, Var in honest.items():
        worst = max(_var_error(g, Var, seed) for g in probes.GROUPS for seed in range(3))
        assert worst < 0.05, f"{name}: {worst:.2g} of the tolerance"
    with np.errstate(all="ignore"):
        for kind in FD_KINDS:
            for h in FD_STEPS:
                for seed in range(3):
                    for group in ("var_powers", "var_functions"):
                        assert _var_error(group, fd_var(h, kind), seed) > 100, (kind, h, seed, group)
