"""Contexts: which BuildKit builder envbuild talks to, kept as YAML in the config dir.

A context names a builder kind and an address, like envd's contexts, so a user switches between
Docker's embedded BuildKit (the moby worker), a `buildkitd` in a container, or one on a socket or TCP port
with a single `envbuild context use`. A `tcp` context may carry mutual-TLS files (as buildctl's `--tlscacert`,
`--tlscert`, `--tlskey`, `--tlsservername`); a `docker-container` one the image, buildkitd.toml and flags its
container is created with. The file is small and human-editable; every change is a read-modify-write under a
lock that replaces the file atomically, so a crash never leaves half a file and two commands never lose each
other's change. Keys envbuild does not know (a newer version's, or the user's) are written back as they were.
The `default` moby-worker context always exists, defined in the file or not.

Which builder a command uses is decided here, once, the way BuildKit's own tools decide it (`select`): the
command's `--context NAME`, else `BUILDKIT_HOST`, else the current context.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shlex
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from envbuild.errors import EnvbuildError, UsageError
from envbuild.paths import config_dir

DEFAULT_NAME = "default"
BUILDERS = ("moby-worker", "docker-container", "unix", "tcp")
BUILDER_ALIASES = {"moby": "moby-worker"}
DEFAULT_CONTAINER = "envbuild_buildkitd"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_HOST_PORT = re.compile(r"^[A-Za-z0-9_.-]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$")


@dataclass(frozen=True, kw_only=True)
class BuilderSettings:
    """What `context create` takes besides name, builder and address (flags named as buildctl and buildx
    name them), and what a context keeps of it. TLS is for `tcp`; image, config and flags are for
    `docker-container`. Empty means unset."""

    tls_ca_cert: str = ""
    tls_cert: str = ""
    tls_key: str = ""
    tls_server_name: str = ""
    builder_image: str = ""
    buildkitd_config: str = ""
    buildkitd_flags: str = ""


@dataclass(frozen=True)
class Context(BuilderSettings):
    """One named builder choice. `address` is what `envbuild.buildkit.connect()` takes.

    The TLS files (absolute paths) belong to `tcp` contexts; `builder_image`, `buildkitd_config` (a copy kept
    in the config dir) and `buildkitd_flags` to `docker-container` ones (the settings are keyword-only).
    """

    name: str
    builder: str
    builder_address: str = ""
    extra: tuple[tuple[str, Any], ...] = field(default=(), compare=False)  # unknown keys, kept as read

    @property
    def address(self) -> str:
        if self.builder == "moby-worker":
            # Empty means "the local Docker engine": connect() then honours DOCKER_HOST or the default socket.
            return "moby-worker://" + self.builder_address.removeprefix("unix://")
        if self.builder == "docker-container":
            return "docker-container://" + self.container_name
        tls = {
            key: value
            for key, value in (
                ("cacert", self.tls_ca_cert),
                ("cert", self.tls_cert),
                ("key", self.tls_key),
                ("servername", self.tls_server_name),
            )
            if value
        }
        return f"{self.builder}://{self.builder_address}" + (f"?{urlencode(tls)}" if tls else "")

    @property
    def container_name(self) -> str:
        return self.builder_address or DEFAULT_CONTAINER

    def to_dict(self) -> dict[str, str]:
        """The fields as stored: name, builder and address always, the others only when set."""
        stored = {"name": self.name, "builder": self.builder, "builder_address": self.builder_address}
        return {**stored, **{f.name: v for f in fields(BuilderSettings) if (v := getattr(self, f.name))}}

    def to_yaml(self) -> dict[str, Any]:
        return {**self.to_dict(), **dict(self.extra)}


DEFAULT_CONTEXT = Context(DEFAULT_NAME, "moby-worker", "")


@dataclass(frozen=True)
class ContextStore:
    """The whole file: every context and the name of the current one."""

    current: str
    contexts: tuple[Context, ...]
    extra: tuple[tuple[str, Any], ...] = ()  # unknown top-level keys, kept as read

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
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ContextStore(DEFAULT_NAME, (DEFAULT_CONTEXT,))
    except OSError as err:
        raise EnvbuildError(f"cannot read contexts file {path}: {err.strerror}", hint=_FIX) from None
    return parse(data, path)


_FIX = "fix the file, or delete it to start again from the default context"
_KNOWN = tuple(f.name for f in fields(Context) if f.name != "extra")


def parse(data: bytes, path: Path) -> ContextStore:
    """The store in `data`; every way the file can be wrong is an error naming it (and the line, when YAML
    or UTF-8 can tell)."""
    import yaml

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise EnvbuildError(
            f"contexts file {path}:{line}:{column} is not valid UTF-8 (byte 0x{data[err.start]:02x})",
            hint=_FIX,
        ) from None
    if _too_deep(text):
        raise EnvbuildError(f"contexts file {path} is nested too deeply to be a contexts file", hint=_FIX)
    try:
        loaded = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise EnvbuildError(f"contexts file {where} is not valid YAML: {problem}", hint=_FIX) from None
    except RecursionError:
        raise EnvbuildError(
            f"contexts file {path} is nested too deeply to be a contexts file", hint=_FIX
        ) from None
    malformed = EnvbuildError(
        f"contexts file {path} is malformed: expected `current:` and a `contexts:` list of entries, each "
        "with `name` and `builder`",
        hint=_FIX,
    )
    if not isinstance(loaded, dict) or not isinstance(loaded.get("contexts") or [], list):
        raise malformed
    contexts = []
    for entry in loaded.get("contexts") or []:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("name"), str | int)
            or "builder" not in entry
        ):
            raise malformed
        extra = tuple((k, v) for k, v in entry.items() if k not in _KNOWN)
        known = {k: str(entry.get(k) or "") for k in _KNOWN}
        contexts.append(Context(**known, extra=extra))
    current_name = loaded.get("current") or DEFAULT_NAME
    if not isinstance(current_name, str | int):
        raise malformed
    if not any(c.name == DEFAULT_NAME for c in contexts):
        contexts.insert(0, DEFAULT_CONTEXT)
    extra = tuple((k, v) for k, v in loaded.items() if k not in ("current", "contexts"))
    return ContextStore(str(current_name), tuple(contexts), extra)


MAX_YAML_DEPTH = 64  # a contexts file nests three levels; PyYAML takes seconds to refuse thousands


def _too_deep(text: str) -> bool:
    """Whether flow brackets or block indentation nest deeper than any contexts file would."""
    depth = 0
    for char in text:
        if char in "[{":
            depth += 1
            if depth > MAX_YAML_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    indents = (len(line) - len(line.lstrip(" -")) for line in text.splitlines())
    return max(indents, default=0) > 2 * MAX_YAML_DEPTH


def save(store: ContextStore) -> None:
    """Replace the file atomically (temp file in the same dir, then rename)."""
    with _locked():
        _write(store)


@contextlib.contextmanager
def edit() -> Iterator[list[ContextStore]]:
    """Read-modify-write under the lock: the body replaces `box[0]` with the store to write."""
    with _locked():
        box = [load()]
        before = box[0]
        yield box
        if box[0] is not before:
            _write(box[0])


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    directory = contexts_file().parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as err:
        raise EnvbuildError(
            f"cannot use the config directory {directory}: {err.strerror}",
            hint="fix its permissions, or set ENVBUILD_CONFIG_DIR to a directory envbuild may write",
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write(store: ContextStore) -> None:
    import yaml

    path = contexts_file()
    contexts = [c.to_yaml() for c in store.contexts]
    text = yaml.safe_dump(
        {"current": store.current, "contexts": contexts, **dict(store.extra)},
        sort_keys=False,
        allow_unicode=True,
    )
    try:
        fd, tmp = tempfile.mkstemp(prefix=".contexts-", suffix=".yaml", dir=path.parent)
    except OSError as err:
        raise EnvbuildError(
            f"cannot write contexts file {path}: {err.strerror}",
            hint="fix the config directory's permissions, or set ENVBUILD_CONFIG_DIR",
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise EnvbuildError(f"cannot write contexts file {path}: {err.strerror}", hint=_FIX) from None
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


#: The CLI flag of each setting, for errors that name what the user typed.
SETTING_FLAGS = {
    "tls_ca_cert": "--tlscacert",
    "tls_cert": "--tlscert",
    "tls_key": "--tlskey",
    "tls_server_name": "--tlsservername",
    "builder_image": "--builder-image",
    "buildkitd_config": "--buildkitd-config",
    "buildkitd_flags": "--buildkitd-flags",
}
_SETTINGS_FOR = {
    "tcp": {"tls_ca_cert", "tls_cert", "tls_key", "tls_server_name"},
    "docker-container": {"builder_image", "buildkitd_config", "buildkitd_flags"},
}


def _readable_file(flag: str, value: str) -> str:
    path = Path(value).expanduser()
    if not path.is_file() or not os.access(path, os.R_OK):
        raise UsageError(flag, value, "a readable file")
    return str(path.resolve())


def _check_settings(kind: str, settings: BuilderSettings) -> BuilderSettings:
    """Refuse settings the builder kind has no use for, and files that cannot be read, naming the flag."""
    given = {k: v for k, v in asdict(settings).items() if v}
    for key, value in given.items():
        if key not in _SETTINGS_FOR.get(kind, set()):
            allowed = next(b for b, keys in _SETTINGS_FOR.items() if key in keys)
            raise UsageError(SETTING_FLAGS[key], value, f"only for --builder {allowed}")
    if bool(settings.tls_cert) != bool(settings.tls_key):
        flag, other = ("--tlscert", "--tlskey") if settings.tls_cert else ("--tlskey", "--tlscert")
        raise UsageError(flag, settings.tls_cert or settings.tls_key, f"given together with {other}")
    for key in ("tls_ca_cert", "tls_cert", "tls_key", "buildkitd_config"):
        if given.get(key):
            given[key] = _readable_file(SETTING_FLAGS[key], given[key])
    if settings.buildkitd_flags:
        try:
            shlex.split(settings.buildkitd_flags)
        except ValueError as err:
            raise UsageError("--buildkitd-flags", settings.buildkitd_flags, f"shell words ({err})") from err
    return BuilderSettings(**given)


def _config_copy(name: str) -> Path:
    """Where a docker-container context keeps its buildkitd.toml, so the context does not depend on the file
    the user named staying put."""
    return config_dir() / "buildkitd" / f"{name}.toml"


def new(
    name: str, builder: str, builder_address: str = "", settings: BuilderSettings | None = None
) -> Context:
    """A checked context that is not saved yet (so a container can be made for it first)."""
    if not _NAME.match(name):
        raise UsageError("--name", name, "letters, digits, '.', '_' or '-', starting with a letter or digit")
    kind = normalize_builder(builder)
    address = normalize_address(kind, builder_address)
    checked = _check_settings(kind, settings or BuilderSettings())
    with _locked():  # the config dir checked as every write checks it; `add` checks the name again
        taken = load().get(name) is not None
    if taken:
        raise EnvbuildError(
            f"context {name!r} already exists", hint=f"remove it first: envbuild context rm {name}"
        )
    return Context(name, kind, address, **asdict(checked))


def add(ctx: Context, *, use: bool = False) -> Context:
    """Save a context from `new`; its buildkitd.toml is copied into the config dir."""
    with edit() as box:
        store = box[0]
        if store.get(ctx.name) is not None:
            raise EnvbuildError(
                f"context {ctx.name!r} already exists",
                hint=f"remove it first: envbuild context rm {ctx.name}",
            )
        if ctx.buildkitd_config:
            copy = _config_copy(ctx.name)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(Path(ctx.buildkitd_config).read_bytes())
            ctx = replace(ctx, buildkitd_config=str(copy))
        box[0] = replace(store, current=ctx.name if use else store.current, contexts=(*store.contexts, ctx))
    return ctx


def create(
    name: str,
    builder: str,
    builder_address: str = "",
    *,
    use: bool = False,
    settings: BuilderSettings | None = None,
) -> Context:
    return add(new(name, builder, builder_address, settings), use=use)


def use(name: str) -> Context:
    with edit() as box:
        store = box[0]
        ctx = store.get(name)
        if ctx is None:
            raise UsageError("NAME", name, "one of " + ", ".join(c.name for c in store.contexts))
        box[0] = replace(store, current=name)
    return ctx


def get(name: str) -> Context:
    """The named context; a usage error listing the names there are."""
    store = load()
    ctx = store.get(name)
    if ctx is None:
        raise UsageError("NAME", name, "one of " + ", ".join(c.name for c in store.contexts))
    return ctx


def remove(name: str) -> Context:
    """Forget a context (not the current one) and return it, so the caller can remove its container."""
    with edit() as box:
        store = box[0]
        ctx = store.get(name)
        if ctx is None:
            raise UsageError("NAME", name, "one of " + ", ".join(c.name for c in store.contexts))
        if name == store.current:
            raise EnvbuildError(
                f"context {name!r} is the current one and cannot be removed",
                hint="switch first: envbuild context use default",
            )
        box[0] = replace(store, contexts=tuple(c for c in store.contexts if c.name != name))
    if ctx.buildkitd_config == str(_config_copy(name)):
        _config_copy(name).unlink(missing_ok=True)
    return ctx


@dataclass(frozen=True)
class BuilderChoice:
    """The builder a command talks to, and why that one: `context` is None when BUILDKIT_HOST chose."""

    address: str
    context: Context | None
    reason: str

    def describe(self) -> str:
        where = f"context {self.context.name}" if self.context is not None else "BUILDKIT_HOST"
        return f"{where} ({self.address}), chosen by {self.reason}"


def select(name: str | None = None, env: Mapping[str, str] | None = None) -> BuilderChoice:
    """`--context NAME` when given, else `BUILDKIT_HOST` when set, else the current context: the order
    buildctl (`--addr`, then BUILDKIT_HOST) and docker buildx (`--builder`, then the current one) use."""
    env = os.environ if env is None else env
    if name:
        store = load()
        ctx = store.get(name)
        if ctx is None:
            raise UsageError("--context", name, "one of " + ", ".join(c.name for c in store.contexts))
        return BuilderChoice(ctx.address, ctx, "--context")
    host = env.get("BUILDKIT_HOST", "").strip()
    if host:
        from envbuild.buildkit.address import parse_address
        from envbuild.buildkit.errors import AddressError

        try:
            parse_address(host, env)
        except AddressError as err:
            raise EnvbuildError(
                f"BUILDKIT_HOST is set but unusable: {err.message}",
                hint="fix it, unset it, or pick a builder with --context",
            ) from err
        return BuilderChoice(host, None, "BUILDKIT_HOST (no --context given)")
    ctx = current()
    return BuilderChoice(ctx.address, ctx, "the current context (no --context, BUILDKIT_HOST unset)")
