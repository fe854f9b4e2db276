"""The top-level names of a build file, where each is bound and what it is: functions (the build functions),
`load()`ed names, include()d libraries and plain globals.

A line scan, like `lang/source.py`'s: top-level statements start in column 0 and envd's dialect has no
top-level `if`/`for`, so this works on the half-typed text an editor holds, where a parser would give up.
include() calls are read by `lang/source.py` itself (`prepare`), so URL and ref mean the same as in a build.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

from envbuild.errors import EnvbuildError
from envbuild.lang.source import prepare
from envbuild.lsp.text import code_part

_DEF = re.compile(r"^def\s+([A-Za-z_]\w*)\s*\(")
_ASSIGN = re.compile(r"^([A-Za-z_]\w*)\s*=(?!=)")
_LOAD = re.compile(r"^load\s*\(")
_STRING = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'")


@dataclass(frozen=True)
class Symbol:
    """`kind` is function, variable, load or include. Lines and columns are 0-based; `end_line` is the last
    line of the statement (a function's body included)."""

    name: str
    kind: str
    line: int
    column: int
    end_line: int
    params: str = ""  # a function's parameter list as written
    doc: str = ""  # a function's docstring
    module: str = ""  # load: the file named; include: the URL
    original: str = ""  # load: the name in that file; include: the ref ("" for the default branch)


@dataclass(frozen=True)
class LoadStatement:
    module: str
    line: int
    start: int  # the module string's columns, quotes included
    end: int


@dataclass(frozen=True)
class FileSymbols:
    symbols: dict[str, Symbol]
    loads: tuple[LoadStatement, ...]

    def functions(self) -> list[Symbol]:
        return [s for s in self.symbols.values() if s.kind == "function"]


def scan(text: str) -> FileSymbols:
    lines = text.split("\n")
    symbols: dict[str, Symbol] = {}
    loads: list[LoadStatement] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        end = _statement_end(lines, index)
        if match := _DEF.match(line):
            header_end = _header_end(lines, index)
            header = "\n".join(lines[index : header_end + 1])
            params = header[header.index("(") + 1 : header.rindex(")")] if ")" in header else ""
            body_end = _body_end(lines, header_end)
            symbols.setdefault(
                match.group(1),
                Symbol(
                    match.group(1),
                    "function",
                    index,
                    match.start(1),
                    body_end,
                    params=" ".join(params.split()),
                    doc=_docstring(lines, header_end + 1),
                ),
            )
            index = body_end + 1
            continue
        if _LOAD.match(line):
            statement = "\n".join(lines[index : end + 1])
            _add_load(statement, index, lines, symbols, loads)
        elif match := _ASSIGN.match(line):
            symbols.setdefault(match.group(1), Symbol(match.group(1), "variable", index, 0, end))
        index = end + 1
    for request in _includes(text):
        name = _ASSIGN.match(lines[request.line - 1])
        if name:
            line = request.line - 1
            symbols[name.group(1)] = Symbol(
                name.group(1), "include", line, 0, line, module=request.url, original=request.ref or ""
            )
    return FileSymbols(symbols, tuple(loads))


def _includes(text: str):
    try:
        return prepare(text, "<editor>", include_prefix="0").includes
    except EnvbuildError:
        return ()


def _add_load(
    statement: str, line0: int, lines: list[str], symbols: dict[str, Symbol], loads: list[LoadStatement]
) -> None:
    strings = list(_STRING.finditer(statement))
    if not strings:
        return
    module_match = strings[0]
    module = module_match.group(1) if module_match.group(1) is not None else module_match.group(2)
    line, column = _position(statement, module_match.start(), line0)
    loads.append(LoadStatement(module, line, column, column + len(module_match.group(0))))
    for item in strings[1:]:
        value = item.group(1) if item.group(1) is not None else item.group(2)
        alias = re.search(r"([A-Za-z_]\w*)\s*=\s*$", statement[: item.start()])
        name = alias.group(1) if alias else value
        at_line, at_column = _position(statement, alias.start(1) if alias else item.start() + 1, line0)
        symbols.setdefault(
            name, Symbol(name, "load", at_line, at_column, at_line, module=module, original=value)
        )


def _position(statement: str, offset: int, line0: int) -> tuple[int, int]:
    before = statement[:offset]
    return line0 + before.count("\n"), offset - (before.rfind("\n") + 1)


def _is_top_level_start(line: str) -> bool:
    return bool(line) and not line[0].isspace() and not line.startswith("#") and not line.startswith(")")


def _statement_end(lines: list[str], index: int) -> int:
    """The last line of the statement starting at `index`: brackets balanced (strings ignored)."""
    depth = 0
    for end in range(index, min(len(lines), index + 200)):
        for char in code_part(lines[end]):
            depth += char in "([{"
            depth -= char in ")]}"
        if depth <= 0:
            return end
        if end > index and _is_top_level_start(lines[end]) and not lines[end].startswith((")", "]", "}")):
            return end - 1  # an unclosed bracket: the next top-level statement ends it
    return index


def _header_end(lines: list[str], index: int) -> int:
    for end in range(index, min(len(lines), index + 50)):
        if code_part(lines[end]).rstrip().endswith(":"):
            return end
    return index


def _body_end(lines: list[str], header_end: int) -> int:
    last = header_end
    for index in range(header_end + 1, len(lines)):
        line = lines[index]
        if _is_top_level_start(line):
            break
        if line.strip() and not line.lstrip().startswith("#"):
            last = index
    return last


def _docstring(lines: list[str], index: int) -> str:
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index >= len(lines):
        return ""
    first = lines[index].strip()
    for quote in ('"""', "'''", '"', "'"):
        if first.startswith(quote):
            break
    else:
        return ""
    body = first[len(quote) :]
    if quote in body:
        return body[: body.index(quote)].strip()
    parts = [body]
    for line in lines[index + 1 : index + 200]:
        if quote in line:
            parts.append(line[: line.index(quote)])
            break
        parts.append(line)
    return inspect.cleandoc("\n".join(parts))
