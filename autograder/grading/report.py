"""What an instructor reads: grades.csv, cells.csv, a printed summary and a score histogram."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from pathlib import Path

from .late import duration_text
from .result import GradeResult
from .state import atomic_write

# The first five are the contract's, in this order; later columns are only ever added at the
# end (readers must not require them: older grades.csv files lack them). `score` is after the
# late penalty (what an LMS should import). `late_by` is h:mm:ss after the due date
# ("0:00:00" on time; empty without a timestamp or a due date), `penalty` the points taken
# off for it.
CONTRACT_COLUMNS = ["student_id", "assignment", "score", "max_score", "status"]
GRADE_COLUMNS = CONTRACT_COLUMNS + ["late_by", "penalty"]
CELL_COLUMNS = ["student_id", "assignment", "test", "score", "max_score", "result", "message"]


def _num(x: float) -> str:
    return f"{x:g}"


def sort_key(row: GradeResult) -> tuple:
    return (row.student_id, row.assignment)


def write_grades(rows: list[GradeResult], out: Path) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(GRADE_COLUMNS)
    for r in sorted(rows, key=sort_key):
        w.writerow(
            [
                r.student_id,
                r.assignment,
                _num(r.score),
                _num(r.max_score),
                r.status,
                duration_text(r.late.seconds_late) if r.late else "",
                _num(r.penalty),
            ]
        )
    path = out / "grades.csv"
    atomic_write(path, buf.getvalue())
    return path


def write_cells(rows: list[GradeResult], out: Path) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CELL_COLUMNS)
    for r in sorted(rows, key=sort_key):
        for c in r.tests:
            w.writerow(
                [
                    r.student_id,
                    r.assignment,
                    c.grade_id,
                    _num(c.score),
                    _num(c.max_score),
                    c.state,
                    " | ".join(c.messages)[:500],
                ]
            )
    path = out / "cells.csv"
    atomic_write(path, buf.getvalue())
    return path


def summary_table(rows: list[GradeResult]) -> str:
    rows = sorted(rows, key=sort_key)
    if not rows:
        return "no submissions found"
    w_s = max(len("student"), *(len(r.student_id) for r in rows))
    w_a = max(len("assignment"), *(len(r.assignment) for r in rows))
    lines = [
        f"{'student':<{w_s}}  {'assignment':<{w_a}}  {'score':>11}  status",
        f"{'-' * w_s}  {'-' * w_a}  {'-' * 11}  {'-' * 16}",
    ]
    for r in rows:
        score = f"{_num(r.score)}/{_num(r.max_score)}"
        reason = f"  ({r.message})" if r.status != "ok" and r.message else ""
        if r.penalty and r.late:
            reason = f"  (late {duration_text(r.late.seconds_late)}: -{_num(r.penalty)})" + reason
        lines.append(f"{r.student_id:<{w_s}}  {r.assignment:<{w_a}}  {score:>11}  {r.status}{reason[:110]}")
    counts = Counter(r.status for r in rows)
    lines.append("")
    lines.append(f"{len(rows)} submission(s): " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    by_assignment = defaultdict(list)
    for r in rows:
        by_assignment[r.assignment].append(r)
    for aid, rs in sorted(by_assignment.items()):
        mean = sum(r.score for r in rs) / len(rs)
        lines.append(f"{aid}: mean {mean:.2f} of {_num(rs[0].max_score)}")
    return "\n".join(lines)


def write_histogram(rows: list[GradeResult], out: Path) -> Path | None:
    """scores.png: the distribution of scores (as a percentage) per assignment."""
    if not rows:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_assignment = defaultdict(list)
    for r in rows:
        if r.max_score > 0:
            by_assignment[r.assignment].append(100 * r.score / r.max_score)
    fig, ax = plt.subplots(figsize=(7, 4))
    bins = list(range(0, 101, 10))
    ax.hist(list(by_assignment.values()), bins=bins, label=list(by_assignment), stacked=True)
    ax.set_xlabel("score (% of the maximum)")
    ax.set_ylabel("submissions")
    ax.set_title("Scores")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = out / "scores.png"
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    atomic_write(path, buf.getvalue())
    return path
