"""The build key: what makes a build up to date, and what any change to it does.

Pure tests of the key and of when a build may be skipped; the real skip (and its bypasses) on Docker's store
is tests/e2e/test_build_skip.py.
"""

from __future__ import annotations

import os
from dataclasses import replace

from envbuild import contract
from envbuild.builder import BuildOptions
from envbuild.builder.freshness import CONTENT_LIMIT, build_key, skippable, tree_digest, with_key
from envbuild.builder.outputs import parse_output
from envbuild.compile.target import BuildTarget
from envbuild.graph import Graph
from envbuild.lang import evaluate

IMAGE = (parse_output("type=image", default_name="docker.io/library/x:dev"),)


def _graph(tmp_path, body: str = '    base(image="debian:bookworm", dev=False)\n') -> Graph:
    (tmp_path / "build.envd").write_text("def build():\n" + body)
    return evaluate(tmp_path / "build.envd", "build")


def test_a_tree_digest_sees_content_and_names_not_a_rewrite(tmp_path):
    (tmp_path / "sub").mkdir()
    data = tmp_path / "sub" / "data.txt"
    data.write_text("one")
    os.utime(data, ns=(1_000_000_000, 1_000_000_000))
    first = tree_digest(tmp_path)
    assert tree_digest(tmp_path) == first
    data.write_text("one")  # rewritten with the same bytes (an editor's save, a checkout): same key
    assert tree_digest(tmp_path) == first
    data.write_text("two")  # same size, same mtime, other bytes: still seen
    os.utime(data, ns=(1_000_000_000, 1_000_000_000))
    assert tree_digest(tmp_path) != first
    data.write_text("one")
    data.chmod(0o600)
    assert tree_digest(tmp_path) != first
    data.chmod(0o644)
    assert tree_digest(tmp_path) == first
    data.rename(tmp_path / "sub" / "renamed.txt")
    assert tree_digest(tmp_path) != first
    (tmp_path / "sub" / "renamed.txt").rename(data)
    (tmp_path / "new").write_text("")
    assert tree_digest(tmp_path) != first


def test_small_files_are_read_once_and_large_ones_never(tmp_path, monkeypatch):
    small, large = tmp_path / "small.py", tmp_path / "weights.bin"
    small.write_text("print(1)\n")
    large.write_bytes(b"\0" * (CONTENT_LIMIT + 1))
    for path in (small, large):  # old enough to be kept in the cache (not a racy mtime)
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    first = tree_digest(tmp_path)
    opened = []
    real_open = open
    def recording_open(path, *args, **kwargs):
        if os.fspath(path) in (str(small), str(large)):  # not the digests' own cache file
            opened.append(path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", recording_open)
    assert tree_digest(tmp_path) == first
    assert opened == []  # the unchanged small file came from the cache, the large one is never read
    os.utime(large, ns=(2_000_000_000, 2_000_000_000))  # touched: a large file counts by its mtime
    assert tree_digest(tmp_path) != first
    assert opened == []
    small.write_text("print(2)\n")
    assert tree_digest(tmp_path) != first
    assert opened == [str(small)]


def test_the_key_changes_with_graph_target_options_outputs_address_and_inputs(tmp_path):
    graph = _graph(tmp_path)
    target = BuildTarget()
    options = BuildOptions()
    def inputs_now():
        return {"context": tree_digest(tmp_path)}

    inputs = inputs_now()
    key = build_key(graph, target, options, IMAGE, "moby-worker://", inputs)
    assert key.startswith("sha256:")
    assert build_key(graph, target, options, IMAGE, "moby-worker://", inputs) == key

    other_dir = tmp_path / "other"
    other_dir.mkdir()
    changed = [
        build_key(_graph(other_dir, '    base(image="debian:bookworm", dev=True)\n'), target, options, IMAGE,
                  "moby-worker://", inputs),
        build_key(graph, replace(target, uid=4242), options, IMAGE, "moby-worker://", inputs),
        build_key(graph, target, replace(options, no_cache=True), IMAGE, "moby-worker://", inputs),
        build_key(graph, target, options, (parse_output("type=image", default_name="docker.io/library/y:1"),),
                  "moby-worker://", inputs),
        build_key(graph, target, options, IMAGE, "unix:///run/buildkit.sock", inputs),
    ]
    (tmp_path / "added.txt").write_text("x")
    changed.append(build_key(graph, target, options, IMAGE, "moby-worker://", inputs_now()))
    assert key not in changed and len(set(changed)) == len(changed)


def test_progress_notes_and_force_are_not_part_of_the_key(tmp_path):
    graph = _graph(tmp_path)
    key = build_key(graph, BuildTarget(), BuildOptions(), IMAGE, "moby-worker://", {})
    quiet = BuildOptions(on_status=print, on_note=print, force=True)
    same = build_key(graph, BuildTarget(), quiet, IMAGE, "moby-worker://", {})
    assert same == key


def test_the_key_changes_with_envbuild_s_code_under_the_same_version(tmp_path, monkeypatch):
    """An install from a branch keeps its version string; an image built by other code is not up to date."""
    from envbuild import installation

    graph = _graph(tmp_path)
    key = build_key(graph, BuildTarget(), BuildOptions(), IMAGE, "moby-worker://", {})
    monkeypatch.setattr(installation, "code_digest", lambda: "0" * 64)
    assert build_key(graph, BuildTarget(), BuildOptions(), IMAGE, "moby-worker://", {}) != key


def test_the_code_digest_follows_the_package_s_files(tmp_path, monkeypatch):
    from envbuild import installation

    (tmp_path / "mod.py").write_text("x = 1\n")
    monkeypatch.setattr(installation, "package_dir", lambda: str(tmp_path))
    first = installation.code_digest()
    assert installation.code_digest() == first
    (tmp_path / "mod.py").write_text("x = 22\n")
    assert installation.code_digest() != first


def test_the_key_rides_in_the_image_config_labels():
    doc = {"os": "linux", "config": {"Env": ["A=1"], "Labels": {"a": "b"}}}
    out = with_key(doc, "sha256:k")
    assert out["config"]["Labels"] == {"a": "b", contract.BUILD_KEY_LABEL: "sha256:k"}
    assert out["config"]["Env"] == ["A=1"] and doc["config"]["Labels"] == {"a": "b"}


def test_only_an_image_for_docker_s_store_can_be_skipped():
    sock = "unix:///var/run/docker.sock"
    assert skippable(IMAGE, sock) == "docker.io/library/x:dev"
    assert skippable(IMAGE, None) is None  # buildkitd: no store we can ask
    assert skippable((parse_output("type=image,name=r:1,push=true"),), sock) is None
    assert skippable((parse_output("type=tar,dest=/tmp/x.tar"),), sock) is None
    assert skippable(IMAGE * 2, sock) is None


def test_store_lookups_use_docker_s_familiar_names():
    from envbuild.builder.freshness import _familiar

    assert _familiar("docker.io/library/x:dev") == "x:dev"
    assert _familiar("docker.io/team/x:1") == "team/x:1"
    assert _familiar("127.0.0.1:5000/team/x:1") == "127.0.0.1:5000/team/x:1"
