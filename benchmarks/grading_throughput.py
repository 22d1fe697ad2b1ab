"""Benchmark 1: how long an instructor waits for a class to be graded.

    .venv/bin/python benchmarks/grading_throughput.py

One run, three measurements of the same class (20 students x each assignment that exists,
a mix of correct, partly wrong and stub notebooks), side by side:

- ours:  `python -m autograder grade SUBMITTED --out FRESH --jobs 2` (sandbox included);
- stock: `nbgrader autograde <id>` in a fresh course copy with nbgrader's default
         configuration (no sandbox, hidden tests run in the student's kernel);
- limit: the sum of bare nbclient executions of the same notebooks (as graded: test cells
         restored with their hidden tests, probes seeded so they only record), divided by
         the number of cores.

It reports ours / stock (target <= 0.4) and ours / limit (stretch <= 1.3), checks that the
scores are the expected ones, and with `--profile` breaks one notebook's grading down
(preflight, worker start, kernel start in and out of the sandbox, setup-cell imports,
probe cells, checks). Results go to benchmarks/results/grading_throughput.{json,md}.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import machine  # noqa: E402
import nbformat  # noqa: E402

from autograder import course  # noqa: E402
from autograder import sample_submissions as samples  # noqa: E402
from autograder.notebook_runner import ISOLATED_VARS as ISOLATED  # noqa: E402

DEFAULT_ASSIGNMENTS = ("01_dual_numbers", "02_euler_rk4")
# A class of 20: half solve everything, some get one thing wrong, some hand in the release.
MIX = (("correct", 10), ("partly_wrong", 6), ("stub", 4))
TARGET_VS_STOCK = 0.4
STRETCH_VS_LIMIT = 1.3
# The arguments our grader gives its sandboxed kernels (grading/execute.py), for a fair limit.
KERNEL_ARGS = ("--HistoryManager.enabled=False", "--IPKernelApp.matplotlib=agg")
KERNEL_ENV = {
    "JAX_PLATFORMS": "cpu",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


# --- the class --------------------------------------------------------------------------


def _wrong_rtruediv(answers: dict) -> dict:
    """01: the older notebook's bug, `__rtruediv__` returning a plain float."""
    src = answers["dual_class"]
    right = "return Dual(other / self.value, -other * self.derivative / self.value ** 2)"
    if right not in src:
        raise RuntimeError("the 01 solution's __rtruediv__ changed; update _wrong_rtruediv")
    return {"dual_class": src.replace(right, "return other / self.value")}


def _wrong_dloss(answers: dict) -> dict:
    """02: dloss taking the sum over the 200 times instead of the mean (200 times too large).

    Only `dloss` is wrong; `seeding` and `dual_charge` stay right, so the score is partial.
    """
    src = answers["dloss"]
    if "np.mean(" in src:
        return {"dloss": src.replace("np.mean(", "np.sum(", 1)}
    wrapper = (
        "\n\n_dloss_right = dloss\n\n\ndef dloss(Qhat, R, L):\n    return 200 * _dloss_right(Qhat, R, L)\n"
    )
    return {"dloss": src + wrapper}


PARTLY_WRONG = {"01_dual_numbers": _wrong_rtruediv, "02_euler_rk4": _wrong_dloss}


def partly_wrong_notebook(aid: str):
    answers = samples.solution_answers(aid)
    make = PARTLY_WRONG.get(aid)
    if make is not None:
        try:
            return samples.solved(aid, **make(answers))
        except KeyError:  # the answer cell this mistake lives in is not there (yet)
            pass
    # Any other assignment: every answer solved except the last one, left as the stub.
    last = list(answers)[-1]
    release = samples.release_notebook(aid)
    stub = next(c.source for c in release.cells if c.metadata.get("nbgrader", {}).get("grade_id") == last)
    return samples.solved(aid, **{last: stub})


