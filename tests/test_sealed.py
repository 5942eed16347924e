"""The sealed worker, attacked for real: what it cannot see, what it cannot keep, what it
cannot take from its classmates.

As root with bubblewrap the worker runs at the level `sealed+user`: a file system of its
own (interpreter and packages read-only, its submission copy read-only, private tmpfs
scratch), new PID, network, IPC and UTS namespaces and a user id of its own; unprivileged,
bubblewrap in a user namespace gives `sealed`. Each attack is a real `grade` or
`grade-class` subprocess, next to an honest twin where one makes sense; a promise that only
a sealed box makes is skipped, with the level in the reason, where the machine has none.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.engine.box import Spec
from grader.engine.verdict import Submission, classify
from grader.engine.watch import resident_mb, tree
from grader.engine.workers import Worker
from grader.kit.errors import GraderFault
from grader.report import Status
from grader.worker.wire import GetModule, Job
from tests.conftest import (
    EXERCISES,
    ROOT,
    SOLUTIONS,
    Maximum,
    replace_function,
    solution_text,
    validate_data,
)
from tests.test_grade_class import grade_class, rows
from tests.test_trusted import (
    AS_ROOT,
    CANARY,
    SECRETS,
    Graded,
    assert_element_over_1024_mb,
    grade,
    honest_zero,
)
from tests.test_trusted import running as trusted_running

pytestmark = pytest.mark.slow  # grades in real subprocesses

TAG = "sealed-7272"
SEALED = {"sealed+user", "sealed"}
SCRATCH = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"))
NOBODY = 65534


def stub_then(attack: str) -> str:
    """The untouched tensors stub with `attack` appended: it runs at import, after the
    stub's functions are defined (so that it may replace them)."""
    return (EXERCISES / "tensors.py").read_text(encoding="utf-8") + "\n\n" + attack


def check(graded: Graded, check_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in graded.checks if c["id"] == check_id)
    return found


def running(tag: str = TAG) -> list[int]:
    """Processes whose command line holds `tag`."""
    return trusted_running(tag)


def end_running(tag: str = TAG) -> None:
    """SIGKILL what an attack left running (each by its id), so that a failed test does not
    leave the machine spinning."""
    for pid in running(tag):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def class_of(tmp_path: Path, **students: str) -> tuple[Path, Path]:
    """A class folder with one tensors.py per student, and grade-class's output folder."""
    root = tmp_path / "class"
    for student, text in students.items():
        (root / student).mkdir(parents=True)
        (root / student / "tensors.py").write_text(text, encoding="utf-8")
    return root, tmp_path / "out"


def isolation_in(out: Path, student: str) -> str:
    """The isolation level recorded in a student's report in grade-class's gradebook."""
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        (text,) = db.execute(
            "SELECT report FROM submissions WHERE student = ?", (student,)
        ).fetchone()
    return str(json.loads(text)["environment"]["isolation"])


# 1. Copying a classmate's (or the grader's) solution


THIEF = f"""
import os as _os
from pathlib import Path as _Path


def _steal():
    here = _Path(__file__).resolve()
    roots = ["/tmp", "/var/tmp", *(str(p) for p in here.parents if p != p.parent)]
    found = [{str(ROOT / "solutions" / "tensors.py")!r}]
    for root in roots:
        seen = 0
        for folder, subfolders, files in _os.walk(root):
            subfolders[:] = [s for s in subfolders if s not in ("proc", "sys", ".venv")]
            seen += 1
            if seen > 20_000:
                break
            if "tensors.py" in files:
                found.append(_os.path.join(folder, "tensors.py"))
    for path in found:
        try:
            if _Path(path).resolve() == here:
                continue
            text = open(path, encoding="utf-8").read()
        except OSError:
            continue
        if "def make_full" in text and "raise NotImplementedError" not in text:
            exec(compile(text, path, "exec"), globals())
            return path
    return None


_STOLEN = _steal()
"""
# Rebinding every name of the stub hides, from a reading of the source, that the file still
# holds the stubs (a check that used a name still bound to its stub scores nothing): so the
# thief is stopped by the box alone.
THIEF += "".join(
    f"{name} = globals()[{name!r}]\n"
    for name in re.findall(r"^def (\w+)", (EXERCISES / "tensors.py").read_text(), re.M)
)


def test_a_thief_alone_finds_no_solution_to_copy(tmp_path: Path) -> None:
    graded = grade(tmp_path, stub_then(THIEF))
    if graded.isolation not in SEALED:
        pytest.skip(f"isolation {graded.isolation!r}: the worker sees the host's files")
    honest_zero(graded)


