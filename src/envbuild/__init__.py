"""envbuild: envd v1 build files, evaluated in Python and built by BuildKit."""

from __future__ import annotations

from functools import cache


@cache
def version() -> str:
    """The installed distribution's version: pyproject.toml is its only source."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("envbuild")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return version()
    raise AttributeError(f"module 'envbuild' has no attribute {name!r}")
