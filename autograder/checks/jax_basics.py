"""Trusted checks of 04_jax: JAX in float64, closed forms and the RLC reference gradient.

Tolerances. Everything the student computes here is float64 AD or float64 arithmetic, so a
right answer matches the reference to about 1e-14 of the size of its terms. The checks allow
1e-9 relative (1e-8 for the RLC gradient, whose terms are ~1e4 times larger than their sum),
which fails every wrong formula, a float32 computation and finite differences alike.
The two optimisation exercises are checked by where they end: the goldfield descent at
the minimum of the start's basin (its gradient ~0) after one exact first step, and the
Gaussian fit within 1e-6 of the closed-form estimates.
"""
from __future__ import annotations

import numpy as np

from ..probes import jax_basics as probes
from . import MalformedResult, TestSpec, Verdict
from .compare import close, first_failures, fmt, listed, numbers, outcome, returned

RTOL, ATOL = 1e-9, 1e-12
RLC_RTOL = 1e-8
FIT_RTOL = 1e-6          # of the data's standard deviation, for the Gaussian fit
DESCENT_ATOL = 1e-6      # distance of the descent's end point to the basin's minimum
MAX_SCAN_EQNS = 1000     # the unrolled RK4 has about 199 * 60 equations; a scan well under 100

TESTS = {
    "test_nth_derivative": TestSpec("jax_basics.nth_derivative", ("nth_derivative",)),
    "test_pytree_grads": TestSpec("jax_basics.pytree_grads", ("pytree_grads",)),
    "test_rlc_scan": TestSpec("jax_basics.rlc_scan", ("rlc_scan",)),
    "test_per_example_grads": TestSpec("jax_basics.per_example_grads", ("per_example_grads",)),
    "test_gaussian_nll": TestSpec("jax_basics.gaussian_nll", ("gaussian_mle",)),
    "test_fit_gaussian": TestSpec("jax_basics.fit_gaussian", ("gaussian_mle",)),
    "test_goldfield_gradient": TestSpec("jax_basics.goldfield_gradient", ("goldfield_gradient",)),
    "test_goldfield_descent": TestSpec("jax_basics.goldfield_descent", ("goldfield_descent",)),
    "test_goldfield_partial": TestSpec("jax_basics.goldfield_partial", ("goldfield_partial",)),
    "test_my_goldfield": TestSpec("jax_basics.my_goldfield", ("my_goldfield",)),
}


def _dict(results, keys: set[str]) -> dict:
    if type(results) is not dict or set(results) != keys:
        raise MalformedResult(f"expected results for {sorted(keys)}")
    return results


def _value(entry, shape, where: str, failures: list[str]):
    """The numbers of one attempt, or None after recording why there are none."""
    got, problem = returned(entry, where, "numbers")
    if problem:
        failures.append(problem)
        return None
    return numbers(got, shape)


def _sign_hint(got, want) -> str:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if np.all(close(-got, want, 1e-9, 1e-12)) and np.any(np.abs(want) > 1e-12):
        return ": the sign is flipped"
    return ""


# --- nth_derivative --------------------------------------------------------------------------

def check_nth_derivative(results, seed: int) -> Verdict:
    from ..reference.jax_basics import nth_derivative_values

    keys = {probes.nth_key(label, n) for label in probes.NTH_FUNCTIONS for n in probes.NTH_ORDERS}
    results = _dict(results, keys)
    failures = []
    for label, xs in probes.nth_inputs(seed).items():
        for n in probes.NTH_ORDERS:
            where = f"nth_derivative(f, {n}) for f(x) = {label}"
            got = _value(results[probes.nth_key(label, n)], (len(xs),), where, failures)
            if got is None:
                continue
            want = nth_derivative_values(label, n, xs)
            bad = ~close(got, want, RTOL, ATOL)
            if bad.any():
                i = int(np.argmax(bad))
                hint = ""
                for k in (n - 1, n + 1):
                    if 0 <= k <= max(probes.NTH_ORDERS) + 1 and np.allclose(
                            got, nth_derivative_values(label, k, xs), rtol=1e-9, atol=1e-12):
                        hint = f": that is derivative number {k}, apply jax.grad exactly n times"
                failures.append(f"{where} at x = {xs[i]:.6g} should be {fmt(want[i])}, got {fmt(got[i])}{hint}")
    return Verdict(not failures, first_failures(failures))


# --- loss_and_grads on the pytree model --------------------------------------------------------

