"""Strict parsing of probe results and numeric comparison with readable messages."""
from __future__ import annotations

import numpy as np

from . import MalformedResult

_NONFINITE = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf}


def number(x) -> float:
    """A float from hostile data: only JSON numbers (and encoded nan/inf) are accepted."""
    if type(x) in (int, float):
        return float(x)
    if type(x) is dict and set(x) == {"nonfinite"} and x["nonfinite"] in _NONFINITE:
        return _NONFINITE[x["nonfinite"]]
    raise MalformedResult(f"expected a number, got {_describe(x)}")


def numbers(x, shape=None) -> np.ndarray:
    """A float array from nested lists of numbers, optionally of a required shape."""
    def walk(v):
        if type(v) is list:
            return [walk(e) for e in v]
        return number(v)
    if type(x) is not list:
        x = [x] if shape == () else x
        if type(x) is not list:
            raise MalformedResult(f"expected a list of numbers, got {_describe(x)}")
    arr = np.array(walk(x), dtype=float)
    if shape == ():
        if arr.size != 1:
            raise MalformedResult(f"expected one number, got shape {arr.shape}")
        return arr.reshape(())
    if shape is not None and arr.shape != tuple(shape):
        raise MalformedResult(f"expected shape {tuple(shape)}, got {arr.shape}")
    return arr


def _describe(x) -> str:
    if type(x) is dict and "unexpected_type" in x:
        return f"an object of type {str(x['unexpected_type'])[:60]}"
    return type(x).__name__


def outcome(entry):
    """('ok', value) or ('error', text) from a probe's attempt() record."""
    if type(entry) is dict and set(entry) == {"ok"}:
        return "ok", entry["ok"]
    if type(entry) is dict and set(entry) == {"error"} and type(entry["error"]) is str:
        return "error", entry["error"][:300]
    raise MalformedResult("expected an 'ok' or 'error' entry")


def listed(results, n: int, what: str) -> list:
    """`results` itself, checked to be a list of n entries."""
    if type(results) is not list or len(results) != n:
        raise MalformedResult(f"expected {n} results for {what}")
    return results


def entries(results, key: str, n: int) -> list:
    """The list of n per-point entries recorded under `key`."""
    if type(results) is not dict or key not in results:
        raise MalformedResult(f"no result for {key!r}")
    return listed(results[key], n, repr(key))


def unexpected_type(value) -> str | None:
    if type(value) is dict and "unexpected_type" in value:
        return str(value["unexpected_type"])[:60]
    return None


def returned(entry, where: str, noun: str = "an array of numbers") -> tuple[object, str | None]:
    """(value, None) for an attempt that returned data; (None, why not) for an error or an object."""
    status, got = outcome(entry)
    if status == "error":
        return None, f"{where} raised {got}"
    kind = unexpected_type(got)
    if kind:
        return None, f"{where} returned an object of type {kind}, not {noun}"
    return got, None


def close(got, want, rtol: float, atol: float) -> np.ndarray:
    """Elementwise |got - want| <= atol + rtol*|want|, with NaN never close."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(got) & (np.abs(got - want) <= atol + rtol * np.abs(want))


def fmt(x) -> str:
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 0:
        return f"{float(arr):.10g}"
    return np.array2string(arr, precision=6, threshold=8, max_line_width=100)


def first_failures(messages: list[str], limit: int = 6) -> list[str]:
    """Keep feedback readable: the first few messages and a count of the rest."""
    if len(messages) <= limit:
        return messages
    return messages[:limit] + [f"... and {len(messages) - limit} more"]
