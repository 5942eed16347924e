"""The parent's side of a checker process: when it stops waiting, and what it keeps."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from grader.engine.checkers import run_checker
from grader.engine.events import CheckFinished
from grader.settings import Settings

pytestmark = pytest.mark.slow  # grades in real subprocesses

# A check module whose process lingers after its session: an exit handler that sleeps,
# then leaves a file behind. The parent must not wait for it.
LINGERING = """
    import atexit
    import pathlib
    import time

    import pytest


    def leave_marker():
        time.sleep(5)
        pathlib.Path({marker!r}).write_text("exited by itself")


    atexit.register(leave_marker)


    @pytest.mark.points(1)
    def test_passes():
        assert True


    @pytest.mark.points(1)
    def test_fails():
        assert {status} == 0
"""


def run_lingering(folder: Path, status: int) -> tuple[int, bool, int]:
    """(pytest's exit status, whether the exit handler finished, results received)."""
    folder.mkdir()
    marker = folder / "marker"
    module = folder / "test_lingering.py"
    module.write_text(textwrap.dedent(LINGERING.format(marker=str(marker), status=status)))
    checker = run_checker([str(module)], Settings(threads=1), deadline=time.monotonic() + 120)
    results = [e for e in checker.events if isinstance(e, CheckFinished)]
    return checker.returncode, marker.exists(), len(results)


def test_the_child_is_stopped_once_its_session_ended_with_its_exit_status(
    tmp_path: Path,
) -> None:
    """Once pytest says its session ended, the parent stops the child instead of waiting
    for its interpreter to exit (up to a second with torch loaded); every result is in,
    and the exit status is pytest's own, from the end event."""
    assert run_lingering(tmp_path / "a", 0) == (0, False, 2)
    assert run_lingering(tmp_path / "b", 1) == (1, False, 2)
