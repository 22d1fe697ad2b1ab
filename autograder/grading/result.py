"""The one result type of grading: a row per student and assignment, with its tests.

Every way of grading produces a `GradeResult` (the local pool, a cluster worker, the
nbgrader adapter, and the rows for submissions that never ran); the state cache, the CSVs,
the feedback pages and the reports read it. `to_dict` / `from_dict` are its JSON form.

`score` is what the student gets: the tests' points (`earned`) less the late penalty, if
any (`late`, set after grading by late.py). grades.csv, the reports and the exports read
`score`; cells.csv lists each test's own points.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


@dataclass
class TestResult:
    """The verdict of one test cell."""

    __test__ = False  # not a pytest class
    grade_id: str
    score: float
    max_score: float
    state: str  # passed | failed | not_run | forbidden
    messages: list[str] = field(default_factory=list)


@dataclass
class LatePenalty:
    """How late a submission with a timestamp and a due date was, and what that cost."""

    submitted: str  # when it was handed in (ISO 8601, UTC)
    due: str  # when it was due (ISO 8601, as set)
    seconds_late: float  # 0 when on time
    policy: str  # the late policy, in words
    points: float = 0.0  # taken off the tests' points (never more than they earned)


@dataclass
class GradeResult:
    student_id: str
    assignment: str
    max_score: float
    status: str  # ok, or one lowercase word saying why not
    message: str = ""
    tests: list[TestResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    fingerprint: str = ""
    late: LatePenalty | None = None

    @property
    def earned(self) -> float:
        """The tests' points, before any late penalty."""
        return float(sum(t.score for t in self.tests))

    @property
    def penalty(self) -> float:
        return self.late.points if self.late else 0.0

    @property
    def score(self) -> float:
        """The student's score: the tests' points less the late penalty."""
        return self.earned - self.penalty

    @classmethod
    def without_tests_run(
        cls,
        student: str,
        aid: str,
        points: dict[str, float],
        status: str,
        message: str,
        notes: tuple[str, ...] | list[str] = (),
        fingerprint: str = "",
        seconds: float = 0.0,
    ) -> GradeResult:
        """A row for a submission whose tests never ran: every test 0 with the reason."""
        tests = [TestResult(gid, 0.0, float(p), "not_run", [message]) for gid, p in points.items()]
        return cls(
            student,
            aid,
            float(sum(points.values())),
            status,
            message,
            tests,
            list(notes),
            round(seconds, 2),
            fingerprint,
        )

    def to_dict(self) -> dict:
        data = asdict(self)
        data["score"] = self.score
        return data

    @classmethod
    def from_dict(cls, data: dict) -> GradeResult:
        names = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        kwargs["tests"] = [TestResult(**t) for t in data.get("tests", [])]
        kwargs["late"] = LatePenalty(**data["late"]) if data.get("late") else None
        return cls(**kwargs)
