"""Start-up cost of short commands: what they import, and the plain option conversion that keeps pydantic out.

Speed itself is measured by benchmarks (docs/performance.md), never here; these tests pin down the causes (a
heavy library imported by a command that does not use it) so a change that brings one back fails in CI.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from envbuild.cli import app as cli_app
from envbuild.cli import plain_params

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python-basic"
HEAVY = ("pydantic", "grpc", "rich", "docker", "yaml", "importlib.metadata")


def imported_by(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """Modules (and their top-level packages) the real CLI imports for these arguments (-X importtime)."""
    command = [sys.executable, "-X", "importtime", "-m", "envbuild.cli", *args]
    run = subprocess.run(command, capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    names = set()
    for line in run.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            module = line.rsplit("|", 1)[1].strip()
            names.update((module, module.split(".")[0]))
    return names


@pytest.mark.parametrize(
    "args",
    [("version",), ("--help",), ("build", "--help"), ("up", "--help"), ("debug", "llb", "-p", str(EXAMPLE))],
)
def test_short_commands_import_no_heavy_library(args):
    loaded = imported_by(*args)
    assert "envbuild.cli.app" in loaded  # the probe sees imports at all
    assert not loaded & set(HEAVY), f"{args} imported {sorted(loaded & set(HEAVY))}"


def test_a_bare_version_and_a_kept_top_level_help_build_no_cli(tmp_path):
    """`version` without flags, and `--help` once its text is kept, are answered without typer; the kept
    help is exactly what typer renders, and a different width is another text."""
    import envbuild

    env = {**os.environ, "ENVBUILD_CACHE_DIR": str(tmp_path), "COLUMNS": "80"}

    def cli(*args: str, columns: str = "80") -> str:
        run = subprocess.run(
            [sys.executable, "-m", "envbuild.cli", *args],
            capture_output=True, text=True, env={**env, "COLUMNS": columns},
        )
        assert run.returncode == 0, run.stderr
        return run.stdout

    assert "typer" not in imported_by("version", env=env)
    assert cli("version") == f"envbuild {envbuild.version()}\n"
    rendered = cli("--debug", "--help")  # not kept: rendered by typer every time
    assert cli("--help") == rendered  # the first one renders it, with typer
    assert "typer" not in imported_by("--help", env=env)
    assert cli("-h") == rendered
    narrow = cli("--help", columns="60")
    assert narrow != rendered and max(len(line) for line in narrow.splitlines()) <= 60
    assert len(list((tmp_path / "help").iterdir())) == 2


def test_the_version_is_the_installed_distribution_s():
    import importlib.metadata

    import envbuild

    assert envbuild.version() == importlib.metadata.version("envbuild")


def test_a_command_imports_only_its_own_module():
    assert cli_app.modules_for(["version"]) == ["envbuild.cli.version"]
    assert cli_app.modules_for(["debug", "llb", "--dot"]) == ["envbuild.cli.debug"]
    everything = list(cli_app.COMMAND_MODULES)
    assert cli_app.modules_for([]) == everything
    assert cli_app.modules_for(["--help"]) == everything
    assert cli_app.modules_for(["no-such-command"]) == everything


def test_an_unknown_command_is_still_named_with_click_s_message():
    run = subprocess.run([sys.executable, "-m", "envbuild.cli", "biuld"], capture_output=True, text=True)
    assert run.returncode == 2
    assert "No such command 'biuld'" in run.stderr


def test_every_listed_command_is_registered_by_its_module():
    import typer.main

    group = typer.main.get_command(cli_app.make_app(cli_app.modules_for([])))
    assert set(group.commands) == set(cli_app.COMMANDS)  # type: ignore[attr-defined]
    assert set(cli_app.COMMANDS.values()) == set(cli_app.COMMAND_MODULES)


def _probe_app() -> tuple[typer.Typer, dict[str, object]]:
    seen: dict[str, object] = {}
    app = typer.Typer()

    @app.command()
    def probe(
        count: Annotated[int, typer.Option("--count")] = 1,
        ratio: Annotated[float | None, typer.Option("--ratio")] = None,
        where: Annotated[Path, typer.Option("--where")] = Path("."),
        name: Annotated[str | None, typer.Option("--name")] = None,
        tag: Annotated[list[str] | None, typer.Option("--tag")] = None,
        flag: Annotated[bool, typer.Option("--flag")] = False,
        words: Annotated[list[str] | None, typer.Argument()] = None,
    ) -> None:
        seen.update(count=count, ratio=ratio, where=where, name=name, tag=tag, flag=flag, words=words)

    return app, seen


def test_plain_conversion_gives_typed_values():
    plain_params.install()
    app, seen = _probe_app()
    result = CliRunner().invoke(
        app, ["--count", "3", "--ratio", "0.5", "--where", "/tmp", "--name", "x", "--tag", "a", "--tag", "b",
              "--flag", "w1", "w2"]
    )
    assert result.exit_code == 0, result.output
    assert seen == {
        "count": 3, "ratio": 0.5, "where": Path("/tmp"), "name": "x", "tag": ["a", "b"], "flag": True,
        "words": ["w1", "w2"],
    }
    result = CliRunner().invoke(app, [])
    assert result.exit_code == 0, result.output
    defaults = {"count": 1, "ratio": None, "where": Path("."), "name": None, "tag": None, "flag": False}
    assert seen == {**defaults, "words": None}


def test_a_bad_number_is_click_s_usage_error_naming_the_option():
    plain_params.install()
    app, _ = _probe_app()
    result = CliRunner().invoke(app, ["--count", "many"])
    assert result.exit_code == 2
    assert "--count" in result.output and "'many' is not a valid integer" in result.output


def test_leaving_without_finalization_still_flushes_runs_atexit_and_keeps_the_code():
    script = (
        "import atexit, sys, threading, time\n"
        "atexit.register(lambda: print('atexit ran'))\n"
        "threading.Thread(target=lambda: (time.sleep(0.2), print('thread done'))).start()\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "pool = ThreadPoolExecutor(2); pool.submit(print, 'pool used').result()  # idle workers: no hang\n"
        "sys.argv = ['envbuild', *sys.argv[1:]]\n"
        "from envbuild.cli.app import main\n"
        "main()\n"
    )
    import envbuild

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True)

    run = cli("version")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert f"envbuild {envbuild.version()}" in lines
    assert "thread done" in lines and lines[-1] == "atexit ran"  # the thread was awaited, then atexit ran
    bad = cli("build", "-p", "/nonexistent")
    assert bad.returncode == 2 and "--path" in bad.stderr and "atexit ran" in bad.stdout
