"""`envbuild init`: write a first build.envd from what the project dir already declares.

requirements.txt → pip packages from it; environment.yml → conda with that env file; pyproject.toml → its
`[project]` dependencies and Python version. It asks only when a person is at a terminal (the Python version);
in scripts and CI it takes the defaults and never waits for input.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import typer

from envbuild.errors import EnvbuildError, UsageError

DEFAULT_PYTHON = "3.11"
DEFAULT_BASE = "ubuntu:22.04"
_VERSION = re.compile(r"^3\.\d{1,2}$")


def python_from_pyproject(data: dict) -> str | None:
    """The lowest 3.x that `requires-python` allows, as `>=3.10` or `~=3.10` write it."""
    spec = (data.get("project") or {}).get("requires-python") or ""
    match = re.search(r"(?:>=|~=|==)\s*(3\.\d{1,2})", spec)
    return match.group(1) if match else None


def render(project_dir: Path, *, base: str, python: str, jupyter: bool) -> tuple[str, list[str]]:
    """The build file text and the files it was made from."""
    used: list[str] = []
    lines = [f'    base(image="{base}", dev=True)']
    if (project_dir / "environment.yml").is_file() or (project_dir / "environment.yaml").is_file():
        env_file = "environment.yml" if (project_dir / "environment.yml").is_file() else "environment.yaml"
        used.append(env_file)
        lines += [
            "    install.conda()",
            f'    install.python(version="{python}")',
            f'    install.conda_packages(env_file="{env_file}")',
        ]
    else:
        lines.append(f'    install.python(version="{python}")')
    if (project_dir / "requirements.txt").is_file():
        used.append("requirements.txt")
        lines.append('    install.python_packages(requirements="requirements.txt")')
    pyproject = project_dir / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text())
        except tomllib.TOMLDecodeError as err:
            raise EnvbuildError(f"{pyproject} is not valid TOML: {err}") from err
        deps = [str(d) for d in (data.get("project") or {}).get("dependencies") or ()]
        if deps:
            used.append("pyproject.toml")
            names = ", ".join(_starlark_string(d) for d in deps)
            lines.append(f"    install.python_packages(name=[{names}])")
    lines.append('    shell("bash")')
    if jupyter:
        lines.append("    config.jupyter()")
    source = ", ".join(used) if used else "nothing in the project dir"
    header = [
        "# syntax=v1",
        f"# Written by `envbuild init` from {source}; edit it freely.",
        "",
        "",
        "def build():",
    ]
    return "\n".join(header + lines) + "\n", used


def _starlark_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def register(app: typer.Typer) -> None:
    @app.command()
    def init(
        path: str = typer.Option(".", "--path", "-p", help="Project directory."),
        python: str = typer.Option("", "--python", help="Python version (default: pyproject's, else 3.11)."),
        base: str = typer.Option(DEFAULT_BASE, "--base", help="Base image."),
        jupyter: bool = typer.Option(
            True, "--jupyter/--no-jupyter", help="Start Jupyter in the environment."
        ),
        force: bool = typer.Option(False, "--force", help="Overwrite an existing build.envd."),
    ) -> None:
        """Write build.envd from requirements.txt, environment.yml or pyproject.toml."""
        project = Path(path)
        if not project.is_dir():
            raise UsageError("--path", path, "a project directory that exists")
        target = project / "build.envd"
        if target.exists() and not force:
            raise EnvbuildError(f"{target} already exists", hint="pass --force to overwrite it")
        if python and not _VERSION.match(python):
            raise UsageError("--python", python, "a version such as 3.11")
        if not python:
            pyproject = project / "pyproject.toml"
            found = (
                python_from_pyproject(tomllib.loads(pyproject.read_text())) if pyproject.is_file() else None
            )
            python = found or DEFAULT_PYTHON
            if sys.stdin.isatty() and sys.stdout.isatty():
                python = typer.prompt("Python version", default=python)
                if not _VERSION.match(python):
                    raise UsageError("Python version", python, "a version such as 3.11")
        text, used = render(project, base=base, python=python, jupyter=jupyter)
        target.write_text(text)
        typer.echo(f"wrote {target}" + (f" from {', '.join(used)}" if used else ""))
