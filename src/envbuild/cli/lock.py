"""`envbuild lock [--upgrade [NAME...]]`: write envbuild.lock beside the build file and say what changed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from envbuild.cli import project
from envbuild.errors import UsageError

_PLATFORM_HELP = "Platform to lock for (repeatable); default: the lock's platforms, else this machine's."
_NAMES_HELP = "What --upgrade re-resolves."
_CA_HELP = "CA bundle for the package index (default: as for build steps)."
_HORUST_HELP = "As for build: the Horust asset is locked only when builds use the pinned release."
_UPGRADE_HELP = "Re-resolve: everything, or only the NAMEs (Python packages, include/io.http URLs, horust)."


def register(app: typer.Typer) -> None:
    @app.command("lock")
    def lock_command(
        names: Annotated[list[str] | None, typer.Argument(help=_NAMES_HELP, metavar="[NAME]...")] = None,
        path: project.ProjectPath = Path("."),
        from_: project.From = project.DEFAULT_FROM,
        upgrade: Annotated[bool, typer.Option("--upgrade", help=_UPGRADE_HELP)] = False,
        platform: Annotated[list[str] | None, typer.Option("--platform", help=_PLATFORM_HELP)] = None,
        ca_bundle: Annotated[Path | None, typer.Option("--ca-bundle", help=_CA_HELP)] = None,
        horust: Annotated[str | None, typer.Option("--horust", help=_HORUST_HELP)] = None,
    ) -> None:
        """Pin base images, include() commits, downloads and Python packages in envbuild.lock."""
        from envbuild import lock as lock_mod
        from envbuild.builder.locking import (
            LockRequest,
            default_platforms,
            resolve_lock,
            upgraded_include_pins,
        )
        from envbuild.cli.building import check_platform, note
        from envbuild.lang import evaluate
        from envbuild.lock import lockfile

        packages = tuple(names or ())
        if packages and not upgrade:
            raise UsageError(
                "NAME", " ".join(packages), "names only go with --upgrade (envbuild lock --upgrade NAME...)"
            )
        for value in platform or ():
            check_platform(value)
        project_dir, file, function = project.build_file(path, from_)
        existing = project.project_lock(path, from_)
        previous = existing.lock if existing is not None else None
        rel = file.relative_to(project_dir).as_posix() if file.is_relative_to(project_dir) else str(file)
        if previous is not None and (previous.build_file, previous.function) != (rel, function):
            note(
                f"{lock_mod.FILE_NAME} holds the pins of {previous.build_file}:{previous.function}; "
                f"locking {rel}:{function} replaces them (one lock per build file's directory)"
            )
        graph = evaluate(
            file,
            function,
            project_dir=project_dir,
            include_pins=upgraded_include_pins(previous, upgrade, packages),
        )
        target = lock_mod.lock_path(project_dir, graph.project.build_file)
        result = resolve_lock(
            graph,
            LockRequest(
                platforms=tuple(platform or ()) or default_platforms(previous),
                previous=previous,
                upgrade=upgrade,
                packages=packages,
                ca_bundle=ca_bundle,
                horust=horust,
            ),
            on_note=note,
        )
        unchanged = previous is not None and lockfile.dumps(previous) == lockfile.dumps(result.lock)
        if unchanged:
            typer.echo(f"{target.name} is up to date")
            return
        lock_mod.write(target, result.lock)
        if previous is None:
            typer.echo(f"wrote {target}: {summary(result.lock)}")
            return
        for line in result.changes:
            typer.echo(line)
        typer.echo(f"updated {target}")


def summary(lock) -> str:
    """What a new lock pins, counted per kind."""
    parts = [
        _count(len(lock.bases), "base image"),
        _count(len(lock.includes), "include"),
        _count(len(lock.horust), "Horust asset"),
        _count(len(lock.downloads), "download"),
    ]
    parts += [f"{len(p.packages)} Python packages for {p.platform} (Python {p.python})" for p in lock.python]
    return ", ".join(p for p in parts if p) or "nothing to pin"


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}" if n else ""
