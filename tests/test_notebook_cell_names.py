"""Names flow from locked and answer cells to demos and tests, never out of a test or a demo.

A demo that used a name defined in a test cell would turn a failing assert into a NameError
in every later demo, hiding the real mistake; a test that used a name defined only in a demo
would break when the grader skips the unchanged demo. Read statically from the sources of
the notebooks rewritten for issue 16 (04-06); the other notebooks can join the list.
"""

from __future__ import annotations

import ast

import nbformat
import pytest

from autograder import course

IDS = ("04_jax", "05_mlp_logistic", "06_jacobians_hessians")


def _kind(cell) -> str:
    meta = cell.metadata.get("nbgrader", {})
    if meta.get("grade"):
        return "test"
    if "demo" in cell.metadata.get("tags", []):
        return "demo"
    return "other"


def _names(source: str) -> tuple[set[str], set[str]]:
    """(names the cell binds at top level or anywhere, names it reads)."""
    source = source.split("### BEGIN HIDDEN TESTS")[0]
    tree = ast.parse("\n".join(ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))))
    bound, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, (ast.Store, ast.Del)) else read).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return bound, read


@pytest.mark.parametrize("aid", IDS)
def test_demos_and_tests_read_no_name_that_only_a_test_or_a_demo_binds(aid):
    nb = nbformat.read(course.solution_notebook(aid), as_version=4)
    cells = [(_kind(c), *_names(c.source)) for c in nb.cells if c.cell_type == "code"]
    bound_by = {"test": set(), "demo": set(), "other": set()}
    for kind, bound, _ in cells:
        bound_by[kind] |= bound
    problems = []
    for i, (kind, bound, read) in enumerate(cells):
        outside = read - bound
        if kind == "demo":
            problems += [
                f"demo cell {i} reads {n}, bound only in a test cell"
                for n in sorted(outside & bound_by["test"] - bound_by["other"] - bound_by["demo"])
            ]
        else:
            problems += [
                f"{kind} cell {i} reads {n}, bound only in a demo cell"
                for n in sorted(outside & bound_by["demo"] - bound_by["other"] - bound_by["test"])
            ]
    assert not problems, problems
