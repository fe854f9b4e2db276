"""The live terminal view, drawn on a recording rich Console with a fixed clock so timers are exact."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from envbuild.progress.display import (
    LogChunk,
    ProgressRenderer,
    StatusEvent,
    StatusUpdate,
    VertexUpdate,
    VertexWarning,
)
from envbuild.progress.events import as_event
from envbuild.progress.trace import Trace
from envbuild.progress.tty import TreeView

T0 = datetime(2026, 11, 22, 5, 0, 0, tzinfo=UTC)
WIDTH = 64


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def vertex(
    digest: str, name: str, start: float | None = None, end: float | None = None, **kw
) -> VertexUpdate:
    return VertexUpdate(
        digest,
        name,
        started=None if start is None else at(start),
        completed=None if end is None else at(end),
        **kw,
    )


class Clock:
    """Local time in epoch seconds, moved by the test; the daemon's clock is 100 s behind on purpose."""

    def __init__(self) -> None:
        self.now = at(100).timestamp()

    def __call__(self) -> float:
        return self.now


def build_events() -> list[object]:
    return [
        StatusEvent(
            vertexes=(
                vertex("sha256:ctx", "[internal] load build context"),
                vertex("sha256:base", "[1/3] FROM docker.io/library/debian:bookworm"),
                vertex("sha256:apt", "[2/3] RUN apt-get install -y curl"),
                vertex("sha256:pip", "[3/3] RUN pip install numpy"),
            )
        ),
        vertex("sha256:ctx", "[internal] load build context", 0.0),
        StatusEvent(
            vertexes=(
                vertex("sha256:base", "[1/3] FROM docker.io/library/debian:bookworm", 0.0, 0.0, cached=True),
            ),
            statuses=(
                StatusUpdate("transferring context:", "sha256:ctx", total=4_000_000, current=1_000_000),
            ),
        ),
    ]


def draw(view: TreeView, *, finished: bool = False) -> str:
    console = Console(record=True, force_terminal=True, width=WIDTH, file=io.StringIO())
    console.print(view.render(finished=finished))
    return console.export_text()


def started_view(clock: Clock) -> tuple[Trace, TreeView]:
    trace = Trace()
    view = TreeView(trace, clock)
    for event in build_events():
        trace.apply(as_event(event))
        view.note_started()
    return trace, view


def test_running_steps_show_timers_counters_and_the_log_tail():
    clock = Clock()
    trace, view = started_view(clock)
    trace.apply(as_event(vertex("sha256:apt", "[2/3] RUN apt-get install -y curl", 0.5)))
    noisy = b"".join(
        b"Get:%d http://mirror.test/debian bookworm/main pkg%d\n" % (i, i) for i in range(1, 9)
    )
    trace.apply(as_event(LogChunk("sha256:apt", noisy + b"Unpacking curl", timestamp=at(1.0))))
    clock.now += 2.0
    assert draw(view) == (
        "[+] Building 2.0s (1/4)\n"
        "├── [internal] load build context                           2.0s\n"
        "│   └── transferring context: 1.00MB / 4.00MB\n"
        "├── CACHED [1/3] FROM docker.io/library/debian:bookworm\n"
        "└── [2/3] RUN apt-get install -y curl                       1.5s\n"
        "    └── Get:4 http://mirror.test/debian bookworm/main pkg4\n"
        "        Get:5 http://mirror.test/debian bookworm/main pkg5\n"
        "        Get:6 http://mirror.test/debian bookworm/main pkg6\n"
        "        Get:7 http://mirror.test/debian bookworm/main pkg7\n"
        "        Get:8 http://mirror.test/debian bookworm/main pkg8\n"
        "        Unpacking curl\n"
    )


def test_done_steps_collapse_to_one_line_and_old_ones_fold():
    clock = Clock()
    trace = Trace()
    view = TreeView(trace, clock, height=8)  # room for a third of that: three finished steps
    for i in range(5):
        clock.now = at(100 + i).timestamp()  # each start arrives when it happens, 100 s on the local clock
        trace.apply(as_event(vertex(f"sha256:{i}", f"step {i}", i, i + 0.5, cached=i == 0)))
        trace.apply(as_event(LogChunk(f"sha256:{i}", b"noise\n", timestamp=at(i + 0.1))))
        view.note_started()
    clock.now = at(106).timestamp()
    trace.apply(as_event(vertex("sha256:run", "step running", 6.0)))
    view.note_started()
    clock.now += 1.0
    assert draw(view) == (
        "[+] Building 7.0s (5/6)\n"
        "├── 2 steps done earlier, 1 cached\n"
        "├── step 2                                                  0.5s\n"
        "├── step 3                                                  0.5s\n"
        "├── step 4                                                  0.5s\n"
        "└── step running                                            1.0s\n"
    )


def test_long_names_are_cut_to_keep_the_timer_visible():
    clock = Clock()
    trace = Trace()
    view = TreeView(trace, clock)
    trace.apply(as_event(vertex("sha256:long", "RUN " + "x" * 200, 0.0, 61.0)))
    view.note_started()
    line = draw(view).splitlines()[1]
    assert len(line) == WIDTH
    assert line.endswith("… 61.0s")


