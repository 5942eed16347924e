"""The grader's checks run in this process against a trusted file, for the fast test tier.

The checks, the kit and the verdicts are the real ones; only the worker is replaced by
`InProcessWorker`, which serves the same typed requests with the worker's own dispatcher
(`grader.worker.serve.handle`) and sends every request and answer through the same
pickle and `torch.save`/`torch.load(weights_only=True)` round trip. Only for files of
this repository (the solutions, the stubs, tests/students): student code runs here.
"""

from __future__ import annotations

import io
import os
import pickle
import random
import sys
import tempfile
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from grader.engine.verdict import Submission, check_id, classify
from grader.exercises import CHECKS_DIR
from grader.kit.remote import Remote, ask, raise_failure
from grader.report import Status
from grader.worker.load import Folder, import_exercise
from grader.worker.serve import Workspace, handle, reseed
from grader.worker.wire import GetModule, Request


class InProcessWorker:
    """A `Connection` that serves requests in this process (grader/kit/remote.py)."""

    def __init__(self, folder: Path, exercise: str, seed: int = 0) -> None:
        self.folder, self.exercise = folder.resolve(), exercise
        self.accessed: set[str] = set()
        reseed(seed)
        module = import_exercise(Folder(self.folder), exercise, "")
        sys.modules.pop(exercise, None)
        self.workspace = Workspace(Folder(self.folder), module, os.getpid())

    @property
    def source_path(self) -> Path:
        return self.folder / f"{self.exercise}.py"

    def request(self, request: Request) -> dict[str, Any]:
        crossed = pickle.loads(pickle.dumps(request))
        buffer = io.BytesIO()
        torch.save(handle(self.workspace, crossed), buffer)
        answer = torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)
        return raise_failure(answer)


@dataclass(frozen=True)
class Verdict:
    id: str
    status: Status
    message: str


class InProcess:
    """A pytest plugin giving the checks the fixtures the engine gives them, and keeping
    each check's verdict as `classify` states it."""

    def __init__(
        self, folder: Path, exercise: str, prefixes: tuple[str, ...] = (), seed: int = 0
    ) -> None:
        self.folder, self.exercise, self.prefixes, self.seed = folder, exercise, prefixes, seed
        self.verdicts: dict[str, Verdict] = {}

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Only the checks whose id starts with one of `prefixes`, when given."""
        if self.prefixes:
            items[:] = [item for item in items if check_id(item).startswith(self.prefixes)]

    @pytest.fixture
    def student_modules(self) -> Callable[[str], Remote]:
        def load(name: str) -> Remote:
            module = ask(InProcessWorker(self.folder, name, self.seed), GetModule())
            assert isinstance(module, Remote)
            return module

        return load

    @pytest.fixture
    def device(self) -> torch.device:
        return torch.device("cpu")

    @pytest.fixture
    def progress(self) -> Callable[[str], None]:
        return lambda text: None

    @pytest.fixture
    def credit(self) -> Callable[[float, str], None]:
        return lambda fraction, message: None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        random.seed(self.seed)
        np.random.seed(self.seed)
        torch.manual_seed(self.seed)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        name = check_id(item)
        if call.excinfo is not None and name not in self.verdicts:
            outcome = classify(Submission(self.folder), call.excinfo.value, call.when)
            self.verdicts[name] = Verdict(name, outcome.status, outcome.message)
        elif call.when == "teardown" and name not in self.verdicts:
            self.verdicts[name] = Verdict(name, Status.PASSED, "")
        return report


def check(
    folder: Path,
    exercise: str,
    select: str = "",
    prefixes: tuple[str, ...] = (),
    seed: int = 0,
) -> dict[str, Verdict]:
    """The checks of `exercise` on the file in `folder`, run in this process: all, those
    that the -k expression `select` names, or those whose id starts with one of
    `prefixes`, at `seed`; check id -> verdict."""
    plugin = InProcess(folder, exercise, prefixes, seed)
    args = [str(CHECKS_DIR / f"{exercise}.py"), "-p", "no:cacheprovider", "--noconftest"]
    args += ["--assert=plain", "-o", "addopts=", "--capture=no", "-p", "no:terminal"]
    if select:
        args += ["-k", select]
    before = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="inprocess-") as scratch:
        os.chdir(scratch)  # what student code writes (a saved tensor) lands there, as in a worker
        try:
            pytest.main(args, plugins=[plugin])
        finally:
            os.chdir(before)
    return plugin.verdicts
