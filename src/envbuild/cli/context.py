"""`envbuild context create|ls|use|rm`: pick the BuildKit builder."""

from __future__ import annotations

import typer

from envbuild import contexts
from envbuild.cli import builder_flags as bflags
from envbuild.cli.output import emit
from envbuild.errors import UsageError

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
    tlscacert: bflags.TlsCaCert = "",
    tlscert: bflags.TlsCert = "",
    tlskey: bflags.TlsKey = "",
    tlsservername: bflags.TlsServerName = "",
    builder_image: bflags.BuilderImage = "",
    buildkitd_config: bflags.BuildkitdConfig = None,
    buildkitd_flags: bflags.BuildkitdFlags = "",
) -> None:
    """Create a context; for docker-container, also create and start its BuildKit container if missing."""
    settings = contexts.BuilderSettings(
        tls_ca_cert=tlscacert,
        tls_cert=tlscert,
        tls_key=tlskey,
        tls_server_name=tlsservername,
        builder_image=builder_image,
        buildkitd_config=str(buildkitd_config or ""),
        buildkitd_flags=buildkitd_flags,
    )
    ctx = contexts.new(name, builder, builder_address, settings)
    if ctx.builder == "docker-container":  # the container first: no context is saved for a builder that fails
        from envbuild.runtime import buildkit_container

        spec = buildkit_container.spec_for(ctx)
        state = buildkit_container.ensure(spec)
        typer.echo(f"BuildKit container {spec.name} {state} ({spec.image})")
    ctx = contexts.add(ctx, use=use)
    typer.echo(f"context {ctx.name} created ({ctx.address})")
    if use:
        typer.echo(f"current context is {ctx.name}")


@context_app.command("ls")
def ls(fmt: str = typer.Option("table", "--format", help="table or json.")) -> None:
    """List contexts; the current one is marked."""
    store = contexts.load()
    rows = [{**c.to_dict(), "address": c.address, "current": c.name == store.current} for c in store.contexts]
    emit(rows, ("name", "builder", "address", "current"), fmt)


@context_app.command("use")
def use(name: str = typer.Argument(..., help="Context to make current.")) -> None:
    """Make a context the current one."""
    contexts.use(name)
    typer.echo(f"current context is {name}")


@context_app.command("rm")
def rm(
    name: str = typer.Argument(..., help="Context to remove (not the current one)."),
    remove_container: bool = typer.Option(
        False, "--remove-container", help="docker-container: also remove its BuildKit container and cache."
    ),
) -> None:
    """Remove a context (and, if asked, the BuildKit container envbuild made for it)."""
    from envbuild.runtime import buildkit_container

    ctx = contexts.get(name)
    if remove_container:  # checked before anything is removed
        if ctx.builder != "docker-container":
            raise UsageError(
                "--remove-container", True, f"only for docker-container contexts ({name} is {ctx.builder})"
            )
        buildkit_container.check_removable(ctx.container_name)
    contexts.remove(name)
    typer.echo(f"context {name} removed")
    if remove_container:
        gone = buildkit_container.remove(ctx.container_name)
        typer.echo(f"BuildKit container {ctx.container_name} " + ("removed" if gone else "did not exist"))


def register(app: typer.Typer) -> None:
    app.add_typer(context_app, name="context")
