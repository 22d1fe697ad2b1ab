"""Trusted checks of 04_jax: JAX in float64, closed forms and the RLC reference gradient.

Tolerances. Every exercise here asks for exact derivatives, so each derivative is compared
with the reference to AD_TOL of its *scale*, the sum of |terms| it is made of (see
autograder.reference.jax_basics). Measured on the solutions and on honest alternatives
(grad or jacfwd, jitted or not, argnums or a vector argument, value_and_grad, nested grad),
float64 AD is off by at most 3e-15 of the scale: a margin of 30 or more. No difference
quotient comes close at any step: the best central or forward difference, step chosen
afterwards for each point, is off by at least 9e-13 of the scale on the goldfield (typically
1e-11), 5e-12 on the circuit, 1e-11 on the pytree model and 1e-11 for the second and third
derivatives; the functions of `nth_derivative` include a large constant and the per-example
features span four decades, which cost a difference quotient far more.

Values that are not derivatives (the loss values, the likelihood, Q(t)) keep RTOL, ATOL. The
Gaussian fit is checked twice: its first steps exactly (AD_TOL of their scale), and where
it ends, within FIT_RTOL of the closed-form estimates.
"""

from __future__ import annotations

import numpy as np

from ..probes import jax_basics as probes
from . import MalformedResult, Verdict, check
from .compare import close, first_failures, fmt, inexact_hint, listed, numbers, outcome, returned, within

RTOL, ATOL = 1e-9, 1e-12  # values that are not derivatives
AD_TOL = 1e-13  # of the scale, for every derivative
FIT_RTOL = 1e-6  # of the data's standard deviation, for where the Gaussian fit ends
MAX_SCAN_EQNS = 1000  # the unrolled RK4 has about 199 * 60 equations; a scan well under 100


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


@check(probes.probe_nth_derivative)
def check_nth_derivative(results, seed: int) -> Verdict:
    from ..reference.jax_basics import nth_derivative_scales, nth_derivative_values

    keys = {probes.nth_key(label, n) for label in probes.NTH_FUNCTIONS for n in probes.NTH_ORDERS}
    results = _dict(results, keys)
    failures: list[str] = []
    for label, xs in probes.nth_inputs(seed).items():
        for n in probes.NTH_ORDERS:
            where = f"nth_derivative(f, {n}) for f(x) = {label}"
            got = _value(results[probes.nth_key(label, n)], (len(xs),), where, failures)
            if got is None:
                continue
            want, scale = nth_derivative_values(label, n, xs), nth_derivative_scales(label, n, xs)
            bad = ~within(got, want, scale, AD_TOL)
            if bad.any():
                i = int(np.argmax(bad))
                hint = inexact_hint(got, want, scale, "apply jax.grad n times")
                for k in (n - 1, n + 1):
                    if 0 <= k <= max(probes.NTH_ORDERS) + 1 and np.allclose(
                        got, nth_derivative_values(label, k, xs), rtol=1e-9, atol=1e-12
                    ):
                        hint = f": that is derivative number {k}, apply jax.grad exactly n times"
                failures.append(
                    f"{where} at x = {xs[i]:.6g} should be {fmt(want[i])}, got {fmt(got[i])}{hint}"
                )
    return Verdict(not failures, first_failures(failures))


# --- loss_and_grads on the pytree model --------------------------------------------------------


@check(probes.probe_pytree_grads)
def check_pytree_grads(results, seed: int) -> Verdict:
    from ..reference.jax_basics import pytree_grad_scales, pytree_value_and_grads

    failures: list[str] = []
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
        scale_w, scale_b = pytree_grad_scales(case)
        if not close(value, want_v, RTOL, ATOL):
            failures.append(f"{where}: the loss value should be {fmt(want_v)}, got {fmt(value)}")
        for name, got_g, want_g, scale in (
            ("grads['w']", gw, want_w, scale_w),
            ("grads['b']", gb, want_b, scale_b),
        ):
            if not within(got_g, want_g, scale, AD_TOL).all():
                hint = _sign_hint(got_g, want_g) or inexact_hint(
                    got_g, want_g, scale, "use jax.value_and_grad"
                )
                failures.append(f"{where}: {name} should be {fmt(want_g)}, got {fmt(got_g)}{hint}")
    return Verdict(not failures, first_failures(failures))


# --- charges with lax.scan and dloss_jax -----------------------------------------------------


