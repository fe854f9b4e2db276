"""The base image and the apt source: the first two steps of envd's pipeline.

The base is referenced by name (pinned to the digest BuildKit resolved when there is one), so a base image
that exists only in the local Docker store works: nothing here asks a registry; `envbuild.builder`
resolved the config through BuildKit beforehand.
"""

from __future__ import annotations

from envbuild import llb

APT_SOURCES = "/etc/apt/sources.list"
APT_SOURCES_DIR = "/etc/apt/sources.list.d"


def base_image(ref: str, *, platform: str, digest: str | None = None) -> llb.State:
    """The base image source. A resolved digest pins it so the build uses exactly the image whose config we
    read, and a later retag of the base is a cache miss instead of a silent mix."""
    if digest and "@" not in ref:
        ref = f"{ref}@{digest}"
    return llb.image(ref, platform=platform)


def apt_source(state: llb.State, sources: str | None) -> llb.State:
    """`config.apt_source`: replace `/etc/apt/sources.list` and drop deb822 sources (Debian 12+ / Ubuntu 24.04
    ship `*.sources` that would otherwise still be used alongside the user's mirror)."""
    if not sources:
        return state
    content = sources if sources.endswith("\n") else sources + "\n"
    return (
        state.mkdir("/etc/apt", mode=0o755, parents=True, custom_name="[internal] setting apt source")
        .rm(
            f"{APT_SOURCES_DIR}/debian.sources",
            allow_not_found=True,
            custom_name="[internal] setting apt source",
        )
        .rm(
            f"{APT_SOURCES_DIR}/ubuntu.sources",
            allow_not_found=True,
            custom_name="[internal] setting apt source",
        )
        .mkfile(APT_SOURCES, content.encode(), mode=0o644, custom_name="[internal] setting apt source")
    )
