"""The one error the LLB layer raises: a graph that BuildKit would reject, caught while it is being built."""

from __future__ import annotations

from envbuild.errors import EnvbuildError


class LLBError(EnvbuildError, ValueError):
    """An invalid LLB construction (bad mount, unknown mode, malformed reference...).

    It is a `ValueError` for callers that treat it as a programming error, and an `EnvbuildError` so that, if
    it ever reaches the CLI, it is rendered as a sentence rather than a traceback.
    """
