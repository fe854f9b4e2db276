"""`io.http` and `io.copy`: files from the web and from the host (or another image) into the image.

Host files come through one local source named `context` (the project directory), filtered to the paths the
step needs, so editing an unrelated file in the project does not invalidate the copy.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from envbuild import llb
from envbuild.compile.inputs import CONTEXT
from envbuild.contract import HOME
from envbuild.graph import Copy, HttpDownload

EXTRA_SOURCE_DIR = f"{HOME}/extra_source"


def context_source(include: tuple[str, ...] = ()) -> llb.State:
    """The project directory as a BuildKit local source; `include` narrows what is sent and hashed."""
    return llb.local(CONTEXT, include=tuple(include), shared_key=CONTEXT)


def http_downloads(
    state: llb.State, downloads: tuple[HttpDownload, ...], *, owner: tuple[int, int] | None
) -> llb.State:
    """Each download to `/home/envd/extra_source/<filename>`, checksum-verified by BuildKit when given."""
    for item in downloads:
        src = llb.http(item.url, checksum=item.checksum, filename=item.filename)
        state = state.copy(
            src,
            f"/{item.filename}",
            f"{EXTRA_SOURCE_DIR}/{item.filename}",
            create_parents=True,
            chown=owner,
            custom_name=f"io.http {item.url}",
        )
    return state


def _normalise(path: str) -> str:
    norm = posixpath.normpath(path)
    return "." if norm in ("", ".") else norm.lstrip("/")


def copies(state: llb.State, items: tuple[Copy, ...], *, owner: tuple[int, int] | None) -> llb.State:
    """`io.copy(source, target[, image])` with `cp -r`'s rule, as envd copies: a directory copied onto a
    target that does not exist becomes it; onto an existing directory it goes inside, as `target/<name>`
    (the project root itself, source ".", always lands as its contents)."""
    for item in items:
        if item.image:
            src_state = llb.image(item.image)
            src = item.source
        else:
            rel = _normalise(item.source)
            src_state = context_source(() if rel == "." else (rel,))
            src = "/" + ("" if rel == "." else rel)
        state = state.copy(
            src_state,
            src,
            item.target,
            create_parents=True,
            dir_contents_only=False,
            chown=owner,
            custom_name=f"io.copy {item.source} {item.target}",
        )
    return state


_NESTED = re.compile(r"^\s*(-r|--requirement|-c|--constraint)\s*=?\s*(\S+)")
_LOCAL = re.compile(r"^\s*(-e|--editable|\.|/|file:)|^\s*\S+\s*@\s*file:")


def requirements_includes(project_dir: str, path: str) -> tuple[str, ...]:
    """The project files a requirements file needs: itself and the files its `-r`/`-c` lines name, so the
    install step is re-run when they change and not when any other project file does. Editable or local
    path requirements need the whole project: then () (no filter)."""
    seen: list[str] = []
    todo = [posixpath.normpath(path)]
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.append(rel)
        try:
            text = (Path(project_dir) / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return ()
        for line in text.splitlines():
            line = line.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            nested = _NESTED.match(line)
            if nested:
                todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(rel), nested.group(2))))
            elif _LOCAL.match(line):
                return ()
    return tuple(seen)
