"""The worker's loop: read a request, run it against the student's module, answer data.

Requests come from the checker (pickles it made). Answers are `torch.save` bytes of
dicts holding only tensors, numbers, strings and plain containers.
"""

from __future__ import annotations

import inspect
import io
import os
import pickle
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from grader.worker import probes
from grader.worker.encode import Objects, encoder
from grader.worker.load import Failure, Folder, failure
from grader.worker.wire import NUMPY, Ref, recv, send


@dataclass
class Session:
    """The worker's state: the student's module, handles, and what probes keep between calls."""

    folder: Folder
    module: Any
    owner: int
    objects: Objects = field(default_factory=Objects)
    data: dict[str, Tensor] = field(default_factory=dict)

    def resolve(self, value: Any, shared: dict[int, Any]) -> Any:
        """A request's argument with references replaced by the worker's objects."""
        if isinstance(value, Ref):
            return self.objects.get(value.id)
        if isinstance(value, dict) and NUMPY in value:
            shared[value[NUMPY].untyped_storage().data_ptr()] = value[NUMPY].untyped_storage()
            return value[NUMPY].numpy()
        if isinstance(value, Tensor):
            shared[value.untyped_storage().data_ptr()] = value.untyped_storage()
            return value
        if type(value) in (list, tuple):
            return type(value)(self.resolve(v, shared) for v in value)
        if type(value) is dict:
            return {k: self.resolve(v, shared) for k, v in value.items()}
        return value


def reseed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def tensor_args(args: Any) -> list[Any]:
    """Arguments as they are after a call, for the checker to compare: tensors and arrays
    (and lists or tuples of them); anything else as None."""
    kept = []
    for value in args:
        if isinstance(value, Tensor | np.ndarray) or (
            type(value) in (list, tuple) and all(isinstance(v, Tensor) for v in value)
        ):
            kept.append(value)
        else:
            kept.append(None)
    return kept


def call(
    session: Session,
    target: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    grads: list[Tensor | None],
) -> dict[str, Any]:
    shared: dict[int, Any] = {}
    args, kwargs = session.resolve(args, shared), session.resolve(kwargs, shared)
    for value, grad in zip(args, grads, strict=False):
        if isinstance(value, Tensor) and grad is not None:
            value.grad = grad
    value = target(*args, **kwargs)
    encode = encoder(session.objects, shared)
    after = tensor_args(args)
    return {
        "value": encode(value),
        "args": encode(after),
        "grads": [a.grad if isinstance(a, Tensor) else None for a in args],
        "names": parameter_names(target),
    }


def parameter_names(target: Any) -> list[str]:
    try:
        return list(inspect.signature(target).parameters)
    except (TypeError, ValueError):
        return []


def handle(session: Session, request: tuple[Any, ...]) -> dict[str, Any]:
    """Run one request; student exceptions become a failure answer."""
    op, *rest = request
    encode = encoder(session.objects, {})
    try:
        if isinstance(session.module, Failure):
            return {"failure": session.module.data()}
        if op == "module":
            return {"value": encode(session.module)}
        if op == "seed":
            reseed(rest[0])
            return {"value": None}
        if op == "getattr":
            return {"value": encode(getattr(session.objects.get(rest[0].id), rest[1]))}
        if op == "call":
            return call(session, session.objects.get(rest[0].id), *rest[1:])
        if op == "probe":
            function: Callable[..., Any] = probes.PROBES[rest[0]]
            shared: dict[int, Any] = {}
            args = session.resolve(rest[1], shared)
            return {"value": encoder(session.objects, shared)(function(session.data, *args))}
        if op == "iter":
            target = session.objects.get(rest[0].id)
            return {"value": [encode(v) for _, v in zip(range(rest[1]), target, strict=False)]}
        if op == "len":
            return {"value": len(session.objects.get(rest[0].id))}
        return {"failure": Failure("internal", "Request", f"unknown request {op!r}").data()}
    except BaseException as exc:
        return {"failure": failure(session.folder, exc).data()}


def answer(sock: socket.socket, reply: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    try:
        torch.save(reply, buffer)
    except Exception as exc:
        buffer = io.BytesIO()
        text = f"the result could not be sent to the grader: {type(exc).__name__}: {exc}"
        torch.save({"failure": Failure("raised", type(exc).__name__, text).data()}, buffer)
    send(sock, buffer.getvalue())


def serve(sock: socket.socket, session: Session) -> None:
    """Answer requests until the checker closes the channel. A process the student's code
    forked that comes back here (an exception after os.fork) leaves without a word."""
    while True:
        if os.getpid() != session.owner:
            os._exit(0)
        request = pickle.loads(recv(sock))
        reply = handle(session, request)
        if os.getpid() != session.owner:
            os._exit(0)
        answer(sock, reply)
