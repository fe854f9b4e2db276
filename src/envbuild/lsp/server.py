"""`envbuild lsp`: the language server (pygls, stdio) behind the VS Code extension and any LSP client.

Diagnostics come from a real evaluation of every open build file, debounced (`debounceMs` in the
initialization options, default `DEFAULT_DEBOUNCE_MS`) and run one at a time off the event loop; an error
inside a `load()`ed file or an include()d library is shown there and, in the open file, at the statement
that leads to it. Everything else (completion, signature help, hover, definition, outline, quick fixes)
reads the buffers lexically and answers at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lsprotocol import types
from pygls import uris
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

import envbuild
from envbuild.lsp import analysis, completion, fixes, navigation
from envbuild.lsp.resolve import loaded_path, open_library, read_disk, symbols_of
from envbuild.lsp.text import word_at

log = logging.getLogger("envbuild.lsp")
DEFAULT_DEBOUNCE_MS = 150
SOURCE = "envbuild"
SUFFIX = ".envd"


class EnvbuildLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "envbuild", envbuild.__version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental
        )
        self.debounce = DEFAULT_DEBOUNCE_MS / 1000
        self._pending: asyncio.Task[None] | None = None
        self._evaluator = ThreadPoolExecutor(max_workers=1, thread_name_prefix="envbuild-eval")
        # owner (open file evaluated) → target file → its diagnostics; a file shows the union over owners
        self._published: dict[str, dict[str, list[types.Diagnostic]]] = {}

    # ------------------------------------------------------------ buffers

    def overlay(self) -> dict[Path, str]:
        return {
            Path(doc.path): doc.source
            for doc in self.workspace.text_documents.values()
            if doc.path and doc.path.endswith(SUFFIX)
        }

    @staticmethod
    def reader(overlay: dict[Path, str]):
        return lambda path: overlay[path] if path in overlay else read_disk(path)

    def lines_of(self, path: Path, overlay: dict[Path, str]) -> list[str]:
        text = self.reader(overlay)(path)
        return [] if text is None else text.split("\n")

    def to_client(self, lines: list[str], line: int, column: int) -> types.Position:
        if line >= len(lines):
            return types.Position(line, 0)
        return self.workspace.position_codec.position_to_client_units(lines, types.Position(line, column))

    def client_range(self, lines: list[str], line: int, start: int, end_line: int, end: int) -> types.Range:
        return types.Range(self.to_client(lines, line, start), self.to_client(lines, end_line, end))

    # ------------------------------------------------------------ diagnostics

    def schedule(self, delay: float | None = None) -> None:
        """Re-evaluate every open build file after `delay` of quiet; a newer change restarts the wait."""
        if self._pending is not None and not self._pending.done():
            self._pending.cancel()
        self._pending = asyncio.get_running_loop().create_task(
            self._diagnose_after(self.debounce if delay is None else delay)
        )

    async def _diagnose_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        overlay = self.overlay()
        owners = list(overlay)
        loop = asyncio.get_running_loop()
        results = await loop.run_in_executor(
            self._evaluator, lambda: [(owner, analysis.analyse(owner, overlay)) for owner in owners]
        )
        touched: set[str] = set()
        still_open = self.overlay()
        for owner, problems in results:
            if owner in still_open:
                touched |= self._record(owner, problems, overlay)
        for uri in touched:
            self._publish(uri)

    def _record(self, owner: Path, problems: list[analysis.Problem], overlay: dict[Path, str]) -> set[str]:
        owner_uri = uris.from_fs_path(str(owner)) or str(owner)
        before = set(self._published.get(owner_uri, {}))
        by_target: dict[str, list[types.Diagnostic]] = {owner_uri: []}
        for problem in problems:
            for target, diagnostic in self._diagnostics(owner, problem, overlay):
                by_target.setdefault(uris.from_fs_path(str(target)) or str(target), []).append(diagnostic)
        self._published[owner_uri] = by_target
        return before | set(by_target)

    def forget(self, uri: str) -> None:
        targets = set(self._published.pop(uri, {}))
        for target in targets | {uri}:
            self._publish(target)

    def _publish(self, uri: str) -> None:
        merged: list[types.Diagnostic] = []
        for owner_targets in self._published.values():
            for diagnostic in owner_targets.get(uri, []):
                if diagnostic not in merged:
                    merged.append(diagnostic)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=merged))

    def _diagnostics(self, owner: Path, problem: analysis.Problem, overlay: dict[Path, str]):
        """The problem where it is, and (when that is another file) at the owner's statement leading there."""
        err = problem.error
        severity = types.DiagnosticSeverity.Warning if problem.warning else types.DiagnosticSeverity.Error
        message = err.message + (f"\nhint: {err.hint}" if err.hint else "")
        target = problem.path or owner
        lines = self.lines_of(target, overlay)
        line, column = (err.location.line - 1, err.location.column - 1) if err.location else (0, 0)
        if not err.location or problem.path is None:
            line, column = 0, 0
        end = _token_end(lines[line] if line < len(lines) else "", column)
        here = types.Location(
            uri=uris.from_fs_path(str(target)) or str(target),
            range=self.client_range(lines, line, column, line, end),
        )
        yield target, types.Diagnostic(range=here.range, message=message, severity=severity, source=SOURCE)
        if target == owner:
            return
        owner_lines = self.lines_of(owner, overlay)
        step = _statement_towards(owner, target, self.reader(overlay))
        at_line, start, stop = step if step else (0, 0, len(owner_lines[0]) if owner_lines else 0)
        where = os.path.relpath(target, owner.parent) if target.is_relative_to(owner.parent) else None
        if err.location is not None:
            where = f"{where or err.location.file}:{err.location.line}:{err.location.column}"
        yield (
            owner,
            types.Diagnostic(
                range=self.client_range(owner_lines, at_line, start, at_line, stop),
                message=f"{where or target}: {message}",
                severity=severity,
                source=SOURCE,
                related_information=[types.DiagnosticRelatedInformation(location=here, message=err.message)],
            ),
        )


