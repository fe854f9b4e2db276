"""Include/exclude patterns for local directories, with the semantics of BuildKit's file sync.

A pattern is a slash-separated glob (`*`, `?`, `[...]`, `**` for any number of path segments) relative to the
directory; a leading `!` in an exclude list re-includes. A pattern matches a path or any of its parents, so
excluding `build` drops everything under it. The last matching exclude pattern wins, as in `.dockerignore`.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from functools import cached_property


def _clean(pattern: str) -> str:
    pattern = posixpath.normpath(pattern.strip().lstrip("/"))
    return "" if pattern == "." else pattern


def _to_regex(pattern: str) -> re.Pattern[str]:
    out = ["^"]
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                i += 2
                if pattern.startswith("/", i):
                    out.append("(?:.*/)?")  # `**/` : zero or more whole segments
                    i += 1
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    out.append("$")
    return re.compile("".join(out))


@dataclass(frozen=True)
class _Rule:
    text: str
    negated: bool

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return _to_regex(self.text)

    def matches(self, path: str) -> bool:
        """The path itself or one of its parent directories matches."""
        if self.regex.match(path):
            return True
        parts = path.split("/")
        return any(self.regex.match("/".join(parts[:n])) for n in range(1, len(parts)))


def _rules(patterns: tuple[str, ...], *, allow_negation: bool) -> tuple[_Rule, ...]:
    rules = []
    for raw in patterns:
        negated = allow_negation and raw.startswith("!")
        text = _clean(raw[1:] if negated else raw)
        if text:
            rules.append(_Rule(text, negated))
    return tuple(rules)


@dataclass(frozen=True)
class PathFilter:
    """Decides which relative paths of a directory are sent. Empty include = everything."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    _inc: tuple[_Rule, ...] = field(init=False, repr=False, compare=False)
    _exc: tuple[_Rule, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_inc", _rules(tuple(self.include), allow_negation=False))
        object.__setattr__(self, "_exc", _rules(tuple(self.exclude), allow_negation=True))

    @property
    def is_empty(self) -> bool:
        return not self._inc and not self._exc

    def excluded(self, path: str) -> bool:
        matched = False
        for rule in self._exc:
            if rule.matches(path):
                matched = not rule.negated
        return matched

    def included(self, path: str) -> bool:
        return not self._inc or any(rule.matches(path) for rule in self._inc)

    def wants(self, path: str) -> bool:
        """Send this entry (a file, or a directory as an entry of its own)."""
        return self.included(path) and not self.excluded(path)

    def may_descend(self, directory: str) -> bool:
        """Something below `directory` could still be sent, so walk into it."""
        if self.excluded(directory) and not any(rule.negated for rule in self._exc):
            return False
        if not self._inc or self.included(directory):
            return True
        return any(_could_match_below(rule.text, directory) for rule in self._inc)


def _could_match_below(pattern: str, directory: str) -> bool:
    """Whether `pattern` could match some path strictly inside `directory` (segment by segment)."""
    rule_parts = pattern.split("/")
    for i, part in enumerate(directory.split("/")):
        if i >= len(rule_parts):
            return False
        if rule_parts[i] == "**":
            return True
        if not _to_regex(rule_parts[i]).match(part):
            return False
    return len(rule_parts) > len(directory.split("/"))
