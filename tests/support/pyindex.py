"""A Python package index served from this host (PEP 503 simple pages over plain HTTP on 127.0.0.1), whose
packages a test can publish while it runs: "upstream released a new version" for real.

Wheels are written by hand (a zip with the module, METADATA, WHEEL and RECORD): tiny, pure Python, no
build tool needed. `add_downloaded` adds a real distribution fetched with the host's pip configuration
(e.g. uv, which the build installs from the same index when `config.pip_index` points here).
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.server
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

WHEEL = b"Wheel-Version: 1.0\nGenerator: envbuild-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(directory: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> Path:
    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f"VERSION = {version!r}\n".encode(),
        f"{info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            + "".join(f"Requires-Dist: {r}\n" for r in requires)
        ).encode(),
        f"{info}/WHEEL": WHEEL,
    }
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files.items())
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    path = directory / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for name_in_zip, data in files.items():
            wheel.writestr(zipfile.ZipInfo(name_in_zip, date_time=(2026, 1, 1, 0, 0, 0)), data)
    return path


@dataclass
class Index:
    root: Path
    url: str  # the simple index URL, for config.pip_index(url=...)

    @property
    def files(self) -> Path:
        return self.root / "files"

    def publish(self, name: str, version: str, requires: tuple[str, ...] = ()) -> None:
        make_wheel(self.files, name, version, requires)
        self._pages()

    def add_downloaded(self, requirement: str) -> None:
        """`pip download --no-deps` into the index (through the host's own pip configuration)."""
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
                str(self.files),
                requirement,
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
        self._pages()

    def _pages(self) -> None:
        by_project: dict[str, list[Path]] = {}
        for wheel in sorted(self.files.glob("*.whl")):
            project = wheel.name.split("-")[0].replace("_", "-").lower()
            by_project.setdefault(project, []).append(wheel)
        simple = self.root / "simple"
        for project, wheels in by_project.items():
            links = "".join(
                f'<a href="/files/{html.escape(w.name)}#sha256={hashlib.sha256(w.read_bytes()).hexdigest()}">'
                f"{html.escape(w.name)}</a><br>\n"
                for w in wheels
            )
            page = simple / project
            page.mkdir(parents=True, exist_ok=True)
            (page / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")
        listing = "".join(f'<a href="/simple/{p}/">{p}</a><br>\n' for p in sorted(by_project))
        (simple / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{listing}</body></html>\n")


@contextmanager
def served_index(root: Path) -> Iterator[Index]:
    (root / "files").mkdir(parents=True, exist_ok=True)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Index(root, f"http://127.0.0.1:{server.server_address[1]}/simple")
    finally:
        server.shutdown()
        server.server_close()