def _token_end(text: str, column: int) -> int:
    """The end of what an error points at: a (dotted) name, a string, else the rest of the line."""
    if column >= len(text):
        return column
    rest = text[column:]
    match = re.match(r"[A-Za-z_][\w.]*|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'", rest)
    if match:
        return column + len(match.group(0))
    return len(text.rstrip())


def _statement_towards(owner: Path, target: Path, read) -> tuple[int, int, int] | None:
    """The load() or include() statement of `owner` through which evaluation reached `target`."""
    symbols = symbols_of(owner, read)
    if symbols is None:
        return None
    for load in symbols.loads:
        if _reaches(loaded_path(load.module, owner), target, read, 8, set()):
            return load.line, load.start, load.end
    for symbol in symbols.symbols.values():
        if symbol.kind == "include":
            library = open_library(symbol.module, symbol.original or None, owner.parent)
            if library is not None and target.is_relative_to(library.root):
                return symbol.line, symbol.column, symbol.column + len(symbol.name)
    return None


def _reaches(start: Path, target: Path, read, depth: int, seen: set[Path]) -> bool:
    if start == target:
        return True
    if depth <= 0 or start in seen:
        return False
    seen.add(start)
    symbols = symbols_of(start, read)
    return any(
        _reaches(loaded_path(load.module, start), target, read, depth - 1, seen)
        for load in (symbols.loads if symbols else ())
    )


server = EnvbuildLanguageServer()


def _document(ls: EnvbuildLanguageServer, uri: str) -> tuple[TextDocument, list[str], Path]:
    doc = ls.workspace.get_text_document(uri)
    return doc, doc.source.split("\n"), Path(doc.path or uris.to_fs_path(uri) or uri)


def _server_position(doc: TextDocument, position: types.Position) -> tuple[int, int]:
    at = doc.position_from_client_units(position)
    return at.line, at.character


