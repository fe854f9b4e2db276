"""marshal(): ordering, de-duplication, determinism, the terminal op, metadata and source maps."""

from __future__ import annotations

from llbgraph import decode, marshal

from envbuild import llb
from envbuild._proto.pb import ops_pb2 as pb


def _pipeline():
    base = llb.image("debian:bookworm")
    ctx = llb.local("ctx", exclude=[".git"])
    built = base.run(
        ["bash", "-c", "make"], llb.RunOptions(mounts=[llb.bind_mount("/src", ctx, readonly=True)])
    ).root()
    return built.copy(ctx, "/README.md", "/README.md")


def test_dependencies_come_before_their_users():
    g = marshal(_pipeline())
    position = {d: i for i, d in enumerate(g.digests)}
    for digest, op in g.ops:
        for inp in op.inputs:
            assert position[inp.digest] < position[digest]


def test_terminal_op_points_at_the_result():
    g = marshal(_pipeline())
    terminal = g.terminal
    assert terminal.WhichOneof("op") is None
    assert len(terminal.inputs) == 1 and terminal.inputs[0].index == 0
    assert g.result().WhichOneof("op") == "file"
    assert {"constraints", "platform"} <= set(g.metadata(terminal).caps)


def test_marshal_is_deterministic():
    first = _pipeline().marshal("linux/amd64")
    second = _pipeline().marshal("linux/amd64")
    assert getattr(first, "def") == getattr(second, "def")
    assert first.SerializeToString(deterministic=True) == second.SerializeToString(deterministic=True)


def test_same_source_built_twice_is_one_op():
    a = llb.image("debian:bookworm")
    b = llb.image("docker.io/library/debian:bookworm")
    g = marshal(llb.merge([a.mkdir("/a"), b.mkdir("/b")]))
    assert len(g.of_kind("source")) == 1
    assert len(g.digests) == len(set(g.digests))


def test_identical_steps_share_a_vertex_and_merge_metadata():
    base = llb.image("debian")
    one = base.run(["true"], llb.RunOptions(custom_name="first")).root()
    two = base.run(["true"], llb.RunOptions(ignore_cache=True)).root()
    g = marshal(llb.merge([one, two]))
    (op,) = g.of_kind("exec")
    md = g.metadata(op)
    assert md.description["llb.customname"] == "first" and md.ignore_cache
    merge = g.one("merge")
    assert merge.inputs[0] == merge.inputs[1]
    terminal_caps = set(g.metadata(g.terminal).caps)
    assert {"meta.ignorecache", "meta.description"} <= terminal_caps


def test_every_op_has_metadata_with_caps():
    g = marshal(_pipeline())
    for digest, _ in g.ops:
        assert g.definition.metadata[digest].caps


def test_platform_changes_digests_of_platform_specific_ops_only():
    amd = marshal(_pipeline(), platform="linux/amd64")
    arm = marshal(_pipeline(), platform="linux/arm64")

    def source_digests(g):
        return {op.source.identifier.split(":")[0]: d for d, op in g.ops if op.WhichOneof("op") == "source"}

    amd_sources, arm_sources = source_digests(amd), source_digests(arm)
    assert amd_sources["local"] == arm_sources["local"]
    assert amd_sources["docker-image"] != arm_sources["docker-image"]  # the image op carries the platform


def test_source_locations_point_at_the_build_file():
    build_file = llb.SourceMap("build.envd", b"def build():\n    install.apt_packages(['curl'])\n")
    other = llb.SourceMap("lib.envd", b"x")
    state = (
        llb.image("debian")
        .run(["apt-get", "install", "curl"], llb.RunOptions(location=build_file.location(2, 4)))
        .root()
        .mkdir("/x", location=other.location(1))
        .mkdir("/y", location=build_file.location(1))
    )
    definition = state.marshal("linux/amd64")
    g = decode(definition)
    source = definition.Source
    assert [(i.filename, i.language) for i in source.infos] == [
        ("build.envd", "starlark"),
        ("lib.envd", "starlark"),
    ]
    assert source.infos[0].data.startswith(b"def build")
    exec_locs = source.locations[g.digest_of_op(g.one("exec"))].locations
    starts = [(loc.sourceIndex, loc.ranges[0].start.line, loc.ranges[0].start.character) for loc in exec_locs]
    assert starts == [(0, 2, 4)]
    file_locs = source.locations[g.digest_of_op(g.one("file"))].locations
    assert [loc.sourceIndex for loc in file_locs] == [1, 0]


def test_no_source_section_without_locations():
    assert not _pipeline().marshal().HasField("Source")


def test_deep_graphs_marshal_without_recursion_limits():
    state = llb.image("debian")
    for i in range(3000):
        state = state.run(["sh", "-c", f"echo {i}"]).root()
    g = marshal(state)
    assert len(g.of_kind("exec")) == 3000


def test_definition_round_trips_through_its_bytes():
    definition = _pipeline().marshal()
    again = pb.Definition()
    again.ParseFromString(definition.SerializeToString())
    assert again == definition
