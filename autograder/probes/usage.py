"""Record which code runs while a student's answer runs: the evidence for the grader's rules.

`Recorder.run` installs a trace hook (`sys.settrace`, and `threading.settrace` for threads
started meanwhile) around one call into student code. The hook sees every Python function
that starts, and notes its top-level package (`numpy`, `jax`, `__main__`, ...) and each
public function of an AD library that runs (`jax.jacfwd`, recognised by its code object,
through any decorator), whoever made the call: the answer cell, a helper in another cell, or
a module reached through an attribute. Every AD library computes derivatives in Python code
(jax, sympy, autograd; torch's `backward` and `autograd.grad`), so none escapes it. It
decides nothing; the grader reads the record (autograder.rules). Each code object is looked
at once per probe, which keeps the cost small: measured here, one dual-number RK4 `dloss`
call took 32 ms watched against 18 ms bare (a profile hook, which also sees every C call,
took 79 ms); a whole 02 notebook takes about 4 s to grade.

Interference is recorded, not hidden. While watching, `sys.settrace`, `sys.setprofile` and
their `threading` twins are replaced by guards that note any call; a closing marker the hook
did not see means it was removed; `ctypes` shows in the modules. Any of these makes the
record incomplete, and an incomplete record fails every rule that needs it. Cyclic garbage
collection is paused while watching, so that finalizers of objects made earlier cannot put
another library's functions in the record.
"""

from __future__ import annotations

import gc
import sys
import threading

# Libraries whose public functions are recorded by name (`jax.jacfwd`). Any package's
# top-level name is recorded in `modules`.
LIBRARIES = ("jax", "torch", "autograd", "tensorflow", "sympy")
_public: dict[str, dict] = {}  # library -> {code object: "lib.name"}
# The package these probes belong to ("autograder"; the practice copy has its own name).
_OWN_PACKAGE = __name__.partition(".")[0]


def public_functions(library: str) -> dict:
    """{code object: "lib.name"} for the library's public functions (once it is imported).

    A decorated function is known by the code of the function it wraps (`__wrapped__`);
    a code object that several names share (a decorator's own) names none of them."""
    module = sys.modules.get(library)
    spec = getattr(module, "__spec__", None)
    if module is None or getattr(spec, "_initializing", False):  # absent, or still importing
        return {}
    if library not in _public:
        codes: dict = {}
        for name, obj in list(vars(module).items()):
            if name.startswith("_") or not callable(obj):
                continue
            f = obj
            for _ in range(8):  # follow __wrapped__ through decorators
                code = getattr(f, "__code__", None)
                if code is not None:
                    codes.setdefault(code, set()).add(f"{library}.{name}")
                f = getattr(f, "__wrapped__", None)
                if f is None:
                    break
        _public[library] = {c: next(iter(n)) for c, n in codes.items() if len(n) == 1}
    return _public[library]


def _opening_marker() -> None:
    """Called first while watching: proves the hook saw the start."""


def _closing_marker() -> None:
    """Called last while watching: proves the hook was still in place at the end."""


_SWITCHES = ((sys, "settrace"), (sys, "setprofile"), (threading, "settrace"), (threading, "setprofile"))


class Recorder:
    """What one probe's calls into student code ran, merged over all of them."""

    def __init__(self) -> None:
        self.modules: set[str] = set()
        self.calls: set[str] = set()
        self.interference: list[str] = []
        self.windows = 0
        self.closed = 0
        self._seen: set = set()
        self._codes: dict = {}
        self._mapped: set[str] = set()
        self._opened = self._closed = False
        self._hook = self._make_hook()

    def _make_hook(self):
        """The trace function: a closure over plain locals, since it runs for every call."""
        seen, modules, calls, codes, mapped = self._seen, self.modules, self.calls, self._codes, self._mapped
        opening, closing = _opening_marker.__code__, _closing_marker.__code__

        def hook(frame, event, arg):
            code = frame.f_code
            if code in seen:
                return None
            if code is opening or code is closing:
                setattr(self, "_opened" if code is opening else "_closed", True)
                return None
            seen.add(code)
            root = (frame.f_globals.get("__name__") or "?").partition(".")[0]
            modules.add(root)
            if root in LIBRARIES and root not in mapped:  # imported while watching
                self._map(root)
            public = codes.get(code)
            if public:
                calls.add(public)
            return None  # no line events: only function starts are wanted

        return hook

    def _map(self, library: str) -> None:
        codes = public_functions(library)
        if codes:
            self._codes.update(codes)
            self._mapped.add(library)

    def _guard(self, name: str, original):
        """Stands in for sys.settrace and friends while watching: a new thread may install
        this recorder's own hook (threading does that); anything else is noted, not done."""

        def guarded(fn, *args, **kwargs):
            if fn is self._hook:
                return original(fn, *args, **kwargs)
            self.interference.append(f"{name} was called")

        return guarded

    def run(self, fn, *args, **kwargs):
        """fn(*args, **kwargs) with the hook in place; exceptions pass through."""
        if sys.gettrace() == self._hook:  # already watching (a nested call)
            return fn(*args, **kwargs)
        self.windows += 1
        self._opened = self._closed = False
        for library in LIBRARIES:  # those imported so far; the hook maps any imported later
            self._map(library)
        collecting = gc.isenabled()
        gc.disable()
        previous = sys.gettrace()
        originals = [(owner, name, getattr(owner, name)) for owner, name in _SWITCHES]
        threading.settrace(self._hook)
        sys.settrace(self._hook)
        for owner, name, original in originals:
            setattr(owner, name, self._guard(f"{owner.__name__}.{name}", original))
        try:
            _opening_marker()
            return fn(*args, **kwargs)
        finally:
            _closing_marker()
            for owner, name, original in originals:
                setattr(owner, name, original)
            sys.settrace(previous)
            threading.settrace(None)
            if collecting:
                gc.enable()
            if self._opened and self._closed:
                self.closed += 1
            else:
                self.interference.append("the recording hook was removed while the answer ran")

    def summary(self) -> dict:
        """Plain JSON data for the probe record."""
        modules = self.modules - {_OWN_PACKAGE}  # the probe's own code
        return {
            "modules": sorted(modules),
            "calls": sorted(self.calls),
            "complete": not self.interference and self.closed == self.windows,
            "interference": sorted(set(self.interference))[:5],
        }


_current: Recorder | None = None


def current() -> Recorder:
    """The recorder of the probe that is running (one per report)."""
    global _current
    if _current is None:
        _current = Recorder()
    return _current


def take() -> dict:
    """The current recorder's summary; the next probe starts a fresh one."""
    global _current
    recorder, _current = current(), None
    return recorder.summary()
