"""Damaged state files: every command names the file (and line) and what to do, never "internal error"
(issue 13: a non-UTF-8 byte or 5,000-deep YAML in contexts.yaml broke every command with exit 70)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from envbuild import contexts
from envbuild.errors import EnvbuildError


def envbuild(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "envbuild.cli", *args], capture_output=True, text=True, env=os.environ.copy()
    )


DAMAGED = {
    "non-utf8": (b"current: default\ncontexts:\n- name: caf\xe9\n  builder: moby-worker\n", "3:12", "UTF-8"),
    "deep": (b"current: " + b"[" * 5000 + b"]" * 5000 + b"\n", "", "nested too deeply"),
    "bad-yaml": (b"current: default\ncontexts: [\n", "", "not valid YAML"),
    "list": (b"- a\n- b\n", "", "malformed"),
    "entry-not-a-map": (b"current: default\ncontexts:\n- just-a-string\n", "", "malformed"),
}


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_damaged_contexts_file_is_a_clear_error(case):
    data, where, words = DAMAGED[case]
    contexts.contexts_file().parent.mkdir(parents=True, exist_ok=True)
    contexts.contexts_file().write_bytes(data)
    out = envbuild("context", "ls")
    assert out.returncode == 1, out.stderr
    assert "internal error" not in out.stderr and "Traceback" not in out.stderr
    assert str(contexts.contexts_file()) + (f":{where}" if where else "") in out.stderr
    assert words in out.stderr and "delete it" in out.stderr
    assert envbuild("version").returncode == 0


def test_ghost_current_context_hint_works():
    contexts.contexts_file().parent.mkdir(parents=True, exist_ok=True)
    contexts.contexts_file().write_text("current: ghost\n")
    with pytest.raises(EnvbuildError) as info:
        contexts.current()
    assert "context use default" in (info.value.hint or "")
    out = envbuild("context", "use", "default")
    assert out.returncode == 0, out.stderr
    assert contexts.current().name == "default"


def test_unknown_keys_survive_create_use_and_rm():
    path = contexts.contexts_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "current: default\nfuture_setting: 7\ncontexts:\n"
        "- name: default\n  builder: moby-worker\n  builder_address: ''\n  colour: blue\n"
    )
    assert (
        envbuild(
            "context", "create", "--name", "b", "--builder", "tcp", "--builder-address", "h:1"
        ).returncode
        == 0
    )
    assert envbuild("context", "use", "b").returncode == 0
    assert envbuild("context", "use", "default").returncode == 0
    assert envbuild("context", "rm", "b").returncode == 0
    data = yaml.safe_load(path.read_text())
    assert data["future_setting"] == 7
    assert data["contexts"][0]["colour"] == "blue"


def test_unwritable_config_dir_is_a_clear_error(tmp_path: Path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("ENVBUILD_CONFIG_DIR", str(tmp_path / "file" / "config"))
    out = envbuild("context", "create", "--name", "x", "--builder", "tcp", "--builder-address", "h:1")
    assert out.returncode == 1 and "internal error" not in out.stderr
    assert "config directory" in out.stderr and "ENVBUILD_CONFIG_DIR" in out.stderr


def test_concurrent_creates_lose_nothing():
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "envbuild.cli",
                "context",
                "create",
                "--name",
                f"c{i}",
                "--builder",
                "tcp",
                "--builder-address",
                f"h:{1000 + i}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for i in range(6)
    ]
    for proc in procs:
        assert proc.wait(120) == 0, proc.stderr.read() if proc.stderr else ""
    names = {c.name for c in contexts.load().contexts}
    assert {f"c{i}" for i in range(6)} <= names


def test_machine_failures_anywhere_are_sentences_not_internal_errors(monkeypatch):
    """The CLI's last line of defence turns an engine lost mid-command, an engine refusal and an
    unusable file into sentences naming the socket or the path."""
    import requests
    from docker.errors import APIError

    from envbuild.cli.app import _environment_error

    monkeypatch.setenv("DOCKER_HOST", "unix:///tmp/envbuild-test.sock")
    lost = _environment_error(requests.exceptions.ConnectionError("Connection aborted"))
    assert lost is not None and "unix:///tmp/envbuild-test.sock" in lost.message and "dockerd" in lost.hint
    refused = _environment_error(APIError("500 Server Error", explanation="no space left on device"))
    assert refused is not None and "no space left on device" in refused.message
    denied = _environment_error(PermissionError(13, "Permission denied", "/home/u/.ssh"))
    assert denied is not None and denied.message == "cannot use /home/u/.ssh: Permission denied"
    assert _environment_error(ValueError("a bug")) is None
