"""Execute a restored notebook in a sandboxed kernel, cell by cell, failing closed.

The grader (this process) drives the kernel with nbclient over ipc sockets; the kernel and
everything the student's code starts live in the sandbox. Execution stops at the first cell
that times out or kills the kernel, and at the notebook's deadline: later cells never run,
so their tests record nothing and score 0.
"""

from __future__ import annotations

import asyncio
import copy
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import zmq
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .sandbox import Limits, SandboxSpec, bwrap_command, end_sandbox, make_runtime_dir, seal_runtime_dir

MAX_MESSAGE_BYTES = 16 * 1024 * 1024


class SandboxKernelManager(AsyncKernelManager):
    """An ipykernel started inside bwrap, reached over ipc sockets in the runtime folder."""

    def __init__(self, spec: SandboxSpec, probes_pkg: Path, **kwargs):
        super().__init__(
            transport="ipc",
            ip=str(spec.runtime_dir / "kernel"),
            connection_file=str(spec.runtime_dir / "connection.json"),
            **kwargs,
        )
        self.sandbox_spec = spec
        self.probes_pkg = probes_pkg

    def format_kernel_cmd(self, extra_arguments=None):
        if self.sandbox_spec.uid is not None:
            os.chown(self.connection_file, self.sandbox_spec.uid, self.sandbox_spec.uid)
        inner = [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            self.connection_file,
            "--HistoryManager.enabled=False",
            "--IPKernelApp.matplotlib=agg",
        ]
        return bwrap_command(self.sandbox_spec, inner, self.probes_pkg)


class BoundedClient(NotebookClient):
    """nbclient that keeps at most `max_output_bytes` of outputs for the whole notebook."""

    def __init__(self, nb, max_output_bytes: int, **kw):
        super().__init__(nb, **kw)
        self.max_output_bytes = max_output_bytes
        self.output_bytes = 0
        self.outputs_dropped = 0
        self.exit_asked = False
        self.on_cell_executed = self._note_exit

    def _note_exit(self, cell, cell_index, execute_reply) -> None:
        """exit() or quit() in a cell: IPython replies with an `ask_exit` payload and the kernel
        then shuts down at a moment of its own, so that whether the next cells still run is a
        race. The grader decides here, at the reply, that the kernel ended with this cell."""
        payload = (execute_reply or {}).get("content", {}).get("payload") or []
        if any(isinstance(p, dict) and p.get("source") == "ask_exit" for p in payload):
            self.exit_asked = True

    def process_message(self, msg, cell, cell_index):
        if msg.get("msg_type") != "status":  # status messages end a cell: always let them through
            size = len(str(msg.get("content", "")))
            if self.output_bytes + size > self.max_output_bytes:
                self.outputs_dropped += 1
                return None
            self.output_bytes += size
        return super().process_message(msg, cell, cell_index)


@dataclass
class Execution:
    nb: nbformat.NotebookNode
    status: str = "ok"  # ok | timeout | crashed | grader_error
    message: str = ""
    executed: list[int] = field(default_factory=list)  # indices of code cells that finished
    stopped_at: int | None = None  # index of the cell that hung or crashed
    seconds: float = 0.0
    outputs_dropped: int = 0


def _limit_message_size(kc) -> None:
    """A kernel may not push gigabytes into the grader: cap every incoming message."""
    for channel in (kc.iopub_channel, kc.shell_channel, kc.control_channel, kc.stdin_channel):
        sock = getattr(channel, "socket", None)
        if sock is not None:
            sock.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)


def _tail(f, limit: int = 400) -> str:
    """The last `limit` characters of an open file, on one line."""
    try:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - limit))
        return " ".join(f.read().decode("utf-8", "replace").split())
    except OSError:
        return ""


