"""Turn a State's graph into the `pb.Definition` a Solve request carries.

Ops are emitted dependencies first (a depth-first post-order over each vertex's inputs, in input order, as
BuildKit's Go client does), each exactly once: vertices that encode to the same bytes share a digest and
appear once, their metadata merged. The last entry is BuildKit's terminal op, whose only input names the
result. The walk is iterative, so graphs of any depth marshal without touching Python's recursion limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from envbuild._proto.pb import ops_pb2 as pb
from envbuild.llb.digest import digest_of, encode_parts
from envbuild.llb.sourcemap import SourceMap
from envbuild.llb.state import State
from envbuild.llb.vertex import Output, Vertex
from envbuild.platforms import Platform, as_platform, host_platform

# Capabilities the Go client always asks for on the terminal op (we always write platform/constraints).
_TERMINAL_CAPS = ("constraints", "platform")


@dataclass
class _Context:
    platform: Platform
    local_unique_id: str | None
    digests: dict[int, str] = field(default_factory=dict)

    def input(self, output: Output) -> pb.Input:
        return pb.Input(digest=self.digests[id(output.vertex)], index=output.index)


def post_order(root: Vertex) -> list[Vertex]:
    """Every vertex reachable from `root`, each after all of its dependencies, each once (by identity)."""
    order: list[Vertex] = []
    expanded: set[int] = set()
    stack: list[tuple[Vertex, bool]] = [(root, False)]
    while stack:
        vertex, done = stack.pop()
        if done:
            order.append(vertex)
            continue
        if id(vertex) in expanded:
            continue
        expanded.add(id(vertex))
        stack.append((vertex, True))
        stack.extend((dep, False) for dep in reversed(vertex.dependencies()) if id(dep) not in expanded)
    return order


def _merge_metadata(entry: pb.OpMetadata, vertex: Vertex, caps: set[str]) -> None:
    meta = vertex.meta
    if meta.ignore_cache:
        entry.ignore_cache = True
    for key, value in meta.describe().items():
        entry.description[key] = value
    for cap in caps:
        entry.caps[cap] = True


def marshal(state: State, *, platform: Platform | str | None = None, local_unique_id: str | None = None):
    """See `State.marshal`."""
    definition = pb.Definition()
    if state.output is None:
        return definition
    ctx = _Context(as_platform(platform) or host_platform(), local_unique_id)
    ops: list[bytes] = []
    source_maps: dict[SourceMap, int] = {}
    for vertex in post_order(state.output.vertex):
        built = vertex.build(ctx)
        data = encode_parts(built.head, built.kind, built.body)
        digest = digest_of(data)
        ctx.digests[id(vertex)] = digest
        if digest not in definition.metadata:
            ops.append(data)
        _merge_metadata(definition.metadata[digest], vertex, built.caps)
        for location in vertex.meta.locations:
            index = source_maps.setdefault(location.source, len(source_maps))
            entry = definition.Source.locations[digest].locations.add(sourceIndex=index)
            for r in location.ranges:
                entry.ranges.add().CopyFrom(
                    pb.Range(
                        start=pb.Position(line=r.start.line, character=r.start.character),
                        end=pb.Position(line=r.end.line, character=r.end.character),
                    )
                )
    for source in source_maps:  # dicts keep insertion order = index order
        definition.Source.infos.add(filename=source.filename, data=source.data, language=source.language)

    terminal = pb.Op(inputs=[ctx.input(state.output)]).SerializeToString(deterministic=True)
    ops.append(terminal)
    getattr(definition, "def").extend(ops)
    final = definition.metadata[digest_of(terminal)]
    for cap in _TERMINAL_CAPS:
        final.caps[cap] = True
    for entry in list(definition.metadata.values()):
        if entry.ignore_cache:
            final.caps["meta.ignorecache"] = True
        if entry.description:
            final.caps["meta.description"] = True
    return definition
