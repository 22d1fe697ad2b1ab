"""Shared test setup.

- Jupyter, IPython and Matplotlib write to a temporary folder, never to the home folder.
- At the end of the session the suite fails if it left files in the repository or the home
  folder's Jupyter/IPython/Matplotlib folders.
- Graders started by different pytest-xdist workers (or anything else on this host) lease
  different sandbox uids (autograder/grading/slots.py): nothing to configure here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.notebook_runner import ISOLATED_VARS

sys.dont_write_bytecode = True

_TMP = Path(tempfile.mkdtemp(prefix="autodiff-tests-"))
for _var in ISOLATED_VARS:
    os.environ[_var] = str(_TMP / _var.lower())
os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = str(_TMP / "hypothesis")
# the linters that test_maintenance runs on the checkout keep their caches here, not in it
os.environ["RUFF_CACHE_DIR"] = str(_TMP / "ruff")
os.environ["MYPY_CACHE_DIR"] = str(_TMP / "mypy")
os.environ["MPLBACKEND"] = "Agg"
os.environ["AUTODIFF_NO_PROGRESS"] = "1"
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
os.environ.pop("AUTODIFF_PROBE_SEED", None)
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

settings.register_profile("course", database=None, deadline=None)
settings.load_profile("course")

ROOT = Path(__file__).resolve().parent.parent
HOME_PLACES = [".jupyter", ".ipython", ".local/share/jupyter", ".cache/matplotlib", ".config/matplotlib"]


def released_assignments() -> list[str]:
    """Assignments whose source exists (all six once the course is complete)."""
    from autograder import course

    return [a for a in course.ASSIGNMENTS if course.solution_source(a).exists()]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def graded_examples(tmp_path_factory):
    """examples/submitted graded once per session, with a 30 s cell timeout: frank's hanging
    cell waits that long in each assignment (the default, 60 s, would double it), and a correct
    notebook's slowest cell, about 4 s on a quiet machine (benchmarks/README.md), still has room
    on one busy with the rest of the suite. ({(student, assignment): GradeResult}, exit code,
    the output folder)."""
    from autograder.grading.batch import grade_batch
    from autograder.grading.sandbox import Limits

    out = tmp_path_factory.mktemp("example-grades")
    rows, code = grade_batch(
        ROOT / "examples" / "submitted",
        out,
        jobs=2,
        limits=Limits(cell_timeout=30.0),
        progress=False,
        log=lambda *a: None,
    )
    return {(r.student_id, r.assignment): r for r in rows}, code, out


def _repo_files() -> set[str]:
    out = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    return {
        line[3:]
        for line in out.splitlines()
        if not line[3:].startswith((".venv/", ".venv-oldest/", "adcourse_autograder.egg-info/"))
    }


def _home_state() -> dict[str, float]:
    home = Path.home()
    state = {}
    for place in HOME_PLACES:
        p = home / place
        if p.exists():
            state[place] = max((f.stat().st_mtime for f in p.rglob("*")), default=p.stat().st_mtime)
    return state


def pytest_sessionstart(session):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    session.config._autodiff_before = (_repo_files(), _home_state())


def pytest_sessionfinish(session, exitstatus):
    before = getattr(session.config, "_autodiff_before", None)
    if before is None:
        return
    new_files = sorted(_repo_files() - before[0])
    home_after = _home_state()
    touched = sorted(k for k, v in home_after.items() if before[1].get(k) != v)
    if new_files or touched:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        msg = "the test suite left files behind: " + ", ".join(new_files[:10] + [f"~/{t}" for t in touched])
        if reporter:
            reporter.write_line(msg, red=True)
        session.exitstatus = 1
