"""The hidden checks of 02_euler_rk4: the solution passes, every classic mistake fails."""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from probe_support import judge

from autograder import course, rlc
from autograder.checks import check_record
from autograder.probes import euler_rk4 as probes
from autograder.reference.rlc import reference_dloss
from autograder.sample_submissions import solution_answers

AID = "02_euler_rk4"
SEEDS = st.integers(min_value=0, max_value=2**62)
READONLY_NEEDED = ("model", "solvers", "dual")  # what the answers rely on


def solution_namespace() -> dict:
    """The notebook's locked model/solver/Dual cells and the three solved answers."""
    nb = nbformat.read(course.solution_notebook(AID), as_version=4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells}
    ns = {"np": np}
    for gid in READONLY_NEEDED:
        exec(cells[gid], ns)  # noqa: S102 - our own notebook source
    answers = solution_answers(AID)
    for gid in ("seeding", "dual_charge", "dloss", "dloss_vector"):
        exec(answers[gid], ns)  # noqa: S102
    return ns


NS = solution_namespace()
Dual, simulate, rk4_step, euler_step = NS["Dual"], NS["simulate"], NS["rk4_step"], NS["euler_step"]
values_and_derivatives, loss = NS["values_and_derivatives"], NS["loss"]


def verdict(name: str, results, seed: int):
    probe = f"euler_rk4.{name}"
    return check_record(probe, {"probe": probe, "results": json.loads(json.dumps(results))}, seed)


def dloss_verdict(fn, seed: int = 11):
    return verdict("dloss", probes.probe_dloss.run(fn, seed), seed)


def vector_verdict(fn, seed: int = 11, cls=None):
    return judge(probes.probe_dloss_vector, fn, cls or Dual, seed=seed)


# Finite differences must fail on every one of these seeds, at every step (and on hypothesis's).
FIXED_SEEDS = range(20)
FD_STEPS = [10.0**-k for k in range(3, 9)]
FD_KINDS = ["forward", "central"]


# --- the solution ----------------------------------------------------------------------------


@settings(max_examples=2, deadline=None)
@given(seed=SEEDS)
def test_solution_passes_every_check(seed):
    for name, results in [
        ("seeding", probes.probe_seeding.run(NS["seed_inputs"], seed)),
        ("dual_charge", probes.probe_dual_charge.run(NS["dual_charge"], seed)),
        ("dloss", probes.probe_dloss.run(NS["dloss"], seed)),
    ]:
        v = verdict(name, results, seed)
        assert v.passed, (name, v.messages)
    v = vector_verdict(NS["dloss_vector"], seed)
    assert v.passed, v.messages


@settings(max_examples=3, deadline=None)
@given(seed=SEEDS)
def test_parity_dual_numbers_agree_with_jax_to_1e_10(seed):
    for Qhat, R, L in probes.dloss_inputs(seed)[:2]:
        got, want = NS["dloss"](Qhat, R, L), reference_dloss(Qhat, R, L)
        assert np.allclose(got, want, rtol=1e-10, atol=0), (R, L, got, want)


def test_probe_data_is_the_same_on_both_sides_and_secret_per_seed():
    a, b = probes.dloss_inputs(5), probes.dloss_inputs(5)
    for (qa, ra, la), (qb, rb, lb) in zip(a, b):
        assert np.array_equal(qa, qb) and (ra, la) == (rb, lb)
    assert not np.allclose(probes.dloss_inputs(6)[0][0], a[0][0])
    for _, R, L in a:
        assert probes.R_RANGE[0] <= R <= probes.R_RANGE[1] and probes.L_RANGE[0] <= L <= probes.L_RANGE[1]


def test_probe_model_matches_the_notebook_model():
    for R, L in [(1.0, 10.0), (2.7, 5.3)]:
        Q = simulate(rk4_step, R, L, np.zeros(2))
        assert np.array_equal(Q, rlc.charge(R, L))


# --- dloss: accepted alternatives --------------------------------------------------------------


