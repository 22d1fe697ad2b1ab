"""The sandbox a student's kernel runs in: bubblewrap plus resource limits.

Inside the sandbox:
- the system (/usr, /etc), Python and the course's .venv are read-only;
- /tmp and the working folder /submission are private, size-limited tmpfs mounts;
- the only piece of this repository is `autograder/probes` (no solutions, no checks, no
  gradebook, no grader state, no other student);
- there is no network, and a new PID namespace: when the kernel ends, every process it
  started ends with it;
- the kernel runs as an unprivileged uid leased to its grader alone (root only; see
  slots.py), with limits on address space, CPU time, processes, file size and open files;
- when the kernel ends, its whole process tree is killed and waited for (never another
  grader's processes: they are in another tree, under another uid).
The kernel talks to the grader over ZeroMQ ipc sockets in a runtime folder shared with the
host; the grader seals that folder once the kernel is up.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

from .. import course
from .slots import SlotLease, processes_of

WORKDIR = "/submission"
# What the sandbox holds of this repository: the probes and the model they share.
SANDBOX_MODULES = ("probes", "rlc.py")


class SandboxUnavailable(RuntimeError):
    """The machine cannot run the sandbox; grading must not go on without it."""


def _limit(default, help: str, option: bool = False):
    """A limit with its default, stated once; `option` ones are CLI options and nbgrader traits."""
    return field(default=default, metadata={"help": help, "option": option})


@dataclass(frozen=True)
class Limits:
    """Every limit of one sandboxed notebook, with its default: the one place they are set.

    `python -m autograder grade` offers the option ones as --cell-timeout and so on, and the
    nbgrader adapter as traits (`c.GradeSubmission.cell_timeout = ...`)."""

    cell_timeout: float = _limit(60.0, "wall-clock seconds per cell", option=True)
    notebook_timeout: float = _limit(600.0, "wall-clock seconds per notebook", option=True)
    startup_timeout: float = _limit(60.0, "seconds for the kernel to start")
    memory_mb: int = _limit(4096, "address space of each process, in MB", option=True)
    cpu_seconds: int = _limit(900, "CPU seconds of each process")
    max_processes: int = _limit(256, "processes and threads of the sandbox's uid")
    max_file_mb: int = _limit(256, "largest file the kernel may write, in MB")
    tmpfs_mb: int = _limit(512, "size of /tmp and of /submission each, in MB")
    max_output_mb: float = _limit(32.0, "outputs kept per notebook, in MB; more are dropped")

    @classmethod
    def options(cls):
        """The fields offered to instructors: (name, default, help, type)."""
        return [
            (f.name, f.default, f.metadata["help"], f.type) for f in fields(cls) if f.metadata.get("option")
        ]


@dataclass
class SandboxSpec:
    """Everything that varies between two sandboxed kernels."""

    runtime_dir: Path  # host folder shared for the kernel's ipc sockets
    uid: int | None = None  # the leased uid the kernel runs as (None: not root)
    env: dict = field(default_factory=dict)
    data_files: dict = field(default_factory=dict)  # name in /submission -> host path
    limits: Limits = field(default_factory=Limits)


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if not path:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed; the grader will not run student code without "
            "its sandbox. Install it with `apt-get install bubblewrap` (make setup does this as root)."
        )
    return path


def probes_package(parent: Path) -> Path:
    """A fresh copy of the `autograder` package that holds only what the sandbox may see
    (SANDBOX_MODULES), in a new folder under `parent`; the caller removes it."""
    parent.mkdir(parents=True, exist_ok=True)
    pkg = Path(tempfile.mkdtemp(prefix="pkg-", dir=parent)) / "autograder"
    pkg.mkdir()
    (pkg / "__init__.py").write_text('"""Only the probes are available inside the sandbox."""\n')
    src = Path(__file__).resolve().parent.parent
    for name in SANDBOX_MODULES:
        if name.endswith(".py"):
            shutil.copy2(src / name, pkg / name)
            continue
        (pkg / name).mkdir()
        for f in (src / name).glob("*.py"):
            shutil.copy2(f, pkg / name / f.name)
    for p in [pkg.parent, pkg, *pkg.rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    return pkg


def remove_probes_package(pkg: Path) -> None:
    shutil.rmtree(Path(pkg).parent, ignore_errors=True)


def _ancestors(path: str) -> list[str]:
    parts = Path(path).parts[1:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


class _Mounts:
    """bwrap arguments, creating each mount point's parents world-readable (bwrap's are 0700)."""

    def __init__(self):
        self.args: list[str] = []
        self.dirs: set[str] = {"/", "/tmp", "/usr", "/etc", "/proc", "/dev"}

    def _parents(self, dest: str) -> None:
        for d in _ancestors(dest):
            if d not in self.dirs:
                self.args += ["--perms", "0755", "--dir", d]
                self.dirs.add(d)

    def ro(self, src, dest=None) -> None:
        src = os.path.abspath(src)  # bwrap resolves a relative source inside the new root
        dest = str(dest or src)
        self._parents(dest)
        self.args += ["--ro-bind", str(src), dest]
        self.dirs.add(dest)

    def rw(self, src, dest=None) -> None:
        src = os.path.abspath(src)
        dest = str(dest or src)
        self._parents(dest)
        self.args += ["--bind", str(src), dest]
        self.dirs.add(dest)

    def tmpfs(self, dest: str, size_mb: int, perms: str) -> None:
        self._parents(dest)
        self.args += ["--perms", perms, "--size", str(size_mb * 1024 * 1024), "--tmpfs", dest]
        self.dirs.add(dest)


def python_roots() -> list[Path]:
    """Folders the venv's interpreter needs: the venv and the base installation."""
    roots = [Path(sys.prefix)]
    base = Path(sys.base_prefix)
    if not str(base).startswith("/usr") and base not in roots:
        roots.append(base)
    return roots


