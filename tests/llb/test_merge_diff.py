"""Merge and diff ops: inputs, scratch handling and the metadata the result carries."""

from __future__ import annotations

from llbgraph import marshal

from envbuild import llb


def test_merge_layers_inputs_in_order():
    base = llb.image("debian").with_env("A", "1")
    a = llb.scratch().mkfile("/a", b"a")
    b = llb.scratch().mkfile("/b", b"b")
    merged = llb.merge([base, llb.scratch(), a, b], custom_name="layers")
    g = marshal(merged)
    op = g.one("merge")
    assert [i.input for i in op.merge.inputs] == [0, 1, 2]
    assert g.input_op(op, 0).WhichOneof("op") == "source"
    assert [g.input_op(op, i).file.actions[0].mkfile.path for i in (1, 2)] == ["/a", "/b"]
    assert not op.HasField("platform")
    assert g.metadata(op).caps["mergeop"]
    assert merged.env == (("A", "1"),), "the result carries the first input's metadata"


def test_merge_of_one_or_none_is_no_op():
    a = llb.image("debian")
    assert llb.merge([a, llb.scratch()]) is a
    assert llb.merge([]).is_scratch


def test_merge_keeps_repeated_inputs():
    a = llb.scratch().mkfile("/a", b"a")
    op = marshal(llb.merge([a, a])).one("merge")
    assert len(op.inputs) == 2 and op.inputs[0] == op.inputs[1]


def test_diff_lower_and_upper():
    base = llb.image("debian")
    upper = base.run(["touch", "/new"]).root()
    g = marshal(llb.diff(base, upper))
    op = g.one("diff")
    assert (op.diff.lower.input, op.diff.upper.input) == (0, 1)
    assert g.input_op(op, 0).WhichOneof("op") == "source"
    assert g.input_op(op, 1).WhichOneof("op") == "exec"
    assert g.metadata(op).caps["diffop"]


def test_diff_against_scratch():
    base = llb.image("debian")
    assert llb.diff(llb.scratch(), base) is base
    op = marshal(llb.diff(base, llb.scratch())).one("diff")
    assert (op.diff.lower.input, op.diff.upper.input) == (0, -1)
