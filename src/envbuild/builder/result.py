"""What a build produced: the image's name and digest, the compiled build, and each step's record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envbuild.compile.pipeline import CompiledBuild
    from envbuild.progress.trace import VertexRecord

#: the ops whose vertices are build steps (sources, cache import and export vertices are not)
_STEP_OPS = ("exec", "file", "merge", "diff")


@dataclass(frozen=True)
class BuildResult:
    """The image built: its fully qualified name (None for file/dir outputs only), digest, what was sent,
    each vertex as the status stream last reported it (cached or run, its log tail), and notes for the
    user (e.g. a proxy BuildKit cannot reach). `compiled` is None when nothing was compiled: `up_to_date`,
    nothing was compiled or sent, the image in the store was built from the same inputs."""

    name: str | None
    digest: str | None
    compiled: CompiledBuild | None
    exporter_response: dict[str, str]
    steps: tuple[VertexRecord, ...] = ()
    notes: tuple[str, ...] = ()
    up_to_date: bool = False

    def build_steps(self) -> tuple[VertexRecord, ...]:
        """The records of this build's steps (exec, file, merge and diff ops): what "N of M steps came from
        the cache" counts."""
        from envbuild._proto.pb import ops_pb2 as pb
        from envbuild.llb import digest_of

        if self.compiled is None:
            return ()
        kinds = {}
        for raw in list(getattr(self.compiled.definition, "def"))[:-1]:  # the last is the terminal
            op = pb.Op()
            op.ParseFromString(raw)
            kinds[digest_of(raw)] = op.WhichOneof("op")
        return tuple(step for step in self.steps if kinds.get(step.digest) in _STEP_OPS)
