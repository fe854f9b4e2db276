"""The line-by-line log that `docker buildx build --progress=plain` prints, for CI logs and pipes.

Each step gets a number the first time it is printed; a block starts with `#N name`, then its sub-statuses,
log lines prefixed with seconds since the step started, and ends with `#N DONE 1.2s`, `#N CACHED`,
`#N ERROR: ...` or `#N CANCELED`. When output switches to another step before one is finished, `#N ...`
marks the break, so interleaved parallel steps stay readable. Unlike buildx, every change is printed as it
arrives (no batching by time), which keeps the output a pure function of the events.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TextIO

from envbuild.progress.events import StatusUpdate
from envbuild.progress.trace import Step, StepChange, Trace

#: a sub-status line is reprinted only after this much progress (fraction of total) or time (seconds)
_MIN_PROGRESS = 0.05
_MIN_SECONDS = 5.0
_EPOCH = datetime.fromtimestamp(0, UTC)


def format_bytes(count: int) -> str:
    """Sizes as buildx prints them: decimal units, two decimals above a kilobyte (`95B`, `1.20MB`)."""
    if count < 1000:
        return f"{count}B"
    value = float(count)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000 or unit == "TB":
            return f"{value:.2f}{unit}"
    raise AssertionError("unreachable")


def format_offset(seconds: float) -> str:
    """A log line's time since its step started: three decimals below 10 s, two below 100 s, then one."""
    precision = 3 if seconds < 10 else 2 if seconds < 100 else 1
    return f"{max(seconds, 0.0):.{precision}f}"


class PlainPrinter:
    def __init__(self, out: TextIO, trace: Trace):
        self.out = out
        self.trace = trace
        self._index: dict[str, int] = {}
        self._current: str | None = None
        self._printed_any = False
        self._done: set[tuple[str, datetime | None]] = set()
        self._last_status: dict[tuple[str, str], StatusUpdate] = {}

    def print_changes(self, changes: list[StepChange]) -> None:
        """Print finished steps first (in the order they finished), then the rest in the order given."""
        steps = [(change, self.trace.steps[change.digest]) for change in changes]
        finished = sorted(
            ((c, s) for c, s in steps if s.completed is not None),
            key=lambda pair: pair[1].completed or _EPOCH,
        )
        running = [(c, s) for c, s in steps if not s.is_completed]
        for change, step in finished + running:
            if step.is_started or change.lines or change.statuses:
                self._print_step(change, step)

    def finish(self) -> None:
        """At the end of the stream, print log lines still missing their newline (a stream may stop early)."""
        for digest in self.trace.order:
            step = self.trace.steps[digest]
            if step.partial:
                line = self.trace.flush_partial(step)
                self._print_step(StepChange(digest, lines=[line] if line else []), step)

    def _write(self, line: str) -> None:
        self.out.write(line + "\n")

    def _print_step(self, change: StepChange, step: Step) -> None:
        lines = list(change.lines)
        statuses = [s for s in change.statuses if self._status_worth_printing(step.digest, s)]
        finishing = step.is_completed and (step.digest, step.completed) not in self._done
        if finishing and (tail := self.trace.flush_partial(step)) is not None:
            lines.append(tail)
        if not (lines or statuses or change.warnings or finishing or change.vertex_changed):
            return
        index = self._index.setdefault(step.digest, len(self._index) + 1)
        if step.digest != self._current:
            if self._current is not None:
                self._write(f"#{self._index[self._current]} ...")
            if self._printed_any:
                self._write("")
            self._printed_any = True
            self._write(f"#{index} {step.name}")
            self._current = step.digest
        for status in statuses:
            self._write(f"#{index} {_status_text(status)}")
        for warning in change.warnings:
            self._write(f"#{index} WARN: {warning.short}")
        for offset, text in lines:
            self._write(f"#{index} {format_offset(offset)} {text}")
        open_statuses = any(s.completed is None for s in step.statuses.values())
        if finishing and not open_statuses:
            self._done.add((step.digest, step.completed))
            self._current = None
            self._write(f"#{index} {_outcome(step)}")

    def _status_worth_printing(self, digest: str, status: StatusUpdate) -> bool:
        """Skip counter updates that moved less than 5% and less than 5 s since the last printed one."""
        key = (digest, status.id)
        last = self._last_status.get(key)
        if last is not None and status.completed is None:
            progress = (status.current - last.current) / status.total if status.total else 0.0
            elapsed = (
                (status.timestamp - last.timestamp).total_seconds()
                if status.timestamp and last.timestamp
                else 0.0
            )
            if progress < _MIN_PROGRESS and elapsed < _MIN_SECONDS:
                return False
        self._last_status[key] = status
        return True


def _status_text(status: StatusUpdate) -> str:
    text = status.id
    if status.total:
        text += f" {format_bytes(status.current)} / {format_bytes(status.total)}"
    elif status.current:
        text += f" {format_bytes(status.current)}"
    end = status.completed or status.timestamp
    if status.started is not None and end is not None:
        seconds = (end - status.started).total_seconds()
        if seconds > 0.01:
            text += f" {seconds:.1f}s"
    if status.completed is not None:
        text += " done"
    return text


def _outcome(step: Step) -> str:
    if step.canceled:
        return "CANCELED"
    if step.error:
        return f"ERROR: {step.error}"
    if step.cached:
        return "CACHED"
    return f"DONE {step.duration():.1f}s" if step.intervals else "DONE"
