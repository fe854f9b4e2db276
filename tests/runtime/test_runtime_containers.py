"""Containers and ssh on the real dockerd, with the sshd test image (see conftest.py)."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

from envbuild.errors import EnvbuildError
from envbuild.runtime import containers, labels, lifecycle, ssh_config
from envbuild.runtime.engine import docker_client
from envbuild.runtime.keys import ensure_key_pair
from envbuild.runtime.spec import RunOptions, plan

pytestmark = pytest.mark.docker


@pytest.fixture
def env_name():
    name = f"envbuild-test-rt-{uuid.uuid4().hex[:6]}"
    yield name
    client = docker_client()
    leftover = containers.find(client, name)
    if leftover is not None:
        containers.remove(leftover)


def _ssh(config, name, *command):
    return subprocess.run(
        ["ssh", "-F", str(config), f"{name}.envd", *command],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_start_ssh_login_project_dir_and_destroy(sshd_image, env_name, tmp_path, _isolated_ssh_config):
    client = docker_client()
    keys = ensure_key_pair()
    project = tmp_path / env_name
    project.mkdir()
    options = RunOptions(env_name, sshd_image, project, cpu_set="0", memory="512m", caps=("SYS_PTRACE",))
    env = lifecycle.start(client, plan(options, None, public_key=keys.public), keys)
    assert env.running and env.ssh_port and env.name == env_name
    host_config = client.containers.get(env_name).attrs["HostConfig"]
    assert host_config["CpusetCpus"] == "0" and host_config["Memory"] == 512 << 20
    assert host_config["ShmSize"] == 2048 << 20 and "SYS_PTRACE" in str(host_config["CapAdd"])
    assert host_config["RestartPolicy"]["Name"] == "unless-stopped"
    assert host_config["PortBindings"]["2222/tcp"][0]["HostIp"] == "127.0.0.1"
    assert ssh_config.entries()[env_name].port == env.ssh_port

    out = _ssh(_isolated_ssh_config, env_name, "id -u; pwd; touch", f"/home/envd/{env_name}/from-inside")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == str(os.getuid())
    assert (project / "from-inside").exists()
    assert _ssh(_isolated_ssh_config, env_name, "exit 7").returncode == 7

    listed = {e.name: e for e in containers.list_environments(client)}
    assert listed[env_name].project_dir == str(project.resolve())

    with pytest.raises(EnvbuildError, match="already running"):
        lifecycle.check_can_start(client, env_name, force=False)
    assert lifecycle.check_can_start(client, env_name, force=True) is not None

    assert lifecycle.destroy(client, env_name) == (True, True)
    assert containers.find(client, env_name) is None
    assert env_name not in ssh_config.entries()
    assert lifecycle.destroy(client, env_name) == (False, False)


def test_a_container_just_created_by_another_up_is_not_taken_for_a_leftover(
    docker_engine, env_name, monkeypatch
):
    """Between another `up`'s create and start the container is "created": removing it as a leftover made
    that `up` fail with Docker's "No such container" (the concurrent-ups test caught it)."""
    client = docker_client()
    client.containers.create(
        "docker.io/library/debian:bookworm", name=env_name, labels={labels.ENVIRONMENT: env_name}
    )
    with pytest.raises(EnvbuildError, match="created meanwhile by another `envbuild up`"):
        lifecycle.check_can_start(client, env_name, force=False)
    assert lifecycle.check_can_start(client, env_name, force=True) is not None
    monkeypatch.setattr(lifecycle, "STARTING_SECONDS", 0.0)  # as an hour later: a leftover to replace
    assert lifecycle.check_can_start(client, env_name, force=False) is not None


def test_a_container_removed_while_it_starts_is_said_so(sshd_image, env_name, tmp_path, monkeypatch):
    """`destroy` or an `up --force` of the same name removes the container while this `up` waits for sshd:
    a sentence saying so, no ssh entry, not the engine's bare 404."""
    client = docker_client()
    keys = ensure_key_pair()
    wait = containers.wait_for_sshd

    def removed_first(container, port, **kwargs):
        client.containers.get(container.id).remove(force=True)  # the other command, at this moment
        wait(container, port, **kwargs)

    monkeypatch.setattr(containers, "wait_for_sshd", removed_first)
    spec = plan(RunOptions(env_name, sshd_image, tmp_path), None, public_key=keys.public)
    with pytest.raises(EnvbuildError, match="removed meanwhile, while it was starting"):
        lifecycle.start(client, spec, keys)
    assert env_name not in ssh_config.entries()


def test_container_that_exits_is_removed_with_its_logs_shown(docker_engine, env_name, tmp_path):
    client = docker_client()
    keys = ensure_key_pair()
    spec = plan(
        RunOptions(env_name, "docker.io/library/debian:bookworm", tmp_path, timeout=20),
        None,
        public_key=keys.public,
    )
    with pytest.raises(containers.StartError) as err:
        lifecycle.start(client, spec, keys)
    assert "stopped while starting" in err.value.message and "log lines" in err.value.hint
    assert containers.find(client, env_name) is None
    assert env_name not in ssh_config.entries()


def test_interrupt_while_waiting_leaves_nothing(sshd_image, env_name, tmp_path, monkeypatch):
    """Ctrl-C is simulated by raising KeyboardInterrupt where the real one lands: in the wait for sshd."""
    client = docker_client()
    keys = ensure_key_pair()
    spec = plan(RunOptions(env_name, sshd_image, tmp_path), None, public_key=keys.public)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(containers, "wait_for_sshd", interrupted)
    with pytest.raises(KeyboardInterrupt):
        lifecycle.start(client, spec, keys)
    assert containers.find(client, env_name) is None
    assert env_name not in ssh_config.entries()


def test_missing_image_and_missing_gpu_runtime_are_clear(docker_engine, env_name, tmp_path):
    client = docker_client()
    keys = ensure_key_pair()
    spec = plan(
        RunOptions(env_name, "envbuild-test-no-such-image:dev", tmp_path), None, public_key=keys.public
    )
    with pytest.raises(EnvbuildError, match="not in the Docker engine"):
        lifecycle.start(client, spec, keys)
    if "nvidia" in (client.info().get("Runtimes") or {}):
        pytest.skip("this engine has the NVIDIA runtime")
    spec = plan(RunOptions(env_name, "x", tmp_path, gpus=1), None, public_key=keys.public)
    with pytest.raises(EnvbuildError, match="NVIDIA container runtime") as err:
        lifecycle.start(client, spec, keys)
    assert "--no-gpu" in err.value.hint
    assert containers.find(client, env_name) is None


def test_cuda_image_runs_without_gpu_where_the_engine_has_none(docker_engine, tmp_path):
    from envbuild.cli.up import without_unavailable_gpu
    from envbuild.graph import Cuda, Graph, Project

    client = docker_client()
    if containers.has_gpu_support(client):
        pytest.skip("this engine has the NVIDIA runtime")
    graph = Graph(project=Project("p", str(tmp_path)), cuda=Cuda(version="12.1"))
    spec = plan(RunOptions("p", "i", tmp_path), graph, public_key=tmp_path / "k")
    assert spec.gpu is not None and spec.gpu.optional
    assert without_unavailable_gpu(client, spec).gpu is None
    asked = plan(RunOptions("p", "i", tmp_path, gpus=1), graph, public_key=tmp_path / "k")
    with pytest.raises(EnvbuildError, match="NVIDIA"):  # asked-for GPUs fail loudly, before any build
        without_unavailable_gpu(client, asked)
