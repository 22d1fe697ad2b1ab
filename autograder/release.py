"""`python -m autograder release`: solutions/<id>/<id>.py -> solutions/<id>/<id>.ipynb -> notebooks/.

The second step is nbgrader's own `generate_assignment`, run with the course's
nbgrader_config.py; this module only points it at the right folders.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import tempfile
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from . import course
from .notebook_source import build_source_notebook, notebook_text, write_if_changed


class ReleaseError(RuntimeError):
    pass


def load_nbgrader_config(root: Path = course.ROOT) -> Config:
    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def build_solution_notebooks(ids, root: Path = course.ROOT) -> list[Path]:
    """Rebuild solutions/<id>/<id>.ipynb from its .py source; return the files that changed."""
    changed = []
    for aid in ids:
        src = course.solution_source(aid, root)
        if not src.exists():
            raise ReleaseError(f"{src} does not exist: every assignment's source is a jupytext .py file")
        if write_if_changed(course.solution_notebook(aid, root), notebook_text(build_source_notebook(src))):
            changed.append(course.solution_notebook(aid, root))
    return changed


def ensure_tools_on_path() -> None:
    """nbgrader runs `alembic` from PATH; make the running environment's scripts findable."""
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def generate_release(
    ids,
    root: Path = course.ROOT,
    release_dir: Path | None = None,
    db_url: str | None = None,
    repository: str | None = None,
) -> None:
    """Run nbgrader's generate_assignment for each id into release_dir (default notebooks/),
    its Colab badges and install naming `repository` (default course.REPOSITORY)."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory

    cfg = load_nbgrader_config(root)
    overrides = Config()
    if release_dir is not None:
        overrides.CourseDirectory.release_directory = str(release_dir)
    if db_url is not None:
        overrides.CourseDirectory.db_url = db_url
    if repository is not None:
        overrides.AddColabHeader.repository = repository
    cfg.merge(overrides)
    ensure_tools_on_path()
    for aid in ids:
        coursedir = CourseDirectory(config=cfg)
        coursedir.assignment_id = aid
        converter = GenerateAssignment(coursedir=coursedir, config=cfg)
        converter.force = True
        converter.create_assignment = True
        log = io.StringIO()
        handler = logging.StreamHandler(log)
        converter.log.addHandler(handler)
        converter.log.setLevel(logging.WARNING)
        try:
            converter.start()
        except Exception as exc:  # nbgrader logs the reason, then raises a generic exception
            raise ReleaseError(
                f"nbgrader generate_assignment failed for {aid}:\n{log.getvalue()[-3000:]}"
            ) from exc
        finally:
            converter.log.removeHandler(handler)


def release(ids=None, root: Path = course.ROOT) -> None:
    """Rebuild solutions/*.ipynb and notebooks/ for these assignments.

    nbgrader needs a gradebook to generate an assignment; this one is thrown away, so the
    release never touches the course's gradebook.db (`nbgrader generate_assignment ID`
    registers an assignment there, and writes the same release).
    """
    ids = list(ids or course.ASSIGNMENTS)
    unknown = [a for a in ids if a not in course.ASSIGNMENTS]
    if unknown:
        raise ReleaseError(f"unknown assignment id(s) {unknown}; known: {', '.join(course.ASSIGNMENTS)}")
    build_solution_notebooks(ids, root)
    with tempfile.TemporaryDirectory(prefix="autodiff-release-") as tmp:
        generate_release(ids, root, db_url=f"sqlite:///{Path(tmp) / 'gradebook.db'}")
    if (root / "README.md").exists():
        from .readme import refresh

        refresh(root / "README.md")


def release_into(tmp: Path, ids=None, root: Path = course.ROOT, repository: str | None = None) -> Path:
    """Generate the release into tmp/ (with a throwaway gradebook) and return that folder."""
    ids = list(ids or course.ASSIGNMENTS)
    out = tmp / "release"
    generate_release(
        ids, root, release_dir=out, db_url=f"sqlite:///{tmp / 'gradebook.db'}", repository=repository
    )
    return out


def stale_files(root: Path = course.ROOT, ids=None) -> list[str]:
    """Files in solutions/*.ipynb or notebooks/ that differ from what the sources generate."""
    ids = list(ids or course.ASSIGNMENTS)
    stale = []
    for aid in ids:
        built = notebook_text(build_source_notebook(course.solution_source(aid, root)))
        path = course.solution_notebook(aid, root)
        if not path.exists() or path.read_text() != built:
            stale.append(str(path.relative_to(root)))
    with tempfile.TemporaryDirectory() as tmp:
        out = release_into(Path(tmp), ids, root)
        for aid in ids:
            fresh = out / aid / f"{aid}.ipynb"
            committed = course.release_notebook(aid, root)
            if not committed.exists() or committed.read_text() != fresh.read_text():
                stale.append(str(committed.relative_to(root)))
    return stale
