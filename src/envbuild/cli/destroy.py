"""`envbuild destroy`: remove an environment's container and ssh entry (the image stays for the next up)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    @app.command("down", hidden=True)  # envd's alias
    def destroy(
        name: str = typer.Option(
            "", "--name", "-n", help="Environment name (default: from the project dir)."
        ),
        path: str = typer.Option(".", "--path", "-p", help="Project directory."),
    ) -> None:
        """Remove the environment's container and its `<env>.envd` ssh entry."""
        from envbuild.cli.up import env_name_for
        from envbuild.runtime import lifecycle
        from envbuild.runtime.engine import docker_client

        env_name = env_name_for(name, path)
        removed_container, removed_entry = lifecycle.destroy(docker_client(), env_name)
        if not removed_container and not removed_entry:
            typer.echo(f"environment {env_name} does not exist; nothing to do")
            return
        parts = (["container"] if removed_container else []) + (["ssh entry"] if removed_entry else [])
        typer.echo(f"environment {env_name} destroyed ({' and '.join(parts)} removed)")
