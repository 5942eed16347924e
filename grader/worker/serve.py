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
from grader.worker.wire import (
    NUMPY,
    Call,
    GetAttr,
    GetModule,
    Iterate,
    Length,
    Probe,
    Ref,
    Request,
    Reseed,
    recv,
    send,
)


@dataclass
class Workspace:
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
    np.random.seed(seed % 2**32)  # numpy takes 32 bits
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


def call(workspace: Workspace, request: Call) -> dict[str, Any]:
    shared: dict[int, Any] = {}
    args = workspace.resolve(request.args, shared)
    kwargs = workspace.resolve(request.kwargs, shared)
    for value, grad in zip(args, request.grads, strict=False):
        if isinstance(value, Tensor) and grad is not None:
            value.grad = grad
    target = workspace.objects.get(request.target.id)
    value = target(*args, **kwargs)
    encode = encoder(workspace.objects, shared)
    after = tensor_args(args)
    return {
        "value": encode(value),
        "args": encode(after),
        "grads": [a.grad if isinstance(a, Tensor) else None for a in args],
        "names": parameter_names(target),
    }


def get_module(workspace: Workspace, request: GetModule) -> dict[str, Any]:
    del request
    return {"value": encoder(workspace.objects, {})(workspace.module)}


def reseeded(workspace: Workspace, request: Reseed) -> dict[str, Any]:
    del workspace
    reseed(request.seed)
    return {"value": None}


def get_attr(workspace: Workspace, request: GetAttr) -> dict[str, Any]:
    found = getattr(workspace.objects.get(request.target.id), request.name)
    return {"value": encoder(workspace.objects, {})(found)}


def run_probe(workspace: Workspace, request: Probe) -> dict[str, Any]:
    function: Callable[..., Any] = probes.PROBES[request.name]
    shared: dict[int, Any] = {}
    args = workspace.resolve(request.args, shared)
    return {"value": encoder(workspace.objects, shared)(function(workspace.data, *args))}


def iterate(workspace: Workspace, request: Iterate) -> dict[str, Any]:
    encode = encoder(workspace.objects, {})
    target = workspace.objects.get(request.target.id)
    return {"value": [encode(v) for _, v in zip(range(request.limit), target, strict=False)]}


def length(workspace: Workspace, request: Length) -> dict[str, Any]:
    return {"value": len(workspace.objects.get(request.target.id))}


# One handler per request class: the dispatcher, and what mypy checks it against.
HANDLERS: dict[type[Any], Callable[[Workspace, Any], dict[str, Any]]] = {
    GetModule: get_module,
    Reseed: reseeded,
    GetAttr: get_attr,
    Call: call,
    Probe: run_probe,
    Iterate: iterate,
    Length: length,
}


def parameter_names(target: Any) -> list[str]:
    try:
        return list(inspect.signature(target).parameters)
    except (TypeError, ValueError):
        return []


def handle(workspace: Workspace, request: Request) -> dict[str, Any]:
    """Run one request; student exceptions become a failure answer."""
    if isinstance(workspace.module, Failure):
        return {"failure": workspace.module.data()}
    handler = HANDLERS.get(type(request))
    if handler is None:
        return {"failure": Failure("internal", "Request", f"unknown request {request!r}").data()}
    try:
        return handler(workspace, request)
    except BaseException as exc:
        return {"failure": failure(workspace.folder, exc).data()}


def answer(sock: socket.socket, reply: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    try:
        torch.save(reply, buffer)
    except Exception as exc:
        buffer = io.BytesIO()
        text = f"the result could not be sent to the grader: {type(exc).__name__}: {exc}"
        torch.save({"failure": Failure("raised", type(exc).__name__, text).data()}, buffer)
    send(sock, buffer.getvalue())


def serve(sock: socket.socket, workspace: Workspace) -> None:
    """Answer requests until the checker closes the channel. A process the student's code
    forked that comes back here (an exception after os.fork) leaves without a word."""
    while True:
        if os.getpid() != workspace.owner:
            os._exit(0)
        request = pickle.loads(recv(sock))
        reply = handle(workspace, request)
        if os.getpid() != workspace.owner:
            os._exit(0)
        answer(sock, reply)
