"""`envbuild.lock`: what a build pins (model), its file (lockfile), what a build asks for (wants) and how the
two compare (drift). Resolving a lock talks to BuildKit, git and uv, so it lives in the builder
(`envbuild.builder.locking`); compile only ever sees the pins, as data in its `BuildTarget`."""

from envbuild.lock.lockfile import FILE_NAME, file_digest, lock_path, read, write
from envbuild.lock.model import Lock, LockedBase, LockedDownload, LockedInclude, LockedPackage, LockedPython

__all__ = [
    "FILE_NAME",
    "Lock",
    "LockedBase",
    "LockedDownload",
    "LockedInclude",
    "LockedPackage",
    "LockedPython",
    "file_digest",
    "lock_path",
    "read",
    "write",
]