def test_final_frame_ends_with_a_summary_line_of_total_time():
    clock = Clock()
    console = Console(record=True, force_terminal=True, width=WIDTH, file=io.StringIO())
    with ProgressRenderer("tty", console, clock=clock) as renderer:
        for event in build_events():
            renderer.update(event)
        renderer.update(vertex("sha256:ctx", "[internal] load build context", 0.0, 0.4))
        renderer.update(vertex("sha256:apt", "[2/3] RUN apt-get install -y curl", 0.5, 3.0))
        renderer.update(vertex("sha256:pip", "[3/3] RUN pip install numpy", 3.0, 4.25))
        clock.now += 4.5
    assert console.export_text().endswith(
        "[+] Building 4.5s (4/4) FINISHED\n"
        "├── [internal] load build context                           0.4s\n"
        "├── CACHED [1/3] FROM docker.io/library/debian:bookworm\n"
        "├── [2/3] RUN apt-get install -y curl                       2.5s\n"
        "└── [3/3] RUN pip install numpy                             1.2s\n"
        "✔ Built in 4.5s (4 steps, 1 cached)\n"
    )


def test_failed_build_marks_the_step_and_names_it_in_the_summary():
    clock = Clock()
    trace, view = started_view(clock)
    trace.apply(as_event(vertex("sha256:ctx", "[internal] load build context", 0.0, 0.4)))
    trace.apply(
        as_event(vertex("sha256:apt", "[2/3] RUN apt-get install -y curl", 0.5, 1.5, error="exit code: 100"))
    )
    trace.apply(
        as_event(vertex("sha256:pip", "[3/3] RUN pip install numpy", 1.5, 1.5, error="context canceled"))
    )
    clock.now += 2.0
    console = Console(record=True, force_terminal=True, width=WIDTH, file=io.StringIO())
    console.print(view.render(finished=True))
    assert console.export_text(clear=False) == (
        "[+] Building 2.0s (4/4) FINISHED\n"
        "├── [internal] load build context                           0.4s\n"
        "├── CACHED [1/3] FROM docker.io/library/debian:bookworm\n"
        "├── ERROR [2/3] RUN apt-get install -y curl                 1.0s\n"
        "└── CANCELED [3/3] RUN pip install numpy                    0.0s\n"
        "✘ Failed after 2.0s at [2/3] RUN apt-get install -y curl\n"
    )
    styled = console.export_text(styles=True)
    assert "\x1b[1;31mERROR " in styled  # bold red mark on the failed step


def test_plain_mode_does_not_load_the_terminal_view():
    """rich's live display is only imported when a terminal display is asked for (keeps `--help` fast)."""
    code = (
        "import sys\n"
        "from envbuild.progress.display import ProgressRenderer\n"
        "with ProgressRenderer('plain') as r: pass\n"
        "print('envbuild.progress.tty' in sys.modules, 'rich.live' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_timers_ignore_the_old_times_of_cached_steps():
    """A cached vertex arrives with the times of the run that made it; the running step's timer must not
    count from those."""
    clock = Clock()
    trace = Trace()
    view = TreeView(trace, clock)
    trace.apply(as_event(vertex("sha256:old", "cached long ago", -3600.0, -3590.0, cached=True)))
    view.note_started()
    trace.apply(as_event(vertex("sha256:run", "RUN make", 0.0)))
    view.note_started()
    clock.now += 3.0
    last = draw(view).splitlines()[-1]
    assert last.startswith("└── RUN make ")
    assert last.endswith(" 3.0s")


def test_parallel_running_steps_share_the_screen_for_their_logs():
    clock = Clock()
    trace = Trace()
    view = TreeView(trace, clock, height=12)
    for name in ("a", "b", "c"):
        trace.apply(as_event(vertex(f"sha256:{name}", f"RUN make {name}", 0.0)))
        lines = b"".join(b"%s%d\n" % (name.encode(), i) for i in range(10))
        trace.apply(as_event(LogChunk(f"sha256:{name}", lines, timestamp=at(0.5))))
    view.note_started()
    drawn = draw(view)
    assert len(drawn.splitlines()) <= 12
    assert [
        line.strip(" │└─") for line in drawn.splitlines() if line.strip(" │└─").startswith(("a", "b", "c"))
    ] == [
        "a8",
        "a9",
        "b8",
        "b9",
        "c8",
        "c9",
    ]


def test_final_frame_lists_warnings_after_the_summary():
    clock = Clock()
    trace = Trace()
    view = TreeView(trace, clock)
    trace.apply(as_event(vertex("sha256:w", "RUN pip install x", 0.0, 1.0)))
    trace.apply(as_event(VertexWarning("sha256:w", "pip ran as root")))
    view.note_started()
    assert draw(view, finished=True).splitlines()[-2:] == [
        "✔ Built in 0.0s (1 step)",
        "WARN: pip ran as root (RUN pip install x)",
    ]


def test_an_interrupted_build_does_not_claim_success():
    clock = Clock()
    console = Console(record=True, force_terminal=True, width=WIDTH, file=io.StringIO())
    with pytest.raises(KeyboardInterrupt), ProgressRenderer("tty", console, clock=clock) as renderer:
        renderer.update(vertex("sha256:slow", "RUN sleep 100", 0.0))
        clock.now += 1.5
        raise KeyboardInterrupt
    assert console.export_text().splitlines()[-1] == "✘ Stopped after 1.5s: interrupted"
