"""Answer similarity: which students handed in (nearly) the same answer.

    python -m autograder similarity SUBMITTED --assignment ID --out FILE.csv [--threshold 0.9]

Each graded answer cell of the course table is compared across students, answer by answer:

1. **Normalise** what copiers change: the answer is parsed, and comments, blank lines,
   docstrings, type annotations and the text of strings go; every name the answer binds
   itself (variables, parameters, its own helpers and attributes) becomes one placeholder,
   while the names the release gives (the class, its methods and attributes) and names from
   elsewhere (`np`, `jax`, other cells) stay; methods, and top-level functions and classes,
   are put in a canonical order. Code that does not parse is normalised token by token.
2. **Fingerprint** it as MOSS does (winnowing): hashes of every k-gram of normalised tokens,
   and of each window of `WINDOW` consecutive hashes the smallest. A copied stretch of at
   least `KGRAM + WINDOW - 1` tokens always shares a fingerprint; stretches shorter than
   `KGRAM` never do.
3. **Leave out what everyone was given**: the fingerprints of the released answer cell (the
   stub, and any code the release puts there).
4. **Compare** two students' answers by the Jaccard index of their fingerprint sets (shared
   over all, 0 to 1). Only pairs that can reach the threshold are compared: each set is
   indexed by its rarest fingerprints only (prefix filtering: two sets with a Jaccard index
   of at least t share one of the first |s| - ceil(t |s|) + 1 fingerprints of each, in one
   global order, rarest first), with size and positional filters on top (`pairs_among`), so
   a class of 1,000 is not 500,000 comparisons, and no pair at or above the threshold is
   missed.

An answer with fewer than `MIN_FINGERPRINTS` fingerprints of its own is not compared:
independent students write the same one-line answer (`return jax.jvp(jax.grad(f), (x,),
(v,))[1]`), so its sameness is no evidence. A high similarity is a reason to look at two
answers side by side, never a verdict.
"""

from __future__ import annotations

import ast
import builtins
import csv
import hashlib
import io
import keyword
import math
import re
import tokenize
from collections import Counter, defaultdict
from collections.abc import Set
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import nbformat

from . import course

KGRAM = 10  # tokens per k-gram
WINDOW = 5  # k-gram hashes per winnowing window
MIN_FINGERPRINTS = 12  # fewer (beyond the release's): too short to tell copying from coincidence
DEFAULT_THRESHOLD = 0.9
COLUMNS = ["student_a", "student_b", "answer", "similarity"]

NAME, STRING = "_", "S"  # what every own name and every string become
_KEEP = frozenset(dir(builtins)) | frozenset(keyword.kwlist)
_MAGIC = re.compile(r"^\s*[%!].*$", re.M)  # IPython magics and shell lines: not Python


class SimilarityError(ValueError):
    """Bad input (folder, assignment, threshold): nothing is written."""


