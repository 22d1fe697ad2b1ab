"""Benchmark 4: grading on a Dask cluster against the local pool, and what a large class costs.

    .venv/bin/python benchmarks/cluster_grading.py

One run, on this machine:

- class: the 40-notebook class of grading_throughput.py (20 students x 01_dual_numbers and
  02_euler_rk4: correct, partly wrong and stub notebooks);
- local: `python -m autograder grade SUBMITTED --out FRESH --jobs 2`;
- cluster: `python -m autograder grade SUBMITTED --out FRESH --scheduler tcp://127.0.0.1:PORT`
  on a `dask scheduler` and `dask worker --nthreads 1 --nworkers 2` (two single-thread
  workers with their nannies, as the README starts them) on 127.0.0.1, started fresh for each
  round before the clock starts (their start is reported apart). Fresh workers import the
  grader and compile the reference checks on their first tasks, inside the measured time,
  as the local pool's fresh processes do;
- the two phases alternate, round after round; each phase's median round is reported;
- cost: one more class on a fresh cluster, `--cost-students` correct students x every
  assignment that exists, for each assignment's seconds per notebook inside a worker.

Reported: cluster / local wall time (target <= 1.15: the cluster's own overhead stays small),
CPU seconds per notebook of each phase (the whole process tree: grader, scheduler, workers,
sandboxes), the scores (checked as in grading_throughput.py), and a cost model: notebooks per
core-hour and the wall time of a 2,000 x 6 class on 1, 8 and 64 worker cores. Results go to
benchmarks/results/cluster_grading.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import grading_throughput as gt  # noqa: E402
import machine  # noqa: E402

from autograder import course  # noqa: E402
from autograder import sample_submissions as samples  # noqa: E402

TARGET_CLUSTER_OVER_LOCAL = 1.15
WORKERS = 2
BIG_CLASS = (2000, 6)  # students x notebooks, the class the cost model is for
CORES = (1, 8, 64)
DASK = str(Path(sys.executable).parent / "dask")


class LocalDask:
    """A scheduler and `dask worker --nthreads 1 --nworkers N` on 127.0.0.1, stopped by pid."""

    def __init__(self, folder: Path, workers: int):
        folder.mkdir(parents=True, exist_ok=True)
        env = dict(gt._isolated_env(folder / "env"), DASK_CONFIG=str(folder / "config"))
        self.logs = [open(folder / "scheduler.log", "w"), open(folder / "workers.log", "w")]
        sched_file = folder / "scheduler.json"
        t0 = time.perf_counter()
        self.scheduler = subprocess.Popen(
            [
                DASK,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(sched_file),
            ],
            env=env,
            stdout=self.logs[0],
            stderr=subprocess.STDOUT,
        )
        self.address = self._wait(lambda: json.loads(sched_file.read_text())["address"], "the scheduler")
        self.workers = subprocess.Popen(
            [
                DASK,
                "worker",
                "--scheduler-file",
                str(sched_file),
                "--nthreads",
                "1",
                "--nworkers",
                str(workers),
                "--host",
                "127.0.0.1",
                "--no-dashboard",
                "--local-directory",
                str(folder / "scratch"),
            ],
            cwd=course.ROOT,
            env=env,
            stdout=self.logs[1],
            stderr=subprocess.STDOUT,
        )
        self._wait(
            lambda: (folder / "workers.log").read_text().count("Registered to") >= workers or None,
            "the workers",
        )
        self.start_seconds = time.perf_counter() - t0

    def _wait(self, probe, what: str, timeout: float = 300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                got = probe()
                if got:
                    return got
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.2)
        self.close()
        raise RuntimeError(f"{what} did not start within {timeout:g} s")

    def close(self) -> None:
        for proc in (self.workers, self.scheduler):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        for log in self.logs:
            log.close()


def _phase(name: str, run, load: machine.LoadMonitor) -> dict:
    cpu0, first = gt.cpu_seconds(), len(load.samples)
    r = run()
    r["cpu_seconds"] = round(gt.cpu_seconds() - cpu0 - r.get("cluster_start_cpu", 0.0), 1)  # start: not timed
    samples = load.samples[first:] or load.samples[-1:]
    r["load1_mean"] = round(sum(samples) / max(1, len(samples)), 2)
    print(
        f"{name}: {r['seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU, load {r['load1_mean']}",
        file=sys.stderr,
        flush=True,
    )
    return r


def run_cluster(submitted: Path, work: Path, assignments: list[str]) -> dict:
    cpu0 = gt.cpu_seconds()
    cluster = LocalDask(work / "dask", WORKERS)
    start_cpu = gt.cpu_seconds() - cpu0
    try:
        r = gt.run_ours(submitted, work, WORKERS, assignments, ("--scheduler", cluster.address))
    finally:
        cluster.close()
        shutil.rmtree(work / "dask", ignore_errors=True)
    r["cluster_start_seconds"], r["cluster_start_cpu"] = round(cluster.start_seconds, 1), round(start_cpu, 1)
    return r


def cost_class(submitted: Path, students: int) -> list[str]:
    """`students` correct students x every assignment whose solution exists."""
    assignments, _ = gt.available_assignments(course.ASSIGNMENTS)
    for aid in assignments:
        nb = samples.solved(aid)
        for i in range(students):
            samples.write_submission(submitted, f"cost{i + 1:02d}", aid, nb)
    return assignments


def per_assignment_seconds(out: Path) -> dict[str, float]:
    """Mean seconds per notebook inside a worker, per assignment, from the run's saved rows."""
    by: dict[str, list[float]] = {}
    for p in (out / ".state" / "results").glob("*.json"):
        row = json.loads(p.read_text())
        by.setdefault(row["assignment"], []).append(row["seconds"])
    return {aid: round(statistics.mean(v), 2) for aid, v in sorted(by.items())}


