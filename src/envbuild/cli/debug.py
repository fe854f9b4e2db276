"""`envbuild debug …`: show what a stage produced, for users and for bug reports.

`debug graph` prints the evaluated graph as JSON (the lang → compile contract); other stages add their own
subcommands to `debug_app` (e.g. `debug llb`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from envbuild.cli import project

debug_app = typer.Typer(help="Show intermediate results: the evaluated graph, the LLB.", no_args_is_help=True)


@debug_app.command("graph")
def graph(
    path: project.ProjectPath = Path("."),
    from_: project.From = project.DEFAULT_FROM,
) -> None:
    """Evaluate the build file and print its graph as JSON (includes at envbuild.lock's commits)."""
    lock = project.project_lock(path, from_)
    typer.echo(project.load_graph(path, from_, lock).to_json(), nl=False)


@debug_app.command("llb")
def llb(
    path: project.ProjectPath = Path("."),
    from_: project.From = project.DEFAULT_FROM,
    dot: Annotated[bool, typer.Option("--dot", help="Print Graphviz dot instead of JSON.")] = False,
    no_merge: Annotated[bool, typer.Option("--no-merge", help="As for a worker without merge ops.")] = False,
    platform: Annotated[str | None, typer.Option("--platform", help="Default: this host's platform.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="UID[:GID] of the dev user.")] = None,
) -> None:
    """Compile the build file and print the LLB (and image config) it becomes; no daemon needed.

    The target is what `envbuild build` would use on this host (platform, owner, CA bundle, Horust, the pins
    of envbuild.lock), but the base image's own config is not resolved here (that needs BuildKit), so
    inherited env and entrypoint are missing from the printed image config; the LLB is otherwise what
    `envbuild build` sends.
    """
    from envbuild import reads
    from envbuild.builder import BuildOptions, pins
    from envbuild.builder.orchestrator import local_target
    from envbuild.cli import noop
    from envbuild.cli.building import check_owner, check_platform
    from envbuild.compile import compile_graph
    from envbuild.compile.dump import dump_dot, snapshot

    said: list[str] = []

    def note(text: str) -> None:
        said.append(noop.note_line(text))
        typer.echo(said[-1], err=True)

    with reads.recording() as seen:  # what a memo of this answer checks (cli/noop.py)
        lock = project.project_lock(path, from_)
        options = BuildOptions(
            platform=check_platform(platform), owner=check_owner(owner), lock=lock, on_note=note
        )
        graph = project.load_graph(path, from_, lock)
        target, _ = local_target(graph, options, merge_diff=not no_merge)
        graph, target = pins.without_builder(graph, target, options)
        with project.located_from_here(graph):
            compiled = compile_graph(graph, target=target)
    text = dump_dot(compiled.definition) if dot else snapshot(compiled)
    typer.echo(text, nl=False)
    if project.evaluates_the_same(graph, lock):
        noop.keep_output(seen, stdout=text, stderr=said)


def register(app: typer.Typer) -> None:
    app.add_typer(debug_app, name="debug")
