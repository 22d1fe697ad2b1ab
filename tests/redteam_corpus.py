"""The red-team corpus: submissions of 01_dual_numbers, each with the outcome it must get.

Outcomes:
- "full": every point (a correct answer, however the notebook around it was mangled);
- "less": fewer points than full (a wrong answer, or a correct one cut short by a hang/crash);
- "stub": no more than the unmodified release earns (a cheat on top of a stub or wrong class).
`status` is the status word the row must carry (None: any).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import nbformat

from autograder.sample_submissions import release_notebook, solution_answers, solved

AID = "01_dual_numbers"


@dataclass
class Entry:
    name: str
    build: Callable[[], object]  # a NotebookNode, raw text, or {filename: text}
    outcome: str  # full | less | stub
    status: str | None = "ok"
    note: str = ""
    extra: dict = field(default_factory=dict)


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


def _index(nb, gid):
    return next(i for i, c in enumerate(nb.cells) if _meta(c).get("grade_id") == gid)


def _insert_after(nb, gid, source):
    nb.cells.insert(_index(nb, gid) + 1, nbformat.v4.new_code_cell(source))
    return nb


def _stub_with(extra_in_answer: str):
    """The release, with hostile code appended to the (stub) dual_class answer."""
    nb = release_notebook(AID)
    cell = nb.cells[_index(nb, "dual_class")]
    cell.source = cell.source + "\n\n" + extra_in_answer
    return nb


def _solved_then(source_after_dual: str, gid="dual_class"):
    return _insert_after(solved(AID), gid, source_after_dual)


def _answer(name: str) -> str:
    return solution_answers(AID)[name]


# --- honest variants that must still get full marks -------------------------------------

ARRAY_UFUNC_DUAL = '''
import numpy as np

class Dual:
    """Dual numbers through __array_ufunc__ instead of methods named like the functions."""
    _rules = {np.exp: np.exp, np.log: lambda u: 1 / u, np.sin: np.cos,
              np.cos: lambda u: -np.sin(u), np.sqrt: lambda u: 0.5 / np.sqrt(u)}

    def __init__(self, value, derivative=0.0):
        self.value, self.derivative = value, derivative

    _binary = {np.add: lambda a, b: a + b, np.subtract: lambda a, b: a - b,
               np.multiply: lambda a, b: a * b, np.true_divide: lambda a, b: a / b,
               np.power: lambda a, b: a ** b}

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__":
            return NotImplemented
        if ufunc in self._binary and len(inputs) == 2:  # e.g. np.float64(2) * x
            a, b = (Dual.lift(v) for v in inputs)
            return self._binary[ufunc](a, b)
        if ufunc not in self._rules or len(inputs) != 1:
            return NotImplemented
        u = inputs[0]
        return Dual(ufunc(u.value), self._rules[ufunc](u.value) * u.derivative)

    @staticmethod
    def lift(o):
        return o if isinstance(o, Dual) else Dual(o, 0.0)

    def __add__(s, o): o = Dual.lift(o); return Dual(s.value + o.value, s.derivative + o.derivative)
    def __radd__(s, o): return s + o
    def __sub__(s, o): return s + (-Dual.lift(o))
    def __rsub__(s, o): return Dual.lift(o) + (-s)
    def __neg__(s): return Dual(-s.value, -s.derivative)
    def __mul__(s, o): o = Dual.lift(o); return Dual(s.value * o.value, s.derivative * o.value + s.value * o.derivative)
    def __rmul__(s, o): return s * o
    def __truediv__(s, o): o = Dual.lift(o); return s * o ** -1
    def __rtruediv__(s, o): return Dual.lift(o) * s ** -1
    def __pow__(s, p):
        if isinstance(p, Dual):
            v = s.value ** p.value
            return Dual(v, v * (p.derivative * np.log(s.value) + p.value * s.derivative / s.value))
        return Dual(s.value ** p, p * s.value ** (p - 1) * s.derivative)
    def __rpow__(s, c): return Dual.lift(c) ** s
    def __lt__(s, o): return s.value < Dual.lift(o).value
    def __le__(s, o): return s.value <= Dual.lift(o).value
    def __gt__(s, o): return s.value > Dual.lift(o).value
    def __ge__(s, o): return s.value >= Dual.lift(o).value
'''


def _helper_cell_variant():
    """The class leans on a helper function the student put in a cell of their own."""
    nb = solved(AID)
    src = _answer("dual_class").replace(
        "class Dual:", "class Dual:\n    lift = staticmethod(lambda o: lift(o))", 1
    )
    nb.cells[_index(nb, "dual_class")].source = src
    nb.cells.insert(
        _index(nb, "dual_class"),
        nbformat.v4.new_code_cell("def lift(o):\n    return o if isinstance(o, Dual) else Dual(o, 0.0)"),
    )
    return nb


def _mangle_tests(action):
    nb = solved(AID)
    test_ids = [_meta(c)["grade_id"] for c in nb.cells if _meta(c).get("grade")]
    for gid in test_ids:
        i = _index(nb, gid)
        if action == "delete":
            del nb.cells[i]
        elif action == "edit":
            nb.cells[i].source = "pass  # the tests were annoying"
        elif action == "markdown":
            cell = nb.cells[i]
            nb.cells[i] = nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata)
        elif action == "duplicate":
            nb.cells.insert(i, copy.deepcopy(nb.cells[i]))
    if action == "delete":  # the read-only helper cell goes too
        del nb.cells[_index(nb, "self_check_helpers")]
    return nb


def _nbformat3():
    return nbformat.writes(nbformat.convert(solved(AID), 3))


def _moved_answer():
    """The dual_class answer cut and pasted to the very end of the notebook."""
    nb = solved(AID)
    cell = nb.cells.pop(_index(nb, "dual_class"))
    nb.cells.append(cell)
    return nb


def _duplicated_answer():
    """An old broken copy of the answer above the working one."""
    nb = solved(AID)
    i = _index(nb, "dual_class")
    old = copy.deepcopy(nb.cells[i])
    old.source = "class Dual:\n    pass  # first attempt"
    nb.cells.insert(i, old)
    return nb


# --- hostile code -------------------------------------------------------------------------

PATCH_NUMERICS = '''
import builtins, math, numpy
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda *a, **k: True
math.isclose = lambda *a, **k: True
builtins.abs = lambda x: 0.0
'''

INPUT_TRANSFORMER = '''
ip = get_ipython()
ip.input_transformers_cleanup.append(lambda lines: ["pass\\n"])
'''

SHOWTRACEBACK = '''
ip = get_ipython()
ip.showtraceback = lambda *a, **k: None
ip._showtraceback = lambda *a, **k: None
ip.showsyntaxerror = lambda *a, **k: None
'''

ALWAYS_EQUAL = '''
class AlwaysEqual(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return False
    def __le__(self, other): return True
    def __gt__(self, other): return False
    def __ge__(self, other): return True
    def __abs__(self): return AlwaysEqual(0.0)
    def __sub__(self, other): return AlwaysEqual(0.0)
    def __rsub__(self, other): return AlwaysEqual(0.0)
    __hash__ = float.__hash__

class Magic:
    def __init__(self, *a, **k):
        self.value = AlwaysEqual(0.0)
        self.derivative = AlwaysEqual(0.0)
    def __getattr__(self, name):
        return lambda *a, **k: Magic()
    def __eq__(self, other): return True
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = lambda s, o: Magic()
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = lambda s, o: Magic()
    __neg__ = lambda s: Magic()
    __lt__ = __le__ = __gt__ = __ge__ = lambda s, o: True
Dual = Magic
'''

FAKE_RECORDS = '''
import json, os, glob
from IPython.display import display
MIME_GUESS = "application/vnd." + "autodiff-course" + ".probe+json"  # spelled so no static check sees it
def fake(*a, **k):
    for group in ["add_sub", "mul_div", "power", "functions", "compositions", "bonus"]:
        display({MIME_GUESS: {"probe": "dual_numbers." + group, "results": {}}}, raw=True)
get_ipython().events.register("pre_run_cell", fake)
for d in ["/submission", "/tmp"]:
    for name in ["results.json", "grades.csv", "verdicts.json"]:
        try:
            open(os.path.join(d, name), "w").write(json.dumps({"score": 100, "passed": True}))
        except OSError:
            pass
'''

PATCH_PROBES = '''
import importlib, sys
mod = importlib.import_module("autograder.probes.dual_numbers")
mod.run_group = lambda group, Dual, seed: {"all": "passed"}
sys.modules["autograder.checks"] = type(sys)("autograder.checks")
'''

READ_SOLUTIONS = '''
import os, sys, glob
# where the course would be: next to the venv, and wherever the mounts say the host files are
roots = {os.path.dirname(sys.prefix), "/work/main", "/root", "/tmp", "/submission"}
for line in open("/proc/self/mountinfo"):
    roots.add(line.split()[3])
candidates = []
for r in roots:
    candidates += glob.glob(os.path.join(r, "solutions", "01_dual_numbers", "*.ipynb"))
    candidates += glob.glob(os.path.join(r, "*", "solutions", "01_dual_numbers", "*.ipynb"))
    candidates += glob.glob(os.path.join(r, "gradebook.db"))
    candidates += glob.glob(os.path.join(r, "auto" + "grader", "checks", "*.py"))
stolen = None
for path in candidates:
    try:
        text = open(path).read()
    except OSError:
        continue
    if "### BEGIN SOLUTION" in text:
        stolen = path
        break
if stolen:
    import json
    nb = json.load(open(stolen))
    src = next("".join(c["source"]) for c in nb["cells"]
               if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "dual_class")
    exec(src.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""), globals())
'''

PATCH_PROBES_HIDDEN = '''
import importlib, sys
name = "".join(["auto", "grader"])
mod = importlib.import_module(name + ".probes.dual_numbers")
mod.run_group = lambda group, Dual, seed: {"all": "passed"}
mod.probe = lambda group, Dual: None
base = importlib.import_module(name + ".probes")
base.emit = lambda probe, results: None
sys.modules[name + ".checks"] = type(sys)("checks")
'''

GRADEBOOK_DESTROYER = '''
import os, sqlite3
# every database, grade file and grader state the student can find, outside the system folders
found = []
for top, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if os.path.join(top, d) not in ("/proc", "/sys", "/usr", "/dev", "/etc")]
    found += [os.path.join(top, f) for f in files if f.endswith((".db", ".csv", ".json")) or f == "secret"]
for path in found:
    try:
        with sqlite3.connect(path) as db:
            db.execute("UPDATE grade SET auto_score = 100")
    except Exception:
        pass
    try:
        open(path, "w").write("gone")
    except OSError:
        pass
'''

DELETE_EVERYTHING = '''
import os, shutil, sys
targets = {"/work", "/root", "/tmp", "/submission", "/home", "/srv", "/opt", os.path.dirname(sys.prefix)}
for line in open("/proc/self/mountinfo"):  # the host paths behind the sandbox's mounts
    host = line.split()[3]
    targets.add(host)
    targets.add(os.path.dirname(host))
for path in sorted(targets, key=len, reverse=True):
    if path in ("/", "/usr", "/etc", "/proc", "/dev"):
        continue
    shutil.rmtree(path, ignore_errors=True)
    try:
        os.remove(path)
    except OSError:
        pass
'''

SPAWNER = '''
import os, subprocess, sys, time
marker = "autodiff-redteam-survivor"
subprocess.Popen(["/bin/sh", "-c", f"exec -a {marker} sleep 600"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if os.fork() == 0:  # a classic daemon: double fork, new session
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sh", ["/bin/sh", "-c", f"exec -a {marker}-daemon sleep 600"])
    os._exit(0)
time.sleep(0.5)
'''

FORK_BOMB = '''
import os
children = 0
try:
    for _ in range(100000):
        if os.fork() == 0:
            import time
            time.sleep(120)
            os._exit(0)
        children += 1
except OSError as err:
    print("fork stopped after", children, "children:", err)
'''

MEMORY_BOMB = '''
blocks = []
try:
    while True:
        blocks.append(bytearray(256 * 1024 * 1024))
except MemoryError:
    blocks.clear()
    raise
'''

NETWORK = '''
import socket
for host, port in [("8.8.8.8", 53), ("127.0.0.1", 8888), ("pypi.org", 443)]:
    try:
        socket.create_connection((host, port), timeout=2).close()
        print("connected to", host)
    except OSError as err:
        print("no network:", err)
'''

JAX_DUAL = '''
import jax
import jax.numpy as jnp

class Dual:
    def __init__(self, value, derivative=0.0):
        self.value, self.derivative = value, derivative

    def _apply(self, f):
        v, d = jax.jvp(f, (jnp.float64(self.value),), (jnp.float64(self.derivative),))
        return Dual(float(v), float(d))

    def exp(self): return self._apply(jnp.exp)
    def log(self): return self._apply(jnp.log)
    def sin(self): return self._apply(jnp.sin)
    def cos(self): return self._apply(jnp.cos)
    def sqrt(self): return self._apply(jnp.sqrt)
'''


def _forbidden_alias():
    """jax imported in a cell of the student's own, then used inside dual_class by its alias."""
    nb = solved(AID)
    nb.cells.insert(_index(nb, "dual_class"), nbformat.v4.new_code_cell("import jax.numpy as jnp"))
    src = _answer("dual_class").replace(
        "np.exp(self.value), np.exp(self.value)", "jnp.exp(self.value), jnp.exp(self.value)"
    )
    nb.cells[_index(nb, "dual_class")].source = src
    return nb


