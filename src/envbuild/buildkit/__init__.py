"""The BuildKit client: connections, sessions, solves, exporters and worker capabilities.

`connect(address)` returns a `Client` (a context manager). Importing this package is cheap; gRPC and the
generated protobuf modules load on first use, so the CLI's start-up stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envbuild import lazy

if TYPE_CHECKING:
    from envbuild.buildkit.capabilities import Capabilities
    from envbuild.buildkit.client import Client, Frontend, SolveResult, connect
    from envbuild.buildkit.errors import (
        AddressError,
        BuildKitError,
        CapabilityError,
        PermissionDeniedError,
        SolveCancelledError,
        SolveError,
        UnreachableError,
    )
    from envbuild.buildkit.exports import CacheEntry, Export
    from envbuild.buildkit.options import SolveOptions
    from envbuild.buildkit.secrets import EnvSecret

_EXPORTS = {
    "connect": ".client",
    "Client": ".client",
    "Frontend": ".client",
    "SolveResult": ".client",
    "Capabilities": ".capabilities",
    "Export": ".exports",
    "CacheEntry": ".exports",
    "SolveOptions": ".options",
    "EnvSecret": ".secrets",
    "AddressError": ".errors",
    "BuildKitError": ".errors",
    "CapabilityError": ".errors",
    "PermissionDeniedError": ".errors",
    "SolveCancelledError": ".errors",
    "SolveError": ".errors",
    "UnreachableError": ".errors",
}

__all__ = [
    "AddressError",
    "BuildKitError",
    "CacheEntry",
    "Capabilities",
    "CapabilityError",
    "Client",
    "EnvSecret",
    "Export",
    "Frontend",
    "PermissionDeniedError",
    "SolveCancelledError",
    "SolveError",
    "SolveOptions",
    "SolveResult",
    "UnreachableError",
    "connect",
]


__getattr__ = lazy.exports(__name__, _EXPORTS)
