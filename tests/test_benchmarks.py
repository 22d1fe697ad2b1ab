"""The benchmark scripts stay runnable (their numbers live in benchmarks/results, not here).

Small runs only: three methods of the ODE benchmark must end at the same (R, L), the
grading benchmark must grade a three-student class (correct, partly wrong, stub) with the
scores it expects, and time the bare-kernel limit; the similarity benchmark must find every
planted copy in a class of 100 and report no honest pair; the cluster benchmark must grade a
two-student class locally and on its own two-worker cluster with the same grades.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def test_ode_benchmark_methods_agree(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "benchmarks/ode_gradients.py",
            "--methods",
            "lax_scan",
            "dual_scalar_x2",
            "dual_vector",
            "--results",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    ratios = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(ratios) == {"c_over_d"} and ratios["c_over_d"] > 0


def test_grading_benchmark_runs_and_checks_its_scores(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "benchmarks/grading_throughput.py",
            "--students",
            "3",
            "--phases",
            "ours,limit",
            "--assignments",
            "01_dual_numbers",
            "--results",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    data = json.loads((tmp_path / "grading_throughput.json").read_text())
    assert data["score_problems"] == [] and data["notebooks"] == 3
    assert data["results"]["ours"]["seconds"] > 0 and len(data["results"]["limit"]["per_notebook"]) == 3


def test_similarity_benchmark_finds_the_planted_copies(tmp_path):
    proc = subprocess.run(
        [sys.executable, "benchmarks/similarity.py", "--students", "100", "--results", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    data = json.loads((tmp_path / "similarity.json").read_text())
    strict = next(r for r in data["evaluation"]["per_threshold"] if r["threshold"] == 0.9)
    assert strict["disguised_found"] == strict["disguised_planted"] == 10
    assert strict["ring_found"] == strict["ring_planted"] == 6 and strict["honest_pairs_reported"] == 0
    assert (
        data["cli"]["pairs"] >= 16
        and data["evaluation"]["candidate_pairs_at_0.9"] < data["evaluation"]["all_pairs"]
    )


def test_cluster_benchmark_runs_and_checks_its_scores(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "benchmarks/cluster_grading.py",
            "--students",
            "2",
            "--assignments",
            "01_dual_numbers",
            "--rounds",
            "1",
            "--cost-students",
            "0",
            "--results",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    data = json.loads((tmp_path / "cluster_grading.json").read_text())
    assert data["score_problems"] == [] and data["same_grades"] and data["notebooks"] == 2
    assert data["ratios"]["cluster_over_local"] > 0 and data["cost_model"]["notebooks_per_core_hour"] > 0
