"""`envbuild up`: build the dev image, start its container, wire `ssh <env>.envd`, and attach."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from envbuild.cli import builder_flags, building, project
from envbuild.cli import container_flags as flags
from envbuild.errors import EnvbuildError


def env_name_for(name: str, path: str, client=None) -> str:
    """`--name` when given; else the one environment started from this project dir (so `up --name x` then
    `exec` in the same dir finds x); else the name derived from the project dir, which must exist."""
    from envbuild.runtime.names import resolve_name

    if name:
        return resolve_name(name, Path(path))
    project_path = project.project_dir(path)
    if client is None:
        from envbuild.runtime.engine import docker_client

        client = docker_client()
    from envbuild.runtime.containers import names_for_project

    found = names_for_project(client, project_path)
    return found[0] if len(found) == 1 else resolve_name(None, project_path)


def print_environment(env) -> None:
    typer.echo(f"environment {env.name} is {env.status}")
    typer.echo(f"  ssh      ssh {env.name}.envd  (127.0.0.1:{env.ssh_port})")
    if env.jupyter_url:
        typer.echo(f"  jupyter  {env.jupyter_url}")
    for name, port in sorted(env.ports.items()):
        if name not in ("ssh", "jupyter"):
            typer.echo(f"  {name:<8} 127.0.0.1:{port}")
    typer.echo(f"  project  {env.project_dir} -> {env.workdir}")


def attach_or_explain(name: str, detach: bool) -> None:
    """Open an interactive shell through `ssh <env>.envd` unless detached or without a terminal."""
    from envbuild.runtime import ssh

    if detach:
        return
    if not sys.stdin.isatty():
        typer.echo(f"not a terminal, so not attaching: run `ssh {name}.envd`", err=True)
        return
    code = ssh.run(name, tty=True)
    typer.echo(f"detached; attach again with `ssh {name}.envd`", err=True)
    if code not in (0, 130):
        raise typer.Exit(code)


def without_unavailable_gpu(client, spec):
    """Settle GPUs before anything is built: asked-for GPUs on an engine without the NVIDIA runtime are an
    error now, not after a long build; the GPU a CUDA image gets by default is dropped there with a note."""
    from dataclasses import replace

    from envbuild.runtime.containers import check_gpu_support, has_gpu_support

    if spec.gpu is None or has_gpu_support(client):
        return spec
    if not spec.gpu.optional:
        check_gpu_support(client)
    typer.echo(
        "note: CUDA image, but this Docker engine has no NVIDIA runtime: starting without GPUs", err=True
    )
    return replace(spec, gpu=None)


def register(app: typer.Typer) -> None:
    @app.command()
    def up(
        path: project.ProjectPath = Path("."),
        from_: project.From = project.DEFAULT_FROM,
        tag: str = typer.Option("", "--tag", "-t", help="Image name (default <project>:dev)."),
        name: flags.Name = "",
        volume: flags.Volume = None,
        detach: flags.Detach = False,
        force: flags.UpForce = False,
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
        progress: building.Progress = "auto",
        use_proxy: building.UseProxy = False,
        horust: building.Horust = None,
        history: building.History = False,
        locked: project.Locked = False,
        platform: building.Platform = None,
        no_cache: building.NoCache = False,
        export_cache: building.ExportCache = None,
        import_cache: building.ImportCache = None,
        owner: building.Owner = None,
        ca_bundle: building.CaBundle = None,
        private_key: Annotated[
            Path | None,
            typer.Option("--private-key", "-k", help="Your SSH key for it (with <file>.pub beside it)."),
        ] = None,
        context: builder_flags.ContextName = None,
    ) -> None:
        """Build the environment and start it; attach with ssh unless --detach."""
        from dataclasses import replace

        from envbuild import contexts
        from envbuild.runtime import lifecycle
        from envbuild.runtime.engine import docker_client
        from envbuild.runtime.keys import ensure_key_pair, given_key_pair
        from envbuild.runtime.spec import plan

        build_options = building.build_options(
            progress=progress, platform=platform, no_cache=no_cache, export_cache=export_cache,
            import_cache=import_cache, owner=owner, use_proxy=use_proxy, ca_bundle=ca_bundle, horust=horust,
            history=history,
        )
        keys = given_key_pair(private_key) if private_key is not None else None
        project_path = project.project_dir(path)
        choice = contexts.select(context)
        client = docker_client(choice.context)
        env_name = env_name_for(name, str(project_path), client)
        lock = project.project_lock(project_path, from_, locked=locked)
        graph = project.load_graph(project_path, from_, lock)
        if not graph.base.dev:
            raise EnvbuildError(
                "`envbuild up` runs dev images only, and this build function's base is not one",
                hint="use base(dev=True) in the build function, or `envbuild build` for a non-dev image",
            )
        keys = keys or ensure_key_pair()
        options = flags.container_options(
            env_name,
            "",
            project_path,
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
        with project.located_from_here(graph):
            # every flag (and the GPUs they ask for) checked before the build starts
            spec = without_unavailable_gpu(client, plan(options, graph, public_key=keys.public))
            old = lifecycle.check_can_start(client, env_name, force=force, keys=keys)
            address = builder_flags.prepare(choice).address
            result = building.run_build(
                graph,
                replace(
                    build_options, address=address, tag=tag or None, ssh_public_key=keys.public_text(),
                    lock=lock, on_note=building.note, force=force,
                ),
                progress,
            )
            if result.name is None:
                raise EnvbuildError("the build produced no image to run")
            env = lifecycle.start(client, replace(spec, image=result.name), keys, replace=old)
        print_environment(env)
        attach_or_explain(env_name, detach)
