"""The paths a command looked at, recorded so that a memo of its answer knows when to stop trusting it.

While `recording()` is active, every path the process opens (Python's `open` audit event, which `open`,
`io.open`, `os.open` and `Path.read_*` raise), lists (`os.scandir`, `os.listdir`) or checks (`os.stat`,
through which `Path.exists`, `Path.is_file`, `os.path.isfile` and the like go) is noted, absent ones
included: a file that appears where the command once found none changes its answer as surely as an edited
one. Python has no audit event for a stat, hence `os.stat` is wrapped while the recording lasts.
`os.lstat` is not: what calls it is mostly `Path.resolve` and `os.path.realpath` walking up through every
ancestor directory (`/tmp`, the home directory), whose times change with anything created beside them.

A forked child (the Starlark evaluation, lang/isolation.py) inherits the recording and sends what it noted
back to its parent (`add`).

The interpreter's own imports are not seen (importlib stats through the `posix` module, and a memo names
envbuild's code by a fingerprint of its own); paths under /proc, /dev and /sys are left out.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

_KERNEL = ("/proc/", "/dev/", "/sys/")
_seen: set[str] | None = None  # the paths of the recording in progress
_hooked = False  # an audit hook cannot be removed: one is added per process, and idles between recordings
_stat = os.stat


def _note(path: object) -> None:
    if _seen is None or not isinstance(path, (str, bytes, os.PathLike)):  # not a file descriptor
        return
    try:
        text = os.fsdecode(path)
    except (TypeError, UnicodeDecodeError):
        return
    text = os.path.abspath(text)
    if not text.startswith(_KERNEL):
        _seen.add(text)


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _seen is not None and event in ("open", "os.scandir", "os.listdir"):
        _note(args[0] if args else ".")


def _recording_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
    _note(path)
    return _stat(path, *args, **kwargs)


@contextmanager
def recording() -> Iterator[set[str]]:
    """Record the paths looked at until the block ends or `stop()`; yields the set, which keeps growing
    meanwhile. Not nested, not for threads of their own: one command's reads."""
    global _seen, _hooked
    if not _hooked:
        sys.addaudithook(_audit)
        _hooked = True
    seen: set[str] = set()
    _seen = seen
    os.stat = _recording_stat
    try:
        yield seen
    finally:
        stop()


def stop() -> None:
    """End the recording in progress, if any (a command that goes on to work a memo would not cover)."""
    global _seen
    _seen = None
    os.stat = _stat


def active() -> set[str] | None:
    """The paths recorded so far, None when no recording is in progress."""
    return _seen


def add(paths: Iterable[str]) -> None:
    """Paths another process of the same command looked at (a forked child's), when recording."""
    if _seen is not None:
        _seen.update(paths)
