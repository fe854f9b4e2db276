"""The language server under test: the real `envbuild lsp` command, driven over stdio by pytest-lsp's client.

Each test writes real build files into a temporary project and opens them the way an editor does
(`didOpen` with the text), so the server reads buffers from the protocol and the rest from disk.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ENVBUILD = str(Path(sys.executable).with_name("envbuild"))
WAIT_SECONDS = 20.0


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[ENVBUILD, "lsp"]))
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest):
    """A session with VS Code's capabilities; `debounceMs` 0 unless a test is marked `debounce(ms)`."""
    marker = request.node.get_closest_marker("debounce")
    debounce = marker.args[0] if marker else 0
    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        initialization_options={"debounceMs": debounce},
    )
    lsp_client.diagnostics = DiagnosticsLog()
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "proj"
    root.mkdir()
    return Project(root)


def uri(path: Path) -> str:
    return path.as_uri()


def open_file(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    """didOpen with the file's text (or `text`, an unsaved buffer)."""
    doc = uri(path)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(
                uri=doc, language_id="envd", version=version, text=path.read_text() if text is None else text
            )
        )
    )
    return doc


def change_file(client: LanguageClient, doc: str, text: str, version: int) -> None:
    """didChange replacing the whole buffer (as a paste would), without saving."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=doc, version=version),
            [types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


class DiagnosticsLog(dict):
    """The client's diagnostics store, also keeping every publication in order (pytest-lsp keeps the last)."""

    def __init__(self) -> None:
        super().__init__()
        self.history: list[tuple[str, list[types.Diagnostic]]] = []

    def __setitem__(self, uri: str, diagnostics) -> None:
        self.history.append((uri, list(diagnostics)))
        super().__setitem__(uri, diagnostics)


async def _next_publication(client: LanguageClient, timeout: float) -> None:
    await asyncio.wait_for(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), timeout)


async def diagnostics_until(
    client: LanguageClient, doc: str, ready: Callable[[list[types.Diagnostic]], bool]
) -> list[types.Diagnostic]:
    """Wait for the diagnostics of `doc` to satisfy `ready` (they arrive asynchronously, debounced)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while True:
        current = client.diagnostics.get(doc)
        if current is not None and ready(list(current)):
            return list(current)
        try:
            await _next_publication(client, max(deadline - loop.time(), 0.01))
        except TimeoutError:
            raise AssertionError(f"diagnostics of {doc} never matched; last: {current}") from None


async def publications(client: LanguageClient, doc: str, seconds: float) -> list[list[types.Diagnostic]]:
    """Every diagnostics publication for `doc` during the next `seconds`."""
    log = client.diagnostics
    assert isinstance(log, DiagnosticsLog)
    mark = len(log.history)
    await asyncio.sleep(seconds)
    return [diagnostics for uri, diagnostics in log.history[mark:] if uri == doc]


def position_of(text: str, needle: str, offset: int = 0) -> types.Position:
    """The position of `needle` in `text` (plus `offset` characters), as 0-based line and column."""
    index = textwrap.dedent(text).lstrip("\n").index(needle) + offset
    before = textwrap.dedent(text).lstrip("\n")[:index]
    return types.Position(before.count("\n"), index - (before.rfind("\n") + 1))
