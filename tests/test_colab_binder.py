"""Colab and Binder readiness, checked as far as this machine allows (no Colab, no Docker).

Colab: each student notebook opens with a badge whose link points at this very file on
GitHub, and an install cell that does nothing outside Colab and, on Colab, pip-installs only
the pinned packages Colab lacks, nothing the notebook does not import.

Binder: binder/ holds what repo2docker builds from, its pins agree with environment.yml and
requirements.txt, and it provides every package the notebooks import. When repo2docker is
installed (`jupyter-repo2docker`, or $AUTODIFF_REPO2DOCKER), its `--no-build` dry run must
accept the repository and build from binder/environment.yml.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path
from unittest import mock
from urllib.parse import urlparse

import nbformat
import pytest

from autograder import course
from autograder.envfiles import PYTHON, parse_environment, supported_versions
from autograder.practice_cell import PACKAGE as PRACTICE_PACKAGE

ROOT = course.ROOT
RELEASED = [a for a in course.ASSIGNMENTS if course.release_notebook(a).exists()]

# What a fresh Colab runtime already has (import names). Anything else a notebook imports
# must be installed by its Colab cell.
COLAB_PREINSTALLED = {
    "numpy",
    "scipy",
    "matplotlib",
    "sympy",
    "ipywidgets",
    "IPython",
    "jax",
    "jaxlib",
    "torch",
    "pandas",
    "sklearn",
    "tqdm",
    "PIL",
    "seaborn",
}
# Files repo2docker reads from binder/ (https://repo2docker.readthedocs.io/en/latest/config_files.html)
REPO2DOCKER_FILES = {
    "environment.yml",
    "requirements.txt",
    "runtime.txt",
    "apt.txt",
    "postBuild",
    "start",
    "install.R",
    "DESCRIPTION",
    "Project.toml",
    "setup.py",
    "Pipfile",
    "Pipfile.lock",
    "default.nix",
    "Dockerfile",
    "README.md",
}


def release(aid: str) -> nbformat.NotebookNode:
    return nbformat.read(course.release_notebook(aid), as_version=4)


def imported_modules(nb: nbformat.NotebookNode) -> set[str]:
    """Top-level names of every non-standard-library module the notebook's code imports."""
    mods = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                mods |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                mods.add(node.module.split(".")[0])
    # the practice checks come with the student repository (`publish`), not from a registry
    return mods - set(sys.stdlib_module_names) - {PRACTICE_PACKAGE}


@functools.lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def distribution_of(module: str) -> str:
    """The pip name (lower case) that provides an import name, from the installed packages."""
    dists = _distributions().get(module, [module])
    return dists[0].lower()


def run_install_cell(source: str, in_colab: bool) -> list:
    """Execute the install cell with subprocess.run replaced; return the calls it made."""
    calls = []
    fake_run = mock.Mock(side_effect=lambda *a, **k: calls.append((a, k)))
    with mock.patch.dict(sys.modules), mock.patch("subprocess.run", fake_run):
        if in_colab:
            sys.modules["google.colab"] = types.ModuleType("google.colab")
        else:
            sys.modules.pop("google.colab", None)
        exec(compile(source, "<colab-install>", "exec"), {"__name__": "__colab_install__"})  # noqa: S102
    return calls


# --------------------------------------------------------------------------------------------
# Colab
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("aid", RELEASED)
def test_colab_badge_opens_this_notebook(aid):
    badge = release(aid).cells[0]
    assert badge.cell_type == "markdown" and badge.get("id") == "colab-badge", (
        f"{aid}: first cell is not the badge"
    )
    links = re.findall(r'href="([^"]+)"', badge.source)
    assert len(links) == 1, f"{aid}: the badge cell should hold one link, found {links}"
    url = urlparse(links[0])
    assert (url.scheme, url.netloc) == ("https", "colab.research.google.com"), links[0]
    parts = url.path.split("/")
    # /github/<owner>/<repo>/blob/<branch>/<path in the repository>
    assert parts[1] == "github" and parts[4] == "blob", f"{aid}: not a Colab GitHub link: {links[0]}"
    assert "/".join(parts[2:4]) == course.REPOSITORY, (
        f"{aid}: badge opens {parts[2:4]}, not {course.REPOSITORY}"
    )
    assert parts[5] == course.BRANCH, f"{aid}: badge opens branch {parts[5]}, not {course.BRANCH}"
    target = ROOT.joinpath(*parts[6:])
    assert target == course.release_notebook(aid), (
        f"{aid}: badge opens {'/'.join(parts[6:])}, not this notebook"
    )
    assert target.is_file()
    assert 'src="https://colab.research.google.com/assets/colab-badge.svg"' in badge.source


