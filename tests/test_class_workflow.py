"""The instructor's class workflow end to end, with real commands on real layouts.

A `gh classroom clone`-like folder is built from the generated student template (git
repositories with commits at known times), beside a Gradescope export and zips of whole
repositories; `grade-class` runs as a subprocess, and its grades, late penalties, LMS file,
feedback files, similarity pairs and report (in headless chromium) are checked. Classes
are graded with --only tensors (a few seconds per submission).
"""

from __future__ import annotations

import ast
import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader import layout
from tests.conftest import SOLUTIONS, Maximum
from tests.test_grade_class import grade_class, rows, screenshot

ROOT = Path(__file__).resolve().parents[1]
CORRECT = ROOT / "tests" / "students" / "correct"
TEMPLATE = [sys.executable, "-m", "grader.template", "student"]
DEADLINE = "2026-12-01T00:00:00+00:00"


def student_template(folder: Path) -> Path:
    done = subprocess.run(
        [*TEMPLATE, str(folder), "--exercises", str(ROOT / "exercises"), "--grader", "x==1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return folder


def renamed(source: str) -> str:
    """The same code with every argument and local variable renamed and no comments or
    docstrings: what a student who copies and disguises hands in."""
    tree = ast.parse(source)
    names = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    } | {node.arg for node in ast.walk(tree) if isinstance(node, ast.arg)}
    names -= {"self"} | {k.arg for k in ast.walk(tree) if isinstance(k, ast.keyword) and k.arg}
    mapping = {name: f"v_{i}" for i, name in enumerate(sorted(names))}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in mapping:
            node.id = mapping[node.id]
        elif isinstance(node, ast.arg) and node.arg in mapping:
            node.arg = mapping[node.arg]
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Module)) and ast.get_docstring(
            node
        ):
            node.body = node.body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def committed(template: Path, repo: Path, tensors: str | None, when: str) -> Path:
    """A student's clone: the template with their tensors.py (None: the folder removed),
    committed at `when`."""
    shutil.copytree(template, repo)
    if tensors is None:
        shutil.rmtree(repo / "exercises")
    else:
        (repo / "exercises" / "tensors.py").write_text(tensors, encoding="utf-8")
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
        "GIT_AUTHOR_NAME": "s",
        "GIT_AUTHOR_EMAIL": "s@example.org",
        "GIT_COMMITTER_NAME": "s",
        "GIT_COMMITTER_EMAIL": "s@example.org",
    }
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "work"]):
        subprocess.run(["git", "-C", str(repo), *command], env=env, check=True)
    return repo


