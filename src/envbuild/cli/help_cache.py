"""`envbuild --help`, kept once rendered.

The top-level help lists every command, and typer builds all of them to do it: 0.2 s here, where envd answers
in 0.05 s. The rendered text is kept under the cache directory, named by a digest of what it is made from:
envbuild's code and the libraries it runs with (`installation.fingerprint`: typer's upgrade changes it too)
and the width the text was wrapped to. Any change to those makes a new name, so a kept text is never out of
date.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable

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
    from envbuild import installation

    width = min(shutil.get_terminal_size().columns, _MAX_WIDTH)
    return hashlib.sha256(f"{installation.fingerprint()} {width}".encode()).hexdigest()[:32]