# --- 1. normalise ---------------------------------------------------------------------------


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def interface_names(tree: ast.AST) -> set[str]:
    """The names a piece of code defines for others to use: its classes, functions, methods
    and attributes (not its parameters or local variables)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
    if isinstance(tree, ast.Module):  # top-level assignments too
        for stmt in tree.body:
            for target in getattr(stmt, "targets", [getattr(stmt, "target", None)]):
                if isinstance(target, ast.Name):
                    names.add(target.id)
    return names


def own_names(tree: ast.AST) -> tuple[set[str], set[str]]:
    """(the names the code binds, the attribute names it defines: stored attributes, methods,
    class attributes). Renaming any of them consistently changes nothing the code does."""
    names, attributes = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            attributes.add(node.attr)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    attributes.add(stmt.name)
                for target in getattr(stmt, "targets", [getattr(stmt, "target", None)]):
                    if isinstance(target, ast.Name):
                        attributes.add(target.id)
    return names, attributes


class _Canonical(ast.NodeTransformer):
    """Rename own names, drop docstrings, annotations and string text, sort definitions."""

    BODIES = ("body", "orelse", "finalbody")

    def __init__(self, rename: set[str], attributes: set[str]):
        self.rename, self.attributes = rename, attributes

    def _name(self, name: str) -> str:
        return NAME if name in self.rename else name

    def _body(self, body: list) -> list:
        body = [
            s
            for s in body
            if not (
                isinstance(s, ast.Expr)
                and isinstance(s.value, ast.Constant)
                and isinstance(s.value.value, str)
            )
        ]  # docstrings, string "comments"
        body = [n for n in map(self.visit, body) if n is not None]
        defs = [s for s in body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        if len(defs) > 1:
            rest = [s for s in body if s not in defs]
            body = rest + sorted(defs, key=ast.unparse)
        return body or [ast.Pass()]

    def generic_visit(self, node):
        """Every child visited once; every block of statements through `_body`."""
        for name, value in ast.iter_fields(node):
            if (
                name in self.BODIES
                and isinstance(value, list)
                and all(isinstance(v, ast.stmt) for v in value)
            ):
                setattr(node, name, self._body(value) if value or name == "body" else [])
            elif isinstance(value, list):
                setattr(
                    node,
                    name,
                    [
                        n
                        for n in (self.visit(v) if isinstance(v, ast.AST) else v for v in value)
                        if n is not None
                    ],
                )
            elif isinstance(value, ast.AST):
                setattr(node, name, self.visit(value))
        return node

    def visit_Name(self, node):
        node.id = self._name(node.id)
        return node

    def visit_arg(self, node):
        node.arg, node.annotation = self._name(node.arg), None
        return node

    def visit_Attribute(self, node):
        node.value = self.visit(node.value)
        if node.attr in self.attributes:
            node.attr = NAME
        return node

    def visit_Constant(self, node):
        if isinstance(node.value, (str, bytes)):
            node.value = STRING
        return node

    def visit_JoinedStr(self, node):
        return ast.Constant(STRING)

    def visit_AnnAssign(self, node):
        if node.value is None:
            return None
        return self.visit(ast.Assign(targets=[node.target], value=node.value, lineno=node.lineno))

    def _definition(self, node):
        node.name = self._name(node.name)
        if not isinstance(node, ast.ClassDef):
            node.returns = None
        return self.generic_visit(node)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _definition


# ast.unparse writes one statement per line, spaces around operators, every string as 'S'
# (see _Canonical): a line's tokens are what this finds, and indentation marks the blocks.
_TOKEN = re.compile(r"[A-Za-z_]\w*|\d[\w.]*(?:[+-]\d+)?|'S'|\*\*=?|//=?|>>=?|<<=?|->|:=|[-+*/%@&|^=!<>]=|\S")


def _tokens_of(code: str) -> list[str]:
    out, depths = [], [0]
    for line in code.split("\n"):
        text = line.lstrip(" ")
        if not text:
            continue
        depth = len(line) - len(text)
        while depth < depths[-1]:
            depths.pop()
            out.append("}")
        if depth > depths[-1]:
            depths.append(depth)
            out.append("{")
        out += _TOKEN.findall(text)
        out.append(";")
    return out + ["}"] * (len(depths) - 1)


_RAW_TOKEN = re.compile(r"[A-Za-z_]\w*|\d[\w.]*|'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|\S")


def _tokens_unparsed(source: str, keep: set[str]) -> list[str]:
    """Code that does not parse: comments and strings dropped, names not kept renamed."""
    try:
        raw = [
            (t.type, t.string)
            for t in tokenize.generate_tokens(io.StringIO(source).readline)
            if t.type
            not in (
                tokenize.COMMENT,
                tokenize.NL,
                tokenize.NEWLINE,
                tokenize.INDENT,
                tokenize.DEDENT,
                tokenize.ENCODING,
                tokenize.ENDMARKER,
            )
        ]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        source = re.sub(r"#[^\n]*", "", source)
        raw = [
            (
                tokenize.NAME
                if m[0].isalpha() or m[0] == "_"
                else tokenize.STRING
                if m[0] in "'\""
                else tokenize.OP,
                m,
            )
            for m in _RAW_TOKEN.findall(source)
        ]
    out, previous = [], ""
    for kind, text in raw:
        if kind == tokenize.STRING:
            text = STRING
        elif (
            kind == tokenize.NAME
            and previous != "."
            and text not in keep
            and text not in _KEEP
            and not _is_dunder(text)
        ):
            text = NAME
        out.append(text)
        previous = text
    return out


def normalise(source: str, given: Set[str] = frozenset()) -> list[str]:
    """The answer as a list of normalised tokens. `given`: names the release defines (kept)."""
    source = _MAGIC.sub("", source)
    try:
        tree = ast.parse(source)
        names, attributes = own_names(tree)
        mine = lambda ns: {n for n in ns if n not in given and not _is_dunder(n)}  # noqa: E731
        tree = _Canonical(mine(names | attributes), mine(attributes)).visit(tree)
        return _tokens_of(ast.unparse(tree))
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # not Python, or nested too deep
        return _tokens_unparsed(source, set(given))


# --- 2. fingerprint -------------------------------------------------------------------------


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def winnow(tokens: list[str], k: int = KGRAM, w: int = WINDOW) -> set[int]:
    """Winnowing (Schleimer, Wilkerson and Aiken 2003): of every window of w consecutive
    k-gram hashes, the smallest (the rightmost if tied)."""
    hashes = [_hash("\x1f".join(tokens[i : i + k])) for i in range(len(tokens) - k + 1)]
    if len(hashes) <= w:
        return set(hashes[:1] and [min(hashes)])
    chosen = set()
    for start in range(len(hashes) - w + 1):
        window = hashes[start : start + w]
        chosen.add(min(window))
    return chosen


@lru_cache(maxsize=64)
def _given(release: str) -> tuple[frozenset[str], frozenset[int]]:
    """(the names a released answer cell defines, its fingerprints)."""
    if not release.strip():
        return frozenset(), frozenset()
    try:
        names = frozenset(interface_names(ast.parse(_MAGIC.sub("", release))))
    except (SyntaxError, ValueError):
        names = frozenset()
    return names, frozenset(winnow(normalise(release, names)))


def fingerprints(source: str, release: str = "") -> set[int]:
    """The fingerprints of a student's answer that the released answer cell does not have."""
    names, released = _given(release)
    return winnow(normalise(source, names)) - released


