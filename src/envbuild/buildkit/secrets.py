"""Where a secret's bytes come from: a file, an environment variable, or bytes in memory.

Read only when a build step mounts the secret, so a missing file fails that step, not the whole client.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EnvSecret:
    """The value of environment variable `name` at the time the step asks for it."""

    name: str


SecretSource = Path | bytes | str | EnvSecret


def read_secret(source: SecretSource) -> bytes | None:
    """The secret's bytes, or None when its file or variable does not exist. A `str` is a file path."""
    if isinstance(source, bytes):
        return source
    if isinstance(source, EnvSecret):
        value = os.environ.get(source.name)
        return None if value is None else value.encode()
    try:
        return Path(source).read_bytes()
    except OSError:
        return None
