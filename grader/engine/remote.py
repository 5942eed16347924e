"""The checker's side of the worker: start it, send requests, read answers as data only.

A check reads as if it held the student's module (`tensors.column(A, 1)`): the module is
a `Remote`, attribute lookups and calls become requests, and answers are loaded with
`torch.load(weights_only=True)`: tensors, numbers, strings and plain containers. What
cannot cross (a model, a DataLoader) stays in the worker and comes back as a `Remote`.
"""

from __future__ import annotations

import contextlib
import io
import pickle
import socket
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from grader.engine.box import Launched, Spec, launch, strongest
from grader.engine.guarded import rebuild_views, settle
from grader.engine.sandbox import remove_tree, sweep
from grader.engine.submission import is_timeout
from grader.engine.watch import CpuShare, ResourceWatch, kill_tree
from grader.worker.wire import (
    HANDLE,
    MAX_ANSWER,
    NUMPY,
    READY,
    ChannelClosed,
    Ref,
    TooLarge,
    recv,
    send,
)

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


class GraderFault(Exception):
    """The worker failed before any student code ran in it: the grader's or the machine's
    fault (a lost folder, torch failing to import, no memory to start), never the student's."""


class Worker:
    """One worker process for one exercise; started again after it dies or hangs. The
    first one may have been started by `grade` itself (`adopted`), so that it imports
    torch while the checker does."""

    def __init__(
        self,
        spec: Spec,
        adopted: Launched | None = None,
        workdir: Path | None = None,
        share: CpuShare | None = None,
    ):
        self.spec, self.box, self.share = spec, strongest(spec.gpu), share
        self.owns_workdir = workdir is None
        if workdir is None:
            workdir = Path(tempfile.mkdtemp(prefix="grader-worker-"))
            workdir.chmod(0o711)  # the worker's own user id reaches its home inside
        self.workdir, self.current = workdir, adopted
        self.watch = self.watching(adopted.pid) if adopted else None
        self.accessed: set[str] = set()  # names of the student's module this check used

    def start(self) -> None:
        """Start a worker now; its import of torch runs while the checker goes on."""
        self.current = launch(self.spec, self.box, self.workdir)
        self.watch = self.watching(self.current.pid)

    def watching(self, pid: int) -> ResourceWatch:
        return ResourceWatch(pid, self.spec.memory_mb, self.share, self.box.sealed)

    @property
    def sock(self) -> socket.socket | None:
        return self.current.sock if self.current else None

    def ask(self, *request: Any) -> Any:
        """The value of one request's answer, as Remotes and data."""
        return self.value(self.request(*request)["value"])

    def request(self, *request: Any) -> dict[str, Any]:
        """Send one request and return its answer; raise StudentError for what
        student code raised, WorkerGone when the worker ended. Anything that interrupts the
        wait (a timeout) kills the worker: its state is unknown from then on."""
        if self.current is None:
            self.start()
        assert self.current is not None
        sock = self.current.sock
        if self.share is not None:  # the worker asked now goes first for the cores
            self.share.current = self.watch
        if not self.current.ready:
            self.await_ready()
        try:
            send(sock, pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
            answer = load(recv(sock, MAX_ANSWER))
        except (ChannelClosed, OSError) as exc:
            raise self.gone() from exc
        except TooLarge as exc:
            self.stop()
            why = f"the result is too large to check ({exc})"
            raise StudentError({"kind": "raised", "type": "TooLarge", "message": why}) from None
        except BaseException:
            self.stop()
            raise
        if "failure" in answer:
            failure = {str(k): str(v) for k, v in dict(answer["failure"]).items()}
            raise (MissingName if failure.get("kind") == "missing" else StudentError)(failure)
        return answer

    def await_ready(self) -> None:
        """Wait for the worker's first frame, sent before it imports student code."""
        assert self.current is not None
        try:
            frame = recv(self.current.sock, len(READY))
        except BaseException as exc:
            started = isinstance(exc, ChannelClosed | OSError | TooLarge) or is_timeout(exc)
            output = self.output_text().strip()[-1500:]
            self.stop()
            if not started:
                raise  # Ctrl-C, a termination signal: not the worker's doing
            why = "it did not start in time" if is_timeout(exc) else "it ended while starting"
            detail = f"; it printed:\n{output}" if output else ""
            raise GraderFault(
                f"the worker process failed before your code ran: {why}{detail}"
            ) from None
        if frame != READY:
            self.stop()
            raise GraderFault("the worker process sent an unexpected first message")
        self.current.ready = True

    def gone(self) -> WorkerGone:
        assert self.current is not None and self.watch is not None
        proc, exceeded = self.current.proc, self.watch.exceeded
        if proc is not None:  # its box ends with it: give that a moment, to read its code
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=1.0)
        self.stop()
        code = proc.returncode if proc is not None else None
        if exceeded:
            why = f"its memory passed the limit of {self.spec.memory_mb:,} MB"
        elif code is not None and code < 0:
            why = f"it was killed by signal {-code}"
        elif code is not None:
            why = f"it exited with code {code} (sys.exit, os._exit or a crash)"
        else:
            why = "it exited or was killed (sys.exit, os._exit or a crash)"
        return WorkerGone(f"your code ended the process it ran in during this check: {why}")

    def stop(self) -> None:
        """Kill the worker and everything it started."""
        if self.current is not None:
            kill_tree(self.current.pid)
            if self.current.proc is not None:
                self.current.proc.wait()
            self.current.sock.close()
            if self.current.uid is not None and not self.box.sealed:
                sweep(self.current.uid)
        if self.watch is not None:
            self.watch.stop()
        self.current = None

    def close(self) -> None:
        """Stop the worker and remove the folder made for it (its home outside a sealed box)."""
        self.stop()
        if self.owns_workdir:
            remove_tree(self.workdir)

    def mark_output(self) -> None:
        """A new check starts: collect what the worker prints, and the names it uses."""
        self.accessed = set()
        if self.current is not None:
            self.current.output.mark()

    def output_text(self) -> str:
        """What the worker printed since the mark: first and last parts, the cut said."""
        return self.current.output.text() if self.current is not None else ""

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
        changes = object.__getattribute__(self, "_changes")
        if changes is not None:  # the student's module: the check uses this name of it
            worker.accessed.add(name)
        found = worker.ask("getattr", Ref(object.__getattribute__(self, "_id")), name)
        if isinstance(found, Remote):
            object.__setattr__(found, "_label", name)
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
