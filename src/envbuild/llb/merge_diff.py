"""`merge` and `diff`: layer filesystems without copying, and take the changes between two of them.

Both need a worker with a snapshotter that supports them (Docker's containerd image store does; the classic
store refuses them) - the client's capabilities tell the compiler before it picks these ops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from envbuild._proto.pb import ops_pb2 as pb
from envbuild.llb.sourcemap import SourceLocation
from envbuild.llb.state import State, scratch
from envbuild.llb.vertex import EMPTY, Built, MarshalContext, Output, StepMeta, op_head, step_meta


@dataclass(frozen=True, slots=True, eq=False)
class MergeVertex:
    inputs: tuple[Output, ...]
    meta: StepMeta

    def dependencies(self) -> tuple:
        seen: dict[int, object] = {}
        for out in self.inputs:
            seen.setdefault(id(out.vertex), out.vertex)
        return tuple(seen.values())

    def build(self, ctx: MarshalContext) -> Built:
        head = op_head(None)
        body = pb.MergeOp()
        for out in self.inputs:  # one input per layer, repeats included, as the Go client writes them
            body.inputs.add(input=len(head.inputs))
            head.inputs.append(ctx.input(out))
        return Built(head, "merge", body, {"mergeop"})


@dataclass(frozen=True, slots=True, eq=False)
class DiffVertex:
    lower: Output | None
    upper: Output | None
    meta: StepMeta

    def dependencies(self) -> tuple:
        return tuple(dict.fromkeys(o.vertex for o in (self.lower, self.upper) if o is not None))

    def build(self, ctx: MarshalContext) -> Built:
        head = op_head(None)
        body = pb.DiffOp()
        body.lower.input = EMPTY if self.lower is None else len(head.inputs)
        if self.lower is not None:
            head.inputs.append(ctx.input(self.lower))
        body.upper.input = EMPTY if self.upper is None else len(head.inputs)
        if self.upper is not None:
            head.inputs.append(ctx.input(self.upper))
        return Built(head, "diff", body, {"diffop"})


def merge(
    states: Sequence[State], *, custom_name: str | None = None, location: SourceLocation | None = None
) -> State:
    """The states layered in order (later ones on top). Scratch inputs are dropped; one input is returned
    as is. The result carries the first input's metadata (env, cwd, user)."""
    layers = [s for s in states if s.output is not None]
    if not layers:
        return scratch()
    if len(layers) == 1:
        return layers[0]
    outputs = tuple(s.output for s in layers if s.output is not None)
    vertex = MergeVertex(outputs, step_meta(custom_name, False, location))
    return layers[0].with_output(Output(vertex))


def diff(
    lower: State, upper: State, *, custom_name: str | None = None, location: SourceLocation | None = None
) -> State:
    """What `upper` adds to `lower` (deletions included), as a filesystem that can be merged elsewhere.
    Carries `lower`'s metadata, like BuildKit's Go client."""
    if lower.output is None:
        return upper
    vertex = DiffVertex(lower.output, upper.output, step_meta(custom_name, False, location))
    return lower.with_output(Output(vertex))
