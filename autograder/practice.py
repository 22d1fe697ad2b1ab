"""Practice checks: the grader's own probes and checks, in the student's notebook, on public
practice seeds.

The student repository (`python -m autograder publish`) ships a copy of this package named
`autodiff_practice`: the probes and checks as the grader has them, this module, and in
place of the reference modules the values they returned at the practice seeds (replay.py).
A locked cell near the top of every notebook calls `start(assignment)`. From then on, each
time a test cell runs, the test's probe records what the student's code returns on the
inputs of practice seed 1, then 2, then 3, and `checks.judge_test_cell` - the function the
grader decides every test cell with - judges it. What it prints is what the feedback page
would say for that test: the same messages, for the practice inputs instead of the secret ones.

It cannot weaken grading. The grader draws a secret 63-bit seed per student (see
grading/state.py); these seeds are public and small. The grade is still decided in the
grader's own process, after the grader restored this notebook's locked cells. Inside the
grader's sandbox this package does not exist, and `start` does nothing when the grader's
seed variable is set.

What it cannot tell: it does not read the answer cells' source, so a rule broken there
(an `import jax` in `dual_class`, say) shows only on the feedback page; rules broken at run
time are shown. A check that needs a reference value for something the student's code
returned (not only for the practice inputs) says it cannot tell. And passing on three
practice seeds is evidence, not a proof, that the grader's inputs pass too.
"""

from __future__ import annotations

import importlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import course, replay
from .checks import GraderError, judge_test_cell
from .probes import MIME, SEED_ENV, Probe, json_round_trip

PRACTICE_SEEDS = (1, 2, 3)
DATA = Path(__file__).resolve().parent / "recorded"  # <assignment>.json, written by publish


@dataclass(frozen=True)
class PracticeTest:
    """A test cell as the practice check knows it."""

    id: str
    objects: tuple[str, ...]  # the student's objects its probe takes, by name
    cell: str  # the test cell's source as the release has it


@dataclass
class Outcome:
    test: str
    points: float
    state: str  # passed | failed | forbidden | unknown
    messages: list[str] = field(default_factory=list)
    seeds: tuple[int, ...] = ()  # the seeds it ran on (the last one decided a failure)


def probe_named(name: str) -> Probe:
    """The Probe called `name` ("module.short"), wherever its module keeps it."""
    module = importlib.import_module(f"{__package__}.probes.{name.partition('.')[0]}")
    for value in vars(module).values():
        for candidate in value.values() if isinstance(value, dict) else (value,):
            if isinstance(candidate, Probe) and candidate.name == name:
                return candidate
    raise LookupError(f"no probe named {name} in {module.__name__}")


def error_output(exc: BaseException) -> dict:
    """The output nbclient gives the grader for a cell that raised `exc`."""
    return {"output_type": "error", "ename": type(exc).__name__, "evalue": str(exc), "traceback": []}


def cell_outputs(assignment, test: PracticeTest, namespace: dict, seed: int, error=None) -> list[dict]:
    """The outputs the grader's copy of this test cell would have, run with `seed` in this
    state: the student's error if the visible part raised, else the probe's one record."""
    if error is not None:
        return [error_output(error)]
    missing = [name for name in test.objects if name not in namespace]
    if missing:
        return [error_output(NameError(f"name {missing[0]!r} is not defined"))]
    try:
        probe = probe_named(assignment.probe_name(test.id))
        record = json_round_trip(probe.record(*[namespace[n] for n in test.objects], seed=seed))
    except Exception as exc:  # noqa: BLE001 - the grader's cell would raise it too
        return [error_output(exc)]
    return [{"output_type": "display_data", "metadata": {}, "data": {MIME: record}}]


def judge(assignment, test: PracticeTest, outputs: list[dict], seed: int) -> Outcome:
    """The grader's verdict on these outputs, as an Outcome."""
    points = {t.id: t.points for t in assignment.tests}[test.id]
    try:
        passed, messages, rule = judge_test_cell(assignment, test.id, outputs, seed)
    except GraderError as exc:
        if isinstance(exc.__cause__, replay.NotRecorded):
            return Outcome(
                test.id,
                points,
                "unknown",
                [
                    "this check needs a reference value for something your code returned, and only the "
                    "grader computes those (most often it means the answer is not right yet)"
                ],
                (seed,),
            )
        return Outcome(test.id, points, "unknown", [f"the practice check itself failed: {exc}"], (seed,))
    state = "forbidden" if rule is not None else "passed" if passed else "failed"
    return Outcome(test.id, points, state, messages, (seed,))


