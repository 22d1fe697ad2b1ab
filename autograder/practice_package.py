"""The practice checks' package of the student repository (`autodiff_practice`), built by `publish`.

What it holds, and where each part comes from:

- the grader's own probes and checks, and the modules they need (the course table, the
  rules, the RLC model), copied byte for byte from autograder/ (`VENDORED`), with
  autograder/practice.py (what the notebooks' practice cell calls) and autograder/replay.py;
- `reference/`: in place of each reference module, one whose functions replay the values
  the real one returned at the practice seeds (replay.stub_module_source). No reference
  code ships: for several exercises that code is the answer;
- `recorded/<assignment>.json`: for each test, the student objects its probe takes (read
  from the hidden-test cell: the names, never the cell) and the test cell's source as the
  release has it (how practice.Watcher recognises it); the practice seeds; and the recorded
  reference values.

Recording. Each notebook of the release, with the instructor's answers typed in and its
demo cells left out, runs in a fresh kernel, where after every test cell the practice
checks' own hook (practice.Watcher) records the probe's outputs at each practice seed, in
the state the notebook is in at that point, exactly as it will in a student's notebook.
Then, in this process, every check judges those outputs with replay.Recorder around the
reference modules: the solution must pass every practice check on every seed (or publish
stops), and the same outputs perturbed (every number off by 0.1 %, every call an error)
take the checks down their failure paths, whose reference values are recorded too.
Executed runs are cached by everything they depend on.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import multiprocessing
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

from . import course, practice, practice_cell, replay
from .checks import GraderError, judge_test_cell
from .grading.template import DEMO_TAG
from .probes import MIME
from .sample_submissions import solution_answers

HERE = Path(__file__).resolve().parent
PACKAGE = practice_cell.PACKAGE
# Copied as they are, relative to autograder/ (folders: their *.py files).
VENDORED = (
    "practice.py",
    "replay.py",
    "course.py",
    "late_policy.py",
    "rules.py",
    "student_source.py",
    "rlc.py",
    "grading/__init__.py",
    "grading/late.py",
    "grading/result.py",
    "probes",
    "checks",
)
REFERENCE_PACKAGE = f"{__package__}.reference"
CELL_TIMEOUT = 300
HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


class PracticeBuildError(RuntimeError):
    pass


# --------------------------------------------------------------------------------------------
# what each test's probe takes
# --------------------------------------------------------------------------------------------


def _hidden_part(source: str) -> str:
    out, inside = [], False
    for line in source.splitlines():
        if line.strip() == HIDDEN[0]:
            inside = True
        elif line.strip() == HIDDEN[1]:
            inside = False
        elif inside:
            out.append(line)
    return "\n".join(out)


def probe_objects(aid: str, root: Path = course.ROOT) -> dict[str, tuple[str, ...]]:
    """{test id: the names of the student objects its hidden test hands the probe}.

    A hidden test ends with one call, `probe_x(obj, ...)` or `probe_group("name", obj)`:
    string constants choose the probe, names are the student's objects. Checked against the
    probe that the course table names for the test."""
    assignment = course.assignment(aid)
    found = {}
    for cell in nbformat.read(course.solution_notebook(aid, root), as_version=4).cells:
        tid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if tid not in {t.id for t in assignment.tests}:
            continue
        where = f"{aid} {tid}"
        try:
            body = ast.parse(_hidden_part(cell.source)).body
        except SyntaxError as exc:
            raise PracticeBuildError(f"{where}: the hidden test does not parse: {exc}") from None
        call = body[-1].value if body and isinstance(body[-1], ast.Expr) else None
        if (
            not isinstance(call, ast.Call)
            or call.keywords
            or not all(
                isinstance(a, ast.Name) or (isinstance(a, ast.Constant) and isinstance(a.value, str))
                for a in call.args
            )
        ):
            raise PracticeBuildError(
                f"{where}: the hidden test must end with a call of its probe on names "
                "(and string constants), e.g. probe_dloss(dloss)"
            )
        names = tuple(a.id for a in call.args if isinstance(a, ast.Name))
        probe = practice.probe_named(assignment.probe_name(tid))
        takes = len(inspect.signature(probe.run).parameters) - 1  # all but the seed
        if len(names) != takes:
            raise PracticeBuildError(
                f"{where}: the hidden test hands {probe.name} {len(names)} object(s), its probe takes {takes}"
            )
        found[tid] = names
    missing = [t.id for t in assignment.tests if t.id not in found]
    if missing:
        raise PracticeBuildError(f"{aid}: no hidden test cell for {missing}")
    return found


def practice_tests(aid: str, release: Path, root: Path = course.ROOT) -> list[practice.PracticeTest]:
    """Each test of `aid`, with its objects and its cell's source in the release notebook."""
    objects = probe_objects(aid, root)
    cells = {
        c.metadata.get("nbgrader", {}).get("grade_id"): c.source
        for c in nbformat.read(release, as_version=4).cells
    }
    return [practice.PracticeTest(t.id, objects[t.id], cells[t.id]) for t in course.assignment(aid).tests]


