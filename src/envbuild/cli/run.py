"""`envbuild run --image X`: start an environment from an image alone, using the graph in its labels."""

from __future__ import annotations

import typer

from envbuild.cli import container_flags as flags
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
        name: flags.Name = "",
        volume: flags.Volume = None,
        detach: flags.Detach = False,
        force: flags.Force = False,
        gpus: flags.Gpus = None,
        gpu_set: flags.GpuSet = "",
        no_gpu: flags.NoGpu = False,
        shm_size: flags.ShmSize = None,
        cpus: flags.Cpus = "",
        cpu_set: flags.CpuSet = "",
        memory: flags.Memory = "",
        cap: flags.Cap = None,
        restart: flags.Restart = "unless-stopped",
        host: flags.Host = "127.0.0.1",
        ssh_port: flags.SshPort = 0,
        jupyter_port: flags.JupyterPort = None,
        timeout: flags.Timeout = 60.0,
    ) -> None:
        """Start an environment from an existing envbuild image; attach with ssh unless --detach."""
        from envbuild.cli.project import project_dir
        from envbuild.cli.up import (
            attach_or_explain,
            env_name_for,
            print_environment,
            without_unavailable_gpu,
        )
        from envbuild.runtime import lifecycle
        from envbuild.runtime.engine import docker_client
        from envbuild.runtime.keys import ensure_key_pair
        from envbuild.runtime.spec import plan

        project = project_dir(path)
        client = docker_client()
        env_name = env_name_for(name, str(project), client)
        graph, image_name = graph_from_image(client, image)
        keys = ensure_key_pair()
        options = flags.container_options(
            env_name,
            image_name,
            project,
            volume=volume,
            gpus=gpus,
            gpu_set=gpu_set,
            no_gpu=no_gpu,
            shm_size=shm_size,
            cpus=cpus,
            cpu_set=cpu_set,
            memory=memory,
            cap=cap,
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
