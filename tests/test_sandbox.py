"""The sandbox itself, probed with small programs (no kernel): what student code can see and do."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder.grading.sandbox import (
    Limits,
    SandboxSpec,
    bwrap_command,
    make_runtime_dir,
    preflight,
    probes_package,
)
from autograder.grading.slots import SlotLease

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    cache = tmp_path_factory.mktemp("sandbox")
    pkg = probes_package(cache)
    lease = SlotLease.claim()

    def run(code: str, limits: Limits = Limits(), timeout: float = 60) -> subprocess.CompletedProcess:
        runtime = make_runtime_dir(cache, lease.uid)
        spec = SandboxSpec(runtime_dir=runtime, uid=lease.uid, limits=limits)
        cmd = bwrap_command(spec, [sys.executable, "-c", textwrap.dedent(code)], pkg)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)

    yield run
    lease.release()


def test_preflight_passes_here(tmp_path):
    preflight(tmp_path)


def test_course_files_and_grader_are_invisible(box):
    r = box(f"""
        import os
        root = {str(ROOT)!r}
        print(sorted(os.listdir(root)))
        print(sorted(os.listdir(os.path.join(root, "autograder"))))
        for p in ["solutions", "notebooks", "gradebook.db", "autograder/checks", "autograder/grading", "tests"]:
            assert not os.path.exists(os.path.join(root, p)), p
        import autograder.probes.dual_numbers
        try:
            import autograder.checks
        except ImportError:
            print("no checks")
    """)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "['.venv', 'autograder']" or lines[0].startswith("['.venv', 'autograder'")
    assert lines[1] == "['__init__.py', 'probes', 'rlc.py']"
    assert lines[2] == "no checks"


def test_system_is_read_only_and_tmp_is_private(box, tmp_path):
    marker = tmp_path / "host-file"
    marker.write_text("host")
    r = box(f"""
        import os
        for p in ["/usr/evil", "/etc/evil", {str(Path(sys.prefix) / 'evil')!r}]:
            try:
                open(p, "w")
                print("WROTE", p)
            except OSError:
                pass
        assert not os.path.exists({str(marker)!r})
        open("/tmp/written-in-the-sandbox", "w").write("ok")  # not /tmp/<name>: a clone in /tmp is mounted there
        open("/submission/y", "w").write("ok")
        print("uid", os.getuid())
    """)
    assert r.returncode == 0, r.stderr
    assert "WROTE" not in r.stdout
    if os.geteuid() == 0:
        assert "uid 62" in r.stdout or "uid 6" in r.stdout
        assert "uid 0" not in r.stdout


def test_no_network(box):
    r = box("""
        import socket
        for addr in [("8.8.8.8", 53), ("127.0.0.1", 22), ("1.1.1.1", 443)]:
            try:
                socket.create_connection(addr, timeout=2)
                print("CONNECTED", addr)
            except OSError:
                pass
        print(sorted(name for _, name in socket.if_nameindex()))
    """)
    assert r.returncode == 0, r.stderr
    assert "CONNECTED" not in r.stdout
    assert r.stdout.strip().endswith("['lo']")


def test_memory_limit_gives_memory_error(box):
    r = box(
        """
        try:
            block = bytearray(3 * 1024 ** 3)
            print("ALLOCATED")
        except MemoryError:
            print("memory error")
    """,
        limits=Limits(memory_mb=1024),
    )
    assert "memory error" in r.stdout and "ALLOCATED" not in r.stdout, r.stderr


def test_file_size_and_tmpfs_limits(box):
    r = box(
        """
        import os
        try:
            with open("/tmp/big", "wb") as f:
                for _ in range(64):
                    f.write(b"x" * 1024 * 1024)
            print("WROTE 64 MB")
        except OSError as e:
            print("stopped:", e.errno)
    """,
        limits=Limits(tmpfs_mb=16, max_file_mb=256),
    )
    assert "stopped" in r.stdout, (r.stdout, r.stderr)


@pytest.mark.skipif(os.geteuid() != 0, reason="process limits per uid need root to switch uids")
def test_process_limit_stops_a_fork_bomb(box):
    r = box(
        """
        import os, time
        n = 0
        try:
            for _ in range(10000):
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                n += 1
        except OSError:
            pass
        print("children", n)
    """,
        limits=Limits(max_processes=64),
    )
    n = int(r.stdout.split()[-1])
    assert 0 < n < 64, r.stdout


def test_children_die_with_the_sandbox(box):
    marker = "autodiff-sandbox-test-orphan"
    r = box(f"""
        import subprocess
        subprocess.Popen(["/bin/sh", "-c", "exec -a {marker} sleep 300"], start_new_session=True)
        print("spawned")
    """)
    assert "spawned" in r.stdout
    left = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cmdline(p).startswith(marker)]
    assert not left


def _cmdline(p: Path) -> str:
    try:
        return (p / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_the_probe_seed_is_the_only_grader_secret_passed(box):
    r = box("""
        import os
        print(sorted(k for k in os.environ))
    """)
    names = eval(r.stdout.strip())
    assert not any("SECRET" in n or "TOKEN" in n or n.startswith("AUTODIFF_SANDBOX") for n in names)


def test_a_kernel_that_cannot_start_says_why(tmp_path):
    """A sandbox that fails to set up is a grader_error whose message carries bwrap's own words."""
    import nbformat

    from autograder.grading.execute import sandboxed_execute

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    result = sandboxed_execute(
        nb,
        uid=None,
        env={},
        limits=Limits(startup_timeout=20),
        probes_pkg=probes_package(tmp_path),
        runtime_parent=tmp_path,
        data_files={"data.csv": str(tmp_path / "missing.csv")},
    )
    assert result.status == "grader_error"
    assert "did not start" in result.message and "missing.csv" in result.message, result.message


def test_relative_mount_sources_are_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg").mkdir()
    spec = SandboxSpec(runtime_dir=Path("rt"))
    cmd = bwrap_command(spec, ["true"], Path("pkg"))
    assert str(tmp_path / "pkg") in cmd and str(tmp_path / "rt") in cmd
    assert "pkg" not in cmd and "rt" not in cmd
    (tmp_path / "rel").mkdir()
    assert make_runtime_dir(Path("rel")).is_absolute()
