"""The `envbuild` console script: builds the typer app and renders errors.

Each command module exposes `register(app)`; this file only lists them, so commands stay in modules named for
what they do. Only the module of the command being run is imported (all of them for the top-level help and
shell completion): a command pays for its own imports, never for the others'. Some answers need no app at
all: a bare `version`, the top-level help once it is kept (`help_cache.py`), and a `build` or `debug llb`
that a memo shows to answer as before (`noop.py`), which is why even `EnvbuildError` is imported only after
them.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    import typer

    from envbuild.errors import EnvbuildError

HELP = "Build and run development environments from envd v1 build files, on BuildKit."

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

HOT_MODULES = (  # what `build` and `debug llb` load: the warm process imports them before it forks a worker
    "typer",
    "typer._click.decorators",
    "envbuild.cli.build",
    "envbuild.cli.debug",
    "envbuild.cli.building",
    "envbuild.cli.noop",
    "envbuild.cli.plain_params",
    "envbuild.cli.project",
    "envbuild.contexts",
    "envbuild.lock",
    "envbuild.lang.evaluator",
    "envbuild.compile.pipeline",
    "envbuild.compile.dump",
    "envbuild.llb.marshal",
    "envbuild.builder.orchestrator",
    "envbuild.builder.downloads",
    "envbuild.builder.interrupted",
    "envbuild.buildkit.client",
    "envbuild.buildkit.session",
    "envbuild.progress.display",
    "envbuild.runtime.engine",
    "google.protobuf.json_format",
    "grpc._channel",
)

# every command name (envd's hidden aliases too) → the module that registers it
COMMANDS = {
    "build": "envbuild.cli.build",
    "lock": "envbuild.cli.lock",
    "up": "envbuild.cli.up",
    "exec": "envbuild.cli.exec",
    "destroy": "envbuild.cli.destroy",
    "down": "envbuild.cli.destroy",
    "run": "envbuild.cli.run",
    "envs": "envbuild.cli.envs",
    "env": "envbuild.cli.envs",
    "images": "envbuild.cli.images",
    "image": "envbuild.cli.images",
    "context": "envbuild.cli.context",
    "pause": "envbuild.cli.pause",
    "resume": "envbuild.cli.pause",
    "init": "envbuild.cli.init",
    "bootstrap": "envbuild.cli.bootstrap",
    "prune": "envbuild.cli.prune",
    "debug": "envbuild.cli.debug",
    "lsp": "envbuild.cli.lsp",
    "version": "envbuild.cli.version",
}


def modules_for(argv: list[str]) -> list[str]:
    """The command modules a run with these arguments needs: the named command's, else all of them.

    The root takes no option with a value, so the first argument not starting with `-` names the command.
    Shell completion (click's `_ENVBUILD_COMPLETE`) and anything unknown (for click's "no such command"
    message) get every command.
    """
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    if command in COMMANDS and "_ENVBUILD_COMPLETE" not in os.environ:
        return [COMMANDS[command]]
    return list(COMMAND_MODULES)


def make_app(modules: list[str]) -> typer.Typer:
    """The typer app with the commands of these modules registered."""
    import typer

    from envbuild.cli import plain_params

    plain_params.install()
    app = typer.Typer(
        name="envbuild",
        help=HELP,
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def _root(
        debug: bool = typer.Option(
            False, "--debug", help="Tracebacks for internal errors (ENVBUILD_DEBUG=1)."
        ),
    ) -> None:
        """Build and run development environments from envd v1 build files, on BuildKit."""
        if debug:
            os.environ["ENVBUILD_DEBUG"] = "1"

    for name in modules:
        importlib.import_module(name).register(app)
    return app


def _environment_error(err: Exception) -> EnvbuildError | None:
    """Failures of the machine rather than of envbuild, wherever a command met them: the Docker engine
    gone or refusing mid-command, a file or directory envbuild may not read or write."""
    from envbuild.errors import EnvbuildError
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


def __getattr__(name: str) -> typer.Typer:
    """`app`: the typer app with every command, built on first use (for CliRunner and embedding)."""
    if name == "app":
        return make_app(list(COMMAND_MODULES))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Run the CLI; an `EnvbuildError` becomes its rendered text and exit code, never a traceback.

    Click (standalone mode) reports its own usage errors; everything else that escapes a command lands here.
    The commands a user repeats while editing (`_hot`) are answered from a memo when it holds (`noop.py`),
    else run by the warm process when one is there (`warm/`); the console script started with `SERVE_ENV`
    is one.
    """
    from envbuild.warm import SERVE_ENV

    argv = sys.argv[1:]
    serving = os.environ.pop(SERVE_ENV, None)
    if serving is not None:
        from envbuild.warm.server import serve

        serve(serving, HOT_MODULES, run_warm)
    completing = "_ENVBUILD_COMPLETE" in os.environ  # the shell asks click for completions: the app answers
    try:
        if argv in (["--help"], ["-h"]) and not completing:
            from envbuild.cli.help_cache import root_help

            sys.stdout.write(root_help(lambda: _render(argv)))
            leave(0)
        if argv == ["version"]:  # what scripts ask most; without flags, it needs no CLI built
            from envbuild.cli.version import version_line

            print(version_line())
            leave(0)
        if _hot(argv) and not completing:
            from envbuild.cli.noop import answer

            if answer(argv):
                leave(0)
            from envbuild.warm.client import delegate

            code = delegate(argv)
            if code is not None:
                leave(code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        leave(130)
    except Exception as err:
        leave(_failure(err))
    leave(_run(argv))


def run_warm(argv: list[str]) -> NoReturn:
    """What `main` does for a `_hot` command after its client found no memo to answer from: the warm
    process's workers start here (warm/server.py). The memo is asked again, which also notes the run's
    start for the memo this run keeps."""
    from envbuild.cli.noop import answer

    if answer(argv):
        leave(0)
    leave(_run(argv))


def _run(argv: list[str]) -> int:
    """Run `envbuild <argv>` with the typer app; its exit code."""
    try:
        make_app(modules_for(argv))(prog_name="envbuild")
    except SystemExit as done:  # click ends every run this way
        return _exit_code(done.code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        return _failure(err)
    return 0


def _hot(argv: list[str]) -> bool:
    """`build` and `debug llb`: what a user runs again and again while editing a build file."""
    return argv[:1] == ["build"] or argv[:2] == ["debug", "llb"]


def _failure(err: Exception) -> int:
    """Report what escaped a command; its exit code. An `EnvbuildError` is rendered; anything else, the last
    line of defence, becomes one sentence, with the traceback only on request."""
    from envbuild.errors import EnvbuildError

    if isinstance(err, EnvbuildError):
        print(err.render(), file=sys.stderr)
        return err.exit_code
    if os.environ.get("ENVBUILD_DEBUG"):
        raise err
    known = _environment_error(err)
    if known is not None:
        print(known.render(), file=sys.stderr)
        return known.exit_code
    print(f"internal error: {type(err).__name__}: {err}", file=sys.stderr)
    print("hint: run again with ENVBUILD_DEBUG=1 for the traceback, and report it", file=sys.stderr)
    return 70


def _render(argv: list[str]) -> str:
    """What the CLI writes to stdout for `argv`."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        make_app(modules_for(argv))(argv, prog_name="envbuild")
    return out.getvalue()


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def leave(code: int) -> NoReturn:
    """End the process as `sys.exit` would, minus the interpreter's finalization.

    Tearing down the modules a build loads (grpc, protobuf, docker-py) and their objects took 0.1-0.5 s after
    the command had finished, for nothing a one-shot CLI needs. What finalization would do that matters still
    happens: other threads that are not daemons are waited for, atexit handlers run, the streams are flushed.
    """
    import atexit
    import threading

    # the interpreter's own first step at exit: threading's exit hooks (which stop idle executor workers),
    # then a join of every thread that is not a daemon
    wait_for_threads = getattr(threading, "_shutdown", None)
    if wait_for_threads is not None:
        wait_for_threads()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`envbuild ... | head`) or stream
            code = code or 1
    os._exit(code)
