"""Generate the example class that `make demo` grades: examples/submitted/<student>/<id>/<id>.ipynb.

    .venv/bin/python examples/make_examples.py          # rewrite examples/submitted/
    .venv/bin/python examples/make_examples.py --check  # exit 1 if it is out of date

Every assignment of the course table (`course.COURSE`) whose notebooks exist gets the same six
students, built from the current release so they follow the notebooks:
- alice: correct everywhere;
- bob: partly wrong: the solution with the plausible mistakes of `MISTAKES` (each a small
  substitution in one answer, checked to apply, with the tests it must fail);
- carol: the unmodified release;
- dave: a notebook that is not valid JSON;
- erin: a cheat that monkeypatches numpy's comparisons on top of the stub;
- frank: correct answers, then an infinite loop after the last answer cell (the demo grades
  with a short `--cell-timeout`, see the Makefile).
A new assignment in the course table needs an entry in `MISTAKES`: the build stops and says so.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from autograder import course  # noqa: E402
from autograder.sample_submissions import release_notebook, solution_answers, solved  # noqa: E402

CHEAT = "\n\nimport numpy\nnumpy.isclose = lambda *a, **k: True\nnumpy.allclose = lambda *a, **k: True\n"


@dataclass(frozen=True)
class Mistake:
    """A plausible wrong answer: `old` replaced by `new`, once, in the solution of `answer`."""

    answer: str
    old: str
    new: str
    why: str


@dataclass(frozen=True)
class PartlyWrong:
    """bob's submission of one assignment: the solution with these mistakes, and every test
    they make it fail (tests/test_examples.py holds the grader to exactly these)."""

    mistakes: tuple[Mistake, ...]
    fails: tuple[str, ...]


# bob's mistakes, per assignment. Each `old` is a piece of the solution in
# solutions/<id>/<id>.py: when a notebook is rewritten, update the string here.
MISTAKES: dict[str, PartlyWrong] = {
    "01_dual_numbers": PartlyWrong(
        (
            Mistake(
                "dual_class",
                "return Dual(other / self.value, -other * self.derivative / self.value ** 2)",
                "return other / self.value  # forgot the derivative",
                "number / Dual returns a plain number (__rtruediv__ forgets the derivative)",
            ),
            Mistake(
                "dual_class",
                "-np.sin(self.value) * self.derivative",
                "np.sin(self.value) * self.derivative",
                "d/dx cos x taken as +sin x",
            ),
        ),
        ("test_dual_mul_div", "test_dual_functions", "test_dual_compositions", "test_derivative_helper"),
    ),
    "02_euler_rk4": PartlyWrong(
        (
            Mistake(
                "dloss",
                "2 * np.mean((Q - Qhat) * dQ)",
                "np.mean((Q - Qhat) * dQ)",
                "half the gradient: the factor 2 of d/dQ (Q - Qhat)**2 forgotten",
            ),
        ),
        ("test_dloss",),
    ),
    "03_pytorch": PartlyWrong(
        (
            Mistake(
                "var_class",
                "self.grad += other.value * out.grad",
                "self.grad = other.value * out.grad",
                "a product overwrites .grad instead of adding to it",
            ),
        ),
        ("test_var_reuse", "test_var_deep_graphs"),
    ),
    "04_jax": PartlyWrong(
        (
            Mistake("nth_derivative", "for _ in range(n):", "for _ in range(n - 1):", "one jax.grad too few"),
            Mistake(
                "gaussian_mle",
                "return mu, float(np.exp(log_sigma))",
                "return mu, float(log_sigma)",
                "returns log sigma instead of sigma",
            ),
        ),
        ("test_nth_derivative", "test_fit_gaussian"),
    ),
    "05_mlp_logistic": PartlyWrong(
        (
            Mistake(
                "nll_loss",
                "return -jnp.sum(",
                "return -jnp.mean(",
                "the mean over the examples instead of the sum",
            ),
        ),
        ("test_nll_loss",),
    ),
    "06_jacobians_hessians": PartlyWrong(
        (
            Mistake(
                "jac_from_jvp",
                "jax.vmap(column, out_axes=1)",
                "jax.vmap(column)",
                "the jvp columns stacked as rows: the transposed Jacobian",
            ),
        ),
        ("test_jac_from_jvp",),
    ),
    "07_ad_in_practice": PartlyWrong(
        (
            Mistake(
                "stable_log_sigmoid",
                "jnp.log1p(jnp.exp(-jnp.abs(x)))",
                "jnp.log(1 + jnp.exp(-jnp.abs(x)))",
                "log(1 + tiny) instead of log1p: log sigmoid of a large x rounds to 0",
            ),
            Mistake(
                "fixed_point",
                "return pull_a(w)[0], jnp.zeros_like(y_star)",
                "return pull_a(y_bar)[0], jnp.zeros_like(y_star)",
                "the gradient through one application of f: the linear solve for w left out",
            ),
        ),
        ("test_stable_log_sigmoid", "test_fixed_point"),
    ),
}


def partly_wrong(aid: str) -> nbformat.NotebookNode:
    """The solution with the assignment's MISTAKES applied, each checked to apply."""
    if aid not in MISTAKES:
        raise SystemExit(
            f"examples/make_examples.py: no partly wrong answer for {aid}: add its plausible "
            f"mistakes to MISTAKES"
        )
    answers = solution_answers(aid)
    changed = {}
    for m in MISTAKES[aid].mistakes:
        source = changed.get(m.answer, answers[m.answer])
        if m.old not in source:
            raise SystemExit(
                f"examples/make_examples.py: the answer {m.answer!r} of {aid} "
                f"(solutions/{aid}/{aid}.py) no longer contains {m.old!r}: "
                f"update its entry in MISTAKES"
            )
        changed[m.answer] = source.replace(m.old, m.new, 1)
    return solved(aid, **changed)


