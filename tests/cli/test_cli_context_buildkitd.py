"""A build through a standalone buildkitd chosen by a context (unix:// or tcp://).

No buildkitd is in any registry reachable here, so this runs only when BUILDKIT_HOST names one and says so
when it skips. The base image reaches that buildkitd through the local registry: it cannot see Docker's
store.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.buildkitd]

BASE = "docker.io/library/debian:bookworm"
REGISTRY_BASE = "127.0.0.1:5000/library/debian:bookworm"


def envbuild(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "envbuild.cli", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        stdin=subprocess.DEVNULL,
        timeout=600,
    )


def test_build_goes_through_a_buildkitd_context(tmp_path):
    host = os.environ.get("BUILDKIT_HOST", "")
    if not host:
        pytest.skip(
            "BUILDKIT_HOST is not set: no standalone buildkitd to build through (none can be installed here)"
        )
    scheme, _, address = host.partition("://")
    if scheme not in ("unix", "tcp", "docker-container"):
        pytest.skip(f"BUILDKIT_HOST {host!r} is not a unix://, tcp:// or docker-container:// address")
    for args in (["tag", BASE, REGISTRY_BASE], ["push", REGISTRY_BASE]):
        subprocess.run(["docker", *args], check=True, capture_output=True, timeout=300)
    created = envbuild(
        "context",
        "create",
        "--name",
        "standalone",
        "--builder",
        scheme,
        "--builder-address",
        address,
        "--use",
    )
    assert created.returncode == 0, created.stderr
    (tmp_path / "build.envd").write_text(
        f'def build():\n    base(image="{REGISTRY_BASE}")\n'
        '    run(commands=["echo through-buildkitd > /marker"])\n'
    )
    out = envbuild(
        "build",
        "--path",
        str(tmp_path),
        "--output",
        f"type=local,dest={tmp_path / 'out'}",
        "--progress",
        "plain",
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert (tmp_path / "out" / "marker").read_text() == "through-buildkitd\n"
    listed = envbuild("context", "ls", "--format", "json")
    assert '"current": true' in listed.stdout and "standalone" in listed.stdout
