"""The console script's side of the warm process (see the package): hand a run over, or say it could not.

Imported before any CLI is built, so it uses only modules a bare interpreter has loaded or loads cheaply.
Until the worker says it has taken the run and the client says go, nothing of the command has happened:
any failure before that (no warm process, a stale socket, a process that died or does not answer) makes
`delegate` answer None and the console script runs the command itself.
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import json
import os
import signal
import socket
import stat
import struct
import sys
from types import FrameType
from typing import Any

from envbuild import installation, paths
from envbuild.warm import OFF_ENV, SERVE_ENV

HEADER = struct.Struct("!I")  # a request's length, before its JSON
STREAMS = (0, 1, 2)  # passed to the worker, then the working directory's descriptor
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGWINCH, signal.SIGTSTP)
TAKEN, EXITED = b"P", b"X"  # the worker's "P<pid>" line; the warm process's "X<exit code>" line
GO = b"G"  # the client's answer to "P": run it (a client that gave up closes instead, and the worker leaves)
TAKE_SECONDS = 5.0  # a warm process whose worker has not said "P" by then is given up
_SETUP_ENV = ("LANG", "PYTHON", "LC_")  # read by the interpreter as it starts: a warm process has its own


def delegate(argv: list[str]) -> int | None:
    """Run `envbuild <argv>` in the warm process; its exit code, or None when this process should run it
    (a warm process is then started for the next run, if none was there)."""
    if os.environ.get(OFF_ENV) == "0" or not _plain_run():
        return None
    path = address()
    if path is None:
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except OSError:
        conn.close()
        _start(path)
        return None
    with conn:
        return _hand_over(conn, argv)


def address() -> str | None:
    """The socket of the warm process for this user, installation and interpreter set-up; None when the
    runtime directory is not this user's alone."""
    directory = paths.runtime_dir_name()
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        info = os.lstat(directory)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return os.path.join(directory, f"warm-{_key()}.sock")


def _key() -> str:
    """What a warm process must share with its client, besides what each run passes it."""
    setup = sorted((k, v) for k, v in os.environ.items() if k.startswith(_SETUP_ENV))
    try:
        namespace = os.readlink("/proc/self/ns/mnt")  # another container sees other files at the same paths
    except OSError:
        namespace = ""
    facts = [
        installation.fingerprint(),
        os.path.abspath(sys.argv[0]),
        [os.getuid(), os.getgid(), sorted(os.getgroups())],
        namespace,
        setup,
    ]
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:16]


def _plain_run() -> bool:
    """The console script run by its interpreter with no options of the interpreter's own (`-X`, `-m`, `-W`):
    what the warm process is, so the worker's interpreter is set up as this one."""
    original = getattr(sys, "orig_argv", [])
    return len(original) > 1 and original[1] == sys.argv[0]


def _start(path: str) -> None:
    """Start a warm process on `path` for the next run: this console script again, in a session of its own,
    with `SERVE_ENV` set and no terminal. Best effort; if another one is starting, it leaves (server.py)."""
    command = [sys.executable, os.path.abspath(sys.argv[0])]
    env = {**os.environ, SERVE_ENV: path}
    null: list[tuple[Any, ...]] = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDWR, 0)]
    null += [(os.POSIX_SPAWN_DUP2, 0, fd) for fd in (1, 2)]
    with contextlib.suppress(OSError):
        os.posix_spawn(sys.executable, command, env, setsid=True, file_actions=null)


def _hand_over(conn: socket.socket, argv: list[str]) -> int | None:
    try:
        cwd = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    umask = os.umask(0)
    os.umask(umask)
    request = {"argv": argv, "argv0": sys.argv[0], "env": dict(os.environ), "umask": umask}
    data = json.dumps(request).encode()
    pending: list[int] = []
    worker: list[int] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        if not worker:
            pending.append(signum)
        elif signum == signal.SIGTSTP:  # Ctrl-Z: the worker stops with this process, and goes on with it
            _signal(worker[0], signal.SIGSTOP)
            signal.signal(signal.SIGTSTP, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTSTP)  # stopped here until the shell's `fg` or `bg`
            signal.signal(signal.SIGTSTP, forward)
            _signal(worker[0], signal.SIGCONT)
        else:
            _signal(worker[0], signum)

    try:  # a signal this process ignores (`nohup`: SIGHUP) stays ignored, as the command would ignore it
        caught = [signum for signum in FORWARDED if signal.getsignal(signum) is not signal.SIG_IGN]
        previous = {signum: signal.signal(signum, forward) for signum in caught}
    except ValueError:  # not the main thread: an embedding, which runs the command itself
        os.close(cwd)
        return None
    try:
        fds = array.array("i", [*STREAMS, cwd])
        conn.settimeout(TAKE_SECONDS)
        message = HEADER.pack(len(data)) + data
        try:  # the descriptors go with the first bytes; a stream socket may take the rest in more sends
            sent = conn.sendmsg([message], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
        finally:
            os.close(cwd)
        conn.sendall(message[sent:])
        lines = _lines(conn)
        line = next(lines, b"")
        if not line.startswith(TAKEN):
            return None  # the warm process could not take it: nothing has run
        pid = int(line[1:])
        conn.settimeout(None)
        conn.sendall(GO)  # from here the run is the worker's: a client that closes instead runs it itself
        worker.append(pid)
        for signum in pending:
            forward(signum, None)
        line = next(lines, b"")
    except (OSError, ValueError):  # a timeout too: a warm process that does not answer is not waited for
        return None if not worker else _lost()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if not worker:  # what the terminal sent before any worker took the run is this process's again
            for signum in pending:
                os.kill(os.getpid(), signum)
    if not line.startswith(EXITED):
        return _lost()
    return _exit_code(int(line[1:]))


def _lines(conn: socket.socket):
    buffer = b""
    while True:
        while b"\n" not in buffer:
            chunk = conn.recv(4096)
            if not chunk:
                return
            buffer += chunk
        line, buffer = buffer.split(b"\n", 1)
        yield line


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _exit_code(code: int) -> int:
    """The worker's exit code; a worker killed by a signal ends this process by the same signal."""
    if code >= 0:
        return code
    with contextlib.suppress(OSError, ValueError):  # SIGKILL's and SIGSTOP's cannot be set, nor need be
        signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
    return 128 - code


def _lost() -> int:
    print(
        "error: the warm envbuild process ended without the command's exit status\n"
        f"hint: run it again with {OFF_ENV}=0 to run it in its own process",
        file=sys.stderr,
    )
    return 70
