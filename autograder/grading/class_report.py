"""DIR/report.html, the class report: one self-contained page an instructor opens offline.

The statistics come from item_analysis.py; the layout is the Jinja2 template
autograder/templates/class_report.html.j2 (autoescaped: student ids and failure messages
are text from student code). The histograms are PNGs embedded as base64 data URLs, and the
page has no script, so it reads the same in any browser, offline, with JavaScript off.
"""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime
from pathlib import Path

from .item_analysis import STATE_LABELS, AssignmentStats, class_stats
from .result import GradeResult
from .state import atomic_write

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE = "class_report.html.j2"
REPORT_NAME = "report.html"
MESSAGES_SHOWN = 5  # failure-message groups shown per test; the rest are counted
LOW_DISCRIMINATION = 0.2


def histogram_png(stats: AssignmentStats) -> bytes:
    """The score distribution of one assignment, in points, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    top = max(stats.max_score, max(stats.scores, default=0.0), 1.0)
    bins = int(top) + 1 if top <= 30 else 20
    fig, ax = plt.subplots(figsize=(6.4, 2.6))
    ax.hist(
        stats.scores,
        bins=bins,
        range=(-0.5, top + 0.5) if top <= 30 else (0, top),
        color="#3b6ea5",
        edgecolor="white",
    )
    ax.set_xlim(-0.5, top + 0.5)
    ax.set_xlabel(f"score (points, out of {stats.max_score:g})")
    ax.set_ylabel("submissions")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.axvline(stats.mean, color="#a4161a", linestyle="--", linewidth=1, label=f"mean {stats.mean:.1f}")
    ax.legend(loc="upper center", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def report_context(rows: list[GradeResult], now: datetime | None = None) -> dict:
    """Everything the template shows, as plain data."""
    assignments = class_stats(rows)
    return {
        "written": (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        "students": len({r.student_id for r in rows}),
        "submissions": len(rows),
        "assignments": [{"stats": s, "histogram": _data_url(histogram_png(s))} for s in assignments],
        "unknown": sorted(
            {f"{r.student_id}/{r.assignment}" for r in rows if r.status == "unknown_assignment"}
        ),
        "messages_shown": MESSAGES_SHOWN,
        "low_discrimination": LOW_DISCRIMINATION,
        "state_labels": STATE_LABELS,
    }


def _environment():
    import jinja2  # here, not at import: grading workers import this package and never render

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(rows: list[GradeResult], now: datetime | None = None) -> str:
    return _environment().get_template(TEMPLATE).render(report_context(rows, now))


def write_class_report(rows: list[GradeResult], out: Path) -> Path:
    path = Path(out) / REPORT_NAME
    atomic_write(path, render_report(rows))
    return path
