"""The release and image paths for Horust, for real: BuildKit fetches a tarball as an http source, verifies
its checksum, unpacks it and places `horust` in the image; or copies it out of an image in the local store.

GitHub is unreachable here, so the "release" is the Horust STAND-IN packed the way upstream packs its release
assets (`horust` and `horustctl` at the top of a .tar.gz), served from this host over plain HTTP (BuildKit's
http source is fetched by the daemon, on the host's network). The envbuild side is unchanged: the same
`--horust URL#sha256:<hex>` value a user would give for a mirrored release.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from envbuild import llb
from envbuild.builder.horust import horust_source
from envbuild.buildkit import connect
from envbuild.buildkit.errors import BuildKitError
from envbuild.buildkit.exports import Export
from envbuild.buildkit.options import SolveOptions
from envbuild.compile import horust
from envbuild.compile.dev.services import install_horust
from tests.support.horust_release import release_tarball, served_release
from tests.support.horust_standin.build import build_standin

pytestmark = pytest.mark.docker



@pytest.fixture(scope="module")
def release_server(tmp_path_factory):
    """horust-x86_64-unknown-linux-musl.tar.gz (stand-in inside) on 127.0.0.1; yields (url, sha256)."""
    with served_release(tmp_path_factory.mktemp("release")) as release:
        digest = release.publish(release_tarball())
        yield release.url(), digest


def fetch(source: horust.HorustSource, out: Path) -> Path:
    state = install_horust(llb.scratch(), source)
    with connect() as client:
        definition = state.marshal(platform="linux/amd64")
        client.solve(definition, SolveOptions(exports=[Export.local(out)]))
    return out / horust.BINARY_PATH.lstrip("/")


def test_release_tarball_is_fetched_verified_and_unpacked(release_server, tmp_path):
    url, checksum = release_server
    source = horust_source(f"{url}#{checksum}", env={})
    binary = fetch(source, tmp_path / "out")
    assert binary.read_bytes() == build_standin().read_bytes()
    assert binary.stat().st_mode & 0o111
    assert not (tmp_path / "out" / "usr" / "local" / "bin" / "horustctl").exists()


def test_a_wrong_checksum_fails_the_build(release_server, tmp_path):
    url, _ = release_server
    source = horust_source(f"{url}#sha256:{'0' * 64}", env={})
    with pytest.raises(BuildKitError) as caught:
        fetch(source, tmp_path / "out")
    assert "digest mismatch" in str(caught.value)


def test_image_source_copies_horust_out_of_a_local_image(tmp_path):
    """`docker-image://REF` with Horust's own image layout (/sbin/horust), in the local store only."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(build_standin(), arcname="sbin/horust")
    tag = f"docker.io/library/envbuild-test-horust-image:{tmp_path.name[-8:].lower()}"
    subprocess.run(["docker", "import", "-", tag], input=buffer.getvalue(), check=True, capture_output=True)
    try:
        source = horust_source(f"docker-image://{tag}", env={})
        binary = fetch(source, tmp_path / "out")
        assert binary.read_bytes() == build_standin().read_bytes()
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)
