"""The rule the browser test applies to what a student sees in red (no browser needed)."""

from __future__ import annotations

from browser_support import ShownError, bound_names, classify_errors, final_exception

STUB_TRACEBACK = """---------------------------------------------------------------------------
NotImplementedError                       Traceback (most recent call last)
Cell In[5], line 11
---> 11 fwd, cen = fd_errors(np.sin, np.cos, 1.0, hs)
Cell In[5], line 4, in fd_errors(f, df, x, hs)
----> 4 fwd = np.array([abs(forward_difference(f, x, h) - exact) for h in hs])
Cell In[3], line 3, in forward_difference(f, x, h)
----> 3 raise NotImplementedError("Exercise finite_differences: write forward_difference")

NotImplementedError: Exercise finite_differences: write forward_difference"""


def tb(last_line: str) -> str:
    return "Traceback (most recent call last)\n  Cell In[1], line 1\n" + last_line


def test_final_exception_is_the_last_exception_line():
    assert (
        final_exception(STUB_TRACEBACK)
        == "NotImplementedError: Exercise finite_differences: write forward_difference"
    )
    chained = tb(
        "ValueError: bad\n\nDuring handling of the above exception, another exception occurred:\n\n"
        + tb("KeyError: 'x'")
    )
    assert final_exception(chained) == "KeyError: 'x'"
    assert final_exception("/path/x.py:3: UserWarning: careful\n  warnings.warn(...)") is None


def test_bound_names_sees_assignments_defs_imports_and_loops():
    src = "import numpy as np\nfrom a import b\nx, (y, z) = 1, (2, 3)\ndef f(): q = 1\nclass C: pass\nfor i in r: pass\n"
    assert {"np", "b", "x", "y", "z", "f", "q", "C", "i"} <= bound_names(src)
    assert bound_names("%matplotlib inline\n") == set()


def test_stub_errors_anywhere_in_the_call_chain_are_intended():
    verdict = classify_errors(
        [ShownError(5, STUB_TRACEBACK), ShownError(7, STUB_TRACEBACK, in_widget=True)], {}
    )
    assert len(verdict.intended) == 2 and not verdict.unintended


def test_name_errors_that_follow_a_stub_are_intended_only_for_names_that_cell_defines():
    sources = {3: "path = descend(start)\nfinal = path[-1]", 4: "print(path)", 6: "print(other)"}
    shown = [
        ShownError(3, tb("NotImplementedError: Exercise dloss: write dloss")),
        ShownError(4, tb("NameError: name 'path' is not defined")),
        ShownError(6, tb("NameError: name 'other' is not defined")),
    ]
    verdict = classify_errors(shown, sources)
    assert [e.cell for e in verdict.intended] == [3, 4]
    assert [e.cell for e in verdict.unintended] == [6]


def test_a_name_error_before_the_stub_that_would_define_it_is_not_intended():
    sources = {2: "print(path)", 3: "path = descend(start)"}
    shown = [
        ShownError(2, tb("NameError: name 'path' is not defined")),
        ShownError(3, tb("NotImplementedError: Exercise dloss: write dloss")),
    ]
    assert [e.cell for e in classify_errors(shown, sources).unintended] == [2]


def test_other_errors_warnings_and_plain_stderr_are_not_intended():
    shown = [
        ShownError(1, tb("NotImplementedError")),  # not a course stub
        ShownError(2, tb("NotImplementedError: write this")),  # no exercise id
        ShownError(3, tb("AssertionError: dloss(...)[0] should be 3")),
        ShownError(4, "/x/y.py:10: RuntimeWarning: overflow encountered in exp\n"),
        ShownError(5, "100%|██████████| 10/10\n"),
        ShownError(6, ""),
    ]
    verdict = classify_errors(shown, {})
    assert not verdict.intended and len(verdict.unintended) == 6
    assert verdict.unintended[3].summary.startswith("/x/y.py:10: RuntimeWarning")
    assert verdict.unintended[5].summary == "(empty stderr output)"
