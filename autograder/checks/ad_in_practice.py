"""Trusted checks of 07_ad_in_practice against float64 references (autograder.reference)."""

from __future__ import annotations

import numpy as np

from ..probes import ad_in_practice as probes
from . import MalformedResult, Verdict, check
from .compare import close, first_failures, fmt, listed, numbers, returned

EXPREL_RTOL = 1e-9
LOG_SIGMOID_RTOL, TINY = 1e-12, 1e-300
FIXED_POINT_RTOL, FIXED_POINT_ATOL = 1e-10, 1e-12
# A central difference of the solver is good to about 1e-10 at best; the implicit function
# theorem with the notebook's `iterate` to about 1e-14.
GRADIENT_RTOL, GRADIENT_ATOL = 1e-12, 1e-14
CHARGES_RTOL, CHARGES_ATOL = 1e-10, 1e-9
MAX_NUMBERS_PER_TIME = 8  # what checkpointing each interval may keep, per observation time


def _pointwise(
    results, key: str, call: str, want: np.ndarray, rtol: float, atol: float, describe
) -> list[str]:
    """What is wrong with the numbers recorded under key, one per point: the call's problem, or
    describe(i, got, want) for each point i where got is not close to want."""
    if type(results) is not dict or key not in results:
        raise MalformedResult(f"no result for {key!r}")
    got, problem = returned(results[key], call)
    if problem:
        return [problem]
    got = numbers(got)
    if got.shape != want.shape:
        return [f"{call} should work elementwise and return {want.size} values, got shape {got.shape}"]
    ok = close(got, want, rtol, atol)
    return [describe(i, float(got[i]), float(want[i])) for i in np.flatnonzero(~ok)]


def _relative(got: float, want: float) -> str:
    if not np.isfinite(got) or want == 0:
        return ""
    return f" (relative error {abs(got - want) / abs(want):.1e})"


# --- exprel -----------------------------------------------------------------------------------


def _exprel_value_hint(x: float, got: float) -> str:
    if not np.isfinite(got):
        return ": exp of a large x overflows only beyond 709, so this is a 0/0 or an unguarded branch"
    if 0 < abs(x) < 1e-1:
        return (
            ": exp(x) - 1 loses digits near 0 (use jnp.expm1), and a short Taylor polynomial is not "
            "accurate far from 0"
        )
    return ""


def _exprel_slope_hint(x: float, got: float) -> str:
    if np.isnan(got):
        return (
            ": the branch of jnp.where that is not selected here is still differentiated, and its "
            "derivative is nan or inf; make its input safe with a second jnp.where"
        )
    if x == 0 and got == 0:
        return (
            ": a branch that returns a constant at x = 0 has derivative 0, but exprel'(0) = 1/2; "
            "use a Taylor polynomial near 0"
        )
    if 0 < abs(x) < 1e-1:
        return (
            ": near 0 the derivative of expm1(x) / x cancels two numbers of size 1/x and loses digits, "
            "and a short Taylor polynomial is not accurate far from 0; use the polynomial below about "
            "|x| = 1e-3, with terms up to x**4"
        )
    return ""


@check(probes.probe_exprel)
def check_exprel(results, seed: int) -> Verdict:
    from ..reference.ad_in_practice import exprel

    xs = probes.exprel_inputs(seed)
    want_values, want_slopes = exprel(xs)
    failures = _pointwise(
        results,
        "values",
        f"exprel of the array {fmt(xs)}",
        want_values,
        EXPREL_RTOL,
        0.0,
        lambda i, got, want: (
            f"exprel({xs[i]:.6g}) should be {want:.16g}, got {got!r}"
            f"{_relative(got, want)}" + _exprel_value_hint(float(xs[i]), got)
        ),
    )
    failures += _pointwise(
        results,
        "slopes",
        "jax.vmap(jax.grad(exprel)) of the points",
        want_slopes,
        EXPREL_RTOL,
        0.0,
        lambda i, got, want: (
            f"jax.grad(exprel)({xs[i]:.6g}) should be {want:.16g}, got "
            f"{got!r}{_relative(got, want)}" + _exprel_slope_hint(float(xs[i]), got)
        ),
    )
    return Verdict(not failures, first_failures(failures, 4))


# --- stable_log_sigmoid -----------------------------------------------------------------------


def _log_sigmoid_value_hint(x: float, got: float) -> str:
    if not np.isfinite(got):
        return ": exp of a large number overflows; exponentiate only -|x|, as in min(x, 0) - log1p(exp(-|x|))"
    if got == 0.0:
        return ": log(1 + tiny) rounds to 0; use jnp.log1p"
    return ""


