"""Real builders for buildkit tests: the moby worker, the rootful and the rootless buildkitd that
scripts/buildkitd.sh starts, and a buildkitd in a container reached as `docker-container://NAME` (made from
the script's local image by envbuild's own container code). The standalone ones skip, saying why, where the
test fixtures ../shared/bin/buildkitd and buildctl are absent.

Every integration test takes `builder` and so runs once per backend. On buildkitd the base image comes from
the local registry (buildkitd has no Docker store to read it from) and images reach Docker as loaded docker
tarballs; on the moby worker they go straight into Docker's store.
"""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass, field

import pytest

from envbuild.buildkit import Client, Export, connect
from tests.support.builders import BACKENDS, address_of, base_for


def docker(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=timeout)


def image_exists(name: str) -> bool:
    return docker("image", "inspect", name, check=False).returncode == 0


@dataclass
class Builder:
    """A connected client plus what a test needs to know about its backend."""

    kind: str
    address: str
    client: Client
    base: str
    created: list[str] = field(default_factory=list)

    def name(self, what: str) -> str:
        """A fresh image name for this test run, removed at the end of the module."""
        name = f"docker.io/library/envbuild-test-{what}:{secrets.token_hex(4)}"
        self.created.append(name)
        return name

    @staticmethod
    def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return docker(*args, check=check)

    @staticmethod
    def image_exists(name: str) -> bool:
        return image_exists(name)

    def into_docker(self, name: str) -> Export:
        return Export.moby(name) if self.kind == "moby" else Export.docker(name=name)


@pytest.fixture(scope="module", params=BACKENDS)
def builder(request, docker_engine):
    address = address_of(request.param)
    client = connect(address)
    b = Builder(request.param, address, client, base_for(request.param))
    try:
        yield b
    finally:
        client.close()
        for name in b.created:
            docker("rmi", "-f", name, check=False)
