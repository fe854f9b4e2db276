"""bootstrap, version --detail and prune against the real engine and its BuildKit."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.docker


def envbuild(*args: str, env=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "envbuild.cli", *args],
        capture_output=True,
        text=True,
        env=env or os.environ.copy(),
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_bootstrap_makes_key_and_completion_and_checks_backends(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "SHELL": "/bin/bash", "XDG_DATA_HOME": str(tmp_path / "data")}
    out = envbuild("bootstrap", env=env)
    assert out.returncode == 0, out.stderr
    config = os.environ["ENVBUILD_CONFIG_DIR"]
    assert os.path.exists(f"{config}/ssh/id_ed25519_envbuild") and os.path.exists(
        f"{config}/ssh/id_ed25519_envbuild.pub"
    )
    completion = tmp_path / "data" / "bash-completion" / "completions" / "envbuild"
    assert "envbuild" in completion.read_text()
    assert "docker      engine" in out.stdout and "builder     context default" in out.stdout
    bad = envbuild("bootstrap", "--shell", "tcsh", "--no-check", env=env)
    assert bad.returncode == 2 and "--shell 'tcsh'" in bad.stderr


def test_version_detail_names_context_builder_engine():
    out = envbuild("version", "--detail")
    assert out.returncode == 0, out.stderr
    assert "context default (moby-worker://)" in out.stdout
    assert "builder context default" in out.stdout and "docker engine" in out.stdout


def test_bootstrap_reports_an_unreachable_builder(tmp_path):
    assert (
        envbuild(
            "context",
            "create",
            "--name",
            "gone",
            "--builder",
            "unix",
            "--builder-address",
            str(tmp_path / "no.sock"),
            "--use",
        ).returncode
        == 0
    )
    out = envbuild("bootstrap", "--no-completion")
    assert out.returncode == 1 and "does not answer" in out.stderr and "Traceback" not in out.stderr


def test_prune_lists_and_prunes_only_what_the_filter_matches():
    """Never prunes the shared cache: the filter matches nothing, and --keep-storage keeps 10 TB anyway."""
    listed = envbuild("prune", "--dry-run", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert isinstance(json.loads(listed.stdout), list)
    out = envbuild("prune", "--filter", "id==envbuild-test-matches-nothing", "--keep-storage", "10000000")
    assert out.returncode == 0, out.stderr
    assert "0 cache records, freed 0.0 MB" in out.stdout
    bad = envbuild("prune", "--filter", "nonsense")
    assert bad.returncode == 2 and "--filter 'nonsense'" in bad.stderr
