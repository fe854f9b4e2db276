#!/usr/bin/env python3
"""Print the Debian mirror this machine's apt already uses (the first non-security `URIs:` of a deb822
`.sources` file, else the first `deb` line of `sources.list`).

Scripts and tests read the mirror from the machine instead of naming a host: a committed file that names a
mirror breaks on any machine configured for another one. Exits 1 with a message when apt names none.
"""

from __future__ import annotations

import sys
from pathlib import Path

APT = Path("/etc/apt")


def _deb822_uris(text: str) -> list[str]:
    uris: list[str] = []
    for stanza in text.split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.split()
        if "deb" in fields.get("types", []):
            uris += fields.get("uris", [])
    return uris


def _one_line_uris(text: str) -> list[str]:
    uris = []
    for line in text.splitlines():
        words = [w for w in line.split() if not w.startswith("[")]
        if words[:1] == ["deb"] and len(words) > 1:
            uris.append(words[1])
    return uris


def debian_mirror(apt_dir: Path = APT) -> str | None:
    """The first configured `deb` URI that is not the security archive, without a trailing slash."""
    candidates: list[str] = []
    for path in sorted((apt_dir / "sources.list.d").glob("*.sources")):
        candidates += _deb822_uris(path.read_text(encoding="utf-8", errors="replace"))
    for path in [apt_dir / "sources.list", *sorted((apt_dir / "sources.list.d").glob("*.list"))]:
        if path.is_file():
            candidates += _one_line_uris(path.read_text(encoding="utf-8", errors="replace"))
    for uri in candidates:
        if uri.startswith(("http://", "https://")) and "security" not in uri:
            return uri.rstrip("/")
    return None


if __name__ == "__main__":
    mirror = debian_mirror()
    if mirror is None:
        print("debian_mirror: no Debian mirror in /etc/apt/sources.list(.d)", file=sys.stderr)
        sys.exit(1)
    print(mirror)