def practise(assignment, test: PracticeTest, namespace: dict, seeds=PRACTICE_SEEDS, error=None) -> Outcome:
    """Run one test's probe and check on each practice seed until one does not pass."""
    if error is not None:  # the test cell raised: the grader's copy would record nothing
        outcome = judge(
            assignment, test, cell_outputs(assignment, test, namespace, seeds[0], error), seeds[0]
        )
        outcome.seeds = ()
        return outcome
    tried: list[int] = []
    for seed in seeds:
        tried.append(seed)
        outcome = judge(assignment, test, cell_outputs(assignment, test, namespace, seed), seed)
        if outcome.state != "passed":
            break
    outcome.seeds = tuple(tried)
    return outcome


def _points(x: float) -> str:
    return f"{x:g}"


def _seeds(seeds) -> str:
    words = [str(s) for s in seeds]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe(outcome: Outcome) -> str:
    """What a student reads under the test cell."""
    head = f"Practice check {outcome.test}"
    if outcome.state == "passed":
        return (
            f"{head}: {_points(outcome.points)} / {_points(outcome.points)} points on practice seeds "
            f"{_seeds(outcome.seeds)}."
        )
    seed = outcome.seeds[-1] if outcome.seeds else None
    where = f" on practice seed {seed}" if seed is not None else ""
    if outcome.state == "unknown":
        lines = [f"{head}: cannot tell{where}:"]
    else:
        label = "not graded" if outcome.state == "forbidden" else "failed"
        lines = [
            f"{head}: 0 / {_points(outcome.points)} points ({label}){where}. The feedback page would say:"
        ]
    return "\n".join(lines + [f"  - {m}" for m in outcome.messages])


def _normal(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


class Watcher:
    """An IPython post_run_cell hook: after each run of a test cell, `handle(test, error)`
    with the error the cell raised (None if it did not)."""

    def __init__(self, tests, handle):
        self.by_source = {_normal(t.cell): t for t in tests}
        self.handle = handle

    def __call__(self, result) -> None:
        info = getattr(result, "info", None)
        test = self.by_source.get(_normal(getattr(info, "raw_cell", None) or ""))
        if test is not None:
            self.handle(test, getattr(result, "error_in_exec", None))

    def install(self, shell) -> None:
        for callback in list(shell.events.callbacks.get("post_run_cell", [])):
            if isinstance(callback, Watcher):  # the cell ran again: one watcher at a time
                shell.events.unregister("post_run_cell", callback)
        shell.events.register("post_run_cell", self)


def load(aid: str, folder: Path = DATA) -> tuple[list[PracticeTest], tuple[int, ...]]:
    """The tests of one assignment, and the seeds recorded for it; the recorded reference
    values go to the replay table."""
    data = json.loads((folder / f"{aid}.json").read_text())
    replay.add(data["references"])
    tests = [PracticeTest(t["id"], tuple(t["objects"]), t["cell"]) for t in data["tests"]]
    return tests, tuple(data["seeds"])


def start(aid: str) -> None:
    """What the notebook's practice cell calls: check each test cell from now on."""
    if os.environ.get(SEED_ENV) is not None:  # the grader's sandbox (where this package never is)
        return
    from IPython import get_ipython

    shell = get_ipython()
    try:
        assignment = course.assignment(aid)
        tests, seeds = load(aid)
    except (KeyError, OSError, ValueError) as exc:
        print(f"Practice checks are off: this copy has no practice data for {aid} ({exc}).")
        return
    if shell is None:
        print("Practice checks are off: they run in a Jupyter notebook.")
        return

    def handle(test: PracticeTest, error) -> None:
        try:
            print(describe(practise(assignment, test, shell.user_ns, seeds, error)))
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - never let the practice check break the notebook
            print(
                f"Practice check {test.id}: the practice check itself failed ({type(exc).__name__}: {exc})."
            )

    Watcher(tests, handle).install(shell)
    print(
        f"Practice checks are on: after each test cell, the grader's own checks run on your answer with "
        f"practice seeds {_seeds(seeds)} and print what your feedback page would say. The grader uses other, "
        "secret inputs."
    )
