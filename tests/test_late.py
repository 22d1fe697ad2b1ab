"""Late work: timestamps as nbgrader writes them, due dates, policies, and what they cost.

Fast: nothing here grades a notebook (tests/test_regrade.py does, end to end).
"""

from __future__ import annotations

import csv
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from autograder import cli, course
from autograder.grading import late
from autograder.grading.feedback import render
from autograder.grading.late import Deadline, LateError, LatePolicy, parse_time
from autograder.grading.report import write_grades
from autograder.grading.result import GradeResult, TestResult
from autograder.grading.state import code_fingerprint

UTC = UTC
AID = "01_dual_numbers"


# --- timestamps -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        # nbgrader's default timestamp_format "%Y-%m-%d %H:%M:%S.%f %Z" with its default zone UTC
        ("2026-12-02 09:30:00.123456 UTC", datetime(2026, 12, 2, 9, 30, 0, 123456, UTC)),
        # the example of nbgrader's late-submission docs, a zone name
        ("2015-02-02 14:58:23.948203 America/Los_Angeles", datetime(2015, 2, 2, 22, 58, 23, 948203, UTC)),
        # what `nbgrader zip_collect` writes (isoformat(" ")), and ISO 8601 with offsets or Z
        ("2026-12-02 09:30:00", datetime(2026, 12, 2, 9, 30, tzinfo=UTC)),
        ("2026-12-02T10:30:00+01:00", datetime(2026, 12, 2, 9, 30, tzinfo=UTC)),
        ("2026-12-02T09:30:00Z", datetime(2026, 12, 2, 9, 30, tzinfo=UTC)),
        ("2026-12-02 09:30", datetime(2026, 12, 2, 9, 30, tzinfo=UTC)),
        ("2026-12-02 04:30:00 -0500", datetime(2026, 12, 2, 9, 30, tzinfo=UTC)),
        ("  2026-12-02 09:30:00 GMT\n", datetime(2026, 12, 2, 9, 30, tzinfo=UTC)),
    ],
)
def test_timestamps_nbgrader_writes_are_read(text, expected):
    assert parse_time(text) == expected


def test_a_timestamp_without_a_zone_is_utc_as_in_nbgrader():
    from nbgrader.utils import parse_utc  # nbgrader's own reading: naive UTC

    for text in ("2026-12-02 09:30:00", "2026-12-02 09:30:00.5 UTC", "2026-12-02T10:30:00+01:00"):
        assert parse_time(text).astimezone(UTC).replace(tzinfo=None) == parse_utc(text)


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "2026-12-02",
        "12:00",
        "2026-02-30 10:00",
        "2026-12-02 10:00 Mars/Base",
        "2026-12-02 10:00 ../../etc/passwd",
        "",
        "1733131800",
    ],
)
def test_anything_else_is_a_clear_error(text):
    with pytest.raises(LateError, match="not a date and time|unknown time zone"):
        parse_time(text)


def test_a_due_date_must_name_its_zone():
    with pytest.raises(LateError, match="no time zone"):
        late.parse_due("2026-12-01T23:59:00")
    assert late.parse_due("2026-12-01T23:59:00+01:00") == datetime(2026, 12, 1, 22, 59, tzinfo=UTC)
    assert late.parse_due("") is None


def test_timestamp_files(tmp_path):
    assert late.read_timestamp(tmp_path) == (None, "")  # none: no timestamp, no penalty
    (tmp_path / "timestamp.txt").write_text("2026-12-02 09:30:00.000000 UTC\n")
    assert late.read_timestamp(tmp_path) == (datetime(2026, 12, 2, 9, 30, tzinfo=UTC), "")
    (tmp_path / "timestamp.txt").write_text("   \n")
    when, warning = late.read_timestamp(tmp_path)
    assert when is None and "is empty" in warning  # nbgrader ignores an empty one with a warning too
    (tmp_path / "timestamp.txt").write_text("last tuesday")
    with pytest.raises(LateError, match=r"timestamp\.txt: 'last tuesday' is not a date"):
        late.read_timestamp(tmp_path)
    (tmp_path / "timestamp.txt").write_bytes(b"\xff\xfe")
    with pytest.raises(LateError, match="not UTF-8"):
        late.read_timestamp(tmp_path)
    (tmp_path / "timestamp.txt").unlink()
    (tmp_path / "timestamp.txt").symlink_to("/etc/hostname")
    with pytest.raises(LateError, match="not a regular file"):
        late.read_timestamp(tmp_path)


def test_durations_read_as_hours_minutes_seconds():
    assert late.duration_text(0) == "0:00:00"
    assert late.duration_text(0.2) == "0:00:01"  # late is never shown as on time
    assert late.duration_text(3600 * 26 + 3 * 60 + 4) == "26:03:04"


# --- policies ------------------------------------------------------------------------------------

