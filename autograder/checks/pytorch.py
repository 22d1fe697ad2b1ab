"""Trusted checks of 03_pytorch: the reverse-mode `Var` against `jax.vjp`, `torch_dloss`
against JAX through the same RK4, and `sgd_step` against plain gradient descent, in float64."""
from __future__ import annotations

import numpy as np

from ..probes import pytorch as probes
from . import MalformedResult, TestSpec, Verdict
from .compare import close, entries, first_failures, fmt, numbers, outcome, unexpected_type

RTOL, ATOL = 1e-8, 1e-10
DLOSS_RTOL = 1e-8
VAR = ("var_class",)

TESTS = {
    "test_var_arithmetic": TestSpec("pytorch.arithmetic", VAR),
    "test_var_powers": TestSpec("pytorch.powers", VAR),
    "test_var_functions": TestSpec("pytorch.functions", VAR),
    "test_var_reuse": TestSpec("pytorch.reuse", VAR),
    "test_var_deep_graphs": TestSpec("pytorch.deep_graphs", VAR),
    "test_torch_dloss": TestSpec("pytorch.torch_dloss", ("torch_dloss",)),
    "test_sgd_step": TestSpec("pytorch.sgd_step", ("sgd_step",)),
}



def _point(case, data, i) -> str:
    where = f"x = Var({data['a'][i]:.6g}), y = Var({data['b'][i]:.6g})"
    if case.const:
        where += f", c = {data['c']!r}"
    return where


def check_group(group: str, results, seed: int) -> Verdict:
    from ..reference.pytorch import reference_case

    failures = []
    for case, data in zip(probes.GROUPS[group], probes.inputs(group, seed)):
        want_v, want_dx, want_dy = reference_case(case, data)
        hint = f": check {case.hint}" if case.hint else ""
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
            if not close(value, want_v[i], RTOL, ATOL):
                failures.append(f"{where}: value should be {fmt(want_v[i])}, got {fmt(value)}{hint}")
                break
            wrong = [f"{name} should be {fmt(want)}, got {fmt(g)}"
                     for name, g, want in (("x.grad", dx, want_dx[i]), ("y.grad", dy, want_dy[i]))
                     if not close(g, want, RTOL, ATOL)]
            if wrong:
                failures.append(f"{where}, after out.backward(): {'; '.join(wrong)}{hint}")
                break
    return Verdict(not failures, first_failures(failures))


def check_torch_dloss(results, seed: int) -> Verdict:
    from ..reference.rlc import reference_dloss

    cases = probes.dloss_inputs(seed)
    if type(results) is not list or len(results) != len(cases):
        raise MalformedResult(f"expected results for {len(cases)} points")
    failures = []
    for (Qhat, R, L), entry in zip(cases, results):
        name = f"torch_dloss(Qhat, R={R:.6g}, L={L:.6g}) on unseen data"
        status, got = outcome(entry)
        if status == "error":
            failures.append(f"{name} raised {got}")
            continue
        kind = unexpected_type(got) or (type(got) is list and next(filter(None, map(unexpected_type, got)), None))
        if kind:
            failures.append(f"{name} returned an object of type {kind}: return a numpy array of two floats "
                            "(use .item() or .detach().numpy())")
            continue
        grad = numbers(got, ()) if type(got) in (int, float) else numbers(got)
        if grad.shape != (2,):
            failures.append(f"{name} should return two numbers [dloss/dR, dloss/dL], got shape {grad.shape}")
            continue
        want = reference_dloss(Qhat, R, L)
        if not np.all(close(grad, want, DLOSS_RTOL, DLOSS_RTOL * float(np.max(np.abs(want))))):
            hint = ""
            if np.all(close(grad, want / 2, 1e-6, 0)):
                hint = ": half the expected value; the derivative of (Q - Qhat)**2 has a factor 2"
            elif np.all(close(grad, want * len(Qhat), 1e-6, 0)):
                hint = ": 200 times too big; the loss is the mean, not the sum"
            elif np.all(close(grad[::-1], want, 1e-6, 0)):
                hint = ": the two entries are swapped; return [dloss/dR, dloss/dL]"
            failures.append(f"{name} should be {fmt(want)}, got {fmt(grad)}{hint}")
    return Verdict(not failures, first_failures(failures))


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
        params, grad, (is_leaf, requires_grad, _grad_is_none) = row[:n], row[n:2 * n], row[2 * n:]
        if is_leaf != 1.0 or requires_grad != 1.0:
            return Verdict.fail(f"{label}: params must stay a leaf tensor with requires_grad=True; "
                                "update it in place under torch.no_grad()")
        if not np.all(close(params, want[k], 1e-12, 1e-12)):
            hint = ""
            if k == 0 and np.allclose(params, data["p0"]):
                hint = ": params did not change; update the tensor in place (params -= ...), do not rebind the name"
            elif k > 0:
                hint = (": the first step was right, so the gradient was not cleared: "
                        "gradients add up across backward() calls until you zero them")
            return Verdict.fail(f"{label}: params should be {fmt(want[k])}, got {fmt(params)}{hint}")
        if np.any(grad != 0.0):
            return Verdict.fail(f"{label}: params.grad should be zero (or None) after the step, got {fmt(grad)}: "
                                "clear it, or the next backward() adds to it")
    if len(results) != rounds:
        raise MalformedResult(f"expected results for {rounds} steps")
    return Verdict(True, [])


CHECKS = {f"pytorch.{g}": (lambda g: lambda r, s: check_group(g, r, s))(g) for g in probes.GROUPS}
CHECKS["pytorch.torch_dloss"] = check_torch_dloss
CHECKS["pytorch.sgd_step"] = check_sgd_step
