"""`python -m autograder export DIR`: the grades of DIR/grades.csv for a spreadsheet or Canvas.

    export DIR --format wide --out FILE.csv
        one row per student: student_id, one column per assignment of the course (its score,
        empty when not submitted), total, max_total (the course's full maximum, the same for
        every student: an assignment not submitted counts 0 of its maximum).
    export DIR --format canvas --canvas-gradebook CANVAS.csv --out FILE.csv
                [--column ID=HEADER ...] [--match COLUMN]
        the Canvas gradebook export (canvas.py) with each assignment's column filled: the
        column whose header contains the assignment id, or the one --column names. Students
        are matched on `SIS Login ID` (--match to change it). Scores are scaled to the
        column's Points Possible, which is what Canvas reads. A cell Canvas shows as `N/A`
        (not assigned) or `EX` (excused) is kept. Everything else is unchanged.

grades.csv is read by column name (later columns, e.g. late_by or penalty, are ignored).
Problems that leave part of the grades out (a graded student with no Canvas row, an
assignment with no column) are named on stderr; bad input (a missing or malformed file, an
unknown column) is an error with exit code 2, and then nothing is written. The output is
written to a temporary file and renamed, so it is either complete or not there.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from . import course
from .canvas import (
    IDENTITY_COLUMNS,
    READ_ONLY,
    CanvasError,
    Gradebook,
    canvas_score,
    format_number,
    parse_number,
)
from .grading.report import CONTRACT_COLUMNS
from .grading.state import atomic_write

DEFAULT_MATCH = "SIS Login ID"


class ExportError(Exception):
    """Bad input or an output that cannot be written: exit code 2, nothing written."""


@dataclass(frozen=True)
class Grade:
    student_id: str
    assignment: str
    score: float
    max_score: float
    status: str


def read_grades(folder: Path) -> list[Grade]:
    """The rows of FOLDER/grades.csv, checked; ExportError says what is wrong."""
    folder = Path(folder)
    if not folder.exists():
        raise ExportError(f"the grades folder {folder} does not exist")
    if not folder.is_dir():
        raise ExportError(f"{folder} is not a folder (give the --out folder of `python -m autograder grade`)")
    path = folder / "grades.csv"
    if not path.is_file():
        raise ExportError(
            f"{folder} has no grades.csv: grade first (python -m autograder grade SUBMITTED --out {folder})"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(f"cannot read {path}: {exc}") from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ExportError(f"{path} is not a valid CSV file: {exc}") from None
    if not rows:
        raise ExportError(f"{path} is empty")
    header = rows[0]
    missing = [c for c in CONTRACT_COLUMNS if c not in header]
    if missing:
        raise ExportError(
            f"{path} lacks the column(s) {', '.join(missing)} (its header is {','.join(header)!r})"
        )
    at = {c: header.index(c) for c in CONTRACT_COLUMNS}
    grades, seen = [], set()
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise ExportError(f"{path}, line {line}: {len(row)} field(s), but the header has {len(header)}")
        student, aid, status = row[at["student_id"]], row[at["assignment"]], row[at["status"]]
        score, max_score = (_number(path, line, name, row[at[name]]) for name in ("score", "max_score"))
        if not student or not aid:
            raise ExportError(f"{path}, line {line}: empty student_id or assignment")
        if score > max_score + 1e-9:
            raise ExportError(f"{path}, line {line}: score {score:g} is more than max_score {max_score:g}")
        if (student, aid) in seen:
            raise ExportError(f"{path}, line {line}: a second row for {student} and {aid}")
        seen.add((student, aid))
        grades.append(Grade(student, aid, score, max_score, status))
    if not grades:
        raise ExportError(f"{path} has no grades")
    return grades


def _number(path: Path, line: int, name: str, text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        x = math.nan
    if not math.isfinite(x) or x < 0:
        raise ExportError(f"{path}, line {line}: {name} {text!r} is not a number of points")
    return x


def _course_grades(grades: list[Grade], warn) -> list[Grade]:
    """The grades of course assignments; the others are named on stderr."""
    other = sorted({g.assignment for g in grades if g.assignment not in course.ASSIGNMENTS})
    if other:
        warn(f"ignored: grades.csv rows for {', '.join(other)}, which are not assignments of the course")
    return [g for g in grades if g.assignment in course.ASSIGNMENTS]


# --- wide ------------------------------------------------------------------------------------


def wide_csv(grades: list[Grade], warn=lambda message: None) -> str:
    """One row per student: student_id, each course assignment's score, total, max_total."""
    grades = _course_grades(grades, warn)
    by = {(g.student_id, g.assignment): g for g in grades}
    for g in grades:
        table_max = course.assignment(g.assignment).max_score
        if abs(g.max_score - table_max) > 1e-9:
            warn(
                f"{g.student_id}, {g.assignment}: max_score {g.max_score:g} in grades.csv, {table_max:g} in the "
                f"course table (max_total uses the course table)"
            )
    max_total = sum(a.max_score for a in course.COURSE)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student_id", *course.ASSIGNMENTS, "total", "max_total"])
    for student in sorted({g.student_id for g in grades}):
        mine = [by.get((student, aid)) for aid in course.ASSIGNMENTS]
        total = sum(g.score for g in mine if g is not None)
        w.writerow(
            [
                student,
                *("" if g is None else format_number(g.score) for g in mine),
                format_number(total),
                format_number(max_total),
            ]
        )
    return buf.getvalue()


