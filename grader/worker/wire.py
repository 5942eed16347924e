"""The framing both sides of the worker channel share: length-prefixed frames.

Requests (checker -> worker) are pickles the checker made; answers (worker -> checker)
are `torch.save` bytes the checker reads with `torch.load(weights_only=True)`, so that
nothing the worker sends is ever turned into an object that runs code.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

HEADER = struct.Struct("!Q")
MAX_FRAME = 512 * 2**20
MAX_ANSWER = 32 * 2**20  # the largest answer a check needs is a few MB
HANDLE = "__grader_handle__"
NUMPY = "__grader_numpy__"
# The worker's first frame, sent before it imports student code: a worker that ends before
# sending it failed on its own (the grader's fault, or the machine's), never the student's.
READY = b"ready"


@dataclass(frozen=True)
class Ref:
    """A checker-side reference to an object that lives in the worker."""

    id: int


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
