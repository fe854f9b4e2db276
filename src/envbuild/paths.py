"""Where envbuild keeps its own state on the host.

Config (contexts, user config.envd, ssh keys) and cache (include() clones, downloads) are separate so a user
can wipe the cache without losing contexts. Tests point both at temporary directories through the environment.
"""

from __future__ import annotations

import os
from pathlib import Path


def _base(env_var: str, xdg_var: str, default: str) -> Path:
    if value := os.environ.get(env_var):
        return Path(value)
    if value := os.environ.get(xdg_var):
        return Path(value) / "envbuild"
    return Path.home() / default / "envbuild"


def config_dir() -> Path:
    """`ENVBUILD_CONFIG_DIR`, else `$XDG_CONFIG_HOME/envbuild`, else `~/.config/envbuild`."""
    return _base("ENVBUILD_CONFIG_DIR", "XDG_CONFIG_HOME", ".config")


def cache_dir() -> Path:
    """`ENVBUILD_CACHE_DIR`, else `$XDG_CACHE_HOME/envbuild`, else `~/.cache/envbuild`."""
    return _base("ENVBUILD_CACHE_DIR", "XDG_CACHE_HOME", ".cache")
