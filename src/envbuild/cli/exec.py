"""`envbuild exec`: run a `runtime.command` or any command in a running environment, over ssh."""

from __future__ import annotations

import shlex
from typing import Annotated

import typer

from envbuild.errors import EnvbuildError, UsageError


def running_environment(name: str, path: str):
    """The named environment (or the project dir's), which must be running."""
    from envbuild.cli.up import env_name_for
    from envbuild.runtime import containers
    from envbuild.runtime.engine import docker_client

    env_name = env_name_for(name, path)
    container = containers.find(docker_client(), env_name)
    if container is None:
        raise EnvbuildError(f"environment {env_name} does not exist", hint="start it with `envbuild up`")
    env = containers.environment_from_container(container)
    if env.running:
        from envbuild.runtime.keys import ensure_key_pair
        from envbuild.runtime.lifecycle import repair_entry

        repair_entry(container, ensure_key_pair())  # a deleted or stale `<env>.envd` entry would fail ssh
    if not env.running:
        hint = "resume it with `envbuild resume`" if env.status == "paused" else "start it with `envbuild up`"
        raise EnvbuildError(f"environment {env_name} is {env.status}, not running", hint=hint)
    return env


def register(app: typer.Typer) -> None:
    @app.command(name="exec")
    def exec_(
        args: Annotated[
            list[str] | None, typer.Argument(metavar="CMD", help="Command to run, after `--`.")
        ] = None,
        command: str = typer.Option("", "--command", "-c", help="A runtime.command from the build file."),
        raw: str = typer.Option("", "--raw", "-r", help="A command line for the shell (envd's --raw)."),
        name: str = typer.Option(
            "", "--name", "-n", help="Environment name (default: from the project dir)."
        ),
        path: str = typer.Option(".", "--path", "-p", help="Project directory."),
        tty: bool = typer.Option(False, "--tty", "-t", help="Allocate a terminal (interactive commands)."),
    ) -> None:
        """Run a command in the environment from its project dir; exits with the command's exit code."""
        from envbuild.runtime import ssh

        given = [flag for flag, value in (("--command", command), ("--raw", raw), ("--", args)) if value]
        if len(given) > 1:
            raise UsageError(
                given[0], command or raw, f"one of --command NAME, --raw 'CMD' or a command after `--`, "
                f"not {' and '.join(given)}",
            )
        if not given:
            raise UsageError("--command", "", "a runtime.command name, --raw 'CMD', or a command after `--`")
        env = running_environment(name, path)
        if command:
            if not env.commands:
                raise UsageError(
                    "--command", command, f"a runtime.command name, and environment {env.name} defines none",
                    hint="add runtime.command(commands={...}) to the build function, or run a command "
                    "after `--`",
                )
            if command not in env.commands:
                raise UsageError("--command", command, f"one of {', '.join(sorted(env.commands))}")
            remote = env.commands[command]
        elif raw:
            remote = raw  # a command line, as the user typed it: the remote shell parses it
        else:
            remote = shlex.join(args or ())
        code = ssh.run(env.name, ssh.in_workdir(env.workdir, remote), tty=tty)
        raise typer.Exit(code)
