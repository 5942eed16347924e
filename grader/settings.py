"""How to grade: every option declared once, with its default, its help and its flag.

`Settings` is made once, from `grade`'s or `grade-class`'s command line (their click
options are generated from the fields below), resolved once by the parent (MNIST found, the
memory limit decided), and handed on whole: to the checker as one JSON file, to the
worker as part of its job. A new option is one field here and the code that reads it.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from grader import course, data, exercises

F = TypeVar("F", bound=Callable[..., Any])


class Device(str, enum.Enum):
    """Where tensors and models go; auto picks CUDA when the checker's torch sees one."""

    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"


def default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def option(
    *flags: str,
    help: str,
    type: Any = None,
    decisive: bool = True,
    commands: tuple[str, ...] = ("grade", "grade-class"),
    private: bool = False,
    **click_args: Any,
) -> dict[str, Any]:
    """A field's command-line form: click's flags, help and type; `decisive` when a
    different value may change a grade (grade-class regrades a submission then);
    `private` when a process that starts `grade` passes it in its `envvar`, never on a
    command line, which other users can read in /proc."""
    return {
        "private": private,
        "flags": flags,
        "help": help,
        "type": type,
        "decisive": decisive,
        "commands": commands,
        "click": click_args,
    }


def internal(decisive: bool = False) -> dict[str, Any]:
    """A field with no flag: set by the parent while it resolves the settings."""
    return {"flags": (), "decisive": decisive, "private": False}