def check_pytree_grads(results, seed: int) -> Verdict:
    from ..reference.jax_basics import pytree_value_and_grads

    failures = []
    cases = probes.pytree_inputs(seed)
    for i, (case, entry) in enumerate(zip(cases, listed(results, len(cases), "loss_and_grads"))):
        where = f"loss_and_grads on test case {i + 1}"
        status, got = outcome(entry)
        if status == "error":
            failures.append(f"{where} raised {got}")
            continue
        if type(got) is not list or len(got) != 3:
            raise MalformedResult("expected [value, grads['w'], grads['b']]")
        value, gw, gb = numbers(got[0], ()), numbers(got[1], (3,)), numbers(got[2], ())
        want_v, want_w, want_b = pytree_value_and_grads(case)
        if not close(value, want_v, RTOL, ATOL):
            failures.append(f"{where}: the loss value should be {fmt(want_v)}, got {fmt(value)}")
        if not close(gw, want_w, RTOL, ATOL).all():
            failures.append(f"{where}: grads['w'] should be {fmt(want_w)}, got {fmt(gw)}{_sign_hint(gw, want_w)}")
        if not close(gb, want_b, RTOL, ATOL):
            failures.append(f"{where}: grads['b'] should be {fmt(want_b)}, got {fmt(gb)}{_sign_hint(gb, want_b)}")
    return Verdict(not failures, first_failures(failures))


# --- charges with lax.scan and dloss_jax -----------------------------------------------------

def check_rlc_scan(results, seed: int) -> Verdict:
    from ..reference.rlc import charge, reference_dloss

    results = _dict(results, {"charges", "jaxpr", "dloss"})
    data = probes.rlc_inputs(seed)
    failures = []
    R0, L0 = data["points"][0]
    got = _value(results["charges"], (probes.TIMES.size,), f"charges({R0:.6g}, {L0:.6g})", failures)
    if got is not None:
        want = np.asarray(charge(R0, L0), dtype=float)
        bad = ~close(got, want, 1e-10, 1e-9)
        if bad.any():
            i = int(np.argmax(bad))
            failures.append(f"charges({R0:.6g}, {L0:.6g})[{i}] (t = {probes.TIMES[i]:.4g}) should be "
                            f"{fmt(want[i])}, got {fmt(got[i])}: 200 values, Q(0) = 0 first, one RK4 step each")
    summary = _value(results["jaxpr"], (2,), "jax.make_jaxpr(charges)", failures)
    if summary is not None:
        loops, n_eqns = summary
        if loops < 1 or n_eqns > MAX_SCAN_EQNS:
            failures.append(f"charges should loop with jax.lax.scan: its jaxpr has {int(n_eqns)} operations and "
                            f"{int(loops)} loops, so the Python loop was unrolled into the traced program")
    for (R, L), entry in zip(data["points"], listed(results["dloss"], len(data["points"]), "dloss_jax")):
        where = f"dloss_jax(Qhat, {R:.6g}, {L:.6g})"
        got = _value(entry, (2,), where, failures)
        if got is None:
            continue
        want = reference_dloss(data["Qhat"], R, L)
        if not close(got, want, RLC_RTOL, 1e-12 * np.max(np.abs(want))).all():
            hint = _sign_hint(got, want)
            if not hint and np.allclose(got, 2 * want, rtol=1e-8):
                hint = ": it is twice the right size; the loss is the mean of (Q - Qhat)**2"
            elif not hint and np.allclose(2 * got, want, rtol=1e-8):
                hint = ": it is half the right size; d/dQ (Q - Qhat)**2 = 2 (Q - Qhat)"
            failures.append(f"{where} should be {fmt(want)}, got {fmt(got)}{hint}")
    return Verdict(not failures, first_failures(failures))


# --- per_example_grads -------------------------------------------------------------------------

def check_per_example_grads(results, seed: int) -> Verdict:
    from ..reference.jax_basics import per_example_grads

    failures = []
    cases = probes.per_example_inputs(seed)
    for case, entry in zip(cases, listed(results, len(cases), "per_example_grads")):
        n, d = case["X"].shape
        where = f"per_example_grads on {n} examples of {d} features"
        got = _value(entry, (n, d), where, failures)
        if got is None:
            continue
        want = per_example_grads(case)
        if not close(got, want, RTOL, ATOL).all():
            row = int(np.argmax(~close(got, want, RTOL, ATOL).all(axis=1)))
            hint = ""
            if np.allclose(got, np.broadcast_to(want.mean(axis=0), want.shape), rtol=1e-9, atol=1e-12):
                hint = ": every row is the mean gradient; map grad over the examples with vmap"
            failures.append(f"{where}: row {row} should be {fmt(want[row])}, got {fmt(got[row])}{hint}"
                            f"{_sign_hint(got[row], want[row])}")
    return Verdict(not failures, first_failures(failures))


