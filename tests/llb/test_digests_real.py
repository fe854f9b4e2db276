"""Proof on the real worker: BuildKit names every vertex of our graph with the digest we computed.

The graph uses every op kind envbuild emits (image and local sources, an exec with bind, cache, tmpfs and
secret mounts, a chained file op with copy, merge and diff), is solved by Docker's embedded BuildKit, and
every op digest of our Definition must appear among the vertex digests of the status stream - with the same
input edges. BuildKit >= v0.17 re-marshals each op with Go's encoding before naming it, so this only holds
there if our bytes are Go's; Docker 26's v0.13 names ops by the bytes we send, and the same test guards
that our Definition is self-consistent (every input digest is the digest of an op we sent). The test runs
on the moby worker always and on a standalone buildkitd (which re-marshals) when BUILDKIT_HOST names one.
"""

from __future__ import annotations

import os
import secrets
import subprocess

import pytest

from envbuild import llb
from envbuild._proto.pb import ops_pb2 as pb
from envbuild.buildkit.options import SolveOptions

pytestmark = pytest.mark.docker

BASE_IMAGE = "docker.io/library/debian:bookworm"
REGISTRY_BASE = "127.0.0.1:5000/library/debian:bookworm"


@pytest.fixture(params=["moby", "buildkitd"])
def backend(request, docker_engine) -> tuple[str, str]:
    """(address, base image) of a real builder. buildkitd has no Docker store, so its base image comes from
    the local registry that scripts/backend.sh runs."""
    if request.param == "moby":
        return "moby-worker://", BASE_IMAGE
    host = os.environ.get("BUILDKIT_HOST", "")
    if not host:
        pytest.skip("BUILDKIT_HOST is not set, so there is no standalone buildkitd to test against")
    for args in (["tag", BASE_IMAGE, REGISTRY_BASE], ["push", REGISTRY_BASE]):
        subprocess.run(["docker", *args], check=True, capture_output=True, timeout=300)
    return host, REGISTRY_BASE


def _graph(nonce: str, base_image: str = BASE_IMAGE) -> llb.State:
    build_file = llb.SourceMap("build.envd", b"def build():\n    run(['true'])\n")
    base = llb.image(base_image, platform="linux/amd64").with_env("NONCE", nonce)
    ctx = llb.local("ctx", include=["*.txt"])
    step = base.run(
        [
            "sh",
            "-c",
            "cat /ctx/hello.txt > /out/hello && cat /run/secrets/token > /out/token && date > /tmp/t"
            ' && echo $NONCE > /var/cache/envbuild-test/nonce && test "$TOKEN" = t0ken',
        ],
        llb.RunOptions(
            cwd="/work",
            secret_env={"TOKEN": "token"},
            mounts=[
                llb.bind_mount("/ctx", ctx, readonly=True),
                llb.bind_mount("/out", llb.scratch()),
                llb.cache_mount("/var/cache/envbuild-test", f"envbuild-test-{nonce}", sharing="locked"),
                llb.tmpfs_mount("/tmp"),
                llb.secret_mount("/run/secrets/token", "token"),
            ],
            custom_name="envbuild-test digest proof",
            location=build_file.location(2, 4),
        ),
    )
    files = (
        step.get_mount("/out")
        .mkdir("/d", parents=True, chown="1000:1000")
        .mkfile("/d/nonce", nonce.encode(), mode=0o600)
        .copy(ctx, "hello.txt", "/d/")
        .rm("/token")
    )
    merged = llb.merge([step.root(), files])
    changes = llb.diff(base, merged)
    return llb.merge([base, changes]).run(["test", "-f", "/d/nonce"]).root()


def test_every_vertex_digest_appears_in_the_status_stream(tmp_path, backend):
    from envbuild.buildkit import connect

    address, base_image = backend
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "hello.txt").write_text("hello\n")
    nonce = secrets.token_hex(8)
    definition = _graph(nonce, base_image).marshal("linux/amd64")
    ops = {}
    for raw in list(getattr(definition, "def"))[:-1]:  # the last entry is the terminal op, not a vertex
        op = pb.Op()
        op.ParseFromString(raw)
        ops[llb.digest_of(raw)] = op
    assert {op.WhichOneof("op") for op in ops.values()} == {"source", "exec", "file", "merge", "diff"}

    streamed: dict[str, set[str]] = {}

    def collect(event) -> None:
        for vertex in event.vertexes:
            streamed.setdefault(vertex.digest, set()).update(vertex.inputs)

    with connect(address) as client:
        if not client.capabilities().merge_diff:
            pytest.fail(f"{address} cannot run merge/diff ops (Docker needs its containerd image store)")
        options = SolveOptions(local_dirs={"ctx": ctx}, secrets={"token": b"t0ken"})
        client.solve(definition, options, on_status=collect)

    missing = sorted(set(ops) - set(streamed))
    assert not missing, f"BuildKit named these ops differently: {[ops[d].WhichOneof('op') for d in missing]}"
    for digest, op in ops.items():
        kind = op.WhichOneof("op")
        assert streamed[digest] == {inp.digest for inp in op.inputs}, f"inputs of {kind} op {digest} differ"
