"""`envbuild lock` and `--locked`: usage errors and a missing lock, before anything connects or builds."""

from __future__ import annotations

import subprocess
import sys


def envbuild(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "envbuild.cli", *args], capture_output=True, text=True, timeout=120
    )


def project(tmp_path):
    (tmp_path / "build.envd").write_text('def build():\n    base(image="debian:bookworm")\n')
    return str(tmp_path)


def test_names_without_upgrade_are_a_usage_error(tmp_path):
    done = envbuild("lock", "-p", project(tmp_path), "numpy")
    assert done.returncode == 2
    assert "names only go with --upgrade (envbuild lock --upgrade NAME...)" in done.stderr
    assert "Traceback" not in done.stderr


def test_locked_without_a_lock_says_how_to_make_one(tmp_path):
    for command in ("build", "up"):
        done = envbuild(command, "-p", project(tmp_path), "--locked")
        assert done.returncode == 1, done.stderr
        assert f"--locked needs a lock, and there is no {tmp_path}/envbuild.lock" in done.stderr
        assert "run `envbuild lock`" in done.stderr


def test_a_broken_lock_names_the_file(tmp_path):
    (tmp_path / "envbuild.lock").write_text("version = 1\nbuild-file = 'build.envd'\n")
    done = envbuild("build", "-p", project(tmp_path))
    assert done.returncode == 1
    assert f"{tmp_path}/envbuild.lock is not a valid envbuild lock: `function` is missing" in done.stderr
