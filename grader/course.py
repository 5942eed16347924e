"""A course file (`course.toml`): what an instructor changes without forking the grader.

Points and visibility by check id or id prefix, accuracy targets and time limits per
exercise, which exercises are graded, exercises of the course's own, checks kept from
students, and the secret per-student seeds come from. Read with tomllib, validated
against `course.schema.json` with jsonschema (a bad value is one line that names the key
and what is allowed). An empty file, or none, is the built-in course.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import hmac
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import exercises
from grader.errors import UsageError
from grader.exercises import Accuracy, Exercise

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

FILE_NAME = "course.toml"
SCHEMA = Path(__file__).with_name("course.schema.json")


class Visibility(str, enum.Enum):
    """Who sees a check: everyone, staff only, or students once the due date has passed."""

    VISIBLE = "visible"
    HIDDEN = "hidden"
    AFTER_DUE_DATE = "after_due_date"


@dataclass(frozen=True)
class Course:
    """The exercises graded and how; `source` is the course file ("" for the built-in)."""

    exercises: tuple[Exercise, ...] = exercises.EXERCISES
    points: tuple[tuple[str, float], ...] = ()
    visibility: tuple[tuple[str, Visibility], ...] = ()
    hidden_dir: Path | None = None
    seed_secret_env: str = ""
    source: str = ""
    digest: str = ""

    def names(self) -> tuple[str, ...]:
        return exercises.names(self.exercises)

    def select(self, only: tuple[str, ...] = ()) -> tuple[Exercise, ...]:
        """The exercises to grade, in course order; an unknown name is a usage error."""
        try:
            return exercises.select(only, self.exercises)
        except ValueError as exc:
            raise UsageError(str(exc)) from None

    def exercise(self, name: str) -> Exercise | None:
        return next((e for e in self.exercises if e.name == name), None)

    def with_hidden(self) -> Course:
        """The course with its hidden check modules attached (staff runs grade them)."""
        if self.hidden_dir is None:
            return self
        attached = tuple(
            dataclasses.replace(e, hidden=self.hidden_dir / f"{e.name}.py")
            if (self.hidden_dir / f"{e.name}.py").is_file()
            else e
            for e in self.exercises
        )
        return dataclasses.replace(self, exercises=attached)

    def points_for(self, check_id: str, default: float) -> float:
        value = longest_match(self.points, check_id)
        return default if value is None else value

    def visibility_of(self, check_id: str, from_hidden_module: bool = False) -> Visibility:
        """The course's visibility for the check; a hidden module's checks are hidden
        unless the course says after_due_date."""
        value = longest_match(self.visibility, check_id)
        if from_hidden_module:
            return value if value is Visibility.AFTER_DUE_DATE else Visibility.HIDDEN
        return Visibility.VISIBLE if value is None else value

    def seed_for(self, student: str, public_seed: int) -> int:
        """The student's own seed: HMAC-SHA256 of the id under the course secret (63 bits,
        so it cannot be guessed from other students' seeds); the public seed without one."""
        secret = os.environ.get(self.seed_secret_env, "") if self.seed_secret_env else ""
        if not secret:
            return public_seed
        digest = hmac.new(secret.encode(), student.encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") >> 1

    def unmatched(self, ids: list[str], graded: set[str]) -> list[str]:
        """The course's keys (points.X, visibility.X) of the `graded` exercises that match
        none of these check ids: a typo would otherwise change nothing, silently."""
        tables = (("points", self.points), ("visibility", self.visibility))
        return [
            f"{name}.{prefix}"
            for name, table in tables
            for prefix, _ in table
            if prefix.split(".", 1)[0] in graded and not any(matches(prefix, i) for i in ids)
        ]

    def record(self) -> dict[str, Any]:
        """What the report keeps: where the course came from, its hash and what it set."""
        return {
            "source": self.source,
            "sha256": self.digest,
            "exercises": list(self.names()),
            "points": dict(self.points),
            "visibility": {k: v.value for k, v in self.visibility},
            "accuracy": {
                f"{e.name}.{name}": dataclasses.asdict(target)
                for e in self.exercises
                for name, target in e.accuracy
            },
        }


BUILTIN = Course()


def matches(prefix: str, check_id: str) -> bool:
    """An id prefix names whole parts: `tensors.slicing` matches `tensors.slicing.column`
    and `lenet.questions.answer` matches `lenet.questions.answer[...]`."""
    return check_id == prefix or check_id.startswith((prefix + ".", prefix + "["))


def longest_match(table: tuple[tuple[str, Any], ...], check_id: str) -> Any:
    found = [(len(prefix), value) for prefix, value in table if matches(prefix, check_id)]
    return max(found, key=lambda pair: pair[0])[1] if found else None


def find(given: Path | None, here: Path | None = None) -> Path | None:
    """The course file: as given, else `course.toml` in the current folder, else none."""
    if given is not None:
        return given.resolve()
    default = (here or Path.cwd()) / FILE_NAME
    return default.resolve() if default.is_file() else None


def load(path: Path | None) -> Course:
    """The course in the file at `path` (the built-in one for None)."""
    return parse(read(path), path.resolve()) if path is not None else BUILTIN


def read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--course {path}: cannot read it ({exc.strerror})") from None


def parse(text: str, path: Path | None) -> Course:
    """The course a file's text describes; a bad value is a UsageError of one line."""
    if path is None or not text.strip():
        return dataclasses.replace(BUILTIN, source=str(path or ""), digest=sha256(text))
    where = path.name
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{where}: not valid TOML: {exc}") from None
    validate(data, where)
    return build(data, path.parent, where, text, str(path))


def validate(data: dict[str, Any], where: str) -> None:
    """Check the file against the schema; the first error names its key and what is allowed."""
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path)
    )
    if errors:
        error = errors[0]
        key = ".".join(str(part) for part in error.absolute_path) or "(top level)"
        raise UsageError(f"{where}: {key}: {schema_message(error)}")


