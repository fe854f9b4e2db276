"""The sha256 of files BuildKit downloads, learned through BuildKit itself.

BuildKit fetches each URL as an http source without a checksum (on the worker's network, with its proxy
and trust settings, exactly as the build will), the files are exported to a temporary directory on this
host over the session, and hashed here. Docker's embedded BuildKit (v0.13) has no call that returns an http
source's digest, and an exec step that hashes the file would need a tool image with `sha256sum`; an export
works on every worker and with every base.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from envbuild import llb
from envbuild.errors import EnvbuildError

if TYPE_CHECKING:
    from envbuild.buildkit import Client

FETCH_NAME = "[internal] fetch {url} to learn its sha256"


class DownloadError(EnvbuildError):
    """BuildKit could not fetch a URL (unreachable host, 404, TLS)."""

    def __init__(self, url: str, reason: str, *, hint: str | None = None):
        super().__init__(f"cannot download {url}: {reason}", hint=hint)
        self.url = url
        self.reason = reason


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def learn_digests(client: Client, urls: Sequence[str], *, platform: str) -> dict[str, str]:
    """URL → `sha256:<hex>` of what BuildKit downloads for it now. One solve for all of them."""
    from envbuild.buildkit import Export
    from envbuild.buildkit.errors import SolveError
    from envbuild.buildkit.options import SolveOptions

    urls = list(dict.fromkeys(urls))
    if not urls:
        return {}
    state = llb.scratch()
    for index, url in enumerate(urls):
        source = llb.http(url, filename="content", custom_name=FETCH_NAME.format(url=url))
        state = state.copy(
            source,
            "/content",
            f"/{index}/content",
            create_parents=True,
            custom_name=f"[internal] collect {url}",
        )
    with tempfile.TemporaryDirectory(prefix="envbuild-digest-") as out:
        try:
            client.solve(state.marshal(platform=platform), SolveOptions(exports=[Export.local(Path(out))]))
        except SolveError as err:
            failed = next((u for u in urls if u in (err.name or "") or u in err.message), urls[0])
            raise DownloadError(failed, _reason(err.message, failed)) from None
        return {url: file_sha256(Path(out, str(index), "content")) for index, url in enumerate(urls)}


def _reason(message: str, url: str) -> str:
    """BuildKit's error without what our sentence already says (the step name, the URL, its cache-key
    wording): `dial tcp 127.0.0.1:9: connect: connection refused`, `invalid response status 404`."""
    text = message.split(": ", 1)[1] if message.startswith("[internal]") and ": " in message else message
    for noise in ("failed to load cache key: ", f'Get "{url}": ', f"{url}: "):
        text = text.replace(noise, "")
    return text.strip()
