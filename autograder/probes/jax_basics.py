"""Probes of 04_jax: the student's JAX functions on inputs drawn from the seed.

The notebook already imports JAX, so these probes may too (lazily, inside the functions).
Every number goes back to the grader as a plain float; the grader rebuilds the same inputs
from the seed and computes its own reference values (autograder.checks.jax_basics).

The fixed functions of the notebook (the goldfield landscape, the pytree model, the
per-example loss) are written here once, against an array module `m` (numpy or jax.numpy).
The probes and the reference use them, and tests check both the notebook's locked cells and
the reference's closed forms against them.
"""
from __future__ import annotations

import numpy as np

from . import attempt, report, rng_for, seed_and_mode

# --- the fixed functions of the notebook ---------------------------------------------------

# Gold deposits (centre x, centre y, depth, width) on a gently rising field.
GOLDFIELD_WELLS = ((-1.0, -0.6, 1.0, 0.5), (1.1, 0.4, 1.4, 0.6), (-0.2, 1.2, 0.8, 0.4))
GOLDFIELD_BOWL = 0.1


def goldfield(m, x, y):
    """The landscape of the goldfield exercises, written for the array module m."""
    f = GOLDFIELD_BOWL * (x ** 2 + y ** 2)
    for a, b, depth, width in GOLDFIELD_WELLS:
        f = f - depth * m.exp(-((x - a) ** 2 + (y - b) ** 2) / (2 * width ** 2))
    return f


def pytree_loss(m, params, X, y):
    """Mean squared error of the model tanh(X @ w + b) for params = {'w': (3,), 'b': ()}."""
    return m.mean((m.tanh(X @ params["w"] + params["b"]) - y) ** 2)


def example_loss(m, w, x, y):
    """Logistic loss of one example (x, y) with a label y of +1 or -1."""
    return m.log1p(m.exp(-y * m.dot(w, x)))


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
    "sin(2*x) * exp(-x**2 / 2)": lambda m, x: m.sin(2 * x) * m.exp(-x ** 2 / 2),
    "x**5 - 3*x**2 + log(1 + x**2)": lambda m, x: x ** 5 - 3 * x ** 2 + m.log(1 + x ** 2),
}
NTH_ORDERS = (0, 1, 2, 3)
NTH_POINTS = 3


def nth_inputs(seed: int) -> dict[str, list[float]]:
    rng = rng_for(seed, "jax_basics.nth_derivative")
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


def run_nth_derivative(nth_derivative, seed: int) -> dict:
    import jax.numpy as jnp

    _jax()
    results = {}
    for label, xs in nth_inputs(seed).items():
        f = (lambda fn: lambda x: fn(jnp, x))(NTH_FUNCTIONS[label])
        for n in NTH_ORDERS:
            results[nth_key(label, n)] = attempt(lambda n=n, f=f, xs=xs: _at_points(nth_derivative(f, n), xs))
    return results


def probe_nth_derivative(nth_derivative) -> None:
    seed, local = seed_and_mode()
    report("jax_basics.nth_derivative", run_nth_derivative(nth_derivative, seed), seed, local)


# --- loss_and_grads(params, X, y) on the pytree model ---------------------------------------

PYTREE_CASES = 3
PYTREE_N = 12


def pytree_inputs(seed: int) -> list[dict]:
    rng = rng_for(seed, "jax_basics.pytree_grads")
    cases = []
    for _ in range(PYTREE_CASES):
        cases.append({"w": rng.normal(0.0, 1.0, 3), "b": float(rng.normal(0.0, 0.5)),
                      "X": rng.normal(0.0, 1.0, (PYTREE_N, 3)), "y": rng.uniform(-1.0, 1.0, PYTREE_N)})
    return cases


