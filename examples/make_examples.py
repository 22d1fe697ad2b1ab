"""Generate the example class that `make demo` grades: examples/submitted/<student>/<id>/<id>.ipynb.

    .venv/bin/python examples/make_examples.py          # rewrite examples/submitted/
    .venv/bin/python examples/make_examples.py --check  # exit 1 if it is out of date

The students, built from the current release so they follow the notebooks:
- alice: correct everywhere;
- bob: partly wrong (a classic dual-number bug; dloss without the factor 2);
- carol: the unmodified release;
- dave: a notebook that is not valid JSON;
- erin: a cheat that monkeypatches numpy's comparisons on top of the stub;
- frank: a correct answer followed by an infinite loop.
"""
from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from autograder import course  # noqa: E402
from autograder.sample_submissions import release_notebook, solution_answers, solved  # noqa: E402

CHEAT = "\n\nimport numpy\nnumpy.isclose = lambda *a, **k: True\nnumpy.allclose = lambda *a, **k: True\n"


def _replace_once(text: str, old: str, new: str) -> str:
    if old not in text:
        raise ValueError(f"the solution no longer contains {old!r}: update examples/make_examples.py")
    return text.replace(old, new, 1)


def partly_wrong(aid: str):
    answers = solution_answers(aid)
    if aid == "01_dual_numbers":
        src = _replace_once(answers["dual_class"],
                            "return Dual(other / self.value, -other * self.derivative / self.value ** 2)",
                            "return other / self.value  # forgot the derivative")
        src = _replace_once(src, "-np.sin(self.value) * self.derivative", "np.sin(self.value) * self.derivative")
        return solved(aid, dual_class=src)
    if aid == "02_euler_rk4":
        src = _replace_once(answers["dloss"], "2 * np.mean((Q - Qhat) * dQ)", "np.mean((Q - Qhat) * dQ)")
        return solved(aid, dloss=src)
    return None


def with_hang(aid: str):
    nb = solved(aid)
    last_answer = max(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    hang = nbformat.v4.new_code_cell("while True:  # waiting for inspiration\n    pass")
    hang.id = "waiting-for-inspiration"  # new cells get random ids; the examples must be reproducible
    nb.cells.insert(last_answer + 1, hang)
    return nb


def cheat(aid: str):
    nb = release_notebook(aid)
    first = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    first.source += CHEAT
    return nb


EXAMPLE_IDS = ("01_dual_numbers", "02_euler_rk4")


def build(target: Path) -> None:
    for aid in EXAMPLE_IDS:
        if not (course.solution_notebook(aid).exists() and course.release_notebook(aid).exists()):
            continue
        students = {"alice": solved(aid), "bob": partly_wrong(aid), "carol": release_notebook(aid),
                    "erin": cheat(aid), "frank": with_hang(aid)}
        for student, nb in students.items():
            if nb is None:
                continue
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
            print("examples/submitted is up to date" if ok else
                  "examples/submitted is out of date: run .venv/bin/python examples/make_examples.py")
            return 0 if ok else 1
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(fresh, target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
