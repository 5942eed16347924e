"""The framing both sides of the worker channel share: length-prefixed frames.

Requests (checker -> worker) are pickles the checker made; answers (worker -> checker)
are `torch.save` bytes the checker reads with `torch.load(weights_only=True)`, so that
nothing the worker sends is ever turned into an object that runs code.
"""

from __future__ import annotations

import dataclasses
import json
import signal
import socket
import struct
from dataclasses import dataclass
from typing import Any

HEADER = struct.Struct("!Q")
MAX_FRAME = 512 * 2**20
MAX_ANSWER = 32 * 2**20  # the largest answer a check needs is a few MB
HANDLE = "__grader_handle__"
NUMPY = "__grader_numpy__"
# The worker's first frame, sent before it imports student code: a worker that ends before
# sending it failed on its own (the grader's fault, or the machine's), never the student's.
READY = b"ready"
# Asks a worker to write its Python stacks (faulthandler): where a check ran out of time.
STACK_SIGNAL = signal.SIGUSR2


@dataclass(frozen=True)
class Ref:
    """A checker-side reference to an object that lives in the worker."""

    id: int


@dataclass(frozen=True)
class Job:
    """What a worker is started for, as one JSON argument: the exercise of the submission
    copy it imports, and how (its seed is set before the import, so that code run at import
    time is seeded like every check)."""

    folder: str
    exercise: str
    problem: str = ""
    threads: int = 1
    seed: int = 0
    device: str = "cpu"
    warm_optimizer: bool = False  # its first step imports torch._dynamo (~1 s): do it early

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @staticmethod
    def from_json(text: str) -> Job:
        return Job(**json.loads(text))


# The requests the checker sends, one class each; the worker answers each with a dict
# (`Answer` on the checker's side) and dispatches on the class (grader/worker/serve.py).
@dataclass(frozen=True)
class GetModule:
    """The student's module, as a handle."""


@dataclass(frozen=True)
class Reseed:
    """Seed random, numpy and torch again: every check starts from the same state."""

    seed: int


@dataclass(frozen=True)
class GetAttr:
    target: Ref
    name: str


@dataclass(frozen=True)
class Call:
    """Call `target`; `grads` are the .grad of tensor arguments, which pickling drops."""

    target: Ref
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    grads: list[Any]


@dataclass(frozen=True)
class Probe:
    """Run one of the worker's probes (grader/worker/probes.py) on `args`."""

    name: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Iterate:
    """The first `limit` items of an iterable that lives in the worker."""

    target: Ref
    limit: int


@dataclass(frozen=True)
class Length:
    target: Ref


Request = GetModule | Reseed | GetAttr | Call | Probe | Iterate | Length


class ChannelClosed(Exception):
    """The other side closed the channel (it exited or was killed)."""


class TooLarge(Exception):
    """An answer longer than the reader accepts; the channel is out of step after it."""


def send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(HEADER.pack(len(payload)) + payload)


def recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 2**22))
        if not chunk:
            raise ChannelClosed
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def recv(sock: socket.socket, limit: int = MAX_FRAME) -> bytes:
    """One frame; a frame longer than `limit` closes the channel."""
    (size,) = HEADER.unpack(recv_exact(sock, HEADER.size))
    if size > limit:
        raise TooLarge(f"{size:,} bytes, over the limit of {limit:,}")
    return recv_exact(sock, size)
