"""What is at the cursor, read from the raw text of a file that is being typed and so rarely parses.

Positions here are 0-based lines and code-point columns (Python string indexes); the server converts them from
and to the client's units. Everything is a lexical scan of Starlark's Python-like syntax: enough to name the
word under the cursor, the call it sits in, and whether it is inside a string or a comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOTTED_TAIL = re.compile(r"(?:[A-Za-z_]\w*\s*\.\s*)*[A-Za-z_]\w*$")


@dataclass(frozen=True)
class Word:
    """An identifier, with the dotted expression it ends (`install.python` for the `python` of it)."""

    line: int
    start: int
    end: int
    text: str
    dotted: str


@dataclass(frozen=True)
class CallSite:
    """The call whose parentheses hold the cursor: `callee` as written (dotted), the argument index the cursor
    is in, the keyword of that argument when it has one, and the keywords already given."""

    callee: str
    argument: int
    keyword: str | None
    keywords: tuple[str, ...]


def code_part(line: str) -> str:
    """The line without a trailing comment, with string contents blanked (same length), so brackets, dots
    and `#` inside strings never count. Triple-quoted strings spanning lines are the caller's concern."""
    return _scan(line)[0]


def in_string_or_comment(line: str, column: int) -> bool:
    """Whether `column` of `line` is inside a string literal or a comment (single-line view)."""
    before = line[:column]
    code, open_quote = _scan(before)
    return open_quote is not None or len(code) < len(before)


def _scan(line: str) -> tuple[str, str | None]:
    out: list[str] = []
    quote: str | None = None
    index = 0
    while index < len(line):
        char = line[index]
        if quote is None:
            if char == "#":
                break
            if char in "\"'":
                quote = line[index : index + 3] if line[index : index + 3] in ('"""', "'''") else char
                out.append(quote)
                index += len(quote)
                continue
            out.append(char)
        elif line.startswith(quote, index):
            out.append(quote)
            index += len(quote)
            quote = None
            continue
        elif char == "\\":
            escaped = line[index : index + 2]
            out.append(" " * len(escaped))
            index += len(escaped)
            continue
        else:
            out.append(" ")
        index += 1
    return "".join(out), quote


def word_at(lines: list[str], line: int, column: int) -> Word | None:
    """The identifier touching `column` (the cursor may sit just after it)."""
    if not 0 <= line < len(lines):
        return None
    text = lines[line]
    for match in _WORD.finditer(text):
        if match.start() <= column <= match.end():
            before = text[: match.start()]
            dotted_prefix = re.search(r"((?:[A-Za-z_]\w*\s*\.\s*)+)$", before)
            dotted = match.group(0)
            if dotted_prefix:
                dotted = re.sub(r"\s+", "", dotted_prefix.group(1)) + dotted
            return Word(line, match.start(), match.end(), match.group(0), dotted)
    return None


def member_prefix(line_before: str) -> tuple[str | None, str]:
    """Completion context: (`install`, `py`) for `install.py|`, (None, `ba`) for `ba|`."""
    match = re.search(r"((?:[A-Za-z_]\w*\s*\.\s*)*)([A-Za-z_]\w*)?$", line_before)
    if not match:
        return None, ""
    qualifier = re.sub(r"\s+", "", match.group(1)).rstrip(".") or None
    return qualifier, match.group(2) or ""


def call_site(lines: list[str], line: int, column: int, limit: int = 200) -> CallSite | None:
    """The innermost call whose `(` is open at the cursor, scanning back at most `limit` lines."""
    first = max(0, line - limit)
    chunks = [code_part(text) for text in lines[first:line]] + [code_part(lines[line][:column])]
    code = "\n".join(chunks)
    depth = 0
    arguments = 0
    for index in range(len(code) - 1, -1, -1):
        char = code[index]
        if char in ")]}":
            depth += 1
        elif char in "([{":
            if depth:
                depth -= 1
                continue
            if char != "(":
                return None  # inside a list or dict literal that is not itself an argument list
            callee = _DOTTED_TAIL.search(code[:index].rstrip())
            if callee is None:
                return None
            inside = code[index + 1 :]
            return CallSite(
                callee=re.sub(r"\s+", "", callee.group(0)),
                argument=arguments,
                keyword=_current_keyword(inside),
                keywords=tuple(_keywords(inside)),
            )
        elif char == "," and depth == 0:
            arguments += 1
    return None


def _top_level_arguments(inside: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in inside:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _keywords(inside: str) -> list[str]:
    found = []
    for part in _top_level_arguments(inside):
        match = re.match(r"\s*([A-Za-z_]\w*)\s*=(?!=)", part)
        if match:
            found.append(match.group(1))
    return found


def _current_keyword(inside: str) -> str | None:
    match = re.match(r"\s*([A-Za-z_]\w*)\s*=(?!=)", _top_level_arguments(inside)[-1])
    return match.group(1) if match else None
