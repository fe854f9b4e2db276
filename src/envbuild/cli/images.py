"""`envbuild images ls|describe|rm`: images built by envbuild (those carrying the graph label)."""

from __future__ import annotations

import typer

from envbuild.cli.output import check_format, emit, emit_object
from envbuild.errors import EnvbuildError

images_app = typer.Typer(help="List, describe and remove envbuild images.", no_args_is_help=True)


def _record(image) -> dict[str, object]:
    from envbuild.graph import Graph
    from envbuild.runtime import labels

    text = (image.labels or {}).get(labels.GRAPH)
    graph = Graph.from_json(text) if text else None
    return {
        "name": image.tags[0] if image.tags else None,
        "tags": image.tags,
        "id": image.short_id.removeprefix("sha256:"),
        "created": image.attrs.get("Created", ""),
        "size_mb": round((image.attrs.get("Size") or 0) / 1e6, 1),
        "project": graph.project.name if graph else None,
        "dev": graph.base.dev if graph else None,
        "gpu": bool(graph and graph.cuda),
    }


def _get(client, name: str):
    from docker.errors import ImageNotFound

    from envbuild.runtime import labels

    try:
        image = client.images.get(name)
    except ImageNotFound as err:
        raise EnvbuildError(
            f"image {name} does not exist", hint="list them with `envbuild images ls`"
        ) from err
    if labels.GRAPH not in (image.labels or {}):
        raise EnvbuildError(f"image {name} was not built by envbuild", hint="use docker to manage it")
    return image


@images_app.command("ls")
@images_app.command("list", hidden=True)  # envd's spelling
def ls(fmt: str = typer.Option("table", "--format", help="table or json.")) -> None:
    """List envbuild images."""
    from envbuild.runtime import labels
    from envbuild.runtime.engine import docker_client

    check_format(fmt)
    found = docker_client().images.list(filters={"label": labels.GRAPH})
    rows = sorted((_record(i) for i in found), key=lambda r: str(r["name"]))
    emit(rows, ("name", "id", "project", "dev", "gpu", "size_mb", "created"), fmt, times=("created",))


@images_app.command("describe")
def describe(
    name: str = typer.Argument(..., help="Image name."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Show an image's environment: base, languages, packages, and the envbuild.lock it was built from."""
    from envbuild.cli.envs import graph_summary
    from envbuild.graph import Graph
    from envbuild.runtime import labels
    from envbuild.runtime.engine import docker_client

    check_format(fmt)
    image = _get(docker_client(), name)
    record = _record(image)
    record.update(graph_summary(Graph.from_json(image.labels[labels.GRAPH])))
    record["lock"] = image.labels.get(labels.LOCK)  # None: not built from an envbuild.lock
    emit_object(record, fmt)


@images_app.command("rm")
def rm(
    name: str = typer.Argument(..., help="Image name."),
    force: bool = typer.Option(False, "--force", help="Remove even if a stopped container uses it."),
) -> None:
    """Remove an envbuild image (not while an environment uses it)."""
    from docker.errors import APIError

    from envbuild.runtime.engine import docker_client

    client = docker_client()
    image = _get(client, name)
    try:
        client.images.remove(name, force=force)
    except APIError as err:
        raise EnvbuildError(
            f"cannot remove image {name}: {err.explanation or err}",
            hint="destroy the environments that use it first (`envbuild envs ls`)",
        ) from err
    typer.echo(f"image {name} removed ({image.short_id})")


def register(app: typer.Typer) -> None:
    app.add_typer(images_app, name="images")
    app.add_typer(images_app, name="image", hidden=True)  # envd's alias
