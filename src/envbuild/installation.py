"""envbuild's code as installed, for what envbuild keeps of its own answers (the no-op memo, cli/noop.py;
the rendered help, cli/help_cache.py): a fingerprint that changes with any file of the package, the
interpreter, or a package installed, upgraded or removed; and for a build's key (builder/freshness.py),
the package's files alone.

Plain `os` calls: both users answer before any CLI is built, and pathlib alone would cost them 10 ms.
"""

from __future__ import annotations

import hashlib
import os
import sys


def package_dir() -> str:
    """The directory of the `envbuild` package."""
    return os.path.dirname(os.path.abspath(__file__))


def import_dirs() -> list[str]:
    """The interpreter's import directories, but none that holds the working directory (a project there
    is not library code)."""
    cwd = os.getcwd()
    dirs = {os.path.abspath(entry) for entry in sys.path if entry}
    return sorted(d for d in dirs if not within(cwd, d))


def library_dirs() -> list[str]:
    """The import directories of the interpreter's own installation (under its prefixes, a virtual
    environment's included): what installing a package changes, so what `fingerprint` stands for. Not a
    `PYTHONPATH` entry, which may hold the user's projects."""
    installed = (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)
    prefixes = {os.path.abspath(prefix) for prefix in installed}
    return [d for d in import_dirs() if any(within(d, prefix) for prefix in prefixes)]


def code_digest() -> str:
    """A digest of every file of the package by path, size and modification time (not its compiled
    bytecode): a reinstall, an upgrade or an edit changes it, whatever the version string says."""
    code = hashlib.sha256()
    stack = [package_dir()]
    while stack:
        directory = stack.pop()
        for entry in sorted(os.scandir(directory), key=lambda e: e.name):
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    stack.append(entry.path)
                continue
            info = entry.stat(follow_symlinks=False)
            code.update(f"{entry.path} {info.st_size} {info.st_mtime_ns}\n".encode())
    return code.hexdigest()


def fingerprint() -> str:
    """A digest of the interpreter, the package's `code_digest`, and each import directory by its own
    times, which change when a package is installed, upgraded or removed."""
    code = hashlib.sha256(f"{sys.executable}\n{sys.version}\n{code_digest()}\n".encode())
    for directory in import_dirs():
        try:
            info = os.stat(directory)
            times = f"{info.st_mtime_ns} {info.st_ctime_ns} {info.st_ino}"
        except OSError as err:
            times = f"!{err.errno}"
        code.update(f"{directory} {times}\n".encode())
    return code.hexdigest()


def within(path: str, root: str) -> bool:
    """`path` is `root` or below it."""
    return path == root or path.startswith(root.rstrip("/") + "/")