# --------------------------------------------------------------------------------------------
# recording
# --------------------------------------------------------------------------------------------

_PREAMBLE = """
import json as _practice_json
from IPython import get_ipython as _practice_shell
from {package}.practice import PracticeTest as _PracticeTest, Watcher as _Watcher, cell_outputs as _cell_outputs
from {package}.course import assignment as _assignment
_practice_runs = []
def _practice_record(test, error, _a=_assignment({aid!r})):
    _practice_runs.append({{"test": test.id, "outputs": {{str(s): _cell_outputs(_a, test, _practice_shell().user_ns, s, error)
                                                        for s in {seeds!r}}}}})
_Watcher([_PracticeTest(t["id"], tuple(t["objects"]), t["cell"]) for t in _practice_json.loads({tests!r})],
         _practice_record).install(_practice_shell())
"""
_SAVE = "with open({path!r}, 'w') as _f:\n    _practice_json.dump(_practice_runs, _f)\n"


def recording_notebook(
    aid: str, release: Path, tests, seeds, out_json: Path, root: Path = course.ROOT
) -> nbformat.NotebookNode:
    """The release with the instructor's answers, without demo cells and the practice cell,
    between a cell that starts recording and one that saves the records."""
    nb = nbformat.read(release, as_version=4)
    answers = solution_answers(aid, root)
    cells = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (
            DEMO_TAG in cell.metadata.get("tags", []) or meta.get("grade_id") == practice_cell.GRADE_ID
        ):
            continue
        if meta.get("solution"):
            cell.source = answers[meta["grade_id"]]
        cells.append(cell)
    described = json.dumps([{"id": t.id, "objects": list(t.objects), "cell": t.cell} for t in tests])
    preamble = nbformat.v4.new_code_cell(
        _PREAMBLE.format(package=__package__, aid=aid, seeds=tuple(seeds), tests=described)
    )
    save = nbformat.v4.new_code_cell(_SAVE.format(path=str(out_json)))
    preamble.id, save.id = "practice-recording", "practice-recording-save"
    nb.cells = [preamble, *cells, save]
    return nb


def _execute(nb_json: str, out_json: str) -> list:
    """Run a recording notebook in a fresh kernel (in a worker process); return its records."""
    from .notebook_runner import run_in_fresh_kernel

    nb = nbformat.reads(nb_json, as_version=4)
    run_in_fresh_kernel(nb, timeout=CELL_TIMEOUT)
    return json.loads(Path(out_json).read_text())


def perturbed(outputs: list[dict]) -> list[list[dict]]:
    """The same outputs with wrong results: every number off by 0.1 %, then every call an error."""

    def scaled(data):
        if type(data) in (int, float):
            return data * 1.001 + 1e-3
        if type(data) is list:
            return [scaled(v) for v in data]
        if type(data) is dict and not ({"nonfinite", "unexpected_type"} & set(data)):
            return {k: scaled(v) for k, v in data.items()}
        return data

    def errors(data):
        if type(data) is dict and set(data) == {"ok"}:
            return {"error": "ValueError: a wrong answer"}
        if type(data) is list:
            return [errors(v) for v in data]
        if type(data) is dict:
            return {k: errors(v) for k, v in data.items()}
        return data

    variants = []
    for change in (scaled, errors):
        variant = json.loads(json.dumps(outputs))
        for out in variant:
            record = out.get("data", {}).get(MIME)
            if isinstance(record, dict) and "results" in record:
                record["results"] = change(record["results"])
        variants.append(variant)
    return variants


def record_references(aid: str, tests, runs: list, seeds) -> dict:
    """Judge the solution's outputs (each must pass) and their perturbations with the real
    references, recording every value the checks asked for."""
    assignment = course.assignment(aid)
    by_id = {t.id: t for t in tests}
    not_run = sorted(set(by_id) - {r["test"] for r in runs})
    if not_run:
        raise PracticeBuildError(
            f"{aid}: test cells {not_run} never ran in the recording run (is their source "
            "in the release as it is in the source?)"
        )
    with replay.Recorder(REFERENCE_PACKAGE) as recorder:
        for run in runs:
            for seed in seeds:
                outputs = run["outputs"][str(seed)]
                try:
                    passed, messages, _ = judge_test_cell(assignment, run["test"], outputs, seed)
                except GraderError as exc:
                    raise PracticeBuildError(f"{aid} {run['test']}, practice seed {seed}: {exc}") from exc
                if not passed:
                    raise PracticeBuildError(
                        f"{aid}: the solution fails the practice check {run['test']} on "
                        f"practice seed {seed}: {messages}"
                    )
                for variant in perturbed(outputs):
                    try:
                        judge_test_cell(assignment, run["test"], variant, seed)
                    except GraderError:  # a failure path that cannot be recorded: it will say so
                        pass
    return recorder.values


