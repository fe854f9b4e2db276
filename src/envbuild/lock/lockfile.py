"""`envbuild.lock` on disk: TOML, one section per kind, one value per line, so a change reads as a small diff.

The file sits beside the build file. Its sha256 (of the exact bytes) is the lock's identity: the image built
from it carries that digest as a label. Reading checks the shape and names the file and the key on any error;
writing goes through a temporary file and a rename, so an interrupted write never leaves half a lock.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from envbuild.errors import EnvbuildError
from envbuild.lock import FILE_NAME
from envbuild.lock.model import Lock, LockedBase, LockedDownload, LockedInclude, LockedPackage, LockedPython

FORMAT_VERSION = 1
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def file_digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def dumps(lock: Lock) -> str:
    """The file text: a header saying what the file is, then the TOML."""
    doc: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "build-file": lock.build_file,
        "function": lock.function,
    }
    if lock.bases:
        doc["base"] = [{"image": b.image, "platform": b.platform, "digest": b.digest} for b in lock.bases]
    if lock.includes:
        doc["include"] = [
            _without_none({"url": i.url, "ref": i.ref, "commit": i.commit}) for i in lock.includes
        ]
    if lock.horust:
        doc["horust"] = [{"platform": h.platform, "url": h.url, "sha256": h.sha256} for h in lock.horust]
    if lock.downloads:
        doc["download"] = [{"url": d.url, "sha256": d.sha256} for d in lock.downloads]
    if lock.python:
        doc["python"] = [
            {
                "platform": p.platform,
                "python": p.python,
                "resolver": p.resolver,
                "inputs": list(p.inputs),
                "package": [
                    {"name": pkg.name, "version": pkg.version, "hashes": list(pkg.hashes)}
                    for pkg in p.packages
                ],
            }
            for p in lock.python
        ]
    header = (
        f"# envbuild.lock: the pins `envbuild build` uses for {lock.build_file}:{lock.function}.\n"
        "# Written by `envbuild lock`; `envbuild lock --upgrade [PACKAGE...]` moves them, and\n"
        "# `envbuild build --locked` builds exactly this or fails. Commit it with the build file.\n\n"
    )
    return header + tomli_w.dumps(doc)


def _without_none(table: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in table.items() if v is not None}


def write(path: Path, lock: Lock) -> str:
    """Write `lock` to `path` atomically; returns the new file's digest."""
    text = dumps(lock)
    handle, tmp = tempfile.mkstemp(prefix=".envbuild.lock-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def read(path: Path) -> Lock:
    """The lock at `path`; an `EnvbuildError` naming the file (and the key) when it is not a valid lock."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise EnvbuildError(f"cannot read {path}: {err.strerror or err}") from None
    return loads(text, str(path))


def loads(text: str, name: str = FILE_NAME) -> Lock:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise _bad(name, f"not valid TOML ({err})") from None
    reader = _Reader(name)
    version = doc.get("version")
    if version != FORMAT_VERSION:
        raise _bad(
            name,
            f"format version {version!r}, this envbuild reads version {FORMAT_VERSION}",
            hint="run `envbuild lock` to write it again",
        )
    return Lock(
        build_file=reader.text(doc, "build-file"),
        function=reader.text(doc, "function"),
        bases=tuple(
            LockedBase(reader.text(t, "image"), reader.text(t, "platform"), reader.digest(t, "digest"))
            for t in reader.tables(doc, "base")
        ),
        includes=tuple(
            LockedInclude(reader.text(t, "url"), reader.commit(t, "commit"), reader.text(t, "ref", None))
            for t in reader.tables(doc, "include")
        ),
        horust=tuple(
            LockedDownload(reader.text(t, "url"), reader.digest(t, "sha256"), reader.text(t, "platform"))
            for t in reader.tables(doc, "horust")
        ),
        downloads=tuple(
            LockedDownload(reader.text(t, "url"), reader.digest(t, "sha256"))
            for t in reader.tables(doc, "download")
        ),
        python=tuple(
            LockedPython(
                platform=reader.text(t, "platform"),
                python=reader.text(t, "python"),
                resolver=reader.text(t, "resolver", ""),
                inputs=reader.strings(t, "inputs"),
                packages=tuple(
                    LockedPackage(
                        reader.text(p, "name"),
                        reader.text(p, "version"),
                        tuple(
                            reader.digest_value(h, "python.package.hashes")
                            for h in reader.strings(p, "hashes")
                        ),
                    )
                    for p in reader.tables(t, "package")
                ),
            )
            for t in reader.tables(doc, "python")
        ),
    )


def _bad(name: str, what: str, *, hint: str | None = None) -> EnvbuildError:
    return EnvbuildError(
        f"{name} is not a valid envbuild lock: {what}",
        hint=hint or "run `envbuild lock` to write it again (or fix it by hand and try again)",
    )


class _Reader:
    """Typed access to the parsed TOML, each failure naming the file and the key."""

    _MISSING = object()

    def __init__(self, name: str):
        self.name = name

    def text(self, table: dict[str, Any], key: str, default: Any = _MISSING) -> Any:
        value = table.get(key, default)
        if value is self._MISSING:
            raise _bad(self.name, f"`{key}` is missing")
        if value is not default and not isinstance(value, str):
            raise _bad(self.name, f"`{key}` must be a string, not {value!r}")
        return value

    def digest(self, table: dict[str, Any], key: str) -> str:
        return self.digest_value(self.text(table, key), key)

    def digest_value(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not _DIGEST.match(value):
            raise _bad(self.name, f"`{key}` must be sha256:<64 hex digits>, not {value!r}")
        return value

    def commit(self, table: dict[str, Any], key: str) -> str:
        value = self.text(table, key)
        if not _COMMIT.match(value):
            raise _bad(self.name, f"`{key}` must be a full git commit id, not {value!r}")
        return value

    def strings(self, table: dict[str, Any], key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _bad(self.name, f"`{key}` must be a list of strings")
        return tuple(value)

    def tables(self, table: dict[str, Any], key: str) -> list[dict[str, Any]]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise _bad(self.name, f"`{key}` must be a list of tables ([[{key}]])")
        return value
