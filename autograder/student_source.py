"""Read a student's source without running it: the libraries and names a cell uses.

Static, on the student's source, before anything runs (autograder.rules judges with it).
`forbidden_uses` flags, for a given set of libraries,
- `import jax`, `from torch import ...` and the like;
- `__import__("jax")`, `importlib.import_module("sympy")` and other calls whose string
  argument names a forbidden module;
- names that other cells bound to a forbidden module (`import jax.numpy as jnp` elsewhere,
  then `jnp.sin` in the answer), unless the answer cell assigns that name itself.
A cell that does not parse is judged on its import lines only. `library_bindings` says
which names bind a library's module and functions (`jax.jacfwd`, `from jax import ...`).
"""

from __future__ import annotations

import ast
import re

_DYNAMIC_IMPORT = {"__import__", "import_module", "find_spec", "load_module"}
_RUNS_CODE = {"exec", "eval", "compile", "run_cell", "run_line_magic"}
_IMPORT_LINE = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w., ]+))", re.M)


def to_python(source: str) -> str:
    """IPython syntax (magics, !shell) turned into plain Python, as the kernel would run it."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001
        return source


def _root(name: str) -> str:
    return name.split(".")[0]


def _is_forbidden(name: str, forbidden) -> bool:
    return _root(name) in forbidden


def syntax_trees(sources):
    """The AST of each source that parses (as the kernel would run it); the others are skipped."""
    for src in sources:
        try:
            yield ast.parse(to_python(src))
        except SyntaxError:
            continue


def library_bindings(sources: list[str], library: str) -> tuple[set[str], dict[str, str]]:
    """(names bound to the library module, {name: library function it was imported as})."""
    modules, functions = set(), {}
    for tree in syntax_trees(sources):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules |= {a.asname or a.name for a in node.names if a.name == library}
            elif isinstance(node, ast.ImportFrom) and node.module == library:
                functions.update({a.asname or a.name: a.name for a in node.names})
    return modules, functions


def module_aliases(sources: list[str], forbidden) -> dict[str, str]:
    """{name: module} for names these cells bind to forbidden modules or objects from them."""
    names: dict[str, str] = {}
    for tree in syntax_trees(sources):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if _is_forbidden(a.name, forbidden):
                        names[a.asname or _root(a.name)] = _root(a.name)
            elif isinstance(node, ast.ImportFrom) and node.module and _is_forbidden(node.module, forbidden):
                names.update({a.asname or a.name: _root(node.module) for a in node.names if a.name != "*"})
    return names


def forbidden_uses(source: str, other_sources: list[str], forbidden) -> list[str]:
    """Sorted forbidden module names (or aliases) that an answer cell uses."""
    code = to_python(source)
    found: set[str] = set()
    try:
        tree = ast.parse(code)
    except SyntaxError:
        for m in _IMPORT_LINE.finditer(code):
            for name in filter(None, re.split(r"[,\s]+", m.group(1) or m.group(2) or "")):
                if _is_forbidden(name, forbidden):
                    found.add(_root(name))
        return sorted(found)

    assigned = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    assigned |= {
        a.arg
        for n in ast.walk(tree)
        if isinstance(n, ast.arguments)
        for a in n.args + n.kwonlyargs + n.posonlyargs
    }
    aliases = {k: v for k, v in module_aliases(list(other_sources), forbidden).items() if k not in assigned}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(_root(a.name) for a in node.names if _is_forbidden(a.name, forbidden))
        elif isinstance(node, ast.ImportFrom) and node.module and _is_forbidden(node.module, forbidden):
            found.add(_root(node.module))
        elif isinstance(node, ast.Call):
            func = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            strings = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            for text in strings:
                if func in _DYNAMIC_IMPORT and _is_forbidden(text.strip(), forbidden):
                    found.add(_root(text.strip()))
                elif func in _RUNS_CODE:
                    found.update(forbidden_uses(text, [], forbidden))
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in aliases:
            found.add(aliases[node.id])
    return sorted(found)
