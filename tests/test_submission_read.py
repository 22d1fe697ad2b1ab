"""Reading submissions: every kind of broken file gets its own clear reason."""

from __future__ import annotations

import os

import nbformat

from autograder.grading.submission import locate_notebook, read_notebook
from autograder.sample_submissions import solved

AID = "01_dual_numbers"


def _folder(tmp_path, name=f"{AID}.ipynb", text=None):
    d = tmp_path / AID
    d.mkdir()
    if text is not None:
        (d / name).write_text(text)
    return d


def test_a_good_notebook_reads(tmp_path):
    d = _folder(tmp_path, text=nbformat.writes(solved(AID)))
    path, status, _ = locate_notebook(d, AID)
    r = read_notebook(path)
    assert status == "ok" and r.status == "ok" and len(r.cells) > 20


def test_missing_and_misnamed(tmp_path):
    d = _folder(tmp_path)
    assert locate_notebook(d, AID)[1] == "missing_notebook"
    (d / "Copy of 01_dual_numbers.ipynb").write_text("{}")
    path, status, message = locate_notebook(d, AID)
    assert path is None and status == "wrong_filename" and "Copy of" in message


def test_symlinks_are_refused(tmp_path):
    d = _folder(tmp_path)
    target = tmp_path / "elsewhere.ipynb"
    target.write_text(nbformat.writes(solved(AID)))
    os.symlink(target, d / f"{AID}.ipynb")
    path, status, message = locate_notebook(d, AID)
    assert path is None and status == "invalid_notebook" and "symbolic link" in message


def test_broken_files(tmp_path):
    cases = {
        "": "empty",
        "{\"cells\": [": "not valid JSON",
        "[1]": "not an object",
        '{"nbformat": 9, "cells": []}': "not supported",
        '{"nbformat": 4, "cells": 3}': "no list of cells",
    }
    for n, (text, words) in enumerate(cases.items()):
        p = tmp_path / f"{n}.ipynb"
        p.write_text(text)
        r = read_notebook(p)
        assert r.cells is None and r.status == "invalid_notebook" and words in r.message, (text, r.message)
    p = tmp_path / "latin1.ipynb"
    p.write_bytes(b"\xff\xfe{")
    assert read_notebook(p).status == "invalid_notebook"


def test_nbformat3_is_converted_and_malformed_cells_dropped(tmp_path):
    p = tmp_path / "v3.ipynb"
    p.write_text(nbformat.writes(nbformat.convert(solved(AID), 3)))
    r = read_notebook(p)
    assert r.status == "ok" and "nbformat 3" in r.notes[0]
    p = tmp_path / "odd.ipynb"
    p.write_text(
        '{"nbformat": 4, "cells": [{"cell_type": "code", "source": "x=1"}, 5, {"cell_type": "weird"}]}'
    )
    r = read_notebook(p)
    assert len(r.cells) == 1 and "2 malformed" in r.notes[0]
