"""The status renderer in plain, quiet and rawjson modes, its failure report and the protobuf converter.

Events are built here the way BuildKit sends them (whole vertexes resent on each change, logs split mid-line),
so these tests need no daemon; the live terminal view is in test_tty.py.
"""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from envbuild.errors import Location, UsageError
from envbuild.progress.display import (
    LogChunk,
    ProgressGroup,
    ProgressRenderer,
    StatusEvent,
    StatusUpdate,
    VertexUpdate,
    VertexWarning,
    from_status_response,
)

T0 = datetime(2026, 11, 22, 5, 0, 0, tzinfo=UTC)
CTX, BASE, RUN, COPY = "sha256:c0", "sha256:ba", "sha256:50", "sha256:c9"
FAILURE = 'process "/bin/sh -c pip install nope" did not complete successfully: exit code: 1'


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


def log(digest: str, data: bytes, when: float, stream: int = 1) -> LogChunk:
    return LogChunk(digest, data, stream=stream, timestamp=at(when))


CTX_NAME = "[internal] load build context"
BASE_NAME = "[1/3] FROM docker.io/library/debian:bookworm"
RUN_NAME = "[2/3] RUN pip install nope"
COPY_NAME = "[3/3] COPY /ctx /srv"


def failing_build() -> list[object]:
    """A context transfer, a cached base, a RUN that logs across split chunks and fails."""
    return [
        StatusEvent(
            vertexes=(
                vertex(CTX, CTX_NAME),
                vertex(BASE, BASE_NAME),
                vertex(RUN, RUN_NAME, inputs=(BASE,)),
                vertex(COPY, COPY_NAME, inputs=(RUN, CTX)),
            )
        ),
        vertex(CTX, CTX_NAME, 0.0),
        StatusEvent(
            vertexes=(vertex(BASE, BASE_NAME, 0.1, 0.1, cached=True),),
            statuses=(
                StatusUpdate(
                    "transferring context:", CTX, current=2_500_000, timestamp=at(0.4), started=at(0)
                ),
            ),
        ),
        StatusEvent(
            vertexes=(vertex(CTX, CTX_NAME, 0.0, 0.6),),
            statuses=(
                StatusUpdate(
                    "transferring context:",
                    CTX,
                    current=5_120_000,
                    timestamp=at(0.6),
                    started=at(0),
                    completed=at(0.6),
                ),
            ),
        ),
        vertex(RUN, RUN_NAME, 0.7),
        log(RUN, b"Collecting no", 1.2),
        log(RUN, b"pe\r\nERROR: No matching distribution found for nope\n", 1.9, stream=2),
        vertex(RUN, RUN_NAME, 0.7, 2.0, error=FAILURE),
        vertex(COPY, COPY_NAME, 2.0, 2.0, error="context canceled"),
    ]


def render(mode: str, events: list[object], **kw) -> tuple[ProgressRenderer, str]:
    out = io.StringIO()
    with ProgressRenderer(mode, Console(file=out), **kw) as renderer:
        for event in events:
            renderer.update(event)
    return renderer, out.getvalue()


def test_plain_prints_buildx_style_blocks():
    """Steps that finish in an event print before those still running, as buildx orders them."""
    _, text = render("plain", failing_build())
    assert text == (
        "#1 [internal] load build context\n"
        "#1 ...\n"
        "\n"
        "#2 [1/3] FROM docker.io/library/debian:bookworm\n"
        "#2 CACHED\n"
        "\n"
        "#1 [internal] load build context\n"
        "#1 transferring context: 2.50MB 0.4s\n"
        "#1 transferring context: 5.12MB 0.6s done\n"
        "#1 DONE 0.6s\n"
        "\n"
        "#3 [2/3] RUN pip install nope\n"
        "#3 0.500 Collecting nope\n"
        "#3 1.200 ERROR: No matching distribution found for nope\n"
        "#3 ERROR: " + FAILURE + "\n"
        "\n"
        "#4 [3/3] COPY /ctx /srv\n"
        "#4 CANCELED\n"
    )