def available_assignments(requested) -> tuple[list[str], list[str]]:
    ok, notes = [], []
    for aid in requested:
        if not course.solution_notebook(aid).exists() or not course.release_notebook(aid).exists():
            notes.append(
                f"{aid} skipped: no solution/release notebook yet "
                f"({course.solution_notebook(aid).relative_to(course.ROOT)})"
            )
            continue
        ok.append(aid)
    return ok, notes


def class_mix(students: int) -> list[str]:
    """The kind of each student's notebooks: MIX spread evenly, so a small class is mixed too."""
    total = sum(n for _, n in MIX)
    spread = sorted(((j + 0.5) / n, k) for k, n in MIX for j in range(n))
    kinds = [k for _, k in spread]
    return [kinds[i % total] for i in range(students)]


def build_class(submitted: Path, assignments: list[str], students: int) -> list[dict]:
    kinds = class_mix(students)
    made = {}
    plan = []
    for aid in assignments:
        notebooks = {
            "correct": samples.solved(aid),
            "partly_wrong": partly_wrong_notebook(aid),
            "stub": samples.release_notebook(aid),
        }
        made[aid] = notebooks
        for i, kind in enumerate(kinds):
            student = f"student{i + 1:02d}"
            samples.write_submission(submitted, student, aid, notebooks[kind])
            plan.append({"student": student, "assignment": aid, "kind": kind})
    return plan


def _isolated_env(tmp: Path) -> dict:
    env = dict(os.environ)
    for k in ISOLATED:
        env[k] = str(tmp / k.lower())
    env["MPLBACKEND"] = "Agg"
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    env["AUTODIFF_NO_PROGRESS"] = "1"
    env.pop("AUTODIFF_PROBE_SEED", None)
    return env


_METER: machine.CpuMeter | None = None


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and all its descendants so far.

    The grader's workers, sandboxes and kernels, nbgrader and its kernels all count (see
    machine.CpuMeter). CPU seconds tell where the work goes; they are not immune to other
    load (spinning thread pools and cache contention inflate them), so compare them only
    within one run.
    """
    global _METER
    if _METER is None:
        _METER = machine.CpuMeter("throughput")
    return _METER.seconds()


# --- ours ---------------------------------------------------------------------------------


def run_ours(submitted: Path, work: Path, jobs: int, assignments: list[str], options: tuple = ()) -> dict:
    """`grade --jobs JOBS` (plus `options`, e.g. --scheduler) into a fresh output folder."""
    out = work / "ours-out"
    if out.exists():
        shutil.rmtree(out)
    env = _isolated_env(work / "ours-env")
    cmd = [
        sys.executable,
        "-m",
        "autograder",
        "grade",
        str(submitted),
        "--out",
        str(out),
        "--jobs",
        str(jobs),
        "--quiet",
        *options,
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=course.ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(
            f"our grader failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    scores = {}
    with open(out / "grades.csv") as f:
        for row in csv.DictReader(f):
            scores[(row["student_id"], row["assignment"])] = (
                float(row["score"]),
                float(row["max_score"]),
                row["status"],
            )
    inner = []
    for p in (out / ".state" / "results").glob("*.json"):
        inner.append(json.loads(p.read_text()).get("seconds", 0.0))
    return {"seconds": seconds, "scores": scores, "per_notebook_seconds": inner, "command": " ".join(cmd[1:])}


# --- stock nbgrader -----------------------------------------------------------------------

STOCK_CONFIG = """c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "bench"
c.Exchange.root = {exchange!r}
"""


def prepare_stock_course(course_dir: Path, submitted: Path, assignments: list[str], env: dict) -> None:
    """A fresh nbgrader course with nbgrader's defaults: source, release, gradebook, submissions."""
    course_dir.mkdir(parents=True)
    (course_dir / "nbgrader_config.py").write_text(STOCK_CONFIG.format(exchange=str(course_dir / "exchange")))
    for aid in assignments:
        src = course_dir / "source" / aid
        src.mkdir(parents=True)
        shutil.copy2(course.solution_notebook(aid), src / f"{aid}.ipynb")
        proc = subprocess.run(
            ["nbgrader", "generate_assignment", aid], cwd=course_dir, env=env, capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"nbgrader generate_assignment {aid} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
            )
    shutil.copytree(submitted, course_dir / "submitted")


