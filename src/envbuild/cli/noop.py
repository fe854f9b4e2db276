"""A no-op `envbuild build`, and a repeated `envbuild debug llb`, answered again without building the CLI or
evaluating the build file.

When `envbuild build` finds its image in Docker's store up to date (builder/freshness.py), or builds it there
with its key, it keeps a memo of that run, named by its arguments and working directory: the environment,
envbuild's code (a fingerprint), every path the run looked at before it decided (reads.py: the build file,
the user's config.envd, the lock, the contexts file, the CA bundle, absent ones too) with what is there now,
the digest of each directory the build sends, and the image and key. The next run with the same arguments in
the same directory checks the memo before anything else: when all of it still holds, the image is inspected
as the full run would, and if it still carries the key, the run prints what a full run finding it up to date
prints. Anything different, unreadable or unexpected, and the full command runs (and keeps a new memo).
A path that changed after the run began leaves no memo: what it held when the run read it is not known.

`debug llb` keeps a memo of the same kind with what it printed in place of the image: its output is a pure
function of the files it read, the environment and envbuild's code, so when they hold, the text does.

The full run's process was most of a no-op: typer, the forked Starlark evaluation and the graph's
dataclasses took 0.25 s of 0.30 s here. With the memo, a no-op is the interpreter's start, a few hundred
stats, the walk of the directories the build sends and the image inspection.

This module imports no typer, no dataclasses and no pathlib: `cli/app.py` asks it first.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any

from envbuild import installation
from envbuild.builder import freshness
from envbuild.builder.freshness import inspect_image, recorded_key, tree_digest
from envbuild.paths import cache_dir_name, keep_file

MEMO_DIR = "noop"
#: memos kept at most (one per command line and directory); past it, the least recently written go
MAX_MEMOS = 256
_FORMAT = 4
#: set by the shell for each command it runs; nothing envbuild reads
_SHELL_NOISE = ("_", "OLDPWD")

_asked: tuple[list[str], int] | None = None  # the arguments `answer` could not answer for, and when


def up_to_date_line(name: str) -> str:
    return f"{name} is up to date (same inputs; --force rebuilds)"


def note_line(note: str) -> str:
    return f"note: {note}"


def result_line(name: str, digest: str | None) -> str:
    """What `build` prints on stdout: the image, with its digest when there is one."""
    return name + (f"@{digest}" if digest else "")


def answer(argv: list[str]) -> bool:
    """Print what `envbuild <argv>` would and return True when the memo of that run still holds; else False,
    and the full run that follows may `keep` a memo for these arguments."""
    global _asked
    _asked = (list(argv), time.time_ns())
    try:
        memo = _holding(argv)
        if memo is None:
            return False
        said = [str(line) for line in memo["stderr"]]
        if memo["engine"] is None:  # a printed answer (debug llb): nothing outside the memo to ask
            result = str(memo["stdout"])
        else:
            image = inspect_image(memo["engine"], memo["image"])
            if image is None or recorded_key(image) != memo["key"]:
                return False
            result = result_line(str(memo["image"]), image.get("Id")) + "\n"
    except (OSError, KeyError, TypeError, AttributeError):  # no engine answer, or a memo of no use
        return False
    for line in said:
        print(line, file=sys.stderr)
    sys.stdout.write(result)
    return True


def keep(
    seen: Iterable[str],
    *,
    engine: str,
    image: str,
    key: str,
    inputs: Mapping[str, str],
    stderr: list[str],
) -> None:
    """Keep the memo of this run, which found `image` on `engine` up to date with `key`, having looked at
    `seen` and sent the directories `inputs` (path → tree digest); `stderr`: what a run that finds the image
    up to date says before its result line, which names `image`. Only for a run `answer` was asked about (the
    console script's, not an embedding's), and best effort: a memo that cannot be written is no memo."""
    _keep(seen, inputs, stderr, {"engine": engine, "image": image, "key": key})


def keep_output(seen: Iterable[str], *, stdout: str, stderr: list[str]) -> None:
    """Keep the memo of this run, which printed `stdout` (and `stderr`'s lines) having looked at `seen` and
    nothing else: the next run with the same arguments prints them again while `seen` holds."""
    _keep(seen, {}, stderr, {"engine": None, "stdout": stdout})


def _keep(seen: Iterable[str], inputs: Mapping[str, str], stderr: list[str], answer: dict[str, Any]) -> None:
    if _asked is None:
        return
    argv, started_ns = _asked
    paths = {path: _signature(path) for path in sorted(_watched(seen, inputs))}
    if any(_recent(signature, started_ns) for signature in paths.values()):
        return
    memo = {
        "format": _FORMAT,
        "argv": argv,
        "cwd": os.getcwd(),
        "state": _state(),
        "paths": paths,
        "inputs": dict(inputs),
        "stderr": list(stderr),
        **answer,
    }
    path = _memo_path(argv)
    keep_file(path, json.dumps(memo, separators=(",", ":")))
    _prune(os.path.dirname(path))


def _prune(directory: str) -> None:
    """Keep the newest `MAX_MEMOS` memos: each command line run in each directory leaves one, and a memo
    of a project deleted long ago is only a file nobody reads. Best effort, as the memos themselves."""
    try:
        entries = [entry for entry in os.scandir(directory) if entry.name.endswith(".json")]
        if len(entries) <= MAX_MEMOS:
            return
        entries.sort(key=lambda entry: entry.stat().st_mtime_ns)
        for entry in entries[: len(entries) - MAX_MEMOS]:
            os.unlink(entry.path)
    except OSError:
        pass


def _memo_path(argv: list[str]) -> str:
    name = hashlib.sha256(json.dumps([argv, os.getcwd()]).encode()).hexdigest()[:32]
    return os.path.join(cache_dir_name(), MEMO_DIR, f"{name}.json")


def holds(argv: list[str]) -> bool:
    """Whether the memo of `envbuild <argv>` run here still holds, the image in the engine aside."""
    return _holding(argv) is not None


def _holding(argv: list[str]) -> dict[str, Any] | None:
    """The memo of `envbuild <argv>` run here when everything its run depended on is as it was (checked
    cheapest first), else None; a memo that cannot be read or is not one is none."""
    try:
        with open(_memo_path(argv), encoding="utf-8") as file:
            memo = json.load(file)
        if not isinstance(memo, dict) or memo.get("format") != _FORMAT:
            return None
        if memo["argv"] != argv or memo["cwd"] != os.getcwd():
            return None
        if any(_signature(path) != signature for path, signature in memo["paths"].items()):
            return None
        if memo["state"] != _state():
            return None
        if any(tree_digest(path) != digest for path, digest in memo["inputs"].items()):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return memo


def _state() -> dict[str, Any]:
    """What the run depended on besides the paths it looked at: the environment, who runs it, and
    envbuild's code with the interpreter and its libraries (`installation.fingerprint`)."""
    env = sorted((k, v) for k, v in os.environ.items() if k not in _SHELL_NOISE)
    return {
        "env": hashlib.sha256(json.dumps(env).encode()).hexdigest(),
        "ids": [os.getuid(), os.getgid()],
        "code": installation.fingerprint(),
    }


def _signature(path: str) -> list[Any] | None:
    """What is at `path` now (followed through symlinks): None when nothing is."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as err:
        return ["!", err.errno]
    return [info.st_mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


def _recent(signature: list[Any] | None, started_ns: int) -> bool:
    """Changed too close to the run's start (`freshness.RACY_NS`), by its modification time or its status
    change time (which no tool can set back: a copy that keeps the modification time still moves it): it may
    have changed after the run read it, or may change again unnoticed. A run that looked at one keeps no memo
    (the next run will)."""
    if signature is None or signature[0] == "!":
        return False
    return max(signature[2], signature[3]) > started_ns - freshness.RACY_NS


def _watched(seen: Iterable[str], inputs: Mapping[str, str]) -> set[str]:
    """The paths a memo checks: what the run looked at, less what the memo covers otherwise (the directories
    the build sends, by their digests; envbuild's code and the interpreter's installed libraries, by the
    fingerprint; not a `PYTHONPATH` directory, which may hold the project)
    and envbuild's cache directory with the directories above it. What the cache holds is either a cache of
    what is checked anyway (digests, memos) or fixed by what is (an include() clone at the commit the lock
    pins); the directories above it are looked at only to create it."""
    cache = os.path.abspath(cache_dir_name())
    covered = [*inputs, installation.package_dir(), *installation.library_dirs(), cache]
    inside = installation.within
    return {path for path in seen if not inside(cache, path) and not any(inside(path, r) for r in covered)}
