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

Each probe is a `Probe`, defined once in `autograder/probes/<module>.py`: its name is
`<module>.<short name>`, and the course table's test `test_<short name>` runs it. Every call
into student code goes through `attempt()`, which also records which code ran meanwhile
(`usage.py`), the evidence for the rules an answer must obey.
"""

from __future__ import annotations

import math
import os
import secrets
import zlib
from collections.abc import Callable

import numpy as np

from . import usage

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
    """Run student code; return {'ok': plain result} or {'error': text}. Never raises.

    The call runs under the usage recorder of the probe that is running."""
    try:
        return {"ok": plain(usage.current().run(fn, *args, **kwargs))}
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


def emit(record: dict) -> None:
    from IPython.display import display

    display({MIME: record}, raw=True)


def make_record(probe: str, results, traced: dict | None = None) -> dict:
    """The record a probe emits: its results, what code ran, and what JAX traced (if asked)."""
    record = {"probe": probe, "results": _json_safe(results), "usage": usage.take()}
    if traced is not None:
        record["traced"] = _json_safe(traced)
    return record


def judge_here(record: dict, seed: int) -> None:
    """Outside the grader: judge the record at once, as the grader would, and fail loudly."""
    from autograder.checks import judge_record  # never inside the sandbox

    verdict = judge_record(record["probe"], json_round_trip(record), seed)
    if not verdict.passed:
        raise AssertionError(f"hidden test {record['probe']} failed:\n  " + "\n  ".join(verdict.messages))


def json_round_trip(data):
    """What the grader receives: the record after JSON encoding (tuples become lists, ...)."""
    import json

    return json.loads(json.dumps(data))


def seed_and_mode() -> tuple[int, bool]:
    """(seed, local): the grader's seed, or a fresh one and local checking."""
    seed = seed_from_env()
    if seed is None:
        return secrets.randbits(63), True
    return seed, False


def probe_name(module: str, short: str) -> str:
    """`<last part of the probes module's name>.<short>`: how a test finds its probe."""
    return f"{module.rpartition('.')[2]}.{short}"


class Probe:
    """One hidden test's probe: `run(*student_objects, seed)` returns the raw results.

    A hidden-test cell calls the probe itself, on the student's objects. A run may return
    `Traced(results, summary)` to attach a summary of a program JAX traced."""

    def __init__(self, module: str, short: str, run: Callable):
        self.name = probe_name(module, short)
        self.run = run
        self.__doc__ = run.__doc__

    def rng(self, seed: int) -> np.random.Generator:
        return rng_for(seed, self.name)

    def record(self, *student, seed: int) -> dict:
        """Run on the student's objects and return the record the grader would receive."""
        usage.take()  # start with a fresh recorder
        out = self.run(*student, seed)
        results, traced = (out.results, out.summary) if isinstance(out, Traced) else (out, None)
        return make_record(self.name, results, traced)

    def __call__(self, *student) -> None:
        seed, local = seed_and_mode()
        record = self.record(*student, seed=seed)
        emit(record)
        if local:
            judge_here(record, seed)

    def __repr__(self) -> str:
        return f"<probe {self.name}>"


class Traced:
    """What a probe's run returns when the grader must also see the program JAX traced."""

    def __init__(self, results, summary: dict):
        self.results, self.summary = results, summary


def probe(run: Callable) -> Probe:
    """Decorator: `@probe def probe_dloss(dloss, seed)` defines the probe `<module>.dloss`."""
    return Probe(run.__module__, run.__name__.removeprefix("probe_"), run)
