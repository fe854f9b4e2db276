"""The BuildKit backends tests run against: the moby worker and the standalone daemons scripts/buildkitd.sh
started (rootful, rootless, and a buildkitd container made from its local image), and the `builder` fixture
that runs a test once per backend (tests/conftest.py offers it to every test area).

On buildkitd the base image comes from the local registry (buildkitd has no Docker store to read it from) and
images reach Docker as loaded docker tarballs; on the moby worker they go straight into Docker's store.

The script writes what it started to one JSON file; this module is the only reader. Where the test fixtures
`../shared/bin/buildkitd` and `buildctl` are absent (a user's machine), standalone tests skip and say so;
where they are present but a daemon does not answer, the tests fail, because CI always starts them.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

from envbuild.buildkit import Client, Export, connect

#: Written by scripts/buildkitd.sh (its $ADDRESSES).
ADDRESSES = Path("/var/lib/envbuild-backend/buildkitd.json")
CHECKOUT = Path(__file__).resolve().parents[2]
SHARED_BIN = CHECKOUT.parent / "shared" / "bin"
REGISTRY = "127.0.0.1:5000"
BASE_IMAGE = "docker.io/library/debian:bookworm"
#: Every backend; tests parametrized over them take a fixture param from this tuple.
BACKENDS = ("moby", "buildkitd-rootful", "buildkitd-rootless", "docker-container")
#: The buildkitd container the builder suite runs through (`docker-container://`), made by `envbuild`'s own
#: container code from the script's local image.
TEST_CONTAINER = "envbuild-test-buildkitd"
#: What the daemons of scripts/buildkitd.sh get, for the container too: the plain-HTTP local registry and the
#: entitlements the tests ask for.
BUILDKITD_CONFIG = f'[registry."{REGISTRY}"]\n  http = true\n'
BUILDKITD_FLAGS = "--allow-insecure-entitlement network.host --allow-insecure-entitlement security.insecure"


@dataclass(frozen=True)
class Standalone:
    rootful: str
    rootless: str
    rootless_user: str
    container_image: str
    bin: Path

    @property
    def buildctl(self) -> Path:
        return self.bin / "buildctl"

    @property
    def buildkitd(self) -> Path:
        return self.bin / "buildkitd"


def binaries_present() -> bool:
    return (SHARED_BIN / "buildkitd").is_file() and (SHARED_BIN / "buildctl").is_file()


def _answers(buildctl: Path, address: str) -> bool:
    probe = subprocess.run(
        [str(buildctl), "--addr", address, "--timeout", "5", "debug", "workers"],
        capture_output=True,
        timeout=30,
    )
    return probe.returncode == 0


@cache
def _load() -> Standalone | str:
    """The daemons, or why there are none (a skip reason) - checked once per test session."""
    if not binaries_present():
        return (
            f"no standalone BuildKit: the test fixtures {SHARED_BIN}/buildkitd and buildctl are absent "
            "(they come with CI's shared/ dir; nothing here may download them)"
        )
    if not ADDRESSES.is_file():
        pytest.fail(f"{ADDRESSES} is missing, yet {SHARED_BIN} has buildkitd: run `bash scripts/backend.sh`")
    data = json.loads(ADDRESSES.read_text())
    found = Standalone(
        data["rootful"], data["rootless"], data["rootless_user"], data["container_image"], Path(data["bin"])
    )
    for address in (found.rootful, found.rootless):
        if not _answers(found.buildctl, address):
            pytest.fail(f"buildkitd does not answer at {address}: run `bash scripts/backend.sh`")
    return found


def standalone() -> Standalone:
    """The daemons, or a skip (binaries absent) or a failure (present but not started)."""
    found = _load()
    if isinstance(found, str):
        pytest.skip(found)
    return found


def ensure_test_container() -> str:
    """`docker-container://` address of the suite's buildkitd container, created the way `envbuild context
    create --builder docker-container` creates one (from the script's local image)."""
    from envbuild.runtime import buildkit_container

    found = standalone()
    spec = buildkit_container.ContainerSpec(
        TEST_CONTAINER, found.container_image, BUILDKITD_CONFIG, tuple(BUILDKITD_FLAGS.split())
    )
    buildkit_container.ensure(spec)
    return f"docker-container://{TEST_CONTAINER}"


def base_in_registry() -> str:
    """The base image pushed to the local registry, where a buildkitd (no Docker store) pulls it from."""
    ref = f"{REGISTRY}/library/debian:bookworm"
    for args in (["tag", BASE_IMAGE, ref], ["push", ref]):
        subprocess.run(["docker", *args], check=True, capture_output=True, timeout=300)
    return ref


def address_of(kind: str) -> str:
    """The builder address of one of BACKENDS (skipping where the standalone fixtures are absent)."""
    if kind == "moby":
        return "moby-worker://"
    if kind == "docker-container":
        return ensure_test_container()
    found = standalone()
    return {"buildkitd-rootful": found.rootful, "buildkitd-rootless": found.rootless}[kind]


def base_for(kind: str) -> str:
    """The Debian base image as `kind` reaches it: Docker's store for the moby worker, else the registry."""
    return BASE_IMAGE if kind == "moby" else base_in_registry()


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
    """A connected client per backend, shared by a module's tests; their images are removed afterwards."""
    address = address_of(request.param)
    client = connect(address)
    b = Builder(request.param, address, client, base_for(request.param))
    try:
        yield b
    finally:
        client.close()
        for name in b.created:
            docker("rmi", "-f", name, check=False)