def bwrap_command(spec: SandboxSpec, inner: list[str], probes_pkg: Path) -> list[str]:
    limits = spec.limits
    m = _Mounts()
    m.ro("/usr")
    m.args += [
        "--symlink",
        "usr/bin",
        "/bin",
        "--symlink",
        "usr/lib",
        "/lib",
        "--symlink",
        "usr/lib64",
        "/lib64",
        "--symlink",
        "usr/sbin",
        "/sbin",
    ]
    m.ro("/etc")
    m.args += ["--proc", "/proc", "--dev", "/dev"]
    m.tmpfs("/tmp", limits.tmpfs_mb, "1777")
    for root in python_roots():
        m.ro(root)
    m.ro(probes_pkg, course.ROOT / "autograder")
    m.tmpfs(WORKDIR, limits.tmpfs_mb, "1777")
    for name, host in sorted(spec.data_files.items()):
        m.ro(host, f"{WORKDIR}/{name}")
    m.rw(spec.runtime_dir)

    env = {
        "HOME": "/tmp/home",
        "PATH": f"{sys.prefix}/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(course.ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "IPYTHONDIR": "/tmp/ipython",
        "MPLCONFIGDIR": "/tmp/mpl",
        "MPLBACKEND": "Agg",
        "JUPYTER_CONFIG_DIR": "/tmp/jupyter/config",
        "JUPYTER_DATA_DIR": "/tmp/jupyter/data",
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter/runtime",
        "XDG_CACHE_HOME": "/tmp/cache",
        "JAX_PLATFORMS": "cpu",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONHASHSEED": "0",
        **spec.env,
    }
    env_args = ["--clearenv"]
    for k, v in sorted(env.items()):
        env_args += ["--setenv", k, str(v)]

    limit_cmd = [
        "/usr/bin/prlimit",
        f"--as={limits.memory_mb * 1024 * 1024}",
        f"--cpu={limits.cpu_seconds}",
        f"--fsize={limits.max_file_mb * 1024 * 1024}",
        "--nofile=1024",
        "--core=0",
    ]
    drop = []
    if spec.uid is not None:
        limit_cmd.append(f"--nproc={limits.max_processes}")
        drop = [
            "/usr/bin/setpriv",
            f"--reuid={spec.uid}",
            f"--regid={spec.uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
            "--",
        ]
    namespaces = [
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "sandbox",
    ]
    if spec.uid is None:
        namespaces.insert(0, "--unshare-user")
    return (
        [
            bwrap_path(),
            "--die-with-parent",
            "--new-session",
            *namespaces,
            *m.args,
            "--chdir",
            WORKDIR,
            *env_args,
            "--",
        ]
        + drop
        + limit_cmd
        + ["--"]
        + inner
    )


