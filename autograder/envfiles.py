"""environment.yml and binder/environment.yml, generated from requirements.txt.

requirements.txt is the one place where versions are pinned. Conda users (and Binder,
through repo2docker) get the same packages at the same versions from conda-forge, with the
CPU build of PyTorch; the few packages conda-forge lacks come from pip.
"""
from __future__ import annotations

from pathlib import Path

from . import course

PYTHON = "3.11"
# pip name -> conda-forge name, where they differ
CONDA_NAMES = {"torch": "pytorch-cpu"}
# not on conda-forge: installed by pip inside the conda environment
PIP_ONLY = {"jupyterquiz"}


def conda_environment(pins: dict[str, str]) -> str:
    lines = [
        "# Generated from requirements.txt by `python -m autograder envfiles`; do not edit by hand.",
        "name: autodiff-course",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        f"  - python={PYTHON}",
        "  - pip",
    ]
    pip = []
    for name, version in pins.items():
        if name in PIP_ONLY:
            pip.append(f"{name}=={version}")
        else:
            lines.append(f"  - {CONDA_NAMES.get(name, name)}={version}")
    if pip:
        lines.append("  - pip:")
        lines += [f"      - {spec}" for spec in pip]
    return "\n".join(lines) + "\n"


def parse_environment(text: str) -> dict[str, str]:
    """{pip name: version} listed by an environment.yml written by conda_environment()."""
    reverse = {v: k for k, v in CONDA_NAMES.items()}
    out = {}
    for line in text.splitlines():
        item = line.strip()
        if not item.startswith("- ") or item in ("- pip", "- pip:", "- conda-forge"):
            continue
        spec = item[2:].strip()
        if "==" in spec:
            name, version = spec.split("==", 1)
        elif "=" in spec:
            name, version = spec.split("=", 1)
        else:
            continue
        name = reverse.get(name, name)
        if name != "python":
            out[name.lower()] = version
    return out


def env_files(root: Path = course.ROOT) -> dict[Path, str]:
    text = conda_environment(course.pinned_requirements(root / "requirements.txt"))
    return {root / "environment.yml": text, root / "binder" / "environment.yml": text}


def write_env_files(root: Path = course.ROOT, check: bool = False) -> list[Path]:
    """Write (or with check=True, only list) the files that differ from what they should be."""
    changed = []
    for path, text in env_files(root).items():
        if not path.exists() or path.read_text() != text:
            changed.append(path)
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
    return changed
