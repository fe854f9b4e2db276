"""What to do with a solve's result: exporter requests and cache import/export entries.

Exporter types are BuildKit's: `moby` (into Docker's image store, moby worker only), `image` (containerd image
store; `push=true` pushes), `docker` and `oci` (tarballs: to `dest`, or loaded into Docker when `dest` is
None), `local` (a directory) and `tar` (a tarball of the result's files).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from envbuild.errors import UsageError

EXPORTER_TYPES = ("moby", "image", "docker", "oci", "local", "tar")
CACHE_TYPES = ("registry", "local", "inline")
#: Attribute under which image exporters read the image config JSON from the result metadata.
IMAGE_CONFIG_KEY = "containerimage.config"


def normalize_image_name(name: str) -> str:
    """`foo:1` → `docker.io/library/foo:1` as Docker spells it; image stores need the full name."""
    name = name.strip()
    first, _, rest = name.partition("/")
    if not rest or ("." not in first and ":" not in first and first != "localhost"):
        if not rest:
            name = f"library/{name}"
        name = f"docker.io/{name}"
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in last:
        name += ":latest"
    return name


@dataclass(frozen=True)
class Export:
    type: str
    attrs: Mapping[str, str] = field(default_factory=dict)
    dest: Path | None = None

    def __post_init__(self) -> None:
        if self.type not in EXPORTER_TYPES:
            raise UsageError("export type", self.type, f"one of {', '.join(EXPORTER_TYPES)}")
        if self.type in ("local", "tar") and self.dest is None:
            raise UsageError(f"{self.type} export destination", None, "a path")

    @property
    def writes_to_client(self) -> bool:
        return self.type in ("local", "tar", "docker", "oci")

    @property
    def loads_into_docker(self) -> bool:
        return self.type in ("docker", "oci") and self.dest is None

    @property
    def names(self) -> tuple[str, ...]:
        raw = self.attrs.get("name", "")
        return tuple(n for n in raw.split(",") if n)

    def wire_attrs(self) -> dict[str, str]:
        """Attributes as sent to BuildKit, with image names fully qualified."""
        attrs = dict(self.attrs)
        if self.names and self.type in ("moby", "image", "docker", "oci"):
            attrs["name"] = ",".join(normalize_image_name(n) for n in self.names)
        return attrs

    # Small constructors so call sites read like the intent.
    @classmethod
    def moby(cls, name: str, *, push: bool = False, **attrs: str) -> Export:
        return cls("moby", {"name": name, **({"push": "true"} if push else {}), **attrs})

    @classmethod
    def image(cls, name: str, *, push: bool = False, insecure: bool = False, **attrs: str) -> Export:
        extra = {"push": "true"} if push else {}
        if insecure:
            extra["registry.insecure"] = "true"
        return cls("image", {"name": name, **extra, **attrs})

    @classmethod
    def docker(cls, dest: Path | None = None, *, name: str = "", **attrs: str) -> Export:
        return cls("docker", {**({"name": name} if name else {}), **attrs}, dest)

    @classmethod
    def oci(cls, dest: Path | None = None, *, name: str = "", **attrs: str) -> Export:
        return cls("oci", {**({"name": name} if name else {}), **attrs}, dest)

    @classmethod
    def local(cls, dest: Path) -> Export:
        return cls("local", {}, Path(dest))

    @classmethod
    def tar(cls, dest: Path) -> Export:
        return cls("tar", {}, Path(dest))


@dataclass(frozen=True)
class CacheEntry:
    """A cache import or export: `registry` (attrs ref=, mode=min|max), `local` (a directory on this
    machine in OCI layout: dest= to export, src= to import, tag= default latest) or `inline` (export only)."""

    type: str
    attrs: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in CACHE_TYPES:
            raise UsageError("cache type", self.type, f"one of {', '.join(CACHE_TYPES)}")

    @classmethod
    def registry(cls, ref: str, *, mode: str = "min") -> CacheEntry:
        return cls("registry", {"ref": ref, "mode": mode})

    @classmethod
    def local(cls, path: Path, *, export: bool = False, mode: str = "min", tag: str = "latest") -> CacheEntry:
        if export:
            return cls("local", {"dest": str(path), "mode": mode, "tag": tag})
        return cls("local", {"src": str(path), "tag": tag})

    @classmethod
    def inline(cls) -> CacheEntry:
        return cls("inline")
