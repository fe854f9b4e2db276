"""Packages whose names load on first use (PEP 562), so importing a package costs only what is used.

A package lists each name it offers with the module that defines it (its `TYPE_CHECKING` imports say the
same to type checkers) and sets `__getattr__ = lazy.exports(__name__, _EXPORTS)`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def exports(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: `name` is imported from `where[name]` (a module name, absolute
    or relative to `package`) when first asked for."""

    def load(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module, package), name)

    return load
