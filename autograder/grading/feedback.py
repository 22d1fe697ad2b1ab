"""Feedback HTML for one student and assignment: each test's result and messages, and the
late penalty with its reason.

The page is a Jinja2 template with autoescaping (autograder/templates/feedback.html.j2);
this module hands it one `GradeResult`. It is built from the verdicts only, so it can never
show hidden-test source or a traceback through hidden code.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from .late import duration_text
from .result import GradeResult
from .state import atomic_write

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_STATE_LABEL = {"passed": "passed", "failed": "failed", "not_run": "did not run", "forbidden": "not graded"}


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda x: f"{x:g}"
    env.filters["duration"] = duration_text
    return env.get_template("feedback.html.j2")


def render(result: GradeResult) -> str:
    return _template().render(r=result, labels=_STATE_LABEL)


def write_feedback(result: GradeResult, out: Path) -> Path:
    path = out / "feedback" / result.student_id / f"{result.assignment}.html"
    atomic_write(path, render(result))
    return path
