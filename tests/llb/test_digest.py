"""The op encoding: Go's field order (oneof last), still a valid encoding of the same message."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from envbuild import llb
from envbuild._proto.pb import ops_pb2 as pb
from envbuild.llb.digest import encode_op


def _image_op() -> pb.Op:
    op = pb.Op(source=pb.SourceOp(identifier="docker-image://docker.io/library/debian:bookworm"))
    op.platform.OS = "linux"
    op.platform.Architecture = "amd64"
    op.constraints.SetInParent()
    return op


def test_oneof_member_is_written_after_platform_and_constraints():
    ident = b"docker-image://docker.io/library/debian:bookworm"
    # Assembled by hand in protobuf-go's order: platform (field 10), constraints (11), then source (3).
    platform = b"\x0a\x05amd64" + b"\x12\x05linux"
    source = b"\x0a" + bytes([len(ident)]) + ident
    expected = b"\x52" + bytes([len(platform)]) + platform + b"\x5a\x00"
    expected += b"\x1a" + bytes([len(source)]) + source
    assert encode_op(_image_op()) == expected
    # Python's own order differs (source first), which is why we cannot use SerializeToString directly.
    assert _image_op().SerializeToString(deterministic=True) != expected


def test_encoding_decodes_to_the_same_message():
    op = _image_op()
    op.inputs.add(digest="sha256:" + "0" * 64, index=2)
    decoded = pb.Op()
    decoded.ParseFromString(encode_op(op))
    assert decoded == op


def test_op_without_oneof_is_plain_serialisation():
    op = pb.Op(inputs=[pb.Input(digest="sha256:" + "1" * 64)])
    assert encode_op(op) == op.SerializeToString(deterministic=True)


def test_digest_of_bytes_and_of_op_agree():
    op = _image_op()
    data = encode_op(op)
    assert llb.digest_of(op) == llb.digest_of(data) == "sha256:" + hashlib.sha256(data).hexdigest()


def test_encode_op_does_not_modify_its_argument():
    op = _image_op()
    before = op.SerializeToString()
    encode_op(op)
    assert op.SerializeToString() == before and op.WhichOneof("op") == "source"


@given(
    args=st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=4),
    env=st.dictionaries(st.text(min_size=1, max_size=8).filter(lambda k: "=" not in k), st.text(max_size=8),
                        max_size=4),
    cwd=st.sampled_from(["/", "/work", "/home/envd"]),
    arch=st.sampled_from(["amd64", "arm64"]),
)
def test_every_marshalled_exec_round_trips(args, env, cwd, arch):
    state = llb.image("debian:bookworm").run(args, llb.RunOptions(env=env, cwd=cwd, mounts=[
        llb.cache_mount("/root/.cache", "pip", sharing="locked"),
        llb.secret_mount("/run/secrets/a", "a"),
    ])).root()
    definition = state.marshal(f"linux/{arch}")
    for raw in getattr(definition, "def"):
        op = pb.Op()
        op.ParseFromString(raw)
        # Re-encoding what we sent gives the same bytes, as BuildKit's re-marshal must.
        assert encode_op(op) == raw
