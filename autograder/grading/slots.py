"""Sandbox uids leased per host, so that any number of graders on one machine never meet.

Each sandboxed kernel runs as an unprivileged uid of its own (when the grader runs as root):
a process limit per uid then holds, and no student's process can signal another's. A uid is
a *lease*: an exclusive `flock` on `<lock dir>/uid-<n>.lock`, held by the process that
grades with it and released by the kernel when that process ends, however it ends (even by
SIGKILL). Two grading runs, two instructors, an nbgrader command and several cluster
workers on one host therefore always use different uids, and whatever runs under a leased
uid belongs to the holder alone.

The uids come from [AUTODIFF_SANDBOX_UID_BASE, + AUTODIFF_SANDBOX_UIDS) (62000 and 4000 by
default); the lock folder is AUTODIFF_SANDBOX_LOCK_DIR, or /run/lock/autodiff-sandbox.
"""

from __future__ import annotations

import fcntl
import os
import signal
import time
from pathlib import Path

DEFAULT_BASE, DEFAULT_COUNT = 62000, 4000


class NoFreeSlot(RuntimeError):
    """Every sandbox uid of this host is leased."""


def lock_dir() -> Path:
    configured = os.environ.get("AUTODIFF_SANDBOX_LOCK_DIR")
    if configured:
        return Path(configured)
    run_lock = Path("/run/lock")
    return (run_lock if run_lock.is_dir() else Path("/tmp")) / "autodiff-sandbox"


def uid_range() -> range:
    base = int(os.environ.get("AUTODIFF_SANDBOX_UID_BASE", DEFAULT_BASE))
    count = int(os.environ.get("AUTODIFF_SANDBOX_UIDS", DEFAULT_COUNT))
    return range(base, base + count)


def processes_of(uid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
            except (FileNotFoundError, PermissionError):
                continue
    return pids


class SlotLease:
    """One leased sandbox uid (None when not root: the sandbox then keeps the grader's uid)."""

    def __init__(self, uid: int | None, fd: int | None = None):
        self.uid, self._fd = uid, fd

    @classmethod
    def claim(cls) -> SlotLease:
        if os.geteuid() != 0:
            return cls(None)
        folder = lock_dir()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for uid in uid_range():
            fd = os.open(folder / f"uid-{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            lease = cls(uid, fd)
            lease.clear_leftovers()
            return lease
        raise NoFreeSlot(
            f"all {len(uid_range())} sandbox uids from {uid_range().start} are in use on this "
            f"host (leases in {folder}); set AUTODIFF_SANDBOX_UIDS to allow more"
        )

    def clear_leftovers(self, wait: float = 20.0) -> None:
        """End what an earlier holder of this uid left behind (nobody else may use it)."""
        if self.uid is None:
            return
        deadline = time.monotonic() + wait
        while (pids := processes_of(self.uid)) and time.monotonic() < deadline:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.05)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> SlotLease:
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<sandbox uid {self.uid}>"
