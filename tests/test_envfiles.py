"""requirements.txt is the one place for versions; the conda and Binder files agree with it.

In the venv that `make test-oldest` builds (AUTODIFF_EXPECT_FLOORS=1), the installed versions
must be the floors, so that run really tests the oldest supported versions.
"""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

import pytest

from autograder import course
from autograder.envfiles import (
    PIP_ONLY,
    RequirementsError,
    conda_environment,
    env_files,
    floor_requirements,
    parse_environment,
    supported_versions,
)

ROOT = Path(__file__).resolve().parent.parent


def test_generated_environment_files_are_committed_and_current():
    for path, text in env_files().items():
        assert path.exists(), f"{path} is missing: run `python -m autograder envfiles`"
        assert path.read_text() == text, f"{path} is stale: run `python -m autograder envfiles`"


def test_environment_yml_asks_for_each_supported_range():
    supported = supported_versions()
    assert list(supported) == list(course.pinned_requirements()), "every pinned library has a range"
    for name in ("environment.yml", "binder/environment.yml"):
        listed = parse_environment((ROOT / name).read_text())
        assert listed == {n: s.spec for n, s in supported.items()}, f"{name} disagrees with requirements.txt"


def test_the_libraries_colab_ships_have_a_floor_below_the_pin():
    supported = supported_versions()
    for name in ("jax", "jaxlib", "numpy"):
        s = supported[name]
        assert s.floor != s.pin, f"{name}: Colab ships its own; state the oldest tested version"
    assert supported["jax"].floor == supported["jaxlib"].floor
    assert supported["torch"].floor == supported["torch"].pin == "2.13.0", (
        "torch is tested at the CPU wheel only"
    )


def test_ranges_run_from_the_floor_to_the_next_minor_release(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text(
        "# comment\njax==0.10.2  # supported: >=0.5.0\njaxlib==0.10.2  # supported: >=0.5.0\n"
        "numpy==2.4.6\njupyterquiz==2.9.6.4\n"
    )
    supported = supported_versions(req)
    assert supported["jax"].spec == ">=0.5.0,<0.11"
    assert supported["numpy"].spec == ">=2.4.6,<2.5"
    text = conda_environment(supported)
    assert "  - jax>=0.5.0,<0.11\n" in text and "      - jupyterquiz>=2.9.6.4,<2.10\n" in text
    assert parse_environment(text) == {n: s.spec for n, s in supported.items()}
    assert floor_requirements(req).splitlines()[1:] == [
        "jax==0.5.0",
        "jaxlib==0.5.0",
        "numpy==2.4.6",
        "jupyterquiz==2.9.6.4",
    ]


@pytest.mark.parametrize(
    "line, message",
    [
        ("numpy==2.0  # supported: >=2.4", "above its pin"),
        ("numpy==2.4.6  # supported: 2.0", "write the floor as"),
        ("numpy>=2.0", "expected `name==version"),
        ("numpy==2.4.6  # supported: >=two", "Invalid version"),
    ],
)
def test_a_bad_requirements_line_is_named(tmp_path, line, message):
    req = tmp_path / "requirements.txt"
    req.write_text(f"torch==2.13.0\n{line}\n")
    with pytest.raises(RequirementsError, match=message) as info:
        supported_versions(req)
    assert "requirements.txt:2" in str(info.value)


def test_jax_and_jaxlib_must_share_their_floor(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("jax==0.10.2  # supported: >=0.5.0\njaxlib==0.10.2  # supported: >=0.6.0\n")
    with pytest.raises(RequirementsError, match="share their floor"):
        supported_versions(req)


@pytest.mark.skipif(
    os.environ.get("AUTODIFF_EXPECT_FLOORS") != "1", reason="only in the venv of `make test-oldest`"
)
def test_installed_versions_are_the_floors():
    wrong = {
        s.name: importlib.metadata.version(s.name)
        for s in supported_versions().values()
        if importlib.metadata.version(s.name).split("+")[0] != s.floor
    }
    assert not wrong, f"this venv should hold the floors of requirements.txt, but has {wrong}"


def test_every_runtime_requirement_is_pinned_exactly():
    lines = [ln.split("#")[0].strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()]
    reqs = [ln for ln in lines if ln]
    assert reqs and all("==" in r for r in reqs), reqs
    assert "torch==2.13.0" in reqs, "torch must stay pinned to the CPU wheel (an open range pulls CUDA)"


def test_conda_environment_uses_cpu_pytorch_and_pip_only_for_what_conda_lacks():
    text = (ROOT / "environment.yml").read_text()
    assert "pytorch-cpu>=" in text and "\n  - torch" not in text
    pip_part = text.split("  - pip:")[1] if "  - pip:" in text else ""
    assert all(name in pip_part for name in PIP_ONLY)


def test_colab_installs_only_what_colab_lacks():
    specs = course.colab_install_specs()
    assert [s.split("==")[0] for s in specs] == list(course.COLAB_MISSING)
