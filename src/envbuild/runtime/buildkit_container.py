"""A buildkitd in a Docker container, as `docker-container` contexts use it: create, start, wait, remove.

Like envd and buildx's docker-container driver, envbuild makes the container itself when a context names one
that does not exist, so a user needs no separate BuildKit install. The container is privileged (buildkitd runs
its own containers) and uses the host's network, so registries, proxies and mirrors are reached exactly as
from the host (a registry on 127.0.0.1 included), as with the moby worker whose pulls dockerd makes. Its
cache lives in a named volume, so recreating the container keeps it; `remove` deletes both, and only for
containers envbuild made (they carry the `ai.envbuild.buildkitd` label).
"""

from __future__ import annotations

import contextlib
import io
import posixpath
import shlex
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from envbuild.errors import EnvbuildError
from envbuild.runtime.labels import PREFIX

if TYPE_CHECKING:
    from envbuild.contexts import Context

#: The BuildKit release envbuild's CI tests against; pinned, as envd pins its default, so a context
#: created today gets the same builder tomorrow.
DEFAULT_IMAGE = "docker.io/moby/buildkit:v0.26.3"
LABEL = PREFIX + "buildkitd"
CONFIG_DIR = "/etc/buildkit"  # buildkitd reads buildkitd.toml from here when running as root
STATE_DIR = "/var/lib/buildkit"
READY_TIMEOUT = 30.0
LOG_TAIL = 30


@dataclass(frozen=True)
class ContainerSpec:
    """What a docker-container context needs to (re)create its builder."""

    name: str
    image: str = DEFAULT_IMAGE
    config: str | None = None  # buildkitd.toml text
    flags: tuple[str, ...] = ()  # extra buildkitd arguments, e.g. --allow-insecure-entitlement network.host

    @property
    def volume(self) -> str:
        return f"{self.name}_state"


def spec_for(ctx: Context) -> ContainerSpec:
    """The container a docker-container context asks for."""
    config = None
    if ctx.buildkitd_config:
        try:
            config = Path(ctx.buildkitd_config).read_text()
        except OSError as err:
            raise EnvbuildError(
                f"context {ctx.name}'s buildkitd.toml {ctx.buildkitd_config} cannot be read ({err.strerror})",
                hint=f"create the context again: envbuild context rm {ctx.name}; envbuild context create ...",
            ) from err
    flags = tuple(shlex.split(ctx.buildkitd_flags))
    return ContainerSpec(ctx.container_name, ctx.builder_image or DEFAULT_IMAGE, config, flags)


def _client():
    from envbuild.runtime.engine import docker_client

    return docker_client()


def _get(client, name: str):
    from docker.errors import NotFound

    try:
        return client.containers.get(name)
    except NotFound:
        return None


def _config_tar(text: str) -> tuple[str, bytes]:
    """(where to unpack, a tar of CONFIG_DIR/buildkitd.toml) for `put_archive` on the created container."""
    parent, leaf = posixpath.split(CONFIG_DIR)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        folder = tarfile.TarInfo(leaf)
        folder.type = tarfile.DIRTYPE
        folder.mode = 0o755
        tar.addfile(folder)
        data = text.encode()
        info = tarfile.TarInfo(f"{leaf}/buildkitd.toml")
        info.size = len(data)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))
    return parent, buf.getvalue()


def _image(client, ref: str) -> None:
    from docker.errors import APIError, ImageNotFound

    try:
        client.images.get(ref)
        return
    except ImageNotFound:
        pass
    try:
        client.images.pull(ref)
    except APIError as err:
        raise EnvbuildError(
            f"the BuildKit image {ref} is not in the Docker engine and cannot be pulled: "
            f"{err.explanation or err}",
            hint="pull or build it first, or name another with --builder-image",
        ) from err


def _create(client, spec: ContainerSpec):
    from docker.errors import APIError

    _image(client, spec.image)
    try:
        container = client.containers.create(
            spec.image,
            command=list(spec.flags),
            name=spec.name,
            privileged=True,
            network_mode="host",
            volumes={spec.volume: {"bind": STATE_DIR, "mode": "rw"}},
            labels={LABEL: spec.image},
            restart_policy={"Name": "unless-stopped"},
            detach=True,
        )
    except APIError as err:
        raise EnvbuildError(
            f"cannot create the BuildKit container {spec.name}: {err.explanation or err}"
        ) from err
    if spec.config is not None:
        container.put_archive(*_config_tar(spec.config))
    return container


def _wait_ready(container, name: str, timeout: float) -> None:
    """Until buildkitd answers inside the container; a container that exits is an error with its logs."""
    deadline = time.monotonic() + timeout
    while True:
        container.reload()
        if container.status in ("exited", "dead"):
            break
        if container.exec_run(["buildctl", "debug", "workers"]).exit_code == 0:
            return
        if time.monotonic() > deadline:
            break
        time.sleep(0.3)
    logs = container.logs(tail=LOG_TAIL).decode("utf-8", "replace").strip()
    raise EnvbuildError(
        f"buildkitd in container {name} did not come up ({container.status}); its last log lines:\n{logs}",
        hint=f"check the image, the buildkitd.toml and flags; remove it with `docker rm -f {name}`",
    )


def ensure(spec: ContainerSpec, *, timeout: float = READY_TIMEOUT, client=None) -> str:
    """Make the container run: "running" (it already did), "started" (it existed) or "created"."""
    client = client or _client()
    container = _get(client, spec.name)
    if container is not None and container.status == "running":
        return "running"
    state = "started"
    if container is None:
        container = _create(client, spec)
        state = "created"
    try:
        container.start()
        _wait_ready(container, spec.name, timeout)
    except BaseException:
        if state == "created":  # nothing half-made is left behind; the error carries its logs
            _remove(client, container, spec.name)
        raise
    return state


def check_removable(name: str, *, client=None) -> None:
    """Refuse a container envbuild did not make, since a user's own buildkitd container may hold work."""
    client = client or _client()
    container = _get(client, name)
    if container is not None and LABEL not in (container.labels or {}):
        raise EnvbuildError(
            f"container {name} was not created by envbuild, so it is not removed",
            hint=f"remove it yourself with `docker rm -f {name}` if you mean to",
        )


def remove(name: str, *, client=None) -> bool:
    """Remove the container and its cache volume; False when there is none (see `check_removable`)."""
    client = client or _client()
    check_removable(name, client=client)
    container = _get(client, name)
    if container is None:
        return False
    _remove(client, container, name)
    return True


def _remove(client, container, name: str) -> None:
    from docker.errors import NotFound

    container.remove(force=True)
    with contextlib.suppress(NotFound):
        client.volumes.get(ContainerSpec(name).volume).remove(force=True)
