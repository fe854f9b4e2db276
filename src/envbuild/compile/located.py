"""Compile-stage errors at the build-file line that caused them.

Graph nodes carry the `Location` of the builtin call that made them (source line included); a refusal found
while compiling (an image reference, a Python version, a table lookup) is raised inside helpers that never
see the node, so the node's location is attached on the way out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from envbuild.errors import EnvbuildError, Location


@contextlib.contextmanager
def located(location: Location | None) -> Iterator[None]:
    """Errors raised inside without a location get `location` (the node being compiled)."""
    try:
        yield
    except EnvbuildError as err:
        if err.location is None:
            err.location = location
        raise
