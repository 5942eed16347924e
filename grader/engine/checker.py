"""`python -m grader.engine.checker PYTEST-ARGS`: the checker process, trusted, never imports the
submission.

It starts the worker of the first exercise it grades (standard library only, a few
milliseconds), so that the worker imports torch while the checker imports pytest and
torch, then runs pytest in this process with the worker handed to the plugin
(grader/engine/plugin.py; its state is grader/engine/state.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from grader.engine.box import Launched, Spec, launch, strongest
from grader.engine.sandbox import read_problems
from grader.settings import Settings
from grader.worker.wire import Job


class Started:
    """A pytest plugin object that carries the settings, read before any worker started
    (student code never runs before they are in memory), and the worker started early."""

    def __init__(
        self,
        settings: Settings,
        launched: Launched | None = None,
        workdir: Path | None = None,
        exercise: str = "",
    ) -> None:
        self.settings, self.launched = settings, launched
        self.workdir, self.exercise = workdir, exercise


def worker_spec(settings: Settings, folder: Path, name: str) -> Spec:
    """The worker of exercise `name` of the submission copy in `folder`."""
    job = Job(
        folder=str(folder),
        exercise=name,
        problem=read_problems(folder).get(f"{name}.py", ""),
        threads=settings.threads,
        seed=settings.worker_seed,
        device=settings.device.value,
        warm_optimizer=settings.data_dir is not None and trains_on_mnist(settings, name),
    )
    return Spec(job, dict(os.environ), settings.memory_mb)


def read_settings(path: Path | None) -> Settings:
    return Settings.from_json(path.read_text(encoding="utf-8")) if path else Settings(threads=1)


def early_worker(argv: list[str]) -> Started:
    """Start the worker of the first exercise the checker grades, if it grades a submission."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--grader-submission", type=Path)
    parser.add_argument("--grader-settings", type=Path)
    parser.add_argument("--collect-only", action="store_true")
    known, rest = parser.parse_known_args(argv)
    settings = read_settings(known.grader_settings)
    names = exercises_of(rest, settings)
    if known.grader_submission is None or known.collect_only or not names:
        return Started(settings)
    spec = worker_spec(settings, known.grader_submission.resolve(), names[0])
    workdir = Path.cwd().parent / "worker"  # beside the checker's cwd, in its 0711 folder
    return Started(settings, launch(spec, strongest(spec.gpu), workdir), workdir, names[0])


def exercises_of(args: list[str], settings: Settings) -> list[str]:
    """The exercises whose check modules this checker runs, in the order given."""
    modules = module_names(settings)
    paths = [Path(arg.split("::", 1)[0]).resolve() for arg in args if not arg.startswith("-")]
    return list(dict.fromkeys(modules[p] for p in paths if p in modules))


def module_names(settings: Settings) -> dict[Path, str]:
    """Each check module of the course (hidden ones too), resolved, and its exercise."""
    return {
        path.resolve(): exercise.name
        for exercise in settings.course.exercises
        for path in exercise.check_modules
    }


def trains_on_mnist(settings: Settings, name: str) -> bool:
    """Whether the exercise of this name trains on MNIST (its worker warms an optimizer)."""
    exercise = settings.course.exercise(name)
    return exercise is not None and exercise.needs_mnist


def main(argv: list[str]) -> int:
    started = early_worker(argv)
    import pytest  # after the worker started: both import torch at the same time

    return int(pytest.main(argv, plugins=[started]))


if __name__ == "__main__":
    from grader.engine import (
        checker,  # the plugin looks for grader.engine.checker.Started, not __main__'s
    )

    sys.exit(checker.main(sys.argv[1:]))
