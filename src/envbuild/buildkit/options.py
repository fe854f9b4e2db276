"""What a solve takes besides its definition, as one value (BuildKit's Go client calls it `SolveOpt`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envbuild.buildkit.exports import CacheEntry, Export
from envbuild.buildkit.secrets import SecretSource


@dataclass(frozen=True)
class SolveOptions:
    """`exports` run after the solve; `local_dirs` and `secrets` are served by the session by name and id;
    `ssh` maps agent ids to sockets (None: $SSH_AUTH_SOCK); `image_config` (the whole OCI config or its
    `config` part) makes the result an image with that config; `entitlements` such as network.host.
    `history`: keep the solve in the builder's build history (`docker buildx history`, Docker Desktop's
    builds); otherwise it is not recorded, and the Solve does not wait for the record (docs/compile.md)."""

    exports: Sequence[Export] = ()
    local_dirs: Mapping[str, Path] = field(default_factory=dict)
    secrets: Mapping[str, SecretSource] = field(default_factory=dict)
    ssh: Mapping[str, str | None] = field(default_factory=dict)
    cache_imports: Sequence[CacheEntry] = ()
    cache_exports: Sequence[CacheEntry] = ()
    entitlements: Sequence[str] = ()
    image_config: Mapping[str, Any] | None = None
    frontend_attrs: Mapping[str, str] = field(default_factory=dict)
    history: bool = False
