"""The client's own memory of a solve's status stream: vertex names, errors and each vertex's last log lines.

Kept apart from the progress display so error reports work in every progress mode, including quiet.
"""

from __future__ import annotations

import threading
from collections import deque

from envbuild.buildkit.progress_events import StatusEvent

LOG_TAIL = 12


class Tracker:
    def __init__(self, tail: int = LOG_TAIL):
        self._lock = threading.Lock()
        self._names: dict[str, str] = {}
        self._errors: dict[str, str] = {}
        self._started: set[str] = set()
        self._completed: set[str] = set()
        self._cached: set[str] = set()
        self._logs: dict[str, deque[str]] = {}
        self._partial: dict[str, str] = {}
        self._tail = tail

    def add(self, event: StatusEvent) -> None:
        with self._lock:
            for v in event.vertexes:
                if v.name:
                    self._names[v.digest] = v.name
                if v.error:
                    self._errors[v.digest] = v.error
                if v.started is not None:
                    self._started.add(v.digest)
                if v.completed is not None:
                    self._completed.add(v.digest)
                if v.cached:
                    self._cached.add(v.digest)
            for log in event.logs:
                text = self._partial.pop(log.vertex, "") + log.data.decode("utf-8", "replace")
                lines = text.split("\n")
                self._partial[log.vertex] = lines.pop()
                tail = self._logs.setdefault(log.vertex, deque(maxlen=self._tail))
                tail.extend(line.rstrip("\r") for line in lines)

    @property
    def digests(self) -> set[str]:
        with self._lock:
            return set(self._names)

    def name_of(self, digest: str) -> str:
        with self._lock:
            return self._names.get(digest, "")

    def started(self, digest: str) -> bool:
        with self._lock:
            return digest in self._started

    def cached(self, digest: str) -> bool:
        with self._lock:
            return digest in self._cached

    def failed_vertex(self) -> str:
        """The vertex that failed on its own (not one cancelled because another failed)."""
        with self._lock:
            for digest, error in self._errors.items():
                if "context canceled" not in error:
                    return digest
            return next(iter(self._errors), "")

    def log_tail(self, digest: str) -> tuple[str, ...]:
        with self._lock:
            lines = list(self._logs.get(digest, ()))
            if self._partial.get(digest):
                lines.append(self._partial[digest])
            return tuple(lines[-self._tail :])
