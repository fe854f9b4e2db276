"""`envbuild pause` / `envbuild resume`: freeze an environment's processes and thaw them."""

from __future__ import annotations

import typer

from envbuild.errors import EnvbuildError


def _container(name: str, path: str):
    from envbuild.cli.up import env_name_for
    from envbuild.runtime import containers
    from envbuild.runtime.engine import docker_client

    env_name = env_name_for(name, path)
    container = containers.find(docker_client(), env_name)
    if container is None:
        raise EnvbuildError(f"environment {env_name} does not exist", hint="start it with `envbuild up`")
    return env_name, container


def register(app: typer.Typer) -> None:
    @app.command()
    def pause(
        name: str = typer.Option(
            "", "--name", "-n", help="Environment name (default: from the project dir)."
        ),
        path: str = typer.Option(".", "--path", "-p", help="Project directory."),
    ) -> None:
        """Pause a running environment."""
        env_name, container = _container(name, path)
        if container.status == "paused":
            typer.echo(f"environment {env_name} is already paused")
            return
        if container.status != "running":
            raise EnvbuildError(f"environment {env_name} is {container.status}, so it cannot be paused")
        container.pause()
        typer.echo(f"environment {env_name} paused")

    @app.command()
    def resume(
        name: str = typer.Option(
            "", "--name", "-n", help="Environment name (default: from the project dir)."
        ),
        path: str = typer.Option(".", "--path", "-p", help="Project directory."),
    ) -> None:
        """Resume a paused environment."""
        env_name, container = _container(name, path)
        if container.status != "paused":
            typer.echo(f"environment {env_name} is not paused ({container.status})")
            return
        container.unpause()
        typer.echo(f"environment {env_name} resumed")
