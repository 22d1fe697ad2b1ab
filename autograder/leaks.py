"""Find solution and hidden-test lines in anything students get: the website, the student repository.

A *secret line* is a line inside a solution region (`### BEGIN SOLUTION` ... `### END
SOLUTION`) or a hidden-test region (`### BEGIN HIDDEN TESTS` ... `### END HIDDEN TESTS`)
of an nbgrader source notebook (solutions/<id>/<id>.ipynb) that says something, and that
the student release does not show anyway, in its code or its prose. A line says something
if it has at least MIN_SECRET non-space characters and two different names, numbers or
strings: `pass`, `else:`, `return self` or `while stack:` identify no answer, and the last
two also occur in code students may see (the probes). `leaks` reads every text
file of a folder as it is and, for HTML, JavaScript and JSON, also as the text a browser or
a notebook shows (tags removed, entities and JSON strings decoded), with whitespace
normalised, and reports each secret line found.

`python -m autograder book`'s tests and `python -m autograder publish` (which refuses to
write a student repository with a leak) use this one scanner.
"""

from __future__ import annotations

import html
import io
import json
import keyword
import re
import tokenize
from pathlib import Path

import nbformat

from . import course

REGIONS = {"### BEGIN SOLUTION": "### END SOLUTION", "### BEGIN HIDDEN TESTS": "### END HIDDEN TESTS"}
MIN_SECRET = 8  # non-space characters: shorter lines ("pass", "else:") say nothing


def norm(text: str) -> str:
    return " ".join(text.split())


def public_text(notebooks=None) -> str:
    """The text of these student notebooks (default: every release notebook), prose included:
    published anyway, so never a leak."""
    paths = (
        notebooks if notebooks is not None else [course.release_notebook(aid) for aid in course.ASSIGNMENTS]
    )
    return "\n".join(
        norm(line)
        for path in paths
        for cell in nbformat.read(path, as_version=4).cells
        for line in cell.source.splitlines()
    )


def region_lines(nb: nbformat.NotebookNode) -> list[str]:
    """Every line inside a solution or hidden-test region of a source notebook, normalised."""
    found = []
    for cell in nb.cells:
        end = None
        for line in cell.source.splitlines():
            marker = line.strip()
            if end is None and marker in REGIONS:
                end = REGIONS[marker]
            elif end is not None and marker == end:
                end = None
            elif end is not None:
                found.append(norm(line))
    return found


def says_something(line: str) -> bool:
    """At least MIN_SECRET non-space characters and two different names (not keywords),
    numbers or strings. A line that does not tokenize alone (inside a long string, say)
    needs only the characters."""
    if len(line.replace(" ", "")) < MIN_SECRET:
        return False
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return True
    words = {
        t.string
        for t in tokens
        if t.type in (tokenize.NUMBER, tokenize.STRING)
        or (t.type == tokenize.NAME and not keyword.iskeyword(t.string))
    }
    return len(words) >= 2


def secret_lines(aid: str, public: str | None = None, root: Path = course.ROOT) -> set[str]:
    """The lines of the solution and hidden-test regions of `aid`'s nbgrader source that say
    something and that the release (`public`, default: public_text()) does not also show."""
    public = public_text() if public is None else public
    source = nbformat.read(course.solution_notebook(aid, root), as_version=4)
    return {text for text in region_lines(source) if says_something(text) and text not in public}


def _json_strings(data, out: list[str]) -> None:
    if isinstance(data, str):
        out.append(data)
    elif isinstance(data, dict):
        for k, v in data.items():
            out.append(str(k))
            _json_strings(v, out)
    elif isinstance(data, list):
        for v in data:
            _json_strings(v, out)


def views(path: Path, raw: bytes) -> list[str]:
    """The texts a file can show a reader, normalised."""
    text = raw.decode("utf-8", errors="replace")
    shown = [norm(text)]
    if path.suffix in (".html", ".htm", ".js", ".json", ".txt", ".xml"):
        shown.append(norm(html.unescape(re.sub(r"<[^>]+>", "", text))))
    if path.suffix in (".json", ".ipynb"):
        try:
            strings: list[str] = []
            _json_strings(json.loads(text), strings)
            shown.append(norm("\n".join(strings)))
        except ValueError:
            pass
    return shown


def leaks(folder: Path, secrets: set[str]) -> dict[str, list[str]]:
    """{file: secret lines found in it} for every text file under `folder` (binary files,
    images and fonts, are skipped)."""
    found = {}
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file():
            continue
        raw = path.read_bytes()
        if b"\0" in raw[:8192]:
            continue
        shown = views(path, raw)
        hits = [s for s in secrets if any(s in view for view in shown)]
        if hits:
            found[str(path.relative_to(folder))] = sorted(hits)
    return found
