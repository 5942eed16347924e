"""What of a course students get, and what only the staff's bundle carries.

The student template holds the course file as students may see it (no hidden checks
folder, no seed secret's variable, no key that names only hidden checks: their ids stay
secret) and the checks of the course's own exercises; its Classroom steps grade only with
those files unchanged (sha256sum). The Gradescope bundle holds everything, the secret too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
from pathlib import Path

import tomli_w

from grader import course
from grader.engine.runner import collect, target
from grader.errors import UsageError
from grader.settings import Settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

HEADER = "# The course file as handed out to students (python -m grader.template student).\n"


def course_files(parsed: course.Course, hidden: bool) -> dict[str, Path]:
    """The course's files by their path beside the course file: course.toml, its own
    exercises' checks, and (with `hidden`) the hidden check modules."""
    if not parsed.source:
        return {}
    base = Path(parsed.source).parent
    files = {course.FILE_NAME: Path(parsed.source)}
    own = [e.folder / "checks.py" for e in parsed.exercises if e.folder is not None]
    kept = sorted(parsed.hidden_dir.glob("*.py")) if hidden and parsed.hidden_dir else []
    for path in [*own, *kept]:
        if not path.is_relative_to(base):
            raise UsageError(f"{path}: a course's files must lie in the course file's folder")
        files[path.relative_to(base).as_posix()] = path
    return files


def public_ids(settings: Settings) -> list[str]:
    """The ids of every check students could collect: all but the hidden modules'."""
    every = dataclasses.replace(settings, all_checks=True)
    hidden = {e.hidden for e in every.course.exercises if e.hidden is not None}
    collected = collect(every.course.exercises, every)
    return [
        spec.id
        for specs in collected.values()
        for spec in specs
        if Path(target(spec).split("::", 1)[0]) not in hidden
    ]


def student_course(settings: Settings) -> str:
    """The course file's text as students get it (see the module's docstring)."""
    data = tomllib.loads(settings.course_text)
    for key in ("hidden_checks", "seed_secret_env"):
        data.get("course", {}).pop(key, None)
    ids = public_ids(settings)
    for table in ("points", "visibility"):
        if table in data:
            kept = {k: v for k, v in data[table].items() if any(course.matches(k, i) for i in ids)}
            data[table] = kept
    return HEADER + tomli_w.dumps(data)


def write_student_course(settings: Settings, out: Path) -> list[str]:
    """Write the students' course file and the course's own checks into `out`; return
    their paths relative to it."""
    files = course_files(settings.course, hidden=False)
    for relative, path in files.items():
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        if relative == course.FILE_NAME:
            (out / relative).write_text(student_course(settings), encoding="utf-8")
        else:
            (out / relative).write_bytes(path.read_bytes())
    return list(files)


def pinned(out: Path, written: list[str]) -> str:
    """sha256sum's check lines for the course files a template holds, so a step never
    grades with a course.toml the student edited."""
    return "".join(
        f"{hashlib.sha256((out / relative).read_bytes()).hexdigest()}  {relative}\\n"
        for relative in written
    )


def seed_secret(parsed: course.Course) -> str:
    """The course secret per-student seeds come from, taken from the environment now."""
    if not parsed.seed_secret_env:
        return ""
    secret = os.environ.get(parsed.seed_secret_env, "")
    if not secret:
        raise UsageError(
            f"{Path(parsed.source).name} asks for per-student seeds: set "
            f"${parsed.seed_secret_env} to the course secret before building the bundle"
        )
    return secret
