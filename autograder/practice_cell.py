"""The practice cell: one locked cell that every notebook gets, generated here and nowhere else.

`build_source_notebook` puts it before the first code cell of each source, so it is part of
the nbgrader source (the grader restores it like any locked cell) and of the release. It
finds the practice package of the student repository (`autodiff_practice`: on the path in
Colab, where the first cell pip-installs it; at the top of a clone or of Binder's copy) and
calls `start`, which checks every test cell from then on (autograder/practice.py).

It names neither the grader's package, nor its seed variable, nor its record format, so a
student who copies it, or its last line, into a cell of their own is not taken for
tampering (grading/tampering.py). In the grader's sandbox the package does not exist: the
cell prints one line and does nothing else.
"""

from __future__ import annotations

import nbformat

PACKAGE = "autodiff_practice"  # the practice checks' package in the student repository
GRADE_ID = "practice_checks"  # the cell's nbgrader id (and cell id)


def source(aid: str) -> str:
    return (
        "# Practice checks. From here on, after each test cell, the grader's own checks run on your\n"
        "# answer with public practice inputs and print what your feedback page would say (the grader\n"
        "# itself uses other, secret inputs). They come with the student repository: see its README.\n"
        "import os, pathlib, sys\n"
        "for folder in pathlib.Path.cwd().parents:  # a clone or Binder: the package is at the top\n"
        f"    if os.path.isdir(folder / {PACKAGE!r}) and str(folder) not in sys.path:\n"
        "        sys.path.append(str(folder))\n"
        "        break\n"
        "try:\n"
        f"    import {PACKAGE}\n"
        "except ImportError as error:\n"
        f"    if error.name == {PACKAGE!r}:\n"
        "        print(\"Practice checks are off here: they come with the student repository (in Colab, run \"\n"
        "              \"the first code cell; elsewhere, open this notebook in a clone of it or on Binder).\")\n"
        "    else:  # the package is there but broken: say so, and let the notebook run on\n"
        "        print(f\"Practice checks could not start ({type(error).__name__}: {error}). The notebook \"\n"
        "              \"works without them; please tell the course staff.\")\n"
        "else:\n"
        f"    {PACKAGE}.start({aid!r})"
    )


def add_practice_cell(nb, aid: str) -> int:
    """Insert the cell, tagged as a read-only (locked) cell of the source, before the first
    code cell of `nb` (a notebook read from a percent-format source); return its index."""
    first_code = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), len(nb.cells))
    nb.cells.insert(first_code, nbformat.v4.new_code_cell(source(aid), metadata={"readonly": GRADE_ID}))
    return first_code
