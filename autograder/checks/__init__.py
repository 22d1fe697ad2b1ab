"""Checks: trusted verdicts on the raw results that probes record.

Each assignment has a module here (see MODULES) that defines

    CHECKS = {probe_name: check(results, seed) -> Verdict}
    TESTS  = {test_cell_grade_id: TestSpec(probe=..., answers=(...))}

A check rebuilds the probe's inputs from the seed, computes reference values (JAX or
PyTorch in float64, or closed forms) and compares. It must treat `results` as hostile
data: any shape or type it does not expect is a failure, never an exception that escapes.
"""
from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field

from ..probes import MIME

MODULES = {
    "01_dual_numbers": "dual_numbers",
    "02_euler_rk4": "euler_rk4",
    "03_pytorch": "pytorch",
    "04_jax": "jax_basics",
    "05_mlp_logistic": "mlp_logistic",
    "06_jacobians_hessians": "jacobians_hessians",
}


@dataclass(frozen=True)
class Verdict:
    passed: bool
    messages: list[str] = field(default_factory=list)

    @staticmethod
    def fail(*messages: str) -> "Verdict":
        return Verdict(False, list(messages))


@dataclass(frozen=True)
class TestSpec:
    """What a test cell checks: the probe it must contain and the answer cells it grades."""
    __test__ = False  # not a pytest class
    probe: str
    answers: tuple[str, ...] = ()


class MalformedResult(ValueError):
    """Raised by checks on results of the wrong shape or type; becomes a failing verdict."""


def assignment_module(aid: str):
    if aid not in MODULES:
        raise KeyError(f"no checks registered for assignment {aid!r}")
    return importlib.import_module(f"{__name__}.{MODULES[aid]}")


def tests_for(aid: str) -> dict[str, TestSpec]:
    try:
        return assignment_module(aid).TESTS
    except ModuleNotFoundError:
        return {}


def all_checks() -> dict:
    """Every registered check, by probe name."""
    checks = {}
    for aid in MODULES:
        try:
            checks.update(assignment_module(aid).CHECKS)
        except ModuleNotFoundError:
            continue
    return checks


def check_record(probe: str, record, seed: int) -> Verdict:
    """Verdict for one record that claims to come from `probe`. Never raises."""
    if not isinstance(record, dict) or record.get("probe") != probe or "results" not in record:
        return Verdict.fail(f"the result of {probe} is missing or malformed")
    check = all_checks().get(probe)
    if check is None:
        return Verdict.fail(f"no check is registered for {probe}")
    try:
        verdict = check(record["results"], seed)
    except MalformedResult as exc:
        return Verdict.fail(f"the result of {probe} is malformed: {exc}")
    except Exception as exc:  # noqa: BLE001 - hostile data must never crash grading
        return Verdict.fail(f"the result of {probe} could not be checked ({type(exc).__name__})")
    if not isinstance(verdict, Verdict):
        return Verdict.fail(f"internal: check for {probe} returned {type(verdict).__name__}")
    return verdict


def _plain_json(data):
    """Plain dicts and lists (not NotebookNode subclasses), so checks can test exact types."""
    return json.loads(json.dumps(data))


def records_in(outputs) -> list:
    """The probe records among one cell's outputs (display_data / execute_result)."""
    found = []
    for out in outputs or []:
        if not isinstance(out, dict) or out.get("output_type") not in ("display_data", "execute_result"):
            continue
        data = out.get("data")
        if isinstance(data, dict) and MIME in data:
            try:
                found.append(_plain_json(data[MIME]))
            except (TypeError, ValueError):
                found.append(None)
    return found


def verdict_for_cell(spec: TestSpec, outputs, seed: int) -> Verdict:
    """The trusted verdict of one executed test cell: exactly one record of the expected probe."""
    records = records_in(outputs)
    if not records:
        return Verdict.fail("this test did not record a result: it raised an error or did not run")
    if len(records) > 1:
        return Verdict.fail(f"this test recorded {len(records)} results instead of one")
    return check_record(spec.probe, records[0], seed)
