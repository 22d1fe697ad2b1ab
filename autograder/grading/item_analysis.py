"""Item analysis of a graded class: what the class report (class_report.py) shows, as data.

Per assignment: the scores, and each status with the students who got it. Per test:
- the pass rate and the mean points;
- the discrimination: the point-biserial correlation between passing the test (1 or 0) and
  the rest of the assignment's score (the test's own points left out, so a test does not
  correlate with itself). Near +1: the strong students pass it and the weak ones fail it;
  near 0: passing it says nothing about the rest; negative: the weak students pass it more
  often than the strong ones (a test worth a second look). `None` where it is undefined:
  everyone passed, everyone failed, or the rest of the score is the same for everyone;
- the most frequent failure messages: each failed test's headline (its first message: the
  error its cell raised, or the check's first finding), one per student, with messages that
  differ only in their numbers grouped together (each number becomes `#`; one real message
  is kept as the group's example). Our verdicts name the misconception ("it is half the
  gradient ...", "check __rtruediv__"), so the groups say what to teach again.

Every submission of an assignment counts, including those that did not run (they score 0 on
every test), except rows for folders that are not an assignment of the course.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass

from .. import course
from .result import GradeResult, TestResult

PLACEHOLDER = "#"
_NUMBER = re.compile(
    r"(?<![\w.])[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?!\w)"
    r"|(?<![\w.])[-+]?(?:inf|nan)(?!\w)"
)
_RUN = re.compile(rf"{PLACEHOLDER}(?:(?:\s*,\s*|\s+){PLACEHOLDER})+")
STATE_LABELS = {"passed": "passed", "failed": "failed", "not_run": "did not run", "forbidden": "not graded"}


def normalise_message(message: str) -> str:
    """The message with every number replaced by `#`, and a run of numbers ("[1.0, 2.5, 3]",
    "[1. 2. 3.]") by one `#, …`, so messages that differ only in numbers compare equal."""
    text = _NUMBER.sub(PLACEHOLDER, " ".join(message.split()))
    return _RUN.sub(f"{PLACEHOLDER}, …", text)


def point_biserial(passed: list[bool], rest: list[float]) -> float | None:
    """Pearson's correlation of a 0/1 outcome with a score; None where it is undefined."""
    n = len(passed)
    if n != len(rest) or n < 2:
        return None
    x = [1.0 if p else 0.0 for p in passed]
    mx, my = sum(x) / n, sum(rest) / n
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in rest)
    if sxx == 0 or syy <= 1e-12 * max(1.0, my * my) * n:
        return None
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, rest))
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


@dataclass(frozen=True)
class MessageGroup:
    pattern: str  # the normalised message
    example: str  # one message as a student got it
    students: tuple[str, ...]  # who got it (each once)
    variants: int = 1  # distinct messages in the group (they differ in numbers)

    @property
    def count(self) -> int:
        return len(self.students)


@dataclass(frozen=True)
class TestStats:
    __test__ = False  # not a pytest class
    test: str
    points: float
    submissions: int
    passed: int
    mean_points: float
    discrimination: float | None
    failures: tuple[MessageGroup, ...]  # most frequent first

    @property
    def pass_rate(self) -> float:
        return self.passed / self.submissions if self.submissions else 0.0


@dataclass(frozen=True)
class StatusGroup:
    status: str
    students: tuple[str, ...]


@dataclass(frozen=True)
class AssignmentStats:
    assignment: str
    title: str
    max_score: float
    scores: tuple[float, ...]  # one per submission, in student order
    statuses: tuple[StatusGroup, ...]  # ok first, then by status
    tests: tuple[TestStats, ...]  # in the order of the course table

    @property
    def submissions(self) -> int:
        return len(self.scores)

    @property
    def mean(self) -> float:
        return sum(self.scores) / len(self.scores) if self.scores else 0.0

    @property
    def median(self) -> float:
        s = sorted(self.scores)
        n = len(s)
        if not n:
            return 0.0
        return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def failure_groups(failures: list[tuple[str, str]]) -> tuple[MessageGroup, ...]:
    """Group (student, message) pairs by normalised message, most students first."""
    seen: dict[str, dict[str, None]] = defaultdict(dict)  # key -> its distinct messages, in order
    students: dict[str, list[str]] = defaultdict(list)
    for student, message in failures:
        key = normalise_message(message)
        seen[key].setdefault(message)
        if student not in students[key]:
            students[key].append(student)
    groups = [
        MessageGroup(key, next(iter(seen[key])), tuple(who), len(seen[key])) for key, who in students.items()
    ]
    return tuple(sorted(groups, key=lambda g: (-g.count, g.pattern)))


def headline(test: TestResult) -> str:
    """What a failed test says first: the error its cell raised, or the check's first finding
    (later messages are details, or a generic "did not record a result")."""
    return test.messages[0] if test.messages else STATE_LABELS.get(test.state, test.state)


def _test_order(aid: str, rows: list[GradeResult]) -> list[tuple[str, float]]:
    """(test id, points) in the course table's order, then any other test the rows show."""
    order: dict[str, float] = {}
    if aid in course.ASSIGNMENTS:
        order = {t.id: float(t.points) for t in course.assignment(aid).tests}
    for r in rows:
        for t in r.tests:
            order.setdefault(t.grade_id, float(t.max_score))
    return list(order.items())


def item_stats(test_id: str, points: float, rows: list[GradeResult]) -> TestStats:
    """The statistics of one test over the submissions whose result has it."""
    taken = [(r, t) for r in rows for t in r.tests if t.grade_id == test_id]
    passed = [t.state == "passed" for _, t in taken]
    rest = [r.score - t.score for r, t in taken]
    failures = [(r.student_id, headline(t)) for r, t in taken if t.state != "passed"]
    mean = sum(t.score for _, t in taken) / len(taken) if taken else 0.0
    return TestStats(
        test_id, points, len(taken), sum(passed), mean, point_biserial(passed, rest), failure_groups(failures)
    )


def assignment_stats(aid: str, rows: list[GradeResult]) -> AssignmentStats:
    rows = sorted((r for r in rows if r.assignment == aid), key=lambda r: r.student_id)
    by_status: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        by_status[r.status].append(r.student_id)
    statuses = tuple(
        StatusGroup(s, tuple(by_status[s])) for s in sorted(by_status, key=lambda s: (s != "ok", s))
    )
    known = aid in course.ASSIGNMENTS
    max_score = course.assignment(aid).max_score if known else max((r.max_score for r in rows), default=0.0)
    return AssignmentStats(
        aid,
        course.assignment(aid).title if known else aid,
        max_score,
        tuple(r.score for r in rows),
        statuses,
        tuple(item_stats(tid, pts, rows) for tid, pts in _test_order(aid, rows)),
    )


def class_stats(rows: list[GradeResult]) -> list[AssignmentStats]:
    """One AssignmentStats per assignment of the course that has rows, in course order."""
    present = {r.assignment for r in rows if r.status != "unknown_assignment"}
    return [assignment_stats(aid, rows) for aid in course.ASSIGNMENTS if aid in present]
