"""Source ops: identifiers, attributes and capabilities as BuildKit's Go client writes them."""

from __future__ import annotations

import json

import pytest
from llbgraph import marshal

from envbuild import llb
from envbuild.llb.refs import normalize_image_ref


@pytest.mark.parametrize(
    ("ref", "normalised"),
    [
        ("debian", "docker.io/library/debian:latest"),
        ("debian:bookworm", "docker.io/library/debian:bookworm"),
        ("docker.io/library/debian:bookworm", "docker.io/library/debian:bookworm"),
        ("index.docker.io/nvidia/cuda:12.1.0-base", "docker.io/nvidia/cuda:12.1.0-base"),
        ("tensorchord/envd-sshd", "docker.io/tensorchord/envd-sshd:latest"),
        ("127.0.0.1:5000/envbuild-test/x:1", "127.0.0.1:5000/envbuild-test/x:1"),
        ("localhost/x", "localhost/x:latest"),
        ("debian@sha256:" + "a" * 64, "docker.io/library/debian@sha256:" + "a" * 64),
        ("debian:12@sha256:" + "b" * 64, "docker.io/library/debian:12@sha256:" + "b" * 64),
    ],
)
def test_image_references_are_normalised_like_docker(ref, normalised):
    assert normalize_image_ref(ref) == normalised


@pytest.mark.parametrize("ref", ["Debian", "debian:bad tag", "debian@sha256:xyz", ""])
def test_invalid_image_references_are_refused(ref):
    with pytest.raises(llb.LLBError):
        normalize_image_ref(ref)


def test_image_source_carries_the_platform():
    g = marshal(llb.image("debian:bookworm", platform="linux/arm64"), platform="linux/amd64")
    op = g.one("source")
    assert op.source.identifier == "docker-image://docker.io/library/debian:bookworm"
    assert (op.platform.OS, op.platform.Architecture) == ("linux", "arm64")
    assert dict(g.metadata(op).caps) == {"source.image": True}


def test_image_without_platform_takes_the_marshal_platform():
    op = marshal(llb.image("debian"), platform="linux/arm64").one("source")
    assert op.platform.Architecture == "arm64"


def test_image_resolve_mode():
    op = marshal(llb.image("debian", resolve_mode="local")).one("source")
    assert dict(op.source.attrs) == {"image.resolvemode": "local"}
    with pytest.raises(llb.LLBError):
        llb.image("debian", resolve_mode="sometimes")


def test_image_config_becomes_state_metadata():
    config = {
        "architecture": "arm64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/bin:/bin", "LANG=C.UTF-8"], "WorkingDir": "/srv", "User": "envd"},
    }
    state = llb.image("debian", config=config)
    assert state.env == (("PATH", "/usr/bin:/bin"), ("LANG", "C.UTF-8"))
    assert (state.cwd, state.user, str(state.platform)) == ("/srv", "envd", "linux/arm64")


def test_local_source_attrs_and_caps():
    state = llb.local("context", include=["src/", "*.py"], exclude=[".git", "a<b&c>"], shared_key="proj",
                      follow_paths=["requirements.txt"])
    g = marshal(state)
    op = g.one("source")
    assert op.source.identifier == "local://context"
    attrs = dict(op.source.attrs)
    assert json.loads(attrs["local.includepattern"]) == ["src/", "*.py"]
    # Go's encoding/json escapes <, > and & - so must we, or the digest differs from a Go client's.
    assert attrs["local.excludepatterns"] == '[".git","a\\u003cb\\u0026c\\u003e"]'
    assert attrs["local.followpaths"] == '["requirements.txt"]'
    assert attrs["local.sharedkeyhint"] == "proj"
    assert not op.HasField("platform"), "only image sources are platform-specific"
    assert set(g.metadata(op).caps) == {
        "source.local", "source.local.includepatterns", "source.local.excludepatterns",
        "source.local.sharedkeyhint", "source.local.followpaths",
    }


def test_local_unique_id_is_added_only_when_asked():
    assert "local.unique" not in marshal(llb.local("ctx")).one("source").source.attrs
    g = marshal(llb.local("ctx"), local_unique_id="client-1")
    op = g.one("source")
    assert op.source.attrs["local.unique"] == "client-1"
    assert g.metadata(op).caps["source.local.unique"]


def test_http_source():
    checksum = "sha256:" + "c" * 64
    url = "https://example.com/horust.tar.gz"
    g = marshal(llb.http(url, checksum=checksum, filename="horust.tgz", mode=0o755))
    op = g.one("source")
    assert op.source.identifier == "https://example.com/horust.tar.gz"
    expected = {"http.checksum": checksum, "http.filename": "horust.tgz", "http.perm": "0755"}
    assert dict(op.source.attrs) == expected
    assert set(g.metadata(op).caps) == {"source.http", "source.http.checksum", "source.http.perm"}


@pytest.mark.parametrize("kwargs", [{"checksum": "md5:abc"}, {"filename": "a/b"}])
def test_http_source_rejects_bad_options(kwargs):
    with pytest.raises(llb.LLBError):
        llb.http("https://example.com/x", **kwargs)


def test_git_https_source():
    g = marshal(llb.git("https://github.com/tensorchord/envdlib.git", "v1.0"))
    op = g.one("source")
    assert op.source.identifier == "git://github.com/tensorchord/envdlib.git#v1.0"
    attrs = dict(op.source.attrs)
    assert attrs["git.fullurl"] == "https://github.com/tensorchord/envdlib.git"
    assert attrs["git.authtokensecret"] == "GIT_AUTH_TOKEN"
    assert "git.mountsshsock" not in attrs


def test_git_fragment_and_subdir():
    op = marshal(llb.git("https://github.com/a/b.git#main:lib/x/")).one("source")
    assert op.source.identifier == "git://github.com/a/b.git#main:lib/x"
    assert op.source.attrs["git.fullurl"] == "https://github.com/a/b.git"


def test_git_scp_remote_uses_the_ssh_agent():
    op = marshal(llb.git("git@github.com:a/b.git", "main")).one("source")
    assert op.source.identifier == "git://github.com/a/b.git#main"
    assert op.source.attrs["git.mountsshsock"] == "default"
    assert op.source.attrs["git.fullurl"] == "git@github.com:a/b.git"


def test_git_rejects_non_git_schemes():
    with pytest.raises(llb.LLBError):
        llb.git("ftp://example.com/repo")


def test_scratch_marshals_to_an_empty_definition():
    assert len(getattr(llb.scratch().marshal(), "def")) == 0


def test_image_config_in_docker_inspect_form():
    inspect = {"Os": "linux", "Architecture": "amd64", "Config": {"Env": ["A=1"], "User": "1000"}}
    state = llb.scratch().with_image_config(inspect)
    assert (state.env, state.user, str(state.platform)) == ((("A", "1"),), "1000", "linux/amd64")
    bare = llb.scratch().with_image_config({"Env": None, "WorkingDir": ""})
    assert (bare.env, bare.cwd, bare.platform) == ((), "/", None)
