"""The course file: parsed and validated in this process (fast tier), and a whole course of
an instructor's own graded end to end by the real commands (marked slow).

The example course (`examples/course/`) changes points, one accuracy threshold and a time
limit, hides one check and shows another after the due date, keeps a check module out of
the students' hands and adds a fifth exercise (`norms`) written with grader.kit alone.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from grader import course, exercises
from grader.cohort.gradebook import Gradebook
from grader.errors import UsageError
from grader.exercises import CHECKS_DIR
from grader.settings import Settings
from grader.template import main as template_main
from tests.conftest import EXERCISES, ROOT, SOLUTIONS, solution_text, validate_data

EXAMPLE = ROOT / "examples" / "course"
COURSE_FILE = EXAMPLE / "course.toml"
SECRET = "GRADER_SEED_SECRET"
OWN = EXAMPLE / "norms" / "solution.py"


def parse(tmp_path: Path, text: str) -> course.Course:
    path = tmp_path / "course.toml"
    path.write_text(text, encoding="utf-8")
    return course.parse(text, path)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[points]\n"tensors.slicing" = -1', "points.tensors.slicing: -1 is less than the minimum"),
        ('[visibility]\n"tensors" = "secret"', "visibility.tensors: 'secret' is not one of"),
        ("[course]\ngrade = []", "course: Additional properties are not allowed ('grade' was"),
        ('[course]\ngraded = ["tensors", "nope"]', "course.graded: unknown exercise 'nope'"),
        ("[exercises.mlp]\ntimeout = 0", "exercises.mlp.timeout: 0 is less than the minimum of 1"),
        (
            "[exercises.mlp.accuracy]\nmlp = { threshold = 0.9, floor = 0.95 }",
            "exercises.mlp.accuracy.mlp: floor 0.95 must be below threshold 0.9",
        ),
        (
            "[exercises.mlp.accuracy]\nlenet = { threshold = 0.9, floor = 0.8 }",
            "exercises.mlp.accuracy.lenet: no such accuracy check; allowed: logistic_regression",
        ),
        ("[exercises.extra]\ntitle = 'x'", "exercises.extra: not a built-in exercise"),
        ("[exercises.extra]\nfolder = 'nowhere'", "exercises.extra.folder:"),
        ("[points\n", "course.toml: not valid TOML"),
        ('[points]\n"tensor.slicing" = 2', "points.tensor.slicing: no exercise 'tensor'; known"),
        ("[exercises.tensors]\nfolder = 'x'", "exercises.tensors.folder: tensors is a built-in"),
        ("[course]\nhidden_checks = 'nope'", "course.hidden_checks: "),
        ("[exercises.My.Ex]\nfolder = 'x'", "exercises: 'My' does not match"),
    ],
)
def test_a_bad_value_is_one_line_that_names_the_key(tmp_path: Path, text: str, said: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse(tmp_path, text)
    message = str(caught.value)
    assert said in message and "\n" not in message, message


def test_an_empty_file_or_none_is_the_built_in_course(tmp_path: Path) -> None:
    for parsed in (parse(tmp_path, "# nothing yet\n"), course.parse("", None)):
        assert parsed.exercises == exercises.EXERCISES
        assert parsed.points_for("tensors.slicing.column", 1.0) == 1.0
        assert parsed.visibility_of("tensors.slicing.column") is course.Visibility.VISIBLE
    assert course.find(None, tmp_path) == tmp_path / "course.toml"
    assert course.find(None, tmp_path / "elsewhere") is None


def test_the_longest_prefix_wins_and_names_whole_parts(tmp_path: Path) -> None:
    parsed = parse(
        tmp_path,
        '[points]\n"tensors" = 2\n"tensors.slicing" = 3\n"tensors.slicing.column" = 5\n'
        '"lenet.questions.answer" = 0.25\n',
    )
    assert parsed.points_for("tensors.slicing.column", 1) == 5
    assert parsed.points_for("tensors.slicing.row", 1) == 3
    assert parsed.points_for("tensors.math.det", 1) == 2
    assert parsed.points_for("tensors_extra.x", 1) == 1, "a prefix ends at a dot"
    assert parsed.points_for("lenet.questions.answer[filters-conv1]", 0.5) == 0.25


def test_the_example_course_reads_as_written() -> None:
    parsed = course.parse(COURSE_FILE.read_text(), COURSE_FILE)
    assert parsed.names() == ("tensors", "autograd", "mlp", "lenet", "norms")
    mlp = parsed.exercise("mlp")
    assert mlp is not None and mlp.accuracy_of("mlp") == exercises.Accuracy(0.95, 0.85)
    assert mlp.accuracy_of("logistic_regression") is None, "the check's own target stays"
    lenet = parsed.exercise("lenet")
    assert lenet is not None and lenet.timeout_s == 420
    norms = parsed.exercise("norms")
    assert norms is not None and norms.check_module == EXAMPLE / "norms" / "checks.py"
    assert parsed.visibility_of("tensors.math.det") is course.Visibility.HIDDEN
    hidden = parsed.with_hidden().exercise("tensors")
    assert hidden is not None and hidden.hidden == EXAMPLE / "hidden" / "tensors.py"
    assert parsed.visibility_of("tensors.hidden_slicing.x", True) is course.Visibility.HIDDEN


def test_a_hidden_module_must_name_a_graded_exercise(tmp_path: Path) -> None:
    (tmp_path / "hidden").mkdir()
    (tmp_path / "hidden" / "tensor.py").write_text("")
    with pytest.raises(UsageError, match=r"course\.hidden_checks: tensor\.py names no graded"):
        parse(tmp_path, '[course]\nhidden_checks = "hidden"')
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "checks.py").write_text("")
    text = '[exercises.one]\nfolder = "shared"\n[exercises.two]\nfolder = "shared"\n'
    with pytest.raises(UsageError, match=r"exercises\.one\.folder: .* is another exercise's"):
        parse(tmp_path, text)


def test_seeds_are_per_student_stable_and_need_the_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed = course.parse(COURSE_FILE.read_text(), COURSE_FILE)
    monkeypatch.delenv(SECRET, raising=False)
    assert parsed.seed_for("alice", 7) == 7, "without the secret: the public seed"
    monkeypatch.setenv(SECRET, "one")
    alice, bob = parsed.seed_for("alice", 7), parsed.seed_for("bob", 7)
    assert alice != bob and alice == parsed.seed_for("alice", 0)
    assert 2**32 < alice < 2**63 and 2**32 < bob < 2**63
    monkeypatch.setenv(SECRET, "two")
    assert parsed.seed_for("alice", 7) != alice, "another secret, other seeds"


def test_student_code_never_runs_under_the_checks_seed() -> None:
    seeds = {Settings(seed=seed).worker_seed for seed in range(50)}
    assert len(seeds) == 50 and not seeds & set(range(50))
    assert Settings(seed=3).worker_seed == Settings(seed=3).worker_seed


def test_settings_carry_the_course_to_the_checker(tmp_path: Path) -> None:
    text = COURSE_FILE.read_text()
    settings = Settings(course_file=COURSE_FILE, course_text=text, all_checks=True)
    again = Settings.from_json(settings.to_json())
    assert again == settings and again.course.names() == settings.course.names()
    assert again.course.exercise("tensors").hidden is not None  # type: ignore[union-attr]
    assert dataclasses.replace(settings, course_digest="x").key() != settings.key()


def trained_checks(module: Path) -> set[str]:
    """The checks of a module that take the `trainer` fixture: those train to a target."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    return {
        node.name.removeprefix("test_")
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and node.name.startswith("test_")
        and any(arg.arg == "trainer" for arg in node.args.args)
    }


