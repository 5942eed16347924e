"""Systems with less than Linux offers: no `resource` module (Windows), no namespace or
user-switching tools (macOS, containers without them). Simulated here on Linux: a
`resource` module that fails to import comes first on PYTHONPATH, and PATH holds every
program but unshare, setpriv and bwrap. `grade` still grades, in a plain process, and
says so in the report and in its output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SOLUTIONS, Maximum

pytestmark = pytest.mark.slow
MISSING = ("unshare", "setpriv", "bwrap")


def reduced_path(folder: Path) -> str:
    """A folder of links to every program on PATH except the box tools."""
    folder.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            target = folder / entry.name
            if entry.name not in MISSING and not target.exists():
                target.symlink_to(entry.path)
    return str(folder)


def test_grading_without_resource_or_namespace_tools_runs_in_a_plain_process(
    tmp_path: Path, maximum: Maximum
) -> None:
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "resource.py").write_text("raise ImportError('simulated: no resource module')\n")
    env = {
        **os.environ,
        "PATH": reduced_path(tmp_path / "bin"),
        "PYTHONPATH": os.pathsep.join([str(fake), str(ROOT)]),
    }
    env.pop("GRADER_ISOLATION", None)
    report_path = tmp_path / "report.json"
    command = [sys.executable, "-m", "grader", str(SOLUTIONS), "--only", "tensors"]
    done = subprocess.run(
        [*command, "--threads=1", "--json", str(report_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["environment"]["isolation"] == "process"
    assert (report["score"], report["max_score"]) == (maximum["tensors"], maximum["tensors"])
    assert "isolation: process" in done.stdout
    probe = [sys.executable, "-c", "import resource"]
    assert subprocess.run(probe, env=env, capture_output=True, check=False).returncode != 0