def test_plain_interleaves_parallel_steps_and_marks_the_switch():
    a, b = "sha256:aa", "sha256:bb"
    _, text = render(
        "plain",
        [
            StatusEvent(vertexes=(vertex(a, "RUN make a", 0.0), vertex(b, "RUN make b", 0.0))),
            log(a, b"a1\n", 0.5),
            log(b, b"b1\n", 0.6),
            log(a, b"a2\n", 1.0),
            StatusEvent(vertexes=(vertex(a, "RUN make a", 0.0, 1.25), vertex(b, "RUN make b", 0.0, 12.5))),
        ],
    )
    assert text == (
        "#1 RUN make a\n"
        "#1 ...\n"
        "\n"
        "#2 RUN make b\n"
        "#2 ...\n"
        "\n"
        "#1 RUN make a\n"
        "#1 0.500 a1\n"
        "#1 ...\n"
        "\n"
        "#2 RUN make b\n"
        "#2 0.600 b1\n"
        "#2 ...\n"
        "\n"
        "#1 RUN make a\n"
        "#1 1.000 a2\n"
        "#1 DONE 1.2s\n"
        "\n"
        "#2 RUN make b\n"
        "#2 DONE 12.5s\n"
    )


def test_plain_skips_unchanged_resends_and_small_counter_steps():
    """BuildKit resends whole vertexes and counters often; only real progress gets a new line."""
    pull = "sha256:pu"
    status = StatusUpdate  # short alias for the table below
    _, text = render(
        "plain",
        [
            vertex(pull, "pull base", 0.0),
            vertex(pull, "pull base", 0.0),
            VertexUpdate(pull, "pull base"),  # resent without times: must not reset the step
            status("sha256:layer", pull, total=1000, current=10, timestamp=at(0.1), started=at(0)),
            status("sha256:layer", pull, total=1000, current=30, timestamp=at(0.2), started=at(0)),
            status("sha256:layer", pull, total=1000, current=600, timestamp=at(0.3), started=at(0)),
            status(
                "sha256:layer",
                pull,
                total=1000,
                current=1000,
                timestamp=at(0.4),
                started=at(0),
                completed=at(0.4),
            ),
            vertex(pull, "pull base", 0.0, 0.5),
        ],
    )
    assert text == (
        "#1 pull base\n"
        "#1 sha256:layer 10B / 1.00kB 0.1s\n"
        "#1 sha256:layer 600B / 1.00kB 0.3s\n"
        "#1 sha256:layer 1.00kB / 1.00kB 0.4s done\n"
        "#1 DONE 0.5s\n"
    )


def test_plain_prints_warnings_and_a_last_line_without_newline():
    _, text = render(
        "plain",
        [
            vertex(RUN, "RUN echo", 0.0),
            VertexWarning(RUN, "FROM without a tag"),
            log(RUN, b"no newline at the end", 10.25),
        ],
    )
    assert text == ("#1 RUN echo\n#1 WARN: FROM without a tag\n#1 10.25 no newline at the end\n")


def test_progress_group_is_one_step():
    group = ProgressGroup("pg1", "[internal] load layers")
    members = ("sha256:l1", "sha256:l2")
    _, text = render(
        "plain",
        [
            StatusEvent(vertexes=tuple(vertex(d, d, 0.0, progress_group=group) for d in members)),
            vertex(members[0], members[0], 0.0, 0.5, progress_group=group),
            vertex(members[1], members[1], 0.0, 1.5, progress_group=group),
        ],
    )
    assert text == "#1 [internal] load layers\n#1 DONE 1.5s\n"


def test_quiet_prints_nothing_and_can_report_failures_on_exit():
    _, silent = render("quiet", failing_build())
    assert silent == ""
    renderer, text = render("quiet", failing_build(), report_failures=True)
    assert text == renderer.failure_report(RUN) + "\n"


