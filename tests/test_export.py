"""`python -m autograder export`: the wide table and the Canvas gradebook, and their bad inputs."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograder import course
from autograder.canvas import Gradebook, canvas_score, format_number, parse_number, split_records
from autograder.cli import main

A1, A2, A3 = course.ASSIGNMENTS[:3]
MAX = {a.id: a.max_score for a in course.COURSE}
HEADER = "student_id,assignment,score,max_score,status"


def grades_folder(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    folder = tmp_path / "grades"
    folder.mkdir(exist_ok=True)
    (folder / "grades.csv").write_text("\n".join([header, *rows]) + "\n")
    return folder


def standard_grades(tmp_path: Path) -> Path:
    return grades_folder(
        tmp_path,
        [
            f"alice,{A1},{MAX[A1]:g},{MAX[A1]:g},ok",
            f"alice,{A2},{MAX[A2]:g},{MAX[A2]:g},ok",
            f"bob,{A1},7,{MAX[A1]:g},ok",
            f"bob,{A2},3,{MAX[A2]:g},timeout",
            f"carol,{A2},0,{MAX[A2]:g},invalid_notebook",
        ],
    )


def export(*args: str, capsys=None) -> tuple[int, str, str]:
    code = main(["export", *map(str, args)])
    out, err = capsys.readouterr() if capsys else ("", "")
    return code, out, err


# --- wide ------------------------------------------------------------------------------------


def test_wide_has_a_row_per_student_and_a_column_per_assignment_in_course_order(tmp_path, capsys):
    out = tmp_path / "wide.csv"
    code, _, err = export(standard_grades(tmp_path), "--format", "wide", "--out", out, capsys=capsys)
    assert code == 0, err
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["student_id", *course.ASSIGNMENTS, "total", "max_total"]
    full = sum(MAX.values())
    by = {r["student_id"]: r for r in rows}
    assert list(by) == ["alice", "bob", "carol"]
    assert by["alice"][A1] == f"{MAX[A1]:g}" and by["alice"][A3] == ""
    assert by["bob"][A1] == "7" and by["bob"][A2] == "3" and by["bob"]["total"] == "10"
    assert by["carol"][A1] == "" and by["carol"][A2] == "0" and by["carol"]["total"] == "0"
    assert {r["max_total"] for r in rows} == {format_number(full)}


def test_grades_csv_is_read_by_column_name(tmp_path, capsys):
    header = "assignment,student_id,status,score,max_score,late_by,penalty"
    folder = grades_folder(tmp_path, [f"{A1},zoe,ok,5.5,{MAX[A1]:g},3600,10"], header)
    out = tmp_path / "wide.csv"
    assert export(folder, "--format", "wide", "--out", out, capsys=capsys)[0] == 0
    (row,) = csv.DictReader(out.open())
    assert row["student_id"] == "zoe" and row[A1] == "5.5" and row["total"] == "5.5"


def test_rows_for_folders_that_are_not_assignments_are_named_and_left_out(tmp_path, capsys):
    folder = grades_folder(tmp_path, [f"zoe,{A1},1,{MAX[A1]:g},ok", "zoe,99_extra,0,0,unknown_assignment"])
    code, _, err = export(folder, "--format", "wide", "--out", tmp_path / "w.csv", capsys=capsys)
    assert code == 0 and "99_extra" in err
    assert "99_extra" not in (tmp_path / "w.csv").read_text()


# --- canvas ----------------------------------------------------------------------------------


def canvas_export(
    rows: list[list[str]], delimiter: str = ",", newline: str = "\r\n", bom: bool = True
) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    w.writerows(rows)
    return ("\ufeff" if bom else "") + buf.getvalue()


def standard_canvas(points: tuple[str, str] = ("10.00", "7.00")) -> list[list[str]]:
    return [
        [
            "Student",
            "ID",
            "SIS User ID",
            "SIS Login ID",
            "Section",
            "Notes",
            f"Dual numbers, part 1 {A1} (101)",
            "Euler and RK4 (102)",
            "Current Score",
            "Final Score",
        ],
        ["", "", "", "", "", "", "Manual Posting", "", "", ""],
        ["    Points Possible", "", "", "", "", "", points[0], points[1], "(read only)", "(read only)"],
        ["Smith, Alice", "11", "S1", "alice", "Sec A", 'said "hi"', "", "", "0.00", "0.00"],
        ["Jones, Bob", "12", "S2", "bob", "Sec A", "", "5.00", "N/A", "50.00", "50.00"],
        ["Student, Test", "13", "", "", "Sec A", "", "", "", "", ""],
        ["Ng, Carol", "14", "S3", "carol", "Sec B", "", "EX", "EX", "", ""],
    ]


def run_canvas(tmp_path, capsys, text: str, *extra: str, grades: Path | None = None):
    source = tmp_path / "canvas.csv"
    source.write_bytes(text.encode("utf-8"))
    out = tmp_path / "filled.csv"
    code, stdout, err = export(
        grades or standard_grades(tmp_path),
        "--format",
        "canvas",
        "--canvas-gradebook",
        source,
        "--out",
        out,
        *extra,
        capsys=capsys,
    )
    return code, out, err


def cells(text: str, delimiter: str = ",") -> list[list[str]]:
    return [r.values() for r in split_records(text.lstrip("\ufeff"), delimiter)]


def test_canvas_fills_the_assignment_columns_and_changes_nothing_else(tmp_path, capsys):
    original = canvas_export(standard_canvas())
    code, out, err = run_canvas(tmp_path, capsys, original, "--column", f"{A2}=Euler and RK4 (102)")
    assert code == 0, err
    written = out.read_bytes().decode("utf-8")
    assert written.startswith("\ufeff") and written.count("\r\n") == original.count("\r\n")
    before, after = cells(original), cells(written)
    changed = {
        (i, j)
        for i, (r0, r1) in enumerate(zip(before, after))
        for j, (a, b) in enumerate(zip(r0, r1))
        if a != b
    }
    assert changed == {(3, 6), (3, 7), (4, 6)}  # alice's two scores, bob's first
    assert after[3][6] == "10" and after[3][7] == "7"  # full marks on Canvas's scale
    assert after[4][6] == format_number(7 * 10 / MAX[A1])  # 7 of MAX[A1], scaled to 10 points
    assert after[4][7] == "N/A"  # not assigned to bob in Canvas
    # untouched lines are the same bytes, quoting included
    assert written.split("\r\n")[6] == original.split("\r\n")[6]
    for i, (line0, line1) in enumerate(zip(original.split("\r\n"), written.split("\r\n"))):
        if i not in (3, 4):
            assert line0 == line1
    assert '"said ""hi"""' in written.split("\r\n")[3] and '"Dual numbers, part 1' in written.split("\r\n")[0]
    assert after[6][7] == "EX"  # carol is excused: Canvas's call
    assert "not assigned in Canvas (N/A) to bob" in err  # the grades left out are named
    assert "excused in Canvas (EX): carol" in err