def test_the_registry_names_every_accuracy_check() -> None:
    for exercise in exercises.EXERCISES:
        assert set(exercise.accuracy_checks) == trained_checks(CHECKS_DIR / f"{exercise.name}.py")


def test_old_check_ids_read_as_new_ones_in_an_existing_gradebook(tmp_path: Path) -> None:
    path = tmp_path / "gradebook.sqlite"
    Gradebook(path).close()
    old, new = next(iter(exercises.RENAMED_IDS.items()))
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO submissions (student, content_hash, settings, grader_version, seed, "
            "device, graded_at, duration_s, score, max_score, report, problem) "
            "VALUES ('ann', 'h', 's', 'v', 0, 'cpu', 't', 1, 5, 5, '{}', '')"
        )
        db.execute(
            "INSERT INTO checks VALUES ('ann', ?, 'lenet', 'LeNet', 'passed', 5, 5, '', '{}')",
            (old,),
        )
    book = Gradebook(path)
    assert [row["check_id"] for row in book.checks()] == [new]
    book.close()


# ---- end to end, with the real commands -------------------------------------------------

GRADE = [sys.executable, "-m", "grader"]


def run(*args: object, env: dict[str, str] | None = None, cwd: Path = ROOT) -> str:
    proc = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=600, env=env, cwd=cwd
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def listed_total(*extra: str) -> float:
    out = run(*GRADE, "--list", "--course", COURSE_FILE, *extra)
    return float(out.strip().splitlines()[-1].split()[1])


