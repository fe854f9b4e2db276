"""The non-dev examples build for real and do what they say. python-basic has its own module; dev examples
are built by tests/compile/test_dev_e2e.py with the Horust stand-in.

http-checksum's release asset lives on a host this machine cannot reach, so its download is served from
127.0.0.1 with the same file name and a checksum of the served bytes: the build still fetches over HTTP,
verifies the checksum and runs the example's own step.
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import secrets
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from envbuild.builder import BuildOptions, build
from envbuild.graph import Graph
from envbuild.lang import evaluate

pytestmark = [pytest.mark.docker, pytest.mark.slow]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CHECKS = {
    "http-checksum": "test -s /home/envd/extra_source/jq && echo ok",
    "multi-target": "git --version >/dev/null && python -c 'import numpy; print(\"ok\")'",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, bytes]]:
    """A plain HTTP server on 127.0.0.1 (BuildKit's http source runs in dockerd, on the host) serving one
    file; yields its base URL and content."""
    root = tmp_path_factory.mktemp("served")
    content = b"#!/bin/sh\necho stand-in for a release asset\n" + secrets.token_bytes(64)
    (root / "asset").write_bytes(content)
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(root))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", content
    finally:
        server.shutdown()


def _local_downloads(graph: Graph, base_url: str, content: bytes) -> Graph:
    checksum = "sha256:" + hashlib.sha256(content).hexdigest()
    downloads = tuple(
        dataclasses.replace(d, url=f"{base_url}/asset", checksum=checksum) for d in graph.downloads
    )
    return dataclasses.replace(graph, downloads=downloads)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_example_builds_and_works(name, served):
    project = EXAMPLES / name
    tag = f"docker.io/library/envbuild-test-example-{name}:{secrets.token_hex(4)}"
    graph = evaluate(project / "build.envd", project_dir=project)
    if graph.downloads:
        graph = _local_downloads(graph, *served)
    try:
        result = build(graph, BuildOptions(address="moby-worker://", tag=tag))
        assert result.name == tag
        out = subprocess.run(
            ["docker", "run", "--rm", tag, "bash", "-c", CHECKS[name]],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip().endswith("ok")
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)
