"""The hardened grading path as nbgrader preprocessors, wired in by nbgrader_config.py.

So `nbgrader autograde` (and formgrader's "autograde" button) restore cells from the source,
execute in the same sandbox as `python -m autograder grade`, and let the same trusted
checks decide. The verdict of each test cell is written as that cell's only output, which
is what nbgrader's SaveAutoGrades scores: an error output means 0 points.
"""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, Integer, Unicode

from . import course
from .grading.execute import sandboxed_execute
from .grading.pipeline import find_forbidden_imports, find_tampering
from .grading.restore import Restored, restore_cells, visible_part
from .grading.sandbox import Limits, preflight, probes_package
from .grading.state import GraderState
from .grading.template import load_template, nbgrader_meta
from .grading.verdicts import CellVerdict, grade_tests

STATE_DIR = ".autograder"


class RestoreCells(NbGraderPreprocessor):
    """Replaces OverwriteCells: rebuild the notebook from the source's protected cells."""

    course_root = Unicode(str(course.ROOT), help="the course folder (where solutions/ is)").tag(config=True)

    def preprocess(self, nb, resources):
        aid = resources["nbgrader"]["assignment"]
        template = load_template(aid, Path(self.course_root))
        restored = restore_cells(template, [dict(c) for c in nb.cells])
        for note in restored.notes:
            self.log.warning("%s/%s: %s", resources["nbgrader"].get("student"), aid, note)
        new = restored.nb
        new.metadata = nb.metadata
        new.metadata["autodiff_grading"] = {"notes": restored.notes}
        return new, resources


def _verdict_output(cell_verdict):
    if cell_verdict.state == "passed":
        return nbformat.v4.new_output("stream", name="stdout", text="passed\n")
    ename = {"not_run": "TestNotRun", "forbidden": "ForbiddenImport"}.get(cell_verdict.state, "TestFailed")
    text = "; ".join(cell_verdict.messages) or "failed"
    return nbformat.v4.new_output("error", ename=ename, evalue=text, traceback=[f"{ename}: {m}" for m in cell_verdict.messages])


class SandboxedExecute(NbGraderPreprocessor):
    """Replaces Execute: run in the sandbox, then set each test cell's output to its verdict."""

    course_root = Unicode(str(course.ROOT), help="the course folder (where solutions/ is)").tag(config=True)
    cell_timeout = Float(60.0, help="wall-clock seconds per cell").tag(config=True)
    notebook_timeout = Float(600.0, help="wall-clock seconds per notebook").tag(config=True)
    memory_mb = Integer(4096, help="address space per process, in MB").tag(config=True)

    def preprocess(self, nb, resources):
        root = Path(self.course_root)
        aid = resources["nbgrader"]["assignment"]
        student = resources["nbgrader"]["student"]
        template = load_template(aid, root)
        state = GraderState(root / STATE_DIR)
        cache = root / STATE_DIR / "sandbox"
        cache.mkdir(parents=True, exist_ok=True)
        limits = Limits(cell_timeout=self.cell_timeout, notebook_timeout=self.notebook_timeout,
                        memory_mb=self.memory_mb)
        preflight(cache, limits)
        pkg = probes_package(cache / f"pkg-{os.getpid()}")
        seed = state.seed(student, aid)

        answers = {}
        for c in nb.cells:
            gid = nbgrader_meta(c).get("grade_id")
            if gid in template.answers:
                answers.setdefault(gid, []).append(c.source)
        forbidden = find_forbidden_imports(aid, Restored(nb, answer_copies=answers))

        tampering = find_tampering(template, nb)
        if tampering:
            message = "the notebook refers to the grader: " + "; ".join(tampering[:3])
            self.log.warning("%s/%s: tampering: %s", student, aid, message)
            for cell in nb.cells:
                gid = nbgrader_meta(cell).get("grade_id")
                if gid in template.points:
                    cell.outputs = [_verdict_output(CellVerdict(gid, 0.0, template.points[gid], "failed", [message]))]
            nb.metadata.setdefault("autodiff_grading", {}).update(status="tampering", message=message)
            return nb, resources

        execution = sandboxed_execute(nb, slot=1000 + os.getpid() % 1000, env={"AUTODIFF_PROBE_SEED": str(seed)},
                                      limits=limits, probes_pkg=pkg,
                                      data_files={k: str(v) for k, v in template.data_files.items()},
                                      runtime_parent=cache)
        verdicts = {v.grade_id: v for v in grade_tests(template, execution, seed, forbidden)}
        for cell in execution.nb.cells:
            gid = nbgrader_meta(cell).get("grade_id")
            if gid in verdicts:
                cell.outputs = [_verdict_output(verdicts[gid])]
        info = execution.nb.metadata.setdefault("autodiff_grading", {})
        info.update(status=execution.status, message=execution.message)
        if execution.status != "ok":
            self.log.warning("%s/%s: %s (%s)", student, aid, execution.status, execution.message)
        return execution.nb, resources


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback shows only the visible part of each test cell."""

    def preprocess_cell(self, cell, resources, index):
        if nbgrader_meta(cell).get("grade") and cell.cell_type == "code":
            cell.source = visible_part(cell.source)
        return cell, resources
