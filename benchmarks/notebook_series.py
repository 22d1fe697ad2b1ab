"""Benchmark 2: execute every solution notebook, as CI and authors do.

    .venv/bin/python benchmarks/notebook_series.py

Runs solutions/<id>/<id>.ipynb for every assignment that has one, one after the other, each
in a fresh kernel (autograder.notebook_runner: hidden tests run and check themselves), and
reports each notebook's wall time and its slowest cells. Targets: the whole series in
<= 180 s on this 2-core machine, and no cell over 20 s. Results go to
benchmarks/results/notebook_series.{json,md}.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import machine  # noqa: E402

from autograder import course  # noqa: E402

TARGET_SERIES_SECONDS = 180.0
TARGET_CELL_SECONDS = 20.0
SLOWEST = 5
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run_series(assignments: list[str]) -> tuple[list[dict], list[str]]:
    from autograder.notebook_runner import execute_notebook

    runs, notes = [], []
    for aid in assignments:
        path = course.solution_notebook(aid)
        if not path.exists():
            notes.append(f"{aid} skipped: {path.relative_to(course.ROOT)} does not exist yet")
            continue
        print(f"{aid} ...", file=sys.stderr, flush=True)
        try:
            run = execute_notebook(path)
        except Exception as exc:  # noqa: BLE001 - a failing notebook is a result too
            text = ANSI.sub("", str(exc)).strip()
            last = next((ln.strip() for ln in reversed(text.splitlines()) if ln.strip()), "")
            runs.append(
                {
                    "assignment": aid,
                    "ok": False,
                    "error": f"{type(exc).__name__}: {last}",
                    "traceback_tail": text[-1500:],
                }
            )
            print(f"{aid}: FAILED", file=sys.stderr, flush=True)
            continue
        cells = sorted(run.cell_seconds, key=lambda t: -t[1])
        runs.append(
            {
                "assignment": aid,
                "ok": True,
                "seconds": round(run.seconds, 2),
                "cells_seconds": round(sum(s for _, s, _ in run.cell_seconds), 2),
                "code_cells": len(run.cell_seconds),
                "slowest_cells": [
                    {"cell": i, "seconds": round(s, 2), "first_line": line} for i, s, line in cells[:SLOWEST]
                ],
            }
        )
        print(f"{aid}: {run.seconds:.1f} s", file=sys.stderr, flush=True)
    return runs, notes


def markdown(data: dict) -> str:
    lines = [
        f"# Solution notebooks, executed in series{' (preliminary)' if data['preliminary'] else ''}",
        "",
        machine.machine_markdown(data),
        "",
        "| notebook | wall (s) | in cells (s) | code cells | slowest cells (s) |",
        "|---|---:|---:|---:|---|",
    ]
    for r in data["runs"]:
        if not r["ok"]:
            lines.append(f"| {r['assignment']} | FAILED | | | {r['error'][:200].replace('|', '/')} |")
            continue
        slow = "; ".join(
            f"cell {c['cell']}: {c['seconds']:.1f} `{c['first_line'][:40]}`" for c in r["slowest_cells"][:3]
        )
        lines.append(
            f"| {r['assignment']} | {r['seconds']:.1f} | {r['cells_seconds']:.1f} | {r['code_cells']} | {slow} |"
        )
    s = data["summary"]
    lines += [
        "",
        f"- **whole series: {s['series_seconds']:.1f} s** for {s['notebooks']} notebook(s) "
        f"(target <= {TARGET_SERIES_SECONDS:g} s: {'meets' if s['series_ok'] else 'misses'})",
        f"- **slowest cell: {s['slowest_cell_seconds']:.1f} s** ({s['slowest_cell']}) "
        f"(target <= {TARGET_CELL_SECONDS:g} s: {'meets' if s['cells_ok'] else 'misses'})",
    ]
    if s["failed"]:
        lines.append(
            f"- failed: {', '.join(s['failed'])} (the series total leaves them out, so it is incomplete)"
        )
    lines += [*[f"- note: {n}" for n in data["notes"]]]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--assignments", nargs="+", default=list(course.ASSIGNMENTS))
    p.add_argument("--results", type=Path, default=machine.RESULTS)
    p.add_argument("--name", default="notebook_series")
    args = p.parse_args(argv)

    with machine.LoadMonitor() as load:
        runs, notes = run_series(args.assignments)
    ok = [r for r in runs if r["ok"]]
    slowest = max(
        ((c["seconds"], f"{r['assignment']} cell {c['cell']}") for r in ok for c in r["slowest_cells"]),
        default=(0.0, "none"),
    )
    series = sum(r["seconds"] for r in ok)
    summary = {
        "notebooks": len(ok),
        "series_seconds": round(series, 2),
        "series_ok": series <= TARGET_SERIES_SECONDS,
        "slowest_cell_seconds": slowest[0],
        "slowest_cell": slowest[1],
        "cells_ok": slowest[0] <= TARGET_CELL_SECONDS,
        "failed": [r["assignment"] for r in runs if not r["ok"]],
        "complete": not notes,
    }
    load_summary = load.summary()
    data = machine.header("notebook_series", load_summary, machine.is_preliminary(load_summary, 1.0))
    data.update(
        {
            "runs": runs,
            "notes": notes,
            "summary": summary,
            "targets": {"series_seconds_max": TARGET_SERIES_SECONDS, "cell_seconds_max": TARGET_CELL_SECONDS},
        }
    )
    jpath, mpath = machine.write_results(args.name, data, markdown(data), args.results)
    print(markdown(data))
    print(f"\nwrote {jpath} and {mpath}", file=sys.stderr)
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