@server.feature(types.INITIALIZE)
def _initialize(ls: EnvbuildLanguageServer, params: types.InitializeParams) -> None:
    options = params.initialization_options or {}
    if isinstance(options, dict) and isinstance(options.get("debounceMs"), (int, float)):
        ls.debounce = max(0.0, options["debounceMs"] / 1000)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def _did_open(ls: EnvbuildLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.schedule(0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def _did_change(ls: EnvbuildLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule()


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def _did_save(ls: EnvbuildLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.schedule(0)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def _did_close(ls: EnvbuildLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.forget(params.text_document.uri)
    ls.schedule(0)


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["."]))
def _completion(ls: EnvbuildLanguageServer, params: types.CompletionParams) -> types.CompletionList:
    doc, lines, path = _document(ls, params.text_document.uri)
    line, column = _server_position(doc, params.position)
    items = completion.complete(lines, line, column, path, ls.reader(ls.overlay()))
    return types.CompletionList(is_incomplete=False, items=items)


@server.feature(types.TEXT_DOCUMENT_SIGNATURE_HELP, types.SignatureHelpOptions(trigger_characters=["(", ","]))
def _signature_help(
    ls: EnvbuildLanguageServer, params: types.SignatureHelpParams
) -> types.SignatureHelp | None:
    doc, lines, path = _document(ls, params.text_document.uri)
    line, column = _server_position(doc, params.position)
    return completion.signature_help(lines, line, column, path, ls.reader(ls.overlay()))


@server.feature(types.TEXT_DOCUMENT_HOVER)
def _hover(ls: EnvbuildLanguageServer, params: types.HoverParams) -> types.Hover | None:
    doc, lines, path = _document(ls, params.text_document.uri)
    line, column = _server_position(doc, params.position)
    text = navigation.hover(lines, line, column, path, ls.reader(ls.overlay()))
    if text is None:
        return None
    word = word_at(lines, line, column)
    span = ls.client_range(lines, line, word.start, line, word.end) if word else None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text), range=span)


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def _definition(ls: EnvbuildLanguageServer, params: types.DefinitionParams) -> types.Location | None:
    doc, lines, path = _document(ls, params.text_document.uri)
    line, column = _server_position(doc, params.position)
    overlay = ls.overlay()
    place = navigation.definition(lines, line, column, path, ls.reader(overlay))
    if place is None:
        return None
    target_lines = ls.lines_of(place.path, overlay)
    return types.Location(
        uri=uris.from_fs_path(str(place.path)) or str(place.path),
        range=ls.client_range(target_lines, place.line, place.start, place.line, place.end),
    )


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def _document_symbols(
    ls: EnvbuildLanguageServer, params: types.DocumentSymbolParams
) -> list[types.DocumentSymbol]:
    doc, lines, _path = _document(ls, params.text_document.uri)
    symbols = navigation.document_symbols(doc.source)
    for symbol in symbols:
        for span in (symbol.range, symbol.selection_range):
            span.start = ls.to_client(lines, span.start.line, span.start.character)
            span.end = ls.to_client(lines, span.end.line, span.end.character)
    return symbols


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
)
def _code_actions(ls: EnvbuildLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    doc, lines, _path = _document(ls, params.text_document.uri)
    actions = []
    for diagnostic in params.context.diagnostics:
        if diagnostic.source != SOURCE:
            continue
        line, column = _server_position(doc, diagnostic.range.start)
        fix = fixes.locate(diagnostic.message, lines, line, column)
        if fix is None:
            continue
        edit = types.TextEdit(
            range=ls.client_range(lines, fix.line, fix.start, fix.line, fix.end), new_text=fix.right
        )
        actions.append(
            types.CodeAction(
                title=fix.title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                is_preferred=True,
                edit=types.WorkspaceEdit(changes={params.text_document.uri: [edit]}),
            )
        )
    return actions


def main() -> None:
    """Serve on stdin/stdout until the client says exit. Logs go to stderr (stdout is the protocol)."""
    logging.basicConfig(level=logging.WARNING, format="envbuild lsp: %(levelname)s %(message)s")
    server.start_io()
