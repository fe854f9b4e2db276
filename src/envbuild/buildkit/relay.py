"""Byte streams (`Pipe`) and the relay that joins one to a private unix-socket listener.

grpcio cannot dial a socket someone else connected (dockerd's upgraded `/grpc` connection, a `buildctl
dial-stdio` process), so the Control API's channel dials a private unix socket, and two threads copy bytes
between it and the stream. The session needs no relay: our own server (rpcserver.py) speaks on its pipe.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import threading
import weakref
from collections.abc import Callable
from pathlib import Path

CHUNK = 256 * 1024


class Pipe:
    """One side of a relay: something that reads and writes bytes and can be shut down."""

    def recv(self) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError

    def send(self, data: bytes) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def close_write(self) -> None:
        """Signal end-of-stream to the peer (half-close) where the transport allows it."""

    def close(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class SocketPipe(Pipe):
    """A connected socket, optionally with bytes already read from it that belong to the stream."""

    def __init__(self, sock: socket.socket, leftover: bytes = b""):
        self.sock = sock
        self._leftover = leftover

    def recv(self) -> bytes:
        if self._leftover:
            data, self._leftover = self._leftover, b""
            return data
        return self.sock.recv(CHUNK)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close_write(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


def _copy(src: Pipe, dst: Pipe, done: Callable[[bool], None]) -> None:
    """Copy until `src` ends (then half-close `dst`, as the peer did) or either side fails."""
    failed = False
    try:
        while True:
            data = src.recv()
            if not data:
                break
            dst.send(data)
        dst.close_write()
    except (OSError, ValueError):
        failed = True
    finally:
        done(failed)


def join(a: Pipe, b: Pipe, *, name: str = "relay") -> threading.Event:
    """Copy bytes a→b and b→a on two daemon threads. Both ends close when both directions have ended, or
    at once when either fails: a daemon killed mid-stream resets its connection, and grpcio, which sees
    only our end, would otherwise wait on it for ever (no half-close reaches it, no keepalive is set).

    Returns an event set once both ends are closed.
    """
    finished = threading.Event()
    lock = threading.Lock()
    remaining = [2]

    def one_done(failed: bool) -> None:
        with lock:
            remaining[0] -= 1
            close = (remaining[0] == 0 or failed) and not finished.is_set()
            if close:
                finished.set()
        if close:
            a.close()
            b.close()

    for src, dst, tag in ((a, b, "a>b"), (b, a, "b>a")):
        threading.Thread(target=_copy, args=(src, dst, one_done), name=f"{name}-{tag}", daemon=True).start()
    return finished


class PrivateDir:
    """A 0700 temporary directory for our unix sockets; removed on close."""

    def __init__(self) -> None:
        # Short paths: unix socket paths are limited to 107 bytes.
        base = "/tmp" if os.path.isdir("/tmp") else None
        self.path = Path(tempfile.mkdtemp(prefix="envbuild-", dir=base))
        # Also removed at interpreter exit when a caller forgot close() (not after SIGKILL, of course).
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.path, True)

    def socket_path(self, name: str) -> Path:
        return self.path / name

    def close(self) -> None:
        self._finalizer()


class Listener:
    """Accept connections on a private unix socket and hand each one to `on_connect` with a fresh upstream.

    `dial()` opens the upstream (an upgraded dockerd connection, a dial-stdio process, ...) for every
    connection grpcio makes, since grpcio may reconnect.
    """

    def __init__(self, path: Path, dial: Callable[[], Pipe], *, name: str = "listener"):
        self.path = path
        self._dial = dial
        self._name = name
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(str(path))
        self._sock.listen(16)
        self._closed = False
        self.errors: list[BaseException] = []
        threading.Thread(target=self._serve, name=name, daemon=True).start()

    @property
    def target(self) -> str:
        return f"unix:{self.path}"

    def _serve(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            try:
                upstream = self._dial()
            except BaseException as exc:  # reported to whoever waits on the channel
                self.errors.append(exc)
                conn.close()
                continue
            join(SocketPipe(conn), upstream, name=self._name)

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
