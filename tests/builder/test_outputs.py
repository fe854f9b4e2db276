"""`--output` and cache specs: parsed before anything connects; errors name flag, value, what is allowed."""

from __future__ import annotations

import pytest

from envbuild.builder.outputs import exporter_for, parse_cache_spec, parse_output, qualify_image_name
from envbuild.errors import EnvbuildError, UsageError

MOBY_CONTAINERD = frozenset({"moby", "image", "docker", "oci", "tar", "local"})
MOBY_CLASSIC = frozenset({"moby", "tar", "local"})
BUILDKITD = frozenset({"image", "docker", "oci", "tar", "local"})


@pytest.mark.parametrize(
    ("name", "qualified"),
    [
        ("myenv", "docker.io/library/myenv:latest"),
        ("myenv:dev", "docker.io/library/myenv:dev"),
        ("team/env:1", "docker.io/team/env:1"),
        ("127.0.0.1:5000/x:y", "127.0.0.1:5000/x:y"),
        ("localhost/x", "localhost/x:latest"),
        ("ghcr.io/a/b@sha256:" + "0" * 64, "ghcr.io/a/b@sha256:" + "0" * 64),
    ],
)
def test_names_are_qualified_as_dockers_containerd_store_needs(name, qualified):
    assert qualify_image_name(name) == qualified


def test_image_output_with_push():
    spec = parse_output("type=image,name=127.0.0.1:5000/x:y,push=true")
    assert (spec.type, spec.name, spec.push) == ("image", "127.0.0.1:5000/x:y", True)


def test_tag_is_the_default_name():
    assert parse_output("type=docker,dest=a.tar", default_name="docker.io/library/e:dev").name == (
        "docker.io/library/e:dev"
    )


def test_bare_path_is_a_local_output_and_dash_a_tar_on_stdout():
    assert parse_output("out").type == "local"
    assert parse_output("-").type == "tar"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("type=zip,dest=x", "type is one of image, docker, oci, tar, local"),
        ("type=tar", "type=tar needs dest="),
        ("type=image", "type=image needs name="),
        ("type=tar,dest=x,push=true", "takes dest; not push"),
        ("type=image,name=x,push=maybe", "push takes true or false"),
        ("name=x", "a type="),
        ("type=image,name=x,name=y", "name given twice"),
        ("type=docker,dest=x,compression=lz4", "compression is one of"),
    ],
)
def test_bad_outputs_name_flag_value_and_what_is_allowed(text, says):
    with pytest.raises(UsageError) as info:
        parse_output(text)
    assert info.value.flag == "--output"
    assert info.value.value == text
    assert says in info.value.allowed


def test_image_goes_to_docker_through_moby_and_to_buildkitd_through_image():
    spec = parse_output("type=image,name=x:y,push=true")
    assert exporter_for(spec, exporters=MOBY_CONTAINERD, worker="moby").type == "moby"
    choice = exporter_for(spec, exporters=BUILDKITD, worker="oci")
    assert choice.type == "image"
    assert choice.attrs == {"name": "docker.io/library/x:y", "push": "true"}


def test_images_kept_in_the_local_store_get_uncompressed_layers_pushes_keep_the_default():
    local = parse_output("type=image,name=x:y")
    for exporters, worker in ((MOBY_CONTAINERD, "moby"), (BUILDKITD, "oci")):
        assert exporter_for(local, exporters=exporters, worker=worker).attrs["compression"] == "uncompressed"
    assert "compression" not in exporter_for(local, exporters=MOBY_CLASSIC, worker="moby").attrs
    pushed = parse_output("type=image,name=x:y,push=true")
    assert "compression" not in exporter_for(pushed, exporters=MOBY_CONTAINERD, worker="moby").attrs
    chosen = parse_output("type=image,name=x:y,compression=zstd")
    assert exporter_for(chosen, exporters=MOBY_CONTAINERD, worker="moby").attrs["compression"] == "zstd"
    tarball = parse_output("type=docker,dest=x.tar")
    assert "compression" not in exporter_for(tarball, exporters=MOBY_CONTAINERD, worker="moby").attrs


def test_an_unpushed_image_from_buildkitd_is_loaded_into_docker():
    choice = exporter_for(parse_output("type=image,name=x:y"), exporters=BUILDKITD, worker="oci")
    assert (choice.type, choice.dest) == ("docker", None)
    assert choice.attrs == {"name": "docker.io/library/x:y", "compression": "uncompressed"}


def test_classic_store_cannot_push_or_write_oci():
    with pytest.raises(EnvbuildError, match="ignores push"):
        exporter_for(parse_output("type=image,name=x,push=true"), exporters=MOBY_CLASSIC, worker="moby")
    with pytest.raises(EnvbuildError, match="cannot write type=oci"):
        exporter_for(parse_output("type=oci,dest=x.tar"), exporters=MOBY_CLASSIC, worker="moby")


def test_cache_specs():
    expected = {"type": "registry", "ref": "h/r:c"}
    assert parse_cache_spec("type=registry,ref=h/r:c", "--export-cache") == expected
    assert parse_cache_spec("h/r:c", "--import-cache") == {"type": "registry", "ref": "h/r:c"}
    with pytest.raises(UsageError) as info:
        parse_cache_spec("type=ftp,ref=x", "--import-cache")
    assert info.value.flag == "--import-cache"
