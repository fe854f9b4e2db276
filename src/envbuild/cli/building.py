"""How a command runs a build: the `--progress` display on stderr, and a tarball on stdout for `dest=-`.

The builder never writes to the terminal; this module connects its status events to the display the user
chose and is the one place that streams an exported tarball to stdout.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from envbuild.errors import UsageError
from envbuild.progress.display import MODES as PROGRESS_MODES

if TYPE_CHECKING:
    from envbuild.builder import BuildOptions, BuildResult
    from envbuild.graph import Graph

Progress = Annotated[
    str, typer.Option("--progress", help=f"Build output: {', '.join(PROGRESS_MODES)}.", show_default=True)
]


def check_progress(value: str) -> str:
    if value not in PROGRESS_MODES:
        raise UsageError("--progress", value, "one of " + ", ".join(PROGRESS_MODES))
    return value


def run_build(graph: Graph, options: BuildOptions, progress: str) -> BuildResult:
    """Build with a display for `progress`; outputs with `dest=-` go to stdout once the build is done."""
    from envbuild.builder import build
    from envbuild.progress.display import ProgressRenderer

    to_stdout: list[Path] = []
    outputs = []
    for spec in options.outputs:
        if spec.dest == "-":
            handle, name = tempfile.mkstemp(prefix="envbuild-", suffix=".tar")
            os.close(handle)
            to_stdout.append(Path(name))
            spec = replace(spec, dest=name)
        outputs.append(spec)
    try:
        with ProgressRenderer(check_progress(progress)) as display:
            result = build(graph, replace(options, outputs=tuple(outputs), on_status=display.update))
        for path in to_stdout:
            with path.open("rb") as fh:
                shutil.copyfileobj(fh, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return result
    finally:
        for path in to_stdout:
            path.unlink(missing_ok=True)