# --- canvas ----------------------------------------------------------------------------------


def parse_column_options(options: list[str] | None) -> dict[str, str]:
    """--column ID=HEADER options as {assignment id: header}."""
    columns = {}
    for option in options or []:
        aid, sep, header = option.partition("=")
        if not sep or not aid.strip() or not header.strip():
            raise ExportError(
                f"--column {option!r}: write it as ID=HEADER, e.g. "
                f"--column {course.ASSIGNMENTS[0]}='Dual numbers (12345)'"
            )
        aid = aid.strip()
        if aid not in course.ASSIGNMENTS:
            raise ExportError(
                f"--column {option!r}: {aid!r} is not an assignment of the course "
                f"({', '.join(course.ASSIGNMENTS)})"
            )
        if aid in columns:
            raise ExportError(f"--column names {aid} twice")
        columns[aid] = header
    return columns


def _assignment_columns(
    book: Gradebook, graded: list[str], explicit: dict[str, str], source: str, match_col: int, warn
) -> dict[str, int]:
    """{assignment id: column index} for the graded assignments that have a column."""
    header = book.header
    found: dict[str, int] = {}
    for aid, name in explicit.items():
        col = book.column(name)
        if col is None:
            raise ExportError(f"--column {aid}={name}: {source} has no column {name!r}")
        if header[col].strip() in IDENTITY_COLUMNS or col == match_col:
            raise ExportError(f"--column {aid}={name}: {name!r} holds the students' names or ids, not grades")
        if aid not in graded:
            warn(f"--column {aid}={name}: grades.csv has no grades for {aid}; the column is left as it was")
            continue
        found[aid] = col
    for aid in graded:
        if aid in found or aid in explicit:
            continue
        candidates = [i for i, h in enumerate(header) if aid in h and h.strip() not in IDENTITY_COLUMNS]
        if len(candidates) > 1:
            raise ExportError(
                f"several columns of {source} contain {aid!r} "
                f"({', '.join(header[i] for i in candidates)}): choose one with --column {aid}=HEADER"
            )
        if candidates:
            found[aid] = candidates[0]
        else:
            warn(
                f"{aid}: no column of {source} contains {aid!r}, so its grades are not in the output "
                f"(name its column with --column {aid}=HEADER, or add the id to the assignment's name in Canvas)"
            )
    taken: dict[int, str] = {}
    for aid, col in found.items():
        if col in taken:
            raise ExportError(f"{taken[col]} and {aid} would both fill the column {header[col]!r}")
        taken[col] = aid
    return found


def _scale(book: Gradebook, col: int, max_scores: set[float], aid: str, source: str) -> float | None:
    """The column's Points Possible (None: none given, scores are written as they are)."""
    text = book.points_possible(col)
    if text is None or not text.strip():
        if book.points_row is not None and len(max_scores) == 1:
            book.set(book.points_row, col, format_number(max_scores.pop(), book.decimal_mark()))
        return None
    if READ_ONLY in text:
        raise ExportError(f"{aid}: the column {book.header[col]!r} of {source} is read only in Canvas")
    points = parse_number(text)
    if points is None or points <= 0:
        raise ExportError(
            f"{aid}: the Points Possible of column {book.header[col]!r} is {text.strip()!r}, "
            f"not a positive number"
        )
    return points


