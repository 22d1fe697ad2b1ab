"""nbgrader preprocessors added to `generate_assignment` through nbgrader_config.py.

- `NameStubs` makes each stub say which exercise and function it belongs to.
- `AddColabHeader` puts the Colab badge and the Colab-only install cell on top of the release
  (for course.REPOSITORY, or the repository `publish` names).
"""

from __future__ import annotations

import re

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from . import course

STUB_MARK = "__EXERCISE__"
_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+([A-Za-z_][A-Za-z0-9_]*)")
_CLASS = re.compile(r"^(\s*)class\s+([A-Za-z_][A-Za-z0-9_]*)")


def _enclosing_name(lines: list[str], index: int) -> str | None:
    """Qualified name of the def/class that encloses line `index` (by indentation)."""
    indent = len(lines[index]) - len(lines[index].lstrip())
    names = []
    for line in reversed(lines[:index]):
        m = _DEF.match(line) or _CLASS.match(line)
        if m and len(m.group(1)) < indent:
            names.append(m.group(2))
            indent = len(m.group(1))
    return ".".join(reversed(names)) or None


def name_stub(source: str, grade_id: str) -> str:
    lines = source.split("\n")
    for i, line in enumerate(lines):
        if STUB_MARK in line:
            where = _enclosing_name(lines, i)
            what = f"write {where}" if where else "replace this line with your code"
            lines[i] = line.replace(STUB_MARK, f"Exercise {grade_id}: {what}")
    return "\n".join(lines)


class NameStubs(NbGraderPreprocessor):
    """Replace the stub placeholder with a message naming the exercise and the function."""

    def preprocess_cell(self, cell, resources, index):
        nb_meta = cell.metadata.get("nbgrader", {})
        if nb_meta.get("solution") and STUB_MARK in cell.source:
            cell.source = name_stub(cell.source, nb_meta["grade_id"])
        return cell, resources


def colab_header_cells(aid: str, repository: str | None = None) -> list:
    """The badge that opens this notebook of `repository` in Colab, and the cell that installs,
    on Colab only, what Colab lacks and the practice checks (from that repository)."""
    badge = nbformat.v4.new_markdown_cell(
        f'<a href="{course.colab_url(aid, repository)}" target="_parent">'
        '<img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>'
        f" &nbsp; Working time: {course.assignment(aid).time_estimate}."
    )
    specs = ", ".join(repr(s) for s in course.colab_install_specs())
    install = nbformat.v4.new_code_cell(
        "# On Google Colab only: install what Colab lacks, and the practice checks from the student\n"
        "# repository (without touching Colab's own packages). Elsewhere this cell does nothing.\n"
        "import sys\n"
        "if \"google.colab\" in sys.modules:\n"
        "    import subprocess\n"
        f"    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"--quiet\", {specs}], check=True)\n"
        f"    subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"--quiet\", \"--no-deps\",\n"
        f"                    {course.practice_install_url(repository)!r}], check=False)"
    )
    badge.id, install.id = "colab-badge", "colab-install"
    return [badge, install]


class AddColabHeader(NbGraderPreprocessor):
    """Prepend the badge that opens this notebook in Colab and the guarded install cell.

    `repository` (OWNER/NAME) is the GitHub repository they name: course.REPOSITORY unless
    set, as `publish` sets it to write the student repository of another name."""

    repository = Unicode(
        "", help="OWNER/NAME of the repository the Colab badge and install name (empty: course.REPOSITORY)"
    ).tag(config=True)

    def preprocess(self, nb, resources):
        aid = resources["nbgrader"]["assignment"]
        nb.cells = colab_header_cells(aid, self.repository or None) + [
            c for c in nb.cells if c.get("id") not in ("colab-badge", "colab-install")
        ]
        return nb, resources
