"""Contexts: which BuildKit builder envbuild talks to, kept as YAML in the config dir.

A context names a builder kind and an address, like envd's contexts, so a user switches between
Docker's embedded BuildKit (the moby worker), a `buildkitd` in a container, or one on a socket or TCP port
with a single `envbuild context use`. The file is small and human-editable; every write replaces it
atomically so a crash never leaves half a file, and a fresh install behaves as if it held only the
`default` moby-worker context.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from envbuild.errors import EnvbuildError, UsageError
from envbuild.paths import config_dir

DEFAULT_NAME = "default"
BUILDERS = ("moby-worker", "docker-container", "unix", "tcp")
BUILDER_ALIASES = {"moby": "moby-worker"}
DEFAULT_CONTAINER = "envbuild_buildkitd"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_HOST_PORT = re.compile(r"^[A-Za-z0-9_.-]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$")


@dataclass(frozen=True)
class Context:
    """One named builder choice. `address` is what `envbuild.buildkit.connect()` takes."""

    name: str
    builder: str
    builder_address: str = ""

    @property
    def address(self) -> str:
        if self.builder == "moby-worker":
            # Empty means "the local Docker engine": connect() then honours DOCKER_HOST or the default socket.
            return "moby-worker://" + self.builder_address.removeprefix("unix://")
        if self.builder == "docker-container":
            return "docker-container://" + (self.builder_address or DEFAULT_CONTAINER)
        return f"{self.builder}://{self.builder_address}"

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "builder": self.builder, "builder_address": self.builder_address}


DEFAULT_CONTEXT = Context(DEFAULT_NAME, "moby-worker", "")


@dataclass(frozen=True)
class ContextStore:
    """The whole file: every context and the name of the current one."""

    current: str
    contexts: tuple[Context, ...]

    def get(self, name: str) -> Context | None:
        return next((c for c in self.contexts if c.name == name), None)


def contexts_file() -> Path:
    return config_dir() / "contexts.yaml"


def normalize_builder(builder: str) -> str:
    """`moby` is short for `moby-worker`; anything outside BUILDERS is a usage error naming the flag."""
    kind = BUILDER_ALIASES.get(builder, builder)
    if kind not in BUILDERS:
        allowed = ", ".join((*BUILDERS, *BUILDER_ALIASES))
        raise UsageError("--builder", builder, f"one of {allowed}")
    return kind


def normalize_address(builder: str, address: str) -> str:
    """Check the address fits the builder and strip a scheme the builder already implies.

    Why strict: a wrong address otherwise fails much later, inside a build, with a gRPC message that names
    neither the context nor the flag.
    """
    address = address.strip()
    scheme = f"{builder}://"
    if address.startswith(scheme):
        address = address[len(scheme) :]
    if builder == "moby-worker":
        if address.startswith("unix://"):
            address = address[len("unix://") :]
        if address and not address.startswith("/"):
            raise UsageError(
                "--builder-address",
                address,
                "empty (the local Docker engine) or an absolute path to a Docker socket",
            )
        return address
    if builder == "docker-container":
        if address and not _NAME.match(address):
            raise UsageError("--builder-address", address, "a container name such as envbuild_buildkitd")
        return address
    if builder == "unix":
        if not address.startswith("/"):
            raise UsageError(
                "--builder-address", address, "an absolute socket path, e.g. /run/buildkit/buildkitd.sock"
            )
        return address
    # tcp
    if not _HOST_PORT.match(address):
        raise UsageError("--builder-address", address, "host:port, e.g. 127.0.0.1:1234")
    return address


def load() -> ContextStore:
    """Read the file; a missing file is a fresh install with only the default context."""
    path = contexts_file()
    if not path.exists():
        return ContextStore(DEFAULT_NAME, (DEFAULT_CONTEXT,))
    import yaml

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise EnvbuildError(
            f"cannot read contexts file {path}: {err}",
            hint="fix or delete the file to start from the default context",
        ) from err
    try:
        contexts = tuple(
            Context(str(c["name"]), str(c["builder"]), str(c.get("builder_address") or ""))
            for c in data.get("contexts") or ()
        )
        current = str(data.get("current") or DEFAULT_NAME)
    except (KeyError, TypeError, AttributeError) as err:
        raise EnvbuildError(
            f"contexts file {path} is malformed: expected `current:` and a `contexts:` list of entries",
            hint="fix or delete the file to start from the default context",
        ) from err
    if not any(c.name == DEFAULT_NAME for c in contexts) and current == DEFAULT_NAME:
        contexts = (DEFAULT_CONTEXT, *contexts)
    return ContextStore(current, contexts)


def save(store: ContextStore) -> None:
    """Replace the file atomically (temp file in the same dir, then rename)."""
    import yaml

    path = contexts_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(
        {"current": store.current, "contexts": [c.to_dict() for c in store.contexts]}, sort_keys=False
    )
    fd, tmp = tempfile.mkstemp(prefix=".contexts-", suffix=".yaml", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def current() -> Context:
    """The context builds go through; `envbuild.buildkit.connect(current().address)`."""
    store = load()
    ctx = store.get(store.current)
    if ctx is None:
        raise EnvbuildError(
            f"the current context {store.current!r} is not defined in {contexts_file()}",
            hint="run `envbuild context use default` or create it with `envbuild context create`",
        )
    return ctx


def create(name: str, builder: str, builder_address: str = "", *, use: bool = False) -> Context:
    if not _NAME.match(name):
        raise UsageError("--name", name, "letters, digits, '.', '_' or '-', starting with a letter or digit")
    kind = normalize_builder(builder)
    address = normalize_address(kind, builder_address)
    store = load()
    if store.get(name) is not None:
        raise EnvbuildError(
            f"context {name!r} already exists", hint=f"remove it first: envbuild context rm {name}"
        )
    ctx = Context(name, kind, address)
    save(ContextStore(name if use else store.current, (*store.contexts, ctx)))
    return ctx


def use(name: str) -> Context:
    store = load()
    ctx = store.get(name)
    if ctx is None:
        raise UsageError("NAME", name, "one of " + ", ".join(c.name for c in store.contexts))
    save(ContextStore(name, store.contexts))
    return ctx


def remove(name: str) -> None:
    store = load()
    if store.get(name) is None:
        raise UsageError("NAME", name, "one of " + ", ".join(c.name for c in store.contexts))
    if name == store.current:
        raise EnvbuildError(
            f"context {name!r} is the current one and cannot be removed",
            hint="switch first: envbuild context use default",
        )
    save(ContextStore(store.current, tuple(c for c in store.contexts if c.name != name)))
