"""Probes of 04_jax: the student's JAX functions on inputs drawn from the seed.

The notebook already imports JAX, so these probes may too (lazily, inside the functions).
Every number goes back to the grader as a plain float; the grader rebuilds the same inputs
from the seed and computes its own reference values (autograder.checks.jax_basics).

The fixed functions of the notebook (the goldfield landscape, the pytree model, the
per-example loss) are written here once, against an array module `m` (numpy or jax.numpy).
The probes and the reference use them, and tests check both the notebook's locked cells and
the reference's closed forms against them.

Every exercise here asks for exact derivatives, and the inputs are drawn so that a finite
difference cannot pass for them at any step: a function with a large constant among those
of `nth_derivative`, features of very different sizes for the per-example gradients (no one
step suits them all), and the first steps of `fit_gaussian` compared exactly.
"""

from __future__ import annotations

import numpy as np

from .. import rlc
from . import Probe, Traced, attempt, jaxprs, probe

# --- the fixed functions of the notebook ---------------------------------------------------

# Gold deposits (centre x, centre y, depth, width) on a gently rising field.
GOLDFIELD_WELLS = ((-1.0, -0.6, 1.0, 0.5), (1.1, 0.4, 1.4, 0.6), (-0.2, 1.2, 0.8, 0.4))
GOLDFIELD_BOWL = 0.1


def goldfield(m, x, y):
    """The landscape of the goldfield exercises, written for the array module m."""
    f = GOLDFIELD_BOWL * (x**2 + y**2)
    for a, b, depth, width in GOLDFIELD_WELLS:
        f = f - depth * m.exp(-((x - a) ** 2 + (y - b) ** 2) / (2 * width**2))
    return f


def pytree_loss(m, params, X, y):
    """Mean squared error of the model tanh(X @ w + b) for params = {'w': (3,), 'b': ()}."""
    return m.mean((m.tanh(X @ params["w"] + params["b"]) - y) ** 2)


def example_loss(m, w, x, y):
    """Logistic loss log(1 + exp(-y w.x)) of one example (x, y) with a label y of +1 or -1,
    computed as softplus(-y w.x) = logaddexp(0, -y w.x), which never overflows."""
    return m.logaddexp(0.0, -y * m.dot(w, x))


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)  # the notebook does the same; comparisons need it
    return jax


def _compiled_call(fn, *args):
    """fn(*args) through jax.jit when JAX can trace fn (compiling once is cheaper than many
    eager dispatches), else a plain call. Either way the numbers are the student's."""
    jax = _jax()
    try:
        return jax.jit(fn)(*args)
    except Exception:  # noqa: BLE001 - Python control flow on values, float(), NumPy calls...
        return fn(*args)


def _floats(value, shape=None) -> list | float:
    """A student's result (numbers, numpy or JAX arrays) as plain floats of a required shape."""
    arr = np.asarray(value, dtype=float)
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"expected shape {tuple(shape)}, got shape {arr.shape}")
    return arr.tolist()


# --- nth_derivative(f, n) ------------------------------------------------------------------

NTH_FUNCTIONS = {
    "tanh(x)": lambda m, x: m.tanh(x),
    "sin(2*x) * exp(-x**2 / 2)": lambda m, x: m.sin(2 * x) * m.exp(-(x**2) / 2),
    # the constant costs a difference quotient eps * 1000 / h and costs AD nothing
    "1000 + x**5 - 3*x**2 + log(1 + x**2)": lambda m, x: 1000 + x**5 - 3 * x**2 + m.log(1 + x**2),
}
NTH_ORDERS = (0, 1, 2, 3)
NTH_POINTS = 3


def nth_inputs(seed: int) -> dict[str, list[float]]:
    rng = probe_nth_derivative.rng(seed)
    return {label: [float(x) for x in rng.uniform(-1.8, 1.8, NTH_POINTS)] for label in NTH_FUNCTIONS}


def nth_key(label: str, n: int) -> str:
    return f"order {n} of {label}"


def _at_points(d, xs):
    """d at every point: one compiled, vmapped call (cheaper than eager nested grads), else
    one plain call per point (for a function that JAX cannot trace)."""
    jax = _jax()
    try:
        return _floats(jax.jit(jax.vmap(d))(np.asarray(xs)), (len(xs),))
    except Exception:  # noqa: BLE001 - e.g. a function that calls float() on its input
        return [_floats(d(x), ()) for x in xs]


@probe
def probe_nth_derivative(nth_derivative, seed: int) -> dict:
    import jax.numpy as jnp

    _jax()
    results = {}
    for label, xs in nth_inputs(seed).items():
        f = (lambda fn: lambda x: fn(jnp, x))(NTH_FUNCTIONS[label])
        for n in NTH_ORDERS:
            results[nth_key(label, n)] = attempt(lambda n=n, f=f, xs=xs: _at_points(nth_derivative(f, n), xs))
    return results


