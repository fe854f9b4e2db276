"""Pure pieces of the client: image-name normalisation, export checks, capability rules, source locations."""

from __future__ import annotations

import json

import pytest

from envbuild._proto.pb import ops_pb2
from envbuild.buildkit import capabilities as caps
from envbuild.buildkit.client import image_config_json
from envbuild.buildkit.exports import CacheEntry, Export, normalize_image_name
from envbuild.buildkit.solve_errors import clean_message, source_location
from envbuild.errors import UsageError


@pytest.mark.parametrize(
    ("name", "full"),
    [
        ("foo", "docker.io/library/foo:latest"),
        ("foo:1", "docker.io/library/foo:1"),
        ("me/foo:1", "docker.io/me/foo:1"),
        ("127.0.0.1:5000/foo", "127.0.0.1:5000/foo:latest"),
        ("localhost/foo:2", "localhost/foo:2"),
        ("ghcr.io/a/b@sha256:" + "0" * 64, "ghcr.io/a/b@sha256:" + "0" * 64),
    ],
)
def test_image_names_are_fully_qualified(name, full):
    assert normalize_image_name(name) == full


def test_export_wire_attrs_qualify_every_name():
    export = Export.moby("a:1,b", push=True)
    assert export.wire_attrs() == {"name": "docker.io/library/a:1,docker.io/library/b:latest", "push": "true"}


def test_bad_export_and_cache_types_are_usage_errors():
    with pytest.raises(UsageError, match="one of moby, image"):
        Export("registry")
    with pytest.raises(UsageError, match="a path"):
        Export("local")
    with pytest.raises(UsageError, match="registry, local, inline"):
        CacheEntry("gha")


def test_exporters_by_worker_kind():
    containerd = {caps.EXECUTOR_LABEL: "containerd", "org.mobyproject.buildkit.worker.containerd.uuid": "x"}
    assert caps.exporters_for("moby", containerd) == caps.ALL_EXPORTERS
    assert caps.exporters_for("moby", {caps.EXECUTOR_LABEL: "oci"}) == {"moby", "local", "tar"}
    assert "moby" not in caps.exporters_for("buildkitd", {})
    assert caps.worker_kind({}, is_moby_connection=True) == "moby"
    assert caps.worker_kind({caps.EXECUTOR_LABEL: "oci"}, is_moby_connection=False) == "buildkitd"


def test_image_config_part_is_wrapped_for_this_platform():
    doc = json.loads(image_config_json({"Env": ["A=1"]}))
    assert doc["os"] == "linux" and doc["architecture"] and doc["config"] == {"Env": ["A=1"]}
    full = {"os": "linux", "architecture": "arm64", "config": {}}
    assert json.loads(image_config_json(full)) == full


def test_source_location_from_the_definition_source_map():
    definition = ops_pb2.Definition()
    definition.Source.infos.add(filename="build.envd", data=b"def build():\n    install.apt(['x'])\n")
    loc = definition.Source.locations["sha256:abc"].locations.add(sourceIndex=0)
    loc.ranges.add(start=ops_pb2.Position(line=2, character=4), end=ops_pb2.Position(line=2, character=20))
    found = source_location(definition, "sha256:abc")
    assert (found.file, found.line, found.column) == ("build.envd", 2, 5)
    assert found.source_line == "    install.apt(['x'])"
    assert source_location(definition, "sha256:other") is None


def test_clean_message_drops_grpc_prefixes():
    assert clean_message("rpc error: code = Unknown desc = failed to solve: boom\nmore") == "boom"
