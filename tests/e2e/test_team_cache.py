"""A team cache across BuildKit generations, for real: one builder exports to the local registry, another that
never saw these steps (a nonce makes them new) imports it, and every build step comes from the cache.

Docker 26's embedded BuildKit (v0.13) and the v0.26.3 buildkitd key steps that have mounts differently, so
before envbuild gave exported caches both generations' keys only file steps were reused across them. The CA
bundle given with --ca-bundle puts a secret mount on each run step, which is what makes their keys differ.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from envbuild.builder import BuildOptions, build
from envbuild.builder.outputs import parse_output
from envbuild.lang import evaluate
from tests.support.builders import REGISTRY, address_of, base_in_registry

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.buildkitd]

CA = Path("/etc/ssl/certs/ca-certificates.crt")


def project(tmp_path: Path, nonce: str) -> Path:
    path = tmp_path / "team"
    path.mkdir()
    (path / "build.envd").write_text(
        f'def build():\n    base(image="{base_in_registry()}", dev=False)\n'
        f'    run(commands=["echo {nonce} > /a"])\n    run(commands=["cat /a > /b"])\n'
    )
    return path


def export_with_the_cli(path: Path, address: str, ref: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BUILDKIT_HOST": address}
    return subprocess.run(
        [sys.executable, "-m", "envbuild.cli", "build", "-p", str(path), "--ca-bundle", str(CA),
         "-o", f"type=tar,dest={path / 'exported.tar'}", "--progress", "quiet",
         "--export-cache", f"type=registry,ref={ref},mode=max"],
        capture_output=True, text=True, env=env, timeout=600, stdin=subprocess.DEVNULL,
    )


def steps_from_cache(path: Path, address: str, ref: str) -> tuple[int, list[str]]:
    graph = evaluate(path / "build.envd", project_dir=path)
    result = build(graph, BuildOptions(
        address=address, ca_bundle=CA, outputs=(parse_output(f"type=tar,dest={path / 'imported.tar'}"),),
        cache_imports=({"type": "registry", "ref": ref},),
    ))
    steps = result.build_steps()
    return len(steps), [s.name for s in steps if not s.cached]


@pytest.mark.parametrize(
    ("exporter", "importer"), [("moby", "buildkitd-rootless"), ("buildkitd-rootful", "moby")]
)
def test_a_cache_exported_by_one_generation_serves_the_other(exporter, importer, tmp_path):
    if not CA.is_file():
        pytest.fail(f"{CA} is missing: the test needs a CA bundle to give run steps a secret mount")
    nonce = secrets.token_hex(6)
    path = project(tmp_path, nonce)
    ref = f"{REGISTRY}/envbuild-test-team-cache/{exporter}:{nonce}"
    exported = export_with_the_cli(path, address_of(exporter), ref)
    assert exported.returncode == 0, exported.stderr[-3000:]
    assert "also keyed for the other BuildKit generation" in exported.stderr, exported.stderr
    count, missed = steps_from_cache(path, address_of(importer), ref)
    assert count >= 2 and not missed, f"not from the cache: {missed}"  # both run steps, secret mounts and all
