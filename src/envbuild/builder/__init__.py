"""Running a build: evaluate → compile → solve → export, with every side effect in one place.

`build(graph, BuildOptions(...))` learns what the compiler needs (the worker's abilities, the base image's
config, the owner, the CA bundle and proxy, where Horust comes from), compiles the graph with the pure
`envbuild.compile.compile_graph`, solves it on BuildKit and reports the image. It never writes to stdout:
status events go to `BuildOptions.on_status`, which the CLI connects to a display.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envbuild import lazy

if TYPE_CHECKING:
    from envbuild.builder.options import BuildOptions  # noqa: F401
    from envbuild.builder.orchestrator import build, local_target, plan_build, up_to_date  # noqa: F401
    from envbuild.builder.result import BuildResult  # noqa: F401

_EXPORTS = {
    "BuildOptions": "envbuild.builder.options",
    "BuildResult": "envbuild.builder.result",
    "build": "envbuild.builder.orchestrator",
    "local_target": "envbuild.builder.orchestrator",
    "plan_build": "envbuild.builder.orchestrator",
    "up_to_date": "envbuild.builder.orchestrator",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy.exports(__name__, _EXPORTS)
