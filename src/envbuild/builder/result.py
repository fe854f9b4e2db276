"""What a build produced: the image's name and digest, the compiled build, and each step's record."""

from __future__ import annotations

from dataclasses import dataclass

from envbuild.compile.pipeline import CompiledBuild
from envbuild.progress.trace import VertexRecord


@dataclass(frozen=True)
class BuildResult:
    """The image built: its fully qualified name (None for file/dir outputs only), digest, what was sent,
    each vertex as the status stream last reported it (cached or run, its log tail), and notes for the
    user (e.g. a proxy BuildKit cannot reach). `up_to_date`: nothing was sent, the image in the store was
    built from the same inputs (then `compiled` is what this host compiles before asking BuildKit)."""

    name: str | None
    digest: str | None
    compiled: CompiledBuild
    exporter_response: dict[str, str]
    steps: tuple[VertexRecord, ...] = ()
    notes: tuple[str, ...] = ()
    up_to_date: bool = False
