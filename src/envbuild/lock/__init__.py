"""`envbuild.lock`: what a build pins (model), its file (lockfile), what a build asks for (wants) and how the
two compare (drift). Resolving a lock talks to BuildKit, git and uv, so it lives in the builder
(`envbuild.builder.locking`); compile only ever sees the pins, as data in its `BuildTarget`.

Where the file is (`FILE_NAME`, `lock_path`) is answered here; the rest is imported on first use, so a build
without a lock never loads the lock's model or its TOML.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from envbuild import lazy

if TYPE_CHECKING:
    from envbuild.lock.lockfile import file_digest, read, write  # noqa: F401
    from envbuild.lock.model import (  # noqa: F401
        Lock,
        LockedBase,
        LockedDownload,
        LockedInclude,
        LockedPackage,
        LockedPython,
    )

FILE_NAME = "envbuild.lock"


def lock_path(project_dir: str | Path, build_file: str) -> Path:
    """`envbuild.lock` in the directory of the build file."""
    return (Path(project_dir) / build_file).parent / FILE_NAME


_EXPORTS = {
    "Lock": "envbuild.lock.model",
    "LockedBase": "envbuild.lock.model",
    "LockedDownload": "envbuild.lock.model",
    "LockedInclude": "envbuild.lock.model",
    "LockedPackage": "envbuild.lock.model",
    "LockedPython": "envbuild.lock.model",
    "file_digest": "envbuild.lock.lockfile",
    "read": "envbuild.lock.lockfile",
    "write": "envbuild.lock.lockfile",
}

__all__ = sorted([*_EXPORTS, "FILE_NAME", "lock_path"])


__getattr__ = lazy.exports(__name__, _EXPORTS)
