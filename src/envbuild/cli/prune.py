"""`envbuild prune`: free the BuildKit cache of the current context's builder."""

from __future__ import annotations

from typing import Annotated

import typer

from envbuild.cli import builder_flags
from envbuild.cli.output import check_format, emit
from envbuild.errors import UsageError


def _rows(records) -> list[dict[str, object]]:
    return [
        {
            "id": r.ID[:12],
            "type": r.RecordType or "-",
            "size_mb": round(r.Size / 1e6, 1),
            "in_use": r.InUse,
            "shared": r.Shared,
            "description": r.Description[:60],
        }
        for r in records
    ]


def register(app: typer.Typer) -> None:
    @app.command()
    def prune(
        all_: bool = typer.Option(False, "--all", help="Also remove internal and frontend records."),
        keep_storage: int = typer.Option(
            0, "--keep-storage", help="Keep this much cache, in MB (LRU first)."
        ),
        filters: Annotated[
            list[str] | None, typer.Option("--filter", help="BuildKit filter, e.g. type==regular, id==ID.")
        ] = None,
        dry_run: bool = typer.Option(False, "--dry-run", help="Only list what could be removed."),
        fmt: str = typer.Option("table", "--format", help="table or json."),
        context: builder_flags.ContextName = None,
    ) -> None:
        """Remove BuildKit cache records (of the current context's builder) that no build uses."""
        from envbuild import buildkit

        check_format(fmt)
        if keep_storage < 0:
            raise UsageError("--keep-storage", keep_storage, "a size in MB, 0 or more")
        for value in filters or ():
            if "=" not in value:
                raise UsageError("--filter", value, "KEY==VALUE (or KEY=VALUE), e.g. type==regular")
        with buildkit.connect(builder_flags.choose(context).address) as client:
            if dry_run:
                records = [r for r in client.disk_usage(filters or ()) if not r.InUse]
            else:
                records = client.prune(all=all_, filters=filters or (), keep_bytes=keep_storage * 1_000_000)
        rows = _rows(records)
        if fmt == "json":
            emit(rows, (), fmt)
            return
        total = sum(round(r.Size / 1e6, 1) for r in records)
        verb = "could free" if dry_run else "freed"
        if rows:
            emit(rows, ("id", "type", "size_mb", "description"), fmt)
        typer.echo(f"{len(rows)} cache records, {verb} {total:.1f} MB")