# --- loss_and_grads(params, X, y) on the pytree model ---------------------------------------

PYTREE_CASES = 3
PYTREE_N = 12


def pytree_inputs(seed: int) -> list[dict]:
    rng = probe_pytree_grads.rng(seed)
    cases = []
    for _ in range(PYTREE_CASES):
        cases.append(
            {
                "w": rng.normal(0.0, 1.0, 3),
                "b": float(rng.normal(0.0, 0.5)),
                "X": rng.normal(0.0, 1.0, (PYTREE_N, 3)),
                "y": rng.uniform(-1.0, 1.0, PYTREE_N),
            }
        )
    return cases


def _value_and_grads(out):
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"loss_and_grads should return (value, grads), got {type(out).__name__}")
    value, grads = out
    if not isinstance(grads, dict) or set(grads) != {"w", "b"}:
        keys = sorted(map(str, grads)) if isinstance(grads, dict) else type(grads).__name__
        raise TypeError(f"grads should be a dict with the keys 'w' and 'b' like params, got {keys}")
    return [_floats(value, ()), _floats(grads["w"], (3,)), _floats(grads["b"], ())]


@probe
def probe_pytree_grads(loss_and_grads, seed: int) -> list[dict]:
    import jax.numpy as jnp

    _jax()
    results = []
    for case in pytree_inputs(seed):
        params = {"w": jnp.asarray(case["w"]), "b": jnp.asarray(case["b"])}
        results.append(
            attempt(
                lambda params=params, case=case: _value_and_grads(
                    _compiled_call(loss_and_grads, params, jnp.asarray(case["X"]), jnp.asarray(case["y"]))
                )
            )
        )
    return results


# --- charges(R, L) with lax.scan and dloss_jax(Qhat, R, L) ----------------------------------

TIMES = rlc.TIMES
R_RANGE = (0.5, 3.0)
L_RANGE = (5.0, 20.0)
RLC_POINTS = 3


def rlc_inputs(seed: int) -> dict:
    """Unseen data (a damped charge curve plus noise) and points (R, L) to differentiate at."""
    rng = probe_rlc_scan.rng(seed)
    tau, omega, phase = rng.uniform(15.0, 40.0), rng.uniform(0.1, 0.4), rng.uniform(0.0, np.pi)
    curve = 120.0 * (1.0 - np.exp(-TIMES / tau) * np.cos(omega * TIMES + phase) / np.cos(phase))
    Qhat = curve + rng.normal(0.0, 2.0, TIMES.size)
    points = [(float(rng.uniform(*R_RANGE)), float(rng.uniform(*L_RANGE))) for _ in range(RLC_POINTS)]
    return {"Qhat": Qhat, "points": points}


def jaxpr_summary(jaxpr) -> list[float]:
    """[loop equations (scan or while), all equations] of a jaxpr, nested jaxprs included."""
    stats = jaxprs.summary(jaxpr)
    return [float(stats["loops"]), float(stats["equations"])]


@probe
def probe_rlc_scan(charges, dloss_jax, seed: int) -> dict:
    jax = _jax()
    data = rlc_inputs(seed)
    R0, L0 = data["points"][0]
    return {
        "charges": attempt(lambda: _floats(charges(R0, L0), (TIMES.size,))),
        "jaxpr": attempt(lambda: jaxpr_summary(jax.make_jaxpr(charges)(R0, L0))),
        "dloss": [
            attempt(lambda R=R, L=L: _floats(dloss_jax(data["Qhat"], R, L), (2,))) for R, L in data["points"]
        ],
    }


# --- per_example_grads(w, X, Y) with vmap ---------------------------------------------------

PER_EXAMPLE_SHAPES = ((16, 4), (9, 3))
FEATURE_DECADES = (-2.0, 2.0)  # each feature's size is 10**U(-2, 2): no one difference step suits all


def per_example_inputs(seed: int) -> list[dict]:
    """Features of sizes from 0.01 to 100 (and weights of the inverse sizes, so that w.x stays
    of order 1), with one sample of each case at the extremes of that range."""
    rng = probe_per_example_grads.rng(seed)
    cases = []
    for n, d in PER_EXAMPLE_SHAPES:
        sizes = 10.0 ** rng.uniform(*FEATURE_DECADES, d)
        sizes[:2] = 10.0 ** np.array(FEATURE_DECADES)
        cases.append(
            {
                "w": rng.normal(0.0, 1.0, d) / sizes,
                "X": rng.normal(0.0, 1.0, (n, d)) * sizes,
                "Y": rng.choice([-1.0, 1.0], n),
            }
        )
    return cases


