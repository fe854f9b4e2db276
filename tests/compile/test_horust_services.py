"""Horust service files and the choice of Horust binary: what the dev image's supervisor is told to run."""

from __future__ import annotations

import tomllib

import pytest

from envbuild.builder.horust import horust_source
from envbuild.compile import horust
from envbuild.errors import UsageError
from tests.support.elf import AARCH64, X86_64, elf_header

PROJECT = "/home/envd/demo"


def services(**kwargs):
    args = dict(user="envd", project_dir=PROJECT, sshd_script="exec /usr/sbin/sshd -D\n")
    args.update(kwargs)
    return {s.name: s for s in horust.dev_services(**args)}


def parsed(service: horust.Service) -> dict:
    return tomllib.loads(service.toml())


def test_sshd_alone_without_jupyter_daemons_or_inits():
    found = services()
    assert list(found) == ["sshd"]
    doc = parsed(found["sshd"])
    assert doc == {
        "name": "sshd",
        "command": "/bin/bash /etc/envbuild/services/sshd.sh",
        "user": "envd",
        "working-directory": "/",
        "stdout": "/var/log/horust/sshd_stdout.log",
        "stderr": "/var/log/horust/sshd_stderr.log",
        "restart": {"strategy": "always", "backoff": "1s", "attempts": 10},
        "environment": {"keep-env": True},
        "termination": {"signal": "TERM", "wait": "5s"},
    }


def test_inits_run_first_and_others_start_after_them():
    found = services(
        daemons=[["redis-server", "--port", "6380"]],
        inits=[["echo one"], ["echo two", "echo three"]],
        jupyter_port=8888,
    )
    assert list(found) == ["sshd", "init_0", "init_1", "daemon_0", "jupyter"]
    assert "start-after" not in parsed(found["sshd"])
    for name in ("daemon_0", "jupyter"):
        assert parsed(found[name])["start-after"] == ["init_0", "init_1"]
    init = parsed(found["init_1"])
    assert init["restart"] == {"strategy": "never", "backoff": "0s", "attempts": 0}
    assert init["healthiness"] == {"file-path": "/var/run/horust/init_1.ready"}
    assert init["working-directory"] == PROJECT
    script = found["init_1"].files()[0]
    assert script.path == "/etc/envbuild/services/init_1.sh"
    assert script.content.endswith("echo two\necho three\ntouch /var/run/horust/init_1.ready\n")
    assert "set -euo pipefail\n" in script.content


def test_no_none_values_and_no_start_after_key_without_inits():
    doc = parsed(services(daemons=[["sleep", "1000"]])["daemon_0"])
    assert "start-after" not in doc and "healthiness" not in doc
    assert doc["environment"] == {"keep-env": True}


def test_user_commands_stay_out_of_the_toml():
    """Horust shell-expands the whole file and shlex-splits `command`: user text goes into a script."""
    daemon = services(daemons=[["bash", "-c", "echo 'it''s' $HOME > /tmp/out"]])["daemon_0"]
    toml_text = daemon.toml()
    assert "$" not in toml_text and "'" not in toml_text
    script = daemon.files()[0].content
    assert script.endswith("exec bash -c 'echo '\"'\"'it'\"'\"''\"'\"'s'\"'\"' $HOME > /tmp/out'\n")


@pytest.mark.parametrize(
    ("token", "args_have", "args_lack", "env"),
    [
        (None, [], ["--ServerApp.token"], None),
        ("s3cret$x", [], ["--ServerApp.token"], {"JUPYTER_TOKEN": "s3cret$x"}),
        ("", ["--ServerApp.token= ", "--ServerApp.password="], [], None),
    ],
)
def test_jupyter_requires_a_token_unless_empty_is_asked_for(token, args_have, args_lack, env):
    jupyter = services(jupyter_port=8899, jupyter_token=token)["jupyter"]
    script = jupyter.files()[0].content
    assert "--ServerApp.port=8899" in script and "--ServerApp.ip=0.0.0.0" in script
    assert f"--ServerApp.root_dir={PROJECT}" in script
    for arg in args_have:
        assert arg in script
    command = script.splitlines()[-1]
    assert command.startswith("exec python3 -m jupyterlab")
    for arg in args_lack:
        assert arg not in command
    assert parsed(jupyter)["environment"] == {"keep-env": True}
    if env:
        assert "export JUPYTER_TOKEN='s3cret$x'\n" in script


def test_jupyter_as_root_needs_allow_root():
    assert "--allow-root" in services(jupyter_port=8888, as_root=True)["jupyter"].files()[0].content
    assert "--allow-root" not in services(jupyter_port=8888)["jupyter"].files()[0].content


# --- which Horust binary --------------------------------------------------------------------------------


def test_pinned_release_without_a_known_checksum_is_left_for_the_builder_to_learn():
    source = horust_source(None, env={})
    assert (source.kind, source.checksum) == ("release", None)
    assert source.url.endswith("/v0.1.13/horust-x86_64-unknown-linux-musl.tar.gz")


