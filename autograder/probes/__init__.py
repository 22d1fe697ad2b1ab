"""Probes: the code that hidden-test cells run inside the student's kernel.

A probe calls the student's code on inputs drawn from a seed and records the raw results
(plain numbers, or the text of an error) as one display output with the MIME type below.
It decides nothing. The grader, outside the student's process, rebuilds the same inputs from
the same seed, computes reference values and the verdict (see `autograder.checks`).

Inside the grader's sandbox the seed comes from the environment and only this subpackage of
`autograder` exists. Anywhere else (an instructor running a solution notebook, `nbgrader
validate`, CI) no seed is set: the probe draws a fresh one and checks its own results at
once with `autograder.checks`, raising AssertionError with the check's messages.

Probes use numpy and the standard library, and JAX or PyTorch only in notebooks that use
them already (imported inside the probe), so importing a probe costs the kernel nothing.
"""
from __future__ import annotations

import math
import os
import secrets
import zlib

import numpy as np

MIME = "application/vnd.autodiff-course.probe+json"
SEED_ENV = "AUTODIFF_PROBE_SEED"
MAX_ERROR_TEXT = 300


def seed_from_env() -> int | None:
    raw = os.environ.get(SEED_ENV)
    return int(raw) if raw is not None else None


def rng_for(seed: int, probe: str) -> np.random.Generator:
    """The input generator of one probe: the same on both sides for the same seed."""
    return np.random.default_rng([seed, zlib.crc32(probe.encode())])


def draw_values(rng: np.random.Generator, domain: str, n: int) -> np.ndarray:
    """n input values from a domain: "positive" [0.3, 3], "moderate" [0.5, 1.2],
    "small" +-[0.3, 1], or "any" +-[0.4, 3] (kept away from 0, where 1/x and log misbehave)."""
    if domain == "positive":
        return rng.uniform(0.3, 3.0, n)
    if domain == "moderate":
        return rng.uniform(0.5, 1.2, n)
    if domain == "small":
        return rng.uniform(0.3, 1.0, n) * rng.choice([-1.0, 1.0], n)
    return rng.uniform(0.4, 3.0, n) * rng.choice([-1.0, 1.0], n)


def draw_const(rng: np.random.Generator, kind: str):
    """A constant operand: "int" (a small nonzero int), "positive" (a float > 0), or a float."""
    if kind == "int":
        return int(rng.choice([-3, -2, 2, 3, 5]))
    if kind == "positive":
        return float(rng.uniform(0.5, 3.0))
    return float(np.round(rng.uniform(0.5, 3.0) * rng.choice([-1.0, 1.0]), 3))


def typed_const(kind: str, value):
    """The constant operand as the student's code receives it: int, np.float64 or float."""
    if kind == "int":
        return int(value)
    if kind == "np.float64":
        return np.float64(value)
    return float(value)  # "float" and "positive"


def unwrap_object_scalar(r):
    """The object inside a one-element object array (what np.sin(x) can hand back), else r."""
    if isinstance(r, np.ndarray) and r.dtype == object and r.size == 1:
        return r.item()
    return r


def describe_error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_ERROR_TEXT else text[:MAX_ERROR_TEXT] + "..."


def plain(value):
    """Convert a student's result to plain JSON data: floats, lists, strings, None.

    Anything that is not a real number (or a nested sequence of them) becomes a string
    describing its type, so that an object with a custom __eq__ can never reach a check.
    """
    if isinstance(value, bool):
        return {"unexpected_type": "bool"}
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf" and value.size <= 100_000:
        return value.astype(float).tolist()
    if isinstance(value, (list, tuple)) and len(value) <= 100_000:
        return [plain(v) for v in value]
    return {"unexpected_type": type(value).__name__}


def attempt(fn, *args, **kwargs):
    """Run student code; return {'ok': plain result} or {'error': text}. Never raises."""
    try:
        return {"ok": plain(fn(*args, **kwargs))}
    except BaseException as exc:  # noqa: BLE001 - a student's code may raise anything
        if isinstance(exc, KeyboardInterrupt):
            raise
        return {"error": describe_error(exc)}


def _json_safe(data):
    """JSON has no NaN or infinity; encode them so the record stays valid JSON."""
    if isinstance(data, float) and not math.isfinite(data):
        return {"nonfinite": repr(data)}
    if isinstance(data, dict):
        return {str(k): _json_safe(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_json_safe(v) for v in data]
    return data


def emit(probe: str, results) -> None:
    from IPython.display import display

    display({MIME: {"probe": probe, "results": _json_safe(results)}}, raw=True)


def report(probe: str, results, seed: int, local: bool) -> None:
    """Emit the record; outside the grader also check it here and fail loudly."""
    emit(probe, results)
    if local:
        from autograder.checks import check_record  # only outside the sandbox

        verdict = check_record(probe, {"probe": probe, "results": _json_safe(results)}, seed)
        if not verdict.passed:
            raise AssertionError(f"hidden test {probe} failed:\n  " + "\n  ".join(verdict.messages))


def seed_and_mode() -> tuple[int, bool]:
    """(seed, local): the grader's seed, or a fresh one and local checking."""
    seed = seed_from_env()
    if seed is None:
        return secrets.randbits(63), True
    return seed, False
