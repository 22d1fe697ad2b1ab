"""What an answer may not use: the rules the notebooks state, each enforced by the grader.

A rule belongs to an answer in the course table (`autograder.course`). The grader judges it
in its own process, from two kinds of evidence:

- **static**: the answer cell's source (and the names other cells bind), before anything
  runs. It catches `import jax` in the answer itself, however it is spelled.
- **runtime**: what the probe recorded while the student's code ran in the sandbox: which
  modules' functions were called (a profiling hook, `autograder.probes.usage`), and for
  some exercises the program JAX traced. It catches a helper in another cell that does the
  forbidden work, an import spelled `__import__("ja" + "x")`, a Python loop that a jaxpr
  unrolls, or an n x n matrix the student's code formed.

Evidence that is missing, malformed or shows signs of interference fails the rule: a test
can never pass a rule because its record was tampered with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Libraries that would do the differentiation (or the algebra) for the student.
AD_LIBRARIES = ("jax", "torch", "autograd", "tensorflow", "sympy")
_LIBRARY_NAMES = {
    "jax": "JAX",
    "torch": "PyTorch",
    "autograd": "autograd",
    "tensorflow": "TensorFlow",
    "sympy": "SymPy",
}


def _words(items: Iterable[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def usage_of(record: Any) -> tuple[dict, str | None]:
    """(usage, None) from a probe record, or ({}, why it cannot be trusted)."""
    usage = record.get("usage") if isinstance(record, dict) else None
    if type(usage) is not dict:
        return {}, "the record of which code ran is missing"
    modules, calls = usage.get("modules"), usage.get("calls")
    if (
        type(modules) is not list
        or type(calls) is not list
        or not all(type(m) is str for m in modules + calls)
    ):
        return {}, "the record of which code ran is malformed"
    if usage.get("complete") is not True:
        reasons = usage.get("interference")
        detail = "; ".join(r for r in reasons if type(r) is str)[:200] if type(reasons) is list else ""
        return {}, "the recording of which code ran was interfered with" + (f" ({detail})" if detail else "")
    return usage, None


def traced_of(record: Any, keys: tuple[str, ...]) -> tuple[dict, str | None]:
    """(traced, None): the probe's summary of the program JAX traced, with these keys; or ({}, why not)."""
    traced = record.get("traced") if isinstance(record, dict) else None
    if type(traced) is dict and "error" in traced and type(traced["error"]) is str:
        return {}, f"it could not be traced by jax.make_jaxpr ({traced['error'][:200]})"
    if type(traced) is not dict or not all(k in traced for k in keys):
        return {}, "the record of the traced program is missing or malformed"
    return traced, None


@dataclass(frozen=True)
class Rule:
    """Base class. `status` is the row's status word when this rule is broken."""

    status = "rule_violation"

    def describe(self) -> str:
        """What the answer must not do, as the notebook states it: "must not ..."."""
        raise NotImplementedError

    def broken(self, answer: str, violation: str) -> str:
        """The feedback message for one violation of this rule by one answer."""
        return f"'{answer}' {self.describe()}, but {violation}"

    def static_violations(self, sources: list[str], other_sources: list[str]) -> list[str]:
        """What in the answer's own source (all copies) breaks the rule."""
        return []

    def runtime_violations(self, record: Any) -> list[str]:
        """What the probe's record shows that breaks the rule (or makes it unverifiable)."""
        return []


@dataclass(frozen=True)
class NoLibraries(Rule):
    """The answer, and everything it calls, must not use these libraries."""

    modules: tuple[str, ...] = AD_LIBRARIES
    status = "forbidden_import"

    def describe(self) -> str:
        names = [_LIBRARY_NAMES.get(m, m) for m in self.modules]
        return f"must not use {_words(names)} (write the derivative rules yourself)"

    def static_violations(self, sources: list[str], other_sources: list[str]) -> list[str]:
        from .student_source import forbidden_uses

        found = sorted({m for src in sources for m in forbidden_uses(src, other_sources, self.modules)})
        return [f"it imports {', '.join(found)}"] if found else []

    def runtime_violations(self, record: Any) -> list[str]:
        usage, problem = usage_of(record)
        if problem:
            return [problem]
        used = sorted(set(usage["modules"]) & set(self.modules))
        if used:
            return [
                f"while it ran, functions of {', '.join(used)} were called "
                "(directly or through a helper defined in another cell)"
            ]
        if "ctypes" in usage["modules"]:
            return ["while it ran, ctypes was called, which can hide what code runs"]
        return []


