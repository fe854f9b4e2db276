"""Files served over plain HTTP from this machine, for builds that would download them from the internet.

Two addresses matter. BuildKit's http sources are fetched by the daemon, on the host: `127.0.0.1` works.
A RUN step runs in its own network namespace on Docker's default bridge, where 127.0.0.1 is the step
itself: there the host is the bridge's gateway address, so `serve(..., for_steps=True)` listens there.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def bridge_gateway() -> str:
    """The host's address on Docker's default bridge, as build steps see it."""
    out = subprocess.run(
        ["docker", "network", "inspect", "bridge", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}"],
        capture_output=True, text=True, check=True, timeout=30,
    )
    return out.stdout.strip().split()[0]


@contextmanager
def serve(root: Path, *, for_steps: bool = False) -> Iterator[str]:
    """Serve `root` read-only; yields the base URL (no trailing slash)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    host = bridge_gateway() if for_steps else "127.0.0.1"
    server = http.server.ThreadingHTTPServer((host, 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def wheel(directory: Path, name: str, version: str, module: str | None = None) -> Path:
    """A minimal pure-Python wheel `name==version` whose module prints its version when imported."""
    dist = name.replace("-", "_")
    module = module or dist
    info = f"{dist}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f"VERSION = {version!r}\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: envbuild-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = "".join(
        f"{path},sha256={_b64(hashlib.sha256(text.encode()).digest())},{len(text.encode())}\n"
        for path, text in files.items()
    )
    files[f"{info}/RECORD"] = record + f"{info}/RECORD,,\n"
    path = directory / f"{dist}-{version}-py3-none-any.whl"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    path.write_bytes(buffer.getvalue())
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def simple_index(root: Path, wheels: list[Path]) -> None:
    """A PEP 503 index under `root/simple/<project>/` linking each wheel (kept in `root/files/`)."""
    files = root / "files"
    files.mkdir(parents=True, exist_ok=True)
    projects: dict[str, list[Path]] = {}
    for path in wheels:
        target = files / path.name
        target.write_bytes(path.read_bytes())
        project = path.name.split("-")[0].replace("_", "-").lower()
        projects.setdefault(project, []).append(target)
    for project, paths in projects.items():
        page = root / "simple" / project / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        links = "".join(
            f'<a href="../../files/{p.name}#sha256={_sha256(p)}">{p.name}</a>\n' for p in paths
        )
        page.write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")
    (root / "simple" / "index.html").write_text(
        "<!DOCTYPE html><html><body>\n"
        + "".join(f'<a href="{p}/">{p}</a>\n' for p in sorted(projects))
        + "</body></html>\n"
    )


def find_links_page(root: Path, wheels: list[Path]) -> None:
    """A flat `-f` page at `root/links/index.html` with the wheels beside it."""
    links = root / "links"
    links.mkdir(parents=True, exist_ok=True)
    for path in wheels:
        (links / path.name).write_bytes(path.read_bytes())
    (links / "index.html").write_text(
        "".join(f'<a href="{p.name}">{p.name}</a>\n' for p in wheels)
    )


def open_vsx(root: Path, base_url: str, publisher: str, extension: str, version: str,
             files: dict[str, str]) -> None:
    """Open VSX's API as envd and envbuild read it, under a server already serving `root` at `base_url`:
    `/api/<pub>/<ext>/<version|latest>` answers JSON whose `downloads.universal` names the `.vsix` (a zip
    with an `extension/` folder)."""
    vsix = root / "files" / f"{publisher}.{extension}-{version}.vsix"
    vsix.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("extension.vsixmanifest", "<PackageManifest/>")
        for name, text in files.items():
            archive.writestr(f"extension/{name}", text)
    vsix.write_bytes(buffer.getvalue())
    answer = json.dumps({"version": version, "downloads": {"universal": f"{base_url}/files/{vsix.name}"}})
    api = root / "api" / publisher / extension
    api.mkdir(parents=True, exist_ok=True)
    for release in (version, "latest"):
        (api / release).write_text(answer)  # the server ignores the ?targetPlatform= query
