"""The run plan: names, flags and graph turn into a container spec, bad flags fail before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from envbuild.errors import EnvbuildError, UsageError
from envbuild.graph import (
    Config,
    Cuda,
    EnvVar,
    Expose,
    Graph,
    Jupyter,
    Mount,
    Project,
    Runtime,
    RuntimeCommand,
)
from envbuild.runtime import labels
from envbuild.runtime.names import check_env_name, env_name_from_dir
from envbuild.runtime.spec import GpuRequest, RunOptions, parse_gpu_set, parse_memory, plan


@pytest.mark.parametrize(
    ("dirname", "name"),
    [
        ("my-project", "my-project"),
        ("My Project!", "myproject"),
        ("__x", "x"),
        ("a" * 50, "a" * 30),
        ("proj.v2", "proj.v2"),
    ],
)
def test_env_name_from_dir(tmp_path, dirname, name):
    d = tmp_path / dirname
    d.mkdir()
    assert env_name_from_dir(d) == name
    assert check_env_name(name) == name


def test_env_name_from_unusable_dir(tmp_path):
    d = tmp_path / "ü"
    d.mkdir()
    with pytest.raises(EnvbuildError) as err:
        env_name_from_dir(d)
    assert "--name" in err.value.hint
    with pytest.raises(UsageError, match="--name 'Bad Name'"):
        check_env_name("Bad Name")


def _graph(project: Path) -> Graph:
    return Graph(
        project=Project("proj", str(project)),
        config=Config(jupyter=Jupyter(), gpu=0, shm_size=0),
        runtime=Runtime(
            commands=(RuntimeCommand("hello", "echo hi"),),
            expose=(Expose(envd_port=9000, host_port=0, service="api"),),
            environ=(EnvVar("A", "1"),),
            mounts=(Mount(envd_path="/data", host_path="data"), Mount(envd_path="/ds", data_source="mnist")),
        ),
    )


def test_plan_from_graph(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "extra").mkdir()
    key = tmp_path / "id.pub"
    spec = plan(
        RunOptions("proj", "proj:dev", tmp_path, volumes=("extra:/mnt/extra:ro",), cpus="1.5", memory="2g"),
        _graph(tmp_path),
        public_key=key,
    )
    assert spec.workdir == "/home/envd/proj"
    assert [(p.name, p.container_port) for p in spec.ports] == [
        ("ssh", 2222),
        ("jupyter", 8888),
        ("api", 9000),
    ]
    targets = {m.target: m for m in spec.mounts}
    assert targets["/home/envd/proj"].source == str(tmp_path.resolve())
    assert targets["/var/envd/authorized_keys"].read_only
    assert targets["/data"].source == str(tmp_path.resolve() / "data") and not targets["/data"].create
    assert targets["/ds"].source.endswith("/data/mnist") and targets["/ds"].create
    assert targets["/mnt/extra"].read_only
    env = dict(spec.environment)
    assert env["A"] == "1" and len(env["JUPYTER_TOKEN"]) >= 32 and spec.jupyter_token == env["JUPYTER_TOKEN"]
    assert spec.nano_cpus == 1_500_000_000 and spec.memory == str(2 << 30)
    both = RunOptions("proj", "proj:dev", tmp_path, cpus="1", cpu_set="0-1")
    with pytest.raises(UsageError, match="not both"):
        plan(both, None, public_key=key)
    limited = plan(
        RunOptions("proj", "i", tmp_path, cpu_set="0,1", caps=("CAP_SYS_PTRACE",)), None, public_key=key
    )
    assert limited.cpu_set == "0,1" and limited.caps == ("SYS_PTRACE",)
    assert spec.shm_size_mb == 2048 and spec.gpu is None
    assert dict(spec.labels)[labels.COMMANDS] == '{"hello": "echo hi"}'


@pytest.mark.parametrize(
    ("field", "value", "flag"),
    [
        ("volumes", ("nope",), "--volume"),
        ("volumes", ("/does/not/exist:/x",), "--volume"),
        ("cpus", "lots", "--cpus"),
        ("memory", "2 potatoes", "--memory"),
        ("cpu_set", "first", "--cpu-set"),
        ("caps", ("sys ptrace",), "--cap"),
        ("gpu_set", "some", "--gpu-set"),
        ("restart", "sometimes", "--restart"),
        ("shm_size", 0, "--shm-size"),
        ("ssh_port", 70000, "--ssh-port"),
    ],
)
def test_bad_flags_are_usage_errors(tmp_path, field, value, flag):
    options = RunOptions("proj", "proj:dev", tmp_path, **{field: value})
    with pytest.raises(UsageError) as err:
        plan(options, None, public_key=tmp_path / "k")
    assert err.value.flag == flag


def test_gpu_precedence(tmp_path):
    graph = Graph(project=Project("p", str(tmp_path)), config=Config(gpu=2))
    key = tmp_path / "k"
    assert plan(RunOptions("p", "i", tmp_path), graph, public_key=key).gpu == GpuRequest(count=2)
    assert plan(RunOptions("p", "i", tmp_path, gpus=1), graph, public_key=key).gpu == GpuRequest(count=1)
    assert plan(
        RunOptions("p", "i", tmp_path, gpus=1, gpu_set="all"), graph, public_key=key
    ).gpu == GpuRequest(-1)
    assert plan(RunOptions("p", "i", tmp_path, no_gpu=True), graph, public_key=key).gpu is None
    cuda = Graph(project=Project("p", str(tmp_path)), cuda=Cuda(version="12.1"))
    assert plan(RunOptions("p", "i", tmp_path), cuda, public_key=key).gpu == GpuRequest(1, optional=True)
    assert plan(RunOptions("p", "i", tmp_path, no_gpu=True), cuda, public_key=key).gpu is None
    assert parse_gpu_set('"device=1,3"') == GpuRequest(device_ids=("1", "3"))
    assert parse_memory("512m") == str(512 << 20) and parse_memory("1GiB") == str(1 << 30)


def test_jupyter_token_and_port_choices(tmp_path):
    key = tmp_path / "k"

    def jupyter_plan(jupyter, **options):
        graph = Graph(project=Project("p", str(tmp_path)), config=Config(jupyter=jupyter))
        return plan(RunOptions("p", "i", tmp_path, **options), graph, public_key=key)

    spec = jupyter_plan(Jupyter(token="secret", port=9999))
    assert spec.jupyter_token == "secret" and dict(spec.environment)["JUPYTER_TOKEN"] == "secret"
    assert spec.port("jupyter").host_port == 9999 and not spec.port("jupyter").strict
    assert spec.port("jupyter").container_port == 9999
    open_server = jupyter_plan(Jupyter(token=""))
    assert open_server.jupyter_token == "" and "JUPYTER_TOKEN" not in dict(open_server.environment)
    assert jupyter_plan(Jupyter(), jupyter_port=8000).port("jupyter").strict


def test_missing_runtime_mount_host_path_names_the_build_file_line(tmp_path):
    from envbuild.graph import Location

    graph = Graph(
        project=Project("p", str(tmp_path)),
        runtime=Runtime(
            mounts=(Mount(envd_path="/x", host_path="absent", location=Location("build.envd", 7, 5)),)
        ),
    )
    with pytest.raises(EnvbuildError) as err:
        plan(RunOptions("p", "i", tmp_path), graph, public_key=tmp_path / "k")
    assert "absent" in err.value.message and str(err.value.location) == "build.envd:7:5"
