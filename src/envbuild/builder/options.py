"""What `envbuild build` (and `up`) take besides the graph; every field has the CLI's default."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envbuild.builder.outputs import OutputSpec
    from envbuild.lock.model import Lock
    from envbuild.progress.events import StatusEvent


@dataclass(frozen=True)
class BuildOptions:
    """`address` None: BUILDKIT_HOST's builder if set, else the current context's. `outputs` empty: an image
    named `tag` (or `<env>:dev`) in the builder's store. `merge_diff` None: whatever the worker supports.
    `horust`: the `--horust` value (a file, an image, a release URL), else `$ENVBUILD_HORUST`, else the
    pinned release. `on_status` receives every status event of the solve (the CLI's progress display).
    `lock`: the project's envbuild.lock and whether it must be followed exactly (`--locked`). `on_note`
    receives what the user should know before the build goes on (a learned digest, a lock that does not
    match). `force`: build even when `up_to_date` finds the image current. `history`: keep the build in the
    builder's build history (`SolveOptions.history`)."""

    address: str | None = None
    tag: str | None = None
    outputs: tuple[OutputSpec, ...] = ()
    platform: str | None = None
    no_cache: bool = False
    cache_imports: tuple[dict[str, str], ...] = ()
    cache_exports: tuple[dict[str, str], ...] = ()
    use_proxy: bool = False
    ca_bundle: Path | None = None
    owner: tuple[int, int] | None = None
    merge_diff: bool | None = None
    ssh_public_key: str | None = None
    horust: str | None = None
    on_status: Callable[[StatusEvent], None] | None = None
    lock: LockUse | None = None
    on_note: Callable[[str], None] | None = None
    force: bool = False
    history: bool = False


@dataclass(frozen=True)
class LockUse:
    """The envbuild.lock a build uses (`path`, as read before evaluation: `lock`); `locked`: any difference
    between it and the build file is an error instead of a note."""

    path: Path
    lock: Lock
    locked: bool = False
