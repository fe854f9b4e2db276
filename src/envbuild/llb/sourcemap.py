"""Source maps: which line of which build file made a vertex.

BuildKit carries them in `Definition.Source` and, when a step fails, sends back the file, the ranges and the
file's text with the error, so the failure can be shown at `build.envd:12` instead of at an opaque digest.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceMap:
    """A build file: its name as shown to users, its bytes, and its language ("starlark" for build.envd)."""

    filename: str
    data: bytes = b""
    language: str = "starlark"

    def location(
        self, line: int, column: int = 0, end_line: int | None = None, end_column: int | None = None
    ) -> SourceLocation:
        """A location in this file. Lines are 1-based as in BuildKit's source maps; columns are offsets."""
        start = Position(line, column)
        end = Position(
            end_line if end_line is not None else line, end_column if end_column is not None else column
        )
        return SourceLocation(self, (Range(start, end),))


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    character: int = 0


@dataclass(frozen=True, slots=True)
class Range:
    start: Position
    end: Position


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where a step comes from; attach it with `location=` on any step or source."""

    source: SourceMap
    ranges: tuple[Range, ...]
