"""Score each test cell from what the sandbox recorded, in the grader's own process.

A test earns its points only if it ran, it was not cut short by a hang or a crash, the
answers it grades use no forbidden library, and its single probe record passes the trusted
check against reference values. Everything else scores 0 with a reason.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..checks import TestSpec, Verdict, tests_for, verdict_for_cell
from .execute import Execution
from .template import Template, nbgrader_meta

MAX_ERROR_TEXT = 300


@dataclass
class CellVerdict:
    grade_id: str
    score: float
    max_score: float
    state: str                     # passed | failed | not_run | forbidden
    messages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _error_text(outputs) -> str | None:
    for out in outputs or []:
        if out.get("output_type") == "error":
            text = f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"
            return text[:MAX_ERROR_TEXT]
    return None


def grade_tests(template: Template, execution: Execution | None, seed: int,
                forbidden: dict[str, list[str]]) -> list[CellVerdict]:
    """One CellVerdict per test cell of the template, in source order."""
    specs = tests_for(template.assignment)
    positions = {}
    if execution is not None:
        for i, cell in enumerate(execution.nb.cells):
            gid = nbgrader_meta(cell).get("grade_id")
            if gid in template.points and gid not in positions:
                positions[gid] = i
    executed = set(execution.executed) if execution else set()

    results = []
    for gid, points in template.points.items():
        spec: TestSpec | None = specs.get(gid)
        if spec is None:
            results.append(CellVerdict(gid, 0.0, points, "failed", ["internal: no check is registered for this test"]))
            continue
        banned = sorted({m for a in spec.answers for m in forbidden.get(a, [])})
        if banned:
            results.append(CellVerdict(gid, 0.0, points, "forbidden", [
                f"the answer this test grades imports {', '.join(banned)}; this exercise must compute "
                "derivatives without AD or CAS libraries"]))
            continue
        index = positions.get(gid)
        if execution is None or index is None or index not in executed:
            why = "this test did not run"
            if execution is not None and execution.stopped_at is not None and (index is None or index >= execution.stopped_at):
                why += f": {execution.message}"
            results.append(CellVerdict(gid, 0.0, points, "not_run", [why]))
            continue
        outputs = execution.nb.cells[index].get("outputs", [])
        verdict: Verdict = verdict_for_cell(spec, outputs, seed)
        messages = list(verdict.messages)
        if not verdict.passed:
            err = _error_text(outputs)
            if err:
                messages.insert(0, f"the test cell raised {err}")
        results.append(CellVerdict(gid, points if verdict.passed else 0.0, points,
                                   "passed" if verdict.passed else "failed", messages))
    return results