def _log_sigmoid_slope_hint(x: float, got: float, rule_right: bool) -> str:
    if rule_right:
        return (
            ": your rule gives the right tangent, so jax.grad is not using it: attach it with "
            "@stable_log_sigmoid.defjvp"
        )
    if x == 0:
        return (
            ": at x = 0 AD through min and abs uses the kink conventions of Part 1; the rule should "
            "state the derivative sigmoid(-x) itself"
        )
    if np.isnan(got):
        return ": the tangent overflows; compute sigmoid(-x) without exponentiating a large number"
    return ""


def _rule_outputs(results, n: int) -> tuple[np.ndarray | None, str | None]:
    """((primal_out, tangent_out) as a 2 x n array, None), or (None, what went wrong)."""
    call = "stable_log_sigmoid_jvp((x,), (dx,)) for arrays x, dx"
    if type(results) is not dict or "rule" not in results:
        raise MalformedResult("no result for 'rule'")
    got, problem = returned(results["rule"], call, "the pair (primal_out, tangent_out)")
    if problem:
        return None, problem
    if type(got) is not list or len(got) != 2:
        return None, f"{call} should return the pair (primal_out, tangent_out)"
    parts = [numbers(g) for g in got]
    if any(part.shape != (n,) for part in parts):
        return None, (
            f"{call} should return two arrays of {n} values, the shape of x; got shapes "
            f"{[part.shape for part in parts]}"
        )
    return np.stack(parts), None


@check(probes.probe_stable_log_sigmoid)
def check_stable_log_sigmoid(results, seed: int) -> Verdict:
    from ..reference.ad_in_practice import log_sigmoid

    xs, dxs = probes.log_sigmoid_inputs(seed)
    want_values, want_slopes = log_sigmoid(xs)
    failures = []
    rule, problem = _rule_outputs(results, xs.size)
    rule_right = np.zeros(xs.size, dtype=bool)
    if problem or rule is None:
        failures.append(problem or "the custom rule's outputs are missing")
    else:
        for i, (x, dx, value, slope) in enumerate(zip(xs, dxs, want_values, want_slopes)):
            call = f"stable_log_sigmoid_jvp(({x:.6g},), ({dx:.6g},))"
            got, want = rule[:, i], np.array([value, slope * dx])
            ok = close(got, want, LOG_SIGMOID_RTOL, TINY)
            rule_right[i] = ok.all()
            if not ok[0]:
                failures.append(
                    f"{call} should return the value log sigmoid({x:.6g}) = {value!r} first, got "
                    f"{got[0]!r}" + _log_sigmoid_value_hint(x, got[0])
                )
            elif not ok[1]:
                failures.append(
                    f"{call} should return the tangent sigmoid(-x) * dx = {want[1]!r}, got {got[1]!r}"
                    f"{_relative(got[1], want[1])}"
                )
    failures += _pointwise(
        results,
        "values",
        f"stable_log_sigmoid of the array {fmt(xs)}",
        want_values,
        LOG_SIGMOID_RTOL,
        TINY,
        lambda i, got, want: (
            f"stable_log_sigmoid({xs[i]:.6g}) should be {want!r}, got {got!r}"
            f"{_relative(got, want)}" + _log_sigmoid_value_hint(float(xs[i]), got)
        ),
    )
    failures += _pointwise(
        results,
        "slopes",
        "jax.vmap(jax.grad(stable_log_sigmoid)) of the points",
        want_slopes,
        LOG_SIGMOID_RTOL,
        TINY,
        lambda i, got, want: (
            f"jax.grad(stable_log_sigmoid)({xs[i]:.6g}) should be sigmoid(-x) = "
            f"{want!r}, got {got!r}" + _log_sigmoid_slope_hint(float(xs[i]), got, bool(rule_right[i]))
        ),
    )
    return Verdict(not failures, first_failures(failures, 4))


# --- fixed_point ------------------------------------------------------------------------------


def _fixed_point_gradient_hint(got: np.ndarray, mistakes: dict[str, np.ndarray]) -> str:
    if close(got, mistakes["one step"], 1e-7, 1e-9).all():
        return (
            ": that is the gradient through one application of f, (df/da)^T y_bar; first solve "
            "w = y_bar + (df/dy)^T w, then return (df/da)^T w"
        )
    if close(got, mistakes["transpose"], 1e-7, 1e-9).all():
        return (
            ": that solves (I - df/dy) w = y_bar instead of its transpose; pull w back through f with "
            "jax.vjp, which applies (df/dy)^T"
        )
    return ""


