"""Real builders for buildkit tests: the moby worker always, a standalone buildkitd if BUILDKIT_HOST is set,
and a buildkitd inside a container, reached as `docker-container://NAME`, if ENVBUILD_TEST_BUILDKIT_CONTAINER
names one (BuildKit's image is not in any registry here; give the container host networking so it reaches the
local registry).

Every integration test takes `builder` and so runs once per backend. On buildkitd the base image comes from
the local registry (buildkitd has no Docker store to read it from) and images reach Docker as loaded docker
tarballs; on the moby worker they go straight into Docker's store.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from dataclasses import dataclass, field

import pytest

from envbuild.buildkit import Client, Export, connect

BASE_IMAGE = "docker.io/library/debian:bookworm"
REGISTRY = "127.0.0.1:5000"


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


def _base_in_registry() -> str:
    ref = f"{REGISTRY}/library/debian:bookworm"
    docker("tag", BASE_IMAGE, ref)
    docker("push", ref)
    return ref


@pytest.fixture(scope="module", params=["moby", "buildkitd", "docker-container"])
def builder(request, docker_engine):
    if request.param == "buildkitd":
        host = os.environ.get("BUILDKIT_HOST", "")
        if not host:
            pytest.skip("BUILDKIT_HOST is not set, so there is no standalone buildkitd to test against")
        address = host
    elif request.param == "docker-container":
        container = os.environ.get("ENVBUILD_TEST_BUILDKIT_CONTAINER", "")
        if not container:
            pytest.skip(
                "ENVBUILD_TEST_BUILDKIT_CONTAINER is not set, so there is no buildkitd container to reach "
                "through docker-container:// (BuildKit's image cannot be pulled here)"
            )
        address = f"docker-container://{container}"
    else:
        address = "moby-worker://"
    client = connect(address)
    base = BASE_IMAGE if request.param == "moby" else _base_in_registry()
    b = Builder(request.param, address, client, base)
    try:
        yield b
    finally:
        client.close()
        for name in b.created:
            docker("rmi", "-f", name, check=False)
