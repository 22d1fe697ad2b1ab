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

from autograder import course
from autograder.checks import check_record
from autograder.probes import pytorch as probes
from autograder.sample_submissions import solution_answers

SEEDS = st.integers(min_value=0, max_value=2 ** 62)
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
    return _verdict(group, probes.run_group(group, Var, seed), seed)


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
    v = _verdict("torch_dloss", probes.run_torch_dloss(SOLUTION["torch_dloss"], seed), seed)
    assert v.passed, v.messages
    v = _verdict("sgd_step", probes.run_sgd_step(SOLUTION["sgd_step"], seed), seed)
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
        ("self.grad += ", "self.grad = "), ("other.grad += ", "other.grad = "),
        ("self.grad -= np.sin(self.value) * out.grad", "self.grad = -np.sin(self.value) * out.grad")),
    "only __mul__ overwrites": lambda: _var_from_text(
        ("self.grad += other.value * out.grad", "self.grad = other.value * out.grad"),
        ("other.grad += self.value * out.grad", "other.grad = self.value * out.grad")),
    **{name: (lambda make: lambda: _var_with(backward=make))(make) for name, make in ORDER_MISTAKES.items()},
    "backward without seeding the output with 1": lambda: _var_with(backward=_backward_without_seed),
    "backward seeding the output after the sweep": lambda: _var_with(backward=_backward_seed_after_sweep),
    "__rtruediv__ returns a plain float": lambda: _var_with(__rtruediv__=lambda Var: lambda s, o: o / s.value),
    "__rsub__ without negation": lambda: _var_with(__rsub__=lambda Var: lambda s, o: s + (o - 2 * s.value)),
    "product rule with the factors swapped": lambda: _var_from_text(
        ("self.grad += other.value * out.grad", "self.grad += self.value * out.grad"),
        ("other.grad += self.value * out.grad", "other.grad += other.value * out.grad")),
    "__pow__ without the chain factor out.grad": lambda: _var_from_text(
        ("self.grad += p * self.value ** (p - 1) * out.grad", "self.grad += p * self.value ** (p - 1)")),
    "__pow__ with p * x**p": lambda: _var_from_text(
        ("self.grad += p * self.value ** (p - 1) * out.grad", "self.grad += p * self.value ** p * out.grad")),
    "cos with the wrong sign": lambda: _var_with(
        cos=_unary(np.cos, lambda v, out: np.sin(v) * out.grad)),
    "sin without the chain factor": lambda: _var_with(sin=_unary(np.sin, lambda v, out: np.cos(v))),
    "log without the chain factor": lambda: _var_with(log=_unary(np.log, lambda v, out: 1 / v)),
    "exp multiplying by the input instead of the output": lambda: _var_with(
        exp=_unary(np.exp, lambda v, out: v * out.grad)),
    "__neg__ that negates the value only": lambda: _var_with(
        __neg__=lambda Var: lambda s: s * 1.0 + Var(-2 * s.value)),
}


@pytest.mark.parametrize("name", sorted(WRONG_VARS))
def test_each_classic_var_mistake_fails_a_check(name):
    assert first_failing_group(WRONG_VARS[name]()), f"no check caught: {name}"


def test_overwriting_gradients_fails_the_reuse_checks():
    Var = WRONG_VARS["gradients overwritten (=) instead of accumulated (+=)"]()
    v = var_verdict("reuse", Var, 5)
    assert not v.passed
    assert any("x * x" in m and "x.grad should be" in m for m in v.messages), v.messages


@pytest.mark.parametrize("name", sorted(ORDER_MISTAKES))
def test_each_order_mistake_fails_the_deep_graph_checks(name):
    Var = WRONG_VARS[name]()
    v = var_verdict("deep_graphs", Var, 5)
    assert not v.passed, name
    assert any("order" in m or "after every node" in m for m in v.messages), v.messages


def test_an_order_mistake_that_passes_simple_graphs_is_still_caught():
    """Breadth-first order is right on trees and chains: only the shared-node graphs expose it."""
    Var = WRONG_VARS["backward in breadth-first insertion order"]()
    assert var_verdict("arithmetic", Var, 5).passed and var_verdict("functions", Var, 5).passed
    assert not var_verdict("deep_graphs", Var, 5).passed