def run_stock(submitted: Path, work: Path, assignments: list[str]) -> dict:
    course_dir = work / "stock-course"
    if course_dir.exists():
        shutil.rmtree(course_dir)
    env = _isolated_env(work / "stock-env")
    prepare_stock_course(course_dir, submitted, assignments, env)
    per = {}
    t0 = time.perf_counter()
    for aid in assignments:
        t1 = time.perf_counter()
        proc = subprocess.run(
            ["nbgrader", "autograde", aid], cwd=course_dir, env=env, capture_output=True, text=True
        )
        per[aid] = time.perf_counter() - t1
        if proc.returncode != 0:
            raise RuntimeError(
                f"nbgrader autograde {aid} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
            )
    seconds = time.perf_counter() - t0
    scores = {}
    export = subprocess.run(
        ["nbgrader", "export", "--to", str(work / "stock-grades.csv")],
        cwd=course_dir,
        env=env,
        capture_output=True,
        text=True,
    )
    if export.returncode == 0:
        with open(work / "stock-grades.csv") as f:
            for row in csv.DictReader(f):
                scores[(row["student_id"], row["assignment"])] = (
                    float(row["score"] or 0),
                    float(row["max_score"] or 0),
                    "",
                )
    return {"seconds": seconds, "per_assignment_seconds": per, "scores": scores}


# --- the limit: bare nbclient, one notebook after the other ---------------------------------


def graded_notebook(path: Path, aid: str):
    """The notebook our grader executes: the submission with its protected cells restored."""
    from autograder.grading.restore import restore_cells
    from autograder.grading.submission import read_notebook
    from autograder.grading.template import load_template

    return restore_cells(load_template(aid), read_notebook(path).cells).nb


def bare_execute(nb, cwd: Path, seed: int = 12345) -> dict:
    """Execute with plain nbclient and a local kernel; the probes get a seed, so they only record.

    The kernel gets the thread and platform settings our sandbox gives its kernels, and is
    shut down at once (as the grader does), so the limit measures execution, not settings.
    """
    saved = {k: os.environ.get(k) for k in (*KERNEL_ENV, "AUTODIFF_PROBE_SEED")}
    os.environ.update(KERNEL_ENV)
    os.environ["AUTODIFF_PROBE_SEED"] = str(seed)
    try:
        from autograder.notebook_runner import TimedClient

        client = TimedClient(
            nb,
            timeout=120,
            kernel_name="python3",
            allow_errors=True,
            shutdown_kernel="immediate",
            extra_arguments=[*KERNEL_ARGS, "--IPKernelApp.log_level=ERROR"],
            resources={"metadata": {"path": str(cwd)}},
        )
        t0 = time.perf_counter()
        client.execute()
        wall = time.perf_counter() - t0
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    cell_times = [(index, secs) for index, secs, _ in client.times]
    return {"seconds": wall, "cells_seconds": sum(t for _, t in cell_times), "cell_times": cell_times}


def run_limit(submitted: Path, work: Path, plan: list[dict]) -> dict:
    from autograder.notebook_runner import isolated_jupyter_env

    per = []
    with isolated_jupyter_env(work):
        for item in plan:
            path = submitted / item["student"] / item["assignment"] / f"{item['assignment']}.ipynb"
            nb = graded_notebook(path, item["assignment"])
            cwd = Path(tempfile.mkdtemp(prefix="limit-", dir=work))
            for name, host in course_data_files(item["assignment"]).items():
                shutil.copy2(host, cwd / name)
            r = bare_execute(nb, cwd)
            per.append({**item, "seconds": r["seconds"], "outside_cells": r["seconds"] - r["cells_seconds"]})
            shutil.rmtree(cwd, ignore_errors=True)
    total = sum(p["seconds"] for p in per)
    return {
        "sum_seconds": total,
        "cores": os.cpu_count(),
        "seconds": total / os.cpu_count(),
        "per_notebook": per,
    }


