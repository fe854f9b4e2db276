"""`envbuild debug …`: show what a stage produced, for users and for bug reports.

`debug graph` prints the evaluated graph as JSON (the lang → compile contract); other stages add their own
subcommands to `debug_app` (e.g. `debug llb`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from envbuild.errors import UsageError

debug_app = typer.Typer(help="Show intermediate results: the evaluated graph, the LLB.", no_args_is_help=True)


def resolve_build_file(path: Path, from_: str) -> tuple[Path, str]:
    """`--path` + `--from FILE:FUNC` → the build file and function, with envd's defaults."""
    from envbuild.lang import parse_from

    if not path.is_dir():
        raise UsageError("--path", str(path), "a project directory that exists")
    file, function = parse_from(from_)
    build_file = path / file
    if not build_file.is_file():
        raise UsageError("--from", from_, f"a build file that exists ({build_file} does not)")
    return build_file, function


@debug_app.command("graph")
def graph(
    path: Annotated[Path, typer.Option("--path", "-p", help="Project directory (context).")] = Path("."),
    from_: Annotated[str, typer.Option("--from", "-f", help="FILE[:FUNCTION] relative to --path.")] = (
        "build.envd:build"
    ),
) -> None:
    """Evaluate the build file and print its graph as JSON."""
    from envbuild.lang import evaluate

    build_file, function = resolve_build_file(path, from_)
    typer.echo(evaluate(build_file, function, project_dir=path).to_json(), nl=False)


@debug_app.command("llb")
def llb(
    path: Annotated[Path, typer.Option("--path", "-p", help="Project directory.")] = Path("."),
    from_: Annotated[str, typer.Option("--from", "-f", help="FILE[:FUNCTION]")] = "build.envd:build",
    dot: Annotated[bool, typer.Option("--dot", help="Print Graphviz dot instead of JSON.")] = False,
    no_merge: Annotated[bool, typer.Option("--no-merge", help="As for a worker without merge ops.")] = False,
    platform: Annotated[str, typer.Option("--platform", help="Target platform.")] = "linux/amd64",
) -> None:
    """Compile the build file and print the LLB (and image config) it becomes; no daemon needed.

    The base image's own config is not resolved here (that needs BuildKit), so inherited env and
    entrypoint are missing from the printed image config; the LLB is otherwise what `envbuild build` sends.
    """
    from envbuild.cli.build import check_platform
    from envbuild.compile import BuildTarget, compile_graph
    from envbuild.compile.dump import dump_dot, snapshot
    from envbuild.lang import evaluate

    check_platform(platform)
    build_file, function = resolve_build_file(path, from_)
    graph = evaluate(build_file, function, project_dir=path)
    target = BuildTarget(platform=platform, merge_diff=not no_merge, ca_bundle=True)
    compiled = compile_graph(graph, target=target)
    typer.echo(dump_dot(compiled.definition) if dot else snapshot(compiled), nl=False)


def register(app: typer.Typer) -> None:
    app.add_typer(debug_app, name="debug")
