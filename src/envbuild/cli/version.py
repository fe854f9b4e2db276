"""`envbuild version`."""

from __future__ import annotations

import typer

import envbuild
from envbuild.cli import builder_flags


def register(app: typer.Typer) -> None:
    @app.command()
    def version(
        detail: bool = typer.Option(False, "--detail", help="Also show the builder (and why), engine, ssh."),
        context: builder_flags.ContextName = None,
    ):
        """Print envbuild's version."""
        typer.echo(f"envbuild {envbuild.__version__}")
        if detail:
            import platform

            from envbuild import contexts
            from envbuild.cli.bootstrap import describe_backends

            typer.echo(f"python {platform.python_version()} ({platform.machine()})")
            # a docker-container context is described, not started: asking the version changes nothing
            for line in describe_backends(contexts.select(context)):
                typer.echo(line)