def submission(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        text = OWN.read_text() if name == "norms" else solution_text(name)
        (folder / f"{name}.py").write_text(text, encoding="utf-8")
    return folder


FAST = ("tensors", "autograd", "norms")  # no MNIST: the end-to-end runs stay short


@pytest.mark.slow
def test_every_command_agrees_on_the_course_maximum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--list, grade, grade-class, the student template and the Gradescope bundle give the
    example course the same maximum: all checks for staff, the visible ones for students."""
    import os

    staff, student = listed_total("--all-checks"), listed_total()
    assert staff > student > 0
    only = [f"--only={name}" for name in FAST]
    fast_staff = listed_total("--all-checks", *only)
    fast_student = listed_total(*only)
    sub = submission(tmp_path / "class" / "alice", *FAST)
    mine = json.loads(run(*GRADE, sub, "--course", COURSE_FILE, *only, "--format=json"))
    assert mine["score"] == mine["max_score"] == fast_student
    ids = [c["id"] for e in mine["exercises"] for c in e["checks"]]
    assert "tensors.math.det" not in ids and not [i for i in ids if "hidden" in i]
    assert {c["visibility"] for e in mine["exercises"] for c in e["checks"]} == {"visible"}
    assert mine["course"]["sha256"] and mine["course"]["points"]["tensors.slicing"] == 2

    validate_data(mine)

    (tmp_path / "class" / "bob").mkdir()
    stub = (EXAMPLE / "norms" / "stub.py").read_text()
    (tmp_path / "class" / "bob" / "norms.py").write_text(stub)
    env = {**os.environ, SECRET: "course secret"}
    out = tmp_path / "grades"
    command = [sys.executable, "-m", "grader.cohort", tmp_path / "class", "--out", out]
    command += ["--course", COURSE_FILE, *only, "--workers=1"]
    run(*command, env=env)
    first = graded(out)
    assert first["alice"][:2] == (fast_staff, fast_staff) and first["bob"][:2] == (0, fast_staff)
    parsed = course.parse(COURSE_FILE.read_text(), COURSE_FILE)
    monkeypatch.setenv(SECRET, "course secret")
    assert first["alice"][2] == parsed.seed_for("alice", 0) != first["bob"][2]
    assert first["bob"][2] == parsed.seed_for("bob", 0)
    run(*command, "--regrade", env=env)
    assert graded(out) == first, "a rerun: the same seed, the same grade"

    template = tmp_path / "template"
    result = CliRunner().invoke(
        template_main, ["student", str(template), "--grader", "g", "--course", str(COURSE_FILE)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (template / "exercises").iterdir()) == [
        f"{n}.py" for n in sorted(parsed.names())
    ]
    assert not (template / "hidden").exists() and not list(template.rglob("solution.py"))
    handed_out = "".join(p.read_text() for p in template.rglob("*") if p.is_file())
    for secret in ("hidden_slicing", "hidden_checks", SECRET):
        assert secret not in handed_out
    assert workflow_maximum(template) == student
    assert pinned(template) == 0, "the course files as handed out"
    with (template / "course.toml").open("a") as edited:
        edited.write('[points]\n"tensors" = 100\n')
    assert pinned(template) != 0, "a step never grades with an edited course file"

    bundle = tmp_path / "autograder.zip"
    result = CliRunner().invoke(
        template_main, ["gradescope", str(bundle), "--grader", "g", "--course", str(COURSE_FILE)]
    )
    assert result.exit_code == 0, result.output
    results = gradescope(tmp_path, bundle, sub, only)
    assert results["score"] == fast_staff == sum(t["max_score"] for t in results["tests"])
    seen = {t["number"]: t["visibility"] for t in results["tests"]}
    assert seen["tensors.math.det"] == seen["tensors.hidden_slicing.column_of_a_wide_matrix"]
    assert (
        seen["tensors.math.det"] == "hidden" and seen["autograd.fit.fit_line"] == "after_due_date"
    )
    assert "hidden_slicing" not in results["output"] and "seed" not in results["output"]
    assert results["extra_data"]["seed"] == parsed.seed_for("alice", 0), "the student's own"
    visible = [t for t in results["tests"] if t["visibility"] == "visible"]
    points = sum(t["max_score"] for t in visible)
    assert results["output"].startswith(f"{points:g} / {points:g} points in the checks shown")


def graded(out: Path) -> dict[str, tuple[float, float, int]]:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        rows = db.execute("SELECT student, score, max_score, seed FROM submissions").fetchall()
    return {student: (score, top, seed) for student, score, top, seed in rows}


def pinned(template: Path) -> int:
    """Run a step's check of the course files (sha256sum) in the template."""
    workflow = (template / ".github/workflows/classroom.yml").read_text()
    (check,) = set(re.findall(r"if (printf '[^']*' \| sha256sum --check --quiet)", workflow))
    return subprocess.run(["bash", "-c", check], cwd=template, capture_output=True).returncode


def workflow_maximum(template: Path) -> float:
    """The points the Classroom workflow's steps stand for (their fallback payloads)."""
    import base64

    workflow = yaml.safe_load((template / ".github/workflows/classroom.yml").read_text())
    total = 0.0
    for step in workflow["jobs"]["run-autograding-tests"]["steps"]:
        for encoded in re.findall(r'echo "result=([A-Za-z0-9+/=]+)"', step.get("run", "")):
            total += json.loads(base64.b64decode(encoded))["max_score"]
    return total


def gradescope(tmp_path: Path, bundle: Path, sub: Path, only: list[str]) -> dict[str, Any]:
    """run_autograder as Gradescope runs it: the bundle in source/, the upload, metadata."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    (root / "submission").mkdir(parents=True)
    for path in sub.iterdir():
        (root / "submission" / path.name).write_bytes(path.read_bytes())
    users = [{"sid": "alice", "email": "a@example.org", "name": "Alice"}]
    (root / "submission_metadata.json").write_text(json.dumps({"users": users}))
    import os

    env = {**os.environ, "AUTOGRADER_ROOT": str(root)}
    env.pop(SECRET, None)  # the bundle carries its secret
    run("bash", root / "source" / "run_autograder", *only, env=env)
    data: dict[str, Any] = json.loads((root / "results" / "results.json").read_text())
    return data


@pytest.mark.slow
@pytest.mark.usefixtures("mnist_root")
def test_the_course_sets_the_accuracy_target(tmp_path: Path) -> None:
    """The example course asks 95 % of the MLP (the check's own target is 96 %)."""
    out = run(*GRADE, SOLUTIONS, "--course", COURSE_FILE, "--only=mlp",
              "--check=mlp.trained_accuracy.mlp", "--format=json")  # fmt: skip
    (check,) = [c for e in json.loads(out)["exercises"] for c in e["checks"]]
    assert check["status"] == "passed"
    training = check["details"]["training"]
    assert (training["threshold"], training["floor"]) == (0.95, 0.85)
    assert training["accuracy"] >= 0.95


@pytest.mark.slow
def test_the_stubs_of_a_courses_own_exercise_stay_in_sync() -> None:
    out = run(sys.executable, "-m", "grader.stubs", SOLUTIONS, EXERCISES, "--check",
              "--course", COURSE_FILE)  # fmt: skip
    assert out.startswith("0 stub(s) stale")


EXTRA_CHECKS = """
import pytest
import torch

from grader.kit import Remote, assert_tensor, exercise_fixture

extra = exercise_fixture("extra")


class TestSums:
    @pytest.mark.points(1)
    def test_total(self, extra: Remote) -> None:
        \"\"\"total(x) is x.sum()\"\"\"
        x = torch.randn(5)
        assert_tensor(extra.total(x), x.sum(), "total(x)")
"""


@pytest.mark.slow
def test_two_exercises_of_a_courses_own_each_with_a_checks_module(tmp_path: Path) -> None:
    """Each own exercise's module is checks.py: the checker imports them by path."""
    for name in ("norms", "extra"):
        (tmp_path / name).mkdir()
    (tmp_path / "norms" / "checks.py").write_text((EXAMPLE / "norms" / "checks.py").read_text())
    (tmp_path / "extra" / "checks.py").write_text(EXTRA_CHECKS)
    course_file = tmp_path / "course.toml"
    course_file.write_text(
        '[exercises.norms]\nfolder = "norms"\n[exercises.extra]\nfolder = "extra"\n'
        '[points]\n"extra.sums" = 4\n'
    )
    out = run(*GRADE, "--list", "--course", course_file, "--only=norms", "--only=extra")
    assert "norms (norms): 6 checks, 9 points" in out
    assert "4  extra.sums.total  total(x) is x.sum()" in out
    course_file.write_text(course_file.read_text() + '"extra.norm" = 1\n')
    proc = subprocess.run(
        [*GRADE, "--list", "--course", str(course_file)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "course.toml: points.extra.norm matches no check" in proc.stderr