ROSTER = """name,lms_id,sis_id,login,section,github,email
Alice A,101,S1,alice1,A,alice,alice@uni.edu
Bob B,102,S2,bob2,A,bob,
Carol C,103,S3,carol3,B,carol,
Dave D,104,S4,dave4,B,dave,
Erin E,105,S5,erin5,B,erin,
Zoe Z,106,S6,zoe6,B,zoe,
"""


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """hw1-submissions/ as `gh classroom clone student-repos` leaves it, graded once."""
    tmp = tmp_path_factory.mktemp("classroom")
    template = student_template(tmp / "template")
    clone = tmp / "hw1-submissions"
    solution = (SOLUTIONS / "tensors.py").read_text(encoding="utf-8")
    independent = (CORRECT / "tensors__dict_loops.py").read_text(encoding="utf-8")
    committed(template, clone / "hw1-alice", solution, "2026-11-30T12:00:00+00:00")
    committed(template, clone / "hw1-bob", renamed(solution), "2026-12-01T10:00:00+00:00")
    committed(template, clone / "hw1-carol", independent, "2026-11-30T23:59:00+00:00")
    committed(template, clone / "hw1-dave", solution, "2026-12-03T20:00:00+02:00")
    committed(template, clone / "hw1-erin", None, "2026-11-30T08:00:00+00:00")
    stub = (template / "exercises" / "tensors.py").read_text(encoding="utf-8")
    committed(template, clone / "hw1-frank", stub, "2026-11-30T09:00:00+00:00")
    (tmp / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (tmp / "extensions.csv").write_text("student,days\ndave,1\n", encoding="utf-8")
    out = tmp / "out"
    done = grade_class(
        clone, "--out", out, "--only", "tensors", "--workers", "2",
        "--deadline", DEADLINE, "--late-penalty", "10", "--late-cap", "15",
        "--extensions", tmp / "extensions.csv", "--lms", "canvas", "--roster", tmp / "roster.csv",
        "--lms-column", "Homework 1 (777)", "--starter", template / "exercises",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    (tmp / "stderr.txt").write_text(done.stderr, encoding="utf-8")
    return out, tmp


def test_a_classroom_clone_of_the_template_is_graded_with_late_penalties(
    classroom: tuple[Path, Path], maximum: Maximum
) -> None:
    out, _ = classroom
    full = f"{maximum['tensors']:g}"
    grades = {row["student"]: row for row in rows(out / "grades.csv")}
    assert set(grades) == {"alice", "bob", "carol", "dave", "erin", "frank"}
    assert (grades["frank"]["tensors"], grades["frank"]["final"]) == ("0", "0")
    assert [grades[s]["tensors"] for s in ("alice", "bob", "carol", "dave")] == [full] * 4
    # bob: 10 hours late is one day started, 10 %; dave: 2 days 18 hours late with one day
    # of extension is 2 days, 20 % capped at 15 %; alice and carol are on time
    late = {
        s: (grades[s]["late_days"], grades[s]["final"]) for s in ("alice", "bob", "carol", "dave")
    }
    assert late == {
        "alice": ("0", full),
        "bob": ("1", f"{maximum['tensors'] * 0.9:g}"),
        "carol": ("0", full),
        "dave": ("2", f"{maximum['tensors'] * 0.85:g}"),
    }
    assert grades["bob"]["submitted_at"] == "2026-12-01T10:00:00+00:00"
    assert grades["erin"]["tensors"] == grades["erin"]["total"] == grades["erin"]["final"] == ""
    assert "none of tensors.py" in grades["erin"]["problem"]


def test_the_canvas_file_leaves_out_the_ungradable_and_the_missing(
    classroom: tuple[Path, Path], maximum: Maximum
) -> None:
    out, _ = classroom
    with (out / "canvas.csv").open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    header = table[0]
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert header[5:] == ["Homework 1 (777)"]
    by_id = {row[1]: row[5] for row in table[1:] if row[1].isdigit()}
    assert by_id == {
        "101": f"{maximum['tensors']:g}",
        "102": f"{maximum['tensors'] * 0.9:g}",
        "103": f"{maximum['tensors']:g}",
        "104": f"{maximum['tensors'] * 0.85:g}",
    }  # erin (no exercise file) and zoe (no clone) have no row: an empty cell, or a 0,
    # would erase or replace a grade the instructor entered in Canvas
    listed = (out / "ungradable.csv").read_text(encoding="utf-8")
    assert "erin" in listed and "zoe" in listed.lower() and "alice" not in listed


def test_feedback_files_say_the_score_the_penalty_and_what_to_fix(
    classroom: tuple[Path, Path],
) -> None:
    out, tmp = classroom
    said = (tmp / "stderr.txt").read_text(encoding="utf-8")
    assert f"{out / 'feedback'}/ (12 files)" in said and "alice.md" not in said
    folder = out / "feedback"
    names = sorted(p.name for p in folder.iterdir())
    for student in ("alice", "bob", "carol", "dave", "erin", "frank"):
        assert f"{student}.md" in names and f"{student}.html" in names, names
    bob = (folder / "bob.md").read_text(encoding="utf-8")
    assert "1 day late" in bob and "10 % off" in bob
    assert "graded exercises/tensors.py" in (folder / "alice.md").read_text(encoding="utf-8")
    frank = (folder / "frank.md").read_text(encoding="utf-8")
    assert "not attempted" in frank and "Traceback" not in frank
    erin = (folder / "erin.html").read_text(encoding="utf-8")
    assert "none of tensors.py" in erin and "http" not in erin.split("</head>")[0]


def test_the_disguised_copy_is_paired_and_the_independent_answer_is_not(
    classroom: tuple[Path, Path],
) -> None:
    out, _ = classroom
    page = (out / "report.html").read_text(encoding="utf-8")
    section = page[page.index("<h2>Similar submissions") :]
    pairs = [line for line in section.split("<summary>")[1:]]
    shown = {summary.split(" % alike")[0].rsplit(",", 1)[0] for summary in pairs}
    assert "tensors: alice and bob" in shown
    assert "tensors: alice and dave" in shown  # dave handed in alice's very file
    assert not any("carol" in s or "frank" in s for s in shown), shown
    assert "<mark>" in section


def test_the_class_report_shows_the_roster_causes_and_stats_in_a_browser(
    classroom: tuple[Path, Path], tmp_path: Path, maximum: Maximum
) -> None:
    out, _ = classroom
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "6 submissions: 5 graded, 1 could not be graded" in page
    full = maximum["tensors"]
    mean = (full * 2 + full * 0.9 + full * 0.85) / 5
    assert f"mean {mean:.1f}" in page
    assert '<a href="feedback/bob.html">bob</a>' in page
    assert screenshot(out / "report.html", tmp_path / "report.png") == []


def test_the_gradebook_names_its_settings_and_has_a_version(
    classroom: tuple[Path, Path],
) -> None:
    out, _ = classroom
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
        settings, report = db.execute(
            "SELECT settings, report FROM submissions WHERE student = 'frank'"
        ).fetchone()
    named = json.loads(settings)
    assert named["grader_version"] and named["only"] == ["tensors"]
    checks = [c for e in json.loads(report)["exercises"] for c in e["checks"]]
    assert {c["status"] for c in checks} == {"not_attempted"}
    assert "Traceback" not in report and len(report) < 400 * len(checks)


def v1(path: Path) -> None:
    """Turn a gradebook back into what version 1 wrote."""
    with sqlite3.connect(path) as db:
        for column in ("submitted_at", "late_days", "penalty", "final_score"):
            db.execute(f"ALTER TABLE submissions DROP COLUMN {column}")
        for student, key in db.execute("SELECT student, settings FROM submissions").fetchall():
            named = json.loads(key)
            version = named.pop("grader_version")
            old = f"{version} {json.dumps(named, sort_keys=True)}"
            db.execute("UPDATE submissions SET settings = ? WHERE student = ?", (old, student))
        db.execute("PRAGMA user_version = 0")


def test_an_old_gradebook_is_migrated_and_nothing_is_graded_again(
    classroom: tuple[Path, Path], tmp_path: Path
) -> None:
    out, tmp = classroom
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    v1(copy / "gradebook.sqlite")
    done = grade_class(tmp / "hw1-submissions", "--out", copy, "--only", "tensors")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "6 submissions: 0 to grade, 5 unchanged, 1 unreadable" in done.stderr
    with sqlite3.connect(copy / "gradebook.sqlite") as db:
        db.execute("PRAGMA user_version = 9")
    refused = grade_class(tmp / "hw1-submissions", "--out", copy, "--only", "tensors")
    assert refused.returncode == 2 and "newer grader" in refused.stderr


def test_gradescope_export_and_zips_grade_as_grade_does(tmp_path: Path, maximum: Maximum) -> None:
    """Subfolders, miscased names and whole repositories in zips: the file graded is the
    one grader.layout chooses, as `grade` and the Gradescope bundle choose it."""
    solution = (SOLUTIONS / "tensors.py").read_text(encoding="utf-8")
    root = tmp_path / "export"
    (root / "submission_1" / "hw").mkdir(parents=True)
    (root / "submission_1" / "hw" / "Tensors.py").write_text(solution, encoding="utf-8")
    template = student_template(tmp_path / "template")
    (template / "exercises" / "tensors.py").write_text(solution, encoding="utf-8")
    shutil.copytree(template, root / "submission_2")
    (root / "submission_metadata.yml").write_text(
        "submission_1:\n  :submitters:\n  - :name: Ada\n    :sid: '11'\n"
        "  :created_at: 2026-11-30 10:00:00.000000000 -08:00\n"
        "submission_2:\n  :submitters:\n  - :name: Bo\n    :sid: '12'\n"
        "  :created_at: 2026-12-01 10:00:00.000000000 -08:00\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    done = grade_class(root, "--out", out, "--only", "tensors", "--deadline", DEADLINE,
                       "--late-penalty", "5")  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    grades = {row["student"]: row for row in rows(out / "grades.csv")}
    full = f"{maximum['tensors']:g}"
    assert (grades["11"]["tensors"], grades["11"]["late_days"]) == (full, "0")
    assert (grades["12"]["tensors"], grades["12"]["late_days"]) == (full, "1")
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        report = json.loads(
            db.execute("SELECT report FROM submissions WHERE student='11'").fetchone()[0]
        )
    # hw/, the one folder of the upload, is left out as a zip's top folder is
    notes = report["exercises"][0]["notes"]
    assert notes[0] == "graded Tensors.py (the name differs in letter case)"
    zipped = tmp_path / "zips"
    zipped.mkdir()
    with zipfile.ZipFile(zipped / "cy.zip", "w") as archive:
        for path in template.rglob("*"):
            if path.is_file():
                archive.write(path, f"repo/{path.relative_to(template)}")
    done = grade_class(zipped, "--out", tmp_path / "zout", "--only", "tensors")
    assert done.returncode == 0, done.stderr[-3000:]
    assert rows(tmp_path / "zout" / "grades.csv")[0]["tensors"] == full


def test_layout_rules() -> None:
    files = [
        "README.md", ".git/tensors.py", "__MACOSX/._tensors.py", "old/tensors.py",
        "hw/tensors.py", "hw/helpers.py", "MLP.py", "nb/autograd.ipynb",
        "a/b/autograd.py",
    ]  # fmt: skip
    chosen = layout.choose(files, ("tensors", "autograd", "mlp", "lenet"))
    assert {name: c.path for name, c in chosen.items()} == {
        "tensors": "hw/tensors.py",  # shallowest, then alphabetical
        "autograd": "nb/autograd.ipynb",  # nearer the top than a/b/autograd.py
        "mlp": "MLP.py",
    }
    assert chosen["tensors"].others == ("old/tensors.py",)
    assert chosen["mlp"].note() == "graded MLP.py (the name differs in letter case)"
    assert layout.helpers(chosen["tensors"], files) == ["hw/helpers.py"]
    backup = layout.choose(["backup/tensors.py", "exercises/tensors.py"], ("tensors",))
    assert backup["tensors"].path == "exercises/tensors.py"  # the template's folder
    top = layout.choose(["tensors.ipynb", "Tensors.py", "a/tensors.py"], ("tensors",))
    assert top["tensors"].path == "tensors.ipynb"  # as grade always took it
    assert layout.choose(["tensors.ipynb", "tensors.py"], ("tensors",))["tensors"].path == (
        "tensors.py"
    )


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--deadline", "next friday"], "--deadline: 'next friday' is not a date and time"),
        (["--lms", "canvas"], "--lms canvas needs --roster FILE"),
        (["--lms", "blackboard"], "'blackboard' is not one of 'canvas', 'moodle', 'generic'"),
        (["--roster", "missing.csv", "--lms", "moodle"], "missing.csv"),
        (["--extensions", "missing.csv"], "--extensions missing.csv"),
    ],
)
def test_bad_class_options_are_one_clear_line(
    tmp_path: Path, options: list[str], said: str
) -> None:
    (tmp_path / "class" / "ann").mkdir(parents=True)
    done = grade_class(tmp_path / "class", "--out", tmp_path / "out", *options)
    assert done.returncode == 2, done.stderr
    assert said in done.stderr and "Traceback" not in done.stderr, done.stderr