@pytest.mark.parametrize("aid", RELEASED)
def test_colab_install_cell_is_a_no_op_outside_colab(aid):
    cell = release(aid).cells[1]
    assert cell.cell_type == "code" and cell.get("id") == "colab-install", (
        f"{aid}: second cell is not the install cell"
    )
    tree = ast.parse(cell.source)
    # only `import sys` and the guarded block at top level: nothing runs unguarded
    for node in tree.body:
        if isinstance(node, ast.Import):
            assert [a.name for a in node.names] == ["sys"], f"{aid}: unguarded import in the install cell"
        else:
            assert isinstance(node, ast.If), (
                f"{aid}: unguarded statement in the install cell: {ast.unparse(node)}"
            )
            guard = ast.unparse(node.test)
            assert guard == "'google.colab' in sys.modules", f"{aid}: the install cell is guarded by {guard}"
    assert sum(isinstance(n, ast.If) for n in tree.body) == 1
    assert run_install_cell(cell.source, in_colab=False) == [], (
        f"{aid}: the install cell does something outside Colab"
    )


@pytest.mark.parametrize("aid", RELEASED)
def test_colab_install_cell_installs_only_what_colab_lacks(aid):
    nb = release(aid)
    calls = run_install_cell(nb.cells[1].source, in_colab=True)
    assert len(calls) == 2, f"{aid}: expected two pip calls on Colab, got {calls}"
    # the second installs the practice checks from the student repository, alone (no
    # dependencies: Colab's own packages stay), and may fail (a private copy) without stopping
    (practice_argv,), practice_kwargs = calls[1]
    assert practice_argv == [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        course.practice_install_url(),
    ], practice_argv
    assert practice_kwargs.get("check") is False
    (argv,), kwargs = calls[0]
    assert argv[:4] == [sys.executable, "-m", "pip", "install"], argv
    assert kwargs.get("check") is True, f"{aid}: a failed install must stop the notebook (check=True)"
    specs = [a for a in argv[4:] if not a.startswith("-")]
    assert not {"-U", "--upgrade", "--force-reinstall"} & set(argv), (
        f"{aid}: must not upgrade Colab's packages"
    )
    assert specs == course.colab_install_specs(), (
        f"{aid}: installs {specs}, expected {course.colab_install_specs()}"
    )
    pins = course.pinned_requirements()
    for spec in specs:
        name, version = spec.split("==")
        assert pins.get(name.lower()) == version, f"{aid}: {spec} is not the requirements.txt pin"
    # everything imported is on Colab already or installed here; nothing installed goes unused
    imports = imported_modules(nb)
    installed = {s.split("==")[0].lower() for s in specs}
    missing = {m for m in imports if m not in COLAB_PREINSTALLED and distribution_of(m) not in installed}
    assert not missing, (
        f"{aid}: imports {sorted(missing)}, which Colab lacks and the install cell does not install"
    )
    unused = installed - {distribution_of(m) for m in imports}
    assert not unused, f"{aid}: installs {sorted(unused)} but never imports it"


@pytest.mark.parametrize("aid", RELEASED)
def test_no_other_cell_installs_or_needs_colab(aid):
    for i, cell in enumerate(release(aid).cells[2:], start=2):
        if cell.cell_type != "code":
            continue
        assert not re.search(r"^\s*[!%]\s*pip\b|pip\", \"install|google\.colab", cell.source, re.M), (
            f"{aid}: cell {i} installs packages or depends on Colab; only the install cell may"
        )


