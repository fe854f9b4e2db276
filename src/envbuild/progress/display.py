"""Show a solve's status stream the way `docker buildx build --progress=...` does, and explain failures.

The renderer is independent of gRPC: feed it `StatusEvent`s (or their parts, or generated `StatusResponse`
messages) through `update()`, inside a `with` block. Modes:

- `auto`: `tty` when the console is a terminal, `plain` otherwise (buildx's rule);
- `tty`: a live rich tree of steps with timers, CACHED marks and the tail of each running step's log;
- `plain`: buildx's line log (`#N [name]`, `#N 0.123 line`, `#N DONE 1.2s`, `#N ERROR: ...`);
- `quiet`: nothing while building; errors reach the user through the solve's `SolveError`;
- `rawjson`: one JSON object per status event, in the shape `buildctl --progress=rawjson` writes.

`failed_step()` / `failure_report()` turn a failed vertex into its command, last log lines and, when the
caller passes a digest → `Location` map from the compiled build file, the `file:line:col` it came from.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO, cast

from envbuild.errors import Location, UsageError
from envbuild.progress import MODES
from envbuild.progress.events import (
    LogChunk,
    ProgressGroup,
    StatusEvent,
    StatusUpdate,
    VertexUpdate,
    VertexWarning,
    as_event,
    from_status_response,
    to_json,
)
from envbuild.progress.plain import PlainPrinter
from envbuild.progress.trace import Trace

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live

    from envbuild.progress.tty import TreeView

__all__ = [
    "MODES",
    "FailedStep",
    "LogChunk",
    "ProgressGroup",
    "ProgressRenderer",
    "StatusEvent",
    "StatusUpdate",
    "VertexUpdate",
    "VertexWarning",
    "from_status_response",
]



@dataclass(frozen=True)
class FailedStep:
    """Everything known about a failed vertex, for `SolveError` and for the report text."""

    digest: str
    name: str
    error: str
    log_tail: tuple[str, ...]
    location: Location | None


class ProgressRenderer:
    """Renders status events in one of `MODES`; use as a context manager around the solve.

    `console` is a rich Console (tests pass a recording one); without it, output goes to stderr and rich is
    imported only for the `tty` mode. `log_lines` is how much of each step's output a failure report keeps.
    `report_failures` prints the reports on exit, for callers that do not raise `SolveError` themselves (the
    solve path raises it, and the CLI renders it, so it is off by default). `clock` returns epoch seconds;
    tests fix it to make timers exact.
    """

    def __init__(
        self,
        mode: str = "auto",
        console: Console | None = None,
        locations: Mapping[str, Location] | None = None,
        *,
        log_lines: int = 20,
        report_failures: bool = False,
        clock: Callable[[], float] = time.time,
    ):
        if mode not in MODES:
            raise UsageError("--progress", mode, "one of " + ", ".join(MODES))
        self.console = console
        self.locations = dict(locations or {})
        self.report_failures = report_failures
        self.mode = _resolve_auto(console) if mode == "auto" else mode
        self.trace = Trace(log_lines)
        self._clock = clock
        self._lock = threading.Lock()
        self._plain = PlainPrinter(self._stream, self.trace) if self.mode == "plain" else None
        self._view: TreeView | None = None
        self._live: Live | None = None
        self._finished = False
        self._stopped: str | None = None

    @property
    def _stream(self) -> TextIO:
        return cast(TextIO, self.console.file) if self.console is not None else sys.stderr

    def __enter__(self) -> ProgressRenderer:
        if self.mode == "tty":
            from rich.console import Console
            from rich.live import Live

            from envbuild.progress.tty import TreeView

            if self.console is None:
                self.console = Console(stderr=True)
            self._view = TreeView(self.trace, self._clock, height=self.console.size.height)
            self._live = Live(
                get_renderable=self._render_live,
                console=self.console,
                refresh_per_second=8,
                transient=False,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        with self._lock:
            self._finished = True
            if exc_type is not None:
                # Ctrl-C or an error outside any step: the summary must not claim the build succeeded.
                why = "interrupted" if issubclass(exc_type, KeyboardInterrupt) else str(exc).split("\n")[0]
                self._stopped = why or exc_type.__name__
            if self._plain is not None:
                self._plain.finish()
        if self._live is not None:
            self._live.stop()  # draws one last frame, now ending with the summary line
            self._live = None
        if self.report_failures and self.mode != "rawjson":
            for step in self.failed_steps():
                self._stream.write(self.failure_report(step.digest) + "\n")
        self._stream.flush()

    def update(self, event: object) -> None:
        """Take one status event (a `StatusEvent`, one of its parts, or a generated `StatusResponse`)."""
        event = as_event(event)
        with self._lock:
            changes = self.trace.apply(event)
            if self.mode == "rawjson":
                self._stream.write(json.dumps(to_json(event), separators=(",", ":")) + "\n")
                self._stream.flush()  # line by line, so a CI log or a pipe shows the build as it goes
            elif self._plain is not None:
                self._plain.print_changes(changes)
                self._stream.flush()
            elif self._view is not None:
                self._view.note_started()
        # Outside our lock: the live display's own thread takes its lock first, then ours, in `_render_live`.
        if self._live is not None:
            self._live.refresh()

    def _render_live(self) -> Any:
        assert self._view is not None
        with self._lock:
            return self._view.render(finished=self._finished, stopped=self._stopped)

    # --- failures ---------------------------------------------------------------------------------------

    def failed_steps(self) -> list[FailedStep]:
        """Failed steps in the order they started (cancelled ones are not failures)."""
        return [self._failed(digest) for digest in self.trace.order if self.trace.steps[digest].failed]

    def failed_step(self, digest: str | None = None) -> FailedStep | None:
        """The failed step for a vertex digest (as in BuildKit's error details), or the first failure."""
        if digest is None:
            failures = self.failed_steps()
            return failures[0] if failures else None
        step = self.trace.step_for(digest)
        return self._failed(step.digest, vertex=digest) if step is not None and step.failed else None

    def _failed(self, digest: str, vertex: str | None = None) -> FailedStep:
        step = self.trace.steps[digest]
        location = self.locations.get(vertex or digest) or self.locations.get(digest)
        return FailedStep(digest, step.name, step.error, tuple(step.tail(self.trace.log_lines)), location)

    def failure_report(self, digest: str | None = None) -> str:
        """Lines naming the failed step's command, where the build file asked for it, and its last output."""
        failed = self.failed_step(digest)
        if failed is None:
            return f"no failed step recorded for {digest}" if digest else "no failed step recorded"
        lines = [f"ERROR: step failed: {failed.name}"]
        if failed.location is not None:
            lines.append(f"  at {failed.location}")
            if failed.location.source_line:
                lines.append(f"    {failed.location.source_line}")
                lines.append("    " + " " * max(failed.location.column - 1, 0) + "^")
        if failed.error:
            lines.append(f"  error: {failed.error}")
        if failed.log_tail:
            lines.append(f"  last {len(failed.log_tail)} log lines:")
            lines.extend(f"  | {line}" for line in failed.log_tail)
        else:
            lines.append("  (the step printed nothing)")
        return "\n".join(lines)


def _resolve_auto(console: Console | None) -> str:
    """buildx's rule: a live display only on a terminal."""
    if console is not None:
        return "tty" if console.is_terminal and not console.is_dumb_terminal else "plain"
    return "tty" if sys.stderr.isatty() and os.environ.get("TERM") != "dumb" else "plain"