def _fingerprint(aid: str, release: Path, seeds, root: Path) -> str:
    """Everything a recording depends on."""
    h = hashlib.sha256()
    parts = [
        p
        for name in VENDORED
        for p in sorted((HERE / name).glob("*.py") if (HERE / name).is_dir() else [HERE / name])
    ]
    parts += sorted((HERE / "reference").glob("*.py")) + [
        Path(__file__),
        course.solution_source(aid, root),
        release,
        root / "requirements.txt",
    ]
    for path in parts:
        h.update(path.read_bytes())
        h.update(b"\0")
    h.update(f"{sys.version}\0{tuple(seeds)}".encode())
    return h.hexdigest()[:24]


def assignment_data(aid: str, tests, seeds, references: dict) -> str:
    """recorded/<aid>.json: one reference value per line, so an update is a readable diff."""
    head = {
        "assignment": aid,
        "seeds": list(seeds),
        "tests": [{"id": t.id, "objects": list(t.objects), "cell": t.cell} for t in tests],
    }
    lines = [json.dumps(head, indent=1, sort_keys=True)[:-2] + ",", ' "references": {']
    items = sorted(references.items())
    lines += [
        f"  {json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}{',' if i < len(items) - 1 else ''}"
        for i, (k, v) in enumerate(items)
    ]
    lines += [" }", "}"]
    return "\n".join(lines) + "\n"


def record(
    releases: dict[str, Path],
    seeds=practice.PRACTICE_SEEDS,
    jobs: int = 2,
    cache: Path | None = None,
    root: Path = course.ROOT,
    log=print,
) -> dict[str, str]:
    """{assignment: the text of recorded/<assignment>.json} for each release notebook."""
    texts, todo = {}, {}
    tests = {aid: practice_tests(aid, path, root) for aid, path in releases.items()}
    for aid, path in releases.items():
        cached = cache / f"{aid}-{_fingerprint(aid, path, seeds, root)}.json" if cache else None
        if cached and cached.exists():
            texts[aid] = cached.read_text()
            log(f"publish: {aid} practice values: cached")
        else:
            todo[aid] = cached
    if todo:
        spawn = multiprocessing.get_context("spawn")  # the parent may hold JAX's threads: no fork
        with (
            tempfile.TemporaryDirectory(prefix="autodiff-practice-") as tmp,
            ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=spawn) as pool,
        ):
            futures = {}
            for aid in todo:
                out_json = Path(tmp) / f"{aid}.json"
                nb = recording_notebook(aid, releases[aid], tests[aid], seeds, out_json, root)
                futures[aid] = pool.submit(_execute, nbformat.writes(nb), str(out_json))
            for aid, future in futures.items():
                try:
                    runs = future.result()
                except Exception as exc:  # nbclient's CellExecutionError names the cell
                    raise PracticeBuildError(
                        f"the recording run of {aid} failed:\n{str(exc)[-3000:]}"
                    ) from exc
                texts[aid] = assignment_data(
                    aid, tests[aid], seeds, record_references(aid, tests[aid], runs, seeds)
                )
                log(f"publish: {aid} practice values: recorded")
                cached = todo[aid]
                if cached:
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    for old in cached.parent.glob(f"{aid}-*.json"):
                        old.unlink()
                    cached.write_text(texts[aid])
    return texts


# --------------------------------------------------------------------------------------------
# the package
# --------------------------------------------------------------------------------------------

INIT = '''"""Practice checks for the course notebooks: the grader's own probes and checks, run in your
notebook on public practice seeds (see "Practice checks" in the README).

The notebooks' practice cell calls `start(assignment)`. Generated by `python -m autograder
publish` from the course's grader; the reference values are recorded, not computed here.
"""
from .practice import PRACTICE_SEEDS, start

__all__ = ["PRACTICE_SEEDS", "start"]
'''


def vendored_files() -> list[Path]:
    """The files copied from autograder/, relative to it."""
    files = []
    for name in VENDORED:
        path = HERE / name
        files += sorted(p.relative_to(HERE) for p in path.glob("*.py")) if path.is_dir() else [Path(name)]
    return files


def write_package(dest: Path, data_texts: dict[str, str]) -> None:
    """Write the package into `dest` (a new folder)."""
    for rel in vendored_files():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(HERE / rel, dest / rel)
    (dest / "__init__.py").write_text(INIT)
    reference = dest / "reference"
    reference.mkdir()
    (reference / "__init__.py").write_text(
        '"""Replayed reference values (see replay.py); no reference code."""\n'
    )
    for module in replay.reference_modules(REFERENCE_PACKAGE):
        (reference / f"{module.__name__.rpartition('.')[2]}.py").write_text(replay.stub_module_source(module))
    recorded = dest / "recorded"
    recorded.mkdir()
    for aid, text in data_texts.items():
        (recorded / f"{aid}.json").write_text(text)
