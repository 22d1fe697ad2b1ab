"""What every benchmark records next to its numbers: the machine, its load, the command.

The machine these benchmarks run on is shared, so absolute seconds only give orientation;
the ratios taken side by side in one run are what we report. `LoadMonitor` samples the load
average and the share of busy CPU while a benchmark runs, so a result taken on a loaded
machine says so (`preliminary`).
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import json
import os
import platform
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"

# A run counts as preliminary when the load average (over the run) exceeds the core count
# by this much: other work was competing for the cores.
PRELIMINARY_EXTRA_LOAD = 0.5


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        commit = out.stdout.strip() or None
        if commit and dirty.stdout.strip():
            commit += " (+ uncommitted changes)"
        return commit
    except (OSError, subprocess.SubprocessError):
        return None


def describe_machine() -> dict:
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": _ram_gb(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": {
            d: _version(d)
            for d in (
                "numpy",
                "jax",
                "jaxlib",
                "torch",
                "nbgrader",
                "nbclient",
                "ipykernel",
                "jupyter_client",
            )
        },
        "bwrap": _bwrap_version(),
        "git_commit": _git_commit(),
    }


def _bwrap_version() -> str | None:
    try:
        out = subprocess.run(["bwrap", "--version"], capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def command_line() -> str:
    """The command that produced a result, as one would type it from the repository root."""
    env = " ".join(f"{k}={os.environ[k]}" for k in ("AUTODIFF_SANDBOX_UID_BASE",) if k in os.environ)
    exe = os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(str(ROOT)) else sys.executable
    script = os.path.relpath(os.path.abspath(sys.argv[0]), ROOT)
    return " ".join(
        filter(None, [env, shlex.quote(exe), shlex.quote(script), *map(shlex.quote, sys.argv[1:])])
    )


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    total = sum(fields[:8])
    return total - idle, total


class LoadMonitor:
    """Samples /proc/loadavg every few seconds in a background thread."""

    def __init__(self, interval: float = 5.0):
        self.interval = interval
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self._stop.is_set():
            try:
                self.samples.append(float(Path("/proc/loadavg").read_text().split()[0]))
            except OSError:
                pass
            self._stop.wait(self.interval)

    def __enter__(self):
        self.start_loadavg = Path("/proc/loadavg").read_text().split()[:3]
        self._cpu0 = _cpu_times()
        self._t0 = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.end_loadavg = Path("/proc/loadavg").read_text().split()[:3]
        busy1, total1 = _cpu_times()
        self.busy_share = (busy1 - self._cpu0[0]) / max(1, total1 - self._cpu0[1])
        self.seconds = time.monotonic() - self._t0
        return False

    def summary(self) -> dict:
        s = self.samples or [0.0]
        return {
            "loadavg_at_start": " ".join(self.start_loadavg),
            "loadavg_at_end": " ".join(self.end_loadavg),
            "load1_mean": round(sum(s) / len(s), 2),
            "load1_max": round(max(s), 2),
            "cpu_busy_share": round(self.busy_share, 3),
            "run_seconds": round(self.seconds, 1),
        }


def is_preliminary(load: dict, own_parallelism: float) -> bool:
    """Loaded beyond what this benchmark itself puts on the machine (its own processes count)."""
    return load["load1_mean"] > own_parallelism + PRELIMINARY_EXTRA_LOAD


def header(name: str, load: dict, preliminary: bool) -> dict:
    return {
        "benchmark": name,
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "command": command_line(),
        "machine": describe_machine(),
        "load": load,
        "preliminary": preliminary,
    }


def machine_markdown(info: dict) -> str:
    m = info["machine"]
    v = ", ".join(f"{k} {val}" for k, val in m["versions"].items() if val)
    load = info["load"]
    lines = [
        f"- date: {info['date']}",
        f"- command (from the repository root): `{info['command']}`",
        f"- machine: {m['cpu_model']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Linux {m['kernel']}",
        f"- software: Python {m['python']}, {v}; {m['bwrap'] or 'no bwrap'}",
        f"- repository: {m['git_commit']}",
        f"- load: 1-min load average {load['load1_mean']} on average (max {load['load1_max']}) over "
        f"{load['run_seconds']} s; at start {load['loadavg_at_start']}, at end {load['loadavg_at_end']}; "
        f"CPU busy {100 * load['cpu_busy_share']:.0f} % of all cores",
    ]
    if info["preliminary"]:
        lines.insert(
            0,
            "**Preliminary**: the machine was loaded by other work during this run "
            "(load average above what this benchmark itself uses); rerun on a quiet machine.\n",
        )
    return "\n".join(lines)


def write_results(name: str, data: dict, markdown: str, results_dir: Path = RESULTS) -> tuple[Path, Path]:
    results_dir.mkdir(parents=True, exist_ok=True)
    jpath = results_dir / f"{name}.json"
    mpath = results_dir / f"{name}.md"
    jpath.write_text(json.dumps(data, indent=1) + "\n")
    mpath.write_text(markdown.rstrip() + "\n")
    return jpath, mpath


class CpuMeter:
    """CPU seconds used by this process and everything it starts, from now on.

    As root on a machine with the cgroup-v1 cpuacct controller, this process moves into a
    cgroup of its own: every descendant stays in it even when reparented (a sandboxed
    kernel whose bwrap parent was killed), so nothing escapes the count. Otherwise it falls
    back to getrusage, which misses descendants their parents never waited for.
    """

    CPUACCT = Path("/sys/fs/cgroup/cpuacct")

    def __init__(self, name: str):
        self.group = None
        if os.geteuid() == 0 and (self.CPUACCT / "cpuacct.usage").exists():
            group = self.CPUACCT / f"autodiff-bench-{name}-{os.getpid()}"
            try:
                group.mkdir(exist_ok=True)
                (group / "cgroup.procs").write_text(str(os.getpid()))
                self.group = group
            except OSError:
                self.group = None
        self.method = "cgroup cpuacct" if self.group else "getrusage (descendants not waited for are missed)"

    def seconds(self) -> float:
        if self.group is not None:
            return int((self.group / "cpuacct.usage").read_text()) / 1e9
        import resource

        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    def close(self) -> None:
        """Move back to the root group and remove ours (once every descendant has ended)."""
        if self.group is None:
            return
        try:
            (self.CPUACCT / "cgroup.procs").write_text(str(os.getpid()))
            for _ in range(50):
                try:
                    self.group.rmdir()
                    break
                except OSError:  # a descendant is still exiting
                    time.sleep(0.1)
        except OSError:
            pass
        self.group = None
