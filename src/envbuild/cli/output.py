"""Tables for people, JSON for tools: the one way list-style commands print (`--format table|json`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import typer

from envbuild.errors import UsageError

FORMATS = ("table", "json")


def check_format(value: str) -> str:
    if value not in FORMATS:
        raise UsageError("--format", value, "one of " + ", ".join(FORMATS))
    return value


def emit(rows: Sequence[Mapping[str, object]], columns: Sequence[str], fmt: str) -> None:
    """Print rows as an aligned table (given columns, upper-cased headers) or as a JSON list of objects."""
    if check_format(fmt) == "json":
        typer.echo(json.dumps(list(rows), indent=2, sort_keys=True, default=str))
        return
    cells = [[_cell(row.get(col)) for col in columns] for row in rows]
    headers = [col.upper().replace("_", " ") for col in columns]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    for line in [headers, *cells]:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())


def emit_object(obj: Mapping[str, object], fmt: str) -> None:
    """Print one record as `key: value` lines or as a JSON object."""
    if check_format(fmt) == "json":
        typer.echo(json.dumps(obj, indent=2, sort_keys=True, default=str))
        return
    width = max((len(k) for k in obj), default=0)
    for key, value in obj.items():
        typer.echo(f"{key.ljust(width)}  {_cell(value)}")


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value) or "-"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items()) or "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
