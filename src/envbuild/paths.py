"""Where envbuild keeps its own state on the host.

Config (contexts, user config.envd, ssh keys) and cache (include() clones, downloads) are separate so a user
can wipe the cache without losing contexts; the warm process's socket is in a runtime directory of its own.
Tests point both at temporary directories through the environment.
`keep_file` writes a cache file. The `*_name` spellings are plain strings, for the paths that must not pay
for importing pathlib (a no-op `build` answered from its memo, cli/noop.py).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def _base(env_var: str, xdg_var: str, default: str) -> str:
    if value := os.environ.get(env_var):
        return value
    if value := os.environ.get(xdg_var):
        return os.path.join(value, "envbuild")
    return os.path.join(os.path.expanduser("~"), default, "envbuild")


def config_dir_name() -> str:
    """`ENVBUILD_CONFIG_DIR`, else `$XDG_CONFIG_HOME/envbuild`, else `~/.config/envbuild`."""
    return _base("ENVBUILD_CONFIG_DIR", "XDG_CONFIG_HOME", ".config")


def cache_dir_name() -> str:
    """`ENVBUILD_CACHE_DIR`, else `$XDG_CACHE_HOME/envbuild`, else `~/.cache/envbuild`."""
    return _base("ENVBUILD_CACHE_DIR", "XDG_CACHE_HOME", ".cache")


def runtime_dir_name() -> str:
    """Where the warm process listens (warm/): `$XDG_RUNTIME_DIR/envbuild`, else `/tmp/envbuild-UID`, as
    tmux and ssh-agent do. A socket is neither config nor cache, and one process per user and installation
    serves every `HOME` and cache directory (tests give each its own)."""
    if value := os.environ.get("XDG_RUNTIME_DIR"):
        return os.path.join(value, "envbuild")
    return f"/tmp/envbuild-{os.getuid()}"


def keep_file(path: str | os.PathLike[str], text: str) -> None:
    """Write a file of envbuild's cache whole or not at all (a temporary file beside it, then a rename), with
    its directory. Best effort: a cache file that cannot be written is only missing next time."""
    path = os.fspath(path)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temp = f"{path}.{os.getpid()}.tmp"
        with open(temp, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temp, path)
    except OSError:
        pass


def config_dir() -> Path:
    from pathlib import Path

    return Path(config_dir_name())


def cache_dir() -> Path:
    from pathlib import Path

    return Path(cache_dir_name())
