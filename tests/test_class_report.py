"""DIR/report.html (autograder/grading/class_report.py): self-contained, escaped, complete.

The browser test (in test_examples.py) opens a real one in Chromium.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser

from autograder import course
from autograder.grading.class_report import render_report, write_class_report
from autograder.grading.result import GradeResult, TestResult

AID = "02_euler_rk4"
NOW = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def graded(
    student: str, passed: set[str], messages: dict[str, str] | None = None, status: str = "ok", aid: str = AID
) -> GradeResult:
    tests = [
        TestResult(
            t.id,
            t.points if t.id in passed else 0.0,
            t.points,
            "passed" if t.id in passed else "failed",
            [] if t.id in passed else [(messages or {}).get(t.id, f"{t.id}: wrong")],
        )
        for t in course.assignment(aid).tests
    ]
    return GradeResult(student, aid, course.assignment(aid).max_score, status, tests=tests)


def small_class() -> list[GradeResult]:
    everything = {t.id for t in course.assignment(AID).tests}
    return [
        graded("alice", everything),
        graded(
            "bob",
            {"test_seeding", "test_dual_charge"},
            {"test_dloss": "dloss(Qhat, 1.5, 8) should be close to [71.5 -15.2], got [35.7 -7.6]: half"},
        ),
        graded(
            "chen",
            {"test_seeding", "test_dual_charge"},
            {"test_dloss": "dloss(Qhat, 2.5, 9) should be close to [60.1 -12.0], got [30.0 -6.0]: half"},
        ),
        graded(HOSTILE, {"test_seeding"}, {"test_dloss": HOSTILE, "test_dual_charge": HOSTILE}),
        GradeResult.without_tests_run(
            "dave",
            AID,
            {t.id: t.points for t in course.assignment(AID).tests},
            "invalid_notebook",
            "the notebook is not valid JSON",
        ),
    ]


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.srcs, self.hrefs, self.attributes = [], [], [], set()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        self.attributes |= set(attrs)
        if "src" in attrs:
            self.srcs.append(attrs["src"])
        if "href" in attrs:
            self.hrefs.append(attrs["href"])


def parsed(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def test_the_page_is_self_contained_and_has_no_script():
    html = render_report(small_class(), NOW)
    page = parsed(html)
    assert "script" not in page.tags and "link" not in page.tags
    assert page.srcs and all(s.startswith("data:image/png;base64,") for s in page.srcs)
    for src in page.srcs:
        assert base64.b64decode(src.split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")
    assert all(h.startswith("#") for h in page.hrefs), "every link stays inside the page"
    assert not [a for a in page.attributes if a.startswith("on")], "no event handlers"


def test_student_text_is_escaped():
    html = render_report(small_class(), NOW)
    assert HOSTILE not in html and "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html.split("</style>")[1]))).replace(
        "\xa0", " "
    )


def test_the_page_shows_statuses_rates_discrimination_and_grouped_messages():
    text = visible_text(render_report(small_class(), NOW))
    assert "02_euler_rk4: " + course.assignment(AID).title in text
    assert "invalid_notebook 1 dave" in text
    assert "test_seeding 1 80 % (4/5)" in text
    # 1 of 5 passed, mean 4/5 points; r between passing (1, 0, 0, 0, 0) and the rest of the
    # scores (5, 3, 3, 1, 0 of the 5 other points) is 0.52 / (0.4 * 1.744) = 0.75
    assert "test_dloss 4 20 % (1/5) 0.80 0.75" in text
    assert "2 variants of" in text and "dloss(Qhat, #, …) should be close to [#, …], got [#, …]: half" in text
    assert "point-biserial" in text and "the test's own points left out" in text


def test_n_a_where_the_discrimination_is_undefined():
    everyone = [graded(s, {t.id for t in course.assignment(AID).tests}) for s in "abc"]
    html = render_report(everyone, NOW)
    assert html.count('title="undefined: everyone passed') == len(course.assignment(AID).tests)


def test_an_empty_class_still_gets_a_page(tmp_path):
    path = write_class_report([], tmp_path)
    assert path == tmp_path / "report.html"
    assert "No submissions of a course assignment were graded" in path.read_text()


def test_unknown_folders_are_named_not_analysed():
    rows = small_class() + [GradeResult("zoe", "99_nonsense", 0.0, "unknown_assignment", "not an assignment")]
    html = render_report(rows, NOW)
    assert "zoe/99_nonsense" in html and 'id="99_nonsense"' not in html


def test_a_long_list_of_students_folds_away_without_script():
    everyone = [graded(f"s{i:02d}", {t.id for t in course.assignment(AID).tests}) for i in range(13)]
    html = render_report(everyone, NOW)
    assert "<summary>13 students</summary>" in html and "s00, s01" in html
