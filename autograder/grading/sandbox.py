"""The sandbox a student's kernel runs in: bubblewrap plus resource limits.

Inside the sandbox:
- the system (/usr, /etc), Python and the course's .venv are read-only;
- /tmp and the working folder /submission are private, size-limited tmpfs mounts;
- the only piece of this repository is `autograder/probes` (no solutions, no checks, no
  gradebook, no grader state, no other student);
- there is no network, and a new PID namespace: when the kernel ends, every process it
  started ends with it;
- the kernel runs as an unprivileged uid of its own job slot (root only), with limits on
  address space, CPU time, processes, file size and open files.
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
from dataclasses import dataclass, field
from pathlib import Path

from .. import course

# Each job slot runs as its own unprivileged uid (when the grader runs as root). Two graders
# running at once on one machine need different bases.
SANDBOX_UID_BASE = int(os.environ.get("AUTODIFF_SANDBOX_UID_BASE", "62000"))
WORKDIR = "/submission"


class SandboxUnavailable(RuntimeError):
    """The machine cannot run the sandbox; grading must not go on without it."""


@dataclass(frozen=True)
class Limits:
    cell_timeout: float = 60.0       # wall-clock seconds per cell
    notebook_timeout: float = 600.0  # wall-clock seconds per notebook
    startup_timeout: float = 60.0    # kernel start
    memory_mb: int = 4096            # address space of each process
    cpu_seconds: int = 900           # CPU time of each process
    max_processes: int = 256         # processes and threads of the slot's uid
    max_file_mb: int = 256           # largest file the kernel may write
    tmpfs_mb: int = 512              # size of /tmp and of /submission each
    max_output_mb: float = 32.0      # outputs kept per notebook; more are dropped


@dataclass
class SandboxSpec:
    """Everything that varies between two sandboxed kernels."""
    runtime_dir: Path                 # host folder shared for the kernel's ipc sockets
    slot: int = 0
    env: dict = field(default_factory=dict)
    data_files: dict = field(default_factory=dict)  # name in /submission -> host path
    limits: Limits = field(default_factory=Limits)

    @property
    def uid(self) -> int | None:
        return SANDBOX_UID_BASE + self.slot if os.geteuid() == 0 else None


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if not path:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed; the grader will not run student code without "
            "its sandbox. Install it with `apt-get install bubblewrap` (make setup does this as root).")
    return path


def probes_package(cache_dir: Path) -> Path:
    """A copy of the `autograder` package that holds only `probes/` (what the sandbox sees)."""
    pkg = cache_dir / "autograder"
    if pkg.exists():
        shutil.rmtree(pkg)
    (pkg / "probes").mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""Only the probes are available inside the sandbox."""\n')
    src = Path(__file__).resolve().parent.parent / "probes"
    for f in src.glob("*.py"):
        shutil.copy2(f, pkg / "probes" / f.name)
    for p in [pkg, *pkg.rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    return pkg


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
    m.args += ["--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
               "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/sbin", "/sbin"]
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
        "HOME": "/tmp/home", "PATH": f"{sys.prefix}/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
        "PYTHONPATH": str(course.ROOT), "PYTHONDONTWRITEBYTECODE": "1",
        "IPYTHONDIR": "/tmp/ipython", "MPLCONFIGDIR": "/tmp/mpl", "MPLBACKEND": "Agg",
        "JUPYTER_CONFIG_DIR": "/tmp/jupyter/config", "JUPYTER_DATA_DIR": "/tmp/jupyter/data",
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter/runtime", "XDG_CACHE_HOME": "/tmp/cache",
        "JAX_PLATFORMS": "cpu", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONHASHSEED": "0",
        **spec.env,
    }
    env_args = ["--clearenv"]
    for k, v in sorted(env.items()):
        env_args += ["--setenv", k, str(v)]

    limit_cmd = ["/usr/bin/prlimit",
                 f"--as={limits.memory_mb * 1024 * 1024}",
                 f"--cpu={limits.cpu_seconds}",
                 f"--fsize={limits.max_file_mb * 1024 * 1024}",
                 "--nofile=1024", "--core=0"]
    drop = []
    if spec.uid is not None:
        limit_cmd.append(f"--nproc={limits.max_processes}")
        drop = ["/usr/bin/setpriv", f"--reuid={spec.uid}", f"--regid={spec.uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    namespaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                  "--unshare-cgroup-try", "--hostname", "sandbox"]
    if spec.uid is None:
        namespaces.insert(0, "--unshare-user")
    return ([bwrap_path(), "--die-with-parent", "--new-session", *namespaces, *m.args,
             "--chdir", WORKDIR, *env_args, "--"] + drop + limit_cmd + ["--"] + inner)


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


def _slot_pids(uid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
            except (FileNotFoundError, PermissionError):
                continue
    return pids


def kill_slot_processes(uid: int | None, wait: float = 20.0) -> int:
    """Kill every process still running as the slot's uid and wait until they are gone.

    The PID namespace already ends them when the kernel ends; this makes sure, and waits,
    because the next notebook in this slot starts under the same uid and its process limit
    would otherwise still count the last one's dying processes (after a fork bomb, say).
    """
    if uid is None:
        return 0
    killed = 0
    deadline = time.monotonic() + wait
    while True:
        pids = _slot_pids(uid)
        if not pids or time.monotonic() > deadline:
            return killed
        for pid in pids:
            try:
                os.kill(pid, 9)
                killed += 1
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.05)


def preflight(cache_dir: Path, limits: Limits | None = None) -> None:
    """Run a trivial program in the sandbox; raise SandboxUnavailable with the reason if it fails."""
    runtime = make_runtime_dir(cache_dir, SANDBOX_UID_BASE if os.geteuid() == 0 else None)
    try:
        spec = SandboxSpec(runtime_dir=runtime, slot=0, limits=limits or Limits())
        pkg = probes_package(cache_dir / "preflight-pkg")
        code = ("import os, autograder.probes, numpy; "
                "assert not os.path.exists(%r); print('sandbox-ok', os.getuid())"
                % str(course.ROOT / "solutions"))
        cmd = bwrap_command(spec, [sys.executable, "-c", code], pkg)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0 or "sandbox-ok" not in proc.stdout:
            raise SandboxUnavailable(
                "the sandbox does not start on this machine (bwrap exit code "
                f"{proc.returncode}): {(proc.stderr or proc.stdout).strip()[-600:]}")
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