@dataclass(frozen=True)
class Settings:
    """How to grade. Field order is the order of the options in --help."""

    course_file: Path | None = field(
        default=None,
        metadata=option(
            "--course",
            help=f"The course file: points, visibility, accuracy targets, limits, exercises "
            f"[default: ./{course.FILE_NAME} if there is one, else the built-in course].",
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE",
            decisive=False,
        ),
    )
    only: tuple[str, ...] = field(
        default=(),
        metadata=option(
            "--only",
            help=f"Grade only this exercise (repeatable): {', '.join(exercises.names())} "
            "or one of the course's own.",
            multiple=True,
            metavar="NAME",
        ),
    )
    all_checks: bool = field(
        default=False,
        metadata=option(
            "--all-checks/--visible-checks",
            help="Also grade the course's hidden and after-due-date checks (grade-class and "
            "the Gradescope bundle do; a student's run grades the visible ones).",
        ),
    )
    device: Device = field(
        default=Device.AUTO,
        metadata=option(
            "--device",
            help="auto picks CUDA when torch sees a GPU.",
            type=click.Choice([d.value for d in Device]),
        ),
    )
    seed: int = field(
        default=0,
        metadata=option(
            "--seed",
            help="Seed for the checks' inputs: torch, numpy and random are seeded with it "
            "before every check (student code runs under one drawn from it). Also "
            "GRADER_SEED.",
            type=int,
            envvar="GRADER_SEED",
            private=True,
        ),
    )
    timeout_s: float | None = field(
        default=None,
        metadata=option(
            "--timeout",
            help="Wall-clock limit per exercise in seconds [default: per exercise].",
            type=click.FloatRange(min=1),
        ),
    )
    check_timeout_s: float | None = field(
        default=None,
        metadata=option(
            "--check-timeout",
            help="Limit per check in seconds [default: per exercise].",
            type=click.FloatRange(min=1),
        ),
    )
    threads: int = field(
        default_factory=default_threads,
        metadata=option(
            "--threads",
            help="torch threads in the checks, per {per}.",
            type=click.IntRange(min=1),
        ),
    )
    data_dir: Path | None = field(
        default=None,
        metadata=option(
            "--data-dir",
            help=f"Folder holding MNIST/raw/ [default: ${data.ENV_VAR}, then the cache].",
            type=click.Path(file_okay=False, path_type=Path),
            decisive=False,
        ),
    )
    download: bool = field(
        default=True,
        metadata=option(
            "--download/--no-download",
            help="Download MNIST into the cache when no folder has it (GRADER_DOWNLOAD=0: never).",
            envvar="GRADER_DOWNLOAD",
            decisive=False,
        ),
    )
    memory_mb: int | None = field(
        default=None,
        metadata=option(
            "--memory-limit",
            help="Limit on the resident memory of the process tree that runs student code "
            "[default: 4096 on the CPU, or half the RAM if less; none on CUDA].",
            type=click.IntRange(min=256),
            metavar="MB",
        ),
    )
    select: tuple[str, ...] = field(
        default=(),
        metadata=option(
            "--check",
            help="Run only checks whose id starts with ID, e.g. lenet.architecture (repeatable).",
            multiple=True,
            metavar="ID",
            commands=("grade",),
        ),
    )
    jobs: int | None = field(
        default=None,
        metadata=option(
            "--jobs",
            help="Checker processes side by side, the exercises dealt among them; with 1, one "
            "checker grades them all in turn [default: CPU cores // --threads].",
            type=click.IntRange(min=1),
            decisive=False,
            commands=("grade",),
        ),
    )
    keep_env: tuple[str, ...] = field(
        default=(),
        metadata=option(
            "--keep-env",
            help="Pass this environment variable to student code too (repeatable).",
            multiple=True,
            metavar="NAME",
            decisive=False,
            commands=("grade",),
        ),
    )
    output_cap: int = field(
        default=8192,
        metadata=option(
            "--output-cap",
            help="Characters of what student code printed kept per check (first and last "
            "halves, the cut said).",
            type=click.IntRange(min=100),
            metavar="CHARS",
            decisive=False,
        ),
    )
    data_problem: str = field(default="", metadata=internal())
    # The course file's text, read once by the parent (grader.course parses it anywhere).
    course_text: str = field(default="", metadata=internal())
    course_digest: str = field(default="", metadata=internal(decisive=True))

    def __post_init__(self) -> None:
        """Values from JSON or a caller become the declared types, or fail at once."""
        fix = {
            "only": tuple(self.only),
            "select": tuple(self.select),
            "keep_env": tuple(self.keep_env),
            "device": Device(self.device),
            "data_dir": Path(self.data_dir) if self.data_dir else None,
            "course_file": Path(self.course_file) if self.course_file else None,
        }
        for name, value in fix.items():
            object.__setattr__(self, name, value)

    @functools.cached_property
    def course(self) -> course.Course:
        """The course these settings grade: every exercise, its checks and their points.
        Staff runs (`all_checks`) include the hidden check modules."""
        parsed = course.parse(self.course_text, self.course_file)
        return parsed.with_hidden() if self.all_checks else parsed

    @property
    def worker_seed(self) -> int:
        """The seed student code runs under: drawn from the run's seed one way (SHA-256), so
        code that reads it learns nothing of the seed the checks draw their inputs from."""
        digest = hashlib.sha256(f"worker {self.seed}".encode()).digest()
        return int.from_bytes(digest[:4], "big")

    @property
    def jobs_or_default(self) -> int:
        """Exercises side by side: as many as the cores hold at `threads` torch threads."""
        return self.jobs or max(1, (os.cpu_count() or 1) // self.threads)

    def to_json(self) -> str:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return json.dumps(values, default=str)

    @staticmethod
    def from_json(text: str) -> Settings:
        return Settings(**json.loads(text))

    def key(self) -> str:
        """The values that may change a grade, as one string (grade-class's cache key)."""
        decisive = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        kept = {k: v for k, v in decisive.items() if FIELDS[k].metadata["decisive"]}
        return json.dumps(kept, default=str, sort_keys=True)

    def arguments(self) -> list[str]:
        """The same settings as `grade` options, for a `grade` process started by another
        (every value said, since a default may differ on another machine), except those
        read from the environment (`environment()`): a command line is public."""
        args = []
        for f in dataclasses.fields(self):
            value, flags = getattr(self, f.name), f.metadata["flags"]
            if not flags or value is None or value == () or f.metadata["private"]:
                continue
            first = flags[0]
            if "/" in first:
                on, off = first.split("/")
                args.append(on if value else off)
            elif isinstance(value, tuple):
                args += [f"{first}={item}" for item in value]
            else:
                args.append(f"{first}={value.value if isinstance(value, enum.Enum) else value}")
        return args

    def environment(self) -> dict[str, str]:
        """The settings `arguments()` leaves out, as the variables `grade` reads them from
        (a student's own seed: other users can read a command line in /proc)."""
        return {
            f.metadata["click"]["envvar"]: str(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.metadata["private"]
        }


FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def default_of(f: dataclasses.Field[Any]) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def from_cli(given: Mapping[str, Any]) -> Settings:
    """Settings from click's parsed options, which are named after the fields."""
    return Settings(**{k: v for k, v in given.items() if k in FIELDS})


def cli_options(command: str, per: str = "exercise", **defaults: Any) -> Callable[[F], F]:
    """Decorate a click command with the options of the fields offered to `command`,
    each named after its field; `defaults` replace the fields' own."""
    made = []
    for f in dataclasses.fields(Settings):
        meta = f.metadata
        if not meta["flags"] or command not in meta["commands"]:
            continue
        default = defaults.get(f.name, default_of(f))
        if isinstance(default, enum.Enum):
            default = default.value
        shown = default not in (None, ())
        extra = {"type": meta["type"]} if meta["type"] is not None else {}
        made.append(
            click.option(
                *meta["flags"],
                f.name,
                default=default,
                show_default=shown,
                help=meta["help"].format(per=per),
                **extra,
                **meta["click"],
            )
        )

    def apply(function: F) -> F:
        for decorate in reversed(made):
            function = decorate(function)
        return function

    return apply
