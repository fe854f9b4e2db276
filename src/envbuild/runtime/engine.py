"""The Docker engine that runs environments: the (given or current) context's engine if it is a moby worker
with a socket of its own, else DOCKER_HOST, else the default socket.

Kept in one place so every command reports an unreachable engine the same way, as a sentence and a hint.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from envbuild.errors import EnvbuildError

if TYPE_CHECKING:
    from envbuild.contexts import Context


def docker_base_url(ctx: Context | None = None) -> str | None:
    if ctx is None:
        from envbuild import contexts

        ctx = contexts.current()
    if ctx.builder == "moby-worker" and ctx.builder_address:
        return "unix://" + ctx.builder_address
    return None


def docker_client(ctx: Context | None = None):
    """A connected `docker.DockerClient`; EnvbuildError when the engine does not answer."""
    import docker
    from docker.errors import DockerException

    base_url = docker_base_url(ctx)
    try:
        client = docker.DockerClient(base_url=base_url) if base_url else docker.from_env()
        client.ping()
    except DockerException as err:
        where = base_url or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        raise EnvbuildError(
            f"cannot reach the Docker engine at {where}: {err}",
            hint="start dockerd (or set DOCKER_HOST), then try again",
        ) from err
    return client
