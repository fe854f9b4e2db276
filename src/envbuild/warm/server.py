"""The warm process (see the package): load what `build` and `debug llb` use, then fork a worker per run.

It stays single-threaded, so every fork is of a process holding no lock of another thread's; it never runs a
command itself, so a worker starts with the modules imported and nothing else done (no cache filled, no
channel or client made, no environment read). It waits on its listening socket and on a pidfd per worker,
and sends each run's exit status to its client when the worker ends. A lock file held for its life makes it
the only one on its socket, and names it (`<socket>.lock` holds its pid); with no run for `IDLE_SECONDS`,
it removes its socket and ends.
"""

from __future__ import annotations

import array
import contextlib
import fcntl
import importlib
import io
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import NoReturn

from envbuild.warm import IDLE_SECONDS
from envbuild.warm.client import EXITED, GO, HEADER, STREAMS, TAKEN

_FDS = len(STREAMS) + 1  # the streams and the working directory
CHECK_SECONDS = 60.0  # how often a warm process looks whether its socket is still there


def serve(path: str, preload: Iterable[str], run: Callable[[list[str]], NoReturn]) -> NoReturn:
    """Serve runs on the socket `path` until idle: import the modules `preload` names, then fork a worker
    per run, which ends in `run(argv)` (the console script's own way to run a command and exit). Leaves at
    once if another warm process holds the socket."""
    os.chdir("/")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a session of its own has no terminal, but a kill -INT
    lock = os.open(path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.close(os.pidfd_open(os.getpid()))  # how it waits for its workers: Linux 5.3 and later
    except OSError:
        os._exit(0)
    os.ftruncate(lock, 0)
    os.write(lock, f"{os.getpid()}\n".encode())  # who serves the socket, for a user's `kill`
    for name in preload:
        with contextlib.suppress(ImportError):  # a library's module gone in another version: a worker's
            importlib.import_module(name)
    if os.path.lexists(path):  # the socket of a warm process that died: nobody else holds the lock
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(64)
    mine = os.stat(path).st_ino
    _loop(listener, lock, lambda: _inode(path) == mine, run)
    if _inode(path) == mine:
        os.unlink(path)
        os.unlink(path + ".lock")  # a warm process starting meanwhile finds it free, or makes a new one
    os._exit(0)


def _inode(path: str) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def _loop(
    listener: socket.socket, lock: int, reachable: Callable[[], bool], run: Callable[[list[str]], NoReturn]
) -> None:
    """Serve until idle for `IDLE_SECONDS`, or, with no run going on, until the socket is no longer
    `reachable` (its directory removed: no client can find this process any more)."""
    running: dict[int, tuple[int, socket.socket]] = {}  # pidfd → (worker pid, its client's connection)
    idle_since = time.monotonic()
    while True:
        idle = 0.0 if running else time.monotonic() - idle_since
        if not running and (idle >= IDLE_SECONDS or not reachable()):
            return
        timeout = min(CHECK_SECONDS, IDLE_SECONDS - idle)
        waiting: list[socket.socket | int] = [listener, *running]
        ready, _, _ = select.select(waiting, [], [], timeout)
        for source in ready:
            if isinstance(source, socket.socket):
                try:
                    conn, _ = listener.accept()
                except OSError:
                    continue
                pid = os.fork()
                if pid == 0:  # pragma: no cover - the worker; tests check it through its client
                    for pidfd, (_, other) in running.items():  # the other runs' are not this worker's
                        os.close(pidfd)
                        other.close()
                    _work(conn, listener, lock, run)
                running[os.pidfd_open(pid)] = (pid, conn)
            else:
                pid, conn = running.pop(source)
                os.close(source)
                _, status = os.waitpid(pid, 0)
                with contextlib.suppress(OSError):  # unless the client is gone
                    conn.sendall(EXITED + str(os.waitstatus_to_exitcode(status)).encode() + b"\n")
                conn.close()
                idle_since = time.monotonic()


def _work(  # pragma: no cover - a worker
    conn: socket.socket, listener: socket.socket, lock: int, run: Callable[[list[str]], NoReturn]
) -> NoReturn:
    """The worker: take the client's run, say so, and run it as the console script would have."""
    try:
        listener.close()
        os.close(lock)
        # what the first client ignored (a `nohup`) the warm process ignores too: a signal this client
        # forwards is one it does not ignore, so the worker takes it as a process of its own would
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGWINCH):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        argv = _take(conn)
        conn.sendall(TAKEN + str(os.getpid()).encode() + b"\n")
        if conn.recv(len(GO)) != GO:  # the client gave up waiting and runs the command itself
            os._exit(0)
        name = "envbuild-warm-client"
        threading.Thread(target=_interrupt_when_gone, args=(conn,), name=name, daemon=True).start()
    except BaseException:  # noqa: BLE001 - nothing has run: the client runs the command itself
        os._exit(70)
    run(argv)


def _take(conn: socket.socket) -> list[str]:
    """Become the client's process: its streams, working directory, environment and umask; its arguments."""
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    if struct.unpack("3i", creds)[1] != os.getuid():
        raise PermissionError("a client of another user")
    fds = array.array("i")
    data, ancillary, _, _ = conn.recvmsg(1 << 16, socket.CMSG_SPACE(_FDS * fds.itemsize))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    if len(fds) != _FDS:
        raise ValueError("a request without its streams")
    (size,) = HEADER.unpack_from(data)
    while len(data) < HEADER.size + size:
        chunk = conn.recv(1 << 16)
        if not chunk:
            raise EOFError("a request cut short")
        data += chunk
    request = json.loads(data[HEADER.size : HEADER.size + size])
    for target, fd in zip(STREAMS, fds[: len(STREAMS)], strict=True):
        os.dup2(fd, target)
        os.close(fd)
    os.fchdir(fds[-1])
    os.close(fds[-1])
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()
    os.umask(request["umask"])
    _reopen_streams()
    sys.argv = [request["argv0"], *request["argv"]]
    return list(request["argv"])


def _reopen_streams() -> None:
    """`sys.stdin`, `sys.stdout` and `sys.stderr` over the client's descriptors, buffered as the interpreter
    buffers them at start-up: line by line when a terminal, and always for stderr."""
    for fd, name, mode in ((0, "stdin", "rb"), (1, "stdout", "wb"), (2, "stderr", "wb")):
        old = getattr(sys, name)
        raw = open(fd, mode, buffering=-1, closefd=False)  # noqa: SIM115 - the process's stream from now on
        interactive = os.isatty(fd)
        stream = io.TextIOWrapper(
            raw,
            encoding=old.encoding,
            errors=old.errors,
            line_buffering=interactive or name == "stderr",
        )
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _interrupt_when_gone(conn: socket.socket) -> None:  # pragma: no cover - a worker's thread
    """A client that goes away without a signal (killed) interrupts its run, as Ctrl-C would."""
    try:
        while conn.recv(64):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGINT)
