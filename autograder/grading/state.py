"""The grader's own state: a secret for the probes' seeds, and finished results for resuming.

It lives in `<out>/.state/`, which no sandbox can see. Every file is written atomically
(temporary file, then rename), so a run killed at any moment leaves either the old file or
the new one, never half of one.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
from pathlib import Path

GRADER_VERSION = "1"


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

    def load(self, student: str, aid: str, fingerprint: str) -> dict | None:
        path = self._path(student, aid)
        try:
            data = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        if data.get("fingerprint") != fingerprint or data.get("student_id") != student or data.get("assignment") != aid:
            return None
        return data

    def save(self, result: dict) -> None:
        atomic_write(self._path(result["student_id"], result["assignment"]), json.dumps(result, indent=1))


def code_fingerprint() -> str:
    """Changes whenever the probes, checks or references change, so cached verdicts expire."""
    h = hashlib.sha256(GRADER_VERSION.encode())
    base = Path(__file__).resolve().parent.parent
    for sub in ("probes", "checks", "reference", "grading"):
        for f in sorted((base / sub).glob("*.py")):
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()
