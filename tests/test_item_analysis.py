"""The statistics of the class report (autograder/grading/item_analysis.py), without a browser."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from autograder import course
from autograder.grading.item_analysis import (
    assignment_stats,
    class_stats,
    failure_groups,
    headline,
    item_stats,
    normalise_message,
    point_biserial,
)
from autograder.grading.result import GradeResult, TestResult

AID = "02_euler_rk4"
TESTS = [(t.id, t.points) for t in course.assignment(AID).tests]  # seeding 1, dual_charge 2, dloss 4, ...


def row(
    student: str,
    passed: set[str],
    status: str = "ok",
    messages: dict[str, list[str]] | None = None,
    aid: str = AID,
) -> GradeResult:
    tests = []
    for tid, pts in [(t.id, t.points) for t in course.assignment(aid).tests]:
        ok = tid in passed
        tests.append(
            TestResult(
                tid,
                float(pts) if ok else 0.0,
                float(pts),
                "passed" if ok else "failed",
                [] if ok else (messages or {}).get(tid, [f"{tid} is wrong"]),
            )
        )
    return GradeResult(student, aid, course.assignment(aid).max_score, status, tests=tests)


# --- normalising messages --------------------------------------------------------------------


@pytest.mark.parametrize(
    "message, expected",
    [
        (
            "dloss(Qhat, 1.5, 8) should be close to [ 71.49 -15.23], got [35.74 -7.61]",
            "dloss(Qhat, #, …) should be close to [ #, …], got [#, …]",
        ),
        (
            "derivative should be -0.958851, got np.float64(0.958851077208406): check cos",
            "derivative should be #, got np.float64(#): check cos",
        ),
        ("got 1e-05 and 2.5E+03 and nan and -inf.", "got # and # and # and #."),
        (
            "x2 and float64 and test_1 and __rtruediv__ stay",
            "x2 and float64 and test_1 and __rtruediv__ stay",
        ),
        ("the  message\n spread   over lines", "the message spread over lines"),
        ("cell 27 did not finish within 15 s", "cell # did not finish within # s"),
    ],
)
def test_normalise_message_replaces_numbers_and_only_numbers(message, expected):
    assert normalise_message(message) == expected


def test_messages_that_differ_only_in_numbers_normalise_alike():
    a = "1 / x at x = 2 (d/dx 1/x = -1/x**2) should be a Dual, got float: check __rtruediv__"
    b = "1 / x at x = 0.75 (d/dx 1/x = -1/x**2) should be a Dual, got float: check __rtruediv__"
    c = "1 / x at x = 2 (d/dx 1/x = -1/x**2) should be a Dual, got int: check __rtruediv__"
    assert normalise_message(a) == normalise_message(b) != normalise_message(c)


# --- point-biserial correlation --------------------------------------------------------------


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 40)), min_size=3, max_size=60))
def test_point_biserial_is_pearsons_r_of_the_outcome_and_the_score(pairs):
    passed = [p for p, _ in pairs]
    rest = [float(r) for _, r in pairs]
    r = point_biserial(passed, rest)
    if len(set(passed)) < 2 or len(set(rest)) < 2:
        assert r is None
    else:
        expected = scipy_stats.pointbiserialr(np.array(passed, dtype=float), np.array(rest)).statistic
        assert r == pytest.approx(expected, abs=1e-9)
        assert -1.0 <= r <= 1.0


@pytest.mark.parametrize(
    "passed, rest",
    [
        ([True, True, True], [1.0, 5.0, 9.0]),  # everyone passed
        ([False, False, False], [1.0, 5.0, 9.0]),  # everyone failed
        ([True, False, True], [4.0, 4.0, 4.0]),  # the rest is the same for everyone
        ([True], [3.0]),  # one submission
        ([], []),
    ],
)
def test_point_biserial_is_undefined_without_variation(passed, rest):
    assert point_biserial(passed, rest) is None


def test_discrimination_leaves_the_tests_own_points_out():
    # test_dloss (4 points) passed by a, b; the rest of the score (seeding, dual_charge):
    # a 3, b 0, c 3, d 0: passing dloss says nothing about the rest (r = 0), although with
    # its own points in, the total would correlate with it.
    rows = [
        row("a", {"test_seeding", "test_dual_charge", "test_dloss"}),
        row("b", {"test_dloss"}),
        row("c", {"test_seeding", "test_dual_charge"}),
        row("d", set()),
    ]
    t = item_stats("test_dloss", 4.0, rows)
    assert t.discrimination == pytest.approx(0.0, abs=1e-12)
    with_itself = scipy_stats.pointbiserialr([1, 1, 0, 0], [r.score for r in rows]).statistic
    assert with_itself > 0.5


def test_a_test_the_strong_students_pass_discriminates_positively_and_a_reversed_one_negatively():
    strong = [row(s, {"test_seeding", "test_dual_charge", "test_dloss"}) for s in "abc"]
    weak = [row(s, {"test_seeding"}) for s in "def"]
    t = item_stats("test_dloss", 4.0, strong + weak)
    assert t.discrimination == pytest.approx(1.0)
    reversed_ = [row(s, {"test_dual_charge", "test_dloss"}) for s in "abc"] + [
        row(s, {"test_seeding"}) for s in "def"
    ]
    assert item_stats("test_seeding", 1.0, reversed_).discrimination == pytest.approx(-1.0)


# --- pass rate, mean points, failure messages -----------------------------------------------


def test_pass_rate_and_mean_points():
    rows = [row("a", {"test_dloss"}), row("b", {"test_dloss"}), row("c", set()), row("d", {"test_seeding"})]
    t = item_stats("test_dloss", 4.0, rows)
    assert (t.submissions, t.passed, t.pass_rate, t.mean_points) == (4, 2, 0.5, 2.0)
    assert item_stats("test_seeding", 1.0, [row("a", {"test_seeding"})] * 1).discrimination is None


def test_failure_messages_are_grouped_counted_per_student_and_keep_a_real_example():
    half = "dloss(Qhat, {}, 8) should be close to [{} 1.0], got [{} 0.5]: it is half the right size"
    rows = [
        row("a", set(), messages={"test_dloss": [half.format(1.5, 71.4, 35.7), "this test did not record"]}),
        row("b", set(), messages={"test_dloss": [half.format(2.0, 60.0, 30.0)]}),
        row(
            "c",
            set(),
            messages={"test_dloss": ["the test cell raised NameError: name 'Dual' is not defined"]},
        ),
        row("d", {"test_dloss"}),
    ]
    groups = item_stats("test_dloss", 4.0, rows).failures
    assert [g.count for g in groups] == [2, 1]
    top = groups[0]
    assert top.students == ("a", "b") and top.variants == 2
    assert top.example == half.format(1.5, 71.4, 35.7)  # a message a student really got
    assert "#" in top.pattern and "half the right size" in top.pattern
    assert groups[1].example.startswith("the test cell raised NameError")


def test_a_failed_test_counts_its_headline_once_and_a_silent_one_its_state():
    assert headline(TestResult("t", 0, 1, "failed", ["first", "second"])) == "first"
    assert headline(TestResult("t", 0, 1, "not_run", [])) == "did not run"
    groups = failure_groups([("a", "x = 1"), ("a", "x = 2"), ("b", "x = 3"), ("c", "y")])
    assert [(g.count, g.students) for g in groups] == [(2, ("a", "b")), (1, ("c",))]


# --- per assignment and per class ------------------------------------------------------------


def test_assignment_stats_statuses_scores_and_tests_in_course_order():
    rows = [
        row("b", {"test_seeding"}, status="timeout"),
        row("a", {"test_seeding", "test_dloss"}),
        GradeResult.without_tests_run("c", AID, dict(TESTS), "invalid_notebook", "not valid JSON"),
        row("z", set(), aid="01_dual_numbers"),
    ]
    s = assignment_stats(AID, rows)
    assert s.scores == (5.0, 1.0, 0.0) and s.submissions == 3
    assert s.mean == pytest.approx(2.0) and s.median == 1.0
    assert s.max_score == sum(points for _, points in TESTS)
    assert [(g.status, g.students) for g in s.statuses] == [
        ("ok", ("a",)),
        ("invalid_notebook", ("c",)),
        ("timeout", ("b",)),
    ]
    assert [t.test for t in s.tests] == [tid for tid, _ in TESTS]
    dloss = next(t for t in s.tests if t.test == "test_dloss")
    assert dloss.failures[0].example == "not valid JSON" and dloss.failures[0].students == ("c",)


def test_class_stats_follow_the_course_order_and_skip_unknown_folders():
    rows = [
        row("a", set(), aid="02_euler_rk4"),
        row("a", set(), aid="01_dual_numbers"),
        GradeResult("a", "99_nonsense", 0.0, "unknown_assignment", "not an assignment"),
    ]
    assert [s.assignment for s in class_stats(rows)] == ["01_dual_numbers", "02_euler_rk4"]
