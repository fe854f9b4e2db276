"""A builder that cannot be reached fails in one sentence that says what to do, never with a traceback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys

import pytest

from envbuild.buildkit import AddressError, UnreachableError, connect


def test_missing_buildkitd_socket(tmp_path):
    with pytest.raises(UnreachableError) as info:
        connect(f"unix://{tmp_path}/buildkitd.sock")
    assert "no buildkitd socket" in info.value.message
    assert info.value.hint


def test_missing_docker_socket(tmp_path):
    with pytest.raises(UnreachableError) as info:
        connect(f"moby-worker://{tmp_path}/docker.sock")
    assert "Docker engine does not answer" in info.value.message
    assert "dockerd" in info.value.hint


def test_socket_nobody_listens_on(tmp_path):
    path = tmp_path / "dead.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.close()  # bound but never listening: connections are refused
    with pytest.raises(UnreachableError, match="does not answer"):
        connect(f"unix://{path}")


def test_closed_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(UnreachableError, match=f"tcp://127.0.0.1:{port}"):
        connect(f"tcp://127.0.0.1:{port}")


def test_wrong_scheme():
    with pytest.raises(AddressError, match="not supported"):
        connect("http://localhost:1234")


def test_missing_container():
    if shutil.which("docker") is None:
        pytest.skip("no docker CLI")
    with pytest.raises(UnreachableError, match="does not exist"):
        connect("docker-container://envbuild-test-no-such-container")


@pytest.mark.docker
def test_permission_denied_on_the_docker_socket():
    """Run as `nobody`, who is not in the docker group, against the real socket."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to become another user")
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c"]
    env = {**os.environ, "HOME": "/tmp"}
    probe = subprocess.run([*as_nobody, "import envbuild.buildkit"], capture_output=True, env=env, timeout=60)
    if probe.returncode != 0:
        pytest.skip("user nobody cannot read this checkout or its virtualenv")
    code = (
        "from envbuild.buildkit import connect, PermissionDeniedError\n"
        "try:\n    connect('moby-worker:///var/run/docker.sock')\n"
        "except PermissionDeniedError as e:\n    print(e.render())\n"
    )
    out = subprocess.run([*as_nobody, code], capture_output=True, text=True, timeout=60, env=env)
    assert "permission denied opening the Docker socket /var/run/docker.sock" in out.stdout, out.stderr
    assert "docker group" in out.stdout


@pytest.mark.docker
def test_a_container_without_buildctl_is_not_a_builder():
    name = f"envbuild-test-nobuildctl-{os.getpid()}"
    subprocess.run(
        ["docker", "run", "-d", "--name", name, "docker.io/library/debian:bookworm", "sleep", "60"],
        check=True,
        capture_output=True,
    )
    try:
        with pytest.raises(UnreachableError, match="has no working buildctl"):
            connect(f"docker-container://{name}")
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