def fill_canvas(
    grades: list[Grade],
    text: str,
    source: str,
    explicit: dict[str, str] | None = None,
    match: str = DEFAULT_MATCH,
    warn=lambda message: None,
) -> tuple[str, int]:
    """(the gradebook with the grades filled in, the number of cells filled)."""
    try:
        book = Gradebook.parse(text, source)
    except CanvasError as exc:
        raise ExportError(str(exc)) from None
    match_col = book.column(match)
    if match_col is None:
        raise ExportError(
            f"{source} has no column {match!r} to match students on (its columns start "
            f"{', '.join(book.header[:6])}); choose one with --match"
        )
    grades = _course_grades(grades, warn)
    graded = [aid for aid in course.ASSIGNMENTS if any(g.assignment == aid for g in grades)]
    columns = _assignment_columns(book, graded, explicit or {}, source, match_col, warn)
    if not columns:
        raise ExportError(f"no assignment of grades.csv ({', '.join(graded)}) has a column in {source}")

    rows_by_key: dict[str, list[int]] = {}
    for row in book.student_rows:
        key = book.get(row, match_col).strip()
        if key:
            rows_by_key.setdefault(key, []).append(row)
    decimal = book.decimal_mark()
    filled, unmatched = 0, set()
    for aid, col in columns.items():
        mine = [g for g in grades if g.assignment == aid]
        points = _scale(book, col, {g.max_score for g in mine}, aid, source)
        kept: dict[str, list[str]] = {"N/A": [], "EX": []}
        for g in mine:
            rows = rows_by_key.get(g.student_id, [])
            if len(rows) > 1:
                raise ExportError(f"{len(rows)} rows of {source} have {match} {g.student_id!r}")
            if not rows:
                unmatched.add(g.student_id)
                continue
            current = book.get(rows[0], col).strip().upper()
            if current in kept:  # not assigned to them, or excused: Canvas's call
                kept[current].append(g.student_id)
                continue
            book.set(rows[0], col, format_number(canvas_score(g.score, g.max_score, points), decimal))
            filled += 1
        for kind, why in (("N/A", "not assigned in Canvas (N/A) to"), ("EX", "excused in Canvas (EX):")):
            if kept[kind]:
                warn(f"{aid}: {why} {', '.join(sorted(kept[kind]))}; their grade is not in the output")
        graded_ids = {g.student_id for g in mine}
        ungraded = sum(1 for row in book.student_rows if book.get(row, match_col).strip() not in graded_ids)
        if ungraded:
            warn(
                f"{aid}: {ungraded} student row(s) of {source} have no grade in grades.csv; left as they were"
            )
    if unmatched:
        warn(
            f"graded student(s) with no row in {source} (matched on {match!r}): {', '.join(sorted(unmatched))}; "
            f"their grades are not in the output"
        )
    return book.text(), filled


# --- output and command line -----------------------------------------------------------------


def write_output(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename; ExportError if it cannot."""
    path = Path(path)
    parent = path.parent
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a folder")
    if not parent.is_dir():
        raise ExportError(f"cannot write {path}: the folder {parent} does not exist")
    try:
        atomic_write(path, text)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(path, 0o666 & ~mask)  # a plain file for the user, not the temporary file's 0600
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None


def _cmd_export(args) -> int:
    def warn(message: str) -> None:
        print(f"warning: {message}", file=sys.stderr)

    try:
        if args.format == "wide" and (args.canvas_gradebook or args.column or args.match):
            raise ExportError("--canvas-gradebook, --column and --match go with --format canvas")
        grades = read_grades(Path(args.grades))
        if args.format == "wide":
            text = wide_csv(grades, warn)
            write_output(Path(args.out), text)
            print(f"wrote {args.out}: {text.count(chr(10)) - 1} student(s)")
            return 0
        if not args.canvas_gradebook:
            raise ExportError(
                "--format canvas needs --canvas-gradebook CANVAS.csv (Grades > Export in Canvas)"
            )
        source = Path(args.canvas_gradebook)
        try:
            canvas_text = source.read_bytes().decode("utf-8")
        except OSError as exc:
            raise ExportError(f"cannot read {source}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise ExportError(
                f"{source} is not UTF-8 text (export it from Canvas again, or save it as UTF-8 CSV)"
            ) from None
        text, filled = fill_canvas(
            grades,
            canvas_text,
            str(source),
            parse_column_options(args.column),
            args.match or DEFAULT_MATCH,
            warn,
        )
        write_output(Path(args.out), text)
        print(f"wrote {args.out}: {filled} score(s) filled in; import it in Canvas under Grades > Import")
        return 0
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def add_parser(subparsers) -> argparse.ArgumentParser:
    """The `export` subcommand (cli.py adds it)."""
    e = subparsers.add_parser(
        "export",
        help="grades.csv as one row per student, or filled into a Canvas gradebook",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    e.add_argument("grades", metavar="DIR", help="the --out folder of `grade` (it holds grades.csv)")
    e.add_argument("--format", required=True, choices=("wide", "canvas"))
    e.add_argument("--out", required=True, metavar="FILE.csv")
    e.add_argument(
        "--canvas-gradebook", metavar="CANVAS.csv", help="the gradebook exported from Canvas (canvas)"
    )
    e.add_argument(
        "--column",
        action="append",
        metavar="ID=HEADER",
        help="fill this Canvas column with assignment ID (repeatable; canvas)",
    )
    e.add_argument(
        "--match",
        metavar="COLUMN",
        help=f"the Canvas column holding the student ids (default {DEFAULT_MATCH!r})",
    )
    e.set_defaults(func=_cmd_export)
    return e
