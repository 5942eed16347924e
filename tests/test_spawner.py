"""One box per submission, and checkers forked for a class: the real box, zygote and
forkserver, with real submissions.

A submission's box starts one zygote, which imports torch once and forks a fresh worker
per exercise; stopping a worker kills whatever it left running in the box; a zygote that
student code killed is replaced. A class's checkers are forked from one forkserver and
grade as a fresh checker does; without it they start the plain way.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import pytest

from grader import api
from grader.cohort.pool import forkserver_env
from grader.engine.box import Spec, strongest
from grader.engine.checkers import checker_env
from grader.engine.forkserver import Forkserver
from grader.engine.spawner import Spawner, ended, status_field
from grader.engine.watch import tree
from grader.engine.workers import Worker
from grader.kit.remote import Remote, ask
from grader.report import Status
from grader.settings import Settings
from grader.worker.wire import GetModule, Job
from tests.conftest import FAST, SOLUTIONS, solution_text, statuses

pytestmark = pytest.mark.slow  # starts real boxes and checkers

# At import: a grandchild in a session of its own, which leaves the worker's process tree.
DAEMON = """
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(300)
    os._exit(0)
os.wait()
"""


def spec(folder: Path, name: str) -> Spec:
    return Spec(Job(str(folder.resolve()), name), dict(os.environ), None)


def alive(pids: list[int]) -> set[int]:
    return {pid for pid in pids if not ended(pid)}


def test_each_exercise_gets_a_fresh_worker_forked_from_the_one_zygote() -> None:
    spawner = Spawner(spec(SOLUTIONS, ""))
    spawner.start()
    try:
        seen = []
        for name in ("tensors", "autograd", "tensors"):
            worker = Worker(spec(SOLUTIONS, name), spawner)
            assert isinstance(ask(worker, GetModule()), Remote)
            assert worker.current is not None
            pid = worker.current.pid
            assert status_field(pid, "PPid") == spawner.zygote, "forked by the zygote"
            worker.close()
            deadline = time.monotonic() + 5
            while not ended(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert ended(pid), "a worker is killed when its exercise is done"
            seen.append(pid)
        assert len(set(seen)) == 3, f"a fresh process each time: {seen}"
    finally:
        spawner.close()


def test_what_a_worker_leaves_running_dies_when_it_stops(tmp_path: Path) -> None:
    if strongest().level in ("user", "process"):
        pytest.skip(f"no PID namespace at isolation level {strongest().level}")
    (tmp_path / "tensors.py").write_text(DAEMON, encoding="utf-8")
    tmp_path.chmod(0o755)  # the worker's own user id reads it (grade reads from a copy)
    spawner = Spawner(spec(tmp_path, ""))
    spawner.start()
    try:
        worker = Worker(spec(tmp_path, "tensors"), spawner)
        ask(worker, GetModule())
        assert spawner.launched is not None
        box = spawner.launched.pid
        assert len(alive(tree(box)) - spawner.ancestry()) >= 2, "the worker and its daemon"
        worker.close()
        deadline = time.monotonic() + 5
        while alive(tree(box)) - spawner.ancestry() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert alive(tree(box)) == spawner.ancestry(), "only the zygote and its box are left"
    finally:
        spawner.close()


def test_a_submission_that_kills_its_zygote_still_gets_its_other_exercises_graded(
    tmp_path: Path,
) -> None:
    killer = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
    (tmp_path / "tensors.py").write_text(killer + solution_text("tensors"), encoding="utf-8")
    (tmp_path / "autograd.py").write_text(solution_text("autograd"), encoding="utf-8")
    settings = dataclasses.replace(FAST, only=("tensors", "autograd"), timeout_s=120)
    report = api.grade(tmp_path, settings)
    autograd = next(e for e in report.exercises if e.name == "autograd")
    assert autograd.score == autograd.max_score > 0, autograd
    tensors = {s for check, s in statuses(report).items() if check.startswith("tensors.")}
    assert tensors == {Status.ERROR}, tensors


def test_checkers_forked_from_the_forkserver_grade_as_fresh_ones(mnist_root: Path) -> None:
    """The forkserver read MNIST before forking: the forked checker trains with it."""
    lenet = dataclasses.replace(FAST, only=("lenet",), data_dir=mnist_root, check_timeout_s=120)
    fresh = api.grade(SOLUTIONS, lenet)
    with Forkserver(mnist_root.resolve(), forkserver_env(lenet)) as forks:
        forked = api.grade(SOLUTIONS, lenet, forks=forks)
        assert forks.proc.poll() is None, "the forkserver outlives a submission"
        tensors = api.grade(SOLUTIONS, FAST, forks=forks)
    assert statuses(forked) == statuses(fresh)
    assert forked.score == forked.max_score == fresh.score > 0
    assert tensors.score == tensors.max_score > 0


def test_a_forkserver_that_died_leaves_checkers_to_start_the_plain_way() -> None:
    with Forkserver(None, forkserver_env(FAST)) as forks:
        forks.proc.kill()
        forks.proc.wait()
        report = api.grade(SOLUTIONS, FAST, forks=forks)
    assert report.score == report.max_score > 0


def test_the_course_secret_reaches_neither_the_forkserver_nor_a_checker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.test_course import COURSE_FILE, SECRET

    monkeypatch.setenv(SECRET, "course secret")
    settings = Settings(course_file=COURSE_FILE, course_text=COURSE_FILE.read_text())
    assert SECRET not in forkserver_env(settings)
    assert SECRET not in checker_env(settings, "token")
    kept = Settings(
        course_file=COURSE_FILE, course_text=COURSE_FILE.read_text(), keep_env=(SECRET,)
    )
    assert SECRET not in forkserver_env(kept), "not even when kept by mistake"
    assert SECRET not in checker_env(kept, "token")
