"""The grading options `grade` and `grade-class` share: one definition, one meaning.

Each is a click option whose default comes from `api.Options`, so the CLI, the API and
the class runner cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from grader import api, data, exercises

F = TypeVar("F", bound=Callable[..., Any])
DEFAULTS = api.Options()


def grading_options(threads: int = DEFAULTS.threads, per: str = "exercise") -> Callable[[F], F]:
    """--only, --device, --seed, --timeout, --check-timeout, --threads, --data-dir,
    --download/--no-download and --memory-limit, in that order."""
    options = [
        click.option(
            "--only",
            multiple=True,
            type=click.Choice(exercises.names()),
            help="Grade only this exercise (repeatable).",
        ),
        click.option(
            "--device",
            type=click.Choice([d.value for d in api.Device]),
            default=DEFAULTS.device.value,
            show_default=True,
            help="auto picks CUDA when torch sees a GPU.",
        ),
        click.option(
            "--seed",
            type=int,
            default=DEFAULTS.seed,
            show_default=True,
            help="Seed for torch, numpy and random, fixed before every check.",
        ),
        click.option(
            "--timeout",
            "timeout_s",
            type=click.FloatRange(min=1),
            help="Wall-clock limit per exercise in seconds [default: per exercise].",
        ),
        click.option(
            "--check-timeout",
            "check_timeout_s",
            type=click.FloatRange(min=1),
            help="Limit per check in seconds [default: per exercise].",
        ),
        click.option(
            "--threads",
            type=click.IntRange(min=1),
            default=threads,
            show_default=True,
            help=f"torch threads in the checks, per {per}.",
        ),
        click.option(
            "--data-dir",
            type=click.Path(file_okay=False, path_type=Path),
            help=f"Folder holding MNIST/raw/ [default: ${data.ENV_VAR}, then the cache].",
        ),
        click.option(
            "--download/--no-download",
            default=DEFAULTS.download,
            show_default=True,
            envvar="GRADER_DOWNLOAD",
            help="Download MNIST into the cache when no folder has it (GRADER_DOWNLOAD=0: never).",
        ),
        click.option(
            "--memory-limit",
            "memory_mb",
            type=click.IntRange(min=256),
            metavar="MB",
            help=(
                "Limit on the resident memory of the process tree that runs student code "
                "[default: 4096 on the CPU, or half the RAM if less; none on CUDA]."
            ),
        ),
    ]

    def apply(function: F) -> F:
        for option in reversed(options):
            function = option(function)
        return function

    return apply
