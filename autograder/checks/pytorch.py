"""Trusted checks of 03_pytorch: the reverse-mode `Var` against `jax.vjp`, `torch_dloss`
against JAX through the same RK4, and `sgd_step` against plain gradient descent, in float64.

Tolerance of the `Var` cases, as for the dual numbers of notebook 1 (checks.dual_numbers):
errors are measured against the size of each case's numbers. The solution's `Var` and
honest variants (division as a product with a power, subtraction as adding a negation,
another topological order) stay within 1e-13 of it, the 3,000-node chain included; a `Var`
whose local derivatives are difference quotients, at any step from 1e-3 to 1e-8, is off by
1e-9 or more in the groups with derivative rules to approximate. RTOL = 1e-12 sits between
(tests/test_checks_pytorch.py measures both margins). `torch_dloss` is judged exactly as
notebook 2's `dloss` (checks.euler_rk4.gradient_failure).
"""

from __future__ import annotations

import numpy as np

from ..probes import pytorch as probes
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
    where = f"x = Var({data['a'][i]:.6g}), y = Var({data['b'][i]:.6g})"
    if case.const:
        where += f", c = {data['c']!r}"
    return where


def check_group(group: str, results, seed: int) -> Verdict:
    from ..reference.pytorch import group_references

    failures = []
    references = group_references(group, seed)
    for case, data, (want_v, want_dx, want_dy) in zip(
        probes.GROUPS[group], probes.inputs(group, seed), references
    ):
        hint = f": check {case.hint}" if case.hint else ""
        rtol = case.rtol or RTOL
        atol_v = rtol * size(want_v, case.floor)
        atol_d = rtol * size(np.concatenate([want_dx, want_dy]), case.floor)
        for i, entry in enumerate(entries(results, case.label, probes.POINTS)):
            status, got = outcome(entry)
            where = f"{case.label} with {_point(case, data, i)}"
            if status == "error":
                failures.append(f"{where} raised {got}{hint}")
                break
            if unexpected_type(got) or (type(got) is list and any(unexpected_type(g) for g in got)):
                failures.append(f"{where}: .value and .grad should be numbers{hint}")
                break
            value, dx, dy = numbers(got, (3,))
            if not close(value, want_v[i], rtol, atol_v):
                failures.append(
                    f"{where}: value should be {fmt_exact(want_v[i])}, got {fmt_exact(value)}{hint}"
                )
                break
            wrong = [
                (name, g, want)
                for name, g, want in (("x.grad", dx, want_dx[i]), ("y.grad", dy, want_dy[i]))
                if not close(g, want, rtol, atol_d)
            ]
            if wrong:
                said = "; ".join(
                    f"{name} should be {fmt_exact(want)}, got {fmt_exact(g)}" for name, g, want in wrong
                )
                note = inexact_hint(
                    [g for _, g, _ in wrong], np.array([w for _, _, w in wrong]), atol_d / rtol
                )
                failures.append(f"{where}, after out.backward(): {said}{note}{hint}")
                break
    return Verdict(not failures, first_failures(failures))


TORCH_ADVICE = "return a numpy array of two floats (use .item() or .detach().numpy())"
TORCH_OTHERWISE = (
    "make R and L leaf tensors (requires_grad=True), run them through rk4_charges, take the "
    "mean of (Q - Qhat)**2 over all 200 times, call backward() and read R.grad and L.grad"
)


@check(probes.probe_torch_dloss)
def check_torch_dloss(results, seed: int) -> Verdict:
    """The same gradient, and the same tolerance, as notebook 2's dloss (checks.euler_rk4)."""
    from .euler_rk4 import gradient_failure

    cases = probes.dloss_inputs(seed)
    if type(results) is not list or len(results) != len(cases):
        raise MalformedResult(f"expected results for {len(cases)} points")
    failures = []
    for (Qhat, R, L), entry in zip(cases, results):
        failure = gradient_failure(
            entry,
            Qhat,
            R,
            L,
            f"torch_dloss(Qhat, R={R:.6g}, L={L:.6g}) on unseen data",
            TORCH_ADVICE,
            TORCH_OTHERWISE,
        )
        if failure:
            failures.append(failure)
    return Verdict(not failures, first_failures(failures))


@check(probes.probe_sgd_step)
def check_sgd_step(results, seed: int) -> Verdict:
    from ..reference.pytorch import sgd_trajectory

    data = probes.sgd_inputs(seed)
    n, rounds = probes.SGD_SIZE, probes.SGD_ROUNDS
    if type(results) is not list or not 1 <= len(results) <= rounds:
        raise MalformedResult(f"expected results for up to {rounds} steps")
    want = sgd_trajectory(data["p0"], data["a"], data["b"], data["lr"], rounds)
    start = f"params = {fmt(data['p0'])}, lr = {data['lr']:.4g}"
    for k, entry in enumerate(results):
        label = f"step {k + 1} of gradient descent from {start}"
        status, got = outcome(entry)
        if status == "error":
            return Verdict.fail(f"{label}: sgd_step raised {got}")
        row = numbers(got, (2 * n + 3,))
        params, grad, (is_leaf, requires_grad, _grad_is_none) = row[:n], row[n : 2 * n], row[2 * n :]
        if is_leaf != 1.0 or requires_grad != 1.0:
            return Verdict.fail(
                f"{label}: params must stay a leaf tensor with requires_grad=True; "
                "update it in place under torch.no_grad()"
            )
        if not np.all(close(params, want[k], 1e-12, 1e-12)):
            hint = ""
            if k == 0 and np.allclose(params, data["p0"]):
                hint = ": params did not change; update the tensor in place (params -= ...), do not rebind the name"
            elif k > 0:
                hint = (
                    ": the first step was right, so the gradient was not cleared: "
                    "gradients add up across backward() calls until you zero them"
                )
            return Verdict.fail(f"{label}: params should be {fmt(want[k])}, got {fmt(params)}{hint}")
        if np.any(grad != 0.0):
            return Verdict.fail(
                f"{label}: params.grad should be zero (or None) after the step, got {fmt(grad)}: "
                "clear it, or the next backward() adds to it"
            )
    if len(results) != rounds:
        raise MalformedResult(f"expected results for {rounds} steps")
    return Verdict(True, [])


for _group, _probe in probes.GROUP_PROBES.items():
    register(_probe, (lambda g: lambda results, seed: check_group(g, results, seed))(_group))
