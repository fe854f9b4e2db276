"""How a command runs a build: the `--progress` display on stderr, and a tarball on stdout for `dest=-`.

The builder never writes to the terminal; this module connects its status events to the display the user
chose and is the one place that streams an exported tarball to stdout.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from envbuild.errors import UsageError
from envbuild.progress import MODES as PROGRESS_MODES

if TYPE_CHECKING:
    from collections.abc import Callable

    from envbuild.builder import BuildOptions, BuildResult
    from envbuild.builder.orchestrator import BuildPlan
    from envbuild.graph import Graph

_PLATFORM = re.compile(r"^linux/(amd64|arm64|arm/v7|arm/v6|ppc64le|s390x|riscv64|386)$")
_OWNER = re.compile(r"^(\d+)(?::(\d+))?$")
MAX_ID = 2**32 - 2  # the largest uid/gid; 2**32 - 1 means "no id"
_CACHE_HELP = "type=registry,ref=HOST/REPO:TAG[,mode=max] or type=inline; repeatable."

# The flags every command that builds takes (`build`, `up`), declared once with envd's names and aliases.
Progress = Annotated[
    str, typer.Option("--progress", help=f"Build output: {', '.join(PROGRESS_MODES)}.", show_default=True)
]
Platform = Annotated[str | None, typer.Option("--platform", help="Target platform, e.g. linux/amd64.")]
NoCache = Annotated[bool, typer.Option("--no-cache", help="Run every step again.")]
ExportCache = Annotated[
    list[str] | None, typer.Option("--export-cache", "--ec", metavar="SPEC", help=_CACHE_HELP)
]
ImportCache = Annotated[
    list[str] | None, typer.Option("--import-cache", "--ic", metavar="SPEC", help=_CACHE_HELP)
]
Owner = Annotated[
    str | None,
    typer.Option("--owner", envvar="ENVD_BUILD_OWNER", help="UID[:GID] of the dev user (default: yours)."),
]
UseProxy = Annotated[bool, typer.Option("--use-proxy", "--proxy", help="Pass HTTP(S)_PROXY to build steps.")]
CaBundle = Annotated[Path | None, typer.Option("--ca-bundle", help="CA bundle for build steps (a secret).")]
Horust = Annotated[
    str | None,
    typer.Option("--horust", help="Dev images: release, a binary, docker-image://REF or URL#sha256:HEX."),
]
History = Annotated[
    bool, typer.Option("--history", help="Keep the build in the builder's history (docker buildx history).")
]


def check_progress(value: str) -> str:
    if value not in PROGRESS_MODES:
        raise UsageError("--progress", value, "one of " + ", ".join(PROGRESS_MODES))
    return value


def note(text: str) -> None:
    """What the builder wants the user to know before the build goes on, on stderr."""
    from envbuild.cli.noop import note_line

    typer.echo(note_line(text), err=True)


def check_platform(value: str | None) -> str | None:
    if value is not None and not _PLATFORM.match(value):
        raise UsageError("--platform", value, "os/arch such as linux/amd64 or linux/arm64")
    return value


def check_owner(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    match = _OWNER.match(value)
    if not match:
        raise UsageError("--owner", value, "UID or UID:GID as numbers, e.g. 1000:1000")
    uid = int(match.group(1))
    gid = int(match.group(2) or uid)
    if max(uid, gid) > MAX_ID:
        raise UsageError("--owner", value, f"ids from 0 to {MAX_ID} (Linux ids are 32 bits)")
    return uid, gid


def build_options(
    *,
    progress: str,
    platform: str | None,
    no_cache: bool,
    export_cache: list[str] | None,
    import_cache: list[str] | None,
    owner: str | None,
    use_proxy: bool,
    ca_bundle: Path | None,
    horust: str | None,
    history: bool,
) -> BuildOptions:
    """The shared build flags, each checked (naming the flag) before anything connects or builds."""
    from envbuild.builder import BuildOptions
    from envbuild.builder.outputs import parse_cache_spec

    check_progress(progress)
    return BuildOptions(
        platform=check_platform(platform),
        no_cache=no_cache,
        cache_imports=tuple(parse_cache_spec(c, "--import-cache") for c in import_cache or ()),
        cache_exports=tuple(parse_cache_spec(c, "--export-cache") for c in export_cache or ()),
        owner=check_owner(owner),
        use_proxy=use_proxy,
        ca_bundle=ca_bundle,
        horust=horust or None,
        history=history,
    )


def run_build(
    graph: Graph,
    options: BuildOptions,
    progress: str,
    on_plan: Callable[[BuildPlan, list[str]], None] | None = None,
) -> BuildResult:
    """Build with a display for `progress`; outputs with `dest=-` go to stdout once the build is done.

    An image already in the store from the same inputs is the result as it is (unless `options.force`):
    no display, no BuildKit connection, which is what makes a no-op `build` or `up` cheap. `on_plan` is
    given the plan as soon as it is made, with the lines a run that finds the image up to date prints. A
    build that goes on stops the recording of what the command reads (reads.py): the decision is made.
    """
    from envbuild import reads
    from envbuild.builder import build, plan_build, up_to_date
    from envbuild.cli.noop import up_to_date_line

    check_progress(progress)
    to_stdout: list[Path] = []
    outputs = []
    for spec in options.outputs:
        if spec.dest == "-":
            handle, name = tempfile.mkstemp(prefix="envbuild-", suffix=".tar")
            os.close(handle)
            to_stdout.append(Path(name))
            spec = replace(spec, dest=name)
        outputs.append(spec)
    try:
        options = replace(options, outputs=tuple(outputs))
        plan = plan_build(graph, options)
        said = [up_to_date_line(plan.store_name)] if plan.store_name and progress != "quiet" else []
        if on_plan is not None:
            on_plan(plan, said)
        seen: dict[str, str | None] = {}
        current = up_to_date(plan, options, seen)
        if current is not None:
            for line in said:
                print(line, file=sys.stderr)
            return current
        reads.stop()
        from envbuild.progress.display import ProgressRenderer

        with ProgressRenderer(check_progress(progress)) as display:
            result = build(graph, replace(options, on_status=display.update), plan, seen)
        for path in to_stdout:
            with path.open("rb") as fh:
                shutil.copyfileobj(fh, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return result
    finally:
        for path in to_stdout:
            path.unlink(missing_ok=True)
