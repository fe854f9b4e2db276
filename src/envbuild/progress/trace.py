"""What the status stream has said so far, folded into one record per build step: envbuild's one tracker.

Every reader of a solve's status uses a `Trace`: the plain printer consumes the `StepChange`s that `apply`
returns, the live tree redraws from `steps`, the BuildKit client names a failed vertex and its last log lines
in a `SolveError`, and the builder reports which steps ran or came from the cache. Vertexes in a progress
group are folded into one step named after the group, as buildx shows them; the per-vertex view
(`vertex_records`) stays available for callers that match vertexes to their own LLB digests.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from envbuild.progress.events import StatusEvent, StatusUpdate, VertexUpdate, VertexWarning

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")

#: BuildKit reports a cancelled vertex with this error suffix (Go's `context.Canceled`).
CANCELED = "context canceled"


def clean_line(line: str) -> str:
    """What a terminal would finally show for a line: the text after the last carriage return, no colours."""
    line = line.rstrip("\r")
    return _ANSI.sub("", line.rsplit("\r", 1)[-1])


@dataclass
class Step:
    """One displayed step: a vertex, or a progress group of vertexes."""

    digest: str
    name: str = ""
    cached: bool = False
    error: str = ""
    started: datetime | None = None
    completed: datetime | None = None
    #: start → stop of every run of this vertex (a vertex can be started again, e.g. after a cache miss).
    intervals: dict[datetime, datetime | None] = field(default_factory=dict)
    statuses: dict[str, StatusUpdate] = field(default_factory=dict)
    warnings: list[VertexWarning] = field(default_factory=list)
    log_tail: deque[str] = field(default_factory=deque)
    partial: str = ""
    partial_offset: float = 0.0

    @property
    def is_started(self) -> bool:
        return self.started is not None

    @property
    def is_completed(self) -> bool:
        return self.completed is not None

    @property
    def failed(self) -> bool:
        return bool(self.error) and not self.canceled

    @property
    def canceled(self) -> bool:
        return self.error.endswith(CANCELED)

    def duration(self) -> float:
        """Seconds spent running, overlapping runs counted once; open runs are not counted."""
        spans = sorted((start, stop) for start, stop in self.intervals.items() if stop is not None)
        total = 0.0
        end: datetime | None = None
        for start, stop in spans:
            if end is not None and start < end:
                start = end
            if stop > start:
                total += (stop - start).total_seconds()
            end = stop if end is None else max(end, stop)
        return total

    def open_since(self) -> datetime | None:
        """Start of the run still in progress, if any."""
        open_starts = [start for start, stop in self.intervals.items() if stop is None]
        return max(open_starts) if open_starts else None

    def last_start(self) -> datetime | None:
        return max(self.intervals) if self.intervals else None

    def tail(self, count: int) -> list[str]:
        """The last `count` log lines, including a line still being written."""
        lines = list(self.log_tail)
        if self.partial:
            lines.append(clean_line(self.partial))
        return lines[-count:] if count > 0 else []


@dataclass
class StepChange:
    """What one status event changed in one step, in the order the plain printer prints it."""

    digest: str
    vertex_changed: bool = False
    statuses: list[StatusUpdate] = field(default_factory=list)
    warnings: list[VertexWarning] = field(default_factory=list)
    #: complete log lines as (seconds since the step's latest start, raw text without the newline)
    lines: list[tuple[float, str]] = field(default_factory=list)


@dataclass(frozen=True)
class VertexRecord:
    """One vertex as the stream last reported it, with the tail of what its step printed. `cached` once it
    completed from the cache: a hit in an imported cache is reported again, uncached, for each layer BuildKit
    then pulls lazily for an export, and that pull is no re-run."""

    digest: str
    name: str
    cached: bool
    completed: bool
    error: str = ""
    log: str = ""


class Trace:
    """Folds status events into `Step`s, keeping `log_lines` complete lines per step for failure reports.

    `apply` may run on the status thread while another thread reads: `lock` is held by `apply` and by the
    readers below, and a display that reads `steps` directly takes it itself.
    """

    def __init__(self, log_lines: int = 20):
        self.lock = threading.RLock()
        self.log_lines = log_lines
        self.steps: dict[str, Step] = {}
        #: digests in the order their steps first started (the order every display lists them in)
        self.order: list[str] = []
        self._last_vertex: dict[str, VertexUpdate] = {}
        self._cached: set[str] = set()
        self._group_of: dict[str, str] = {}
        self._group_members: dict[str, dict[str, VertexUpdate]] = {}

    def step_for(self, digest: str) -> Step | None:
        """The step showing a vertex: the vertex itself, or its progress group."""
        return self.steps.get(self._group_of.get(digest, digest))

    # --- reading, per vertex ---------------------------------------------------------------------------

    @property
    def digests(self) -> set[str]:
        """Every vertex digest the stream named."""
        with self.lock:
            return set(self._last_vertex)

    def name_of(self, digest: str) -> str:
        with self.lock:
            vertex = self._last_vertex.get(digest)
            return vertex.name if vertex is not None else ""

    def failed_vertex(self) -> str:
        """The vertex that failed on its own (not one cancelled because another did), else any failed one."""
        with self.lock:
            failed = [d for d, v in self._last_vertex.items() if v.error]
            own = [d for d in failed if not self._last_vertex[d].error.endswith(CANCELED)]
            return (own or failed or [""])[0]

    def log_tail(self, digest: str, count: int | None = None) -> tuple[str, ...]:
        """The last lines the step showing `digest` printed (a half-written last line included)."""
        with self.lock:
            step = self.step_for(digest)
            return tuple(step.tail(self.log_lines if count is None else count)) if step is not None else ()

    def vertex_records(self) -> tuple[VertexRecord, ...]:
        """Each vertex in the order the stream first named it, with its step's log tail."""
        with self.lock:
            return tuple(
                VertexRecord(
                    v.digest,
                    v.name,
                    v.cached or d in self._cached,
                    v.completed is not None,
                    v.error,
                    "\n".join(self.log_tail(d)),
                )
                for d, v in self._last_vertex.items()
            )

    # --- folding --------------------------------------------------------------------------------------

    def apply(self, event: StatusEvent) -> list[StepChange]:
        """Fold one event in; the changes are what a display prints."""
        with self.lock:
            return self._apply(event)

    def record(self, event: StatusEvent) -> None:
        """Fold one event in, for a caller that only reads the trace later (an `on_status` callback)."""
        self.apply(event)

    def _apply(self, event: StatusEvent) -> list[StepChange]:
        changes: dict[str, StepChange] = {}

        def change(digest: str) -> StepChange:
            return changes.setdefault(digest, StepChange(digest))

        for vertex in event.vertexes:
            digest = self._apply_vertex(vertex)
            if digest is not None:
                change(digest).vertex_changed = True
        for status in event.statuses:
            step = self.step_for(status.vertex)
            if step is None:
                continue
            step.statuses[status.id] = status
            change(step.digest).statuses.append(status)
        for warning in event.warnings:
            step = self.step_for(warning.vertex)
            if step is None:
                continue
            step.warnings.append(warning)
            change(step.digest).warnings.append(warning)
        for chunk in event.logs:
            step = self.step_for(chunk.vertex)
            if step is None:
                continue
            start = step.last_start()
            offset = (chunk.timestamp - start).total_seconds() if chunk.timestamp and start else 0.0
            text = chunk.data.decode("utf-8", "replace")
            *complete, rest = text.split("\n")
            for piece in complete:
                if step.partial:
                    line, line_offset = step.partial + piece, step.partial_offset
                    step.partial = ""
                else:
                    line, line_offset = piece, offset
                self._keep(step, line)
                change(step.digest).lines.append((line_offset, line.rstrip("\r")))
            if rest:
                if not step.partial:
                    step.partial_offset = offset
                step.partial += rest
        return list(changes.values())

    def flush_partial(self, step: Step) -> tuple[float, str] | None:
        """End a half-written last line once its step is over, so it is printed and reported."""
        if not step.partial:
            return None
        line = (step.partial_offset, step.partial.rstrip("\r"))
        self._keep(step, step.partial)
        step.partial = ""
        return line

    def _keep(self, step: Step, line: str) -> None:
        step.log_tail.append(clean_line(line))
        while len(step.log_tail) > self.log_lines:
            step.log_tail.popleft()

    def _apply_vertex(self, vertex: VertexUpdate) -> str | None:
        """Record a vertex; return the digest of the step whose display changed, if it did."""
        previous = self._last_vertex.get(vertex.digest)
        self._last_vertex[vertex.digest] = vertex
        if vertex.cached and vertex.completed is not None:
            self._cached.add(vertex.digest)
        if vertex.progress_group is not None:
            return self._apply_group_member(vertex)
        step = self.steps.get(vertex.digest)
        if step is None:
            step = self.steps[vertex.digest] = Step(vertex.digest)
        visible_change = previous is None or (
            previous.name,
            previous.started,
            previous.completed,
            previous.cached,
            previous.error,
        ) != (vertex.name, vertex.started, vertex.completed, vertex.cached, vertex.error)
        if vertex.started is None and step.is_started:
            # BuildKit may resend a vertex without its times; that must not reset a running step.
            return None
        step.name = vertex.name or step.name
        step.cached = vertex.cached
        step.error = vertex.error
        step.started = vertex.started
        step.completed = vertex.completed
        if vertex.started is not None:
            step.intervals[vertex.started] = vertex.completed
            if vertex.digest not in self.order:
                self.order.append(vertex.digest)
        return vertex.digest if visible_change and vertex.started is not None else None

    def _apply_group_member(self, vertex: VertexUpdate) -> str | None:
        group = vertex.progress_group
        assert group is not None
        self._group_of[vertex.digest] = group.id
        members = self._group_members.setdefault(group.id, {})
        members[vertex.digest] = vertex
        step = self.steps.get(group.id)
        if step is None:
            step = self.steps[group.id] = Step(group.id, name=group.name)
        before = (step.started, step.completed, step.cached, step.error)
        started = [m.started for m in members.values() if m.started is not None]
        step.started = min(started) if started else None
        step.intervals = {m.started: m.completed for m in members.values() if m.started is not None}
        done = all(m.completed is not None for m in members.values())
        step.completed = max(m.completed for m in members.values()) if done and started else None  # type: ignore[type-var]
        step.cached = all(m.cached for m in members.values())
        step.error = next((m.error for m in members.values() if m.error), "")
        if step.started is None:
            return None
        if group.id not in self.order:
            self.order.append(group.id)
        return group.id if before != (step.started, step.completed, step.cached, step.error) else None
