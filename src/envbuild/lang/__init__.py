"""Starlark (envd v1) → graph. `evaluate()` is the public entry; starlark-pyo3 is imported only when called,
so importing this package stays cheap for the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envbuild.errors import Location as ErrorLocation
    from envbuild.graph import Graph, Location


def evaluate(
    path: Path | str,
    function: str = "build",
    *,
    config_file: Path | None = None,
    project_dir: Path | None = None,
) -> Graph:
    """Evaluate `function` of the build file `path` (or `path/build.envd`) into a `Graph`.

    Raises `envbuild.errors.EnvbuildError` (with file:line:col when there is one) for every failure.
    """
    from envbuild.lang.evaluator import evaluate as _evaluate

    return _evaluate(path, function, config_file=config_file, project_dir=project_dir)


def parse_from(spec: str | None) -> tuple[str, str]:
    """`--from file:func` → (file, func), envd's defaults being build.envd and build."""
    from envbuild.lang.evaluator import parse_from as _parse_from

    return _parse_from(spec)


def source_location(graph: Graph, location: Location | None) -> ErrorLocation | None:
    """A graph step's location as an error location with its source line, for later stages' errors.

    Reads the line from the project directory when the file is there (library files of include() are shown
    without a source line)."""
    from envbuild.errors import Location as ErrorLocation

    if location is None:
        return None
    path = Path(location.file)
    if not path.is_absolute():
        path = Path(graph.project.dir) / path
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
        source_line = lines[location.line - 1].rstrip("\r") if 0 < location.line <= len(lines) else ""
    except (OSError, UnicodeDecodeError):
        source_line = ""
    return ErrorLocation(location.file, location.line, location.column, source_line)


__all__ = ["evaluate", "parse_from", "source_location"]
