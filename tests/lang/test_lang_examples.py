"""Snapshot of every example's graph: examples/<name>/graph.json.

Regenerate on purpose with `ENVBUILD_UPDATE_SNAPSHOTS=1 pytest tests/lang/test_lang_examples.py` and review
the diff. The project directory is written as "." so snapshots hold no machine-specific path.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path

import pytest

from envbuild.graph import Graph
from envbuild.lang import evaluate

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
INCLUDE_LIB_URL = "./envdlib.bundle"


def portable(graph: Graph) -> Graph:
    return dataclasses.replace(graph, project=dataclasses.replace(graph.project, dir="."))


def example_graph(name: str, function: str = "build") -> Graph:
    return portable(evaluate(EXAMPLES / name, function))


def test_all_required_examples_exist():
    assert set(NAMES) >= REQUIRED


@pytest.mark.parametrize("name", NAMES)
def test_example_graph_snapshot(name):
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


def test_include_lib_records_the_pinned_commit():
    graph = example_graph("include-lib")
    (include,) = graph.includes
    assert include.url == INCLUDE_LIB_URL and include.ref == "v1" and len(include.commit) == 40
    assert graph.runtime.expose[0].service == "tensorboard"


def test_include_lib_bundle_holds_exactly_lib(tmp_path):
    """The shipped bundle is lib/ as it is now: make-bundle.sh was rerun after the last edit."""
    example = EXAMPLES / "include-lib"
    bundle = str(example / "envdlib.bundle")
    subprocess.run(["git", "clone", "-q", "--branch", "v1", bundle, str(tmp_path / "c")], check=True)
    shipped = {p.name: p.read_text() for p in (tmp_path / "c").glob("*.envd")}
    assert shipped == {p.name: p.read_text() for p in (example / "lib").glob("*.envd")}
