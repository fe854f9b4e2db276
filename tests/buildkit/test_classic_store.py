"""A second, throw-away dockerd with Docker's classic image store: detected as having no merge/diff.

The daemon (tests/support/dockerd.py) has its own data root, socket, containerd namespace and bridge, so it
never touches the shared engine; only ops that need no network run on it.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from envbuild import llb
from envbuild.buildkit import CapabilityError, Export, connect
from envbuild.buildkit.options import SolveOptions
from tests.support.dockerd import SecondDockerd

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def classic_dockerd():
    daemon = SecondDockerd("classic", "10.213.77.1/24", containerd_snapshotter=False)
    try:
        daemon.start()
        yield daemon.sock
    finally:
        daemon.remove()


def test_classic_store_has_no_merge_diff_and_few_exporters(classic_dockerd):
    with connect(f"moby-worker://{classic_dockerd}") as client:
        caps = client.capabilities()
    assert caps.worker == "moby"
    assert caps.merge_diff is False
    assert caps.exporters == frozenset({"moby", "local", "tar"})


def test_classic_store_refuses_image_exporters_up_front(classic_dockerd):
    """A builder without an exporter refuses before solving (the builder suite's backends have them all)."""
    definition = llb.scratch().mkfile("/x", "x").marshal()
    refused = pytest.raises(CapabilityError, match="no 'oci' exporter")
    with connect(f"moby-worker://{classic_dockerd}") as client, refused:
        client.solve(definition, SolveOptions(exports=[Export.oci(name="x")]))


def test_image_config_reaches_the_classic_moby_exporter(classic_dockerd):
    """The classic exporter ignores unknown export attributes; the config must come as result metadata."""
    definition = llb.scratch().mkfile("/hello", "hi\n").marshal()
    name = "docker.io/library/envbuild-test-classic:1"
    with connect(f"moby-worker://{classic_dockerd}") as client:
        client.solve(
            definition,
            SolveOptions(
                exports=[Export.moby(name)],
                image_config={
                    "Env": ["CLASSIC=1"],
                    "Entrypoint": ["/hello"],
                    "Labels": {"envbuild.test": "yes"},
                },
            ),
        )
    inspect = subprocess.run(
        ["docker", "-H", f"unix://{classic_dockerd}", "image", "inspect", name, "-f", "{{json .Config}}"],
        capture_output=True,
        text=True,
        check=True,
    )
    config = json.loads(inspect.stdout)
    assert config["Env"] == ["CLASSIC=1"]
    assert config["Entrypoint"] == ["/hello"]
    assert config["Labels"] == {"envbuild.test": "yes"}
