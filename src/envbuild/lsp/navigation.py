"""Hover, go-to-definition and the outline (document symbols) of a build file.

Positions are 0-based code points; a `Place` names a file and a range in it, which the server converts to
the client's units with that file's own text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types

from envbuild.lsp import catalog
from envbuild.lsp.resolve import Definition, Library, Reader, loaded_path, resolve, symbols_of
from envbuild.lsp.symbols import Symbol, scan
from envbuild.lsp.text import in_string_or_comment, word_at


@dataclass(frozen=True)
class Place:
    path: Path
    line: int
    start: int
    end: int


def hover(lines: list[str], line: int, column: int, path: Path, read: Reader) -> str | None:
    """Markdown for the name under the cursor."""
    if line >= len(lines) or in_string_or_comment(lines[line], column):
        return None
    word = word_at(lines, line, column)
    if word is None:
        return None
    target = resolve(word.dotted, path, read)
    if isinstance(target, catalog.Entry):
        return target.markdown()
    if isinstance(target, Library):
        names = ", ".join(f"`{n}`" for n in target.exports) or "no public names"
        ref = f" at `{target.ref}`" if target.ref else ""
        return f"Library `{target.url}`{ref} (commit `{target.commit[:12]}`, from the local cache): {names}."
    if isinstance(target, Definition):
        return _describe(target, path)
    return None


def _describe(target: Definition, origin: Path) -> str:
    symbol = target.symbol
    where = "" if target.path == origin else f"\n\nDefined in `{target.path.name}`, line {symbol.line + 1}."
    if symbol.kind == "function":
        doc = f"\n\n{symbol.doc}" if symbol.doc else ""
        return f"```python\ndef {symbol.name}({symbol.params})\n```{doc}{where}"
    if symbol.kind == "include":
        return f"```python\n{symbol.name} = include({symbol.module!r})\n```{where}"
    return f"```python\n{symbol.name}\n```\nA global of the build file.{where}"


def definition(lines: list[str], line: int, column: int, path: Path, read: Reader) -> Place | None:
    if line >= len(lines):
        return None
    symbols = symbols_of(path, read)
    for load in symbols.loads if symbols else ():
        if load.line == line and load.start <= column <= load.end:
            return Place(loaded_path(load.module, path), 0, 0, 0)
    if in_string_or_comment(lines[line], column):
        return None
    word = word_at(lines, line, column)
    if word is None:
        return None
    target = resolve(word.dotted, path, read)
    if isinstance(target, Definition):
        symbol = target.symbol
        return Place(target.path, symbol.line, symbol.column, symbol.column + len(symbol.name))
    if isinstance(target, Library):
        files = sorted(set(target.exports.values())) or sorted(target.root.rglob("*.envd"))
        return Place(files[0], 0, 0, 0) if files else None
    return None


_SYMBOL_KINDS = {
    "function": types.SymbolKind.Function,
    "include": types.SymbolKind.Module,
    "variable": types.SymbolKind.Variable,
}


def document_symbols(text: str) -> list[types.DocumentSymbol]:
    """The outline: build functions first of all, then includes and globals; loaded names are not shown
    (they are defined elsewhere)."""
    lines = text.split("\n")
    result = []
    for symbol in scan(text).symbols.values():
        if symbol.kind not in _SYMBOL_KINDS:
            continue
        end_column = len(lines[symbol.end_line]) if symbol.end_line < len(lines) else 0
        result.append(
            types.DocumentSymbol(
                name=symbol.name,
                kind=_SYMBOL_KINDS[symbol.kind],
                detail=_detail(symbol),
                range=types.Range(
                    types.Position(symbol.line, 0), types.Position(symbol.end_line, end_column)
                ),
                selection_range=types.Range(
                    types.Position(symbol.line, symbol.column),
                    types.Position(symbol.line, symbol.column + len(symbol.name)),
                ),
            )
        )
    return result


def _detail(symbol: Symbol) -> str:
    if symbol.kind == "function":
        return f"({symbol.params})"
    if symbol.kind == "include":
        return symbol.module
    return ""