def test_readme_links_open_existing_notebooks():
    readme = ROOT / "README.md"
    if not readme.exists():
        pytest.skip("no README.md yet")
    text = readme.read_text()
    prefix = f"https://colab.research.google.com/github/{course.REPOSITORY}/blob/{course.BRANCH}/"
    for path in re.findall(re.escape(prefix) + r"([^\s)\"'>]+)", text):
        assert (ROOT / path).is_file(), f"README's Colab link opens {path}, which does not exist"
    for path in re.findall(r"labpath=([^\s)\"'&>]+)", text):
        path = path.replace("%2F", "/")
        assert (ROOT / path).is_file(), f"README's Binder link opens {path}, which does not exist"


# --------------------------------------------------------------------------------------------
# Binder
# --------------------------------------------------------------------------------------------


def test_binder_folder_holds_what_repo2docker_reads():
    binder = ROOT / "binder"
    files = {p.name for p in binder.iterdir()}
    assert "environment.yml" in files, "binder/environment.yml is what Binder builds from"
    assert files <= REPO2DOCKER_FILES, (
        f"binder/ has files repo2docker ignores: {sorted(files - REPO2DOCKER_FILES)}"
    )
    for script in ("postBuild", "start"):
        if script in files:
            assert os.access(binder / script, os.X_OK), f"binder/{script} must be executable"


def test_binder_pins_agree_with_environment_yml_and_requirements():
    binder = (ROOT / "binder" / "environment.yml").read_text()
    assert binder == (ROOT / "environment.yml").read_text(), (
        "binder/environment.yml and environment.yml differ"
    )
    assert parse_environment(binder) == {n: s.spec for n, s in supported_versions().items()}, (
        "binder/ ranges differ from requirements.txt"
    )
    assert f"  - python={PYTHON}\n" in binder
    assert re.search(r"^channels:\n  - conda-forge\n", binder, re.M), "conda-forge must be the channel"


def test_binder_provides_every_package_the_notebooks_import():
    provided = set(parse_environment((ROOT / "binder" / "environment.yml").read_text()))
    for aid in RELEASED:
        needed = {distribution_of(m) for m in imported_modules(release(aid))}
        # IPython comes with ipykernel; jaxlib is pinned next to jax
        missing = {d for d in needed if d not in provided and d not in {"ipython"}}
        assert not missing, f"{aid} imports {sorted(missing)}, which binder/environment.yml does not install"


def _repo2docker() -> list[str] | None:
    exe = os.environ.get("AUTODIFF_REPO2DOCKER") or shutil.which("jupyter-repo2docker")
    if not exe and (Path(sys.executable).parent / "jupyter-repo2docker").exists():
        exe = str(Path(sys.executable).parent / "jupyter-repo2docker")
    return [exe] if exe else None


def test_repo2docker_dry_run_accepts_the_repository(tmp_path):
    cmd = _repo2docker()
    if cmd is None:
        pytest.skip(
            "jupyter-repo2docker is not installed (pip install jupyter-repo2docker, "
            "or set AUTODIFF_REPO2DOCKER)"
        )
    # A copy of what repo2docker looks at: the top-level files, binder/ and the notebooks
    # (repo2docker reads the folder it is given; the copy keeps .venv and caches out of it).
    repo = tmp_path / "repo"
    repo.mkdir()
    for p in ROOT.iterdir():
        if p.is_file() and not p.name.startswith("."):
            shutil.copy2(p, repo / p.name)
    for folder in ("binder", "notebooks"):
        shutil.copytree(ROOT / folder, repo / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    proc = subprocess.run(
        [*cmd, "--no-build", "--no-run", "--user-id", "1000", "--user-name", "jovyan", str(repo)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    log = proc.stderr + proc.stdout
    assert proc.returncode == 0, f"repo2docker --no-build failed:\n{log[-3000:]}"
    dockerfile = proc.stdout
    assert f"Building conda environment for python={PYTHON}" in log, log[-2000:]
    assert "binder/environment.yml" in dockerfile, "repo2docker does not build from binder/environment.yml"
    assert not re.search(r"pip install .*requirements\.txt", dockerfile), (
        "repo2docker installs the top-level requirements.txt: binder/ should take precedence"
    )