def cost_model(cluster: dict, notebooks: int, cost: dict | None) -> dict:
    """Core-seconds per notebook: the cluster phase's CPU seconds (grader, scheduler, nannies,
    workers and sandboxes) per notebook, scaled to a class that hands in all six assignments by
    the per-assignment costs. Its wall time x worker cores per notebook is given beside it: the
    same on a quiet machine, inflated by whatever else runs on a loaded one."""
    cpu = cluster["cpu_seconds"] / notebooks
    model = {
        "measured_cpu_seconds_per_notebook": round(cpu, 2),
        "measured_wall_core_seconds_per_notebook": round(cluster["seconds"] * WORKERS / notebooks, 2),
    }
    per = (cost or {}).get("per_assignment_seconds") or {}
    benchmarked = [per[a] for a in gt.DEFAULT_ASSIGNMENTS if a in per]
    scale = statistics.mean(per.values()) / statistics.mean(benchmarked) if per and benchmarked else 1.0
    per_nb = cpu * scale
    total = BIG_CLASS[0] * BIG_CLASS[1]
    model.update(
        {
            "six_assignment_scale": round(scale, 2),
            "core_seconds_per_notebook": round(per_nb, 2),
            "notebooks_per_core_hour": round(3600 / per_nb),
            "class": {"students": BIG_CLASS[0], "notebooks_each": BIG_CLASS[1], "notebooks": total},
            "core_hours": round(total * per_nb / 3600, 1),
            "wall_hours": {str(n): round(total * per_nb / n / 3600, 2) for n in CORES},
        }
    )
    return model


