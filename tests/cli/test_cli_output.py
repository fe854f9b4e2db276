"""Tables are for reading: one line per row, times as docker shows them; JSON keeps values as they are."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from envbuild.cli.output import ago, emit

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=0.5), "Less than a second ago"),
        (timedelta(seconds=30), "30 seconds ago"),
        (timedelta(minutes=3), "3 minutes ago"),
        (timedelta(minutes=90), "About an hour ago"),
        (timedelta(hours=5), "5 hours ago"),
        (timedelta(days=3), "3 days ago"),
        (timedelta(days=40), "5 weeks ago"),
    ],
)
def test_times_read_as_docker_prints_them(delta, text):
    assert ago((NOW - delta).isoformat(), now=NOW) == text


def test_docker_nanosecond_timestamps_are_read():
    assert ago("2026-12-01T11:56:59.123456789Z", now=NOW) == "3 minutes ago"


def test_a_newline_in_a_cell_does_not_break_the_row(capsys):
    rows = [{"id": "a", "description": "mount /x\nfrom y"}, {"id": "b", "description": "plain"}]
    emit(rows, ("id", "description"), "table")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[1].split() == ["a", "mount", "/x", "from", "y"]


def test_json_keeps_full_times(capsys):
    stamp = "2026-12-01T11:57:00.123456789Z"
    emit([{"created": stamp}], ("created",), "json", times=("created",))
    assert json.loads(capsys.readouterr().out) == [{"created": stamp}]
