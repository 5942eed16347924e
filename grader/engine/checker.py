"""`python -m grader.engine.checker PYTEST-ARGS`: the checker process, trusted, never imports the
submission.

It starts the worker of the first exercise it grades (standard library only, a few
milliseconds), so that the worker imports torch while the checker imports pytest and
torch, then runs pytest in this process with the worker handed to the plugin.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from grader.engine.box import Launched, Spec, launch, strongest
from grader.engine.sandbox import read_problems
from grader.exercises import trains_on_mnist


class Started:
    """A pytest plugin object that carries the worker started before pytest."""

    def __init__(
        self, launched: Launched | None = None, workdir: Path | None = None, exercise: str = ""
    ) -> None:
        self.launched, self.workdir, self.exercise = launched, workdir, exercise


def early_worker(argv: list[str]) -> Started:
    """Start the worker of the first exercise the checker grades, if it grades a submission."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--grader-submission", type=Path)
    parser.add_argument("--grader-threads", type=int, default=1)
    parser.add_argument("--grader-memory-mb", type=int, default=0)
    parser.add_argument("--grader-device", default="cpu")
    parser.add_argument("--grader-data-dir", default="")
    parser.add_argument("--collect-only", action="store_true")
    known, rest = parser.parse_known_args(argv)
    paths = [Path(a.split("::", 1)[0]) for a in rest if not a.startswith("-")]
    modules = [p for p in paths if p.parent.name == "checks" and p.suffix == ".py"]
    if known.grader_submission is None or known.collect_only or not modules:
        return Started()
    name, folder = modules[0].stem, known.grader_submission.resolve()
    problem = read_problems(folder).get(f"{name}.py", "")
    spec = Spec(
        folder,
        name,
        problem,
        known.grader_threads,
        dict(os.environ),
        known.grader_memory_mb or None,
        device=known.grader_device,
        trains=bool(known.grader_data_dir) and trains_on_mnist(name),
    )
    workdir = Path.cwd().parent / "worker"  # beside the checker's cwd, in its 0711 folder
    return Started(launch(spec, strongest(spec.gpu), workdir), workdir, name)


def main(argv: list[str]) -> int:
    started = early_worker(argv)
    import pytest  # after the worker started: both import torch at the same time

    return int(pytest.main(argv, plugins=[started]))


if __name__ == "__main__":
    from grader.engine import (
        checker,  # the plugin looks for grader.engine.checker.Started, not __main__'s
    )

    sys.exit(checker.main(sys.argv[1:]))