def dloss_vector_duals(Qhat, R, L):
    state0 = np.array([Dual(0.0, np.zeros(2)), Dual(0.0, np.zeros(2))])
    charges = simulate(rk4_step, Dual(R, np.array([1.0, 0.0])), Dual(L, np.array([0.0, 1.0])), state0)
    Q, dQ = values_and_derivatives(charges)
    return 2 * np.mean((Q - Qhat)[:, None] * dQ, axis=0)


def dloss_forward_sensitivities(Qhat, R, L):
    """Float RK4 on the ODE augmented with its sensitivity equations (same step, same times)."""
    C, E = rlc.C, rlc.E

    def rhs(y, R, L):
        dq, q, dq_R, q_R, dq_L, q_L = y
        acc = (E - R * dq - q / C) / L
        return np.array(
            [acc, dq, (-dq - R * dq_R - q_R / C) / L, dq_R, -acc / L + (-R * dq_L - q_L / C) / L, dq_L]
        )

    dt = probes.TIMES[1] - probes.TIMES[0]
    y = np.zeros(6)
    ys = [y]
    for _ in range(len(probes.TIMES) - 1):
        y = rk4_step(rhs, y, dt, R, L)
        ys.append(y)
    ys = np.array(ys)
    r = ys[:, 1] - Qhat
    return np.array([2 * np.mean(r * ys[:, 3]), 2 * np.mean(r * ys[:, 5])])


@pytest.mark.parametrize("fn", [dloss_vector_duals, dloss_forward_sensitivities], ids=lambda f: f.__name__)
def test_accepted_alternatives_pass(fn):
    for seed in (3, 4):
        v = dloss_verdict(fn, seed)
        assert v.passed, v.messages


def test_a_list_result_is_accepted():
    v = dloss_verdict(lambda Qhat, R, L: list(NS["dloss"](Qhat, R, L)))
    assert v.passed, v.messages


# --- dloss: the classic mistakes -------------------------------------------------------------------


def _dual_grad(Qhat, R, L, step=rk4_step, state_seed=0.0, combine=None):
    grad = []
    for wrt in ("R", "L"):
        R_d = Dual(R, 1.0 if wrt == "R" else 0.0)
        L_d = Dual(L, 1.0 if wrt == "L" else 0.0)
        state0 = np.array([Dual(0.0, state_seed), Dual(0.0, state_seed)])
        Q, dQ = values_and_derivatives(simulate(step, R_d, L_d, state0))
        grad.append((combine or (lambda r, d: 2 * np.mean(r * d)))(Q - Qhat, dQ))
    return np.array(grad)


def _forward_difference(Qhat, R, L, h=1e-4):
    here = loss(R, L, Qhat)
    return np.array([(loss(R + h, L, Qhat) - here) / h, (loss(R, L + h, Qhat) - here) / h])


def _central_difference(Qhat, R, L, h):
    return np.array(
        [
            (loss(R + h, L, Qhat) - loss(R - h, L, Qhat)) / (2 * h),
            (loss(R, L + h, Qhat) - loss(R, L - h, Qhat)) / (2 * h),
        ]
    )


def fd_gradient(h, kind):
    """dloss by a difference quotient of the float loss with step h (the model's float RK4,
    autograder.rlc, the very numbers of the notebook's `loss`, only faster)."""

    def f(R, L, Qhat):
        return np.mean((rlc.charge(R, L) - Qhat) ** 2)

    def gradient(Qhat, R, L):
        if kind == "forward":
            here = f(R, L, Qhat)
            return np.array([(f(R + h, L, Qhat) - here) / h, (f(R, L + h, Qhat) - here) / h])
        return np.array(
            [
                (f(R + h, L, Qhat) - f(R - h, L, Qhat)) / (2 * h),
                (f(R, L + h, Qhat) - f(R, L - h, Qhat)) / (2 * h),
            ]
        )

    return gradient


