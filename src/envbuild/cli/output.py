"""Tables for people, JSON for tools: the one way list-style commands print (`--format table|json`).

JSON carries values as they are (full RFC 3339 times); a table shows them for reading: one line per cell,
times as docker shows them ("3 minutes ago").
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import typer

from envbuild.errors import UsageError

FORMATS = ("table", "json")
_NANOS = re.compile(r"(\.\d{1,6})\d*")


def check_format(value: str) -> str:
    if value not in FORMATS:
        raise UsageError("--format", value, "one of " + ", ".join(FORMATS))
    return value


def emit(
    rows: Sequence[Mapping[str, object]], columns: Sequence[str], fmt: str, *, times: Sequence[str] = ()
) -> None:
    """Print rows as an aligned table (given columns, upper-cased headers) or as a JSON list of objects.

    `times` names columns holding RFC 3339 timestamps, shown in a table as how long ago they were."""
    if check_format(fmt) == "json":
        typer.echo(json.dumps(list(rows), indent=2, sort_keys=True, default=str))
        return
    cells = [[ago(row.get(col)) if col in times else _cell(row.get(col)) for col in columns] for row in rows]
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


def ago(value: object, now: datetime | None = None) -> str:
    """An RFC 3339 time as docker prints it in tables: "3 minutes ago", "About an hour ago", "2 days ago"."""
    if not isinstance(value, str) or not value:
        return "-"
    try:  # Docker writes nanoseconds; Python reads at most microseconds
        when = datetime.fromisoformat(_NANOS.sub(r"\1", value))
    except ValueError:
        return value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = max(((now or datetime.now(UTC)) - when).total_seconds(), 0)
    return f"{_duration(seconds)} ago"


def _duration(seconds: float) -> str:
    """Docker's `units.HumanDuration`."""
    if seconds < 1:
        return "Less than a second"
    if seconds < 2:
        return "1 second"
    minutes, hours = seconds / 60, seconds / 3600
    if minutes < 1:
        return f"{int(seconds)} seconds"
    if minutes < 2:
        return "About a minute"
    if hours < 1:
        return f"{int(minutes)} minutes"
    if hours < 2:
        return "About an hour"
    if hours < 48:
        return f"{int(hours)} hours"
    if hours < 24 * 7 * 2:
        return f"{int(hours / 24)} days"
    if hours < 24 * 30 * 2:
        return f"{int(hours / 24 / 7)} weeks"
    if hours < 24 * 365 * 2:
        return f"{int(hours / 24 / 30)} months"
    return f"{int(hours / 24 / 365)} years"


def _cell(value: object) -> str:
    """One table cell on one line: whitespace (newlines included) folded to single spaces."""
    return " ".join(_text(value).split()) or "-"


def _text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value) or "-"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_text(v)}" for k, v in value.items()) or "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
