"""grade-class attacked: what students (honest but odd, greedy or hostile) can hand in.

Each section says the rule it guards. Subprocess tests grade at most one submission with
--only tensors; the rest call the modules directly.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from grader.cohort import deadlines, entries, lms
from grader.cohort.roster import to_person
from tests.conftest import SOLUTIONS, Maximum, solution_text
from tests.test_grade_class import grade_class, rows

DUE = datetime(2026, 12, 1, tzinfo=timezone.utc)
LATER = DUE + timedelta(days=5)
GIT_ENV = {
    **os.environ,
    **{f"GIT_{who}_{what}": value for who in ("AUTHOR", "COMMITTER")
       for what, value in (("NAME", "s"), ("EMAIL", "s@example.org"))},
}  # fmt: skip


def hostile_zip(path: Path, extra: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tensors.py", solution_text("tensors"))
        archive.writestr(extra, "x = 1\n")
    return path


# --- 1. One student's zip stops the whole class ---------------------------------------------
# Names that cannot be written back (a file that is also a folder of another entry, '.', a
# component over 255 bytes) are left out or the entry's problem (entries.keep, check_tree);
# pool.grade_files turns any OSError into that submission's problem.


@pytest.mark.parametrize("extra", ["tensors.py/x.py", ".", "x" * 300 + "/a.py"])
def test_a_zip_entry_that_cannot_be_unpacked_is_a_problem_not_a_crash(
    tmp_path: Path, extra: str
) -> None:
    packed = entries.pack(entries.Entry("m", hostile_zip(tmp_path / "m.zip", extra)))
    if not packed.problem:
        entries.unpack(packed, tmp_path / "copy")  # once IsADirectory, ENAMETOOLONG


@pytest.mark.slow
def test_a_hostile_zip_never_stops_the_others_from_being_graded(
    tmp_path: Path, maximum: Maximum
) -> None:
    root = tmp_path / "class"
    root.mkdir()
    hostile_zip(root / "aaa.zip", "tensors.py/x.py")  # sorted first: graded first
    (root / "bob").mkdir()
    (root / "bob" / "tensors.py").write_bytes((SOLUTIONS / "tensors.py").read_bytes())
    out = tmp_path / "out"
    done = grade_class(root, "--out", out, "--only", "tensors", "--workers", "1")
    assert done.returncode == 0, done.stderr[-1500:]
    grades = {row["student"]: row for row in rows(out / "grades.csv")}
    assert grades["bob"]["tensors"] == f"{maximum['tensors']:g}"
    assert grades["aaa"]["problem"]


# --- 2. A late commit that is never late ----------------------------------------------------
# deadlines.commit_time keeps a time whose zone Python cannot place (in UTC); a clone whose
# time cannot be read is named in a warning when a deadline is set.


def test_a_commit_with_an_impossible_timezone_keeps_its_time(tmp_path: Path) -> None:
    repo = tmp_path / "hw1-mallory"
    repo.mkdir()
    (repo / "tensors.py").write_text("x = 1\n", encoding="utf-8")
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "w"]):
        subprocess.run(["git", "-C", str(repo), *command], env=GIT_ENV, check=True)
    tree = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD^{tree}"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    late = int((DUE + timedelta(days=4)).timestamp())  # 4 days late; git and fsck accept +9959
    body = f"tree {tree}\nauthor s <s@x> {late} +0000\ncommitter s <s@x> {late} +9959\n\nw\n"
    sha = subprocess.run(
        ["git", "-C", str(repo), "hash-object", "-t", "commit", "-w", "--stdin", "--literally"],
        input=body, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    subprocess.run(["git", "-C", str(repo), "update-ref", "HEAD", sha], check=True)
    moment = deadlines.commit_time(repo)
    assert moment is not None
    assert moment.timestamp() == late


# --- 3. '+' in ids: groups, e-mails with a +tag and extensions ------------------------------
# Ids are split one way (roster.members: an e-mail's +tag is part of it), the whole id is
# looked up too, and a Gradescope entry carries its members' ids apart (Entry.members).


def test_extensions_find_tagged_emails_and_groups_and_nobody_else() -> None:
    policy = deadlines.Policy(
        DUE, 10, 100, {"ann+cs@uni.edu": LATER, "a+b": LATER, "alice@uni.edu": LATER}
    )
    assert policy.due("ann+cs@uni.edu") == LATER
    assert policy.due("a+b") == LATER
    assert policy.due("mallory+alice@uni.edu") == DUE


# A joined group of e-mails with a +tag still reaches each member.


def test_a_group_with_a_tagged_email_reaches_both_members() -> None:
    roster = [to_person({"name": n, "lms_id": i, "email": e}) for n, i, e in
              [("Ann", "1", "ann+cs@uni.edu"), ("Bob", "2", "bob@uni.edu")]]  # fmt: skip
    rows_ = [lms.Row("ann+cs@uni.edu+bob@uni.edu", 40.0, 48.0)]
    graded = {g.person.name: g.score for g in lms.match(rows_, roster, 48.0) if g.person}
    assert graded == {"Ann": 40.0, "Bob": 40.0}


# --- 4. Extensions and policies that silently do nothing, or too much -----------------------
# Extension ids that match no entry are named in a warning; nan, inf or huge extension days
# and a nan --late-penalty/--late-cap are usage errors (min(cap, nan) is the cap).


def unreadable_class(tmp_path: Path, *names: str) -> Path:
    root = tmp_path / "class"
    root.mkdir(exist_ok=True)
    for name in names:
        (root / f"{name}.zip").write_bytes(b"not a zip")
    return root


def test_an_extension_for_an_id_no_entry_has_is_reported(tmp_path: Path) -> None:
    root = unreadable_class(tmp_path, "alice")
    extensions = tmp_path / "extensions.csv"
    extensions.write_text("student,days\nalicia,3\n", encoding="utf-8")
    done = grade_class(root, "--out", tmp_path / "out", "--deadline", "2026-12-01",
                       "--extensions", extensions)  # fmt: skip
    assert done.returncode == 0, done.stderr[-1500:]
    assert "alicia" in done.stderr


@pytest.mark.parametrize("option", ["--late-penalty", "--late-cap"])
def test_a_nan_late_policy_is_refused(tmp_path: Path, option: str) -> None:
    root = unreadable_class(tmp_path, "alice")
    done = grade_class(root, "--out", tmp_path / "out", "--deadline", "2026-12-01", option, "nan")
    assert done.returncode == 2, done.stderr[-500:]


@pytest.mark.parametrize("days", ["nan", "inf", "1e10"])
def test_an_absurd_extension_is_a_usage_error(days: str) -> None:
    with pytest.raises(deadlines.UsageError):
        deadlines.extended(days, DUE, "extensions.csv, line 2")


# --- 5. An honest repository that `grade` grades and `grade-class` refuses ------------------
# What grader.layout skips (.venv, .idea) is not packed, and a file over the limit that no
# exercise could be graded from (MNIST under data/, a saved model) is left out, as grade's
# copy step leaves it: one upload, one grade everywhere.


@pytest.mark.parametrize("junk", ["venv", "data"])
def test_a_venv_or_a_data_file_does_not_make_a_submission_ungradable(
    tmp_path: Path, junk: str
) -> None:
    folder = tmp_path / "carol"
    folder.mkdir()
    (folder / "tensors.py").write_bytes((SOLUTIONS / "tensors.py").read_bytes())
    if junk == "venv":
        (folder / ".venv" / "lib").mkdir(parents=True)
        for i in range(250):
            (folder / ".venv" / "lib" / f"m{i}.py").write_text("x = 1\n", encoding="utf-8")
    else:
        (folder / "data").mkdir()
        (folder / "data" / "train-images-idx3-ubyte").write_bytes(b"\0" * 3_000_000)
    packed = entries.pack(entries.Entry("carol", folder))
    assert not packed.problem, packed.problem
    assert "tensors.py" in packed.files


# --- 6. Rows of entries no longer in SUBMISSIONS --------------------------------------------
# Only this run's entries are exported (grades.csv, the LMS file, feedback, report): a
# removed or renamed folder keeps its rows in the gradebook, not in the LMS import.


def test_an_entry_removed_from_submissions_leaves_the_exports(tmp_path: Path) -> None:
    root = unreadable_class(tmp_path, "alice", "bob")
    out = tmp_path / "out"
    assert grade_class(root, "--out", out).returncode == 0
    (root / "bob.zip").unlink()
    done = grade_class(root, "--out", out)
    assert done.returncode == 0, done.stderr[-1500:]
    assert [row["student"] for row in rows(out / "grades.csv")] == ["alice"]


# --- What held up ---------------------------------------------------------------------------


def test_ids_that_differ_in_case_or_hold_markup_get_their_own_safe_files() -> None:
    from grader.cohort.feedback import file_stem

    ids = ["alice", "ALICE", "<img src=x onerror=alert(1)>", "../../etc/x", "a+b", "CON"]
    stems = [file_stem(i) for i in ids]
    assert len({s.casefold() for s in stems}) == len(ids)
    assert all("/" not in s and "<" not in s and not s.startswith((".", "-")) for s in stems)
    assert stems[0] == "alice" and stems[-1] != "CON"


def test_zip_entries_cannot_leave_the_submission(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "m.zip", "w") as archive:
        archive.writestr("tensors.py", "x = 1\n")
        archive.writestr("/tmp/abs.py", "x = 1\n")
        archive.writestr("a/../../up.py", "x = 1\n")
    packed = entries.pack(entries.Entry("m", tmp_path / "m.zip"))
    assert set(packed.files) == {"tensors.py"}
    with tempfile.TemporaryDirectory() as tmp:
        entries.unpack(packed, Path(tmp) / "s")
        assert sorted(p.name for p in Path(tmp).rglob("*")) == ["s", "tensors.py"]


@pytest.mark.slow
def test_a_new_late_policy_changes_the_final_score_and_not_the_raw(
    tmp_path: Path, maximum: Maximum
) -> None:
    repo = tmp_path / "hw1-submissions" / "hw1-bob"
    repo.mkdir(parents=True)
    (repo / "tensors.py").write_bytes((SOLUTIONS / "tensors.py").read_bytes())
    when = {
        "GIT_AUTHOR_DATE": "2026-12-01T10:00:00+00:00",
        "GIT_COMMITTER_DATE": "2026-12-01T10:00:00+00:00",
    }
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "w"]):
        subprocess.run(["git", "-C", str(repo), *command], env={**GIT_ENV, **when}, check=True)
    out, full = tmp_path / "out", maximum["tensors"]
    for penalty, expected_final in (("10", full * 0.9), ("30", full * 0.7)):
        done = grade_class(repo.parent, "--out", out, "--only", "tensors", "--deadline",
                           "2026-12-01T00:00", "--late-penalty", penalty)  # fmt: skip
        assert done.returncode == 0, done.stderr[-1500:]
        (bob,) = rows(out / "grades.csv")
        assert (bob["tensors"], bob["late_days"]) == (f"{full:g}", "1")
        assert bob["final"] == f"{expected_final:g}"
    assert "0 to grade, 1 unchanged" in done.stderr
