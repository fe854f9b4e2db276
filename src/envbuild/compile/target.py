"""What a compilation targets besides the graph: the worker's abilities, the base image's own config, the
platform, the owner, and the CA/proxy settings.

The compiler is pure: anything it would otherwise learn from the network or the host (the base image's config,
whether the worker can merge, the host user's uid, where Horust comes from) is resolved first by
`envbuild.builder.build` and handed in here, so `compile_graph` gives the same LLB for the same inputs and
snapshot tests need no daemon.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from envbuild.compile.horust import HorustSource


@dataclass(frozen=True)
class BaseImageConfig:
    """The parts of a base image's OCI config that the result inherits (non-dev images keep user, entrypoint,
    cmd and workdir; every image keeps env and labels)."""

    env: tuple[str, ...] = ()
    user: str = ""
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    working_dir: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    exposed_ports: tuple[str, ...] = ()

    @classmethod
    def from_oci(cls, config: dict[str, Any] | None) -> BaseImageConfig:
        """From an OCI image config document (the whole image JSON or just its `config` object)."""
        if not config:
            return cls()
        inner = config.get("config", config) or {}
        return cls(
            env=tuple(inner.get("Env") or ()),
            user=inner.get("User") or "",
            entrypoint=tuple(inner.get("Entrypoint") or ()),
            cmd=tuple(inner.get("Cmd") or ()),
            working_dir=inner.get("WorkingDir") or "",
            labels=tuple(sorted((inner.get("Labels") or {}).items())),
            exposed_ports=tuple(sorted(inner.get("ExposedPorts") or {})),
        )

    def env_map(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for item in self.env:
            key, _, value = item.partition("=")
            out[key] = value
        return out


@dataclass(frozen=True)
class BuildTarget:
    """Everything besides the graph that shapes the LLB.

    `merge_diff`: build independent stages side by side and join them with diff+merge (containerd store or
    buildkitd); False builds them one after another (Docker's classic store refuses merge ops).
    `uid`/`gid`: the owner of the dev user (`--owner`, `config.owner`, else the host user).
    `ca_bundle`: a CA bundle will be passed as a secret, so steps get the mount and variables.
    `proxy`: proxy variables for build steps (kept out of cache keys).
    `horust`: where a dev image's Horust comes from, resolved by the builder (a release asset with its
    checksum, a local file, an image); None for non-dev builds.
    `python_lock`: the Python packages pinned by the project's envbuild.lock, as a hash-checking requirements
    file (`name==version --hash=...` for the whole set): installed in one `--require-hashes` step instead of
    the build file's own install steps. `lock_digest`: the sha256 of that lock file, for the image label.
    Both are read from disk by the builder, never here.
    """

    platform: str = "linux/amd64"
    merge_diff: bool = True
    base_config: BaseImageConfig = field(default_factory=BaseImageConfig)
    base_digest: str | None = None
    uid: int = 1000
    gid: int = 1000
    ca_bundle: bool = False
    proxy: tuple[tuple[str, str], ...] = ()
    ssh_public_key: str | None = None
    no_cache: bool = False
    horust: HorustSource | None = None
    python_lock: str | None = None
    lock_digest: str | None = None
