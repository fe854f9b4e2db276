"""envbuild: envd v1 build files, evaluated in Python and built by BuildKit."""

from __future__ import annotations

from functools import cache


@cache
def version() -> str:
    """The installed distribution's version: pyproject.toml is its only source.

    Read from the `Version:` line of the distribution's METADATA, found where importlib.metadata looks (the
    `envbuild-*.dist-info` directories on sys.path), without importing importlib.metadata: with the email
    parser it pulls in, that import cost more than the rest of `envbuild version`.
    """
    import os
    import sys

    for entry in sys.path:
        try:
            names = sorted(n for n in os.listdir(entry or ".") if n.startswith("envbuild-"))
        except OSError:
            continue
        for name in names:
            if not name.endswith(".dist-info"):
                continue
            try:
                with open(os.path.join(entry or ".", name, "METADATA"), encoding="utf-8") as metadata:
                    for line in metadata:
                        if line.startswith("Version:"):
                            return line.split(":", 1)[1].strip()
                        if not line.strip():  # the headers end at the first blank line
                            break
            except OSError:
                continue
    return "0+unknown"  # run from a source tree that was never installed


def __getattr__(name: str) -> str:
    if name == "__version__":
        return version()
    raise AttributeError(f"module 'envbuild' has no attribute {name!r}")
