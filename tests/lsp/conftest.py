"""Fixtures of the language server tests; the helpers live in `session.py` so test modules import them once
under one name."""

from __future__ import annotations

import pytest

from tests.lang.conftest import git_daemon  # noqa: F401  (a fixture: a real git daemon for include())
from tests.lsp.session import client, project  # noqa: F401  (fixtures)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "debounce(ms): the language server's debounce for the test's session")
