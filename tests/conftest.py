"""Shared test setup: keep Jupyter, IPython and Matplotlib out of the home folder and the repo."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="autodiff-tests-"))
for _var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
             "MPLCONFIGDIR", "XDG_CACHE_HOME"):
    os.environ[_var] = str(_TMP / _var.lower())
os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
os.environ["MPLBACKEND"] = "Agg"
os.environ["AUTODIFF_NO_PROGRESS"] = "1"
os.environ.pop("AUTODIFF_PROBE_SEED", None)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def released_assignments() -> list[str]:
    """Assignments whose source exists (all six once the course is complete)."""
    from autograder import course
    return [a for a in course.ASSIGNMENTS if course.solution_source(a).exists()]
