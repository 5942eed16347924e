"""The checker's side of the worker: start it, send requests, read answers as data only.

A check reads as if it held the student's module (`tensors.column(A, 1)`): the module is
a `Remote`, attribute lookups and calls become requests, and answers are loaded with
`torch.load(weights_only=True)`: tensors, numbers, strings and plain containers. What
cannot cross (a model, a DataLoader) stays in the worker and comes back as a `Remote`.
"""

from __future__ import annotations

import io
import os
import pickle
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from grader.box import Box, MemoryWatch, kill_tree, strongest, worker_limits
from grader.guarded import rebuild_views, settle
from grader.worker.wire import HANDLE, NUMPY, ChannelClosed, Ref, recv, send

MAX_ITEMS = 10_000


class StudentError(Exception):
    """Student code raised in the worker; `failure` says what, as the worker described it."""

    def __init__(self, failure: dict[str, str]) -> None:
        self.kind = failure.get("kind", "raised")
        self.type = failure.get("type", "Exception")
        self.message = failure.get("message", "")
        self.where = failure.get("where", "")
        self.traceback = failure.get("traceback", "")
        super().__init__(self.message)


class MissingName(StudentError, AttributeError):
    """The student's module does not define a name a check asked for."""


class WorkerGone(Exception):
    """The worker process ended (student code exited, crashed or was killed)."""


@dataclass(frozen=True)
class Spec:
    """What a worker serves: one exercise of the submission copy."""

    folder: Path
    exercise: str
    problem: str
    threads: int
    env: dict[str, str]
    memory_mb: int | None