def markdown(data: dict) -> str:
    r = data["results"]
    lines = [
        f"# Grading on a Dask cluster{' (preliminary)' if data['preliminary'] else ''}",
        "",
        machine.machine_markdown(data),
        "",
        f"Class: {data['students']} students x {', '.join(data['assignments'])} = {data['notebooks']} "
        f"notebooks ({', '.join(f'{n} {k}' for k, n in data['mix'])} per assignment). Cluster: a scheduler and "
        f"`dask worker --nthreads 1 --nworkers {WORKERS}` on 127.0.0.1, started fresh for each round "
        f"(median start {data['cluster_start_seconds']} s, neither its wall time nor its CPU counted).",
        "",
        "| measurement | wall (s) | CPU (s) | CPU s / notebook | load avg during | every round (s) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    labels = {
        "local": f"local: `grade --jobs {WORKERS}`",
        "cluster": f"cluster: `grade --scheduler tcp://127.0.0.1:PORT`, {WORKERS} single-thread workers",
    }
    for key in ("local", "cluster"):
        x = r[key]
        lines.append(
            f"| {labels[key]} | {x['seconds']:.1f} | {x['cpu_seconds']} | "
            f"{x['cpu_seconds'] / data['notebooks']:.2f} | {x['load1_mean']} | "
            f"{', '.join(f'{s:g}' for s in x['all_rounds_seconds'])} |"
        )
    ratio = data["ratios"]["cluster_over_local"]
    ok = "meets" if ratio <= TARGET_CLUSTER_OVER_LOCAL else "misses"
    lines += [
        "",
        f"- **cluster / local = {ratio:.2f}** wall, median rounds (target <= {TARGET_CLUSTER_OVER_LOCAL}: {ok})",
        f"- cluster / local, CPU seconds: {data['ratios']['cpu_cluster_over_local']:.2f}",
        f"- same grades.csv from both phases in every round: {data['same_grades']}",
        "",
        "Scores (cluster): " + "; ".join(f"{k}: {', '.join(v)}" for k, v in data["scores_cluster"].items()),
    ]
    if data["score_problems"]:
        lines += ["", "Unexpected scores:", *[f"- {p}" for p in data["score_problems"]]]
    cost = data.get("cost")
    if cost:
        lines += [
            "",
            f"## Cost per assignment ({cost['notebooks']} correct notebooks, fresh cluster)",
            "",
            "| assignment | seconds per notebook inside a worker |",
            "|---|---:|",
        ]
        lines += [f"| {aid} | {s} |" for aid, s in cost["per_assignment_seconds"].items()]
        lines += [
            "",
            f"Wall {cost['seconds']:.1f} s, CPU {cost['cpu_seconds']} s, load {cost['load1_mean']}.",
        ]
    m = data["cost_model"]
    lines += [
        "",
        "## Cost model",
        "",
        f"- measured: **{m['measured_cpu_seconds_per_notebook']} CPU seconds per notebook** on the cluster "
        f"(grader, scheduler, nannies, workers and sandboxes; worker start-up, scheduling and the checks' "
        f"first compilation included); wall x {WORKERS} worker cores / {data['notebooks']} notebooks: "
        f"{m['measured_wall_core_seconds_per_notebook']} (the same on a quiet machine; more under foreign load)",
        f"- extrapolated to all six assignments (x {m['six_assignment_scale']}, the mean cost of the six "
        f"over that of 01 and 02): **{m['core_seconds_per_notebook']} core-seconds per notebook, "
        f"{m['notebooks_per_core_hour']} notebooks per core-hour**",
        f"- a {m['class']['students']} x {m['class']['notebooks_each']} class ({m['class']['notebooks']} "
        f"notebooks): {m['core_hours']} core-hours; wall time "
        + ", ".join(
            f"**{h} h** on {n} worker core{'s' if n != '1' else ''}" for n, h in m["wall_hours"].items()
        )
        + " (extrapolated: linear in cores, as long as the scheduler and the instructor's machine keep up)",
    ]
    return "\n".join(lines)


