"""Execute a course notebook the way CI and authors do (not a student's: see grading/).

    python -m autograder.notebook_runner solutions/01_dual_numbers/01_dual_numbers.ipynb

runs it top to bottom in a fresh kernel with Jupyter, IPython and Matplotlib pointed at a
temporary folder, stops at the first error, and prints the slowest cells.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ISOLATED_VARS = (
    "JUPYTER_CONFIG_DIR",
    "JUPYTER_DATA_DIR",
    "JUPYTER_RUNTIME_DIR",
    "IPYTHONDIR",
    "MPLCONFIGDIR",
    "XDG_CACHE_HOME",
)


@contextlib.contextmanager
def isolated_jupyter_env(base: Path | None = None):
    """Point every folder Jupyter, IPython and Matplotlib write to at a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="autodiff-jupyter-", dir=base) as tmp:
        old = {k: os.environ.get(k) for k in (*ISOLATED_VARS, "MPLBACKEND", "JUPYTER_PLATFORM_DIRS")}
        for k in ISOLATED_VARS:
            os.environ[k] = str(Path(tmp) / k.lower())
        os.environ["MPLBACKEND"] = "Agg"
        os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
        try:
            yield Path(tmp)
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def private_kernel_manager(folder: Path):
    """A kernel manager whose kernel listens on ipc sockets in `folder`, not on TCP ports.

    With TCP, the client picks free ports and the kernel binds them a moment later; two kernels
    started at once (the book's parallel runs, tests under xdist) can pick the same port and one
    dies ("Address already in use"). Socket files in a private folder cannot collide."""
    from jupyter_client.manager import AsyncKernelManager

    folder.mkdir(parents=True, exist_ok=True)
    return AsyncKernelManager(kernel_name="python3", transport="ipc", ip=str(folder / "kernel"))


@dataclass
class Run:
    nb: nbformat.NotebookNode
    seconds: float
    cell_seconds: list[tuple[int, float, str]]  # (cell index, seconds, first line)


class TimedClient(NotebookClient):
    """nbclient that records (cell index, wall seconds, first source line) for each code cell."""

    def __init__(self, nb, **kw):
        super().__init__(nb, **kw)
        self.times = []

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        t0 = time.perf_counter()
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        finally:
            if cell.cell_type == "code":
                first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
                self.times.append((cell_index, time.perf_counter() - t0, first[:70]))


def run_in_fresh_kernel(
    nb: nbformat.NotebookNode,
    *,
    timeout: int,
    allow_errors: bool = False,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    client_class=NotebookClient,
) -> NotebookClient:
    """Execute `nb` in place in a fresh python3 kernel, the way every course tool runs a notebook:
    Jupyter's folders isolated, the kernel on private ipc sockets, in `cwd` (or an empty
    folder), with `env` set only while it runs. Returns the client (a TimedClient has times)."""
    with isolated_jupyter_env() as tmp:
        os.environ.update(env or {})
        work = cwd or tmp / "work"
        work.mkdir(parents=True, exist_ok=True)
        client = client_class(
            nb,
            km=private_kernel_manager(tmp / "sockets"),
            timeout=timeout,
            allow_errors=allow_errors,
            store_widget_state=True,  # False breaks Output widgets in nbclient (a KeyError)
            record_timing=False,
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
            resources={"metadata": {"path": str(work)}},
        )
        client.execute()
    return client


def execute_notebook(path: Path, timeout: int = 300, cwd: Path | None = None) -> Run:
    """Execute every cell (raising nbclient's CellExecutionError on the first error)."""
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    client = run_in_fresh_kernel(nb, timeout=timeout, cwd=cwd or Path(path).parent, client_class=TimedClient)
    assert isinstance(client, TimedClient)
    return Run(nb, time.perf_counter() - t0, client.times)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("notebooks", nargs="+")
    p.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = p.parse_args(argv)
    status = 0
    for path in args.notebooks:
        try:
            run = execute_notebook(Path(path), args.timeout)
        except Exception as exc:  # noqa: BLE001
            print(f"FAILED {path}: {type(exc).__name__}: {str(exc)[-2000:]}")
            status = 1
            continue
        print(f"ok {path}: {run.seconds:.1f} s")
        for index, secs, first in sorted(run.cell_seconds, key=lambda t: -t[1])[:5]:
            print(f"   cell {index:3d}  {secs:6.2f} s  {first}")
    return status


if __name__ == "__main__":
    sys.exit(main())
