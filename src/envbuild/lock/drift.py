"""A lock against a build: what the build takes from it, and where the build file asks for something else.

`plan(wants, lock)` is pure. It gives the pins a build applies (base digest, download checksums, the Python
set) and the drift: every way the build file differs from the lock, as lines of a diff (`+` the build file
asks for it and the lock does not hold it, `-` the lock holds something the build file no longer asks for,
`~` both name it differently). With `--locked` any drift is an error; without, it is reported and the
build follows the build file for exactly those parts.
"""

from __future__ import annotations

from dataclasses import dataclass

from envbuild.errors import EnvbuildError
from envbuild.lock.model import Lock, LockedPython
from envbuild.lock.wants import Wants


@dataclass(frozen=True)
class LockPlan:
    """What a build takes from the lock for one platform, and the drift found.

    `downloads`: URL → checksum for `io.http` downloads without one in the build file. `python`: the locked
    set when the build file's Python inputs are exactly those the lock was resolved from.
    """

    base_digest: str | None
    downloads: dict[str, str]
    python: LockedPython | None
    drift: tuple[str, ...]


def plan(wants: Wants, lock: Lock, *, function: str, build_file: str) -> LockPlan:
    drift: list[str] = []
    if (lock.build_file, lock.function) != (build_file, function):
        drift.append(
            f"~ the lock is for {lock.build_file}:{lock.function}, this build is {build_file}:{function}"
        )
        return LockPlan(None, {}, None, tuple(drift))

    base = lock.base(wants.base, wants.platform)
    if base is None:
        held = [b.image for b in lock.bases if b.platform == wants.platform]
        also = f" (the lock holds {', '.join(held)})" if held else ""
        drift.append(f"+ base image {wants.base} for {wants.platform}{also}")

    for url, ref, commit in wants.includes:
        locked = lock.include(url, ref)
        where = f"include {url}" + (f" ref {ref}" if ref else "")
        if locked is None:
            drift.append(f"+ {where} (at {commit[:12]})")
        elif locked.commit != commit:
            drift.append(f"~ {where}: evaluated at {commit[:12]}, the lock holds {locked.commit[:12]}")

    downloads: dict[str, str] = {}
    for url, checksum in wants.downloads:
        held_download = lock.download(url)
        if held_download is None:
            drift.append(f"+ io.http {url}")
        elif checksum and checksum != held_download.sha256:
            drift.append(
                f"~ io.http {url}: the build file says {checksum}, the lock holds {held_download.sha256}"
            )
        elif not checksum:
            downloads[url] = held_download.sha256

    python = _python(wants, lock, drift)
    return LockPlan(base.digest if base else None, downloads, python, tuple(drift))


def _python(wants: Wants, lock: Lock, drift: list[str]) -> LockedPython | None:
    asked = wants.python
    held = lock.python_for(wants.platform)
    if asked is None:
        if held is not None and held.packages:
            drift.append(f"- python packages for {wants.platform} (the build file installs none)")
        return None
    if asked.unlockable:
        drift.append(f"+ python packages that cannot be locked: {asked.unlockable}")
        return None
    if held is None:
        drift.append(f"+ python packages for {wants.platform}: " + ", ".join(asked.inputs))
        return None
    lines: list[str] = []
    if held.python != asked.python:
        lines.append(f"~ python {asked.python} (the lock was resolved for {held.python})")
    lines += [f"+ python input {i}" for i in asked.inputs if i not in held.inputs]
    lines += [f"- python input {i}" for i in held.inputs if i not in asked.inputs]
    if not lines and list(asked.inputs) != list(held.inputs):
        lines.append("~ python inputs in another order")
    drift.extend(lines)
    return None if lines else held


class LockDriftError(EnvbuildError):
    """`--locked`, and the build file asks for something the lock does not hold."""


def drift_error(lock_name: str, drift: tuple[str, ...]) -> LockDriftError:
    return LockDriftError(
        f"the build file asks for what {lock_name} does not hold (--locked):\n"
        + "\n".join(f"  {line}" for line in drift),
        hint="run `envbuild lock` to record what the build file asks for now, or build without --locked",
    )


def drift_note(lock_name: str, drift: tuple[str, ...]) -> str:
    return (
        f"{lock_name} does not match the build file; building these parts from the build file, unpinned:\n"
        + "\n".join(f"  {line}" for line in drift)
        + "\n  (run `envbuild lock` to pin them, or build with --locked to refuse)"
    )
