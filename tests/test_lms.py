"""LMS import files: real CSV files written to tmp_path and read back with the csv module."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

import pytest

from grader.cohort.lms import Lms, Person, Row, points, read_roster, text, write
from grader.errors import UsageError

HEADER = "name,lms_id,login,sis_id,email,section,github,sid,student"
ROSTER = [
    HEADER,
    "Ann Lee,101,alee,S1,Ann@Uni.edu,A,AnnGH,1001,",
    "Bob Ray,102,bray,S2,bob@uni.edu,B,,1002,bobby|b-ray",
    "Cy Dee,103,cdee,S3,cy@uni.edu,A,cygh,1003,",
    "Di Fox,104,dfox,S4,di@uni.edu,B,digh,1004,",
]
COLUMN = "Homework 1 (12345)"


def roster_file(tmp_path: Path, lines: Sequence[str], bom: bool = False) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(("\ufeff" if bom else "") + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def roster(tmp_path: Path, lines: Sequence[str] = ROSTER) -> list[Person]:
    return read_roster(roster_file(tmp_path, lines))


def read(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def by_first(path: Path) -> dict[str, list[str]]:
    return {row[0]: row for row in read(path)[1:]}


def export(tmp_path: Path, lms: Lms, rows: Sequence[Row], people: list[Person] | None) -> Path:
    files = write(lms, rows, people, tmp_path / "out", COLUMN)
    assert [f.name for f in files][1:] == ["ungradable.csv"]
    return files[0]


ROWS = [
    Row("anngh+BOBBY", 10.5, 12),  # a group: Ann by github, Bob by a `student` alias
    Row("1003", None, 12, "no readable notebook"),  # Cy by sid, ungradable
    Row("zed", 7, 12),  # not in the roster
]  # Di has no row: no submission


def test_canvas_layout_is_the_documented_one(tmp_path: Path) -> None:
    table = read(export(tmp_path, Lms.CANVAS, ROWS, roster(tmp_path)))
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", COLUMN]
    assert table[1] == ["Points Possible", "", "", "", "", "12"]
    assert table[2:] == [
        ["Ann Lee", "101", "S1", "alee", "A", "10.5"],
        ["Bob Ray", "102", "S2", "bray", "B", "10.5"],
    ]


def test_no_grade_is_never_a_zero_and_always_listed(tmp_path: Path) -> None:
    people = roster(tmp_path)
    for lms in (Lms.CANVAS, Lms.MOODLE):
        table = read(export(tmp_path, lms, ROWS, people))
        assert all(row[-1] not in ("", "0") for row in table[1:]), lms
        assert not {"Cy Dee", "Di Fox", "cy@uni.edu", "di@uni.edu"} & {c for r in table for c in r}
    blanks = by_first(tmp_path / "out" / "ungradable.csv")
    assert blanks == {
        "1003": ["1003", "Cy Dee", "no readable notebook"],
        "di@uni.edu": ["di@uni.edu", "Di Fox", "no submission"],
        "zed": ["zed", "", "not in the roster (score 7/12)"],
    }


def test_generic_keeps_a_blank_score_for_every_person(tmp_path: Path) -> None:
    table = read(export(tmp_path, Lms.GENERIC, ROWS, roster(tmp_path)))
    assert table[0] == [
        *("student", "name", "lms_id", "email", "section"),
        *("score", "max_score", "percent", "status"),
    ]
    rows = {row[1] or row[0]: row[5:] for row in table[1:]}
    assert rows == {
        "Ann Lee": ["10.5", "12", "87.5", "graded"],
        "Bob Ray": ["10.5", "12", "87.5", "graded"],
        "Cy Dee": ["", "12", "", "ungradable"],
        "Di Fox": ["", "12", "", "no submission"],
        "zed": ["7", "12", "58.33", "not in roster"],
    }


@pytest.mark.parametrize(
    "student",
    ["BobbY", "b-ray", "1002", "BOB@uni.edu", "bray", "s2", "  bob@UNI.edu "],
    ids=["student", "student-second", "sid", "email", "login", "sis_id", "spaces"],
)
def test_every_alias_kind_matches_case_insensitively(tmp_path: Path, student: str) -> None:
    table = read(export(tmp_path, Lms.CANVAS, [Row(student, 9, 12)], roster(tmp_path)))
    assert [row[0] for row in table[2:]] == ["Bob Ray"]


def test_github_alias_and_group_give_every_member_the_score(tmp_path: Path) -> None:
    rows = [Row("ANNGH+cygh+1004", 4, 12)]
    table = read(export(tmp_path, Lms.CANVAS, rows, roster(tmp_path)))
    assert {row[0]: row[5] for row in table[2:]} == {"Ann Lee": "4", "Cy Dee": "4", "Di Fox": "4"}


def test_a_group_member_not_in_the_roster_is_listed(tmp_path: Path) -> None:
    export(tmp_path, Lms.CANVAS, [Row("anngh+ghost", 5, 12)], roster(tmp_path))
    blanks = by_first(tmp_path / "out" / "ungradable.csv")
    assert blanks["ghost"] == ["ghost", "", "not in the roster (score 5/12)"]


def test_an_email_with_a_plus_tag_is_one_id(tmp_path: Path) -> None:
    lines = [*ROSTER, "Eve Gray,105,egray,S5,eve+ml@uni.edu,A,,,"]
    table = read(
        export(tmp_path, Lms.CANVAS, [Row("Eve+ML@uni.edu", 6, 12)], roster(tmp_path, lines))
    )
    assert [row[0] for row in table[2:]] == ["Eve Gray"]


def test_an_id_with_a_plus_in_the_roster_is_not_split(tmp_path: Path) -> None:
    lines = [HEADER, "Ann,101,,,,,,,Team+Rocket", "Bob,102,,,,,team,,", "Cy,103,,,,,rocket,,"]
    table = read(export(tmp_path, Lms.CANVAS, [Row("TEAM+ROCKET", 6, 12)], roster(tmp_path, lines)))
    assert [row[0] for row in table[2:]] == ["Ann"]


def test_without_a_roster_an_email_with_a_plus_tag_stays_whole(tmp_path: Path) -> None:
    rows = [Row("Ann+cs@uni.edu", 1, 2), Row("a@uni.edu+b@uni.edu", 2, 2)]
    table = read(export(tmp_path, Lms.GENERIC, rows, None))
    assert [row[0] for row in table[1:]] == ["Ann+cs@uni.edu", "a@uni.edu", "b@uni.edu"]


def test_the_best_of_two_entries_counts(tmp_path: Path) -> None:
    rows = [Row("anngh", 3, 12), Row("anngh+bobby", 8, 12), Row("alee", None, 12, "crash")]
    table = read(export(tmp_path, Lms.CANVAS, rows, roster(tmp_path)))
    assert {row[0]: row[5] for row in table[2:]} == {"Ann Lee": "8", "Bob Ray": "8"}


def test_moodle_writes_one_identifier_and_the_grade(tmp_path: Path) -> None:
    table = read(export(tmp_path, Lms.MOODLE, ROWS, roster(tmp_path)))
    assert table == [["Email address", COLUMN], ["Ann@Uni.edu", "10.5"], ["bob@uni.edu", "10.5"]]


def test_moodle_falls_back_to_id_number_and_lists_who_lacks_it(tmp_path: Path) -> None:
    lines = [HEADER, "Ann,101,,,,,a,,", "Bob,102,,,b@uni.edu,,b,,", "Cy,,,,,,c,,"]
    rows = [Row("a", 1, 2), Row("b", 2, 2), Row("c", 0, 2)]
    table = read(export(tmp_path, Lms.MOODLE, rows, roster(tmp_path, lines)))
    assert table == [["ID number", COLUMN], ["101", "1"], ["102", "2"]]
    blanks = by_first(tmp_path / "out" / "ungradable.csv")
    assert blanks["c"] == ["c", "Cy", "no id number in the roster (score 0/2)"]


@pytest.mark.parametrize("lms", [Lms.CANVAS, Lms.MOODLE])
def test_canvas_and_moodle_need_a_roster(tmp_path: Path, lms: Lms) -> None:
    with pytest.raises(UsageError, match="--roster") as caught:
        write(lms, ROWS, None, tmp_path / "out", COLUMN)
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_generic_without_a_roster_has_a_row_per_member(tmp_path: Path) -> None:
    rows = [Row("a+b", 1, 2), Row("c", None, 2, "timeout")]
    table = read(export(tmp_path, Lms.GENERIC, rows, None))
    assert [(row[0], row[5], row[8]) for row in table[1:]] == [
        ("a", "1", "graded"),
        ("b", "1", "graded"),
        ("c", "", "ungradable"),
    ]
    assert read(tmp_path / "out" / "ungradable.csv")[1:] == [["c", "", "timeout"]]


def test_canvas_rejects_a_column_it_would_ignore(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="Canvas ignores"):
        write(Lms.CANVAS, ROWS, roster(tmp_path), tmp_path / "out", "Final Score")


def test_a_score_that_is_not_a_number_is_ungradable(tmp_path: Path) -> None:
    table = read(export(tmp_path, Lms.GENERIC, [Row("a", math.nan, 2)], None))
    assert table[1][5:] == ["", "2", "", "ungradable"]


def test_csv_injection_is_neutralised(tmp_path: Path) -> None:
    lines = [HEADER, '"=HYPERLINK(""http://x"")",-7,@bob,+1,,-A,ann,,']
    rows = [Row("ann", 1, 2), Row("=cmd|' /C calc'!A0", 1, 2)]
    table = read(export(tmp_path, Lms.CANVAS, rows, roster(tmp_path, lines)))
    assert table[2] == ['\'=HYPERLINK("http://x")', "-7", "+1", "'@bob", "'-A", "1"]
    blanks = read(tmp_path / "out" / "ungradable.csv")
    assert blanks[1][0] == "'=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("-12", "-12"),
        ("+1.5", "+1.5"),
        ("-1e5", "-1e5"),
        ("-x", "'-x"),
        ("@a", "'@a"),
        ("\rA", "'\rA"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_text_prefixes_formulas_but_not_numbers(value: str, shown: str) -> None:
    assert text(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.5, "0.5"),
        (12.0, "12"),
        (1234567.25, "1234567.25"),
        (1234567.0, "1234567"),
        (1e20, "100000000000000000000"),
        (-0.0, "0"),
        (1 / 3, "0.333333"),
        (0.1 + 0.2, "0.3"),
        (-2.5, "-2.5"),
    ],
)
def test_points_are_shown_like_a_spreadsheet(value: float, shown: str) -> None:
    assert points(value) == shown


def test_large_scores_are_written_without_an_exponent(tmp_path: Path) -> None:
    rows = [Row("anngh", 1234567.25, 2000000), Row("bobby", 0.5, 2000000)]
    table = read(export(tmp_path, Lms.CANVAS, rows, roster(tmp_path)))
    assert table[1][5] == "2000000"
    assert [row[5] for row in table[2:]] == ["1234567.25", "0.5"]


def test_roster_reads_a_bom_and_any_column_case_and_order(tmp_path: Path) -> None:
    path = roster_file(tmp_path, ["GitHub,Name,Student", "X1,Ann, a1 | A2 |"], bom=True)
    assert read_roster(path) == [Person("Ann", "", "", "", "", "", frozenset({"x1", "a1", "a2"}))]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["name,github,twitter", "Ann,a,@a"], r"line 1: unknown column 'twitter' \(known: name,"),
        (
            [HEADER, ROSTER[1], ROSTER[2], "Eve,,,,ANN@uni.edu,,,,"],
            r"line 4: .*'ann@uni.edu'.*line 2",
        ),
        (["name,student", "Ann,a|b", "", "Bob,c|B"], r"line 4: id 'b' is also on line 2"),
        ([""], r"line 1: no header"),
        (["section", "A"], r"line 1: needs a name column or an id column"),
        (["name,github", "Ann,a,extra"], r"line 2: 3 cells"),
        (["name,github", 'Ann,"a'], r"line 2: "),
        (["name,github", "Ann,a", ",,", "", "Bob,b,c"], r"line 5: 3 cells"),
    ],
    ids=["unknown", "shared-email", "shared-student", "empty", "no-id", "cells", "quote", "later"],
)
def test_roster_errors_are_one_line_naming_the_line(
    tmp_path: Path, lines: list[str], expected: str
) -> None:
    path = roster_file(tmp_path, lines)
    with pytest.raises(UsageError, match=expected) as caught:
        read_roster(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_blank_roster_lines_are_skipped_but_an_empty_roster_is_an_error(tmp_path: Path) -> None:
    path = roster_file(tmp_path, ["name,github", ",", "Ann,a", " , ", "", "Bob,b"])
    assert [p.name for p in read_roster(path)] == ["Ann", "Bob"]
    with pytest.raises(UsageError, match="lists no students"):
        read_roster(roster_file(tmp_path, ["name,github", ","]))


def test_a_missing_roster_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such roster file"):
        read_roster(tmp_path / "absent.csv")


def test_files_are_replaced_whole(tmp_path: Path) -> None:
    people = roster(tmp_path)
    export(tmp_path, Lms.CANVAS, ROWS, people)
    export(tmp_path, Lms.CANVAS, [Row("anngh", 1, 12)], people)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["canvas.csv", "ungradable.csv"]
    assert len(read(tmp_path / "out" / "canvas.csv")) == 3
