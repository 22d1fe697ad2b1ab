"""Run a probe on student objects and judge its record the way the grader does.

`judge(probe, *student, seed=...)` runs the probe in this process (usage recorded, the
program traced where the probe traces), sends the record through JSON as the sandbox does,
and returns the verdict the grader gives a test cell that ran: the check, then the rules of
the answers the test grades. `judge_results` judges hand-made (often malformed) results.
"""

from __future__ import annotations

from autograder.checks import Verdict, check_record, judge_record
from autograder.probes import Probe, json_round_trip


def record(probe: Probe, *student, seed: int) -> dict:
    return json_round_trip(probe.record(*student, seed=seed))


def judge(probe: Probe, *student, seed: int) -> Verdict:
    return judge_record(probe.name, record(probe, *student, seed=seed), seed)


def judge_results(probe: Probe, results, seed: int) -> Verdict:
    return check_record(probe.name, {"probe": probe.name, "results": json_round_trip(results)}, seed)