@probe
def probe_per_example_grads(per_example_grads, seed: int) -> Traced:
    """Each case computed by the program JAX traces from per_example_grads; the traced
    programs' lengths at two batch sizes show whether a Python loop unrolled per example."""
    import jax.numpy as jnp

    _jax()
    lengths = []

    def one(c):
        args = (jnp.asarray(c["w"]), jnp.asarray(c["X"]), jnp.asarray(c["Y"]))
        out, closed = jaxprs.traced_call(per_example_grads, *args)
        lengths.append(jaxprs.summary(closed)["equations"])
        return _floats(out, c["X"].shape)

    results = [attempt(one, c) for c in per_example_inputs(seed)]
    return Traced(results, {"sizes": [n for n, _ in PER_EXAMPLE_SHAPES], "equations": lengths})


# --- gaussian_nll(mu, log_sigma, data) and fit_gaussian(data) -------------------------------

GAUSS_DATASETS = 3
GAUSS_N = 200


def gaussian_inputs(seed: int, probe: Probe) -> list[dict]:
    """Data sets with a mean in [-3, 3] and a spread in [0.5, 2.5], and points to evaluate at."""
    rng = probe.rng(seed)
    sets = []
    for _ in range(GAUSS_DATASETS):
        data = rng.normal(rng.uniform(-3.0, 3.0), rng.uniform(0.5, 2.5), GAUSS_N)
        sets.append(
            {"data": data, "mu": float(rng.uniform(-3.0, 3.0)), "log_sigma": float(rng.uniform(-0.7, 1.0))}
        )
    return sets


@probe
def probe_gaussian_nll(gaussian_nll, seed: int) -> list[dict]:
    jax = _jax()
    import jax.numpy as jnp

    value_and_grad = jax.value_and_grad(gaussian_nll, argnums=(0, 1))
    compiled = jax.jit(value_and_grad)  # one compile for all data sets (they share a shape)
    results = []
    for case in gaussian_inputs(seed, probe_gaussian_nll):
        data = jnp.asarray(case["data"])

        def one(case=case, data=data):
            try:
                value, grads = compiled(case["mu"], case["log_sigma"], data)
            except Exception:  # noqa: BLE001 - not traceable by jit: try without it
                value, grads = value_and_grad(case["mu"], case["log_sigma"], data)
            return [_floats(value, ()), _floats(grads[0], ()), _floats(grads[1], ())]

        results.append(attempt(one))
    return results


FIRST_STEPS = (1, 2)  # short runs from (0, 0), compared step for step with exact gradient descent
FIRST_STEPS_RATE = 0.2


@probe
def probe_fit_gaussian(fit_gaussian, seed: int) -> dict:
    """{"fits": the default runs on each data set, "first steps": fit_gaussian(data of the first
    set, learning_rate=FIRST_STEPS_RATE, steps=k) for each k of FIRST_STEPS}."""
    _jax()
    cases = gaussian_inputs(seed, probe_fit_gaussian)
    return {
        "fits": [attempt(lambda c=c: _floats(fit_gaussian(c["data"]), (2,))) for c in cases],
        "first steps": [
            attempt(
                lambda k=k: _floats(
                    fit_gaussian(cases[0]["data"], learning_rate=FIRST_STEPS_RATE, steps=k), (2,)
                )
            )
            for k in FIRST_STEPS
        ],
    }


# --- the goldfield exercises ----------------------------------------------------------------

GOLD_POINTS = 8


def goldfield_points(seed: int, probe: Probe, n: int = GOLD_POINTS) -> list[tuple[float, float]]:
    rng = probe.rng(seed)
    return [(float(x), float(y)) for x, y in rng.uniform(-2.0, 2.0, (n, 2))]


@probe
def probe_goldfield_gradient(goldfield_gradient, seed: int) -> list[dict]:
    import jax.numpy as jnp

    _jax()
    results = []
    for i, (x, y) in enumerate(goldfield_points(seed, probe_goldfield_gradient)):
        if i % 2:  # half the points as JAX scalars, half as Python floats
            x, y = jnp.float64(x), jnp.float64(y)
        results.append(attempt(lambda x=x, y=y: _floats(_compiled_call(goldfield_gradient, x, y), (2,))))
    return results


PARTIAL_ROWS = 3
PARTIAL_COLUMNS = 3


def partial_inputs(seed: int) -> list[dict]:
    rng = probe_goldfield_partial.rng(seed)
    return [
        {
            "y": float(rng.uniform(-2.0, 2.0)),
            "xs": [float(x) for x in rng.uniform(-2.0, 2.0, PARTIAL_COLUMNS)],
        }
        for _ in range(PARTIAL_ROWS)
    ]


@probe
def probe_goldfield_partial(partial_x, seed: int) -> list[dict]:
    _jax()
    results = []
    for case in partial_inputs(seed):

        def one(case=case):
            along = partial_x(case["y"])
            return [_floats(along(x), ()) for x in case["xs"]]

        results.append(attempt(one))
    return results
