"""`envbuild envs ls|describe`: the environments on this Docker engine."""

from __future__ import annotations

import typer

from envbuild.cli.output import check_format, emit, emit_object
from envbuild.errors import EnvbuildError

envs_app = typer.Typer(help="List and describe environments.", no_args_is_help=True)


@envs_app.command("ls")
@envs_app.command("list", hidden=True)  # envd's spelling
def ls(fmt: str = typer.Option("table", "--format", help="table or json.")) -> None:
    """List environments."""
    from envbuild.runtime import containers
    from envbuild.runtime.engine import docker_client

    check_format(fmt)
    rows = [e.to_dict() for e in containers.list_environments(docker_client())]
    emit(rows, ("name", "status", "ssh", "jupyter", "image", "project_dir"), fmt)


@envs_app.command("describe")
def describe(
    name: str = typer.Option("", "--name", "-n", help="Environment name (default: from the project dir)."),
    path: str = typer.Option(".", "--path", "-p", help="Project directory."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Show an environment: ports, mounts, commands, packages."""
    from envbuild.cli.up import env_name_for
    from envbuild.graph import Graph
    from envbuild.runtime import containers, labels
    from envbuild.runtime.engine import docker_client

    check_format(fmt)
    env_name = env_name_for(name, path)
    container = containers.find(docker_client(), env_name)
    if container is None:
        raise EnvbuildError(
            f"environment {env_name} does not exist", hint="list them with `envbuild envs ls`"
        )
    record = containers.environment_from_container(container).to_dict()
    record["commands"] = containers.environment_from_container(container).commands
    record["mounts"] = [
        f"{m['Source']} -> {m['Destination']}{' (ro)' if not m.get('RW', True) else ''}"
        for m in container.attrs.get("Mounts", [])
    ]
    graph_text = (container.labels or {}).get(labels.GRAPH)
    if graph_text:
        record.update(graph_summary(Graph.from_json(graph_text)))
    emit_object(record, fmt)


def graph_summary(graph) -> dict[str, object]:
    """What a person wants to know about an environment's contents, from its graph."""
    return {
        "base": graph.base.image,
        "languages": [f"{lang.name} {lang.version or ''}".strip() for lang in graph.languages],
        "apt_packages": [n for p in graph.packages.apt for n in p.names],
        "python_packages": [n for p in graph.packages.python for n in p.names]
        + [f"-r {p.requirements}" for p in graph.packages.python if p.requirements],
        "cuda": graph.cuda.version if graph.cuda else None,
    }


def register(app: typer.Typer) -> None:
    app.add_typer(envs_app, name="envs")
    app.add_typer(envs_app, name="env", hidden=True)  # envd's alias
