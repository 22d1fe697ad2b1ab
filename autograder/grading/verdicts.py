"""Score each test cell from what the sandbox recorded, in the grader's own process.

A test earns its points only if it ran, it was not cut short by a hang or a crash, its one
probe record passes the trusted check against reference values, and the answers it grades
obey their rules (autograder.rules): in their source, read before anything ran, and in what
the record shows ran. Everything else scores 0 with a reason. A fault of the grader itself
(a checks module that does not import, a check that raises) is not a verdict: it raises
GraderError, and the submission gets no score but `grader_error`.
"""

from __future__ import annotations

from ..checks import judge_test_cell
from ..course import Assignment
from ..rules import Rule
from .execute import Execution
from .result import TestResult
from .template import Template, grade_id


def static_violations(
    assignment: Assignment, answer_copies: dict[str, list[str]], other_sources: dict[str, list[str]]
) -> dict[str, list[tuple[Rule, str]]]:
    """{answer id: [(rule, message)]} for answers whose own source breaks one of their rules.

    `answer_copies[a]` holds every copy of answer cell a the student wrote (a duplicated
    cell counts: an earlier copy runs too); `other_sources[a]` the other code cells."""
    found = {}
    for answer in assignment.answers:
        copies = answer_copies.get(answer.id, [])
        broken = [
            (rule, rule.broken(answer.id, v))
            for rule in answer.rules
            for v in rule.static_violations(copies, other_sources.get(answer.id, []))
        ]
        if broken:
            found[answer.id] = broken
    return found


def grade_tests(
    template: Template,
    assignment: Assignment,
    execution: Execution | None,
    seed: int,
    static: dict[str, list[tuple[Rule, str]]],
) -> list[tuple[TestResult, Rule | None]]:
    """(TestResult, the rule it broke or None) per test cell of the template, in source order."""
    positions: dict[str, int] = {}
    results: list[tuple[TestResult, Rule | None]] = []
    if execution is not None:
        for i, cell in enumerate(execution.nb.cells):
            gid = grade_id(cell)
            if gid in template.points and gid not in positions:
                positions[gid] = i
    executed = set(execution.executed) if execution else set()

    for gid, points in template.points.items():
        graded = assignment.graded_by(gid)
        broken = [b for a in graded for b in static.get(a.id, [])]
        if broken:
            results.append((TestResult(gid, 0.0, points, "forbidden", [m for _, m in broken]), broken[0][0]))
            continue
        index = positions.get(gid)
        if execution is None or index is None or index not in executed:
            why = "this test did not run"
            if (
                execution is not None
                and execution.stopped_at is not None
                and (index is None or index >= execution.stopped_at)
            ):
                why += f": {execution.message}"
            results.append((TestResult(gid, 0.0, points, "not_run", [why]), None))
            continue
        passed, messages, rule = judge_test_cell(
            assignment, gid, execution.nb.cells[index].get("outputs", []), seed
        )
        state = "forbidden" if rule is not None else "passed" if passed else "failed"
        results.append((TestResult(gid, points if passed else 0.0, points, state, messages), rule))
    return _whole_answers(assignment, results)


def _whole_answers(
    assignment: Assignment, results: list[tuple[TestResult, Rule | None]]
) -> list[tuple[TestResult, Rule | None]]:
    """An answer that broke a rule in any of its tests earns nothing in all of them."""
    broken: dict[str, tuple[Rule, list[str]]] = {}
    for test, rule in results:
        if rule is not None:
            for answer in assignment.graded_by(test.grade_id):
                if rule in answer.rules:
                    broken.setdefault(answer.id, (rule, test.messages))
    out = []
    for test, rule in results:
        hit = next((broken[a.id] for a in assignment.graded_by(test.grade_id) if a.id in broken), None)
        if rule is None and hit is not None:
            test = TestResult(test.grade_id, 0.0, test.max_score, "forbidden", list(hit[1]))
            rule = hit[0]
        out.append((test, rule))
    return out