def test_the_rtruediv_message_names_the_method():
    v = var_verdict("arithmetic", WRONG_VARS["__rtruediv__ returns a plain float"](), 3)
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
    labels = [c.label for c in probes.GROUPS["arithmetic"]]
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
    "the factor 2 is missing": "def torch_dloss(Qhat, R, L):" + _LEAVES + """
    (torch.mean((Q - target) ** 2) / 2).backward()
    return np.array([R.grad.item(), L.grad.item()])""",
    "the sum instead of the mean": "def torch_dloss(Qhat, R, L):" + _LEAVES + """
    torch.sum((Q - target) ** 2).backward()
    return np.array([R.grad.item(), L.grad.item()])""",
    "the two entries swapped": "def torch_dloss(Qhat, R, L):" + _LEAVES + """
    torch.mean((Q - target) ** 2).backward()
    return np.array([L.grad.item(), R.grad.item()])""",
    "a tensor returned": "def torch_dloss(Qhat, R, L):" + _LEAVES + """
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
    "the loss of the last time only": "def torch_dloss(Qhat, R, L):" + _LEAVES + """
    ((Q[-1] - target[-1]) ** 2).backward()
    return np.array([R.grad.item(), L.grad.item()])""",
    "one number returned": "def torch_dloss(Qhat, R, L):" + _LEAVES + """
    torch.mean((Q - target) ** 2).backward()
    return R.grad.item()""",
}


@pytest.mark.parametrize("name", sorted(WRONG_DLOSS))
def test_each_torch_dloss_mistake_fails(name):
    fn = _dloss_variant(WRONG_DLOSS[name])
    v = _verdict("torch_dloss", probes.run_torch_dloss(fn, 4), 4)
    assert not v.passed, name


def test_torch_dloss_messages_say_what_is_wrong():
    v = _verdict("torch_dloss", probes.run_torch_dloss(_dloss_variant(WRONG_DLOSS["the factor 2 is missing"]), 2), 2)
    assert any("factor 2" in m for m in v.messages), v.messages
    v = _verdict("torch_dloss", probes.run_torch_dloss(_dloss_variant(WRONG_DLOSS["a tensor returned"]), 2), 2)
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
    v = _verdict("sgd_step", probes.run_sgd_step(WRONG_SGD[name], 6), 6)
    assert not v.passed, name


def test_sgd_step_message_explains_the_accumulation_trap():
    v = _verdict("sgd_step", probes.run_sgd_step(_no_zero, 1), 1)
    assert any("not cleared" in m or "zero" in m for m in v.messages), v.messages


def test_sgd_step_may_zero_instead_of_clearing():
    def zeroing(params, lr):
        with torch.no_grad():
            params -= lr * params.grad
        params.grad.zero_()
    assert _verdict("sgd_step", probes.run_sgd_step(zeroing, 8), 8).passed


# --- hostile results -------------------------------------------------------------------------

@pytest.mark.parametrize("probe,bad", [
    ("arithmetic", None), ("arithmetic", []), ("arithmetic", "text"), ("arithmetic", {"x + y": "nope"}),
    ("reuse", {c.label: [{"ok": {"unexpected_type": "AlwaysEqual"}}] * probes.POINTS
               for c in probes.GROUPS["reuse"]}),
    ("reuse", {c.label: [{"ok": [True, False, True]}] * probes.POINTS for c in probes.GROUPS["reuse"]}),
    ("reuse", {c.label: [{"ok": [1.0, 2.0]}] * probes.POINTS for c in probes.GROUPS["reuse"]}),
    ("torch_dloss", None), ("torch_dloss", [{"ok": [1.0, 2.0]}]), ("torch_dloss", [{"ok": "x"}] * 3),
    ("torch_dloss", [{"ok": [1.0, 2.0], "extra": 1}] * 3),
    ("sgd_step", None), ("sgd_step", []), ("sgd_step", [{"ok": [0.0] * 5}]),
    ("sgd_step", [{"ok": [0.0] * (2 * probes.SGD_SIZE + 3)}] * 4),
])
def test_malformed_results_fail_closed(probe, bad):
    v = check_record(f"pytorch.{probe}", {"probe": f"pytorch.{probe}", "results": bad}, 1)
    assert not v.passed


def test_a_record_from_another_probe_does_not_count():
    results = json.loads(json.dumps(probes.run_group("powers", SOLUTION["Var"], 5)))
    v = check_record("pytorch.reuse", {"probe": "pytorch.powers", "results": results}, 5)
    assert not v.passed


def test_sgd_results_cut_short_fail():
    results = json.loads(json.dumps(probes.run_sgd_step(SOLUTION["sgd_step"], 5)))
    assert _verdict("sgd_step", results, 5).passed
    assert not _verdict("sgd_step", results[:2], 5).passed


def test_inputs_are_secret_per_seed():
    assert not np.allclose(probes.inputs("reuse", 1)[0]["a"], probes.inputs("reuse", 2)[0]["a"])
    assert not np.allclose(probes.dloss_inputs(1)[0][0], probes.dloss_inputs(2)[0][0])
    assert not np.allclose(probes.sgd_inputs(1)["p0"], probes.sgd_inputs(2)["p0"])