def test_the_thief_does_copy_where_the_worker_sees_the_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, maximum: Maximum
) -> None:
    """The honest twin of the thief's run: without a file system of its own (the level
    forced), the same stub finds the checkout's solution and scores it: the attack is real."""
    level = "user" if AS_ROOT and shutil.which("setpriv") else "process"
    monkeypatch.setenv("GRADER_ISOLATION", level)
    graded = grade(tmp_path, stub_then(THIEF))
    assert graded.isolation == level
    assert graded.score() == (maximum["tensors"],) * 2


def test_a_thief_in_a_class_copies_nothing_from_an_honest_classmate(tmp_path: Path) -> None:
    root, out = class_of(tmp_path, thief=stub_then(THIEF), honest=solution_text("tensors"))
    options = ["--only", "tensors", "--workers", "2", "--check-timeout", "10", "--no-download"]
    done = grade_class(root, "--out", out, *options)
    assert done.returncode == 0, done.stderr[-3000:]
    level = isolation_in(out, "thief")
    if level not in SEALED:
        pytest.skip(f"isolation {level!r}: the worker sees the classmate's files")
    grades = {row["student"]: row for row in rows(out / "grades.csv")}
    assert (grades["thief"]["tensors"], grades["honest"]["tensors"]) == ("0", "48")


# 2. The data folder


def test_the_mnist_files_are_out_of_sight(tmp_path: Path, mnist_root: Path) -> None:
    """At import the stub reads every file under the MNIST folder, and, as a control, every
    file of its own folder; make_full prints both counts in its check."""
    on_host = [p for p in mnist_root.rglob("*") if p.is_file()]
    assert on_host, "no MNIST file to hide"
    attack = (
        "import os as _os\n\n\n"
        "def _readable(root):\n"
        "    count = 0\n"
        "    for folder, _, files in _os.walk(root):\n"
        "        for name in files:\n"
        "            try:\n"
        "                with open(_os.path.join(folder, name), 'rb') as handle:\n"
        "                    count += len(handle.read(16)) > 0\n"
        "            except OSError:\n"
        "                pass\n"
        "    return count\n\n\n"
        f"_READ = _readable({str(mnist_root)!r})\n"
        "_OWN = _readable(_os.path.dirname(_os.path.abspath(__file__)))\n"
    )
    body = "print(f'READ:{_READ} OWN:{_OWN}')\nraise NotImplementedError('tensors: make_full')"
    source = replace_function(stub_then(attack), "make_full", body)
    graded = grade(tmp_path, source)
    honest_zero(graded)
    output = str(check(graded, "tensors.creating.full")["output"])
    assert "OWN:" in output, f"the counts were not printed: {output!r}"
    own = int(output.split("OWN:")[1].split()[0])
    assert own >= 1, "the control read nothing: the stub's own file must be readable"
    if graded.isolation not in SEALED:
        pytest.skip(f"isolation {graded.isolation!r}: the data folder is visible")
    assert "READ:0 " in output, output


# 3. Writes that could outlive the run


def listing() -> set[Path]:
    found: set[Path] = set()
    for folder in SCRATCH:
        with contextlib.suppress(OSError):
            found |= set(folder.iterdir())
    return found


def ours(path: Path, own: Path) -> bool:
    """Made by the test itself: pytest's temporary folders."""
    return path.name.startswith("pytest-of-") or own.is_relative_to(path)


def test_writes_at_import_leave_nothing_behind(tmp_path: Path) -> None:
    """3,000 nested folders in the working folder and in HOME, 100 MB in /dev/shm and in
    /tmp (in a second file once the first passes the worker's file size limit of 64 MB): the
    run still grades, and the host's scratch folders hold nothing new after it. make_full
    prints what the import managed to write (the attack did run)."""
    attack = (
        "import os as _os\n\n\n"
        "def _fill():\n"
        "    done = []\n"
        "    start = _os.getcwd()\n"
        "    home = _os.environ.get('HOME', start)\n"
        f"    for base, name in ((start, '{TAG}-cwd'), (home, '{TAG}-home')):\n"
        "        depth = 0\n"
        "        try:\n"
        "            _os.chdir(base)\n"
        "            for _ in range(3000):\n"
        "                _os.makedirs(name, exist_ok=True)\n"
        "                _os.chdir(name)\n"
        "                depth += 1\n"
        "        except OSError:\n"
        "            pass\n"
        "        done.append(depth)\n"
        "    _os.chdir(start)\n"
        "    for folder in ('/dev/shm', '/tmp'):\n"
        "        written, part = 0, 0\n"
        "        while written < 100 * 2**20 and part < 4:\n"
        "            part += 1\n"
        "            try:\n"
        f"                with open(f'{{folder}}/{TAG}-big{{part}}', 'wb') as handle:\n"
        "                    while written < 100 * 2**20:\n"
        "                        written += handle.write(b'x' * 2**20)\n"
        "            except OSError:\n"
        "                pass\n"
        "        done.append(written // 2**20)\n"
        "    return ','.join(map(str, done))\n\n\n"
        "_WROTE = _fill()\n"
    )
    body = "print(f'WROTE:{_WROTE}')\nraise NotImplementedError('tensors: make_full')"
    source = replace_function(stub_then(attack), "make_full", body)
    before = listing()
    try:
        graded = grade(tmp_path, source)
        honest_zero(graded)
        output = str(check(graded, "tensors.creating.full")["output"])
        assert "WROTE:3000,3000,100,100" in output, f"the attack did not run in full: {output!r}"
        if graded.isolation not in SEALED:
            pytest.skip(f"isolation {graded.isolation!r}: /tmp and /dev/shm are the host's")
        new: list[Path] = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            new = sorted(p for p in listing() - before if not ours(p, tmp_path))
            if not new:
                break
            time.sleep(0.5)
        assert new == [], f"left behind: {new}"
    finally:
        for folder in SCRATCH:
            for path in folder.glob(f"{TAG}-*"):
                subprocess.run(["rm", "-rf", "--", str(path)], check=False)


