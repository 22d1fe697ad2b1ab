"""The answer-similarity check (autograder/similarity.py) on real answers.

Honest answers: the solutions and the other styles the check tests accept
(tests/redteam_corpus.py, tests/test_checks_*.py); copies: those answers disguised as a
copier does (autograder/sample_copies.py). Honest pairs must not be reported, copies must.
"""

from __future__ import annotations

import ast
import csv
import random
import re
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest
import redteam_corpus

from autograder import cli, course, similarity
from autograder.sample_copies import disguise
from autograder.sample_submissions import release_notebook, solution_answers, solved, write_submission
from autograder.similarity import DEFAULT_THRESHOLD, fingerprints, normalise, similar_pairs

ROOT = Path(__file__).resolve().parent.parent


def _released(aid: str, gid: str) -> str:
    return similarity.released_answers(aid)[gid]


def _in(test_file: str, name: str, answer: str | None = None) -> str:
    """The source of an honest answer defined in a check test (a function, named as the
    exercise names it, or a string constant), read without importing the test."""
    text = (ROOT / "tests" / test_file).read_text()
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return re.sub(r"^def \w+", f"def {answer}", ast.get_source_segment(text, node), count=1) + "\n"
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return ast.literal_eval(node.value)
    raise LookupError(f"{name} is not in tests/{test_file}")


# (assignment, answer) -> honest answers in other styles than the solution's
HONEST = {
    ("01_dual_numbers", "dual_class"): [redteam_corpus.ARRAY_UFUNC_DUAL],
    ("02_euler_rk4", "dloss"): [
        _in("test_checks_euler_rk4.py", "dloss_vector_duals", "dloss"),
        _in("test_checks_euler_rk4.py", "dloss_forward_sensitivities", "dloss"),
    ],
    ("03_pytorch", "var_class"): [_in("test_checks_pytorch.py", "TORCH_VAR")],
    ("04_jax", "per_example_grads"): [
        _in("test_checks_jax_basics.py", "_per_example_lax_map", "per_example_grads"),
        _in("test_checks_jax_basics.py", "_per_example_closed_form", "per_example_grads"),
    ],
    ("06_jacobians_hessians", "jac_from_jvp"): [
        _in("test_checks_jacobians_hessians.py", "_jvp_python_loop", "jac_from_jvp")
    ],
    ("06_jacobians_hessians", "jac_from_vjp"): [
        _in("test_checks_jacobians_hessians.py", "_vjp_python_loop", "jac_from_vjp")
    ],
    (
        "06_jacobians_hessians",
        "hvp",
    ): [  # the lambdas of HONEST in test_checks_jacobians_hessians.py, as answers
        "def hvp(f, x, v):\n    return jax.grad(lambda y: jnp.vdot(jax.grad(f)(y), v))(x)\n",
        "def hvp(f, x, v):\n    return jax.linearize(jax.grad(f), x)[1](v)\n",
        "def hvp(f, x, v):\n    return jax.jvp(jax.grad(f), (x,), (v,))[1]\n",
    ],  # the solution's own one-liner
}
ALL_ANSWERS = [
    (a.id, ans.id) for a in course.COURSE for ans in a.answers if course.solution_source(a.id).exists()
]


# --- normalisation: what copiers change does not count ---------------------------------------

ORIGINAL = '''
class Dual:
    def __init__(self, value, derivative=0.0):
        self.value = value
        self.derivative = derivative

    def __add__(self, other):
        if isinstance(other, Dual):
            return Dual(self.value + other.value, self.derivative + other.derivative)
        return Dual(self.value + other, self.derivative)

    def scale(self, k):
        factor = float(k)
        return Dual(self.value * factor, self.derivative * factor)
'''
COPIED = '''
class Dual:
    """My dual numbers."""

    def __init__(self, value, derivative=0.0):
        self.value = value
        self.derivative = derivative

    # scaling helper, renamed
    def times(me, c: float) -> "Dual":
        """multiply"""
        f = float(c)   # convert first


        return Dual(me.value * f, me.derivative * f)

    def __add__(me, y):
        # sum rule
        if isinstance(y, Dual):
            return Dual(me.value + y.value, me.derivative + y.derivative)
        return Dual(me.value + y, me.derivative)
'''


