"""grade-class for real: subprocesses, the SQLite gradebook, SIGKILL and resume, Dask.

Classes are graded with --only tensors (a few seconds per submission) except where a
test needs more; every run is the real `grade-class` command in its own process.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.cohort import entries
from tests.conftest import SOLUTIONS, Maximum, solution_text

pytestmark = pytest.mark.slow  # grades in real subprocesses

ROOT = Path(__file__).resolve().parents[1]
STUBS = ROOT / "exercises"
COMMAND = [sys.executable, "-m", "grader.cohort"]


def grade_class(*args: object, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *map(str, args)], capture_output=True, text=True, timeout=timeout, check=False
    )


def copy_of(source: Path, target: Path, only: tuple[str, ...] = ("tensors",)) -> Path:
    target.mkdir(parents=True)
    for name in only:
        shutil.copy(source / f"{name}.py", target / f"{name}.py")
    return target


def class_folder(tmp_path: Path, count: int = 4) -> Path:
    """`count` students alternating between the solution and the stubs (tensors only)."""
    root = tmp_path / "class"
    for i in range(count):
        copy_of(SOLUTIONS if i % 2 == 0 else STUBS, root / f"student{i:02d}")
    return root


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def gradebook(out: Path) -> list[tuple[str, str, float, str]]:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        found = db.execute(
            "SELECT student, content_hash, score, graded_at FROM submissions ORDER BY student"
        ).fetchall()
    return [tuple(row) for row in found]


def test_mixed_entries_each_become_one_row(tmp_path: Path, maximum: Maximum) -> None:
    root = tmp_path / "class"
    copy_of(SOLUTIONS, root / "alice")
    copy_of(STUBS, root / "bob")
    with zipfile.ZipFile(root / "carol.zip", "w") as archive:  # a zipped folder, as students do
        archive.writestr("carol-hw1/tensors.py", solution_text("tensors"))
        archive.writestr("carol-hw1/__MACOSX/._tensors.py", "junk")
    (root / "dave.zip").write_bytes(b"not a zip at all")
    (root / "empty").mkdir()
    (root / "erin").mkdir()
    (root / "erin" / "notes.txt").write_text("I ran out of time", encoding="utf-8")
    out = tmp_path / "out"
    done = grade_class(root, "--out", out, "--only", "tensors", "--workers", "2")
    assert done.returncode == 0, done.stderr
    assert "6 submissions: 3 to grade, 0 unchanged, 3 unreadable" in done.stderr
    grades = {row["student"]: row for row in rows(out / "grades.csv")}
    assert set(grades) == {"alice", "bob", "carol", "dave", "empty", "erin"}
    assert [grades[s]["tensors"] for s in ("alice", "bob", "carol")] == [
        f"{maximum['tensors']:g}",
        "0",
        f"{maximum['tensors']:g}",
    ]
    assert grades["alice"]["total"] == grades["alice"]["max_total"] == f"{maximum['tensors']:g}"
    assert "not a zip file" in grades["dave"]["problem"].lower()
    assert "no files" in grades["empty"]["problem"]
    assert "none of" in grades["erin"]["problem"] and "notes.txt" in grades["erin"]["problem"]
    assert_checks_csv_matches_reports(out)


def assert_checks_csv_matches_reports(out: Path) -> None:
    """checks.csv has one row per student and check, equal to the stored JSON reports."""
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        reports = dict(db.execute("SELECT student, report FROM submissions").fetchall())
    expected = {
        (student, check["id"]): (check["status"], f"{check['score']:g}")
        for student, text in reports.items()
        for exercise in json.loads(text).get("exercises", [])
        for check in exercise["checks"]
    }
    got = {
        (r["student"], r["check_id"]): (r["status"], r["score"]) for r in rows(out / "checks.csv")
    }
    assert got == expected and len(got) == 3 * 56


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "Ctrl-C"])
def test_resume_after_a_stop_grades_each_submission_exactly_once(
    tmp_path: Path, stop: signal.Signals, maximum: Maximum
) -> None:
    """Killed (nothing can run after it) or interrupted (the running `grade` stops too and
    its partial report must not count): the rerun grades exactly what is missing."""
    root, out = class_folder(tmp_path, 5), tmp_path / "out"
    args = [*COMMAND, root, "--out", out, "--only", "tensors", "--workers", "1"]
    first = subprocess.Popen(
        list(map(str, args)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(graded_rows(out)) < 2:
            time.sleep(0.2)
        os.killpg(first.pid, stop)
    finally:
        first.wait(timeout=60)
    before = dict((row[0], row) for row in graded_rows(out))
    assert 2 <= len(before) < 5, "the kill landed in the middle of the class"
    again = grade_class(root, "--out", out, "--only", "tensors", "--workers", "2")
    assert again.returncode == 0, again.stderr
    assert f"5 submissions: {5 - len(before)} to grade, {len(before)} unchanged" in again.stderr
    after = gradebook(out)
    assert [row[0] for row in after] == [f"student{i:02d}" for i in range(5)]
    for student, row in before.items():
        assert dict((r[0], r) for r in after)[student] == row, "kept, not graded again"
    full = maximum["tensors"]
    assert [row[2] for row in after] == [full, 0.0, full, 0.0, full]
    assert len(rows(out / "grades.csv")) == 5


def graded_rows(out: Path) -> list[tuple[str, str, float, str]]:
    try:
        return gradebook(out)
    except sqlite3.Error:
        return []


def test_changed_submission_is_regraded_and_unchanged_is_not(
    tmp_path: Path, maximum: Maximum
) -> None:
    root, out = class_folder(tmp_path, 2), tmp_path / "out"
    assert grade_class(root, "--out", out, "--only", "tensors").returncode == 0
    first = {row[0]: row for row in gradebook(out)}
    stub = root / "student01" / "tensors.py"
    stub.write_text(solution_text("tensors"), encoding="utf-8")
    second = grade_class(root, "--out", out, "--only", "tensors")
    assert "2 submissions: 1 to grade, 1 unchanged" in second.stderr, second.stderr
    now = {row[0]: row for row in gradebook(out)}
    assert now["student00"] == first["student00"]
    assert (
        now["student01"][2] == maximum["tensors"] and now["student01"][1] != first["student01"][1]
    )
    forced = grade_class(root, "--out", out, "--only", "tensors", "--regrade")
    assert "2 submissions: 2 to grade, 0 unchanged" in forced.stderr
    other_seed = grade_class(root, "--out", out, "--only", "tensors", "--seed", "1")
    assert "2 to grade" in other_seed.stderr, "a different seed is a different grade"


def test_a_second_command_on_the_same_gradebook_is_refused(tmp_path: Path) -> None:
    root, out = class_folder(tmp_path, 1), tmp_path / "out"
    out.mkdir()
    with open(out / "gradebook.lock", "a+", encoding="utf-8") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("pid 4242")
        held.flush()
        refused = grade_class(root, "--out", out, "--only", "tensors")
    assert refused.returncode == 2
    assert "being written by another grade-class (pid 4242)" in refused.stderr
    assert not (out / "gradebook.sqlite").exists()


def test_bad_usage_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "nothing").mkdir()
    empty = grade_class(tmp_path / "nothing", "--out", tmp_path / "out")
    assert empty.returncode == 2 and "no submissions in" in empty.stderr
    missing = grade_class(tmp_path / "absent", "--out", tmp_path / "out")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert "grade-class hw1-submissions/" in grade_class("--help").stdout


def test_classroom_and_gradescope_layouts_name_the_students(tmp_path: Path) -> None:
    clone = tmp_path / "hw1-submissions"
    for login in ("alice", "bob-smith"):
        copy_of(SOLUTIONS, clone / f"hw1-{login}")
    assert [e.student for e in entries.discover(clone)] == ["alice", "bob-smith"]
    export = tmp_path / "export"
    copy_of(SOLUTIONS, export / "submission_101")
    copy_of(STUBS, export / "submission_102")
    (export / entries.METADATA).write_text(
        "submission_101:\n  :submitters:\n  - :name: Ada L\n    :sid: '2024001'\n"
        "    :email: ada@uni.edu\n  :score: 0\n"
        "submission_102:\n  :submitters:\n  - :name: Bo\n    :email: bo@uni.edu\n"
        "  - :name: Cy\n    :sid: '2024003'\n",
        encoding="utf-8",
    )
    found = entries.discover(export)
    assert [(e.student, e.path.name) for e in found] == [
        ("2024001", "submission_101"),
        ("bo@uni.edu+2024003", "submission_102"),
    ]
    packed = entries.pack(found[0])
    assert set(packed.files) == {"tensors.py"} and len(packed.content_hash) == 16


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[str]:
    """A real `dask scheduler` and two `dask worker` processes on localhost."""
    pytest.importorskip("distributed")
    bin_dir = Path(sys.executable).parent
    scheduler_file = tmp_path / "scheduler.json"
    processes = [
        subprocess.Popen(
            [
                str(bin_dir / "dask"),
                "scheduler",
                "--scheduler-file",
                str(scheduler_file),
                "--port",
                "0",
                "--dashboard-address",
                ":0",
                "--host",
                "127.0.0.1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text(encoding="utf-8"))["address"]
        for _ in range(2):
            processes.append(
                subprocess.Popen(
                    [
                        str(bin_dir / "dask"),
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        wait_for_workers(address, 2)
        yield address
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def wait_for_workers(address: str, count: int) -> None:
    from distributed import Client

    with Client(address, timeout="30s") as client:
        client.wait_for_workers(count, timeout=60)


def test_dask_cluster_grades_like_the_local_pool(tmp_path: Path, dask_cluster: str) -> None:
    root = class_folder(tmp_path, 2)
    remote, local = tmp_path / "remote", tmp_path / "local"
    done = grade_class(root, "--out", remote, "--only", "tensors", "--scheduler", dask_cluster)
    assert done.returncode == 0, done.stderr
    assert grade_class(root, "--out", local, "--only", "tensors").returncode == 0
    strip = ("graded_at",)
    assert [
        {k: v for k, v in r.items() if k not in strip} for r in rows(remote / "grades.csv")
    ] == [{k: v for k, v in r.items() if k not in strip} for r in rows(local / "grades.csv")]
    assert (remote / "checks.csv").read_text() == (local / "checks.csv").read_text()


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("chromium is not installed (.ci/run installs Debian's chromium)")
    return found


def screenshot(page: Path, png: Path) -> list[str]:
    """Open `page` in headless chromium, save a screenshot; return its console messages."""
    done = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--screenshot={png}",
            "--window-size=1200,3200",
            "--enable-logging=stderr",
            "--v=0",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert png.is_file(), done.stderr[-2000:]
    return [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


def test_console_errors_are_seen(tmp_path: Path) -> None:
    """The check below can fail: a page with a script error is caught."""
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>null.x;</script></body></html>", encoding="utf-8")
    assert any("Uncaught TypeError" in line for line in screenshot(page, tmp_path / "b.png"))


def test_class_report_opens_in_a_browser_and_shows_the_plots(tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image  # torchvision's dependency

    root = tmp_path / "class"
    copy_of(SOLUTIONS, root / "ada", ("mlp",))
    wrong = copy_of(SOLUTIONS, root / "bo", ("mlp",)) / "mlp.py"
    wrong.write_text(
        wrong.read_text().replace("torch.relu(self.hidden(", "torch.sigmoid(self.hidden("),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    done = grade_class(root, "--out", out, "--only", "mlp", "--workers", "2")
    assert done.returncode == 0, done.stderr
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "mlp.mlp.relu" in page and "sigmoid; the course&#x27;s MLP uses ReLU" in page
    roster = page[page.index("<h2>Roster") : page.index("<h2>Failures")]
    assert "logistic_regression accuracy" in roster and "mlp accuracy" in roster
    assert len(re.findall(r"\d+\.\d\d % \([\d.]+ epochs\)", roster)) == 4  # 2 models, 2 students
    png = tmp_path / "report.png"
    assert screenshot(out / "report.html", png) == []
    pixels = np.asarray(Image.open(png).convert("RGB"))
    for colour in ((68, 119, 170), (204, 102, 119), (34, 136, 51)):  # the three plots' colours
        assert (pixels == colour).all(axis=-1).sum() > 200, f"no plot drawn in {colour}"


def test_links_are_never_followed_and_formulas_never_reach_a_spreadsheet(tmp_path: Path) -> None:
    from grader.cohort import exports
    from grader.cohort.gradebook import Gradebook, Graded

    folder = copy_of(SOLUTIONS, tmp_path / "mallory")
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    (folder / "secret.py").symlink_to(ROOT / "solutions" / "lenet.py")
    packed = entries.pack(entries.Entry("mallory", folder))
    assert set(packed.files) == {"tensors.py"} and not packed.problem
    book = Gradebook(tmp_path / "gradebook.sqlite")
    check = {
        "id": "tensors.x.y",
        "name": "y",
        "status": "failed",
        "score": 0,
        "max_score": 1,
        "message": '=HYPERLINK("http://evil","click")',
    }
    report = {
        "score": 0,
        "max_score": 1,
        "exercises": [{"name": "tensors", "score": 0, "max_score": 1, "checks": [check]}],
    }
    book.record(Graded("=cmd|' /C calc'!A0", "h", "s", "v", 0, "cpu", 1.0, report))
    for line in (exports.checks_csv(book) + exports.grades_csv(book)).splitlines()[1:]:
        assert all(not cell.startswith(("=", "+", "@")) for cell in next(csv.reader([line])))
    book.close()
