"""Snapshot of the compiled LLB and image config for every example (`examples/<name>/llb.json`).

Compiled from the example's `graph.json` (the lang stage's own snapshot), so this test covers graph → LLB only
and needs neither git nor a daemon. A change in the output is a test failure until regenerated on purpose:
`ENVBUILD_UPDATE_SNAPSHOTS=1 pytest tests/compile/test_snapshots.py`, then review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from envbuild.compile import BuildTarget, compile_graph
from envbuild.compile.dump import snapshot
from envbuild.compile.horust import HorustSource
from envbuild.graph import Graph

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAMES = sorted(p.name for p in EXAMPLES.iterdir() if (p / "graph.json").is_file())
# What a build on this machine would resolve, fixed: a CA bundle secret, merge support, a Horust stand-in
# image (the pinned release cannot be fetched here) and a fixed owner.
TARGET = BuildTarget(
    platform="linux/amd64",
    merge_diff=True,
    ca_bundle=True,
    uid=1000,
    gid=1000,
    horust=HorustSource(kind="image", ref="envbuild-test-horust-standin:latest", path="/sbin/horust"),
)


def compiled_snapshot(name: str) -> str:
    graph = Graph.from_json((EXAMPLES / name / "graph.json").read_text(encoding="utf-8"))
    return snapshot(compile_graph(graph, target=TARGET))


@pytest.mark.parametrize("name", NAMES)
def test_llb_snapshot(name):
    path = EXAMPLES / name / "llb.json"
    text = compiled_snapshot(name)
    if os.environ.get("ENVBUILD_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.write_text(text, encoding="utf-8")
        if os.environ.get("ENVBUILD_UPDATE_SNAPSHOTS") != "1":
            pytest.fail(f"{path} did not exist and was written: review and commit it")
    assert text == path.read_text(encoding="utf-8"), (
        f"{path} is out of date: rerun with ENVBUILD_UPDATE_SNAPSHOTS=1 and review the diff"
    )


@pytest.mark.parametrize("name", NAMES)
def test_compiling_twice_gives_the_same_bytes(name):
    graph = Graph.from_json((EXAMPLES / name / "graph.json").read_text(encoding="utf-8"))
    first = compile_graph(graph, target=TARGET).definition.SerializeToString(deterministic=True)
    second = compile_graph(graph, target=TARGET).definition.SerializeToString(deterministic=True)
    assert first == second
