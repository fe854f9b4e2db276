"""Path arithmetic with Go's `path` semantics, so paths in our ops match what BuildKit's Go client writes."""

from __future__ import annotations

import posixpath


def clean(p: str) -> str:
    """Go's `path.Clean`: like normpath, but a leading `//` collapses to `/` and an empty path is `.`."""
    if not p:
        return "."
    out = posixpath.normpath(p)
    if out.startswith("//"):
        out = "/" + out.lstrip("/")
    return out


def join(*parts: str) -> str:
    """Go's `path.Join`: join the non-empty parts and clean the result ("" if all are empty)."""
    nonempty = [p for p in parts if p]
    return clean("/".join(nonempty)) if nonempty else ""


def resolve(cwd: str, p: str, keep_slash: bool = False) -> str:
    """An absolute, cleaned form of `p` relative to `cwd`.

    With `keep_slash`, a trailing `/` or `/.` survives (a copy then puts things *into* the directory)."""
    out = clean(p)
    if not out.startswith("/"):
        out = join("/", cwd, out)
    if keep_slash:
        if p.endswith("/") and not out.endswith("/"):
            out += "/"
        elif p.endswith("/."):
            if out != "/":
                out += "/"
            out += "."
    return out
