"""`envbuild --help`, kept once rendered.

The top-level help lists every command, and typer builds all of them to do it: 0.2 s here, where envd answers
in 0.05 s. The rendered text is kept under the cache directory, named by a digest of what it is made from:
envbuild's version, the CLI's modules and typer's (each by size and modification time), and the width the text
was wrapped to. Any change to those makes a new name, so a kept text is never out of date.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from importlib.util import find_spec

#: click wraps help to the terminal's width, but never wider than this
_MAX_WIDTH = 80


def root_help(render: Callable[[], str]) -> str:
    """The top-level help: the kept text when there is one for this CLI and width, else `render()`, kept."""
    from envbuild.paths import cache_dir_name, keep_file

    path = os.path.join(cache_dir_name(), "help", f"{_key()}.txt")
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except OSError:
        pass
    text = render()
    keep_file(path, text)  # when it cannot be written, the next help renders again
    return text


def _key() -> str:
    from envbuild import version

    cli_dir = os.path.dirname(__file__)
    sources = sorted(os.path.join(cli_dir, name) for name in os.listdir(cli_dir) if name.endswith(".py"))
    typer = find_spec("typer")
    if typer is not None and typer.origin:
        sources.append(typer.origin)
    parts = [version(), str(min(shutil.get_terminal_size().columns, _MAX_WIDTH))]
    for source in sources:
        info = os.stat(source)
        parts.append(f"{source} {info.st_size} {info.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
