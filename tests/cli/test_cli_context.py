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
    out = envbuild("context", "create", "--name", "dc", "--builder", "docker-container")
    assert out.returncode == 0, out.stderr

    rows = {r["name"]: r for r in contexts_json()}
    assert rows["remote"]["address"] == "tcp://127.0.0.1:1234"
    assert rows["sock"]["address"] == "unix:///run/buildkit/buildkitd.sock"
    assert rows["sock"]["current"] is True and rows["default"]["current"] is False
    assert rows["m"]["builder"] == "moby-worker"
    assert rows["dc"]["address"] == "docker-container://envbuild_buildkitd"

    from envbuild import contexts

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
