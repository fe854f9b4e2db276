"""The Debian mirror of this machine, as scripts/debian_mirror.py reads it from apt's own configuration, so
tests that fetch from the mirror over plain HTTP name no host themselves."""

from __future__ import annotations

import runpy
from functools import cache
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "debian_mirror.py"


@cache
def debian_mirror() -> str:
    mirror = runpy.run_path(str(SCRIPT))["debian_mirror"]()
    if mirror is None:
        raise RuntimeError("apt names no Debian mirror on this machine (/etc/apt/sources.list(.d))")
    return mirror


def release_gpg_url() -> str:
    """A small file that is always on a Debian mirror."""
    return f"{debian_mirror()}/dists/bookworm/Release.gpg"
