"""OCI platforms: what a vertex runs on, written `os/arch[/variant]` as Docker and BuildKit spell it.

Outside `llb/` because deciding a build's platform (`builder`, `buildkit`) must not load the LLB API.
"""

from __future__ import annotations

import platform as _host
from dataclasses import dataclass

from envbuild.errors import EnvbuildError


class PlatformError(EnvbuildError, ValueError):
    """A platform that is not `os/arch[/variant]`."""

# Host machine names -> OCI architecture (the spelling containerd's platform normaliser produces).
_ARCH_ALIASES = {
    "x86_64": "amd64",
    "x86-64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv7l": "arm",
    "armhf": "arm",
    "i386": "386",
    "i686": "386",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}


@dataclass(frozen=True, slots=True)
class Platform:
    """An OCI platform. `Platform.parse("linux/arm64")`; `str()` gives that form back."""

    os: str
    architecture: str
    variant: str = ""

    @classmethod
    def parse(cls, text: str) -> Platform:
        parts = text.strip().lower().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise PlatformError(f"platform {text!r} is not of the form os/arch[/variant] (e.g. linux/amd64)")
        os_, arch = parts[0], _ARCH_ALIASES.get(parts[1], parts[1])
        variant = parts[2] if len(parts) == 3 else ""
        if arch == "arm64" and variant in ("v8", "8"):
            variant = ""  # containerd normalises arm64/v8 to plain arm64
        return cls(os_, arch, variant)

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


def as_platform(value: Platform | str | None) -> Platform | None:
    """Accept a Platform, its `os/arch` text, or None (meaning: decided at marshal time)."""
    if value is None or isinstance(value, Platform):
        return value
    return Platform.parse(value)


def host_platform() -> Platform:
    """The platform of this machine: what BuildKit's Go client assumes when none is given."""
    machine = _host.machine().lower()
    return Platform("linux", _ARCH_ALIASES.get(machine, machine))
