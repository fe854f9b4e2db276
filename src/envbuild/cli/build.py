"""`envbuild build`: evaluate a build file, build the image on BuildKit, export it where asked.

For people and CI: every flag value is checked before anything connects or builds, a failure exits non-zero
with one clear message, and outputs use buildx's `--output` syntax.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from envbuild.cli import builder_flags, building, project
from envbuild.errors import UsageError

_PLATFORM = re.compile(r"^linux/(amd64|arm64|arm/v7|arm/v6|ppc64le|s390x|riscv64|386)$")
_OWNER = re.compile(r"^(\d+)(?::(\d+))?$")
_OUTPUT_HELP = "type=image|docker|oci|tar|local[,name=...][,push=true][,dest=...]; repeatable."
_HORUST_HELP = "Dev images: 'release', a Horust binary, docker-image://REF or URL#sha256:HEX."
_CACHE_HELP = "type=registry,ref=HOST/REPO:TAG[,mode=max] or type=inline; repeatable."


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
    return uid, int(match.group(2) or uid)


def register(app: typer.Typer) -> None:
    @app.command("build")
    def build_command(
        path: project.ProjectPath = Path("."),
        from_: project.From = project.DEFAULT_FROM,
        tag: Annotated[str | None, typer.Option("--tag", "-t", help="Image name.")] = None,
        output: Annotated[list[str] | None, typer.Option("--output", "-o", help=_OUTPUT_HELP)] = None,
        export_cache: Annotated[list[str] | None, typer.Option("--export-cache", help=_CACHE_HELP)] = None,
        import_cache: Annotated[list[str] | None, typer.Option("--import-cache", help=_CACHE_HELP)] = None,
        platform: Annotated[str | None, typer.Option("--platform", help="e.g. linux/amd64.")] = None,
        no_cache: Annotated[bool, typer.Option("--no-cache", help="Run every step again.")] = False,
        progress: building.Progress = "auto",
        use_proxy: Annotated[bool, typer.Option("--use-proxy", help="Pass host proxy vars.")] = False,
        ca_bundle: Annotated[Path | None, typer.Option("--ca-bundle", help="CA bundle for steps.")] = None,
        owner: Annotated[str | None, typer.Option("--owner", help="UID[:GID] of the dev user.")] = None,
        no_merge: Annotated[bool, typer.Option("--no-merge", help="Never use merge ops.")] = False,
        horust: Annotated[str | None, typer.Option("--horust", help=_HORUST_HELP)] = None,
        context: builder_flags.ContextName = None,
    ) -> None:
        """Build the environment's image."""
        from envbuild.builder.outputs import parse_cache_spec, parse_output, qualify_image_name

        building.check_progress(progress)
        check_platform(platform)
        owner_ids = check_owner(owner)
        project.build_file(path, from_)  # --path and --from checked before the other values are parsed
        tag_name = qualify_image_name(tag) if tag else None
        specs = tuple(parse_output(o, default_name=tag_name) for o in output or ())
        imports = tuple(parse_cache_spec(c, "--import-cache") for c in import_cache or ())
        exports = tuple(parse_cache_spec(c, "--export-cache") for c in export_cache or ())

        from envbuild import contexts
        from envbuild.builder import BuildOptions

        choice = contexts.select(context)
        graph = project.load_graph(path, from_)
        address = builder_flags.prepare(choice).address
        result = building.run_build(
            graph,
            BuildOptions(
                address=address,
                tag=tag_name,
                outputs=specs,
                platform=platform,
                no_cache=no_cache,
                cache_imports=imports,
                cache_exports=exports,
                use_proxy=use_proxy,
                ca_bundle=ca_bundle,
                owner=owner_ids,
                merge_diff=False if no_merge else None,
                horust=horust,
            ),
            progress,
        )
        for note in result.notes:
            typer.echo(f"note: {note}", err=True)
        if result.name:
            typer.echo(result.name + (f"@{result.digest}" if result.digest else ""))
