"""Quick fixes for misspellings: the replacement a "did you mean" error proposes, and where the typo is.

The suggestions come from starlark-rust's own messages (`Variable `instal` not found, did you mean
`install`?`, `has no attribute `pythn`, did you mean `python`?`), which envbuild passes through unchanged.
An unknown keyword argument of a builtin gets the closest parameter name from the builtin table.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from envbuild.lsp import catalog

_DID_YOU_MEAN = re.compile(r"`([A-Za-z_]\w*)`[^`]*did you mean `([A-Za-z_]\w*)`")
_EXTRA_NAMED = re.compile(r"Found `([A-Za-z_]\w*)` extra named parameter\(s\) for call to ([\w.]+)\(\)")


@dataclass(frozen=True)
class Fix:
    """Replace `wrong` (at `line`, columns `start`..`end`, 0-based) with `right`."""

    wrong: str
    right: str
    line: int
    start: int
    end: int

    @property
    def title(self) -> str:
        return f"Change `{self.wrong}` to `{self.right}`"


def suggestion(message: str) -> tuple[str, str, bool] | None:
    """(wrong, right, is_keyword) from an error message, or None."""
    if match := _DID_YOU_MEAN.search(message):
        return match.group(1), match.group(2), False
    if match := _EXTRA_NAMED.search(message):
        entry = catalog.entries().get(match.group(2))
        if entry is None or entry.kind != "function":
            return None
        close = difflib.get_close_matches(match.group(1), [p.name for p in entry.params], n=1, cutoff=0.6)
        if close:
            return match.group(1), close[0], True
    return None


def locate(message: str, lines: list[str], line: int, column: int) -> Fix | None:
    """The fix for an error reported at `line`/`column` (0-based): the typo is searched from there on, then
    on the whole line (starlark points at the start of `install.pythn(`, not at `pythn`)."""
    found = suggestion(message)
    if found is None or not 0 <= line < len(lines):
        return None
    wrong, right, keyword = found
    pattern = re.compile(rf"\b{re.escape(wrong)}\b" + (r"(?=\s*=)" if keyword else ""))
    match = pattern.search(lines[line], column) or pattern.search(lines[line])
    if match is not None:
        return Fix(wrong, right, line, match.start(), match.end())
    if keyword:  # a call spread over lines: the keyword is on a later one
        for later in range(line + 1, min(len(lines), line + 30)):
            if match := pattern.search(lines[later]):
                return Fix(wrong, right, later, match.start(), match.end())
    return None
