"""`envbuild run --image X`: start an environment from an image alone, using the graph in its labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from envbuild.errors import EnvbuildError


def graph_from_image(client, image: str):
    """The graph the compile stage stored in the image's `ai.envbuild.graph` label."""
    from docker.errors import ImageNotFound

    from envbuild.graph import Graph
    from envbuild.runtime import labels

    try:
        found = client.images.get(image)
    except ImageNotFound as err:
        raise EnvbuildError(
            f"image {image} is not in the Docker engine", hint="build it with `envbuild build`, or pull it"
        ) from err
    text = (found.labels or {}).get(labels.GRAPH)
    if not text:
        raise EnvbuildError(
            f"image {image} was not built by envbuild (it has no {labels.GRAPH} label)",
            hint="build it with `envbuild build`",
        )
    return Graph.from_json(text), (found.tags[0] if found.tags else found.id)


def register(app: typer.Typer) -> None:
    @app.command()
    def run(
        image: str = typer.Option(..., "--image", help="An image built by envbuild (dev=True)."),
        path: str = typer.Option(".", "--path", "-p", help="Project directory to mount."),
        name: str = typer.Option("", "--name", help="Environment name (default: from the project dir)."),
        volume: Annotated[
            list[str] | None, typer.Option("--volume", "-v", help="Extra bind mount HOST:CONTAINER[:ro].")
        ] = None,
        detach: bool = typer.Option(False, "--detach", help="Do not attach a shell."),
        force: bool = typer.Option(False, "--force", help="Recreate the environment if it exists."),
        gpus: int = typer.Option(None, "--gpus", help="Number of GPUs."),
        gpu_set: str = typer.Option(
            "", "--gpu-set", help="GPUs as docker --gpus takes them: all, device=0,1."
        ),
        no_gpu: bool = typer.Option(False, "--no-gpu", help="Run without GPUs even for a GPU image."),
        shm_size: int = typer.Option(None, "--shm-size", help="Shared memory in MB (default 2048)."),
        cpus: str = typer.Option("", "--cpus", help="CPU limit, such as 0.5 or 2."),
        cpu_set: str = typer.Option(
            "", "--cpu-set", help="CPUs the environment may use, such as 0-3 or 1,3."
        ),
        memory: str = typer.Option("", "--memory", help="Memory limit, such as 512m or 2g."),
        cap: Annotated[
            list[str] | None,
            typer.Option("--cap", help="Add a Linux capability, e.g. SYS_PTRACE (repeatable)."),
        ] = None,
        restart: str = typer.Option(
            "unless-stopped", "--restart", help="no, always, unless-stopped, on-failure."
        ),
        host: str = typer.Option("127.0.0.1", "--host", help="Host address sshd is published on."),
        ssh_port: int = typer.Option(0, "--ssh-port", help="Host port for ssh (0: any free port)."),
        jupyter_port: int = typer.Option(None, "--jupyter-port", help="Host port for Jupyter."),
        timeout: float = typer.Option(60.0, "--timeout", help="Seconds to wait for sshd."),
    ) -> None:
        """Start an environment from an existing envbuild image; attach with ssh unless --detach."""
        from envbuild.cli.up import (
            attach_or_explain,
            check_project_dir,
            env_name_for,
            print_environment,
            run_options,
            without_unavailable_gpu,
        )
        from envbuild.runtime import lifecycle
        from envbuild.runtime.engine import docker_client
        from envbuild.runtime.keys import ensure_key_pair
        from envbuild.runtime.spec import plan

        project = check_project_dir(Path(path))
        client = docker_client()
        env_name = env_name_for(name, str(project), client)
        graph, image_name = graph_from_image(client, image)
        keys = ensure_key_pair()
        options = run_options(
            env_name,
            image_name,
            project,
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
        spec = without_unavailable_gpu(client, plan(options, graph, public_key=keys.public))
        old = lifecycle.check_can_start(client, env_name, force=force, keys=keys)
        env = lifecycle.start(client, spec, keys, replace=old)
        print_environment(env)
        attach_or_explain(env_name, detach)
