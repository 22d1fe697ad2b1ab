"""Feedback HTML for one student and assignment: each test's result and messages.

It is built from the verdicts only, so it can never show hidden-test source or a traceback
through hidden code.
"""
from __future__ import annotations

from html import escape
from pathlib import Path

from .state import atomic_write

_STATE_LABEL = {"passed": "passed", "failed": "failed", "not_run": "did not run", "forbidden": "not graded"}
_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }
table { border-collapse: collapse; width: 100%; } td, th { border-bottom: 1px solid #ddd; padding: .4rem; text-align: left; vertical-align: top; }
.passed { color: #176f2c; } .failed, .not_run, .forbidden { color: #a4161a; }
.status { padding: .6rem; background: #f4f4f4; border-left: 4px solid #888; }
ul { margin: .2rem 0; padding-left: 1.2rem; } code { font-size: 90%; }
"""


def render(result: dict) -> str:
    rows = []
    for c in result["cells"]:
        msgs = "".join(f"<li>{escape(m)}</li>" for m in c["messages"])
        rows.append(
            f"<tr><td><code>{escape(c['grade_id'])}</code></td>"
            f"<td>{c['score']:g} / {c['max_score']:g}</td>"
            f"<td class=\"{escape(c['state'])}\">{escape(_STATE_LABEL.get(c['state'], c['state']))}</td>"
            f"<td>{'<ul>' + msgs + '</ul>' if msgs else ''}</td></tr>")
    notes = "".join(f"<li>{escape(n)}</li>" for n in result.get("notes", []))
    status = escape(result["status"])
    message = escape(result.get("message") or "")
    return (
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
        f"<title>{escape(result['assignment'])}: feedback for {escape(result['student_id'])}</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>{escape(result['assignment'])}</h1>"
        f"<p>Student <b>{escape(result['student_id'])}</b>: score <b>{result['score']:g} / {result['max_score']:g}</b></p>"
        f"<p class=\"status\">Status: <b>{status}</b>{' - ' + message if message else ''}</p>"
        + (f"<h2>Notes</h2><ul>{notes}</ul>" if notes else "")
        + "<h2>Tests</h2><table><tr><th>test</th><th>points</th><th>result</th><th>details</th></tr>"
        + "".join(rows) + "</table></body></html>\n")


def write_feedback(result: dict, out: Path) -> Path:
    path = out / "feedback" / result["student_id"] / f"{result['assignment']}.html"
    atomic_write(path, render(result))
    return path
