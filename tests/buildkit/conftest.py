"""Real builders for buildkit tests: the moby worker always, a standalone buildkitd if BUILDKIT_HOST is set.

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


@pytest.fixture(scope="module", params=["moby", "buildkitd"])
def builder(request, docker_engine):
    if request.param == "buildkitd":
        host = os.environ.get("BUILDKIT_HOST", "")
        if not host:
            pytest.skip("BUILDKIT_HOST is not set, so there is no standalone buildkitd to test against")
        client, base = connect(host), _base_in_registry()
    else:
        client, base = connect("moby-worker://"), BASE_IMAGE
    b = Builder(request.param, client, base)
    try:
        yield b
    finally:
        client.close()
        for name in b.created:
            docker("rmi", "-f", name, check=False)
