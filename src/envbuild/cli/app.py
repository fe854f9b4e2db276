"""The `envbuild` console script: builds the typer app and renders errors.

Each command module exposes `register(app)`; this file only lists them, so commands stay in modules named for
what they do and no command's imports slow the others down.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from envbuild.errors import EnvbuildError

COMMAND_MODULES = (  # in the order help lists them: by how often a user needs them
    "envbuild.cli.build",
    "envbuild.cli.lock",
    "envbuild.cli.up",
    "envbuild.cli.exec",
    "envbuild.cli.destroy",
    "envbuild.cli.run",
    "envbuild.cli.envs",
    "envbuild.cli.images",
    "envbuild.cli.context",
    "envbuild.cli.pause",
    "envbuild.cli.init",
    "envbuild.cli.bootstrap",
    "envbuild.cli.prune",
    "envbuild.cli.debug",
    "envbuild.cli.lsp",
    "envbuild.cli.version",
)

app = typer.Typer(
    name="envbuild",
    help="Build and run development environments from envd v1 build files, on BuildKit.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)



@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Tracebacks for internal errors (ENVBUILD_DEBUG=1)."),
) -> None:
    """Build and run development environments from envd v1 build files, on BuildKit."""
    if debug:
        os.environ["ENVBUILD_DEBUG"] = "1"


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def _environment_error(err: Exception) -> EnvbuildError | None:
    """Failures of the machine rather than of envbuild, wherever a command met them: the Docker engine
    gone or refusing mid-command, a file or directory envbuild may not read or write."""
    from envbuild.runtime.engine import engine_address, is_engine_loss, lost_engine

    if is_engine_loss(err):
        return lost_engine(err, "running the command")
    from docker.errors import APIError

    if isinstance(err, APIError):
        return EnvbuildError(
            f"the Docker engine at {engine_address()} refused: {err.explanation or err}",
            hint="check the engine's state (docker info), then run the command again",
        )
    if isinstance(err, OSError) and err.filename:
        return EnvbuildError(
            f"cannot use {err.filename}: {err.strerror}",
            hint="check that it exists and that you may read and write it (HOME, ~/.ssh, ~/.config/envbuild)",
        )
    return None


def main() -> None:
    """Run the CLI; an `EnvbuildError` becomes its rendered text and exit code, never a traceback.

    Click (standalone mode) reports its own usage errors; everything else that escapes a command lands here.
    """
    try:
        app()
    except EnvbuildError as err:
        print(err.render(), file=sys.stderr)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as err:  # the last line of defence: one sentence, traceback only on request
        if os.environ.get("ENVBUILD_DEBUG"):
            raise
        known = _environment_error(err)
        if known is not None:
            print(known.render(), file=sys.stderr)
            sys.exit(known.exit_code)
        print(f"internal error: {type(err).__name__}: {err}", file=sys.stderr)
        print("hint: run again with ENVBUILD_DEBUG=1 for the traceback, and report it", file=sys.stderr)
        sys.exit(70)