WRONG = {
    "initial state seeded Dual(0, 1)": lambda Qhat, R, L: _dual_grad(Qhat, R, L, state_seed=1.0),
    "forward differences with h = 1e-4": _forward_difference,
    "missing factor 2": lambda Qhat, R, L: _dual_grad(Qhat, R, L, combine=lambda r, d: np.mean(r * d)),
    "sum instead of mean": lambda Qhat, R, L: _dual_grad(Qhat, R, L, combine=lambda r, d: 2 * np.sum(r * d)),
    "components swapped": lambda Qhat, R, L: _dual_grad(Qhat, R, L)[::-1],
    "Euler instead of RK4": lambda Qhat, R, L: _dual_grad(Qhat, R, L, step=euler_step),
    "sign flipped": lambda Qhat, R, L: -_dual_grad(Qhat, R, L),
    "t = 0 left out of the mean": lambda Qhat, R, L: _dual_grad(
        Qhat, R, L, combine=lambda r, d: 2 * np.mean(r[1:] * d[1:])
    ),
    # Not dual numbers: even at their best step, central differences miss by about 1e-10.
    "central differences with h = 1e-5": lambda Qhat, R, L: _central_difference(Qhat, R, L, 1e-5),
}


@pytest.mark.parametrize("name", list(WRONG))
def test_each_classic_dloss_mistake_fails(name):
    v = dloss_verdict(WRONG[name])
    assert not v.passed, f"the check accepted: {name}"


@pytest.mark.parametrize(
    "name, words",
    [
        ("missing factor 2", "half"),
        ("sum instead of mean", "mean"),
        ("sign flipped", "sign"),
        ("components swapped", "swapped"),
        ("forward differences with h = 1e-4", "finite differences"),
        ("initial state seeded Dual(0, 1)", "seeded"),
    ],
)
def test_dloss_messages_name_the_mistake(name, words):
    v = dloss_verdict(WRONG[name])
    assert any(words in m for m in v.messages), v.messages


def test_returning_duals_or_one_number_fails_with_a_message():
    v = dloss_verdict(lambda Qhat, R, L: np.array([Dual(1.0, 2.0), Dual(3.0, 4.0)]))
    assert not v.passed and any("Dual" in m for m in v.messages), v.messages
    v = dloss_verdict(lambda Qhat, R, L: 1.0)
    assert not v.passed and any("one number" in m for m in v.messages), v.messages


def test_dloss_that_mutates_qhat_cannot_change_the_reference():
    def greedy(Qhat, R, L):
        Qhat[:] = 0.0
        return NS["dloss"](Qhat, R, L)

    assert not dloss_verdict(greedy).passed


# --- seeding ------------------------------------------------------------------------------------


def _seeding(state_seed=0.0, flip=False, both=False, float_state=False):
    def seed_inputs(R, L, wrt):
        on_R = (wrt == "R") != flip
        R_d = Dual(R, 1.0 if (on_R or both) else 0.0)
        L_d = Dual(L, 1.0 if (not on_R or both) else 0.0)
        state0 = np.zeros(2) if float_state else np.array([Dual(0.0, state_seed), Dual(0.0, state_seed)])
        return R_d, L_d, state0

    return seed_inputs


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_seeding(state_seed=1.0), "Dual(0, 0)"),
        (_seeding(flip=True), "derivative 1"),
        (_seeding(both=True), "derivative 1"),
        (_seeding(float_state=True), "not a Dual"),
    ],
)
def test_each_seeding_mistake_fails_with_a_hint(wrong, hint):
    v = verdict("seeding", probes.probe_seeding.run(wrong, 2), 2)
    assert not v.passed
    assert any(hint in m for m in v.messages), v.messages


# --- dual_charge ------------------------------------------------------------------------------------


def _dual_charge(step=rk4_step, state_seed=0.0, drop_first=False, as_duals=False):
    def dual_charge(R, L, wrt):
        R_d = Dual(R, 1.0 if wrt == "R" else 0.0)
        L_d = Dual(L, 1.0 if wrt == "L" else 0.0)
        charges = simulate(step, R_d, L_d, np.array([Dual(0.0, state_seed), Dual(0.0, state_seed)]))
        if as_duals:
            return charges
        Q, dQ = values_and_derivatives(charges)
        return (Q[1:], dQ[1:]) if drop_first else (Q, dQ)

    return dual_charge


