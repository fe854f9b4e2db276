"""What a compiled build takes from this host while BuildKit runs it: local directories by name, and the
CA bundle as a secret.

Decided from the graph and the target alone, without the LLB API, so that the up-to-date check
(`builder/freshness.py`) knows which directories the build reads without compiling it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envbuild.compile.target import BuildTarget
    from envbuild.graph import Graph

#: the local source that is the project directory
CONTEXT = "context"
#: the secret the CA bundle is mounted from in build steps (never a layer)
CA_SECRET_ID = "envbuild-ca-bundle"


def local_dirs(graph: Graph, target: BuildTarget) -> dict[str, str]:
    """Each local source the build reads, by name → the host directory it is served from: the project
    directory when a step copies, mounts or installs from it; the directory of a local Horust binary."""
    dirs: dict[str, str] = {}
    horust = target.horust
    if graph.base.dev and horust is not None and horust.kind == "file":
        dirs[horust.local_name] = horust.local_dir
    if (
        any(not c.image for c in graph.copies)
        or any(r.mount_host for r in graph.runs)
        or any(call.requirements or call.local_wheels for call in graph.packages.python)
        or any(call.env_file for call in graph.packages.conda)
    ):
        dirs[CONTEXT] = graph.project.dir
    return dirs