# 4. Memory that no resident set shows


def test_memfd_files_count_against_the_memory_limit(tmp_path: Path) -> None:
    body = (
        "import os, time\n"
        "chunk = b'x' * (64 * 2**20)\n"
        "held = globals().setdefault('_HELD', [])\n"
        "for k in range(24):\n"
        f"    fd = os.memfd_create('{TAG}-' + str(k))\n"
        "    os.write(fd, chunk)\n"
        "    held.append(fd)\n"
        "time.sleep(5)\n"
        "return A[i, j]"
    )
    assert_element_over_1024_mb(tmp_path, body)


# 5. A busy process tree beside an honest classmate


@contextlib.contextmanager
def counting(seen: list[int], tag: str = TAG) -> Iterator[None]:
    """Keep in seen[0] the most processes with `tag` running at once while the block runs."""
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            seen[0] = max(seen[0], len(running(tag)))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def test_a_busy_tree_leaves_the_classmate_full_marks_and_nothing_running(
    tmp_path: Path,
) -> None:
    attack = (
        "import os as _os\n\n"
        "for _ in range(6):\n"
        "    if _os.fork() == 0:\n"
        "        try:\n"
        f"            _os.execv('/bin/sh', ['/bin/sh', '-c', 'while :; do :; done', '{TAG}'])\n"
        "        finally:\n"
        "            _os._exit(1)\n"
    )
    root, out = class_of(tmp_path, busy=stub_then(attack), honest=solution_text("tensors"))
    seen: list[int] = [0]
    try:
        options = ["--only", "tensors", "--workers", "2", "--threads", "1", "--timeout", "120"]
        with counting(seen):
            done = grade_class(root, "--out", out, *options, "--no-download")
        assert done.returncode == 0, done.stderr[-3000:]
        assert seen[0] >= 6, "the spinning processes never ran"
        grades = {row["student"]: row for row in rows(out / "grades.csv")}
        assert grades["honest"]["tensors"] == "48", grades["honest"]
        assert grades["busy"]["tensors"] == "0", grades["busy"]
        time.sleep(2)
        assert running() == [], "spinning processes outlived grade-class"
    finally:
        end_running()


# 6. An answer too large to check