@dataclass(frozen=True)
class NoFunctions(Rule):
    """The answer, and everything it calls, must not call these functions of one library."""

    library: str = "jax"
    functions: tuple[str, ...] = ()

    def _names(self) -> list[str]:
        return [f"{self.library}.{f}" for f in self.functions]

    def describe(self) -> str:
        return f"must not call {_words(self._names())}"

    def static_violations(self, sources: list[str], other_sources: list[str]) -> list[str]:
        """`jax.jacfwd` (through any name bound to the module) or a name imported from it;
        a variable that merely shares a name (`jacobian = ...`) is not a call of it."""
        import ast

        from .student_source import library_bindings, syntax_trees

        modules, imported = library_bindings(list(sources) + list(other_sources), self.library)
        found = set()
        for tree in syntax_trees(sources):
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id in modules
                    and node.attr in self.functions
                ):
                    found.add(f"{self.library}.{node.attr}")
                elif (
                    isinstance(node, ast.Name)
                    and isinstance(node.ctx, ast.Load)
                    and imported.get(node.id) in self.functions
                ):
                    found.add(f"{self.library}.{imported[node.id]}")
        return [f"it calls {', '.join(sorted(found))}"] if found else []

    def runtime_violations(self, record: Any) -> list[str]:
        usage, problem = usage_of(record)
        if problem:
            return [problem]
        called = sorted(
            {
                c.rsplit(".", 1)[-1]
                for c in usage["calls"]
                if c.split(".", 1)[0] == self.library and c.rsplit(".", 1)[-1] in self.functions
            }
        )
        if called:
            return [f"while it ran, {_words([f'{self.library}.{c}' for c in called])} was called"]
        return []


@dataclass(frozen=True)
class NoMatrix(Rule):
    """The traced program must not hold an n x n array (n = the length of the input)."""

    what: str = "the n x n Hessian"
    instead: str = "use jax.jvp on jax.grad(f)"

    def describe(self) -> str:
        return f"must not form {self.what} ({self.instead})"

    def runtime_violations(self, record: Any) -> list[str]:
        traced, problem = traced_of(record, ("n", "largest_shape", "largest_size"))
        if problem:
            return [problem]
        n, shape, size = traced["n"], traced["largest_shape"], traced["largest_size"]
        if type(n) is not int or n < 2 or type(size) is not int or type(shape) is not list:
            return ["the record of the traced program is malformed"]
        if size >= n * n:
            dims = " x ".join(str(d) for d in shape)
            return [f"for an input of length {n} its traced program holds an array of shape {dims}"]
        return []


@dataclass(frozen=True)
class NoPythonLoop(Rule):
    """Tracing at two sizes gives programs of the same length: nothing was unrolled per item."""

    over: str = "the examples"
    instead: str = "use jax.vmap"

    def describe(self) -> str:
        return f"must not loop over {self.over} in Python ({self.instead})"

    def runtime_violations(self, record: Any) -> list[str]:
        traced, problem = traced_of(record, ("sizes", "equations"))
        if problem:
            return [problem]
        sizes, eqns = traced["sizes"], traced["equations"]
        if (
            type(sizes) is not list
            or type(eqns) is not list
            or len(sizes) != 2
            or len(eqns) != 2
            or not all(type(v) is int for v in sizes + eqns)
        ):
            return ["the record of the traced program is malformed"]
        if eqns[0] != eqns[1]:
            return [
                f"its traced program grows with the number of items ({eqns[0]} operations for "
                f"{sizes[0]}, {eqns[1]} for {sizes[1]}): a Python loop unrolls once per item"
            ]
        return []


@dataclass(frozen=True)
class NoDifferentiatedLoop(Rule):
    """Outside custom derivative rules, the traced program runs no loop and no call of the
    probe's map (recognised by one primitive the map, and nothing else, uses): JAX
    differentiates none of the iterations itself."""

    what: str = "the solver's iterations"
    instead: str = "keep every loop, and every call of f, inside the jax.custom_vjp rule"

    def describe(self) -> str:
        return f"must not let JAX differentiate through {self.what} ({self.instead})"

    def runtime_violations(self, record: Any) -> list[str]:
        traced, problem = traced_of(record, ("loops", "marked"))
        if problem:
            return [problem]
        loops, calls = traced["loops"], traced["marked"]
        if type(loops) is not int or type(calls) is not int or loops < 0 or calls < 0:
            return ["the record of the traced program is malformed"]
        if loops:  # f inside such a loop is the same fault
            return [
                f"its traced program runs {loops} loop(s) outside a custom derivative rule, "
                "which JAX differentiates step by step"
            ]
        if calls:
            return [
                f"its traced program evaluates f {calls} time(s) outside a custom derivative rule "
                "(an unrolled loop, or a step JAX differentiates)"
            ]
        return []


# The rules the notebooks state, named once.
NO_AD_LIBRARIES = NoLibraries()
NO_JACOBIAN_BUILDERS = NoFunctions("jax", ("jacfwd", "jacrev", "jacobian", "hessian"))
NO_HESSIAN_MATRIX = NoMatrix()
NO_LOOP_OVER_EXAMPLES = NoPythonLoop()
NO_DIFFERENTIATED_SOLVER = NoDifferentiatedLoop()
