"""What a name in a build file refers to: a builtin, a function or global of this file, a name `load()`ed
from another file, or a member of an include()d library (read from the local include cache only).

Hover, go-to-definition, signature help and member completion all start here, so they agree on it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from envbuild.errors import EnvbuildError
from envbuild.lang import include
from envbuild.lsp import catalog
from envbuild.lsp.symbols import FileSymbols, Symbol, scan

log = logging.getLogger("envbuild.lsp")
Reader = Callable[[Path], "str | None"]  # a file's text: the editor's buffer when open, else the disk's
MAX_HOPS = 16  # load() chains followed before giving up (a cycle is the evaluation's error to report)


@dataclass(frozen=True)
class Definition:
    path: Path
    symbol: Symbol


@dataclass(frozen=True)
class Library:
    """An include()d library as the cache holds it: its checkout and its public names → defining file."""

    url: str
    ref: str | None
    commit: str
    root: Path
    exports: dict[str, Path]


Target = catalog.Entry | Definition | Library


def read_disk(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def symbols_of(path: Path, read: Reader) -> FileSymbols | None:
    text = read(path)
    return None if text is None else scan(text)


def loaded_path(module: str, path: Path) -> Path:
    """load() paths are relative to the loading file (see lang/evaluator.py)."""
    target = Path(module)
    return Path(os.path.normpath(target if target.is_absolute() else path.parent / target))


def resolve(dotted: str, path: Path, read: Reader) -> Target | None:
    parts = dotted.split(".")
    found = _resolve_in_file(parts, path, read, MAX_HOPS)
    if found is not None:
        return found
    return catalog.entries().get(dotted)


def _resolve_in_file(parts: list[str], path: Path, read: Reader, hops: int) -> Target | None:
    if hops <= 0:
        return None
    symbols = symbols_of(path, read)
    if symbols is None:
        return None
    symbol = symbols.symbols.get(parts[0])
    if symbol is None:
        return None
    if symbol.kind == "load":
        target = loaded_path(symbol.module, path)
        return _resolve_in_file([symbol.original, *parts[1:]], target, read, hops - 1)
    if symbol.kind == "include":
        library = open_library(symbol.module, symbol.original or None, path.parent)
        if library is None or len(parts) == 1:
            return library
        member = library.exports.get(parts[1])
        if member is None:
            return None
        return _resolve_in_file(parts[1:], member, read, hops - 1)
    return Definition(path, symbol) if len(parts) == 1 else None


def open_library(url: str, ref: str | None, directory: Path) -> Library | None:
    """The library from the cache, or None when it was never fetched (the server never fetches)."""
    try:
        checkout = include.checkout(include.repository_source(url, directory), ref, offline=True)
    except EnvbuildError as err:
        log.info("include(%s) not available offline: %s", url, err.message)
        return None
    return Library(url, ref, checkout.commit, checkout.root, _exports(checkout.root))


@lru_cache(maxsize=64)
def _exports(root: Path) -> dict[str, Path]:
    """A checkout's tree never changes (one directory per commit), so its exports are cached for good."""
    exports: dict[str, Path] = {}
    for file in sorted(p for p in root.rglob("*.envd") if p.is_file() and ".git" not in p.parts):
        symbols = symbols_of(file, read_disk)
        for name, symbol in symbols.symbols.items() if symbols else ():
            if not name.startswith("_") and symbol.kind != "load":  # what lang/evaluator.py exports
                exports.setdefault(name, file)
    return exports