@pytest.mark.parametrize(
    "wrong",
    [
        _dual_charge(step=euler_step),
        _dual_charge(state_seed=1.0),
        _dual_charge(drop_first=True),
        _dual_charge(as_duals=True),
    ],
    ids=["euler", "seeded_1", "no_t0", "duals"],
)
def test_each_dual_charge_mistake_fails(wrong):
    v = verdict("dual_charge", probes.probe_dual_charge.run(wrong, 9), 9)
    assert not v.passed


def test_dual_charge_seeded_with_1_is_told_about_t0():
    v = verdict("dual_charge", probes.probe_dual_charge.run(_dual_charge(state_seed=1.0), 9), 9)
    assert any("t = 0" in m and "derivative 0" in m for m in v.messages), v.messages


# --- malformed results fail closed ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, bad",
    [
        ("dloss", None),
        ("dloss", []),
        ("dloss", "text"),
        ("dloss", [{"ok": [1.0, 2.0]}]),
        ("dloss", [{"ok": [1.0, 2.0, 3.0]}] * probes.DLOSS_POINTS),
        ("dloss", [{"ok": {"unexpected_type": "AlwaysEqual"}}] * probes.DLOSS_POINTS),
        ("dloss", [{"ok": [{"nonfinite": "nan"}, 1.0]}] * probes.DLOSS_POINTS),
        ("dloss", [{"ok": [True, False]}] * probes.DLOSS_POINTS),
        ("dloss", [{"nope": 1}] * probes.DLOSS_POINTS),
        ("seeding", [{"R": {"ok": [1.0] * 8}}] * 3),
        ("seeding", [{"R": {"ok": [1.0] * 7}, "L": {"ok": [1.0] * 8}}] * 3),
        ("dual_charge", [{"R": {"ok": [[0.0] * 200, [0.0] * 200]}, "L": {"ok": [[0.0] * 200]}}] * 2),
        ("dual_charge", [{"R": {"ok": 3.0}, "L": {"ok": 3.0}}] * 2),
    ],
)
def test_malformed_results_fail_closed(name, bad):
    assert not verdict(name, bad, 1).passed


def test_a_record_from_another_probe_does_not_count():
    results = json.loads(json.dumps(probes.probe_seeding.run(NS["seed_inputs"], 5)))
    v = check_record("euler_rk4.dloss", {"probe": "euler_rk4.seeding", "results": results}, 5)
    assert not v.passed


def test_dual_charge_by_central_differences_fails():
    def by_fd(R, L, wrt, h=1e-6):
        Q = simulate(rk4_step, R, L, np.zeros(2))
        up = simulate(rk4_step, R + h * (wrt == "R"), L + h * (wrt == "L"), np.zeros(2))
        down = simulate(rk4_step, R - h * (wrt == "R"), L - h * (wrt == "L"), np.zeros(2))
        return Q, (up - down) / (2 * h)

    assert not verdict("dual_charge", probes.probe_dual_charge.run(by_fd, 9), 9).passed


# --- dloss must come from dual numbers: JAX reached through a helper loses the points ----------


def _jax_dloss_helper():
    """A helper "from another cell": the notebook's own JAX comparison, right to rounding."""
    import jax

    from autograder.reference.rlc import reference_dloss

    jax.config.update("jax_enable_x64", True)
    return lambda Qhat, R, L: reference_dloss(Qhat, R, L)


def test_a_dloss_that_calls_jax_through_a_helper_loses_the_points():
    helper = _jax_dloss_helper()
    v = judge(probes.probe_dloss, lambda Qhat, R, L: np.asarray(helper(Qhat, R, L)), seed=4)
    assert not v.passed and "'dloss' must not use" in v.messages[0] and "jax" in v.messages[0], v.messages


def test_the_hand_written_dloss_obeys_the_rule():
    v = judge(probes.probe_dloss, NS["dloss"], seed=4)
    assert v.passed, v.messages


# --- finite differences fail on every seed, at every step ---------------------------------------------


