"""A failing `run()` through the CLI: non-zero exit, the build-file line, the step's last output, no image."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_a_failing_run_step_points_at_its_line_and_leaves_no_image(tmp_path):
    project = tmp_path / "failing"
    project.mkdir()
    (project / "build.envd").write_text(
        "def build():\n"
        '    base(image="debian:bookworm", dev=False)\n'
        '    run(commands=["echo about to fail", "exit 3"])\n'
    )
    name = "envbuild-test-failing:1"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "envbuild.cli",
            "build",
            "-p",
            str(project),
            "-t",
            name,
            "--progress",
            "quiet",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("build.envd:3:5: error: ")
    assert "exit code: 3" in result.stderr and "about to fail" in result.stderr
    assert "Traceback" not in result.stderr
    inspect = subprocess.run(["docker", "image", "inspect", f"docker.io/library/{name}"], capture_output=True)
    assert inspect.returncode != 0
