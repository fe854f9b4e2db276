"""Completion and signature help: builtins and namespace members with their signatures and documentation,
the file's own names, the members of an include()d library, and the keyword arguments of the call the
cursor is in.

Positions are 0-based code points (see `text.py`); nothing here talks to the client.
"""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types

from envbuild.lsp import catalog
from envbuild.lsp.resolve import Definition, Library, Reader, resolve, symbols_of
from envbuild.lsp.symbols import Symbol
from envbuild.lsp.text import call_site, in_string_or_comment, member_prefix

_KINDS = {
    "function": types.CompletionItemKind.Function,
    "namespace": types.CompletionItemKind.Module,
    "value": types.CompletionItemKind.Constant,
    "variable": types.CompletionItemKind.Variable,
    "include": types.CompletionItemKind.Module,
    "load": types.CompletionItemKind.Reference,
}


def complete(
    lines: list[str], line: int, column: int, path: Path, read: Reader
) -> list[types.CompletionItem]:
    text = lines[line] if line < len(lines) else ""
    if in_string_or_comment(text, column):
        return []
    qualifier, _partial = member_prefix(text[:column])
    if qualifier is not None:
        return _members(qualifier, path, read)
    items = _keyword_arguments(lines, line, column, path, read)
    symbols = symbols_of(path, read)
    for symbol in symbols.symbols.values() if symbols else ():
        items.append(_symbol_item(symbol, path, read))
    items += [_entry_item(entry) for entry in catalog.top_level()]
    items += [
        types.CompletionItem(
            label=name,
            kind=types.CompletionItemKind.Function,
            detail=doc.partition(":")[0],
            documentation=doc.partition(": ")[2],
            sort_text=f"3{name}",
        )
        for name, doc in catalog.STARLARK_FUNCTIONS.items()
    ]
    items += [
        types.CompletionItem(label=word, kind=types.CompletionItemKind.Keyword, sort_text=f"4{word}")
        for word in catalog.KEYWORDS
    ]
    return _unique(items)


def _unique(items: list[types.CompletionItem]) -> list[types.CompletionItem]:
    """The first item of a label wins: a user's own `run` hides the builtin, as in the evaluation (the
    prelude skips names the file defines)."""
    seen: dict[str, types.CompletionItem] = {}
    for item in items:
        seen.setdefault(item.label, item)
    return list(seen.values())


def _markdown(text: str) -> types.MarkupContent:
    return types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)


def _entry_item(entry: catalog.Entry) -> types.CompletionItem:
    function = entry.kind == "function"
    return types.CompletionItem(
        label=entry.leaf,
        kind=_KINDS[entry.kind],
        detail=entry.signature if function else entry.name,
        documentation=_markdown(entry.markdown(signature=False)),
        insert_text=f"{entry.leaf}($0)" if function else None,
        insert_text_format=types.InsertTextFormat.Snippet if function else None,
        sort_text=f"1{entry.leaf}",
    )


def _symbol_item(symbol: Symbol, path: Path, read: Reader) -> types.CompletionItem:
    target = resolve(symbol.name, path, read) if symbol.kind == "load" else Definition(path, symbol)
    shown = target.symbol if isinstance(target, Definition) else symbol
    function = shown.kind == "function"
    return types.CompletionItem(
        label=symbol.name,
        kind=_KINDS[shown.kind],
        detail=f"{symbol.name}({shown.params})" if function else _describe(symbol),
        documentation=_markdown(shown.doc) if shown.doc else None,
        insert_text=f"{symbol.name}($0)" if function else None,
        insert_text_format=types.InsertTextFormat.Snippet if function else None,
        sort_text=f"0{symbol.name}",
    )


def _describe(symbol: Symbol) -> str:
    if symbol.kind == "include":
        return f"include({symbol.module!r})"
    if symbol.kind == "load":
        return f"from {symbol.module}"
    return symbol.kind


def _members(qualifier: str, path: Path, read: Reader) -> list[types.CompletionItem]:
    target = resolve(qualifier, path, read)
    if isinstance(target, catalog.Entry) and target.kind == "namespace":
        return [_entry_item(entry) for entry in catalog.members(qualifier)]
    if isinstance(target, Library):
        items = []
        for name, file in target.exports.items():
            symbols = symbols_of(file, read)
            symbol = symbols.symbols.get(name) if symbols else None
            if symbol is not None:
                items.append(_symbol_item(symbol, file, read))
        return items
    return []


def _keyword_arguments(
    lines: list[str], line: int, column: int, path: Path, read: Reader
) -> list[types.CompletionItem]:
    site = call_site(lines, line, column)
    if site is None or site.keyword is not None:
        return []
    parameters = _parameters(resolve(site.callee, path, read))
    return [
        types.CompletionItem(
            label=f"{name}=",
            kind=types.CompletionItemKind.Property,
            detail=label,
            documentation=_markdown(doc) if doc else None,
            sort_text=f"00{index:02d}",
        )
        for index, (name, label, doc) in enumerate(parameters)
        if name not in site.keywords and not name.startswith("*")
    ]


def _parameters(target: object) -> list[tuple[str, str, str]]:
    """(name, label, documentation) per parameter of a builtin or a user function."""
    if isinstance(target, catalog.Entry) and target.kind == "function":
        return [(p.name, p.label, p.doc) for p in target.params]
    if isinstance(target, Definition) and target.symbol.kind == "function":
        labels = [part.strip() for part in _split_params(target.symbol.params) if part.strip()]
        return [(re.split(r"\s*=", label)[0].lstrip("*"), label, "") for label in labels]
    return []


def _split_params(params: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in params:
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def signature_help(
    lines: list[str], line: int, column: int, path: Path, read: Reader
) -> types.SignatureHelp | None:
    site = call_site(lines, line, column)
    if site is None:
        return None
    target = resolve(site.callee, path, read)
    parameters = _parameters(target)
    if isinstance(target, catalog.Entry) and target.kind == "function":
        label, doc = target.signature, target.summary
    elif isinstance(target, Definition) and target.symbol.kind == "function":
        label, doc = f"{site.callee}({', '.join(p[1] for p in parameters)})", target.symbol.doc
    else:
        return None
    names = [name for name, _, _ in parameters]
    if site.keyword is not None:
        active = names.index(site.keyword) if site.keyword in names else None
    else:
        active = site.argument if site.argument < len(names) else None
    offsets: list[types.ParameterInformation] = []
    position = label.index("(") + 1
    for _name, parameter_label, parameter_doc in parameters:
        start = label.index(parameter_label, position)
        position = start + len(parameter_label)
        offsets.append(
            types.ParameterInformation(
                label=(start, position), documentation=_markdown(parameter_doc) if parameter_doc else None
            )
        )
    return types.SignatureHelp(
        signatures=[
            types.SignatureInformation(
                label=label, documentation=_markdown(doc) if doc else None, parameters=offsets
            )
        ],
        active_signature=0,
        active_parameter=active,
    )