def _value_and_grads(out):
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"loss_and_grads should return (value, grads), got {type(out).__name__}")
    value, grads = out
    if not isinstance(grads, dict) or set(grads) != {"w", "b"}:
        keys = sorted(map(str, grads)) if isinstance(grads, dict) else type(grads).__name__
        raise TypeError(f"grads should be a dict with the keys 'w' and 'b' like params, got {keys}")
    return [_floats(value, ()), _floats(grads["w"], (3,)), _floats(grads["b"], ())]


def run_pytree_grads(loss_and_grads, seed: int) -> list[dict]:
    import jax.numpy as jnp

    _jax()
    results = []
    for case in pytree_inputs(seed):
        params = {"w": jnp.asarray(case["w"]), "b": jnp.asarray(case["b"])}
        results.append(attempt(lambda params=params, case=case: _value_and_grads(
            _compiled_call(loss_and_grads, params, jnp.asarray(case["X"]), jnp.asarray(case["y"])))))
    return results


def probe_pytree_grads(loss_and_grads) -> None:
    seed, local = seed_and_mode()
    report("jax_basics.pytree_grads", run_pytree_grads(loss_and_grads, seed), seed, local)


# --- charges(R, L) with lax.scan and dloss_jax(Qhat, R, L) ----------------------------------

TIMES = np.linspace(0.0, 200.0, 200)
R_RANGE = (0.5, 3.0)
L_RANGE = (5.0, 20.0)
RLC_POINTS = 3
LOOP_PRIMITIVES = ("scan", "while")


def rlc_inputs(seed: int) -> dict:
    """Unseen data (a damped charge curve plus noise) and points (R, L) to differentiate at."""
    rng = rng_for(seed, "jax_basics.rlc_scan")
    tau, omega, phase = rng.uniform(15.0, 40.0), rng.uniform(0.1, 0.4), rng.uniform(0.0, np.pi)
    curve = 120.0 * (1.0 - np.exp(-TIMES / tau) * np.cos(omega * TIMES + phase) / np.cos(phase))
    Qhat = curve + rng.normal(0.0, 2.0, TIMES.size)
    points = [(float(rng.uniform(*R_RANGE)), float(rng.uniform(*L_RANGE))) for _ in range(RLC_POINTS)]
    return {"Qhat": Qhat, "points": points}


def jaxpr_summary(jaxpr) -> list[float]:
    """[loop equations (scan or while), all equations] of a jaxpr, nested jaxprs included."""
    loops, count, stack = 0, 0, [jaxpr]
    while stack:
        j = stack.pop()
        j = getattr(j, "jaxpr", j)  # a ClosedJaxpr holds its Jaxpr
        for eqn in getattr(j, "eqns", ()):
            count += 1
            loops += str(eqn.primitive.name) in LOOP_PRIMITIVES
            for value in eqn.params.values():
                for v in value if isinstance(value, (tuple, list)) else (value,):
                    if hasattr(v, "eqns") or hasattr(getattr(v, "jaxpr", None), "eqns"):
                        stack.append(v)
    return [float(loops), float(count)]


def run_rlc_scan(charges, dloss_jax, seed: int) -> dict:
    jax = _jax()
    data = rlc_inputs(seed)
    R0, L0 = data["points"][0]
    return {
        "charges": attempt(lambda: _floats(charges(R0, L0), (TIMES.size,))),
        "jaxpr": attempt(lambda: jaxpr_summary(jax.make_jaxpr(charges)(R0, L0))),
        "dloss": [attempt(lambda R=R, L=L: _floats(dloss_jax(data["Qhat"], R, L), (2,)))
                  for R, L in data["points"]],
    }


def probe_rlc_scan(charges, dloss_jax) -> None:
    seed, local = seed_and_mode()
    report("jax_basics.rlc_scan", run_rlc_scan(charges, dloss_jax, seed), seed, local)


# --- per_example_grads(w, X, Y) with vmap ---------------------------------------------------

PER_EXAMPLE_SHAPES = ((16, 4), (9, 3))