def test_comments_docstrings_names_annotations_and_order_do_not_count():
    given = {"Dual", "value", "derivative", "__init__"}
    assert normalise(ORIGINAL, given) == normalise(COPIED, given)


def test_what_the_release_names_is_kept():
    given = {"Dual", "value", "derivative"}
    renamed_attribute = ORIGINAL.replace(".value", ".val").replace("self.val = value", "self.val = value")
    assert normalise(ORIGINAL, given) != normalise(renamed_attribute, given)
    assert "np" in normalise("y = np.exp(x)", set())  # names from elsewhere stay too


def test_top_level_functions_are_put_in_order():
    a = "def f(x):\n    return x + 1\n\n\ndef g(y):\n    return y * 2\n"
    b = "def helper(q):\n    return q * 2\n\n\ndef main(p):\n    # add one\n    return p + 1\n"
    assert normalise(a) == normalise(b)


def test_code_that_does_not_parse_is_compared_token_by_token():
    broken = ORIGINAL + "\n    def oops(self:\n        return (\n"
    copy = COPIED + "\n    def oops(me:\n        return (\n"
    given = {"Dual", "value", "derivative"}
    a = normalise(broken, given)
    assert "#" not in "".join(a) and a.count("_") > 10
    assert len(set(fingerprints(broken)) & set(fingerprints(copy))) > 0
    assert normalise("%timeit f(1)\n!pip install x\ny = 1\n") == normalise("z = 1\n")


def test_code_too_deep_for_the_parser_is_still_compared():
    overflow = "x = " + "-" * 100_000 + "1"  # CPython's parser gives up (MemoryError)
    deep = "def f():\n" + "".join("    " * (i + 1) + "if x:\n" for i in range(120)) + "    " * 121 + "pass\n"
    assert len(normalise(overflow)) > 100_000
    assert normalise(deep).count("if") == 120


def test_winnowing_finds_every_long_enough_shared_stretch():
    rng = random.Random(3)
    words = [f"w{rng.randrange(40)}" for _ in range(400)]
    shared = words[100 : 100 + similarity.KGRAM + similarity.WINDOW - 1]
    other = [f"v{rng.randrange(40)}" for _ in range(200)]
    assert similarity.winnow(words) & similarity.winnow(other[:50] + shared + other[50:])
    assert not similarity.winnow(words[: similarity.KGRAM - 1])  # shorter than a k-gram: nothing


# --- the release is everyone's -----------------------------------------------------------------


def test_the_unchanged_stub_has_no_fingerprints_of_its_own():
    for aid, gid in ALL_ANSWERS:
        assert fingerprints(_released(aid, gid), _released(aid, gid)) == set(), (aid, gid)


def test_code_the_release_gives_does_not_make_two_students_similar():
    aid, gid = "03_pytorch", "var_class"  # the release gives as_var, __init__ and __repr__
    release = _released(aid, gid)
    a = release.replace(
        'raise NotImplementedError("Exercise var_class: write Var.exp")',
        "return self._unary(math.exp(self.value), math.exp(self.value))",
    )
    b = release.replace(
        'raise NotImplementedError("Exercise var_class: write Var.log")',
        "out = Var(math.log(self.value), (self,))\n        return out",
    )
    assert not similar_pairs({"a": a, "b": b}, release, gid, 0.0, min_fingerprints=1)


# --- real answers: honest styles are not reported, copies are -----------------------------------


@pytest.mark.parametrize("key", list(HONEST), ids=lambda k: k[1])
def test_independent_answers_in_other_styles_are_not_reported(key):
    aid, gid = key
    answers = {"solution": solution_answers(aid)[gid], **{f"style{i}": s for i, s in enumerate(HONEST[key])}}
    assert similar_pairs(answers, _released(aid, gid), gid, DEFAULT_THRESHOLD) == []


