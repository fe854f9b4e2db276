"""`envbuild build` of a dev environment with no Horust configured, as a new user runs it: the first build
learns the pinned release's digest and says so once, the second verifies it silently; a --horust file that
is not a Horust executable is refused before anything builds.

The release is the STAND-IN packed like upstream's asset, served on 127.0.0.1 (ENVBUILD_HORUST_RELEASE_BASE
moves the pinned release there); the build runs on the moby worker.
"""

from __future__ import annotations

import secrets
import subprocess
import sys

import pytest

from envbuild.builder.trust import UserDigests
from tests.support.horust_release import release_tarball, served_release

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def envbuild(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "envbuild.cli", *args], capture_output=True, text=True, timeout=900
    )


def test_first_build_records_the_release_digest_once_and_later_builds_verify_it(tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    (project / "build.envd").write_text('def build():\n    base(image="debian:bookworm", dev=True)\n')
    monkeypatch.delenv("ENVBUILD_HORUST", raising=False)
    monkeypatch.delenv("ENVBUILD_HORUST_SHA256", raising=False)
    name = f"docker.io/library/envbuild-test-horust-first-use:{secrets.token_hex(4)}"
    with served_release(tmp_path / "release") as release:
        digest = release.publish(release_tarball())
        monkeypatch.setenv("ENVBUILD_HORUST_RELEASE_BASE", release.base)
        try:
            first = envbuild("build", "-p", str(project), "-t", name, "--progress", "plain")
            assert first.returncode == 0, first.stderr[-3000:]
            assert first.stderr.count("first download of") == 1
            assert (
                f"note: Horust 0.1.13: first download of {release.url()}\n  {digest}, recorded in"
                in first.stderr
            )
            assert UserDigests().get(release.url()) == digest

            second = envbuild("build", "-p", str(project), "-t", name, "--progress", "plain")
            assert second.returncode == 0, second.stderr[-3000:]
            assert "first download" not in second.stderr
            ran = subprocess.run(
                ["docker", "run", "--rm", "--entrypoint", "/usr/local/bin/horust", name, "--version"],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert "stand-in" in (ran.stdout + ran.stderr).lower()
        finally:
            subprocess.run(["docker", "rmi", "-f", name], capture_output=True)


def test_a_horust_file_that_is_not_an_executable_fails_before_the_build(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "build.envd").write_text('def build():\n    base(image="debian:bookworm", dev=True)\n')
    script = tmp_path / "horust"
    script.write_text("#!/bin/sh\necho not horust\n")
    done = envbuild("build", "-p", str(project), "--horust", str(script), "--progress", "plain")
    assert done.returncode == 2
    assert f"--horust '{script}' is not valid: it is a script, not a compiled program" in done.stderr
    assert "#1" not in done.stderr  # nothing was sent to BuildKit
