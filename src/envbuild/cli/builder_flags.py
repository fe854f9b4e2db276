"""The builder flags, declared once: `--context` on every command that talks to BuildKit, and the settings
`context create` takes (TLS as buildctl names them, the BuildKit container's image, config and flags as
buildx names them).

`choose` is how a command turns its `--context` into the builder it connects to.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from envbuild.contexts import BuilderChoice

ContextName = Annotated[
    str | None,
    typer.Option(
        "--context",
        help="Context (builder) for this command; default: BUILDKIT_HOST if set, else the current context.",
    ),
]
TlsCaCert = Annotated[str, typer.Option("--tlscacert", help="tcp: CA certificate that signed buildkitd's.")]
TlsCert = Annotated[str, typer.Option("--tlscert", help="tcp: client certificate (with --tlskey).")]
TlsKey = Annotated[str, typer.Option("--tlskey", help="tcp: client private key (with --tlscert).")]
TlsServerName = Annotated[
    str, typer.Option("--tlsservername", help="tcp: name buildkitd's certificate is checked against.")
]
BuilderImage = Annotated[
    str, typer.Option("--builder-image", help="docker-container: BuildKit image (default: a pinned release).")
]
BuildkitdConfig = Annotated[
    Path | None, typer.Option("--buildkitd-config", help="docker-container: the container's buildkitd.toml.")
]
BuildkitdFlags = Annotated[
    str, typer.Option("--buildkitd-flags", help="docker-container: extra buildkitd arguments, shell-quoted.")
]


def choose(context: str | None) -> BuilderChoice:
    """The builder for this command (`--context`, else BUILDKIT_HOST, else the current context), ready."""
    from envbuild import contexts

    return prepare(contexts.select(context))


def prepare(choice: BuilderChoice) -> BuilderChoice:
    """Create or start a docker-container context's BuildKit container, saying so on stderr."""
    if choice.context is not None and choice.context.builder == "docker-container":
        from envbuild.runtime import buildkit_container

        spec = buildkit_container.spec_for(choice.context)
        state = buildkit_container.ensure(spec)
        if state != "running":
            typer.echo(f"BuildKit container {spec.name} {state} ({spec.image})", err=True)
    return choice
