"""The student's objects as a check sees them: proxies of what lives in the worker.

A check reads as if it held the student's module (`tensors.column(A, 1)`): the module is
a `Remote`, attribute lookups and calls become typed requests (grader/worker/wire.py), and
answers come back as data: tensors, numbers, strings and plain containers. What cannot
cross (a model, a DataLoader) stays in the worker and comes back as another `Remote`.
The process behind it is a `Connection` (the checker's `grader.engine.workers.Worker`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor

from grader.kit.errors import MissingName, StudentError
from grader.kit.inplace import check_inputs, rebuild_views
from grader.worker.wire import (
    HANDLE,
    NUMPY,
    Call,
    GetAttr,
    Iterate,
    Length,
    Probe,
    Ref,
    Request,
)

MAX_ITEMS = 10_000


class Connection(Protocol):
    """A worker as the proxies use it: send one request, get its answer as a dict."""

    accessed: set[str]  # names of the student's module the current check used

    @property
    def source_path(self) -> Path:
        """The checker's copy of the submitted file (parsed, never run, in the checker)."""

    def request(self, request: Request) -> dict[str, Any]:
        """The worker's answer; raises StudentError for what student code raised."""


@dataclass(frozen=True)
class Answer:
    """A call's answer: its value, the arguments as they were after the call (tensors
    only), their .grad, and the names of the function's parameters."""

    value: Any
    args: list[Any] = field(default_factory=list)
    grads: list[Any] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


def raise_failure(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer, or what student code raised in the worker as a StudentError (a
    MissingName for a name the module does not define)."""
    if "failure" not in answer:
        return answer
    failure = {str(k): str(v) for k, v in dict(answer["failure"]).items()}
    raise (MissingName if failure.get("kind") == "missing" else StudentError)(failure)


def ask(connection: Connection, request: Request) -> Any:
    """The value of one request's answer, as Remotes and data."""
    return value_of(connection, connection.request(request)["value"])


def value_of(connection: Connection, data: Any) -> Any:
    """Handles become Remotes, arrays become numpy again; the rest is data already."""
    if type(data) is dict and HANDLE in data:
        return Remote(connection, int(data[HANDLE]), str(data.get("type", "object")))
    if type(data) is dict and NUMPY in data and isinstance(data[NUMPY], Tensor):
        return data[NUMPY].numpy()
    if type(data) in (list, tuple):
        return type(data)(value_of(connection, v) for v in data)
    if type(data) is dict:
        return {k: value_of(connection, v) for k, v in data.items()}
    return data


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

    __slots__ = ("_changes", "_connection", "_id", "_label", "_policy", "_type")

    def __init__(self, connection: Connection, key: int, kind: str, label: str = "") -> None:
        object.__setattr__(self, "_connection", connection)
        object.__setattr__(self, "_id", key)
        object.__setattr__(self, "_type", kind)
        object.__setattr__(self, "_label", label)
        object.__setattr__(self, "_changes", None)  # on the student's module: may change
        object.__setattr__(self, "_policy", "")  # on its functions: "guard" or "update"

    def __getattr__(self, name: str) -> Any:
        connection = connection_of(self)
        changes = object.__getattribute__(self, "_changes")
        if changes is not None:  # the student's module: the check uses this name of it
            connection.accessed.add(name)
        found = ask(connection, GetAttr(ref(self), name))
        if isinstance(found, Remote):
            object.__setattr__(found, "_label", name)
            if changes is not None and object.__getattribute__(found, "_type") == "function":
                object.__setattr__(found, "_policy", "update" if name in changes else "guard")
        return found

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return call(self, args, kwargs)

    def __iter__(self) -> Any:
        return iter(ask(connection_of(self), Iterate(ref(self), MAX_ITEMS)))

    def __len__(self) -> int:
        return int(ask(connection_of(self), Length(ref(self))))

    def __getitem__(self, key: Any) -> Any:
        return self.__getattr__("__getitem__")(key)

    def __repr__(self) -> str:
        return f"<{object.__getattribute__(self, '_type')} in the worker>"


def ref(remote: Remote) -> Ref:
    return Ref(object.__getattribute__(remote, "_id"))


def connection_of(remote: Remote) -> Connection:
    connection: Connection = object.__getattribute__(remote, "_connection")
    return connection


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
    connection = connection_of(target)
    grads = [a.grad if isinstance(a, Tensor) else None for a in args]
    raw = connection.request(Call(ref(target), outgoing(args), outgoing(kwargs), grads))
    answer = Answer(
        value=value_of(connection, raw["value"]),
        args=list(value_of(connection, raw.get("args") or [])),
        grads=list(raw.get("grads") or []),
        names=[str(n) for n in raw.get("names") or []],
    )
    policy, label = (object.__getattribute__(target, n) for n in ("_policy", "_label"))
    if policy:
        check_inputs(label, policy == "update", args, answer.args, answer.grads, answer.names)
    return rebuild_views(answer.value, args, answer.args)


def probe(module: Remote, name: str, *args: Any) -> Any:
    """Run the worker's probe `name` (grader/worker/probes.py) on `args`; data comes back."""
    return ask(connection_of(module), Probe(name, outgoing(args)))


def source_path(module: Remote) -> Path:
    """The checker's copy of the file the student's module was imported from."""
    return connection_of(module).source_path
