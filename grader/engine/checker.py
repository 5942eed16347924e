"""`python -m grader.engine.checker PYTEST-ARGS`: the checker process, trusted, never imports the
submission.

It starts the submission's box first (standard library only, a few milliseconds), so
that the box's zygote imports torch while the checker imports pytest and torch, then runs
pytest in this process with the box handed to the plugin (grader/engine/plugin.py; its
state is grader/engine/state.py), which forks a worker per exercise from it.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grader.engine.box import Spec
from grader.engine.sandbox import read_problems
from grader.engine.spawner import Spawner
from grader.engine.watch import CpuShare
from grader.settings import Settings
from grader.worker.wire import Job

if TYPE_CHECKING:  # not imported here: the box starts before the checker imports torch
    from grader.data import Mnist
    from grader.kit.training import Prepared


@dataclass(frozen=True)
class Preloaded:
    """What a forkserver (grader/engine/forkserver.py) read before it forked this checker:
    MNIST from `folder`, and normalised on the CPU."""

    folder: Path | None = None
    mnist: Mnist | None = None
    prepared: Prepared | None = None

    @staticmethod
    def read(folder: Path | None) -> Preloaded:
        """MNIST from `folder`, or nothing when it is missing or broken: each checker
        then reads it again and reports the problem on the checks that need it."""
        if folder is None:
            return Preloaded()
        import torch

        from grader.data import MnistError, load
        from grader.kit.training import Prepared

        try:
            mnist = load(folder)
        except MnistError:
            return Preloaded()
        return Preloaded(folder, mnist, Prepared.from_mnist(mnist, torch.device("cpu")))


class Started:
    """A pytest plugin object that carries the settings, read before any worker started
    (student code never runs before they are in memory), the submission's box, started
    early so that its zygote imports torch while the checker does, and what a forkserver
    read before forking the checker."""

    def __init__(
        self,
        settings: Settings,
        spawner: Spawner | None = None,
        preloaded: Preloaded | None = None,
    ) -> None:
        self.settings, self.spawner = settings, spawner
        self.preloaded = preloaded or Preloaded()


def worker_spec(settings: Settings, folder: Path, name: str) -> Spec:
    """The worker of exercise `name` of the submission copy in `folder`."""
    job = Job(
        folder=str(folder),
        exercise=name,
        problem=read_problems(folder).get(f"{name}.py", ""),
        threads=settings.threads,
        seed=settings.worker_seed,
        device=settings.device.value,
    )
    return Spec(job, dict(os.environ), settings.memory_mb)


def box_spec(settings: Settings, folder: Path, names: list[str]) -> Spec:
    """The box of the submission copy in `folder`: its zygote warms an optimizer when one
    of these exercises trains on MNIST."""
    spec = worker_spec(settings, folder, "")
    warm = settings.data_dir is not None and any(trains_on_mnist(settings, n) for n in names)
    return dataclasses.replace(spec, job=dataclasses.replace(spec.job, warm_optimizer=warm))


def read_settings(path: Path | None) -> Settings:
    return Settings.from_json(path.read_text(encoding="utf-8")) if path else Settings(threads=1)


def early_box(argv: list[str]) -> Started:
    """Start the submission's box (its zygote imports torch), if the checker grades one."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--grader-submission", type=Path)
    parser.add_argument("--grader-settings", type=Path)
    parser.add_argument("--collect-only", action="store_true")
    known, rest = parser.parse_known_args(argv)
    settings = read_settings(known.grader_settings)
    names = exercises_of(rest, settings)
    if known.grader_submission is None or known.collect_only or not names:
        return Started(settings)
    spec = box_spec(settings, known.grader_submission.resolve(), names)
    workdir = Path.cwd().parent / "worker"  # beside the checker's cwd, in its 0711 folder
    workdir.mkdir(mode=0o711)
    spawner = Spawner(spec, workdir, CpuShare(settings.threads))
    spawner.start()
    return Started(settings, spawner)


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


def main(argv: list[str], preloaded: Preloaded | None = None) -> int:
    started = early_box(argv)
    started.preloaded = preloaded or Preloaded()
    import pytest  # after the box started: the zygote and the checker import torch together

    return int(pytest.main(argv, plugins=[started]))


if __name__ == "__main__":
    from grader.engine import (
        checker,  # the plugin looks for grader.engine.checker.Started, not __main__'s
    )

    sys.exit(checker.main(sys.argv[1:]))
