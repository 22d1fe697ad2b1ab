"""nbgrader's door to the grader: thin preprocessors, wired in by nbgrader_config.py.

`GradeSubmission` takes the place of nbgrader's OverwriteCells and Execute: it hands the
student's cells, as submitted, to the one grading core (`grading.core.grade_cells`, the same
call `python -m autograder grade` makes), and gives nbgrader back the restored notebook as
it ran, each test cell's only output being its verdict. nbgrader's SaveAutoGrades then
scores that: an error output is 0 points. A failure of the grader itself raises, so
nbgrader records no grade for that submission and says so, rather than a 0.
`HideHiddenTests` keeps hidden tests out of feedback.

Late work: `AssignCourseLatePenalties` is nbgrader's AssignLatePenalties with the course's
due date written into the gradebook first, and `CourseLatePenalty` (nbgrader's late
submission plugin API) takes off what the course's late policy says (grading/late.py), so
`nbgrader autograde` and `python -m autograder grade` give a late submission the same
score. nbgrader reads the same `timestamp.txt` and measures the lateness itself (adding any
extension granted in its gradebook, which `grade` does not know about).
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.plugins import BasePlugin, LateSubmissionPlugin
from nbgrader.preprocessors import AssignLatePenalties, NbGraderPreprocessor
from traitlets import Dict, Float, Integer, Type, Unicode
from traitlets.config import Configurable

from . import course
from .grading import late
from .grading.core import SandboxSettings, grade_cells
from .grading.restore import visible_part
from .grading.result import TestResult
from .grading.sandbox import Limits, preflight, probes_package, remove_probes_package
from .grading.slots import SlotLease
from .grading.state import GraderState
from .grading.template import load_template, nbgrader_meta

STATE_DIR = ".autograder"


class GraderFailure(RuntimeError):
    """The grader could not grade this submission: nbgrader must record no grade."""


def _verdict_output(test: TestResult):
    if test.state == "passed":
        return nbformat.v4.new_output("stream", name="stdout", text="passed\n")
    ename = {"not_run": "TestNotRun", "forbidden": "RuleBroken"}.get(test.state, "TestFailed")
    text = "; ".join(test.messages) or "failed"
    return nbformat.v4.new_output(
        "error", ename=ename, evalue=text, traceback=[f"{ename}: {m}" for m in test.messages]
    )


def _limit_traits() -> dict:
    """One trait per instructor-facing limit, with the default and help of `Limits`."""
    kinds = {"float": Float, "int": Integer}
    return {
        name: kinds[str(kind)](default, help=help).tag(config=True)
        for name, default, help, kind in Limits.options()
    }


# The sandbox limits as configurable traits, made from `Limits` so defaults are stated once.
SandboxLimits = type("SandboxLimits", (Configurable,), _limit_traits())


class GradeSubmission(NbGraderPreprocessor, SandboxLimits):  # type: ignore[valid-type,misc]  # made at import
    """Grade the submission with the grading core; return the restored notebook with verdicts."""

    course_root = Unicode(str(course.ROOT), help="the course folder (where solutions/ is)").tag(config=True)

    def limits(self) -> Limits:
        return Limits(**{name: getattr(self, name) for name, *_ in Limits.options()})

    def preprocess(self, nb, resources):
        root = Path(self.course_root)
        aid, student = resources["nbgrader"]["assignment"], resources["nbgrader"]["student"]
        template = load_template(aid, root)
        state = GraderState(root / STATE_DIR)
        cache = root / STATE_DIR / "sandbox"
        cache.mkdir(parents=True, exist_ok=True)
        limits = self.limits()
        try:
            preflight(cache, limits)
        except Exception as exc:  # noqa: BLE001 - SandboxUnavailable or worse: no grade
            raise GraderFailure(f"{student}/{aid}: {exc}") from exc
        pkg = probes_package(cache)
        try:
            with SlotLease.claim() as lease:
                graded = grade_cells(
                    [dict(c) for c in nb.cells],
                    template,
                    state.seed(student, aid),
                    SandboxSettings(limits, str(pkg), str(cache)),
                    lease.uid,
                )
        finally:
            remove_probes_package(pkg)
        if graded.status == "grader_error" or graded.notebook is None:
            raise GraderFailure(f"{student}/{aid}: grader error, no grade recorded: {graded.message}")
        out = graded.notebook
        verdicts = {t.grade_id: t for t in graded.tests}
        for cell in out.cells:
            gid = nbgrader_meta(cell).get("grade_id")
            if gid in verdicts:
                cell.outputs = [_verdict_output(verdicts[gid])]
        out.metadata = nb.metadata
        out.metadata["autodiff_grading"] = {
            "status": graded.status,
            "message": graded.message,
            "notes": graded.notes,
        }
        for note in graded.notes:
            self.log.warning("%s/%s: %s", student, aid, note)
        if graded.status != "ok":
            self.log.warning("%s/%s: %s (%s)", student, aid, graded.status, graded.message)
        return out, resources


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback shows only the visible part of each test cell."""

    def preprocess_cell(self, cell, resources, index):
        if nbgrader_meta(cell).get("grade") and cell.cell_type == "code":
            cell.source = visible_part(cell.source)
        return cell, resources


class CourseLatePenalty(LateSubmissionPlugin):
    """The course's late policy through nbgrader's plugin API: the points to take off."""

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        aid = self.parent.assignment_id
        policy = self.parent.deadline(aid).policy
        penalty = policy.penalty(total_seconds_late, course.assignment(aid).max_score, score)
        self.log.warning(
            "%s/%s: %s late; %s: %g point(s) off",
            student_id,
            aid,
            late.duration_text(total_seconds_late),
            policy.describe(),
            penalty,
        )
        return penalty


class AssignCourseLatePenalties(AssignLatePenalties):
    """AssignLatePenalties with the course's due date (in the gradebook) and late policy."""

    plugin_class = Type(
        CourseLatePenalty, klass=BasePlugin, help="the plugin that computes each late penalty"
    ).tag(config=True)
    due = Dict(
        value_trait=Unicode(),
        help="{assignment id: due date}, overriding the course table "
        "(ISO 8601 with a time zone), as `grade --due` does",
    ).tag(config=True)
    late_policy = Dict(
        value_trait=Unicode(),
        help="{assignment id: late policy}, overriding the course table, as `grade --late-policy` does",
    ).tag(config=True)

    def deadline(self, aid: str) -> late.Deadline:
        return late.deadlines(self.due, self.late_policy)[aid]

    def preprocess(self, nb, resources):
        aid = resources["nbgrader"]["assignment"]
        due = self.deadline(aid).due
        if due is not None:  # the course's due date is the one nbgrader measures lateness from
            due_utc = due.astimezone(UTC).replace(tzinfo=None)
            with Gradebook(resources["nbgrader"]["db_url"]) as gb:
                previous = gb.find_assignment(aid).duedate
                if previous != due_utc:
                    if previous is not None:
                        self.log.warning(
                            "%s: the gradebook's due date %s (UTC) is replaced by the course's, %s",
                            aid,
                            previous,
                            due.isoformat(),
                        )
                    gb.update_or_create_assignment(aid, duedate=due_utc)
        return super().preprocess(nb, resources)


__all__ = [
    "GradeSubmission",
    "HideHiddenTests",
    "GraderFailure",
    "AssignCourseLatePenalties",
    "CourseLatePenalty",
]
