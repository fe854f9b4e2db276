"""`envbuild build` through the console entry on the real worker: failures and streamed outputs."""

from __future__ import annotations

import io
import json
import os
import secrets
import subprocess
import sys
import tarfile
import urllib.request

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
    # named as evaluation errors name files: relative to the working directory when inside it, else in full
    assert result.stderr.startswith(f"{project / 'build.envd'}:3:5: error: ")
    assert "exit code: 3" in result.stderr and "about to fail" in result.stderr
    assert "Traceback" not in result.stderr
    inspect = subprocess.run(["docker", "image", "inspect", f"docker.io/library/{name}"], capture_output=True)
    assert inspect.returncode != 0


def test_a_tar_output_on_stdout(tmp_path):
    project = tmp_path / "tarout"
    project.mkdir()
    (project / "build.envd").write_text(
        'def build():\n    base(image="debian:bookworm", dev=False)\n    run(commands=["echo hi > /hi"])\n'
    )
    result = subprocess.run(
        [sys.executable, "-m", "envbuild.cli", "build", "-p", str(project), "-o", "-", "--progress", "quiet"],
        capture_output=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as tar:
        assert tar.extractfile("hi").read() == b"hi\n"


def test_use_proxy_hands_the_hosts_proxy_variables_to_steps(tmp_path):
    """The step is unique to this run (proxy variables are outside the cache key, so a cached step from an
    earlier run would keep that run's file)."""
    token = secrets.token_hex(4)
    project = tmp_path / "proxied"
    project.mkdir()
    (project / "build.envd").write_text(
        "def build():\n"
        '    base(image="debian:bookworm", dev=False)\n'
        f'    run(commands=["echo {token} $https_proxy $HTTPS_PROXY > /proxy"])\n'
    )
    env = {**os.environ, "HTTPS_PROXY": "http://proxy.example:3128", "NO_PROXY": "localhost"}
    env.pop("https_proxy", None)
    out = tmp_path / "rootfs"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "envbuild.cli",
            "build",
            "-p",
            str(project),
            "--use-proxy",
            "-o",
            f"type=local,dest={out}",
            "--progress",
            "quiet",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert (out / "proxy").read_text().split() == [
        token,
        "http://proxy.example:3128",
        "http://proxy.example:3128",
    ]


def test_cache_exported_to_the_local_registry_is_imported_back(tmp_path):
    token = secrets.token_hex(4)
    project = tmp_path / "cached"
    project.mkdir()
    (project / "build.envd").write_text(
        'def build():\n    base(image="debian:bookworm", dev=False)\n'
        f'    run(commands=["echo {token} > /token"])\n'
    )
    ref = f"127.0.0.1:5000/envbuild-test/cache:{token}"
    base = [sys.executable, "-m", "envbuild.cli", "build", "-p", str(project), "--progress", "quiet"]
    exported = subprocess.run(
        [
            *base,
            "-o",
            f"type=tar,dest={tmp_path / 'a.tar'}",
            "--export-cache",
            f"type=registry,ref={ref},mode=max",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert exported.returncode == 0, exported.stderr
    with urllib.request.urlopen(
        "http://127.0.0.1:5000/v2/envbuild-test/cache/tags/list", timeout=10
    ) as resp:
        assert token in json.load(resp)["tags"]
    imported = subprocess.run(
        [*base, "-o", f"type=tar,dest={tmp_path / 'b.tar'}", "--import-cache", f"type=registry,ref={ref}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert imported.returncode == 0, imported.stderr
