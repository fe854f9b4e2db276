"""Running one evaluation in a forked child, so nothing a build file does can take envbuild down with it.

starlark-rust aborts the process when an allocation fails, can deadlock after one, and crashes on a native
stack overflow; none of that can be caught in-process. The child evaluates on a thread with a large stack
(deep but legitimate nesting fits), checks its own memory where Starlark lets it (`check_cancelled`), and
sends back the graph or the error. The parent watches the child's resident memory and the clock, and turns a
child that had to be killed, or died, into an error naming the file and the limit to raise.

Measured: a fork adds about 10 ms to a 6 ms evaluation (bench/ has the figures).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import select
import signal
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from envbuild import reads
from envbuild.errors import EnvbuildError, Interrupted
from envbuild.errors import Location as ErrorLocation
from envbuild.lang.limits import DEPTH_ENV, MEMORY_ENV, TIME_ENV, Limits

T = TypeVar("T")
THREAD_STACK_BYTES = 256 * 1024 * 1024  # reserved, not used: pages are touched only as deep as the code goes
GRACE_SECONDS = 5.0  # past the limit, the child has had its chance to stop itself with a located error
POLL_SECONDS = 0.05
_PAGE = os.sysconf("SC_PAGE_SIZE")
_HEADER = struct.Struct("!I")


def resident_bytes(pid: int | str = "self") -> int:
    """Resident memory of a process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


class Channel:
    """The child's side: messages to the parent, one pickle each (pauses of the clock, log records, the paths
    it read when the parent records them, then the outcome)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, message: tuple[Any, ...]) -> None:
        data = pickle.dumps(message)
        view = memoryview(_HEADER.pack(len(data)) + data)
        while view:
            view = view[os.write(self.fd, view) :]

    @contextlib.contextmanager
    def paused(self):
        """The parent's clock stops meanwhile (a git fetch for include() has a timeout of its own)."""
        self.send(("pause",))
        try:
            yield
        finally:
            self.send(("resume",))


class _LogToParent(logging.Handler):
    """The child's log records go to the parent, which hands them to its own loggers (and so to whatever
    the CLI or a test has configured)."""

    def __init__(self, channel: Channel) -> None:
        super().__init__()
        self.channel = channel

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args, record.exc_info, record.exc_text = record.getMessage(), None, None, None
        self.channel.send(("log", record))


def run(work: Callable[[Channel | None], T], file: str, limits: Limits) -> T:
    """`work(channel)` in a child process; its result, or its `EnvbuildError`, as if it ran here."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # or the child would write the parent's buffered output a second time
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its outcome is checked through the parent
        os.close(read_fd)
        _child(work, Channel(write_fd))
    os.close(write_fd)
    try:
        outcome = _collect(pid, read_fd, file, limits)
    except KeyboardInterrupt:
        _kill(pid)
        os.waitpid(pid, 0)
        raise Interrupted(f"interrupted while evaluating {file}; nothing was built") from None
    except BaseException:
        _kill(pid)
        os.waitpid(pid, 0)
        raise
    finally:
        os.close(read_fd)
    status = os.waitpid(pid, 0)[1]
    if outcome is None:
        raise _death(status, file, limits)
    if outcome[0] == "ok":
        return outcome[1]
    if outcome[0] == "error":
        raise EnvbuildError(outcome[1], hint=outcome[2], location=outcome[3])
    _name, kind, text, trace = outcome
    if kind == "PanicException" and "memory" in text:
        raise memory_error(file, limits.memory_mib)
    raise RuntimeError(f"evaluation of {file} failed: {kind}: {text}\n{trace}")


def _child(work: Callable[[Channel | None], Any], channel: Channel) -> None:  # pragma: no cover
    """Never returns. Rust's own panic text (printed to fd 2 before it aborts or unwinds) is sent to
    /dev/null; Python's stderr, which carries the build file's print(), keeps the real one."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # the parent reports an interrupt
        real_stderr = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        sys.stderr = open(real_stderr, "w", buffering=1, closefd=False)  # noqa: SIM115 - lives until _exit
        root = logging.getLogger()
        root.handlers = [_LogToParent(channel)]
        outcome: list[tuple[Any, ...]] = []

        def target() -> None:
            try:
                outcome.append(("ok", work(channel)))
            except EnvbuildError as err:
                outcome.append(("error", err.message, err.hint, err.location))
            except BaseException as err:  # noqa: BLE001 - a panic or bug: the parent renders it
                outcome.append(("crash", type(err).__name__, str(err), traceback.format_exc()))

        threading.stack_size(THREAD_STACK_BYTES)
        thread = threading.Thread(target=target, name="envbuild-evaluation")
        thread.start()
        thread.join()
        seen = reads.active()
        if seen is not None:  # the parent is recording what its command reads: this child's part of it
            channel.send(("reads", sorted(seen)))
        try:
            channel.send(outcome[0])
        except (pickle.PicklingError, TypeError, AttributeError) as err:
            channel.send(("crash", type(err).__name__, str(err), traceback.format_exc()))
        sys.stderr.flush()
        sys.stdout.flush()
    except BaseException:  # noqa: BLE001
        code = 70
    os._exit(code)


