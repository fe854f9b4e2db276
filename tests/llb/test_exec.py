"""Exec ops: argv, environment, mounts and their input/output indices, modes and capabilities."""

from __future__ import annotations

import pytest
from llbgraph import marshal

from envbuild import llb
from envbuild._proto.pb import ops_pb2 as pb


def _exec(state) -> tuple:
    g = marshal(state)
    return g, g.one("exec")


def test_run_uses_the_state_metadata():
    base = llb.image("debian").with_env("A", "1").with_cwd("/work").with_user("envd")
    g, op = _exec(base.run(["make", "all"]).root())
    meta = op.exec.meta
    assert list(meta.args) == ["make", "all"]
    assert list(meta.env) == ["A=1"]
    assert (meta.cwd, meta.user) == ("/work", "envd")
    assert meta.removeMountStubsRecursive
    assert (op.platform.OS, op.platform.Architecture) == ("linux", "amd64")
    assert g.input_op(op, 0).WhichOneof("op") == "source"


def test_shell_string_runs_through_the_shell():
    _, op = _exec(llb.image("debian").run("echo hi && ls").root())
    assert list(op.exec.meta.args) == ["/bin/sh", "-c", "echo hi && ls"]
    _, op = _exec(llb.image("debian").run("echo", llb.RunOptions(shell=["bash", "-lc"])).root())
    assert list(op.exec.meta.args) == ["bash", "-lc", "echo"]


def test_step_overrides_do_not_stick_to_the_result():
    base = llb.image("debian").with_env("A", "1")
    root = base.run(["true"], llb.RunOptions(env={"B": "2", "A": "0"}, cwd="sub", user="root")).root()
    _, op = _exec(root)
    assert list(op.exec.meta.env) == ["B=2", "A=0"]
    assert op.exec.meta.cwd == "/sub"
    assert (root.env, root.cwd, root.user) == ((("A", "1"),), "/", "")


def test_root_mount_is_input_zero_output_zero():
    _, op = _exec(llb.image("debian").run(["true"]).root())
    (root,) = op.exec.mounts
    assert (root.dest, root.input, root.output, root.mountType) == ("/", 0, 0, pb.BIND)


def test_run_on_scratch_mounts_nothing_at_root():
    _, op = _exec(llb.scratch().run(["/bin/busybox", "true"]).root())
    assert op.exec.mounts[0].input == -1 and len(op.inputs) == 0


def test_mounts_are_sorted_and_outputs_numbered_like_go():
    base = llb.image("debian")
    src = llb.local("ctx")
    ex = base.run(
        ["true"],
        llb.RunOptions(
            mounts=[
                llb.bind_mount("/src", src, source="app", readonly=True),
                llb.ssh_mount(),
                llb.secret_mount("/run/secrets/ca", "ca", mode=0o444),
                llb.cache_mount("/root/.cache/pip", "pip", sharing="locked"),
                llb.tmpfs_mount("/tmp", size=1 << 20),
                llb.bind_mount("/out", llb.scratch()),
            ]
        ),
    )
    g, op = _exec(ex.get_mount("/out"))
    mounts = {m.dest: m for m in op.exec.mounts}
    # Filesystem mounts sorted by target, then secrets, then ssh.
    assert [m.dest for m in op.exec.mounts] == [
        "/",
        "/out",
        "/root/.cache/pip",
        "/src",
        "/tmp",
        "/run/secrets/ca",
        "/run/buildkit/ssh_agent.0",
    ]
    assert (mounts["/"].output, mounts["/out"].output) == (0, 1)
    assert mounts["/out"].input == -1
    assert (mounts["/src"].readonly, mounts["/src"].output, mounts["/src"].selector) == (True, -1, "app")
    assert g.input_op(op, mounts["/src"].input).source.identifier == "local://ctx"
    cache = mounts["/root/.cache/pip"]
    assert (cache.mountType, cache.cacheOpt.ID, cache.cacheOpt.sharing, cache.input, cache.output) == (
        pb.CACHE,
        "pip",
        pb.LOCKED,
        -1,
        -1,
    )
    tmp = mounts["/tmp"]
    assert (tmp.mountType, tmp.TmpfsOpt.size, tmp.output) == (pb.TMPFS, 1 << 20, -1)
    secret = mounts["/run/secrets/ca"]
    assert (secret.mountType, secret.secretOpt.ID, secret.secretOpt.mode, secret.input) == (
        pb.SECRET,
        "ca",
        0o444,
        -1,
    )
    ssh = mounts["/run/buildkit/ssh_agent.0"]
    assert (ssh.mountType, ssh.SSHOpt.ID, ssh.SSHOpt.mode) == (pb.SSH, "default", 0o600)
    assert "SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0" in op.exec.meta.env
    assert set(g.metadata(op).caps) == {
        "exec.meta.base",
        "exec.mount.bind",
        "exec.mount.selector",
        "exec.mount.cache",
        "exec.mount.cache.sharing",
        "exec.mount.tmpfs",
        "exec.mount.tmpfs.size",
        "exec.mount.secret",
        "exec.mount.ssh",
    }