class Recorded:
    where = "recorded"

    def __init__(self, table):
        self.table = table

    def get(self, url):
        return self.table.get(url)

    def record(self, url, platform, digest):
        self.table[url] = digest

    def forget_hint(self, url):
        return "forget it"


def test_pinned_release_takes_a_recorded_digest_and_the_release_base_from_the_environment():
    env = {"ENVBUILD_HORUST_RELEASE_BASE": "http://127.0.0.1:9/mirror/"}
    url = "http://127.0.0.1:9/mirror/horust-x86_64-unknown-linux-musl.tar.gz"
    digest = "sha256:" + "cd" * 32
    source = horust_source(None, env=env, recorded=Recorded({url: digest}))
    assert (source.url, source.checksum) == (url, digest)
    # the environment's checksum comes before a recorded one
    env["ENVBUILD_HORUST_SHA256"] = "ab" * 32
    assert horust_source(None, env=env, recorded=Recorded({url: digest})).checksum == "sha256:" + "ab" * 32


def test_pinned_release_with_checksum_from_the_environment():
    digest = "ab" * 32
    source = horust_source("release", env={"ENVBUILD_HORUST_SHA256": digest})
    assert source.kind == "release"
    assert source.checksum == f"sha256:{digest}"
    assert source.url.endswith("/v0.1.13/horust-x86_64-unknown-linux-musl.tar.gz")
    arm = horust_source(None, platform="linux/arm64", env={"ENVBUILD_HORUST_SHA256": digest})
    assert "aarch64" in arm.url


def test_local_file_from_environment_or_flag(tmp_path):
    binary = tmp_path / "horust"
    binary.write_bytes(elf_header(X86_64))
    assert horust_source(None, env={"ENVBUILD_HORUST": str(binary)}).path == str(binary)
    flag = horust_source(str(binary), env={"ENVBUILD_HORUST": "/nonexistent"})
    assert (flag.kind, flag.path) == ("file", str(binary))


def test_image_and_url_sources():
    image = horust_source("docker-image://registry.local/horust:0.1.13", env={})
    assert (image.kind, image.ref, image.path) == ("image", "registry.local/horust:0.1.13", "/sbin/horust")
    custom = horust_source("docker-image://h:1#/usr/bin/horust", env={})
    assert custom.path == "/usr/bin/horust"
    url = "https://mirror.example/horust.tar.gz#sha256:" + "0" * 64
    assert horust_source(url, env={}).checksum == "sha256:" + "0" * 64


@pytest.mark.parametrize(
    ("value", "origin"),
    [("/does/not/exist", "--horust"), ("https://x/h.tar.gz", "--horust"), ("docker-image://", "--horust")],
)
def test_bad_horust_values_name_the_flag(value, origin):
    with pytest.raises(UsageError) as caught:
        horust_source(value, env={})
    assert caught.value.flag == origin


@pytest.mark.parametrize(
    ("content", "platform", "says"),
    [
        (b"#!/bin/sh\nexec horust\n", "linux/amd64", "it is a script, not a compiled program"),
        (b"\xcf\xfa\xed\xfe" + bytes(40), "linux/amd64", "macOS (Mach-O)"),
        (b"hello", "linux/amd64", "not an ELF executable"),
        (None, "linux/arm64", "built for x86-64, and the image is linux/arm64 (AArch64)"),
        ("object", "linux/amd64", "not an executable"),
    ],
)
def test_a_local_file_must_be_an_elf_executable_for_the_target(tmp_path, content, platform, says):
    binary = tmp_path / "horust"
    if content is None:
        content = elf_header(X86_64)
    elif content == "object":
        content = elf_header(X86_64, e_type=1)
    binary.write_bytes(content)
    with pytest.raises(UsageError) as caught:
        horust_source(str(binary), platform=platform, env={})
    assert caught.value.flag == "--horust"
    assert says in caught.value.message
    assert f"a Horust executable for {platform} is needed" in caught.value.message


def test_an_arm64_executable_is_accepted_for_arm64(tmp_path):
    binary = tmp_path / "horust"
    binary.write_bytes(elf_header(AARCH64))
    assert horust_source(str(binary), platform="linux/arm64", env={}).kind == "file"


def test_bad_environment_value_names_the_variable():
    with pytest.raises(UsageError) as caught:
        horust_source(None, env={"ENVBUILD_HORUST": "/nope"})
    assert caught.value.flag == "ENVBUILD_HORUST"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["python3", "-m", "http.server", "8000"], "exec python3 -m http.server 8000"),
        (["bash", "-c", "echo a b"], "exec bash -c 'echo a b'"),
        (["python3 -m http.server 8000"], "exec python3 -m http.server 8000"),
        (["python3 -c 'print(1)'"], "exec python3 -c 'print(1)'"),
        (["cd /srv && exec ./serve > /tmp/log 2>&1"], "cd /srv && exec ./serve > /tmp/log 2>&1"),
    ],
)
def test_daemon_argv_or_envd_style_command_line(args, line):
    script = services(daemons=[args])["daemon_0"].files()[0].content
    assert script.splitlines()[-1] == line