def course_data_files(aid: str) -> dict:
    from autograder.grading.template import load_template

    return load_template(aid).data_files


# --- profile: where one notebook's grading time goes ----------------------------------------


def _time_subprocess(code: str, repeat: int = 3) -> float:
    """Least CPU seconds (user + system) of `python -c code` over a few runs."""
    best = float("inf")
    for _ in range(repeat):
        c0 = cpu_seconds()
        subprocess.run([sys.executable, "-c", code], cwd=course.ROOT, check=True, capture_output=True)
        best = min(best, cpu_seconds() - c0)
    return best


async def _kernel_start(sandboxed: bool, work: Path) -> float:
    from jupyter_client.manager import AsyncKernelManager

    from autograder.grading.execute import SandboxKernelManager
    from autograder.grading.sandbox import SandboxSpec, make_runtime_dir, probes_package
    from autograder.grading.slots import SlotLease

    t0 = time.perf_counter()
    if sandboxed:
        uid = SlotLease.claim().uid  # held until this process ends
        runtime = make_runtime_dir(work, uid)
        spec = SandboxSpec(runtime_dir=runtime, uid=uid)
        km = SandboxKernelManager(spec, probes_package(work / "profile-pkg"))
    else:
        km = AsyncKernelManager(kernel_name="python3")
    extra = {} if sandboxed else {"extra_arguments": list(KERNEL_ARGS)}  # the sandbox adds the same ones
    t0 = time.perf_counter()
    await km.start_kernel(
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, **extra
    )
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    started = time.perf_counter() - t0
    kc.stop_channels()
    await km.shutdown_kernel(now=True)
    return started


def _categorise(nb, cell_times) -> dict:
    out = {"setup_cell": 0.0, "test_cells": 0.0, "other_cells": 0.0}
    setup = next(
        (i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "setup"), None
    )
    for index, secs in cell_times:
        meta = nb.cells[index].metadata.get("nbgrader", {})
        if index == setup:
            out["setup_cell"] += secs
        elif meta.get("grade") and not meta.get("solution"):
            out["test_cells"] += secs
        else:
            out["other_cells"] += secs
    return {k: round(v, 2) for k, v in out.items()}


