"""The release: generated from the sources, in sync, and free of solutions and hidden tests."""
from __future__ import annotations

import re

import nbformat
import pytest

from autograder import course
from autograder.checks import all_checks
from autograder.checks import tests_for as registered_tests
from autograder.notebook_source import SourceError, build_source_notebook
from autograder.release import stale_files
from conftest import released_assignments

IDS = released_assignments()
MARKER = re.compile(r"(BEGIN|END) (SOLUTION|HIDDEN TESTS)")


def meta(cell):
    return cell.metadata.get("nbgrader", {})


def test_all_six_assignments_exist():
    assert IDS == list(course.ASSIGNMENTS)


def test_release_and_solution_notebooks_are_in_sync_with_their_sources():
    stale = stale_files(ids=IDS)
    assert not stale, f"out of date, run `python -m autograder release`: {stale}"


@pytest.mark.parametrize("aid", IDS)
def test_release_has_no_solution_or_hidden_test_text(aid):
    sol = nbformat.read(course.solution_notebook(aid), as_version=4)
    rel = nbformat.read(course.release_notebook(aid), as_version=4)
    text = course.release_notebook(aid).read_text()
    assert not MARKER.search(text)
    assert "autograder" not in text, "hidden tests (autograder imports) leaked into the release"
    released = {meta(c).get("grade_id"): c for c in rel.cells if meta(c).get("grade_id")}
    for cell in sol.cells:
        gid = meta(cell).get("grade_id")
        if not meta(cell).get("solution"):
            continue
        stub = released[gid].source
        assert "raise NotImplementedError" in stub, f"{aid}: answer cell {gid} is not a stub"
        inside = False
        for line in cell.source.splitlines():
            if "### BEGIN SOLUTION" in line:
                inside = True
            elif "### END SOLUTION" in line:
                inside = False
            elif inside and len(line.strip()) > 12:
                assert line.strip() not in stub, f"{aid}/{gid}: solution line leaked: {line.strip()}"


@pytest.mark.parametrize("aid", IDS)
def test_every_test_cell_has_a_registered_hidden_probe(aid):
    sol = nbformat.read(course.solution_notebook(aid), as_version=4)
    graded = {meta(c)["grade_id"]: c for c in sol.cells if meta(c).get("grade")}
    specs = registered_tests(aid)
    assert set(graded) == set(specs), f"{aid}: test cells {sorted(graded)} vs registered {sorted(specs)}"
    for gid, cell in graded.items():
        assert meta(cell)["points"] > 0
        hidden = cell.source.split("### BEGIN HIDDEN TESTS", 1)
        assert len(hidden) == 2, f"{aid}/{gid}: no hidden tests"
        assert specs[gid].probe in all_checks(), f"{aid}/{gid}: no check for probe {specs[gid].probe}"
        assert not meta(cell).get("solution")
    for cell in sol.cells:
        if meta(cell).get("solution"):
            assert not meta(cell).get("grade"), f"{aid}: manually graded answer cells would block autograding"


@pytest.mark.parametrize("aid", IDS)
def test_release_starts_with_colab_badge_and_guarded_install(aid):
    rel = nbformat.read(course.release_notebook(aid), as_version=4)
    badge, install = rel.cells[0], rel.cells[1]
    assert course.colab_url(aid) in badge.source
    assert f"notebooks/{aid}/{aid}.ipynb" in badge.source
    assert 'if "google.colab" in sys.modules:' in install.source
    for spec in course.colab_install_specs():
        assert spec in install.source


def test_source_tags_are_validated(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('# %% test="t1"\nassert True\n')
    with pytest.raises(SourceError, match="points"):
        build_source_notebook(bad)
    bad.write_text('# %% answer="a"\nx = 1\n\n# %% answer="a"\ny = 2\n')
    with pytest.raises(SourceError, match="already used"):
        build_source_notebook(bad)


def test_building_twice_gives_the_same_bytes():
    from autograder.notebook_source import notebook_text
    for aid in IDS:
        src = course.solution_source(aid)
        assert notebook_text(build_source_notebook(src)) == notebook_text(build_source_notebook(src))
