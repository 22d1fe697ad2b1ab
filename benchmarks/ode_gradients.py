"""Benchmark 3: five ways to get d loss / d(R, L) through RK4 on the RLC problem.

    .venv/bin/python benchmarks/ode_gradients.py

The problem is the one of notebooks 02-04 (autograder/reference/rlc.py): L Q'' + R Q' + Q/C = E,
state [Q', Q] from [0, 0], 200 times on [0, 200], classic RK4, loss = mean((Q - Qhat)^2) with
Qhat simulated at R = 1, L = 10. Each method runs "compile plus 100 descent steps" from
(R, L) = (8, 5) with step 3e-3, as the older tutorial did, in float64:

  a. jit_python_loop  jax.jit(jax.grad(loss)) over a Python-loop RK4: 199 unrolled steps
                      (the older tutorial's way; compiling is the cost);
  b. lax_scan         jax.jit(jax.grad(loss)) over RK4 in lax.scan;
  c. dual_scalar_x2   two simulations with scalar duals (one for R, one for L);
  d. dual_vector      one simulation with duals whose derivative is a numpy array of length 2;
  e. torch            PyTorch float64 autograd through a Python-loop RK4 (eager, no compile).

All five must end at the same (R, L); the script checks that, then reports (a)/(b) (target
>= 10), (c)/(d) (target >= 1.8) and PyTorch against each. Results go to
benchmarks/results/ode_gradients.{json,md}.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import machine  # noqa: E402
import numpy as np  # noqa: E402

from autograder import rlc  # noqa: E402  (the one RLC model: constants, RK4 step, loss)

C, E, TIMES, DT = rlc.C, rlc.E, rlc.TIMES, rlc.DT
N = len(TIMES)
TRUE_RL = (rlc.TRUE_R, rlc.TRUE_L)
START_RL = (8.0, 5.0)
LEARNING_RATE = 3e-3
STEPS = 100
TARGET_LOOP_OVER_SCAN = 10.0
TARGET_SCALAR_OVER_VECTOR = 1.8


def observed_charge() -> np.ndarray:
    """Qhat: the RK4 charge at the true R and L (the reference implementation, lax.scan)."""
    from autograder.reference.rlc import charge

    return np.asarray(charge(*TRUE_RL), dtype=float)


# --- a, b: JAX -----------------------------------------------------------------------------


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def make_jit_python_loop():
    """(a) The older tutorial's way: a Python for-loop under jit unrolls into 199 RK4 steps."""
    jax = _jax()
    jnp = jax.numpy

    def loss(p, qhat):
        zero = jnp.zeros(())
        return rlc.loss(jnp.stack(rlc.charges(p[0], p[1], start=(zero, zero))), qhat)

    return jax.jit(jax.grad(loss))


def make_lax_scan():
    """(b) RK4 in lax.scan: the loop body is traced and compiled once."""
    jax = _jax()
    jnp = jax.numpy

    def loss(p, qhat):
        def step(state, _):
            new = rlc.rk4_step(state, DT, p[0], p[1])
            return new, new[1]

        zero = jnp.zeros(())
        _, qs = jax.lax.scan(step, (zero, zero), None, length=N - 1)
        return rlc.loss(jnp.concatenate([jnp.zeros(1), qs]), qhat)

    return jax.jit(jax.grad(loss))


def descend_jax(grad_fn, qhat) -> tuple[np.ndarray, float, float]:
    """(final p, seconds of the first call (compile + one step), seconds of all 100 steps)."""
    jax = _jax()
    jnp = jax.numpy
    qhat = jnp.asarray(qhat)
    p = jnp.asarray(START_RL, dtype=jnp.float64)
    t0 = time.perf_counter()
    g = grad_fn(p, qhat).block_until_ready()
    first = time.perf_counter() - t0
    p = p - LEARNING_RATE * g
    for _ in range(STEPS - 1):
        p = p - LEARNING_RATE * grad_fn(p, qhat)
    p = p.block_until_ready()
    return np.asarray(p), first, time.perf_counter() - t0


def run_jit_python_loop(qhat):
    return descend_jax(make_jit_python_loop(), qhat)


def run_lax_scan(qhat):
    return descend_jax(make_lax_scan(), qhat)


# --- c, d: dual numbers in plain Python ------------------------------------------------------


