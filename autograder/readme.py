"""The README's table of notebooks with their Colab and Binder badges, generated from course.py.

`python -m autograder release` refreshes the block between the two markers, so the repository
address stays in one place (course.REPOSITORY) and a test proves the README follows it.
"""

from __future__ import annotations

from pathlib import Path

from . import course

START, END = "<!-- notebooks:start -->", "<!-- notebooks:end -->"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"


def notebook_rows(repository: str | None = None) -> list[str]:
    """One table row per notebook: number, title (linked), working time, Colab and Binder badges."""
    rows = ["| # | notebook | time | open |", "|---|---|---|---|"]
    for n, a in enumerate(course.COURSE, 1):
        aid = a.id
        path = f"{course.RELEASE_DIR}/{aid}/{aid}.ipynb"
        rows.append(
            f"| {n} | [{a.title}]({path}) | {a.time_estimate} | "
            f"[![Open In Colab]({COLAB_BADGE})]({course.colab_url(aid, repository)}) "
            f"[![Binder]({BINDER_BADGE})]({course.binder_url(aid, repository)}) |"
        )
    return rows


def notebook_table() -> str:
    lines = [START, "", *notebook_rows()]
    lines += [
        "",
        f"[![Binder]({BINDER_BADGE})]({course.binder_url()}) opens the whole course in JupyterLab.",
        "",
        "Times are a student's working time, estimated as described in docs/authoring.md.",
        "",
        END,
    ]
    return "\n".join(lines)


def refresh(readme: Path = course.ROOT / "README.md") -> bool:
    """Rewrite the generated block; return True if the file changed."""
    text = readme.read_text()
    if START not in text or END not in text:
        raise ValueError(f"{readme} lacks the {START} ... {END} markers")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = head + notebook_table() + tail
    if new != text:
        readme.write_text(new)
        return True
    return False


def in_sync(readme: Path = course.ROOT / "README.md") -> bool:
    text = readme.read_text()
    return notebook_table() in text