def test_rawjson_is_one_buildctl_shaped_object_per_event():
    events = failing_build()
    _, text = render("rawjson", events)
    lines = text.splitlines()
    assert len(lines) == len(events)
    objects = [json.loads(line) for line in lines]
    assert [v["digest"] for v in objects[0]["vertexes"]] == [CTX, BASE, RUN, COPY]
    assert objects[0]["vertexes"][2]["inputs"] == [BASE]
    assert objects[1] == {"vertexes": [{"digest": CTX, "name": CTX_NAME, "started": "2026-11-22T05:00:00Z"}]}
    assert objects[2]["vertexes"][0]["cached"] is True
    assert objects[2]["statuses"][0] == {
        "id": "transferring context:",
        "vertex": CTX,
        "current": 2_500_000,
        "timestamp": "2026-11-22T05:00:00.400000Z",
        "started": "2026-11-22T05:00:00Z",
    }
    chunks = [log for obj in objects for log in obj.get("logs", [])]
    joined = b"".join(base64.b64decode(c["data"]) for c in chunks)
    assert joined == b"Collecting nope\r\nERROR: No matching distribution found for nope\n"
    assert [c.get("stream", 0) for c in chunks] == [1, 2]
    assert objects[7]["vertexes"][0]["error"] == FAILURE


def test_failure_report_names_command_location_and_last_lines():
    where = Location("build.envd", 7, 5, 'install.python_packages(name = ["nope"])')
    renderer, _ = render("plain", failing_build(), locations={RUN: where})
    assert renderer.failure_report(RUN) == (
        "ERROR: step failed: [2/3] RUN pip install nope\n"
        "  at build.envd:7:5\n"
        '    install.python_packages(name = ["nope"])\n'
        "        ^\n"
        "  error: " + FAILURE + "\n"
        "  last 2 log lines:\n"
        "  | Collecting nope\n"
        "  | ERROR: No matching distribution found for nope"
    )
    failed = renderer.failed_step()
    assert failed is not None
    assert (failed.digest, failed.name, failed.location) == (RUN, RUN_NAME, where)
    assert failed.log_tail == ("Collecting nope", "ERROR: No matching distribution found for nope")
    # the cancelled COPY is a consequence, not a failure
    assert [s.digest for s in renderer.failed_steps()] == [RUN]


def test_failure_report_keeps_only_the_last_lines_and_what_a_terminal_shows():
    lines = (
        b"".join(b"line %d\n" % i for i in range(30)) + b"progress 10%\rprogress 100%\n\x1b[31mred\x1b[0m\n"
    )
    renderer, _ = render(
        "quiet",
        [
            vertex(RUN, "RUN noisy", 0.0),
            log(RUN, lines, 1.0),
            vertex(RUN, "RUN noisy", 0.0, 2.0, error="exit code: 2"),
        ],
        log_lines=5,
    )
    failed = renderer.failed_step(RUN)
    assert failed is not None
    assert failed.log_tail == ("line 27", "line 28", "line 29", "progress 100%", "red")
    assert "at " not in renderer.failure_report(RUN)  # no location was given


def test_failure_report_for_a_silent_step_and_for_no_failure():
    renderer, _ = render("quiet", [vertex(RUN, "RUN false", 0.0, 0.1, error="exit code: 1")])
    assert renderer.failure_report().endswith("  error: exit code: 1\n  (the step printed nothing)")
    ok, _ = render("quiet", [vertex(RUN, "RUN true", 0.0, 0.1)])
    assert ok.failed_step() is None
    assert ok.failure_report(RUN) == f"no failed step recorded for {RUN}"


def test_auto_picks_plain_without_a_terminal_and_tty_on_one():
    assert ProgressRenderer("auto", Console(file=io.StringIO())).mode == "plain"
    assert ProgressRenderer("auto", Console(file=io.StringIO(), force_terminal=True)).mode == "tty"


def test_auto_without_a_console_looks_at_stderr_and_term(monkeypatch):
    monkeypatch.setattr("sys.stderr", _FakeTerminal())
    monkeypatch.setenv("TERM", "xterm-256color")
    assert ProgressRenderer("auto").mode == "tty"
    monkeypatch.setenv("TERM", "dumb")
    assert ProgressRenderer("auto").mode == "plain"


