"""On Docker's classic image store (no merge/diff), `build` notices and runs the stages one after another.

The throw-away classic-store dockerd is the buildkit tests' fixture (loaded from its module, not copied). That
daemon's build steps have no network, so the build file uses only what needs none: the local base image
(loaded into it), io.http (fetched by the daemon itself), io.copy and a run() step.
"""

from __future__ import annotations

import subprocess

import pytest

from envbuild.builder import BuildOptions, build
from envbuild.builder.outputs import parse_output
from envbuild.compile.dump import dump_definition
from envbuild.lang import evaluate
from tests.buildkit import test_classic_store
from tests.support.mirror import release_gpg_url

pytestmark = [pytest.mark.docker, pytest.mark.slow]

classic_dockerd = test_classic_store.classic_dockerd  # the second, classic-store dockerd fixture

BASE = "docker.io/library/debian:bookworm"
HTTP_FILE = release_gpg_url()


def test_stages_run_in_sequence_on_a_classic_store(classic_dockerd, tmp_path):
    host = f"unix://{classic_dockerd}"
    save = subprocess.Popen(["docker", "save", BASE], stdout=subprocess.PIPE)
    load = ["docker", "-H", host, "load"]
    subprocess.run(load, stdin=save.stdout, check=True, capture_output=True, timeout=300)
    save.wait(timeout=60)
    project = tmp_path / "classic"
    (project / "data").mkdir(parents=True)
    (project / "data" / "a.txt").write_text("a\n")
    (project / "build.envd").write_text(
        "def build():\n"
        f'    base(image="{BASE}", dev=False)\n'
        f'    io.http(url="{HTTP_FILE}", filename="Release.gpg")\n'
        '    io.copy(source="data", target="/srv/data")\n'
        '    run(commands=["cat /srv/data/a.txt > /srv/copied"])\n'
    )
    graph = evaluate(project / "build.envd", project_dir=project)
    out = tmp_path / "rootfs"
    result = build(
        graph,
        BuildOptions(
            address=f"moby-worker://{classic_dockerd}",
            outputs=(parse_output(f"type=local,dest={out}"),),
        ),
    )
    kinds = [entry["kind"] for entry in dump_definition(result.compiled.definition)]
    assert "merge" not in kinds and "diff" not in kinds
    assert (out / "srv" / "copied").read_text() == "a\n"
    assert (out / "home" / "envd" / "extra_source" / "Release.gpg").stat().st_size > 0
