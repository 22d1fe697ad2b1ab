"""`python -m autograder publish OUT --repository OWNER/NAME`: the student repository.

- It holds the student README, notebooks/, environment.yml, binder/, requirements.txt and
  the practice checks' package (autodiff_practice/, pyproject.toml), and no solutions,
  references, grading pipeline, gradebook or grades.
- No line of a solution or a hidden test is in it: every line of solutions/<id>/<id>.py, of
  the solution and hidden-test regions of solutions/<id>/<id>.ipynb, and of the grader's
  references (autograder/reference: for several exercises their code is the answer) and
  grading pipeline (autograder/grading, but for the modules the practice checks ship) that says something and
  that the release does not show anyway, is looked for in every file, as it is and as a
  notebook or a browser shows it (autograder/leaks.py).
- Every Colab and Binder link, in the README and in the notebooks, names OWNER/NAME.
- A bad OWNER/NAME is refused with a message and exit code 2, before anything is written.
- An OUT that is not new, empty or an earlier publish output is refused, with nothing in it
  touched; publishing again into an earlier output keeps what publish did not write (`.git`,
  a LICENSE), removes what it no longer writes, and changes nothing when the course did not.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder import course, leaks, practice_package
from autograder.cli import main
from autograder.publish import MANIFEST, PublishError, PublishInputError, publish, scan

pytestmark = pytest.mark.slow
REPO = "alice-teaches/autodiff-student"
PACKAGE = "autodiff_practice"
EXPECTED = {
    "README.md",
    "environment.yml",
    "binder/environment.yml",
    "requirements.txt",
    ".gitignore",
    MANIFEST,
    "pyproject.toml",
    *(f"{course.RELEASE_DIR}/{aid}/{aid}.ipynb" for aid in course.ASSIGNMENTS),
    *(f"{PACKAGE}/{rel}" for rel in practice_package.vendored_files()),
    f"{PACKAGE}/__init__.py",
    f"{PACKAGE}/reference/__init__.py",
    *(
        f"{PACKAGE}/reference/{p.name}"
        for p in (course.ROOT / "autograder" / "reference").glob("*.py")
        if p.name != "__init__.py"
    ),
    *(f"{PACKAGE}/recorded/{aid}.json" for aid in course.ASSIGNMENTS),
}
# The grader's code that knows the answers (references) or is not the students' business
# (the grading pipeline); the probes and checks ship on purpose: their logic is public, the
# secret is the grader's seed.
GRADER_SOURCES = ("reference", "grading")


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("student") / "repo"
    changed = publish(out, REPO, cache=tmp_path_factory.mktemp("practice-cache"), log=lambda m: None)
    assert sorted(changed) == sorted(EXPECTED - {MANIFEST})
    return out


def files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and ".git" not in p.parts}


@functools.lru_cache(maxsize=1)
def secret_lines() -> frozenset[str]:
    """Every line that must not be published: the solution sources whole (prose and the
    release's own code are removed below, as the release shows them anyway), the solution
    and hidden-test regions of the nbgrader sources, and the grader's checks and references."""
    shipped = "\n".join(
        leaks.norm(line)
        for rel in practice_package.vendored_files()
        for line in (course.ROOT / "autograder" / rel).read_text().splitlines()
    )
    # what students get anyway: the release (its cells, and its JSON as a file: nbgrader's cell
    # metadata such as "schema_version": 3 is also written by the grader), the probes and checks
    release_files = "\n".join(
        leaks.norm(line)
        for aid in course.ASSIGNMENTS
        for line in course.release_notebook(aid).read_text().splitlines()
    )
    public = "\n".join((leaks.public_text(), release_files, shipped))
    lines = set()
    for aid in course.ASSIGNMENTS:
        lines |= {leaks.norm(line) for line in course.solution_source(aid).read_text().splitlines()}
        lines |= set(leaks.region_lines(nbformat.read(course.solution_notebook(aid), as_version=4)))
    for folder in GRADER_SOURCES:
        for path in sorted((course.ROOT / "autograder" / folder).rglob("*.py")):
            lines |= {leaks.norm(line) for line in path.read_text().splitlines()}
    public_lines = set(public.splitlines())
    return frozenset(
        line
        for line in lines
        if leaks.says_something(line) and line not in public_lines and line not in public
    )


def test_the_student_repository_has_what_students_need_and_nothing_else(published):
    assert files(published) == EXPECTED
    assert json.loads((published / MANIFEST).read_text())["files"] == sorted(EXPECTED)
    assert (published / "binder" / "environment.yml").read_bytes() == (
        course.ROOT / "binder" / "environment.yml"
    ).read_bytes()
    assert (published / "environment.yml").read_bytes() == (course.ROOT / "environment.yml").read_bytes()
    readme = (published / "README.md").read_text()
    assert readme.startswith(f"# {course.COURSE_TITLE}\n")
    for n, a in enumerate(course.COURSE, 1):
        assert (
            f"| {n} | [{a.title}]({course.RELEASE_DIR}/{a.id}/{a.id}.ipynb) | {a.time_estimate} |" in readme
        )
    for aid in course.ASSIGNMENTS:
        release = nbformat.read(course.release_notebook(aid), as_version=4)
        student = nbformat.read(published / course.RELEASE_DIR / aid / f"{aid}.ipynb", as_version=4)
        # the same notebook as the release, but for the cells naming the student repository
        header = ("colab-badge", "colab-install")
        assert [c.source for c in student.cells if c.get("id") not in header] == [
            c.source for c in release.cells if c.get("id") not in header
        ]
        assert course.practice_install_url(REPO) in student.cells[1].source


def test_no_line_of_a_solution_or_a_hidden_test_is_published(published):
    secrets = secret_lines()
    assert len(secrets) > 1000  # the scan looks for something (measured: see the report)
    assert leaks.leaks(published, set(secrets)) == {}
    for path in published.rglob("*"):
        if path.is_file():
            text = path.read_text()
            markers = ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"]
            if PACKAGE not in path.relative_to(published).parts:  # the vendored course table names them
                markers += ["solutions/", "AUTODIFF_PROBE_SEED", "gradebook.db"]
            for marker in markers:
                assert marker not in text, (path, marker)
    shipped = {p.name for p in (published / PACKAGE / "reference").glob("*.py")}
    for path in (course.ROOT / "autograder" / "reference").glob("*.py"):  # replayed values, no code
        assert (
            path.name in shipped
            and path.read_text() != (published / PACKAGE / "reference" / path.name).read_text()
        )


def test_publish_refuses_to_write_a_leak(tmp_path):
    stage = tmp_path / "stage"
    shutil.copytree(course.ROOT / course.RELEASE_DIR, stage / course.RELEASE_DIR)
    scan(stage, [course.release_notebook(aid) for aid in course.ASSIGNMENTS])  # the release alone is clean
    secret = sorted(leaks.secret_lines("02_euler_rk4"))[0]
    (stage / "notes.md").write_text(f"A hint:\n\n    {secret}\n")
    with pytest.raises(PublishError, match="notes.md"):
        scan(stage, [course.release_notebook(aid) for aid in course.ASSIGNMENTS])


def test_every_badge_names_the_student_repository(published):
    texts = {"README.md": (published / "README.md").read_text()}
    for aid in course.ASSIGNMENTS:
        nb = nbformat.read(published / course.RELEASE_DIR / aid / f"{aid}.ipynb", as_version=4)
        texts[aid] = "\n".join(c.source for c in nb.cells)
        assert course.colab_url(aid, REPO) in texts[aid]
        assert course.colab_url(aid, REPO) in texts["README.md"]
        assert course.binder_url(aid, REPO) in texts["README.md"]
    assert course.binder_url(repository=REPO) in texts["README.md"]
    for name, text in texts.items():
        links = re.findall(
            r"https://(?:colab\.research\.google\.com/github|mybinder\.org/v2/gh)/([^/\s)\"']+/[^/\s)\"'?]+)",
            text,
        )
        assert links and set(links) == {REPO}, (name, set(links))


@pytest.mark.parametrize(
    "bad",
    [
        "alice",
        "alice/",
        "/autodiff",
        "alice/autodiff/extra",
        "alice autodiff/x",
        "https://github.com/alice/autodiff",
        "-alice/autodiff",
        "alice/autodiff.git",
    ],
)
def test_a_bad_repository_is_refused_before_anything_is_written(tmp_path, capsys, bad):
    out = tmp_path / "out"
    assert main(["publish", str(out), f"--repository={bad}"]) == 2
    err = capsys.readouterr().err
    assert "is not of the form OWNER/NAME" in err and repr(bad) in err
    assert not out.exists()


def test_a_folder_that_is_not_a_publish_output_is_left_alone(tmp_path, capsys):
    out = tmp_path / "mine"
    (out / "notebooks").mkdir(parents=True)
    (out / "notebooks" / "draft.ipynb").write_text("my draft")
    (out / "README.md").write_text("mine")
    assert main(["publish", str(out), "--repository", REPO]) == 2
    assert "is not an earlier publish output" in capsys.readouterr().err
    assert files(out) == {"notebooks/draft.ipynb", "README.md"}
    assert (out / "README.md").read_text() == "mine"
    with pytest.raises(PublishInputError, match="course repository itself"):
        publish(course.ROOT, REPO)


def test_publishing_again_keeps_what_publish_did_not_write(published, tmp_path, capsys):
    cache = published.parent.parent / "practice-cache0"  # the fixture's: nothing is executed again
    out = tmp_path / "clone"
    shutil.copytree(published, out)
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / "LICENSE").write_text("CC-BY-4.0\n")
    # a file an earlier publish wrote and no longer writes (an assignment since withdrawn)
    stale = f"{course.RELEASE_DIR}/00_withdrawn/00_withdrawn.ipynb"
    (out / stale).parent.mkdir()
    (out / stale).write_text("{}")
    manifest = json.loads((out / MANIFEST).read_text())
    (out / MANIFEST).write_text(json.dumps({**manifest, "files": sorted(manifest["files"] + [stale])}))
    (out / "README.md").write_text("edited by hand: publish owns this file")

    assert main(["publish", str(out), "--repository", REPO, "--cache", str(cache)]) == 0
    assert "2 file(s) written or removed" in capsys.readouterr().out  # the README, the stale file
    assert files(out) == EXPECTED | {"LICENSE"}
    assert (out / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert (out / "LICENSE").read_text() == "CC-BY-4.0\n"
    assert not (out / stale).parent.exists()
    for rel in EXPECTED:
        assert (out / rel).read_bytes() == (published / rel).read_bytes(), rel  # the same bytes again

    assert (
        publish(out, REPO, cache=cache, log=lambda m: None) == []
    )  # nothing changed in the course: nothing to commit
