"""Checks: trusted verdicts on the raw records that probes make, in the grader's process.

Each assignment's checks live in `autograder/checks/<module>.py` (the module named in the
course table), one per probe, registered with the probe object itself:

    @check(probes.probe_dloss)
    def check_dloss(results, seed) -> Verdict: ...

A check rebuilds the probe's inputs from the seed, computes reference values (JAX or
PyTorch in float64, or closed forms) and compares. It must treat `results` as hostile data:
anything of a shape or type it does not expect raises `MalformedResult`, which becomes a
failing verdict. Any other exception is a fault of the grader, not of the student, and
becomes a `GraderError` (a `grader_error` row, never a silent 0). A checks module that does
not import is a `GraderError` too.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..probes import MAX_ERROR_TEXT, MIME

if TYPE_CHECKING:
    from ..course import Assignment
    from ..rules import Rule


class GraderError(RuntimeError):
    """The grader itself failed (a checks module, a reference, the sandbox): no verdict."""


@dataclass(frozen=True)
class Verdict:
    passed: bool
    messages: list[str] = field(default_factory=list)

    @staticmethod
    def fail(*messages: str) -> Verdict:
        return Verdict(False, list(messages))


class MalformedResult(ValueError):
    """Raised by checks on results of the wrong shape or type; becomes a failing verdict."""


REGISTRY: dict[str, Callable] = {}


def register(probe, fn: Callable) -> Callable:
    """Register `fn(results, seed) -> Verdict` as the check of `probe` (a Probe)."""
    if probe.name in REGISTRY and REGISTRY[probe.name] is not fn:
        raise ValueError(f"a check for {probe.name} is registered twice")
    REGISTRY[probe.name] = fn
    return fn


def check(probe) -> Callable:
    """Decorator: `@check(probes.probe_dloss)` registers the function as that probe's check."""
    return lambda fn: register(probe, fn)


def load(module: str):
    """Import autograder.checks.<module>; any failure is the grader's (GraderError)."""
    try:
        return importlib.import_module(f"{__name__}.{module}")
    except Exception as exc:  # noqa: BLE001 - a broken checks module must stop grading, loudly
        raise GraderError(
            f"the checks module autograder.checks.{module} does not import: {type(exc).__name__}: {exc}"
        ) from exc


def find_check(probe: str) -> Callable:
    module = probe.split(".", 1)[0]
    load(module)
    fn = REGISTRY.get(probe)
    if fn is None:
        raise GraderError(f"no check is registered for the probe {probe} in autograder.checks.{module}")
    return fn


def check_record(probe: str, record, seed: int) -> Verdict:
    """The check's verdict on one record that claims to come from `probe`.

    A malformed record or result fails; a check that raises anything else is a GraderError."""
    if not isinstance(record, dict) or record.get("probe") != probe or "results" not in record:
        return Verdict.fail(f"the result of {probe} is missing or malformed")
    fn = find_check(probe)
    try:
        verdict = fn(record["results"], seed)
    except MalformedResult as exc:
        return Verdict.fail(f"the result of {probe} is malformed: {exc}")
    except Exception as exc:  # noqa: BLE001
        raise GraderError(f"the check of {probe} failed: {type(exc).__name__}: {exc}") from exc
    if not isinstance(verdict, Verdict):
        raise GraderError(f"the check of {probe} returned {type(verdict).__name__}, not a Verdict")
    return verdict


def rule_violations(assignment: Assignment, test_id: str, record: Any) -> list[tuple[Rule, str]]:
    """(rule, message) for each rule of the answers a test grades that its record breaks."""
    found: list[tuple[Rule, str]] = []
    for answer in assignment.graded_by(test_id):
        for rule in answer.rules:
            found += [(rule, rule.broken(answer.id, v)) for v in rule.runtime_violations(record)]
    return found


def judge_record(probe: str, record, seed: int) -> Verdict:
    """A test's verdict from its record alone: the check, then (if the values are right) the
    rules of the answers it grades, from what ran.

    What the grader decides for a test cell that ran, without the static reading of the
    student's source; used by probes outside the grader and by the tests."""
    from .. import course

    verdict = check_record(probe, record, seed)
    module, _, short = probe.partition(".")
    for a in course.COURSE:
        if verdict.passed and a.module == module and any(t.id == f"test_{short}" for t in a.tests):
            broken = rule_violations(a, f"test_{short}", record)
            if broken:
                return Verdict.fail(*[m for _, m in broken])
    return verdict


def _plain_json(data):
    """Plain dicts and lists (not NotebookNode subclasses), so checks can test exact types."""
    return json.loads(json.dumps(data))


def records_in(outputs) -> list:
    """The probe records among one cell's outputs (display_data / execute_result)."""
    found = []
    for out in outputs or []:
        if not isinstance(out, dict) or out.get("output_type") not in ("display_data", "execute_result"):
            continue
        data = out.get("data")
        if isinstance(data, dict) and MIME in data:
            try:
                found.append(_plain_json(data[MIME]))
            except (TypeError, ValueError):
                found.append(None)
    return found


def record_of_cell(outputs) -> tuple[dict | None, str | None]:
    """(the one probe record of an executed test cell, None) or (None, why there is none)."""
    records = records_in(outputs)
    if not records:
        return None, "this test did not record a result: it raised an error or did not run"
    if len(records) > 1:
        return None, f"this test recorded {len(records)} results instead of one"
    return records[0], None


def error_text(outputs) -> str | None:
    """'SomeError: message' of the first error among a cell's outputs (cut short), or None."""
    for out in outputs or []:
        if isinstance(out, dict) and out.get("output_type") == "error":
            text = f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"
            return text[:MAX_ERROR_TEXT]
    return None


def judge_test_cell(
    assignment: Assignment, test_id: str, outputs: Any, seed: int
) -> tuple[bool, list[str], Rule | None]:
    """What a test cell that ran earns, from its outputs alone: (passed, the feedback's
    messages, the rule it broke or None).

    Its one probe record must pass the check, and then the rules of the answers it grades;
    a cell that raised says so first. The grader (grading/verdicts.py) and the practice
    checks in the student's notebook (autograder/practice.py) both decide with this
    function, so a practice check says what the feedback page says."""
    record, problem = record_of_cell(outputs)
    if problem:
        messages, passed = [problem], False
    else:
        verdict = check_record(assignment.probe_name(test_id), record, seed)
        messages, passed = list(verdict.messages), verdict.passed
        if passed:
            broken = rule_violations(assignment, test_id, record)
            if broken:
                return False, [m for _, m in broken], broken[0][0]
    if not passed:
        err = error_text(outputs)
        if err:
            messages.insert(0, f"the test cell raised {err}")
    return passed, messages, None
