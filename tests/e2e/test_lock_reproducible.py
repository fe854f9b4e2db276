"""A locked project builds the same twice on a cleared BuildKit cache, after upstream moved under it.

The measure of envbuild.lock: `envbuild lock`, then upstream changes (the package index publishes newer
versions of the package and of its dependency; the registry tag of the base image is pushed anew), then
`envbuild build --locked` on a dedicated buildkitd, its whole cache pruned, and `envbuild build --locked`
again. Both images hold the same Python package set, the locked versions, and the locked base's layers,
and carry the lock's digest. `envbuild lock --upgrade` then shows the moves the lock held back.

Everything is real: buildkitd (the CI fixture binary, a daemon of this test's own so pruning it touches
nobody else), the local registry, a package index served on 127.0.0.1 that build steps reach over the
daemon's host network, uv resolving on the host and installing with --require-hashes in the build.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import secrets
import subprocess
import sys
import tarfile
import urllib.request
from pathlib import Path

import pytest

from envbuild.buildkit import connect
from envbuild.compile.python_env import PIP_VERSION, UV_VERSION
from tests.support.dedicated_buildkitd import REGISTRY, dedicated_buildkitd, missing
from tests.support.pyindex import served_index

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BASE_IMAGE = "docker.io/library/debian:bookworm"
SITE_PACKAGES = "opt/conda/envs/envd/lib/python3.11/site-packages/"


def envbuild(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "envbuild.cli", *args], capture_output=True, text=True, timeout=1200
    )


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True, timeout=600).stdout


def push_base(repo: str, *, moved: bool = False) -> None:
    """The base under `repo:bookworm` in the registry; `moved` pushes a different image to the same tag."""
    source = BASE_IMAGE
    if moved:
        container = f"envbuild-test-lock-move-{secrets.token_hex(4)}"
        docker("run", "--name", container, BASE_IMAGE, "touch", "/upstream-moved")
        try:
            docker("commit", container, f"{repo}:moved")
        finally:
            docker("rm", "-f", container)
        source = f"{repo}:moved"
    docker("tag", source, f"{repo}:bookworm")
    docker("push", "--quiet", f"{repo}:bookworm")


def remove_repository(repo: str) -> None:
    """Delete the test's manifests from the registry and its tags from Docker (best effort)."""
    name = repo.removeprefix(f"{REGISTRY}/")
    for tag in ("bookworm",):
        request = urllib.request.Request(
            f"http://{REGISTRY}/v2/{name}/manifests/{tag}",
            method="HEAD",
            headers={
                "Accept": "application/vnd.docker.distribution.manifest.v2+json, "
                "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json"
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                digest = response.headers["Docker-Content-Digest"]
            urllib.request.urlopen(
                urllib.request.Request(f"http://{REGISTRY}/v2/{name}/manifests/{digest}", method="DELETE"),
                timeout=10,
            )
        except OSError:
            pass
    for tag in ("bookworm", "moved"):
        subprocess.run(["docker", "rmi", "-f", f"{repo}:{tag}"], capture_output=True)


def read_oci(path: Path) -> tuple[dict, dict[str, str]]:
    """(image config, {distribution: version} of the environment's site-packages) of an OCI tarball."""
    with tarfile.open(path) as oci:

        def blob(digest: str) -> bytes:
            return oci.extractfile("blobs/" + digest.replace(":", "/")).read()

        index = json.loads(oci.extractfile("index.json").read())
        manifest = json.loads(blob(index["manifests"][0]["digest"]))
        config = json.loads(blob(manifest["config"]["digest"]))
        packages: dict[str, str] = {}
        for layer in manifest["layers"]:
            data = blob(layer["digest"])
            if layer["mediaType"].endswith("gzip"):
                data = gzip.decompress(data)
            with tarfile.open(fileobj=io.BytesIO(data)) as files:
                for member in files:
                    if member.name.startswith(SITE_PACKAGES) and member.name.endswith(".dist-info/METADATA"):
                        fields = dict(
                            line.split(": ", 1)
                            for line in files.extractfile(member).read().decode().splitlines()
                            if ": " in line
                        )
                        packages[fields["Name"].lower()] = fields["Version"]
    return config, packages


def test_a_locked_project_builds_the_same_on_a_cleared_cache(tmp_path):
    reason = missing()
    if reason:
        pytest.skip(reason)
    repo = f"{REGISTRY}/envbuild-test-lock/debian"
    push_base(repo)
    try:
        with (
            served_index(tmp_path / "index") as index,
            dedicated_buildkitd(tmp_path / "buildkitd") as address,
        ):
            # the build installs its uv, and the environment's pip, from this index too
            index.add_downloaded(f"uv=={UV_VERSION}")
            index.add_downloaded(f"pip=={PIP_VERSION}")
            index.publish("envbuild-lock-dep", "1.0")
            index.publish("envbuild-lock-demo", "1.0", requires=("envbuild-lock-dep>=1.0",))
            project = tmp_path / "project"
            project.mkdir()
            (project / "build.envd").write_text(
                "def build():\n"
                f'    base(image="{repo}:bookworm")\n'
                "    install.python()\n"
                f'    config.pip_index(url="{index.url}")\n'
                '    install.python_packages(name=["envbuild-lock-demo"])\n'
            )
            created = envbuild(
                "context",
                "create",
                "--name",
                "lock-test",
                "--builder",
                "unix",
                "--builder-address",
                address.removeprefix("unix://"),
                "--use",
            )
            assert created.returncode == 0, created.stderr

            locked = envbuild("lock", "-p", str(project), "--platform", "linux/amd64")
            assert locked.returncode == 0, locked.stderr
            assert "1 base image" in locked.stdout and "2 Python packages for linux/amd64" in locked.stdout
            lock_file = project / "envbuild.lock"
            lock_digest = "sha256:" + hashlib.sha256(lock_file.read_bytes()).hexdigest()

            # upstream moves: newer releases on the index, another image behind the base's tag
            index.publish("envbuild-lock-dep", "1.1")
            index.publish("envbuild-lock-demo", "1.1", requires=("envbuild-lock-dep>=1.1",))
            push_base(repo, moved=True)

            images = []
            for run in ("first", "second"):
                out = tmp_path / f"{run}.oci.tar"
                built = envbuild(
                    "build",
                    "-p",
                    str(project),
                    "--locked",
                    "--progress",
                    "plain",
                    "-o",
                    f"type=oci,dest={out},compression=uncompressed",
                )
                assert built.returncode == 0, built.stderr[-3000:]
                assert "pip install 2 packages pinned by envbuild.lock" in built.stderr
                images.append(read_oci(out))
                with connect(address) as client:  # a cleared cache: every record of this daemon goes
                    client.prune(all=True)
                    assert client.disk_usage() == []

            (first_config, first_packages), (second_config, second_packages) = images
            assert first_packages == second_packages
            assert (
                first_packages["envbuild-lock-demo"] == "1.0" and first_packages["envbuild-lock-dep"] == "1.0"
            )
            base_layers = json.loads(
                docker("image", "inspect", BASE_IMAGE, "--format", "{{json .RootFS.Layers}}")
            )
            for config in (first_config, second_config):
                assert config["rootfs"]["diff_ids"][: len(base_layers)] == base_layers
                assert config["config"]["Labels"]["ai.envbuild.lock"] == lock_digest

            upgraded = envbuild("lock", "-p", str(project), "--upgrade")
            assert upgraded.returncode == 0, upgraded.stderr
            assert "~ python linux/amd64 envbuild-lock-demo 1.0 -> 1.1" in upgraded.stdout
            assert "~ python linux/amd64 envbuild-lock-dep 1.0 -> 1.1" in upgraded.stdout
            assert f"~ base {repo}:bookworm linux/amd64:" in upgraded.stdout
    finally:
        remove_repository(repo)
