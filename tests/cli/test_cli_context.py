"""Contexts round-trip through the real CLI (a subprocess: errors and exit codes as users see them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml


def envbuild(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "envbuild.cli", *args], capture_output=True, text=True, env=os.environ.copy()
    )


def contexts_json() -> list[dict]:
    out = envbuild("context", "ls", "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_fresh_install_has_default_moby_worker_context():
    rows = contexts_json()
    assert rows == [
        {
            "name": "default",
            "builder": "moby-worker",
            "builder_address": "",
            "address": "moby-worker://",
            "current": True,
        }
    ]
    from envbuild import contexts

    assert contexts.current().address == "moby-worker://"


def test_create_use_ls_rm_round_trip(tmp_path):
    out = envbuild(
        "context", "create", "--name", "remote", "--builder", "tcp", "--builder-address", "127.0.0.1:1234"
    )
    assert out.returncode == 0, out.stderr
    out = envbuild(
        "context",
        "create",
        "--name",
        "sock",
        "--builder",
        "unix",
        "--builder-address",
        "unix:///run/buildkit/buildkitd.sock",
        "--use",
    )
    assert out.returncode == 0, out.stderr
    out = envbuild("context", "create", "--name", "m", "--builder", "moby")
    assert out.returncode == 0, out.stderr
    from envbuild import contexts

    # The library saves a docker-container context as is; the CLI also makes its container (tested with a
    # real image in test_cli_context_buildkitd.py).
    contexts.create("dc", "docker-container")

    rows = {r["name"]: r for r in contexts_json()}
    assert rows["remote"]["address"] == "tcp://127.0.0.1:1234"
    assert rows["sock"]["address"] == "unix:///run/buildkit/buildkitd.sock"
    assert rows["sock"]["current"] is True and rows["default"]["current"] is False
    assert rows["m"]["builder"] == "moby-worker"
    assert rows["dc"]["address"] == "docker-container://envbuild_buildkitd"

    assert contexts.current().address == "unix:///run/buildkit/buildkitd.sock"
    stored = yaml.safe_load((contexts.contexts_file()).read_text())
    assert stored["current"] == "sock"

    # The current context cannot be removed; another can.
    out = envbuild("context", "rm", "sock")
    assert out.returncode == 1
    assert "current" in out.stderr and "Traceback" not in out.stderr
    assert envbuild("context", "use", "default").returncode == 0
    assert envbuild("context", "rm", "sock").returncode == 0
    assert "sock" not in {r["name"] for r in contexts_json()}

    table = envbuild("context", "ls")
    assert table.returncode == 0
    assert table.stdout.splitlines()[0].split() == ["NAME", "BUILDER", "ADDRESS", "CURRENT"]


@pytest.mark.parametrize(
    ("args", "flag", "value"),
    [
        (["--name", "x", "--builder", "kube-pod"], "--builder", "kube-pod"),
        (["--name", "x", "--builder", "tcp", "--builder-address", "nohost"], "--builder-address", "nohost"),
        (["--name", "x", "--builder", "unix"], "--builder-address", ""),
        (["--name", "bad name", "--builder", "moby"], "--name", "bad name"),
    ],
)
def test_bad_values_name_the_flag_value_and_what_is_allowed(args, flag, value):
    out = envbuild("context", "create", *args)
    assert out.returncode == 2, out.stderr
    assert flag in out.stderr and repr(value) in out.stderr
    assert "Traceback" not in out.stderr
    assert contexts_json()[0]["name"] == "default" and len(contexts_json()) == 1


def test_duplicate_and_unknown_names_are_refused():
    assert envbuild("context", "create", "--name", "a", "--builder", "moby").returncode == 0
    dup = envbuild("context", "create", "--name", "a", "--builder", "moby")
    assert dup.returncode == 1 and "already exists" in dup.stderr
    unknown = envbuild("context", "use", "nope")
    assert unknown.returncode == 2 and "'nope'" in unknown.stderr


@pytest.mark.docker
def test_a_container_context_whose_image_cannot_be_had_is_not_saved():
    out = envbuild(
        "context", "create", "--name", "dc", "--builder", "docker-container",
        "--builder-image", "127.0.0.1:9/envbuild-test/no-such-buildkit:1",
    )
    assert out.returncode == 1, out.stderr
    assert "no-such-buildkit:1 is not in the Docker engine and cannot be pulled" in out.stderr
    assert "--builder-image" in out.stderr and "Traceback" not in out.stderr
    assert [r["name"] for r in contexts_json()] == ["default"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--builder", "unix", "--builder-address", "/x.sock", "--tlscacert", "/etc/hostname"],
         "--tlscacert '/etc/hostname' is not valid: only for --builder tcp"),
        (["--builder", "tcp", "--builder-address", "h:1", "--builder-image", "x"],
         "--builder-image 'x' is not valid: only for --builder docker-container"),
        (["--builder", "tcp", "--builder-address", "h:1", "--tlscert", "/etc/hostname"],
         "--tlscert '/etc/hostname' is not valid: given together with --tlskey"),
        (["--builder", "tcp", "--builder-address", "h:1", "--tlscacert", "/nonexistent/ca.pem"],
         "--tlscacert '/nonexistent/ca.pem' is not valid: a readable file"),
        (["--builder", "docker-container", "--buildkitd-flags", "--debug 'unclosed"],
         "--buildkitd-flags \"--debug 'unclosed\" is not valid: shell words"),
    ],
)
def test_builder_settings_are_checked_against_the_builder(args, says):
    out = envbuild("context", "create", "--name", "x", *args)
    assert out.returncode == 2, out.stderr
    assert says in out.stderr and "Traceback" not in out.stderr
    assert [r["name"] for r in contexts_json()] == ["default"]


def test_tls_files_are_stored_absolute_and_reach_the_address(tmp_path, monkeypatch):
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("x")
    monkeypatch.chdir(tmp_path)
    out = envbuild(
        "context", "create", "--name", "remote", "--builder", "tcp", "--builder-address", "bk.example:1234",
        "--tlscacert", "ca.pem", "--tlscert", "cert.pem", "--tlskey", "key.pem", "--tlsservername", "bk",
    )
    assert out.returncode == 0, out.stderr
    row = next(r for r in contexts_json() if r["name"] == "remote")
    assert row["tls_ca_cert"] == str(tmp_path / "ca.pem")
    from envbuild.buildkit.address import TLSOptions, parse_address

    tls = parse_address(row["address"], env={}).tls
    assert tls == TLSOptions(
        str(tmp_path / "ca.pem"), str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"), "bk"
    )
