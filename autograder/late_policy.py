"""Due dates and late policies as the course table and the command line write them: parsed
and checked, and what a policy costs. Pure: no files, no grades (those are grading/late.py,
whose docstring gives the syntax).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo


class LateError(ValueError):
    """A due date, a late policy or a timestamp that cannot be used; the message says which."""


# --- points in time -------------------------------------------------------------------------

_WITH_ZONE_WORD = re.compile(r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s+(\S+)")
_HAS_TIME = re.compile(r"\d{4}-?\d{2}-?\d{2}[T ]\d{2}")
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})?")


def _zone(word: str):
    if word.upper() in ("UTC", "GMT", "Z"):
        return UTC
    m = _OFFSET.fullmatch(word)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        return timezone(sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0)))
    try:
        return ZoneInfo(word)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise LateError(f"unknown time zone {word!r}") from None


def parse_time(text: str, *, need_zone: bool = False) -> datetime:
    """A point in time, timezone-aware. Without a zone it is UTC (unless `need_zone`)."""
    text = text.strip()
    if not _HAS_TIME.match(text):
        raise LateError(
            f"{text[:60]!r} is not a date and time (expected ISO 8601, e.g. 2026-12-01T23:59:00+01:00)"
        )
    m = _WITH_ZONE_WORD.fullmatch(text)
    try:
        if m:
            moment = datetime.fromisoformat(m.group(1).replace(",", ".")).replace(tzinfo=_zone(m.group(2)))
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        raise LateError(
            f"{text[:60]!r} is not a date and time (expected ISO 8601, e.g. 2026-12-01T23:59:00+01:00)"
        ) from None
    if moment.tzinfo is None:
        if need_zone:
            raise LateError(f"{text!r} has no time zone; write it with one, e.g. {text}+01:00 or {text}Z")
        moment = moment.replace(tzinfo=UTC)
    return moment


def duration_text(seconds: float) -> str:
    """Hours:minutes:seconds ("26:03:04"), whole seconds rounded up; spreadsheets read it as a duration."""
    total = math.ceil(seconds)
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _in_words(seconds: float) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}{'s' * (n != 1)}"
    return f"{seconds:g} seconds"


# --- policies -------------------------------------------------------------------------------

_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)(%?)")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd]?)")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 1}
_PER = {"per-hour": (3600, "hour"), "per-day": (86400, "day")}
SYNTAX = "none, per-hour:AMOUNT[,cap=CAP], per-day:AMOUNT[,cap=CAP] or zero-after:DURATION"


@dataclass(frozen=True)
class Amount:
    """Points, or a percentage of the assignment's maximum."""

    value: float
    percent: bool = False

    @classmethod
    def parse(cls, text: str, what: str) -> Amount:
        m = _AMOUNT.fullmatch(text.strip())
        if not m or float(m.group(1)) <= 0:
            raise LateError(
                f"{what} {text!r} is not a positive number of points or a percentage (e.g. 2 or 10%)"
            )
        if m.group(2) and float(m.group(1)) > 100:
            raise LateError(f"{what} {text!r} is more than 100%")
        return cls(float(m.group(1)), bool(m.group(2)))

    def points(self, max_score: float) -> float:
        return self.value * max_score / 100 if self.percent else self.value

    def __str__(self) -> str:
        return (
            f"{self.value:g}% of the maximum"
            if self.percent
            else f"{self.value:g} point{'s' * (self.value != 1)}"
        )


@dataclass(frozen=True)
class LatePolicy:
    """What late work costs. Make one with `LatePolicy.parse` (the syntax: grading/late.py's docstring)."""

    spec: str = "none"  # as written, e.g. "per-day:10%,cap=50%"
    per_seconds: int = 0  # per-hour / per-day: the unit a deduction is made for
    amount: Amount | None = None
    cap: Amount | None = None
    zero_after: float | None = None  # zero-after: the seconds of grace

    @classmethod
    def parse(cls, spec: str) -> LatePolicy:
        spec = spec.strip()
        kind, _, rest = spec.partition(":")
        if kind == "none" and not rest:
            return cls("none")
        if kind in _PER and rest:
            amount, *options = rest.split(",")
            cap = None
            for option in options:
                key, _, value = option.partition("=")
                if key.strip() != "cap" or cap is not None:
                    raise LateError(f"late policy {spec!r}: unknown option {option!r} (only cap=AMOUNT)")
                cap = Amount.parse(value, "the cap")
            return cls(spec, _PER[kind][0], Amount.parse(amount, "the deduction"), cap)
        if kind == "zero-after" and rest:
            m = _DURATION.fullmatch(rest.strip())
            if not m:
                raise LateError(f"late policy {spec!r}: {rest!r} is not a duration (e.g. 0, 90m, 48h, 7d)")
            return cls(spec, zero_after=float(m.group(1)) * _UNIT_SECONDS[m.group(2)])
        raise LateError(f"late policy {spec!r} is not one of: {SYNTAX}")

    @property
    def is_none(self) -> bool:
        return self.amount is None and self.zero_after is None

    def describe(self) -> str:
        """The policy in words, for the feedback page."""
        if self.zero_after is not None:
            if self.zero_after == 0:
                return "late work earns no points"
            return f"work more than {_in_words(self.zero_after)} late earns no points"
        if self.amount is None:
            return "no penalty for late work"
        text = f"{self.amount} off per started {_PER['per-hour' if self.per_seconds == 3600 else 'per-day'][1]} late"
        return text + (f", at most {self.cap} in all" if self.cap else "")

    def penalty(self, seconds_late: float, max_score: float, earned: float) -> float:
        """Points taken off `earned` for work `seconds_late` late (never more than earned)."""
        if seconds_late <= 0 or earned <= 0:
            return 0.0
        if self.zero_after is not None:
            points = earned if seconds_late > self.zero_after else 0.0
        elif self.amount is not None:
            points = math.ceil(seconds_late / self.per_seconds) * self.amount.points(max_score)
            if self.cap is not None:
                points = min(points, self.cap.points(max_score))
        else:
            points = 0.0
        return round(float(min(points, earned)), 6)


NO_PENALTY = LatePolicy()


# --- one assignment's deadline, from the course table and the command line -------------------


@dataclass(frozen=True)
class Deadline:
    due: datetime | None = None
    policy: LatePolicy = NO_PENALTY

    def describe_due(self) -> str:
        return self.due.isoformat(sep=" ") if self.due else ""


def parse_due(text: str) -> datetime | None:
    """A due date as the course table or the command line gives it ("" = none)."""
    return parse_time(text, need_zone=True) if text.strip() else None
