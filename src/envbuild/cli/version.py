"""`envbuild version`."""

from __future__ import annotations

import typer

import envbuild


def register(app: typer.Typer) -> None:
    @app.command()
    def version(detail: bool = typer.Option(False, "--detail", help="Also show versions.")):
        """Print envbuild's version."""
        typer.echo(f"envbuild {envbuild.__version__}")
        if detail:
            import platform

            typer.echo(f"python {platform.python_version()} ({platform.machine()})")
            from envbuild.cli.bootstrap import describe_backends

            for line in describe_backends():
                typer.echo(line)
