"""A temporary nbgrader course made from this one, and nbgrader's own commands run in it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_course(folder: Path, aids: list[str]) -> Path:
    """A course folder as an instructor has it: config, the grader package and the sources
    of `aids`, each registered with `nbgrader generate_assignment`."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    shutil.copy(ROOT / "requirements.txt", folder)
    shutil.copytree(ROOT / "autograder", folder / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    for aid in aids:
        shutil.copytree(ROOT / "solutions" / aid, folder / "solutions" / aid)
        proc = nbgrader(folder, "generate_assignment", aid, "--force")
        assert proc.returncode == 0, proc.stderr[-3000:]
    return folder


def nbgrader(
    course: Path, *args: str, env: dict | None = None, timeout: float = 3000
) -> subprocess.CompletedProcess:
    bindir = str(Path(sys.executable).parent)
    full_env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"])
    full_env.update(env or {})
    return subprocess.run(
        [str(Path(bindir) / "nbgrader"), *args],
        cwd=course,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def gradebook_scores(course: Path, aid: str) -> dict[str, tuple[float | None, float, bool]]:
    """{student: (score, max score, needs manual grade)}; score None where no grade was recorded.
    The score is after any late penalty, as nbgrader's own `export` writes it."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        out = {}
        for sub in gb.assignment_submissions(aid):
            recorded = [g.auto_score for nb in sub.notebooks for g in nb.grades]
            score = None if any(s is None for s in recorded) else sub.score - sub.late_submission_penalty
            out[sub.student_id] = (score, sub.max_score, sub.needs_manual_grade)
        return out