@pytest.mark.parametrize("kind", FD_KINDS)
@pytest.mark.parametrize("h", FD_STEPS)
def test_dloss_by_finite_differences_fails_on_every_seed(h, kind):
    for seed in FIXED_SEEDS:
        v = dloss_verdict(fd_gradient(h, kind), seed)
        assert not v.passed, seed
    assert any("finite differences do not" in m or "should be" in m for m in v.messages), v.messages


@settings(max_examples=2, deadline=None)
@given(seed=SEEDS)
def test_dloss_and_dual_charge_by_finite_differences_fail_on_random_seeds(seed):
    for kind in FD_KINDS:
        for h in FD_STEPS:
            assert not dloss_verdict(fd_gradient(h, kind), seed).passed, (kind, h)
            assert not verdict(
                "dual_charge", probes.probe_dual_charge.run(fd_dual_charge(h, kind), seed), seed
            ).passed


def fd_dual_charge(h, kind):
    def dual_charge(R, L, wrt):
        Q = rlc.charge(R, L)
        up = rlc.charge(R + h * (wrt == "R"), L + h * (wrt == "L"))
        if kind == "forward":
            return Q, (up - Q) / h
        down = rlc.charge(R - h * (wrt == "R"), L - h * (wrt == "L"))
        return Q, (up - down) / (2 * h)

    return dual_charge


@pytest.mark.parametrize("kind", FD_KINDS)
@pytest.mark.parametrize("h", FD_STEPS)
def test_dual_charge_by_finite_differences_fails_on_every_seed(h, kind):
    for seed in FIXED_SEEDS:
        assert not verdict(
            "dual_charge", probes.probe_dual_charge.run(fd_dual_charge(h, kind), seed), seed
        ).passed


def _gradient_error(fn, Qhat, R, L) -> float:
    """|got - want| in units of the size of the terms of each component (what the check uses)."""
    from autograder.reference.rlc import reference_dloss_and_scale

    want, scale = reference_dloss_and_scale(Qhat, R, L)
    return float(np.max(np.abs(np.asarray(fn(Qhat, R, L)) - want) / scale))


def test_the_tolerance_has_a_margin_on_both_sides():
    """Honest AD stays 20 times inside RTOL; every difference quotient stays 100 times outside."""
    from test_checks_pytorch import SOLUTION as TORCH

    from autograder.checks.euler_rk4 import RTOL

    honest = {
        "dual numbers": NS["dloss"],
        "vector duals": NS["dloss_vector"],
        "forward sensitivities": dloss_forward_sensitivities,
        "PyTorch": TORCH["torch_dloss"],
    }
    cases = [case for seed in range(4) for case in probes.dloss_inputs(seed)]
    for name, fn in honest.items():
        worst = max(_gradient_error(fn, *case) for case in cases)
        assert worst < RTOL / 20, f"{name}: {worst:.1e}"
    for kind in FD_KINDS:
        for h in FD_STEPS:
            best = min(
                max(_gradient_error(fd_gradient(h, kind), *case) for case in probes.dloss_inputs(seed))
                for seed in range(4)
            )
            assert best > 100 * RTOL, (kind, h, best)


# --- dloss_vector --------------------------------------------------------------------------------------


def _vector_duals(
    state0=lambda: np.array([Dual(0.0, np.zeros(2)), Dual(0.0, np.zeros(2))]),
    seeds=((1.0, 0.0), (0.0, 1.0)),
    own_loop=False,
):
    def dloss_vector(Qhat, R, L):
        R_d, L_d = Dual(R, np.array(seeds[0])), Dual(L, np.array(seeds[1]))
        if own_loop:
            state, charges = state0(), []
            charges.append(state[1])
            for _ in range(len(probes.TIMES) - 1):
                state = rk4_step(NS["rlc_rhs"], state, NS["DT"], R_d, L_d)
                charges.append(state[1])
        else:
            charges = simulate(rk4_step, R_d, L_d, state0())
        Q, dQ = values_and_derivatives(charges)
        return 2 * np.mean((Q - Qhat)[:, None] * dQ, axis=0)

    return dloss_vector