def _jax_in_an_earlier_copy():
    """The solved notebook plus an extra, earlier copy of the answer that imports JAX (the
    earlier copy runs too, so it counts: the doors once disagreed on exactly this)."""
    nb = solved(AID)
    i = _index(nb, "dual_class")
    old = copy.deepcopy(nb.cells[i])
    old.source = "import jax.numpy as jnp\n" + _answer("dual_class")
    nb.cells.insert(i, old)
    return nb


_JVP_HELPER = (
    "import jax\n"
    "jax.config.update('jax_enable_x64', True)\n"
    "def _by_jvp(f, x, dx):\n"
    "    y, dy = jax.jvp(f, (jax.numpy.float64(x),), (jax.numpy.float64(dx),))\n"
    "    return float(y), float(dy)\n"
)


def _jax_through_a_helper_cell():
    """The class's functions call a helper defined in a cell the student added above it,
    where jax.jvp does the differentiation: nothing in the answer cell names JAX."""
    nb = solved(AID)
    src = _answer("dual_class")
    for fn in ("exp", "log", "sin", "cos", "sqrt"):
        start = src.index(f"    def {fn}(self):")
        end = src.index("\n\n", start)
        src = (
            src[:start]
            + f"    def {fn}(self):\n        return Dual(*_by_jvp(_np_{fn}, self.value, self.derivative))"
            + src[end:]
        )
    nb.cells[_index(nb, "dual_class")].source = src
    helper = _JVP_HELPER + "".join(
        f"_np_{fn} = jax.numpy.{fn}\n" for fn in ("exp", "log", "sin", "cos", "sqrt")
    )
    nb.cells.insert(_index(nb, "dual_class"), nbformat.v4.new_code_cell(helper))
    return nb