def test_get_mount_results():
    src = llb.local("ctx")
    ex = llb.image("debian").run(
        ["true"],
        llb.RunOptions(
            mounts=[
                llb.bind_mount("/src", src, readonly=True),
                llb.bind_mount("/out", llb.scratch()),
                llb.cache_mount("/c", "c"),
            ]
        ),
    )
    assert ex.get_mount("/src").output is src.output  # read-only: the source, unchanged
    assert ex.get_mount("/out").output.index == 1
    assert ex.root().output.index == 0
    with pytest.raises(llb.LLBError, match="no output"):
        ex.get_mount("/c")
    with pytest.raises(llb.LLBError, match="no mount"):
        ex.get_mount("/nowhere")


def test_same_state_mounted_twice_is_one_input():
    base = llb.image("debian")
    g, op = _exec(
        base.run(["true"], llb.RunOptions(mounts=[llb.bind_mount("/a", base, readonly=True)])).root()
    )
    assert len(op.inputs) == 1
    assert [m.input for m in op.exec.mounts] == [0, 0]


def test_a_mount_of_the_root_s_own_state_turns_content_hashing_off():
    """BuildKit pools one input's selectors; a read-only sub-path mount of the root's state would make it
    hash the whole root filesystem before the step starts. Mounts of other states keep BuildKit's default."""
    base, other = llb.image("debian"), llb.image("alpine")
    mounts = [
        llb.bind_mount("/tool", base, source="/opt/tool", readonly=True),
        llb.bind_mount("/other", other, source="/etc", readonly=True),
    ]
    g, op = _exec(base.run(["true"], llb.RunOptions(mounts=mounts)).root())
    by_dest = {m.dest: m for m in op.exec.mounts}
    assert by_dest["/"].contentCache == pb.MountContentCache.Value("DEFAULT")
    assert by_dest["/tool"].contentCache == pb.MountContentCache.Value("OFF")
    assert by_dest["/other"].contentCache == pb.MountContentCache.Value("DEFAULT")
    # on scratch there is no root state: two mounts of one state keep BuildKit's default
    twice = [llb.bind_mount("/a", other, readonly=True), llb.bind_mount("/b", other, source="/etc")]
    g, op = _exec(llb.scratch().run(["true"], llb.RunOptions(mounts=twice)).root())
    assert {m.contentCache for m in op.exec.mounts} == {pb.MountContentCache.Value("DEFAULT")}


def test_network_security_and_proxy():
    g, op = _exec(
        llb.image("debian")
        .run(
            ["true"],
            llb.RunOptions(
                network="host",
                security="insecure",
                proxy_env={"HTTPS_PROXY": "http://proxy:3128", "no_proxy": "localhost"},
            ),
        )
        .root()
    )
    assert (op.exec.network, op.exec.security) == (pb.HOST, pb.INSECURE)
    assert op.exec.meta.proxy_env.https_proxy == "http://proxy:3128"
    assert op.exec.meta.proxy_env.no_proxy == "localhost"
    assert {"exec.meta.network", "exec.meta.security", "exec.meta.proxyenv"} <= set(g.metadata(op).caps)
    _, op = _exec(llb.image("debian").run(["true"], llb.RunOptions(network="none")).root())
    assert op.exec.network == pb.NONE


def test_custom_name_and_ignore_cache_are_metadata_not_digest():
    plain = marshal(llb.image("debian").run(["true"]).root())
    named = marshal(
        llb.image("debian").run(["true"], llb.RunOptions(custom_name="step", ignore_cache=True)).root()
    )
    assert plain.digests[:-1] == named.digests[:-1]
    md = named.metadata(named.one("exec"))
    assert md.description["llb.customname"] == "step" and md.ignore_cache


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"network": "bridge"}, "network mode"),
        ({"security": "privileged"}, "security mode"),
        ({"proxy_env": {"socks": "x"}}, "proxy_env"),
        ({"mounts": [llb.cache_mount("/", "x")]}, "two mounts"),
        ({"mounts": ["/tmp"]}, "not a mount"),
    ],
)
def test_invalid_runs_are_refused(kwargs, message):
    with pytest.raises(llb.LLBError, match=message):
        llb.image("debian").run(["true"], llb.RunOptions(**kwargs))


def test_invalid_mounts_are_refused():
    with pytest.raises(llb.LLBError):
        llb.cache_mount("relative", "x")
    with pytest.raises(llb.LLBError):
        llb.cache_mount("/c", "x", sharing="exclusive")
    with pytest.raises(llb.LLBError):
        llb.secret_mount("/s", "")
    with pytest.raises(llb.LLBError):
        llb.image("debian").run([])


def test_secret_env_and_hostname():
    g, op = _exec(
        llb.image("debian")
        .run(["true"], llb.RunOptions(secret_env={"TOKEN": "gh-token"}, hostname="envd"))
        .root()
    )
    assert list(op.exec.secretenv) == [pb.SecretEnv(ID="gh-token", name="TOKEN")]
    assert op.exec.meta.hostname == "envd"
    assert "TOKEN" not in "".join(op.exec.meta.env)
    assert g.metadata(op).caps["exec.secretenv"]