def per_example_inputs(seed: int) -> list[dict]:
    rng = rng_for(seed, "jax_basics.per_example_grads")
    return [{"w": rng.normal(0.0, 1.0, d), "X": rng.normal(0.0, 1.0, (n, d)),
             "Y": rng.choice([-1.0, 1.0], n)} for n, d in PER_EXAMPLE_SHAPES]


def run_per_example_grads(per_example_grads, seed: int) -> list[dict]:
    import jax.numpy as jnp

    _jax()
    return [attempt(lambda c=c: _floats(_compiled_call(per_example_grads, jnp.asarray(c["w"]), jnp.asarray(c["X"]),
                                                       jnp.asarray(c["Y"])), c["X"].shape))
            for c in per_example_inputs(seed)]


def probe_per_example_grads(per_example_grads) -> None:
    seed, local = seed_and_mode()
    report("jax_basics.per_example_grads", run_per_example_grads(per_example_grads, seed), seed, local)


# --- gaussian_nll(mu, log_sigma, data) and fit_gaussian(data) -------------------------------

GAUSS_DATASETS = 3
GAUSS_N = 200


def gaussian_inputs(seed: int, name: str) -> list[dict]:
    """Data sets with a mean in [-3, 3] and a spread in [0.5, 2.5], and points to evaluate at."""
    rng = rng_for(seed, f"jax_basics.{name}")
    sets = []
    for _ in range(GAUSS_DATASETS):
        data = rng.normal(rng.uniform(-3.0, 3.0), rng.uniform(0.5, 2.5), GAUSS_N)
        sets.append({"data": data, "mu": float(rng.uniform(-3.0, 3.0)), "log_sigma": float(rng.uniform(-0.7, 1.0))})
    return sets


def run_gaussian_nll(gaussian_nll, seed: int) -> list[dict]:
    jax = _jax()
    import jax.numpy as jnp

    value_and_grad = jax.value_and_grad(gaussian_nll, argnums=(0, 1))
    compiled = jax.jit(value_and_grad)  # one compile for all data sets (they share a shape)
    results = []
    for case in gaussian_inputs(seed, "gaussian_nll"):
        data = jnp.asarray(case["data"])

        def one(case=case, data=data):
            try:
                value, grads = compiled(case["mu"], case["log_sigma"], data)
            except Exception:  # noqa: BLE001 - not traceable by jit: try without it
                value, grads = value_and_grad(case["mu"], case["log_sigma"], data)
            return [_floats(value, ()), _floats(grads[0], ()), _floats(grads[1], ())]
        results.append(attempt(one))
    return results


def probe_gaussian_nll(gaussian_nll) -> None:
    seed, local = seed_and_mode()
    report("jax_basics.gaussian_nll", run_gaussian_nll(gaussian_nll, seed), seed, local)


def run_fit_gaussian(fit_gaussian, seed: int) -> list[dict]:
    _jax()
    return [attempt(lambda c=c: _floats(fit_gaussian(c["data"]), (2,)))
            for c in gaussian_inputs(seed, "fit_gaussian")]


def probe_fit_gaussian(fit_gaussian) -> None:
    seed, local = seed_and_mode()
    report("jax_basics.fit_gaussian", run_fit_gaussian(fit_gaussian, seed), seed, local)


# --- the goldfield exercises ----------------------------------------------------------------

GOLD_POINTS = 8


def goldfield_points(seed: int, name: str, n: int = GOLD_POINTS) -> list[tuple[float, float]]:
    rng = rng_for(seed, f"jax_basics.{name}")
    return [(float(x), float(y)) for x, y in rng.uniform(-2.0, 2.0, (n, 2))]


def run_goldfield_gradient(goldfield_gradient, seed: int) -> list[dict]:
    import jax.numpy as jnp

    _jax()
    results = []
    for i, (x, y) in enumerate(goldfield_points(seed, "goldfield_gradient")):
        if i % 2:  # half the points as JAX scalars, half as Python floats
            x, y = jnp.float64(x), jnp.float64(y)
        results.append(attempt(lambda x=x, y=y: _floats(_compiled_call(goldfield_gradient, x, y), (2,))))
    return results


