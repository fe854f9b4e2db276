"""The dev layer's LLB: what `compile_dev_base` / `compile_dev_user` put into a dev image."""

from __future__ import annotations

import tomllib
from dataclasses import replace

import pytest

from envbuild import llb
from envbuild._proto.pb import ops_pb2
from envbuild.builder.horust import horust_source
from envbuild.compile import dev, horust, inputs
from envbuild.compile.context import CompileContext
from envbuild.compile.steps import StepEnv
from envbuild.compile.target import BuildTarget
from envbuild.errors import EnvbuildError
from envbuild.graph import Base, Config, Daemon, Graph, InitCommands, Jupyter, Project, Runtime
from tests.support.elf import X86_64, elf_header

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyForTests envbuild-test\n"


def make_ctx(*, uid=1000, gid=1000, shell="bash", jupyter=None, key=KEY):
    graph = Graph(
        project=Project(name="demo", dir="/tmp/demo"),
        base=Base(image="docker.io/library/debian:bookworm", dev=True),
        shell=shell,
        config=Config(jupyter=jupyter),
        runtime=Runtime(
            daemons=(Daemon(args=("bash", "-c", "echo 'hi' $HOME")),),
            init=(InitCommands(commands=("echo init",)),),
        ),
    )
    target = BuildTarget(uid=uid, gid=gid, ssh_public_key=key)
    return CompileContext(graph=graph, target=target, steps=StepEnv(scope="demo-cpu"),
                          base_ref=graph.base.image, python=None,
                          env=(("PATH", "/opt/venv/bin:/usr/bin:/bin"), ("LANG", "C.UTF-8")))


def ops(state: llb.State) -> list[ops_pb2.Op]:
    definition = state.marshal(platform="linux/amd64")
    return [ops_pb2.Op.FromString(raw) for raw in getattr(definition, "def")]


def mkfiles(state: llb.State) -> dict[str, ops_pb2.FileActionMkFile]:
    return {a.mkfile.path: a.mkfile for op in ops(state) if op.HasField("file")
            for a in op.file.actions if a.HasField("mkfile")}


def exec_scripts(state: llb.State) -> list[str]:
    return [op.exec.meta.args[-1] for op in ops(state) if op.HasField("exec")]


@pytest.fixture
def standin_file(tmp_path):
    path = tmp_path / "bin" / "horust"
    path.parent.mkdir()
    path.write_bytes(elf_header(X86_64))
    return path


def build(ctx, option):
    base = dev.compile_dev_base(llb.image(ctx.base_ref), ctx)
    target = replace(ctx.target, horust=horust_source(str(option)))
    return dev.compile_dev_user(base, replace(ctx, target=target))


def test_base_installs_tools_and_creates_the_user_with_owner_ids():
    state = dev.compile_dev_base(llb.image("docker.io/library/debian:bookworm"), make_ctx(uid=1234, gid=2345))
    (script,) = exec_scripts(state)
    for package in ("openssh-server", "sudo", "git", "curl", "ca-certificates", "bash"):
        assert f"'{package}'" in script or f" {package}" in script
    assert "useradd -u 1234 -g \"$group\" -m -d /home/envd -s /bin/bash envd" in script
    assert "groupadd -g 2345 envd" in script
    assert "NOPASSWD: ALL" in script and "chmod 0440 /etc/sudoers.d/envd" in script
    assert "rm -f /etc/ssh/ssh_host_*" in script
    (exec_op,) = [op.exec for op in ops(state) if op.HasField("exec")]
    cache_ids = sorted(m.cacheOpt.ID for m in exec_op.mounts if m.mountType == ops_pb2.CACHE)
    assert cache_ids == ["/var/cache/apt/demo-cpu", "/var/lib/apt/lists/demo-cpu"]


@pytest.mark.parametrize(("shell", "package", "path"), [("zsh", "zsh", "/usr/bin/zsh"),
                                                        ("fish", "fish", "/usr/bin/fish")])
def test_other_shells_are_installed_and_made_the_login_shell(shell, package, path):
    state = dev.compile_dev_base(llb.image("docker.io/library/debian:bookworm"), make_ctx(shell=shell))
    (script,) = exec_scripts(state)
    assert package in script and f"-s {path} envd" in script


def test_unknown_shell_fails_before_any_build():
    with pytest.raises(EnvbuildError, match="shell 'tcsh' is not supported"):
        dev.compile_dev_base(llb.image("docker.io/library/debian:bookworm"), make_ctx(shell="tcsh"))


def test_root_owner_makes_envd_an_alias_of_root():
    state = dev.compile_dev_base(llb.image("docker.io/library/debian:bookworm"), make_ctx(uid=0, gid=0))
    (script,) = exec_scripts(state)
    assert "useradd -o -u 0 -g 0 -M -d /home/envd -s /bin/bash envd" in script


def test_user_layer_writes_services_sshd_config_and_key(standin_file):
    ctx = make_ctx(jupyter=Jupyter(token=None, port=8888))
    layer = build(ctx, standin_file)
    files = mkfiles(layer.state)
    names = {"sshd", "init_0", "daemon_0", "jupyter"}
    for name in names:
        doc = tomllib.loads(files[f"{horust.SERVICE_DIR}/{name}.toml"].data.decode())
        assert doc["user"] == "envd"
        assert doc["stdout"] == f"/var/log/horust/{name}_stdout.log"
        assert files[f"{horust.SCRIPT_DIR}/{name}.sh"].mode == 0o755
    assert {s.name for s in layer.services} == names
    config = files["/etc/envbuild/sshd_config"].data.decode()
    assert "Port 2222\n" in config and "AllowUsers envd\n" in config
    assert "PasswordAuthentication no\n" in config
    assert "AuthorizedKeysFile /var/envd/authorized_keys\n" in config
    assert "PermitRootLogin no\n" in config
    assert 'SetEnv PATH=/opt/venv/bin:/usr/bin:/bin LANG=C.UTF-8' in config
    key = files["/var/envd/authorized_keys"]
    assert key.data.decode() == KEY and key.owner.user.byID == 1000
    assert layer.entrypoint == ("/usr/local/bin/horust", "--services-path", "/etc/horust/services")
    assert layer.user == "envd"
    assert dict(layer.env)["ENVD_WORKDIR"] == "/home/envd/demo"


