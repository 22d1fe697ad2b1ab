"""Facts about the course that the rest of the package relies on, each stated once."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COURSE_ID = "autodiff"
# The public GitHub repository that the Colab badges open. Change it here and run
# `python -m autograder release`; nothing else names it.
REPOSITORY = "autodiff-course/autodiff-from-dual-numbers-to-jax"
BRANCH = "main"

ASSIGNMENTS = (
    "01_dual_numbers",
    "02_euler_rk4",
    "03_pytorch",
    "04_jax",
    "05_mlp_logistic",
    "06_jacobians_hessians",
)

# Libraries that would do the differentiation for the student. Importing one of them
# in these answer cells earns nothing for the tests of that exercise.
FORBIDDEN_MODULES = ("jax", "torch", "autograd", "tensorflow", "sympy")
FORBIDDEN_IN_ANSWERS = {
    "01_dual_numbers": ("dual_class",),
    "02_euler_rk4": ("dloss",),
}

# What a fresh Colab runtime lacks; pinned from requirements.txt.
COLAB_MISSING = ("jupyterquiz",)

SOLUTIONS_DIR = "solutions"
RELEASE_DIR = "notebooks"


def solution_source(aid: str, root: Path = ROOT) -> Path:
    """The jupytext percent-format file that is the one source of truth for a notebook."""
    return root / SOLUTIONS_DIR / aid / f"{aid}.py"


def solution_notebook(aid: str, root: Path = ROOT) -> Path:
    return root / SOLUTIONS_DIR / aid / f"{aid}.ipynb"


def release_notebook(aid: str, root: Path = ROOT) -> Path:
    return root / RELEASE_DIR / aid / f"{aid}.ipynb"


def colab_url(aid: str) -> str:
    return (f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/"
            f"{RELEASE_DIR}/{aid}/{aid}.ipynb")


def binder_url(aid: str | None = None) -> str:
    url = f"https://mybinder.org/v2/gh/{REPOSITORY}/{BRANCH}"
    if aid:
        url += f"?labpath={RELEASE_DIR}%2F{aid}%2F{aid}.ipynb"
    return url


_PIN = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;#]+)")


def pinned_requirements(path: Path | None = None) -> dict[str, str]:
    """{name: version} for every `name==version` line of a requirements file (lower-case names)."""
    path = path or ROOT / "requirements.txt"
    pins = {}
    for line in path.read_text().splitlines():
        m = _PIN.match(line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def colab_install_specs() -> list[str]:
    pins = pinned_requirements()
    return [f"{name}=={pins[name.lower()]}" for name in COLAB_MISSING]