def probe_goldfield_gradient(goldfield_gradient) -> None:
    seed, local = seed_and_mode()
    report("jax_basics.goldfield_gradient", run_goldfield_gradient(goldfield_gradient, seed), seed, local)


DESCENT_STARTS_PER_WELL = 2
DESCENT_STEPS = 150


def descent_inputs(seed: int) -> list[dict]:
    """Starts near each deposit (well inside its basin) and a learning rate for each."""
    rng = rng_for(seed, "jax_basics.goldfield_descent")
    cases = []
    for k, (a, b, _, width) in enumerate(GOLDFIELD_WELLS):
        for _ in range(DESCENT_STARTS_PER_WELL):
            angle, radius = rng.uniform(0.0, 2 * np.pi), rng.uniform(0.3, 0.7) * width
            cases.append({"well": k, "x0": float(a + radius * np.cos(angle)),
                          "y0": float(b + radius * np.sin(angle)),
                          "learning_rate": float(rng.uniform(0.05, 0.2))})
    return cases


def _path_ends(path, steps):
    arr = np.asarray(path, dtype=float)
    if arr.shape != (steps + 1, 2):
        raise ValueError(f"expected a path of shape ({steps + 1}, 2) (the start and one row per step), "
                         f"got shape {arr.shape}")
    return [arr[0].tolist(), arr[1].tolist(), arr[-1].tolist()]


def run_goldfield_descent(descend, seed: int) -> list[dict]:
    jax = _jax()
    import jax.numpy as jnp

    gradient = jax.jit(jax.grad(lambda x, y: goldfield(jnp, x, y), argnums=(0, 1)))
    return [attempt(lambda c=c: _path_ends(descend(gradient, c["x0"], c["y0"], learning_rate=c["learning_rate"],
                                                   steps=DESCENT_STEPS), DESCENT_STEPS))
            for c in descent_inputs(seed)]


def probe_goldfield_descent(descend) -> None:
    seed, local = seed_and_mode()
    report("jax_basics.goldfield_descent", run_goldfield_descent(descend, seed), seed, local)


PARTIAL_ROWS = 3
PARTIAL_COLUMNS = 3


def partial_inputs(seed: int) -> list[dict]:
    rng = rng_for(seed, "jax_basics.goldfield_partial")
    return [{"y": float(rng.uniform(-2.0, 2.0)), "xs": [float(x) for x in rng.uniform(-2.0, 2.0, PARTIAL_COLUMNS)]}
            for _ in range(PARTIAL_ROWS)]


def run_goldfield_partial(partial_x, seed: int) -> list[dict]:
    _jax()
    results = []
    for case in partial_inputs(seed):
        def one(case=case):
            along = partial_x(case["y"])
            return [_floats(along(x), ()) for x in case["xs"]]
        results.append(attempt(one))
    return results


def probe_goldfield_partial(partial_x) -> None:
    seed, local = seed_and_mode()
    report("jax_basics.goldfield_partial", run_goldfield_partial(partial_x, seed), seed, local)


GRID_SIZE = 81
GRID_HALF_WIDTH = 2.0


def grid():
    line = np.linspace(-GRID_HALF_WIDTH, GRID_HALF_WIDTH, GRID_SIZE)
    return np.meshgrid(line, line)


def run_my_goldfield(my_goldfield, seed: int) -> dict:
    import jax.numpy as jnp

    _jax()
    X, Y = grid()
    return {"grid": attempt(lambda: _floats(my_goldfield(jnp.asarray(X), jnp.asarray(Y)), X.shape))}


def probe_my_goldfield(my_goldfield) -> None:
    seed, local = seed_and_mode()
    report("jax_basics.my_goldfield", run_my_goldfield(my_goldfield, seed), seed, local)
