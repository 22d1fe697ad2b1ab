"""Find student code that reaches for the grader itself.

A student's notebook has no legitimate reason to name the `autograder` package, the probes'
seed variable or their result format: none of them appears in the student release. Code
that does is trying to patch or imitate the hidden tests, so the submission scores 0 with
the status `tampering`. Comments are ignored; names and string literals are not.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize

from ..probes import MIME, SEED_ENV
from ..student_source import to_python

_SUSPECT_TEXT = re.compile(
    r"^\s*autograder(\.[\w.]*)?\s*$|autograder\.(probes|checks|grading|reference|rlc|rules)|"
    + re.escape(SEED_ENV)
    + "|"
    + re.escape(MIME)
)


def _literal(token: str) -> str:
    try:
        value = ast.literal_eval(token)
    except (ValueError, SyntaxError):
        return token  # f-strings and the like: search the raw text
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def tampering_reasons(source: str) -> list[str]:
    """What in this cell names the grader (empty if nothing)."""
    code = to_python(source)
    found = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        tokens = None
    if tokens is None:
        if re.search(r"\bautograder\b", code) or SEED_ENV in code or MIME in code:
            found.append("names the grader")
        return found
    for tok in tokens:
        if tok.type == tokenize.NAME and tok.string == "autograder":
            found.append("uses the name 'autograder'")
        elif tok.type == tokenize.STRING and _SUSPECT_TEXT.search(_literal(tok.string)):
            found.append(f"has the string {tok.string[:60]}")
    return sorted(set(found))