# --- the Gaussian likelihood ---------------------------------------------------------------------

def check_gaussian_nll(results, seed: int) -> Verdict:
    from ..reference.jax_basics import gaussian_nll

    failures = []
    cases = probes.gaussian_inputs(seed, "gaussian_nll")
    for i, (case, entry) in enumerate(zip(cases, listed(results, len(cases), "gaussian_nll"))):
        where = f"gaussian_nll({case['mu']:.6g}, {case['log_sigma']:.6g}, data set {i + 1})"
        got = _value(entry, (3,), where, failures)
        if got is None:
            continue
        want = np.array(gaussian_nll(case["mu"], case["log_sigma"], case["data"]))
        if not close(got[0], want[0], RTOL, ATOL):
            hint = ""
            n = case["data"].size
            if np.isclose(got[0], n * want[0], rtol=1e-9):
                hint = ": that is the sum over the data; take the mean"
            elif np.isclose(got[0], want[0] - 0.5 * np.log(2 * np.pi), rtol=1e-9):
                hint = ": the constant 0.5 * log(2 pi) is missing"
            failures.append(f"{where} should be {fmt(want[0])}, got {fmt(got[0])}{hint}")
        elif not close(got[1:], want[1:], RTOL, ATOL).all():
            failures.append(f"the gradient of {where} by (mu, log_sigma) should be {fmt(want[1:])}, "
                            f"got {fmt(got[1:])}: is sigma = exp(log_sigma) everywhere?")
    return Verdict(not failures, first_failures(failures))


def check_fit_gaussian(results, seed: int) -> Verdict:
    from ..reference.jax_basics import gaussian_mle

    failures = []
    cases = probes.gaussian_inputs(seed, "fit_gaussian")
    for i, (case, entry) in enumerate(zip(cases, listed(results, len(cases), "fit_gaussian"))):
        where = f"fit_gaussian(data set {i + 1})"
        got = _value(entry, (2,), where, failures)
        if got is None:
            continue
        mu, sigma = gaussian_mle(case["data"])
        if not close(got, [mu, sigma], 0.0, FIT_RTOL * sigma).all():
            hint = ""
            if np.isclose(got[1], np.log(sigma), rtol=1e-4):
                hint = ": the second number is log(sigma); return sigma = exp(log_sigma)"
            elif np.isclose(got[1], np.std(case["data"], ddof=1), rtol=1e-6):
                hint = ": that sigma divides by n - 1; the maximum-likelihood sigma divides by n"
            elif np.isclose(got[0], mu, rtol=1e-4) and np.isclose(got[1], sigma, rtol=1e-2):
                hint = ": close but not converged; take more steps or check the learning rate"
            failures.append(f"{where} should give (mu, sigma) = ({mu:.10g}, {sigma:.10g}) (the mean and the "
                            f"standard deviation of the data), got ({fmt(got[0])}, {fmt(got[1])}){hint}")
    return Verdict(not failures, first_failures(failures))


# --- the goldfield -----------------------------------------------------------------------------

def check_goldfield_gradient(results, seed: int) -> Verdict:
    from ..reference.jax_basics import goldfield_gradient

    failures = []
    points = probes.goldfield_points(seed, "goldfield_gradient")
    for (x, y), entry in zip(points, listed(results, len(points), "goldfield_gradient")):
        where = f"goldfield_gradient({x:.6g}, {y:.6g})"
        got = _value(entry, (2,), where, failures)
        if got is None:
            continue
        want = goldfield_gradient(x, y)
        if not close(got, want, RTOL, ATOL).all():
            hint = _sign_hint(got, want)
            if not hint and close(got[::-1], want, RTOL, ATOL).all():
                hint = ": the two components are swapped; return (df/dx, df/dy)"
            failures.append(f"{where} should be {fmt(want)}, got {fmt(got)}{hint}")
    return Verdict(not failures, first_failures(failures))


