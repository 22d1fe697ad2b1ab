"""Late work: when a submission was handed in, when it was due, and what that costs.

- **When it was handed in**: nbgrader's `timestamp.txt` in the submission folder (written by
  `nbgrader collect`/`zip_collect` and its exchange). What nbgrader writes is accepted:
  ISO 8601 (`2026-12-01T23:59:00+01:00`, `2026-12-01 22:59:00Z`, with or without
  fractions of a second) and nbgrader's own form, a zone name or offset after a space
  (`2026-12-01 22:59:00.123456 UTC`, `... America/Los_Angeles`, `... +0100`). A timestamp
  **without a time zone is UTC**, as nbgrader reads it (its exchange writes UTC by default).
  A folder without `timestamp.txt` has no timestamp and so no penalty; an empty file is
  ignored with a warning, as nbgrader does; anything else that does not parse is an error
  that names the file.
- **When it was due**: the course table (`Assignment.due`) or the command line; a due date
  must name its time zone, because it is a promise to students and must not depend on the
  zone of the machine that grades.
- **What it costs**: a `LatePolicy` (`Assignment.late_policy` or the command line), in
  this syntax:

      none                        no penalty (the default)
      per-hour:AMOUNT[,cap=CAP]   AMOUNT off per started hour late, at most CAP in all
      per-day:AMOUNT[,cap=CAP]    the same per started day (24 hours)
      zero-after:DURATION         no points when more than DURATION late (`zero-after:0`:
                                  no points for any late work); DURATION is 0, 90m, 48h, 7d

  AMOUNT and CAP are points (`2`) or a percentage of the assignment's maximum (`10%`).

The penalty never exceeds the points earned (a score never goes below 0). It is computed
after grading, from the timestamp and the policy, so changing either never regrades a
notebook: the grader's cache does not depend on them.
"""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from ..late_policy import (  # noqa: F401  (re-exported: the late-work API is this module)
    NO_PENALTY,
    SYNTAX,
    Amount,
    Deadline,
    LateError,
    LatePolicy,
    duration_text,
    parse_due,
    parse_time,
)
from .result import GradeResult, LatePenalty

TIMESTAMP_FILE = "timestamp.txt"
MAX_TIMESTAMP_BYTES = 1024


def read_timestamp(folder: Path) -> tuple[datetime | None, str]:
    """(when the submission was handed in or None, a warning or ""); LateError names the file."""
    path = folder / TIMESTAMP_FILE
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None, ""
    if not stat.S_ISREG(st.st_mode):
        raise LateError(f"{path}: not a regular file")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as f:
            raw = f.read(MAX_TIMESTAMP_BYTES + 1)
        text = raw.decode("utf-8")
    except OSError as exc:
        raise LateError(f"{path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise LateError(f"{path}: not UTF-8 text") from None
    if len(raw) > MAX_TIMESTAMP_BYTES:
        raise LateError(f"{path}: longer than {MAX_TIMESTAMP_BYTES} bytes, not a timestamp")
    if not text.strip():
        return None, f"{path} is empty: no timestamp (nbgrader ignores it too)"
    try:
        return parse_time(text), ""
    except LateError as exc:
        raise LateError(f"{path}: {exc}") from None


def deadlines(due: dict[str, str] | None = None, policy: dict[str, str] | None = None) -> dict[str, Deadline]:
    """Every assignment's deadline: the course table's, overridden by `due`/`policy` {id: text}."""
    from .. import course

    due, policy = dict(due or {}), dict(policy or {})
    unknown = sorted((set(due) | set(policy)) - set(course.ASSIGNMENTS))
    if unknown:
        raise LateError(f"unknown assignment id(s) {unknown}; known: {', '.join(course.ASSIGNMENTS)}")
    out = {}
    for a in course.COURSE:
        try:
            when = parse_due(due.get(a.id, a.due))
            rule = LatePolicy.parse(policy.get(a.id, a.late_policy))
        except LateError as exc:
            raise LateError(f"{a.id}: {exc}") from None
        out[a.id] = Deadline(when, rule)
    return out


def parse_assignments(pairs: list[str] | None, option: str) -> dict[str, str]:
    """{id: value} from repeated `ID=VALUE` command-line options."""
    out = {}
    for pair in pairs or []:
        aid, sep, value = pair.partition("=")
        if not sep or not aid.strip():
            raise LateError(f"{option} {pair!r}: expected ID=VALUE")
        out[aid.strip()] = value.strip()
    return out


# --- applied to graded rows -------------------------------------------------------------------


def read_timestamps(folders: dict[tuple[str, str], Path], log=print) -> dict[tuple[str, str], datetime]:
    """{(student, assignment): timestamp} for the folders that have one. Reads them all before
    anything is graded or written, so one bad file stops the run at once (LateError)."""
    stamps = {}
    for key, folder in sorted(folders.items()):
        when, warning = read_timestamp(folder)
        if warning:
            log(f"warning: {warning}")
        if when is not None:
            stamps[key] = when
    return stamps


def assess(row: GradeResult, submitted: datetime | None, deadline: Deadline) -> GradeResult:
    """The row with its late penalty (or none) set from its timestamp and its deadline."""
    if submitted is None or deadline.due is None:
        return replace(row, late=None)
    seconds = max(0.0, (submitted - deadline.due).total_seconds())
    points = deadline.policy.penalty(seconds, row.max_score, row.earned)
    return replace(
        row,
        late=LatePenalty(
            submitted.astimezone(UTC).isoformat(sep=" "),
            deadline.describe_due(),
            seconds,
            deadline.policy.describe(),
            points,
        ),
    )


def apply_penalties(
    rows: list[GradeResult], stamps: dict[tuple[str, str], datetime], due: dict[str, Deadline], log=print
) -> list[GradeResult]:
    """Every row assessed; a note for each assignment with a due date but rows without a timestamp."""
    out: list[GradeResult] = []
    undated: dict[str, list[str]] = {}
    for row in rows:
        deadline = due.get(row.assignment, Deadline())
        key = (row.student_id, row.assignment)
        if deadline.due is not None and key not in stamps and row.status != "unknown_assignment":
            undated.setdefault(row.assignment, []).append(row.student_id)
        out.append(assess(row, stamps.get(key), deadline))
    for aid, students in sorted(undated.items()):
        log(
            f"note: {aid} has a due date but {len(students)} submission(s) have no {TIMESTAMP_FILE} "
            f"(no late penalty for them): {', '.join(sorted(students)[:5])}{' ...' if len(students) > 5 else ''}"
        )
    return out
