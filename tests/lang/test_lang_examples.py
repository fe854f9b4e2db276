"""Snapshot of every example's graph: examples/<name>/graph.json.

Regenerate on purpose with `ENVBUILD_UPDATE_SNAPSHOTS=1 pytest tests/lang/test_lang_examples.py` and review
the diff. The project directory is written as "." so snapshots hold no machine-specific path.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

from envbuild.graph import Graph
from envbuild.lang import evaluate
from tests.lang.conftest import make_repo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAMES = sorted(p.parent.name for p in EXAMPLES.glob("*/build.envd"))
REQUIRED = {
    "python-basic",
    "jupyter",
    "pytorch-cuda",
    "vllm",
    "conda",
    "uv",
    "runtime-daemons",
    "http-checksum",
    "include-lib",
    "multi-target",
}
INCLUDE_LIB_URL = "https://github.com/envbuild-examples/envdlib"


def portable(graph: Graph) -> Graph:
    return dataclasses.replace(graph, project=dataclasses.replace(graph.project, dir="."))


def serve_include_lib(git_daemon, monkeypatch) -> None:
    """Publish examples/include-lib/lib as tag v1 on a local git daemon and point the example's URL at it."""
    base, root_url = git_daemon
    repo = base / "envdlib"
    repo.mkdir()
    for path in (EXAMPLES / "include-lib" / "lib").glob("*.envd"):
        shutil.copy(path, repo / path.name)
    make_repo(repo, {}, tag="v1")
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", f"url.{root_url}/envdlib.insteadOf")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", INCLUDE_LIB_URL)


def example_graph(name: str, function: str = "build") -> Graph:
    return portable(evaluate(EXAMPLES / name, function))


def test_all_required_examples_exist():
    assert set(NAMES) >= REQUIRED


@pytest.mark.parametrize("name", NAMES)
def test_example_graph_snapshot(name, request, monkeypatch):
    if name == "include-lib":
        serve_include_lib(request.getfixturevalue("git_daemon"), monkeypatch)
    graph = example_graph(name)
    text = graph.to_json()
    snapshot = EXAMPLES / name / "graph.json"
    if os.environ.get("ENVBUILD_UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(text)
    assert snapshot.exists(), f"no snapshot for {name}: run with ENVBUILD_UPDATE_SNAPSHOTS=1"
    assert text == snapshot.read_text(), f"{name}: graph changed; regenerate with ENVBUILD_UPDATE_SNAPSHOTS=1"
    assert Graph.from_json(text) == graph
    assert str(EXAMPLES) not in text and "/tmp/" not in text


def test_multi_target_gpu_function():
    cpu, gpu = example_graph("multi-target"), example_graph("multi-target", "build_gpu")
    assert cpu.cuda is None and cpu.base.image == "debian:bookworm"
    assert gpu.cuda.version == "12.1.1" and gpu.config.gpu == 1
    assert gpu.project.function == "build_gpu"


def test_python_basic_is_buildable_offline():
    graph = example_graph("python-basic")
    assert graph.base.image == "debian:bookworm" and graph.base.dev is False
    assert graph.language("python").version == "3.11"


def test_include_lib_records_the_pinned_commit(git_daemon, monkeypatch):
    serve_include_lib(git_daemon, monkeypatch)
    graph = example_graph("include-lib")
    (include,) = graph.includes
    assert include.url == INCLUDE_LIB_URL and include.ref == "v1" and len(include.commit) == 40
    assert graph.runtime.expose[0].service == "tensorboard"
