"""What every vertex shares: its outputs, its per-step metadata and the context it is marshalled in.

A vertex is an immutable description of one BuildKit op. It turns into `pb.Op` parts only at marshal time,
when the digests of its inputs are known; `envbuild.llb.marshal` walks the graph and calls `build` once per
vertex.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from envbuild._proto.pb import ops_pb2 as pb

if TYPE_CHECKING:
    from envbuild.llb.sourcemap import SourceLocation
    from envbuild.platforms import Platform

# BuildKit's "no input" / "no output" index.
EMPTY = -1


@dataclass(frozen=True, slots=True)
class StepMeta:
    """Per-vertex settings that live in `Definition.metadata`, outside the digest.

    `custom_name` is what progress output shows; `ignore_cache` forces the step to run again;
    `description` holds further free-form entries; `locations` tie the step to build-file lines.
    """

    custom_name: str | None = None
    ignore_cache: bool = False
    description: tuple[tuple[str, str], ...] = ()
    locations: tuple[SourceLocation, ...] = ()

    def describe(self) -> dict[str, str]:
        out = dict(self.description)
        if self.custom_name:
            out["llb.customname"] = self.custom_name
        return out


def step_meta(
    custom_name: str | None, ignore_cache: bool, location: SourceLocation | None, description=None
) -> StepMeta:
    return StepMeta(
        custom_name=custom_name,
        ignore_cache=ignore_cache,
        description=tuple(sorted((description or {}).items())),
        locations=(location,) if location is not None else (),
    )


@dataclass(frozen=True, slots=True, eq=False)
class Output:
    """Output `index` of `vertex`: what a State points at."""

    vertex: Vertex
    index: int = 0

    def __repr__(self) -> str:
        # Shallow on purpose: a State's repr must not walk (or recurse through) the whole graph behind it.
        v = self.vertex
        label = v.meta.custom_name or getattr(v, "identifier", "") or " ".join(getattr(v, "args", ()))[:60]
        return f"Output({type(v).__name__}{' ' + repr(label) if label else ''}, index={self.index})"


@dataclass(slots=True)
class Built:
    """A vertex's contribution to the Definition: op parts (head without its oneof, kind, body) and caps."""

    head: pb.Op
    kind: str
    body: object
    caps: set[str] = field(default_factory=set)


class MarshalContext(Protocol):
    platform: Platform
    local_unique_id: str | None

    def input(self, output: Output) -> pb.Input: ...


class Vertex(Protocol):
    @property
    def meta(self) -> StepMeta: ...

    def dependencies(self) -> tuple[Vertex, ...]:
        """Vertices this one reads, in the order their ops should precede it in the Definition."""
        ...

    def build(self, ctx: MarshalContext) -> Built: ...


def op_head(platform: Platform | None) -> pb.Op:
    """An Op framed like BuildKit's Go client frames it: platform if given, empty worker constraints."""
    head = pb.Op()
    if platform is not None:
        head.platform.OS = platform.os
        head.platform.Architecture = platform.architecture
        if platform.variant:
            head.platform.Variant = platform.variant
    head.constraints.SetInParent()
    return head