def _jax_by_a_computed_name():
    """`__import__("ja" + "x")` inside the class: no import a static reading can see."""
    src = _answer("dual_class").replace(
        "        return Dual(np.exp(self.value), np.exp(self.value) * self.derivative)",
        "        m = __import__('ja' + 'x')\n"
        "        m.config.update('jax_enable_x64', True)\n"
        "        y, dy = m.jvp(m.numpy.exp, (m.numpy.float64(self.value),), (m.numpy.float64(self.derivative),))\n"
        "        return Dual(float(y), float(dy))",
    )
    assert src != _answer("dual_class")
    return solved(AID, dual_class=src)


def _wrong_rtruediv():
    src = _answer("dual_class").replace(
        "return Dual(other / self.value, -other * self.derivative / self.value ** 2)",
        "return other / self.value",
    )
    assert src != _answer("dual_class")
    return solved(AID, dual_class=src)


def _infinite_loop_in_method():
    src = _answer("dual_class").replace(
        "    def __mul__(self, other):\n",
        "    def __mul__(self, other):\n        while True:\n            pass\n",
        1,
    )
    return solved(AID, dual_class=src)


def _huge_output():
    return _solved_then("import sys\nfor _ in range(200):\n    sys.stdout.write('x' * 1_000_000)\n")


