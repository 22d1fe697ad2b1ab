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
    try:
        arr = np.array(walk(x), dtype=float)
    except ValueError as exc:  # ragged nesting: lists of different lengths
        raise MalformedResult(f"expected a regular array of numbers ({exc})") from None
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


def close(got, want, rtol: float, atol: float | np.ndarray) -> np.ndarray:
    """Elementwise |got - want| <= atol + rtol*|want|, with NaN never close (atol: a number, or one per entry)."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(got) & (np.abs(got - want) <= atol + rtol * np.abs(want))


def size(want, floor: float = 0.0) -> float:
    """The size of a set of reference numbers: the largest finite |want|, at least `floor`.

    Tolerances scale with it (`close(got, want, rtol, rtol * size(...))`), so that an entry
    near 0 among larger ones, or a result that cancels to 0, is judged by the rounding of
    the numbers that made it, not by its own tiny size."""
    arr = np.abs(np.asarray(want, dtype=float))
    arr = arr[np.isfinite(arr)]
    return max(float(arr.max()) if arr.size else 0.0, floor)


def within(got, want, scale, tol: float) -> np.ndarray:
    """Elementwise |got - want| <= tol * scale, with NaN never within.

    `scale` is the size of the terms a value is made of (the references compute it): float64
    AD in any order of operations is off by a few eps of it, a finite difference by far more."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(got) & (np.abs(got - want) <= tol * np.asarray(scale, dtype=float))


def inexact_hint(got, want, scale, instead: str = "") -> str:
    """For a derivative close to the exact one but not as close as float64 AD comes (the mark
    of a difference quotient): say so, and what to use `instead`. Empty for a result that is
    simply wrong. `scale`: the size of the terms it is made of (a number, or one per entry)."""
    got, want, scale = (np.asarray(a, dtype=float) for a in (got, want, scale))
    if not close(got, want, 1e-4, 1e-4 * float(np.max(scale))).all():
        return ""
    gap = float(np.max(np.abs(got - want) / scale))
    return (
        f": close, but not exact to rounding (off by {gap:.1e} of the size of its terms, where exact "
        "derivatives in float64 come within 1e-14). That is the error of a finite difference"
        + (f"; {instead}" if instead else "")
    )


def fmt(x) -> str:
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 0:
        return f"{float(arr):.10g}"
    return np.array2string(arr, precision=6, threshold=8, max_line_width=100)


def fmt_exact(x) -> str:
    """15 significant digits (enough to show a difference of 1e-13), and 0 rather than -0."""
    arr = np.asarray(x, dtype=float) + 0.0
    if arr.ndim == 0:
        return f"{float(arr):.15g}"
    return "[" + ", ".join(f"{v:.15g}" for v in arr.ravel()) + "]"


def first_failures(messages: list[str], limit: int = 6) -> list[str]:
    """Keep feedback readable: the first few messages and a count of the rest."""
    if len(messages) <= limit:
        return messages
    return messages[:limit] + [f"... and {len(messages) - limit} more"]