class PeakTree:
    """The peak resident memory (sums of PSS) of this process's descendants, sampled every
    50 ms while the block runs: of all of them, and of the grader's own (`grade` and its
    checkers, not the worker that runs student code, nor the bwrap around it). PSS, not RSS:
    a checker's child caught between fork and exec would count the checker's pages twice."""

    def __init__(self) -> None:
        self.peak_mb, self.grader_mb, self.done = 0.0, 0.0, threading.Event()

    @contextlib.contextmanager
    def watching(self) -> Iterator[PeakTree]:
        thread = threading.Thread(target=self.sample, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.done.set()
            thread.join()

    def sample(self) -> None:
        me = os.getpid()
        while not self.done.wait(0.05):
            pids = [pid for pid in tree(me) if pid != me]
            grader = [pid for pid in pids if not worker_side(pid)]
            self.peak_mb = max(self.peak_mb, resident_mb(pids, proportional=True))
            self.grader_mb = max(self.grader_mb, resident_mb(grader, proportional=True))


def worker_side(pid: int) -> bool:
    """A worker process, or a process of its box (bwrap, setpriv, unshare)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True
    box = Path(args[0].decode(errors="replace")).name in {"bwrap", "setpriv", "unshare"}
    return box or b"grader.worker" in args


def test_a_huge_answer_is_refused_without_the_memory_it_would_take(
    tmp_path: Path, maximum: Maximum
) -> None:
    """element returns 120 MB: that check fails as too large, the rest pass, and the peak
    memory of the grader's processes stays that of its honest twin (the answer is refused
    unread)."""
    (tmp_path / "honest").mkdir()
    with PeakTree().watching() as honest:
        twin = grade(tmp_path / "honest", solution_text("tensors"))
    assert twin.score() == (maximum["tensors"],) * 2
    body = "return torch.zeros(30_000_000)"
    with PeakTree().watching() as huge:
        graded = grade(tmp_path, replace_function(solution_text("tensors"), "element", body))
    element = check(graded, "tensors.slicing.element")
    assert element["status"] in {"failed", "error"}
    assert "too large" in str(element["message"]), element["message"]
    assert graded.score() == (47.0, 48.0)
    # the grader's side never reads the answer: a read of it would add 120 MB or more
    assert huge.grader_mb < honest.grader_mb + 60, (huge.grader_mb, honest.grader_mb)
    # the worker holds the tensor and its serialised copies: bounded, and so the whole tree
    assert huge.peak_mb < honest.peak_mb + 512, (huge.peak_mb, honest.peak_mb)


# 7. Unprivileged: bubblewrap in a user namespace


def as_nobody() -> list[str]:
    """The prefix that runs a program as an unprivileged user: uid 65534 as root."""
    if not AS_ROOT:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("no setpriv to drop root")
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


def venv_problem(prefix: list[str]) -> str:
    """Why this interpreter cannot serve `grade` under `prefix`, or ''. `grade` starts
    sys.executable again in its children, so the probe does too, and it compares versions:
    an interpreter whose own library is out of reach may fall back to the system's."""
    code = (
        "import subprocess, sys\n"
        "import grader.cli, torch\n"
        "again = [sys.executable, '-c', 'import sys, grader.cli, torch; print(sys.version)']\n"
        "print(subprocess.run(again, capture_output=True, text=True, check=True).stdout)\n"
    )
    done = subprocess.run(
        [*prefix, sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd="/",
    )
    if done.returncode != 0:
        return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "it failed"
    if done.stdout.strip() != sys.version:
        return f"its Python is {done.stdout.strip()!r}, not {sys.version!r}"
    return ""


def test_unprivileged_grade_is_sealed_and_full_marks(tmp_path: Path, maximum: Maximum) -> None:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        pytest.skip("bwrap is not installed")
    prefix = as_nobody()
    probe = [*prefix, bwrap, "--unshare-user", "--ro-bind", "/", "/", "true"]
    if subprocess.run(probe, capture_output=True, check=False, timeout=30).returncode != 0:
        pytest.skip("unprivileged user namespaces do not work here (bwrap --unshare-user)")
    usable = venv_problem(prefix)
    if usable:
        pytest.skip(f"the venv is not usable by uid {NOBODY if AS_ROOT else os.getuid()}: {usable}")
    folder = Path(tempfile.mkdtemp(prefix=f"{TAG}-sub-"))
    home = Path(tempfile.mkdtemp(prefix=f"{TAG}-home-"))
    try:
        folder.chmod(0o755)
        submission = folder / "submission"
        submission.mkdir(mode=0o755)
        shutil.copy(SOLUTIONS / "tensors.py", submission / "tensors.py")
        (submission / "tensors.py").chmod(0o644)
        if AS_ROOT:
            os.chown(home, NOBODY, NOBODY)
        report = home / "report.json"
        env = {**os.environ, **SECRETS, "HOME": str(home)}
        env.pop("GRADER_DATA_DIR", None)
        env.pop("GRADER_ISOLATION", None)
        command = [*prefix, sys.executable, "-m", "grader", str(submission), "--only", "tensors"]
        command += ["--no-download", "--check-timeout", "10", "--json", str(report)]
        done = subprocess.run(
            command, cwd=home, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        assert CANARY not in done.stdout + done.stderr
        data = json.loads(report.read_text(encoding="utf-8"))
        validate_data(data)
        assert data["environment"]["isolation"] == "sealed"
        assert (data["score"], data["max_score"]) == (maximum["tensors"],) * 2
    finally:
        for path in (folder, home):
            subprocess.run(["rm", "-rf", "--", str(path)], check=False)


def test_a_worker_that_dies_before_student_code_is_the_graders_fault() -> None:
    """The worker says "ready" before it imports student code; one that ends before that
    (here torch refuses a thread count of -1) failed on its own: a grader error, exit 3,
    never "your code ended the process"."""
    spec = Spec(Job(str(SOLUTIONS.resolve()), "tensors", threads=-1), dict(os.environ), None)
    worker = Worker(spec)
    try:
        with pytest.raises(GraderFault, match="failed before your code ran") as raised:
            worker.request(GetModule())
    finally:
        worker.close()
    outcome = classify(Submission(SOLUTIONS), raised.value, "call")
    assert outcome.status is Status.ERROR and outcome.grader_fault
    assert outcome.message.startswith("grader error, not your code")
