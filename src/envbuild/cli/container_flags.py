"""The container flags `up` and `run` share, declared once.

Both commands start the same kind of container, so they take the same flags with the same help; each alias
here is one flag, and `container_options` turns their values into the runtime's `RunOptions`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Name = Annotated[str, typer.Option("--name", "-n", help="Environment name (default: from the project dir).")]
Volume = Annotated[
    list[str] | None,
    typer.Option("--volume", "-v", metavar="HOST:CONTAINER[:ro]", help="Extra bind mount (repeatable)."),
]
Detach = Annotated[bool, typer.Option("--detach", help="Do not attach a shell.")]
Force = Annotated[bool, typer.Option("--force", help="Recreate the environment if it exists.")]
UpForce = Annotated[  # `up` builds too: envd's `up --force` rebuilds and recreates
    bool, typer.Option("--force", help="Rebuild even if the image is up to date; recreate the environment.")
]
Gpus = Annotated[int | None, typer.Option("--gpus", help="Number of GPUs (overrides config.gpu).")]
GpuSet = Annotated[str, typer.Option("--gpu-set", help="GPUs as docker --gpus takes them: all, device=0,1.")]
NoGpu = Annotated[bool, typer.Option("--no-gpu", help="Run without GPUs even for a GPU image.")]
ShmSize = Annotated[int | None, typer.Option("--shm-size", help="Shared memory in MB (default 2048).")]
Cpus = Annotated[str, typer.Option("--cpus", help="CPU limit, such as 0.5 or 2.")]
CpuSet = Annotated[str, typer.Option("--cpu-set", help="CPUs the environment may use, such as 0-3 or 1,3.")]
Memory = Annotated[str, typer.Option("--memory", help="Memory limit, such as 512m or 2g.")]
Cap = Annotated[
    list[str] | None,
    typer.Option("--cap", metavar="CAP", help="Add a Linux capability, e.g. SYS_PTRACE (repeatable)."),
]
Restart = Annotated[str, typer.Option("--restart", help="no, always, unless-stopped, on-failure.")]
Host = Annotated[str, typer.Option("--host", help="Host address sshd is published on.")]
SshPort = Annotated[int, typer.Option("--ssh-port", help="Host port for ssh (0: any free port).")]
JupyterPort = Annotated[int | None, typer.Option("--jupyter-port", help="Host port for Jupyter.")]
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds to wait for sshd.")]


def container_options(
    name: str,
    image: str,
    project_dir: Path,
    *,
    volume: list[str] | None,
    gpus: int | None,
    gpu_set: str,
    no_gpu: bool,
    shm_size: int | None,
    cpus: str,
    cpu_set: str,
    memory: str,
    cap: list[str] | None,
    restart: str,
    host: str,
    ssh_port: int,
    jupyter_port: int | None,
    timeout: float,
):
    """The runtime's `RunOptions` from the shared flags' values."""
    from envbuild.runtime.spec import RunOptions

    return RunOptions(
        name=name,
        image=image,
        project_dir=project_dir,
        volumes=tuple(volume or ()),
        gpus=gpus,
        gpu_set=gpu_set,
        no_gpu=no_gpu,
        shm_size=shm_size,
        cpus=cpus,
        cpu_set=cpu_set,
        memory=memory,
        caps=tuple(cap or ()),
        restart=restart,
        host=host,
        ssh_port=ssh_port,
        jupyter_port=jupyter_port,
        timeout=timeout,
    )
