"""A Canvas gradebook export, read and written back with only the cells we fill changed.

The format, as Canvas writes it (Grades > Export; `GradebookExporter` in canvas-lms) and reads
it back (Grades > Import; `GradebookImporter`):

- Text, UTF-8, possibly starting with a byte-order mark (a per-user Canvas setting for
  Excel). Fields are separated by `,`, or by `;` (a per-user setting, or automatic for
  locales whose decimal mark is a comma); Canvas's importer picks the separator that gives the
  same number of fields on the first lines. Fields holding the separator, a quote or a line
  break are quoted with `"`, a quote inside doubled (RFC 4180).
- Row 1, the header: `Student` (or `LastName`, `FirstName`), `ID` (Canvas's user id), then
  `SIS User ID` (when SIS ids are shown), `SIS Login ID`, maybe `Integration ID` and
  `Root Account`, then `Section`; then custom gradebook columns (free text); then one column
  per assignment, headed by its title and Canvas id: `Dual numbers (12345)`; then read-only
  totals: `Current Score`, `Unposted Current Score`, `Final Score`, `Current Points`,
  `Current Grade`, ..., per assignment group too.
- Maybe a row whose cells are empty or `Manual Posting` (`Muted` in older exports): the
  assignments whose grades are posted by hand. The importer skips it.
- The row whose first cell contains `Points Possible` (written `    Points Possible`): each
  assignment's points, and `(read only)` under the columns an import cannot change.
- One row per student: the name (`="..."` when it starts with `=`), the ids, the section, and
  each assignment's score as Canvas shows it (two decimals at most, the locale's decimal
  mark), `EX` for excused, `N/A` where the assignment is not assigned to the student, or
  empty. The Test Student of "Student View" appears as a student row too.

On import, a cell of a points-graded assignment is read as points on the assignment's own
scale (its Points Possible), a number with `%` as a percentage of it; Canvas never rescales a
score to the assignment's points. Both `.` and `,` are read as the decimal mark. So the
export writes each score scaled to the column's Points Possible (see `canvas_score`).

`Gradebook` keeps every field's exact text, its separators and every line ending, so
writing it back changes only the cells that were set: same column order, same quoting of the
untouched cells, same line endings, same byte-order mark.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BOM = "\ufeff"
IDENTITY_COLUMNS = (
    "Student",
    "LastName",
    "FirstName",
    "ID",
    "SIS User ID",
    "SIS Login ID",
    "Integration ID",
    "Root Account",
    "Section",
)
READ_ONLY = "(read only)"
_HIDDEN_CELL = re.compile(r"^\s*(Muted|Manual Posting.*)?\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*-?(\d+([.,]\d*)?|[.,]\d+)\s*$")


class CanvasError(ValueError):
    """The file is not a Canvas gradebook export we can fill (the message says why)."""


@dataclass
class Cell:
    raw: str  # the field exactly as in the file (quotes included)
    value: str  # its text

    @property
    def quoted(self) -> bool:
        return self.raw.startswith('"')


@dataclass
class Record:
    cells: list[Cell]
    end: str  # the line ending that closed it ("" at the end of the file)

    def values(self) -> list[str]:
        return [c.value for c in self.cells]


def split_records(text: str, delimiter: str) -> list[Record]:
    """RFC 4180 records, each field with its raw text, each record with its line ending."""
    records, cells = [], []
    i, n = 0, len(text)
    if n == 0:
        return []
    while True:
        start = i
        if i < n and text[i] == '"':
            i += 1
            parts = []
            while True:
                j = text.find('"', i)
                if j < 0:
                    raise CanvasError(f"a quoted field that starts at character {start} is never closed")
                parts.append(text[i:j])
                if j + 1 < n and text[j + 1] == '"':
                    parts.append('"')
                    i = j + 2
                    continue
                i = j + 1
                break
            value = "".join(parts)
            while i < n and text[i] not in (delimiter, "\r", "\n"):  # lenient: text after the quote
                value += text[i]
                i += 1
        else:
            while i < n and text[i] not in (delimiter, "\r", "\n"):
                i += 1
            value = text[start:i]
        cells.append(Cell(text[start:i], value))
        if i < n and text[i] == delimiter:
            i += 1
            continue
        if i >= n:
            records.append(Record(cells, ""))
            break
        end = "\r\n" if text.startswith("\r\n", i) else text[i]
        i += len(end)
        records.append(Record(cells, end))
        cells = []
        if i >= n:
            break
    return records


def detect_delimiter(text: str) -> str:
    """`;` if it splits the first lines into the same, larger number of fields than `,` does
    (Canvas's importer's rule), else `,`."""
    counts = {}
    for sep in (",", ";"):
        try:
            records = split_records(text, sep)[:3]
        except CanvasError:
            counts[sep] = 0
            continue
        sizes = {len(r.cells) for r in records}
        counts[sep] = sizes.pop() if len(sizes) == 1 else 0
    return ";" if counts[";"] > counts[","] else ","


def _is_hidden_row(values: list[str]) -> bool:
    return all(_HIDDEN_CELL.match(v) for v in values)


def parse_number(text: str) -> float | None:
    """A number as Canvas writes it (`12`, `12.50`, `12,50`), or None."""
    if not _NUMBER.match(text):
        return None
    return float(text.strip().replace(",", "."))


@dataclass
class Gradebook:
    """A Canvas gradebook export, editable cell by cell, written back byte for byte."""

    bom: str
    delimiter: str
    records: list[Record]
    points_row: int | None  # index of the "Points Possible" record
    student_rows: list[int] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str, source: str = "the Canvas gradebook") -> Gradebook:
        bom = BOM if text.startswith(BOM) else ""
        body = text[len(bom) :]
        if not body.strip():
            raise CanvasError(f"{source} is empty")
        delimiter = detect_delimiter(body)
        records = split_records(body, delimiter)
        header = records[0].values()
        if not (
            len(header) > 3
            and (
                "Student" in header[0]
                and "ID" in header[1]
                or "LastName" in header[0]
                and "FirstName" in header[1]
            )
        ):
            raise CanvasError(
                f"{source} does not look like a Canvas gradebook export: its first row should "
                f"start with Student,ID,... (Grades > Export in Canvas); it starts with "
                f"{delimiter.join(header[:4])!r}"
            )
        points_row, students = None, []
        for i, record in enumerate(records[1:], start=1):
            values = record.values()
            if len(values) == 1 and not values[0].strip():
                continue  # a blank line
            if len(values) != len(header):
                raise CanvasError(
                    f"{source}, line {_line_of(records, i)}: {len(values)} fields, but the header "
                    f"has {len(header)}"
                )
            if values[0] and "Points Possible" in values[0]:
                points_row = i
            elif _is_hidden_row(values):
                continue
            else:
                students.append(i)
        return cls(bom, delimiter, records, points_row, students)

    @property
    def header(self) -> list[str]:
        return self.records[0].values()

    def column(self, name: str) -> int | None:
        """The index of the column headed exactly `name` (surrounding spaces ignored)."""
        for i, h in enumerate(self.header):
            if h.strip() == name.strip():
                return i
        return None

    def get(self, row: int, col: int) -> str:
        return self.records[row].cells[col].value

    def set(self, row: int, col: int, value: str) -> None:
        """Set one cell; it keeps its quoting if it was quoted, and is quoted if it must be."""
        cell = self.records[row].cells[col]
        needs_quotes = any(ch in value for ch in (self.delimiter, '"', "\r", "\n"))
        raw = '"' + value.replace('"', '""') + '"' if (cell.quoted or needs_quotes) else value
        self.records[row].cells[col] = Cell(raw, value)

    def points_possible(self, col: int) -> str | None:
        return self.get(self.points_row, col) if self.points_row is not None else None

    def decimal_mark(self) -> str:
        """`,` when the file writes its numbers that way (a `;`-separated export), else `.`."""
        if self.delimiter == ";":
            for record in self.records[1:]:
                if any(re.match(r"^\s*-?\d+,\d+\s*$", c.value) for c in record.cells):
                    return ","
        return "."

    def text(self) -> str:
        return self.bom + "".join(self.delimiter.join(c.raw for c in r.cells) + r.end for r in self.records)


def _line_of(records: list[Record], index: int) -> int:
    """The 1-based line where record `index` starts (a quoted field may span lines)."""
    before = "".join(",".join(c.raw for c in r.cells) + r.end for r in records[:index])
    return 1 + len(re.findall(r"\r\n|\r|\n", before))


def canvas_score(score: float, max_score: float, points_possible: float | None) -> float:
    """The score as Canvas reads it: on the assignment's Points Possible when it has one."""
    if points_possible is None:
        return score
    return score * points_possible / max_score if max_score > 0 else 0.0


def format_number(x: float, decimal_mark: str = ".") -> str:
    """At most two decimals, as Canvas shows scores: 12, 12.5, 12.33."""
    text = f"{round(x, 2):.2f}".rstrip("0").rstrip(".")
    text = "0" if text in ("-0", "") else text
    return text.replace(".", decimal_mark)
