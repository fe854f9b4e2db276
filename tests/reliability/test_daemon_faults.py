"""A Docker engine that dies in the middle: envbuild names the socket, says what to do and leaves nothing.

A second dockerd of the suite's own (tests/support/dockerd.py: own socket, data root and bridge; the shared
engine is never touched) is SIGKILLed while `envbuild build` runs a step, and while an environment is starting
(lifecycle.start, the part of `up` after the build). Issue 13: the first gave `moby-worker://` instead of the
socket, the second `internal error: ConnectionError` (exit 70) and a leftover container.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from envbuild.errors import EnvbuildError
from tests.support.dockerd import SecondDockerd

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SLEEPER = "envbuild-test-faults-sleeper:1"


@pytest.fixture(scope="module")
def daemon():
    second = SecondDockerd("faults", "10.213.78.1/24", containerd_snapshotter=True)
    try:
        second.start()
        second.load_base()
        subprocess.run(
            ["docker", "-H", second.host, "build", "-q", "-t", SLEEPER, "-"],
            input='FROM docker.io/library/debian:bookworm\nCMD ["sleep", "infinity"]\n',
            text=True,
            check=True,
            capture_output=True,
            timeout=300,
        )
        yield second
    finally:
        second.remove()


def _alive(daemon: SecondDockerd) -> None:
    if daemon.proc is None or daemon.proc.poll() is not None:
        daemon.start()


def test_daemon_killed_mid_build_names_the_socket(daemon, tmp_path):
    _alive(daemon)
    project = tmp_path / "faults-build"
    project.mkdir()
    marker = uuid.uuid4().hex[:8]
    (project / "build.envd").write_text(
        "def build():\n"
        '    base(image="docker.io/library/debian:bookworm", dev=False)\n'
        f'    run(commands=["echo {marker}-started && sleep 120"])\n'
    )
    env = {**os.environ, "DOCKER_HOST": daemon.host}
    proc = subprocess.Popen(
        [sys.executable, "-m", "envbuild.cli", "build", "-p", str(project), "--progress", "plain",
         "--output", f"type=local,dest={tmp_path / 'out'}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if f"{marker}-started" in line and "echo" not in line:
            daemon.kill()
            break
    rest = proc.stdout.read()
    proc.wait(timeout=120)
    output = "".join(seen) + rest
    assert proc.returncode == 1, output[-3000:]
    assert str(daemon.sock) in output
    assert "internal error" not in output and "Traceback" not in output


def _environment(daemon: SecondDockerd, tmp_path: Path, name: str):
    import docker

    from envbuild.runtime.keys import ensure_key_pair
    from envbuild.runtime.spec import RunOptions, plan

    keys = ensure_key_pair()
    project = tmp_path / name
    project.mkdir()
    spec = plan(RunOptions(name, SLEEPER, project, timeout=120), None, public_key=keys.public)
    return docker.DockerClient(base_url=daemon.host), spec, keys


def _start_and_kill(daemon, client, spec, keys, *, restart_after: float | None) -> EnvbuildError:
    """lifecycle.start in a thread; SIGKILL the daemon once the container runs (sshd never answers: the
    image only sleeps), optionally bring it back as systemd would."""
    from envbuild.runtime import lifecycle

    errors: list[BaseException] = []

    def run() -> None:
        try:
            lifecycle.start(client, spec, keys)
        except BaseException as err:  # noqa: BLE001 - examined below
            errors.append(err)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = subprocess.run(
            ["docker", "-H", daemon.host, "inspect", "-f", "{{.State.Running}}", spec.name],
            capture_output=True, text=True,
        )  # fmt: skip
        if state.stdout.strip() == "true":
            break
        time.sleep(0.1)
    daemon.kill()
    if restart_after is not None:
        time.sleep(restart_after)
        daemon.start()
    thread.join(timeout=180)
    assert not thread.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], EnvbuildError), errors
    return errors[0]


def test_daemon_killed_while_the_environment_starts_leaves_nothing(daemon, tmp_path, monkeypatch):
    _alive(daemon)
    monkeypatch.setenv("DOCKER_HOST", daemon.host)
    monkeypatch.setenv("ENVBUILD_SSH_CONFIG", str(tmp_path / "ssh_config"))
    name = f"envbuild-test-fault-{uuid.uuid4().hex[:6]}"
    client, spec, keys = _environment(daemon, tmp_path, name)
    err = _start_and_kill(daemon, client, spec, keys, restart_after=1.0)
    assert str(daemon.sock) in err.message and "lost the Docker engine" in err.message
    assert "dockerd" in (err.hint or "")
    left = subprocess.run(["docker", "-H", daemon.host, "inspect", name], capture_output=True)
    assert left.returncode != 0, "the half-started container is still there"
    assert not (tmp_path / "ssh_config").exists() or name not in (tmp_path / "ssh_config").read_text()


def test_daemon_that_stays_down_is_reported_with_what_may_remain(daemon, tmp_path, monkeypatch):
    from envbuild.runtime import lifecycle

    _alive(daemon)
    monkeypatch.setenv("DOCKER_HOST", daemon.host)
    monkeypatch.setenv("ENVBUILD_SSH_CONFIG", str(tmp_path / "ssh_config"))
    name = f"envbuild-test-fault-{uuid.uuid4().hex[:6]}"
    client, spec, keys = _environment(daemon, tmp_path, name)
    err = _start_and_kill(daemon, client, spec, keys, restart_after=None)
    assert str(daemon.sock) in err.message
    assert f"envbuild destroy --name {name}" in (err.hint or "")
    daemon.start()
    status = subprocess.run(
        ["docker", "-H", daemon.host, "inspect", "-f", "{{.State.Status}}", name],
        capture_output=True,
        text=True,
    )
    # no restart policy until the environment was ready: the daemon does not bring it back by itself
    assert status.stdout.strip() != "running"
    import docker

    assert lifecycle.destroy(docker.DockerClient(base_url=daemon.host), name)[0] is True
