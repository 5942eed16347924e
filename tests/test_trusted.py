"""The hostile suite: attacks a student could put in a submission, each graded for real.

Every attack sits on top of an untouched stub (or a solution) and must leave the honest
score and the maximum unchanged, show no canary secret of `grade`'s environment anywhere,
leave a valid report, and leave nothing running or changing after `grade` exits. Where
the machine offers no namespaces or no root, the tests assert the recorded isolation
level and skip what only that isolation can promise.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader import __file__ as GRADER_INIT
from grader.engine.box import LEVELS
from grader.engine.spawner import status_field
from tests.conftest import (
    EXERCISES,
    MNIST_ROOT,
    SOLUTIONS,
    Maximum,
    course_maximum,
    replace_function,
    solution_text,
    validate_data,
)

pytestmark = pytest.mark.slow  # grades in real subprocesses

CANARY = "canary-7f3a9c"
TAG = "attack-5151"
SECRETS = {"GITHUB_TOKEN": f"ghp_{CANARY}", "ACTIONS_RUNTIME_TOKEN": CANARY, "MY_SECRET": CANARY}
STRONG = {"sealed+user", "namespaces+user", "sealed", "namespaces"}
AS_ROOT = os.geteuid() == 0


@dataclass(frozen=True)
class Graded:
    """One `grade` run: its report, what it printed, and the files it published to."""

    report: dict[str, object]
    stdout: str
    files: dict[str, bytes]
    folder: Path

    @property
    def isolation(self) -> str:
        return str(self.report["environment"]["isolation"])  # type: ignore[index]

    @property
    def checks(self) -> list[dict[str, object]]:
        return [c for e in self.report["exercises"] for c in e["checks"]]  # type: ignore[attr-defined]

    def score(self) -> tuple[float, float]:
        return float(self.report["score"]), float(self.report["max_score"])  # type: ignore[arg-type]


def stub_with(attack: str) -> str:
    """The untouched tensors stub with `attack` run when it is imported."""
    source = (EXERCISES / "tensors.py").read_text()
    return source.replace("from torch import Tensor\n", f"from torch import Tensor\n{attack}\n", 1)


def running(tag: str) -> list[int]:
    """Processes whose command line holds `tag`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if tag.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def leftovers() -> list[int]:
    return running(TAG)


