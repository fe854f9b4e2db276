"""Mount values for `State.run(mounts=[...])`: small immutable descriptions, resolved when the exec is built.

Ids, modes and sharing names are BuildKit's; the defaults are its Go client's (secret files 0400, ssh agent
sockets 0600, owned by root).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envbuild.llb.errors import LLBError

if TYPE_CHECKING:
    from envbuild.llb.state import State

CACHE_SHARING = ("shared", "private", "locked")


@dataclass(frozen=True, slots=True)
class BindMount:
    """`state` (or its `selector` sub-path) mounted at `target`; writable mounts become extra outputs."""

    target: str
    state: State
    selector: str = ""
    readonly: bool = False


@dataclass(frozen=True, slots=True)
class CacheMount:
    """A persistent directory keyed by `id` that outlives the step and is never part of the image."""

    target: str
    id: str
    sharing: str = "shared"


@dataclass(frozen=True, slots=True)
class TmpfsMount:
    target: str
    size: int = 0


@dataclass(frozen=True, slots=True)
class SecretMount:
    """The session secret `id` as a file at `target`, present only while the step runs."""

    target: str
    id: str
    uid: int = 0
    gid: int = 0
    mode: int = 0o400
    optional: bool = False


@dataclass(frozen=True, slots=True)
class SSHMount:
    """The client's ssh agent (`id` as registered in the session) as a socket at `target` (default: BuildKit's
    `/run/buildkit/ssh_agent.N`, exported as SSH_AUTH_SOCK)."""

    target: str = ""
    id: str = "default"
    uid: int = 0
    gid: int = 0
    mode: int = 0o600
    optional: bool = False


Mount = BindMount | CacheMount | TmpfsMount | SecretMount | SSHMount


def _target(target: str) -> str:
    if not target.startswith("/"):
        raise LLBError(f"mount target {target!r} must be an absolute path")
    return target


def bind_mount(target: str, state: State, source: str = "", readonly: bool = False) -> BindMount:
    """Mount `state` at `target`; `source` picks a sub-path of it."""
    return BindMount(_target(target), state, source, readonly)


def cache_mount(target: str, id: str, sharing: str = "shared") -> CacheMount:
    """A cache directory. `sharing`: "shared" (concurrent writers share it), "private" (a second concurrent
    writer gets its own) or "locked" (a second writer waits) - use "locked" for apt and pip caches."""
    if not id:
        raise LLBError(f"cache mount at {target} needs an id")
    if sharing not in CACHE_SHARING:
        raise LLBError(f"cache sharing {sharing!r} is not one of {', '.join(CACHE_SHARING)}")
    return CacheMount(_target(target), id, sharing)


def tmpfs_mount(target: str, size: int = 0) -> TmpfsMount:
    """An in-memory filesystem; `size` in bytes (0: the kernel's default)."""
    if size < 0:
        raise LLBError(f"tmpfs size for {target} must not be negative")
    return TmpfsMount(_target(target), size)


def secret_mount(
    target: str, id: str, *, uid: int = 0, gid: int = 0, mode: int = 0o400, optional: bool = False
) -> SecretMount:
    """A secret file: `id` names a secret the client's session provides (`solve(secrets={id: ...})`)."""
    if not id:
        raise LLBError(f"secret mount at {target} needs an id")
    return SecretMount(_target(target), id, uid, gid, mode, optional)


def ssh_mount(
    target: str = "",
    id: str = "default",
    *,
    uid: int = 0,
    gid: int = 0,
    mode: int = 0o600,
    optional: bool = False,
) -> SSHMount:
    """The forwarded ssh agent. Several ssh mounts get /run/buildkit/ssh_agent.0, .1, ... by default."""
    return SSHMount(_target(target) if target else "", id, uid, gid, mode, optional)
