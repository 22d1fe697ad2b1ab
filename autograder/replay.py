"""Record the reference calls that checks make, and replay them without the reference code.

The practice checks (autograder/practice.py) run the grader's own checks in a student's
notebook. The checks compare with reference values from `autograder/reference/`, and for
several exercises that reference code *is* the answer (a central difference, a forward
pass, a Newton iteration): it must not ship. So `python -m autograder publish` runs every
check at the practice seeds with `Recorder` wrapped around the reference modules, and the
student's copy gets, in place of each reference module, one whose functions are `replayed`:
they return the recorded value for the same arguments, and raise `NotRecorded` for any
other. The check and message code that runs is the grader's, byte for byte.

A call is known by the function's name and a key made from its arguments: numbers (floats
to 9 significant digits, so a last-bit difference between two numpy builds does not change
the key), arrays, strings, containers, dataclasses, and functions from the probes' own
tables (named by where they sit there, e.g. `dual_numbers.FUNCTIONS['sin(x)']`). Values are
stored exactly (JSON keeps every float's digits), with their types: numpy arrays and
scalars, tuples, dicts. An array a reference computed with JAX comes back as a numpy array.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import math
import pkgutil
import types
from functools import lru_cache

import numpy as np

KEY_DIGITS = 9


class NotRecorded(LookupError):
    """A replayed reference was called with arguments that were not recorded at publish time."""


class Unkeyable(TypeError):
    """An argument the key cannot describe (a function the probes' tables do not hold)."""


# --------------------------------------------------------------------------------------------
# keys
# --------------------------------------------------------------------------------------------


def _walk(obj, path: str, names: dict, depth: int) -> None:
    if isinstance(obj, types.FunctionType):
        names.setdefault(obj, path)
    elif depth <= 0:
        return
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _walk(v, f"{path}[{k!r}]", names, depth - 1)
    elif isinstance(obj, (list, tuple)) and len(obj) <= 1000:
        for i, v in enumerate(obj):
            _walk(v, f"{path}[{i}]", names, depth - 1)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            _walk(getattr(obj, f.name), f"{path}.{f.name}", names, depth - 1)


@lru_cache(maxsize=1)
def probe_functions() -> dict:
    """{function: "module.TABLE[key]..."} for every function in the probes' module-level tables."""
    package = importlib.import_module(f"{__package__}.probes")
    names: dict = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for attr, value in vars(module).items():
            if not isinstance(value, types.FunctionType):  # module functions are not test data
                _walk(value, f"{info.name}.{attr}", names, 4)
    return names


def _number(x: float) -> str:
    return f"{x:.{KEY_DIGITS}g}"


def canonical(obj):
    """Plain JSON data that describes an argument for the key."""
    if obj is None or isinstance(obj, (bool, np.bool_)):
        return ["b", None if obj is None else bool(obj)]
    if isinstance(obj, str):
        return ["s", obj]
    if isinstance(obj, (int, np.integer)):
        return ["i", int(obj)]
    if isinstance(obj, (float, np.floating)):
        return ["f", _number(float(obj))]
    if isinstance(obj, np.ndarray) or (hasattr(obj, "__array__") and hasattr(obj, "shape")):
        arr = np.asarray(obj)
        if arr.dtype.kind in "biuf":
            flat = ",".join(_number(float(v)) for v in arr.ravel().tolist())
            return ["a", list(arr.shape), hashlib.sha256(flat.encode()).hexdigest()]
        return ["a", list(arr.shape), canonical(arr.tolist())]
    if isinstance(obj, (list, tuple)):
        return ["l", [canonical(v) for v in obj]]
    if isinstance(obj, dict):
        return ["d", sorted([[json.dumps(canonical(k)), canonical(v)] for k, v in obj.items()])]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return [
            "dc",
            type(obj).__name__,
            [[f.name, canonical(getattr(obj, f.name))] for f in dataclasses.fields(obj)],
        ]
    if isinstance(obj, types.FunctionType):
        name = probe_functions().get(obj)
        if name is None:
            raise Unkeyable(f"the function {obj.__qualname__} is not in a table of the probes modules")
        return ["fn", name]
    raise Unkeyable(f"an argument of type {type(obj).__name__}")


def call_key(name: str, args: tuple, kwargs: dict) -> str:
    described = json.dumps(canonical([list(args), sorted(kwargs.items())]), separators=(",", ":"))
    return f"{name}|{hashlib.sha256(described.encode()).hexdigest()[:40]}"


# --------------------------------------------------------------------------------------------
# values
# --------------------------------------------------------------------------------------------


def _float(x: float):
    return x if math.isfinite(x) else {"float": repr(x)}


def encode(value):
    """JSON data from a reference's return value (exact, types kept)."""
    if value is None or isinstance(value, (bool, str, int)) and not isinstance(value, np.generic):
        return value
    if isinstance(value, float) and not isinstance(value, np.generic):
        return _float(value)
    if isinstance(value, np.generic):
        return {"scalar": value.dtype.str, "value": encode(value.item())}
    if isinstance(value, np.ndarray) or (hasattr(value, "__array__") and hasattr(value, "shape")):
        arr = np.asarray(value)
        return {
            "ndarray": arr.dtype.str,
            "shape": list(arr.shape),
            "data": [encode(v) for v in arr.ravel().tolist()],
        }
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"dict": [[encode(k), encode(v)] for k, v in value.items()]}
    raise TypeError(f"cannot record a reference value of type {type(value).__name__}")


