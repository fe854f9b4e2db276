"""Runtime fixtures: a throw-away ssh config per test, and the sshd test image for container tests.

The sshd image is this test area's own (tests/runtime/sshd_image): a Debian image with OpenSSH laid out like a
dev image, so the container and ssh parts are tested without the whole build pipeline. The end-to-end test of
`envbuild up` (test_up_e2e.py) uses a real envbuild-built dev image instead.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SSHD_IMAGE = "envbuild-test-sshd:latest"


@pytest.fixture(autouse=True)
def _isolated_ssh_config(tmp_path_factory, monkeypatch):
    path = tmp_path_factory.mktemp("ssh") / "config"
    monkeypatch.setenv("ENVBUILD_SSH_CONFIG", str(path))
    return path


@pytest.fixture(scope="session")
def sshd_image(docker_engine) -> str:
    context = Path(__file__).parent / "sshd_image"
    out = subprocess.run(
        [
            "docker",
            "build",
            "-q",
            "--build-arg",
            f"UID={os.getuid()}",
            "--build-arg",
            f"GID={os.getgid()}",
            "-t",
            SSHD_IMAGE,
            str(context),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    yield SSHD_IMAGE
    subprocess.run(["docker", "rmi", "-f", SSHD_IMAGE], capture_output=True)
