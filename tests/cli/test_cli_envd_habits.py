"""envd's command and flag names work in envbuild (or say what to use), checked before anything connects."""

from __future__ import annotations

import subprocess
import sys

import pytest


def envbuild(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "envbuild.cli", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


@pytest.mark.parametrize(
    "argv",
    [("-h",), ("build", "-h"), ("up", "-h"), ("down", "-h"), ("envs", "list", "-h"), ("image", "ls", "-h")],
)
def test_help_answers_to_h_and_envd_aliases(argv):
    out = envbuild(*argv)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Usage: ")


def test_up_takes_envds_build_flags():
    text = envbuild("up", "-h").stdout
    for flag in ("--owner", "--no-cache", "--platform", "--import-cache", "--export-cache", "--private-key"):
        assert flag in text
    assert "-n, --name" in text


def test_global_debug_flag_is_accepted():
    out = envbuild("--debug", "version")
    assert out.returncode == 0 and out.stdout.startswith("envbuild ")


def test_exec_refuses_two_ways_of_naming_the_command():
    out = envbuild("exec", "--command", "greet", "--raw", "ls")
    assert out.returncode == 2
    assert "--command" in out.stderr and "--raw" in out.stderr and "Traceback" not in out.stderr


def test_up_private_key_without_its_public_half_is_a_usage_error(tmp_path):
    key = tmp_path / "id_test"
    key.write_text("not really a key\n")
    out = envbuild("up", "-p", str(tmp_path), "--private-key", str(key))
    assert out.returncode == 2
    assert "--private-key" in out.stderr and "id_test.pub" in out.stderr


def test_up_owner_is_checked_like_builds(tmp_path):
    out = envbuild("up", "-p", str(tmp_path), "--owner", "me")
    assert out.returncode == 2 and "--owner" in out.stderr and "UID" in out.stderr
