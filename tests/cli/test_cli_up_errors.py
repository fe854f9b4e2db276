"""`up` refuses bad input before anything is built or created: clear messages, no traceback, nothing left."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker


def envbuild(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "envbuild.cli", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


DEV = '# syntax=v1\n\n\ndef build():\n    base(image="debian:bookworm", dev=True)\n'


@pytest.mark.parametrize(
    ("build_file", "args", "code", "expected"),
    [
        (DEV, ["--memory", "lots"], 2, "--memory 'lots'"),
        (DEV, ["--volume", "nope"], 2, "--volume 'nope'"),
        (DEV, ["--gpu-set", "some"], 2, "--gpu-set 'some'"),
        (DEV, ["--name", "Bad Name"], 2, "--name 'Bad Name'"),
        (DEV, ["--from", "missing.envd"], 2, "--from 'missing.envd'"),
        (DEV, ["--gpus", "1"], 1, "NVIDIA"),
        (DEV.replace("dev=True", "dev=False"), [], 1, "dev images only"),
        (DEV.replace("base(", "base(imagex="), [], 1, "build.envd:5:"),
    ],
)
def test_bad_input_fails_before_any_build(tmp_path, build_file, args, code, expected):
    project = tmp_path / "envbuild-test-bad"
    project.mkdir()
    (project / "build.envd").write_text(build_file)
    if "--gpus" in args:
        info = subprocess.run(
            ["docker", "info", "--format", "{{json .Runtimes}}"], capture_output=True, text=True
        )
        if "nvidia" in info.stdout:
            pytest.skip("this engine has the NVIDIA runtime")
    out = envbuild("up", "--detach", *args, cwd=project)
    assert out.returncode == code, out.stderr
    assert expected in out.stderr and "Traceback" not in out.stderr
    assert subprocess.run(["docker", "inspect", "envbuild-test-bad"], capture_output=True).returncode != 0
    ssh_config = os.environ.get("ENVBUILD_SSH_CONFIG", "")
    assert not os.path.exists(ssh_config) or "envbuild-test-bad" not in Path(ssh_config).read_text()
