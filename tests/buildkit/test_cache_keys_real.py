"""Our reproduction of BuildKit's cache keys, checked against the records real daemons export.

The same graph (execs with every mount kind, env and args that Go's JSON escapes, merge and diff) is exported
with `mode=max` to the local registry by Docker 26's embedded BuildKit (v0.13, the gogo generation) and by the
v0.26.3 buildkitd (the protobuf-go generation). Every output of every op must appear among the records under
the digest `cache_keys` computes for that generation.
"""

from __future__ import annotations

import json
import secrets
import urllib.request

import pytest

from envbuild import llb
from envbuild._proto.pb import ops_pb2 as pb
from envbuild.buildkit import CacheEntry, connect
from envbuild.buildkit.cache_keys import cache_digests, output_count, root_key
from envbuild.buildkit.options import SolveOptions
from tests.support.builders import REGISTRY, address_of, base_for

pytestmark = pytest.mark.docker

GENERATION = {"moby": "gogo", "buildkitd-rootful": "protobuf-go"}


def graph(n: str, base: str) -> llb.State:
    image = llb.image(base)
    first = image.run(f"echo 'plain <&>' {n} > /a")
    mounted = first.root().run(
        f"echo mounts {n} > /b && cp /run/s /out/s",
        llb.RunOptions(
            env={"HTML": "<b> & </b>", "TAB": "a\tb"},
            cwd="/work",
            secret_env={"TOKEN": "s"},
            mounts=[
                llb.tmpfs_mount("/scratch", size=1 << 20),
                llb.cache_mount("/var/cache/x", f"x-{n}", sharing="locked"),
                llb.cache_mount("/var/cache/y", f"y-{n}", sharing="private"),
                llb.secret_mount("/run/s", "s", mode=0o444),
                llb.ssh_mount(optional=True),
                llb.bind_mount("/out", llb.scratch()),
                llb.bind_mount("/etc-ro", image, source="/etc", readonly=True),
            ],
        ),
    )
    files = mounted.root().mkfile("/c", n)
    merged = llb.merge([files, mounted.get_mount("/out"), llb.scratch().mkfile("/z", n)])
    return llb.merge([image, llb.diff(image, merged)]).run(f"test -f /c # {n}").root()


def exported_records(ref: str) -> set[str]:
    repo, tag = ref.split("/", 1)[1].rsplit(":", 1)
    accept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json"
    req = urllib.request.Request(f"http://{REGISTRY}/v2/{repo}/manifests/{tag}", headers={"Accept": accept})
    with urllib.request.urlopen(req, timeout=30) as resp:
        manifest = json.load(resp)
    config = manifest.get("config") or next(
        m for m in manifest["manifests"] if m["mediaType"] == "application/vnd.buildkit.cacheconfig.v0"
    )
    with urllib.request.urlopen(f"http://{REGISTRY}/v2/{repo}/blobs/{config['digest']}", timeout=30) as resp:
        return {record["digest"] for record in json.load(resp)["records"]}


@pytest.mark.parametrize("kind", sorted(GENERATION))
def test_our_keys_are_the_keys_each_generation_exports(kind, docker_engine):
    n = secrets.token_hex(6)
    definition = graph(n, base_for(kind)).marshal("linux/amd64")
    ref = f"{REGISTRY}/envbuild-test-cache-keys/{kind}:{n}"
    options = SolveOptions(
        secrets={"s": b"secret"}, cache_exports=[CacheEntry("registry", {"ref": ref, "mode": "max"})]
    )
    with connect(address_of(kind)) as client:
        client.solve(definition, options)
    records = exported_records(ref)

    differing = 0
    for raw in list(getattr(definition, "def"))[:-1]:
        op = pb.Op()
        op.ParseFromString(raw)
        digests = cache_digests(op)
        if not digests:
            continue
        differing += len(set(digests.values())) == 2
        for output in range(output_count(op)):
            key = root_key(digests[GENERATION[kind]], output)
            assert key in records, f"{op.WhichOneof('op')} output {output}: {key} not exported by {kind}"
    assert differing >= 4  # the execs with mounts, both merges and the diff really differ between generations
