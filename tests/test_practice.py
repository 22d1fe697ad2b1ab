"""Practice checks: in the student's notebook, the grader's probes and checks on public seeds.

- A wrong answer (bob's plausible mistakes, examples/make_examples.py) run as a student runs
  it, in a kernel, from a notebook folder of a student repository, prints under each test
  cell it fails exactly the messages that the feedback page of the real grader shows for the
  same notebook graded with the same seed.
- A correct answer (alice's) passes every practice check on every practice seed.
- The practice seeds are not the grader's: those are secret 63-bit numbers per submission,
  and the practice checks do nothing where the grader's seed variable is set.
"""

from __future__ import annotations

import html
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import course, practice, practice_cell, practice_package
from autograder.grading import state as grader_state
from autograder.grading.batch import grade_batch
from autograder.grading.template import DEMO_TAG
from autograder.notebook_runner import isolated_jupyter_env, private_kernel_manager
from autograder.probes import SEED_ENV

pytestmark = pytest.mark.slow
ROOT = course.ROOT
AIDS = ("01_dual_numbers", "02_euler_rk4")
EXAMPLES = ROOT / "examples" / "submitted"
sys.path.insert(0, str(ROOT / "examples"))
import make_examples  # noqa: E402


@pytest.fixture(scope="module")
def student_repository(tmp_path_factory) -> Path:
    """The practice package of a student repository, for AIDS, as publish writes it."""
    repo = tmp_path_factory.mktemp("student-repository")
    data = practice_package.record({aid: course.release_notebook(aid) for aid in AIDS}, log=lambda m: None)
    practice_package.write_package(repo / practice_cell.PACKAGE, data)
    return repo


def run_as_a_student(repo: Path, aid: str, student: str) -> dict[str, str]:
    """{test id: what its cell printed} for a student's notebook run top to bottom in a
    kernel started in notebooks/<aid>/ of the student repository (demo cells left out)."""
    from nbclient import NotebookClient

    nb = nbformat.read(EXAMPLES / student / aid / f"{aid}.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if DEMO_TAG not in c.metadata.get("tags", [])]
    work = repo / course.RELEASE_DIR / aid
    work.mkdir(parents=True, exist_ok=True)
    with isolated_jupyter_env() as tmp:
        NotebookClient(
            nb,
            km=private_kernel_manager(tmp / "sockets"),
            timeout=300,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(work)}},
        ).execute()
    printed = {}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        printed[gid] = "".join(
            o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"
        )
    assert "Practice checks are on" in printed[practice_cell.GRADE_ID], printed[practice_cell.GRADE_ID]
    return printed


@pytest.fixture(scope="module")
def graded_with_a_practice_seed(tmp_path_factory):
    """bob's notebooks graded by the real grader, its secret seed replaced by practice seed 1:
    ({assignment: {test id: TestResult}}, the feedback pages' folder)."""
    submitted = tmp_path_factory.mktemp("submitted")
    for aid in AIDS:
        shutil.copytree(EXAMPLES / "bob" / aid, submitted / "bob" / aid)
    out = tmp_path_factory.mktemp("grades")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(grader_state.GraderState, "seed", lambda self, student, aid: practice.PRACTICE_SEEDS[0])
        rows, code = grade_batch(submitted, out, jobs=2, progress=False, log=lambda *a: None)
    assert code == 0
    return {r.assignment: {t.grade_id: t for t in r.tests} for r in rows}, out / "feedback" / "bob"


@pytest.mark.parametrize("aid", AIDS)
def test_a_wrong_answer_shows_the_feedback_pages_messages(
    student_repository, graded_with_a_practice_seed, aid
):
    printed = run_as_a_student(student_repository, aid, "bob")
    tests, feedback = graded_with_a_practice_seed
    page = (feedback / f"{aid}.html").read_text()
    fails = make_examples.MISTAKES[aid].fails
    assert fails
    for tid in fails:
        graded = tests[aid][tid]
        assert graded.state == "failed" and graded.messages, (tid, graded)
        for message in graded.messages:
            assert message in html.unescape(page), message
        # the head names the practice seed, unless the visible part of the test cell raised
        head = f"Practice check {tid}: 0 / {graded.max_score:g} points (failed)"
        expected = "The feedback page would say:\n" + "\n".join(f"  - {m}" for m in graded.messages) + "\n"
        assert re.search(
            re.escape(head) + r"( on practice seed \d+)?\. " + re.escape(expected), printed[tid]
        ), f"{tid}\npractice check:\n{printed[tid]}\nfeedback page:\n{expected}"
    for tid, result in tests[aid].items():
        if tid not in fails:
            assert result.state == "passed"
            assert f"Practice check {tid}: {result.max_score:g} / {result.max_score:g} points" in printed[tid]


@pytest.mark.parametrize("aid", AIDS)
def test_a_correct_answer_passes_every_practice_check(student_repository, aid):
    printed = run_as_a_student(student_repository, aid, "alice")
    for test in course.assignment(aid).tests:
        assert (
            f"Practice check {test.id}: {test.points:g} / {test.points:g} points on practice seeds 1, 2 and 3."
            in printed[test.id]
        ), printed[test.id]


def test_the_practice_seeds_are_not_the_graders(tmp_path, monkeypatch, capsys):
    state = grader_state.GraderState(tmp_path / ".state")
    seeds = {state.seed(f"student{i}", aid) for i in range(200) for aid in course.ASSIGNMENTS}
    assert len(seeds) == 200 * len(course.ASSIGNMENTS)
    assert not seeds & set(practice.PRACTICE_SEEDS)
    assert min(seeds) > 2**32 > max(practice.PRACTICE_SEEDS)
    # inside the grader's sandbox (its seed variable set) the practice checks stay off
    monkeypatch.setenv(SEED_ENV, "12345")
    practice.start(AIDS[0])
    assert capsys.readouterr().out == ""


def test_the_practice_cell_is_locked_in_every_notebook_and_silent_without_the_package():
    for aid in course.ASSIGNMENTS:
        nb = nbformat.read(course.solution_notebook(aid), as_version=4)
        cells = [c for c in nb.cells if c.get("id") == practice_cell.GRADE_ID]
        assert len(cells) == 1 and cells[0].metadata["nbgrader"]["locked"], aid
        assert cells[0].source == practice_cell.source(aid)
    namespace: dict = {}
    source = practice_cell.source(AIDS[0]).replace(practice_cell.PACKAGE, "no_such_package_here")
    exec(compile(source, "practice cell", "exec"), namespace)  # an ImportError is caught and explained


def test_the_vendored_files_import_nothing_left_behind():
    """Every relative import of a vendored file names a vendored module (or the replayed
    reference package), so the practice package imports in a student repository."""
    import ast

    here = course.ROOT / "autograder"
    files = practice_package.vendored_files()
    vendored = {".".join(rel.with_suffix("").parts).removesuffix(".__init__") for rel in files}

    def importable(name: str) -> bool:
        return name in vendored or name == "reference" or name.startswith("reference.")

    missing = []
    for rel in files:
        package = list(rel.parent.parts)
        for node in ast.walk(ast.parse((here / rel).read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.level):
                continue
            base = package[: len(package) - (node.level - 1)]
            if node.module:
                names = [".".join([*base, node.module])]
            else:  # from . import x: a module of the package, or a name its __init__ defines
                names = [".".join([*base, a.name]) for a in node.names]
                names = [n for n in names if (here / n.replace(".", "/")).with_suffix(".py").exists()]
            missing += [f"{rel} imports {name}" for name in names if not importable(name)]
    assert not missing, missing
