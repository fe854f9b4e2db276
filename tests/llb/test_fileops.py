"""File ops: chained actions in one vertex, BuildKit's relative input indices, ownership and modes."""

from __future__ import annotations

import pytest
from llbgraph import marshal

from envbuild import llb
from envbuild._proto.pb import ops_pb2 as pb


def test_chained_actions_are_one_file_op():
    state = (
        llb.image("debian")
        .mkdir("/etc/apt", mode=0o755, parents=True)
        .rm("/etc/apt/sources.list.d/debian.sources", allow_not_found=True)
        .mkfile("/etc/apt/sources.list", "deb http://mirror.test/debian bookworm main\n")
    )
    g = marshal(state)
    op = g.one("file")
    actions = op.file.actions
    assert [a.WhichOneof("action") for a in actions] == ["mkdir", "rm", "mkfile"]
    # First action reads input 0; each later one reads the previous action (input count + index).
    assert [(a.input, a.secondaryInput, a.output) for a in actions] == [(0, -1, -1), (1, -1, -1), (2, -1, 0)]
    mkdir = actions[0].mkdir
    assert (mkdir.mode, mkdir.makeParents, mkdir.timestamp) == (0o755, True, -1)
    assert actions[1].rm.allowNotFound
    assert actions[2].mkfile.data.startswith(b"deb ")
    assert not op.HasField("platform"), "file ops are not platform-specific"
    assert g.metadata(op).caps["file.base"]


def test_a_new_custom_name_starts_a_new_file_op():
    state = llb.scratch().mkdir("/a", custom_name="one").mkdir("/b", custom_name="two")
    g = marshal(state)
    ops = g.of_kind("file")
    assert len(ops) == 2
    second = g.result()
    assert g.input_op(second, 0) is ops[0]
    assert g.metadata(second).description["llb.customname"] == "two"


def test_chaining_from_an_earlier_state_does_not_change_it():
    first = llb.scratch().mkdir("/a")
    longer = first.mkdir("/b")
    assert len(marshal(first).one("file").file.actions) == 1
    assert len(marshal(longer).one("file").file.actions) == 2


def test_copy_reads_the_secondary_input():
    ctx = llb.local("ctx").with_cwd("/project")
    home = llb.image("debian").with_cwd("/home/envd")
    state = home.copy(ctx, "requirements.txt", "deps/", chown="envd:envd")
    g = marshal(state)
    op = g.one("file")
    (action,) = op.file.actions
    assert (action.input, action.secondaryInput, action.output) == (0, 1, 0)
    assert g.input_op(op, 1).source.identifier == "local://ctx"
    copy = action.copy
    assert (copy.src, copy.dest) == ("/project/requirements.txt", "/home/envd/deps/")
    assert copy.mode == -1, "no mode given keeps the source's mode"
    assert (copy.createDestPath, copy.dirCopyContents, copy.followSymlink, copy.allowWildcard) == (
        True, True, True, True)
    assert copy.owner.user.byName == pb.NamedUserOpt(name="envd", input=0)
    assert copy.owner.group.byName.name == "envd"


def test_copy_onto_scratch_has_no_base_input():
    ctx = llb.local("ctx")
    op = marshal(llb.scratch().copy(ctx, "/a", "/b", mode=0o600, include=["*.py"])).one("file")
    (action,) = op.file.actions
    assert (action.input, action.secondaryInput) == (-1, 0)
    assert action.copy.mode == 0o600
    assert list(action.copy.include_patterns) == ["*.py"]


def test_copy_chain_inputs_are_deduplicated_and_relative_indices_count_them():
    a, b = llb.local("a"), llb.local("b")
    state = llb.image("debian").copy(a, "/x", "/x").copy(b, "/y", "/y").copy(a, "/z", "/z")
    op = marshal(state).one("file")
    assert len(op.inputs) == 3  # base, a, b
    assert [(x.input, x.secondaryInput, x.output) for x in op.file.actions] == [
        (0, 1, -1), (3, 2, -1), (4, 1, 0)]


@pytest.mark.parametrize(
    ("chown", "user", "group"),
    [
        ("1000:1000", pb.UserOpt(byID=1000), pb.UserOpt(byID=1000)),
        ("root", pb.UserOpt(byID=0), None),
        ((1000, "staff"), pb.UserOpt(byID=1000), pb.UserOpt(byName=pb.NamedUserOpt(name="staff", input=0))),
        (1000, pb.UserOpt(byID=1000), None),
    ],
)
def test_chown_forms(chown, user, group):
    owner = marshal(llb.image("debian").mkdir("/x", chown=chown)).one("file").file.actions[0].mkdir.owner
    assert owner.user == user
    assert owner.HasField("group") == (group is not None)
    if group is not None:
        assert owner.group == group


def test_chown_by_id_zero_is_still_written():
    owner = marshal(llb.image("debian").mkdir("/x", chown="0:0")).one("file").file.actions[0].mkdir.owner
    assert owner.user.WhichOneof("user") == "byID" and owner.user.byID == 0


@pytest.mark.parametrize("chown", ["a:", ":b", (1, 2, 3), True])
def test_bad_chown_is_refused(chown):
    with pytest.raises(llb.LLBError):
        llb.scratch().mkdir("/x", chown=chown)


def test_relative_paths_resolve_against_cwd():
    state = llb.image("debian").with_cwd("/home/envd").mkdir("work").rm("./old").mkfile("../x", b"")
    actions = marshal(state).one("file").file.actions
    assert [actions[0].mkdir.path, actions[1].rm.path, actions[2].mkfile.path] == [
        "/home/envd/work", "/home/envd/old", "/home/x"]


def test_symlink_and_wildcard_rm_caps():
    linked = llb.image("debian").symlink("/usr/bin/python3", "/usr/bin/python")
    g = marshal(linked.rm("/tmp/*", allow_wildcard=True))
    op = g.one("file")
    assert op.file.actions[0].symlink == pb.FileActionSymlink(
        oldpath="/usr/bin/python3", newpath="/usr/bin/python", timestamp=-1)
    assert {"file.symlink.create", "file.rm.wildcard"} <= set(g.metadata(op).caps)
