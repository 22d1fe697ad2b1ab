"""Graders on one host never disturb each other: sandbox uids are leased, kernels are ended
by their own process tree, and an output folder is held by one run at a time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from grade_process import start_grade
from redteam_corpus import SPAWNER, _solved_then, _stub_with, _wrong_rtruediv

from autograder.grading.slots import SlotLease, processes_of
from autograder.grading.state import GraderState, StateBusy
from autograder.sample_submissions import release_notebook, solved, write_submission

ROOT = Path(__file__).resolve().parent.parent
AID = "01_dual_numbers"
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="sandbox uids are leased only when grading as root")


@root_only
def test_leases_are_exclusive_and_freed_when_their_holder_dies(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTODIFF_SANDBOX_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.setenv("AUTODIFF_SANDBOX_UID_BASE", "63900")
    monkeypatch.setenv("AUTODIFF_SANDBOX_UIDS", "3")
    a, b = SlotLease.claim(), SlotLease.claim()
    assert a.uid != b.uid
    holder = subprocess.Popen(  # another process takes the last uid, then is killed
        [
            sys.executable,
            "-c",
            "from autograder.grading.slots import SlotLease; import time; "
            "l = SlotLease.claim(); print(l.uid, flush=True); time.sleep(600)",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    taken = int(holder.stdout.readline())
    assert taken not in (a.uid, b.uid)
    with pytest.raises(Exception, match="in use"):
        SlotLease.claim()
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    c = SlotLease.claim()  # the kernel released the dead holder's lock
    assert c.uid == taken
    for lease in (a, b, c):
        lease.release()


def test_one_output_folder_holds_one_run_at_a_time(tmp_path):
    first = GraderState(tmp_path / ".state").hold()
    with pytest.raises(StateBusy, match="another grading run"):
        GraderState(tmp_path / ".state").hold()
    first.release()
    GraderState(tmp_path / ".state").hold().release()


def _class(submitted: Path) -> None:
    for n in range(2):
        write_submission(submitted, f"s{n}_solved", AID, solved(AID))
    write_submission(submitted, "s2_wrong", AID, _wrong_rtruediv())
    write_submission(submitted, "s3_stub", AID, release_notebook(AID))
    write_submission(submitted, "s4_hang", AID, _solved_then("while True:\n    pass"))
    write_submission(submitted, "s5_spawner", AID, _stub_with(SPAWNER))


def _grade(submitted: Path, out: Path) -> subprocess.Popen:
    return start_grade(submitted, out, "--cell-timeout", "20")


@pytest.mark.slow
def test_two_runs_at_once_give_the_rows_of_one_after_the_other(tmp_path):
    submitted = tmp_path / "submitted"
    _class(submitted)
    alone = _grade(submitted, tmp_path / "alone")
    assert alone.wait(timeout=1800) == 0, alone.stderr.read()[-2000:]
    reference = (tmp_path / "alone" / "grades.csv").read_text()

    runs = [_grade(submitted, tmp_path / f"together{i}") for i in range(2)]
    for run in runs:
        assert run.wait(timeout=1800) == 0, run.stderr.read()[-2000:]
    for i in range(2):
        assert (tmp_path / f"together{i}" / "grades.csv").read_text() == reference
    assert "crashed" not in reference and "grader_error" not in reference


@pytest.mark.slow
@root_only
def test_a_run_leaves_other_graders_sandboxes_alone(tmp_path):
    """Processes under a uid leased to someone else survive a whole grading run."""
    with SlotLease.claim() as lease:
        sleeper = subprocess.Popen(
            [
                "/usr/bin/setpriv",
                f"--reuid={lease.uid}",
                f"--regid={lease.uid}",
                "--clear-groups",
                "sleep",
                "600",
            ]
        )
        try:
            submitted = tmp_path / "submitted"
            _class(submitted)
            run = _grade(submitted, tmp_path / "out")
            assert run.wait(timeout=1800) == 0, run.stderr.read()[-2000:]
            time.sleep(0.5)
            assert sleeper.poll() is None and sleeper.pid in processes_of(lease.uid)
        finally:
            sleeper.kill()
            sleeper.wait()