def test_canvas_names_assignments_without_a_column(tmp_path, capsys):
    code, out, err = run_canvas(tmp_path, capsys, canvas_export(standard_canvas()))
    assert code == 0 and f"{A2}: no column" in err and f"--column {A2}=HEADER" in err
    assert out.exists()


def test_canvas_with_semicolons_decimal_commas_lf_and_no_bom(tmp_path, capsys):
    rows = standard_canvas(points=("10,00", "7,00"))
    original = canvas_export(rows, delimiter=";", newline="\n", bom=False)
    code, out, err = run_canvas(tmp_path, capsys, original, "--column", f"{A2}=Euler and RK4 (102)")
    assert code == 0, err
    written = out.read_text()
    assert not written.startswith("\ufeff") and "\r" not in written
    after = cells(written, ";")
    assert after[4][6] == format_number(7 * 10 / MAX[A1], ",") and "," in after[4][6]
    assert after[0] == rows[0]


def test_canvas_matches_on_another_column(tmp_path, capsys):
    grades = grades_folder(tmp_path, [f"S2,{A1},7,{MAX[A1]:g},ok"])
    code, out, err = run_canvas(
        tmp_path, capsys, canvas_export(standard_canvas()), "--match", "SIS User ID", grades=grades
    )
    assert code == 0, err
    assert cells(out.read_text())[4][6] == format_number(7 * 10 / MAX[A1])


def test_a_column_without_points_possible_gets_the_raw_score_and_our_maximum(tmp_path, capsys):
    code, out, err = run_canvas(tmp_path, capsys, canvas_export(standard_canvas(points=("", "7.00"))))
    assert code == 0, err
    after = cells(out.read_text())
    assert after[2][6] == format_number(MAX[A1]) and after[4][6] == "7"