class _FakeTerminal(io.StringIO):
    """Stands in for a terminal on stderr (pytest captures the real one)."""

    def isatty(self) -> bool:
        return True


def test_unknown_mode_is_a_usage_error_naming_the_choices():
    with pytest.raises(UsageError) as caught:
        ProgressRenderer("fancy")
    assert caught.value.render() == (
        "error: --progress 'fancy' is not valid: one of auto, tty, plain, quiet, rawjson"
    )


def test_update_rejects_what_is_not_an_event():
    with ProgressRenderer("quiet", Console(file=io.StringIO())) as renderer, pytest.raises(TypeError):
        renderer.update("not an event")


def test_converter_reads_generated_status_response():
    from envbuild._proto.control import control_pb2

    msg = control_pb2.StatusResponse()
    v = msg.vertexes.add(digest=RUN, name=RUN_NAME, inputs=[BASE], cached=False, error="boom")
    v.started.FromNanoseconds(1_700_000_000_250_000_000)
    v.completed.FromSeconds(1_700_000_002)
    v.progressGroup.id = "pg"
    v.progressGroup.name = "group"
    s = msg.statuses.add(ID="transferring", vertex=CTX, name="ctx", current=5, total=10)
    s.timestamp.FromSeconds(1_700_000_001)
    entry = msg.logs.add(vertex=RUN, stream=2, msg=b"hello\n")
    entry.timestamp.FromSeconds(1_700_000_001)
    msg.warnings.add(vertex=RUN, level=1, short=b"careful", detail=[b"more"], url="https://example.invalid/w")
    msg.vertexes.add(digest=BASE, name=BASE_NAME)

    event = from_status_response(msg)
    assert event.vertexes[0] == VertexUpdate(
        RUN,
        RUN_NAME,
        inputs=(BASE,),
        started=datetime(2023, 11, 14, 22, 13, 20, 250000, tzinfo=UTC),
        completed=datetime(2023, 11, 14, 22, 13, 22, tzinfo=UTC),
        error="boom",
        progress_group=ProgressGroup("pg", "group"),
    )
    assert event.vertexes[1] == VertexUpdate(BASE, BASE_NAME)  # unset timestamps and group stay None
    assert event.statuses == (
        StatusUpdate(
            "transferring",
            CTX,
            "ctx",
            total=10,
            current=5,
            timestamp=datetime(2023, 11, 14, 22, 13, 21, tzinfo=UTC),
        ),
    )
    assert event.logs == (
        LogChunk(RUN, b"hello\n", stream=2, timestamp=datetime(2023, 11, 14, 22, 13, 21, tzinfo=UTC)),
    )
    assert event.warnings == (
        VertexWarning(RUN, "careful", level=1, detail=("more",), url="https://example.invalid/w"),
    )


def test_renderer_takes_generated_messages_directly():
    from envbuild._proto.control import control_pb2

    msg = control_pb2.StatusResponse()
    v = msg.vertexes.add(digest=RUN, name="RUN true")
    v.started.FromSeconds(100)
    v.completed.FromMilliseconds(101_500)
    _, text = render("plain", [msg])
    assert text == "#1 RUN true\n#1 DONE 1.5s\n"


def test_a_cache_hit_pulled_later_for_an_export_stays_cached():
    """An imported cache's hit is re-reported uncached while BuildKit pulls its layers for an export."""
    from envbuild.progress.trace import Trace

    trace = Trace()
    trace.apply(StatusEvent(vertexes=(vertex(RUN, RUN_NAME, 1, 1, cached=True),)))
    for second in (2, 3):
        trace.apply(StatusEvent(vertexes=(vertex(RUN, RUN_NAME, second),)))
        trace.apply(StatusEvent(vertexes=(vertex(RUN, RUN_NAME, second, second + 0.5),)))
    trace.apply(StatusEvent(vertexes=(vertex(COPY, COPY_NAME, 4, 5),)))
    records = {r.digest: r for r in trace.vertex_records()}
    assert records[RUN].cached and records[RUN].completed
    assert not records[COPY].cached
