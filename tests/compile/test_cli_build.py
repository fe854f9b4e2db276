"""`envbuild build` flag checking and `envbuild debug llb`, through the console entry (no daemon needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def envbuild(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "envbuild.cli", *args], capture_output=True, text=True, timeout=120
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
    result = envbuild("debug", "llb", "-p", str(EXAMPLES / "python-basic"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (EXAMPLES / "python-basic" / "llb.json").read_text(encoding="utf-8")


def test_debug_llb_dot_draws_every_op():
    result = envbuild("debug", "llb", "--dot", "-p", str(EXAMPLES / "python-basic"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("digraph llb {")
    assert "apt-get install git curl python3" in result.stdout
    assert "n0 -> n1;" in result.stdout
