"""`envbuild build` flag checking and `envbuild debug llb`, through the console entry (no daemon needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


# dev images need a Horust source; the pinned release cannot be fetched here
DEV_ENV = {**os.environ, "ENVBUILD_HORUST": "docker-image://envbuild-test-horust-standin:latest"}


def envbuild(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "envbuild.cli", *args],
        capture_output=True, text=True, timeout=120, env=DEV_ENV,
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--progress", "loud"], "--progress 'loud' is not valid: one of auto, tty, plain, quiet, rawjson"),
        (["--platform", "windows/amd64"], "--platform 'windows/amd64' is not valid"),
        (["--output", "type=zip"], "--output 'type=zip' is not valid: type is one of"),
        (["--owner", "me"], "--owner 'me' is not valid: UID or UID:GID"),
        (["--import-cache", "type=ftp,ref=x"], "--import-cache 'type=ftp,ref=x' is not valid"),
        (["--path", "/nonexistent/dir"], "--path '/nonexistent/dir' is not valid"),
    ],
)
def test_bad_flags_exit_2_naming_flag_value_and_what_is_allowed(args, says):
    result = envbuild("build", "-p", str(EXAMPLES / "python-basic"), *args)
    assert result.returncode == 2
    assert says in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_llb_prints_what_the_snapshot_holds():
    result = envbuild("debug", "llb", "-p", str(EXAMPLES / "python-basic"), "--owner", "1000:1000")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (EXAMPLES / "python-basic" / "llb.json").read_text(encoding="utf-8")


def test_debug_llb_compiles_for_the_user_build_would_use():
    """No --owner: the host user, as `build` does (envd's order: --owner, config.owner, host user)."""
    dev = str(EXAMPLES / "jupyter")
    host = envbuild("debug", "llb", "-p", dev)
    explicit = envbuild("debug", "llb", "-p", dev, "--owner", f"{os.getuid()}:{os.getgid()}")
    other = envbuild("debug", "llb", "-p", dev, "--owner", f"{os.getuid() + 4321}")
    assert host.returncode == explicit.returncode == other.returncode == 0, host.stderr + other.stderr
    assert host.stdout == explicit.stdout
    assert host.stdout != other.stdout
    assert f"useradd -u {os.getuid() + 4321} " in other.stdout


def test_debug_llb_owner_takes_config_owner_over_the_host_user(tmp_path):
    (tmp_path / "build.envd").write_text(
        'def build():\n    base(image="debian:bookworm", dev=True)\n    config.owner(uid=2345, gid=2346)\n'
    )
    result = envbuild("debug", "llb", "-p", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "useradd -u 2345 " in result.stdout and "groupadd -g 2346 " in result.stdout


def test_debug_llb_dot_draws_every_op():
    result = envbuild("debug", "llb", "--dot", "-p", str(EXAMPLES / "python-basic"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("digraph llb {")
    assert "apt-get install git curl python3 python3-venv" in result.stdout
    assert "n0 -> n1;" in result.stdout
