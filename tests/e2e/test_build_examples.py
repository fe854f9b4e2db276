"""The non-dev examples that can build offline here (Debian mirror and PyPI only) build for real and do what
they say. python-basic has its own module; dev examples are built by tests/compile/test_dev_e2e.py with the
Horust stand-in."""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import pytest

from envbuild.compile import BuildOptions, build
from envbuild.lang import evaluate

pytestmark = [pytest.mark.docker, pytest.mark.slow]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CHECKS = {
    "http-checksum": "test -s /home/envd/extra_source/hello.deb && echo ok",
    "multi-target": "git --version >/dev/null && python -c 'import numpy; print(\"ok\")'",
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_offline_example_builds_and_works(name):
    project = EXAMPLES / name
    tag = f"docker.io/library/envbuild-test-example-{name}:{secrets.token_hex(4)}"
    graph = evaluate(project / "build.envd", project_dir=project)
    try:
        result = build(graph, BuildOptions(address="moby-worker://", tag=tag, progress="quiet"))
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
