"""The release: generated from the sources, in sync, and free of solutions and hidden tests."""

from __future__ import annotations

import re

import nbformat
import pytest
from conftest import released_assignments

from autograder import course
from autograder.notebook_source import SourceError, build_source_notebook
from autograder.release import stale_files

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
def test_release_starts_with_colab_badge_and_guarded_install(aid):
    rel = nbformat.read(course.release_notebook(aid), as_version=4)
    badge, install = rel.cells[0], rel.cells[1]
    assert course.colab_url(aid) in badge.source
    assert f"notebooks/{aid}/{aid}.ipynb" in badge.source
    assert 'if "google.colab" in sys.modules:' in install.source
    for spec in course.colab_install_specs():
        assert spec in install.source


def test_source_tags_are_validated(tmp_path):
    table = course.Assignment("99_x", "x", "x", (course.Answer("a", (course.Test("t1", 2),)),))
    bad = tmp_path / "bad.py"
    bad.write_text('# %% test="t1" points=2\nassert True\n')
    with pytest.raises(SourceError, match="course table"):
        build_source_notebook(bad, table)
    bad.write_text('# %% answer="a"\nx = 1\n\n# %% answer="a"\ny = 2\n')
    with pytest.raises(SourceError, match="already used"):
        build_source_notebook(bad, table)
    bad.write_text('# %% answer="a"\nx = 1\n\n# %% test="t2"\nassert True\n')
    with pytest.raises(SourceError, match="not in the course table"):
        build_source_notebook(bad, table)
    bad.write_text('# %% answer="a"\nx = 1\n')
    with pytest.raises(SourceError, match=r"the course table has tests \['t1'\]"):
        build_source_notebook(bad, table)
    good = tmp_path / "good.py"
    good.write_text('# %% answer="a"\nx = 1\n\n# %% test="t1"\nassert x == 1\n')
    nb = build_source_notebook(good, table)
    assert [c.metadata["nbgrader"]["grade_id"] for c in nb.cells] == ["practice_checks", "a", "t1"]
    assert nb.cells[2].metadata["nbgrader"]["points"] == 2
    bad.write_text(
        '# %% answer="a"\nx = 1\n\n# %% readonly="practice_checks"\ny = 1\n\n# %% test="t1"\nassert x\n'
    )
    with pytest.raises(
        SourceError, match=r"cell 2: id 'practice_checks' already used by the generated practice cell"
    ):
        build_source_notebook(bad, table)
    with pytest.raises(SourceError, match="not an assignment"):
        build_source_notebook(good)


def test_building_twice_gives_the_same_bytes():
    from autograder.notebook_source import notebook_text

    for aid in IDS:
        src = course.solution_source(aid)
        assert notebook_text(build_source_notebook(src)) == notebook_text(build_source_notebook(src))
