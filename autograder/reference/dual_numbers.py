"""References for 01_dual_numbers: forward-mode derivatives by `jax.jvp` in float64, and the two
finite differences the first exercise asks for."""

from __future__ import annotations

from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from ..probes import dual_numbers as probes
from ..probes.dual_numbers import Case, KinkCase, Kit


def reference_case(case: Case, data: dict) -> tuple[np.ndarray, np.ndarray | None]:
    """(values, derivatives) of one case at all its points; derivatives is None for comparisons."""
    c = data["c"]
    if case.kind == "bool":
        return np.asarray(case.fn(np, np.asarray(data["a"]), np.asarray(data["b"]), c), dtype=float), None

    def f(x, y):
        return case.fn(jnp, x, y, c) + 0 * (x + y)  # + 0 * ...: every case has the points' shape

    primal, tangent = jax.jvp(
        f,
        (jnp.asarray(data["a"]), jnp.asarray(data["b"])),
        (jnp.asarray(data["da"]), jnp.asarray(data["db"])),
    )
    return np.asarray(primal, dtype=float), np.asarray(tangent, dtype=float)


def reference_derivative(case: Case, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(x) and f'(x) elementwise for a case of one variable."""
    primal, tangent = jax.jvp(
        probes.one_variable(case, jnp), (jnp.asarray(x),), (jnp.ones_like(jnp.asarray(x)),)
    )
    return np.asarray(primal, dtype=float), np.asarray(tangent, dtype=float)


def finite_differences(fn, x: float, h: float) -> dict[str, float]:
    """{"forward": (f(x + h) - f(x)) / h, "central": (f(x + h) - f(x - h)) / (2h)} for
    f = fn(np, .), as the exercise defines them (what a right answer computes, in float64)."""

    def f(v):
        return fn(np, v)

    return {"forward": (f(x + h) - f(x)) / h, "central": (f(x + h) - f(x - h)) / (2 * h)}


def relu(x):
    """max(x, 0), with the derivative 0 at the kink (JAX's and PyTorch's relu)."""
    return jnp.where(x > 0, x, 0 * x)


def absolute(x):
    """|x|, with the derivative 0 at the kink (PyTorch's abs; JAX's abs says 1 there)."""
    return jnp.where(x > 0, x, jnp.where(x < 0, -x, 0 * x))


def reference_kink(case: KinkCase, data: dict) -> tuple[np.ndarray, np.ndarray]:
    """(values, derivatives) of one kink case at all its points."""
    kit = Kit(relu, absolute, jnp)
    primal, tangent = jax.jvp(
        lambda x: case.fn(kit, x, data["c"]), (jnp.asarray(data["a"]),), (jnp.asarray(data["da"]),)
    )
    return np.asarray(primal, dtype=float), np.asarray(tangent, dtype=float)


# The references of one seed, computed once: the tests judge many answers on the same seeds.


@lru_cache(maxsize=256)
def group_references(group: str, seed: int) -> tuple:
    """reference_case for every case of a probe group, on that seed's inputs."""
    return tuple(
        reference_case(case, data) for case, data in zip(probes.GROUPS[group], probes.inputs(group, seed))
    )


@lru_cache(maxsize=256)
def derivative_references(seed: int) -> dict:
    """{label: f'(x) at that seed's points} for the derivative() probe."""
    return {
        label: reference_derivative(probes.DERIVATIVE_CASES[label], xs)[1]
        for label, xs in probes.derivative_inputs(seed).items()
    }


@lru_cache(maxsize=256)
def kink_references(seed: int) -> tuple:
    return tuple(
        reference_kink(case, data) for case, data in zip(probes.KINK_CASES, probes.kink_inputs(seed))
    )
