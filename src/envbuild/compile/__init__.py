"""graph → LLB: `compile_graph(graph, target=BuildTarget(...))`, a pure function (same graph and target, same
LLB bytes). Running a build (resolving the target through BuildKit, solving, exporting) is
`envbuild.builder`'s. Imports are lazy so `import envbuild.compile` stays cheap for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envbuild import lazy

if TYPE_CHECKING:
    from envbuild.compile.pipeline import CompiledBuild, compile_graph  # noqa: F401
    from envbuild.compile.target import BaseImageConfig, BuildTarget  # noqa: F401

_EXPORTS = {
    "CompiledBuild": "envbuild.compile.pipeline",
    "compile_graph": "envbuild.compile.pipeline",
    "BaseImageConfig": "envbuild.compile.target",
    "BuildTarget": "envbuild.compile.target",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy.exports(__name__, _EXPORTS)