class Dual:
    """value + derivative * eps. The derivative may be a float or a numpy array (one entry
    per parameter): the same code serves (c) and (d), so only the seeding differs."""

    __slots__ = ("value", "derivative")

    def __init__(self, value, derivative=0.0):
        self.value = value
        self.derivative = derivative

    def __add__(self, other):
        if isinstance(other, Dual):
            return Dual(self.value + other.value, self.derivative + other.derivative)
        return Dual(self.value + other, self.derivative)

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, Dual):
            return Dual(self.value - other.value, self.derivative - other.derivative)
        return Dual(self.value - other, self.derivative)

    def __rsub__(self, other):
        return Dual(other - self.value, -self.derivative)

    def __neg__(self):
        return Dual(-self.value, -self.derivative)

    def __mul__(self, other):
        if isinstance(other, Dual):
            return Dual(
                self.value * other.value, self.derivative * other.value + self.value * other.derivative
            )
        return Dual(self.value * other, self.derivative * other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, Dual):
            return Dual(
                self.value / other.value,
                (self.derivative * other.value - self.value * other.derivative) / other.value**2,
            )
        return Dual(self.value / other, self.derivative / other)

    def __rtruediv__(self, other):
        return Dual(other / self.value, -other * self.derivative / self.value**2)


def rk4_dual(R, L) -> list:
    """Charges at every time, stepping duals through the course's RK4 (autograder.rlc). The
    initial state does not depend on R or L: it stays plain floats (tangent 0)."""
    return rlc.charges(R, L)


def _parts(qs, width: int | None) -> tuple[np.ndarray, np.ndarray]:
    values = np.array([q.value if isinstance(q, Dual) else q for q in qs], dtype=float)
    zero = 0.0 if width is None else np.zeros(width)
    derivs = np.array([q.derivative if isinstance(q, Dual) else zero for q in qs], dtype=float)
    return values, derivs


def grad_dual_scalar_x2(p, qhat) -> np.ndarray:
    """(c) One simulation per parameter, each with a scalar dual."""
    R, L = float(p[0]), float(p[1])
    q, dq_dR = _parts(rk4_dual(Dual(R, 1.0), L), None)
    _, dq_dL = _parts(rk4_dual(R, Dual(L, 1.0)), None)
    r = q - qhat
    return np.array([2 * np.mean(r * dq_dR), 2 * np.mean(r * dq_dL)])


def grad_dual_vector(p, qhat) -> np.ndarray:
    """(d) One simulation; each dual carries [d/dR, d/dL]."""
    R, L = float(p[0]), float(p[1])
    q, dq = _parts(rk4_dual(Dual(R, np.array([1.0, 0.0])), Dual(L, np.array([0.0, 1.0]))), 2)
    return 2 * np.mean((q - qhat)[:, None] * dq, axis=0)


def descend_numpy(grad_fn, qhat):
    p = np.array(START_RL)
    t0 = time.perf_counter()
    first = None
    for _ in range(STEPS):
        p = p - LEARNING_RATE * grad_fn(p, qhat)
        if first is None:
            first = time.perf_counter() - t0
    return p, first, time.perf_counter() - t0


def run_dual_scalar_x2(qhat):
    return descend_numpy(grad_dual_scalar_x2, qhat)


def run_dual_vector(qhat):
    return descend_numpy(grad_dual_vector, qhat)


# --- e: PyTorch ----------------------------------------------------------------------------------


def run_torch(qhat):
    """(e) Eager autograd through a Python-loop RK4, float64; the leaf is updated under no_grad."""
    import torch

    torch.set_num_threads(1)  # scalar-sized work: threads only add overhead
    qhat_t = torch.tensor(qhat, dtype=torch.float64)
    p = torch.tensor(START_RL, dtype=torch.float64, requires_grad=True)

    def loss(p):
        zero = torch.zeros((), dtype=torch.float64)
        return rlc.loss(torch.stack(rlc.charges(p[0], p[1], start=(zero, zero))), qhat_t)

    t0 = time.perf_counter()
    first = None
    for _ in range(STEPS):
        loss(p).backward()
        with torch.no_grad():
            p -= LEARNING_RATE * p.grad
        p.grad = None
        if first is None:
            first = time.perf_counter() - t0
    return p.detach().numpy().copy(), first, time.perf_counter() - t0


