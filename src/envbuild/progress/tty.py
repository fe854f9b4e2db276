"""The live terminal view: a rich tree of steps with timers, like `docker buildx build` on a terminal.

Running steps show their sub-statuses and the last lines of their log; finished steps shrink to one line, and
when there are more of them than fit, the oldest fold into a single "N steps done earlier" line. The last
frame ends with a summary line (total time, steps, cached) and the build's warnings. Only this module imports
rich's layout classes, and only when a terminal display is asked for.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from envbuild.progress.plain import format_bytes
from envbuild.progress.trace import Step, Trace

#: log lines shown under a running step, as buildx does
LOG_TAIL = 6


class TreeView:
    """Draws a `Trace` as a tree; `clock` gives the local time in epoch seconds (tests pass a fixed one).

    `height` is the terminal's: finished steps get a third of it at most, and running steps share what is
    left for their log tails (at least one line each), so parallel steps never push the header off screen.
    """

    def __init__(self, trace: Trace, clock: Callable[[], float], height: int = 40):
        self.trace = trace
        self.clock = clock
        self.height = height
        self.max_done = max(3, height // 3)
        self.started_at = clock()
        #: local time minus daemon time, the smallest gap seen between a start and its arrival (their clocks
        #: may differ; the smallest gap is the freshest start, since a cached step reports its old times)
        self._skew: float | None = None
        self._seen_starts: set[tuple[str, float]] = set()

    def note_started(self) -> None:
        """Tighten the clock skew with every start that has just arrived."""
        now = self.clock()
        for step in self.trace.steps.values():
            for start in step.intervals:
                key = (step.digest, start.timestamp())
                if key not in self._seen_starts:
                    self._seen_starts.add(key)
                    gap = now - key[1]
                    self._skew = gap if self._skew is None else min(self._skew, gap)

    def elapsed(self, step: Step) -> float:
        """Seconds a step has run: finished runs from daemon times, plus the open run by the local clock."""
        seconds = step.duration()
        open_since = step.open_since()
        if open_since is not None and step.completed is None:
            seconds += max(0.0, self.clock() - (open_since.timestamp() + (self._skew or 0.0)))
        return seconds

    def render(self, *, finished: bool = False, stopped: str | None = None) -> RenderableType:
        """The current frame; `finished` adds the summary, `stopped` says why the build ended early."""
        steps = [self.trace.steps[d] for d in self.trace.order]
        total = self.clock() - self.started_at
        done = sum(1 for s in steps if s.is_completed)
        header = f"{total:.1f}s ({done}/{len(self.trace.steps)})" + (" FINISHED" if finished else "")
        tree = Tree(Text.assemble(("[+] Building ", "bold"), header), guide_style="bright_black")
        finished_ok = [s for s in steps if s.is_completed and not s.error]
        folded = set(map(id, finished_ok[: max(0, len(finished_ok) - self.max_done)]))
        if folded:
            cached = sum(1 for s in finished_ok if id(s) in folded and s.cached)
            note = f"{_steps(len(folded))} done earlier" + (f", {cached} cached" if cached else "")
            tree.add(Text(note, style="blue"))
        shown = [s for s in steps if id(s) not in folded]
        running = [s for s in shown if not s.is_completed]
        statuses = sum(1 for s in running for st in s.statuses.values() if st.completed is None)
        spare = self.height - 3 - len(shown) - statuses  # header, fold line and summary take three rows
        log_lines = max(1, min(LOG_TAIL, spare // max(1, len(running))))
        for step in shown:
            node = tree.add(self._step_label(step))
            if not step.is_completed:
                self._add_details(node, step, log_lines)
        if not finished:
            return tree
        warnings = [
            Text(f"WARN: {w.short} ({step.name})", style="yellow") for step in steps for w in step.warnings
        ]
        return Group(tree, self._summary(steps, total, stopped), *warnings)

    def _summary(self, steps: list[Step], total: float, stopped: str | None) -> Text:
        """The last line: how long the whole build took and how it ended."""
        cached = sum(1 for s in steps if s.cached)
        detail = _steps(len(steps)) + (f", {cached} cached" if cached else "")
        failed = [s for s in steps if s.failed]
        if failed:
            return Text(f"✘ Failed after {total:.1f}s at {failed[0].name}", style="bold red")
        if stopped is not None:
            return Text(f"✘ Stopped after {total:.1f}s: {stopped}", style="bold yellow")
        if any(s.canceled for s in steps):
            return Text(f"✘ Canceled after {total:.1f}s ({detail})", style="bold yellow")
        return Text(f"✔ Built in {total:.1f}s ({detail})", style="bold green")

    def _step_label(self, step: Step) -> Table:
        if step.failed:
            mark, style = "ERROR ", "red"
        elif step.canceled:
            mark, style = "CANCELED ", "yellow"
        elif step.cached:
            mark, style = "CACHED ", "blue"
        elif step.is_completed:
            mark, style = "", "blue"
        else:
            mark, style = "", "bold"
        row = Table.grid(expand=True)
        row.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        row.add_column(justify="right", no_wrap=True)
        timer = "" if step.cached else f" {self.elapsed(step):.1f}s"  # the space parts a cut-off name
        row.add_row(Text.assemble((mark, f"bold {style}"), (step.name, style)), Text(timer, style=style))
        return row

    def _add_details(self, node: Tree, step: Step, log_lines: int) -> None:
        for status in step.statuses.values():
            if status.completed is not None:
                continue
            counter = ""
            if status.total:
                counter = f" {format_bytes(status.current)} / {format_bytes(status.total)}"
            elif status.current:
                counter = f" {format_bytes(status.current)}"
            node.add(Text(status.id + counter, style="cyan", no_wrap=True, overflow="ellipsis"))
        lines = step.tail(log_lines)
        if lines:
            node.add(
                Group(
                    *(Text(line, style="bright_black", no_wrap=True, overflow="ellipsis") for line in lines)
                )
            )


def _steps(count: int) -> str:
    return f"{count} step" if count == 1 else f"{count} steps"