@check(probes.probe_rlc_scan)
def check_rlc_scan(results, seed: int) -> Verdict:
    from ..reference.jax_basics import rlc_dloss_scale
    from ..reference.rlc import charge, reference_dloss

    results = _dict(results, {"charges", "jaxpr", "dloss"})
    data = probes.rlc_inputs(seed)
    failures: list[str] = []
    R0, L0 = data["points"][0]
    got = _value(results["charges"], (probes.TIMES.size,), f"charges({R0:.6g}, {L0:.6g})", failures)
    if got is not None:
        want = np.asarray(charge(R0, L0), dtype=float)
        bad = ~close(got, want, 1e-10, 1e-9)
        if bad.any():
            i = int(np.argmax(bad))
            failures.append(
                f"charges({R0:.6g}, {L0:.6g})[{i}] (t = {probes.TIMES[i]:.4g}) should be "
                f"{fmt(want[i])}, got {fmt(got[i])}: 200 values, Q(0) = 0 first, one RK4 step each"
            )
    summary = _value(results["jaxpr"], (2,), "jax.make_jaxpr(charges)", failures)
    if summary is not None:
        loops, n_eqns = summary
        if loops < 1 or n_eqns > MAX_SCAN_EQNS:
            failures.append(
                f"charges should loop with jax.lax.scan: its jaxpr has {int(n_eqns)} operations and "
                f"{int(loops)} loops, so the Python loop was unrolled into the traced program"
            )
    for (R, L), entry in zip(data["points"], listed(results["dloss"], len(data["points"]), "dloss_jax")):
        where = f"dloss_jax(Qhat, {R:.6g}, {L:.6g})"
        got = _value(entry, (2,), where, failures)
        if got is None:
            continue
        want, scale = reference_dloss(data["Qhat"], R, L), rlc_dloss_scale(data["Qhat"], R, L)
        if not within(got, want, scale, AD_TOL).all():
            hint = _sign_hint(got, want)
            if not hint and np.allclose(got, 2 * want, rtol=1e-8):
                hint = ": it is twice the right size; the loss is the mean of (Q - Qhat)**2"
            elif not hint and np.allclose(2 * got, want, rtol=1e-8):
                hint = ": it is half the right size; d/dQ (Q - Qhat)**2 = 2 (Q - Qhat)"
            elif not hint:
                hint = inexact_hint(got, want, scale, "differentiate rlc_loss with jax.grad")
            failures.append(f"{where} should be {fmt(want)}, got {fmt(got)}{hint}")
    return Verdict(not failures, first_failures(failures))


# --- per_example_grads -------------------------------------------------------------------------


@check(probes.probe_per_example_grads)
def check_per_example_grads(results, seed: int) -> Verdict:
    from ..reference.jax_basics import per_example_grads

    failures: list[str] = []
    cases = probes.per_example_inputs(seed)
    for case, entry in zip(cases, listed(results, len(cases), "per_example_grads")):
        n, d = case["X"].shape
        where = f"per_example_grads on {n} examples of {d} features"
        got = _value(entry, (n, d), where, failures)
        if got is None:
            continue
        want = per_example_grads(case)
        scale = np.abs(want)  # each entry is one product, -y x sigmoid(-y w.x)
        ok = within(got, want, scale, AD_TOL)
        if not ok.all():
            row = int(np.argmax(~ok.all(axis=1)))
            hint = _sign_hint(got[row], want[row])
            if np.allclose(got, np.broadcast_to(want.mean(axis=0), want.shape), rtol=1e-9, atol=1e-12):
                hint = ": every row is the mean gradient; map grad over the examples with vmap"
            elif not hint:
                hint = inexact_hint(
                    got, want, scale, "map jax.grad(example_loss) over the examples with jax.vmap"
                )
            failures.append(f"{where}: row {row} should be {fmt(want[row])}, got {fmt(got[row])}{hint}")
    return Verdict(not failures, first_failures(failures))


# --- the Gaussian likelihood ---------------------------------------------------------------------


@check(probes.probe_gaussian_nll)
def check_gaussian_nll(results, seed: int) -> Verdict:
    from ..reference.jax_basics import gaussian_nll

    failures: list[str] = []
    cases = probes.gaussian_inputs(seed, probes.probe_gaussian_nll)
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
            failures.append(
                f"the gradient of {where} by (mu, log_sigma) should be {fmt(want[1:])}, "
                f"got {fmt(got[1:])}: is sigma = exp(log_sigma) everywhere?"
            )
    return Verdict(not failures, first_failures(failures))


