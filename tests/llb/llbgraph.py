"""Read a marshalled Definition back as ops, so tests assert on the graph rather than on strings."""

from __future__ import annotations

from dataclasses import dataclass

from envbuild._proto.pb import ops_pb2 as pb
from envbuild.llb import digest_of


@dataclass
class Graph:
    definition: pb.Definition
    ops: list[tuple[str, pb.Op]]

    @property
    def digests(self) -> list[str]:
        return [d for d, _ in self.ops]

    def op(self, digest: str) -> pb.Op:
        return dict(self.ops)[digest]

    def of_kind(self, kind: str) -> list[pb.Op]:
        return [op for _, op in self.ops if op.WhichOneof("op") == kind]

    def one(self, kind: str) -> pb.Op:
        found = self.of_kind(kind)
        assert len(found) == 1, f"expected one {kind} op, found {len(found)}"
        return found[0]

    def digest_of_op(self, op: pb.Op) -> str:
        return next(d for d, o in self.ops if o is op)

    @property
    def terminal(self) -> pb.Op:
        return self.ops[-1][1]

    def result(self) -> pb.Op:
        """The op the terminal op points at."""
        return self.op(self.terminal.inputs[0].digest)

    def input_op(self, op: pb.Op, index: int) -> pb.Op:
        return self.op(op.inputs[index].digest)

    def metadata(self, op: pb.Op) -> pb.OpMetadata:
        return self.definition.metadata[self.digest_of_op(op)]


def decode(definition: pb.Definition) -> Graph:
    ops = []
    for raw in getattr(definition, "def"):
        op = pb.Op()
        op.ParseFromString(raw)
        ops.append((digest_of(raw), op))
    return Graph(definition, ops)


def marshal(state, platform: str = "linux/amd64", **kwargs) -> Graph:
    return decode(state.marshal(platform, **kwargs))
