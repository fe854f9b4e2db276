"""Digests learned on first use: where the sha256 of a download without a published checksum is kept.

The pinned Horust release has no checksum upstream. The first build learns the asset's sha256 and records it;
every later build passes it to BuildKit as the http source's checksum, so a changed asset fails instead of
being used. Inside a project with an `envbuild.lock` the digest goes into the lock (and is committed with the
project); elsewhere into the user's `~/.config/envbuild/downloads.toml`.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import tomli_w

from envbuild.errors import EnvbuildError
from envbuild.paths import config_dir

USER_FILE = "downloads.toml"
_HEADER = (
    "# Downloads envbuild fetched once without a published checksum, and verifies ever after.\n"
    "# URL = sha256 of the content. Delete a line to accept a changed download on the next build.\n\n"
)


class DigestStore(Protocol):
    """Somewhere a learned digest is kept; `where` names it for the user."""

    @property
    def where(self) -> str: ...

    def get(self, url: str) -> str | None: ...

    def record(self, url: str, platform: str, digest: str) -> None: ...

    def forget_hint(self, url: str) -> str: ...


@dataclass
class UserDigests:
    """`downloads.toml` in envbuild's config directory."""

    path: Path = field(default_factory=lambda: config_dir() / USER_FILE)

    @property
    def where(self) -> str:
        return str(self.path)

    def _table(self) -> dict[str, str]:
        if not self.path.is_file():
            return {}
        try:
            doc = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as err:
            raise EnvbuildError(
                f"cannot read {self.path}: {err}",
                hint="fix the file, or delete it to learn the digests again on the next build",
            ) from None
        table = doc.get("sha256", {})
        return {k: v for k, v in table.items() if isinstance(v, str)} if isinstance(table, dict) else {}

    def get(self, url: str) -> str | None:
        return self._table().get(url)

    def record(self, url: str, platform: str, digest: str) -> None:
        table = self._table()
        table[url] = digest
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix=".downloads-", dir=self.path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(_HEADER + tomli_w.dumps({"sha256": dict(sorted(table.items()))}))
        os.replace(tmp, self.path)

    def forget_hint(self, url: str) -> str:
        return f"delete the line for {url} from {self.path} and build again"


@dataclass
class LockDigests:
    """The `[[horust]]` entries of a project's `envbuild.lock` (the file is rewritten when one is added)."""

    path: Path

    @property
    def where(self) -> str:
        return str(self.path)

    def get(self, url: str) -> str | None:
        from envbuild import lock

        held = lock.read(self.path).horust_for(url)
        return held.sha256 if held is not None else None

    def record(self, url: str, platform: str, digest: str) -> None:
        from envbuild import lock

        current = lock.read(self.path)
        kept = tuple(h for h in current.horust if h.url != url and h.platform != platform)
        entry = lock.LockedDownload(url=url, sha256=digest, platform=platform)
        lock.write(self.path, replace(current, horust=tuple(sorted((*kept, entry), key=_by_platform))))

    def forget_hint(self, url: str) -> str:
        return f"run `envbuild lock --upgrade horust` in the project ({self.path}) and build again"


def _by_platform(entry) -> str:
    return entry.platform or ""