def check_goldfield_descent(results, seed: int) -> Verdict:
    from ..reference.jax_basics import goldfield_gradient, goldfield_minimum

    failures = []
    cases = probes.descent_inputs(seed)
    for case, entry in zip(cases, listed(results, len(cases), "descend")):
        x0, y0, lr = case["x0"], case["y0"], case["learning_rate"]
        where = f"descend(gradient, {x0:.6g}, {y0:.6g}, learning_rate={lr:.4g}, steps={probes.DESCENT_STEPS})"
        status, got = outcome(entry)
        if status == "error":
            failures.append(f"{where} raised {got}")
            continue
        start, first, end = numbers(got, (3, 2))
        if not close(start, [x0, y0], 0.0, 1e-15).all():
            failures.append(f"{where}: the path should start at ({x0:.6g}, {y0:.6g}), got {fmt(start)}")
            continue
        want_first = np.array([x0, y0]) - lr * goldfield_gradient(x0, y0)
        if not close(first, want_first, 1e-12, 1e-14).all():
            hint = ""
            if close(first, np.array([x0, y0]) + lr * goldfield_gradient(x0, y0), 1e-12, 1e-14).all():
                hint = ": that is a step uphill; subtract learning_rate * gradient"
            failures.append(f"{where}: the first step should reach {fmt(want_first)}, got {fmt(first)}{hint}")
            continue
        minimum = np.array(goldfield_minimum(case["well"]))
        if not close(end, minimum, 0.0, DESCENT_ATOL).all():
            failures.append(f"{where} should end at the minimum {fmt(minimum)} of this basin, "
                            f"got {fmt(end)} (gradient there {fmt(goldfield_gradient(*end))})")
    return Verdict(not failures, first_failures(failures))


def check_goldfield_partial(results, seed: int) -> Verdict:
    from ..reference.jax_basics import goldfield_gradient

    failures = []
    cases = probes.partial_inputs(seed)
    for case, entry in zip(cases, listed(results, len(cases), "partial_x")):
        y, xs = case["y"], case["xs"]
        where = f"partial_x({y:.6g})"
        got = _value(entry, (len(xs),), where, failures)
        if got is None:
            continue
        grads = np.array([goldfield_gradient(x, y) for x in xs])
        want = grads[:, 0]
        bad = ~close(got, want, RTOL, ATOL)
        if bad.any():
            i = int(np.argmax(bad))
            hint = _sign_hint(got, want)
            if not hint and close(got, grads[:, 1], RTOL, ATOL).all():
                hint = ": that is the partial derivative by y; differentiate by x with y held fixed"
            failures.append(f"{where} at x = {xs[i]:.6g} should be df/dx = {fmt(want[i])}, got {fmt(got[i])}{hint}")
    return Verdict(not failures, first_failures(failures))


def check_my_goldfield(results, seed: int) -> Verdict:
    from ..reference.jax_basics import count_local_minima

    results = _dict(results, {"grid"})
    failures = []
    n, w = probes.GRID_SIZE, probes.GRID_HALF_WIDTH
    Z = _value(results["grid"], (n, n), "my_goldfield(X, Y) on a grid", failures)
    if Z is None:
        return Verdict.fail(*failures, "my_goldfield(X, Y) must accept arrays X and Y of the same shape "
                                       "(use jnp functions) and return an array of that shape")
    if not np.isfinite(Z).all():
        return Verdict.fail(f"my_goldfield gives non-finite values on the square [-{w:g}, {w:g}]^2")
    count = count_local_minima(Z)
    if count != 2:
        return Verdict.fail(f"my_goldfield should have exactly 2 local minima inside the square "
                            f"[-{w:g}, {w:g}]^2; on a {n} x {n} grid it has {count}")
    return Verdict(True, [])


CHECKS = {
    "jax_basics.nth_derivative": check_nth_derivative,
    "jax_basics.pytree_grads": check_pytree_grads,
    "jax_basics.rlc_scan": check_rlc_scan,
    "jax_basics.per_example_grads": check_per_example_grads,
    "jax_basics.gaussian_nll": check_gaussian_nll,
    "jax_basics.fit_gaussian": check_fit_gaussian,
    "jax_basics.goldfield_gradient": check_goldfield_gradient,
    "jax_basics.goldfield_descent": check_goldfield_descent,
    "jax_basics.goldfield_partial": check_goldfield_partial,
    "jax_basics.my_goldfield": check_my_goldfield,
}