def grade(tmp_path: Path, tensors: str, *options: str, timeout: float = 120) -> Graded:
    """`grade FOLDER --only tensors` as Classroom runs it, with canary secrets set."""
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "tensors.py").write_text(tensors)
    files = {name: tmp_path / name for name in ("report.json", "output", "summary")}
    for path in files.values():
        path.write_text("")
    env = {
        **os.environ,
        **SECRETS,
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(files["output"]),
        "GITHUB_STEP_SUMMARY": str(files["summary"]),
    }
    command = [sys.executable, "-m", "grader", str(folder), "--only", "tensors"]
    command += ["--format", "classroom", "--json", str(files["report.json"]), "--no-download"]
    done = subprocess.run(
        [*command, "--check-timeout", "10", *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(files["report.json"].read_text())
    validate_data(report)
    graded = Graded(
        report, done.stdout + done.stderr, {k: p.read_bytes() for k, p in files.items()}, folder
    )
    for name, content in graded.files.items():
        assert CANARY.encode() not in content, f"a secret reached {name}"
    assert CANARY not in graded.stdout
    return graded


def settled(graded: Graded, tmp_path: Path, wait_s: float = 3.0) -> None:
    """Nothing of the run is alive, and nothing it wrote changes afterwards."""
    time.sleep(wait_s)
    if graded.isolation in STRONG:
        assert leftovers() == []
        for name, content in graded.files.items():
            assert (tmp_path / name).read_bytes() == content, f"{name} changed after grade exited"


def honest_zero(graded: Graded) -> None:
    assert graded.score() == (0.0, 48.0)
    assert {c["status"] for c in graded.checks} == {"not_attempted"}


ATTACKS = {
    "pytest plugin found with gc": (
        "import gc\n"
        "class Always:\n"
        "    def pytest_pyfunc_call(self, pyfuncitem):\n"
        "        return True\n"
        "for o in gc.get_objects():\n"
        "    if type(o).__name__ == 'Config' and hasattr(o, 'pluginmanager'):\n"
        "        o.pluginmanager.register(Always())\n"
    ),
    "check functions' __code__ replaced": (
        "import importlib\n"
        "try:\n"
        "    checks = importlib.import_module('grader.checks.tensors')\n"
        "except ImportError:\n"  # a sealed worker has none of the checks
        "    checks = None\n"
        "for cls in list(vars(checks).values()) if checks else []:\n"
        "    if isinstance(cls, type):\n"
        "        for name, f in list(vars(cls).items()):\n"
        "            if name.startswith('test_'):\n"
        "                f.__code__ = (lambda self, *a, **k: None).__code__\n"
    ),
    "TorchFunctionMode says equal": (
        "import torch\n"
        "from torch.overrides import TorchFunctionMode\n"
        "class Yes(TorchFunctionMode):\n"
        "    def __torch_function__(self, func, types, args=(), kwargs=None):\n"
        "        if func in (torch.isclose, torch.allclose, torch.equal):\n"
        "            return True\n"
        "        return func(*args, **(kwargs or {}))\n"
        "Yes().__enter__()\n"
    ),
    "tolerances edited in place": (
        "try:\n"
        "    import grader.kit.assertions as a\n"
        "except ImportError:\n"  # a sealed worker has none of the checks
        "    a = None\n"
        "for name in ('FLOAT32', 'FLOAT64', 'EXACT') if a else ():\n"
        "    object.__setattr__(getattr(a, name), 'rtol', 1e9)\n"
        "    object.__setattr__(getattr(a, name), 'atol', 1e9)\n"
    ),
    "results forged into every channel found": (
        "import json, pathlib\n"
        "line = json.dumps({'event': 'result', 'result': {'score': 999}})\n"
        "for p in pathlib.Path('/proc').glob('[0-9]*/cmdline'):\n"
        "    try:\n"
        "        args = p.read_bytes().split(b'\\0')\n"
        "        if b'--grader-results' in args:\n"
        "            target = args[args.index(b'--grader-results') + 1].decode()\n"
        "            open(target, 'a').write('0' * 64 + ' ' + line + '\\n')\n"
        "    except OSError:\n"
        "        pass\n"
    ),
    "secrets read from /proc and printed": (
        "import os, pathlib\n"
        "found = [os.environ.get('GITHUB_TOKEN', ''), os.environ.get('MY_SECRET', '')]\n"
        "for p in pathlib.Path('/proc').glob('[0-9]*/environ'):\n"
        "    try:\n"
        "        found.append(p.read_bytes().decode(errors='replace'))\n"
        "    except OSError:\n"
        "        pass\n"
        "print('\\n'.join(found))\n"
    ),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_attack_on_a_stub_scores_what_the_stub_scores(tmp_path: Path, attack: str) -> None:
    graded = grade(tmp_path, stub_with(ATTACKS[attack]))
    honest_zero(graded)
    settled(graded, tmp_path, wait_s=0)


def test_pytest_skip_from_student_code_is_an_error_and_keeps_the_maximum(tmp_path: Path) -> None:
    body = "import pytest\npytest.skip('no time')"
    graded = grade(tmp_path, replace_function(solution_text("tensors"), "element", body))
    top = course_maximum()["tensors"]
    assert graded.score() == (top - 1, top)
    element = next(c for c in graded.checks if c["id"] == "tensors.slicing.element")
    assert element["status"] == "error"


def test_a_lone_surrogate_in_a_message_leaves_a_valid_report(tmp_path: Path) -> None:
    body = "raise ValueError('bad \\ud800 text')"
    graded = grade(tmp_path, replace_function(solution_text("tensors"), "element", body))
    top = course_maximum()["tensors"]
    assert graded.score() == (top - 1, top)


def test_an_escaped_daemon_dies_with_the_run(tmp_path: Path) -> None:
    """Double fork, setsid and execve with a clean environment: the daemon then tries to
    rewrite the report and the Classroom output for 20 seconds."""
    report, output = tmp_path / "report.json", tmp_path / "output"
    witness = Path(tempfile.mkdtemp(prefix="witness-")) / "alive"
    witness.parent.chmod(0o777)  # the daemon, under any user id, shows it ran by writing here
    script = (
        "for i in $(seq 200); do echo result=forged >> " + f"{report} 2>/dev/null; "
        f"echo result=forged >> {output} 2>/dev/null; echo x >> {witness}; sleep 0.1; done"
    )
    attack = (
        "import os\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        os.execve('/bin/sh', ['/bin/sh', '-c', {script!r}, {TAG!r}], {{}})\n"
        "    os._exit(0)\n"
    )
    graded = grade(tmp_path, stub_with(attack))
    honest_zero(graded)
    if graded.isolation not in STRONG:
        pytest.skip(f"isolation {graded.isolation!r}: no PID namespace to end the daemon")
    if not graded.isolation.startswith("sealed"):  # a sealed daemon cannot see the witness
        assert witness.exists(), "the daemon never ran"
    size = witness.stat().st_size if witness.exists() else 0
    settled(graded, tmp_path)  # under any level in STRONG: no process of the daemon is left
    if witness.exists():
        assert witness.stat().st_size == size, "the daemon outlived grade"


@pytest.mark.skipif(not AS_ROOT, reason="the worker runs under another user id only as root")
def test_the_grader_install_and_the_data_stay_unwritten(tmp_path: Path) -> None:
    """tensors.py appends to the installed checks and adds files to the MNIST folder."""
    checks = Path(GRADER_INIT).parent / "checks"
    raw = MNIST_ROOT / "MNIST" / "raw" if MNIST_ROOT else Path("/nonexistent")
    attack = (
        "import pathlib\n"
        f"for p in list(pathlib.Path({str(checks)!r}).glob('*.py')):\n"
        "    try:\n"
        "        open(p, 'a').write('\\nraise SystemExit(0)\\n')\n"
        "    except OSError:\n"
        "        pass\n"
        "try:\n"
        f"    (pathlib.Path({str(raw)!r}) / 'train-labels-idx1-ubyte').write_bytes(b'x')\n"
        "except OSError:\n"
        "    pass\n"
    )
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in checks.glob("*.py")}
    graded = grade(tmp_path, stub_with(attack))
    honest_zero(graded)
    assert graded.isolation in {"sealed+user", "namespaces+user", "user"}
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in checks.glob("*.py")} == before
    assert not (raw / "train-labels-idx1-ubyte").exists()


def test_memory_is_limited_for_the_whole_tree(tmp_path: Path) -> None:
    """Three children of 400 MB each pass any per-process limit of 1 GB, not a tree limit."""
    body = (
        "import multiprocessing, time\n"
        "def hog():\n"
        "    block = bytearray(400 * 2**20)\n"
        "    for i in range(0, len(block), 4096):\n"
        "        block[i] = 1\n"
        "    time.sleep(30)\n"
        "children = [multiprocessing.get_context('fork').Process(target=hog) for _ in range(3)]\n"
        "for c in children:\n"
        "    c.start()\n"
        "time.sleep(30)\n"
        "return A[i, j]"
    )
    assert_element_over_1024_mb(tmp_path, body)


def assert_element_over_1024_mb(tmp_path: Path, body: str) -> None:
    """The solution with `element` replaced by `body`, graded under --memory-limit 1024:
    that check is an error naming the limit, every other check passes."""
    source = replace_function(solution_text("tensors"), "element", body)
    graded = grade(tmp_path, source, "--memory-limit", "1024")
    element = next(c for c in graded.checks if c["id"] == "tensors.slicing.element")
    assert element["status"] == "error", element["message"]
    assert "memory" in str(element["message"]) and "1,024 MB" in str(element["message"])
    top = course_maximum()["tensors"]
    assert graded.score() == (top - 1, top)


def test_a_memory_limit_of_1024_mb_still_grades(tmp_path: Path, maximum: Maximum) -> None:
    graded = grade(tmp_path, solution_text("tensors"), "--memory-limit", "1024")
    assert graded.score() == (maximum["tensors"],) * 2


def test_the_report_records_the_isolation_level(tmp_path: Path) -> None:
    graded = grade(tmp_path, (SOLUTIONS / "tensors.py").read_text())
    expected = "namespaces+user" if AS_ROOT and Path("/usr/bin/unshare").exists() else None
    if AS_ROOT and shutil.which("bwrap"):
        expected = "sealed+user"
    assert graded.isolation in set(LEVELS)
    if expected:
        assert graded.isolation == expected


def test_one_zygote_per_submission_and_one_worker_forked_from_it(tmp_path: Path) -> None:
    """The checker starts the submission's box before importing pytest and torch; its
    zygote forks the exercise's worker: while a check runs, exactly those two processes
    serve the submission, the worker a child of the zygote."""
    body = (  # sleeps once: the check calls element on several inputs
        "import time\nif not globals().get('slept'):\n    globals()['slept'] = True\n"
        "    time.sleep(3)\nreturn A[i, j]"
    )
    folder = tmp_path / f"one-worker-{TAG}"  # a name no other test's submission has
    folder.mkdir()
    (folder / "tensors.py").write_text(replace_function(solution_text("tensors"), "element", body))
    command = [sys.executable, "-m", "grader", str(folder), "--only", "tensors", "--no-download"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: dict[int, int] = {}
    deadline = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < deadline:
        seen |= {pid: status_field(pid, "PPid") for pid in worker_processes(folder.name)}
        time.sleep(0.1)
    proc.wait(timeout=60)
    assert len(seen) == 2, seen
    zygote, worker = sorted(seen, key=lambda pid: seen[pid] in seen)
    assert seen[worker] == zygote, seen


def worker_processes(folder: str) -> list[int]:
    """Python processes serving an exercise of a submission copy named `folder`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        python = Path(args[0].decode()).name.startswith("python")
        jobs = [json.loads(a.removeprefix(b"--job=")) for a in args if a.startswith(b"--job=")]
        ours = any(job["folder"].endswith(f"/{folder}") for job in jobs)
        if b"grader.worker" in args and python and ours:
            found.append(int(entry.name))
    return found


def test_an_answer_too_large_to_check_is_that_checks_error(tmp_path: Path) -> None:
    """280 MB back from one call: refused unread, the worker restarted, the rest graded."""
    body = "return torch.zeros(70_000_000)"
    graded = grade(tmp_path, replace_function(solution_text("tensors"), "row", body))
    row = next(c for c in graded.checks if c["id"] == "tensors.slicing.row")
    assert row["status"] == "failed" and "too large to check" in str(row["message"])
    top = course_maximum()["tensors"]
    assert graded.score() == (top - 1, top)


def test_settings_rewritten_by_student_code_change_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the weakest box (a plain process, same user), the stub rewrites every settings
    file it can reach at import, to select one check that it then passes. The checker read
    its settings before any worker started: all 56 checks are graded, every one a stub."""
    monkeypatch.setenv("GRADER_ISOLATION", "process")
    attack = (
        "import glob as _glob, json as _json\n"
        "for _path in _glob.glob('/tmp/grade-*/settings.json'):\n"
        "    try:\n"
        "        with open(_path) as _f:\n"
        "            _data = _json.load(_f)\n"
        "        _data['select'] = ['tensors.creating.full']\n"
        "        with open(_path, 'w') as _f:\n"
        "            _json.dump(_data, _f)\n"
        "    except OSError:\n"
        "        pass\n"
    )
    graded = grade(tmp_path, stub_with(attack))
    assert graded.isolation == "process"
    assert len(graded.checks) == 56
    assert graded.score() == (0.0, 48.0)
