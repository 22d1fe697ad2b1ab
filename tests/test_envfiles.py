"""requirements.txt is the one place for pins; the conda and Binder files agree with it."""
from __future__ import annotations

from pathlib import Path

from autograder import course
from autograder.envfiles import PIP_ONLY, env_files, parse_environment

ROOT = Path(__file__).resolve().parent.parent


def test_generated_environment_files_are_committed_and_current():
    for path, text in env_files().items():
        assert path.exists(), f"{path} is missing: run `python -m autograder envfiles`"
        assert path.read_text() == text, f"{path} is stale: run `python -m autograder envfiles`"


def test_environment_yml_lists_the_same_packages_at_the_same_versions():
    pins = course.pinned_requirements()
    for name in ("environment.yml", "binder/environment.yml"):
        listed = parse_environment((ROOT / name).read_text())
        assert listed == pins, f"{name} disagrees with requirements.txt"


def test_every_runtime_requirement_is_pinned_exactly():
    lines = [ln.split("#")[0].strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()]
    reqs = [ln for ln in lines if ln]
    assert reqs and all("==" in r for r in reqs), reqs
    assert "torch==2.13.0" in reqs, "torch must stay pinned to the CPU wheel (an open range pulls CUDA)"


def test_conda_environment_uses_cpu_pytorch_and_pip_only_for_what_conda_lacks():
    text = (ROOT / "environment.yml").read_text()
    assert "pytorch-cpu=" in text and "\n  - torch" not in text
    pip_part = text.split("  - pip:")[1] if "  - pip:" in text else ""
    assert all(name in pip_part for name in PIP_ONLY)


def test_colab_installs_only_what_colab_lacks():
    specs = course.colab_install_specs()
    assert [s.split("==")[0] for s in specs] == list(course.COLAB_MISSING)
