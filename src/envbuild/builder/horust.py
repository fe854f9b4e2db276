"""Where a dev image's Horust comes from: decided here, before compiling, and handed to the compiler.

The choice reads the host (the `--horust` flag, `$ENVBUILD_HORUST`, a local file, the pinned release table,
the digests learned on first use), so it belongs to the builder; `compile_graph` only sees the resulting
`HorustSource` in its `BuildTarget` and gives the same LLB for the same target whatever the environment says.

The pinned release has no published checksum. Its digest comes, in this order, from envbuild's table, from
`$ENVBUILD_HORUST_SHA256`, or from a `DigestStore` (the project's lock, else the user's downloads.toml); when
none has it, the source is returned without a checksum and `envbuild.builder.build` learns it through
BuildKit before compiling (see `builder.trust`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envbuild.builder.elf import executable_problem
from envbuild.compile.horust import HorustSource
from envbuild.errors import EnvbuildError, UsageError

if TYPE_CHECKING:
    from envbuild.builder.trust import DigestStore

HORUST_ENV = "ENVBUILD_HORUST"
HORUST_SHA256_ENV = "ENVBUILD_HORUST_SHA256"
#: replaces the table's release_base (a mirror of the release; the tests' local server)
RELEASE_BASE_ENV = "ENVBUILD_HORUST_RELEASE_BASE"
IMAGE_PREFIX = "docker-image://"
DEFAULT_IMAGE_PATH = "/sbin/horust"


@cache
def release_table() -> dict[str, Any]:
    """The pinned Horust release: version, binary member, release URL base, asset file and checksum per
    platform."""
    return json.loads(Path(__file__).with_name("data").joinpath("horust.json").read_text(encoding="utf-8"))


def horust_source(
    option: str | None = None,
    *,
    platform: str = "linux/amd64",
    env: Mapping[str, str] | None = None,
    flag: str = "--horust",
    recorded: DigestStore | None = None,
) -> HorustSource:
    """Resolve the Horust choice: `--horust` / config value `option`, else `$ENVBUILD_HORUST`, else the pin.

    Values: `release` (the pinned release), a path to a Horust binary on this machine (air-gapped builds;
    checked here to be an ELF executable for `platform`), `docker-image://REF[#/path/in/image]` (default path
    /sbin/horust, the layout of Horust's own image), or an https URL of a release tarball with
    `#sha256:<hex>`. The pinned release comes with the checksum the table, `$ENVBUILD_HORUST_SHA256` or
    `recorded` holds, else with none (the builder learns it).
    """
    env = os.environ if env is None else env
    value = option if option else env.get(HORUST_ENV, "")
    origin = flag if option else HORUST_ENV
    value = value.strip()
    if value in ("", "release"):
        return pinned_release(platform, env, recorded=recorded)
    if value.startswith(IMAGE_PREFIX):
        ref, _, path = value[len(IMAGE_PREFIX) :].partition("#")
        if not ref:
            raise UsageError(origin, value, "docker-image://REF[#/path/in/image]")
        return HorustSource(kind="image", ref=ref, path=path or DEFAULT_IMAGE_PATH)
    if value.startswith(("https://", "http://")):
        url, _, checksum = value.partition("#")
        if not checksum.startswith("sha256:") or len(checksum) != 71:
            raise UsageError(origin, value, "a release URL needs its checksum: URL#sha256:<64 hex digits>")
        return HorustSource(kind="release", url=url, checksum=checksum, version="custom")
    binary = Path(value).expanduser()
    if not binary.is_file():
        raise UsageError(
            origin,
            value,
            "'release', a Horust binary file that exists, docker-image://REF, or https://…tar.gz#sha256:<hex>",
        )
    problem = executable_problem(binary, platform)
    if problem is not None:
        raise UsageError(origin, value, f"{problem}; a Horust executable for {platform} is needed")
    return HorustSource(kind="file", path=str(binary.resolve()))


def release_url(platform: str, env: Mapping[str, str] | None = None) -> str | None:
    """The pinned asset's URL for `platform` (None when none is pinned), under `$ENVBUILD_HORUST_RELEASE_BASE`
    when that is set."""
    env = os.environ if env is None else env
    table = release_table()
    asset = table["assets"].get(platform)
    if asset is None:
        return None
    base = (env.get(RELEASE_BASE_ENV) or table["release_base"]).rstrip("/")
    return f"{base}/{asset['file']}"


def checksum_origin(source: HorustSource, env: Mapping[str, str] | None = None,
                    recorded: DigestStore | None = None) -> str:
    """Where the checksum of a release source came from, for messages."""
    env = os.environ if env is None else env
    if source.version == "custom":
        return "the --horust URL"
    if env.get(HORUST_SHA256_ENV):
        return f"${HORUST_SHA256_ENV}"
    if recorded is not None and source.url and recorded.get(source.url) == source.checksum:
        return recorded.where
    return "envbuild's pinned release table"


def pinned_release(
    platform: str, env: Mapping[str, str] | None = None, *, recorded: DigestStore | None = None
) -> HorustSource:
    env = os.environ if env is None else env
    table = release_table()
    asset = table["assets"].get(platform)
    if asset is None:
        raise EnvbuildError(
            f"envbuild pins no Horust release asset for platform {platform}",
            hint=f"pinned platforms: {', '.join(sorted(table['assets']))}; or give a binary with "
            f"--horust PATH / {HORUST_ENV}=PATH",
        )
    url = release_url(platform, env)
    assert url is not None
    checksum = asset.get("sha256") or env.get(HORUST_SHA256_ENV)
    if checksum and not checksum.startswith("sha256:"):
        checksum = "sha256:" + checksum
    if not checksum and recorded is not None:
        checksum = recorded.get(url)
    return HorustSource(
        kind="release", url=url, checksum=checksum or None, member=table["member"], version=table["version"],
    )


def unreachable_hint() -> str:
    return (
        f"a machine that cannot reach the release can use a Horust binary it has: --horust /path/to/horust "
        f"(or {HORUST_ENV}=/path/to/horust), an image with --horust docker-image://REF, or a mirror with "
        f"{RELEASE_BASE_ENV}=URL"
    )
