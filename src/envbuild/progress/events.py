"""The status stream as plain values, so rendering never depends on gRPC or generated code.

BuildKit's `Control.Status` streams `StatusResponse` messages: batches of vertex changes, per-vertex
sub-statuses (e.g. "transferring context"), log chunks and warnings. `StatusEvent` is one such batch; the
other classes are its parts, named after what they carry. `from_status_response` converts the generated
protobuf message; `to_json` writes the JSON shape of `buildctl --progress=rawjson`, so tools read both.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: BuildKit numbers log streams like file descriptors: 1 is stdout, 2 is stderr.
STDOUT = 1


@dataclass(frozen=True)
class ProgressGroup:
    """Vertexes that share a group are shown as one step (e.g. the layers of one image pull)."""

    id: str
    name: str = ""
    weak: bool = False


@dataclass(frozen=True)
class VertexUpdate:
    """The latest known state of one LLB vertex; BuildKit resends the whole vertex on every change."""

    digest: str
    name: str = ""
    inputs: tuple[str, ...] = ()
    cached: bool = False
    started: datetime | None = None
    completed: datetime | None = None
    error: str = ""
    progress_group: ProgressGroup | None = None


@dataclass(frozen=True)
class StatusUpdate:
    """A named sub-task of a vertex with a byte counter (context transfer, layer download, export)."""

    id: str
    vertex: str
    name: str = ""
    total: int = 0
    current: int = 0
    timestamp: datetime | None = None
    started: datetime | None = None
    completed: datetime | None = None


@dataclass(frozen=True)
class LogChunk:
    """Raw bytes a vertex wrote; chunks split lines anywhere, so consumers must join them."""

    vertex: str
    data: bytes
    stream: int = STDOUT
    timestamp: datetime | None = None


@dataclass(frozen=True)
class VertexWarning:
    """A build warning attached to a vertex (named so, not `Warning`, to leave the builtin alone)."""

    vertex: str
    short: str
    level: int = 0
    detail: tuple[str, ...] = ()
    url: str = ""


@dataclass(frozen=True)
class StatusEvent:
    """One `StatusResponse`: everything that changed since the previous one."""

    vertexes: tuple[VertexUpdate, ...] = ()
    statuses: tuple[StatusUpdate, ...] = ()
    logs: tuple[LogChunk, ...] = ()
    warnings: tuple[VertexWarning, ...] = ()


def as_event(item: object) -> StatusEvent:
    """Accept a whole batch, one part of one, or a generated `StatusResponse`: callers pass what they have."""
    match item:
        case StatusEvent():
            return item
        case VertexUpdate():
            return StatusEvent(vertexes=(item,))
        case StatusUpdate():
            return StatusEvent(statuses=(item,))
        case LogChunk():
            return StatusEvent(logs=(item,))
        case VertexWarning():
            return StatusEvent(warnings=(item,))
    if hasattr(item, "vertexes") and hasattr(item, "logs"):
        return from_status_response(item)
    raise TypeError(f"not a status event: {type(item).__name__}")


# --- from the generated protobuf ---------------------------------------------------------------------


def _timestamp(msg: Any, field: str) -> datetime | None:
    """An unset `google.protobuf.Timestamp` means "not yet"; a set one becomes an aware UTC datetime."""
    if not msg.HasField(field):
        return None
    ts = getattr(msg, field)
    return datetime.fromtimestamp(ts.seconds, UTC).replace(microsecond=ts.nanos // 1000)


def _status_id(msg: Any) -> str:
    # BuildKit's proto spells this field `ID`; accept the lower-case spelling too in case ours differs.
    return str(getattr(msg, "ID", None) or getattr(msg, "id", ""))


def from_status_response(msg: Any) -> StatusEvent:
    """Convert a generated `moby.buildkit.v1.StatusResponse` (field names as in BuildKit's control.proto)."""
    vertexes = tuple(
        VertexUpdate(
            digest=v.digest,
            name=v.name,
            inputs=tuple(v.inputs),
            cached=v.cached,
            started=_timestamp(v, "started"),
            completed=_timestamp(v, "completed"),
            error=v.error,
            progress_group=(
                ProgressGroup(v.progressGroup.id, v.progressGroup.name, v.progressGroup.weak)
                if v.HasField("progressGroup") and v.progressGroup.id
                else None
            ),
        )
        for v in msg.vertexes
    )
    statuses = tuple(
        StatusUpdate(
            id=_status_id(s),
            vertex=s.vertex,
            name=s.name,
            total=s.total,
            current=s.current,
            timestamp=_timestamp(s, "timestamp"),
            started=_timestamp(s, "started"),
            completed=_timestamp(s, "completed"),
        )
        for s in msg.statuses
    )
    logs = tuple(
        LogChunk(
            vertex=log.vertex, data=bytes(log.msg), stream=log.stream, timestamp=_timestamp(log, "timestamp")
        )
        for log in msg.logs
    )
    warnings = tuple(
        VertexWarning(
            vertex=w.vertex,
            short=bytes(w.short).decode("utf-8", "replace"),
            level=w.level,
            detail=tuple(bytes(d).decode("utf-8", "replace") for d in w.detail),
            url=w.url,
        )
        for w in msg.warnings
    )
    return StatusEvent(vertexes=vertexes, statuses=statuses, logs=logs, warnings=warnings)


# --- to buildctl's rawjson shape ---------------------------------------------------------------------


def _rfc3339(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _without_empty(obj: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """Go's `omitempty`: drop zero values, except the fields BuildKit always writes."""
    return {k: v for k, v in obj.items() if k in keep or v not in (None, "", 0, False, [], {})}


def to_json(event: StatusEvent) -> dict[str, Any]:
    """The event as BuildKit's `client.SolveStatus` JSON (camelCase keys, base64 log data, RFC 3339 times)."""
    out = {
        "vertexes": [
            _without_empty(
                {
                    "digest": v.digest,
                    "inputs": list(v.inputs),
                    "name": v.name,
                    "started": _rfc3339(v.started),
                    "completed": _rfc3339(v.completed),
                    "cached": v.cached,
                    "error": v.error,
                    "progressGroup": (
                        _without_empty(
                            {
                                "id": v.progress_group.id,
                                "name": v.progress_group.name,
                                "weak": v.progress_group.weak,
                            }
                        )
                        if v.progress_group
                        else None
                    ),
                }
            )
            for v in event.vertexes
        ],
        "statuses": [
            _without_empty(
                {
                    "id": s.id,
                    "vertex": s.vertex,
                    "name": s.name,
                    "total": s.total,
                    "current": s.current,
                    "timestamp": _rfc3339(s.timestamp),
                    "started": _rfc3339(s.started),
                    "completed": _rfc3339(s.completed),
                },
                keep=("id", "current", "timestamp"),
            )
            for s in event.statuses
        ],
        "logs": [
            _without_empty(
                {
                    "vertex": log.vertex,
                    "stream": log.stream,
                    "data": base64.b64encode(log.data).decode("ascii"),
                    "timestamp": _rfc3339(log.timestamp),
                },
                keep=("data", "timestamp"),
            )
            for log in event.logs
        ],
        "warnings": [
            _without_empty(
                {
                    "vertex": w.vertex,
                    "level": w.level,
                    "short": base64.b64encode(w.short.encode()).decode("ascii"),
                    "detail": [base64.b64encode(d.encode()).decode("ascii") for d in w.detail],
                    "url": w.url,
                }
            )
            for w in event.warnings
        ],
    }
    return _without_empty(out)
