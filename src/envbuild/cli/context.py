"""`envbuild context create|ls|use|rm`: pick the BuildKit builder (imports happen inside each command)."""

from __future__ import annotations

import typer

context_app = typer.Typer(help="Manage contexts: which BuildKit builder envbuild uses.", no_args_is_help=True)


@context_app.command("create")
def create(
    name: str = typer.Option(..., "--name", help="Name of the context."),
    builder: str = typer.Option(
        "moby-worker", "--builder", help="moby-worker (or moby), docker-container, unix or tcp."
    ),
    builder_address: str = typer.Option(
        "", "--builder-address", help="Socket path, host:port or container name, depending on --builder."
    ),
    use: bool = typer.Option(False, "--use", help="Make it the current context."),
) -> None:
    """Create a context."""
    from envbuild import contexts

    ctx = contexts.create(name, builder, builder_address, use=use)
    typer.echo(f"context {ctx.name} created ({ctx.address})")
    if use:
        typer.echo(f"current context is {ctx.name}")


@context_app.command("ls")
def ls(fmt: str = typer.Option("table", "--format", help="table or json.")) -> None:
    """List contexts; the current one is marked."""
    from envbuild import contexts
    from envbuild.cli.output import emit

    store = contexts.load()
    rows = [{**c.to_dict(), "address": c.address, "current": c.name == store.current} for c in store.contexts]
    emit(rows, ("name", "builder", "address", "current"), fmt)


@context_app.command("use")
def use(name: str = typer.Argument(..., help="Context to make current.")) -> None:
    """Make a context the current one."""
    from envbuild import contexts

    contexts.use(name)
    typer.echo(f"current context is {name}")


@context_app.command("rm")
def rm(name: str = typer.Argument(..., help="Context to remove (not the current one).")) -> None:
    """Remove a context."""
    from envbuild import contexts

    contexts.remove(name)
    typer.echo(f"context {name} removed")


def register(app: typer.Typer) -> None:
    app.add_typer(context_app, name="context")
