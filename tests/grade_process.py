"""`python -m autograder grade` started as a separate process, as an instructor starts it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_grade(
    submitted: Path, out: Path, *options: str, env: dict[str, str] | None = None, new_session: bool = False
) -> subprocess.Popen:
    """A quiet two-job `grade` run of `submitted` into `out`, with extra `options` and `env`
    entries; its stdout and stderr are text pipes. `new_session` puts it in a process group of
    its own (so that a test can kill the run and everything it started)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(submitted),
            "--out",
            str(out),
            "--jobs",
            "2",
            "--quiet",
            *options,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=new_session,
        env={**os.environ, **(env or {})},
    )
