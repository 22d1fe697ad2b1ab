"""Benchmark 4: `make demo` after setup (release, then grade the example class of every assignment).

    .venv/bin/python benchmarks/demo.py

Runs `make setup` (untimed), then `make demo DEMO_OUT=<a fresh temporary folder>`, so nothing
is cached, as a new user would after setup. Reports the wall time (target: under 5 minutes
on 2 cores), the CPU seconds of the whole process tree (cgroup cpuacct as root: sandboxed
kernels included), and checks the demo's grades: every correct notebook (alice) must earn
full marks, since a cell timeout short enough for the hanging student (frank) could also
cut a correct notebook on a slow machine. Results go to benchmarks/results/demo.{json,md}.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import machine  # noqa: E402

from autograder import course  # noqa: E402

TARGET_SECONDS = 300.0
JOBS = 2


def run_demo(out: Path) -> dict:
    subprocess.run(["make", "-s", "setup"], cwd=course.ROOT, check=True)
    meter = machine.CpuMeter("demo")
    start_cpu, start = meter.seconds(), time.monotonic()
    proc = subprocess.run(
        ["make", "demo", f"DEMO_OUT={out}", f"JOBS={JOBS}"], cwd=course.ROOT, capture_output=True, text=True
    )
    seconds, cpu = time.monotonic() - start, meter.seconds() - start_cpu
    meter.close()
    return {
        "returncode": proc.returncode,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "cpu_method": meter.method,
        "stdout_tail": proc.stdout[-3000:],
        "stderr_tail": proc.stderr[-2000:],
    }


def check_grades(out: Path) -> tuple[dict, list[str]]:
    """(counts of statuses, problems): correct notebooks must earn full marks."""
    problems, statuses = [], {}
    path = out / "grades.csv"
    if not path.exists():
        return statuses, [f"{path} was not written"]
    for row in csv.DictReader(path.open()):
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
        if row["student_id"] == "alice" and (row["status"] != "ok" or row["score"] != row["max_score"]):
            problems.append(
                f"alice {row['assignment']}: {row['score']}/{row['max_score']} {row['status']} "
                f"(a correct notebook: raise DEMO_CELL_TIMEOUT, or the machine was too busy)"
            )
    if not (out / "report.html").exists():
        problems.append("report.html was not written")
    return statuses, problems


def markdown(data: dict) -> str:
    r, s = data["run"], data["summary"]
    return "\n".join(
        [
            f"# `make demo` after setup{' (preliminary)' if data['preliminary'] else ''}",
            "",
            machine.machine_markdown(data),
            "",
            f"- **wall time: {r['seconds']:.0f} s** (target <= {TARGET_SECONDS:g} s: {'meets' if s['ok'] else 'misses'})",
            f"- CPU seconds of the whole tree: {r['cpu_seconds']:.0f} ({r['cpu_method']}); on {JOBS} idle cores the "
            f"run cannot be shorter than {r['cpu_seconds'] / JOBS:.0f} s",
            f"- submissions: {s['submissions']} ({', '.join(f'{n} {k}' for k, n in sorted(s['statuses'].items()))})",
            *[f"- problem: {p}" for p in s["problems"]],
        ]
    )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", type=Path, default=machine.RESULTS)
    args = p.parse_args(argv)

    out = Path(tempfile.mkdtemp(prefix="autodiff-demo-")) / "grades"
    try:
        with machine.LoadMonitor() as load:
            run = run_demo(out)
        statuses, problems = check_grades(out)
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    if run["returncode"] != 0:
        problems.append(f"make demo exited with {run['returncode']}: {run['stderr_tail'][-500:]}")
    summary = {
        "submissions": sum(statuses.values()),
        "statuses": statuses,
        "problems": problems,
        "ok": run["seconds"] <= TARGET_SECONDS,
    }
    load_summary = load.summary()
    data = machine.header("demo", load_summary, machine.is_preliminary(load_summary, JOBS))
    data.update({"run": run, "summary": summary, "targets": {"seconds_max": TARGET_SECONDS}})
    jpath, mpath = machine.write_results("demo", data, markdown(data), args.results)
    print(markdown(data))
    print(f"\nwrote {jpath} and {mpath}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