@check(probes.probe_fixed_point)
def check_fixed_point(results, seed: int) -> Verdict:
    from ..reference.ad_in_practice import fixed_point_mistakes, fixed_point_vjp

    failures = []
    for case, params, a, y0, v in probes.fixed_point_inputs(seed):
        call = f"fixed_point(f, a, y0) for {case.label}, a = {fmt(a)}"
        if type(results) is not dict or case.label not in results:
            raise MalformedResult(f"no result for {case.label!r}")
        got, problem = returned(results[case.label], call)
        if problem:
            if "Reverse-mode differentiation does not work" in problem or "defvjp" in problem:
                problem += (
                    " (give fixed_point its reverse-mode rule: define fixed_point_fwd and "
                    "fixed_point_bwd and attach them with fixed_point.defvjp)"
                )
            failures.append(problem)
            continue
        if type(got) is not list or len(got) != 2:
            raise MalformedResult("expected [the fixed point, the gradient]")
        y, gradient = numbers(got[0]), numbers(got[1])
        want_y, want_gradient = fixed_point_vjp(params, a, y0, v)
        if y.shape != want_y.shape:
            failures.append(
                f"{call} should be a vector of {want_y.size} numbers, like y0; got shape {y.shape}"
            )
        elif not close(y, want_y, FIXED_POINT_RTOL, FIXED_POINT_ATOL).all():
            failures.append(
                f"{call} should be the fixed point {fmt(want_y)}, got {fmt(y)}: iterate until y stops "
                "moving (iterate does), not a fixed number of times"
            )
        elif gradient.shape != want_gradient.shape:
            failures.append(
                f"jax.grad of v . {call} should have the shape of a, {want_gradient.shape}; "
                f"got {gradient.shape}"
            )
        elif not close(gradient, want_gradient, GRADIENT_RTOL, GRADIENT_ATOL).all():
            failures.append(
                f"jax.grad of v . {call}, for v = {fmt(v)}, should be {fmt(want_gradient)}, got "
                f"{fmt(gradient)}"
                + _fixed_point_gradient_hint(gradient, fixed_point_mistakes(params, a, y0, v))
            )
    return Verdict(not failures, first_failures(failures))


# --- checkpointed_charges ---------------------------------------------------------------------


@check(probes.probe_checkpointed_charges)
def check_checkpointed_charges(results, seed: int) -> Verdict:
    from ..reference.ad_in_practice import checkpointed_charges

    case = probes.checkpointed_charges_inputs(seed)
    call = f"checkpointed_charges({case.R:.6g}, {case.L:.6g}, {case.substeps})"
    if type(results) is not dict or not {"run", "residual_bytes"} <= set(results):
        raise MalformedResult("expected the run and the residual bytes")
    got, problem = returned(results["run"], call)
    if problem:
        return Verdict.fail(problem)
    if type(got) is not list or len(got) != 2:
        raise MalformedResult("expected [Q, gradient]")
    Q = numbers(got[0])
    want_Q, want_gradient = checkpointed_charges(case)
    if Q.shape != want_Q.shape:
        hint = ": put the initial charge Q(0) = 0 first" if Q.shape == (want_Q.size - 1,) else ""
        return Verdict.fail(
            f"{call} should give the 200 charges Q(t_0), ..., Q(t_199); got shape {Q.shape}{hint}"
        )
    if not close(Q, want_Q, CHARGES_RTOL, CHARGES_ATOL).all():
        worst = int(np.argmax(np.abs(Q - want_Q)))
        return Verdict.fail(
            f"{call} should equal Q by {case.substeps} RK4 steps of DT / {case.substeps} per "
            f"interval; at t_{worst} it is {Q[worst]:.10g}, expected {want_Q[worst]:.10g}"
        )
    gradient = numbers(got[1], (2,))
    if not close(gradient, want_gradient, CHARGES_RTOL, CHARGES_ATOL).all():
        return Verdict.fail(
            f"the gradient of v . {call} by (R, L) should be {fmt(want_gradient)}, got {fmt(gradient)}"
        )
    kept = []
    for s, entry in zip(case.memory_substeps, listed(results["residual_bytes"], 2, "the residual bytes")):
        value, problem = returned(entry, f"jax.vjp of checkpointed_charges(R, L, {s})", "a number of bytes")
        if problem:
            return Verdict.fail(problem)
        kept.append(float(numbers(value, ())))
    (few, many), limit = kept, MAX_NUMBERS_PER_TIME * 8 * 200
    if many > few * 1.01 + 64:
        return Verdict.fail(
            f"the residuals jax.vjp keeps grow with substeps ({few:.0f} bytes for "
            f"{case.memory_substeps[0]}, {many:.0f} for {case.memory_substeps[1]}): wrap the "
            "whole interval, not each step, in jax.checkpoint"
        )
    if few > limit:
        return Verdict.fail(
            f"jax.vjp keeps {few:.0f} bytes of residuals, more than {MAX_NUMBERS_PER_TIME} "
            "numbers per observation time: keep only the state between intervals (jax.checkpoint)"
        )
    return Verdict(True)
