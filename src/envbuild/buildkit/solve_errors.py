"""Turn a failed solve's gRPC error into a `SolveError` a user can act on.

BuildKit attaches typed details to the status (`errdefs.Vertex` names the failing op, `errdefs.Source` a
frontend source range); the status stream told us each vertex's name and log. The definition's own source
map (`Definition.Source`) gives the build-file location of the vertex when the compiler recorded one.
"""

from __future__ import annotations

import re

import grpc
from google.rpc import status_pb2

from envbuild._proto.errdefs import errdefs_pb2
from envbuild._proto.pb import ops_pb2
from envbuild.buildkit.errors import SolveCancelledError, SolveError
from envbuild.errors import Location
from envbuild.progress.trace import Trace

_DETAILS_KEY = "grpc-status-details-bin"
#: log lines a SolveError shows
LOG_TAIL = 12
_NOISE = re.compile(r"^(failed to solve: |rpc error: code = \w+ desc = )+")


def rpc_status(exc: grpc.RpcError) -> status_pb2.Status | None:
    """The full google.rpc.Status BuildKit sent in the trailers, when there is one."""
    trailers = exc.trailing_metadata() if hasattr(exc, "trailing_metadata") else None
    for key, value in trailers or ():
        if key == _DETAILS_KEY:
            try:
                return status_pb2.Status.FromString(value)
            except Exception:  # a malformed trailer is no reason to lose the error itself
                return None
    return None


def failing_vertex(status: status_pb2.Status | None) -> str:
    if status is None:
        return ""
    for detail in status.details:
        if detail.type_url.endswith("errdefs.Vertex"):
            return errdefs_pb2.Vertex.FromString(detail.value).digest
    return ""


def source_location(definition: ops_pb2.Definition | None, digest: str) -> Location | None:
    """The first source range recorded for `digest` (BuildKit: 1-based lines, 0-based characters)."""
    if definition is None or not digest or not definition.HasField("Source"):
        return None
    source = definition.Source
    if digest not in source.locations:
        return None
    for loc in source.locations[digest].locations:
        if 0 <= loc.sourceIndex < len(source.infos) and loc.ranges:
            info = source.infos[loc.sourceIndex]
            start = loc.ranges[0].start
            lines = info.data.decode("utf-8", "replace").splitlines()
            text = lines[start.line - 1] if 0 < start.line <= len(lines) else ""
            return Location(info.filename, start.line, start.character + 1, text)
    return None


def clean_message(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else "the build failed"
    return _NOISE.sub("", first)


def is_cancelled(exc: grpc.RpcError) -> bool:
    code = exc.code() if hasattr(exc, "code") else None
    if code == grpc.StatusCode.CANCELLED:
        return True
    details = exc.details() if hasattr(exc, "details") else ""
    return bool(details) and "context canceled" in details and code != grpc.StatusCode.UNKNOWN


def to_solve_error(
    exc: grpc.RpcError, trace: Trace, definition: ops_pb2.Definition | None
) -> SolveError | SolveCancelledError:
    if is_cancelled(exc):
        return SolveCancelledError("the build was cancelled; nothing was exported")
    details = exc.details() if hasattr(exc, "details") else str(exc)
    digest = failing_vertex(rpc_status(exc)) or trace.failed_vertex()
    name = trace.name_of(digest)
    message = clean_message(details or "")
    if name and name not in message:
        message = f"{name}: {message}"
    return SolveError(
        message,
        vertex=digest,
        name=name,
        log_tail=trace.log_tail(digest, LOG_TAIL),
        location=source_location(definition, digest),
    )
