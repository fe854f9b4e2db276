"""Errors are values with a location until the CLI renders them.

Every stage raises a subclass of `EnvbuildError`; the CLI is the only place that turns one into text and an
exit code, so no stage ever prints a traceback at a user.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def shown_path(path: Path | str) -> str:
    """A path as errors show it: relative to the working directory when inside it, else absolute."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


@dataclass(frozen=True)
class Location:
    """A place in a build file: 1-based line and column, plus the source line for the caret display."""

    file: str
    line: int
    column: int
    source_line: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class EnvbuildError(Exception):
    """A failure the user can act on: one sentence of what went wrong, an optional hint of what to do."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, location: Location | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.location = location

    def render(self) -> str:
        parts = []
        if self.location is not None:
            parts.append(f"{self.location}: error: {self.message}")
            if self.location.source_line:
                line, column = _window(self.location.source_line, self.location.column)
                parts.append(f"    {line}")
                parts.append("    " + " " * max(column - 1, 0) + "^")
        else:
            parts.append(f"error: {self.message}")
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


SOURCE_WIDTH = 120


def _window(line: str, column: int) -> tuple[str, int]:
    """At most SOURCE_WIDTH characters of a source line around the column (a generated or hostile file can
    have a line of megabytes), and the column within them."""
    if len(line) <= SOURCE_WIDTH:
        return line, column
    start = max(0, min(column - 1 - SOURCE_WIDTH // 2, len(line) - SOURCE_WIDTH))
    shown = line[start : start + SOURCE_WIDTH]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + SOURCE_WIDTH < len(line) else ""
    return prefix + shown + suffix, column - start + len(prefix)


class Interrupted(EnvbuildError):
    """Ctrl-C, reported as what was interrupted and what is left (exit code 130, as shells report it)."""

    exit_code = 130


class UsageError(EnvbuildError):
    """A bad command-line value: names the flag, the value and what is allowed."""

    exit_code = 2

    def __init__(self, flag: str, value: object, allowed: str, *, hint: str | None = None):
        super().__init__(f"{flag} {value!r} is not valid: {allowed}", hint=hint)
        self.flag = flag
        self.value = value
        self.allowed = allowed
