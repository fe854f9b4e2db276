"""Exporters on the real builder: docker and OCI tarballs, tar, loading into Docker, push and pull, caches."""

from __future__ import annotations

import json
import secrets
import tarfile
import urllib.request

import pytest

from envbuild import llb
from envbuild.buildkit import CacheEntry, Export
from envbuild.buildkit.options import SolveOptions

pytestmark = pytest.mark.docker
REGISTRY = "127.0.0.1:5000"


@pytest.fixture(scope="module")
def small_image(builder):
    """A tiny image definition: the base plus one file, built once per backend."""
    marker = secrets.token_hex(4)
    return llb.image(builder.base).run(f"echo {marker} > /marker").root().marshal(), marker


def _need(builder, exporter: str) -> None:
    if exporter not in builder.client.capabilities().exporters:
        pytest.skip(f"this builder has no {exporter} exporter")


def test_docker_tarball_is_loadable(builder, small_image, tmp_path):
    _need(builder, "docker")
    definition, marker = small_image
    name = builder.name("docker-tar")
    out = tmp_path / "image.tar"
    builder.client.solve(definition, SolveOptions(exports=[Export.docker(out, name=name)]))
    with tarfile.open(out) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        assert manifest[0]["RepoTags"] == [name.removeprefix("docker.io/library/")]
        assert "index.json" in tar.getnames()
    builder.docker("load", "-i", str(out))
    assert builder.docker("run", "--rm", name, "cat", "/marker").stdout.strip() == marker


def test_oci_tarball_has_an_index_and_layout(builder, small_image, tmp_path):
    _need(builder, "oci")
    definition, _ = small_image
    out = tmp_path / "image.oci.tar"
    builder.client.solve(definition, SolveOptions(exports=[Export.oci(out, name="envbuild-test-oci:1")]))
    with tarfile.open(out) as tar:
        layout = json.load(tar.extractfile("oci-layout"))
        index = json.load(tar.extractfile("index.json"))
        assert layout["imageLayoutVersion"] == "1.0.0"
        digest = index["manifests"][0]["digest"]
        assert f"blobs/sha256/{digest.split(':')[1]}" in tar.getnames()


def test_docker_tarball_loaded_into_docker(builder, small_image):
    _need(builder, "docker")
    definition, marker = small_image
    name = builder.name("loaded")
    builder.client.solve(definition, SolveOptions(exports=[Export.docker(name=name)]))
    assert builder.docker("run", "--rm", name, "cat", "/marker").stdout.strip() == marker


def test_tar_export_of_the_filesystem(builder, tmp_path):
    definition = llb.scratch().mkdir("/a").mkfile("/a/b.txt", "bee\n").marshal()
    out = tmp_path / "fs.tar"
    builder.client.solve(definition, SolveOptions(exports=[Export.tar(out)]))
    with tarfile.open(out) as tar:
        assert tar.extractfile("a/b.txt").read() == b"bee\n"


def test_push_to_the_local_registry_and_pull_back(builder, small_image):
    definition, marker = small_image
    ref = f"{REGISTRY}/envbuild-test-push:{secrets.token_hex(4)}"
    builder.created.append(ref)
    if builder.kind == "moby" and "image" not in builder.client.capabilities().exporters:
        pytest.skip("the classic store's moby exporter cannot push")
    export = Export.image(ref, push=True, insecure=True)
    result = builder.client.solve(definition, SolveOptions(exports=[export]))
    assert result.image_digest.startswith("sha256:")
    builder.docker("rmi", "-f", ref, check=False)
    builder.docker("pull", ref)
    assert builder.docker("run", "--rm", ref, "cat", "/marker").stdout.strip() == marker


def test_registry_cache_export_lands_in_the_registry(builder, small_image):
    definition, _ = small_image
    repo = f"envbuild-test-cache-{secrets.token_hex(4)}"
    cache = CacheEntry(
        "registry", {"ref": f"{REGISTRY}/{repo}:cache", "mode": "max", "registry.insecure": "true"}
    )
    builder.client.solve(definition, SolveOptions(cache_exports=[cache], cache_imports=[cache]))
    with urllib.request.urlopen(f"http://{REGISTRY}/v2/{repo}/tags/list", timeout=10) as resp:
        assert json.load(resp)["tags"] == ["cache"]


def test_inline_cache_with_an_image_export(builder, small_image):
    definition, marker = small_image
    name = builder.name("inline-cache")
    builder.client.solve(
        definition, SolveOptions(exports=[builder.into_docker(name)], cache_exports=[CacheEntry.inline()])
    )
    assert builder.docker("run", "--rm", name, "cat", "/marker").stdout.strip() == marker


def test_local_cache_export_then_import(builder, tmp_path):
    """Export the cache to a directory, prune the step from the builder's cache, import it back: CACHED."""
    token = secrets.token_hex(4)
    step = (
        llb.image(builder.base)
        .run(f"echo {token} > /made", llb.RunOptions(custom_name=f"cached step {token}"))
        .root()
    )
    definition = step.marshal()
    cache_dir = tmp_path / "cache"
    builder.client.solve(
        definition, SolveOptions(cache_exports=[CacheEntry.local(cache_dir, export=True, mode="max")])
    )
    index = json.loads((cache_dir / "index.json").read_text())
    tagged = [
        m for m in index["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == "latest"
    ]
    assert len(tagged) == 1
    digest = tagged[0]["digest"].split(":")[1]
    assert (cache_dir / "blobs" / "sha256" / digest).is_file()
    # Drop this step's own cache record so only the imported cache can make it CACHED.
    records = [r for r in builder.client.disk_usage() if token in r.Description]
    for record in records:
        builder.client.prune(filters=[f"id=={record.ID}"], all=True)
    seen: list = []
    builder.client.solve(
        definition, SolveOptions(cache_imports=[CacheEntry.local(cache_dir)]), on_status=seen.append
    )
    cached = {v.name: v.cached for event in seen for v in event.vertexes if v.name}
    assert cached.get(f"cached step {token}") is True