def profile(submitted: Path, work: Path, plan: list[dict], repeat: int = 2) -> dict:
    """Time the pieces of one correct notebook per assignment, in and out of the sandbox."""
    from autograder.grading import execute as ex
    from autograder.grading.sandbox import Limits, preflight, probes_package
    from autograder.notebook_runner import isolated_jupyter_env

    prof: dict = {}
    cache = work / "profile-cache"
    cache.mkdir(exist_ok=True)
    prof["note"] = (
        "*_cpu: CPU seconds (user + system) of the process tree; other *_seconds: wall time. "
        "'bare' kernels get the sandbox's thread and platform settings"
    )
    t0, c0 = time.perf_counter(), cpu_seconds()
    preflight(cache, Limits())
    prof["preflight_seconds"] = round(time.perf_counter() - t0, 2)
    prof["preflight_cpu"] = round(cpu_seconds() - c0, 2)
    prof["python_startup_cpu"] = round(_time_subprocess("pass"), 2)
    prof["worker_import_cpu"] = round(
        _time_subprocess("import autograder.grading.pipeline, autograder.grading.batch"), 2
    )
    prof["import_cpu"] = {
        name: round(_time_subprocess(f"import {name}") - prof["python_startup_cpu"], 2)
        for name in (
            "numpy",
            "matplotlib.pyplot",
            "sympy",
            "jax",
            "torch",
            "ipywidgets",
            "jupyterquiz",
            "ipykernel.kernelapp",
        )
    }
    with isolated_jupyter_env(work):
        starts = {"sandboxed": [], "bare": []}
        cpus = {"sandboxed": [], "bare": []}
        for _ in range(repeat):
            for kind in starts:
                c0 = cpu_seconds()
                starts[kind].append(asyncio.run(_kernel_start(kind == "sandboxed", work)))
                cpus[kind].append(cpu_seconds() - c0)
        prof["kernel_start_seconds"] = {k: round(min(v), 2) for k, v in starts.items()}
        prof["kernel_start_cpu"] = {k: round(min(v), 2) for k, v in cpus.items()}

        from autograder.grading.slots import SlotLease

        pkg = probes_package(cache)
        lease = SlotLease.claim()
        per_aid = {}
        for aid in sorted({p["assignment"] for p in plan}):
            item = next(p for p in plan if p["assignment"] == aid and p["kind"] == "correct")
            path = submitted / item["student"] / aid / f"{aid}.ipynb"
            times: list = []

            orig = ex.BoundedClient.async_execute_cell

            async def timed(self, cell, cell_index, *a, **kw):
                t = time.perf_counter()
                try:
                    return await orig(self, cell, cell_index, *a, **kw)
                finally:
                    times.append((cell_index, time.perf_counter() - t))

            ex.BoundedClient.async_execute_cell = timed
            try:
                nb = graded_notebook(path, aid)
                t, c0 = time.perf_counter(), cpu_seconds()
                execution = ex.sandboxed_execute(
                    nb,
                    uid=lease.uid,
                    env={"AUTODIFF_PROBE_SEED": "12345"},
                    limits=Limits(),
                    probes_pkg=pkg,
                    data_files={k: str(v) for k, v in course_data_files(aid).items()},
                    runtime_parent=cache,
                )
                sandbox_wall = time.perf_counter() - t
                sandbox_cpu = cpu_seconds() - c0
            finally:
                ex.BoundedClient.async_execute_cell = orig
            sandbox_cells = _categorise(nb, times)
            cwd = Path(tempfile.mkdtemp(prefix="profile-", dir=work))
            bare_nb = graded_notebook(path, aid)
            c0 = cpu_seconds()
            bare = bare_execute(bare_nb, cwd)
            bare_cpu = cpu_seconds() - c0
            bare_cells = _categorise(bare_nb, bare["cell_times"])
            executed = work / f"profile-{aid}.ipynb"
            nbformat.write(execution.nb, executed)
            check = subprocess.run(
                [sys.executable, "-c", _CHECK_TIMER, aid, str(executed), json.dumps(execution.executed)],
                cwd=course.ROOT,
                capture_output=True,
                text=True,
            )
            try:
                check_times = json.loads(check.stdout.strip().splitlines()[-1])
            except (IndexError, json.JSONDecodeError):
                check_times = {"error": check.stderr[-500:]}
            per_aid[aid] = {
                "sandboxed_notebook_seconds": round(sandbox_wall, 2),
                "sandboxed_notebook_cpu": round(sandbox_cpu, 2),
                "bare_notebook_cpu": round(bare_cpu, 2),
                "sandboxed_cells": sandbox_cells,
                "sandboxed_outside_cells_seconds": round(sandbox_wall - sum(t for _, t in times), 2),
                "bare_notebook_seconds": round(bare["seconds"], 2),
                "bare_cells": bare_cells,
                "bare_outside_cells_seconds": round(bare["seconds"] - bare["cells_seconds"], 2),
                "checks": check_times,
                "slowest_sandboxed_cells": [
                    {
                        "cell": i,
                        "seconds": round(s, 2),
                        "first_line": next((ln for ln in nb.cells[i].source.splitlines() if ln.strip()), "")[
                            :60
                        ],
                    }
                    for i, s in sorted(times, key=lambda t: -t[1])[:5]
                ],
            }
        prof["per_assignment"] = per_aid
    return prof