def make_runtime_dir(parent: Path | None = None, uid: int | None = None) -> Path:
    """A host folder the sandboxed kernel may write its sockets into (until sealed).

    Unix socket paths are limited to 107 bytes, so a long `parent` is replaced by /tmp.
    """
    if parent is None or len(str(parent)) > 40:
        parent = Path("/tmp") if Path("/tmp").is_dir() else None
    d = Path(tempfile.mkdtemp(prefix="adk-", dir=parent)).absolute()  # the kernel's cwd is /submission
    os.chmod(d, 0o755)
    if uid is not None:
        os.chown(d, uid, uid)
    return d


def seal_runtime_dir(path: Path) -> None:
    """After start-up the kernel needs no new files there: take the folder back."""
    if os.geteuid() == 0:
        os.chown(path, 0, 0)
    os.chmod(path, 0o755)


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time in clock ticks) of a running process; None if it is gone or a
    zombie (dead, waiting to be reaped)."""
    try:
        fields_ = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields_[0] in ("Z", "X"):
        return None
    return int(fields_[1]), int(fields_[19])


def process_tree(root: int) -> list[tuple[int, int]]:
    """(pid, start time) of root and all its descendants; a sandbox's PID-namespace init
    adopts its orphans, so nothing the kernel started is outside this tree."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (st := _stat(int(entry.name))):
            stats[int(entry.name)] = st
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [root] if root in stats else []
    while todo:
        pid = todo.pop()
        found.append((pid, stats[pid][1]))
        todo += children.get(pid, [])
    return found


def end_sandbox(root_pid: int | None, uid: int | None, wait: float = 20.0) -> int:
    """Kill the sandbox's process tree and wait until it is gone; return how many were killed.

    Call it before the kernel's launcher is reaped, so that `root_pid` is still the
    sandbox's. Only this tree is signalled, each process checked by its start time: another
    grader's sandboxes live in other trees. Waiting until the leased uid runs nothing more
    matters, because the next notebook in this slot runs under the same uid and its process
    limit would count the dying ones."""
    killed = 0
    tree = process_tree(root_pid) if root_pid else []
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        alive = [(pid, t) for pid, t in tree if (st := _stat(pid)) and st[1] == t]
        for pid, _ in alive:
            try:
                os.kill(pid, 9)
                killed += 1
            except (ProcessLookupError, PermissionError):
                pass
        if not alive and (uid is None or not processes_of(uid)):
            break
        tree = alive + [ref for pid, _ in alive for ref in process_tree(pid) if ref not in alive]
        time.sleep(0.05)
    return killed


def preflight(cache_dir: Path, limits: Limits | None = None) -> None:
    """Run a trivial program in the sandbox; raise SandboxUnavailable with the reason if it fails."""
    with SlotLease.claim() as lease:
        _preflight(cache_dir, limits, lease.uid)


def _preflight(cache_dir: Path, limits: Limits | None, uid: int | None) -> None:
    runtime = make_runtime_dir(cache_dir, uid)
    pkg = None
    try:
        spec = SandboxSpec(runtime_dir=runtime, uid=uid, limits=limits or Limits())
        pkg = probes_package(cache_dir)
        code = (
            "import os, autograder.probes, autograder.rlc, numpy; "
            f"assert not os.path.exists({str(course.ROOT / 'solutions')!r}); print('sandbox-ok', os.getuid())"
        )
        cmd = bwrap_command(spec, [sys.executable, "-c", code], pkg)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0 or "sandbox-ok" not in proc.stdout:
            raise SandboxUnavailable(
                "the sandbox does not start on this machine (bwrap exit code "
                f"{proc.returncode}): {(proc.stderr or proc.stdout).strip()[-600:]}"
            )
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
        if pkg is not None:
            remove_probes_package(pkg)
