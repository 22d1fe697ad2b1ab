"""The README's table of notebooks with their Colab and Binder badges, generated from course.py.

`python -m autograder release` refreshes the block between the two markers, so the repository
address stays in one place (course.REPOSITORY) and a test proves the README follows it.
"""
from __future__ import annotations

from pathlib import Path

from . import course

START, END = "<!-- notebooks:start -->", "<!-- notebooks:end -->"
TITLES = {
    "01_dual_numbers": "Dual numbers: finite differences, symbolic, and forward-mode AD by hand",
    "02_euler_rk4": "Euler and RK4: fitting an RLC circuit with dual numbers through the solver",
    "03_pytorch": "Reverse mode: a tape of your own, then PyTorch autograd",
    "04_jax": "JAX: grad, pytrees, jit, vmap, lax.scan, maximum likelihood",
    "05_mlp_logistic": "A small MLP and logistic regression, with gradient checking",
    "06_jacobians_hessians": "Jacobians and Hessians: jvp, vjp, Newton, forward against reverse cost",
}
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"


def notebook_table() -> str:
    lines = [START, "", "| # | notebook | open |", "|---|---|---|"]
    for n, aid in enumerate(course.ASSIGNMENTS, 1):
        path = f"{course.RELEASE_DIR}/{aid}/{aid}.ipynb"
        lines.append(f"| {n} | [{TITLES[aid]}]({path}) | "
                     f"[![Open In Colab]({COLAB_BADGE})]({course.colab_url(aid)}) "
                     f"[![Binder]({BINDER_BADGE})]({course.binder_url(aid)}) |")
    lines += ["", f"[![Binder]({BINDER_BADGE})]({course.binder_url()}) opens the whole course in JupyterLab.",
              "", END]
    return "\n".join(lines)


def refresh(readme: Path = course.ROOT / "README.md") -> bool:
    """Rewrite the generated block; return True if the file changed."""
    text = readme.read_text()
    if START not in text or END not in text:
        raise ValueError(f"{readme} lacks the {START} ... {END} markers")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = head + notebook_table() + tail
    if new != text:
        readme.write_text(new)
        return True
    return False


def in_sync(readme: Path = course.ROOT / "README.md") -> bool:
    text = readme.read_text()
    return notebook_table() in text
