"""Where a dev image's Horust comes from: decided here, before compiling, and handed to the compiler.

The choice reads the host (the `--horust` flag, `$ENVBUILD_HORUST`, a local file, the pinned release table),
so it belongs to the builder; `compile_graph` only sees the resulting `HorustSource` in its `BuildTarget`
and gives the same LLB for the same target whatever the environment says.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from envbuild.compile.horust import HorustSource
from envbuild.errors import EnvbuildError, UsageError

HORUST_ENV = "ENVBUILD_HORUST"
HORUST_SHA256_ENV = "ENVBUILD_HORUST_SHA256"
IMAGE_PREFIX = "docker-image://"
DEFAULT_IMAGE_PATH = "/sbin/horust"


@cache
def release_table() -> dict[str, Any]:
    """The pinned Horust release: version, binary member, asset URL and checksum per platform."""
    return json.loads(Path(__file__).with_name("data").joinpath("horust.json").read_text(encoding="utf-8"))


def horust_source(
    option: str | None = None,
    *,
    platform: str = "linux/amd64",
    env: Mapping[str, str] | None = None,
    flag: str = "--horust",
    verified: bool = True,
) -> HorustSource:
    """Resolve the Horust choice: `--horust` / config value `option`, else `$ENVBUILD_HORUST`, else the pin.

    Values: `release` (the pinned release), a path to a Horust binary on this machine (air-gapped builds),
    `docker-image://REF[#/path/in/image]` (default path /sbin/horust, the layout of Horust's own image), or an
    https URL of a release tarball with `#sha256:<hex>`. `verified=False` accepts the pinned release without
    a known checksum (for `debug llb`, which only shows the LLB).
    """
    env = os.environ if env is None else env
    value = option if option else env.get(HORUST_ENV, "")
    origin = flag if option else HORUST_ENV
    value = value.strip()
    if value in ("", "release"):
        return _pinned_release(platform, env, verified=verified)
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
    return HorustSource(kind="file", path=str(binary.resolve()))


def _pinned_release(platform: str, env: Mapping[str, str], *, verified: bool) -> HorustSource:
    table = release_table()
    asset = table["assets"].get(platform)
    if asset is None:
        raise EnvbuildError(
            f"envbuild pins no Horust release asset for platform {platform}",
            hint=f"pinned platforms: {', '.join(sorted(table['assets']))}; or give a binary with "
            f"--horust PATH / {HORUST_ENV}=PATH",
        )
    checksum = asset.get("sha256") or env.get(HORUST_SHA256_ENV)
    if not checksum and verified:
        raise EnvbuildError(
            f"the pinned Horust {table['version']} release has no verified checksum in envbuild's table, "
            "so it will not be downloaded unchecked",
            hint=f"check {asset['url']} yourself and set {HORUST_SHA256_ENV}=sha256:<hex>, or give a local "
            f"binary with --horust PATH / {HORUST_ENV}=PATH, or an image with {HORUST_ENV}=docker-image://REF",
        )
    if checksum and not checksum.startswith("sha256:"):
        checksum = "sha256:" + checksum
    return HorustSource(
        kind="release", url=asset["url"], checksum=checksum or None, member=table["member"],
        version=table["version"],
    )