HOUR, DAY = 3600, 86400


@pytest.mark.parametrize(
    "spec,seconds,expected",
    [
        ("none", 10 * DAY, 0),
        ("per-hour:2", 0, 0),
        ("per-hour:2", 1, 2),  # a started hour counts
        ("per-hour:2", HOUR, 2),
        ("per-hour:2", HOUR + 1, 4),
        ("per-hour:2,cap=5", 10 * HOUR, 5),
        ("per-day:10%", DAY + 1, 4),  # 10 % of a maximum of 20, two started days
        ("per-day:10%,cap=25%", 30 * DAY, 5),
        ("per-day:1.5,cap=50%", 3 * DAY, 4.5),
        ("zero-after:0", 1, 18),  # everything earned
        ("zero-after:48h", 2 * DAY, 0),
        ("zero-after:48h", 2 * DAY + 1, 18),
        ("zero-after:90m", 91 * 60, 18),
        ("per-hour:100", HOUR, 18),  # never more than earned
    ],
)
def test_penalties(spec, seconds, expected):
    assert LatePolicy.parse(spec).penalty(seconds, max_score=20, earned=18) == pytest.approx(expected)


def test_nothing_earned_nothing_taken():
    assert LatePolicy.parse("per-hour:2").penalty(5 * HOUR, 20, 0) == 0


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "late",
        "per-hour",
        "per-hour:",
        "per-hour:0",
        "per-hour:-1",
        "per-hour:two",
        "per-day:150%",
        "per-day:1,cap",
        "per-day:1,cap=0",
        "per-day:1,cap=1,cap=2",
        "per-day:1,limit=3",
        "zero-after",
        "zero-after:2w",
        "zero-after:-1h",
        "none:3",
        "per-week:1",
    ],
)
def test_bad_policies_are_clear_errors(spec):
    with pytest.raises(LateError):
        LatePolicy.parse(spec)


def test_policies_in_words():
    assert (
        LatePolicy.parse("per-day:10%,cap=50%").describe()
        == "10% of the maximum off per started day late, at most 50% of the maximum in all"
    )
    assert LatePolicy.parse("per-hour:1").describe() == "1 point off per started hour late"
    assert LatePolicy.parse("zero-after:0").describe() == "late work earns no points"
    assert LatePolicy.parse("zero-after:48h").describe() == "work more than 2 days late earns no points"


# --- the course table and the command line ---------------------------------------------------


def test_the_table_says_no_due_date_by_default():
    a = course.assignment(AID)
    assert a.due == "" and a.late_policy == "none"
    assert all(d.due is None and d.policy.is_none for d in late.deadlines().values())


@pytest.mark.parametrize(
    "field,value", [("late_policy", "per-hour:lots"), ("due", "2026-12-01"), ("due", "2026-12-01T23:59:00")]
)
def test_a_bad_table_setting_fails_when_the_table_is_read(field, value):
    with pytest.raises(ValueError, match=f"course table, assignment {AID}"):
        dataclasses.replace(course.assignment(AID), **{field: value})


def test_the_command_line_wins_over_the_table(monkeypatch):
    table = tuple(
        dataclasses.replace(a, due="2026-12-01T23:59:00+01:00", late_policy="per-day:1") if a.id == AID else a
        for a in course.COURSE
    )
    monkeypatch.setattr(course, "COURSE", table)
    assert late.deadlines()[AID].policy.spec == "per-day:1"
    d = late.deadlines({AID: "2026-12-03T00:00:00Z"}, {AID: "zero-after:0"})[AID]
    assert d.due == datetime(2026, 12, 3, tzinfo=UTC) and d.policy.spec == "zero-after:0"
    with pytest.raises(LateError, match="unknown assignment"):
        late.deadlines({"09_nope": "2026-12-03T00:00:00Z"})
    with pytest.raises(LateError, match=AID):
        late.deadlines(policy={AID: "sometimes"})


def test_changing_the_due_date_or_policy_does_not_expire_cached_verdicts(monkeypatch):
    before = code_fingerprint()
    table = tuple(
        dataclasses.replace(a, due="2026-12-01T23:59:00+01:00", late_policy="zero-after:0")
        for a in course.COURSE
    )
    monkeypatch.setattr(course, "COURSE", table)
    assert code_fingerprint() == before
    table = tuple(dataclasses.replace(a, minutes=a.minutes + 1) if a.id == AID else a for a in course.COURSE)
    points = tuple(dataclasses.replace(a, answers=a.answers[1:]) if a.id == AID else a for a in course.COURSE)
    monkeypatch.setattr(course, "COURSE", points)
    assert code_fingerprint() != before  # what the verdicts depend on still expires them
    del table