# --- 3. compare -----------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Pair:
    similarity: float
    answer: str
    student_a: str
    student_b: str


def fingerprint_sets(
    answers: dict[str, str], release: str, min_fingerprints: int = MIN_FINGERPRINTS
) -> dict[str, set[int]]:
    """{student: fingerprints} of the answers long enough to compare."""
    return {s: fp for s, src in answers.items() if len(fp := fingerprints(src, release)) >= min_fingerprints}


def similar_pairs(
    answers: dict[str, str],
    release: str,
    answer: str,
    threshold: float,
    min_fingerprints: int = MIN_FINGERPRINTS,
    stats: Counter | None = None,
) -> list[Pair]:
    """Pairs of students whose `answer` (their source, by student) is at least `threshold`
    similar. `stats` counts the answers compared and the candidate pairs verified."""
    sets = fingerprint_sets(answers, release, min_fingerprints)
    if stats is not None:
        stats["answers"] += len(answers)
    return pairs_among(sets, answer, threshold, stats)


def _least_overlap(threshold: float, size_a: int, size_b: int) -> int:
    """The fewest shared fingerprints two sets of these sizes need for the threshold:
    |a & b| / |a | b| >= t  <=>  |a & b| >= t / (1 + t) * (|a| + |b|)."""
    return max(1, math.ceil(threshold / (1 + threshold) * (size_a + size_b) - 1e-9))


def pairs_among(
    sets: dict[str, set[int]], answer: str, threshold: float, stats: Counter | None = None
) -> list[Pair]:
    """The pairs of fingerprint sets with a Jaccard index of at least `threshold`.

    Each set is sorted in one global order, rarest fingerprint first, and only its prefix
    of |s| - ceil(t |s|) + 1 is indexed: two sets that reach t share a fingerprint there
    (prefix filtering). Sets are taken smallest first, so one too small for the one at hand
    is skipped (size filtering), and a pair whose overlap so far plus what is left after
    the shared fingerprint's positions cannot reach the least overlap is dropped
    (positional filtering; Xiao et al., PPJoin, 2008). Only the pairs left are compared
    in full. No pair at or above the threshold is missed."""
    frequency = Counter(h for fp in sets.values() for h in fp)
    ordered = {s: sorted(fp, key=lambda h: (frequency[h], h)) for s, fp in sets.items()}
    size = {s: len(fp) for s, fp in sets.items()}
    index: dict[int, list[tuple[str, int]]] = defaultdict(list)
    candidates: list[tuple[str, str]] = []
    for student in sorted(ordered, key=lambda s: (size[s], s)):  # smaller sets first
        hashes, n = ordered[student], size[student]
        smallest = threshold * n  # an earlier set smaller than this cannot reach the threshold
        overlap: dict[str, int] = {}
        for i, h in enumerate(hashes[: n - math.ceil(threshold * n) + 1]):
            for other, j in index[h]:
                m = size[other]
                if m < smallest or overlap.get(other) == -1:
                    continue
                so_far = overlap.get(other, 0)
                if so_far + 1 + min(n - i - 1, m - j - 1) >= _least_overlap(threshold, n, m):
                    overlap[other] = so_far + 1
                else:
                    overlap[other] = -1  # cannot reach it any more
            index[h].append((student, i))
        candidates += [(other, student) for other, count in overlap.items() if count > 0]
    if stats is not None:
        stats["answers_compared"] += len(sets)
        stats["candidate_pairs"] += len(candidates)
        stats["all_pairs"] += len(sets) * (len(sets) - 1) // 2
    pairs = []
    for a, b in candidates:
        shared = len(sets[a] & sets[b])
        similarity = shared / (size[a] + size[b] - shared)
        if shared and similarity >= threshold:
            pairs.append(Pair(round(similarity, 3), answer, *sorted((a, b))))
    return pairs


