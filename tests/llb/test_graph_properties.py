"""Properties of any graph the API can build: BuildKit's structural rules hold for every Definition."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from llbgraph import decode

from envbuild import llb
from envbuild.llb.digest import encode_op

STEPS = st.lists(
    st.tuples(st.sampled_from(["run", "mkdir", "copy", "merge", "diff", "named-mkfile"]), st.integers(0, 5)),
    min_size=1,
    max_size=25,
)


def _build(steps) -> llb.State:
    pool = [llb.image("debian:bookworm"), llb.local("ctx"), llb.scratch()]
    for kind, n in steps:
        a, b = pool[n % len(pool)], pool[(n + 1) % len(pool)]
        if kind == "run":
            mount = llb.bind_mount("/m", b, readonly=n % 2 == 0)
            pool.append(a.run(["sh", "-c", f"echo {n}"], llb.RunOptions(mounts=[mount])).root())
        elif kind == "mkdir":
            pool.append(a.mkdir(f"/d{n}", parents=True))
        elif kind == "named-mkfile":
            pool.append(a.mkfile(f"/f{n}", str(n), custom_name=f"file {n}"))
        elif kind == "copy":
            pool.append(a.copy(b, "/", f"/c{n}/"))
        elif kind == "merge":
            pool.append(llb.merge([a, b]))
        else:
            pool.append(llb.diff(a, b))
    return llb.merge(pool)


@settings(max_examples=40, deadline=None)
@given(STEPS)
def test_definitions_are_well_formed(steps):
    state = _build(steps)
    definition = state.marshal("linux/amd64")
    g = decode(definition)
    if not g.ops:
        assert state.is_scratch
        return
    position = {}
    for i, (digest, op) in enumerate(g.ops):
        assert digest not in position, "every op appears once"
        position[digest] = i
        for inp in op.inputs:
            assert position.get(inp.digest, len(g.ops)) < i, "inputs precede their users"
        if op.WhichOneof("op") == "file":
            n = len(op.inputs)
            for k, action in enumerate(op.file.actions):
                assert action.input < n + k and action.secondaryInput < n + k
        assert encode_op(op) == getattr(definition, "def")[i]
        assert digest in definition.metadata
    assert g.terminal.WhichOneof("op") is None
    assert getattr(definition, "def") == getattr(_build(steps).marshal("linux/amd64"), "def"), "deterministic"
