"""`envbuild version`. Importing this module loads no typer: a bare `envbuild version` prints
`version_line()` without building the CLI (cli/app.py).

No `from __future__ import annotations` here: the command's annotations are evaluated where it is defined,
inside `register`, which is where typer and the flags are imported.
"""

from typing import TYPE_CHECKING

import envbuild

if TYPE_CHECKING:
    import typer


def version_line() -> str:
    return f"envbuild {envbuild.__version__}"


def register(app: "typer.Typer") -> None:
    import typer

    from envbuild.cli import builder_flags

    @app.command()
    def version(
        detail: bool = typer.Option(False, "--detail", help="Also show the builder (and why), engine, ssh."),
        context: builder_flags.ContextName = None,
    ):
        """Print envbuild's version."""
        typer.echo(version_line())
        if detail:
            import platform

            from envbuild import contexts
            from envbuild.cli.bootstrap import describe_backends

            typer.echo(f"python {platform.python_version()} ({platform.machine()})")
            # a docker-container context is described, not started: asking the version changes nothing
            for line in describe_backends(contexts.select(context)):
                typer.echo(line)