def _collect(pid: int, fd: int, file: str, limits: Limits) -> tuple[Any, ...] | None:
    """The child's outcome message, or None when it died first; kills it past a limit."""
    hard_memory = resident_bytes(pid) + int(limits.memory_mib * 1024 * 1024 * 1.25) + 64 * 1024 * 1024
    budget = limits.seconds + GRACE_SECONDS
    paused = False
    last = time.monotonic()
    buffer = b""
    outcome: tuple[Any, ...] | None = None
    while outcome is None:
        ready, _, _ = select.select([fd], [], [], POLL_SECONDS)
        now = time.monotonic()
        if not paused:
            budget -= now - last
        last = now
        if ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            buffer += chunk
            while len(buffer) >= _HEADER.size:
                (size,) = _HEADER.unpack_from(buffer)
                if len(buffer) < _HEADER.size + size:
                    break
                message = pickle.loads(buffer[_HEADER.size : _HEADER.size + size])
                buffer = buffer[_HEADER.size + size :]
                if message[0] == "log":
                    logging.getLogger(message[1].name).handle(message[1])
                elif message[0] in ("pause", "resume"):
                    paused = message[0] == "pause"
                elif message[0] == "reads":
                    reads.add(message[1])
                else:
                    outcome = message
                    break
            continue
        if budget <= 0:
            raise timeout_error(file, limits.seconds)
        if resident_bytes(pid) > hard_memory:
            raise memory_error(file, limits.memory_mib)
    return outcome


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _death(status: int, file: str, limits: Limits) -> EnvbuildError:
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        if signum == signal.SIGINT:
            return Interrupted(f"interrupted while evaluating {file}; nothing was built")
        if signum in (signal.SIGSEGV, signal.SIGBUS):
            return EnvbuildError(
                f"evaluating {file} overflowed the Starlark evaluator's stack",
                hint=f"some expression or block nests too deeply; simplify it, or lower {DEPTH_ENV} so it is "
                "reported with its line",
            )
        if signum in (signal.SIGABRT, signal.SIGKILL):  # Rust aborts when an allocation fails
            return memory_error(file, limits.memory_mib)
        name = signal.Signals(signum).name
        return EnvbuildError(f"evaluating {file} was killed by {name}")
    return EnvbuildError(f"evaluating {file} stopped without a result (exit status {os.WEXITSTATUS(status)})")


def memory_error(file: str, mib: int, location: ErrorLocation | None = None) -> EnvbuildError:
    return EnvbuildError(
        f"evaluating {file} needed more than {mib} MiB of memory and was stopped",
        hint=f"look for a loop that grows a string or list; {MEMORY_ENV} (MiB) raises the limit",
        location=location,
    )


def timeout_error(file: str, seconds: float, location: ErrorLocation | None = None) -> EnvbuildError:
    return EnvbuildError(
        f"evaluation took longer than {seconds:g} s and was stopped"
        + ("" if location is not None else f" (in {file})"),
        hint=f"look for a loop that never ends; {TIME_ENV} (seconds) raises the limit",
        location=location,
    )
