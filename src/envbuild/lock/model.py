"""What `envbuild.lock` holds: one frozen value per pinned thing, grouped by kind.

A lock pins what a build would otherwise learn from the network each time: the base image's digest per
platform, the commit of each `include()`, the sha256 of the Horust asset and of every `io.http` download, and
the Python packages with their versions and file hashes. apt packages are not pinned (see
docs/reproducibility.md for why).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LockedBase:
    """The base image `image` (as the build names it) resolved for `platform` to the manifest `digest`."""

    image: str
    platform: str
    digest: str


@dataclass(frozen=True)
class LockedInclude:
    """`include(url, ref=ref)` evaluated at `commit`; `ref` None is the default branch."""

    url: str
    commit: str
    ref: str | None = None


@dataclass(frozen=True)
class LockedDownload:
    """A file fetched by URL (an `io.http` download, or the Horust asset for `platform`) and its sha256."""

    url: str
    sha256: str
    platform: str | None = None


@dataclass(frozen=True)
class LockedPackage:
    """One Python distribution: exact version and the hashes of every file the index offers for it."""

    name: str
    version: str
    hashes: tuple[str, ...]

    def requirement(self) -> str:
        """The line a hash-checking install reads (`name==version --hash=... --hash=...`)."""
        hashes = "".join(f" \\\n    --hash={h}" for h in self.hashes)
        return f"{self.name}=={self.version}{hashes}"


@dataclass(frozen=True)
class LockedPython:
    """The Python packages of one platform, resolved from `inputs` (what the build file asks for, in a
    canonical form: requirement lines, requirement files with their sha256, index options) for Python
    `python` by `resolver`."""

    platform: str
    python: str
    inputs: tuple[str, ...]
    packages: tuple[LockedPackage, ...]
    resolver: str = ""

    def requirements(self) -> str:
        """The whole set as a requirements file for `--require-hashes` installs."""
        return "".join(p.requirement() + "\n" for p in self.packages)

    def versions(self) -> dict[str, str]:
        return {p.name: p.version for p in self.packages}


@dataclass(frozen=True)
class Lock:
    """One build function's pins. `build_file` is relative to the project directory."""

    build_file: str
    function: str
    bases: tuple[LockedBase, ...] = ()
    includes: tuple[LockedInclude, ...] = ()
    horust: tuple[LockedDownload, ...] = ()
    downloads: tuple[LockedDownload, ...] = ()
    python: tuple[LockedPython, ...] = field(default=())

    def base(self, image: str, platform: str) -> LockedBase | None:
        return next((b for b in self.bases if b.image == image and b.platform == platform), None)

    def include(self, url: str, ref: str | None) -> LockedInclude | None:
        return next((i for i in self.includes if i.url == url and i.ref == ref), None)

    def include_pins(self) -> dict[tuple[str, str | None], str]:
        """(url, ref) → commit, what the evaluator checks out instead of resolving the ref."""
        return {(i.url, i.ref): i.commit for i in self.includes}

    def horust_for(self, url: str) -> LockedDownload | None:
        return next((h for h in self.horust if h.url == url), None)

    def download(self, url: str) -> LockedDownload | None:
        return next((d for d in self.downloads if d.url == url), None)

    def python_for(self, platform: str) -> LockedPython | None:
        return next((p for p in self.python if p.platform == platform), None)

    def platforms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*(b.platform for b in self.bases), *(p.platform for p in self.python)]))
