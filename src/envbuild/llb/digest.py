"""Vertex digests that match BuildKit's, byte for byte.

BuildKit names a vertex by the sha256 of its `pb.Op` bytes, and since v0.17 it re-marshals every op it
receives with Go's deterministic protobuf encoding before naming it; the names it uses in the status stream
and in error source maps are those. protobuf-go writes the members of a oneof after all other fields, while
Python's protobuf writes strictly by field number. In `pb.Op` the oneof (`exec`, `source`, ... fields 2-8)
comes before `platform` (10) and `constraints` (11), so the two disagree for almost every op.

We therefore encode an op as two parts: the op without its oneof member, then the member alone as a
length-delimited field. Concatenated protobuf encodings are a valid encoding of the merged message, so any
decoder reads the same Op, and the bytes equal Go's. Nested messages need no such care: the only other
oneofs in ops.proto (`FileAction.action`, `UserOpt.user`) already have the highest field numbers of their
messages.
"""

from __future__ import annotations

import hashlib

from envbuild._proto.pb import ops_pb2 as pb
from envbuild.protowire import varint

_OP_KIND_FIELD = {field.name: field.number for field in pb.Op.DESCRIPTOR.oneofs_by_name["op"].fields}


def encode_parts(head: pb.Op, kind: str | None, body) -> bytes:
    """Go-identical bytes of `head` (an Op with no oneof member set) plus `body` as its member `kind`."""
    data = head.SerializeToString(deterministic=True)
    if kind is None:
        return data
    payload = body.SerializeToString(deterministic=True)
    tag = varint((_OP_KIND_FIELD[kind] << 3) | 2)
    return data + tag + varint(len(payload)) + payload


def encode_op(op: pb.Op) -> bytes:
    """Go-identical bytes of a complete `pb.Op` (the op is not modified)."""
    kind = op.WhichOneof("op")
    if kind is None:
        return op.SerializeToString(deterministic=True)
    head = pb.Op()
    head.CopyFrom(op)
    head.ClearField(kind)
    return encode_parts(head, kind, getattr(op, kind))


def digest_of(op: bytes | pb.Op) -> str:
    """`sha256:<hex>` of an op's bytes (as found in `Definition.def`) or of a `pb.Op` encoded like Go does."""
    data = op if isinstance(op, bytes | bytearray | memoryview) else encode_op(op)
    return "sha256:" + hashlib.sha256(data).hexdigest()
