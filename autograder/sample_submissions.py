"""Build submissions from the release: solved, unmodified, or with chosen answers.

Used by the example class (examples/), the tests and the benchmarks, so all of them follow
the notebooks whenever the sources change.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from . import course

MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def solution_answers(aid: str, root: Path = course.ROOT) -> dict[str, str]:
    """{answer grade_id: solution source without the solution markers}."""
    nb = nbformat.read(course.solution_notebook(aid, root), as_version=4)
    return {
        _meta(c)["grade_id"]: "\n".join(ln for ln in c.source.splitlines() if ln.strip() not in MARKERS)
        for c in nb.cells
        if _meta(c).get("solution")
    }


def release_notebook(aid: str, root: Path = course.ROOT) -> nbformat.NotebookNode:
    return nbformat.read(course.release_notebook(aid, root), as_version=4)


def with_answers(aid: str, answers: dict[str, str], root: Path = course.ROOT) -> nbformat.NotebookNode:
    """The student release with these answer cells replaced (others stay stubs)."""
    nb = release_notebook(aid, root)
    unknown = set(answers) - {_meta(c).get("grade_id") for c in nb.cells}
    if unknown:
        raise KeyError(f"{aid} has no answer cells {sorted(unknown)}")
    for cell in nb.cells:
        gid = _meta(cell).get("grade_id")
        if gid in answers and _meta(cell).get("solution"):
            cell.source = answers[gid]
    return nb


def solved(aid: str, root: Path = course.ROOT, **overrides: str) -> nbformat.NotebookNode:
    """The release with every answer from the solutions, except the ones overridden."""
    answers = solution_answers(aid, root)
    answers.update(overrides)
    return with_answers(aid, answers, root)


def write_submission(
    submitted: Path, student: str, aid: str, nb_or_text, filename: str | None = None
) -> Path:
    """Write SUBMITTED/<student>/<aid>/<filename> (default <aid>.ipynb)."""
    folder = submitted / student / aid
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (filename or f"{aid}.ipynb")
    text = nb_or_text if isinstance(nb_or_text, str) else nbformat.writes(nb_or_text)
    path.write_text(text)
    return path