# Run in a fresh process: the cost of the trusted checks as one grading worker pays it.
_CHECK_TIMER = r"""
import json, sys, time
w = [time.perf_counter()]; c = [time.process_time()]
def mark():
    w.append(time.perf_counter()); c.append(time.process_time())
import nbformat
from autograder.grading.execute import Execution
from autograder.course import assignment
from autograder.grading.template import load_template
from autograder.grading.verdicts import grade_tests
mark()
aid, path, executed = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
nb = nbformat.read(path, as_version=4)
ex = Execution(nb=nb, executed=executed)
template = load_template(aid)
mark(); v1 = [v for v, _ in grade_tests(template, assignment(aid), ex, 12345, {})]; mark()
v2 = grade_tests(template, assignment(aid), ex, 12345, {}); mark()
r = lambda x: round(x, 2)
print(json.dumps({"import_grader_seconds": r(w[1] - w[0]), "import_grader_cpu": r(c[1] - c[0]),
                  "first_checks_seconds": r(w[3] - w[2]), "first_checks_cpu": r(c[3] - c[2]),
                  "repeat_checks_seconds": r(w[4] - w[3]), "repeat_checks_cpu": r(c[4] - c[3]),
                  "score": sum(v.score for v in v1), "max_score": sum(v.max_score for v in v1)}))
"""


# --- verdicts on the scores ------------------------------------------------------------------


def check_scores(plan: list[dict], scores: dict) -> list[str]:
    """What is off about our grader's scores: correct = full, stub = 0, partly wrong in between."""
    problems = []
    for item in plan:
        got = scores.get((item["student"], item["assignment"]))
        if got is None:
            problems.append(f"{item['student']}/{item['assignment']}: no row")
            continue
        score, max_score, status = got
        ok = {"correct": score == max_score, "stub": score == 0, "partly_wrong": 0 < score < max_score}[
            item["kind"]
        ]
        if not ok or status not in ("ok", ""):
            problems.append(
                f"{item['student']}/{item['assignment']} ({item['kind']}): {score:g}/{max_score:g} {status}"
            )
    return problems


def score_summary(plan: list[dict], scores: dict) -> dict:
    out: dict = {}
    for item in plan:
        got = scores.get((item["student"], item["assignment"]))
        key = f"{item['assignment']} {item['kind']}"
        out.setdefault(key, set()).add(f"{got[0]:g}/{got[1]:g}" if got else "missing")
    return {k: sorted(v) for k, v in sorted(out.items())}


# --- report ---------------------------------------------------------------------------------