def decode(data):
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "float" in data:
        return float(data["float"])
    if "scalar" in data:
        return np.dtype(data["scalar"]).type(decode(data["value"]))
    if "ndarray" in data:
        return np.array([decode(v) for v in data["data"]], dtype=np.dtype(data["ndarray"])).reshape(
            data["shape"]
        )
    if "tuple" in data:
        return tuple(decode(v) for v in data["tuple"])
    if "dict" in data:
        return {decode(k): decode(v) for k, v in data["dict"]}
    raise ValueError(f"not a recorded value: {sorted(data)[:3]}")


# --------------------------------------------------------------------------------------------
# recording (at publish time, with the real reference modules)
# --------------------------------------------------------------------------------------------


def reference_modules(package: str) -> list:
    """The modules of a reference package, by name."""
    pkg = importlib.import_module(package)
    return [
        importlib.import_module(f"{package}.{m.name}")
        for m in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name)
    ]


def public_references(module) -> dict:
    """{name: value} of what a reference module offers the checks: its own public functions
    (`callable`), tables of functions (`dict`) and plain constants (`data`)."""
    found = {}
    for name, value in vars(module).items():
        if name.startswith("_") or isinstance(value, (types.ModuleType, type)):
            continue
        if callable(value) and getattr(value, "__module__", None) == module.__name__:
            found[name] = ("callable", value)
        elif isinstance(value, dict) and value and all(callable(v) for v in value.values()):
            found[name] = ("dict", value)
        elif _plain_constant(value):
            found[name] = ("data", value)
    return found


def _plain_constant(value) -> bool:
    if isinstance(value, (str, int, float, bool)):
        return True
    return isinstance(value, tuple) and all(isinstance(v, (str, int, float, bool)) for v in value)


class Recorder:
    """While active, every call the checks make into the reference modules of `package` is
    recorded in `self.values` ({key: encoded value}); calls they make among themselves are not."""

    def __init__(self, package: str):
        self.package = package
        self.values: dict[str, object] = {}
        self._depth = 0
        self._undo: list = []

    def _wrap(self, name: str, fn):
        def recorded(*args, **kwargs):
            if self._depth:
                return fn(*args, **kwargs)
            self._depth += 1
            try:
                value = fn(*args, **kwargs)
            finally:
                self._depth -= 1
            self.values[call_key(name, args, kwargs)] = encode(value)
            return value

        return recorded

    def __enter__(self) -> Recorder:
        for module in reference_modules(self.package):
            short = module.__name__.rpartition(".")[2]
            for name, (kind, value) in public_references(module).items():
                if kind == "callable":
                    self._undo.append((setattr, module, name, value))
                    setattr(module, name, self._wrap(f"{short}.{name}", value))
                elif kind == "dict":
                    self._undo.append((dict.update, value, dict(value)))
                    for k, fn in list(value.items()):
                        value[k] = self._wrap(f"{short}.{name}[{k!r}]", fn)
        return self

    def __exit__(self, *exc) -> None:
        for undo, *args in reversed(self._undo):
            undo(*args)
        self._undo.clear()


# --------------------------------------------------------------------------------------------
# replay (in the student's copy)
# --------------------------------------------------------------------------------------------

RECORDED: dict[str, object] = {}  # key -> encoded value, from the practice data files loaded


def add(values: dict) -> None:
    RECORDED.update(values)


def replayed(name: str):
    """Stands in for the reference function `name` ("module.function")."""

    def replay(*args, **kwargs):
        try:
            key = call_key(name, args, kwargs)
        except Unkeyable as exc:
            raise NotRecorded(f"{name}: {exc}") from None
        if key not in RECORDED:
            raise NotRecorded(f"{name} was not recorded for these arguments")
        return decode(RECORDED[key])

    replay.__name__ = replay.__qualname__ = name.rpartition(".")[2]
    return replay


def replayed_table(name: str, keys) -> dict:
    """Stands in for a reference module's table of functions (e.g. named wrong formulas)."""
    return {k: replayed(f"{name}[{k!r}]") for k in keys}


def stub_module_source(module) -> str:
    """The source of the module that replaces reference module `module` in the student's copy."""
    short = module.__name__.rpartition(".")[2]
    lines = [
        f'"""Replayed values of the course\'s reference `{short}` at the practice seeds.',
        "",
        "Generated by `python -m autograder publish`: each function returns what the course's",
        "reference function returned for the same arguments (see replay.py); its code is not here.",
        '"""',
        "from ..replay import replayed, replayed_table",
        "",
    ]
    for name, (kind, value) in public_references(module).items():
        if kind == "callable":
            lines.append(f"{name} = replayed({f'{short}.{name}'!r})")
        elif kind == "dict":
            lines.append(f"{name} = replayed_table({f'{short}.{name}'!r}, {list(value)!r})")
        else:
            lines.append(f"{name} = {value!r}")
    return "\n".join(lines) + "\n"
