"""`context create --builder docker-container` makes and starts its BuildKit container, builds go through
it, a stopped one is started again, and `context rm --remove-container` removes it with its cache volume.

BuildKit's published image cannot be pulled here, so the image is the one scripts/buildkitd.sh builds
locally from debian:bookworm, Debian's runc and ../shared/bin (never pushed anywhere). Whole `envbuild build`s
through such a container (registry base image, docker-tarball load) run in the builder suite and the dev-image
test, whose docker-container backend is made by the same code; here a small solve shows the context works.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pytest

from envbuild import llb
from envbuild.buildkit import Export, connect
from envbuild.buildkit.options import SolveOptions
from tests.support.builders import BUILDKITD_CONFIG, base_in_registry, standalone

pytestmark = [pytest.mark.docker, pytest.mark.buildkitd]


def envbuild(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BUILDKIT_HOST"}
    return subprocess.run([sys.executable, "-m", "envbuild.cli", *args], capture_output=True, text=True,
                          env=env, stdin=subprocess.DEVNULL, timeout=600)


def docker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def container_name():
    name = f"envbuild-test-ctx-{secrets.token_hex(4)}"
    yield name
    docker("rm", "-f", name)
    docker("volume", "rm", "-f", f"{name}_state")


def test_create_build_restart_and_remove_a_buildkit_container(container_name, tmp_path):
    image = standalone().container_image
    base = base_in_registry()
    config = tmp_path / "buildkitd.toml"
    config.write_text(BUILDKITD_CONFIG)
    created = envbuild(
        "context", "create", "--name", "dc", "--builder", "docker-container",
        "--builder-address", container_name, "--builder-image", image,
        "--buildkitd-config", str(config), "--buildkitd-flags", "--debug", "--use",
    )
    assert created.returncode == 0, created.stderr
    assert f"BuildKit container {container_name} created ({image})" in created.stdout
    inspect = json.loads(docker("inspect", container_name).stdout)[0]
    assert inspect["State"]["Running"] and inspect["HostConfig"]["Privileged"]
    assert inspect["Config"]["Labels"]["ai.envbuild.buildkitd"] == image
    assert inspect["Args"] == ["--debug"]
    inside = docker("exec", container_name, "cat", "/etc/buildkit/buildkitd.toml").stdout
    assert inside == BUILDKITD_CONFIG
    config.unlink()  # the context keeps its own copy

    # builds go through it: it resolves the base in the plain-HTTP registry the config allows, and solves
    detail = envbuild("version", "--detail")
    assert "builder context dc: buildkitd BuildKit" in detail.stdout, detail.stdout
    from envbuild import contexts

    with connect(contexts.select().address) as client:
        digest, _ = client.resolve_image_config(base)
        assert digest.startswith("sha256:")
        client.solve(llb.scratch().mkfile("/hello", b"from the container\n").marshal(),
                     SolveOptions(exports=[Export.local(tmp_path / "out")]))
    assert (tmp_path / "out" / "hello").read_text() == "from the container\n"

    # stopped behind our back: the next command that needs it starts it again
    docker("stop", container_name)
    listed = envbuild("prune", "--dry-run")
    assert listed.returncode == 0, listed.stderr
    assert f"BuildKit container {container_name} started" in listed.stderr

    # the current context cannot go; another one can, with its container and cache volume
    refused = envbuild("context", "rm", "dc", "--remove-container")
    assert refused.returncode == 1 and "current" in refused.stderr
    assert docker("inspect", container_name).returncode == 0
    assert envbuild("context", "use", "default").returncode == 0
    removed = envbuild("context", "rm", "dc", "--remove-container")
    assert removed.returncode == 0, removed.stderr
    assert f"BuildKit container {container_name} removed" in removed.stdout
    assert docker("inspect", container_name).returncode != 0
    assert docker("volume", "inspect", f"{container_name}_state").returncode != 0


def test_a_container_envbuild_did_not_make_is_not_removed(container_name):
    image = standalone().container_image
    assert docker("create", "--name", container_name, image).returncode == 0
    from envbuild import contexts

    contexts.create("theirs", "docker-container", container_name)
    refused = envbuild("context", "rm", "theirs", "--remove-container")
    assert refused.returncode == 1
    assert f"container {container_name} was not created by envbuild" in refused.stderr
    assert "theirs" in envbuild("context", "ls").stdout  # nothing was removed
    assert docker("inspect", container_name).returncode == 0
