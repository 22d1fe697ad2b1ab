"""A batch killed with SIGKILL and run again gives the same grades.csv as an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from grade_process import start_grade
from redteam_corpus import _wrong_rtruediv

from autograder.grading.slots import processes_of
from autograder.sample_submissions import release_notebook, solved, write_submission

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
AID = "01_dual_numbers"


# This test's graders lease uids nobody else on the host uses, so that what is left under
# them after the kill can only be theirs.
OWN_UIDS = {"AUTODIFF_SANDBOX_UID_BASE": "71000", "AUTODIFF_SANDBOX_UIDS": "8"}


def _grade(submitted: Path, out: Path, lock_dir: Path) -> subprocess.Popen:
    return start_grade(
        submitted, out, env={**OWN_UIDS, "AUTODIFF_SANDBOX_LOCK_DIR": str(lock_dir)}, new_session=True
    )


def test_sigkill_mid_run_then_rerun(tmp_path):
    submitted = tmp_path / "submitted"
    for n in range(3):
        write_submission(submitted, f"s{n}_solved", AID, solved(AID))
    write_submission(submitted, "s3_stub", AID, release_notebook(AID))
    write_submission(submitted, "s4_wrong", AID, _wrong_rtruediv())
    write_submission(submitted, "s5_broken", AID, "{not json")

    locks = tmp_path / "locks"
    reference = _grade(submitted, tmp_path / "reference", locks)
    assert reference.wait(timeout=1800) == 0, reference.stderr.read()[-2000:]

    out = tmp_path / "killed"
    proc = _grade(submitted, out, locks)
    results = out / ".state" / "results"
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        done = len(list(results.glob("*.json"))) if results.exists() else 0
        if 1 <= done < 6:
            break
        if proc.poll() is not None:
            pytest.fail("the batch finished before it could be killed")
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "grades.csv").exists() or len((out / "grades.csv").read_text().splitlines()) < 7

    time.sleep(2)  # workers die with the grader (PR_SET_PDEATHSIG), sandboxes with their workers
    own = range(int(OWN_UIDS["AUTODIFF_SANDBOX_UID_BASE"]), 71000 + int(OWN_UIDS["AUTODIFF_SANDBOX_UIDS"]))
    left = [p for uid in own for p in processes_of(uid)]
    assert not left, f"processes left behind after SIGKILL: {left}"

    again = _grade(submitted, out, locks)
    assert again.wait(timeout=1800) == 0, again.stderr.read()[-2000:]
    assert (out / "grades.csv").read_text() == (tmp_path / "reference" / "grades.csv").read_text()
    assert len(list(results.glob("*.json"))) == 6
