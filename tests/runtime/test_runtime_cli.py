"""exec / envs / pause / resume / destroy through the real CLI, on an environment started with the sshd test
image (the build pipeline is exercised by test_up_e2e.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from envbuild.graph import Graph, Project, Runtime, RuntimeCommand
from envbuild.runtime import containers, lifecycle, ssh_config
from envbuild.runtime.engine import docker_client
from envbuild.runtime.keys import ensure_key_pair
from envbuild.runtime.spec import RunOptions, plan

pytestmark = pytest.mark.docker


def envbuild(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "envbuild.cli", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


@pytest.fixture
def running_env(sshd_image, tmp_path):
    name = f"envbuild-test-cli-{uuid.uuid4().hex[:6]}"
    project = tmp_path / name
    project.mkdir()
    graph = Graph(
        project=Project(name, str(project)),
        runtime=Runtime(commands=(RuntimeCommand("greet", "echo hello from $(pwd); exit 3"),)),
    )
    keys = ensure_key_pair()
    client = docker_client()
    lifecycle.start(client, plan(RunOptions(name, sshd_image, project), graph, public_key=keys.public), keys)
    yield name, project
    leftover = containers.find(client, name)
    if leftover is not None:
        containers.remove(leftover)


def test_exec_envs_pause_destroy(running_env):
    name, project = running_env
    rows = {r["name"]: r for r in json.loads(envbuild("envs", "ls", "--format", "json").stdout)}
    assert rows[name]["status"] == "running" and rows[name]["ssh"] == f"{name}.envd"
    assert rows[name]["commands"] == ["greet"]
    table = envbuild("envs", "ls")
    assert table.returncode == 0 and name in table.stdout

    described = json.loads(envbuild("envs", "describe", "--name", name, "--format", "json").stdout)
    assert described["commands"] == {"greet": "echo hello from $(pwd); exit 3"}
    assert any(m.startswith(str(project.resolve())) for m in described["mounts"])

    # a runtime.command: output streamed, exit code passed through, run from the project dir
    out = envbuild("exec", "--command", "greet", cwd=project)
    assert out.returncode == 3, out.stderr
    assert out.stdout.strip() == f"hello from /home/envd/{name}"
    # any command after --, arguments kept intact
    out = envbuild("exec", "--name", name, "--", "sh", "-c", 'printf "%s|" "$@"; id -u', "x", "a b", "c")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"a b|c|{os.getuid()}"
    ssh_config.remove_entry(name)  # deleted behind our back: exec puts it back before using it
    assert envbuild("exec", "--name", name, "--", "true").returncode == 0
    assert name in ssh_config.entries()
    unknown = envbuild("exec", "--name", name, "--command", "nope")
    assert unknown.returncode == 2 and "--command 'nope'" in unknown.stderr and "greet" in unknown.stderr

    assert envbuild("pause", "--name", name).returncode == 0
    paused = envbuild("exec", "--name", name, "--", "true")
    assert paused.returncode == 1 and "paused" in paused.stderr and "envbuild resume" in paused.stderr
    assert envbuild("resume", "--name", name).returncode == 0
    assert envbuild("exec", "--name", name, "--", "true").returncode == 0

    out = envbuild("destroy", "--path", str(project))
    assert out.returncode == 0 and "destroyed" in out.stdout
    assert containers.find(docker_client(), name) is None
    assert name not in ssh_config.entries()
    again = envbuild("destroy", "--name", name)
    assert again.returncode == 0 and "nothing to do" in again.stdout
    gone = envbuild("exec", "--name", name, "--", "true")
    assert gone.returncode == 1 and "does not exist" in gone.stderr and "Traceback" not in gone.stderr


def test_stale_ssh_entry_is_repaired_when_up_is_refused(running_env):
    name, _ = running_env
    ssh_config.remove_entry(name)
    client = docker_client()
    with pytest.raises(Exception, match="already running.*repaired"):
        lifecycle.check_can_start(client, name, force=False, keys=ensure_key_pair())
    assert name in ssh_config.entries()