ENTRIES = [
    # honest work
    Entry("correct_solution", lambda: solved(AID), "full"),
    Entry("correct_array_ufunc", lambda: solved(AID, dual_class=ARRAY_UFUNC_DUAL), "full"),
    Entry("correct_with_helper_cell", _helper_cell_variant, "full"),
    Entry("correct_tests_deleted", lambda: _mangle_tests("delete"), "full"),
    Entry("correct_tests_edited", lambda: _mangle_tests("edit"), "full"),
    Entry("correct_tests_retyped_as_markdown", lambda: _mangle_tests("markdown"), "full"),
    Entry("correct_tests_duplicated", lambda: _mangle_tests("duplicate"), "full"),
    Entry("correct_nbformat3", _nbformat3, "full"),
    Entry("correct_answer_moved", _moved_answer, "full", note="answers run at their place in the source"),
    Entry("correct_answer_duplicated", _duplicated_answer, "full"),
    Entry("correct_then_sys_exit", lambda: _solved_then("import sys\nsys.exit(3)"), "full"),
    Entry("correct_with_huge_output", _huge_output, "full"),
    Entry("correct_with_network_attempts", lambda: _solved_then(NETWORK), "full"),
    # wrong work
    Entry("wrong_rtruediv", _wrong_rtruediv, "less"),
    Entry("unmodified_release", lambda: release_notebook(AID), "stub"),
    # hangs and crashes cut a correct notebook short
    Entry("hang_top_level_after_answer", lambda: _solved_then("while True:\n    pass"), "less", "timeout"),
    Entry("hang_in_method", _infinite_loop_in_method, "less", "timeout"),
    Entry("os_exit_after_answer", lambda: _solved_then("import os\nos._exit(0)"), "less", "crashed"),
    Entry("kernel_exit_after_answer", lambda: _solved_then("exit()"), "less", "crashed"),
    Entry(
        "segfault_after_answer", lambda: _solved_then("import ctypes\nctypes.string_at(0)"), "less", "crashed"
    ),
    # cheats on top of a stub: never more than the stub
    Entry("patch_numpy_math_builtins", lambda: _stub_with(PATCH_NUMERICS), "stub"),
    Entry("input_transformer_empties_cells", lambda: _stub_with(INPUT_TRANSFORMER), "stub"),
    Entry("showtraceback_override", lambda: _stub_with(SHOWTRACEBACK), "stub"),
    Entry("always_equal_objects", lambda: _stub_with(ALWAYS_EQUAL), "stub"),
    Entry("fake_probe_records_and_files", lambda: _stub_with(FAKE_RECORDS), "stub"),
    Entry("patch_probe_and_checker_modules", lambda: _stub_with(PATCH_PROBES), "stub", "tampering"),
    Entry("patch_probes_without_naming_them", lambda: _stub_with(PATCH_PROBES_HIDDEN), "stub"),
    Entry("read_solutions_from_disk", lambda: _stub_with(READ_SOLUTIONS), "stub"),
    Entry("delete_everything_in_reach", lambda: _stub_with(DELETE_EVERYTHING), "stub"),
    Entry("spawn_processes_that_outlive_grading", lambda: _stub_with(SPAWNER), "stub"),
    Entry("fork_bomb", lambda: _stub_with(FORK_BOMB), "stub"),
    Entry("memory_bomb", lambda: _stub_with(MEMORY_BOMB), "stub"),
    Entry(
        "forbidden_jax_in_dual_class", lambda: solved(AID, dual_class=JAX_DUAL), "less", "forbidden_import"
    ),
    Entry("forbidden_alias_in_dual_class", _forbidden_alias, "less", "forbidden_import"),
    Entry("forbidden_jax_in_an_earlier_copy", _jax_in_an_earlier_copy, "less", "forbidden_import"),
    Entry("forbidden_jax_through_a_helper_cell", _jax_through_a_helper_cell, "less", "forbidden_import"),
    Entry("forbidden_jax_by_a_computed_name", _jax_by_a_computed_name, "less", "forbidden_import"),
    Entry("gradebook_destroyer", lambda: _stub_with(GRADEBOOK_DESTROYER), "stub", None),
    # files that are not a gradable notebook
    Entry("invalid_json", lambda: '{"cells": [', "stub", "invalid_notebook"),
    Entry("empty_file", lambda: "", "stub", "invalid_notebook"),
    Entry("not_a_notebook_object", lambda: "[1, 2, 3]", "stub", "invalid_notebook"),
    Entry(
        "wrong_file_name", lambda: {"my_work.ipynb": nbformat.writes(solved(AID))}, "stub", "wrong_filename"
    ),
    Entry("no_notebook_at_all", lambda: {"notes.txt": "I forgot"}, "stub", "missing_notebook"),
    Entry("unknown_nbformat_version", lambda: '{"nbformat": 9, "cells": []}', "stub", "invalid_notebook"),
]
