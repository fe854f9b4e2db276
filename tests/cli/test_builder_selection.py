"""Which builder a command uses, for real: `--context NAME`, else BUILDKIT_HOST, else the current context.

Each build leaves a step with a unique token in exactly one daemon's cache, so asking every daemon for its
cache records shows where the build went. The standalone daemons are the rootful and rootless buildkitd of
scripts/buildkitd.sh (the tests skip, saying why, where their binaries are absent).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from envbuild.buildkit import connect
from tests.support.builders import base_in_registry, standalone

pytestmark = [pytest.mark.docker, pytest.mark.buildkitd]


def envbuild(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "BUILDKIT_HOST"}
    return subprocess.run(
        [sys.executable, "-m", "envbuild.cli", *args],
        capture_output=True,
        text=True,
        env={**environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        timeout=600,
    )


@pytest.fixture(scope="module")
def daemons():
    found = standalone()
    addresses = {"rootful": found.rootful, "rootless": found.rootless, "moby": "moby-worker://"}
    return addresses, base_in_registry()


def project(tmp_path: Path, base: str) -> tuple[Path, str]:
    token = secrets.token_hex(6)
    tmp_path.mkdir()
    (tmp_path / "build.envd").write_text(
        f'def build():\n    base(image="{base}", dev=False)\n    run(commands=["echo {token} > /token"])\n'
    )
    return tmp_path, token


def where_built(addresses: dict[str, str], token: str) -> list[str]:
    """The daemons whose cache holds a step that mentions `token`."""
    found = []
    for name, address in addresses.items():
        with connect(address) as client:
            if any(token in record.Description for record in client.disk_usage()):
                found.append(name)
    return found


def build(path: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    out = path / "out"
    return envbuild(
        "build", "-p", str(path), "-o", f"type=local,dest={out}", "--progress", "plain", *extra, env=env
    )


def test_a_unix_context_and_buildkit_host_and_context_flag_each_pick_their_builder(daemons, tmp_path):
    addresses, base = daemons
    rootful = addresses["rootful"]
    created = envbuild(
        "context", "create", "--name", "rootful", "--builder", "unix", "--builder-address", rootful, "--use"
    )
    assert created.returncode == 0, created.stderr

    # the current context
    path, token = project(tmp_path / "current", base)
    done = build(path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (path / "out" / "token").read_text() == f"{token}\n"
    assert where_built(addresses, token) == ["rootful"]

    # BUILDKIT_HOST wins over the current context; Docker is not needed for a build that exports files
    path, token = project(tmp_path / "host", base)
    no_docker = {"BUILDKIT_HOST": addresses["rootless"], "DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"}
    done = build(path, env=no_docker)
    assert done.returncode == 0, done.stderr[-3000:]
    assert where_built(addresses, token) == ["rootless"]

    # --context wins over BUILDKIT_HOST
    path, token = project(tmp_path / "flag", base)
    done = build(path, "--context", "default", env={"BUILDKIT_HOST": addresses["rootless"]})
    assert done.returncode == 0, done.stderr[-3000:]
    assert where_built(addresses, token) == ["moby"]


def test_version_detail_says_which_builder_and_why(daemons):
    addresses, _ = daemons
    rootful = addresses["rootful"]
    created = envbuild(
        "context", "create", "--name", "rootful", "--builder", "unix", "--builder-address", rootful
    )
    assert created.returncode == 0, created.stderr
    current = envbuild("version", "--detail")
    assert "builder context default (moby-worker://), chosen by the current context" in current.stdout
    assert "moby BuildKit" in current.stdout

    host = envbuild("version", "--detail", env={"BUILDKIT_HOST": addresses["rootless"]})
    assert f"builder BUILDKIT_HOST ({addresses['rootless']}), chosen by BUILDKIT_HOST" in host.stdout
    assert "builder BUILDKIT_HOST: buildkitd BuildKit" in host.stdout

    rootless = {"BUILDKIT_HOST": addresses["rootless"]}
    flag = envbuild("version", "--detail", "--context", "rootful", env=rootless)
    assert f"builder context rootful ({addresses['rootful']}), chosen by --context" in flag.stdout
    assert "builder context rootful: buildkitd BuildKit" in flag.stdout


def test_unknown_context_and_bad_buildkit_host_are_clear_errors():
    unknown = envbuild("prune", "--dry-run", "--context", "nope")
    assert unknown.returncode == 2
    assert "--context 'nope' is not valid: one of default" in unknown.stderr
    bad = envbuild("prune", "--dry-run", env={"BUILDKIT_HOST": "ssh://somewhere"})
    assert bad.returncode == 1 and "BUILDKIT_HOST is set but unusable" in bad.stderr
    assert "Traceback" not in unknown.stderr + bad.stderr
