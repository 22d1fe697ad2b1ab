"""The grader's own state: a secret for the probes' seeds, and finished results for resuming.

It lives in `<out>/.state/`, which no sandbox can see. Every file is written atomically
(temporary file, then rename), so a run killed at any moment leaves either the old file or
the new one, never half of one.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from pathlib import Path

from .result import GradeResult

GRADER_VERSION = "2"


def atomic_write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class StateBusy(RuntimeError):
    """Another grading run is writing to the same output folder."""


class GraderState:
    def __init__(self, folder: Path):
        self.folder = folder
        self.results = folder / "results"
        self.results.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)

    def secret(self) -> bytes:
        path = self.folder / "secret"
        if not path.exists():
            atomic_write(path, secrets.token_hex(32))
            os.chmod(path, 0o600)
        return path.read_text().strip().encode()

    def seed(self, student: str, aid: str) -> int:
        """The probes' seed for one submission: secret, stable across reruns, different per student."""
        digest = hmac.new(self.secret(), f"{student}\0{aid}".encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") >> 1

    def _path(self, student: str, aid: str) -> Path:
        key = hashlib.sha256(f"{student}\0{aid}".encode()).hexdigest()[:32]
        return self.results / f"{key}.json"

    def load(self, student: str, aid: str, fingerprint: str) -> GradeResult | None:
        path = self._path(student, aid)
        try:
            data = json.loads(path.read_text())
            if (
                data.get("fingerprint") != fingerprint
                or data.get("student_id") != student
                or data.get("assignment") != aid
            ):
                return None
            return GradeResult.from_dict(data)
        except (FileNotFoundError, json.JSONDecodeError, TypeError, KeyError, AttributeError):
            return None

    def all_results(self) -> list[GradeResult]:
        """Every row saved in this state, whatever its fingerprint (for the rows a run keeps)."""
        rows = []
        for path in sorted(self.results.glob("*.json")):
            try:
                data = json.loads(path.read_text())
                if path == self._path(data["student_id"], data["assignment"]):
                    rows.append(GradeResult.from_dict(data))
            except (OSError, json.JSONDecodeError, TypeError, KeyError, AttributeError):
                continue
        return rows

    def save(self, result: GradeResult) -> None:
        atomic_write(self._path(result.student_id, result.assignment), json.dumps(result.to_dict(), indent=1))

    def hold(self) -> GraderState:
        """Claim the folder for this run (until the process ends or `release`)."""
        fd = os.open(self.folder / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise StateBusy(
                f"another grading run (process {holder}) is writing to {self.folder.parent}; "
                "wait for it to finish or choose another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd: int | None = fd
        return self

    def release(self) -> None:
        fd = getattr(self, "_lock_fd", None)
        if fd is not None:
            os.close(fd)
            self._lock_fd = None


# Applied to rows after grading (see late.py): changing them must not expire a verdict.
AFTER_GRADING = ("grading/late.py",)


def code_fingerprint() -> str:
    """Changes whenever the course table's tests and rules, the probes, checks or references
    change, so cached verdicts expire. Due dates and late policies are left out."""
    from .. import course

    h = hashlib.sha256(GRADER_VERSION.encode())
    h.update(course.grading_facts().encode())
    base = Path(__file__).resolve().parent.parent
    files = [base / "rules.py", base / "rlc.py"]
    for sub in ("probes", "checks", "reference", "grading"):
        files += sorted(f for f in (base / sub).glob("*.py") if str(f.relative_to(base)) not in AFTER_GRADING)
    for f in files:
        h.update(str(f.relative_to(base)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()