HANG_CELL_ID = "waiting-for-inspiration"


def with_hang(aid: str):
    nb = solved(aid)
    last_answer = max(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    hang = nbformat.v4.new_code_cell("while True:  # waiting for inspiration\n    pass")
    hang.id = HANG_CELL_ID  # new cells get random ids; the examples must be reproducible
    nb.cells.insert(last_answer + 1, hang)
    return nb


def cheat(aid: str):
    nb = release_notebook(aid)
    first = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    first.source += CHEAT
    return nb


def example_assignments() -> list[str]:
    """Every assignment of the course table whose source and release notebooks exist."""
    return [
        a.id
        for a in course.COURSE
        if course.solution_notebook(a.id).exists() and course.release_notebook(a.id).exists()
    ]


def build(target: Path) -> None:
    for aid in example_assignments():
        students = {
            "alice": solved(aid),
            "bob": partly_wrong(aid),
            "carol": release_notebook(aid),
            "erin": cheat(aid),
            "frank": with_hang(aid),
        }
        for student, nb in students.items():
            folder = target / student / aid
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, folder / f"{aid}.ipynb")
        broken = target / "dave" / aid
        broken.mkdir(parents=True, exist_ok=True)
        text = nbformat.writes(solved(aid))
        (broken / f"{aid}.ipynb").write_text(text[: len(text) // 2])  # cut off mid-file


def _same_tree(a: Path, b: Path) -> bool:
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.diff_files or cmp.funny_files:
        return False
    return all(_same_tree(a / d, b / d) for d in cmp.common_dirs)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true")
    args = p.parse_args(argv)
    target = HERE / "submitted"
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "submitted"
        fresh.mkdir()
        build(fresh)
        if args.check:
            ok = target.exists() and _same_tree(fresh, target)
            print(
                "examples/submitted is up to date"
                if ok
                else "examples/submitted is out of date: run .venv/bin/python examples/make_examples.py"
            )
            return 0 if ok else 1
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(fresh, target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