def _grades(work: Path) -> str:
    return (work / "ours-out" / "grades.csv").read_text()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", type=int, default=20)
    p.add_argument("--assignments", nargs="+", default=list(gt.DEFAULT_ASSIGNMENTS))
    p.add_argument(
        "--rounds", type=int, default=2, help="local and cluster, alternating, this many times each"
    )
    p.add_argument(
        "--cost-students",
        type=int,
        default=2,
        help="correct students x every assignment for the per-assignment costs (0: skip)",
    )
    p.add_argument("--workdir", type=Path, help="keep the classes and outputs here")
    p.add_argument("--results", type=Path, default=machine.RESULTS)
    p.add_argument("--name", default="cluster_grading", help="results file stem")
    args = p.parse_args(argv)

    assignments, notes = gt.available_assignments(args.assignments)
    if not assignments:
        print("no assignment to grade: " + "; ".join(notes), file=sys.stderr)
        return 2
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    work.mkdir(parents=True, exist_ok=True)
    submitted = work / "submitted"
    shutil.rmtree(submitted, ignore_errors=True)
    plan = gt.build_class(submitted, assignments, args.students)

    rounds: dict[str, list[dict]] = {"local": [], "cluster": []}
    grades: list[str] = []
    cost = None
    gt.cpu_seconds()  # join the accounting cgroup before any child starts
    with machine.LoadMonitor() as load:
        for n in range(args.rounds):
            for phase in ("local", "cluster"):
                print(f"{phase} (round {n + 1}/{args.rounds}) ...", file=sys.stderr, flush=True)
                if phase == "local":
                    r = _phase(phase, lambda: gt.run_ours(submitted, work, WORKERS, assignments), load)
                else:
                    r = _phase(phase, lambda: run_cluster(submitted, work, assignments), load)
                grades.append(_grades(work))
                rounds[phase].append(r)
        if args.cost_students > 0:
            print("cost class ...", file=sys.stderr, flush=True)
            cost_dir = work / "cost-submitted"
            shutil.rmtree(cost_dir, ignore_errors=True)
            cost_aids = cost_class(cost_dir, args.cost_students)
            cost = _phase("cost", lambda: run_cluster(cost_dir, work, cost_aids), load)
            cost["per_assignment_seconds"] = per_assignment_seconds(work / "ours-out")
            cost["notebooks"] = args.cost_students * len(cost_aids)
            cost.pop("scores", None)
    results = {}
    for phase, runs in rounds.items():
        results[phase] = sorted(runs, key=lambda r: r["seconds"])[(len(runs) - 1) // 2]
        results[phase]["all_rounds_seconds"] = [round(r["seconds"], 1) for r in runs]
    cpu_method = gt._METER.method
    gt._METER.close()

    summary = load.summary()
    data = machine.header("cluster_grading", summary, machine.is_preliminary(summary, WORKERS))
    data.update(
        {
            "rounds": args.rounds,
            "students": args.students,
            "assignments": assignments,
            "notebooks": len(plan),
            "workers": WORKERS,
            "cpu_accounting": cpu_method,
            "notes": notes,
            "mix": [[k, gt.class_mix(args.students).count(k)] for k, _ in gt.MIX],
            "cluster_start_seconds": statistics.median(r["cluster_start_seconds"] for r in rounds["cluster"]),
            "ratios": {
                "cluster_over_local": round(results["cluster"]["seconds"] / results["local"]["seconds"], 3),
                "cpu_cluster_over_local": round(
                    results["cluster"]["cpu_seconds"] / results["local"]["cpu_seconds"], 3
                ),
            },
            "target_cluster_over_local_max": TARGET_CLUSTER_OVER_LOCAL,
            "same_grades": len(set(grades)) == 1,
            "scores_cluster": gt.score_summary(plan, results["cluster"]["scores"]),
            "score_problems": gt.check_scores(plan, results["cluster"]["scores"]),
            "results": {k: {kk: vv for kk, vv in v.items() if kk != "scores"} for k, v in results.items()},
            "cost": cost,
        }
    )
    data["cost_model"] = cost_model(results["cluster"], len(plan), cost)
    jpath, mpath = machine.write_results(args.name, data, markdown(data), args.results)
    print(markdown(data))
    print(f"\nwrote {jpath} and {mpath}", file=sys.stderr)
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if data["score_problems"] or not data["same_grades"] else 0


if __name__ == "__main__":
    sys.exit(main())
