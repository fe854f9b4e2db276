"""Compile-stage errors at the build-file line that caused them.

Graph nodes carry the `Location` of the builtin call that made them; a refusal found while compiling (an
image reference, a Python version, a table lookup) is raised inside helpers that never see the node, so the
node's location is attached on the way out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from envbuild.errors import EnvbuildError
from envbuild.errors import Location as ErrorLocation
from envbuild.graph import Graph, Location


def error_location(graph: Graph, location: Location | ErrorLocation | None) -> ErrorLocation | None:
    """A graph location as an error location, with its source line read from the project."""
    if location is None or isinstance(location, ErrorLocation):
        return location
    from envbuild.lang import source_location

    return source_location(graph, location)


@contextlib.contextmanager
def located(graph: Graph, location: Location | None) -> Iterator[None]:
    """Errors raised inside without a location get `location` (the node being compiled)."""
    try:
        yield
    except EnvbuildError as err:
        err.location = error_location(graph, err.location if err.location is not None else location)
        raise
