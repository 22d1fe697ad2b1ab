"""A real Dask cluster for tests: `dask scheduler` and `dask worker` processes on 127.0.0.1.

Everything listens on 127.0.0.1 only, with ports the system picks (the scheduler's is read
from its scheduler file). Dask's configuration, scratch folders and logs live in one
temporary folder. Every process is started here and stopped by its own process id.
Workers run without a nanny (a killed worker stays dead until the test starts another).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from autograder.grading.sandbox import _stat, process_tree

ROOT = Path(__file__).resolve().parent.parent
DASK = str(Path(sys.executable).parent / "dask")
HOST = "127.0.0.1"


class Cluster:
    def __init__(self, folder: Path, scheduler_env: dict | None = None):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.env = dict(
            os.environ,
            DASK_CONFIG=str(folder / "config"),
            DASK_TEMPORARY_DIRECTORY=str(folder / "tmp"),
            PYTHONDONTWRITEBYTECODE="1",
        )
        self.scheduler_file = folder / "scheduler.json"
        self.workers: list[subprocess.Popen] = []
        self._logs = []
        self.scheduler = self._start(
            "scheduler",
            [
                "scheduler",
                "--host",
                HOST,
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(self.scheduler_file),
            ],
            {**self.env, **(scheduler_env or {})},
        )
        deadline = time.monotonic() + 120
        while not self._address():
            if self.scheduler.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the scheduler did not start:\n{self.log('scheduler')[-3000:]}")
            time.sleep(0.2)
        self.address = self._address()
        assert self.address.startswith(f"tcp://{HOST}:"), self.address

    def _address(self) -> str | None:
        try:
            return json.loads(self.scheduler_file.read_text())["address"]
        except (OSError, ValueError, KeyError):
            return None

    def _start(self, name: str, args: list[str], env: dict, cwd: Path = ROOT) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "w")
        self._logs.append(log)
        return subprocess.Popen(
            [DASK, *args], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def add_workers(
        self, n: int = 1, env: dict | None = None, cwd: Path = ROOT, timeout: float = 120
    ) -> list[subprocess.Popen]:
        """Start `n` single-thread workers (no nanny) and wait until the scheduler has them."""
        started = []
        for _ in range(n):
            name = f"worker{len(self.workers)}"
            scratch = self.folder / name
            scratch.mkdir()
            proc = self._start(
                name,
                [
                    "worker",
                    "--scheduler-file",
                    str(self.scheduler_file),
                    "--name",
                    name,
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--host",
                    HOST,
                    "--no-dashboard",
                    "--local-directory",
                    str(scratch),
                ],
                {**self.env, **(env or {})},
                cwd,
            )
            self.workers.append(proc)
            started.append((name, proc))
        deadline = time.monotonic() + timeout
        for name, proc in started:
            while "Registered to" not in self.log(name):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start:\n{self.log(name)[-3000:]}")
                time.sleep(0.2)
        return [proc for _, proc in started]

    def kill(self, proc: subprocess.Popen) -> list[tuple[int, int]]:
        """SIGKILL one process; return what ran in its tree just before (pid, start time)."""
        tree = process_tree(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        return tree

    def close(self) -> None:
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
        for proc in [*self.workers, self.scheduler]:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        for log in self._logs:
            log.close()


def alive(tree: list[tuple[int, int]]) -> list[int]:
    """The processes of `tree` still running (the same process: same pid and start time)."""
    return [pid for pid, started in tree if (st := _stat(pid)) and st[1] == started]


def wait_for_sandbox(proc: subprocess.Popen, timeout: float = 300) -> None:
    """Wait until the worker `proc` runs a sandbox (bwrap) in its process tree: it is mid-task."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid, _ in process_tree(proc.pid):
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() == "bwrap":
                    return
            except OSError:
                continue
        time.sleep(0.1)
    raise TimeoutError("the worker never started a sandbox")


def course_copy(folder: Path) -> Path:
    """A copy of the course (what a worker needs: autograder/ and solutions/)."""
    for part in ("autograder", "solutions"):
        shutil.copytree(ROOT / part, folder / part, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    return folder