def test_a_one_line_answer_is_too_short_to_be_evidence():
    aid, gid = "06_jacobians_hessians", "hvp"
    same = HONEST[(aid, gid)][2]
    assert same.strip().endswith(solution_answers(aid)[gid].strip().splitlines()[-1].strip())
    assert len(fingerprints(same, _released(aid, gid))) < similarity.MIN_FINGERPRINTS
    assert similar_pairs({"a": same, "b": solution_answers(aid)[gid]}, _released(aid, gid), gid, 0.5) == []


def _long_enough(aid, gid, source):
    return len(fingerprints(source, _released(aid, gid))) >= similarity.MIN_FINGERPRINTS


LONG_SOLUTIONS = [
    (aid, gid) for aid, gid in ALL_ANSWERS if _long_enough(aid, gid, solution_answers(aid)[gid])
]


def test_the_answers_long_enough_to_compare():
    long = {gid for _, gid in LONG_SOLUTIONS}
    assert {"dual_class", "dloss", "var_class", "torch_dloss", "newton"} <= long
    assert not {"hvp", "per_example_grads", "derivative_helper"} & long  # one-liners


@pytest.mark.parametrize("aid,gid", LONG_SOLUTIONS, ids=lambda x: x)
def test_a_disguised_copy_of_a_solution_is_reported(aid, gid):
    source = solution_answers(aid)[gid]
    copies = {f"copy{s}": disguise(source, s, _released(aid, gid)) for s in range(3)}
    assert all(c != source for c in copies.values())
    pairs = similar_pairs({"original": source, **copies}, _released(aid, gid), gid, DEFAULT_THRESHOLD)
    assert {(p.student_a, p.student_b) for p in pairs} == set(combinations(sorted({"original", *copies}), 2))
    assert all(p.similarity == 1.0 for p in pairs)


LONG_STYLES = [
    (aid, gid, i)
    for (aid, gid), styles in HONEST.items()
    for i, s in enumerate(styles)
    if _long_enough(aid, gid, s)
]


@pytest.mark.parametrize("aid,gid,i", LONG_STYLES, ids=lambda x: str(x))
def test_a_disguised_copy_of_an_honest_style_is_reported_with_its_original_only(aid, gid, i):
    release = _released(aid, gid)
    answers = {
        "solution": solution_answers(aid)[gid],
        **{f"style{j}": s for j, s in enumerate(HONEST[(aid, gid)])},
    }
    answers["copier"] = disguise(answers[f"style{i}"], 7, release)
    pairs = similar_pairs(answers, release, gid, DEFAULT_THRESHOLD)
    assert [(p.student_a, p.student_b) for p in pairs] == [("copier", f"style{i}")]


def test_the_generated_honest_styles_of_the_benchmark_are_correct_answers():
    """benchmarks/similarity.py's honest students really are honest, correct work."""
    import numpy as np
    from probe_support import judge

    from autograder.probes import dual_numbers as probes

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import dual_styles
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    rng = random.Random(5)
    for i in range(6):
        ns = {"np": np}
        exec(dual_styles.dual_class(dual_styles.style(rng)), ns)  # noqa: S102 - our own generated code
        for group in probes.GROUPS:
            if group != "dual_bonus":  # the bonus is optional: some styles skip parts of it
                v = judge(probes.GROUP_PROBES[group], ns["Dual"], seed=i)
                assert v.passed, (i, group, v.messages)


