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


def engine_address(ctx: Context | None = None) -> str:
    """The engine endpoint as messages name it."""
    return docker_base_url(ctx) or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def lost_engine(err: BaseException, doing: str) -> EnvbuildError:
    """The engine stopped answering in the middle of something (dockerd killed or restarted)."""
    return EnvbuildError(
        f"lost the Docker engine at {engine_address()} while {doing} ({type(err).__name__})",
        hint="check that dockerd is running (e.g. `systemctl status docker`), then run the command again",
    )


def is_engine_loss(err: BaseException) -> bool:
    """A transport failure (socket gone, connection reset, timeout), not an answer from the engine."""
    import requests
    from docker.errors import APIError, DockerException

    if isinstance(err, APIError):
        return False
    return isinstance(err, requests.exceptions.RequestException | DockerException | ConnectionError)


def docker_client(ctx: Context | None = None):
    """A connected `docker.DockerClient`; EnvbuildError when the engine does not answer."""
    import docker
    from docker.errors import DockerException

    base_url = docker_base_url(ctx)
    try:
        client = docker.DockerClient(base_url=base_url) if base_url else docker.from_env()
        client.ping()
    except DockerException as err:
        raise EnvbuildError(
            f"cannot reach the Docker engine at {engine_address(ctx)}: {err}",
            hint="start dockerd (or set DOCKER_HOST), then try again",
        ) from err
    return client
