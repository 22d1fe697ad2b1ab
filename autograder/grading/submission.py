"""Find and read one submitted notebook, leniently but never trustingly.

A notebook is read as JSON data, not executed or trusted: symbolic links, huge files,
invalid JSON, unknown nbformat versions and malformed cells each get a clear reason.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024


@dataclass
class Read:
    cells: list | None
    status: str = "ok"
    message: str = ""
    raw: bytes = b""
    notes: list[str] = field(default_factory=list)


def locate_notebook(folder: Path, aid: str) -> tuple[Path | None, str, str]:
    """(path, status, message) for <folder>/<aid>.ipynb."""
    expected = folder / f"{aid}.ipynb"
    try:
        st = os.lstat(expected)
    except FileNotFoundError:
        others = sorted(p.name for p in folder.iterdir() if p.suffix == ".ipynb") if folder.is_dir() else []
        if others:
            return (
                None,
                "wrong_filename",
                (f"found {', '.join(others)} but the notebook must be named {expected.name}"),
            )
        return None, "missing_notebook", f"no {expected.name} in the submission"
    if stat.S_ISLNK(st.st_mode):
        return None, "invalid_notebook", f"{expected.name} is a symbolic link, not a notebook file"
    if not stat.S_ISREG(st.st_mode):
        return None, "invalid_notebook", f"{expected.name} is not a regular file"
    return expected, "ok", ""


def _read_bytes(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        data = f.read(MAX_NOTEBOOK_BYTES + 1)
    return data


def _clean_cells(cells) -> tuple[list, int]:
    good, dropped = [], 0
    for cell in cells:
        if (
            isinstance(cell, dict)
            and cell.get("cell_type") in ("code", "markdown", "raw")
            and isinstance(cell.get("source", ""), (str, list))
        ):
            good.append(cell)
        else:
            dropped += 1
    return good, dropped


def read_raw(path: Path) -> Read:
    """The file's bytes, unparsed, in `raw` (at most one byte over the size limit); or why not."""
    try:
        return Read(None, raw=_read_bytes(path))
    except OSError as exc:
        return Read(None, "invalid_notebook", f"the notebook could not be read ({exc.strerror})")


def read_notebook(path: Path) -> Read:
    got = read_raw(path)
    return parse_notebook(got.raw) if got.status == "ok" else got


def parse_notebook(raw: bytes) -> Read:
    """The cells of a notebook file's bytes, or why they cannot be graded."""
    if len(raw) > MAX_NOTEBOOK_BYTES:
        return Read(
            None, "invalid_notebook", f"the notebook is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB", raw[:0]
        )
    if not raw.strip():
        return Read(None, "invalid_notebook", "the notebook file is empty", raw)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return Read(None, "invalid_notebook", "the notebook is not UTF-8 text", raw)
    except json.JSONDecodeError as exc:
        return Read(
            None, "invalid_notebook", f"the notebook is not valid JSON (line {exc.lineno}: {exc.msg})", raw
        )
    if not isinstance(data, dict):
        return Read(None, "invalid_notebook", "the notebook's JSON is not an object", raw)
    version = data.get("nbformat")
    notes = []
    if version == 4:
        cells = data.get("cells")
    elif version == 3:
        try:
            cells = nbformat.reads(raw.decode("utf-8"), as_version=4).cells
            notes.append("the notebook was converted from nbformat 3")
        except Exception as exc:  # noqa: BLE001
            return Read(
                None, "invalid_notebook", f"the nbformat 3 notebook could not be converted ({exc})", raw
            )
    else:
        return Read(None, "invalid_notebook", f"nbformat {version!r} is not supported (expected 4)", raw)
    if not isinstance(cells, list):
        return Read(None, "invalid_notebook", "the notebook has no list of cells", raw)
    cells, dropped = _clean_cells(cells)
    if dropped:
        notes.append(f"{dropped} malformed cell(s) were ignored")
    return Read(cells, "ok", "", raw, notes)
