"""An include()'s branch moves upstream, and `envbuild build --locked` ignores it: the image is built from
the commit envbuild.lock pins, carries the lock's digest, and only `envbuild lock --upgrade` moves the pin.

The library is a real git repository reached by file://, the build runs on the moby worker, and the
include's effect is read back from the image by running it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import subprocess
import sys

import pytest

from tests.lang.conftest import make_repo

pytestmark = pytest.mark.docker

LIBRARY = {
    "steps.envd": """
        def stamp():
            run(commands=["echo {version} > /lib-version"])
        """
}


def envbuild(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "envbuild.cli", *args], capture_output=True, text=True, timeout=600
    )


def library(version: str) -> dict[str, str]:
    return {name: text.replace("{version}", version) for name, text in LIBRARY.items()}


def test_locked_build_ignores_a_branch_that_moved_upstream(tmp_path):
    repo = tmp_path / "lib"
    first = make_repo(repo, library("v1"))
    url = f"file://{repo}"
    project = tmp_path / "project"
    project.mkdir()
    (project / "build.envd").write_text(
        f'lib = include("{url}", ref="main")\n\n'
        "def build():\n"
        '    base(image="debian:bookworm")\n'
        "    lib.stamp()\n"
    )
    locked = envbuild("lock", "-p", str(project))
    assert locked.returncode == 0, locked.stderr
    assert "1 base image, 1 include" in locked.stdout
    lock_file = project / "envbuild.lock"
    assert first in lock_file.read_text()

    moved = make_repo(repo, library("v2"), message="v2 on main")  # upstream: main now names another commit
    assert moved != first

    name = f"docker.io/library/envbuild-test-lock-include:{secrets.token_hex(4)}"
    try:
        built = envbuild("build", "-p", str(project), "--locked", "-t", name, "--progress", "quiet")
        assert built.returncode == 0, built.stderr
        ran = subprocess.run(
            ["docker", "run", "--rm", name, "cat", "/lib-version"], capture_output=True, text=True
        )
        assert ran.stdout.strip() == "v1"
        described = envbuild("images", "describe", name, "--format", "json")
        assert described.returncode == 0, described.stderr
        digest = "sha256:" + hashlib.sha256(lock_file.read_bytes()).hexdigest()
        assert json.loads(described.stdout)["lock"] == digest
        inspected = subprocess.run(
            ["docker", "image", "inspect", name, "--format", '{{index .Config.Labels "ai.envbuild.graph"}}'],
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(inspected.stdout)["includes"][0]["commit"] == first
    finally:
        subprocess.run(["docker", "rmi", "-f", name], capture_output=True)

    again = envbuild("lock", "-p", str(project))  # without --upgrade the pin stays
    assert again.returncode == 0 and "envbuild.lock is up to date" in again.stdout
    upgraded = envbuild("lock", "-p", str(project), "--upgrade", url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"~ include {url} ref main: {first[:12]} -> {moved[:12]}" in upgraded.stdout
    llb = envbuild("debug", "llb", "-p", str(project))
    assert "echo v2 > /lib-version" in llb.stdout and llb.stderr == ""