def test_the_layer_s_own_directory_steps_run_without_a_network(standin_file):
    """They download nothing; a step with no network skips the ~0.1 s of sandbox network setup."""
    ctx = make_ctx()
    ctx = replace(ctx, steps=replace(ctx.steps, ca_bundle=True, proxy=(("HTTPS_PROXY", "http://p:3128"),)))
    execs = [op.exec for op in ops(build(ctx, standin_file).state) if op.HasField("exec")]
    offline = [e for e in execs if "apt-get" not in e.meta.args[-1]]
    assert any(horust.LOG_DIR in e.meta.args[-1] for e in offline)
    assert all(e.network == ops_pb2.NONE for e in offline)
    assert all(e.network == ops_pb2.UNSET for e in execs if e not in offline)  # apt needs the mirror
    assert not any(m.mountType == ops_pb2.SECRET for e in offline for m in e.mounts)
    assert not any(e.meta.proxy_env.https_proxy for e in offline)
    assert not any(v.startswith("SSL_CERT_FILE=") for e in offline for v in e.meta.env)


def test_local_horust_file_is_sent_as_a_local_source(standin_file):
    ctx = make_ctx()
    layer = build(ctx, standin_file)
    target = replace(ctx.target, horust=horust_source(str(standin_file)))
    assert inputs.local_dirs(ctx.graph, target) == {"envbuild-horust": str(standin_file.parent)}
    sources = [op.source for op in ops(layer.state) if op.HasField("source")]
    local = [s for s in sources if s.identifier == "local://envbuild-horust"]
    assert len(local) == 1 and '"horust"' in local[0].attrs["local.includepattern"]
    copies = [a.copy for op in ops(layer.state) if op.HasField("file") for a in op.file.actions
              if a.HasField("copy")]
    assert any(c.src == "/horust" and c.dest == "/usr/local/bin/horust" and c.mode == 0o755 for c in copies)


def test_release_horust_is_an_http_source_verified_by_checksum(monkeypatch):
    digest = "sha256:" + "1f" * 32
    monkeypatch.setenv("ENVBUILD_HORUST_SHA256", digest)
    ctx = make_ctx()
    layer = build(ctx, "release")
    assert inputs.local_dirs(ctx.graph, replace(ctx.target, horust=horust_source("release"))) == {}
    (http,) = [op.source for op in ops(layer.state) if op.HasField("source")
               and op.source.identifier.startswith("https://")]
    assert http.identifier.endswith("/horust-x86_64-unknown-linux-musl.tar.gz")
    assert http.attrs["http.checksum"] == digest
    copies = [a.copy for op in ops(layer.state) if op.HasField("file") for a in op.file.actions
              if a.HasField("copy")]
    assert any(c.attemptUnpackDockerCompatibility for c in copies)


def test_release_horust_checksum_comes_from_the_user_state_and_a_bad_file_fails_before_any_build(
    monkeypatch, tmp_path
):
    """The builder resolves Horust with the rest of the target, before it connects to anything: a checksum
    learned earlier is used, a nonsense --horust file is refused there."""
    from envbuild.builder import BuildOptions, local_target
    from envbuild.builder.horust import release_url
    from envbuild.builder.trust import UserDigests
    from envbuild.errors import UsageError

    monkeypatch.delenv("ENVBUILD_HORUST_SHA256", raising=False)
    monkeypatch.delenv("ENVBUILD_HORUST", raising=False)
    graph = make_ctx().graph
    target, _ = local_target(graph, BuildOptions(platform="linux/amd64"))
    assert target.horust.kind == "release" and target.horust.checksum is None  # build() learns it
    digest = "sha256:" + "ef" * 32
    UserDigests().record(release_url("linux/amd64"), "linux/amd64", digest)
    target, _ = local_target(graph, BuildOptions(platform="linux/amd64"))
    assert target.horust.checksum == digest
    script = tmp_path / "horust.sh"
    script.write_text("#!/bin/sh\n")
    with pytest.raises(UsageError, match="it is a script"):
        local_target(graph, BuildOptions(platform="linux/amd64", horust=str(script)))


def test_a_dev_target_without_a_horust_source_is_a_located_error():
    ctx = make_ctx()
    base = dev.compile_dev_base(llb.image("docker.io/library/debian:bookworm"), ctx)
    with pytest.raises(EnvbuildError, match="names no source") as err:
        dev.compile_dev_user(base, ctx)
    assert err.value.location == ctx.graph.base.location


def test_image_horust_is_copied_out_of_the_image():
    layer = build(make_ctx(), "docker-image://registry.local/horust:0.1.13")
    sources = [op.source.identifier for op in ops(layer.state) if op.HasField("source")]
    assert "docker-image://registry.local/horust:0.1.13" in sources


def test_no_key_no_authorized_keys_file(standin_file):
    files = mkfiles(build(make_ctx(key=None), standin_file).state)
    assert "/var/envd/authorized_keys" not in files
