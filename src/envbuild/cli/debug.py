"""`envbuild debug …`: show what a stage produced, for users and for bug reports.

`debug graph` prints the evaluated graph as JSON (the lang → compile contract); other stages add their own
subcommands to `debug_app` (e.g. `debug llb`).
"""

from __future__ import annotations

from pathlib import Path

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
    path: Path = typer.Option(Path("."), "--path", "-p", help="Project directory (the build context)."),
    from_: str = typer.Option("build.envd:build", "--from", "-f", help="FILE[:FUNCTION] relative to --path."),
) -> None:
    """Evaluate the build file and print its graph as JSON."""
    from envbuild.lang import evaluate

    build_file, function = resolve_build_file(path, from_)
    typer.echo(evaluate(build_file, function, project_dir=path).to_json(), nl=False)


def register(app: typer.Typer) -> None:
    app.add_typer(debug_app, name="debug")
