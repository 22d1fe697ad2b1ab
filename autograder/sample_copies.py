"""Copies of an answer as a student who copies makes them, to test the similarity check.

`disguise(source, seed)` keeps what the code does and changes what a copier changes: every
name the answer binds itself (not those the release gives, nor dunder methods) renamed,
docstrings rewritten, methods and top-level functions shuffled, the layout redone, and
comments and blank lines sprinkled in. Used by tests/test_similarity.py and
benchmarks/similarity.py.
"""

from __future__ import annotations

import ast
import random

from .similarity import interface_names, own_names

_WORDS = ("tmp", "val", "res", "acc", "item", "thing", "num", "my", "new", "foo", "data", "aux", "q", "z")
_COMMENTS = (
    "# compute it",
    "# TODO: tidy up",
    "# this part was tricky",
    "# see lecture 3",
    "# works now",
    "# derivative rule",
    "# helper",
    "# I checked this by hand",
)


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, str], attributes: set[str], rng: random.Random):
        self.mapping, self.attributes, self.rng = mapping, attributes, rng

    def visit_Name(self, node):
        node.id = self.mapping.get(node.id, node.id)
        return node

    def visit_arg(self, node):
        node.arg = self.mapping.get(node.arg, node.arg)
        return node

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if node.attr in self.attributes:
            node.attr = self.mapping.get(node.attr, node.attr)
        return node

    def _shuffled(self, body: list) -> list:
        doc = (
            body[:1]
            if body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
            else []
        )
        rest = body[len(doc) :]
        if doc:
            doc = [ast.Expr(ast.Constant("My own version of this (rewritten)."))]
        slots = [i for i, s in enumerate(rest) if isinstance(s, (ast.FunctionDef, ast.ClassDef))]
        defs = [rest[i] for i in slots]
        self.rng.shuffle(defs)
        for i, d in zip(slots, defs):
            rest[i] = d
        return doc + rest

    def _definition(self, node):
        self.generic_visit(node)
        node.name = self.mapping.get(node.name, node.name)
        node.body = self._shuffled(node.body)
        return node

    visit_FunctionDef = visit_ClassDef = _definition

    def visit_Module(self, node):
        self.generic_visit(node)
        node.body = self._shuffled(node.body)
        return node


def disguise(source: str, seed: int, release: str = "") -> str:
    """A copy of `source` that does the same, disguised (names from `release` are kept)."""
    rng = random.Random(seed)
    tree = ast.parse(source)
    given = interface_names(ast.parse(release)) if release.strip() else set()
    names, attributes = own_names(tree)
    own = sorted(
        n for n in names | attributes if n not in given and not (n.startswith("__") and n.endswith("__"))
    )
    mapping = {n: f"{rng.choice(_WORDS)}_{i}" for i, n in enumerate(own)}
    text = ast.unparse(_Rename(mapping, attributes, rng).visit(tree))
    lines = []
    for line in text.splitlines():
        if rng.random() < 0.25:
            lines.append(" " * (len(line) - len(line.lstrip())) + rng.choice(_COMMENTS))
        lines.append(line)
        if rng.random() < 0.15:
            lines.append("")
    return "\n".join(lines) + "\n"
