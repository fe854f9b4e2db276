"""`envbuild bootstrap`: get a machine ready: ssh key, shell completion, and a check of builder and engine."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from envbuild.cli import builder_flags
from envbuild.errors import EnvbuildError, UsageError

if TYPE_CHECKING:
    from envbuild.contexts import BuilderChoice

SHELLS = ("bash", "zsh", "fish")


def completion_path(shell: str) -> Path:
    """Where each shell loads completions from by itself (no rc-file edits needed)."""
    home = Path.home()
    data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    return {
        "bash": data / "bash-completion" / "completions" / "envbuild",
        "zsh": home / ".zfunc" / "_envbuild",
        "fish": config / "fish" / "completions" / "envbuild.fish",
    }[shell]


def install_completion(shell: str) -> Path:
    script = shutil.which("envbuild") or str(Path(sys.executable).parent / "envbuild")
    if not Path(script).exists():
        raise EnvbuildError("the `envbuild` command is not on PATH, so its completion cannot be generated")
    # The completion protocol's "source" instruction: the script for the named shell, with no guessing of the
    # current shell from the process tree (which `--show-completion` does, and fails under scripts).
    env = {**os.environ, "_ENVBUILD_COMPLETE": f"source_{shell}"}
    out = subprocess.run([script], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    if out.returncode != 0 or not out.stdout.strip():
        raise EnvbuildError(f"cannot generate {shell} completion: {out.stderr.strip()}")
    path = completion_path(shell)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(out.stdout)
    return path


def check_builder(choice: BuilderChoice) -> str:
    """Connect to the chosen BuildKit and describe it."""
    from envbuild import buildkit

    where = f"context {choice.context.name}" if choice.context else "BUILDKIT_HOST"
    try:
        with buildkit.connect(choice.address) as client:
            caps = client.capabilities()
    except EnvbuildError as err:
        raise EnvbuildError(
            f"builder of {where} ({choice.address}) does not answer: {err.message}",
            hint="start it, or pick another with --context, BUILDKIT_HOST or `envbuild context use`",
        ) from err
    merge = "merge/diff" if caps.merge_diff else "sequential (no merge/diff)"
    return f"{where}: {caps.worker} BuildKit {caps.version} at {choice.address}, {merge}"


def describe_backends(choice: BuilderChoice) -> list[str]:
    """Lines for `version --detail`: which builder and why, the builder and the engine, each saying so when
    it does not answer."""
    lines = [f"builder {choice.describe()}"]
    try:
        lines.append(f"builder {check_builder(choice)}")
    except EnvbuildError as err:
        lines.append(f"builder unavailable: {err.message}")
    try:
        from envbuild.runtime.engine import docker_client

        version = docker_client(choice.context).version()
        lines.append(f"docker engine {version.get('Version')} (API {version.get('ApiVersion')})")
    except EnvbuildError as err:
        lines.append(f"docker unavailable: {err.message}")
    ssh = subprocess.run(["ssh", "-V"], capture_output=True, text=True) if shutil.which("ssh") else None
    lines.append(f"ssh {ssh.stderr.strip() if ssh else 'not installed'}")
    return lines


def register(app: typer.Typer) -> None:
    @app.command()
    def bootstrap(
        completion: bool = typer.Option(
            True, "--completion/--no-completion", help="Install shell completion."
        ),
        shell: str = typer.Option("", "--shell", help="bash, zsh or fish (default: from $SHELL)."),
        check: bool = typer.Option(True, "--check/--no-check", help="Check the builder and Docker engine."),
        context: builder_flags.ContextName = None,
    ) -> None:
        """Create the ssh key, install shell completion, and check the builder and the Docker engine."""
        from envbuild.runtime.keys import ensure_key_pair

        keys = ensure_key_pair()
        typer.echo(f"ssh key     {keys.private}")
        if completion:
            name = shell or Path(os.environ.get("SHELL", "bash")).name
            if name not in SHELLS:
                if shell:
                    raise UsageError("--shell", shell, "one of " + ", ".join(SHELLS))
                typer.echo(f"completion  skipped: shell {name} is not one of {', '.join(SHELLS)}")
            else:
                typer.echo(f"completion  {install_completion(name)}")
                if name == "zsh":
                    typer.echo("            zsh loads it once ~/.zshrc has: fpath+=~/.zfunc; compinit")
        if check:
            from envbuild.runtime.engine import docker_client

            choice = builder_flags.choose(context)
            version = docker_client(choice.context).version()
            typer.echo(f"docker      engine {version.get('Version')} (API {version.get('ApiVersion')})")
            typer.echo(f"builder     {check_builder(choice)}")