METHODS = {
    "jit_python_loop": (
        "a",
        "jax.jit(jax.grad(loss)), Python-loop RK4 (199 unrolled steps)",
        run_jit_python_loop,
    ),
    "lax_scan": ("b", "jax.jit(jax.grad(loss)), RK4 in lax.scan", run_lax_scan),
    "dual_scalar_x2": ("c", "two scalar-dual simulations (one for R, one for L)", run_dual_scalar_x2),
    "dual_vector": ("d", "one vector-dual simulation (derivative: numpy array of length 2)", run_dual_vector),
    "torch": ("e", "PyTorch float64 eager autograd, Python-loop RK4", run_torch),
}


def markdown(data: dict) -> str:
    lines = [
        f"# ODE gradient methods on the RLC problem{' (preliminary)' if data['preliminary'] else ''}",
        "",
        machine.machine_markdown(data),
        "",
        f"Each method: compile (if any) plus {STEPS} gradient-descent steps from (R, L) = {START_RL}, "
        f"step {LEARNING_RATE}, float64, each run in a fresh Python process (imports not timed); "
        f"best of {data['repeat']} run(s) per method, methods interleaved.",
        "",
        "| | method | total (s) | first call (s) | later steps (ms/step) | final (R, L) |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in data["methods"].values():
        if r.get("timed_out"):
            lines.append(f"| {r['letter']} | {r['label']} | > {r['seconds']:.0f} | | | did not finish |")
            continue
        lines.append(
            f"| {r['letter']} | {r['label']} | {r['seconds']:.2f} | {r['first_call_seconds']:.2f} | "
            f"{1000 * r['later_step_seconds']:.2f} | ({r['final'][0]:.6f}, {r['final'][1]:.6f}) |"
        )
    ratios, bound = data["ratios"], set(data["ratios_are_lower_bounds_for"])

    def fmt(key, digits=2):
        if key not in ratios:
            return "n/a"
        x, y = key[0], key[-1]
        return (">= " if x in bound else "<= " if y in bound else "") + f"{ratios[key]:.{digits}f}"

    def verdict(key, target):
        if key not in ratios:
            return "n/a"
        x, y = key[0], key[-1]
        if ratios[key] >= target:
            return "meets" if y not in bound else "undecided"
        return "misses" if x not in bound else "undecided"

    lines += [
        "",
        f"- **(a)/(b) jit over a Python loop vs lax.scan = {fmt('a_over_b', 1)}x** "
        f"(target >= {TARGET_LOOP_OVER_SCAN:g}: {verdict('a_over_b', TARGET_LOOP_OVER_SCAN)})",
        f"- **(c)/(d) two scalar-dual simulations vs one vector-dual = {fmt('c_over_d')}x** "
        f"(target >= {TARGET_SCALAR_OVER_VECTOR:g}: {verdict('c_over_d', TARGET_SCALAR_OVER_VECTOR)})",
        f"- PyTorch (e) relative to each: e/a = {fmt('e_over_a', 3)}, e/b = {fmt('e_over_b', 1)}, "
        f"e/c = {fmt('e_over_c')}, e/d = {fmt('e_over_d')}",
        f"- all finished methods end at the same (R, L): largest difference {data['max_final_difference']:.1e}",
    ]
    sw = data.get("dual_parameter_sweep")
    if sw:
        lines += [
            "",
            "Where a vector dual pays off: k scalar-dual simulations against one vector-dual "
            f"simulation carrying k derivatives (one scalar simulation: {1000 * sw['scalar_simulation_seconds']:.1f} ms).",
            "",
            "| k | one vector simulation (ms) | k scalar / one vector |",
            "|---:|---:|---:|",
        ]
        for k, v in sw["vector_simulation_seconds"].items():
            lines.append(f"| {k} | {1000 * v:.1f} | {sw['scalar_sims_over_vector'][k]:.2f} |")
    if data.get("notes"):
        lines += ["", *[f"- note: {n}" for n in data["notes"]]]
    return "\n".join(lines)


def parameter_sweep(ks=(2, 4, 8, 16), repeat: int = 3) -> dict:
    """One simulation's cost: scalar duals, and vector duals carrying k derivatives.

    k scalar simulations cost k times one; one vector simulation costs about the same for
    every small k (numpy's per-call overhead dominates), so the vector dual pays off from
    some k on. This is where that break-even lies for this problem.
    """

    def best(fn):
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    scalar = best(lambda: rk4_dual(Dual(START_RL[0], 1.0), Dual(START_RL[1], 0.0)))
    vector = {}
    for k in ks:
        seeds = np.eye(k)
        vector[k] = best(lambda: rk4_dual(Dual(START_RL[0], seeds[0]), Dual(START_RL[1], seeds[1])))
    return {
        "scalar_simulation_seconds": scalar,
        "vector_simulation_seconds": {str(k): v for k, v in vector.items()},
        "scalar_sims_over_vector": {str(k): round(k * scalar / v, 2) for k, v in vector.items()},
    }


def run_one(name: str) -> dict:
    """One method in this (fresh) process: compile plus STEPS descent steps."""
    qhat = observed_charge()
    _jax().clear_caches()
    gc.collect()
    final, first, total = METHODS[name][2](qhat)
    return {
        "seconds": total,
        "first_call_seconds": first,
        "later_step_seconds": (total - first) / (STEPS - 1),
        "final": [float(x) for x in final],
    }


def run_in_subprocess(name: str, timeout: float) -> dict:
    """Each run gets a fresh interpreter (imports and caches excluded from the timing)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", name]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"timed_out": True, "seconds": timeout}
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--repeat", type=int, default=1, help="runs per method (best is kept); methods interleaved"
    )
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    p.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="seconds allowed per run; a run that takes longer is reported as a lower bound",
    )
    p.add_argument("--results", type=Path, default=machine.RESULTS)
    p.add_argument("--name", default="ode_gradients")
    p.add_argument("--one", choices=list(METHODS), help=argparse.SUPPRESS)
    p.add_argument("--sweep", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one)))
        return 0
    if args.sweep:
        print(json.dumps(parameter_sweep()))
        return 0

    best: dict = {}
    with machine.LoadMonitor() as load:
        for _ in range(args.repeat):
            for name in args.methods:
                r = run_in_subprocess(name, args.timeout)
                if r.get("timed_out"):
                    print(f"{name}: over {args.timeout:g} s (stopped)", file=sys.stderr, flush=True)
                else:
                    print(
                        f"{name}: {r['seconds']:.2f} s (first call {r['first_call_seconds']:.2f} s) -> {r['final']}",
                        file=sys.stderr,
                        flush=True,
                    )
                old = best.get(name)
                if (
                    old is None
                    or old.get("timed_out")
                    or (not r.get("timed_out") and r["seconds"] < old["seconds"])
                ):
                    best[name] = r
        sweep = json.loads(
            subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--sweep"],
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
    done = {n: r for n, r in best.items() if not r.get("timed_out")}
    finals = np.array([r["final"] for r in done.values()])
    spread = float(np.max(np.abs(finals - finals[0]))) if len(finals) else 0.0
    t = {METHODS[n][0]: r["seconds"] for n, r in best.items()}
    lower_bound = {METHODS[n][0] for n, r in best.items() if r.get("timed_out")}
    # A stopped run's time is a lower bound: x/y is then a lower bound when x was stopped,
    # an upper bound when y was; both stopped says nothing.
    ratios = {
        f"{x}_over_{y}": round(t[x] / t[y], 3)
        for x, y in (("a", "b"), ("c", "d"), ("e", "a"), ("e", "b"), ("e", "c"), ("e", "d"))
        if x in t and y in t and not (x in lower_bound and y in lower_bound)
    }
    summary = load.summary()
    data = machine.header("ode_gradients", summary, machine.is_preliminary(summary, 1.0))
    data.update(
        {
            "problem": {
                "C": C,
                "E": E,
                "times": "linspace(0, 200, 200)",
                "true_RL": TRUE_RL,
                "start_RL": START_RL,
                "learning_rate": LEARNING_RATE,
                "steps": STEPS,
            },
            "repeat": args.repeat,
            "methods": {n: {"letter": METHODS[n][0], "label": METHODS[n][1], **r} for n, r in best.items()},
            "ratios": ratios,
            "ratios_are_lower_bounds_for": sorted(lower_bound),
            "targets": {"a_over_b_min": TARGET_LOOP_OVER_SCAN, "c_over_d_min": TARGET_SCALAR_OVER_VECTOR},
            "max_final_difference": spread,
            "dual_parameter_sweep": sweep,
            "notes": [
                f"({x}) did not finish within {args.timeout:g} s: its ratios are lower bounds"
                for x in sorted(lower_bound)
            ],
        }
    )
    if len(args.methods) == len(METHODS):
        jpath, mpath = machine.write_results(args.name, data, markdown(data), args.results)
        print(markdown(data))
        print(f"\nwrote {jpath} and {mpath}", file=sys.stderr)
    else:
        print(json.dumps(data["ratios"]))
    return 0 if spread < 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main())
