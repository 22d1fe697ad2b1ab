"""The maintainers' checks: committed notebooks without outputs, GitHub workflows that
actionlint accepts, and local-only pre-commit hooks that match what `make lint` runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

from autograder import course
from autograder.notebook_outputs import cells_with_outputs, checked, main

ROOT = course.ROOT
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = Path(sys.executable).parent / "actionlint"


def _notebook(tmp_path: Path, name: str, *, output: bool = False, count: int | None = None) -> Path:
    cell = nbformat.v4.new_code_cell("print(1)")
    cell.execution_count = count
    if output:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t"), cell])
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def test_every_committed_course_notebook_is_without_outputs():
    notebooks = sorted(ROOT.glob("notebooks/*/*.ipynb")) + sorted(ROOT.glob("solutions/*/*.ipynb"))
    assert len(notebooks) == 2 * len(course.ASSIGNMENTS)
    assert [line for p in notebooks for line in cells_with_outputs(p)] == []


def test_outputs_and_execution_counts_are_named_by_cell(tmp_path, capsys):
    clean = _notebook(tmp_path, "clean.ipynb")
    ran = _notebook(tmp_path, "ran.ipynb", output=True, count=3)
    counted = _notebook(tmp_path, "counted.ipynb", count=1)
    assert cells_with_outputs(clean) == []
    assert cells_with_outputs(ran) == [f"{ran}: cell 2 has outputs and an execution count"]
    assert cells_with_outputs(counted) == [f"{counted}: cell 2 has an execution count"]
    assert main([str(clean)]) == 0
    assert main([str(clean), str(ran)]) == 1
    err = capsys.readouterr().err
    assert "cell 2 has outputs" in err and "Clear Outputs" in err


def test_unreadable_notebooks_are_reported_not_passed(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [')
    listless = tmp_path / "listless.ipynb"
    listless.write_text(json.dumps({"cells": "none"}))
    assert "not a readable notebook" in cells_with_outputs(broken)[0]
    assert "no list of cells" in cells_with_outputs(listless)[0]


def test_bundled_submissions_are_not_checked():
    paths = [
        "examples/submitted/alice/01_dual_numbers/01_dual_numbers.ipynb",
        "notebooks/01_dual_numbers/01_dual_numbers.ipynb",
        "README.md",
    ]
    assert checked(paths) == [Path("notebooks/01_dual_numbers/01_dual_numbers.ipynb")]


def test_three_workflows_pass_actionlint():
    names = sorted(p.name for p in WORKFLOWS.glob("*.yml"))
    assert names == ["book.yml", "students.yml", "test.yml"]
    run = subprocess.run(
        [str(ACTIONLINT), *sorted(map(str, WORKFLOWS.glob("*.yml")))],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path):
    """The check above can fail: an unknown event and an undefined step output are caught."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: pushed\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: echo ${{ steps.nope.outputs.x }}\n"
    )
    run = subprocess.run([str(ACTIONLINT), str(bad)], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode != 0
    assert "pushed" in run.stdout


def test_workflows_pin_action_versions_and_run_the_make_targets():
    for path in WORKFLOWS.glob("*.yml"):
        flow = yaml.safe_load(path.read_text())
        for job in flow["jobs"].values():
            for step in job.get("steps", []):
                if "uses" in step:
                    ref = step["uses"].split("@")[1]
                    assert ref.count(".") >= 2 or len(ref) == 40, f"{path.name}: {step['uses']} is not pinned"
    assert "make test" in (WORKFLOWS / "test.yml").read_text()
    assert "make lint" in (WORKFLOWS / "test.yml").read_text()
    assert "make book" in (WORKFLOWS / "book.yml").read_text()
    assert "autograder publish" in (WORKFLOWS / "students.yml").read_text()


def test_pre_commit_hooks_are_local_and_offline():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    assert [r["repo"] for r in config["repos"]] == ["local"]
    hooks = {h["id"]: h for h in config["repos"][0]["hooks"]}
    assert {"ruff", "ruff-format", "notebooks-without-outputs", "release-in-sync"} <= set(hooks)
    for hook in hooks.values():
        assert hook["entry"].startswith(".venv/bin/"), hook
        assert (ROOT / hook["entry"].split()[0]).exists(), f"{hook['entry']}: not installed by make setup"
    validate = subprocess.run(
        [str(Path(sys.executable).parent / "pre-commit"), "validate-config", ".pre-commit-config.yaml"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr


def test_ci_runs_make_lint():
    assert "make lint" in (ROOT / ".ci" / "run").read_text()


def test_pre_commit_runs_every_hook_offline_on_the_checkout(tmp_path):
    """What CONTRIBUTING.md promises: after `make setup`, every hook passes on every file, with
    nothing fetched (a fresh PRE_COMMIT_HOME, and no remote repositories in the config)."""
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit"), "SKIP": ""}
    run = subprocess.run(
        [str(Path(sys.executable).parent / "pre-commit"), "run", "--all-files", "--show-diff-on-failure"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "Passed" in run.stdout and "Failed" not in run.stdout