@check(probes.probe_fit_gaussian)
def check_fit_gaussian(results, seed: int) -> Verdict:
    from ..reference.jax_basics import gaussian_descent, gaussian_mle

    results = _dict(results, {"fits", "first steps"})
    failures: list[str] = []
    cases = probes.gaussian_inputs(seed, probes.probe_fit_gaussian)
    data = cases[0]["data"]
    rate = probes.FIRST_STEPS_RATE
    for steps, entry in zip(
        probes.FIRST_STEPS, listed(results["first steps"], len(probes.FIRST_STEPS), "fit_gaussian")
    ):
        where = f"fit_gaussian(data set 1, learning_rate={rate:g}, steps={steps})"
        got = _value(entry, (2,), where, failures)
        if got is None:
            continue
        want, scale = gaussian_descent(data, rate, steps)
        if not within(got, want, scale, AD_TOL).all():
            hint = ""
            if np.isclose(got[1], np.log(want[1]), rtol=1e-9, atol=1e-12):
                hint = ": the second number is log(sigma); return sigma = exp(log_sigma)"
            else:
                hint = inexact_hint(got, want, scale, "take the gradient with jax.grad")
            failures.append(
                f"{where} should take {steps} step(s) of gradient descent on (mu, log sigma) from (0, 0) "
                f"and give (mu, sigma) = ({want[0]:.15g}, {want[1]:.15g}), got ({fmt(got[0])}, "
                f"{fmt(got[1])}){hint}"
            )
    for i, (case, entry) in enumerate(zip(cases, listed(results["fits"], len(cases), "fit_gaussian"))):
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
            failures.append(
                f"{where} should give (mu, sigma) = ({mu:.10g}, {sigma:.10g}) (the mean and the "
                f"standard deviation of the data), got ({fmt(got[0])}, {fmt(got[1])}){hint}"
            )
    return Verdict(not failures, first_failures(failures))


# --- the goldfield -----------------------------------------------------------------------------


@check(probes.probe_goldfield_gradient)
def check_goldfield_gradient(results, seed: int) -> Verdict:
    from ..reference.jax_basics import goldfield_gradient, goldfield_gradient_scale

    failures: list[str] = []
    points = probes.goldfield_points(seed, probes.probe_goldfield_gradient)
    for (x, y), entry in zip(points, listed(results, len(points), "goldfield_gradient")):
        where = f"goldfield_gradient({x:.6g}, {y:.6g})"
        got = _value(entry, (2,), where, failures)
        if got is None:
            continue
        want, scale = goldfield_gradient(x, y), goldfield_gradient_scale(x, y)
        if not within(got, want, scale, AD_TOL).all():
            hint = _sign_hint(got, want)
            if not hint and close(got[::-1], want, RTOL, ATOL).all():
                hint = ": the two components are swapped; return (df/dx, df/dy)"
            elif not hint:
                hint = inexact_hint(got, want, scale, "use jax.grad with argnums=(0, 1)")
            failures.append(f"{where} should be {fmt(want)}, got {fmt(got)}{hint}")
    return Verdict(not failures, first_failures(failures))


@check(probes.probe_goldfield_partial)
def check_goldfield_partial(results, seed: int) -> Verdict:
    from ..reference.jax_basics import goldfield_gradient, goldfield_gradient_scale

    failures: list[str] = []
    cases = probes.partial_inputs(seed)
    for case, entry in zip(cases, listed(results, len(cases), "partial_x")):
        y, xs = case["y"], case["xs"]
        where = f"partial_x({y:.6g})"
        got = _value(entry, (len(xs),), where, failures)
        if got is None:
            continue
        grads = np.array([goldfield_gradient(x, y) for x in xs])
        want, scale = grads[:, 0], np.array([goldfield_gradient_scale(x, y)[0] for x in xs])
        bad = ~within(got, want, scale, AD_TOL)
        if bad.any():
            i = int(np.argmax(bad))
            hint = _sign_hint(got, want)
            if not hint and close(got, grads[:, 1], RTOL, ATOL).all():
                hint = ": that is the partial derivative by y; differentiate by x with y held fixed"
            elif not hint:
                hint = inexact_hint(got, want, scale, "use jax.grad of a function of x alone")
            failures.append(
                f"{where} at x = {xs[i]:.6g} should be df/dx = {fmt(want[i])}, got {fmt(got[i])}{hint}"
            )
    return Verdict(not failures, first_failures(failures))