# --- 4. a class of submissions ----------------------------------------------------------------


@dataclass
class ClassAnswers:
    by_answer: dict[str, dict[str, str]]  # answer id -> {student: source}
    students: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # skipped submissions, for stderr


def released_answers(aid: str, root: Path = course.ROOT) -> dict[str, str]:
    """{answer id: source of the released answer cell} (the stub everyone starts from)."""
    from .grading.template import nbgrader_meta

    nb = nbformat.read(course.release_notebook(aid, root), as_version=4)
    return {nbgrader_meta(c)["grade_id"]: c.source for c in nb.cells if nbgrader_meta(c).get("solution")}


def read_class(submitted: Path, aid: str, root: Path = course.ROOT) -> ClassAnswers:
    """Every student's graded answers of one assignment, as the grader would run them (the
    last copy of a duplicated answer cell). Unreadable notebooks are skipped with a note."""
    from .grading.restore import answer_copies
    from .grading.submission import locate_notebook, read_notebook

    by_answer: dict[str, dict[str, str]] = {a.id: {} for a in course.assignment(aid).answers}
    students, notes = [], []
    for folder in sorted(
        p for p in submitted.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
    ):
        sub = folder / aid
        if not sub.is_dir() or sub.is_symlink():
            continue
        path, status, message = locate_notebook(sub, aid)
        read = read_notebook(path) if path else None
        if read is None or read.cells is None:
            why = (status, message) if read is None else (read.status, read.message)
            notes.append(f"{folder.name}: skipped, {why[0]}: {why[1]}")
            continue
        students.append(folder.name)
        for gid, copies in answer_copies(set(by_answer), read.cells).items():
            by_answer[gid][folder.name] = copies[-1][1]
    return ClassAnswers(by_answer, students, notes)


def class_pairs(
    answers: ClassAnswers, release: dict[str, str], threshold: float, stats: Counter | None = None
) -> list[Pair]:
    """Every pair at or above the threshold, over all answers, most similar first."""
    pairs = [
        p
        for gid, sources in answers.by_answer.items()
        for p in similar_pairs(sources, release.get(gid, ""), gid, threshold, stats=stats)
    ]
    return sorted(pairs, key=lambda p: (-p.similarity, p.answer, p.student_a, p.student_b))


def write_pairs(pairs: list[Pair], out: Path) -> None:
    from .grading.state import atomic_write

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for p in pairs:
        w.writerow([p.student_a, p.student_b, p.answer, f"{p.similarity:.3f}"])
    atomic_write(out, buf.getvalue())


def run(
    submitted: Path,
    aid: str,
    out: Path,
    threshold: float = DEFAULT_THRESHOLD,
    log=print,
    stats: Counter | None = None,
) -> list[Pair]:
    """The whole command: check the input, read the class, compare, write `out`."""
    if not 0.0 <= threshold <= 1.0 or math.isnan(threshold):
        raise SimilarityError(f"--threshold must be between 0 and 1, not {threshold:g}")
    if aid not in course.ASSIGNMENTS:
        raise SimilarityError(
            f"{aid!r} is not an assignment of this course ({', '.join(course.ASSIGNMENTS)})"
        )
    if not submitted.is_dir():
        raise SimilarityError(f"{submitted} is not a folder (expected SUBMITTED/<student>/{aid}/{aid}.ipynb)")
    if out.exists() and out.is_dir():
        raise SimilarityError(f"--out {out} is a folder; give a file name such as similarity.csv")
    answers = read_class(submitted, aid)
    for note in answers.notes:
        log(f"note: {note}")
    if stats is not None:
        stats["students"] += len(answers.students)
    pairs = class_pairs(answers, released_answers(aid), threshold, stats)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_pairs(pairs, out)
    return pairs