def schema_message(error: Any) -> str:
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"{error.message}; allowed keys: {allowed}"
    if error.validator == "enum":
        allowed = ", ".join(repr(v) for v in error.validator_value)
        return f"{error.instance!r} is not one of {allowed}"
    return str(error.message)


def build(data: dict[str, Any], base: Path, where: str, text: str, source: str) -> Course:
    head = data.get("course", {})
    settings = data.get("exercises", {})
    own = [
        own_exercise(name, table, base, where)
        for name, table in settings.items()
        if name not in exercises.names()
    ]
    folders = [e.folder for e in own]
    shared = next((e for e in own if folders.count(e.folder) > 1), None)
    if shared is not None:
        raise UsageError(
            f"{where}: exercises.{shared.name}.folder: {shared.folder} is another exercise's "
            "folder too; each exercise needs its own"
        )
    known = {e.name: e for e in (*exercises.EXERCISES, *own)}
    graded = head.get("graded", [*exercises.names(), *(e.name for e in own)])
    unknown = [name for name in graded if name not in known]
    if unknown:
        raise UsageError(
            f"{where}: course.graded: unknown exercise {unknown[0]!r}; known: "
            f"{', '.join(known)} (an exercise of your own needs [exercises.NAME] folder = ...)"
        )
    for name, table in settings.items():
        if name in exercises.names() and "folder" in table:
            raise UsageError(
                f"{where}: exercises.{name}.folder: {name} is a built-in exercise; give "
                "an exercise of your own another name"
            )
    for table in ("points", "visibility"):
        for prefix in data.get(table, {}):
            if prefix.split(".", 1)[0].split("[", 1)[0] not in known:
                raise UsageError(
                    f"{where}: {table}.{prefix}: no exercise {prefix.split('.', 1)[0]!r}; "
                    f"known: {', '.join(known)}"
                )
    chosen = tuple(adjust(known[name], settings.get(name, {}), where) for name in graded)
    hidden = head.get("hidden_checks")
    hidden_dir = hidden_folder(base / hidden, graded, where) if hidden else None
    return Course(
        exercises=chosen,
        points=tuple(data.get("points", {}).items()),
        visibility=tuple((k, Visibility(v)) for k, v in data.get("visibility", {}).items()),
        hidden_dir=hidden_dir,
        seed_secret_env=head.get("seed_secret_env", ""),
        source=source,
        digest=fingerprint(text, hidden_dir, [e.folder for e in own if e.folder]),
    )


def hidden_folder(folder: Path, graded: list[str], where: str) -> Path:
    """The folder of hidden check modules: it exists, and each module in it is named
    after an exercise the course grades (a misnamed one would silently grade nothing)."""
    if not folder.is_dir():
        raise UsageError(f"{where}: course.hidden_checks: {folder} is not a folder")
    strays = [p.name for p in sorted(folder.glob("*.py")) if p.stem not in graded]
    if strays:
        raise UsageError(
            f"{where}: course.hidden_checks: {strays[0]} names no graded exercise; "
            f"name each module after one: {', '.join(graded)}"
        )
    return folder.resolve()


def own_exercise(name: str, table: dict[str, Any], base: Path, where: str) -> Exercise:
    """An exercise of the course's own: a folder with its solution, stub and checks."""
    if "folder" not in table:
        known = ", ".join(exercises.names())
        raise UsageError(
            f"{where}: exercises.{name}: not a built-in exercise ({known}); "
            "an exercise of your own needs folder = PATH"
        )
    folder = (base / table["folder"]).resolve()
    if not (folder / "checks.py").is_file():
        raise UsageError(f"{where}: exercises.{name}.folder: {folder} has no checks.py")
    return Exercise(
        name,
        table.get("title", name),
        timeout_s=90,
        check_timeout_s=30,
        needs_mnist=table.get("mnist", False),
        accuracy_checks=tuple(table.get("accuracy", {})),
        folder=folder,
    )


def adjust(exercise: Exercise, table: dict[str, Any], where: str) -> Exercise:
    """The course's limits and accuracy targets applied to one exercise."""
    targets = table.get("accuracy", {})
    for check, target in targets.items():
        if check not in exercise.accuracy_checks:
            allowed = ", ".join(exercise.accuracy_checks) or "none"
            raise UsageError(
                f"{where}: exercises.{exercise.name}.accuracy.{check}: no such accuracy "
                f"check; allowed: {allowed}"
            )
        if target["floor"] >= target["threshold"]:
            raise UsageError(
                f"{where}: exercises.{exercise.name}.accuracy.{check}: floor "
                f"{target['floor']:g} must be below threshold {target['threshold']:g}"
            )
    return dataclasses.replace(
        exercise,
        title=table.get("title", exercise.title),
        timeout_s=table.get("timeout", exercise.timeout_s),
        check_timeout_s=table.get("check_timeout", exercise.check_timeout_s),
        accuracy=tuple((check, Accuracy(**target)) for check, target in targets.items()),
    )


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(text: str, hidden_dir: Path | None, folders: list[Path]) -> str:
    """The hash of everything the course decides grades with: the file, the hidden checks
    and its own exercises' checks (grade-class regrades when one changes)."""
    digest = hashlib.sha256(text.encode("utf-8"))
    modules = sorted(hidden_dir.glob("*.py")) if hidden_dir and hidden_dir.is_dir() else []
    for path in [*modules, *(folder / "checks.py" for folder in folders)]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
