"""A Horust "release" served from this host: the STAND-IN packed the way upstream packs its assets.

GitHub is unreachable here, so tests serve `horust-<target>.tar.gz` (the stand-in as `horust`, an empty
`horustctl`) over plain HTTP on 127.0.0.1 and point envbuild at it (`--horust URL#sha256:...`, or
`ENVBUILD_HORUST_RELEASE_BASE` for the pinned release). BuildKit's http source is fetched by the daemon on
the host's network, so the daemon reaches it.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.horust_standin.build import build_standin

AMD64_ASSET = "horust-x86_64-unknown-linux-musl.tar.gz"


def release_tarball(extra: bytes = b"") -> bytes:
    """The asset's bytes; `extra` goes into horustctl, so a "changed release" is a different tarball."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(build_standin(), arcname="horust")
        info = tarfile.TarInfo("horustctl")
        info.size, info.mode = len(extra), 0o755
        tar.addfile(info, io.BytesIO(extra))
    return buffer.getvalue()


@dataclass
class Release:
    root: Path
    base: str  # the release URL base (what ENVBUILD_HORUST_RELEASE_BASE takes)

    def publish(self, data: bytes, name: str = AMD64_ASSET) -> str:
        """Serve `data` as asset `name`; returns its sha256 digest."""
        (self.root / name).write_bytes(data)
        return "sha256:" + hashlib.sha256(data).hexdigest()

    def url(self, name: str = AMD64_ASSET) -> str:
        return f"{self.base}/{name}"


@contextmanager
def served_release(root: Path) -> Iterator[Release]:
    root.mkdir(parents=True, exist_ok=True)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Release(root, f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