# --- the index finds exactly the pairs a comparison of all pairs would --------------------------


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.6, 0.75, 0.8, 0.9, 0.95, 1.0])
@pytest.mark.parametrize("seed", range(4))
def test_the_filters_miss_no_pair(threshold, seed):
    """pairs_among (prefix, size and positional filters) against a comparison of all pairs."""
    rng = random.Random(seed * 1000 + int(threshold * 100))
    pool = list(range(rng.choice((60, 120, 400))))
    sets = {f"s{i}": set(rng.sample(pool, rng.randrange(12, 50))) for i in range(40)}
    for i in range(12):  # near-copies at every distance, smaller and larger than the original
        donor = sorted(sets[f"s{i}"])
        sets[f"c{i}"] = set(donor[: len(donor) - i // 2]) | set(rng.sample(pool, i % 5))
    got = {(p.student_a, p.student_b): p.similarity for p in similarity.pairs_among(sets, "x", threshold)}
    want = {}
    for a, b in combinations(sorted(sets), 2):
        shared = len(sets[a] & sets[b])
        j = shared / len(sets[a] | sets[b])
        if shared and j >= threshold:
            want[(a, b)] = round(j, 3)
    assert got == want


# --- the command ---------------------------------------------------------------------------------

AID = "01_dual_numbers"


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    submitted = tmp_path_factory.mktemp("similarity") / "submitted"
    original = solution_answers(AID)["dual_class"]
    release = _released(AID, "dual_class")
    write_submission(submitted, "ann", AID, solved(AID))
    write_submission(submitted, "ben", AID, solved(AID, dual_class=disguise(original, 1, release)))
    write_submission(submitted, "cat", AID, solved(AID, dual_class=redteam_corpus.ARRAY_UFUNC_DUAL))
    write_submission(submitted, "dan", AID, release_notebook(AID))
    write_submission(submitted, "eve", AID, "{not json")
    (submitted / "fay").mkdir()  # handed nothing in for this assignment
    return submitted


def test_the_command_lists_the_copy_most_similar_first(small_class, tmp_path, capsys):
    out = tmp_path / "reports" / "similarity.csv"
    assert cli.main(["similarity", str(small_class), "--assignment", AID, "--out", str(out)]) == 0
    io = capsys.readouterr()
    assert "eve: skipped, invalid_notebook" in io.err
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["student_a", "student_b", "answer", "similarity"]
    assert ["ann", "ben", "dual_class", "1.000"] in rows[1:]
    assert not [r for r in rows[1:] if "cat" in r or "dan" in r]
    assert "4 student(s)" in io.out and "wrote" in io.out


def test_the_command_orders_by_similarity(small_class, tmp_path):
    out = tmp_path / "all.csv"
    assert (
        cli.main(["similarity", str(small_class), "--assignment", AID, "--out", str(out), "--threshold", "0"])
        == 0
    )
    values = [float(r["similarity"]) for r in csv.DictReader(out.open())]
    assert values == sorted(values, reverse=True) and len(values) >= 2


@pytest.mark.parametrize(
    "args,words",
    [
        (["{missing}", "--assignment", AID], "is not a folder"),
        (["{class}", "--assignment", "09_nope"], "is not an assignment"),
        (["{class}", "--assignment", AID, "--threshold", "1.5"], "between 0 and 1"),
        (["{class}", "--assignment", AID, "--threshold", "-0.1"], "between 0 and 1"),
        (["{class}", "--assignment", AID, "--threshold", "nan"], "between 0 and 1"),
    ],
)
def test_bad_input_is_a_clear_error_and_nothing_is_written(small_class, tmp_path, capsys, args, words):
    out = tmp_path / "similarity.csv"
    argv = [a.format(missing=tmp_path / "nowhere", **{"class": small_class}) for a in args]
    assert cli.main(["similarity", *argv, "--out", str(out)]) == 2
    assert words in capsys.readouterr().err
    assert not out.exists()


def test_an_output_that_is_a_folder_is_refused(small_class, tmp_path, capsys):
    assert cli.main(["similarity", str(small_class), "--assignment", AID, "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_only_pairs_that_can_reach_the_threshold_are_compared(small_class):
    strict, loose = Counter(), Counter()
    answers = similarity.read_class(small_class, AID)
    release = similarity.released_answers(AID)
    similarity.class_pairs(answers, release, 0.9, strict)
    similarity.class_pairs(answers, release, 0.0, loose)
    assert strict["candidate_pairs"] < loose["candidate_pairs"] <= loose["all_pairs"]
