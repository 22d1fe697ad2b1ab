"""Every solution notebook runs top to bottom: visible self-checks and hidden tests pass.

Outside the grader the hidden probes draw their own seed and check their results at once,
so a failing hidden test raises here exactly as a failing assert does. Timing targets live
in benchmarks/, not here.
"""

from __future__ import annotations

import pytest
from conftest import released_assignments

from autograder import course
from autograder.notebook_runner import execute_notebook

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("aid", released_assignments())
def test_solution_notebook_executes_cleanly(aid, tmp_path):
    run = execute_notebook(course.solution_notebook(aid), timeout=300, cwd=tmp_path)
    errors = [
        o
        for c in run.nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
    stderr = [
        o.get("text", "")
        for c in run.nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    ]
    noisy = [s for s in stderr if "Warning" in s or "warn" in s.lower()]
    assert not noisy, f"{aid} prints warnings under headless execution: {noisy[:3]}"
    probes = sum("### BEGIN HIDDEN TESTS" in c.source for c in run.nb.cells)
    assert probes >= 1