def markdown(data: dict) -> str:
    r = data["results"]
    lines = [
        f"# Grading throughput{' (preliminary)' if data['preliminary'] else ''}",
        "",
        machine.machine_markdown(data),
        "",
    ]
    lines += [
        f"Class: {data['students']} students x {', '.join(data['assignments'])} = "
        f"{data['notebooks']} notebooks ({', '.join(f'{n} {k}' for k, n in data['mix'])} per assignment).",
        *[f"- note: {n}" for n in data["notes"]],
        "",
    ]
    lines += [
        "| measurement | wall (s) | ours / this (wall) | CPU (s) | ours / this (CPU) | load avg during |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    labels = {
        "ours": f"ours: `python -m autograder grade --jobs {data['jobs']}` (sandboxed)",
        "stock": "stock: `nbgrader autograde`, default configuration (no sandbox)",
        "limit": (
            f"limit: sum of bare nbclient runs ({r['limit']['sum_seconds']:.1f} s) / {r['limit']['cores']} cores"
            if "limit" in r
            else ""
        ),
    }
    for key in r:
        if key.startswith("ours-j"):
            labels[key] = f"ours with `--jobs {key[6:]}`"
        wall, cpu = r[key]["seconds"], r[key].get("cpu_seconds")
        ratio_wall = f"{r['ours']['seconds'] / wall:.2f}" if "ours" in r else ""
        ratio_cpu = f"{r['ours']['cpu_seconds'] / cpu:.2f}" if "ours" in r and cpu else ""
        lines.append(
            f"| {labels[key]} | {wall:.1f} | {ratio_wall} | {cpu if cpu is not None else ''} | {ratio_cpu} "
            f"| {r[key].get('load1_mean', '')} |"
        )
    lines.append("")
    if data.get("rounds", 1) > 1:
        lines.append(
            f"Median of {data['rounds']} interleaved rounds; every round's wall time: "
            + "; ".join(
                f"{k} {', '.join(f'{x:g}' for x in v['all_rounds_seconds'])} s"
                for k, v in r.items()
                if "all_rounds_seconds" in v
            )
        )
        lines.append("")
    ratios = data["ratios"]
    if "ours_over_stock" in ratios:
        ok = "meets" if ratios["ours_over_stock"] <= TARGET_VS_STOCK else "misses"
        lines.append(
            f"- **ours / stock = {ratios['ours_over_stock']:.2f}** wall (target <= {TARGET_VS_STOCK}: {ok})"
        )
    if "ours_over_limit" in ratios:
        ok = "meets" if ratios["ours_over_limit"] <= STRETCH_VS_LIMIT else "misses"
        lines.append(
            f"- **ours / limit = {ratios['ours_over_limit']:.2f}** wall (stretch <= {STRETCH_VS_LIMIT}: {ok})"
        )
    if "cpu_ours_over_stock" in ratios or "cpu_ours_over_limit" in ratios:
        lines.append(
            "- CPU seconds (whole process trees): ours / stock = "
            f"{ratios.get('cpu_ours_over_stock', float('nan')):.2f}, ours / limit (sum of CPU) = "
            f"{ratios.get('cpu_ours_over_limit', float('nan')):.2f}"
        )
    for key in r:
        if key.startswith("ours-j"):
            lines.append(
                f"- ours with --jobs {key[6:]} / ours with --jobs {data['jobs']}: "
                f"{r[key]['seconds'] / r['ours']['seconds']:.2f} wall"
                if "ours" in r
                else ""
            )
    if "ours" in r:
        per = r["ours"]["per_notebook_seconds"]
        if per:
            lines.append(
                f"- ours, per notebook inside a worker: mean {sum(per) / len(per):.1f} s, "
                f"max {max(per):.1f} s (sum {sum(per):.1f} s over {data['jobs']} workers)"
            )
    lines.append("")
    lines.append(
        "Scores (ours): " + "; ".join(f"{k}: {', '.join(v)}" for k, v in data["scores_ours"].items())
    )
    if data.get("scores_stock"):
        lines.append("")
        lines.append(
            "Scores (stock nbgrader): "
            + "; ".join(f"{k}: {', '.join(v)}" for k, v in data["scores_stock"].items())
        )
    if data["score_problems"]:
        lines += ["", "Unexpected scores (ours):", *[f"- {p}" for p in data["score_problems"]]]
    if data.get("profile"):
        lines += [
            "",
            "## Profile (one correct notebook per assignment)",
            "",
            "```json",
            json.dumps(data["profile"], indent=1),
            "```",
        ]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", type=int, default=20)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--assignments", nargs="+", default=list(DEFAULT_ASSIGNMENTS))
    p.add_argument(
        "--phases",
        default="ours,stock,limit,ours-j3",
        help="comma-separated: ours, stock, limit, and ours-jN (ours again with --jobs N)",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat all phases this many times, interleaved; each phase's median round is reported",
    )
    p.add_argument("--profile", action="store_true", help="also break one notebook's grading time down")
    p.add_argument("--workdir", type=Path, help="keep the class, outputs and course copy here")
    p.add_argument("--results", type=Path, default=machine.RESULTS)
    p.add_argument("--name", default="grading_throughput", help="results file stem")
    args = p.parse_args(argv)

    assignments, notes = available_assignments(args.assignments)
    if not assignments:
        print("no assignment to grade: " + "; ".join(notes), file=sys.stderr)
        return 2
    phases = [ph.strip() for ph in args.phases.split(",") if ph.strip()]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    work.mkdir(parents=True, exist_ok=True)
    submitted = work / "submitted"
    if submitted.exists():
        shutil.rmtree(submitted)
    plan = build_class(submitted, assignments, args.students)
    for n in notes:
        print(f"note: {n}", file=sys.stderr)

    results: dict = {}
    rounds: dict = {}
    cpu_seconds()  # start counting (and join the accounting cgroup) before any child starts
    with machine.LoadMonitor() as load:
        for round_no in range(args.rounds):
            for phase in phases:  # phases interleaved round by round, so load drift hits all of them
                print(f"{phase} (round {round_no + 1}/{args.rounds}) ...", file=sys.stderr, flush=True)
                cpu0 = cpu_seconds()
                first_sample = len(load.samples)
                if phase == "ours":
                    r = run_ours(submitted, work, args.jobs, assignments)
                elif phase == "stock":
                    r = run_stock(submitted, work, assignments)
                elif phase == "limit":
                    r = run_limit(submitted, work, plan)
                elif phase.startswith("ours-j") and phase[6:].isdigit():  # ours again, with another --jobs
                    r = run_ours(submitted, work, int(phase[6:]), assignments)
                else:
                    raise SystemExit(f"unknown phase {phase!r}")
                r["cpu_seconds"] = round(cpu_seconds() - cpu0, 1)
                samples = load.samples[first_sample:] or load.samples[-1:]
                r["load1_mean"] = round(sum(samples) / max(1, len(samples)), 2)
                rounds.setdefault(phase, []).append(r)
                print(
                    f"{phase}: {r['seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU, load {r['load1_mean']}",
                    file=sys.stderr,
                    flush=True,
                )
        for phase, runs in rounds.items():  # the median round of each phase (by wall time)
            results[phase] = sorted(runs, key=lambda r: r["seconds"])[(len(runs) - 1) // 2]
            if len(runs) > 1:
                results[phase]["all_rounds_seconds"] = [round(r["seconds"], 1) for r in runs]
        prof = None
        if args.profile:
            try:
                prof = profile(submitted, work, plan)
            except Exception as exc:  # noqa: BLE001 - keep the measurements above
                prof = {"error": f"{type(exc).__name__}: {exc}"}

    ratios = {}
    if "ours" in results and "stock" in results:
        ratios["ours_over_stock"] = round(results["ours"]["seconds"] / results["stock"]["seconds"], 3)
    if "ours" in results and "limit" in results:
        ratios["ours_over_limit"] = round(results["ours"]["seconds"] / results["limit"]["seconds"], 3)
    for other in ("stock", "limit"):
        if "ours" in results and other in results:
            ratios[f"cpu_ours_over_{other}"] = round(
                results["ours"]["cpu_seconds"] / results[other]["cpu_seconds"], 3
            )
    cpu_method = _METER.method
    _METER.close()
    summary = load.summary()
    data = machine.header("grading_throughput", summary, machine.is_preliminary(summary, args.jobs))
    data.update(
        {
            "rounds": args.rounds,
            "students": args.students,
            "assignments": assignments,
            "notebooks": len(plan),
            "jobs": args.jobs,
            "cpu_accounting": cpu_method,
            "mix": [[k, class_mix(args.students).count(k)] for k, _ in MIX],
            "notes": notes,
            "ratios": ratios,
            "targets": {"ours_over_stock_max": TARGET_VS_STOCK, "ours_over_limit_stretch": STRETCH_VS_LIMIT},
            "scores_ours": score_summary(plan, results["ours"]["scores"]) if "ours" in results else {},
            "scores_stock": score_summary(plan, results["stock"]["scores"]) if "stock" in results else {},
            "score_problems": check_scores(plan, results["ours"]["scores"]) if "ours" in results else [],
            "results": {k: {kk: vv for kk, vv in v.items() if kk != "scores"} for k, v in results.items()},
            "profile": prof,
        }
    )
    jpath, mpath = machine.write_results(args.name, data, markdown(data), args.results)
    print(markdown(data))
    print(f"\nwrote {jpath} and {mpath}", file=sys.stderr)
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if data["score_problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
