"""Package names carrying pip options, as envd users write them, install for real from a package index this
test builds and serves: `--index-url`, `--extra-index-url` in a name of its own, `-f` with `--pre`, and an
option uv has no spelling for (`--no-warn-script-location`), which goes to pip with the line as written.

The index is served on the host's address on Docker's bridge (see tests/support/served.py): the install
steps run on that bridge. Package names are unique to this test so no public index can answer for them.
"""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import pytest

from envbuild.builder import BuildOptions, build
from envbuild.lang import evaluate
from tests.support.served import find_links_page, serve, simple_index, wheel

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_pip_options_in_package_names_install_from_a_local_index(tmp_path: Path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    index = tmp_path / "index"
    simple_index(index, [
        wheel(wheels, "envbuild-probe-a", "1.0"),
        wheel(wheels, "envbuild-probe-b", "1.1"),
        wheel(wheels, "envbuild-probe-d", "1.3"),
    ])
    find_links_page(index, [wheel(wheels, "envbuild-probe-c", v) for v in ("1.0", "2.0rc1")])
    project = tmp_path / "proj"
    project.mkdir()
    tag = f"docker.io/library/envbuild-test-envdcompat-pip:{secrets.token_hex(4)}"
    with serve(index, for_steps=True) as url:
        host = url.split("//")[1].split(":")[0]
        (project / "build.envd").write_text(
            "def build():\n"
            '    base(image="debian:bookworm", dev=False)\n'
            "    install.python()\n"
            f'    install.python_packages(name=["envbuild-probe-a --index-url {url}/simple"])\n'
            f'    install.python_packages(name=["--extra-index-url", "{url}/simple", "envbuild-probe-b"])\n'
            f'    install.python_packages(name=["-f {url}/links/ --pre", "envbuild-probe-c"])\n'
            f'    install.python_packages(name=["envbuild-probe-d --index-url {url}/simple '
            f'--trusted-host {host} --no-warn-script-location"])\n'
        )
        graph = evaluate(project / "build.envd", project_dir=project)
        try:
            result = build(graph, BuildOptions(address="moby-worker://", tag=tag))
            steps = " | ".join(step.name for step in result.steps)
            out = subprocess.run(
                ["docker", "run", "--rm", tag, "python", "-c",
                 "import envbuild_probe_a as a, envbuild_probe_b as b, envbuild_probe_c as c, "
                 "envbuild_probe_d as d; print(a.VERSION, b.VERSION, c.VERSION, d.VERSION)"],
                capture_output=True, text=True, timeout=120,
            )
        finally:
            subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1.0", "1.1", "2.0rc1", "1.3"]  # --pre took the release candidate
    # the first three went through uv, the last through pip with its own option
    assert "pip install envbuild-probe-d --index-url" in steps