HONEST_VECTOR = {
    "the solution": NS["dloss_vector"],
    "its own loop of rk4_step": _vector_duals(own_loop=True),
    "the loss itself as a dual": lambda Qhat, R, L: (
        (
            sum(
                (q - qh) ** 2
                for q, qh in zip(
                    simulate(
                        rk4_step,
                        Dual(R, np.array([1.0, 0.0])),
                        Dual(L, np.array([0.0, 1.0])),
                        np.array([Dual(0.0, np.zeros(2)), Dual(0.0, np.zeros(2))]),
                    ),
                    Qhat,
                )
            )
            / len(Qhat)
        ).derivative
    ),
}


@pytest.mark.parametrize("name", sorted(HONEST_VECTOR))
def test_honest_dloss_vector_answers_pass(name):
    for seed in (1, 2):
        v = vector_verdict(HONEST_VECTOR[name], seed)
        assert v.passed, v.messages


def fd_beside_a_vector_simulation(h, kind):
    """Finite differences for the numbers, and vector duals made for nothing, to fool the count."""

    def dloss_vector(Qhat, R, L):
        [Dual(0.0, np.zeros(2)) for _ in range(1000)]
        return fd_gradient(h, kind)(Qhat, R, L)

    return dloss_vector


WRONG_VECTOR = {
    "two scalar simulations (calls dloss)": (lambda Qhat, R, L: NS["dloss"](Qhat, R, L), "ONE simulation"),
    "seeds swapped": (_vector_duals(seeds=((0.0, 1.0), (1.0, 0.0))), "swapped"),
    "initial state seeded with ones": (
        _vector_duals(state0=lambda: np.array([Dual(0.0, np.ones(2)), Dual(0.0, np.ones(2))])),
        "should be",
    ),
    "forward sensitivity equations, no duals": (dloss_forward_sensitivities, "ONE simulation"),
    "finite differences beside a vector simulation": (
        fd_beside_a_vector_simulation(1e-5, "central"),
        "finite differences do not",
    ),
    "the sum instead of the mean": (lambda Qhat, R, L: 200 * NS["dloss_vector"](Qhat, R, L), "mean"),
}


@pytest.mark.parametrize("name", sorted(WRONG_VECTOR))
def test_each_dloss_vector_mistake_fails_on_every_seed_with_its_message(name):
    fn, words = WRONG_VECTOR[name]
    for seed in range(0, 20, 4):
        v = vector_verdict(fn, seed)
        assert not v.passed, (name, seed)
    assert any(words in m for m in v.messages), v.messages


@pytest.mark.parametrize("kind", FD_KINDS)
@pytest.mark.parametrize("h", FD_STEPS)
def test_dloss_vector_by_finite_differences_fails_on_every_seed(h, kind):
    for seed in FIXED_SEEDS:
        assert not vector_verdict(fd_beside_a_vector_simulation(h, kind), seed).passed, seed


def test_dloss_vector_that_calls_jax_loses_the_points():
    helper = _jax_dloss_helper()
    v = vector_verdict(
        lambda Qhat, R, L: (NS["dloss_vector"](Qhat, R, L), np.asarray(helper(Qhat, R, L)))[1], 4
    )
    assert not v.passed and "'dloss_vector' must not use" in v.messages[0], v.messages


def test_a_dual_that_cannot_be_watched_fails_with_a_message():
    v = vector_verdict(NS["dloss_vector"], 3, cls=(lambda value, derivative=0.0: Dual(value, derivative)))
    assert not v.passed and any("could not watch" in m for m in v.messages), v.messages


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        {"gradients": [{"ok": [1.0, 2.0]}] * probes.VECTOR_POINTS},
        {
            "gradients": [{"ok": [1.0, 2.0]}] * probes.VECTOR_POINTS,
            "tangents": {"scalar": 0, "vector": -1, "other": 0},
        },
        {
            "gradients": [{"ok": [1.0, 2.0]}] * probes.VECTOR_POINTS,
            "tangents": {"scalar": 0.5, "vector": 9, "other": 0},
        },
        {"gradients": "x", "tangents": {"scalar": 0, "vector": 9, "other": 0}},
    ],
)
def test_malformed_dloss_vector_results_fail_closed(bad):
    assert not verdict("dloss_vector", bad, 1).passed