class Worker:
    """One worker process for one exercise; started again after it dies or hangs."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.box: Box = strongest()
        self.proc: subprocess.Popen[bytes] | None = None
        self.sock: socket.socket | None = None
        self.watch: MemoryWatch | None = None
        self.output = tempfile.NamedTemporaryFile(prefix="worker-", suffix=".log")  # noqa: SIM115
        self.home = Path(tempfile.mkdtemp(prefix="grader-worker-"))
        self.has_data = False

    def start(self) -> None:
        """Start the worker now; its import of torch runs while the checker goes on."""
        ours, theirs = socket.socketpair()
        if self.box.uid is not None:
            os.chown(self.home, self.box.uid, self.box.uid)
        spec = self.spec
        command = [
            *self.box.prefix,
            sys.executable,
            "-m",
            "grader.worker",
            f"--fd={theirs.fileno()}",
            f"--folder={spec.folder}",
            f"--exercise={spec.exercise}",
            f"--problem={spec.problem}",
            f"--threads={spec.threads}",
        ]
        env = {**spec.env, "HOME": str(self.home), "TMPDIR": str(self.home)}
        try:
            self.proc = subprocess.Popen(
                command,
                cwd=self.home,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=self.output,
                stderr=subprocess.STDOUT,
                pass_fds=(theirs.fileno(),),
                preexec_fn=worker_limits(self.box),
            )
        finally:
            theirs.close()
        self.sock, self.watch = ours, MemoryWatch(self.proc, spec.memory_mb)

    def ask(self, *request: Any) -> Any:
        """The value of one request's answer, as Remotes and data."""
        return self.value(self.request(*request)["value"])

    def request(self, *request: Any) -> dict[str, Any]:
        """Send one request and return its answer; raise StudentError for what
        student code raised, WorkerGone when the worker ended. Anything that interrupts the
        wait (a timeout) kills the worker: its state is unknown from then on."""
        if self.sock is None:
            self.start()
        assert self.sock is not None
        try:
            send(self.sock, pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
            answer = load(recv(self.sock))
        except (ChannelClosed, OSError) as exc:
            raise self.gone() from exc
        except BaseException:
            self.stop()
            raise
        if "failure" in answer:
            failure = {str(k): str(v) for k, v in dict(answer["failure"]).items()}
            raise (MissingName if failure.get("kind") == "missing" else StudentError)(failure)
        return answer

    def gone(self) -> WorkerGone:
        assert self.proc is not None and self.watch is not None
        self.stop()
        code = self.proc.returncode
        if self.watch.exceeded:
            why = f"its memory passed the limit of {self.spec.memory_mb:,} MB"
        elif code is not None and code < 0:
            why = f"it was killed by signal {-code}"
        else:
            why = f"it exited with code {code} (sys.exit, os._exit or a crash)"
        return WorkerGone(f"your code ended the process it ran in: {why}")

    def stop(self) -> None:
        """Kill the worker and everything it started."""
        if self.proc is not None:
            kill_tree(self.proc)
            self.proc.wait()
        if self.watch is not None:
            self.watch.stop()
        if self.sock is not None:
            self.sock.close()
        self.sock, self.has_data = None, False

    def close(self) -> None:
        self.stop()
        self.output.close()

    def output_size(self) -> int:
        return os.fstat(self.output.fileno()).st_size

    def output_since(self, offset: int, limit: int) -> str:
        """What the worker printed since `offset`, at most the last `limit` bytes."""
        size = self.output_size()
        start = max(offset, size - limit)
        with open(self.output.name, "rb") as handle:
            handle.seek(start)
            data = handle.read(size - start)
        return data.decode("utf-8", errors="replace")

    def value(self, data: Any) -> Any:
        """Handles become Remotes, arrays become numpy again; the rest is data already."""
        if type(data) is dict and HANDLE in data:
            return Remote(self, int(data[HANDLE]), str(data.get("type", "object")))
        if type(data) is dict and NUMPY in data and isinstance(data[NUMPY], Tensor):
            return data[NUMPY].numpy()
        if type(data) in (list, tuple):
            return type(data)(self.value(v) for v in data)
        if type(data) is dict:
            return {k: self.value(v) for k, v in data.items()}
        return data


def load(payload: bytes) -> dict[str, Any]:
    answer = torch.load(io.BytesIO(payload), weights_only=True, map_location=None)
    if type(answer) is not dict:
        raise ChannelClosed("the worker's answer is not a dict")
    return answer


def outgoing(value: Any) -> Any:
    """An argument as it is sent: Remotes become references, arrays travel as tensors."""
    if isinstance(value, Remote):
        return Ref(object.__getattribute__(value, "_id"))
    if isinstance(value, np.ndarray):
        return {NUMPY: torch.from_numpy(value)}
    if type(value) in (list, tuple):
        return type(value)(outgoing(v) for v in value)
    if type(value) is dict:
        return {k: outgoing(v) for k, v in value.items()}
    return value


class Remote:
    """An object that lives in the worker. Attributes, calls, iteration and len become
    requests; what comes back is data, or another Remote."""

    __slots__ = ("_changes", "_id", "_label", "_policy", "_type", "_worker")

    def __init__(self, worker: Worker, key: int, kind: str, label: str = "") -> None:
        object.__setattr__(self, "_worker", worker)
        object.__setattr__(self, "_id", key)
        object.__setattr__(self, "_type", kind)
        object.__setattr__(self, "_label", label)
        object.__setattr__(self, "_changes", None)  # on the student's module: may change
        object.__setattr__(self, "_policy", "")  # on its functions: "guard" or "update"

    def __getattr__(self, name: str) -> Any:
        worker: Worker = object.__getattribute__(self, "_worker")
        found = worker.ask("getattr", Ref(object.__getattribute__(self, "_id")), name)
        if isinstance(found, Remote):
            object.__setattr__(found, "_label", name)
            changes = object.__getattribute__(self, "_changes")
            if changes is not None and object.__getattribute__(found, "_type") == "function":
                object.__setattr__(found, "_policy", "update" if name in changes else "guard")
        return found

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return call(self, args, kwargs)

    def __iter__(self) -> Any:
        worker: Worker = object.__getattribute__(self, "_worker")
        return iter(worker.ask("iter", Ref(object.__getattribute__(self, "_id")), MAX_ITEMS))

    def __len__(self) -> int:
        worker: Worker = object.__getattribute__(self, "_worker")
        return int(worker.ask("len", Ref(object.__getattribute__(self, "_id"))))

    def __getitem__(self, key: Any) -> Any:
        return self.__getattr__("__getitem__")(key)

    def __repr__(self) -> str:
        return f"<{object.__getattribute__(self, '_type')} in the worker>"


def type_of(value: Any) -> str:
    """The type name a student would recognise, also for objects left in the worker."""
    if isinstance(value, Remote):
        return str(object.__getattribute__(value, "_type")).rsplit(".", 1)[-1]
    return type(value).__name__


def student_module(module: Remote, changes_inputs: Iterable[str]) -> Remote:
    """Mark `module` as the student's: its functions fail a check when they change an input
    in place, except those in `changes_inputs`, whose changes are copied back."""
    object.__setattr__(module, "_changes", frozenset(changes_inputs))
    return module


def call(target: Remote, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    worker: Worker = object.__getattribute__(target, "_worker")
    grads = [a.grad if isinstance(a, Tensor) else None for a in args]
    answer = worker.request(
        "call",
        Ref(object.__getattribute__(target, "_id")),
        outgoing(args),
        outgoing(kwargs),
        grads,
    )
    answer["args"] = worker.value(answer.get("args") or [])
    policy, label = (object.__getattribute__(target, n) for n in ("_policy", "_label"))
    if policy:
        names = [str(n) for n in answer.get("names") or []]
        settle(label, policy == "update", args, answer, names)
    return rebuild_views(worker.value(answer["value"]), args, answer)


def probe(module: Remote, name: str, *args: Any) -> Any:
    """Run the worker's probe `name` (grader/worker/probes.py) on `args`; data comes back."""
    worker: Worker = object.__getattribute__(module, "_worker")
    return worker.ask("probe", name, outgoing(args))


def module_worker(module: Remote) -> Worker:
    worker: Worker = object.__getattribute__(module, "_worker")
    return worker
