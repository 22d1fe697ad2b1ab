"""`python -m autograder publish OUT --repository OWNER/NAME`: the student repository.

Two repositories: this one (private: the solutions, the hidden tests, the grader) and a
public one for students, which the Colab and Binder badges open. OUT gets, generated from
this repository and nothing else:

- `README.md` for students: the notebooks with their working times and badges for
  OWNER/NAME, how to work in Colab, Binder or a clone, and what the practice checks can and
  cannot tell (templates/student_readme.md.j2);
- `notebooks/`: the student release, generated for OWNER/NAME (its badges and Colab install
  name that repository: release.generate_release(..., repository=...));
- `environment.yml`, `binder/`, `requirements.txt`: the environment, as here;
- `autodiff_practice/` and `pyproject.toml`: the practice checks, an installable package
  (practice_package.py), which the notebooks' first cell pip-installs in Colab;
- `.gitignore`, and `.autodiff-publish.json`: the list of files publish wrote, which marks
  OUT as a publish output.

Never: `solutions/`, an answer's solution, a hidden test, the grader, the gradebook, grades
or grader state. Everything is first built in a temporary folder and scanned for every line
of a solution or a hidden test (autograder/leaks.py); only then is OUT touched.

OUT may be new, empty (or hold only `.git`: a fresh clone of an empty repository), or an
earlier publish output: then the files publish wrote before and no longer writes are
removed, and nothing else in it is touched (`.git`, a LICENSE you added). Anything else is
refused. The same course gives the same bytes: publishing again after a change to the
course, then `git commit` in OUT, is a readable diff.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

from . import course, leaks, practice, practice_cell, practice_package, readme
from .probes import MIME

MANIFEST = ".autodiff-publish.json"
DEFAULT_CACHE = course.ROOT / "_build" / "publish-cache"
REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?/[A-Za-z0-9._-]{1,100}$")
COPIED = ("environment.yml", "binder/environment.yml", "requirements.txt")
GITIGNORE = ".ipynb_checkpoints/\n__pycache__/\n*.pyc\n.venv/\n*.egg-info/\nbuild/\n"
PYPROJECT = f'''# The practice checks, installable: in Colab the notebooks' first cell runs
#   pip install --no-deps "git+https://github.com/<this repository>@{course.BRANCH}"
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{practice_cell.PACKAGE.replace('_', '-')}"
version = "1.0"
description = "Practice checks for the notebooks of {course.COURSE_TITLE}"
requires-python = ">=3.10"
dependencies = ["numpy>=2"]

[tool.setuptools.packages.find]
include = ["{practice_cell.PACKAGE}*"]

[tool.setuptools.package-data]
{practice_cell.PACKAGE} = ["recorded/*.json"]
'''
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


class PublishError(RuntimeError):
    """Publishing failed (nothing in OUT was changed)."""


class PublishInputError(PublishError):
    """A bad OUT or OWNER/NAME (exit code 2)."""


def check_repository(repository: str) -> str:
    if (
        not isinstance(repository, str)
        or not REPOSITORY.match(repository)
        or repository.endswith((".git", "/.", "/.."))
    ):
        raise PublishInputError(
            f"--repository {repository!r} is not of the form OWNER/NAME (a GitHub account or "
            "organisation, a slash, a repository name: letters, digits, '-', '_', '.')"
        )
    return repository


def read_manifest(out: Path) -> list[str] | None:
    """The files an earlier publish wrote into `out`, or None if it is not a publish output."""
    path = out / MANIFEST
    if not path.is_file():
        return None
    try:
        files = json.loads(path.read_text())["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise PublishInputError(
            f"{path} is damaged ({exc}): move it away and publish into a new folder"
        ) from None
    if not isinstance(files, list) or not all(
        isinstance(f, str) and f and not Path(f).is_absolute() and ".." not in Path(f).parts for f in files
    ):
        raise PublishInputError(f"{path} is damaged (its file list is not a list of paths inside {out})")
    return files


def check_target(out: Path) -> list[str]:
    """Refuse an OUT publish must not write into; return the files an earlier publish wrote."""
    if (
        out == course.ROOT
        or course.ROOT.is_relative_to(out)
        or out.is_relative_to(course.ROOT / course.SOLUTIONS_DIR)
    ):
        raise PublishInputError(
            f"refusing to publish into {out}: it would write into the course repository itself"
        )
    if out.exists() and not out.is_dir():
        raise PublishInputError(f"{out} exists and is not a folder")
    if not out.exists():
        return []
    earlier = read_manifest(out)
    if earlier is not None:
        return earlier
    others = sorted(p.name for p in out.iterdir() if p.name != ".git")
    if others:
        raise PublishInputError(
            f"{out} exists and is not an earlier publish output (it has no {MANIFEST}, and holds "
            f"{', '.join(others[:5])}{', ...' if len(others) > 5 else ''}): publish into a new or empty folder, "
            "or a fresh clone of an empty repository"
        )
    return []


def student_readme(repository: str) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    seeds = [str(s) for s in practice.PRACTICE_SEEDS]
    return env.get_template("student_readme.md.j2").render(
        title=course.COURSE_TITLE,
        notebooks=list(course.ASSIGNMENTS),
        rows=readme.notebook_rows(repository),
        binder_badge=readme.BINDER_BADGE,
        binder_url=course.binder_url(repository=repository),
        env_name=_environment_name(),
        package=practice_cell.PACKAGE,
        seeds=", ".join(seeds[:-1]) + " and " + seeds[-1],
        seeds_count=len(seeds),
    )


def _environment_name() -> str:
    match = re.search(r"^name:\s*(\S+)", (course.ROOT / "environment.yml").read_text(), re.M)
    if not match:
        raise PublishError("environment.yml has no `name:` line")
    return match.group(1)


def build(stage: Path, repository: str, tmp: Path, jobs: int, cache: Path | None, log) -> None:
    """Write the whole student repository into `stage` (a new folder)."""
    from .release import ReleaseError, release_into

    missing = [aid for aid in course.ASSIGNMENTS if not course.solution_source(aid).exists()]
    if missing:
        raise PublishError(f"no source for {missing}: every assignment of the course table is published")
    try:
        release = release_into(tmp, repository=repository)
    except ReleaseError as exc:
        raise PublishError(str(exc)) from exc
    releases = {aid: release / aid / f"{aid}.ipynb" for aid in course.ASSIGNMENTS}
    for aid, path in releases.items():
        dest = stage / course.RELEASE_DIR / aid / path.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
    for rel in COPIED:
        (stage / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(course.ROOT / rel, stage / rel)
    (stage / "README.md").write_text(student_readme(repository))
    (stage / "pyproject.toml").write_text(PYPROJECT)
    (stage / ".gitignore").write_text(GITIGNORE)
    try:
        data = practice_package.record(releases, jobs=jobs, cache=cache, log=log)
    except practice_package.PracticeBuildError as exc:
        raise PublishError(str(exc)) from exc
    practice_package.write_package(stage / practice_cell.PACKAGE, data)
    scan(stage, releases.values())


def scan(stage: Path, release_notebooks) -> None:
    """Stop if anything in `stage` shows a solution or hidden-test line, a region marker or
    a probe record."""
    public = leaks.public_text(list(release_notebooks))
    secrets = set().union(*(leaks.secret_lines(aid, public) for aid in course.ASSIGNMENTS))
    found = leaks.leaks(stage, secrets)
    package = stage / practice_cell.PACKAGE
    for path in sorted(stage.rglob("*")):
        if path.is_file():
            raw = path.read_bytes()
            # the probes' own source names their record format; nothing else may hold a record
            never = MARKERS if path.is_relative_to(package) else (*MARKERS, MIME)
            found.update({str(path.relative_to(stage)): [n] for n in never if n.encode() in raw})
    if found:
        listed = "; ".join(f"{f}: {hits[0][:80]!r}" for f, hits in sorted(found.items())[:5])
        raise PublishError(
            f"the student repository would show solution or hidden-test text, so nothing was "
            f"written: {listed}"
        )


def sync(stage: Path, out: Path, earlier: list[str]) -> list[str]:
    """Make OUT hold the staged files: write those that differ, remove the files an earlier
    publish wrote that are no longer published (and folders that leaves empty). Returns the
    files written or removed."""
    files = sorted(str(p.relative_to(stage)) for p in stage.rglob("*") if p.is_file())
    in_the_way = [out / rel for rel in files if (out / rel).is_dir()]
    if in_the_way:
        raise PublishInputError(f"{in_the_way[0]} is a folder, where publish writes a file: move it away")
    changed = []
    out.mkdir(parents=True, exist_ok=True)
    for rel in files:
        src, dest = stage / rel, out / rel
        if not dest.is_file() or dest.read_bytes() != src.read_bytes():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
            changed.append(rel)
    for rel in sorted(set(earlier) - set(files) - {MANIFEST}):
        path = out / rel
        if path.is_file() or path.is_symlink():
            path.unlink()
            changed.append(rel)
            for folder in path.parents:
                if folder == out or not folder.is_relative_to(out) or any(folder.iterdir()):
                    break
                folder.rmdir()
    manifest = (
        json.dumps(
            {"written_by": "python -m autograder publish", "files": sorted(files + [MANIFEST])}, indent=1
        )
        + "\n"
    )
    if not (out / MANIFEST).is_file() or (out / MANIFEST).read_text() != manifest:
        (out / MANIFEST).write_text(manifest)
    return changed


def publish(
    out: Path, repository: str, jobs: int = 2, cache: Path | None = DEFAULT_CACHE, log=print
) -> list[str]:
    """Write (or update) the student repository in `out`; return the files that changed."""
    check_repository(repository)
    out = Path(out).resolve()
    earlier = check_target(out)
    with tempfile.TemporaryDirectory(prefix="autodiff-publish-") as tmp:
        stage = Path(tmp) / "repository"
        stage.mkdir()
        build(stage, repository, Path(tmp), jobs, cache, log)
        return sync(stage, out, earlier)
