"""`envbuild debug graph` through the real console entry: JSON on stdout, rendered errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from envbuild.graph import Graph
from tests.lang.test_lang_examples import EXAMPLES, NAMES, portable


def _cli(*args: str, cwd: Path | None = None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "envbuild.cli", *args], capture_output=True, text=True, cwd=cwd, env=env
    )


@pytest.mark.parametrize("name", NAMES)
def test_debug_graph_prints_each_example(name):
    done = _cli("debug", "graph", "-p", str(EXAMPLES / name))
    assert done.returncode == 0, done.stderr
    graph = Graph.from_json(done.stdout)
    assert graph.project.dir == str(EXAMPLES / name)
    assert portable(graph).to_json() == (EXAMPLES / name / "graph.json").read_text()


def test_debug_graph_from_function():
    done = _cli("debug", "graph", "-p", str(EXAMPLES / "multi-target"), "--from", ":build_gpu")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cuda"]["version"] == "12.1.1"


def test_debug_graph_error_is_rendered_not_a_traceback(tmp_path):
    (tmp_path / "build.envd").write_text("def build():\n    runtime.expose(envd_port=70000)\n")
    done = _cli("debug", "graph", "-p", ".", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[0].startswith("build.envd:2:5: error: runtime.expose(): `envd_port`")
    assert done.stderr.splitlines()[2] == "        ^"


def test_debug_graph_bad_flags(tmp_path):
    done = _cli("debug", "graph", "-p", str(tmp_path / "missing"))
    assert done.returncode == 2 and "--path" in done.stderr
    done = _cli("debug", "graph", "-p", str(tmp_path), "--from", "nope.envd")
    assert done.returncode == 2 and "--from" in done.stderr and "nope.envd" in done.stderr
    (tmp_path / "build.envd").write_text("def build():\n    pass\n")
    done = _cli("debug", "graph", "-p", str(tmp_path), "--from", "a:b:c")
    assert done.returncode != 0 and "Traceback" not in done.stderr
