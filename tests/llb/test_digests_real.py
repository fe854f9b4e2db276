"""Proof on real workers: BuildKit names every vertex of our graphs with the digest we computed.

BuildKit >= v0.17 re-marshals each op with Go's encoding before naming it (solver/llbsolver/vertex.go,
`recomputeDigests`), so on the v0.26.3 buildkitd of scripts/buildkitd.sh a vertex digest equals ours only if
our bytes are Go's. `GRAPHS` covers every op kind and every option envbuild's llb offers (sources of each
kind with their attributes, exec with each mount kind, secrets, ssh, network and security modes, file actions,
merge, diff, platforms, custom names); each is sent to that buildkitd and every op digest must come back in
the status stream with the same input edges. BuildKit reports the whole graph when it loads it, so these
solves may fail (an unreachable http or git source, a missing ssh agent) without hiding a digest.

`test_every_vertex_digest_appears_in_the_status_stream` also runs one realistic graph to completion, on the
moby worker too: Docker 26's v0.13 names ops by the bytes we send, so there it guards that our Definition is
self-consistent (every input digest is the digest of an op we sent).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable

import pytest

from envbuild import llb
from envbuild._proto.pb import ops_pb2 as pb
from envbuild.buildkit import SolveError, connect
from envbuild.buildkit.options import SolveOptions
from tests.support.builders import address_of, base_for

pytestmark = pytest.mark.docker


@pytest.fixture(params=["moby", "buildkitd-rootful"])
def backend(request, docker_engine) -> tuple[str, str]:
    """(address, base image) of a real builder."""
    return address_of(request.param), base_for(request.param)


def _graph(nonce: str, base_image: str) -> llb.State:
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


# --- every op kind and option, against Go's encoding ------------------------------------------------------

SOURCE_MAP = llb.SourceMap("build.envd", b"def build():\n    run(['true'])\n    io.copy('a', 'b')\n")


def _sources(n: str, base: str) -> llb.State:
    images = [
        llb.image(base),
        llb.image(base, platform="linux/arm64", resolve_mode="pull", custom_name=f"arm64 base {n}"),
        llb.image(base, resolve_mode="local", location=SOURCE_MAP.location(2, 5)),
        llb.image(f"{base.rsplit(':', 1)[0]}@sha256:{'ab' * 32}", resolve_mode="default"),
    ]
    locals_ = [
        llb.local(f"ctx-{n}"),
        llb.local("ctx", include=["*.py", "src/**"], exclude=["*.pyc", ".git"],
                  follow_paths=["src", "setup.py"], shared_key=f"key-{n}", custom_name="project files"),
        llb.local("ctx", session_id=f"session-{n}"),
    ]
    remotes = [
        llb.http(f"http://127.0.0.1:9/{n}/plain.tar.gz"),
        llb.http(f"https://127.0.0.1:9/{n}/f", checksum="sha256:" + "cd" * 32, filename="renamed.bin",
                 mode=0o755, uid=1000, gid=1001),
        llb.git(f"https://127.0.0.1:9/{n}/repo.git", "v1.2.3", subdir="pkg/sub", keep_git_dir=True),
        llb.git(f"https://127.0.0.1:9/{n}/repo.git#main:docs"),
        llb.git(f"git@127.0.0.1:{n}/repo.git", "0123456789abcdef0123456789abcdef01234567",
                known_ssh_hosts="127.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForEnvbuildTests",
                ssh_id="deploy"),
    ]
    return llb.merge([*images, *locals_, *remotes], custom_name=f"all sources {n}")


def _execs(n: str, base: str) -> llb.State:
    image = llb.image(base).with_env("BASE_ENV", "1").with_cwd("/srv").with_user("1000:1000")
    ctx = llb.local("ctx")
    full = image.run(
        f"echo {n} > /out/a && cat /ctx/file",
        llb.RunOptions(
            shell=("/bin/bash", "-euo", "pipefail", "-c"),
            env={"A": "1", "EMPTY": ""},
            cwd="rel/dir",
            user="nobody",
            hostname="envbuild-test",
            readonly_root=True,
            proxy_env={"http_proxy": "http://proxy:3128", "NO_PROXY": "localhost"},
            secret_env={"TOKEN": "token"},
            custom_name=f"every exec option {n}",
            ignore_cache=True,
            location=SOURCE_MAP.location(2, 5),
            mounts=[
                llb.bind_mount("/ctx", ctx, source="sub", readonly=True),
                llb.bind_mount("/out", llb.scratch()),
                llb.bind_mount("/rw", image, source="/etc"),
                llb.cache_mount("/var/cache/shared", f"shared-{n}"),
                llb.cache_mount("/var/cache/private", f"private-{n}", sharing="private"),
                llb.cache_mount("/var/cache/locked", f"locked-{n}", sharing="locked"),
                llb.tmpfs_mount("/tmp"),
                llb.tmpfs_mount("/big", size=64 * 1024 * 1024),
                llb.secret_mount("/run/secrets/a", "a"),
                llb.secret_mount("/run/secrets/b", "b", uid=1000, gid=1001, mode=0o440, optional=True),
                llb.ssh_mount(),
                llb.ssh_mount("/run/ssh/deploy.sock", "deploy", uid=1, gid=1, mode=0o660, optional=True),
            ],
        ),
    )
    modes = [
        image.run(["true", n], llb.RunOptions(network="host")),
        image.run(["true", n], llb.RunOptions(network="none")),
        image.run(["true", n], llb.RunOptions(security="insecure")),
        image.run(["true", n], llb.RunOptions(network="host", security="insecure", user="root")),
    ]
    outputs = [full.root(), full.get_mount("/out"), full.get_mount("/rw"), *(m.root() for m in modes)]
    return llb.merge(outputs, custom_name=f"all execs {n}")


def _files(n: str, base: str) -> llb.State:
    image = llb.image(base)
    other = llb.image(base).run(f"mkdir -p /src/d && echo {n} > /src/d/f").root()
    chained = (
        image.with_cwd("/work")
        .mkdir("a/b", parents=True, mode=0o700, chown=1000)
        .mkdir("/c", chown="1000:1001")
        .mkdir("/d", chown=("app", "staff"))
        .mkfile("notes.txt", f"{n}\n", mode=0o640, chown="app")
        .mkfile("/bin-data", bytes(range(256)))
        .symlink("/work/notes.txt", "/link", chown="1000:1000")
        .symlink("relative/target", "rel-link")
        .rm("/etc/motd", allow_not_found=True)
        .rm("/tmp/*", allow_wildcard=True, allow_not_found=True)
    )
    copies = (
        chained.copy(other, "/src/d", "/dst/")
        .copy(other, "/src/d/f", "/exact", chown="app:staff", mode=0o600, create_parents=False)
        .copy(other, "/src/*", "/globbed", dir_contents_only=False, follow_symlinks=False,
              allow_wildcard=True, allow_empty_wildcard=False)
        .copy(other, "/src", "/filtered", include=["**/*.txt", "d/*"], exclude=["**/*.tmp"])
        .copy(other, "/src/d/f", "/unpacked", unpack_archives=True, replace_existing=True)
    )
    at = SOURCE_MAP.location(3, 5)
    named = copies.mkfile("/named", "x", custom_name=f"named file step {n}", location=at)
    uncached = named.rm("/named", ignore_cache=True)
    into_scratch = llb.scratch().copy(other, "/src", "/").mkdir("/more")
    return llb.merge([uncached, into_scratch], custom_name=f"all files {n}")


def _merge_diff(n: str, base: str) -> llb.State:
    image = llb.image(base)
    upper = image.run(f"echo {n} > /marker").root()
    changes = llb.diff(image, upper, custom_name=f"changes {n}")
    to_scratch = llb.diff(upper, llb.scratch())
    layered = llb.merge([llb.scratch().mkfile("/first", n), changes, to_scratch])
    return llb.merge([image, layered], location=SOURCE_MAP.location(2, 5))


GRAPHS: dict[str, Callable[[str, str], llb.State]] = {
    "sources": _sources,
    "execs": _execs,
    "files": _files,
    "merge-diff": _merge_diff,
}


def _ops(definition: pb.Definition) -> dict[str, pb.Op]:
    ops = {}
    for raw in list(getattr(definition, "def"))[:-1]:  # the last entry is the terminal op, not a vertex
        op = pb.Op()
        op.ParseFromString(raw)
        ops[llb.digest_of(raw)] = op
    return ops


@pytest.fixture(scope="module")
def go_buildkitd(docker_engine) -> tuple[str, str]:
    """The v0.26.3 buildkitd (it re-marshals ops with Go's code) and the base image as it reaches it."""
    return address_of("buildkitd-rootful"), base_for("buildkitd-rootful")


def test_the_graphs_cover_every_op_kind():
    kinds = {
        op.WhichOneof("op")
        for make in GRAPHS.values()
        for op in _ops(make("x", "127.0.0.1:5000/library/debian:bookworm").marshal("linux/amd64")).values()
    }
    assert kinds == {"source", "exec", "file", "merge", "diff"}  # our llb has no BuildOp (nested frontends)


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_go_buildkit_names_every_op_as_we_do(go_buildkitd, name):
    address, base = go_buildkitd
    nonce = secrets.token_hex(6)
    definition = GRAPHS[name](nonce, base).marshal("linux/amd64", local_unique_id=f"envbuild-test-{nonce}")
    ops = _ops(definition)
    streamed: dict[str, tuple[set[str], str]] = {}

    def collect(event) -> None:
        for vertex in event.vertexes:
            inputs, _ = streamed.get(vertex.digest, (set(), ""))
            streamed[vertex.digest] = (inputs | set(vertex.inputs), vertex.name)

    options = SolveOptions(
        entitlements=["network.host", "security.insecure"],
        secrets={"token": b"t", "a": b"a"},
    )
    # unreachable sources and absent ssh agents fail the run, after the graph was reported
    with connect(address) as client, contextlib.suppress(SolveError):
        client.solve(definition, options, on_status=collect)

    missing = [f"{ops[d].WhichOneof('op')} {d}" for d in ops if d not in streamed]
    assert not missing, f"BuildKit v0.26.3 named these ops differently (our bytes are not Go's): {missing}"
    for digest, op in ops.items():
        assert streamed[digest][0] == {i.digest for i in op.inputs}, f"inputs of {op.WhichOneof('op')} differ"
    names = {meta.description.get("llb.customname") for meta in definition.metadata.values()} - {None}
    assert names <= {vertex_name for _, vertex_name in streamed.values()}


def test_the_check_sees_bytes_that_are_not_gos(go_buildkitd):
    """Control: the last op re-encoded in Python's field order (the same message, other bytes) comes back
    under Go's digest, not ours - so the test above would notice a difference in our encoding."""
    address, base = go_buildkitd
    definition = llb.image(base).run(["true", secrets.token_hex(6)]).root().marshal("linux/amd64")
    raws = list(getattr(definition, "def"))
    terminal = pb.Op()
    terminal.ParseFromString(raws[-1])
    last = pb.Op()
    last.ParseFromString(raws[-2])
    python_order = last.SerializeToString(deterministic=True)
    assert python_order != raws[-2]
    terminal.inputs[0].digest = llb.digest_of(python_order)
    del getattr(definition, "def")[-2:]
    getattr(definition, "def").extend([python_order, llb.encode_op(terminal)])
    seen: set[str] = set()

    def collect(event) -> None:
        seen.update(v.digest for v in event.vertexes)

    with connect(address) as client, contextlib.suppress(SolveError):
        client.solve(definition, SolveOptions(), on_status=collect)
    assert llb.digest_of(raws[-2]) in seen  # Go's bytes were ours all along
    assert llb.digest_of(python_order) not in seen
