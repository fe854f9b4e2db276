"""What can go wrong talking to BuildKit, as values the CLI renders in one sentence plus a hint."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from envbuild.errors import EnvbuildError, Location

if TYPE_CHECKING:
    import grpc

    from envbuild.buildkit.rpcserver import Context


def abort(context: Context, code: grpc.StatusCode, message: str) -> NoReturn:
    """End a session service call with a status for BuildKit."""
    context.abort(code, message)


class BuildKitError(EnvbuildError):
    """Base of every failure raised by `envbuild.buildkit`."""


class AddressError(BuildKitError):
    """The builder address cannot be understood (unknown scheme, missing path or host)."""


class UnreachableError(BuildKitError):
    """Nothing answers at the builder address."""


class PermissionDeniedError(BuildKitError):
    """The socket exists but this user may not open it."""


class CapabilityError(BuildKitError):
    """The request needs something this worker cannot do (an exporter, merge/diff, an entitlement)."""


class SolveCancelledError(BuildKitError):
    """The solve was cancelled (Ctrl-C or the caller); nothing was exported."""

    exit_code = 130


class SolveError(BuildKitError):
    """A build step failed: which vertex, what it ran, what it printed last and where it was written.

    `location` (inherited) is the build-file position when the definition's source map names one.
    """

    def __init__(
        self,
        message: str,
        *,
        vertex: str = "",
        name: str = "",
        log_tail: tuple[str, ...] = (),
        location: Location | None = None,
        hint: str | None = None,
    ):
        super().__init__(message, hint=hint, location=location)
        self.vertex = vertex
        self.name = name
        self.log_tail = log_tail

    def render(self) -> str:
        text = super().render()
        extra = []
        if self.name:
            extra.append(f"step: {self.name}")
        if self.log_tail:
            extra.append("last output:")
            extra.extend(f"  {line}" for line in self.log_tail)
        return "\n".join([text, *extra]) if extra else text