def test_the_cli_rejects_bad_late_settings_before_writing_anything(tmp_path, capsys):
    submitted = tmp_path / "submitted"
    (submitted / "alice" / AID).mkdir(parents=True)
    out = tmp_path / "out"
    for extra, words in [
        (["--due", f"{AID}=tomorrow"], "not a date and time"),
        (["--due", f"{AID}=2026-12-01T10:00"], "no time zone"),
        (["--late-policy", f"{AID}=per-hour:lots"], "not a positive number"),
        (["--late-policy", "per-hour:1"], "expected ID=VALUE"),
        (["--due", "09_nope=2026-12-01T10:00Z"], "unknown assignment"),
        (["--student", "bob"], "no such student folder"),
        (["--student", ".."], "no such student folder"),
    ]:
        assert cli.main(["grade", str(submitted), "--out", str(out), "--quiet", *extra]) == 2, extra
        assert words in capsys.readouterr().err, extra
        assert not out.exists(), extra


def test_a_timestamp_that_does_not_parse_stops_the_run_before_anything_is_written(tmp_path, capsys):
    submitted = tmp_path / "submitted"
    (submitted / "alice" / AID).mkdir(parents=True)
    (submitted / "alice" / AID / "timestamp.txt").write_text("the day after the deadline")
    out = tmp_path / "out"
    assert cli.main(["grade", str(submitted), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert str(submitted / "alice" / AID / "timestamp.txt") in err and "not a date and time" in err
    assert not out.exists()


# --- applied to rows: grades.csv and the feedback page ------------------------------------------


def _row(student="alice", earned=(2, 3), status="ok") -> GradeResult:
    tests = [
        TestResult(f"test_{i}", float(s), 5.0, "passed" if s == 5 else "failed", [])
        for i, s in enumerate(earned)
    ]
    return GradeResult(student, AID, 10.0, status, "", tests)


DUE = Deadline(datetime(2026, 12, 1, 22, 59, tzinfo=UTC), LatePolicy.parse("per-hour:1,cap=3"))


def test_the_penalty_is_stated_once_and_the_score_is_after_it():
    row = late.assess(_row(), DUE.due + timedelta(hours=1, minutes=30), DUE)
    assert (row.earned, row.penalty, row.score) == (5.0, 2.0, 3.0)
    assert row.late.seconds_late == 5400 and "per started hour" in row.late.policy
    again = GradeResult.from_dict(row.to_dict())
    assert again == row and again.to_dict()["score"] == 3.0
    on_time = late.assess(_row(), DUE.due - timedelta(minutes=1), DUE)
    assert on_time.late.seconds_late == 0 and on_time.score == 5.0
    assert late.assess(_row(), None, DUE).late is None
    assert late.assess(_row(), DUE.due + timedelta(days=9), Deadline()).late is None


def test_apply_penalties_names_rows_without_a_timestamp():
    messages = []
    rows = late.apply_penalties(
        [_row("alice"), _row("bob")],
        {("alice", AID): DUE.due + timedelta(hours=5)},
        {AID: DUE},
        messages.append,
    )
    assert [r.penalty for r in rows] == [3.0, 0.0]
    assert len(messages) == 1 and "bob" in messages[0] and "no timestamp.txt" in messages[0]


def test_grades_csv_keeps_the_five_columns_and_adds_two(tmp_path):
    rows = [
        late.assess(_row("alice"), DUE.due + timedelta(hours=26, minutes=3, seconds=4), DUE),
        late.assess(_row("bob"), DUE.due - timedelta(hours=1), DUE),
        _row("carol"),
    ]
    write_grades(rows, tmp_path)
    got = list(csv.reader((tmp_path / "grades.csv").open()))
    assert got == [
        ["student_id", "assignment", "score", "max_score", "status", "late_by", "penalty"],
        ["alice", AID, "2", "10", "ok", "26:03:04", "3"],
        ["bob", AID, "5", "10", "ok", "0:00:00", "0"],
        ["carol", AID, "5", "10", "ok", "", "0"],
    ]


def test_feedback_states_the_penalty_and_why():
    page = render(late.assess(_row(), DUE.due + timedelta(hours=1, minutes=30), DUE))
    assert (
        "less a late penalty of 2" in page
        and "1:30:00" in page
        and "1 point off per started hour late" in page
    )
    assert "after the due date 2026-12-01 22:59:00+00:00" in page
    assert "on time" in render(late.assess(_row(), DUE.due, DUE))
    assert "late" not in render(_row()).split("<body>")[1]


def test_feedback_escapes_what_it_shows():
    row = _row(student="<script>x</script>")
    row.tests[0].messages = ["got <b>1</b> & not 2"]
    row.notes = ["<img src=x onerror=alert(1)>"]
    page = render(row)
    assert "<script>x" not in page and "&lt;script&gt;" in page
    assert "<b>1</b>" not in page and "&lt;b&gt;1&lt;/b&gt; &amp; not 2" in page
    assert "<img" not in page
