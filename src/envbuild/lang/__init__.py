"""Starlark (envd v1) → graph. `evaluate()` is the public entry; starlark-pyo3 is imported only when called,
so importing this package stays cheap for the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from envbuild.graph import Graph


def evaluate(
    path: Path | str,
    function: str = "build",
    *,
    config_file: Path | None = None,
    project_dir: Path | None = None,
    include_pins: Mapping[tuple[str, str | None], str] | None = None,
) -> Graph:
    """Evaluate `function` of the build file `path` (or `path/build.envd`) into a `Graph`.

    `include_pins` maps an `include(url, ref)` to the commit to evaluate instead of resolving `ref` (the
    commits an envbuild.lock holds).

    Raises `envbuild.errors.EnvbuildError` (with file:line:col when there is one) for every failure.
    """
    from envbuild.lang.evaluator import evaluate as _evaluate

    return _evaluate(
        path, function, config_file=config_file, project_dir=project_dir, include_pins=include_pins
    )


__all__ = ["evaluate"]