async def _run(nb, spec: SandboxSpec, probes_pkg: Path) -> Execution:
    limits: Limits = spec.limits
    result = Execution(nb=nb)
    km = SandboxKernelManager(spec, probes_pkg)
    client = BoundedClient(
        nb,
        max_output_bytes=int(limits.max_output_mb * 1024 * 1024),
        km=km,
        allow_errors=True,
        interrupt_on_timeout=False,
        iopub_timeout=10,
        raise_on_iopub_timeout=False,
        startup_timeout=int(limits.startup_timeout),
        record_timing=False,
        skip_cells_with_tag="__never__",
    )
    start = time.monotonic()
    deadline = start + limits.notebook_timeout
    client.timeout_func = lambda cell: max(
        1, int(min(limits.cell_timeout, deadline - time.monotonic()) + 0.999)
    )
    # The sandbox's stderr goes to an anonymous host file (bounded by the sandbox's file-size
    # limit): if the kernel does not start, its last lines say why (a bwrap or import error).
    stderr = tempfile.TemporaryFile()
    try:
        try:
            await km.start_kernel(stdout=subprocess.DEVNULL, stderr=stderr, stdin=subprocess.DEVNULL)
            client.kc = km.client()
            client.kc.start_channels()
            _limit_message_size(client.kc)
            await client.kc.wait_for_ready(timeout=limits.startup_timeout)
        except Exception as exc:  # noqa: BLE001
            result.status, result.message = "grader_error", f"the sandboxed kernel did not start: {exc}"
            detail = _tail(stderr)
            if detail:
                result.message += f" (its stderr ends: {detail})"
            return result
        seal_runtime_dir(spec.runtime_dir)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if time.monotonic() >= deadline:
                result.status = "timeout"
                result.message = f"the notebook ran out of time ({limits.notebook_timeout:g} s)"
                result.stopped_at = index
                break
            try:
                await client.async_execute_cell(cell, index, execution_count=len(result.executed) + 1)
            except CellTimeoutError:
                result.status, result.stopped_at = "timeout", index
                budget = min(limits.cell_timeout, limits.notebook_timeout)
                result.message = (
                    f"cell {index + 1} did not finish within {budget:g} s; later cells were not run"
                )
                break
            except DeadKernelError:
                result.status, result.stopped_at = "crashed", index
                result.message = f"the kernel died in cell {index + 1}; later cells were not run"
                break
            except (zmq.ZMQError, asyncio.CancelledError, RuntimeError) as exc:
                result.status, result.stopped_at = "crashed", index
                result.message = f"the kernel stopped answering in cell {index + 1} ({type(exc).__name__})"
                break
            result.executed.append(index)
            if client.exit_asked:
                result.status, result.stopped_at = "crashed", index + 1
                result.message = f"the code of cell {index + 1} ended the kernel (exit() or quit()); later cells were not run"
                break
        else:
            if not await _alive(km):
                result.status, result.message = "crashed", "the kernel died at the end of the notebook"
    finally:
        provisioner = getattr(km, "provisioner", None)
        end_sandbox(getattr(provisioner, "pid", None), spec.uid)  # before the launcher is reaped
        await _stop(km, client)
        stderr.close()
        result.seconds = time.monotonic() - start
        result.outputs_dropped = client.outputs_dropped
    return result


async def _alive(km) -> bool:
    try:
        return bool(await km.is_alive())
    except Exception:  # noqa: BLE001
        return False


async def _stop(km, client) -> None:
    try:
        if client.kc is not None:
            client.kc.stop_channels()
    except Exception:  # noqa: BLE001
        pass
    try:
        if km.has_kernel:
            await km.shutdown_kernel(now=True)
    except Exception:  # noqa: BLE001
        try:
            await km.provisioner.kill() if km.provisioner else None
        except Exception:  # noqa: BLE001
            pass
    try:
        await km.cleanup_resources()
    except Exception:  # noqa: BLE001
        pass


def sandboxed_execute(
    nb,
    *,
    uid: int | None,
    env: dict,
    limits: Limits,
    probes_pkg: Path,
    data_files: dict | None = None,
    runtime_parent: Path | None = None,
) -> Execution:
    """Run every code cell of `nb` (in place) in a fresh sandbox as `uid` (a leased uid, or
    None when not root); return what happened."""
    pristine = copy.deepcopy(nb)
    for attempt in range(2):  # a kernel that fails to start (before any student code ran) gets one retry
        runtime = make_runtime_dir(runtime_parent, uid)
        spec = SandboxSpec(runtime_dir=runtime, uid=uid, env=env, data_files=data_files or {}, limits=limits)
        try:
            result = asyncio.run(_run(copy.deepcopy(pristine) if attempt else nb, spec, probes_pkg))
        finally:
            shutil.rmtree(runtime, ignore_errors=True)
        if result.status != "grader_error":
            break
        time.sleep(1.0)
    return result
