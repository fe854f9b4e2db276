"""Builder addresses: which BuildKit to talk to and how, parsed without touching the network.

Accepted forms (BuildKit's own spelling where one exists):
- `moby-worker://` (or `moby-worker`, `moby`): Docker engine's embedded BuildKit, on `DOCKER_HOST` or
  `/var/run/docker.sock`; `moby-worker:///path/docker.sock` names the socket.
- `unix:///run/buildkit/buildkitd.sock`: a standalone buildkitd.
- `tcp://host:port`, with TLS from query parameters `cacert`, `cert`, `key`, `servername`.
- `docker-container://NAME`: buildkitd in a container, via `docker exec -i NAME buildctl dial-stdio`.
With no address, `BUILDKIT_HOST` is used when set, else the moby worker.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from envbuild.buildkit.errors import AddressError

DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock"
SCHEMES = ("moby-worker", "unix", "tcp", "docker-container")
_ALLOWED = "moby-worker://, unix:///path, tcp://host:port, docker-container://NAME"


@dataclass(frozen=True)
class TLSOptions:
    """Files for a TLS connection to buildkitd (`buildctl --tlscacert/--tlscert/--tlskey/--tlsservername`)."""

    ca_cert: str | None = None
    cert: str | None = None
    key: str | None = None
    server_name: str | None = None


@dataclass(frozen=True)
class Address:
    """A parsed builder address.

    `scheme` is one of SCHEMES. For `moby-worker`, `docker_host` is the Docker engine endpoint (`unix://...`
    or `tcp://host:port`); for `unix`, `path` is the socket; for `tcp`, `host` is `host:port`; for
    `docker-container`, `host` is the container name.
    """

    scheme: str
    path: str = ""
    host: str = ""
    docker_host: str = ""
    tls: TLSOptions | None = None
    text: str = ""

    def __str__(self) -> str:
        """As messages show it: a moby-worker address names the engine's socket, the thing to check when
        the daemon is gone (`moby-worker://` alone says nothing)."""
        if self.scheme == "moby-worker" and self.docker_host:
            return f"{self.text or 'moby-worker://'} ({self.docker_host})"
        return self.text or f"{self.scheme}://{self.host or self.path}"


def _docker_host(env: Mapping[str, str]) -> str:
    value = env.get("DOCKER_HOST", "").strip()
    if not value:
        return f"unix://{DEFAULT_DOCKER_SOCKET}"
    if value.startswith(("unix://", "tcp://")):
        return value
    raise AddressError(
        f"DOCKER_HOST {value!r} is not supported for the moby worker: use unix:///path or tcp://host:port",
        hint="unset DOCKER_HOST to use /var/run/docker.sock",
    )


def parse_address(text: str | None, env: Mapping[str, str] | None = None) -> Address:
    """Turn a user's address (or, when None/empty, BUILDKIT_HOST or the moby worker) into an `Address`."""
    env = os.environ if env is None else env
    if not text:
        text = env.get("BUILDKIT_HOST", "").strip() or "moby-worker://"
    text = text.strip()
    if text in ("moby", "moby-worker"):
        text = "moby-worker://"
    if "://" not in text:
        raise AddressError(f"builder address {text!r} has no scheme: use one of {_ALLOWED}")
    scheme, rest = text.split("://", 1)
    if scheme == "moby-worker":
        if rest:
            path = rest if rest.startswith("/") else "/" + rest
            return Address("moby-worker", docker_host=f"unix://{path}", text=text)
        return Address("moby-worker", docker_host=_docker_host(env), text=text)
    if scheme == "unix":
        if not rest.startswith("/"):
            raise AddressError(
                f"builder address {text!r} needs an absolute socket path, e.g. unix:///run/x.sock"
            )
        return Address("unix", path=rest, text=text)
    if scheme == "tcp":
        parts = urlsplit(text)
        if not parts.hostname or not parts.port:
            raise AddressError(f"builder address {text!r} needs a host and a port, e.g. tcp://127.0.0.1:1234")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - {"cacert", "cert", "key", "servername"}
        if unknown:
            raise AddressError(
                f"builder address {text!r} has unknown option(s) {', '.join(sorted(unknown))}: "
                "allowed are cacert, cert, key, servername"
            )
        tls = None
        if query:
            tls = TLSOptions(
                query.get("cacert"), query.get("cert"), query.get("key"), query.get("servername")
            )
            if bool(tls.cert) != bool(tls.key):
                raise AddressError(f"builder address {text!r} must give both cert= and key=, or neither")
        return Address("tcp", host=f"{parts.hostname}:{parts.port}", tls=tls, text=text)
    if scheme == "docker-container":
        name = rest.strip("/")
        if not name:
            raise AddressError(
                f"builder address {text!r} needs a container name, e.g. docker-container://buildkitd"
            )
        return Address("docker-container", host=name, text=text)
    raise AddressError(f"builder address scheme {scheme!r} is not supported: use one of {_ALLOWED}")