def test_quoted_cells_stay_quoted_when_filled():
    text = 'Student,ID,SIS Login ID,Section,A (1)\n    Points Possible,,,,"10"\n"B",1,bob,S,"4.00"\n'
    book = Gradebook.parse(text)
    book.set(2, 4, "8")
    assert book.text() == text.replace('"4.00"', '"8"')


@given(
    st.lists(
        st.lists(st.text(alphabet='ab ,;"\n\u00e9', max_size=6), min_size=5, max_size=5),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from([",", ";"]),
    st.sampled_from(["\r\n", "\n"]),
    st.booleans(),
)
def test_any_gradebook_is_written_back_byte_for_byte(body, delimiter, newline, quote_all):
    rows = [["Student", "ID", "SIS Login ID", "Section", "A (1)"], *body]
    buf = io.StringIO()
    csv.writer(
        buf,
        delimiter=delimiter,
        lineterminator=newline,
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    ).writerows(rows)
    text = buf.getvalue()
    records = split_records(text, delimiter)
    assert [r.values() for r in records] == rows
    assert "".join(delimiter.join(c.raw for c in r.cells) + r.end for r in records) == text


def test_scores_on_canvas_scale():
    assert canvas_score(7, 14, 10) == 5 and canvas_score(3, 7, None) == 3 and canvas_score(0, 0, 10) == 0
    assert [format_number(x) for x in (12.0, 12.5, 12.333, 0.004, -0.0)] == ["12", "12.5", "12.33", "0", "0"]
    assert (
        parse_number("10.00") == 10 and parse_number(" 7,5 ") == 7.5 and parse_number("(read only)") is None
    )


# --- bad input: exit code 2, a clear message, nothing written --------------------------------


def _no_login(rows):
    return [[c for j, c in enumerate(r) if j != 3] for r in rows]


@pytest.mark.parametrize(
    "case, canvas_rows, extra, expected",
    [
        ("no SIS Login ID", _no_login(standard_canvas()), [], "no column 'SIS Login ID'"),
        ("unknown --match", standard_canvas(), ["--match", "Email"], "no column 'Email'"),
        (
            "--column unknown assignment",
            standard_canvas(),
            ["--column", "99_x=Euler and RK4 (102)"],
            "'99_x' is not an assignment",
        ),
        (
            "--column unknown header",
            standard_canvas(),
            ["--column", f"{A2}=Euler (999)"],
            "has no column 'Euler (999)'",
        ),
        ("--column without =", standard_canvas(), ["--column", A2], "write it as ID=HEADER"),
        ("--column on an id column", standard_canvas(), ["--column", f"{A2}=SIS User ID"], "names or ids"),
        (
            "--column on a read-only column",
            standard_canvas(),
            ["--column", f"{A2}=Current Score"],
            "read only",
        ),
        ("not a gradebook", [["name", "score"], ["a", "1"]], [], "does not look like a Canvas gradebook"),
        ("rows of different lengths", standard_canvas() + [["x", "1"]], [], "line 8: 2 fields"),
        ("no column for any assignment", [r[:6] + r[8:] for r in standard_canvas()], [], "has a column"),
        (
            "two columns contain the id",
            [r + [r[6]] for r in standard_canvas()],
            [],
            "choose one with --column",
        ),
        ("two rows for one student", standard_canvas() + [standard_canvas()[4]], [], "2 rows of"),
    ],
)
def test_bad_canvas_input_is_an_error_and_writes_nothing(
    tmp_path, capsys, case, canvas_rows, extra, expected
):
    code, out, err = run_canvas(tmp_path, capsys, canvas_export(canvas_rows), *extra)
    assert code == 2, case
    assert expected in err and "\nerror: " in "\n" + err
    assert not out.exists() and not list(tmp_path.glob(".filled.csv*"))


def test_a_canvas_file_that_is_not_utf8_or_missing(tmp_path, capsys):
    source = tmp_path / "canvas.csv"
    source.write_bytes(
        canvas_export(standard_canvas(), bom=False).replace("Jones", "J\u00f6nes").encode("latin-1")
    )
    out = tmp_path / "o.csv"
    code, _, err = export(
        standard_grades(tmp_path),
        "--format",
        "canvas",
        "--canvas-gradebook",
        source,
        "--out",
        out,
        capsys=capsys,
    )
    assert code == 2 and "not UTF-8" in err and not out.exists()
    code, _, err = export(
        standard_grades(tmp_path),
        "--format",
        "canvas",
        "--canvas-gradebook",
        tmp_path / "none.csv",
        "--out",
        out,
        capsys=capsys,
    )
    assert code == 2 and "cannot read" in err and not out.exists()
    code, _, err = export(standard_grades(tmp_path), "--format", "canvas", "--out", out, capsys=capsys)
    assert code == 2 and "--canvas-gradebook" in err


@pytest.mark.parametrize(
    "case, rows, header, expected",
    [
        (
            "missing column",
            ["alice,x,1,2"],
            "student_id,assignment,score,max_score",
            "lacks the column(s) status",
        ),
        ("score not a number", [f"alice,{A1},many,{MAX[A1]:g},ok"], HEADER, "score 'many' is not a number"),
        ("negative score", [f"alice,{A1},-1,{MAX[A1]:g},ok"], HEADER, "score '-1'"),
        ("score above the maximum", [f"alice,{A1},99,{MAX[A1]:g},ok"], HEADER, "is more than max_score"),
        ("missing field", [f"alice,{A1},1,ok"], HEADER, "line 2: 4 field(s)"),
        ("duplicate row", [f"alice,{A1},1,{MAX[A1]:g},ok"] * 2, HEADER, "line 3: a second row for alice"),
        ("empty student", [f",{A1},1,{MAX[A1]:g},ok"], HEADER, "empty student_id"),
        ("no rows", [], HEADER, "has no grades"),
        ("unclosed quote", [f'"alice,{A1},1,{MAX[A1]:g},ok'], HEADER, "line 2: 1 field(s)"),
    ],
)
@pytest.mark.parametrize("fmt", ["wide", "canvas"])
def test_a_malformed_grades_csv_is_an_error(tmp_path, capsys, case, rows, header, expected, fmt):
    folder = grades_folder(tmp_path, rows, header)
    if fmt == "wide":
        out = tmp_path / "wide.csv"
        code, _, err = export(folder, "--format", "wide", "--out", out, capsys=capsys)
    else:
        code, out, err = run_canvas(tmp_path, capsys, canvas_export(standard_canvas()), grades=folder)
    assert code == 2, case
    assert expected in err, err
    assert not out.exists()


def test_a_missing_grades_folder_or_grades_csv(tmp_path, capsys):
    out = tmp_path / "w.csv"
    code, _, err = export(tmp_path / "nowhere", "--format", "wide", "--out", out, capsys=capsys)
    assert code == 2 and "does not exist" in err
    (tmp_path / "empty").mkdir()
    code, _, err = export(tmp_path / "empty", "--format", "wide", "--out", out, capsys=capsys)
    assert code == 2 and "has no grades.csv" in err and "python -m autograder grade" in err
    assert not out.exists()


def test_an_output_that_cannot_be_written(tmp_path, capsys):
    grades = standard_grades(tmp_path)
    code, _, err = export(
        grades, "--format", "wide", "--out", tmp_path / "no" / "such" / "w.csv", capsys=capsys
    )
    assert code == 2 and "does not exist" in err and not (tmp_path / "no").exists()
    code, _, err = export(grades, "--format", "wide", "--out", tmp_path, capsys=capsys)
    assert code == 2 and "is a folder" in err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = export(grades, "--format", "wide", "--out", blocker / "w.csv", capsys=capsys)
    assert code == 2 and "cannot write" in err


def test_an_existing_output_is_untouched_on_error_and_replaced_whole_on_success(tmp_path, capsys):
    out = tmp_path / "w.csv"
    out.write_text("previous\n")
    code, _, _ = export(tmp_path / "nowhere", "--format", "wide", "--out", out, capsys=capsys)
    assert code == 2 and out.read_text() == "previous\n"
    assert export(standard_grades(tmp_path), "--format", "wide", "--out", out, capsys=capsys)[0] == 0
    assert out.read_text().startswith("student_id,")
    assert oct(out.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".w.csv")] == []


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_canvas_options_with_the_wide_format_are_refused(tmp_path, capsys):
    code, _, err = export(
        standard_grades(tmp_path),
        "--format",
        "wide",
        "--out",
        tmp_path / "w.csv",
        "--match",
        "ID",
        capsys=capsys,
    )
    assert code == 2 and "--format canvas" in err
